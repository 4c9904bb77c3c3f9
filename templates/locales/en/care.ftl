## Sending with care: undo send, send later, the conflict guard

undo-sending = Sending in { $seconds } s…
undo-undo = Undo
undo-send-now = Send now
undo-restored = Not sent: your reply is back in the composer.
undo-title = Sending
undo-seconds = Undo send: wait before a reply is sent (seconds)
undo-hint = A reply waits this long with an “Undo” button before it goes; 0 sends at once. Notes are added at once. Up to { $max } seconds.
undo-save = Save sending
undo-saved = Sending preferences saved.

schedule-title = Send later
schedule-later = Later
schedule-hint = Send this reply at a time of your choice (your time zone).
schedule-one-hour = In 1 hour
schedule-tomorrow = Tomorrow 9:00
schedule-monday = Monday 9:00
schedule-pick = Date and time
schedule-at = Schedule
schedule-panel = Scheduled replies
schedule-by = Scheduled by { $name }
schedule-failed = Not sent
schedule-edit = Edit
schedule-text = Text
schedule-save = Save
schedule-cancel = Cancel
schedule-dismiss = Dismiss
schedule-in-past = { field-label }: must be in the future
schedule-replies-only = { field-label }: only replies can be scheduled; a note is added at once
schedule-past-window = The messaging window closes at { $time }: the customer must write again before a reply can go after that. Pick an earlier time, or send a template.

conflict-title = New messages arrived while you were typing.
conflict-body = Nothing was sent yet. Read them, then send anyway or edit your reply.
conflict-send-anyway = Send anyway
conflict-edit = Edit

## xfiles: a template or files with send later
xfiles-wa-template-now = An approved WhatsApp template is sent at once: it cannot be scheduled. Nothing was scheduled.
xfiles-files-now = Files go with a reply sent now: a scheduled reply cannot carry them yet. Nothing was scheduled.
xfiles-template-when = When
xfiles-template-now = Now

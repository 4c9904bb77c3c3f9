# The inbox: views, the conversation list, the open conversation, the composer.

inbox-conversations = Conversations
inbox-conversation = Conversation
inbox-search = Search conversations
inbox-views = Views
inbox-hello = Hello, { $name }
inbox-select = Select a conversation to read and reply.
key-next = next / previous
key-reply = reply
key-note = internal note
key-close = close
key-assign = assign to me
key-search = search
live-connecting = Connecting…
live-open = Live
live-reconnecting = Reconnecting…

## Views and who is online

view-mine = Mine
view-unassigned = Unassigned
view-all = All open
view-mentions = Mentions
view-snoozed = Snoozed
view-closed = Closed
view-conversations = Conversations
views-teams = Teams
list-results = Results for “{ $query }”
presence-team = Team
presence-online = (online)
presence-offline = (offline)
presence-online-title = { $name } is online
presence-offline-title = { $name } is offline

## The list

list-empty = No conversations here.
list-no-match = Nothing matches “{ $query }”.
list-older = Older
row-unassigned = Unassigned
row-inbox-title = { $channel } inbox
dot-online = Online now
dot-online-title = Online now: the visitor has the chat open
dot-missed = Missed
dot-missed-title = Missed: waiting for a reply
dot-unread = Unread
dot-new = New
status-open = open
status-snoozed = snoozed
status-closed = closed
channel-api = API
channel-email = Email
channel-website = Website chat
channel-whatsapp = WhatsApp
channel-sms = SMS
channel-messenger = Messenger
channel-telegram = Telegram

## New message

compose-new = New message
compose-inbox = Inbox
compose-to = To (phone or email)
compose-to-placeholder = +34 600 000 000 or ana@example.com
compose-subject = Subject (email only)
compose-subject-placeholder = About your order
compose-submit = Start conversation
compose-none = None of your inboxes can write to this kind of address.
compose-choose-inbox = Choose one of your inboxes.

## The open conversation

pane-contact = Contact
presence-offline-chip = Offline
pane-snoozed-until = until { $time }
pane-transcript = Send transcript
pane-transcript-title = Email the conversation so far to the contact
pane-unread = Mark unread
pane-unread-title = Mark unread and go back to the list
pane-snooze = Snooze
snooze-title = Snooze until…
snooze-one-hour = 1 hour
snooze-this-evening = This evening
snooze-tomorrow = Tomorrow 09:00
snooze-next-week = Next week
snooze-pick = Pick a time ({ $zone })
snooze-custom = Snooze until then
pane-close = Close
pane-close-title = Close (e)
close-note = Closing note
optional = (optional)
close-note-placeholder = What was solved?
close-submit = Close conversation
pane-reopen = Reopen
pane-assignee = Assignee
pane-team = Team
pane-no-team = No team
pane-assign-me = Assign to me
pane-assign-me-title = Assign to me (a)
pane-earlier = Earlier messages
pane-delete = Delete conversation
pane-delete-confirm = Delete this conversation and its messages for good? This is recorded in the audit log.

## Timeline

transcript-by = { $text } by { $who }
msg-not-delivered = Not delivered: { $error }
msg-private-note = Private note
msg-other-sender = Not the contact
msg-other-sender-title = Written by { $sender }, who is not this conversation's contact. Replies still go to the contact.
mail-bounce = Bounce
mail-auto-reply = Auto-reply
mail-show-full = Show full message
mail-html = HTML version
mail-html-frame = HTML version of the mail
mail-remote-load = Load remote images
mail-remote-loaded = Remote images loaded
mail-remote-hint = Remote images are blocked: loading them tells the sender you read this.
mail-new-tab = Open in a new tab
attachments = Attachments
attachment-file = FILE
attachment-download = Download { $name }
attachment-not-stored = { $size } · not stored
via-email = Email
via-chat = Chat
details-from = From
details-note-by = Note by
details-sent-by = Sent by
details-written = written
details-coverage = This channel reports: { $statuses }
delivery-pending = pending
delivery-sent = sent
delivery-delivered = delivered
delivery-read = read
delivery-failed = failed

## Events in the timeline ($who: an agent's name, "the contact" or Charla)

actor-contact = the contact
event-created = Conversation started
event-took = { $who } took this conversation
event-assigned = { $who } assigned this to { $to }
event-unassigned = { $who } unassigned this conversation
event-team = { $who } moved this to team { $team }
event-team-removed = { $who } removed this from its team
event-closed-note = Closed by { $who }: { $note }
event-closed = Closed by { $who }
event-reopened-by-contact = Reopened by the contact
event-reopened = Reopened by { $who }
event-snoozed = { $who } snoozed this until { $until }
event-woke-by-contact = Woken up by a new message
event-woke = Snooze ended
event-blocked = { $who } blocked the contact
event-unblocked = { $who } unblocked the contact
event-email-confirmed = { $who } confirmed the visitor's email address { $email }

## The composer

typing = { $name } is typing…
composer-mode = Reply or note
composer-reply = Reply
composer-note = Internal note
composer-via = Send by
via-email-unconfirmed = Email: confirm the address first
via-email-unconfirmed-title = The visitor typed this address; confirm it in the contact panel before mailing it
via-email-unavailable = Email not available
via-email-unavailable-title = Needs the visitor's email address and a reply email inbox in the website inbox's settings
window-closed = The { $hours }-hour messaging window is closed: the customer has not written in the last { $hours } hours, so only an approved template can be sent. Internal notes still work.
window-open = { $hours }-hour messaging window: free replies until
window-left-hm = ({ $hours } h { $minutes } min left)
window-left-m = ({ $minutes } min left)
composer-message = Message
composer-placeholder-reply = Write a reply… Enter sends, Shift+Enter for a new line
composer-placeholder-note = Internal note: only agents see it. @name mentions
composer-emoji = Emoji
composer-hint-reply = The contact sees this reply
composer-hint-note = Only agents see notes · @name mentions
composer-send = Send
composer-add-note = Add note

## The contact beside the conversation

side-back = Back to the conversation
identity-phone = Phone
identity-email = Email
identity-messenger = Messenger
identity-telegram = Telegram
identity-identifier = Identifier
contact-download = Download conversations
contact-blocked-chip = blocked
reply-address = Replies by email go to
reply-address-unconfirmed = unconfirmed
reply-address-unconfirmed-text = The visitor typed this address; it may not be theirs. Nothing is mailed to it until an agent confirms it.
reply-address-confirm = Confirm this address
contact-limited-pane = This contact is also known in inboxes you are not a member of. You see only what this inbox knows; an admin, or an agent of all of those inboxes, can edit or block it.
contact-properties = Properties
property-name = Property name
property-value = Value
property-new = New property
property-new-name = New property name
property-new-value = New property value
contact-save = Save contact
contact-saved = Saved
contact-saving = Saving…
contact-save-failed = Not saved: check the fields and try again.
contact-all-conversations = All conversations of this contact →
contact-block = Block contact
contact-unblock = Unblock contact
contact-blocked-text = Blocked: new messages are kept but do not reopen or notify.

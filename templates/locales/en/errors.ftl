# Error pages, refused forms and sign-in problems.

error-status = Error { $status }
error-home = Go to the start page
error-not-found = Page not found
error-forbidden = Not allowed
error-too-many = Too many attempts
error-too-large = Too large
error-too-slow = Too slow
error-internal = Something went wrong
error-bad-request = That did not work
error-sign-in = Please sign in.
error-not-found-text = There is nothing here. It may have been moved or deleted.
error-too-large-text = The request is larger than the limit of { $bytes } bytes.
error-throttled = Too many failed sign-in attempts; try again in { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}.
error-timeout-text = The request took longer than { $seconds } s to arrive. Check your connection and try again.
error-internal-text = Something went wrong on our side; it has been logged.
# Technical text (a parser's message), shown as it is.
error-detail = { $detail }
error-not-allowed = You are not allowed to do that.
error-admins-only = This page is for admins. Ask an admin of your workspace if you need access.
error-shared-contact = This contact is also known in inboxes you are not a member of: only an admin, or an agent of all of them, can change or block it.
error-bad-credentials = Wrong email or password.
error-duplicate-email = An agent with that email already exists.
error-invite-invalid = This invite link is invalid, already used or expired; ask an admin for a new one.
error-wrong-password = The current password is wrong.
error-already-set-up = Setup has already been completed.
error-content-too-long = The content is longer than { $count } characters.
error-rate-limited = Too many messages; try again in { $seconds } s.
error-snooze-in-past = A snooze must end in the future.
error-already-in-state = The conversation is already { $status ->
    [open] open
    [closed] closed
    [snoozed] snoozed
   *[other] { $status }
}.
error-cross-site = Cross-site requests are not accepted.
error-csrf-missing = The form's security token is missing. Reload the page and try again.
error-csrf-invalid = The form's security token is not valid (the page may be too old). Reload the page and try again.
error-form-unreadable = Could not read the form: { $detail }
error-form-malformed = The form is malformed: { $detail }
error-form-invalid = Invalid form: { $detail }

## A refused value: $field is the form field's name

field-label = { $field }
invalid-empty = { field-label }: must not be empty
invalid-email = { field-label }: is not a valid email address
invalid-control = { field-label }: must not contain control characters
invalid-too-short = { field-label }: must be at least { $count } characters
invalid-too-long = { field-label }: must be at most { $count } characters
invalid-other = { field-label }: { $reason }
error-bad-code = That code is wrong or was already used. Wait for the next one and try again.
error-two-factor-required = Your workspace requires two-factor sign-in, so it cannot be turned off.
error-two-factor-self-first = Set up two-factor sign-in for yourself first (Profile → Two-factor sign-in), so you are not locked out.
error-two-factor-stale = This set-up form is no longer valid. Open the two-factor page again.
invalid-port-typed = { field-label }: must be a port number from 1 to 65535, not "{ $value }"
invalid-seconds-typed = { field-label }: must be a number of seconds, not "{ $value }"
invalid-colour-typed = { field-label }: must be a colour such as #4f46e5, not "{ $value }"
invalid-security-typed = { field-label }: must be none, starttls or tls, not "{ $value }"
invalid-prechat-typed = { field-label }: must be off, optional or required, not "{ $value }"
invalid-channel-typed = { field-label }: unknown channel type "{ $value }"
invalid-port = { field-label }: must be a port number
invalid-required = { field-label }: is required
invalid-poll-range = { field-label }: must be between 10 and 3600
invalid-url = { field-label }: must be an http:// or https:// URL
invalid-host = { field-label }: must be a host name such as imap.example.com
invalid-email-settings = { field-label }: an email inbox needs its IMAP and SMTP settings
invalid-messaging-settings = { field-label }: a messaging inbox needs its provider settings
invalid-test-settings = { field-label }: the IMAP and SMTP settings to test are missing
invalid-email-inbox = { field-label }: must be one of the email inboxes
invalid-origins = { field-label }: at most 50 origins
invalid-token = { field-label }: is not a valid token
invalid-password-again = { field-label }: type the password again: the { $what } changed

## Refusals of an action (a conflict, a closed messaging window)

error-channel-fixed = An inbox's channel type cannot change; create a new inbox.
error-only-email-settings = Only email inboxes have email settings.
error-only-website-settings = Only website inboxes have website settings.
error-only-messaging-settings = Only messaging inboxes have provider settings.
error-only-api-token = Only API inboxes have a token.
error-no-reply-inbox = This website inbox has no email inbox to reply through (see its settings).
error-no-transcript-inbox = This website inbox has no email inbox to send through (see its settings).
error-email-answer-only = Only email and website chat conversations can be answered by email.
error-transcript-only = Transcripts go by email: only email and website chat conversations have one.
error-mail-without-address = This mail came without an address to reply to (no usable From, Reply-To, Sender or Return-Path).
error-no-email-address = This conversation has no email address to reply to.
error-unconfirmed-email = The visitor typed this email address and nobody has confirmed it yet: confirm it first (it may not be theirs).
error-nothing-to-confirm = This conversation has no email address to confirm.
error-website-cannot-start = A website chat cannot start a conversation: visitors write first (use an email or SMS inbox).
error-provider-unreadable = This inbox's provider settings cannot be read.
error-channel-cannot-start = This channel cannot start a conversation: the customer writes first.
error-template-only = This channel can start a conversation only with an approved template.
error-whatsapp-template-only = A new WhatsApp conversation can start only with an approved template (templates arrive with the composer).
error-no-provider = This inbox has no messaging provider.
error-no-channel-address = This conversation has no address on this channel to reply to.
error-contact-taken = Another contact already has that email or phone.
error-own-admin-role = You cannot remove your own admin role.
error-deactivate-self = You cannot deactivate yourself.
error-invite-inactive = Reactivate the agent before sending an invite.
error-report-own = Agents see only their own numbers.
error-report-teams = Team reports are for admins: a team's numbers span inboxes you may not be in.
error-window-closed = The { $hours }-hour messaging window is closed: the customer has not written in the last { $hours } hours, so only an approved template can be sent.

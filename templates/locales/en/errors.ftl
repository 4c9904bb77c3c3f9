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

# What customers read by email (built by the outbox, in the contact's language, else
# the inbox's, else the installation's; times in the installation's time zone).

## A transcript ("Send transcript") and a website chat answered by email

email-transcript-subject = Transcript of your conversation with { $inbox }
email-transcript-intro = Here is your conversation with { $inbox }.
email-chat-subject = Your conversation with { $inbox }
email-chat-so-far = Our conversation so far:
# One message in a transcript: who wrote it and when ("29 Nov 2026, 12:27 CET").
email-transcript-line = { $who } ({ $when }):
# Who the customer is in a transcript when they gave no name.
email-transcript-you = You

## Admin: the inbox's language (templates/admin/_language_field.html)

admin-inbox-language = Language of emails and the chat widget
admin-inbox-language-default = The installation's ({ $language })
admin-inbox-language-hint = A contact whose language is known (their browser's, in the chat widget) reads theirs instead.

# The website chat widget (static/widget/charla.js), in the visitor's language: their
# browser's, else the inbox's, else the installation's.

widget-chat = Chat
widget-open = Open chat
# The launcher's label with unread messages; $count is filled in by the widget.
widget-open-unread = Open chat ({ $count } unread)
widget-close = Close chat
widget-online = Online
widget-away = We’ll reply as soon as we can
widget-reconnecting = Reconnecting…
widget-placeholder = Write a message…
widget-message = Message
widget-messages = Messages
widget-send = Send
widget-retry = Retry
widget-sending = Sending…
widget-sent = Sent
widget-delivered = Delivered
widget-read = Read
widget-failed = Not sent
# $name is filled in by the widget (an agent's name, or widget-agent).
widget-typing = { $name } is typing…
widget-agent = An agent
widget-prechat = Leave your details so we can also reply by email.
widget-name = Name
widget-email = Email
widget-optional = (optional)
widget-start = Start chat
widget-skip = Not now

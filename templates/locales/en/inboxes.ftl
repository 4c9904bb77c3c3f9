# Admin: inboxes (the list, the new-inbox form, an inbox's page), their channel
# settings, "Test connection" and the mail poller's health.

inboxes-lead = Each inbox is one connected channel. Agents see the conversations of the inboxes they are members of.
inboxes-none = No inboxes yet. Create the first one below.
inboxes-col-inbox = Inbox
inboxes-col-channel = Channel
inboxes-col-members = Members
inboxes-new = New inbox
inboxes-name-placeholder = e.g. Support
inboxes-webhook-url = Webhook URL
inboxes-optional-api = (optional, API inboxes)
inboxes-optional = (optional)
inboxes-create = Create inbox
inboxes-save = Save inbox
inboxes-copy = Copy
inboxes-channel-only = ({ $channel } channel only)
inboxes-passwords-again = The passwords you typed are not shown again: type them again before you save.

## An inbox's page

inboxes-token-title = The inbox's secret token.
inboxes-token-text = Copy it now: it will not be shown again. Charla signs webhooks with it, and your integration sends it in this header:
inboxes-connect = Connect { $channel }
inboxes-paste-webhook = Paste this webhook URL into the provider's console:
inboxes-insecure = This address is plain http: this provider only calls public https:// addresses. Set server.public_url in the configuration to this site's https address, then save the inbox again.
inboxes-no-webhook = No webhook needed: Charla polls Telegram.
inboxes-webhook-hint = Agent replies are POSTed here as JSON, signed with the HMAC-SHA256 of the body under the inbox token, in this header:
inboxes-snippet-title = Add the chat to your site
inboxes-snippet-text = Paste this line into every page, just before the closing </body> tag:
inboxes-snippet-hint = Visitors keep their history on the same device. Offline visitors who left an email can be answered by email. The page must be on one of the allowed sites above.
inboxes-poller = Mail poller
inboxes-last-success = Last successful poll
inboxes-not-yet = not yet since Charla started
inboxes-last-error = Last error
inboxes-error-resolved = polls have succeeded since
inboxes-no-error = none since Charla started
inboxes-fetched = Messages fetched
inboxes-fetched-note = since Charla started. Counted in memory: it starts again at 0 when Charla restarts.
inboxes-cursor = Folder cursor
inboxes-cursor-text = UIDVALIDITY { $validity }, highest UID stored { $uid }
inboxes-cursor-none = no mail stored yet from { $folder }
inboxes-interval = Interval
inboxes-every = every { $seconds } s
inboxes-backoff = (after a failure it waits longer, up to 30 minutes)
inboxes-integration = Integration
inboxes-post-to = Post customer messages to:
inboxes-body = Body:
inboxes-statuses = Delivery statuses go to
inboxes-api-description = See the API description.
inboxes-rotate = Rotate token
inboxes-rotate-confirm = Replace the token? The current one stops working at once.
inboxes-delete = Delete inbox
inboxes-delete-confirm = Delete inbox { $name }?

## Email settings

inboxes-email-settings = Email settings
inboxes-incoming = Incoming mail
inboxes-outgoing = Outgoing mail
inboxes-host = Host
inboxes-port = Port
inboxes-security = Security
inboxes-security-none = None (plain text)
inboxes-username = User name
inboxes-stored-keep = Stored; leave empty to keep.
inboxes-folder = Folder
inboxes-smtp-no-auth = Empty: send without AUTH.
inboxes-from-name = From name
inboxes-from-name-placeholder = Acme support
inboxes-from-address = From address
inboxes-poll-interval = Poll interval
inboxes-poll-hint = Seconds, 10 to 3600.
inboxes-mark-seen = Mark fetched mail as read on the server
inboxes-mark-seen-hint = Off: Charla never changes the mailbox.
inboxes-plus = Reply-To plus-address
inboxes-plus-hint = Replies carry Reply-To: local+<conversation>@domain, so answers find their conversation even when a mail client drops the threading headers. Your mail server must deliver plus-addresses to this mailbox.

## Website chat settings

inboxes-allowed-sites = Allowed sites
inboxes-one-per-line = (one origin per line)
inboxes-origins-hint = Only pages from these origins (scheme, host and port) may load the chat. Anything else gets a 403.
inboxes-greeting = Greeting
inboxes-colour = Colour
inboxes-prechat = Ask for name and email first
inboxes-prechat-off = No
inboxes-prechat-optional = Yes, email optional
inboxes-prechat-required = Yes, email required
inboxes-offline-email = Answer offline visitors by email through
inboxes-offline-none = No email (chat only)
inboxes-identity = Identity verification secret
inboxes-identity-note = (optional, 16 characters or more)
inboxes-identity-stored = stored; leave empty to keep
inboxes-identity-unset = not set
inboxes-identity-hint = Your site signs a signed-in customer's id and calls
inboxes-identity-hint-2 = where hash is the hex HMAC-SHA256 of the identifier under this secret. A verified customer sees the same chat history on every device.
inboxes-identity-off = Turn identity verification off

## Messaging settings (WhatsApp, SMS, Messenger, Telegram)

inboxes-whatsapp-provider = WhatsApp provider
inboxes-cloud-api = WhatsApp Cloud API
inboxes-cloud-title = Cloud API
inboxes-cloud-hint = Meta's own API, for a number in your WhatsApp Business account.
inboxes-twilio-whatsapp-hint = A WhatsApp sender in your Twilio account.
inboxes-advanced = Advanced
inboxes-sms-twilio = SMS through Twilio
inboxes-human-agent = Answer up to 7 days later (HUMAN_AGENT tag)
inboxes-human-agent-hint = Messenger lets a person answer up to 7 days after the customer's last message when your app has Meta's Human Agent permission. Off: 24 hours.
inboxes-telegram-mode = How updates arrive
inboxes-polling = Polling
inboxes-polling-hint = Charla asks Telegram for new messages. Works behind a firewall; no public address needed.
inboxes-webhook = Webhook
inboxes-webhook-mode-hint = Telegram calls Charla. Needs a public https:// address.
inboxes-secret-set = Set — leave empty to keep.

## Fields, as labels and in refusals

inboxes-f-email = Email settings
inboxes-f-imap-host = IMAP host
inboxes-f-imap-port = IMAP port
inboxes-f-imap-security = IMAP security
inboxes-f-imap-folder = IMAP folder
inboxes-f-imap-password = IMAP password
inboxes-f-smtp-host = SMTP host
inboxes-f-smtp-port = SMTP port
inboxes-f-smtp-security = SMTP security
inboxes-f-smtp-password = SMTP password
inboxes-f-from-address = From address
inboxes-f-poll-seconds = Poll interval
inboxes-f-channel = Channel
inboxes-f-webhook-url = Webhook URL
inboxes-f-members = Members
inboxes-f-website = Website chat settings
inboxes-f-allowed-origins = Allowed sites
inboxes-f-greeting = Greeting
inboxes-f-color = Colour
inboxes-f-prechat = Ask for name and email first
inboxes-f-reply-email-inbox = Answer offline visitors by email through
inboxes-f-identity-secret = Identity verification secret
inboxes-f-whatsapp = WhatsApp settings
inboxes-f-sms = SMS settings
inboxes-f-messenger = Messenger settings
inboxes-f-telegram = Telegram settings
inboxes-f-whatsapp-provider = WhatsApp provider
inboxes-f-sms-provider = SMS provider
inboxes-f-telegram-mode = How updates arrive
inboxes-f-phone-number-id = Phone number ID
inboxes-f-access-token = Access token
inboxes-f-app-secret = App secret
inboxes-f-verify-token = Verify token
inboxes-f-account-sid = Account SID
inboxes-f-auth-token = Auth token
inboxes-f-whatsapp-sender = WhatsApp sender
inboxes-f-api-base = API base URL
inboxes-f-sender = Sender
inboxes-f-page-id = Page ID
inboxes-f-page-access-token = Page access token
inboxes-f-bot-token = Bot token
inboxes-h-base = For an on-premises gateway or a test server. Empty: the provider's public endpoint.
inboxes-h-sid = Twilio Console → Account info: AC followed by 32 characters.
inboxes-h-verify = A phrase you choose; type the same one in Meta's webhook settings.
inboxes-h-app-secret = App settings → Basic in Meta's App Dashboard. Proves that webhooks come from Meta.
inboxes-h-phone-number-id = WhatsApp → API Setup in Meta's App Dashboard (the id, not the number).
inboxes-h-access-token = A System User token with the whatsapp_business_messaging permission.
inboxes-h-whatsapp-from = The number of your Twilio WhatsApp sender.
inboxes-h-sms-from = A Twilio number, a Messaging Service SID (MG…) or an RCS sender (rcs:…).
inboxes-h-page-id = Your Facebook page's id (Page → About → Page transparency).
inboxes-h-page-access-token = Messenger → Settings → Access tokens in Meta's App Dashboard.
inboxes-h-bot-token = The token @BotFather gave you for the bot.

## Where a messaging inbox's webhook URL goes

inboxes-connect-cloud = Meta's App Dashboard → WhatsApp → Configuration → Webhook: paste it as the Callback URL, type the verify token you chose, then subscribe to the messages field.
inboxes-connect-twilio-whatsapp = Twilio Console → Messaging → Senders → WhatsApp senders → your sender: paste it as the webhook URL for incoming messages (HTTP POST).
inboxes-connect-twilio-sms = Twilio Console → Phone Numbers → Active numbers → your number → Messaging: under "A message comes in", choose Webhook, paste it, HTTP POST.
inboxes-connect-messenger = Meta's App Dashboard → Messenger → Settings → Webhooks: paste it as the Callback URL with the verify token you chose, then subscribe your page to messages, message_deliveries and message_reads.
inboxes-connect-telegram-webhook = Nothing to paste: Charla gives Telegram this address (setWebhook) with a secret token. It must be a public https:// address.
inboxes-connect-telegram-poll = Charla asks Telegram for new messages itself (long polling), so it works behind a firewall or NAT.

## Test connection

inboxes-test = Test connection
inboxes-testing = Testing…
inboxes-testing-email = Testing… (up to 15 s)
inboxes-msg-test-hint = One harmless request to the provider with the values above (empty secrets: the stored ones). Nothing is saved or sent.
inboxes-email-test-hint = Tries both servers with the values above.
inboxes-email-test-stored = Empty passwords: the stored ones.
inboxes-nothing-saved = Nothing is saved or sent.
inboxes-connected = Connected
inboxes-failed = Failed
inboxes-failed-at = Failed at: { $step }
inboxes-provider = Provider
inboxes-not-tested = Not tested. { $reason }
inboxes-step-ok = OK
inboxes-step-address = Address not allowed
inboxes-step-dns = DNS lookup
inboxes-step-refused = Connection refused
inboxes-step-connect = Connection
inboxes-step-timeout = Timeout
inboxes-step-tls = TLS
inboxes-step-authentication = Authentication
inboxes-step-folder = Folder
inboxes-step-sender = Sender address
inboxes-step-protocol = Server response

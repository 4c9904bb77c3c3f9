//! Where a messaging inbox's webhook URL goes: the one line per provider shown beside
//! it on the inbox's page.

use crate::domain::ChannelKind;
use crate::domain::messaging::{MessagingSettings, Provider, TelegramMode};

/// Where a messaging inbox's webhook URL goes, for its page.
pub struct ConnectView {
    /// `None` for Telegram polling: no webhook.
    pub url: Option<String>,
    /// Where to paste it, in one line.
    pub hint: &'static str,
    /// Plain http where the provider only calls https addresses (Meta, Telegram;
    /// Twilio takes both).
    pub insecure: bool,
}

impl ConnectView {
    pub fn of(channel: ChannelKind, m: &MessagingSettings) -> Self {
        let hint = match (channel, m.provider) {
            (_, Provider::WhatsAppCloud) => {
                "Meta's App Dashboard → WhatsApp → Configuration → Webhook: paste it as the Callback URL, type the verify token you chose, then subscribe to the messages field."
            }
            (ChannelKind::WhatsApp, Provider::Twilio) => {
                "Twilio Console → Messaging → Senders → WhatsApp senders → your sender: paste it as the webhook URL for incoming messages (HTTP POST)."
            }
            (_, Provider::Twilio) => {
                "Twilio Console → Phone Numbers → Active numbers → your number → Messaging: under \"A message comes in\", choose Webhook, paste it, HTTP POST."
            }
            (_, Provider::Messenger) => {
                "Meta's App Dashboard → Messenger → Settings → Webhooks: paste it as the Callback URL with the verify token you chose, then subscribe your page to messages, message_deliveries and message_reads."
            }
            (_, Provider::Telegram) if m.telegram_mode == TelegramMode::Webhook => {
                "Nothing to paste: Charla gives Telegram this address (setWebhook) with a secret token. It must be a public https:// address."
            }
            (_, Provider::Telegram) => {
                "Charla asks Telegram for new messages itself (long polling), so it works behind a firewall or NAT."
            }
        };
        let url = m.webhook_url();
        ConnectView {
            insecure: m.provider != Provider::Twilio
                && url.as_deref().is_some_and(|u| !u.starts_with("https://")),
            url,
            hint,
        }
    }
}

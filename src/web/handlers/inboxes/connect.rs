//! Where a messaging inbox's webhook URL goes: the one line per provider shown beside
//! it on the inbox's page.

use crate::domain::ChannelKind;
use crate::domain::messaging::{MessagingSettings, Provider, TelegramMode};

/// Where a messaging inbox's webhook URL goes, for its page.
pub struct ConnectView {
    /// `None` for Telegram polling: no webhook.
    pub url: Option<String>,
    /// Where to paste it, in one line (a catalog key).
    pub hint: &'static str,
    /// Plain http where the provider only calls https addresses (Meta, Telegram;
    /// Twilio takes both).
    pub insecure: bool,
}

impl ConnectView {
    pub fn of(channel: ChannelKind, m: &MessagingSettings) -> Self {
        let hint = match (channel, m.provider) {
            (_, Provider::WhatsAppCloud) => "inboxes-connect-cloud",
            (ChannelKind::WhatsApp, Provider::Twilio) => "inboxes-connect-twilio-whatsapp",
            (_, Provider::Twilio) => "inboxes-connect-twilio-sms",
            (_, Provider::Messenger) => "inboxes-connect-messenger",
            (_, Provider::Telegram) if m.telegram_mode == TelegramMode::Webhook => {
                "inboxes-connect-telegram-webhook"
            }
            (_, Provider::Telegram) => "inboxes-connect-telegram-poll",
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

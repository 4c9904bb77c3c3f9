//! Settings of the messaging channels (WhatsApp, SMS, Messenger, Telegram): which
//! provider, the account its secrets are bound to, and the secrets, stored sealed and
//! never shown back.

use super::account::ChannelKind;
use super::validate::Invalid;
use serde::{Deserialize, Serialize};

/// Who carries a messaging inbox's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Meta's WhatsApp Cloud API.
    WhatsAppCloud,
    /// Twilio (SMS, MMS, RCS; WhatsApp through Twilio).
    Twilio,
    /// Meta's Messenger Platform.
    Messenger,
    /// The Telegram Bot API.
    Telegram,
}

/// How a Telegram bot's updates arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    /// We long-poll `getUpdates` (works behind NAT, no public address needed).
    #[default]
    Poll,
    /// Telegram POSTs to our webhook URL (needs a public HTTPS address).
    Webhook,
}

impl TelegramMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TelegramMode::Poll => "poll",
            TelegramMode::Webhook => "webhook",
        }
    }
}

/// A messaging inbox's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagingSettings {
    pub provider: Provider,
    /// What the secrets are bound to: the WhatsApp phone number id, the Twilio account
    /// SID, the Facebook page id; empty for Telegram (the token names its bot).
    pub account: String,
    /// Twilio: the sender (`+E.164`, a messaging service, or an RCS sender).
    #[serde(default)]
    pub from: String,
    /// The provider's base URL; empty means its public endpoint.
    #[serde(default)]
    pub api_base: String,
    /// The access token, auth token, page access token or bot token, sealed.
    pub token_sealed: String,
    /// Meta: the app secret that signs webhooks, sealed.
    #[serde(default)]
    pub app_secret_sealed: String,
    /// Meta: the verify token of the subscription handshake, sealed.
    #[serde(default)]
    pub verify_token_sealed: String,
    /// Messenger: replies up to 7 days with the HUMAN_AGENT tag.
    #[serde(default)]
    pub human_agent_tag: bool,
    #[serde(default)]
    pub telegram_mode: TelegramMode,
    /// Random, the last part of this inbox's webhook URL (`/hooks/<hook_token>`).
    pub hook_token: String,
    /// Telegram webhook mode: the secret token Telegram sends back, sealed.
    #[serde(default)]
    pub hook_secret_sealed: String,
    /// This installation's public origin when the inbox was last saved (`server.public_url`,
    /// else the address the admin used): where status callbacks are asked to go.
    #[serde(default)]
    pub webhook_base: String,
    /// WhatsApp Cloud: the WhatsApp Business Account id whose approved templates
    /// "Sync templates" reads (empty: none given).
    #[serde(default)]
    pub waba_id: String,
}

impl MessagingSettings {
    /// Whether the provider calls our webhook URL (everything but Telegram polling).
    pub fn has_webhook(&self) -> bool {
        !(self.provider == Provider::Telegram && self.telegram_mode == TelegramMode::Poll)
    }

    /// The URL to paste into the provider's console (`None` for Telegram polling).
    pub fn webhook_url(&self) -> Option<String> {
        self.has_webhook()
            .then(|| format!("{}/hooks/{}", self.webhook_base, self.hook_token))
    }
}

/// What an admin gives for a messaging inbox. Secrets left empty keep the stored ones,
/// unless what they are bound to changed.
#[derive(Clone, Debug, Default)]
pub struct MessagingInput {
    /// WhatsApp: `cloud` or `twilio`; the other channels have one provider.
    pub provider: Option<String>,
    pub account: Option<String>,
    pub from: Option<String>,
    pub api_base: Option<String>,
    pub token: Option<String>,
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
    pub human_agent_tag: Option<bool>,
    pub mode: Option<String>,
    /// The public origin the webhook URL is built on (set by the web layer).
    pub webhook_base: String,
    /// WhatsApp Cloud: the WhatsApp Business Account id (`None`: kept).
    pub waba_id: Option<String>,
}

/// The name a form or JSON field has for `channel` (`whatsapp.phone_number_id`).
pub fn field(channel: ChannelKind, provider: Provider, what: Part) -> &'static str {
    use ChannelKind as C;
    use Part as P;
    match (channel, provider, what) {
        (C::WhatsApp, Provider::Twilio, P::Account) => "whatsapp.account_sid",
        (C::WhatsApp, Provider::Twilio, P::Token) => "whatsapp.auth_token",
        (C::WhatsApp, _, P::Account) => "whatsapp.phone_number_id",
        (C::WhatsApp, _, P::Token) => "whatsapp.access_token",
        (C::WhatsApp, _, P::From) => "whatsapp.from",
        (C::WhatsApp, _, P::AppSecret) => "whatsapp.app_secret",
        (C::WhatsApp, _, P::VerifyToken) => "whatsapp.verify_token",
        (C::WhatsApp, _, P::ApiBase) => "whatsapp.api_base",
        (C::WhatsApp, _, P::Provider) => "whatsapp.provider",
        (C::WhatsApp, _, P::WabaId) => "whatsapp.waba_id",
        (C::Messenger, _, P::Account) => "messenger.page_id",
        (C::Messenger, _, P::Token) => "messenger.page_access_token",
        (C::Messenger, _, P::AppSecret) => "messenger.app_secret",
        (C::Messenger, _, P::VerifyToken) => "messenger.verify_token",
        (C::Messenger, _, P::ApiBase) => "messenger.api_base",
        (C::Messenger, _, _) => "messenger",
        (C::Telegram, _, P::Token) => "telegram.bot_token",
        (C::Telegram, _, P::ApiBase) => "telegram.api_base",
        (C::Telegram, _, P::Provider) => "telegram.mode",
        (C::Telegram, _, _) => "telegram",
        (_, _, P::Account) => "sms.account_sid",
        (_, _, P::Token) => "sms.auth_token",
        (_, _, P::From) => "sms.from",
        (_, _, P::ApiBase) => "sms.api_base",
        (_, _, _) => "sms",
    }
}

/// The parts of the settings, for [`field`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Provider,
    Account,
    From,
    ApiBase,
    Token,
    AppSecret,
    VerifyToken,
    WabaId,
}

/// Which provider an input names for `channel`.
pub fn provider(channel: ChannelKind, input: &MessagingInput) -> Result<Provider, Invalid> {
    let named = input.provider.as_deref().map(str::trim).unwrap_or("");
    match channel {
        ChannelKind::WhatsApp => match named {
            "" | "cloud" => Ok(Provider::WhatsAppCloud),
            "twilio" => Ok(Provider::Twilio),
            _ => Err(Invalid {
                field: "whatsapp.provider",
                reason: "use \"cloud\" or \"twilio\"".into(),
            }),
        },
        ChannelKind::Sms => match named {
            "" | "twilio" => Ok(Provider::Twilio),
            _ => Err(Invalid {
                field: "sms.provider",
                reason: "use \"twilio\"".into(),
            }),
        },
        ChannelKind::Messenger => Ok(Provider::Messenger),
        ChannelKind::Telegram => Ok(Provider::Telegram),
        ChannelKind::Api | ChannelKind::Email | ChannelKind::Website => Err(Invalid {
            field: "channel",
            reason: "this channel has no messaging settings".into(),
        }),
    }
}

/// Reads an account id: digits for Meta ids, `AC` + 32 hex for a Twilio account SID.
pub fn account(
    channel: ChannelKind,
    provider: Provider,
    raw: Option<&str>,
) -> Result<String, Invalid> {
    let f = field(channel, provider, Part::Account);
    let v = raw.map(str::trim).unwrap_or("");
    let bad = |reason: &str| {
        Err(Invalid {
            field: f,
            reason: reason.into(),
        })
    };
    match provider {
        Provider::Telegram => Ok(String::new()),
        _ if v.is_empty() => bad("is required"),
        Provider::Twilio
            if !(v.len() == 34
                && v.starts_with("AC")
                && v[2..].chars().all(|c| c.is_ascii_hexdigit())) =>
        {
            bad("must be the account SID: AC followed by 32 hexadecimal characters")
        }
        Provider::WhatsAppCloud | Provider::Messenger
            if v.len() > 40 || !v.chars().all(|c| c.is_ascii_digit()) =>
        {
            bad("must be the numeric id shown in Meta's console")
        }
        _ => Ok(v.to_string()),
    }
}

/// Reads a WhatsApp Business Account id: empty (none) or the numeric id shown in
/// Meta's console.
pub fn waba_id(raw: &str) -> Result<String, Invalid> {
    let v = raw.trim();
    if v.len() > 40 || !v.chars().all(|c| c.is_ascii_digit()) {
        return Err(Invalid {
            field: "whatsapp.waba_id",
            reason: "must be the numeric id shown in Meta's console".into(),
        });
    }
    Ok(v.to_string())
}

/// Reads a Twilio sender: a number (made E.164), `MG…` (a messaging service) or an RCS
/// sender id (`rcs:…`), as Twilio accepts in `From`.
pub fn twilio_from(channel: ChannelKind, raw: Option<&str>) -> Result<String, Invalid> {
    let f = field(channel, Provider::Twilio, Part::From);
    let v = raw.map(str::trim).unwrap_or("");
    let v = v.strip_prefix("whatsapp:").unwrap_or(v);
    if v.is_empty() {
        return Err(Invalid {
            field: f,
            reason: "is required".into(),
        });
    }
    if v.starts_with("MG") || v.starts_with("rcs:") {
        return Ok(v.to_string());
    }
    super::contact::e164(f, v)
}

/// A secret that must be given: non-empty, no surrounding space, bounded.
pub fn secret(field: &'static str, raw: &str) -> Result<String, Invalid> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(Invalid {
            field,
            reason: "is required".into(),
        });
    }
    if v.len() > 1000 || v.chars().any(char::is_control) {
        return Err(Invalid {
            field,
            reason: "is not a valid token".into(),
        });
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_named_after_the_channel_and_provider() {
        let f = |c, p, w| field(c, p, w);
        assert_eq!(
            f(
                ChannelKind::WhatsApp,
                Provider::WhatsAppCloud,
                Part::Account
            ),
            "whatsapp.phone_number_id"
        );
        assert_eq!(
            f(ChannelKind::WhatsApp, Provider::Twilio, Part::Token),
            "whatsapp.auth_token"
        );
        assert_eq!(
            f(ChannelKind::Sms, Provider::Twilio, Part::From),
            "sms.from"
        );
        assert_eq!(
            f(ChannelKind::Messenger, Provider::Messenger, Part::Account),
            "messenger.page_id"
        );
        assert_eq!(
            f(ChannelKind::Telegram, Provider::Telegram, Part::Token),
            "telegram.bot_token"
        );
    }

    #[test]
    fn accounts_and_senders_are_checked() {
        let sid = "AC0123456789abcdef0123456789abcdef";
        assert_eq!(
            account(ChannelKind::Sms, Provider::Twilio, Some(sid)).unwrap(),
            sid
        );
        let e = account(ChannelKind::Sms, Provider::Twilio, Some("AC12")).unwrap_err();
        assert_eq!(e.field, "sms.account_sid");
        let e = account(ChannelKind::WhatsApp, Provider::WhatsAppCloud, Some("12ab")).unwrap_err();
        assert_eq!(e.field, "whatsapp.phone_number_id");
        assert_eq!(waba_id(" 102290129340398 ").unwrap(), "102290129340398");
        assert_eq!(waba_id("").unwrap(), "");
        assert_eq!(waba_id("1022-x").unwrap_err().field, "whatsapp.waba_id");
        assert_eq!(
            twilio_from(ChannelKind::Sms, Some("+1 415 523 8886")).unwrap(),
            "+14155238886"
        );
        assert_eq!(
            twilio_from(ChannelKind::WhatsApp, Some("whatsapp:+14155238886")).unwrap(),
            "+14155238886"
        );
        assert_eq!(
            twilio_from(ChannelKind::Sms, Some("4155238886"))
                .unwrap_err()
                .field,
            "sms.from"
        );
        let input = MessagingInput {
            provider: Some("carrier-pigeon".into()),
            ..MessagingInput::default()
        };
        assert_eq!(
            provider(ChannelKind::WhatsApp, &input).unwrap_err().field,
            "whatsapp.provider"
        );
    }
}

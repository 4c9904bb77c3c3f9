//! The messaging part of the inbox form (WhatsApp, SMS, Messenger, Telegram): each
//! channel's fields under its own prefix (`whatsapp_phone_number_id`), read into the
//! service's input, shown back as typed, secrets never; and where to paste the webhook
//! URL in the provider's console.

use super::email_form::{InboxForm, ticked};
use super::messaging_specs::SPECS;
use crate::domain::ChannelKind;
use crate::domain::messaging::{MessagingInput, MessagingSettings, Provider};

/// One input as the page shows it.
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    /// Empty for secrets: they are never shown back.
    pub value: String,
    pub secret: bool,
    /// A secret is stored: an empty input keeps it.
    pub set: bool,
    pub placeholder: &'static str,
    pub hint: &'static str,
}

/// The messaging sections of the form: values as stored or typed, never a secret.
#[derive(Debug, Clone, Default)]
pub struct MessagingForm {
    /// The edit page's channel, the only section shown; empty on the new-inbox form.
    pub only: String,
    /// `cloud` or `twilio`.
    pub whatsapp_provider: String,
    pub human_agent_tag: bool,
    /// `poll` or `webhook`.
    pub telegram_mode: String,
    /// Input name → value, for the inputs that are not secrets.
    values: Vec<(&'static str, String)>,
    /// The secret inputs with a stored value.
    set: Vec<&'static str>,
}

impl MessagingForm {
    /// The new-inbox form's starting values.
    pub fn new_form() -> Self {
        MessagingForm {
            whatsapp_provider: "cloud".into(),
            telegram_mode: "poll".into(),
            ..MessagingForm::default()
        }
    }

    /// A stored inbox's settings, for its edit page.
    pub fn from_settings(channel: ChannelKind, m: &MessagingSettings) -> Self {
        let p = channel.as_str();
        let mut f = MessagingForm {
            only: p.into(),
            whatsapp_provider: if m.provider == Provider::Twilio {
                "twilio"
            } else {
                "cloud"
            }
            .into(),
            human_agent_tag: m.human_agent_tag,
            telegram_mode: m.telegram_mode.as_str().into(),
            ..MessagingForm::default()
        };
        let twilio = m.provider == Provider::Twilio;
        let (account, token) = match (channel, twilio) {
            (ChannelKind::WhatsApp, false) => ("phone_number_id", "access_token"),
            (ChannelKind::Messenger, _) => ("page_id", "page_access_token"),
            (ChannelKind::Telegram, _) => ("", "bot_token"),
            _ => ("account_sid", "auth_token"),
        };
        let name = |suffix: &str| {
            SPECS
                .iter()
                .find(|s| s.name.strip_prefix(p).and_then(|n| n.strip_prefix('_')) == Some(suffix))
                .map(|s| s.name)
        };
        let mut value = |suffix: &str, v: &str| {
            if let Some(n) = name(suffix) {
                f.values.push((n, v.to_string()));
            }
        };
        value(account, &m.account);
        value("api_base", &m.api_base);
        if channel == ChannelKind::WhatsApp && !twilio {
            value("waba_id", &m.waba_id);
        }
        if twilio {
            value("from", &m.from);
        }
        for (suffix, sealed) in [
            (token, &m.token_sealed),
            ("app_secret", &m.app_secret_sealed),
            ("verify_token", &m.verify_token_sealed),
        ] {
            if let Some(n) = name(suffix).filter(|_| !sealed.is_empty()) {
                f.set.push(n);
            }
        }
        f
    }

    /// Whether the page shows `channel`'s section.
    pub fn shows(&self, channel: &str) -> bool {
        self.only.is_empty() || self.only == channel
    }

    /// The inputs of one part of the form.
    pub fn fields(&self, group: &str) -> Vec<FieldView> {
        SPECS
            .iter()
            .filter(|s| s.group == group)
            .map(|s| FieldView {
                name: s.name,
                label: s.label,
                value: if s.secret {
                    String::new()
                } else {
                    self.value(s.name).to_string()
                },
                secret: s.secret,
                set: self.set.contains(&s.name),
                placeholder: s.placeholder,
                hint: s.hint,
            })
            .collect()
    }

    /// Whether `channel`'s advanced part starts open (a base URL is set).
    pub fn advanced_open(&self, channel: &str) -> bool {
        SPECS
            .iter()
            .filter(|s| s.group == format!("{channel}_base"))
            .any(|s| !self.value(s.name).is_empty())
    }

    fn value(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

impl InboxForm {
    fn field(&self, name: &str) -> &str {
        match name {
            "whatsapp_phone_number_id" => &self.whatsapp_phone_number_id,
            "whatsapp_access_token" => &self.whatsapp_access_token,
            "whatsapp_app_secret" => &self.whatsapp_app_secret,
            "whatsapp_verify_token" => &self.whatsapp_verify_token,
            "whatsapp_account_sid" => &self.whatsapp_account_sid,
            "whatsapp_auth_token" => &self.whatsapp_auth_token,
            "whatsapp_from" => &self.whatsapp_from,
            "whatsapp_api_base" => &self.whatsapp_api_base,
            "whatsapp_waba_id" => &self.whatsapp_waba_id,
            "sms_account_sid" => &self.sms_account_sid,
            "sms_auth_token" => &self.sms_auth_token,
            "sms_from" => &self.sms_from,
            "sms_api_base" => &self.sms_api_base,
            "messenger_page_id" => &self.messenger_page_id,
            "messenger_page_access_token" => &self.messenger_page_access_token,
            "messenger_app_secret" => &self.messenger_app_secret,
            "messenger_verify_token" => &self.messenger_verify_token,
            "messenger_api_base" => &self.messenger_api_base,
            "telegram_bot_token" => &self.telegram_bot_token,
            "telegram_api_base" => &self.telegram_api_base,
            _ => "",
        }
    }

    /// The settings typed for `channel` (an empty secret keeps the stored one, under
    /// the service's binding rule); `webhook_base` is this site's public origin.
    pub fn messaging_input(&self, channel: ChannelKind, webhook_base: String) -> MessagingInput {
        let given = |v: &str| Some(v.to_string());
        let mut input = MessagingInput {
            webhook_base,
            ..MessagingInput::default()
        };
        match channel {
            ChannelKind::WhatsApp if self.whatsapp_provider.trim() == "twilio" => {
                input.provider = given("twilio");
                input.account = given(&self.whatsapp_account_sid);
                input.token = given(&self.whatsapp_auth_token);
                input.from = given(&self.whatsapp_from);
                input.api_base = given(&self.whatsapp_api_base);
            }
            ChannelKind::WhatsApp => {
                input.provider = given(&self.whatsapp_provider);
                input.account = given(&self.whatsapp_phone_number_id);
                input.token = given(&self.whatsapp_access_token);
                input.app_secret = given(&self.whatsapp_app_secret);
                input.verify_token = given(&self.whatsapp_verify_token);
                input.api_base = given(&self.whatsapp_api_base);
                input.waba_id = given(&self.whatsapp_waba_id);
            }
            ChannelKind::Sms => {
                input.account = given(&self.sms_account_sid);
                input.token = given(&self.sms_auth_token);
                input.from = given(&self.sms_from);
                input.api_base = given(&self.sms_api_base);
            }
            ChannelKind::Messenger => {
                input.account = given(&self.messenger_page_id);
                input.token = given(&self.messenger_page_access_token);
                input.app_secret = given(&self.messenger_app_secret);
                input.verify_token = given(&self.messenger_verify_token);
                input.human_agent_tag = Some(ticked(&self.messenger_human_agent_tag));
                input.api_base = given(&self.messenger_api_base);
            }
            ChannelKind::Telegram => {
                input.token = given(&self.telegram_bot_token);
                input.mode = given(&self.telegram_mode);
                input.api_base = given(&self.telegram_api_base);
            }
            ChannelKind::Api | ChannelKind::Email | ChannelKind::Website => {}
        }
        input
    }

    /// The messaging sections as typed, over what is stored (which secrets are set).
    pub fn messaging_form(&self, stored: Option<&MessagingForm>) -> MessagingForm {
        let or = |v: &str, d: &str| {
            if v.trim().is_empty() {
                d.to_string()
            } else {
                v.to_string()
            }
        };
        MessagingForm {
            only: stored.map(|s| s.only.clone()).unwrap_or_default(),
            whatsapp_provider: or(&self.whatsapp_provider, "cloud"),
            human_agent_tag: ticked(&self.messenger_human_agent_tag),
            telegram_mode: or(&self.telegram_mode, "poll"),
            values: SPECS
                .iter()
                .filter(|s| !s.secret)
                .map(|s| (s.name, self.field(s.name).to_string()))
                .collect(),
            set: stored.map(|s| s.set.clone()).unwrap_or_default(),
        }
    }

    /// Whether a messaging secret was typed (it is not shown again).
    pub fn typed_secrets(&self) -> bool {
        SPECS
            .iter()
            .any(|s| s.secret && !self.field(s.name).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::super::messaging_specs::label;
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> InboxForm {
        serde_html_form::from_str(&serde_urlencoded::to_string(pairs).unwrap()).unwrap()
    }

    #[test]
    fn each_channel_reads_its_own_prefixed_fields() {
        let f = form(&[
            ("whatsapp_provider", "twilio"),
            ("whatsapp_phone_number_id", "123"),
            ("whatsapp_account_sid", "AC1"),
            ("whatsapp_auth_token", "tok"),
            ("whatsapp_from", "+1 415"),
            ("sms_account_sid", "AC2"),
            ("messenger_page_id", "77"),
            ("messenger_human_agent_tag", "on"),
            ("telegram_mode", "webhook"),
        ]);
        let w = f.messaging_input(ChannelKind::WhatsApp, "http://x".into());
        assert_eq!(w.provider.as_deref(), Some("twilio"));
        assert_eq!(w.account.as_deref(), Some("AC1"));
        assert_eq!(w.token.as_deref(), Some("tok"));
        assert_eq!(w.webhook_base, "http://x");
        let s = f.messaging_input(ChannelKind::Sms, String::new());
        assert_eq!(s.account.as_deref(), Some("AC2"));
        assert_eq!(s.token.as_deref(), Some(""), "empty: the stored one");
        let m = f.messaging_input(ChannelKind::Messenger, String::new());
        assert_eq!(
            (m.account.as_deref(), m.human_agent_tag),
            (Some("77"), Some(true))
        );
        let t = f.messaging_input(ChannelKind::Telegram, String::new());
        assert_eq!(t.mode.as_deref(), Some("webhook"));
        assert!(f.typed_secrets());
        let shown = f.messaging_form(None);
        assert!(
            shown
                .fields("whatsapp_twilio")
                .iter()
                .all(|x| !x.secret || x.value.is_empty())
        );
        assert_eq!(shown.value("whatsapp_from"), "+1 415");
    }

    #[test]
    fn the_cloud_api_form_reads_and_shows_the_waba_id() {
        let f = form(&[
            ("whatsapp_provider", "cloud"),
            ("whatsapp_phone_number_id", "106540352242922"),
            ("whatsapp_waba_id", "102290129340398"),
        ]);
        let w = f.messaging_input(ChannelKind::WhatsApp, String::new());
        assert_eq!(w.waba_id.as_deref(), Some("102290129340398"));
        assert_eq!(
            f.messaging_form(None).value("whatsapp_waba_id"),
            "102290129340398"
        );
        assert_eq!(label("whatsapp.waba_id"), Some("wasync-f-waba-id"));
    }

    #[test]
    fn field_codes_have_labels() {
        assert_eq!(
            label("whatsapp.phone_number_id"),
            Some("inboxes-f-phone-number-id")
        );
        assert_eq!(
            label("messenger.page_access_token"),
            Some("inboxes-f-page-access-token")
        );
        assert_eq!(label("sms.from"), Some("inboxes-f-sender"));
        assert_eq!(label("telegram.mode"), Some("inboxes-f-telegram-mode"));
        assert_eq!(label("email.imap.port"), None);
    }
}

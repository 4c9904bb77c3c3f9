//! The inbox form's fields: parsed into the service's input (ports and the poll interval
//! checked here, everything else by the service, as for the API), and shown back when
//! the form is refused or tested, passwords excepted.

use crate::domain::validate::Invalid;
use crate::i18n::{Arg, L10n};
use crate::service::{EmailInput, ServerInput, ServiceError};
use crate::web::error::{WebError, invalid_msg, refusal_msg};
use crate::web::views::{EmailForm, FormError, InboxFormValues};
use serde::Deserialize;

/// The inbox form: name, channel and members; the webhook URL of API inboxes; the
/// settings of email inboxes (flat names such as `imap_host`).
#[derive(Deserialize, Default)]
pub struct InboxForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub member_ids: Vec<String>,
    #[serde(default)]
    pub channel: String,
    /// Absent (email inboxes): left as it is.
    pub webhook_url: Option<String>,
    /// The inbox's language (`""`: the installation's); absent: left as it is.
    pub language: Option<String>,
    #[serde(default)]
    imap_host: String,
    #[serde(default)]
    imap_port: String,
    #[serde(default)]
    imap_security: String,
    #[serde(default)]
    imap_username: String,
    #[serde(default)]
    imap_password: String,
    #[serde(default)]
    imap_folder: String,
    #[serde(default)]
    smtp_host: String,
    #[serde(default)]
    smtp_port: String,
    #[serde(default)]
    smtp_security: String,
    #[serde(default)]
    smtp_username: String,
    #[serde(default)]
    smtp_password: String,
    #[serde(default)]
    from_name: String,
    #[serde(default)]
    from_address: String,
    #[serde(default)]
    poll_seconds: String,
    /// Checkboxes: present when ticked.
    mark_seen: Option<String>,
    reply_to_plus_address: Option<String>,
    #[serde(default)]
    signature: String,
    /// Website inboxes (see `website_form.rs`).
    #[serde(default)]
    pub(super) allowed_origins: String,
    #[serde(default)]
    pub(super) greeting: String,
    #[serde(default)]
    pub(super) color: String,
    #[serde(default)]
    pub(super) prechat: String,
    #[serde(default)]
    pub(super) identity_secret: String,
    pub(super) identity_off: Option<String>,
    #[serde(default)]
    pub(super) reply_email_inbox_id: String,
    /// The website section's "visitors may send files" box (absent: unticked).
    pub(super) visitor_files: Option<String>,
    /// Messaging inboxes (see `messaging_form.rs`): each channel's fields under its
    /// own prefix, so a page without script can show every section at once.
    #[serde(default)]
    pub(super) whatsapp_provider: String,
    #[serde(default)]
    pub(super) whatsapp_phone_number_id: String,
    #[serde(default)]
    pub(super) whatsapp_access_token: String,
    #[serde(default)]
    pub(super) whatsapp_app_secret: String,
    #[serde(default)]
    pub(super) whatsapp_verify_token: String,
    #[serde(default)]
    pub(super) whatsapp_account_sid: String,
    #[serde(default)]
    pub(super) whatsapp_auth_token: String,
    #[serde(default)]
    pub(super) whatsapp_from: String,
    #[serde(default)]
    pub(super) whatsapp_api_base: String,
    #[serde(default)]
    pub(super) whatsapp_waba_id: String,
    #[serde(default)]
    pub(super) sms_account_sid: String,
    #[serde(default)]
    pub(super) sms_auth_token: String,
    #[serde(default)]
    pub(super) sms_from: String,
    #[serde(default)]
    pub(super) sms_api_base: String,
    #[serde(default)]
    pub(super) messenger_page_id: String,
    #[serde(default)]
    pub(super) messenger_page_access_token: String,
    #[serde(default)]
    pub(super) messenger_app_secret: String,
    #[serde(default)]
    pub(super) messenger_verify_token: String,
    #[serde(default)]
    pub(super) messenger_api_base: String,
    #[serde(default)]
    pub(super) telegram_bot_token: String,
    #[serde(default)]
    pub(super) telegram_mode: String,
    #[serde(default)]
    pub(super) telegram_api_base: String,
    pub(super) messenger_human_agent_tag: Option<String>,
}

fn port(field: &'static str, raw: &str) -> Result<u16, Invalid> {
    let raw = raw.trim();
    raw.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| Invalid {
            field,
            reason: format!("must be a port number from 1 to 65535, not {raw:?}"),
        })
}

pub(super) fn ticked(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|v| !v.is_empty() && v != "off")
}

impl InboxForm {
    /// The email settings typed in the form (an empty password keeps the stored one).
    pub fn email_input(&self) -> Result<EmailInput, Invalid> {
        let poll_seconds = match self.poll_seconds.trim() {
            "" => None,
            raw => Some(raw.parse::<u64>().map_err(|_| Invalid {
                field: "poll_seconds",
                reason: format!("must be a number of seconds, not {raw:?}"),
            })?),
        };
        let side =
            |host: &str, port: u16, security: &str, user: &str, password: &str| ServerInput {
                host: host.to_string(),
                port,
                security: security.to_string(),
                username: user.to_string(),
                password: Some(password.to_string()).filter(|p| !p.is_empty()),
            };
        Ok(EmailInput {
            imap: side(
                &self.imap_host,
                port("email.imap.port", &self.imap_port)?,
                &self.imap_security,
                &self.imap_username,
                &self.imap_password,
            ),
            folder: self.imap_folder.clone(),
            smtp: side(
                &self.smtp_host,
                port("email.smtp.port", &self.smtp_port)?,
                &self.smtp_security,
                &self.smtp_username,
                &self.smtp_password,
            ),
            from_name: self.from_name.clone(),
            from_address: self.from_address.clone(),
            poll_seconds,
            mark_seen: ticked(&self.mark_seen),
            reply_to_plus_address: ticked(&self.reply_to_plus_address),
            signature: self.signature.clone(),
        })
    }

    /// The settings as typed, to show the form again; `stored` says which passwords
    /// are stored (an empty password field keeps them).
    pub fn email_form(&self, stored: Option<&EmailForm>) -> EmailForm {
        EmailForm {
            imap_host: self.imap_host.clone(),
            imap_port: self.imap_port.clone(),
            imap_security: self.imap_security.clone(),
            imap_username: self.imap_username.clone(),
            imap_folder: self.imap_folder.clone(),
            imap_password_set: stored.is_some_and(|s| s.imap_password_set),
            smtp_host: self.smtp_host.clone(),
            smtp_port: self.smtp_port.clone(),
            smtp_security: self.smtp_security.clone(),
            smtp_username: self.smtp_username.clone(),
            smtp_password_set: stored.is_some_and(|s| s.smtp_password_set),
            from_name: self.from_name.clone(),
            from_address: self.from_address.clone(),
            poll_seconds: self.poll_seconds.clone(),
            mark_seen: ticked(&self.mark_seen),
            reply_to_plus_address: ticked(&self.reply_to_plus_address),
            signature: self.signature.clone(),
        }
    }

    /// Name, channel and webhook URL as typed.
    pub fn values(&self) -> InboxFormValues {
        InboxFormValues {
            name: self.name.clone(),
            channel: self.channel.clone(),
            webhook_url: self.webhook_url.clone().unwrap_or_default(),
        }
    }

    /// Whether a password was typed (it is not shown again).
    pub fn typed_passwords(&self) -> bool {
        !self.imap_password.is_empty() || !self.smtp_password.is_empty() || self.typed_secrets()
    }
}

/// The name of the input a service field code is about (`email.imap.port` → `imap_port`).
fn input_name(field: &str) -> String {
    match field {
        "email" => String::new(),
        f => f.strip_prefix("email.").unwrap_or(f).replace('.', "_"),
    }
}

/// The catalog key of a field code's name; `None` for codes the catalog's refusals
/// name themselves (`name`).
fn label(field: &str) -> Option<&'static str> {
    if let Some(l) = super::messaging_specs::label(field) {
        return Some(l);
    }
    Some(match field {
        "email" => "inboxes-f-email",
        "email.imap.host" => "inboxes-f-imap-host",
        "email.imap.port" => "inboxes-f-imap-port",
        "email.imap.security" => "inboxes-f-imap-security",
        "email.imap.folder" => "inboxes-f-imap-folder",
        "email.smtp.host" => "inboxes-f-smtp-host",
        "email.smtp.port" => "inboxes-f-smtp-port",
        "email.smtp.security" => "inboxes-f-smtp-security",
        "email.imap.password" => "inboxes-f-imap-password",
        "email.smtp.password" => "inboxes-f-smtp-password",
        "email.from_address" => "inboxes-f-from-address",
        "email.signature" => "signature-inbox",
        "poll_seconds" => "inboxes-f-poll-seconds",
        "channel" => "inboxes-f-channel",
        "webhook_url" => "inboxes-f-webhook-url",
        "member_ids" => "inboxes-f-members",
        "website" => "inboxes-f-website",
        "website.allowed_origins" => "inboxes-f-allowed-origins",
        "website.greeting" => "inboxes-f-greeting",
        "website.color" => "inboxes-f-color",
        "website.prechat" => "inboxes-f-prechat",
        "website.reply_email_inbox_id" => "inboxes-f-reply-email-inbox",
        "website.identity_secret" => "inboxes-f-identity-secret",
        _ => return None,
    })
}

/// A refusal the form can show next to its fields (invalid input, a conflict), in
/// `l`'s language; any other failure stays an error page.
pub fn form_error(l: &L10n, e: ServiceError) -> Result<FormError, WebError> {
    match e {
        ServiceError::Invalid(i) => {
            let mut m = invalid_msg(&i);
            if let Some(key) = label(i.field) {
                for (name, value) in &mut m.args {
                    if *name == "field" {
                        *value = Arg::Str(l.t(key));
                    }
                }
            }
            Ok(FormError {
                field: input_name(i.field),
                message: l.msg(&m),
            })
        }
        ServiceError::Conflict(m) => Ok(FormError {
            field: String::new(),
            message: l.msg(&refusal_msg(m)),
        }),
        other => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> InboxForm {
        serde_html_form::from_str(&serde_urlencoded::to_string(pairs).unwrap()).unwrap()
    }

    #[test]
    fn ports_and_intervals_are_checked_and_named() {
        let f = form(&[("imap_port", "99999"), ("smtp_port", "587")]);
        assert_eq!(f.email_input().unwrap_err().field, "email.imap.port");
        let f = form(&[("imap_port", "993"), ("smtp_port", "")]);
        assert_eq!(f.email_input().unwrap_err().field, "email.smtp.port");
        let f = form(&[
            ("imap_port", "993"),
            ("smtp_port", "587"),
            ("poll_seconds", "soon"),
        ]);
        assert_eq!(f.email_input().unwrap_err().field, "poll_seconds");
        let f = form(&[
            ("imap_port", " 993 "),
            ("smtp_port", "587"),
            ("imap_password", ""),
            ("smtp_password", "pw"),
            ("mark_seen", "on"),
        ]);
        let e = f.email_input().unwrap();
        assert_eq!((e.imap.port, e.poll_seconds), (993, None));
        assert_eq!(e.imap.password, None, "empty keeps the stored one");
        assert_eq!(e.smtp.password.as_deref(), Some("pw"));
        assert!(e.mark_seen && !e.reply_to_plus_address);
        assert!(f.typed_passwords());
    }

    #[test]
    fn errors_name_the_field_people_see() {
        let e = form_error(
            &L10n::english(),
            ServiceError::Invalid(Invalid {
                field: "email.imap.port",
                reason: "must be a port number".into(),
            }),
        )
        .unwrap();
        assert_eq!(e.field, "imap_port");
        assert_eq!(e.message, "IMAP port: must be a port number");
        let es = L10n::new(crate::i18n::Lang::Es, "UTC");
        let e = form_error(
            &es,
            ServiceError::Invalid(Invalid {
                field: "email.imap.host",
                reason: "must not be empty".into(),
            }),
        )
        .unwrap();
        assert_eq!(e.message, "Servidor IMAP: no puede estar vacío");
        let e = form_error(&es, ServiceError::Conflict("only API inboxes have a token")).unwrap();
        assert_eq!(e.message, "Solo las bandejas de API tienen token.");
        let e = form_error(
            &L10n::english(),
            ServiceError::Invalid(Invalid {
                field: "email.smtp.password",
                reason: "type the password again: the host changed".into(),
            }),
        )
        .unwrap();
        assert_eq!(e.field, "smtp_password");
        assert_eq!(
            e.message,
            "SMTP password: type the password again: the host changed"
        );
        let e = form_error(
            &L10n::english(),
            ServiceError::Invalid(Invalid {
                field: "channel",
                reason: "unknown".into(),
            }),
        )
        .unwrap();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("channel", "Channel: unknown")
        );
        assert!(form_error(&L10n::english(), ServiceError::NotAllowed).is_err());
    }
}

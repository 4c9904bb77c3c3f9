//! Website inbox settings as admins give them: validated, the identity secret sealed and
//! never shown back, the public key minted once.

use super::{Result, ServiceError, Services, random_token};
use crate::domain::website::{self, Prechat, WebsiteSettings};
use crate::domain::{ChannelKind, InboxId};

/// Website settings as typed in a form or sent to the API; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct WebsiteInput {
    pub allowed_origins: Option<Vec<String>>,
    pub greeting: Option<String>,
    pub color: Option<String>,
    pub prechat: Option<String>,
    /// Plain text; `Some("")` turns identity verification off.
    pub identity_secret: Option<String>,
    /// `Some(None)` clears it.
    pub reply_email_inbox: Option<Option<InboxId>>,
    /// Whether visitors may send files from the widget.
    pub visitor_files: Option<bool>,
}

/// The colour a new widget gets.
pub const DEFAULT_COLOR: &str = "#4f46e5";

impl Services {
    /// Validates `input` over `old` (None when creating).
    pub(super) fn website_settings(
        &self,
        input: WebsiteInput,
        old: Option<&WebsiteSettings>,
    ) -> Result<WebsiteSettings> {
        let allowed_origins = match input.allowed_origins {
            Some(o) => website::origins(&o)?,
            None => old.map(|o| o.allowed_origins.clone()).unwrap_or_default(),
        };
        let greeting = match input.greeting {
            Some(g) => website::greeting(&g)?,
            None => old
                .map(|o| o.greeting.clone())
                .unwrap_or_else(|| "Hi! How can we help?".into()),
        };
        let color = match input.color.filter(|c| !c.trim().is_empty()) {
            Some(c) => website::color(&c)?,
            None => old
                .map(|o| o.color.clone())
                .unwrap_or_else(|| DEFAULT_COLOR.into()),
        };
        let prechat = match input.prechat {
            Some(p) => Prechat::parse(&p)?,
            None => old.map(|o| o.prechat).unwrap_or(Prechat::Off),
        };
        let identity_secret_sealed = match input.identity_secret {
            Some(s) if s.trim().is_empty() => String::new(),
            Some(s) => {
                if s.trim().len() < 16 {
                    return Err(crate::domain::validate::Invalid {
                        field: "website.identity_secret",
                        reason: "must be at least 16 characters".into(),
                    }
                    .into());
                }
                self.keys.seal(s.trim())?
            }
            None => old
                .map(|o| o.identity_secret_sealed.clone())
                .unwrap_or_default(),
        };
        let reply_email_inbox = match input.reply_email_inbox {
            Some(Some(id)) => {
                let dir = self.directory();
                match dir.inbox(id) {
                    Some(i) if i.channel == ChannelKind::Email => Some(id),
                    _ => {
                        return Err(ServiceError::Invalid(crate::domain::validate::Invalid {
                            field: "website.reply_email_inbox_id",
                            reason: "must be the id of an email inbox".into(),
                        }));
                    }
                }
            }
            Some(None) => None,
            None => old.and_then(|o| o.reply_email_inbox),
        };
        Ok(WebsiteSettings {
            key: old
                .map(|o| o.key.clone())
                .unwrap_or_else(|| random_token(16)),
            allowed_origins,
            greeting,
            color,
            prechat,
            identity_secret_sealed,
            reply_email_inbox,
            visitor_files_off: match input.visitor_files {
                Some(on) => !on,
                None => old.is_some_and(|o| o.visitor_files_off),
            },
        })
    }
}

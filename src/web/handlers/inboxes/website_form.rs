//! The website inbox part of the inbox form: allowed origins, look, pre-chat, identity
//! verification secret (never shown back) and the email inbox that answers offline
//! visitors.

use super::email_form::InboxForm;
use crate::domain::InboxId;
use crate::domain::validate::Invalid;
use crate::domain::website::WebsiteSettings;
use crate::service::website::{DEFAULT_COLOR, WebsiteInput};

/// A website inbox's settings as the form shows them.
#[derive(Debug, Clone)]
pub struct WebsiteForm {
    /// One origin per line.
    pub allowed_origins: String,
    pub greeting: String,
    pub color: String,
    pub prechat: String,
    pub identity_set: bool,
    /// The reply email inbox id, empty for none.
    pub reply_email_inbox: String,
    pub visitor_files: bool,
}

impl Default for WebsiteForm {
    fn default() -> Self {
        WebsiteForm {
            allowed_origins: String::new(),
            greeting: "Hi! How can we help?".into(),
            color: DEFAULT_COLOR.into(),
            prechat: "off".into(),
            identity_set: false,
            reply_email_inbox: String::new(),
            visitor_files: true,
        }
    }
}

impl WebsiteForm {
    pub fn from_settings(w: &WebsiteSettings) -> Self {
        WebsiteForm {
            allowed_origins: w.allowed_origins.join("\n"),
            greeting: w.greeting.clone(),
            color: w.color.clone(),
            prechat: w.prechat.as_str().into(),
            identity_set: !w.identity_secret_sealed.is_empty(),
            reply_email_inbox: w
                .reply_email_inbox
                .map(|i| i.0.to_string())
                .unwrap_or_default(),
            visitor_files: !w.visitor_files_off,
        }
    }
}

impl InboxForm {
    /// The website settings as typed.
    pub fn website_input(&self) -> Result<WebsiteInput, Invalid> {
        let reply = match self.reply_email_inbox_id.trim() {
            "" => None,
            s => Some(InboxId(s.parse().map_err(|_| Invalid {
                field: "website.reply_email_inbox_id",
                reason: "must be one of the email inboxes".into(),
            })?)),
        };
        Ok(WebsiteInput {
            allowed_origins: Some(vec![self.allowed_origins.clone()]),
            greeting: Some(self.greeting.clone()),
            color: Some(self.color.clone()),
            prechat: Some(self.prechat.clone()),
            identity_secret: if self.identity_off.is_some() {
                Some(String::new())
            } else {
                Some(self.identity_secret.clone()).filter(|s| !s.trim().is_empty())
            },
            reply_email_inbox: Some(reply),
            visitor_files: Some(self.visitor_files.is_some()),
        })
    }

    /// The website part as submitted, over what is stored (for a form shown again).
    pub fn website_form(&self, stored: Option<&WebsiteForm>) -> WebsiteForm {
        WebsiteForm {
            allowed_origins: self.allowed_origins.clone(),
            greeting: self.greeting.clone(),
            color: if self.color.is_empty() {
                DEFAULT_COLOR.into()
            } else {
                self.color.clone()
            },
            prechat: self.prechat.clone(),
            identity_set: stored.is_some_and(|s| s.identity_set) && self.identity_off.is_none(),
            reply_email_inbox: self.reply_email_inbox_id.clone(),
            visitor_files: self.visitor_files.is_some(),
        }
    }
}

//! Email inbox settings as admins give them: validated, passwords sealed, an empty
//! password on an update keeping the stored one.

use super::{Result, Services};
use crate::domain::email::{self, EmailSettings, Security, Server};
use crate::domain::validate::{self, Invalid};

/// One side (IMAP or SMTP) as typed in a form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct ServerInput {
    pub host: String,
    pub port: u16,
    pub security: String,
    pub username: String,
    /// Plain text; `None` or empty keeps the stored one.
    pub password: Option<String>,
}

/// Email settings as typed in a form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct EmailInput {
    pub imap: ServerInput,
    pub folder: String,
    pub smtp: ServerInput,
    pub from_name: String,
    pub from_address: String,
    pub poll_seconds: Option<u64>,
    pub mark_seen: bool,
    pub reply_to_plus_address: bool,
}

impl Services {
    fn server(&self, side: &'static str, s: ServerInput, old: Option<&Server>) -> Result<Server> {
        let field = |f: &'static str| -> &'static str {
            match (side, f) {
                ("imap", "host") => "email.imap.host",
                ("imap", "port") => "email.imap.port",
                ("imap", "security") => "email.imap.security",
                ("smtp", "host") => "email.smtp.host",
                ("smtp", "port") => "email.smtp.port",
                _ => "email.smtp.security",
            }
        };
        if s.port == 0 {
            return Err(Invalid {
                field: field("port"),
                reason: "must be a port number".into(),
            }
            .into());
        }
        let password_sealed = match s.password.filter(|p| !p.is_empty()) {
            Some(p) => self.keys.seal(&p)?,
            None => old.map(|o| o.password_sealed.clone()).unwrap_or_default(),
        };
        Ok(Server {
            host: email::host(field("host"), &s.host)?,
            port: s.port,
            security: Security::parse(field("security"), &s.security)?,
            username: s.username.trim().to_string(),
            password_sealed,
        })
    }

    /// Validated settings, passwords sealed; `old` supplies passwords left empty.
    pub fn email_settings(
        &self,
        e: EmailInput,
        old: Option<&EmailSettings>,
    ) -> Result<EmailSettings> {
        let from_address = validate::email(&e.from_address).map_err(|mut i| {
            i.field = "email.from_address";
            i
        })?;
        let folder = match e.folder.trim() {
            "" => "INBOX".to_string(),
            f => validate::name("email.imap.folder", f, 200)?,
        };
        Ok(EmailSettings {
            imap: self.server("imap", e.imap, old.map(|o| &o.imap))?,
            folder,
            smtp: self.server("smtp", e.smtp, old.map(|o| &o.smtp))?,
            from_name: e.from_name.trim().chars().take(100).collect(),
            from_address,
            poll_seconds: email::poll_seconds(e.poll_seconds.unwrap_or(30))?,
            mark_seen: e.mark_seen,
            reply_to_plus_address: e.reply_to_plus_address,
        })
    }
}

//! Email inbox settings as admins give them: validated, passwords sealed, an empty
//! password on an update keeping the stored one only while host, port and user stay
//! the ones it was stored for (a stored password is never sent anywhere else, by
//! "Test connection" or by the poller and sender). "Test connection" and the poller's
//! health for the settings page.

use super::{MailHealth, Result, ServiceError, Services};
use crate::channels::imap::Account;
use crate::channels::mail_probe;
use crate::domain::email::{
    self, ConnectionReport, EmailSettings, Probe, ProbeStep, Security, Server,
};
use crate::domain::validate::{self, Invalid};
use crate::domain::{Agent, ChannelKind, InboxId};
use std::time::Duration;

/// How long "Test connection" may take on each side (both sides run at once).
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// One side (IMAP or SMTP) as typed in a form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct ServerInput {
    pub host: String,
    pub port: u16,
    pub security: String,
    pub username: String,
    /// Plain text; `None` or empty keeps the stored one, as long as host, port and
    /// user name are unchanged.
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
    /// The team's signature under every mail reply (Markdown; empty: none).
    pub signature: String,
}

/// What the settings page shows about an email inbox's poller.
#[derive(Debug, Clone, Default)]
pub struct MailStatus {
    /// Since this process started (kept in memory only).
    pub health: MailHealth,
    /// The folder's cursor: (UIDVALIDITY, highest UID stored); `None` before the first mail.
    pub cursor: Option<(u32, u32)>,
}

/// What differs between where a password was stored for and where it would now be
/// sent ("host", "port", "user name", or several joined with "and"); `None` when the
/// same. Host names compare without case, as DNS does. A move to an unencrypted
/// connection counts too: the password would cross the network in clear.
fn changed_identity(
    old: &Server,
    host: &str,
    port: u16,
    username: &str,
    security: Security,
) -> Option<String> {
    let mut what = Vec::new();
    if !old.host.eq_ignore_ascii_case(host) {
        what.push("host");
    }
    if old.port != port {
        what.push("port");
    }
    if old.username != username {
        what.push("user name");
    }
    if old.security != Security::None && security == Security::None {
        what.push("security (now unencrypted)");
    }
    (!what.is_empty()).then(|| what.join(" and "))
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
                ("imap", "password") => "email.imap.password",
                ("smtp", "password") => "email.smtp.password",
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
        let host = email::host(field("host"), &s.host)?;
        let security = Security::parse(field("security"), &s.security)?;
        let username = s.username.trim().to_string();
        let password_sealed = match (s.password.filter(|p| !p.is_empty()), old) {
            (Some(p), _) => self.keys.seal(&p)?,
            (None, Some(o)) if !o.password_sealed.is_empty() => {
                match changed_identity(o, &host, s.port, &username, security) {
                    None => o.password_sealed.clone(),
                    // No user: no password is sent, so none is kept for a new place.
                    Some(_) if username.is_empty() => String::new(),
                    Some(what) => {
                        return Err(Invalid {
                            field: field("password"),
                            reason: format!("type the password again: the {what} changed"),
                        }
                        .into());
                    }
                }
            }
            (None, _) => String::new(),
        };
        Ok(Server {
            host,
            port: s.port,
            security,
            username,
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
            signature: super::formatting::signature("email.signature", &e.signature)?,
        })
    }

    /// The stored settings of an email inbox (admins only).
    fn stored_email(&self, actor: &Agent, id: InboxId) -> Result<EmailSettings> {
        Self::require_admin(actor)?;
        let inbox = self.inbox(actor, id)?;
        match (inbox.channel, inbox.email) {
            (ChannelKind::Email, Some(e)) => Ok(e),
            _ => Err(ServiceError::Conflict(
                "only email inboxes have email settings",
            )),
        }
    }

    /// "Test connection" (admins only): tries the IMAP and SMTP servers of `input`, or of
    /// inbox `id` as stored when `input` is `None`. Passwords left empty in `input` are
    /// the ones stored on inbox `id`. Both sides run at once, each within 15 s; nothing
    /// is saved and the mailbox is not changed. Invalid settings are refused as on save.
    pub async fn test_email_connection(
        &self,
        actor: &Agent,
        id: Option<InboxId>,
        input: Option<EmailInput>,
    ) -> Result<ConnectionReport> {
        Self::require_admin(actor)?;
        let stored = match id {
            Some(id) => Some(self.stored_email(actor, id)?),
            None => None,
        };
        let settings = match (input, stored) {
            (Some(e), stored) => self.email_settings(e, stored.as_ref())?,
            (None, Some(s)) => s,
            (None, None) => {
                return Err(Invalid {
                    field: "email",
                    reason: "the IMAP and SMTP settings to test are missing".into(),
                }
                .into());
            }
        };
        let imap = async {
            let password = match self.password(&settings.imap) {
                Ok(p) => p,
                Err(probe) => return probe,
            };
            mail_probe::imap(
                &Account::of(&settings, &password),
                self.settings.outbound,
                PROBE_TIMEOUT,
            )
            .await
        };
        let smtp = async {
            match self.password(&settings.smtp) {
                Ok(p) => {
                    mail_probe::smtp(
                        &settings.smtp,
                        &p,
                        &settings.from_address,
                        self.settings.outbound,
                        PROBE_TIMEOUT,
                    )
                    .await
                }
                Err(probe) => probe,
            }
        };
        let (imap, smtp) = tokio::join!(imap, smtp);
        Ok(ConnectionReport { imap, smtp })
    }

    /// A side's stored password in plain text; a probe failure when it cannot be opened.
    fn password(&self, s: &Server) -> std::result::Result<String, Probe> {
        if s.password_sealed.is_empty() {
            return Ok(String::new());
        }
        self.keys.open(&s.password_sealed).map_err(|_| {
            Probe::failed(
                ProbeStep::Authentication,
                "the stored password cannot be decrypted (was the secret key changed?); type it again",
            )
        })
    }

    /// The poller's health and folder cursor of an email inbox (admins only).
    pub fn mail_status(&self, actor: &Agent, id: InboxId) -> Result<MailStatus> {
        let settings = self.stored_email(actor, id)?;
        Ok(MailStatus {
            health: self.mail_health.get(id),
            cursor: self.store.mail_cursor(id, &settings.folder)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_password_follows_only_its_host_port_user_and_encryption() {
        let old = Server {
            host: "imap.example.com".into(),
            port: 993,
            security: Security::Tls,
            username: "shop".into(),
            password_sealed: "sealed".into(),
        };
        let same = |h: &str, p, u: &str, s| changed_identity(&old, h, p, u, s);
        assert_eq!(same("IMAP.example.com", 993, "shop", Security::Tls), None);
        assert_eq!(
            same("imap.example.com", 993, "shop", Security::StartTls),
            None
        );
        assert_eq!(
            same("evil.example", 993, "shop", Security::Tls).as_deref(),
            Some("host")
        );
        assert_eq!(
            same("imap.example.com", 143, "other", Security::Tls).as_deref(),
            Some("port and user name")
        );
        assert_eq!(
            same("imap.example.com", 993, "shop", Security::None).as_deref(),
            Some("security (now unencrypted)")
        );
    }
}

//! Email inbox settings: where to poll (IMAP) and how to send (SMTP). Passwords are
//! stored sealed (encrypted with the installation key) and never shown back.

use super::validate::Invalid;
use serde::{Deserialize, Serialize};

/// Transport security of a mail connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Security {
    /// Plain text (local test servers only).
    None,
    /// Plain connection upgraded with STARTTLS.
    StartTls,
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
}

impl Security {
    /// Parses the API/form spelling.
    pub fn parse(field: &'static str, s: &str) -> Result<Security, Invalid> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Ok(Security::None),
            "starttls" => Ok(Security::StartTls),
            "tls" | "ssl" => Ok(Security::Tls),
            other => Err(Invalid {
                field,
                reason: format!("must be none, starttls or tls, not {other:?}"),
            }),
        }
    }
    /// The API/form spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::None => "none",
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        }
    }
}

/// One side of a mail account (IMAP or SMTP).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    /// Sealed with the installation key (`Keys::seal`); empty when there is none.
    pub password_sealed: String,
}

/// Everything an email inbox needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSettings {
    pub imap: Server,
    pub folder: String,
    pub smtp: Server,
    pub from_name: String,
    pub from_address: String,
    pub poll_seconds: u64,
    /// Mark fetched mail as read on the server (off: the mailbox is never changed).
    pub mark_seen: bool,
    /// Outgoing mail carries `Reply-To: local+<conversation token>@domain`, so answers
    /// find their conversation even when a mail client drops the threading headers.
    #[serde(default)]
    pub reply_to_plus_address: bool,
    /// The team's signature (the composer's Markdown), under every mail reply.
    #[serde(default)]
    pub signature: String,
}

/// Checks a host name or address: non-empty, no spaces or URL parts.
pub fn host(field: &'static str, h: &str) -> Result<String, Invalid> {
    let h = h.trim();
    if h.is_empty() || h.len() > 253 || h.contains(['/', ' ', '@']) || h.contains("://") {
        return Err(Invalid {
            field,
            reason: "must be a host name such as imap.example.com".into(),
        });
    }
    Ok(h.to_string())
}

/// Checks a poll interval: 10 s to 1 h.
pub fn poll_seconds(s: u64) -> Result<u64, Invalid> {
    if (10..=3600).contains(&s) {
        Ok(s)
    } else {
        Err(Invalid {
            field: "poll_seconds",
            reason: "must be between 10 and 3600".into(),
        })
    }
}

/// The step of "Test connection" that failed (or `Ok` when every step passed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeStep {
    Ok,
    /// The address policy refused the server's address (private or local, not allowed
    /// by configuration); nothing was connected to.
    Address,
    /// The host name does not resolve.
    Dns,
    /// Nothing listens on that port (the connection was refused).
    Refused,
    /// Another network failure while connecting.
    Connect,
    /// The server (or the network) did not answer in time.
    Timeout,
    /// TLS or STARTTLS failed (certificate, protocol, not offered).
    Tls,
    /// The server refused the user name or password.
    Authentication,
    /// IMAP: the folder cannot be opened.
    Folder,
    /// SMTP: the server refuses mail from the inbox's From address.
    Sender,
    /// The server answered something unexpected.
    Protocol,
}

impl ProbeStep {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeStep::Ok => "ok",
            ProbeStep::Address => "address",
            ProbeStep::Dns => "dns",
            ProbeStep::Refused => "refused",
            ProbeStep::Connect => "connect",
            ProbeStep::Timeout => "timeout",
            ProbeStep::Tls => "tls",
            ProbeStep::Authentication => "authentication",
            ProbeStep::Folder => "folder",
            ProbeStep::Sender => "sender",
            ProbeStep::Protocol => "protocol",
        }
    }
    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ProbeStep::Ok => "OK",
            ProbeStep::Address => "Address not allowed",
            ProbeStep::Dns => "DNS lookup",
            ProbeStep::Refused => "Connection refused",
            ProbeStep::Connect => "Connection",
            ProbeStep::Timeout => "Timeout",
            ProbeStep::Tls => "TLS",
            ProbeStep::Authentication => "Authentication",
            ProbeStep::Folder => "Folder",
            ProbeStep::Sender => "Sender address",
            ProbeStep::Protocol => "Server response",
        }
    }
}

/// What "Test connection" found on one side (IMAP or SMTP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub ok: bool,
    /// The failing step; `Ok` on success.
    pub step: ProbeStep,
    /// What the server said (on success: what was checked).
    pub detail: String,
}

impl Probe {
    /// Every step passed.
    pub fn passed(detail: impl Into<String>) -> Probe {
        Probe {
            ok: true,
            step: ProbeStep::Ok,
            detail: detail.into(),
        }
    }
    /// `step` failed.
    pub fn failed(step: ProbeStep, detail: impl Into<String>) -> Probe {
        Probe {
            ok: false,
            step,
            detail: detail.into(),
        }
    }
}

/// Both sides of "Test connection".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionReport {
    pub imap: Probe,
    pub smtp: Probe,
}

impl ConnectionReport {
    /// Each side with its name, IMAP first.
    pub fn sides(&self) -> [(&'static str, &Probe); 2] {
        [("IMAP", &self.imap), ("SMTP", &self.smtp)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_and_hosts_parse_strictly() {
        assert_eq!(
            Security::parse("s", "STARTTLS").unwrap(),
            Security::StartTls
        );
        assert_eq!(Security::parse("s", "ssl").unwrap(), Security::Tls);
        assert!(Security::parse("s", "maybe").is_err());
        assert_eq!(host("h", " imap.example.com ").unwrap(), "imap.example.com");
        for bad in ["", "imap://x", "a b", "u@x", "x/y"] {
            assert!(host("h", bad).is_err(), "{bad}");
        }
        assert!(poll_seconds(5).is_err());
        assert!(poll_seconds(30).is_ok());
    }

    /// `EmailSettings` as stored before `reply_to_plus_address` existed.
    #[derive(Serialize)]
    struct SettingsV1 {
        imap: Server,
        folder: String,
        smtp: Server,
        from_name: String,
        from_address: String,
        poll_seconds: u64,
        mark_seen: bool,
    }

    #[test]
    fn settings_stored_before_the_plus_address_option_still_decode() {
        let server = Server {
            host: "mail.example.com".into(),
            port: 993,
            security: Security::Tls,
            username: "u".into(),
            password_sealed: "sealed".into(),
        };
        // The store writes MessagePack in its compact (array) form.
        let old = rmp_serde::to_vec(&SettingsV1 {
            imap: server.clone(),
            folder: "INBOX".into(),
            smtp: server,
            from_name: "Shop".into(),
            from_address: "support@shop.example".into(),
            poll_seconds: 30,
            mark_seen: true,
        })
        .unwrap();
        let new: EmailSettings = rmp_serde::from_slice(&old).unwrap();
        assert!(new.mark_seen && !new.reply_to_plus_address);
        assert_eq!(new.from_address, "support@shop.example");
    }

    #[test]
    fn probe_steps_have_stable_names() {
        assert_eq!(ProbeStep::Authentication.as_str(), "authentication");
        assert_eq!(ProbeStep::Refused.as_str(), "refused");
        let p = Probe::failed(ProbeStep::Folder, "no such folder");
        assert!(!p.ok && p.step.label() == "Folder");
        assert!(Probe::passed("fine").ok);
    }
}

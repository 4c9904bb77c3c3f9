//! "Test connection" for an email inbox: each side is tried step by step and the first
//! step that fails is named, with the server's own words. First a plain TCP connection
//! tells a name that does not resolve from a port that refuses and from one that never
//! answers; then the real protocol runs. Nothing changes on the servers: IMAP logs in and
//! opens the folder exactly as the poller does, then logs out; SMTP goes as far as
//! `MAIL FROM` (is our From address accepted?) and then `RSET`, so no mail is sent.

use super::imap::{self, Account, ImapError};
use crate::domain::email::{Probe, ProbeStep, Security, Server};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Mail, Rset};
use lettre::transport::smtp::extension::ClientId;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Time left until `deadline` (never zero, so a late step still fails as a timeout).
fn left(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

fn timed_out(what: &str, limit: Duration) -> Probe {
    Probe::failed(
        ProbeStep::Timeout,
        format!("{what} did not answer within {} s", limit.as_secs()),
    )
}

/// Resolves the host and opens (then closes) one TCP connection.
async fn reach(host: &str, port: u16, deadline: Instant, limit: Duration) -> Result<(), Probe> {
    let lookup = tokio::time::timeout(left(deadline), tokio::net::lookup_host((host, port)));
    let addrs: Vec<_> = match lookup.await {
        Err(_) => return Err(timed_out(&format!("the DNS lookup of {host}"), limit)),
        Ok(Err(e)) => {
            return Err(Probe::failed(
                ProbeStep::Dns,
                format!("cannot resolve {host}: {e}"),
            ));
        }
        Ok(Ok(a)) => a.collect(),
    };
    if addrs.is_empty() {
        return Err(Probe::failed(
            ProbeStep::Dns,
            format!("{host} has no address"),
        ));
    }
    match tokio::time::timeout(left(deadline), TcpStream::connect(&addrs[..])).await {
        Err(_) => Err(timed_out(&format!("{host}:{port}"), limit)),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(Probe::failed(
            ProbeStep::Refused,
            format!("{host}:{port} refused the connection (is the port right?): {e}"),
        )),
        Ok(Err(e)) => Err(Probe::failed(
            ProbeStep::Connect,
            format!("cannot connect to {host}:{port}: {e}"),
        )),
        Ok(Ok(_tcp)) => Ok(()),
    }
}

/// async-imap words a refusal as `…: no response: code: None, info: Some("…")`; keep
/// our prefix and the server's own text.
pub fn server_words(text: &str) -> String {
    const INFO: &str = "info: Some(\"";
    let (Some(i), Some(words)) = (
        text.find(INFO),
        text.strip_suffix("\")")
            .and_then(|t| t.find(INFO).map(|i| &t[i + INFO.len()..])),
    ) else {
        return text.to_string();
    };
    let head = [": no response", ": bad response"]
        .iter()
        .find_map(|m| text[..i].find(m).map(|j| &text[..j]))
        .unwrap_or(text[..i].trim_end_matches([',', ' ', ':']));
    format!("{head}: {}", words.replace("\\\"", "\""))
}

fn imap_step(e: &ImapError) -> ProbeStep {
    match e {
        ImapError::Dns(_) => ProbeStep::Dns,
        ImapError::Connect(_) => ProbeStep::Connect,
        ImapError::Tls(_) => ProbeStep::Tls,
        ImapError::Auth(_) => ProbeStep::Authentication,
        ImapError::Folder(..) => ProbeStep::Folder,
        ImapError::Protocol(_) => ProbeStep::Protocol,
        ImapError::Timeout(_) => ProbeStep::Timeout,
    }
}

/// Connects, secures, logs in and opens the folder, within `limit` in all.
pub async fn imap(a: &Account<'_>, limit: Duration) -> Probe {
    let deadline = Instant::now() + limit;
    if let Err(p) = reach(a.host, a.port, deadline, limit).await {
        return p;
    }
    match tokio::time::timeout(left(deadline), imap::open(a, left(deadline))).await {
        Err(_) => timed_out("the IMAP server", limit),
        Ok(Err(e)) => Probe::failed(imap_step(&e), server_words(&e.to_string())),
        Ok(Ok(mb)) => {
            let (n, validity) = (mb.exists, mb.uidvalidity);
            mb.close().await;
            Probe::passed(format!(
                "Signed in as {}; folder {:?} holds {n} message{} (UIDVALIDITY {validity}).",
                a.username,
                a.folder,
                if n == 1 { "" } else { "s" }
            ))
        }
    }
}

/// The step a lettre error belongs to, given the step that was running.
fn smtp_failure(step: ProbeStep, e: &lettre::transport::smtp::Error) -> Probe {
    let step = if e.is_timeout() {
        ProbeStep::Timeout
    } else if e.is_tls() {
        ProbeStep::Tls
    } else {
        step
    };
    Probe::failed(step, e.to_string())
}

/// Connects, secures (TLS or STARTTLS), says EHLO, logs in when a user is set and checks
/// that the server takes mail from `from`, within `limit` in all. Sends no mail.
pub async fn smtp(server: &Server, password: &str, from: &str, limit: Duration) -> Probe {
    let deadline = Instant::now() + limit;
    if let Err(p) = reach(&server.host, server.port, deadline, limit).await {
        return p;
    }
    match tokio::time::timeout(left(deadline), smtp_steps(server, password, from, deadline)).await {
        Err(_) => timed_out("the SMTP server", limit),
        Ok(Err(p)) => p,
        Ok(Ok(done)) => Probe::passed(done),
    }
}

async fn smtp_steps(
    server: &Server,
    password: &str,
    from: &str,
    deadline: Instant,
) -> Result<String, Probe> {
    let hello = ClientId::default();
    let tls =
        || TlsParameters::new(server.host.clone()).map_err(|e| smtp_failure(ProbeStep::Tls, &e));
    let implicit = match server.security {
        Security::Tls => Some(tls()?),
        Security::None | Security::StartTls => None,
    };
    let mut conn = AsyncSmtpConnection::connect_tokio1(
        (server.host.as_str(), server.port),
        Some(left(deadline)),
        &hello,
        implicit,
        None,
    )
    .await
    .map_err(|e| smtp_failure(ProbeStep::Protocol, &e))?;
    let mut done = vec!["EHLO accepted".to_string()];
    if server.security == Security::StartTls {
        if !conn.can_starttls() {
            return Err(Probe::failed(
                ProbeStep::Tls,
                "the server does not offer STARTTLS: choose TLS or none, or another port",
            ));
        }
        conn.starttls(tls()?, &hello)
            .await
            .map_err(|e| smtp_failure(ProbeStep::Tls, &e))?;
        done.push("STARTTLS".into());
    }
    if !server.username.is_empty() {
        let creds = Credentials::new(server.username.clone(), password.to_string());
        conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds)
            .await
            .map_err(|e| smtp_failure(ProbeStep::Authentication, &e))?;
        done.push(format!("signed in as {}", server.username));
    }
    let sender = from.parse().map_err(|e| {
        Probe::failed(
            ProbeStep::Sender,
            format!("the From address {from:?} is not valid: {e}"),
        )
    })?;
    conn.command(Mail::new(Some(sender), vec![]))
        .await
        .map_err(|e| smtp_failure(ProbeStep::Sender, &e))?;
    done.push(format!("mail from {from} accepted"));
    let _ = conn.command(Rset).await;
    let _ = conn.quit().await;
    let mut text = done.join(", ");
    text.push_str(" (no mail was sent).");
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_refusals_keep_the_server_words() {
        assert_eq!(
            server_words(
                r#"authentication failed: no response: code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#
            ),
            "authentication failed: [AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(
            server_words(
                r#"folder "X" cannot be opened: no response: code: None, info: Some("Mailbox doesn't exist: X")"#
            ),
            r#"folder "X" cannot be opened: Mailbox doesn't exist: X"#
        );
        assert_eq!(server_words("cannot connect to x"), "cannot connect to x");
    }

    #[tokio::test]
    async fn a_closed_port_is_refused_and_a_bad_name_is_dns() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let limit = Duration::from_secs(5);
        let p = reach("127.0.0.1", port, Instant::now() + limit, limit)
            .await
            .unwrap_err();
        assert_eq!(p.step, ProbeStep::Refused, "{p:?}");
        let p = reach("nonexistent.invalid", 25, Instant::now() + limit, limit)
            .await
            .unwrap_err();
        assert_eq!(p.step, ProbeStep::Dns, "{p:?}");
    }
}

//! "Test connection" for an email inbox: each side is tried step by step and the first
//! step that fails is named, in our words (a server's own text only from a refusal at
//! sign-in, the folder or the sender, cleaned and short). The address policy decides
//! first: a private or local address is refused at the `address` step before anything
//! is connected to, unless configuration allows it. Then one TCP connection tells a
//! name that does not resolve from a port that refuses and from one that never answers,
//! and the real protocol runs on that same connection. Nothing changes on the servers:
//! IMAP logs in and opens the folder exactly as the poller does, then logs out; SMTP
//! goes as far as `MAIL FROM` (is our From address accepted?) and then `RSET`, so no
//! mail is sent.

use super::guard::{AddressPolicy, Refused};
use super::imap::{self, Account, ImapError};
use super::smtp;
use crate::domain::email::{Probe, ProbeStep, Server};
use lettre::transport::smtp::commands::{Mail, Rset};
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

/// Resolves the host under the address policy and opens one TCP connection to an
/// address it allows.
async fn reach(
    host: &str,
    port: u16,
    policy: AddressPolicy,
    deadline: Instant,
    limit: Duration,
) -> Result<TcpStream, Probe> {
    let addrs = match tokio::time::timeout(left(deadline), policy.resolve(host, port)).await {
        Err(_) => return Err(timed_out(&format!("the DNS lookup of {host}"), limit)),
        Ok(Err(r @ Refused::Private { .. })) => {
            return Err(Probe::failed(ProbeStep::Address, r.to_string()));
        }
        Ok(Err(r)) => return Err(Probe::failed(ProbeStep::Dns, r.to_string())),
        Ok(Ok(a)) => a,
    };
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
        Ok(Ok(tcp)) => Ok(tcp),
    }
}

/// The step an IMAP error belongs to.
pub fn imap_step(e: &ImapError) -> ProbeStep {
    match e {
        ImapError::Address(_) => ProbeStep::Address,
        ImapError::Dns(_) => ProbeStep::Dns,
        ImapError::Connect(_) => ProbeStep::Connect,
        ImapError::Tls(_) => ProbeStep::Tls,
        ImapError::Auth(_) => ProbeStep::Authentication,
        ImapError::Folder { .. } => ProbeStep::Folder,
        ImapError::Protocol(_) | ImapError::Command { .. } => ProbeStep::Protocol,
        ImapError::Timeout(_) => ProbeStep::Timeout,
    }
}

/// Connects, secures, logs in and opens the folder, within `limit` in all.
pub async fn imap(a: &Account<'_>, policy: AddressPolicy, limit: Duration) -> Probe {
    let deadline = Instant::now() + limit;
    let tcp = match reach(a.host, a.port, policy, deadline, limit).await {
        Ok(tcp) => tcp,
        Err(p) => return p,
    };
    match tokio::time::timeout(left(deadline), imap::open_on(tcp, a, left(deadline))).await {
        Err(_) => timed_out("the IMAP server", limit),
        Ok(Err(e)) => Probe::failed(imap_step(&e), e.to_string()),
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

/// Connects, secures (TLS or STARTTLS), says EHLO, logs in when a user is set and checks
/// that the server takes mail from `from`, within `limit` in all. Sends no mail.
pub async fn smtp(
    server: &Server,
    password: &str,
    from: &str,
    policy: AddressPolicy,
    limit: Duration,
) -> Probe {
    let deadline = Instant::now() + limit;
    let tcp = match reach(&server.host, server.port, policy, deadline, limit).await {
        Ok(tcp) => tcp,
        Err(p) => return p,
    };
    match tokio::time::timeout(left(deadline), smtp_steps(tcp, server, password, from)).await {
        Err(_) => timed_out("the SMTP server", limit),
        Ok(Err(f)) => Probe::failed(f.step, f.text),
        Ok(Ok(done)) => Probe::passed(done),
    }
}

async fn smtp_steps(
    tcp: TcpStream,
    server: &Server,
    password: &str,
    from: &str,
) -> Result<String, smtp::Failure> {
    let (mut conn, mut done) = smtp::session(tcp, server, password).await?;
    let sender = from.parse().map_err(|e| smtp::Failure {
        step: ProbeStep::Sender,
        text: format!("the From address {from:?} is not valid: {e}"),
        permanent: true,
    })?;
    conn.command(Mail::new(Some(sender), vec![]))
        .await
        .map_err(|e| smtp::failure(ProbeStep::Sender, "the sender was refused", true, &e))?;
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_closed_port_is_refused_and_a_bad_name_is_dns() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let limit = Duration::from_secs(5);
        let allow = AddressPolicy::new(true);
        let p = reach("127.0.0.1", port, allow, Instant::now() + limit, limit)
            .await
            .unwrap_err();
        assert_eq!(p.step, ProbeStep::Refused, "{p:?}");
        let p = reach(
            "nonexistent.invalid",
            25,
            allow,
            Instant::now() + limit,
            limit,
        )
        .await
        .unwrap_err();
        assert_eq!(p.step, ProbeStep::Dns, "{p:?}");
    }

    #[tokio::test]
    async fn a_local_address_is_refused_before_connecting_unless_allowed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let limit = Duration::from_secs(5);
        for host in ["127.0.0.1", "localhost", "2130706433"] {
            let p = reach(
                host,
                port,
                AddressPolicy::new(false),
                Instant::now() + limit,
                limit,
            )
            .await
            .unwrap_err();
            assert_eq!(p.step, ProbeStep::Address, "{host}: {p:?}");
            assert!(p.detail.contains("outbound.allow_private"), "{p:?}");
        }
        let none = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(none.is_err(), "a refused address was connected to");
        reach(
            "127.0.0.1",
            port,
            AddressPolicy::new(true),
            Instant::now() + limit,
            limit,
        )
        .await
        .unwrap();
    }

    /// A listener that answers every connection with an HTTP error carrying a banner.
    async fn http_banner() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let _ = s
                        .write_all(b"HTTP/1.1 400 Bad Request\r\nServer: SECRET-BANNER\r\n\r\nSECRET-BANNER body\r\n")
                        .await;
                    let mut buf = [0u8; 512];
                    let _ = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn a_service_that_is_not_mail_is_described_not_quoted() {
        let port = http_banner().await;
        let allow = AddressPolicy::new(true);
        let limit = Duration::from_secs(5);
        for security in [
            crate::domain::email::Security::None,
            crate::domain::email::Security::StartTls,
        ] {
            let a = Account {
                host: "127.0.0.1",
                port,
                security,
                username: "u",
                password: "stored-password",
                folder: "INBOX",
            };
            let p = imap(&a, allow, limit).await;
            assert_eq!(p.step, ProbeStep::Protocol, "{p:?}");
            assert!(
                !p.detail.contains("SECRET") && !p.detail.contains("HTTP"),
                "{p:?}"
            );
            let server = Server {
                host: "127.0.0.1".into(),
                port,
                security,
                username: "u".into(),
                password_sealed: String::new(),
            };
            let p = smtp(&server, "pw", "a@b.example", allow, limit).await;
            assert!(!p.ok, "{p:?}");
            assert!(
                !p.detail.contains("SECRET") && !p.detail.contains("HTTP"),
                "{p:?}"
            );
        }
    }
}

//! Sending one reply by SMTP with lettre: the reply threads under the customer's mail
//! (In-Reply-To, References, "Re:"), carries a Message-ID we signed, and comes from the
//! inbox's address. Permanent refusals (5xx) fail at once; everything else is retried.
//! We open the TCP connection ourselves through the address policy and hand lettre the
//! stream (lettre would otherwise resolve and connect by itself, out of the policy's
//! sight); the same session code serves "Test connection".

use super::api::Outcome;
use super::guard::{AddressPolicy, ConnectError, Refused};
use super::net::{self, Conn};
use crate::domain::email::{ProbeStep, Security, Server};
use lettre::Message;
use lettre::message::header::{self, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::time::Duration;
use tokio::net::TcpStream;

/// One outgoing reply.
pub struct Reply<'a> {
    pub from_name: &'a str,
    pub from_address: &'a str,
    pub to: &'a str,
    /// Used as given (see [`reply_subject`] for answers).
    pub subject: &'a str,
    pub text: &'a str,
    /// The HTML part as rendered from the agent's formatting; `None`: the text, escaped.
    pub html: Option<String>,
    /// `<id@domain>` with brackets.
    pub message_id: String,
    /// Without brackets.
    pub in_reply_to: Option<String>,
    /// Without brackets, oldest first.
    pub references: Vec<String>,
    /// Where answers should go, when not to From (the inbox's plus-address).
    pub reply_to: Option<String>,
    /// Files sent with the reply, each a MIME part of its own.
    pub files: Vec<MailFile>,
}

/// One attached file of a reply.
pub struct MailFile {
    pub filename: String,
    /// Its type, checked when it was uploaded.
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// "Re: subject", without stacking prefixes.
pub fn reply_subject(subject: &str) -> String {
    let s = subject.trim();
    let lower = s.to_lowercase();
    if lower.starts_with("re:") || lower.starts_with("aw:") || lower.starts_with("sv:") {
        s.to_string()
    } else if s.is_empty() {
        "Re: your message".into()
    } else {
        format!("Re: {s}")
    }
}

/// Plain text as HTML: escaped, line breaks kept.
pub fn html_of(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!("<div>{}</div>", escaped.replace('\n', "<br>\n"))
}

/// Builds the MIME message (multipart text + HTML).
pub fn build(r: &Reply<'_>) -> Result<Message, String> {
    let from: Mailbox = format!(
        "{} <{}>",
        r.from_name.replace(['<', '>', '"'], ""),
        r.from_address
    )
    .parse()
    .map_err(|e| format!("from address: {e}"))?;
    let to: Mailbox =
        r.to.parse()
            .map_err(|e| format!("recipient address {:?}: {e}", r.to))?;
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(r.subject)
        .message_id(Some(r.message_id.clone()));
    if let Some(irt) = &r.in_reply_to {
        b = b.in_reply_to(format!("<{irt}>"));
    }
    let refs: Vec<String> = r
        .references
        .iter()
        .chain(r.in_reply_to.iter())
        .map(|id| format!("<{id}>"))
        .collect();
    if !refs.is_empty() {
        b = b.references(refs.join(" "));
    }
    if let Some(rt) = &r.reply_to {
        let rt: Mailbox = rt
            .parse()
            .map_err(|e| format!("reply-to address {rt:?}: {e}"))?;
        b = b.reply_to(rt);
    }
    b.header(header::UserAgent::from(
        concat!("Charla/", env!("CARGO_PKG_VERSION")).to_string(),
    ))
    .multipart(with_files(
        MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(r.text.to_string()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(r.html.clone().unwrap_or_else(|| html_of(r.text))),
            ),
        &r.files,
    ))
    .map_err(|e| format!("cannot build the message: {e}"))
}

/// The body alone, or in `multipart/mixed` after it with one part per file.
fn with_files(body: MultiPart, files: &[MailFile]) -> MultiPart {
    if files.is_empty() {
        return body;
    }
    let mut mixed = MultiPart::mixed().multipart(body);
    for f in files {
        // The type was checked from the file's bytes on upload; anything lettre cannot
        // parse goes as plain bytes.
        let kind =
            ContentType::parse(&f.mime).or_else(|_| ContentType::parse("application/octet-stream"));
        let part = lettre::message::Attachment::new(f.filename.clone());
        mixed = mixed.singlepart(match kind {
            Ok(kind) => part.body(f.bytes.clone(), kind),
            Err(_) => part.body(f.bytes.clone(), ContentType::TEXT_PLAIN),
        });
    }
    mixed
}

/// Longest server text quoted in an error.
const WORDS: usize = 120;

/// An SMTP step that failed: the step, what people see, and whether retrying cannot help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub step: ProbeStep,
    pub text: String,
    /// The server answered 5xx (or the settings can never work).
    pub permanent: bool,
}

impl Failure {
    fn new(step: ProbeStep, text: impl Into<String>) -> Failure {
        Failure {
            step,
            text: text.into(),
            permanent: false,
        }
    }
}

/// A lettre error in our words: a well-formed SMTP reply keeps its code, and at the
/// steps where a server explains a refusal (`quote`) its text too, cleaned and short;
/// anything else is described, never quoted, so a port that is not SMTP cannot have its
/// bytes shown to people.
pub fn failure(step: ProbeStep, what: &str, quote: bool, e: &SmtpError) -> Failure {
    let step = if e.is_timeout() {
        ProbeStep::Timeout
    } else if e.is_tls() {
        ProbeStep::Tls
    } else {
        step
    };
    let text = match e.status() {
        Some(code) => {
            let words = std::error::Error::source(e)
                .map(|s| net::excerpt(&s.to_string(), WORDS))
                .filter(|w| quote && !w.is_empty());
            match words {
                Some(w) => format!("{what} (SMTP {code}: {w})"),
                None => format!("{what} (SMTP {code})"),
            }
        }
        // rustls' own words (certificate problems), not the peer's bytes.
        None if e.is_tls() => format!("TLS failed: {}", net::excerpt(&e.to_string(), 200)),
        None if e.is_timeout() => "the server did not answer in time".into(),
        None => format!("the server did not answer as an SMTP server ({what})"),
    };
    Failure {
        step,
        text,
        permanent: e.is_permanent(),
    }
}

/// An SMTP session on a connection the address policy made: TLS or STARTTLS (the
/// certificate checked for the host name typed, not the address connected to), EHLO,
/// and AUTH when a user is set. Returns the session and the steps that passed.
pub async fn session(
    tcp: TcpStream,
    server: &Server,
    password: &str,
) -> Result<(AsyncSmtpConnection, Vec<String>), Failure> {
    let hello = ClientId::default();
    let stream = match server.security {
        Security::Tls => net::tls(&server.host, tcp)
            .await
            .map_err(|e| Failure::new(ProbeStep::Tls, format!("TLS failed: {e}")))?,
        Security::None | Security::StartTls => Conn::Plain(tcp),
    };
    let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello)
        .await
        .map_err(|e| failure(ProbeStep::Protocol, "no SMTP greeting or EHLO", false, &e))?;
    let mut done = vec!["EHLO accepted".to_string()];
    if server.security == Security::StartTls {
        if !conn.can_starttls() {
            return Err(Failure::new(
                ProbeStep::Tls,
                "the server does not offer STARTTLS: choose TLS or none, or another port",
            ));
        }
        let tls = TlsParameters::new(server.host.trim_matches(['[', ']']).to_string())
            .map_err(|e| failure(ProbeStep::Tls, "TLS settings", false, &e))?;
        conn.starttls(tls, &hello)
            .await
            .map_err(|e| failure(ProbeStep::Tls, "STARTTLS refused", false, &e))?;
        done.push("STARTTLS".into());
    }
    if !server.username.is_empty() {
        let creds = Credentials::new(server.username.clone(), password.to_string());
        conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds)
            .await
            .map_err(|e| {
                if e.is_client() {
                    Failure {
                        permanent: true,
                        ..Failure::new(
                            ProbeStep::Authentication,
                            "the server offers no sign-in we support (PLAIN or LOGIN); \
                             on a plain connection servers often offer none: choose STARTTLS or TLS",
                        )
                    }
                } else {
                    failure(
                        ProbeStep::Authentication,
                        "authentication failed",
                        true,
                        &e,
                    )
                }
            })?;
        done.push(format!("signed in as {}", server.username));
    }
    Ok((conn, done))
}

/// Sends a built message through the inbox's SMTP server, connected through the
/// address policy; `timeout` bounds the connection and sign-in, and each command.
pub async fn send(
    server: &Server,
    password: &str,
    msg: Message,
    policy: AddressPolicy,
    timeout: Duration,
) -> Outcome {
    let tcp = match tokio::time::timeout(timeout, policy.connect(&server.host, server.port)).await {
        Err(_) => return Outcome::Retry("the mail server did not answer in time".into()),
        Ok(Err(ConnectError::Refused(r @ Refused::Private { .. }))) => {
            return Outcome::Permanent(format!("the mail server's address is refused: {r}"));
        }
        Ok(Err(ConnectError::Refused(r))) => return Outcome::Retry(r.to_string()),
        Ok(Err(ConnectError::Io(e))) => {
            return Outcome::Retry(format!(
                "cannot connect to the mail server {}:{}: {e}",
                server.host, server.port
            ));
        }
        Ok(Ok(tcp)) => tcp,
    };
    let (mut conn, _) = match tokio::time::timeout(timeout, session(tcp, server, password)).await {
        Err(_) => return Outcome::Retry("the mail server did not answer in time".into()),
        Ok(Err(f)) if f.permanent => return Outcome::Permanent(f.text),
        Ok(Err(f)) => return Outcome::Retry(f.text),
        Ok(Ok(c)) => c,
    };
    // The data may be large: give it longer than one command.
    let raw = msg.formatted();
    let sending = conn.send(msg.envelope(), &raw);
    let outcome = match tokio::time::timeout(timeout.max(Duration::from_secs(60)), sending).await {
        Err(_) => Outcome::Retry("the mail server did not take the message in time".into()),
        Ok(Ok(_)) => Outcome::Delivered { source_id: None },
        Ok(Err(e)) => {
            let f = failure(ProbeStep::Sender, "the mail server refused it", true, &e);
            if f.permanent {
                Outcome::Permanent(f.text)
            } else {
                Outcome::Retry(f.text)
            }
        }
    };
    let _ = tokio::time::timeout(timeout, conn.quit()).await;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plus_address_becomes_the_reply_to() {
        let m = build(&Reply {
            from_name: "Shop",
            from_address: "support@shop.example",
            to: "maria@example.org",
            subject: "Order",
            text: "ok",
            html: None,
            message_id: "<charla.t.1.ab@shop.example>".into(),
            in_reply_to: None,
            references: vec![],
            reply_to: Some("support+0123abcd@shop.example".into()),
            files: vec![],
        })
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(
            raw.contains("\nReply-To: support+0123abcd@shop.example\r\n"),
            "{raw}"
        );
    }

    #[tokio::test]
    async fn a_reply_is_not_sent_to_a_refused_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server {
            host: "127.0.0.1".into(),
            port: listener.local_addr().unwrap().port(),
            security: Security::None,
            username: "u".into(),
            password_sealed: String::new(),
        };
        let msg = build(&Reply {
            from_name: "Shop",
            from_address: "support@shop.example",
            to: "maria@example.org",
            subject: "Re: x",
            text: "ok",
            html: None,
            message_id: "<a@shop.example>".into(),
            in_reply_to: None,
            references: vec![],
            reply_to: None,
            files: vec![],
        })
        .unwrap();
        let out = send(
            &server,
            "pw",
            msg,
            AddressPolicy::new(false),
            Duration::from_secs(5),
        )
        .await;
        let Outcome::Permanent(e) = out else {
            panic!("{out:?}")
        };
        assert!(e.contains("127.0.0.1 is a private or local address"), "{e}");
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "the refused address was connected to");
    }

    #[test]
    fn subjects_get_one_re() {
        assert_eq!(reply_subject("Pedido 48213"), "Re: Pedido 48213");
        assert_eq!(reply_subject("RE: Pedido"), "RE: Pedido");
        assert_eq!(reply_subject("  "), "Re: your message");
    }

    #[test]
    fn replies_thread_and_escape() {
        let m = build(&Reply {
            from_name: "Shop <support>",
            from_address: "support@shop.example",
            to: "maria@example.org",
            subject: "Re: Order",
            text: "Hola <b>Maria</b>\nok",
            html: None,
            message_id: "<charla.t.1.ab@shop.example>".into(),
            in_reply_to: Some("abc@example.org".into()),
            references: vec!["root@example.org".into()],
            reply_to: None,
            files: vec![],
        })
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("In-Reply-To: <abc@example.org>"), "{raw}");
        assert!(
            raw.contains("References: <root@example.org> <abc@example.org>"),
            "{raw}"
        );
        assert!(
            raw.contains("Message-ID: <charla.t.1.ab@shop.example>"),
            "{raw}"
        );
        assert!(raw.contains("Subject: Re: Order"));
        assert!(raw.contains("&lt;b&gt;Maria&lt;/b&gt;"));
        assert!(
            !raw.contains("\nReply-To:"),
            "no Reply-To unless asked: {raw}"
        );
        assert!(
            build(&Reply {
                to: "not an address",
                ..Reply {
                    from_name: "",
                    from_address: "a@b.c",
                    to: "",
                    subject: "",
                    text: "",
                    html: None,
                    message_id: "<x@y>".into(),
                    in_reply_to: None,
                    references: vec![],
                    reply_to: None,
                    files: vec![],
                }
            })
            .is_err()
        );
    }
}

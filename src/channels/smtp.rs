//! Sending one reply by SMTP with lettre: the reply threads under the customer's mail
//! (In-Reply-To, References, "Re:"), carries a Message-ID we signed, and comes from the
//! inbox's address. Permanent refusals (5xx) fail at once; everything else is retried.

use super::api::Outcome;
use crate::domain::email::{Security, Server};
use lettre::message::header::{self, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// One outgoing reply.
pub struct Reply<'a> {
    pub from_name: &'a str,
    pub from_address: &'a str,
    pub to: &'a str,
    /// Used as given (see [`reply_subject`] for answers).
    pub subject: &'a str,
    pub text: &'a str,
    /// `<id@domain>` with brackets.
    pub message_id: String,
    /// Without brackets.
    pub in_reply_to: Option<String>,
    /// Without brackets, oldest first.
    pub references: Vec<String>,
    /// Where answers should go, when not to From (the inbox's plus-address).
    pub reply_to: Option<String>,
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

fn html_of(text: &str) -> String {
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
    .multipart(
        MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(r.text.to_string()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html_of(r.text)),
            ),
    )
    .map_err(|e| format!("cannot build the message: {e}"))
}

/// Sends a built message through the inbox's SMTP server.
pub async fn send(server: &Server, password: &str, msg: Message, timeout: Duration) -> Outcome {
    let builder = match server.security {
        Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &server.host,
        )),
        Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&server.host),
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&server.host),
    };
    let mut builder = match builder {
        Ok(b) => b.port(server.port).timeout(Some(timeout)),
        Err(e) => return Outcome::Permanent(format!("SMTP settings: {e}")),
    };
    if !server.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            server.username.clone(),
            password.to_string(),
        ));
    }
    match builder.build().send(msg).await {
        Ok(resp) => Outcome::Delivered {
            source_id: resp.message().next().map(str::to_string).filter(|_| false),
        },
        Err(e) if e.is_permanent() => {
            Outcome::Permanent(format!("the mail server refused it: {e}"))
        }
        Err(e) => Outcome::Retry(format!("the mail server could not take it: {e}")),
    }
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
            message_id: "<charla.t.1.ab@shop.example>".into(),
            in_reply_to: None,
            references: vec![],
            reply_to: Some("support+0123abcd@shop.example".into()),
        })
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(
            raw.contains("\nReply-To: support+0123abcd@shop.example\r\n"),
            "{raw}"
        );
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
            message_id: "<charla.t.1.ab@shop.example>".into(),
            in_reply_to: Some("abc@example.org".into()),
            references: vec!["root@example.org".into()],
            reply_to: None,
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
                    message_id: "<x@y>".into(),
                    in_reply_to: None,
                    references: vec![],
                    reply_to: None,
                }
            })
            .is_err()
        );
    }
}

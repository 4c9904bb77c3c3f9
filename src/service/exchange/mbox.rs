//! Conversations as an mbox (RFC 4155, the "mboxrd" quoting): one plain-text mail per
//! message sent or received, oldest first. Email conversations keep their subject,
//! Message-ID and threading headers; conversations of other channels become mails
//! too (subject "Conversation #N (WhatsApp)", `X-Charla-Channel`), so one contact's
//! whole history fits one file. Internal notes, events and "transcript emailed"
//! markers are not mail and are left out; attachments are listed by name under the
//! text (their bytes are in the JSONL export).

use super::Transcript;
use crate::domain::Timestamp;
use crate::domain::message::{Direction, Message, TimelineItem, human_size};
use crate::service::Directory;
use std::fmt::Write as _;

/// RFC 2047 for a header value that is not plain ASCII.
fn encode_word(s: &str) -> String {
    use base64::Engine;
    if s.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        return s.to_string();
    }
    format!(
        "=?utf-8?b?{}?=",
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
    )
}

/// `"Name" <address>` (the name encoded as needed).
fn mailbox(name: &str, address: &str) -> String {
    let name = name.trim().replace(['"', '\\', '\r', '\n'], "");
    if name.is_empty() {
        format!("<{address}>")
    } else if name.is_ascii() {
        format!("\"{name}\" <{address}>")
    } else {
        format!("{} <{address}>", encode_word(&name))
    }
}

/// An address usable in the From_ line and headers: an email address as it is, anything
/// else (a phone, a Telegram id) made into one under `charla.invalid`.
fn address(raw: Option<&str>) -> String {
    match raw.map(str::trim) {
        Some(a)
            if a.contains('@') && !a.contains(char::is_whitespace) && !a.contains(['<', '>']) =>
        {
            a.to_string()
        }
        Some(a) if !a.is_empty() => {
            let local: String = a
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-' | '_'))
                .collect();
            format!(
                "{}@charla.invalid",
                if local.is_empty() { "contact" } else { &local }
            )
        }
        _ => "unknown@charla.invalid".into(),
    }
}

fn date_parts(t: Timestamp) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp(t.0.div_euclid(1000)).ok()
}

/// `Thu Nov 29 20:31:38 2026` (UTC), the From_ line's date.
fn asctime(t: Timestamp) -> String {
    let f = time::macros::format_description!(
        "[weekday repr:short] [month repr:short] [day padding:space] [hour]:[minute]:[second] [year]"
    );
    date_parts(t)
        .and_then(|d| d.format(&f).ok())
        .unwrap_or_else(|| "Thu Jan  1 00:00:00 1970".into())
}

/// RFC 5322 date (UTC).
fn rfc5322(t: Timestamp) -> String {
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] +0000"
    );
    date_parts(t)
        .and_then(|d| d.format(&f).ok())
        .unwrap_or_else(|| "Thu, 01 Jan 1970 00:00:00 +0000".into())
}

/// The body with every line that reads as a From_ line after any `>`s quoted with one
/// more `>` (mboxrd: reversible), lines ending in LF, and a final newline.
pub fn quote_body(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        if line.trim_start_matches('>').starts_with("From ") {
            out.push('>');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Appends one conversation's mails to `out`.
pub fn render(t: &Transcript, dir: &Directory, out: &mut String) {
    let c = &t.conversation;
    let channel = t.channel.map(|k| k.label()).unwrap_or("unknown channel");
    let subject = t
        .items
        .iter()
        .find_map(|i| match i {
            TimelineItem::Message(m) => m.email.as_ref().map(|e| e.subject.clone()),
            TimelineItem::Event(..) => None,
        })
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| format!("Conversation #{} ({channel})", c.id));
    let contact_addr = address(
        c.identity
            .email
            .as_deref()
            .or(c.identity.phone.as_deref())
            .or(c.identity.identifier.as_deref())
            .or(c.identity.handle.as_ref().map(|h| h.value())),
    );
    let business = address(Some(&format!("inbox-{}@charla.invalid", c.inbox_id)));
    for item in &t.items {
        let TimelineItem::Message(m) = item else {
            continue;
        };
        if m.direction == Direction::Note || m.transcript {
            continue;
        }
        mail(t, m, dir, &subject, &contact_addr, &business, out);
    }
}

fn mail(
    t: &Transcript,
    m: &Message,
    dir: &Directory,
    subject: &str,
    contact: &str,
    business: &str,
    out: &mut String,
) {
    let c = &t.conversation;
    let (from, to) = if m.direction == Direction::Inbound {
        let addr = address(m.sender.as_ref().and_then(|s| s.address.as_deref()))
            .replace("unknown@charla.invalid", contact);
        let name = m
            .sender
            .as_ref()
            .map(|s| s.display_name())
            .unwrap_or_else(|| c.identity.display_name());
        (mailbox(&name, &addr), mailbox(&t.inbox_name, business))
    } else {
        let name = m.author.map(|a| dir.agent_name(a)).unwrap_or_default();
        let name = format!("{name} ({})", t.inbox_name);
        (
            mailbox(&name, business),
            mailbox(&c.identity.display_name(), contact),
        )
    };
    let from_line_addr = if m.direction == Direction::Inbound {
        contact
    } else {
        business
    };
    let subject = match &m.email {
        Some(e) if !e.subject.trim().is_empty() => e.subject.clone(),
        _ if m.direction == Direction::Outbound && !subject.starts_with("Conversation #") => {
            format!("Re: {subject}")
        }
        _ => subject.to_string(),
    };
    let message_id = m
        .email
        .as_ref()
        .and_then(|e| e.message_id.clone())
        .unwrap_or_else(|| format!("{}.{}@charla.invalid", m.id, c.id));
    let _ = writeln!(out, "From {from_line_addr} {}", asctime(m.created_at));
    let _ = writeln!(out, "From: {from}");
    let _ = writeln!(out, "To: {to}");
    let _ = writeln!(out, "Date: {}", rfc5322(m.created_at));
    let _ = writeln!(out, "Subject: {}", encode_word(&subject));
    let _ = writeln!(out, "Message-ID: <{message_id}>");
    if let Some(e) = &m.email
        && let Some(last) = e.references.last()
    {
        let _ = writeln!(out, "In-Reply-To: <{last}>");
        let refs: Vec<String> = e.references.iter().map(|r| format!("<{r}>")).collect();
        let _ = writeln!(out, "References: {}", refs.join(" "));
    }
    let _ = writeln!(out, "X-Charla-Conversation: {}", c.id);
    if let Some(k) = t.channel {
        let _ = writeln!(out, "X-Charla-Channel: {}", k.as_str());
    }
    let _ = writeln!(out, "X-Charla-Direction: {}", m.direction.as_str());
    let _ = writeln!(out, "MIME-Version: 1.0");
    let _ = writeln!(out, "Content-Type: text/plain; charset=utf-8");
    let _ = writeln!(out, "Content-Transfer-Encoding: 8bit");
    out.push('\n');
    let mut body = m
        .email
        .as_ref()
        .and_then(|e| e.full_text.clone())
        .unwrap_or_else(|| m.content.clone());
    for a in &m.attachments {
        let kept = if a.stored { "" } else { ", not kept" };
        let _ = write!(
            body,
            "\n[Attachment: {} ({}, {}{kept})]",
            a.filename,
            a.mime,
            human_size(a.size)
        );
    }
    out.push_str(&quote_body(&body));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_lines_in_bodies_are_quoted_reversibly() {
        let body = "Hi\nFrom here on\n>From there\nFrom\nnot From x\r\nFrom  y";
        assert_eq!(
            quote_body(body),
            "Hi\n>From here on\n>>From there\nFrom\nnot From x\n>From  y\n"
        );
    }

    #[test]
    fn headers_are_ascii_and_addresses_have_no_spaces() {
        assert_eq!(encode_word("Pedido"), "Pedido");
        assert_eq!(encode_word("Señal"), "=?utf-8?b?U2XDsWFs?=");
        assert_eq!(address(Some("ana@example.com")), "ana@example.com");
        assert_eq!(
            address(Some("+34 600 111 222")),
            "+34600111222@charla.invalid"
        );
        assert_eq!(address(Some("a b@x")), "abx@charla.invalid");
        assert_eq!(address(None), "unknown@charla.invalid");
        assert_eq!(mailbox("Ana \"x\"", "a@b"), "\"Ana x\" <a@b>");
        assert_eq!(
            asctime(Timestamp(1_780_000_000_000)),
            "Thu May 28 20:26:40 2026"
        );
        assert_eq!(
            rfc5322(Timestamp(1_780_000_000_000)),
            "Thu, 28 May 2026 20:26:40 +0000"
        );
    }
}

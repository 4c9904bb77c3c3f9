//! Raw bytes to [`ParsedEmail`] with mail-parser. Total: any input gives a value, and a
//! mail that cannot be read keeps its raw text as the body so nothing is lost.

use super::{Attachment, Limits, ParsedEmail, classify, sanitize::sanitize_html};
use mail_parser::decoders::html::{html_to_text, text_to_html};
use mail_parser::{
    Address, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};
use sha2::{Digest, Sha256};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Longest file name kept (in characters), so a hostile header cannot bloat every page.
const MAX_FILENAME_CHARS: usize = 200;

/// Turns one raw mail into what Charla stores; total, never panics (see the property tests).
pub fn parse(raw: &[u8], limits: &Limits) -> ParsedEmail {
    // mail-parser promises not to panic, but has debug assertions and unchecked
    // arithmetic on recovery paths; a mail must never take the poller down with it.
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        MessageParser::default()
            .parse(raw)
            .filter(|m| !m.parts.is_empty())
            .map(|m| from_message(&m, limits))
    }));
    match parsed {
        Ok(Some(email)) if has_content(&email) => email,
        // No header at all, or headers that yield neither sender nor content: keep the raw.
        Ok(_) => unparseable(raw, "This is not a readable email; its raw text is kept."),
        Err(_) => unparseable(
            raw,
            "The email parser failed on this mail; its raw text is kept.",
        ),
    }
}

/// Dedupe key that tells apart two mails sharing a Message-ID, yet not one mail seen twice.
pub fn content_key(email: &ParsedEmail) -> String {
    // `{message_id}|{hex SHA-256 of (Date, From address, text)}`; the id may be empty.
    let date = email.date.map(|d| d.to_string()).unwrap_or_default();
    let from = email.from.as_ref().map_or("", |(a, _)| a.as_str());
    let mut hash = Sha256::new();
    for field in [date.as_bytes(), from.as_bytes(), email.text.as_bytes()] {
        // Length-prefixed, so moving bytes between fields changes the hash.
        hash.update((field.len() as u64).to_be_bytes());
        hash.update(field);
    }
    format!(
        "{}|{}",
        email.message_id.as_deref().unwrap_or(""),
        hex::encode(hash.finalize())
    )
}

fn has_content(e: &ParsedEmail) -> bool {
    e.from.is_some() || !e.text.trim().is_empty() || e.html.is_some() || !e.attachments.is_empty()
}

fn unparseable(raw: &[u8], note: &str) -> ParsedEmail {
    ParsedEmail {
        text: String::from_utf8_lossy(raw).into_owned(),
        unparseable: true,
        notes: vec![note.to_string()],
        ..ParsedEmail::default()
    }
}

fn from_message(m: &Message<'_>, limits: &Limits) -> ParsedEmail {
    let from = first_address(m.from());
    let subject = m.subject().unwrap_or("").trim().to_string();
    let mut notes = Vec::new();
    let attachments = attachments(m, limits, &mut notes);
    if m.parts.iter().any(|p| p.is_encoding_problem) {
        notes.push("Part of this mail was malformed and is shown as it arrived.".to_string());
    }
    ParsedEmail {
        message_id: ids(m.header_values("Message-ID")).into_iter().next(),
        in_reply_to: ids(m.header_values("In-Reply-To")),
        references: ids(m.header_values("References")),
        reply_to: first_address(m.reply_to()),
        to: addresses(m.all_to()),
        cc: addresses(m.all_cc()),
        date: m
            .date()
            .filter(|d| d.is_valid())
            .and_then(|d| d.to_timestamp().checked_mul(1000)),
        text: body_text(m),
        html: body_html(m),
        auto_reply: classify::is_auto_reply(m, &subject),
        bounce: classify::is_bounce(m, from.as_ref().map(|(a, _)| a.as_str())),
        unparseable: false,
        from,
        subject,
        attachments,
        notes,
    }
}

/// Message ids of every occurrence of a header, without brackets, deduplicated in order.
fn ids<'a, 'x: 'a>(values: impl Iterator<Item = &'a HeaderValue<'x>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let found: Vec<&str> = match value {
            HeaderValue::Text(t) => vec![t.as_ref()],
            HeaderValue::TextList(list) => list.iter().map(|t| t.as_ref()).collect(),
            _ => Vec::new(),
        };
        for id in found.into_iter().filter_map(clean_id) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// Trims an id and its angle brackets; `None` when nothing is left.
pub(super) fn clean_id(id: &str) -> Option<String> {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id).trim();
    (!id.is_empty()).then(|| id.to_string())
}

fn first_address(list: Option<&Address<'_>>) -> Option<(String, Option<String>)> {
    let addr = list?
        .iter()
        .find(|a| a.address.as_deref().is_some_and(|s| !s.trim().is_empty()))?;
    let address = addr.address.as_deref()?.trim().to_lowercase();
    let name = addr
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    Some((address, name))
}

fn addresses<'a, 'x: 'a>(lists: impl Iterator<Item = &'a Address<'x>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for addr in lists.flat_map(|l| l.iter()) {
        if let Some(a) = addr.address.as_deref().map(|a| a.trim().to_lowercase())
            && !a.is_empty()
            && !out.contains(&a)
        {
            out.push(a);
        }
    }
    out
}

fn part<'a, 'x>(m: &'a Message<'x>, id: u32) -> Option<&'a MessagePart<'x>> {
    m.parts.get(id as usize)
}

fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n")
}

fn body_text(m: &Message<'_>) -> String {
    let text = texts_of(m, &m.text_body);
    if text.trim().is_empty() {
        // Some senders put an empty text/plain next to the real HTML.
        return texts_of(m, &m.html_body);
    }
    text
}

/// The text of the listed body parts (HTML ones rendered as text), joined.
fn texts_of(m: &Message<'_>, ids: &[u32]) -> String {
    let mut texts = Vec::new();
    for &id in ids {
        match part(m, id).map(|p| &p.body) {
            Some(PartType::Text(t)) => texts.push(normalize_newlines(t)),
            Some(PartType::Html(h)) => texts.push(normalize_newlines(&html_to_text(h))),
            _ => {}
        }
    }
    texts.join("\n").trim_end().to_string()
}

fn body_html(m: &Message<'_>) -> Option<String> {
    let mut html = String::new();
    let mut has_html = false;
    for &id in &m.html_body {
        match part(m, id).map(|p| &p.body) {
            Some(PartType::Html(h)) => {
                has_html = true;
                html.push_str(h);
            }
            // A text part between HTML parts (Apple Mail's mixed bodies) keeps its place.
            Some(PartType::Text(t)) => html.push_str(&text_to_html(t)),
            _ => {}
        }
    }
    has_html.then(|| sanitize_html(&html))
}

fn attachments(m: &Message<'_>, limits: &Limits, notes: &mut Vec<String>) -> Vec<Attachment> {
    let mut out = Vec::new();
    for (n, p) in m
        .attachments
        .iter()
        .filter_map(|&id| part(m, id))
        .enumerate()
    {
        let mime = mime_of(p);
        let filename = safe_filename(p.attachment_name(), n + 1, &mime);
        let content_id = p.content_id().and_then(clean_id);
        let inline = mime.starts_with("image/")
            && match p.content_disposition() {
                Some(d) => d.is_inline(),
                None => content_id.is_some() || matches!(p.body, PartType::InlineBinary(_)),
            };
        let bytes = p.contents();
        let data = if bytes.len() > limits.max_attachment_bytes {
            notes.push(format!(
                "attachment {filename} ({}) is over the {} limit and was not stored",
                fmt_size(bytes.len()),
                fmt_size(limits.max_attachment_bytes)
            ));
            None
        } else {
            Some(bytes.to_vec())
        };
        out.push(Attachment {
            filename,
            size: bytes.len(),
            mime,
            data,
            inline,
            content_id,
        });
    }
    out
}

fn mime_of(p: &MessagePart<'_>) -> String {
    match p.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_lowercase(),
            None => ct.ctype().to_lowercase(),
        },
        None => match p.body {
            PartType::Text(_) => "text/plain".to_string(),
            PartType::Html(_) => "text/html".to_string(),
            PartType::Message(_) => "message/rfc822".to_string(),
            _ => "application/octet-stream".to_string(),
        },
    }
}

/// The last path segment without control characters or leading dots, or a made-up name.
fn safe_filename(name: Option<&str>, n: usize, mime: &str) -> String {
    let base = name
        .and_then(|s| s.rsplit(['/', '\\']).next())
        .unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILENAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if !cleaned.is_empty() {
        return cleaned.to_string();
    }
    let ext = match mime {
        "message/rfc822" | "message/global" => "eml",
        "text/plain" => "txt",
        "text/html" => "html",
        m => match mime_guess::get_mime_extensions_str(m).and_then(|e| e.first().copied()) {
            Some(ext) => ext,
            None if m.starts_with("message/") || m.starts_with("text/") => "txt",
            None => "bin",
        },
    };
    format!("attachment-{n}.{ext}")
}

/// Decimal sizes ("31.2 MB", "30 MB"), the unit mail clients show.
pub(super) fn fmt_size(bytes: usize) -> String {
    crate::domain::message::human_size(bytes as u64)
}

//! Raw bytes to [`ParsedEmail`] with mail-parser. Total: any input gives a value, and a
//! mail that cannot be read keeps its raw text as the body so nothing is lost.

use super::sanitize::sanitize_html;
use super::{Attachment, Limits, ParsedEmail, charset, classify, html_text::html_text};
use mail_parser::decoders::html::text_to_html;
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
        let m = MessageParser::default()
            .parse(raw)
            .filter(|m| !m.parts.is_empty())?;
        // Raw 8-bit bytes in the headers would become U+FFFD (and then our reply's
        // subject): decode them in the body's charset, else as Windows-1252, and parse
        // the repaired mail instead.
        if let Some(fixed) = charset::repair_headers(raw, charset::declared_charset(&m)) {
            return MessageParser::default()
                .parse(&fixed[..])
                .filter(|m| !m.parts.is_empty())
                .map(|m| from_message(&m, limits));
        }
        Some(from_message(&m, limits))
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

/// Dedupe key that tells apart two mails sharing a Message-ID (or both without one), yet
/// not one mail seen twice: `{message_id}|2:{hex SHA-256}` over the date, the sender, the
/// subject, the text and each attachment's SHA-256, so that mails differing only in
/// subject or attachments are both kept.
pub fn content_key(email: &ParsedEmail) -> String {
    let date = email.date.map(|d| d.to_string()).unwrap_or_default();
    let from = email.from.as_ref().map_or("", |(a, _)| a.as_str());
    let reply = email.reply_address.as_deref().unwrap_or("");
    let mut fields: Vec<&[u8]> = vec![
        date.as_bytes(),
        from.as_bytes(),
        reply.as_bytes(),
        email.subject.as_bytes(),
        email.text.as_bytes(),
    ];
    fields.extend(email.attachments.iter().map(|a| &a.sha256[..]));
    format!(
        "{}|2:{}",
        email.message_id.as_deref().unwrap_or(""),
        digest(&fields)
    )
}

/// The key [`content_key`] made before it covered subject and attachments: mail stored
/// under it must still be recognised after an upgrade (a UIDVALIDITY change makes the
/// poller fetch the whole folder again).
pub fn legacy_content_key(email: &ParsedEmail) -> String {
    // `{message_id}|{hex SHA-256 of (Date, From address, text)}`; the id may be empty.
    let date = email.date.map(|d| d.to_string()).unwrap_or_default();
    let from = email.from.as_ref().map_or("", |(a, _)| a.as_str());
    format!(
        "{}|{}",
        email.message_id.as_deref().unwrap_or(""),
        digest(&[date.as_bytes(), from.as_bytes(), email.text.as_bytes()])
    )
}

fn digest(fields: &[&[u8]]) -> String {
    let mut hash = Sha256::new();
    for field in fields {
        // Length-prefixed, so moving bytes between fields changes the hash.
        hash.update((field.len() as u64).to_be_bytes());
        hash.update(field);
    }
    hex::encode(hash.finalize())
}

fn has_content(e: &ParsedEmail) -> bool {
    e.from.is_some()
        || e.reply_address.is_some()
        || !e.text.trim().is_empty()
        || e.html.is_some()
        || !e.attachments.is_empty()
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
    let reply_to = first_address(m.reply_to());
    // Where answers can go: From, else Reply-To, Sender, Return-Path (`"Facebook" <>`
    // and bare display names happen); none of them usable means nowhere.
    let sender = first_address(m.sender());
    let return_path = return_path(m);
    let answer = [&from, &reply_to, &sender, &return_path]
        .into_iter()
        .flatten()
        .find(|(a, _)| usable(a));
    let from_name = from_name(m)
        .or_else(|| answer.and_then(|(_, n)| n.clone()))
        .filter(|n| !n.is_empty());
    let reply_address = answer.map(|(a, _)| a.clone());
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
        reply_to,
        reply_address,
        from_name,
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

/// An address mail can be sent to: `local@domain`, nothing blank, no spaces or brackets.
fn usable(address: &str) -> bool {
    address.rsplit_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.is_empty()
            && !address.contains(|c: char| c.is_whitespace() || "<>,;\"".contains(c))
    })
}

/// The display name of the first From entry that has one, even without an address.
fn from_name(m: &Message<'_>) -> Option<String> {
    m.from()?
        .iter()
        .find_map(|a| a.name.as_deref().map(str::trim).filter(|n| !n.is_empty()))
        .map(str::to_string)
}

/// Return-Path's address (`<>`, the null sender of bounces, gives none).
fn return_path(m: &Message<'_>) -> Option<(String, Option<String>)> {
    match m.return_path() {
        HeaderValue::Address(a) => first_address(Some(a)),
        HeaderValue::Text(t) => clean_id(t).map(|a| (a.to_lowercase(), None)),
        HeaderValue::TextList(l) => l
            .iter()
            .find_map(|t| clean_id(t))
            .map(|a| (a.to_lowercase(), None)),
        _ => None,
    }
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

/// A text or HTML part's text, with the charset and base64 repairs of [`charset`].
fn text_of<'a>(m: &Message<'_>, p: &'a MessagePart<'_>) -> Option<std::borrow::Cow<'a, str>> {
    charset::part_text(m, p)
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
    for p in ids.iter().filter_map(|&id| part(m, id)) {
        match (&p.body, text_of(m, p)) {
            (PartType::Text(_), Some(t)) => texts.push(normalize_newlines(&t)),
            (PartType::Html(_), Some(h)) => texts.push(normalize_newlines(&html_text(&h))),
            _ => {}
        }
    }
    texts.join("\n").trim_end().to_string()
}

fn body_html(m: &Message<'_>) -> Option<String> {
    let mut html = String::new();
    let mut has_html = false;
    for p in m.html_body.iter().filter_map(|&id| part(m, id)) {
        match (&p.body, text_of(m, p)) {
            (PartType::Html(_), Some(h)) => {
                has_html = true;
                html.push_str(&h);
            }
            // A text part between HTML parts (Apple Mail's mixed bodies) keeps its place.
            (PartType::Text(_), Some(t)) => html.push_str(&text_to_html(&t)),
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
            sha256: Sha256::digest(bytes).into(),
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
pub(crate) fn safe_filename(name: Option<&str>, n: usize, mime: &str) -> String {
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

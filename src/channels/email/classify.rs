//! Telling machine-written mail from people: auto-replies (RFC 3834 and the common
//! vendor headers) and delivery status notifications (RFC 3464). A false "automatic"
//! would silently keep a customer's answer from reopening a conversation, so the
//! subject line alone never decides.

use mail_parser::{Message, MimeHeaders};

/// Subject prefixes autoresponders use; only a hint, confirmed by another header.
const AUTO_SUBJECT_PREFIXES: &[&str] = &[
    "automatic reply:",
    "auto-reply:",
    "autoreply:",
    "auto reply:",
    "auto response:",
    "out of office:",
    "out of office reply:",
    "out of office autoreply:",
    "respuesta automática:",
    "respuesta automatica:",
    "fuera de la oficina:",
    "réponse automatique :",
    "réponse automatique:",
    "resposta automática:",
    "automatische antwort:",
    "abwesenheitsnotiz:",
];

/// The first token of a header (before `;`, spaces, comments), lowercased.
fn token(m: &Message<'_>, name: &'static str) -> Option<String> {
    let raw = m.header_raw(name)?;
    let first = raw
        .split([';', '(', ' ', '\t', '\r', '\n'])
        .find(|t| !t.is_empty())
        .unwrap_or("");
    Some(first.to_ascii_lowercase())
}

fn says_yes(value: Option<String>) -> bool {
    value.is_some_and(|v| !matches!(v.as_str(), "no" | "false" | "0"))
}

/// True for out-of-office and other auto-responses.
pub(super) fn is_auto_reply(m: &Message<'_>, subject: &str) -> bool {
    // RFC 3834: anything but "no" (auto-replied, auto-generated, auto-notified).
    if token(m, "Auto-Submitted").is_some_and(|v| !v.is_empty() && v != "no") {
        return true;
    }
    if says_yes(token(m, "X-Autoreply")) || says_yes(token(m, "X-Autorespond")) {
        return true;
    }
    if token(m, "Precedence").is_some_and(|v| matches!(v.as_str(), "auto_reply" | "bulk" | "junk"))
    {
        return true;
    }
    let subject = subject.to_lowercase();
    let subject_hint = AUTO_SUBJECT_PREFIXES.iter().any(|p| subject.starts_with(p));
    // RFC 3834 asks responders to use the null sender; Exchange adds the suppress header.
    let null_sender = m
        .header_raw("Return-Path")
        .is_some_and(|r| r.trim() == "<>");
    let exchange = m.header_raw("X-Auto-Response-Suppress").is_some();
    subject_hint && (null_sender || exchange)
}

/// True for delivery status notifications (a bounce of a mail we sent).
pub(super) fn is_bounce(m: &Message<'_>, from: Option<&str>) -> bool {
    let root = m.root_part().content_type();
    let is_report = root.is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let report_type = root
        .and_then(|ct| ct.attribute("report-type"))
        .map(str::to_ascii_lowercase);
    if is_report && report_type.as_deref() == Some("delivery-status") {
        return true;
    }
    let local = from
        .and_then(|a| a.split('@').next())
        .unwrap_or("")
        .to_ascii_lowercase();
    let daemon = local == "mailer-daemon" || local == "postmaster";
    let has_dsn_part = m.parts.iter().any(|p| {
        p.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| {
                    s.eq_ignore_ascii_case("delivery-status")
                        || s.eq_ignore_ascii_case("global-delivery-status")
                })
        })
    });
    daemon && has_dsn_part
}

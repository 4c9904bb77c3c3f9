//! Tests of the email parsing path: the fixture corpus, the sanitizer, quote trimming,
//! threading ids, and property tests that nothing panics.

mod classify;
mod fixtures;
mod props;
mod quote;
mod realworld;
mod sanitize;
mod threading;

use super::{Limits, ParsedEmail, parse};

/// A fixture of `tests/fixtures/email/`, compiled in.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/email/",
            $name,
            ".eml"
        ))
    };
}
pub(crate) use fixture;

/// Every fixture, for the corpus-wide and mutation tests.
pub(super) const CORPUS: &[(&str, &[u8])] = &[
    ("01-plain-ascii", fixture!("01-plain-ascii")),
    ("02-utf8-8bit", fixture!("02-utf8-8bit")),
    ("03-latin1-qp", fixture!("03-latin1-qp")),
    ("04-subject-q", fixture!("04-subject-q")),
    ("05-subject-b", fixture!("05-subject-b")),
    ("06-alternative", fixture!("06-alternative")),
    ("07-html-hostile", fixture!("07-html-hostile")),
    ("08-reply-english", fixture!("08-reply-english")),
    ("09-reply-spanish", fixture!("09-reply-spanish")),
    ("10-attachment-pdf", fixture!("10-attachment-pdf")),
    ("11-inline-image", fixture!("11-inline-image")),
    ("12-auto-reply", fixture!("12-auto-reply")),
    ("13-bounce-dsn", fixture!("13-bounce-dsn")),
    ("14-empty-message-id", fixture!("14-empty-message-id")),
    ("15-missing-message-id", fixture!("15-missing-message-id")),
    ("16-same-id-a", fixture!("16-same-id-a")),
    ("17-same-id-b", fixture!("17-same-id-b")),
    (
        "18-outlook-spanish-crlf",
        fixture!("18-outlook-spanish-crlf"),
    ),
    ("19-subject-utf8-raw", fixture!("19-subject-utf8-raw")),
    ("23-no-id-subject-a", fixture!("23-no-id-subject-a")),
    ("25-no-id-attachment-a", fixture!("25-no-id-attachment-a")),
    ("27-8bit-windows-1252", fixture!("27-8bit-windows-1252")),
    ("28-iso-2022-jp", fixture!("28-iso-2022-jp")),
    ("29-shift-jis", fixture!("29-shift-jis")),
    ("30-euc-kr", fixture!("30-euc-kr")),
    ("31-gb2312", fixture!("31-gb2312")),
    ("32-big5", fixture!("32-big5")),
    (
        "33-shift-jis-raw-subject",
        fixture!("33-shift-jis-raw-subject"),
    ),
    ("34-html-newsletter", fixture!("34-html-newsletter")),
    ("35-bad-base64", fixture!("35-bad-base64")),
];

/// Parses with the default limits.
fn p(raw: &[u8]) -> ParsedEmail {
    parse(raw, &Limits::default())
}

/// Asserts sanitized HTML is inert. ammonia's output is canonical (every `<` opens a
/// tag, values are double-quoted without a literal `"`), so tags can be read exactly.
/// Text may still *mention* `onerror=`: it is escaped there and harmless.
pub(super) fn assert_inert(html: &str) {
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script",
        "<iframe",
        "<svg",
        "<math",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<style",
        "<link",
        "<meta",
        "<base",
        "<frame",
        "<textarea",
        "<button",
        "<select",
        "<video",
        "<audio",
        "<source",
        "<template",
        "<noscript",
        "<!--",
    ] {
        assert!(!lower.contains(banned), "{banned} survived in {html}");
    }
    let mut rest = lower.as_str();
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').map_or(rest.len(), |e| start + e);
        check_tag(&rest[start + 1..end], html);
        rest = &rest[(end + 1).min(rest.len())..];
    }
}

fn check_tag(tag: &str, html: &str) {
    let tag = tag.trim_start_matches('/');
    let mut parts = tag.splitn(2, ' ');
    let _name = parts.next();
    let mut attrs = parts.next().unwrap_or("");
    while let Some(eq) = attrs.find("=\"") {
        let name = attrs[..eq].trim();
        let value_end = attrs[eq + 2..].find('"').expect("quoted value") + eq + 2;
        let value = &attrs[eq + 2..value_end];
        assert!(!name.starts_with("on"), "event handler {name} in {html}");
        assert!(
            ![
                "href",
                "src",
                "data-remote-src",
                "data-cid",
                "action",
                "formaction"
            ]
            .contains(&name)
                || !(value.contains("javascript:")
                    || value.trim_start().starts_with("data:")
                    || value.contains("vbscript:")),
            "active URL {name}={value} in {html}"
        );
        if name == "src" {
            assert_eq!(value, "", "image not blocked in {html}");
        }
        if name == "style" {
            assert!(
                !value.contains("expression") && !value.contains("url("),
                "active CSS in {html}"
            );
        }
        attrs = &attrs[value_end + 1..];
    }
}

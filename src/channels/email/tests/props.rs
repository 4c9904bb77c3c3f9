//! Property tests: the parse path never panics on arbitrary, mutated or MIME-shaped
//! bytes; the sanitizer never panics and never lets active content through.

use super::{CORPUS, assert_inert};
use crate::channels::email::{
    Limits, content_key, parse, sanitize_html, trim_quoted, verify_message_id,
};
use proptest::prelude::*;

/// Small limits, so the over-limit path runs too.
const LIMITS: Limits = Limits {
    max_attachment_bytes: 64,
};

fn check_parse(raw: &[u8]) {
    let e = parse(raw, &LIMITS);
    // Whatever came in, the result is usable downstream.
    let _ = content_key(&e);
    let _ = trim_quoted(&e.text);
    if let Some(html) = &e.html {
        assert_inert(html);
    }
    for a in &e.attachments {
        assert!(!a.filename.is_empty());
        assert!(a.data.as_ref().is_none_or(|d| d.len() == a.size));
    }
}

/// Pieces of MIME structure, so random input reaches the deep paths of the parser.
fn mime_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Content-Type: multipart/mixed; boundary=\"b\"\n".to_string()),
        Just("Content-Type: multipart/alternative; boundary=b\n".to_string()),
        Just("Content-Type: multipart/related; boundary=\"c\"\n".to_string()),
        Just("Content-Type: message/rfc822\n".to_string()),
        Just("Content-Type: text/html; charset=iso-8859-1\n".to_string()),
        Just("Content-Type: image/png; name=a.png\n".to_string()),
        Just("Content-Transfer-Encoding: base64\n".to_string()),
        Just("Content-Transfer-Encoding: quoted-printable\n".to_string()),
        Just("Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.pdf\n".to_string()),
        Just("Content-ID: <x@y>\n".to_string()),
        Just("Subject: =?utf-8?B?w6k=?= =?iso-8859-1?q?=E9?=\n".to_string()),
        Just("From: \"A\" <a@b>, ,;: <>\n".to_string()),
        Just("Date: Mon, 3 Jun 2024 10:00:00 +0000\n".to_string()),
        Just("Message-ID: <\n".to_string()),
        Just("--b\n".to_string()),
        Just("--b--\n".to_string()),
        Just("--c\n".to_string()),
        Just("\n".to_string()),
        Just("<img src=cid:x@y onerror=alert(1)><script>".to_string()),
        "[ -~]{0,40}\n",
        "[A-Za-z0-9+/=]{0,80}\n",
    ]
}

/// Dangerous HTML tokens mixed with arbitrary text.
fn html_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<script>".to_string()),
        Just("</script>".to_string()),
        Just("<img src=x onerror=alert(1)>".to_string()),
        Just(" onerror=".to_string()),
        Just("<svg>".to_string()),
        Just("<math><mtext>".to_string()),
        Just("<style>".to_string()),
        Just("<iframe>".to_string()),
        Just("<noscript>".to_string()),
        Just("<a href=\"javascript:alert(1)\">".to_string()),
        Just("<img src=\"https://t.example/p.gif\">".to_string()),
        Just("<p style=\"x:expression(1)\">".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("<".to_string()),
        Just(">".to_string()),
        Just("<!--".to_string()),
        Just("-->".to_string()),
        ".{0,20}",
    ]
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=100000 for a longer fuzzing run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check_parse(&raw);
    }

    #[test]
    fn parse_never_panics_on_mutated_fixtures(
        which in 0..CORPUS.len(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut raw = CORPUS[which].1.to_vec();
        for (at, byte) in flips {
            let i = at.index(raw.len());
            raw[i] = byte;
        }
        if truncate {
            raw.truncate(cut.index(raw.len() + 1));
        }
        check_parse(&raw);
    }

    #[test]
    fn parse_never_panics_on_mime_shaped_input(parts in proptest::collection::vec(mime_fragment(), 0..40)) {
        check_parse(parts.concat().as_bytes());
    }

    #[test]
    fn sanitize_never_panics_and_stays_inert(parts in proptest::collection::vec(html_fragment(), 0..30)) {
        let out = sanitize_html(&parts.concat());
        prop_assert!(!out.to_ascii_lowercase().contains("<script"));
        assert_inert(&out);
    }

    #[test]
    fn trim_never_empties_a_message(text in "(.{0,30}\n){0,12}") {
        let (new, _) = trim_quoted(&text);
        if !text.trim().is_empty() {
            prop_assert!(!new.trim().is_empty());
        }
    }

    #[test]
    fn verify_never_panics_nor_accepts_junk(id in ".{0,120}") {
        prop_assert_eq!(verify_message_id(b"secret", &id), None);
    }
}

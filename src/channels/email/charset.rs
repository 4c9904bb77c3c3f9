//! Bytes that do not say (or lie about) how they are encoded: raw 8-bit headers, text
//! parts without a charset, text declared base64 that is not. mail-parser turns invalid
//! UTF-8 into U+FFFD, which then ends up in the timeline and in our own reply's subject;
//! here such bytes are read as Windows-1252 (what unlabelled 8-bit mail almost always
//! is), or as the charset the mail declares for its body.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Encoding, Message, MessagePart, MimeHeaders, PartType};
use std::borrow::Cow;

/// UTF-8 where the bytes are valid UTF-8, Windows-1252 for each byte that is not: a
/// mostly-UTF-8 text with one stray Latin-1 byte keeps its UTF-8 characters.
pub(super) fn utf8_or_1252(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (valid, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len()).max(1).min(bad.len());
                let (cp1252, _, _) = encoding_rs::WINDOWS_1252.decode(&bad[..n]);
                out.push_str(&cp1252);
                rest = &bad[n..];
            }
        }
    }
}

/// The raw mail with every top-level header line that is not valid UTF-8 decoded (as
/// `charset` when it names a known non-UTF-8 charset, else [`utf8_or_1252`]) and written
/// back as UTF-8, which mail-parser then reads as is. `None` when every line is valid.
pub(super) fn repair_headers(raw: &[u8], charset: Option<&str>) -> Option<Vec<u8>> {
    let end = header_end(raw);
    let head = &raw[..end];
    if std::str::from_utf8(head).is_ok() {
        return None;
    }
    let declared = charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
        .filter(|e| *e != encoding_rs::UTF_8);
    let mut out = Vec::with_capacity(raw.len() + 64);
    for line in head.split_inclusive(|b| *b == b'\n') {
        if std::str::from_utf8(line).is_ok() {
            out.extend_from_slice(line);
            continue;
        }
        let text = match declared {
            Some(enc) => enc.decode_without_bom_handling(line).0.into_owned(),
            None => utf8_or_1252(line),
        };
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(&raw[end..]);
    Some(out)
}

/// Where the top-level header block ends (its blank line included), or the whole input.
fn header_end(raw: &[u8]) -> usize {
    let mut at = 0;
    for line in raw.split_inclusive(|b| *b == b'\n') {
        at += line.len();
        if line == b"\n" || line == b"\r\n" {
            return at;
        }
    }
    raw.len()
}

/// The charset the mail declares for its text: the top-level Content-Type's, else the
/// first text part's (where raw 8-bit headers most likely come from too).
pub(super) fn declared_charset<'a>(m: &'a Message<'_>) -> Option<&'a str> {
    // Parts are in mail order: the root first, then the first text part.
    m.parts
        .iter()
        .find_map(|p| p.content_type().and_then(|ct| ct.attribute("charset")))
}

/// The text of a text or HTML part as Charla shows it: what mail-parser decoded, except
/// (a) undeclared or UTF-8-declared bytes that are not UTF-8 (mail-parser's U+FFFD), read
/// again as [`utf8_or_1252`], and (b) text declared base64 that is not base64 (decoding it
/// gives binary garbage), shown as it arrived.
pub(super) fn part_text<'a>(m: &Message<'_>, p: &'a MessagePart<'_>) -> Option<Cow<'a, str>> {
    let decoded: &'a str = match &p.body {
        PartType::Text(t) | PartType::Html(t) => t.as_ref(),
        _ => return None,
    };
    let raw = m
        .raw_message()
        .get(p.offset_body as usize..p.offset_end as usize)
        .unwrap_or_default();
    if p.encoding == Encoding::Base64 && !is_strict_base64(raw) && looks_binary(decoded) {
        return Some(Cow::Owned(utf8_or_1252(trim_newline(raw))));
    }
    let charset = p.content_type().and_then(|ct| ct.attribute("charset"));
    // No charset, UTF-8 (which the bytes are not, then) or one nobody knows.
    let unlabelled = charset.is_none_or(|c| {
        let c = c.trim().to_ascii_lowercase();
        c == "utf-8" || c == "utf8" || charset_decoder(c.as_bytes()).is_none()
    });
    if unlabelled && decoded.contains('\u{FFFD}') {
        let bytes = match p.encoding {
            Encoding::None => Some(trim_newline(raw).to_vec()),
            Encoding::QuotedPrintable => quoted_printable_decode(raw),
            Encoding::Base64 => {
                let compact: Vec<u8> = raw
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                base64_decode(&compact)
            }
        };
        if let Some(bytes) = bytes {
            return Some(Cow::Owned(utf8_or_1252(&bytes)));
        }
    }
    Some(Cow::Borrowed(decoded))
}

/// One line break at the end belongs to the MIME structure, not to the text.
fn trim_newline(raw: &[u8]) -> &[u8] {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    raw.strip_suffix(b"\r").unwrap_or(raw)
}

/// Base64 as encoders write it: lines of the alphabet only, `=` padding at the very end,
/// a multiple of four characters. (mail-parser skips spaces, so plain English "decodes".)
fn is_strict_base64(raw: &[u8]) -> bool {
    let mut n = 0usize;
    let mut padding = 0usize;
    for line in raw.split(|b| *b == b'\n') {
        for &b in line.trim_ascii() {
            match b {
                b'=' => padding += 1,
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if padding == 0 => {}
                _ => return false,
            }
            n += 1;
        }
    }
    padding <= 2 && n.is_multiple_of(4)
}

/// Decoded "text" that is not text: replacement characters or control characters.
fn looks_binary(text: &str) -> bool {
    text.chars()
        .any(|c| c == '\u{FFFD}' || c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_become_windows_1252_and_valid_utf8_stays() {
        assert_eq!(utf8_or_1252(b"caf\xe9 \x93ok\x94"), "café “ok”");
        assert_eq!(utf8_or_1252("año".as_bytes()), "año");
        assert_eq!(utf8_or_1252(b"a\xc3\xb1o y se\xf1or"), "año y señor");
        assert_eq!(utf8_or_1252(b"\xe2\x82"), "â‚", "a cut UTF-8 sequence too");
    }

    #[test]
    fn only_broken_header_lines_are_rewritten() {
        let raw = b"Subject: Caf\xe9\r\nFrom: a@b.c\r\n\r\nbody \xe9\r\n";
        let fixed = repair_headers(raw, None).unwrap();
        assert_eq!(
            fixed,
            b"Subject: Caf\xc3\xa9\r\nFrom: a@b.c\r\n\r\nbody \xe9\r\n"
        );
        assert_eq!(repair_headers(b"Subject: ok\r\n\r\n\xe9", None), None);
        // Raw Shift_JIS in a header of a mail whose body says Shift_JIS.
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("件名");
        let mut raw = b"Subject: ".to_vec();
        raw.extend_from_slice(&sjis);
        raw.extend_from_slice(b"\r\n\r\n");
        let fixed = repair_headers(&raw, Some("shift_jis")).unwrap();
        assert_eq!(String::from_utf8(fixed).unwrap(), "Subject: 件名\r\n\r\n");
    }

    #[test]
    fn strict_base64_is_told_from_plain_text() {
        assert!(is_strict_base64(b"SGVsbG8gd29ybGQ=\r\n"));
        assert!(is_strict_base64(b"SGVs\r\nbG8g\r\n"));
        assert!(!is_strict_base64(b"Hello there this is plain text\r\n"));
        assert!(
            !is_strict_base64(b"SGVsbG8gd29ybGQ"),
            "not a multiple of four"
        );
        assert!(!is_strict_base64(b"SG=Vs"), "padding only at the end");
    }
}

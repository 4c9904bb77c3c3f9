//! Auto-reply and bounce recognition on small hand-written mails, both ways, plus the
//! edges of parsing (unparseable input, bad dates, several parts, size notes).

use super::p;
use crate::channels::email::parse::fmt_size;

fn mail(headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Ana <ana@example.com>\nTo: support@charla.test\nDate: Mon, 3 Jun 2024 10:00:00 \
         +0000\nMessage-ID: <m@example.com>\n{headers}\n\n{body}\n"
    )
    .into_bytes()
}

#[test]
fn auto_reply_headers() {
    for h in [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated; owner-email=\"x@example.com\"",
        "auto-submitted: Auto-Notified",
        "X-Autoreply: yes",
        "X-Autorespond: Vacation",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: auto_reply",
        "Subject: Automatic reply: Hello\nReturn-Path: <>",
        "Subject: Respuesta automática: Hola\nX-Auto-Response-Suppress: All",
    ] {
        let e = p(&mail(h, "Away."));
        assert!(e.auto_reply, "{h}");
        assert!(!e.bounce, "{h}");
    }
}

#[test]
fn people_are_not_auto_replies() {
    for h in [
        "Auto-Submitted: no",
        "X-Autoreply: no",
        "Precedence: list",
        // A subject alone is only a hint: a person may well write this.
        "Subject: Out of Office: back on Monday?",
        "Subject: Automatic reply: why did I get one?",
        "Return-Path: <ana@example.com>\nSubject: Automatic reply: Hello",
    ] {
        assert!(!p(&mail(h, "Hi.")).auto_reply, "{h}");
    }
}

#[test]
fn mailer_daemon_with_a_dsn_part_is_a_bounce() {
    let raw = "From: MAILER-DAEMON@mx.example.com\nTo: support@charla.test\n\
               Subject: failure notice\nMIME-Version: 1.0\n\
               Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
               Content-Type: text/plain\n\nCould not deliver.\n--b\n\
               Content-Type: message/delivery-status\n\nAction: failed\n--b--\n";
    let e = p(raw.as_bytes());
    assert!(e.bounce);
    assert_eq!(e.text, "Could not deliver.");
}

#[test]
fn not_bounces() {
    // Read receipts are reports too, but not about delivery.
    let mdn = "From: ana@example.com\nTo: support@charla.test\nSubject: Read: Hello\n\
               Content-Type: multipart/report; report-type=disposition-notification; \
               boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nYour message was read.\n\
               --b\nContent-Type: message/disposition-notification\n\n\
               Disposition: manual-action/MDN-sent-manually; displayed\n--b--\n";
    assert!(!p(mdn.as_bytes()).bounce);
    // The postmaster writing as a person is not a bounce either.
    let person = "From: postmaster@example.com\nTo: support@charla.test\nSubject: Hi\n\nHello\n";
    assert!(!p(person.as_bytes()).bounce);
}

#[test]
fn unparseable_input_keeps_its_bytes_as_text() {
    for raw in [&b""[..], b"no header here", b"\n\n\n"] {
        let e = p(raw);
        assert!(e.unparseable, "{raw:?}");
        assert_eq!(e.text, String::from_utf8_lossy(raw));
        assert_eq!(e.notes.len(), 1);
    }
    let junk = b"\xff\xfe\x00 binary \x80 junk";
    let e = p(junk);
    assert!(e.unparseable);
    assert!(e.text.contains("binary"));
}

#[test]
fn bad_dates_and_odd_addresses() {
    let raw = "From: <  Ana@Example.COM >\nTo: a@x.test, Group: b@x.test, c@x.test;\n\
               Date: Mon, 33 Foo 2024 99:00:00 +0000\nSubject:   spaced   \n\nHi\n";
    let e = p(raw.as_bytes());
    assert_eq!(e.date, None);
    assert_eq!(e.from, Some(("ana@example.com".into(), None)));
    assert_eq!(e.subject, "spaced");
    assert_eq!(e.to, vec!["a@x.test", "b@x.test", "c@x.test"]);
}

#[test]
fn reply_to_and_multiple_ids() {
    let raw = "From: Ana <ana@example.com>\nReply-To: Team <Team@Example.com>\n\
               Message-ID: <first@x> <second@x>\nIn-Reply-To: <a@x>\n\
               References: <a@x>\n <b@x>\nReferences: <b@x> <c@x>\n\nHi\n";
    let e = p(raw.as_bytes());
    assert_eq!(
        e.reply_to,
        Some(("team@example.com".into(), Some("Team".into())))
    );
    assert_eq!(e.message_id.as_deref(), Some("first@x"));
    assert_eq!(e.in_reply_to, vec!["a@x"]);
    assert_eq!(e.references, vec!["a@x", "b@x", "c@x"]);
}

#[test]
fn mixed_text_parts_are_joined_and_html_text_parts_not_lost() {
    let raw = "From: ana@example.com\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
               --b\nContent-Type: text/plain\n\nFirst part.\n\
               --b\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\n\
               R0lGODlhAQABAAAAACw=\n--b\nContent-Type: text/plain\n\nSecond part.\n--b--\n";
    let e = p(raw.as_bytes());
    assert_eq!(e.text, "First part.\nSecond part.");
    assert_eq!(e.html, None);
    assert_eq!(e.attachments.len(), 1);
    assert_eq!(e.attachments[0].mime, "image/gif");
    assert_eq!(e.attachments[0].filename, "attachment-1.gif");
    assert!(e.attachments[0].inline); // an image shown between the two texts
}

#[test]
fn empty_text_part_falls_back_to_the_html() {
    let raw = "From: ana@example.com\nContent-Type: multipart/alternative; boundary=\"b\"\n\n\
               --b\nContent-Type: text/plain\n\n \n--b\nContent-Type: text/html\n\n\
               <p>Real <b>content</b></p>\n--b--\n";
    let e = p(raw.as_bytes());
    assert_eq!(e.text, "Real content");
    assert_eq!(e.html.as_deref(), Some("<p>Real <b>content</b></p>"));
}

#[test]
fn hostile_filenames_are_made_safe() {
    let raw = "From: ana@example.com\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
               --b\nContent-Type: text/plain\n\nSee files.\n\
               --b\nContent-Type: application/octet-stream\n\
               Content-Disposition: attachment; filename=\"C:\\\\Windows\\\\..\\\\.evil\x07.exe\"\n\n\
               MZ\n--b\nContent-Type: application/zip\n\
               Content-Disposition: attachment; filename=\"...\"\n\nPK\n--b--\n";
    let e = p(raw.as_bytes());
    let names: Vec<&str> = e.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert_eq!(names, vec!["evil.exe", "attachment-2.zip"]);
}

#[test]
fn sizes_read_like_a_mail_client() {
    assert_eq!(fmt_size(0), "0 B");
    assert_eq!(fmt_size(999), "999 B");
    assert_eq!(fmt_size(1_500), "1.5 kB");
    assert_eq!(fmt_size(30_000_000), "30 MB");
    assert_eq!(fmt_size(31_234_567), "31.2 MB");
}

#[test]
fn single_byte_charsets_decode() {
    let raw = b"From: a@b.c\nSubject: =?windows-1251?Q?=CF=F0=E8=E2=E5=F2?=\n\
                Content-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n";
    let e = p(raw);
    assert_eq!((e.subject.as_str(), e.text.as_str()), ("Привет", "Привет"));
}

/// mail-parser is built with its `full_encoding` feature: Shift_JIS, ISO-2022-JP and the
/// other multi-byte charsets are decoded; an unknown charset's 8-bit bytes are read as
/// Windows-1252, not turned into U+FFFD.
#[test]
fn multibyte_charsets_are_decoded_and_unknown_ones_read_as_windows_1252() {
    let mut raw = b"From: a@b.c\nSubject: =?ISO-2022-JP?B?GyRCJU8lbSE8GyhC?=\n\
                    Content-Type: text/plain; charset=Shift_JIS\n\n"
        .to_vec();
    raw.extend_from_slice(b"\x83n\x83\x8D\x81[\n"); // "ハロー"
    let e = p(&raw);
    assert_eq!(e.subject, "ハロー");
    assert_eq!(e.text, "ハロー");
    let unknown = b"From: a@b.c\nContent-Type: text/plain; charset=x-unknown\n\ncaf\xe9\n";
    assert_eq!(p(unknown).text, "café");
}

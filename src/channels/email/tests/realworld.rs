//! Shapes of real-world mail (fixtures 20-35, written by
//! `tests/fixtures/email/make-realworld.py`): no usable From, no Message-ID, raw 8-bit
//! headers, East Asian charsets, HTML newsletters, text declared base64 that is not.

use super::{fixture, p};
use crate::channels::email::{content_key, legacy_content_key};

#[test]
fn from_without_address_falls_back_to_reply_to_sender_and_return_path() {
    // `"Facebook" <>` and nothing else: no address to answer, the name is kept.
    let e = p(fixture!("20-from-empty-address"));
    assert_eq!(e.reply_address, None);
    assert_eq!(e.from_name.as_deref(), Some("Facebook"));
    assert!(!e.unparseable);
    assert_eq!(e.text, "Ana and 2 others commented on your post.");
    // A bare display name with a Reply-To: the Reply-To answers.
    let e = p(fixture!("21-from-bare-name-reply-to"));
    assert_eq!(
        e.reply_address.as_deref(),
        Some("notify@facebookmail.example")
    );
    assert_eq!(e.from_name.as_deref(), Some("Facebook"));
    // Garbage in From and Sender: Return-Path is the last resort.
    let e = p(fixture!("22-from-garbage-return-path"));
    assert_eq!(
        e.reply_address.as_deref(),
        Some("bounces+abc123@mailer.example")
    );
    // A usable From always wins, even with a Reply-To beside it.
    let e = p(fixture!("01-plain-ascii"));
    assert_eq!(e.reply_address.as_deref(), Some("maria.lopez@example.org"));
    // A bounce's null Return-Path (`<>`) is no address either.
    let raw = b"Return-Path: <>\nFrom: Mailer Daemon <>\nSubject: x\n\nUndeliverable\n";
    assert_eq!(p(raw).reply_address, None);
}

#[test]
fn mails_without_message_id_differing_only_in_subject_or_attachment_get_different_keys() {
    let (a, b) = (
        p(fixture!("23-no-id-subject-a")),
        p(fixture!("24-no-id-subject-b")),
    );
    assert_eq!(
        (a.message_id.as_deref(), a.text.as_str()),
        (None, b.text.as_str())
    );
    assert_ne!(content_key(&a), content_key(&b), "subjects differ");
    assert_eq!(
        legacy_content_key(&a),
        legacy_content_key(&b),
        "the old key lost one"
    );
    let (a, b) = (
        p(fixture!("25-no-id-attachment-a")),
        p(fixture!("26-no-id-attachment-b")),
    );
    assert_eq!(a.text, b.text);
    assert_ne!(a.attachments[0].sha256, b.attachments[0].sha256);
    assert_ne!(content_key(&a), content_key(&b), "attachments differ");
    assert_eq!(legacy_content_key(&a), legacy_content_key(&b));
    // The same mail again still gets the same key.
    assert_eq!(
        content_key(&a),
        content_key(&p(fixture!("25-no-id-attachment-a")))
    );
}

#[test]
fn raw_8bit_headers_and_undeclared_bodies_are_read_as_windows_1252() {
    let e = p(fixture!("27-8bit-windows-1252"));
    assert_eq!(e.subject, "Réservation – café “spécial”");
    assert_eq!(
        e.from,
        Some(("renee@example.fr".into(), Some("Renée Dupré".into())))
    );
    assert_eq!(
        e.text,
        "Bonjour, je voudrais réserver une table … pour 4 personnes. 20 €"
    );
    for s in [&e.subject, &e.text] {
        assert!(!s.contains('\u{FFFD}'), "{s}");
    }
}

#[test]
fn east_asian_charsets_are_decoded() {
    for (name, subject, text) in [
        (
            &fixture!("28-iso-2022-jp")[..],
            "お問い合わせ",
            "こんにちは。ハロー・ワールド。",
        ),
        (
            &fixture!("29-shift-jis")[..],
            "注文の件",
            "ハロー・ワールド、注文番号 42。",
        ),
        (&fixture!("30-euc-kr")[..], "문의", "안녕하세요 세계"),
        (&fixture!("31-gb2312")[..], "订单", "你好，世界"),
        (&fixture!("32-big5")[..], "訂單", "你好，世界"),
    ] {
        let e = p(name);
        assert_eq!((e.subject.as_str(), e.text.as_str()), (subject, text));
    }
    // Shift_JIS written raw into the Subject: read in the charset the body declares.
    let e = p(fixture!("33-shift-jis-raw-subject"));
    assert_eq!(
        (e.subject.as_str(), e.text.as_str()),
        ("注文", "ハロー・ワールド")
    );
}

#[test]
fn html_newsletter_text_has_no_preheader_and_no_css() {
    let e = p(fixture!("34-html-newsletter"));
    assert_eq!(
        e.text,
        "Hello Ana,\nOur winter menu is here.\nSee you soon."
    );
    // The HTML view keeps the content after the unterminated `<style>` too.
    let html = e.html.unwrap_or_default();
    assert!(html.contains("See you soon."), "{html}");
    assert!(!html.contains("border:0"), "{html}");
}

#[test]
fn text_declared_base64_that_is_not_is_shown_as_it_is() {
    let e = p(fixture!("35-bad-base64"));
    assert_eq!(
        e.text,
        "Hello there this is plain text\nsent by a broken mailer"
    );
    // Real base64 is still decoded.
    let raw = b"From: a@b.c\nContent-Type: text/plain; charset=utf-8\n\
                Content-Transfer-Encoding: base64\n\nSG9sYSwgwr9xdcOpIHRhbD8=\n";
    assert_eq!(p(raw).text, "Hola, ¿qué tal?");
}

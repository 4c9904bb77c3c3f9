//! Each fixture of the corpus, parsed and checked field by field.

use super::{CORPUS, assert_inert, fixture, p};
use crate::channels::email::{
    Attachment, Limits, ParsedEmail, content_key, legacy_content_key, parse, trim_quoted,
    verify_message_id,
};

fn who(address: &str, name: &str) -> Option<(String, Option<String>)> {
    Some((address.to_string(), Some(name.to_string())))
}

#[test]
fn corpus_has_at_least_fourteen_fixtures_and_all_parse() {
    assert!(CORPUS.len() >= 14);
    for (name, raw) in CORPUS {
        let e = p(raw);
        assert!(!e.unparseable, "{name}");
        assert!(e.from.is_some(), "{name}");
        assert!(!e.text.is_empty(), "{name}");
        assert!(!e.text.contains('\r'), "{name}: newlines are normalized");
    }
}

#[test]
fn plain_ascii_every_field() {
    let expected = ParsedEmail {
        message_id: Some("CAF1234.plain@mail.example.org".into()),
        from: who("maria.lopez@example.org", "Maria Lopez"),
        reply_address: Some("maria.lopez@example.org".into()),
        from_name: Some("Maria Lopez".into()),
        to: vec!["support@charla.test".into()],
        cc: vec!["billing@charla.test".into()],
        subject: "Cannot log in to my account".into(),
        date: Some(1_717_485_120_000), // 2024-06-04T07:12:00Z
        text: "Hello,\n\nSince this morning I cannot log in to my account. The page says\n\
               \"invalid session\". Could you have a look?\n\nThanks,\nMaria"
            .into(),
        ..ParsedEmail::default()
    };
    assert_eq!(p(fixture!("01-plain-ascii")), expected);
}

#[test]
fn utf8_8bit_body_and_encoded_display_name() {
    let e = p(fixture!("02-utf8-8bit"));
    assert_eq!(e.from, who("jose@example.net", "José Muñoz"));
    assert_eq!(e.subject, "Pedido 1042");
    assert_eq!(e.date, Some(1_717_623_015_000));
    assert_eq!(
        e.text,
        "¡Hola! ¿Cómo están? El ñandú llegó roto.\nPrecio: 42 € — 日本語のテキストも。"
    );
}

#[test]
fn latin1_quoted_printable_body_and_subject() {
    let e = p(fixture!("03-latin1-qp"));
    assert_eq!(e.from, who("renee@example.fr", "Renée Dupré"));
    assert_eq!(e.subject, "Facture déjà payée");
    assert_eq!(e.date, Some(1_717_668_000_000));
    // The soft line break (`=` at the end of a line) joins the sentence again.
    assert_eq!(
        e.text,
        "Bonjour,\n\nLa facture n° 7 a déjà été payée. Mañana je serai à la maison.\n\nRenée"
    );
}

#[test]
fn encoded_word_subjects_q_and_b() {
    assert_eq!(
        p(fixture!("04-subject-q")).subject,
        "Café con leche ☕ y tostadas"
    );
    // Two adjacent B words on a folded line: the whitespace between them goes.
    assert_eq!(
        p(fixture!("05-subject-b")).subject,
        "¿Dónde está mi pedido? (nº 1042)"
    );
    // RFC 6532: raw UTF-8 in the header itself.
    assert_eq!(
        p(fixture!("19-subject-utf8-raw")).subject,
        "Reclamación: el envío nº 77 llegó tarde 📦"
    );
}

#[test]
fn alternative_keeps_text_and_sanitized_html() {
    let e = p(fixture!("06-alternative"));
    assert_eq!(
        e.text,
        "Your order 1042 has shipped.\nTrack it at https://shop.example/track/1042"
    );
    let html = e.html.expect("html part");
    assert_eq!(
        html,
        "\n<p style=\"color:#333333;font-weight:bold\">Your order <b>1042</b> has shipped.</p>\n\
         <p><a href=\"https://shop.example/track/1042\" target=\"_blank\" \
         rel=\"noopener noreferrer\">Track it</a></p>\n\
         <table width=\"100%\" cellpadding=\"4\"><tbody><tr><td bgcolor=\"#eeeeee\">Item</td>\
         <td>Qty 1</td></tr></tbody></table>\n\n"
    );
    assert!(e.attachments.is_empty());
}

#[test]
fn hostile_html_only_is_inert_and_gives_text() {
    let e = p(fixture!("07-html-hostile"));
    let html = e.html.expect("html part");
    assert_inert(&html);
    for gone in [
        "alert",
        "evil.example/frame",
        "steal",
        "x.swf",
        "expression",
        "xlink",
    ] {
        assert!(!html.contains(gone), "{gone} in {html}");
    }
    assert!(html.contains(
        "<img src=\"\" data-remote-src=\"https://tracker.evil.example/pixel.gif?u=1&amp;v=2\" \
         width=\"1\" height=\"1\">"
    ));
    assert!(html.contains("<a target=\"_blank\" rel=\"noopener noreferrer\">Click me</a>"));
    assert!(html.contains("<a href=\"https://evil.example/pay\""));
    // No text part: the text comes from the HTML, scripts (and the SVG, which the
    // sanitized HTML does not show either) left out.
    assert_eq!(e.text, "Invoice attached.\nClick me Pay here CSS");
}

#[test]
fn english_reply_threads_and_trims() {
    let e = p(fixture!("08-reply-english"));
    let ours = "charla.0a1b2c3d4e5f60718293a4b5c6d7e8f9.n1.\
                00000000000000000000000000000000@charla.test";
    assert_eq!(e.in_reply_to, vec![ours.to_string()]);
    assert_eq!(
        e.references,
        vec![
            "CAF1234.plain@mail.example.org".to_string(),
            ours.to_string()
        ]
    );
    // The id has our shape but a made-up signature: it must not pass as ours.
    assert_eq!(verify_message_id(b"secret", ours), None);
    assert_eq!(
        trim_quoted(&e.text),
        ("That worked, thank you!\n\nMaria".to_string(), true)
    );
}

#[test]
fn spanish_reply_trims_wrapped_attribution() {
    let e = p(fixture!("09-reply-spanish"));
    assert_eq!(
        e.in_reply_to,
        vec!["utf8-8bit-0001@example.net".to_string()]
    );
    assert!(e.text.contains("escribió:\n> Hola José"));
    assert_eq!(
        trim_quoted(&e.text),
        (
            "Perfecto, muchas gracias por la ayuda.\n\nSaludos,\nJosé".to_string(),
            true
        )
    );
}

const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n\
endobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

#[test]
fn attachment_decoded_with_safe_name() {
    let e = p(fixture!("10-attachment-pdf"));
    assert_eq!(e.text, "Here is the invoice.");
    assert_eq!(
        e.attachments,
        vec![Attachment {
            filename: "invoice 2024-06.pdf".into(), // "../../etc/" dropped
            mime: "application/pdf".into(),
            size: 148,
            data: Some(PDF.to_vec()),
            inline: false,
            content_id: None,
            sha256: <sha2::Sha256 as sha2::Digest>::digest(PDF).into(),
        }]
    );
    assert!(e.notes.is_empty());
}

#[test]
fn attachment_at_the_limit_is_kept_and_over_it_is_noted() {
    let raw = fixture!("10-attachment-pdf");
    let at = parse(
        raw,
        &Limits {
            max_attachment_bytes: 148,
        },
    );
    assert_eq!(at.attachments[0].data.as_deref(), Some(PDF));
    assert!(at.notes.is_empty());
    let over = parse(
        raw,
        &Limits {
            max_attachment_bytes: 147,
        },
    );
    assert_eq!(over.attachments[0].data, None);
    assert_eq!(over.attachments[0].size, 148);
    assert_eq!(
        over.notes,
        vec!["attachment invoice 2024-06.pdf (148 B) is over the 147 B limit and was not stored"]
    );
}

#[test]
fn inline_image_keeps_content_id_and_blocks_nothing_local() {
    let e = p(fixture!("11-inline-image"));
    assert_eq!(
        e.html.as_deref(),
        Some(
            "<p>See the error:</p><p><img src=\"\" data-cid=\"shot1@example.com\" \
             alt=\"error\"></p>\n"
        )
    );
    assert_eq!(e.text, "See the error:");
    let [img] = e.attachments.as_slice() else {
        panic!("one attachment")
    };
    assert_eq!(img.filename, "shot.png");
    assert_eq!(img.mime, "image/png");
    assert_eq!(img.size, 70);
    assert!(img.inline);
    assert_eq!(img.content_id.as_deref(), Some("shot1@example.com"));
    assert!(img.data.as_ref().unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[test]
fn auto_reply_is_flagged_not_bounce() {
    let e = p(fixture!("12-auto-reply"));
    assert!(e.auto_reply);
    assert!(!e.bounce);
    assert!(e.is_automatic());
    assert_eq!(e.text, "I am out of the office until Monday.");
}

#[test]
fn dsn_bounce_is_flagged_with_its_report() {
    let e = p(fixture!("13-bounce-dsn"));
    assert!(e.bounce);
    assert!(e.auto_reply); // it also says Auto-Submitted: auto-replied
    assert_eq!(
        e.from,
        who("mailer-daemon@mx.charla.test", "Mail Delivery System")
    );
    assert!(
        e.text
            .starts_with("This is the mail system at host mx.charla.test.")
    );
    assert!(e.text.ends_with("550 5.1.1 User unknown"));
    let kinds: Vec<(&str, &str)> = e
        .attachments
        .iter()
        .map(|a| (a.filename.as_str(), a.mime.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("attachment-1.txt", "message/delivery-status"),
            ("attachment-2.txt", "text/rfc822-headers")
        ]
    );
    let report = String::from_utf8(e.attachments[0].data.clone().unwrap()).unwrap();
    assert!(report.contains("Status: 5.1.1"));
}

#[test]
fn empty_and_missing_message_ids_are_none_and_keys_still_differ() {
    let empty = p(fixture!("14-empty-message-id"));
    let missing = p(fixture!("15-missing-message-id"));
    assert_eq!(empty.message_id, None);
    assert_eq!(missing.message_id, None);
    assert_eq!(empty.text, "Name: Lucia\nMessage: Do you ship to Uruguay?");
    let (k1, k2) = (content_key(&empty), content_key(&missing));
    assert!(k1.starts_with('|') && k2.starts_with('|'));
    assert_ne!(k1, k2);
}

#[test]
fn same_message_id_different_mails_get_different_keys() {
    let a = p(fixture!("16-same-id-a"));
    let b = p(fixture!("17-same-id-b"));
    assert_eq!(a.message_id.as_deref(), Some("scan@office.example"));
    assert_eq!(a.message_id, b.message_id);
    let (ka, kb) = (content_key(&a), content_key(&b));
    assert_ne!(ka, kb);
    assert!(ka.starts_with("scan@office.example|"));
    assert_eq!(ka.len(), "scan@office.example|2:".len() + 64);
}

#[test]
fn same_mail_seen_twice_gets_the_same_key_even_with_crlf() {
    let raw = fixture!("16-same-id-a");
    let crlf = String::from_utf8(raw.to_vec())
        .unwrap()
        .replace('\n', "\r\n");
    let k = content_key(&p(raw));
    assert_eq!(k, content_key(&p(raw)));
    assert_eq!(k, content_key(&p(crlf.as_bytes())));
    // Known values: the key is stable across versions, stored keys keep matching; the
    // key of the releases before subject and attachments counted is still computed
    // exactly (mail stored under it is found by it).
    assert_eq!(
        k,
        "scan@office.example|2:8247d7a66c8388c47f701ca771c65045c4f6343e569e2650480430a953993890"
    );
    assert_eq!(
        legacy_content_key(&p(crlf.as_bytes())),
        "scan@office.example|9a8ef13ea4c68b1a03760f8a2668266672f20a053f01c1774de06a7186f4b01f"
    );
}

#[test]
fn outlook_spanish_crlf_reply_trims_at_the_header_block() {
    let e = p(fixture!("18-outlook-spanish-crlf"));
    assert_eq!(e.date, Some(1_718_374_800_000));
    assert!(e.text.starts_with("Gracias, ya la recibí.\n\n____"));
    assert_eq!(
        trim_quoted(&e.text),
        ("Gracias, ya la recibí.".to_string(), true)
    );
}

//! Replies out: the requests, the answers, the errors.

use super::{answer, bot, fixture};
use crate::channels::http::Method;
use crate::channels::provider::Provider;
use crate::channels::seam::{
    Identity, MediaKind, OutboundMedia, OutboundMessage, SendError, Template, WindowState,
};
use serde_json::{Value, json};
use std::time::Duration;

fn msg(text: &str, media: Vec<OutboundMedia>) -> OutboundMessage {
    OutboundMessage {
        to: Identity::Telegram("5123456789".into()),
        text: text.into(),
        media,
        template: None,
        window: WindowState::None,
    }
}

fn file(kind: MediaKind, url: &str) -> OutboundMedia {
    OutboundMedia {
        kind,
        url: url.into(),
        mime: "application/octet-stream".into(),
        filename: "f".into(),
    }
}

/// The method name and JSON body of a send request.
fn sent_as(m: &OutboundMessage) -> (String, Value) {
    let req = bot(None).send(m).unwrap();
    assert_eq!(req.method, Method::Post);
    let method = req.url.rsplit('/').next().unwrap().to_string();
    assert!(
        req.url
            .starts_with("http://127.0.0.1:8081/bot7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/")
    );
    (method, serde_json::from_slice(&req.body).unwrap())
}

fn refused(m: &OutboundMessage) -> String {
    match bot(None).send(m) {
        Err(SendError::Permanent(e)) => e.text,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn text_goes_with_send_message_to_the_users_chat() {
    let (method, body) = sent_as(&msg("Sí, nos queda la talla M.", vec![]));
    assert_eq!(method, "sendMessage");
    assert_eq!(
        body,
        json!({"chat_id": 5123456789_i64, "text": "Sí, nos queda la talla M."})
    );
}

#[test]
fn one_file_goes_by_url_with_its_method_and_the_text_as_caption() {
    let cases = [
        (MediaKind::Image, "sendPhoto", "photo"),
        (MediaKind::Document, "sendDocument", "document"),
        (MediaKind::Voice, "sendVoice", "voice"),
        (MediaKind::Audio, "sendAudio", "audio"),
        (MediaKind::Video, "sendVideo", "video"),
    ];
    for (kind, want_method, field) in cases {
        let url = "https://charla.example/files/abc";
        let (method, body) = sent_as(&msg("Aquí la tienes", vec![file(kind, url)]));
        assert_eq!(method, want_method);
        assert_eq!(body[field], url);
        assert_eq!(body["caption"], "Aquí la tienes");
        assert_eq!(body["chat_id"], 5123456789_i64);
    }
    let (_, bare) = sent_as(&msg("", vec![file(MediaKind::Voice, "https://x/v.ogg")]));
    assert!(bare.get("caption").is_none());
}

#[test]
fn several_photos_go_as_one_album_with_the_caption_on_the_first() {
    let (method, body) = sent_as(&msg(
        "Dos fotos",
        vec![
            file(MediaKind::Image, "https://x/1.jpg"),
            file(MediaKind::Video, "https://x/2.mp4"),
        ],
    ));
    assert_eq!(method, "sendMediaGroup");
    assert_eq!(
        body["media"],
        json!([
            {"type": "photo", "media": "https://x/1.jpg", "caption": "Dos fotos"},
            {"type": "video", "media": "https://x/2.mp4"}
        ])
    );
    let mixed = msg(
        "",
        vec![
            file(MediaKind::Image, "https://x/1.jpg"),
            file(MediaKind::Document, "https://x/2.pdf"),
        ],
    );
    assert!(refused(&mixed).contains("all photos and videos"));
}

#[test]
fn what_telegram_cannot_carry_is_refused_before_sending() {
    assert!(refused(&msg(&"a".repeat(4097), vec![])).contains("4096"));
    assert!(bot(None).send(&msg(&"a".repeat(4096), vec![])).is_ok());
    // Emoji count twice, as Telegram counts them.
    assert!(refused(&msg(&"😀".repeat(2049), vec![])).contains("4096"));
    let long_caption = msg(&"a".repeat(1025), vec![file(MediaKind::Image, "https://x")]);
    assert!(refused(&long_caption).contains("1024"));
    assert!(refused(&msg("  ", vec![])).contains("nothing"));
    let sticker = msg("", vec![file(MediaKind::Sticker, "https://x")]);
    assert!(refused(&sticker).contains("sticker"));
    let mut phone = msg("hola", vec![]);
    phone.to = Identity::Phone("+34600111222".into());
    assert!(refused(&phone).contains("Telegram user"));
    let mut templated = msg("hola", vec![]);
    templated.template = Some(Template {
        name: "t".into(),
        language: "es".into(),
        parameters: vec![],
        header: None,
        ..Default::default()
    });
    assert!(refused(&templated).contains("templates"));
}

#[test]
fn the_answer_names_the_message_by_chat_and_message_id() {
    let tg = bot(None);
    assert_eq!(
        tg.sent(&answer(200, fixture!("send_message"))),
        Ok("5123456789:1381".into())
    );
    assert_eq!(
        tg.sent(&answer(200, fixture!("send_photo"))),
        Ok("5123456789:1382".into())
    );
    assert_eq!(
        tg.sent(&answer(200, fixture!("send_media_group"))),
        Ok("5123456789:1383".into())
    );
}

#[test]
fn send_errors_are_classified_in_telegrams_words() {
    let tg = bot(None);
    let Err(SendError::Permanent(e)) = tg.sent(&answer(403, fixture!("blocked"))) else {
        panic!()
    };
    assert_eq!(e.code, "403");
    assert!(e.display().contains("bot was blocked by the user"));
    assert_eq!(
        tg.sent(&answer(429, fixture!("too_many_requests"))),
        Err(SendError::RetryLater {
            after: Some(Duration::from_secs(7)),
            reason: "Too Many Requests: retry after 7 (429)".into()
        })
    );
    assert!(matches!(
        tg.sent(&answer(500, fixture!("internal_error"))),
        Err(SendError::RetryLater { .. })
    ));
    let Err(SendError::Permanent(e)) = tg.sent(&answer(400, fixture!("chat_not_found"))) else {
        panic!()
    };
    assert_eq!(e.display(), "Bad Request: chat not found (400)");
}

#[test]
fn capabilities_are_telegrams() {
    let c = bot(None).capabilities();
    assert_eq!(c.max_text, 4096);
    assert_eq!(
        c.statuses,
        &[crate::domain::message::DeliveryStatus::Sent][..]
    );
    assert!(c.voice_notes && !c.templates && !c.can_start && c.window.is_none());
    for k in [
        MediaKind::Image,
        MediaKind::Document,
        MediaKind::Voice,
        MediaKind::Audio,
        MediaKind::Video,
    ] {
        assert!(c.media.contains(&k));
    }
    assert_eq!(c.max_media_bytes, 20 * 1024 * 1024);
}

#[test]
fn uploads_follow_the_bot_apis_rules() {
    use crate::channels::seam::FileRefusal;
    let tg = bot(None);
    let mb = 1024 * 1024;
    assert_eq!(
        tg.media_kind("application/pdf", mb, false),
        Ok(MediaKind::Document)
    );
    assert_eq!(
        tg.media_kind("text/csv", mb, false),
        Ok(MediaKind::Document)
    );
    assert_eq!(
        tg.media_kind("image/gif", mb, false),
        Ok(MediaKind::Document)
    );
    assert_eq!(tg.media_kind("image/png", mb, false), Ok(MediaKind::Image));
    // A photo over 10 MB goes as a document.
    assert_eq!(
        tg.media_kind("image/jpeg", 11 * mb, false),
        Ok(MediaKind::Document)
    );
    assert_eq!(tg.media_kind("audio/ogg", mb, true), Ok(MediaKind::Voice));
    assert_eq!(tg.media_kind("audio/mpeg", mb, false), Ok(MediaKind::Audio));
    assert_eq!(tg.media_kind("video/mp4", mb, false), Ok(MediaKind::Video));
    assert_eq!(
        tg.media_kind("application/pdf", 51 * mb, false),
        Err(FileRefusal::TooLarge(50 * mb))
    );
    assert!(tg.uploads_files());
}

#[test]
fn uploaded_files_go_as_multipart_parts_named_by_the_method() {
    let tg = bot(None);
    let mut voice = file(MediaKind::Voice, "upload:7/42/2");
    voice.filename = "voice-note.ogg".into();
    voice.mime = "audio/ogg".into();
    let req = tg.send(&msg("hola", vec![voice])).unwrap();
    assert!(req.url.ends_with("/sendVoice"));
    let ct = &req
        .headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .unwrap()
        .1;
    assert!(ct.starts_with("multipart/form-data; boundary="));
    let body = String::from_utf8(req.body.clone()).unwrap();
    assert!(
        body.contains("name=\"chat_id\"\r\n\r\n5123456789\r\n"),
        "{body}"
    );
    assert!(body.contains("name=\"caption\"\r\n\r\nhola\r\n"), "{body}");
    assert_eq!(req.files.len(), 1);
    assert_eq!(req.files[0].field, "voice");
    assert_eq!(req.files[0].locator, "7/42/2");
    assert!(
        String::from_utf8(req.files[0].head())
            .unwrap()
            .contains("name=\"voice\"; filename=\"voice-note.ogg\"\r\nContent-Type: audio/ogg")
    );
    // An album: each item points at its part.
    let album = vec![
        file(MediaKind::Image, "upload:7/42/0"),
        file(MediaKind::Video, "upload:7/42/1"),
    ];
    let req = tg.send(&msg("", album)).unwrap();
    assert!(req.url.ends_with("/sendMediaGroup"));
    let body = String::from_utf8(req.body.clone()).unwrap();
    assert!(
        body.contains("attach://file0") && body.contains("attach://file1"),
        "{body}"
    );
    let fields: Vec<_> = req.files.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["file0", "file1"]);
}

#[test]
fn files_that_cannot_share_an_album_go_one_by_one_with_the_caption_first() {
    let tg = bot(None);
    let three = vec![
        file(MediaKind::Document, "https://x/a.pdf"),
        file(MediaKind::Image, "https://x/b.png"),
        file(MediaKind::Voice, "https://x/c.ogg"),
    ];
    let parts = tg.parts(&msg("Aquí tienes", three.clone()));
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].text, "Aquí tienes");
    assert!(parts[1].text.is_empty() && parts[2].text.is_empty());
    assert_eq!(parts[2].media, vec![three[2].clone()]);
    // A caption too long for a file goes first on its own.
    let long = "a".repeat(2000);
    let parts = tg.parts(&msg(&long, three));
    assert_eq!(parts.len(), 4);
    assert!(parts[0].media.is_empty());
    // Photos and videos share one album: one request.
    let album = vec![
        file(MediaKind::Image, "https://x/1.png"),
        file(MediaKind::Video, "https://x/2.mp4"),
    ];
    assert_eq!(tg.parts(&msg("", album)).len(), 1);
}

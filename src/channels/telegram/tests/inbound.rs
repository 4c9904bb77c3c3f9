//! Updates in: each message kind, webhook secret, getUpdates answers.

use super::{answer, bot, fixture};
use crate::channels::provider::Provider;
use crate::channels::seam::{
    Accepted, Identity, InboundEvent, InboundMessage, MediaKind, MediaRef, RawRequest, Refused,
    SendError,
};
use crate::domain::Timestamp;
use std::time::Duration;

const NOW: Timestamp = Timestamp(1_800_000_000_000);

fn webhook(secret: Option<&str>, body: &str) -> RawRequest {
    RawRequest {
        method: "POST".into(),
        url: "https://charla.example/webhooks/telegram/3".into(),
        query: String::new(),
        headers: secret
            .map(|s| vec![("x-telegram-bot-api-secret-token".into(), s.into())])
            .unwrap_or_default(),
        body: body.as_bytes().to_vec(),
    }
}

/// The one message of an update received by webhook.
fn one(body: &str) -> InboundMessage {
    let got = bot(Some("right-secret"))
        .receive(&webhook(Some("right-secret"), body), NOW)
        .unwrap();
    let Accepted::Events(events) = got else {
        panic!("not events: {got:?}")
    };
    match events.as_slice() {
        [InboundEvent::Message(m)] => m.clone(),
        other => panic!("expected one message, got {other:?}"),
    }
}

fn media(kind: MediaKind, id: &str, mime: &str, name: Option<&str>) -> Vec<MediaRef> {
    vec![MediaRef {
        kind,
        locator: id.into(),
        mime: Some(mime.into()),
        filename: name.map(str::to_string),
    }]
}

#[test]
fn a_text_message_has_its_sender_name_time_and_update_id() {
    let m = one(fixture!("text"));
    assert_eq!(
        m,
        InboundMessage {
            source_id: "731000001".into(),
            from: Identity::Telegram("5123456789".into()),
            name: Some("Lucía García".into()),
            text: "Hola, ¿tenéis la talla M?".into(),
            at: Some(Timestamp(1_732_870_800_000)),
            media: vec![],
        }
    );
}

#[test]
fn a_photo_is_its_largest_size_with_the_caption_as_text() {
    let m = one(fixture!("photo"));
    assert_eq!(m.text, "Esta es la mancha");
    // 1280×960 is third of four in the fixture: the largest, not the last, is taken.
    assert_eq!(
        m.media,
        media(
            MediaKind::Image,
            "AgACAgQAAxkBAAIBTmdJ-large",
            "image/jpeg",
            None
        )
    );
}

#[test]
fn documents_keep_their_name_and_type() {
    let m = one(fixture!("document"));
    assert_eq!(m.text, "La factura");
    assert_eq!(
        m.media,
        media(
            MediaKind::Document,
            "BQACAgQAAxkBAAIBT2dJ-doc",
            "application/pdf",
            Some("factura-1043.pdf")
        )
    );
}

#[test]
fn voice_audio_video_and_round_videos_are_their_own_kinds() {
    let voice = one(fixture!("voice"));
    assert_eq!(voice.text, "");
    assert_eq!(
        voice.media,
        media(
            MediaKind::Voice,
            "AwACAgQAAxkBAAIBUGdJ-voice",
            "audio/ogg",
            None
        )
    );
    // Only first_name and username: the name is the first name.
    assert_eq!(voice.name.as_deref(), Some("Lucía"));
    let audio = one(fixture!("audio"));
    assert_eq!(
        audio.media,
        media(
            MediaKind::Audio,
            "CQACAgQAAxkBAAIBUWdJ-audio",
            "audio/mpeg",
            Some("despecha.mp3")
        )
    );
    let video = one(fixture!("video"));
    assert_eq!(video.text, "Así llegó el paquete");
    assert_eq!(
        video.media,
        media(
            MediaKind::Video,
            "BAACAgQAAxkBAAIBUmdJ-video",
            "video/mp4",
            Some("paquete.mp4")
        )
    );
    let round = one(fixture!("video_note"));
    assert_eq!(
        round.media,
        media(
            MediaKind::Video,
            "DQACAgQAAxkBAAIBU2dJ-round",
            "video/mp4",
            None
        )
    );
}

#[test]
fn stickers_locations_and_contacts_read_as_lines() {
    let s = one(fixture!("sticker"));
    assert_eq!(s.text, "[sticker 👍]");
    assert_eq!(
        s.media,
        media(
            MediaKind::Sticker,
            "CAACAgIAAxkBAAIBVGdJ-sticker",
            "image/webp",
            None
        )
    );
    let l = one(fixture!("location"));
    assert_eq!(l.text, "[location: 40.416775, -3.70379]");
    assert!(l.media.is_empty());
    let c = one(fixture!("contact"));
    assert_eq!(c.text, "[contact: Pedro Ruiz, +34600111222]");
}

#[test]
fn other_kinds_are_kept_as_an_unsupported_line() {
    let p = one(fixture!("poll"));
    assert_eq!(p.text, "[unsupported Telegram message: poll]");
    assert_eq!(p.source_id, "731000011");
    let mut dice: serde_json::Value = serde_json::from_str(fixture!("text")).unwrap();
    let msg = dice["message"].as_object_mut().unwrap();
    msg.remove("text");
    msg.insert(
        "dice".into(),
        serde_json::json!({"emoji": "🎲", "value": 4}),
    );
    assert_eq!(
        one(&dice.to_string()).text,
        "[unsupported Telegram message: dice]"
    );
}

#[test]
fn an_edit_is_a_marked_line_at_its_edit_time_and_channel_posts_are_ignored() {
    let e = one(fixture!("edited"));
    assert_eq!(e.text, "[edited] Hola, ¿tenéis la talla L?");
    assert_eq!(e.at, Some(Timestamp(1_732_871_460_000)));
    assert_eq!(e.source_id, "731000012");
    let got = bot(Some("right-secret")).receive(
        &webhook(Some("right-secret"), fixture!("channel_post")),
        NOW,
    );
    assert_eq!(got, Ok(Accepted::Events(vec![])));
}

#[test]
fn the_webhook_secret_must_be_present_and_right() {
    let tg = bot(Some("right-secret"));
    let body = fixture!("text");
    assert!(matches!(
        tg.receive(&webhook(None, body), NOW),
        Err(Refused::Unauthorized(t)) if t.contains("missing")
    ));
    assert!(matches!(
        tg.receive(&webhook(Some("wrong-secret"), body), NOW),
        Err(Refused::Unauthorized(t)) if t.contains("wrong")
    ));
    assert!(matches!(
        tg.receive(&webhook(Some("right-secre"), body), NOW),
        Err(Refused::Unauthorized(_))
    ));
    // A polling inbox takes nothing by webhook, whatever the header says.
    assert!(matches!(
        bot(None).receive(&webhook(Some(""), body), NOW),
        Err(Refused::Unauthorized(_))
    ));
    assert!(matches!(
        tg.receive(&webhook(Some("right-secret"), "{\"ok\":1}"), NOW),
        Err(Refused::BadRequest(_))
    ));
    assert!(
        tg.receive(&webhook(Some("right-secret"), body), NOW)
            .is_ok()
    );
}

#[test]
fn polling_asks_after_the_offset_with_a_long_timeout() {
    let req = bot(None).poll(731000021).unwrap();
    assert_eq!(
        req.url,
        "http://127.0.0.1:8081/bot7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getUpdates"
    );
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["offset"], 731000021);
    assert!((25..=50).contains(&body["timeout"].as_u64().unwrap()));
    assert_eq!(
        body["allowed_updates"],
        serde_json::json!(["message", "edited_message"])
    );
    let first: serde_json::Value =
        serde_json::from_slice(&bot(None).poll(0).unwrap().body).unwrap();
    assert!(first.get("offset").is_none());
    // A webhook inbox does not poll.
    assert!(bot(Some("right-secret")).poll(0).is_none());
}

#[test]
fn a_poll_gives_each_update_with_the_offset_that_confirms_it_in_order() {
    let p = bot(None)
        .polled(&answer(200, fixture!("get_updates")), NOW)
        .unwrap();
    let offsets: Vec<u64> = p.updates.iter().map(|(o, _)| *o).collect();
    assert_eq!(offsets, vec![731000021, 731000022, 731000023]);
    // The channel post is confirmed with no event.
    assert!(p.updates[1].1.is_empty());
    let InboundEvent::Message(m) = &p.updates[2].1[0] else {
        panic!()
    };
    assert_eq!(m.source_id, "731000022");
    assert_eq!(m.from, Identity::Telegram("6234567890".into()));
    assert_eq!(m.name.as_deref(), Some("Pedro"));
    assert_eq!(m.media[0].kind, MediaKind::Voice);
    let empty = bot(None)
        .polled(&answer(200, fixture!("get_updates_empty")), NOW)
        .unwrap();
    assert!(empty.updates.is_empty());
}

#[test]
fn poll_errors_are_classified() {
    let tg = bot(None);
    assert_eq!(
        tg.polled(&answer(429, fixture!("too_many_requests")), NOW),
        Err(SendError::RetryLater {
            after: Some(Duration::from_secs(7)),
            reason: "Too Many Requests: retry after 7 (429)".into()
        })
    );
    let Err(SendError::Permanent(e)) = tg.polled(&answer(409, fixture!("conflict_webhook")), NOW)
    else {
        panic!()
    };
    assert_eq!(e.code, "409");
    assert!(e.text.contains("webhook is active"), "{}", e.text);
    let Err(SendError::Permanent(e)) = tg.polled(&answer(401, fixture!("unauthorized")), NOW)
    else {
        panic!()
    };
    assert_eq!(e.text, "Telegram refused the bot token");
    assert!(matches!(
        tg.polled(&answer(500, fixture!("internal_error")), NOW),
        Err(SendError::RetryLater { after: None, .. })
    ));
    // A proxy's HTML page in front of the Bot API.
    let page = crate::channels::http::HttpResponse {
        status: 502,
        headers: vec![],
        body: b"<html>Bad Gateway</html>".to_vec(),
    };
    assert!(matches!(
        tg.polled(&page, NOW),
        Err(SendError::RetryLater { .. })
    ));
}

//! Files in (getFile then the file), the probe, and switching to and from webhooks.

use super::{answer, bot, fixture};
use crate::channels::http::{HttpResponse, Method};
use crate::channels::provider::{MediaStep, Provider};
use crate::channels::seam::{MediaKind, MediaRef};

const BASE: &str = "http://127.0.0.1:8081/bot7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

fn photo() -> MediaRef {
    MediaRef {
        kind: MediaKind::Image,
        locator: "AgACAgQAAxkBAAIBTmdJ-large".into(),
        mime: Some("image/jpeg".into()),
        filename: None,
    }
}

#[test]
fn a_file_is_get_file_then_its_path_under_the_file_url() {
    let tg = bot(None);
    let first = tg.fetch_media(&photo());
    assert_eq!(first.method, Method::Get);
    assert_eq!(
        first.url,
        format!("{BASE}/getFile?file_id=AgACAgQAAxkBAAIBTmdJ-large")
    );
    let next = tg
        .media_step(&photo(), &answer(200, fixture!("get_file")))
        .unwrap();
    let MediaStep::Then(req) = next else {
        panic!("expected a second request")
    };
    assert_eq!(
        req.url,
        "http://127.0.0.1:8081/file/bot7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/photos/file_42.jpg"
    );
    let file = HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/octet-stream".into())],
        body: vec![0xff, 0xd8, 0xff, 0xe0],
    };
    assert_eq!(
        tg.media_step(&photo(), &file),
        Ok(MediaStep::Done {
            bytes: vec![0xff, 0xd8, 0xff, 0xe0],
            mime: Some("image/jpeg".into())
        })
    );
}

#[test]
fn a_downloaded_json_file_is_the_file_not_a_get_file_answer() {
    // A customer's .json document whose content mimics a getFile answer for another id.
    let doc = MediaRef {
        kind: MediaKind::Document,
        locator: "BQACAgQAAxkBAAIBT2dJ-doc".into(),
        mime: Some("application/json".into()),
        filename: Some("x.json".into()),
    };
    let body = fixture!("get_file");
    let got = bot(None).media_step(&doc, &answer(200, body)).unwrap();
    assert_eq!(
        got,
        MediaStep::Done {
            bytes: body.as_bytes().to_vec(),
            mime: Some("application/json".into())
        }
    );
}

#[test]
fn file_errors_are_words() {
    let tg = bot(None);
    let err = tg
        .media_step(&photo(), &answer(400, fixture!("file_too_big")))
        .unwrap_err();
    assert!(err.contains("file is too big"), "{err}");
    let big = fixture!("get_file").replace("187406", "31457280");
    assert!(
        tg.media_step(&photo(), &answer(200, &big))
            .unwrap_err()
            .contains("20 MB")
    );
    let escape = fixture!("get_file").replace("photos/file_42.jpg", "../../bot1:x/getMe");
    assert!(tg.media_step(&photo(), &answer(200, &escape)).is_err());
    let gone = HttpResponse {
        status: 404,
        headers: vec![],
        body: b"Not Found".to_vec(),
    };
    assert!(tg.media_step(&photo(), &gone).unwrap_err().contains("404"));
}

#[test]
fn the_probe_is_get_me() {
    let tg = bot(None);
    let req = tg.probe();
    assert_eq!(req.url, format!("{BASE}/getMe"));
    assert_eq!(
        tg.probed(&answer(200, fixture!("get_me"))),
        Ok("Telegram bot @tienda_bot".into())
    );
    assert_eq!(
        tg.probed(&answer(401, fixture!("unauthorized"))),
        Err("Telegram refused the bot token".into())
    );
}

#[test]
fn switching_modes_sets_the_webhook_with_the_secret_and_deletes_it() {
    let tg = bot(Some("right-secret"));
    let set = tg.set_webhook("https://charla.example/webhooks/telegram/3");
    assert_eq!(set.url, format!("{BASE}/setWebhook"));
    let body: serde_json::Value = serde_json::from_slice(&set.body).unwrap();
    assert_eq!(body["url"], "https://charla.example/webhooks/telegram/3");
    assert_eq!(body["secret_token"], "right-secret");
    assert_eq!(
        body["allowed_updates"],
        serde_json::json!(["message", "edited_message"])
    );
    assert_eq!(
        tg.confirmed(&answer(200, fixture!("set_webhook"))),
        Ok("Webhook was set".into())
    );
    assert_eq!(
        tg.confirmed(&answer(401, fixture!("unauthorized"))),
        Err("Telegram refused the bot token".into())
    );
    let del = tg.delete_webhook();
    assert_eq!(del.url, format!("{BASE}/deleteWebhook"));
}

//! The Telegram module driven against the fake Bot API over real HTTP, through the one
//! outbound path (`channels::http::execute`): proves that the two agree before the app
//! uses them together.

use super::telegram_fake::{FAKE_TOKEN, FakeError, FakeUser, TelegramFake};
use actix_web::{App, HttpServer, web};
use charla::channels::guard::AddressPolicy;
use charla::channels::http::{HttpRequest, HttpResponse, MAX_BODY, execute};
use charla::channels::provider::{MediaStep, Provider};
use charla::channels::seam::{
    Accepted, Identity, InboundEvent, InboundMessage, MediaKind, OutboundMedia, OutboundMessage,
    RawRequest, SendError, WindowState,
};
use charla::channels::telegram::{Config, POLL_HTTP_TIMEOUT, Telegram};
use charla::domain::Timestamp;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NOW: Timestamp = Timestamp(1_800_000_000_000);

fn bot(fake: &TelegramFake, secret: Option<&str>) -> Telegram {
    Telegram::new(Config {
        bot_token: FAKE_TOKEN.into(),
        api_base: fake.url.clone(),
        secret_token: secret.map(str::to_string),
    })
}

async fn run(req: &HttpRequest) -> HttpResponse {
    let policy = AddressPolicy::new(true);
    let client = policy.http_client().unwrap();
    execute(policy, &client, req, POLL_HTTP_TIMEOUT, MAX_BODY)
        .await
        .unwrap()
}

fn lucia() -> FakeUser {
    FakeUser {
        id: 5123456789,
        first_name: "Lucía".into(),
        last_name: Some("García".into()),
        username: Some("luciag".into()),
    }
}

fn messages(events: &[InboundEvent]) -> Vec<InboundMessage> {
    events
        .iter()
        .filter_map(|e| match e {
            InboundEvent::Message(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_rereads_until_confirmed_and_long_polls_for_new_updates() {
    let fake = TelegramFake::start().await;
    let tg = bot(&fake, None);
    let a = fake.push_text(&lucia(), "hola");
    let b = fake.push_text(&lucia(), "¿seguís ahí?");
    let first = tg.polled(&run(&tg.poll(0).unwrap()).await, NOW).unwrap();
    let offsets: Vec<u64> = first.updates.iter().map(|(o, _)| *o).collect();
    assert_eq!(offsets, vec![a + 1, b + 1]);
    let m = messages(&first.updates[0].1);
    assert_eq!(m[0].text, "hola");
    assert_eq!(m[0].source_id, a.to_string());
    assert_eq!(m[0].from, Identity::Telegram("5123456789".into()));
    assert_eq!(m[0].name.as_deref(), Some("Lucía García"));
    // Not confirmed yet (as after a crash before the offset was stored): read again.
    let again = tg.polled(&run(&tg.poll(0).unwrap()).await, NOW).unwrap();
    assert_eq!(again.updates.len(), 2);
    assert_eq!(fake.handed_out()[&a], 2);
    // Confirmed by the offset: gone. The poll waits until a new update arrives.
    let offset = again.updates[1].0;
    let req = tg.poll(offset).unwrap();
    let started = Instant::now();
    let waiting = tokio::spawn(async move { run(&req).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "the long poll answered at once");
    assert!(fake.pending_ids().is_empty(), "{:?}", fake.pending_ids());
    let c = fake.push_text(&lucia(), "tercero");
    let third = tg.polled(&waiting.await.unwrap(), NOW).unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(third.updates.len(), 1);
    assert_eq!(messages(&third.updates[0].1)[0].source_id, c.to_string());
    assert_eq!(fake.handed_out()[&a], 2);
    let polls = fake.requests_to("getUpdates");
    assert_eq!(polls[2].params["offset"], offset);
    assert_eq!(polls[2].params["timeout"], 30);
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_text_and_files_and_reads_telegrams_errors() {
    let fake = TelegramFake::start().await;
    let tg = bot(&fake, None);
    fake.push_text(&lucia(), "hola");
    let to = |text: &str, media: Vec<OutboundMedia>| OutboundMessage {
        to: Identity::Telegram("5123456789".into()),
        text: text.into(),
        media,
        template: None,
        window: WindowState::None,
    };
    let send = |m: OutboundMessage| {
        let tg = tg.clone();
        async move { tg.sent(&run(&tg.send(&m).unwrap()).await) }
    };
    let id = send(to("Sí, nos queda la M", vec![])).await.unwrap();
    let sent = fake.sent();
    assert_eq!(id, format!("5123456789:{}", sent[0].message_id));
    assert_eq!(sent[0].text.as_deref(), Some("Sí, nos queda la M"));
    // A photo by URL: the fake downloads it, as Telegram does.
    let pic = fake.add_file("photos", "jpg", b"\xff\xd8 a jpeg");
    let photo = OutboundMedia {
        kind: MediaKind::Image,
        url: fake.file_url(&pic),
        mime: "image/jpeg".into(),
        filename: "talla.jpg".into(),
    };
    let id2 = send(to("Aquí la tienes", vec![photo])).await.unwrap();
    let last = fake.sent().pop().unwrap();
    assert_eq!(id2, format!("5123456789:{}", last.message_id));
    assert!(last.message_id > sent[0].message_id);
    assert_eq!(last.method, "sendPhoto");
    assert_eq!(last.caption.as_deref(), Some("Aquí la tienes"));
    assert_eq!(last.media.as_deref(), Some(&b"\xff\xd8 a jpeg"[..]));
    // Errors, scripted as Telegram answers them.
    fake.fail_next("sendMessage", FakeError::Blocked);
    let Err(SendError::Permanent(e)) = send(to("hola", vec![])).await else {
        panic!()
    };
    assert!(e.display().contains("bot was blocked by the user"));
    fake.fail_next("sendMessage", FakeError::RetryAfter(3));
    assert_eq!(
        send(to("hola", vec![])).await,
        Err(SendError::RetryLater {
            after: Some(Duration::from_secs(3)),
            reason: "Too Many Requests: retry after 3 (429)".into()
        })
    );
    fake.fail_next("sendMessage", FakeError::ServerError);
    assert!(matches!(
        send(to("hola", vec![])).await,
        Err(SendError::RetryLater { .. })
    ));
    let mut stranger = to("hola", vec![]);
    stranger.to = Identity::Telegram("42".into());
    let Err(SendError::Permanent(e)) = send(stranger).await else {
        panic!()
    };
    assert_eq!(e.display(), "Bad Request: chat not found (400)");
    // Every request carried the token in its path, never anywhere else.
    assert!(fake.requests().iter().all(|r| r.token_ok));
    assert!(
        tg.probed(&run(&tg.probe()).await).unwrap() == "Telegram bot @fake_shop_bot",
        "probe"
    );
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_the_largest_photo_through_get_file() {
    let fake = TelegramFake::start().await;
    let tg = bot(&fake, None);
    let (update, large) = fake.photo_update(&lucia(), "la mancha", b"the full size jpeg");
    fake.push_update(update);
    let polled = tg.polled(&run(&tg.poll(0).unwrap()).await, NOW).unwrap();
    let m = messages(&polled.updates[0].1).remove(0);
    assert_eq!(m.text, "la mancha");
    let media = &m.media[0];
    assert_eq!(media.locator, large.file_id);
    let mut req = tg.fetch_media(media);
    let mut steps = 0;
    let (bytes, mime) = loop {
        steps += 1;
        match tg.media_step(media, &run(&req).await).unwrap() {
            MediaStep::Then(next) => req = next,
            MediaStep::Done { bytes, mime } => break (bytes, mime),
        }
    };
    assert_eq!(steps, 2);
    assert_eq!(bytes, b"the full size jpeg");
    assert_eq!(mime.as_deref(), Some("image/jpeg"));
    assert_eq!(
        fake.requests_to("getFile")[0].params["file_id"],
        large.file_id
    );
    fake.stop().await;
}

/// A webhook receiver that reads each request with the module, as the app will.
async fn receiver(tg: Telegram) -> (String, Arc<Mutex<Vec<InboundMessage>>>) {
    let got = Arc::new(Mutex::new(vec![]));
    let store = got.clone();
    let server = HttpServer::new(move || {
        let (tg, store) = (tg.clone(), store.clone());
        App::new().route(
            "/tg",
            web::post().to(move |req: actix_web::HttpRequest, body: web::Bytes| {
                let (tg, store) = (tg.clone(), store.clone());
                async move {
                    let raw = RawRequest {
                        method: "POST".into(),
                        url: req.uri().to_string(),
                        query: String::new(),
                        headers: req
                            .headers()
                            .iter()
                            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().into()))
                            .collect(),
                        body: body.to_vec(),
                    };
                    match tg.receive(&raw, NOW) {
                        Ok(Accepted::Events(ev)) => {
                            store.lock().unwrap().extend(messages(&ev));
                            actix_web::HttpResponse::Ok().finish()
                        }
                        _ => actix_web::HttpResponse::Unauthorized().finish(),
                    }
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    tokio::spawn(server.run());
    (format!("http://{addr}/tg"), got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_delivers_with_the_secret_and_stops_polling() {
    let fake = TelegramFake::start().await;
    let tg = bot(&fake, Some("s3cret-Token_9"));
    let (url, got) = receiver(tg.clone()).await;
    let answer = run(&tg.set_webhook(&url)).await;
    assert_eq!(tg.confirmed(&answer), Ok("Webhook was set".into()));
    let id = fake.push_text(&lucia(), "por webhook");
    for _ in 0..100 {
        if !got.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let m = got.lock().unwrap()[0].clone();
    assert_eq!(
        (m.text.as_str(), m.source_id),
        ("por webhook", id.to_string())
    );
    assert_eq!(fake.deliveries(), vec![(id, 200)]);
    // Telegram's own update signed with a wrong secret is refused by the module.
    let update = fake.text_update(&lucia(), "forged");
    assert_eq!(fake.post_webhook(&url, Some("wrong"), &update).await, 401);
    assert_eq!(fake.post_webhook(&url, None, &update).await, 401);
    // While the webhook is set, getUpdates is a conflict, in words.
    // (A webhook inbox does not poll; a stale poller with the same bot would get this.)
    assert!(tg.poll(0).is_none());
    let poller = bot(&fake, None);
    let answer = run(&poller.poll(0).unwrap()).await;
    let Err(SendError::Permanent(e)) = poller.polled(&answer, NOW) else {
        panic!()
    };
    assert!(e.text.contains("webhook is active"), "{}", e.text);
    let answer = run(&tg.delete_webhook()).await;
    assert_eq!(tg.confirmed(&answer), Ok("Webhook was deleted".into()));
    assert!(fake.webhook().is_none());
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_poller_ends_the_first_with_a_conflict() {
    let fake = TelegramFake::start().await;
    let tg = bot(&fake, None);
    let req = tg.poll(0).unwrap();
    let first = tokio::spawn(async move { run(&req).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let req = tg.poll(0).unwrap();
    let second = tokio::spawn(async move { run(&req).await });
    let Err(SendError::Permanent(e)) = tg.polled(&first.await.unwrap(), NOW) else {
        panic!("the first poll was not ended")
    };
    assert_eq!(e.code, "409");
    assert!(e.text.contains("other getUpdates request"), "{}", e.text);
    let id = fake.push_text(&lucia(), "para el segundo");
    let got = tg.polled(&second.await.unwrap(), NOW).unwrap();
    assert_eq!(got.updates[0].0, id + 1);
    fake.stop().await;
}

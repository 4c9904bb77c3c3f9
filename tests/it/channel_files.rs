//! Agents' files on every channel that is not mail (issue 13, §3 and §4): an agent sends
//! a PDF, an image and a voice note through WhatsApp, Messenger, Telegram, SMS and an
//! API inbox's webhook, and what the provider or receiver gets is checked byte for byte
//! (the fakes fetch the signed links from the app, as the providers do; Telegram's
//! reads the multipart upload). Per channel,
//! a file it cannot carry is refused when the agent sends: nothing goes, the uploads
//! stay. The signed links themselves: good, tampered, expired.

use super::common::*;
use super::meta_fake::{self, MetaFake, Route};
use super::telegram_fake::{FAKE_TOKEN, FakeUser, TelegramFake};
use super::twilio_fake::{self, TwilioFake};
use super::uploads::{PDF, PNG, multipart, send};
use actix_web::{App, HttpResponse, HttpServer, web};
use charla::domain::conversation::ConversationId;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The browser's recording; the server remuxes it into `voice-note.ogg` (OGG/Opus).
const RECORDING: &[u8] = include_bytes!("../fixtures/voice/chromium-opus.webm");
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// Uploads a file as the composer does; `voice` for a recording. Answers its JSON.
async fn upload(
    web: &Client,
    conv: u64,
    name: &str,
    mime: &str,
    bytes: &[u8],
    voice: bool,
) -> Value {
    let csrf = web.csrf(&format!("/conversations/{conv}")).await;
    let (ct, body) = multipart(name, mime, bytes, voice);
    let r = web
        .http
        .post(format!("{}/conversations/{conv}/uploads", web.base))
        .header("content-type", ct)
        .header("x-csrf-token", csrf)
        .header("origin", &web.base)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

/// The three files of every channel's good case: (uploads to send, their names).
async fn three_files(web: &Client, conv: u64) -> Value {
    let pdf = upload(web, conv, "factura.pdf", "application/pdf", PDF, false).await;
    let png = upload(web, conv, "talla.png", "image/png", PNG, false).await;
    let voice = upload(web, conv, "recording.webm", "audio/webm", RECORDING, true).await;
    assert_eq!(voice["name"], "voice-note.ogg", "{voice}");
    assert_eq!(voice["mime"], "audio/ogg", "{voice}");
    json!([{"id": pdf["id"]}, {"id": png["id"]}, {"id": voice["id"]}])
}

/// The newest outbound message of a conversation.
async fn last_outbound(api: &Api, conv: u64) -> Value {
    conversation_messages(api, conv)
        .await
        .into_iter()
        .filter(|m| m["direction"] == "outbound")
        .max_by_key(|m| m["id"].as_u64())
        .expect("an outbound message")
}

/// File `n` of message `mid` as the agent downloads it.
async fn agent_bytes(web: &Client, conv: u64, mid: u64, n: usize) -> Vec<u8> {
    let r = web
        .get(&format!(
            "/conversations/{conv}/messages/{mid}/attachments/{n}"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.bytes().await.unwrap().to_vec()
}

/// The uploads still waiting in a conversation (files, chunks).
fn footprint(app: &TestApp, conv: u64) -> (usize, usize) {
    app.services()
        .store
        .upload_footprint(ConversationId(conv))
        .unwrap()
}

/// Sends `files` and expects a refusal naming `words`; nothing is sent (the fake's
/// `sends` stays the same) and the uploads stay.
async fn assert_refused(
    app: &TestApp,
    web: &Client,
    conv: u64,
    files: Value,
    words: &str,
    sends: impl Fn() -> usize,
) {
    let before = (sends(), footprint(app, conv));
    let r = send(web, conv, "", files).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains(words), "{words:?} not in the refusal");
    assert!(page.contains("Nothing was sent"), "the refusal says so");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!((sends(), footprint(app, conv)), before);
}

/// A port free now, for an app whose `server.public_url` must name it.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A webhook receiver that keeps every body.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>, actix_web::dev::ServerHandle) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let data = web::Data::new(got.clone());
    let server = HttpServer::new(move || {
        App::new().app_data(data.clone()).default_service(web::to(
            |body: web::Bytes, got: web::Data<Arc<Mutex<Vec<Value>>>>| async move {
                got.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                HttpResponse::Ok().finish()
            },
        ))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/hook", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (url, got, handle)
}

#[actix_web::test]
async fn an_api_webhook_carries_signed_links_that_expire() {
    let port = free_port();
    let app = TestApp::start_with(|c| {
        c.server.listen = format!("127.0.0.1:{port}");
        c.server.public_url = format!("http://127.0.0.1:{port}/");
    })
    .await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (hook, got, handle) = receiver().await;
    let (inbox, token) = api.inbox("Shop API", &[], Some(&hook)).await;
    let (s, v) = incoming(
        &api.base,
        inbox,
        &token,
        json!({"contact": {"identifier": "c-1"}, "content": "¿Me mandas la factura?"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let conv = v["conversation_id"].as_u64().unwrap();
    let files = three_files(&web, conv).await;
    let r = send(&web, conv, "Aquí tienes", files).await;
    assert!(
        r.status().is_success() || r.status() == StatusCode::SEE_OTHER,
        "{}",
        r.status()
    );
    let mid = last_outbound(&api, conv).await["id"].as_u64().unwrap();
    wait_status(&api, conv, mid, "sent").await;

    let body = got.lock().unwrap().last().cloned().unwrap();
    assert_eq!(body["message"]["content"], "Aquí tienes");
    let sent = body["message"]["files"].as_array().unwrap().clone();
    let names: Vec<_> = sent
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["factura.pdf", "talla.png", "voice-note.ogg"]);
    assert_eq!(sent[0]["mime"], "application/pdf");
    assert_eq!(sent[0]["size"], PDF.len());
    assert_eq!(sent[2]["voice"], true);
    let http = reqwest::Client::new();
    for (n, f) in sent.iter().enumerate() {
        let url = f["url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("http://127.0.0.1:{port}/f/{conv}/{mid}/{n}?exp=")),
            "{url}"
        );
        // The receiver downloads it with no session: the very bytes the agent sent.
        let r = http.get(url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let h = r.headers().clone();
        assert_eq!(h["content-type"], f["mime"].as_str().unwrap());
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("sandbox")
        );
        let disposition = h["content-disposition"].to_str().unwrap();
        assert!(
            disposition.starts_with(if n == 1 { "inline;" } else { "attachment;" }),
            "{disposition}"
        );
        let bytes = r.bytes().await.unwrap();
        assert_eq!(bytes.len() as u64, f["size"].as_u64().unwrap());
        assert_eq!(bytes.to_vec(), agent_bytes(&web, conv, mid, n).await);
    }
    assert_eq!(agent_bytes(&web, conv, mid, 0).await, PDF);
    assert_eq!(agent_bytes(&web, conv, mid, 1).await, PNG);

    // Tampered: another file, another message, another expiry, another signature.
    let url = sent[0]["url"].as_str().unwrap().to_string();
    let (path, query) = url.split_once('?').unwrap();
    let q: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let (exp, sig) = (q[0].1.clone(), q[1].1.clone());
    let base = format!("http://127.0.0.1:{port}");
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    for bad in [
        format!("{base}/f/{conv}/{mid}/1?exp={exp}&sig={sig}"),
        format!("{base}/f/{conv}/{}/0?exp={exp}&sig={sig}", mid + 1),
        format!(
            "{path}?exp={}&sig={sig}",
            exp.parse::<i64>().unwrap() + 3600
        ),
        format!("{path}?exp={exp}&sig={flipped}"),
        format!("{path}?exp={exp}"),
        path.to_string(),
    ] {
        let r = http.get(&bad).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{bad}");
        let text = r.text().await.unwrap();
        assert!(!text.contains("%PDF"), "nothing of the file is served");
        assert!(text.contains("not valid") && text.contains("no es válido"));
    }
    // Still good just before its time; gone (410) after the default 7 days.
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    app.clock.advance_secs(7 * 24 * 3600 + 1);
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    let text = r.text().await.unwrap();
    assert!(text.contains("expired") && text.contains("caducado") && !text.contains("%PDF"));
    handle.stop(true).await;
    app.stop().await;
}

#[actix_web::test]
async fn whatsapp_gets_native_media_and_the_voice_note_as_ogg_audio() {
    let (app, web, api, fake, inbox, hook) = super::whatsapp::whatsapp_inbox_web().await;
    let msg = meta_fake::wa_text(
        "34600111222",
        "Lucía",
        "wamid.IN1",
        "¿La factura?",
        app.clock_now() / 1000,
    );
    assert_eq!(post_meta_signed(&hook, &msg).await, StatusCode::OK);
    let conv = inbox_conversations(&api, inbox).await[0]["id"]
        .as_u64()
        .unwrap();
    let files = three_files(&web, conv).await;
    let r = send(&web, conv, "Aquí la tienes", files).await;
    assert!(
        r.status().is_success() || r.status() == StatusCode::SEE_OTHER,
        "{}",
        r.status()
    );
    let mid = last_outbound(&api, conv).await["id"].as_u64().unwrap();
    wait_status(&api, conv, mid, "sent").await;

    // One message per file, the text as the document's caption, each by link.
    let sends: Vec<Value> = fake
        .requests_to(Route::WhatsAppSend)
        .iter()
        .map(|r| r.json())
        .collect();
    assert_eq!(sends.len(), 3, "{sends:?}");
    assert_eq!(sends[0]["type"], "document");
    assert_eq!(sends[0]["document"]["caption"], "Aquí la tienes");
    assert_eq!(sends[0]["document"]["filename"], "factura.pdf");
    assert_eq!(sends[1]["type"], "image");
    assert!(sends[1]["image"].get("caption").is_none());
    assert_eq!(
        sends[2]["type"], "audio",
        "a voice note goes as OGG/Opus audio"
    );
    for (n, s) in sends.iter().enumerate() {
        let kind = s["type"].as_str().unwrap();
        let link = s[kind]["link"].as_str().unwrap();
        assert!(
            link.starts_with(&format!("{}/f/{conv}/{mid}/{n}?exp=", app.url)),
            "{link}"
        );
    }
    // What WhatsApp downloaded is what the agent sent.
    let fetched = fake.fetched();
    assert_eq!(fetched.len(), 3);
    let types: Vec<_> = fetched.iter().map(|f| f.content_type.as_str()).collect();
    assert_eq!(types, ["application/pdf", "image/png", "audio/ogg"]);
    for (n, f) in fetched.iter().enumerate() {
        assert_eq!(f.bytes, agent_bytes(&web, conv, mid, n).await);
    }
    assert_eq!(fetched[0].bytes, PDF);
    assert!(fetched[2].bytes.starts_with(b"OggS"));

    // A GIF is not a WhatsApp type: refused in words, nothing sent, the upload kept.
    let gif = upload(&web, conv, "baile.gif", "image/gif", GIF, false).await;
    assert_refused(
        &app,
        &web,
        conv,
        json!([{"id": gif["id"]}]),
        "baile.gif cannot be sent on WhatsApp",
        || fake.requests_to(Route::WhatsAppSend).len(),
    )
    .await;

    // An approved template carries no files: refused in words, the upload kept.
    let (s, t) = api
        .post(
            "/api/v1/templates",
            json!({"name": "Hola", "whatsapp": {"name": "hello", "language": "es",
                "body": "Hola, ¿seguimos?", "inbox_id": inbox}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let png = upload(&web, conv, "foto.png", "image/png", PNG, false).await;
    let before = (
        fake.requests_to(Route::WhatsAppSend).len(),
        footprint(&app, conv),
    );
    let csrf = web.csrf(&format!("/conversations/{conv}")).await;
    let r = web
        .post(
            &format!("/conversations/{conv}/messages"),
            &[
                ("csrf", &csrf),
                ("content", ""),
                ("mode", "reply"),
                ("template_id", &t["id"].to_string()),
                ("fields", "{}"),
                ("attachments", &json!([{"id": png["id"]}]).to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("An approved template goes without files")
    );
    assert_eq!(
        (
            fake.requests_to(Route::WhatsAppSend).len(),
            footprint(&app, conv)
        ),
        before
    );
    app.stop().await;
}

#[actix_web::test]
async fn messenger_gets_the_text_then_each_file_by_url() {
    let fake = MetaFake::start().await;
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Page", "channel": "messenger", "messenger": {
                "page_id": meta_fake::PAGE_ID, "page_access_token": meta_fake::PAGE_TOKEN,
                "app_secret": meta_fake::APP_SECRET, "verify_token": meta_fake::VERIFY_TOKEN,
                "api_base": fake.api_base}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (inbox, hook) = (
        v["id"].as_u64().unwrap(),
        v["webhook_url"].as_str().unwrap().to_string(),
    );
    let msg = meta_fake::ms_text(
        "24601357",
        "m_IN1",
        "¿Me mandas la factura?",
        app.clock_now(),
    );
    assert_eq!(post_meta_signed(&hook, &msg).await, StatusCode::OK);
    let conv = inbox_conversations(&api, inbox).await[0]["id"]
        .as_u64()
        .unwrap();
    let files = three_files(&web, conv).await;
    let r = send(&web, conv, "Aquí la tienes", files).await;
    assert!(
        r.status().is_success() || r.status() == StatusCode::SEE_OTHER,
        "{}",
        r.status()
    );
    let mid = last_outbound(&api, conv).await["id"].as_u64().unwrap();
    wait_status(&api, conv, mid, "sent").await;

    let sends: Vec<Value> = fake
        .requests_to(Route::MessengerSend)
        .iter()
        .map(|r| r.json())
        .collect();
    assert_eq!(sends.len(), 4, "{sends:?}");
    assert_eq!(sends[0]["message"]["text"], "Aquí la tienes");
    let kinds: Vec<_> = sends[1..]
        .iter()
        .map(|s| s["message"]["attachment"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["file", "image", "audio"]);
    for s in &sends[1..] {
        assert_eq!(s["message"]["attachment"]["payload"]["is_reusable"], false);
        assert_eq!(s["messaging_type"], "RESPONSE");
    }
    let fetched = fake.fetched();
    assert_eq!(fetched.len(), 3);
    for (n, f) in fetched.iter().enumerate() {
        assert_eq!(f.bytes, agent_bytes(&web, conv, mid, n).await);
    }

    // Over Messenger's 25 MB: refused before anything goes; the upload stays.
    let mut big = PDF.to_vec();
    big.resize(26 * 1024 * 1024, b' ');
    let pdf = upload(&web, conv, "catalogo.pdf", "application/pdf", &big, false).await;
    assert_refused(
        &app,
        &web,
        conv,
        json!([{"id": pdf["id"]}]),
        "catalogo.pdf cannot be sent on Messenger: it is larger than the 26.2 MB",
        || fake.requests_to(Route::MessengerSend).len(),
    )
    .await;
    app.stop().await;
}

#[actix_web::test]
async fn telegram_gets_a_document_a_photo_and_send_voice() {
    let fake = TelegramFake::start().await;
    // Room for a file over Telegram's 50 MB.
    let app =
        TestApp::start_with(|c| c.inbox.max_upload_bytes = charla::config::ByteSize(60 << 20))
            .await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Bot", "channel": "telegram",
                   "telegram": {"bot_token": FAKE_TOKEN, "mode": "poll", "api_base": fake.url}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let inbox = v["id"].as_u64().unwrap();
    fake.push_text(&FakeUser::new(5_512_345_678, "Marta"), "¿La factura?");
    let mut conv = None;
    for _ in 0..100 {
        if let Some(c) = inbox_conversations(&api, inbox).await.first() {
            conv = c["id"].as_u64();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let conv = conv.expect("the message arrives");
    let files = three_files(&web, conv).await;
    let r = send(&web, conv, "Aquí la tienes", files).await;
    assert!(
        r.status().is_success() || r.status() == StatusCode::SEE_OTHER,
        "{}",
        r.status()
    );
    let mid = last_outbound(&api, conv).await["id"].as_u64().unwrap();
    wait_status(&api, conv, mid, "sent").await;

    // A voice note cannot share an album: each file its own message, the text as the
    // first one's caption, each file uploaded as multipart (no public URL needed).
    let sent = fake.sent();
    let methods: Vec<_> = sent.iter().map(|m| m.method.as_str()).collect();
    assert_eq!(methods, ["sendDocument", "sendPhoto", "sendVoice"]);
    assert_eq!(sent[0].caption.as_deref(), Some("Aquí la tienes"));
    assert_eq!(sent[1].caption, None);
    for (n, (m, name)) in sent
        .iter()
        .zip(["factura.pdf", "talla.png", "voice-note.ogg"])
        .enumerate()
    {
        assert_eq!(
            m.media_url.as_deref(),
            Some(format!("upload:{name}").as_str())
        );
        assert_eq!(
            m.media.clone().unwrap(),
            agent_bytes(&web, conv, mid, n).await
        );
    }
    let voice = &fake.requests_to("sendVoice")[0];
    assert_eq!(voice.params["voice"]["upload"]["content_type"], "audio/ogg");

    // Over the 50 MB a bot uploads: refused before anything goes; the upload stays.
    let mut big = PDF.to_vec();
    big.resize(51 * 1024 * 1024, b' ');
    let pdf = upload(&web, conv, "catalogo.pdf", "application/pdf", &big, false).await;
    assert_refused(
        &app,
        &web,
        conv,
        json!([{"id": pdf["id"]}]),
        "catalogo.pdf cannot be sent on Telegram: it is larger than the 52.4 MB",
        || fake.sent().len(),
    )
    .await;
    app.stop().await;
}

#[actix_web::test]
async fn sms_carries_one_link_line_per_file_within_one_message() {
    let fake = TwilioFake::start(super::sms::ACCOUNT, super::sms::AUTH_TOKEN).await;
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (inbox, hook) = super::sms::create(&api, "sms", "SMS shop", &fake).await;
    let msg = twilio_fake::inbound_sms(
        super::sms::ACCOUNT,
        super::sms::CUSTOMER,
        super::sms::FROM,
        "¿Me mandas la factura?",
    );
    let r = twilio_fake::post_signed(&hook, super::sms::AUTH_TOKEN, &msg).await;
    assert!(r.status().is_success(), "{}", r.status());
    let conv = super::sms::only_conversation(&api, inbox).await;
    let files = three_files(&web, conv).await;
    let r = send(&web, conv, "Aquí la tienes", files).await;
    assert!(
        r.status().is_success() || r.status() == StatusCode::SEE_OTHER,
        "{}",
        r.status()
    );
    let mid = last_outbound(&api, conv).await["id"].as_u64().unwrap();
    wait_status(&api, conv, mid, "sent").await;

    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "one SMS");
    assert!(sent[0].all("MediaUrl").is_empty(), "links, not MMS");
    let body = sent[0].param("Body").unwrap().to_string();
    let (text, lines) = body.split_once("\n\n").unwrap();
    assert_eq!(text, "Aquí la tienes");
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), 3, "{body}");
    let http = reqwest::Client::new();
    for (n, (line, name)) in lines
        .iter()
        .zip(["factura.pdf", "talla.png", "voice-note.ogg"])
        .enumerate()
    {
        let url = line
            .strip_prefix(&format!("{name}: "))
            .unwrap_or_else(|| panic!("{line}"));
        assert!(
            url.starts_with(&format!("{}/f/{conv}/{mid}/{n}?exp=", app.url)),
            "{url}"
        );
        // The customer's phone opens the link.
        let r = http.get(url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.bytes().await.unwrap().to_vec(),
            agent_bytes(&web, conv, mid, n).await
        );
    }

    // Text and links over the 1600 characters of one message: refused, nothing sent.
    let pdf = upload(&web, conv, "factura.pdf", "application/pdf", PDF, false).await;
    let csrf = web.csrf(&format!("/conversations/{conv}")).await;
    let long = "a".repeat(1500);
    let before = (fake.sent().len(), footprint(&app, conv));
    let r = web
        .post(
            &format!("/conversations/{conv}/messages"),
            &[
                ("csrf", &csrf),
                ("content", &long),
                ("mode", "reply"),
                ("attachments", &json!([{"id": pdf["id"]}]).to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("The content is longer than") && page.contains("600"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!((fake.sent().len(), footprint(&app, conv)), before);
    app.stop().await;
}

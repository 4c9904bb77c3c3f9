//! A WhatsApp Cloud API inbox end to end, against the fake Graph API: created through
//! the admin API, the handshake, signed notifications (wrong ones store nothing, the
//! same one many times stores one message), a reply through the durable outbox, status
//! callbacks in any order, the provider down then back, a refusal in its words, the
//! 24-hour window, and files both ways.

use super::common::*;
use super::meta_fake::{self, MetaFake, Route};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const CUSTOMER: &str = "34600111222";

/// An app with a WhatsApp inbox on the fake; returns (app, api, fake, inbox id, webhook URL).
async fn whatsapp_inbox() -> (TestApp, Api, MetaFake, u64, String) {
    let (app, _web, api, fake, inbox, hook) = whatsapp_inbox_web().await;
    (app, api, fake, inbox, hook)
}

/// The same, with the admin's browser-like client too.
pub(super) async fn whatsapp_inbox_web() -> (TestApp, Client, Api, MetaFake, u64, String) {
    let fake = MetaFake::start().await;
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "WhatsApp shop", "channel": "whatsapp", "whatsapp": {
                "provider": "cloud", "phone_number_id": meta_fake::PHONE_NUMBER_ID,
                "access_token": meta_fake::ACCESS_TOKEN, "app_secret": meta_fake::APP_SECRET,
                "verify_token": meta_fake::VERIFY_TOKEN, "api_base": fake.api_base}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let hook = v["webhook_url"].as_str().unwrap().to_string();
    assert!(hook.starts_with(&format!("{}/hooks/", app.url)), "{hook}");
    (app, web, api, fake, v["id"].as_u64().unwrap(), hook)
}

fn now_secs(app: &TestApp) -> i64 {
    app.clock_now() / 1000
}

#[actix_web::test]
async fn whatsapp_inbox_receives_replies_and_follows_statuses() {
    let (app, web, api, fake, inbox, hook) = whatsapp_inbox_web().await;

    // Secrets never come back, only whether they are set.
    let (_, list) = api.get("/api/v1/inboxes").await;
    let text = list.to_string();
    assert!(!text.contains(meta_fake::ACCESS_TOKEN) && !text.contains(meta_fake::APP_SECRET));
    let mine = list["inboxes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == inbox)
        .unwrap()
        .clone();
    assert_eq!(mine["whatsapp"]["access_token_set"], true, "{mine}");
    assert_eq!(mine["webhook_url"], hook.as_str());

    // The subscription handshake.
    assert_meta_handshake(&hook, meta_fake::VERIFY_TOKEN, "1158201444").await;

    // Unsigned or wrongly signed: 401, nothing stored.
    let msg = meta_fake::wa_text(
        CUSTOMER,
        "Lucía",
        "wamid.HBgL1",
        "Hola, ¿tenéis la maceta?",
        now_secs(&app),
    );
    let forged = (msg.0.clone(), meta_fake::sign("not-the-secret", &msg.0));
    assert_eq!(
        post_meta_signed(&hook, &forged).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_meta_signed(&hook, &(msg.0.clone(), String::new())).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(inbox_conversations(&api, inbox).await.is_empty());

    // The same notification three times at once: one message.
    let (a, b, c) = tokio::join!(
        post_meta_signed(&hook, &msg),
        post_meta_signed(&hook, &msg),
        post_meta_signed(&hook, &msg)
    );
    assert_eq!((a, b, c), (StatusCode::OK, StatusCode::OK, StatusCode::OK));
    let convs = inbox_conversations(&api, inbox).await;
    assert_eq!(convs.len(), 1, "{convs:?}");
    let conv = convs[0]["id"].as_u64().unwrap();
    let inbound: Vec<Value> = conversation_messages(&api, conv)
        .await
        .into_iter()
        .filter(|m| m["direction"] == "inbound")
        .collect();
    assert_eq!(inbound.len(), 1, "{inbound:?}");
    assert_eq!(inbound[0]["content"], "Hola, ¿tenéis la maceta?");

    // A reply goes to the customer's number through the outbox.
    let id = reply(&api, conv, "¡Sí! Te la guardamos.").await;
    wait_status(&api, conv, id, "sent").await;
    let sends = fake.requests_to(Route::WhatsAppSend);
    assert_eq!(sends.len(), 1);
    let body = sends[0].json();
    assert_eq!(body["to"], CUSTOMER);
    assert_eq!(body["text"]["body"], "¡Sí! Te la guardamos.");
    assert_eq!(
        sends[0].authorization.as_deref(),
        Some(format!("Bearer {}", meta_fake::ACCESS_TOKEN).as_str())
    );
    let wamid = conversation_messages(&api, conv)
        .await
        .into_iter()
        .find(|m| m["id"] == id)
        .unwrap()["source_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(wamid.starts_with("wamid."), "{wamid}");

    // Callbacks out of order: the status only moves forward, `failed` after read is ignored.
    for st in ["read", "sent", "delivered"] {
        let s = meta_fake::wa_status(&wamid, st, CUSTOMER, now_secs(&app), None);
        assert_eq!(post_meta_signed(&hook, &s).await, StatusCode::OK);
    }
    let late = meta_fake::wa_status(
        &wamid,
        "failed",
        CUSTOMER,
        now_secs(&app),
        Some((131026, "Message undeliverable", "x")),
    );
    assert_eq!(post_meta_signed(&hook, &late).await, StatusCode::OK);
    wait_status(&api, conv, id, "read").await;

    // The provider down (500), then back: sent exactly once, after the retry.
    fake.script(
        Route::WhatsAppSend,
        500,
        meta_fake::graph_error(1, "An unknown error occurred", None),
    );
    let second = reply(&api, conv, "¿Te la enviamos?").await;
    for _ in 0..100 {
        if fake.requests_to(Route::WhatsAppSend).len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..100 {
        app.clock.advance_secs(61);
        tokio::time::sleep(Duration::from_millis(100)).await;
        if fake.requests_to(Route::WhatsAppSend).len() >= 3 {
            break;
        }
    }
    wait_status(&api, conv, second, "sent").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let texts: Vec<Value> = fake
        .requests_to(Route::WhatsAppSend)
        .iter()
        .map(|r| r.json()["text"]["body"].clone())
        .collect();
    assert_eq!(
        texts.iter().filter(|t| *t == "¿Te la enviamos?").count(),
        2,
        "one refused attempt, one accepted: {texts:?}"
    );

    // A refusal fails the message with Meta's code and words.
    fake.script(
        Route::WhatsAppSend,
        400,
        meta_fake::graph_error(
            131026,
            "Message undeliverable",
            Some("the number is not on WhatsApp"),
        ),
    );
    let third = reply(&api, conv, "¿Hola?").await;
    let failed = wait_status(&api, conv, third, "failed").await;
    let error = failed["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("131026"), "{failed}");

    // The composer shows the window, and each sent message which statuses WhatsApp
    // reports at all.
    let (_, pane) = web.get_text(&format!("/conversations/{conv}/pane")).await;
    assert!(
        pane.contains("24-hour messaging window: free replies until"),
        "{pane}"
    );
    assert!(pane.contains("This channel reports: sent, delivered, read, failed"));

    // 25 hours later the window is closed: refused before anything is sent.
    let before = fake.requests_to(Route::WhatsAppSend).len();
    app.clock.advance_secs(25 * 3600);
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "¿Sigues ahí?"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("24-hour"), "{v}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.requests_to(Route::WhatsAppSend).len(), before);
    // (The session expired meanwhile: sign in again.)
    web.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, pane) = web.get_text(&format!("/conversations/{conv}/pane")).await;
    assert!(pane.contains("messaging window is closed"), "{pane}");
    // A new message from the customer opens it again.
    let again = meta_fake::wa_text(CUSTOMER, "Lucía", "wamid.HBgL2", "Sí, aquí", now_secs(&app));
    assert_eq!(post_meta_signed(&hook, &again).await, StatusCode::OK);
    reply(&api, conv, "¡Genial!").await;
    app.stop().await;
}

#[actix_web::test]
async fn whatsapp_files_arrive_as_attachments() {
    let (app, api, fake, inbox, hook) = whatsapp_inbox().await;
    let photo = b"\xff\xd8\xff\xe0 a small jpeg".to_vec();
    let media = fake.add_media(&photo, "image/jpeg");
    let note = meta_fake::wa_image(
        CUSTOMER,
        "Lucía",
        "wamid.IMG1",
        &media,
        Some("Esta maceta"),
        now_secs(&app),
    );
    assert_eq!(post_meta_signed(&hook, &note).await, StatusCode::OK);
    let conv = inbox_conversations(&api, inbox).await[0]["id"]
        .as_u64()
        .unwrap();
    let m = conversation_messages(&api, conv)
        .await
        .into_iter()
        .find(|m| m["direction"] == "inbound")
        .unwrap();
    assert_eq!(m["content"], "Esta maceta");
    let att = &m["attachments"][0];
    assert_eq!(att["mime"], "image/jpeg", "{m}");
    assert_eq!(att["size"], photo.len());
    // Both steps carried the token: the file's metadata, then its bytes.
    assert_eq!(fake.requests_to(Route::MediaInfo).len(), 1);
    assert_eq!(fake.requests_to(Route::MediaDownload).len(), 1);
    // A status callback that overtakes our record of the send waits for it.
    let id = reply(&api, conv, "¡Qué bonita!").await;
    wait_status(&api, conv, id, "sent").await;
    let early = meta_fake::wa_status("wamid.EARLY", "delivered", CUSTOMER, now_secs(&app), None);
    let hook2 = hook.clone();
    let pending = tokio::spawn(async move { post_meta_signed(&hook2, &early).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.services()
        .store
        .set_message_source(
            charla::domain::InboxId(inbox),
            "wamid.EARLY",
            charla::domain::conversation::ConversationId(conv),
            charla::domain::conversation::MessageId(id),
        )
        .unwrap();
    assert_eq!(pending.await.unwrap(), StatusCode::OK);
    wait_status(&api, conv, id, "delivered").await;
    // An unknown kind is kept as a readable line, and the batch goes on.
    let odd = meta_fake::wa_other(
        CUSTOMER,
        "Lucía",
        "wamid.ODD1",
        "order",
        json!({"catalog_id": "1"}),
        now_secs(&app),
    );
    assert_eq!(post_meta_signed(&hook, &odd).await, StatusCode::OK);
    let all = conversation_messages(&api, conv).await;
    assert!(
        all.iter()
            .any(|m| m["content"] == "[unsupported WhatsApp message: order]"),
        "{all:?}"
    );
    app.stop().await;
}

//! A Messenger inbox end to end, against the fake Graph API: created through the admin
//! API, the handshake, signed notifications, the sender's name from the profile
//! endpoint (asked once), a reply with delivery and read watermarks, the 24-hour
//! window and the HUMAN_AGENT tag's 7 days, and echoes of our own messages ignored.

use super::common::*;
use super::meta_fake::{self, MetaFake, Route};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const PSID: &str = "6914286221976512";

/// An app with a Messenger inbox on the fake; returns (app, api, fake, inbox id, webhook URL).
async fn messenger_inbox(human_agent_tag: bool) -> (TestApp, Api, MetaFake, u64, String) {
    let fake = MetaFake::start().await;
    let app = TestApp::start().await;
    let api = Api::for_client(&app.admin().await).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Facebook page", "channel": "messenger", "messenger": {
                "page_id": meta_fake::PAGE_ID, "page_access_token": meta_fake::PAGE_TOKEN,
                "app_secret": meta_fake::APP_SECRET, "verify_token": meta_fake::VERIFY_TOKEN,
                "human_agent_tag": human_agent_tag, "api_base": fake.api_base}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let hook = v["webhook_url"].as_str().unwrap().to_string();
    assert!(hook.starts_with(&format!("{}/hooks/", app.url)), "{hook}");
    (app, api, fake, v["id"].as_u64().unwrap(), hook)
}

async fn try_reply(api: &Api, conv: u64, text: &str) -> (StatusCode, Value) {
    api.post(
        &format!("/api/v1/conversations/{conv}/messages"),
        json!({"content": text}),
    )
    .await
}

/// Waits (bounded) until the fake got `n` sends; returns them.
async fn sends(fake: &MetaFake, n: usize) -> Vec<meta_fake::Recorded> {
    for _ in 0..100 {
        if fake.requests_to(Route::MessengerSend).len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = fake.requests_to(Route::MessengerSend);
    assert_eq!(got.len(), n, "{got:?}");
    got
}

#[actix_web::test]
async fn messenger_inbox_receives_replies_and_follows_watermarks() {
    let (app, api, fake, inbox, hook) = messenger_inbox(false).await;
    fake.add_profile(PSID, "Lucía", "Martín");

    // The subscription handshake.
    assert_meta_handshake(&hook, meta_fake::VERIFY_TOKEN, "8412093").await;

    // Wrongly signed or unsigned: 401, nothing stored, nobody asked about.
    let msg = meta_fake::ms_text(PSID, "m_AAA1", "Hola, ¿hacéis envíos?", app.clock_now());
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
    assert!(fake.requests_to(Route::Profile).is_empty());

    // Signed: stored, the name from the profile endpoint.
    assert_eq!(post_meta_signed(&hook, &msg).await, StatusCode::OK);
    let convs = inbox_conversations(&api, inbox).await;
    assert_eq!(convs.len(), 1, "{convs:?}");
    assert_eq!(convs[0]["contact"]["name"], "Lucía Martín", "{convs:?}");
    let conv = convs[0]["id"].as_u64().unwrap();
    let profile = fake.requests_to(Route::Profile);
    assert_eq!(profile.len(), 1);
    assert_eq!(
        profile[0].authorization.as_deref(),
        Some(format!("Bearer {}", meta_fake::PAGE_TOKEN).as_str())
    );
    // A second message: the name is known, the profile is not asked again.
    let second = meta_fake::ms_text(PSID, "m_AAA2", "Es para Sevilla", app.clock_now());
    assert_eq!(post_meta_signed(&hook, &second).await, StatusCode::OK);
    let inbound: Vec<Value> = conversation_messages(&api, conv)
        .await
        .into_iter()
        .filter(|m| m["direction"] == "inbound")
        .collect();
    assert_eq!(inbound.len(), 2, "{inbound:?}");
    assert_eq!(fake.requests_to(Route::Profile).len(), 1);

    // A reply: POST /me/messages as a RESPONSE.
    let id = reply(&api, conv, "¡Sí! A toda España.").await;
    wait_status(&api, conv, id, "sent").await;
    let sent = sends(&fake, 1).await;
    let body = sent[0].json();
    assert_eq!(body["messaging_type"], "RESPONSE", "{body}");
    assert_eq!(body["recipient"]["id"], PSID);
    assert_eq!(body["message"]["text"], "¡Sí! A toda España.");
    assert!(sent[0].path.ends_with("/me/messages"), "{}", sent[0].path);

    // Watermarks: delivered, then read.
    app.clock.advance_secs(5);
    let watermark = app.clock_now();
    assert_eq!(
        post_meta_signed(&hook, &meta_fake::ms_delivery(PSID, watermark)).await,
        StatusCode::OK
    );
    wait_status(&api, conv, id, "delivered").await;
    assert_eq!(
        post_meta_signed(&hook, &meta_fake::ms_read(PSID, watermark)).await,
        StatusCode::OK
    );
    wait_status(&api, conv, id, "read").await;

    // The echo of our own message stores nothing.
    let before = conversation_messages(&api, conv).await.len();
    let echo = meta_fake::ms_echo(PSID, "m_ECHO1", "¡Sí! A toda España.", app.clock_now());
    assert_eq!(post_meta_signed(&hook, &echo).await, StatusCode::OK);
    assert_eq!(conversation_messages(&api, conv).await.len(), before);
    assert_eq!(inbox_conversations(&api, inbox).await.len(), 1);

    // 25 hours later, without the HUMAN_AGENT tag: refused before anything is sent.
    app.clock.advance_secs(25 * 3600);
    let (s, v) = try_reply(&api, conv, "¿Sigues ahí?").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.requests_to(Route::MessengerSend).len(), 1);

    // The tag turned on by PATCH (the secrets kept): the same reply now goes tagged.
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{inbox}"),
            Some(json!({"messenger": {"human_agent_tag": true}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["messenger"]["human_agent_tag"], true, "{v}");
    assert_eq!(v["messenger"]["page_access_token_set"], true, "{v}");
    let tagged = reply(&api, conv, "¿Sigues ahí?").await;
    wait_status(&api, conv, tagged, "sent").await;
    let body = sends(&fake, 2).await[1].json();
    assert_eq!(
        (&body["messaging_type"], &body["tag"]),
        (&json!("MESSAGE_TAG"), &json!("HUMAN_AGENT")),
        "{body}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn messenger_human_agent_tag_reaches_seven_days() {
    let (app, api, fake, inbox, hook) = messenger_inbox(true).await;
    fake.add_profile(PSID, "Lucía", "Martín");
    let msg = meta_fake::ms_text(PSID, "m_BBB1", "¿Me avisáis?", app.clock_now());
    assert_eq!(post_meta_signed(&hook, &msg).await, StatusCode::OK);
    let conv = inbox_conversations(&api, inbox).await[0]["id"]
        .as_u64()
        .unwrap();

    // 25 hours later: goes with the HUMAN_AGENT tag.
    app.clock.advance_secs(25 * 3600);
    let id = reply(&api, conv, "Ya ha llegado.").await;
    wait_status(&api, conv, id, "sent").await;
    let body = sends(&fake, 1).await[0].json();
    assert_eq!(body["messaging_type"], "MESSAGE_TAG", "{body}");
    assert_eq!(body["tag"], "HUMAN_AGENT", "{body}");
    assert_eq!(body["recipient"]["id"], PSID);

    // 8 days after the customer wrote: refused, nothing sent.
    app.clock.advance_secs(7 * 24 * 3600);
    let (s, v) = try_reply(&api, conv, "¿Hola?").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.requests_to(Route::MessengerSend).len(), 1);
    app.stop().await;
}

#[actix_web::test]
async fn messenger_files_arrive_and_refusals_fail_in_metas_words() {
    let (app, api, fake, inbox, hook) = messenger_inbox(false).await;
    fake.add_profile(PSID, "Lucía", "Martín");
    let photo = b"\x89PNG\r\n\x1a\n a small png".to_vec();
    let url = fake.add_messenger_file(&photo, "image/png");
    let msg = meta_fake::ms_image(PSID, "m_IMG1", &url, app.clock_now());
    assert_eq!(post_meta_signed(&hook, &msg).await, StatusCode::OK);
    let conv = inbox_conversations(&api, inbox).await[0]["id"]
        .as_u64()
        .unwrap();
    let m = conversation_messages(&api, conv)
        .await
        .into_iter()
        .find(|m| m["direction"] == "inbound")
        .unwrap();
    let att = &m["attachments"][0];
    assert_eq!(att["mime"], "image/png", "{m}");
    assert_eq!(att["size"], photo.len());
    assert_eq!(fake.requests_to(Route::MessengerFile).len(), 1);

    // Graph refuses the send: failed with its code and words.
    fake.script(
        Route::MessengerSend,
        400,
        meta_fake::graph_error(551, "This person isn't available right now.", None),
    );
    let id = reply(&api, conv, "¡Qué bonita!").await;
    let failed = wait_status(&api, conv, id, "failed").await;
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("551") && error.contains("available"),
        "{failed}"
    );
    app.stop().await;
}

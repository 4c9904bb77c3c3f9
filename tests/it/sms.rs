//! An SMS inbox through Twilio end to end, against the fake Twilio: created through the
//! admin API, signed webhooks (wrong ones store nothing, the same message many times
//! and after a restart stores one), MMS files behind Twilio's redirect, a reply with
//! its status callback and statuses in any order, refusals in Twilio's words, the
//! provider down then back, one contact across SMS and WhatsApp-through-Twilio, and
//! the settings' secrets kept or asked for again on PATCH.

use super::common::*;
use super::twilio_fake::{self, TwilioFake};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

pub(super) const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub(super) const AUTH_TOKEN: &str = "fake-twilio-auth-token";
pub(super) const FROM: &str = "+14155238886";
pub(super) const CUSTOMER: &str = "+34600111222";

/// An app with an SMS inbox on a fake Twilio; returns (app, api, fake, inbox id, webhook URL).
pub(super) async fn sms_inbox() -> (TestApp, Api, TwilioFake, u64, String) {
    let fake = TwilioFake::start(ACCOUNT, AUTH_TOKEN).await;
    let app = TestApp::start().await;
    let api = Api::for_client(&app.admin().await).await;
    let (id, hook) = create(&api, "sms", "SMS shop", &fake).await;
    assert!(hook.starts_with(&format!("{}/hooks/", app.url)), "{hook}");
    (app, api, fake, id, hook)
}

/// Creates a Twilio inbox for `channel` (`sms` or `whatsapp`); returns (id, webhook URL).
pub(super) async fn create(
    api: &Api,
    channel: &str,
    name: &str,
    fake: &TwilioFake,
) -> (u64, String) {
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": name, "channel": channel, channel: {
                "provider": "twilio", "account_sid": ACCOUNT, "auth_token": AUTH_TOKEN,
                "from": FROM, "api_base": fake.base}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (
        v["id"].as_u64().unwrap(),
        v["webhook_url"].as_str().unwrap().to_string(),
    )
}

pub(super) async fn inbound(api: &Api, conv: u64) -> Vec<Value> {
    conversation_messages(api, conv)
        .await
        .into_iter()
        .filter(|m| m["direction"] == "inbound")
        .collect()
}

/// The only conversation of `inbox`.
pub(super) async fn only_conversation(api: &Api, inbox: u64) -> u64 {
    let convs = inbox_conversations(api, inbox).await;
    assert_eq!(convs.len(), 1, "{convs:?}");
    convs[0]["id"].as_u64().unwrap()
}

/// The provider's id (the Twilio SID) of our message `id`.
pub(super) async fn sid_of(api: &Api, conv: u64, id: u64) -> String {
    conversation_messages(api, conv)
        .await
        .into_iter()
        .find(|m| m["id"] == id)
        .unwrap()["source_id"]
        .as_str()
        .unwrap_or_else(|| panic!("message {id} has no provider id"))
        .to_string()
}

/// The message creates that reached the fake (accepted or not).
pub(super) fn creates(fake: &TwilioFake) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/Messages.json"))
        .count()
}

#[actix_web::test]
async fn sms_inbox_receives_signed_messages_once_even_after_a_restart() {
    let (app, api, fake, inbox, hook) = sms_inbox().await;
    let msg = twilio_fake::inbound_sms(ACCOUNT, CUSTOMER, FROM, "Hola, ¿abrís el domingo?");

    // No signature, or one made with another token: 401 and nothing stored.
    let unsigned = reqwest::Client::new()
        .post(&hook)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&msg).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    let forged = twilio_fake::post_signed(&hook, "not-the-auth-token", &msg).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    // Signed for another URL (another inbox's, say): refused too.
    let elsewhere = format!("{}/hooks/another", app.url);
    let (body, sig) = twilio_fake::signed_form(AUTH_TOKEN, &elsewhere, &msg);
    let moved = reqwest::Client::new()
        .post(&hook)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::UNAUTHORIZED);
    assert!(inbox_conversations(&api, inbox).await.is_empty());

    // The same MessageSid three times at once: one message.
    let (a, b, c) = tokio::join!(
        fake.post_webhook(&hook, &msg),
        fake.post_webhook(&hook, &msg),
        fake.post_webhook(&hook, &msg)
    );
    assert_eq!(
        (a.status(), b.status(), c.status()),
        (StatusCode::OK, StatusCode::OK, StatusCode::OK)
    );
    let conv = only_conversation(&api, inbox).await;
    let got = inbound(&api, conv).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["content"], "Hola, ¿abrís el domingo?");

    // Again after a restart (on the same address, so the signed URL is the same).
    let addr = app.url.trim_start_matches("http://").to_string();
    let app = app
        .restart(move |cfg| cfg.server.listen = addr.clone())
        .await;
    let again = fake.post_webhook(&hook, &msg).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(only_conversation(&api, inbox).await, conv);
    assert_eq!(inbound(&api, conv).await.len(), 1);
    app.stop().await;
}

#[actix_web::test]
async fn sms_mms_files_arrive_through_twilios_redirect() {
    let (app, api, fake, inbox, hook) = sms_inbox().await;
    let photo = b"\xff\xd8\xff\xe0 a small jpeg".to_vec();
    let card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Luc\xc3\xada\r\nEND:VCARD\r\n".to_vec();
    let (u1, u2) = (
        fake.add_media(&photo, "image/jpeg"),
        fake.add_media(&card, "text/vcard"),
    );
    let msg = twilio_fake::with_media(
        twilio_fake::inbound_sms(ACCOUNT, CUSTOMER, FROM, "Mira"),
        &[(&u1, "image/jpeg"), (&u2, "text/vcard")],
    );
    assert_eq!(
        fake.post_webhook(&hook, &msg).await.status(),
        StatusCode::OK
    );
    let conv = only_conversation(&api, inbox).await;
    let m = inbound(&api, conv).await.remove(0);
    assert_eq!(m["content"], "Mira");
    let atts = m["attachments"].as_array().cloned().unwrap_or_default();
    assert_eq!(atts.len(), 2, "{m}");
    assert_eq!(atts[0]["mime"], "image/jpeg", "{m}");
    assert_eq!(atts[0]["size"], photo.len());
    assert_eq!(atts[1]["mime"], "text/vcard", "{m}");
    assert_eq!(atts[1]["size"], card.len());
    // Each file: Twilio's URL (answered with a redirect), then storage.
    let reqs = fake.requests();
    assert_eq!(
        reqs.iter().filter(|r| r.path.contains("/Media/")).count(),
        2
    );
    assert_eq!(
        reqs.iter()
            .filter(|r| r.path.starts_with("/media-store/"))
            .count(),
        2
    );
    app.stop().await;
}

#[actix_web::test]
async fn sms_reply_follows_status_callbacks_and_refusals() {
    let (app, api, fake, inbox, hook) = sms_inbox().await;
    let msg = twilio_fake::inbound_sms(ACCOUNT, CUSTOMER, FROM, "¿Tenéis la maceta azul?");
    assert_eq!(
        fake.post_webhook(&hook, &msg).await.status(),
        StatusCode::OK
    );
    let conv = only_conversation(&api, inbox).await;

    // A reply: To, From, Body, and our webhook as the StatusCallback.
    let id = reply(&api, conv, "Sí, te la guardamos.").await;
    wait_status(&api, conv, id, "sent").await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("To"), Some(CUSTOMER));
    assert_eq!(sent[0].param("From"), Some(FROM));
    assert_eq!(sent[0].param("Body"), Some("Sí, te la guardamos."));
    assert_eq!(sent[0].param("StatusCallback"), Some(hook.as_str()));
    let sid = sid_of(&api, conv, id).await;
    assert_eq!(sid, sent[0].sid);

    // Callbacks, signed by the fake to the StatusCallback URL: sent, delivered, then a
    // late `failed` that changes nothing.
    for st in ["sent", "delivered"] {
        let r = fake.send_status(&sid, st, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{st}");
    }
    wait_status(&api, conv, id, "delivered").await;
    let late = fake.send_status(&sid, "failed", Some(30008)).await;
    assert_eq!(late.status(), StatusCode::OK);
    let m = wait_status(&api, conv, id, "delivered").await;
    assert!(m["error"].is_null() || m["error"] == "", "{m}");

    // Refusals fail the message in Twilio's words, with the code.
    for (code, words) in [
        (21211, "Invalid 'To' phone number"),
        (21610, "replied STOP"),
    ] {
        fake.fail_next(
            400,
            code,
            "The message From/To pair violates a blacklist rule.",
        );
        let refused = reply(&api, conv, &format!("¿Hola? {code}")).await;
        let failed = wait_status(&api, conv, refused, "failed").await;
        let error = failed["error"].as_str().unwrap_or_default().to_string();
        assert!(error.contains(words), "{failed}");
        assert!(error.contains(&code.to_string()), "{failed}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn sms_provider_down_then_back_sends_once() {
    let (app, api, fake, inbox, hook) = sms_inbox().await;
    let msg = twilio_fake::inbound_sms(ACCOUNT, CUSTOMER, FROM, "¿Hay envío?");
    assert_eq!(
        fake.post_webhook(&hook, &msg).await.status(),
        StatusCode::OK
    );
    let conv = only_conversation(&api, inbox).await;

    fake.fail_next(500, 20500, "Internal Server Error");
    let id = reply(&api, conv, "Sí, en 48 horas.").await;
    for _ in 0..100 {
        if creates(&fake) >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(creates(&fake), 1, "the first attempt reached the fake");
    for _ in 0..100 {
        if !fake.sent().is_empty() {
            break;
        }
        app.clock.advance_secs(61);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_status(&api, conv, id, "sent").await;
    // Nothing more goes out however far the clock moves.
    for _ in 0..5 {
        app.clock.advance_secs(3600);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bodies: Vec<String> = fake
        .sent()
        .iter()
        .map(|m| m.param("Body").unwrap_or("").to_string())
        .collect();
    assert_eq!(bodies, vec!["Sí, en 48 horas.".to_string()]);
    assert_eq!(creates(&fake), 2, "one refused attempt, one accepted");
    app.stop().await;
}

#[actix_web::test]
async fn sms_settings_keep_or_ask_for_the_auth_token() {
    let (app, api, fake, inbox, hook) = sms_inbox().await;
    let path = format!("/api/v1/inboxes/{inbox}");

    // An empty auth token keeps the stored one: a send still works.
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"sms": {"auth_token": ""}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["sms"]["auth_token_set"], true, "{v}");
    assert!(!v.to_string().contains(AUTH_TOKEN), "{v}");
    assert_eq!(v["webhook_url"], hook.as_str());
    let msg = twilio_fake::inbound_sms(ACCOUNT, CUSTOMER, FROM, "Hola");
    assert_eq!(
        fake.post_webhook(&hook, &msg).await.status(),
        StatusCode::OK
    );
    let conv = only_conversation(&api, inbox).await;
    let id = reply(&api, conv, "Buenas").await;
    wait_status(&api, conv, id, "sent").await;

    // Another account without its token: refused, naming the token.
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"sms": {"account_sid": "ACffffffffffffffffffffffffffffffff"}})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("sms.auth_token"), "{v}");
    // Nothing changed.
    let (_, list) = api.get("/api/v1/inboxes").await;
    let mine = list["inboxes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == inbox)
        .cloned()
        .unwrap();
    assert_eq!(mine["sms"]["account_sid"], ACCOUNT, "{mine}");

    // A malformed account SID on create: refused, naming it.
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Bad", "channel": "sms", "sms": {
                "provider": "twilio", "account_sid": "AC12", "auth_token": AUTH_TOKEN,
                "from": FROM, "api_base": fake.base}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("sms.account_sid"), "{v}");
    app.stop().await;
}

#[actix_web::test]
async fn sms_rate_limit_waits_for_twilios_retry_after() {
    let (app, api, fake, inbox, hook) = sms_inbox().await;
    let msg = twilio_fake::inbound_sms(ACCOUNT, CUSTOMER, FROM, "Hola");
    assert_eq!(
        fake.post_webhook(&hook, &msg).await.status(),
        StatusCode::OK
    );
    let conv = only_conversation(&api, inbox).await;
    fake.fail_next_after(429, 20429, "Too Many Requests", Some(600));
    let id = reply(&api, conv, "Un momento").await;
    for _ in 0..100 {
        if creates(&fake) >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(creates(&fake), 1);
    // Past our own first backoff (a minute) but before Twilio's 600 s: nothing yet.
    for _ in 0..5 {
        app.clock.advance_secs(100);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(creates(&fake), 1, "retried before Twilio's Retry-After");
    for _ in 0..100 {
        if !fake.sent().is_empty() {
            break;
        }
        app.clock.advance_secs(30);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_status(&api, conv, id, "sent").await;
    assert_eq!(fake.sent().len(), 1);
    app.stop().await;
}

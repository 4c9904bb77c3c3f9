//! WhatsApp through Twilio beside SMS, end to end against the fake Twilio: one contact
//! for a phone that writes on both, `whatsapp:` addresses on replies, Twilio's window
//! refusal in words with its code, read callbacks, and the 24-hour window.

use super::common::*;
use super::sms::*;
use super::twilio_fake::{self, TwilioFake};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[actix_web::test]
async fn sms_and_whatsapp_through_twilio_share_the_contact() {
    let (app, api, fake, sms, sms_hook) = sms_inbox().await;
    let (wa, wa_hook) = create(&api, "whatsapp", "WhatsApp (Twilio)", &fake).await;
    let phone = "+34600999888";
    let first = twilio_fake::inbound_whatsapp(ACCOUNT, phone, FROM, "Marta", "Hola por WhatsApp");
    assert_eq!(
        fake.post_webhook(&wa_hook, &first).await.status(),
        StatusCode::OK
    );
    let second = twilio_fake::inbound_sms(ACCOUNT, phone, FROM, "Y ahora por SMS");
    assert_eq!(
        fake.post_webhook(&sms_hook, &second).await.status(),
        StatusCode::OK
    );
    let (wa_conv, sms_conv) = (
        inbox_conversations(&api, wa).await,
        inbox_conversations(&api, sms).await,
    );
    assert_eq!((wa_conv.len(), sms_conv.len()), (1, 1));
    assert_ne!(wa_conv[0]["id"], sms_conv[0]["id"]);
    assert_eq!(
        wa_conv[0]["contact"]["id"], sms_conv[0]["contact"]["id"],
        "{wa_conv:?} {sms_conv:?}"
    );
    assert_eq!(sms_conv[0]["contact"]["name"], "Marta");

    // The WhatsApp reply goes from and to whatsapp: addresses.
    let wa_id = wa_conv[0]["id"].as_u64().unwrap();
    let id = reply(&api, wa_id, "¡Hola Marta!").await;
    wait_status(&api, wa_id, id, "sent").await;
    let sent = fake.sent();
    assert_eq!(
        sent[0].param("To"),
        Some(format!("whatsapp:{phone}").as_str())
    );
    assert_eq!(
        sent[0].param("From"),
        Some(format!("whatsapp:{FROM}").as_str())
    );
    app.stop().await;
}

#[actix_web::test]
async fn whatsapp_through_twilio_keeps_the_24_hour_window() {
    let fake = TwilioFake::start(ACCOUNT, AUTH_TOKEN).await;
    let app = TestApp::start().await;
    let api = Api::for_client(&app.admin().await).await;
    let (inbox, hook) = create(&api, "whatsapp", "WhatsApp (Twilio)", &fake).await;
    let msg = twilio_fake::inbound_whatsapp(ACCOUNT, CUSTOMER, FROM, "Lucía", "Hola");
    assert_eq!(
        fake.post_webhook(&hook, &msg).await.status(),
        StatusCode::OK
    );
    let conv = only_conversation(&api, inbox).await;
    assert_eq!(
        inbox_conversations(&api, inbox).await[0]["contact"]["name"],
        "Lucía"
    );

    // Twilio's own window refusal fails the message in words.
    fake.fail_next(
        400,
        63016,
        "Failed to send freeform message because you are outside the allowed window.",
    );
    let id = reply(&api, conv, "¿Sigues ahí?").await;
    let failed = wait_status(&api, conv, id, "failed").await;
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("63016") && error.contains("24-hour"),
        "{failed}"
    );
    // A read callback takes a sent message to read.
    let ok = reply(&api, conv, "Te escribimos mañana").await;
    wait_status(&api, conv, ok, "sent").await;
    let sid = sid_of(&api, conv, ok).await;
    assert_eq!(
        fake.send_status(&sid, "read", None).await.status(),
        StatusCode::OK
    );
    wait_status(&api, conv, ok, "read").await;

    // 25 hours later: refused before anything is sent.
    let before = creates(&fake);
    app.clock.advance_secs(25 * 3600);
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "¿Hola?"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("24-hour"), "{v}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(creates(&fake), before);
    app.stop().await;
}

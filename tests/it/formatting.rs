//! The composer's formatting on every channel: a mail reply as HTML and text parts (the
//! real SMTP sink) with the agent's and the inbox's signatures, WhatsApp's own markers
//! (the Meta fake), plain SMS (the Twilio fake), and markup typed by an agent shown as
//! text in the widget and the timeline. Messages keep the Markdown as typed.

use super::common::*;
use super::twilio_fake;
use charla::domain::InboxId;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const MAIL: &str = "From: Maria Lopez <maria@example.org>\r\nTo: support@shop.example\r\nSubject: Order 4411\r\nMessage-ID: <order-4411@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nWhere is my order?\r\n";

#[actix_web::test]
#[ignore = "needs python3-aiosmtpd; run ./scripts/test (it installs it)"]
async fn a_mail_reply_goes_as_html_and_text_with_both_signatures() {
    let sink = super::mail_servers::SmtpSink::start();
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support mail", "channel": "email", "member_ids": [], "email": {
                "imap": {"host": "127.0.0.1", "port": 9, "security": "none", "username": "shop", "password": "secret", "folder": "INBOX"},
                "smtp": {"host": "127.0.0.1", "port": sink.port(), "security": "none"},
                "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600,
                "signature": "**Shop** support · [shop.example](https://shop.example)"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let inbox = v["id"].as_u64().unwrap();
    let (_, list) = api.get("/api/v1/inboxes").await;
    let v = list["inboxes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == inbox)
        .unwrap()
        .clone();
    assert_eq!(
        v["email"]["signature"], "**Shop** support · [shop.example](https://shop.example)",
        "{v}"
    );
    // A signature too long is refused naming the field; the inbox keeps its own.
    let long = json!({
        "imap": {"host": "127.0.0.1", "port": 9, "security": "none", "username": "shop", "folder": "INBOX"},
        "smtp": {"host": "127.0.0.1", "port": sink.port(), "security": "none"},
        "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600,
        "signature": "x".repeat(2001)});
    let (s, e) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{inbox}"),
            Some(json!({ "email": long })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("signature"), "{e}");
    let (_, list) = api.get("/api/v1/inboxes").await;
    assert!(
        list.to_string().contains("**Shop** support"),
        "the signature was lost: {list}"
    );

    // The agent's own signature, from the profile.
    let r = web
        .submit(
            "/profile",
            "/profile/signature",
            &[("signature", "_Ana López_, orders team")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, profile) = web.get_text("/profile").await;
    assert!(profile.contains(">_Ana López_, orders team</textarea>"));

    let r = app
        .services()
        .ingest_mail(InboxId(inbox), "INBOX", 1, 1, MAIL.as_bytes().to_vec())
        .await
        .unwrap();
    let conv = r.conversation_id.0;
    // The composer previews both signatures, formatted.
    let (_, pane) = web.get_text(&format!("/conversations/{conv}/pane")).await;
    let preview = between(&pane, "id=\"composer-signature\"", "</div></div>").unwrap();
    assert!(
        preview.contains("<em>Ana López</em>, orders team</p><p><strong>Shop</strong> support"),
        "{preview}"
    );

    let typed = "**Hola** Maria, see [the guide](https://shop.example/guide).\n\n- one <b>two</b>";
    let id = reply(&api, conv, typed).await;
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    let mail = mail_parser::MessageParser::default()
        .parse(&got[0].raw)
        .unwrap();
    assert!(
        got[0].text().contains("multipart/alternative"),
        "{}",
        got[0].text()
    );
    let text = mail.body_text(0).unwrap();
    assert_eq!(
        text.replace("\r\n", "\n").trim_end(),
        "Hola Maria, see the guide (https://shop.example/guide).\n\n- one <b>two</b>\n\nAna López, orders team\n\nShop support · shop.example (https://shop.example)"
    );
    let html = mail.body_html(0).unwrap();
    assert!(
        html.contains("<p><strong>Hola</strong> Maria, see <a href=\"https://shop.example/guide\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">the guide</a>.</p><ul><li>one &lt;b&gt;two&lt;/b&gt;</li></ul><p><em>Ana López</em>, orders team</p>"),
        "{html}"
    );
    // The message keeps the Markdown as typed (no signature: that is the mail's).
    let stored = conversation_messages(&api, conv)
        .await
        .into_iter()
        .find(|m| m["id"] == id)
        .unwrap();
    assert_eq!(stored["content"], typed);
    app.stop().await;
}

#[actix_web::test]
async fn whatsapp_gets_its_markers_and_sms_plain_text() {
    let (app, _web, api, fake, inbox, hook) = super::whatsapp::whatsapp_inbox_web().await;
    let now = app.clock_now() / 1000;
    let msg = super::meta_fake::wa_text("34600111222", "Lucía", "wamid.F1", "Hola", now);
    assert_eq!(post_meta_signed(&hook, &msg).await, StatusCode::OK);
    let conv = inbox_conversations(&api, inbox).await[0]["id"]
        .as_u64()
        .unwrap();
    let id = reply(
        &api,
        conv,
        "**Listo**, _Lucía_: ~~mañana~~ hoy, pedido `A-1`. [Seguimiento](https://t.example/1)",
    )
    .await;
    wait_status(&api, conv, id, "sent").await;
    let sends = fake.requests_to(super::meta_fake::Route::WhatsAppSend);
    assert_eq!(
        sends[0].json()["text"]["body"],
        "*Listo*, _Lucía_: ~mañana~ hoy, pedido ```A-1```. Seguimiento (https://t.example/1)"
    );
    app.stop().await;

    let (app, api, fake, inbox, hook) = super::sms::sms_inbox().await;
    let msg = twilio_fake::inbound_sms(
        super::sms::ACCOUNT,
        super::sms::CUSTOMER,
        super::sms::FROM,
        "Hola",
    );
    assert_eq!(
        fake.post_webhook(&hook, &msg).await.status(),
        StatusCode::OK
    );
    let conv = super::sms::only_conversation(&api, inbox).await;
    let id = reply(
        &api,
        conv,
        "**Hola**, mira [el pedido](https://shop.example/p/1):\n1. _hoy_\n2. `A-1`",
    )
    .await;
    wait_status(&api, conv, id, "sent").await;
    assert_eq!(
        fake.sent()[0].param("Body"),
        Some("Hola, mira el pedido (https://shop.example/p/1):\n\n1. hoy\n2. A-1")
    );
    app.stop().await;
}

#[actix_web::test]
async fn markup_typed_by_an_agent_is_text_in_the_widget_and_the_timeline() {
    use super::widget::{SITE, connect, hello, recv_type, send, website_inbox};
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (_inbox, key) = website_inbox(&app).await;
    let mut ws = connect(&app, &key, SITE).await.unwrap();
    hello(&mut ws, None, None, serde_json::Value::Null).await;
    send(
        &mut ws,
        json!({"type": "send", "client_id": "c-1", "content": "**hola** <i>visitor</i>"}),
    )
    .await;
    recv_type(&mut ws, "ack").await;
    let (_, list) = api.get("/api/v1/conversations?view=all").await;
    let conv = list["conversations"][0]["id"].as_u64().unwrap();
    let typed = "<script>alert(1)</script> **ok** [x](javascript:alert(2))";
    reply(&api, conv, typed).await;
    let m = recv_type(&mut ws, "message").await;
    assert_eq!(m["message"]["content"], typed);
    assert_eq!(
        m["message"]["html"],
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; <strong>ok</strong> [x](javascript:alert(2))</p>"
    );
    // A note is formatted for agents too.
    let (s, _) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "check **stock** <img src=x onerror=alert(3)>", "private": true}),
        )
        .await;
    assert!(s.is_success());
    let (_, pane) = web.get_text(&format!("/conversations/{conv}/pane")).await;
    assert!(
        pane.contains("<div class=\"msg-text msg-rich\"><p>&lt;script&gt;alert(1)&lt;/script&gt; <strong>ok</strong> [x](javascript:alert(2))</p></div>"),
        "{pane}"
    );
    assert!(
        pane.contains("<p>check <strong>stock</strong> &lt;img src=x onerror=alert(3)&gt;</p>")
    );
    assert!(!pane.contains("<script>alert") && !pane.contains("<img src=x"));
    assert!(!pane.contains("href=\"javascript:"));
    // The visitor's own text is never formatted: data, shown as typed.
    assert!(
        pane.contains("**hola** &#60;i&#62;visitor&#60;/i&#62;"),
        "{pane}"
    );
    app.stop().await;
}

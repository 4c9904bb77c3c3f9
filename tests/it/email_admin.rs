//! Email inbox administration: the Reply-To plus-address on outgoing mail, against the
//! real Dovecot and SMTP sink.

use super::common::*;
use super::mail_servers::{Dovecot, IMAP_PASSWORD, SmtpSink};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// The settings of an email inbox on the test servers, for the API.
fn settings(imap_port: u16, smtp_port: u16) -> Value {
    json!({
        "imap": {"host": "127.0.0.1", "port": imap_port, "security": "none", "username": "shop", "password": IMAP_PASSWORD, "folder": "INBOX"},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "username": "mailer", "password": "smtp-pass"},
        "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot + aiosmtpd; run ./scripts/test (it installs them)"]
async fn replies_carry_the_plus_address_reply_to_when_asked() {
    use charla::workers::mail::poll_once;
    let dovecot = Dovecot::start();
    let sink = SmtpSink::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let mut email = settings(dovecot.port(), sink.port());
    email["smtp"]["username"] = json!("");
    email["reply_to_plus_address"] = json!(true);
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support", "channel": "email", "email": email}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();
    dovecot
        .append("shop", "INBOX", b"From: Maria <maria@example.org>\r\nTo: support@shop.example\r\nSubject: Pedido\r\nMessage-ID: <m1@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nDonde esta mi pedido?\r\n")
        .await;
    poll_once(&app.services(), charla::domain::InboxId(id))
        .await
        .unwrap();
    let (_, list) = api.get("/api/v1/conversations?view=all").await;
    let conv = list["conversations"][0]["id"].as_u64().unwrap();
    let reply = |text: &'static str| {
        let api = &api;
        async move {
            let (s, m) = api
                .post(
                    &format!("/api/v1/conversations/{conv}/messages"),
                    json!({"content": text}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{m}");
        }
    };
    reply("Llega mañana.").await;
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    let mail = got[0].text();
    // The token is the conversation's: the same one our signed Message-ID carries.
    let mid = mail
        .lines()
        .find(|l| l.starts_with("Message-ID: <charla."))
        .unwrap_or_else(|| panic!("{mail}"));
    let token = mid
        .trim_start_matches("Message-ID: <charla.")
        .split('.')
        .next()
        .unwrap();
    assert_eq!(token.len(), 32, "{mid}");
    assert!(
        mail.contains(&format!("\r\nReply-To: support+{token}@shop.example\r\n")),
        "{mail}"
    );
    // Turned off: no Reply-To.
    email["reply_to_plus_address"] = json!(false);
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{id}"),
            Some(json!({"email": email})),
        )
        .await;
    assert_eq!(
        (s, v["email"]["reply_to_plus_address"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{v}"
    );
    reply("Ya salió.").await;
    let got = sink.wait_for(2, Duration::from_secs(10)).await;
    assert!(!got[1].text().contains("\nReply-To:"), "{}", got[1].text());
    app.stop().await;
}

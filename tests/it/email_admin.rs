//! Email inbox administration against the real Dovecot and SMTP sink: "Test connection"
//! (each failing step named) and the Reply-To plus-address on outgoing mail.

use super::common::*;
use super::mail_servers::{Dovecot, IMAP_PASSWORD, SmtpSink};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The settings of an email inbox on the test servers, for the API.
fn settings(imap_port: u16, smtp_port: u16) -> Value {
    json!({
        "imap": {"host": "127.0.0.1", "port": imap_port, "security": "none", "username": "shop", "password": IMAP_PASSWORD, "folder": "INBOX"},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "username": "mailer", "password": "smtp-pass"},
        "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600
    })
}

/// `POST /api/v1/inboxes/{id}/test` with `body`: (imap, smtp).
async fn probe(api: &Api, id: u64, body: Value) -> (Value, Value) {
    let (s, v) = api.post(&format!("/api/v1/inboxes/{id}/test"), body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (v["imap"].clone(), v["smtp"].clone())
}

/// `settings` with `f` applied, as a test body.
fn tweak(base: &Value, f: impl FnOnce(&mut Value)) -> Value {
    let mut e = base.clone();
    f(&mut e);
    json!({ "email": e })
}

fn step(side: &Value) -> (bool, &str) {
    (
        side["ok"].as_bool().unwrap(),
        side["step"].as_str().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot + aiosmtpd; run ./scripts/test (it installs them)"]
async fn test_connection_names_each_failing_step() {
    let dovecot = Dovecot::start();
    let sink = SmtpSink::start_with_auth("mailer", "smtp-pass");
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (_, uid) = dovecot
        .append("shop", "INBOX", b"From: Maria <maria@example.org>\r\nTo: support@shop.example\r\nSubject: Hola\r\nMessage-ID: <m1@example.org>\r\n\r\nHola\r\n")
        .await;
    let base = settings(dovecot.port(), sink.port());
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support", "channel": "email", "email": base}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();

    // The stored settings ({}): both sides pass, with what was checked.
    let (imap, smtp) = probe(&api, id, json!({})).await;
    assert_eq!(
        (step(&imap), step(&smtp)),
        ((true, "ok"), (true, "ok")),
        "{imap} {smtp}"
    );
    assert!(
        imap["detail"].as_str().unwrap().contains("holds 1 message"),
        "{imap}"
    );
    let d = smtp["detail"].as_str().unwrap();
    assert!(
        d.contains("signed in as mailer") && d.contains("no mail was sent"),
        "{smtp}"
    );
    // Empty passwords in the body are the stored ones.
    let (imap, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| {
            e["imap"]["password"] = json!("");
            e["smtp"]["password"] = Value::Null;
        }),
    )
    .await;
    assert_eq!(
        (step(&imap), step(&smtp)),
        ((true, "ok"), (true, "ok")),
        "{imap} {smtp}"
    );

    // Each failing step, named, with the server's words.
    let (imap, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| e["imap"]["password"] = json!("wrong")),
    )
    .await;
    assert_eq!(step(&imap), (false, "authentication"), "{imap}");
    assert_eq!(
        step(&smtp),
        (true, "ok"),
        "the other side is still tried: {smtp}"
    );
    assert!(
        imap["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("authentication failed"),
        "{imap}"
    );
    let (imap, _) = probe(
        &api,
        id,
        tweak(&base, |e| e["imap"]["port"] = json!(closed_port())),
    )
    .await;
    assert_eq!(step(&imap), (false, "refused"), "{imap}");
    let (imap, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| {
            e["imap"]["host"] = json!("nonexistent.invalid");
            e["smtp"]["host"] = json!("nonexistent.invalid");
        }),
    )
    .await;
    assert_eq!(
        (step(&imap), step(&smtp)),
        ((false, "dns"), (false, "dns")),
        "{imap} {smtp}"
    );
    let (imap, _) = probe(
        &api,
        id,
        tweak(&base, |e| e["imap"]["folder"] = json!("Archive/Nope")),
    )
    .await;
    assert_eq!(step(&imap), (false, "folder"), "{imap}");
    assert!(
        imap["detail"].as_str().unwrap().contains("Archive/Nope"),
        "{imap}"
    );
    let (_, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| e["smtp"]["password"] = json!("wrong")),
    )
    .await;
    assert_eq!(step(&smtp), (false, "authentication"), "{smtp}");
    assert!(smtp["detail"].as_str().unwrap().contains("535"), "{smtp}");
    // No user on a server that requires AUTH: refused at MAIL FROM, in its words.
    let (_, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| e["smtp"]["username"] = json!("")),
    )
    .await;
    assert_eq!(step(&smtp), (false, "sender"), "{smtp}");
    assert!(smtp["detail"].as_str().unwrap().contains("530"), "{smtp}");
    let (_, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| e["smtp"]["security"] = json!("starttls")),
    )
    .await;
    assert_eq!(step(&smtp), (false, "tls"), "{smtp}");
    assert!(
        smtp["detail"].as_str().unwrap().contains("STARTTLS"),
        "{smtp}"
    );
    // TLS with a certificate nobody vouches for.
    let tls = Dovecot::start_tls();
    let (imap, _) = probe(
        &api,
        id,
        tweak(&base, |e| {
            e["imap"]["port"] = json!(tls.imaps_port().unwrap());
            e["imap"]["security"] = json!("tls");
        }),
    )
    .await;
    assert_eq!(step(&imap), (false, "tls"), "{imap}");
    assert!(
        imap["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("certificate"),
        "{imap}"
    );

    // Testing changed nothing: the mail is still there, unread, and nothing was sent.
    assert_eq!(dovecot.uids("shop").await, vec![uid]);
    assert!(sink.messages().is_empty(), "a test sent mail");
    let (_, v) = api.get("/api/v1/inboxes").await;
    assert_eq!(
        v["inboxes"][0]["email"]["imap"]["folder"], "INBOX",
        "nothing saved"
    );

    // Bad input is refused as on save; only email inboxes and admins.
    let (s, v) = api
        .post(
            &format!("/api/v1/inboxes/{id}/test"),
            tweak(&base, |e| e["imap"]["port"] = json!(0)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("email.imap.port"),
        "{v}"
    );
    let (s, _) = api
        .post(&format!("/api/v1/inboxes/{id}/test"), json!({"imap": {}}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields are named");
    let (api_inbox, _) = api.inbox("Web", &[], None).await;
    let (s, _) = api
        .post(&format!("/api/v1/inboxes/{api_inbox}/test"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = api.post("/api/v1/inboxes/999999/test", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    create_agent(&admin, "Luis", "luis@example.com", "agent", "luis password").await;
    let luis = app.client();
    luis.login("luis@example.com", "luis password").await;
    let luis_api = Api::for_client(&luis).await;
    let (s, _) = luis_api
        .post(&format!("/api/v1/inboxes/{id}/test"), json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    app.stop().await;
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

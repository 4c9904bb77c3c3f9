//! The email channel end to end, as a team uses it: each email inbox has its own
//! watcher holding an IMAP session in IDLE, so a mail delivered to the real Dovecot
//! shows up in the agent's open browser without a poll; the agent's reply reaches the
//! real SMTP server threaded; the customer's answer lands live in the same conversation.

use super::browser::{sign_in, with_browsers};
use super::browser_inbox::{LIVE, js, open_inbox, open_row, row, some_contains, type_in, wait_js};
use super::common::*;
use super::mail_servers::{Dovecot, SmtpSink};
use charla::domain::InboxId;
use fantoccini::key::Key;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/email/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// An email inbox polling only once an hour: anything that arrives sooner came by IDLE.
async fn hourly_inbox(api: &Api, dovecot: &Dovecot, smtp_port: u16) -> InboxId {
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support", "channel": "email", "member_ids": [], "email": {
                "imap": {"host": "127.0.0.1", "port": dovecot.port(), "security": "none", "username": "shop", "password": "secret", "folder": "INBOX"},
                "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none"},
                "from_name": "Shop support", "from_address": "support@shop.example", "poll_seconds": 3600}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    InboxId(v["id"].as_u64().unwrap())
}

/// Waits until the inbox's watcher has finished its first pass (and so sits in IDLE).
async fn wait_watching(app: &TestApp, inbox: InboxId) {
    let start = Instant::now();
    loop {
        let h = app.services().mail_health.get(inbox);
        if h.last_success.is_some() {
            return;
        }
        assert!(
            start.elapsed() < LIVE,
            "the mailbox watcher never connected: {:?}",
            h.last_error
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The ids of the conversations in the All view.
async fn conversation_ids(api: &Api) -> Vec<u64> {
    let (_, v) = api.get("/api/v1/conversations?view=all").await;
    v["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect()
}

/// The value of header `name` in a raw mail (first occurrence, unfolded enough for ids).
fn header(mail: &str, name: &str) -> String {
    mail.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .unwrap_or_else(|| panic!("no {name} header in {mail}"))
        .split_once(':')
        .unwrap()
        .1
        .trim()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot + aiosmtpd; run ./scripts/test (it installs them)"]
async fn idle_brings_new_mail_without_waiting_for_the_poll() {
    let dovecot = Dovecot::start();
    let sink = SmtpSink::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let inbox = hourly_inbox(&api, &dovecot, sink.port()).await;
    wait_watching(&app, inbox).await;
    assert!(conversation_ids(&api).await.is_empty());
    dovecot
        .append("shop", "INBOX", &fixture("01-plain-ascii.eml"))
        .await;
    let start = Instant::now();
    while conversation_ids(&api).await.is_empty() {
        assert!(
            start.elapsed() < LIVE,
            "the mail did not arrive, though the poll interval is an hour: IDLE is not used"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A second mail in the same session: the watcher went back to IDLE after the first.
    dovecot
        .append("shop", "INBOX", &fixture("02-utf8-8bit.eml"))
        .await;
    let start = Instant::now();
    while conversation_ids(&api).await.len() < 2 {
        assert!(start.elapsed() < LIVE, "the second mail did not arrive");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.services().mail_health.get(inbox).fetched, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot + aiosmtpd + chromium; run ./scripts/test (it installs them)"]
async fn browser_new_mail_appears_live_and_the_reply_threads_back() {
    let dovecot = Dovecot::start();
    let sink = SmtpSink::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let inbox = hourly_inbox(&api, &dovecot, sink.port()).await;
    wait_watching(&app, inbox).await;
    let url = app.url.clone();
    let (dovecot, sink, api) = (&dovecot, &sink, &api);
    with_browsers("browser_new_mail_appears_live", |b| async move {
        let ana = b.open().await?;
        ana.goto(&format!("{url}/login")).await?;
        sign_in(&ana, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        open_inbox(&ana, &url, "/?view=all").await?;

        // A customer's mail is delivered to the mailbox: it shows up without a reload.
        dovecot
            .append("shop", "INBOX", &fixture("01-plain-ascii.eml"))
            .await;
        let delivered = Instant::now();
        wait_js(
            &ana,
            "the mail's conversation in the list",
            "document.querySelector('#list .conv-row')",
            LIVE,
        )
        .await?;
        eprintln!(
            "delivery to Dovecot → row in the browser: {:?} (one sample, 100 ms polling)",
            delivered.elapsed()
        );
        let id = conversation_ids(api).await[0];
        wait_js(
            &ana,
            "the sender's name in the row",
            &format!("{}.textContent.includes('Maria Lopez')", row(id)),
            LIVE,
        )
        .await?;

        // Ana opens it and replies from the composer.
        open_row(&ana, id).await?;
        wait_js(
            &ana,
            "the mail's text in the timeline",
            &some_contains("#timeline .msg-in", "log in"),
            LIVE,
        )
        .await?;
        let reply = "Hola Maria, ya puedes entrar de nuevo.";
        type_in(&ana, "#composer-text", &format!("{reply}{}", char::from(Key::Enter))).await?;
        let got = sink.wait_for(1, LIVE).await;
        let mail = got[0].text();
        assert_eq!(got[0].rcpt_tos(), vec!["maria.lopez@example.org"], "{mail}");
        assert_eq!(
            header(&mail, "Subject"),
            "Re: Cannot log in to my account"
        );
        assert_eq!(
            header(&mail, "In-Reply-To"),
            "<CAF1234.plain@mail.example.org>"
        );
        assert!(
            header(&mail, "References").contains("<CAF1234.plain@mail.example.org>"),
            "{mail}"
        );
        assert!(mail.contains("ya puedes entrar"), "{mail}");
        wait_js(
            &ana,
            "the reply marked sent",
            "Array.from(document.querySelectorAll('#timeline .msg-out .msg-status')).some(e => e.textContent.includes('sent'))",
            LIVE,
        )
        .await?;

        // Maria answers our mail from another address: it joins this conversation, live.
        let ours = header(&mail, "Message-ID");
        let answer = format!(
            "From: Maria <maria@home.example>\r\nTo: support@shop.example\r\nSubject: Re: Cannot log in to my account\r\nMessage-ID: <answer-live@home.example>\r\nIn-Reply-To: {ours}\r\nReferences: <CAF1234.plain@mail.example.org> {ours}\r\nDate: Sat, 21 Nov 2026 11:00:00 +0000\r\n\r\nGracias, ya funciona.\r\n\r\nOn Sat, 21 Nov 2026, Shop support wrote:\r\n> Hola Maria, ya puedes entrar de nuevo.\r\n"
        );
        dovecot.append("shop", "INBOX", answer.as_bytes()).await;
        wait_js(
            &ana,
            "the customer's answer in the open conversation",
            &some_contains("#timeline .msg-in", "Gracias, ya funciona."),
            LIVE,
        )
        .await?;
        let shown = js(
            &ana,
            "return Array.from(document.querySelectorAll('#timeline .msg-in .msg-text')).map(e => e.textContent).join('|');",
        )
        .await?;
        assert!(
            !shown.as_str().unwrap_or_default().contains("> Hola Maria"),
            "the quoted history is trimmed in the timeline: {shown}"
        );
        assert_eq!(conversation_ids(api).await, vec![id], "no second conversation");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot; run ./scripts/test (it installs it)"]
async fn a_watcher_follows_its_inbox_settings() {
    let dovecot = Dovecot::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let email = |password: &str| {
        json!({
            "imap": {"host": "127.0.0.1", "port": dovecot.port(), "security": "none", "username": "shop", "password": password, "folder": "INBOX"},
            "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
            "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600})
    };
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support", "channel": "email", "member_ids": [], "email": email("wrong")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let inbox = InboxId(v["id"].as_u64().unwrap());
    dovecot
        .append("shop", "INBOX", &fixture("01-plain-ascii.eml"))
        .await;
    // The wrong password is reported on the inbox's health, and nothing is fetched.
    let start = Instant::now();
    let error = loop {
        if let Some((_, e)) = app.services().mail_health.get(inbox).last_error {
            break e;
        }
        assert!(start.elapsed() < LIVE, "no error reported");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(error.contains("authentication"), "{error}");
    assert!(
        error.contains("Authentication failed") && !error.contains("code: None"),
        "the server's own words, not the IMAP library's: {error}"
    );
    // Fixing the password replaces the watcher at once (not after its hour of backoff).
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{}", inbox.0),
            Some(json!({"email": email("secret")})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let start = Instant::now();
    while conversation_ids(&api).await.is_empty() {
        assert!(start.elapsed() < LIVE, "the fixed inbox did not fetch");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Deleting the inbox stops its watcher: Dovecot sees the IDLE session hang up.
    assert!(!dovecot.log().contains("IDLE running for"));
    let (s, _) = api
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/inboxes/{}", inbox.0),
            None,
        )
        .await;
    assert!(s.is_success(), "{s}");
    let start = Instant::now();
    while !dovecot.log().contains("IDLE running for") {
        assert!(
            start.elapsed() < LIVE,
            "a deleted inbox's mailbox is still watched: {}",
            dovecot.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

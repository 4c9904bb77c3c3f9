//! The composer's formatting in Chromium: the toolbar and Ctrl+B wrap the selection,
//! the reply shows formatted in the timeline; the emoji picker searches the full set (in
//! English) and keeps the recently used on top; after a note the composer stays in Note
//! and the second note is a note too. Screenshots at 1280 and 390 px.

use super::browser::{Result, css, sign_in, with_browsers};
use super::browser_inbox::{click, js, lit, open_inbox, open_row, type_in, wait_js};
use super::common::*;
use fantoccini::key::Key;
use serde_json::json;
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

async fn shot(c: &fantoccini::Client, name: &str) -> Result {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-screenshots");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("{name}.png")), c.screenshot().await?)?;
    Ok(())
}

/// Selects `[from, to)` of the composer's text.
async fn select(c: &fantoccini::Client, from: usize, to: usize) -> Result {
    js(
        c,
        &format!("var b = document.getElementById('composer-text'); b.focus(); b.setSelectionRange({from}, {to}); return null;"),
    )
    .await?;
    Ok(())
}

async fn value(c: &fantoccini::Client) -> Result<String> {
    Ok(
        js(c, "return document.getElementById('composer-text').value;")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_format_toolbar_emoji_and_note_mode() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Shop API", &[], None).await;
    let (s, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "lucia", "name": "Lucía Fernández"}, "content": "Hola, ¿mi pedido?"}),
    )
    .await;
    assert!(s.is_success(), "{v}");
    let conv = v["conversation_id"].as_u64().unwrap();
    let url = app.url.clone();
    with_browsers("browser_format_toolbar_emoji_and_note_mode", |b| async move {
        let c = b.open().await?;
        c.goto(&format!("{url}/login")).await?;
        sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        open_inbox(&c, &url, "/?view=all").await?;
        open_row(&c, conv).await?;

        // Ctrl+B around a selection; the toolbar's italic around another; a list.
        type_in(&c, "#composer-text", "Your order ships today").await?;
        select(&c, 11, 16).await?;
        c.find(css("#composer-text"))
            .await?
            .send_keys(&format!("{}b{}", char::from(Key::Control), char::from(Key::Control)))
            .await?;
        assert_eq!(value(&c).await?, "Your order **ships** today");
        select(&c, 21, 26).await?;
        click(&c, ".format-bar [data-format=italic]").await?;
        assert_eq!(value(&c).await?, "Your order **ships** _today_");
        // Pressed again on the same selection: the markers come off.
        click(&c, ".format-bar [data-format=italic]").await?;
        assert_eq!(value(&c).await?, "Your order **ships** today");
        shot(&c, "format-composer-1280").await?;
        c.set_window_size(390, 844).await?;
        shot(&c, "format-composer-390").await?;
        c.set_window_size(1280, 900).await?;

        // The emoji picker: the full set, searched by name; the chosen one comes first
        // under "Recently used" next time.
        click(&c, "#emoji-picker > summary").await?;
        wait_js(&c, "the emoji set", "document.querySelectorAll('#emoji-body .emoji-btn').length > 1000", T).await?;
        type_in(&c, "#emoji-search", "rocket").await?;
        wait_js(&c, "the search result", "Array.from(document.querySelectorAll('#emoji-body .emoji-btn')).some(b => b.dataset.emoji === '🚀')", T).await?;
        let hits = js(&c, "return document.querySelectorAll('#emoji-body .emoji-btn').length;").await?;
        assert!(hits.as_u64().unwrap() < 10, "{hits}");
        shot(&c, "format-emoji-1280").await?;
        // Keyboard: Enter in the search picks the first match.
        c.find(css("#emoji-search")).await?.send_keys(&char::from(Key::Enter).to_string()).await?;
        wait_js(&c, "the emoji in the text", &format!("document.getElementById('composer-text').value.includes({})", lit("🚀")), T).await?;
        click(&c, "#emoji-picker > summary").await?;
        wait_js(&c, "recently used first", "(document.querySelector('#emoji-body .emoji-btn') || {}).dataset && document.querySelector('#emoji-body .emoji-btn').dataset.emoji === '🚀'", T).await?;
        c.set_window_size(390, 844).await?;
        let fits = js(&c, "var r = document.querySelector('.emoji-panel').getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth;").await?;
        assert_eq!(fits, json!(true), "the picker fits a 390 px screen");
        shot(&c, "format-emoji-390").await?;
        c.set_window_size(1280, 900).await?;
        c.find(css("#emoji-search")).await?.send_keys(&char::from(Key::Escape).to_string()).await?;

        // Send: the timeline shows the reply formatted.
        click(&c, "#send").await?;
        wait_js(&c, "the formatted reply", "Array.from(document.querySelectorAll('#timeline .msg-rich strong')).some(s => s.textContent === 'ships')", T).await?;

        // Two notes in a row: the composer stays in Note after the first.
        click(&c, ".tab-note").await?;
        type_in(&c, "#composer-text", "first note").await?;
        click(&c, "#send").await?;
        wait_js(&c, "the first note", "Array.from(document.querySelectorAll('#timeline .msg-note')).some(m => m.textContent.includes('first note'))", T).await?;
        wait_js(&c, "Note still chosen", "document.querySelector('#composer input[value=note]').checked", T).await?;
        type_in(&c, "#composer-text", "second note").await?;
        click(&c, "#send").await?;
        wait_js(&c, "the second note", "Array.from(document.querySelectorAll('#timeline .msg-note')).some(m => m.textContent.includes('second note'))", T).await?;
        Ok(())
    })
    .await;
    let msgs = conversation_messages(&api, conv).await;
    let second = msgs.iter().find(|m| m["content"] == "second note").unwrap();
    assert_eq!(second["private"], true, "{second}");
    let reply = msgs
        .iter()
        .find(|m| {
            m["content"]
                .as_str()
                .unwrap_or_default()
                .contains("**ships**")
        })
        .unwrap();
    assert_eq!(reply["content"], "Your order **ships** 🚀today");
    app.stop().await;
}

/// Bold from the toolbar in Chromium reaches the customer's mail as an HTML part with
/// `<strong>` and a plain-text part without markers (the real SMTP sink).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver and python3-aiosmtpd; run ./scripts/test (it installs them)"]
async fn browser_bold_from_the_toolbar_reaches_an_email_as_html_and_text() {
    let sink = super::mail_servers::SmtpSink::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support mail", "channel": "email", "member_ids": [], "email": {
                "imap": {"host": "127.0.0.1", "port": 9, "security": "none", "username": "shop", "password": "secret", "folder": "INBOX"},
                "smtp": {"host": "127.0.0.1", "port": sink.port(), "security": "none"},
                "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600}}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let mail = "From: Maria Lopez <maria@example.org>\r\nTo: support@shop.example\r\nSubject: Order 4411\r\nMessage-ID: <order-4411@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nWhere is my order?\r\n";
    let r = app
        .services()
        .ingest_mail(
            charla::domain::InboxId(v["id"].as_u64().unwrap()),
            "INBOX",
            1,
            1,
            mail.as_bytes().to_vec(),
        )
        .await
        .unwrap();
    let conv = r.conversation_id.0;
    let url = app.url.clone();
    with_browsers("browser_bold_from_the_toolbar_reaches_an_email_as_html_and_text", |b| async move {
        let c = b.open().await?;
        c.goto(&format!("{url}/login")).await?;
        sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        open_inbox(&c, &url, "/?view=all").await?;
        open_row(&c, conv).await?;
        type_in(&c, "#composer-text", "Your order ships today").await?;
        select(&c, 11, 16).await?;
        click(&c, ".format-bar [data-format=bold]").await?;
        assert_eq!(value(&c).await?, "Your order **ships** today");
        click(&c, "#send").await?;
        // The browser holds a reply for the undo delay before it goes.
        wait_js(&c, "the formatted reply", "Array.from(document.querySelectorAll('#timeline .msg-rich strong')).some(s => s.textContent === 'ships')", Duration::from_secs(20)).await?;
        Ok(())
    })
    .await;
    let got = sink.wait_for(1, Duration::from_secs(20)).await;
    let parsed = mail_parser::MessageParser::default()
        .parse(&got[0].raw)
        .unwrap();
    let text = parsed.body_text(0).unwrap();
    assert!(text.starts_with("Your order ships today"), "{text}");
    let html = parsed.body_html(0).unwrap();
    assert!(
        html.contains("Your order <strong>ships</strong> today"),
        "{html}"
    );
    app.stop().await;
}

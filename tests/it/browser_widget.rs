//! The website chat in real browsers: a customer page served from another origin embeds
//! the snippet; a visitor and an agent chat live both ways; a reload keeps the history;
//! the agent sees the green dot, and it goes grey when the tab closes; then the agent's
//! reply goes by email to the real SMTP server and the visitor's mail answer (through the
//! real Dovecot) comes back to the same conversation.

use super::browser::{Result, axe, css, sign_in, with_browsers};
use super::browser_inbox::{
    LIVE, click, js, lit, open_inbox, open_row, row, some_contains, type_in, wait_js,
};
use super::common::*;
use super::mail_servers::{Dovecot, SmtpSink};
use charla::domain::InboxId;
use charla::service::InboxInput;
use charla::service::website::WebsiteInput;
use fantoccini::Client;
use fantoccini::key::Key;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The customer's site on a port of its own (another origin than Charla): every page
/// embeds the snippet with the inbox key found in `key` at request time. Returns the
/// site's origin.
pub(super) async fn customer_site(app_url: String, key: Arc<Mutex<String>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let key = key.lock().unwrap().clone();
            let html = format!(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Zapatería Lucía</title></head>\
                 <body><h1>Zapatería Lucía</h1><p>Handmade shoes since 1962.</p>\
                 <script async src=\"{app_url}/widget/charla.js\" data-charla-inbox=\"{key}\"></script></body></html>"
            );
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let (status, body) = if got.starts_with(b"GET / ") {
                    ("200 OK", html)
                } else {
                    ("404 Not Found", String::new())
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    origin
}

/// JS: the widget's shadow root.
pub(super) const SR: &str = "document.querySelector('#charla-widget').shadowRoot";

/// JS: whether some widget message of class `class` (`in`: agent, `out`: visitor)
/// contains `needle`.
fn widget_has(class: &str, needle: &str) -> String {
    format!(
        "Array.from({SR}.querySelectorAll('.msg.{class}')).some(e => e.textContent.includes({}))",
        lit(needle)
    )
}

/// Types `text` in the widget's composer and presses Enter (inside the shadow root, so
/// through script: WebDriver's CSS locators do not cross shadow boundaries).
pub(super) async fn widget_send(c: &Client, text: &str) -> Result {
    js(
        c,
        &format!(
            "const ta = {SR}.querySelector('.composer textarea'); ta.focus(); ta.value = {}; \
             ta.dispatchEvent(new Event('input', {{bubbles: true}})); \
             ta.dispatchEvent(new KeyboardEvent('keydown', {{key: 'Enter', bubbles: true}})); return null;",
            lit(text)
        ),
    )
    .await?;
    Ok(())
}

async fn website_inbox(app: &TestApp, origin: &str, reply_inbox: InboxId) -> String {
    let services = app.services();
    let admin = services.store.agent_by_email(ADMIN_EMAIL).unwrap().unwrap();
    let (inbox, _) = services
        .save_inbox(
            &admin,
            None,
            InboxInput {
                messaging: None,
                language: None,
                name: "Zapatería Lucía".into(),
                channel: Some(charla::domain::ChannelKind::Website),
                members: vec![admin.id],
                webhook_url: None,
                email: None,
                website: Some(WebsiteInput {
                    allowed_origins: Some(vec![origin.to_string()]),
                    greeting: Some("Hi! How can we help?".into()),
                    color: Some("#0f766e".into()),
                    prechat: Some("optional".into()),
                    reply_email_inbox: Some(Some(reply_inbox)),
                    ..WebsiteInput::default()
                }),
            },
        )
        .await
        .unwrap();
    inbox.website.unwrap().key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + dovecot + aiosmtpd; run ./scripts/test (it installs them)"]
async fn browser_website_chat_live_both_ways_then_by_email() {
    let dovecot = Dovecot::start();
    let sink = SmtpSink::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Mail", "channel": "email", "member_ids": [], "email": {
                "imap": {"host": "127.0.0.1", "port": dovecot.port(), "security": "none", "username": "shop", "password": "secret", "folder": "INBOX"},
                "smtp": {"host": "127.0.0.1", "port": sink.port(), "security": "none"},
                "from_name": "Zapatería Lucía", "from_address": "hola@zapateria.example", "poll_seconds": 3600}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mail_inbox = InboxId(v["id"].as_u64().unwrap());
    // The customer's site: another origin, which embeds the one-line snippet.
    let site_key = Arc::new(Mutex::new(String::new()));
    let origin = customer_site(app.url.clone(), site_key.clone()).await;
    let key = website_inbox(&app, &origin, mail_inbox).await;
    *site_key.lock().unwrap() = key;
    let url = app.url.clone();
    let api = &api;
    let (dovecot, sink) = (&dovecot, &sink);
    with_browsers("browser_website_chat", |b| async move {
        let visitor = b.open().await?;
        let ana = b.open().await?;
        ana.goto(&format!("{url}/login")).await?;
        sign_in(&ana, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        // The website inbox's settings page shows the snippet to paste into the site.
        let (_, inboxes) = api.get("/api/v1/inboxes").await;
        let site = inboxes["inboxes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["channel"] == "website")
            .unwrap()
            .clone();
        ana.goto(&format!("{url}/admin/inboxes/{}", site["id"])).await?;
        let shown = ana.find(css("#widget-snippet")).await?.text().await?;
        assert_eq!(shown, site["website"]["snippet"].as_str().unwrap());
        if let Ok(dir) = std::env::var("CHARLA_SCREENSHOTS") {
            std::fs::write(format!("{dir}/website-inbox-settings.png"), ana.screenshot().await?)?;
        }
        open_inbox(&ana, &url, "/?view=all").await?;

        // The visitor opens the shop and the chat; the pre-chat form asks for an email.
        visitor.goto(&format!("{origin}/")).await?;
        wait_js(&visitor, "the launcher", &format!("{SR}.querySelector('.launcher') && !{SR}.querySelector('.root').hidden"), LIVE).await?;
        js(&visitor, &format!("{SR}.querySelector('.launcher').click(); return null;")).await?;
        wait_js(&visitor, "the pre-chat form", &format!("!{SR}.querySelector('form.pre').hidden"), LIVE).await?;
        axe(&visitor, "the widget's pre-chat form in a customer's page", true).await?;
        js(
            &visitor,
            &format!(
                "const f = {SR}.querySelector('form.pre'); f.querySelector('[name=name]').value = 'Lucía Fernández'; \
                 f.querySelector('[name=email]').value = 'lucia@example.org'; f.requestSubmit(); return null;"
            ),
        )
        .await?;
        widget_send(&visitor, "Hola, ¿tenéis las botas en la talla 38?").await?;

        // The agent's list shows it live, with the green dot.
        wait_js(&ana, "the chat in the list", "document.querySelector('#list .conv-row')", LIVE).await?;
        let (_, list) = api.get("/api/v1/conversations?view=all").await;
        let id = list["conversations"][0]["id"].as_u64().unwrap();
        wait_js(&ana, "the green dot", &format!("{}.querySelector('.dot-green')", row(id)), LIVE).await?;
        open_row(&ana, id).await?;
        wait_js(&ana, "the visitor's message", &some_contains("#timeline .msg-in", "talla 38"), LIVE).await?;
        wait_js(&ana, "the presence chip", "document.querySelector('#visitor-presence.is-online')", LIVE).await?;

        // The visitor types: the agent sees it.
        js(
            &visitor,
            &format!("const ta = {SR}.querySelector('.composer textarea'); ta.value = 'Y tamb'; ta.dispatchEvent(new Event('input', {{bubbles: true}})); return null;"),
        )
        .await?;
        wait_js(&ana, "the typing indicator", "!document.querySelector('#typing-indicator').hidden", LIVE).await?;
        js(&visitor, &format!("const ta = {SR}.querySelector('.composer textarea'); ta.value = ''; ta.dispatchEvent(new Event('input', {{bubbles: true}})); return null;")).await?;

        // The agent answers by chat (the visitor is online, so Chat is preselected).
        assert_eq!(
            js(&ana, "return document.querySelector('input[name=via]:checked').value;").await?,
            json!("chat")
        );
        let reply = "¡Hola Lucía! Sí, nos quedan dos pares.";
        type_in(&ana, "#composer-text", &format!("{reply}{}", char::from(Key::Enter))).await?;
        wait_js(&visitor, "the agent's reply in the widget", &widget_has("in", reply), LIVE).await?;
        axe(&visitor, "the widget with a conversation", true).await?;
        // The visitor has the panel open: the agent sees the reply read.
        wait_js(
            &ana,
            "the reply marked read",
            "Array.from(document.querySelectorAll('#timeline .msg-out .msg-status')).some(e => e.textContent.includes('read'))",
            LIVE,
        )
        .await?;
        if let Ok(dir) = std::env::var("CHARLA_SCREENSHOTS") {
            std::fs::write(format!("{dir}/widget-live.png"), visitor.screenshot().await?)?;
        }

        // Hostile content stays text both ways.
        let title = js(&ana, "return document.title;").await?;
        widget_send(&visitor, "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>").await?;
        wait_js(&ana, "the hostile message as text", &some_contains("#timeline .msg-in", "<img src=x onerror"), LIVE).await?;
        type_in(&ana, "#composer-text", &format!("<b>bold?</b><img src=x onerror=\"document.title='pwned'\">{}", char::from(Key::Enter))).await?;
        wait_js(&visitor, "the agent's markup as text", &widget_has("in", "<b>bold?</b>"), LIVE).await?;
        assert_eq!(js(&ana, "return document.title;").await?, title);
        assert_ne!(js(&visitor, "return document.title;").await?, json!("pwned"));
        assert_eq!(
            js(&visitor, &format!("return {SR}.querySelectorAll('.msg img, .msg script, .msg b').length;")).await?,
            json!(0),
            "no element was made from message text in the widget"
        );
        assert_eq!(
            js(&ana, "return document.querySelectorAll('#timeline .msg-text img, #timeline .msg-text script').length;").await?,
            json!(0)
        );
        // A reload keeps the history (same device, same token).
        visitor.refresh().await?;
        wait_js(&visitor, "the history after a reload", &format!("{} && {}", widget_has("out", "talla 38"), widget_has("in", reply)), LIVE).await?;

        // The tab closes: the dot goes grey for the agent.
        visitor.close_window().await?;
        wait_js(&ana, "the presence chip offline", "document.querySelector('#visitor-presence.is-offline')", LIVE).await?;
        wait_js(&ana, "no green dot", &format!("!{}.querySelector('.dot-green')", row(id)), LIVE).await?;

        // The visitor only typed that address: nothing is mailed to it until Ana
        // confirms it (then, offline, Email is preselected; the reply goes by SMTP).
        wait_js(&ana, "the typed address waits for confirmation", &some_contains("#reply-address", "unconfirmed"), LIVE).await?;
        assert_eq!(
            js(&ana, "return document.querySelector('input[name=via][value=email]');").await?,
            json!(null),
            "no Email choice before the address is confirmed"
        );
        if let Ok(dir) = std::env::var("CHARLA_SCREENSHOTS") {
            std::fs::write(format!("{dir}/reply-address-unconfirmed.png"), ana.screenshot().await?)?;
        }
        click(&ana, "#confirm-email").await?;
        wait_js(&ana, "the confirmation in the timeline", &some_contains("#timeline .event", "confirmed the visitor's email address lucia@example.org"), LIVE).await?;
        wait_js(&ana, "email preselected", "document.querySelector('input[name=via][value=email]:checked')", LIVE).await?;
        let by_mail = "Te las guardo hasta el sábado.";
        type_in(&ana, "#composer-text", &format!("{by_mail}{}", char::from(Key::Enter))).await?;
        let got = sink.wait_for(1, LIVE).await;
        let mail = got[0].text();
        assert_eq!(got[0].rcpt_tos(), vec!["lucia@example.org"], "{mail}");
        assert!(mail.contains("Te las guardo"), "{mail}");
        assert!(
            mail.contains("Our conversation so far") && mail.contains("talla 38"),
            "the mail carries the chat thread: {mail}"
        );
        let ours = mail
            .lines()
            .find(|l| l.starts_with("Message-ID:"))
            .unwrap()
            .split_once(':')
            .unwrap()
            .1
            .trim()
            .to_string();
        wait_js(&ana, "the email label", &some_contains("#timeline .msg-out .chip-via", "Email"), LIVE).await?;
        // Her answer by mail comes back to the same conversation.
        let answer = format!(
            "From: Lucía Fernández <lucia@example.org>\r\nTo: hola@zapateria.example\r\nSubject: Re: your message\r\nMessage-ID: <lucia-1@example.org>\r\nIn-Reply-To: {ours}\r\nReferences: {ours}\r\nDate: Sat, 21 Nov 2026 12:00:00 +0000\r\n\r\nPerfecto, paso el sábado.\r\n"
        );
        dovecot.append("shop", "INBOX", answer.as_bytes()).await;
        wait_js(&ana, "the mailed answer in the chat", &some_contains("#timeline .msg-in", "paso el sábado"), LIVE).await?;
        let (_, list) = api.get("/api/v1/conversations?view=all").await;
        assert_eq!(list["conversations"].as_array().unwrap().len(), 1, "{list}");
        // "Send transcript" mails the whole chat to her.
        click(&ana, "#send-transcript").await?;
        let got = sink.wait_for(2, LIVE).await;
        let transcript = got[1].text();
        assert_eq!(got[1].rcpt_tos(), vec!["lucia@example.org"], "{transcript}");
        assert!(transcript.contains("talla 38") && transcript.contains("dos pares"), "{transcript}");
        wait_js(&ana, "the transcript line", &some_contains("#timeline .transcript", "Transcript emailed to lucia@example.org"), LIVE).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_widget_rides_out_a_server_restart() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let site_key = Arc::new(Mutex::new(String::new()));
    let origin = customer_site(app.url.clone(), site_key.clone()).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Shop", "channel": "website", "member_ids": [], "website": {"allowed_origins": [origin]}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let snippet = v["snippet"].as_str().unwrap();
    let key = snippet.split("data-charla-inbox=\"").nth(1).unwrap();
    *site_key.lock().unwrap() = key.split('"').next().unwrap().to_string();
    let api = &api;
    let mut app = app;
    with_browsers("browser_widget_restart", |b| async move {
        let visitor = b.open().await?;
        visitor.goto(&format!("{origin}/")).await?;
        wait_js(
            &visitor,
            "the launcher",
            &format!("{SR}.querySelector('.launcher') && !{SR}.querySelector('.root').hidden"),
            LIVE,
        )
        .await?;
        js(
            &visitor,
            &format!("{SR}.querySelector('.launcher').click(); return null;"),
        )
        .await?;
        widget_send(&visitor, "Antes del reinicio").await?;
        let conv = loop {
            let (_, list) = api.get("/api/v1/conversations?view=all").await;
            if let Some(id) = list["conversations"][0]["id"].as_u64() {
                break id;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // Charla stops. The widget says it is offline, and what the visitor writes
        // meanwhile waits in its outbox, marked as not sent yet.
        app.pause().await;
        wait_js(
            &visitor,
            "the offline banner",
            &format!("!{SR}.querySelector('.banner').hidden"),
            LIVE,
        )
        .await?;
        widget_send(&visitor, "Escrito durante el reinicio").await?;
        wait_js(
            &visitor,
            "the message waiting",
            &format!("!!{SR}.querySelector('.msg.out.pending')"),
            LIVE,
        )
        .await?;
        // Back on the same port with the same data.
        app.resume().await;
        // Back online: the queued message arrives once, and an agent reply arrives live.
        wait_js(
            &visitor,
            "the banner gone",
            &format!("{SR}.querySelector('.banner').hidden"),
            LIVE,
        )
        .await?;
        let contents = || async {
            let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
            page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["content"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let start = std::time::Instant::now();
        while !contents()
            .await
            .contains(&"Escrito durante el reinicio".to_string())
        {
            assert!(start.elapsed() < LIVE, "the queued message never arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (s, _) = api
            .post(
                &format!("/api/v1/conversations/{conv}/messages"),
                json!({"content": "Ya estamos de vuelta"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        wait_js(
            &visitor,
            "the reply after the restart",
            &widget_has("in", "Ya estamos de vuelta"),
            LIVE,
        )
        .await?;
        // Exactly once on the server, and exactly once in the widget after a reload.
        let mut got = contents().await;
        got.sort();
        assert_eq!(
            got,
            [
                "Antes del reinicio",
                "Escrito durante el reinicio",
                "Ya estamos de vuelta"
            ]
        );
        visitor.refresh().await?;
        wait_js(
            &visitor,
            "the history",
            &widget_has("in", "Ya estamos de vuelta"),
            LIVE,
        )
        .await?;
        let shown = js(
            &visitor,
            &format!("return {SR}.querySelectorAll('.list .msg').length;"),
        )
        .await?;
        assert_eq!(shown, json!(3), "each message shown once");
        drop(app);
        Ok(())
    })
    .await;
}

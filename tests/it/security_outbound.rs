//! Outbound connections under the address policy, and what may leak through them:
//! webhooks never reach a private address in any spelling (finding A); a receiver's
//! error body is not shown to agents (B); a stored mail password only goes to the
//! host, port and user it was stored for (C); "Test connection" refuses private
//! addresses before connecting and never echoes what another service answers (D).

use super::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A TCP server on 127.0.0.1 that counts connections and keeps every byte received.
#[derive(Clone, Default)]
struct Recorder {
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Recorder {
    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }
    fn keep(&self, bytes: &[u8]) {
        self.received.lock().unwrap().extend_from_slice(bytes);
    }
}

/// What a fake server says: its greeting, and its answer to each line received.
#[derive(Clone, Copy)]
enum Speaks {
    /// Answers any request with `200 {}` (a webhook receiver).
    Http200,
    /// Answers with `status` and `body` (a webhook receiver that refuses).
    HttpError(u16, &'static str),
    /// Writes an HTTP error with a banner at once, whatever is asked.
    HttpBanner,
    /// An IMAP server that refuses every login.
    Imap,
    /// An SMTP server that offers AUTH and refuses every password.
    Smtp,
}

async fn serve(speaks: Speaks) -> (u16, Recorder) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let rec = Recorder::default();
    let r = rec.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            r.connections.fetch_add(1, Ordering::SeqCst);
            let r = r.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(10), talk(s, speaks, r)).await;
            });
        }
    });
    (port, rec)
}

async fn talk(s: tokio::net::TcpStream, speaks: Speaks, r: Recorder) {
    let mut s = BufReader::new(s);
    match speaks {
        Speaks::Http200 | Speaks::HttpError(..) => {
            // Read the head and the body it announces, then answer.
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if s.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                r.keep(line.as_bytes());
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0u8; len];
            let _ = s.read_exact(&mut body).await;
            r.keep(&body);
            let (status, text) = match speaks {
                Speaks::HttpError(status, text) => (status, text),
                _ => (200, "{}"),
            };
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = s.get_mut().write_all(answer.as_bytes()).await;
        }
        Speaks::HttpBanner => {
            let _ = s
                .get_mut()
                .write_all(b"HTTP/1.1 400 Bad Request\r\nServer: SECRET-BANNER/1.0\r\nContent-Length: 20\r\n\r\nSECRET-BANNER inside")
                .await;
            let mut buf = [0u8; 1024];
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    return;
                }
                r.keep(&buf[..n]);
            }
        }
        Speaks::Imap | Speaks::Smtp => {
            let greeting: &[u8] = match speaks {
                Speaks::Imap => b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
                _ => b"220 fake.example ESMTP\r\n",
            };
            let _ = s.get_mut().write_all(greeting).await;
            loop {
                let mut line = String::new();
                if s.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                r.keep(line.as_bytes());
                let answer = match speaks {
                    Speaks::Imap => {
                        let tag = line.split(' ').next().unwrap_or("*");
                        format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
                    }
                    _ if line.to_ascii_uppercase().starts_with("EHLO") => {
                        "250-fake.example\r\n250 AUTH PLAIN LOGIN\r\n".into()
                    }
                    _ if line.to_ascii_uppercase().starts_with("AUTH") => {
                        "535 5.7.8 Authentication credentials invalid\r\n".into()
                    }
                    _ if line.to_ascii_uppercase().starts_with("QUIT") => "221 bye\r\n".into(),
                    _ => "250 ok\r\n".into(),
                };
                if s.get_mut().write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// An API inbox with `webhook`, a conversation in it, and an agent reply; returns
/// (conversation, message id).
async fn reply_through(app: &TestApp, api: &Api, webhook: &str, members: &[u64]) -> (u64, u64) {
    let (inbox, token) = api.inbox("Hooked", members, Some(webhook)).await;
    let (s, r) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "c-1"}, "content": "hola"}),
    )
    .await;
    assert!(s.is_success(), "{s} {r}");
    let conv = r["conversation_id"].as_u64().unwrap();
    let (s, m) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "a reply"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    (conv, m["id"].as_u64().unwrap())
}

/// Every spelling of 127.0.0.1 (port `{P}`) that reached a local listener before.
const LOOPBACK_WEBHOOKS: &[&str] = &[
    "http://127.0.0.1:{P}/hook",
    "http://0:{P}/",
    "http://2130706433:{P}/",
    "http://0x7f000001:{P}/",
    "http://0177.0.0.1:{P}/",
    "http://0x7f.0.0.1:{P}/",
    "http://127.1:{P}/",
    "http://127.0.1:{P}/",
    "http://127.0.0.1.:{P}/",
    "http://%31%32%37.0.0.1:{P}/",
    "http://127\u{3002}0\u{3002}0\u{3002}1:{P}/",
    "http://\u{2460}\u{2461}\u{2466}.0.0.1:{P}/",
    "http://127.0.0.1:{P}\\@1.1.1.1/",
    "http://localhost:{P}/",
    "http://[::ffff:127.0.0.1]:{P}/",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_reach_no_spelling_of_a_private_address() {
    let (port, listener) = serve(Speaks::Http200).await;
    let app = TestApp::start_with(|c| c.inbox.webhook_allow_private = false).await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    for spelling in LOOPBACK_WEBHOOKS {
        let url = spelling.replace("{P}", &port.to_string());
        let (conv, id) = reply_through(&app, &api, &url, &[]).await;
        let failed = wait_status(&api, conv, id, "failed").await;
        let error = failed["error"].as_str().unwrap();
        assert!(
            error.contains("private or local") && error.contains("allow_private"),
            "{url}: {failed}"
        );
        assert_eq!(listener.connections(), 0, "{url} reached the listener");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_webhooks_are_reached_when_configuration_allows_them() {
    // The new key alone, with the older one off: the same listener is reached.
    let (port, listener) = serve(Speaks::Http200).await;
    let app = TestApp::start_with(|c| {
        c.inbox.webhook_allow_private = false;
        c.outbound.allow_private = true;
    })
    .await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (conv, id) = reply_through(&app, &api, &format!("http://127.1:{port}/hook"), &[]).await;
    wait_status(&api, conv, id, "sent").await;
    assert_eq!(listener.connections(), 1);
    assert!(listener.text().contains("a reply"), "{}", listener.text());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receivers_error_body_is_not_shown_to_agents() {
    const SECRET: &str = "INTERNAL-SECRET-DATA: db_password=hunter2";
    let app = TestApp::start_with(|c| c.inbox.webhook_max_attempts = 1).await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let luis = create_agent(&admin, "Luis", "luis@example.com", "agent", "luis password").await;
    let agent = app.client();
    agent.login("luis@example.com", "luis password").await;
    let agent_api = Api::for_client(&agent).await;
    for status in [400, 500] {
        let (port, receiver) = serve(Speaks::HttpError(status, SECRET)).await;
        let (conv, id) = reply_through(
            &app,
            &api,
            &format!("http://127.0.0.1:{port}/hook"),
            &[luis],
        )
        .await;
        let failed = wait_status(&agent_api, conv, id, "failed").await;
        assert_eq!(receiver.connections(), 1, "the receiver was reached");
        let error = failed["error"].as_str().unwrap();
        assert!(error.contains(&status.to_string()), "{failed}");
        let (_, page) = agent_api
            .get(&format!("/api/v1/conversations/{conv}"))
            .await;
        let (s, html) = agent.get_text(&format!("/conversations/{conv}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Not delivered: webhook answered"), "{html}");
        for shown in [page.to_string(), html] {
            assert!(
                !shown.contains("INTERNAL-SECRET") && !shown.contains("hunter2"),
                "the receiver's body is shown: {shown}"
            );
        }
    }
    app.stop().await;
}

/// Email settings on fake servers, passwords typed.
fn email(imap_port: u16, smtp_port: u16) -> Value {
    json!({
        "imap": {"host": "127.0.0.1", "port": imap_port, "security": "none", "username": "shop", "password": "stored-imap-secret", "folder": "INBOX"},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "username": "mailer", "password": "stored-smtp-secret"},
        "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600
    })
}

/// `settings` with both passwords left empty ("keep the stored one") and `f` applied.
fn keeping(settings: &Value, f: impl FnOnce(&mut Value)) -> Value {
    let mut e = settings.clone();
    e["imap"]["password"] = json!("");
    e["smtp"]["password"] = Value::Null;
    f(&mut e);
    e
}

/// Neither stored password (nor SMTP's base64 of it) in what `r` received.
fn assert_no_secret(r: &Recorder, who: &str) {
    use base64::Engine;
    let text = r.text();
    let b64 = base64::engine::general_purpose::STANDARD;
    for secret in ["stored-imap-secret", "stored-smtp-secret"] {
        assert!(!text.contains(secret), "{who} received {secret}: {text}");
        for user in ["shop", "mailer"] {
            let plain = b64.encode(format!("\0{user}\0{secret}"));
            assert!(!text.contains(&plain), "{who} received {secret}: {text}");
        }
        assert!(
            !text.contains(&b64.encode(secret)),
            "{who} received {secret}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_mail_password_only_goes_where_it_was_stored_for() {
    let (imap_port, imap_home) = serve(Speaks::Imap).await;
    let (smtp_port, _) = serve(Speaks::Smtp).await;
    let (other_imap, imap_thief) = serve(Speaks::Imap).await;
    let (other_smtp, smtp_thief) = serve(Speaks::Smtp).await;
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let stored = email(imap_port, smtp_port);
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support", "channel": "email", "email": stored}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();
    let test = format!("/api/v1/inboxes/{id}/test");

    // Test connection: another host, port or user with the password left empty.
    for (body, field, what) in [
        (
            keeping(&stored, |e| e["imap"]["port"] = json!(other_imap)),
            "email.imap.password",
            "the port changed",
        ),
        (
            keeping(&stored, |e| {
                e["imap"]["host"] = json!("localhost");
                e["imap"]["port"] = json!(other_imap);
            }),
            "email.imap.password",
            "the host and port changed",
        ),
        (
            keeping(&stored, |e| e["imap"]["username"] = json!("other")),
            "email.imap.password",
            "the user name changed",
        ),
        (
            keeping(&stored, |e| e["smtp"]["port"] = json!(other_smtp)),
            "email.smtp.password",
            "the port changed",
        ),
        (
            keeping(&stored, |e| e["smtp"]["host"] = json!("LOCALHOST")),
            "email.smtp.password",
            "the host changed",
        ),
    ] {
        let (s, v) = api.post(&test, json!({ "email": body })).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(field)
                && message.contains(&format!("type the password again: {what}")),
            "{message}"
        );
        // Saving the same is refused the same way, and nothing changes.
        let (s, v) = api
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/inboxes/{id}"),
                Some(json!({ "email": body })),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
    }
    // The stored settings as they were: the poller still only knows the first server.
    let (_, v) = api.get("/api/v1/inboxes").await;
    assert_eq!(v["inboxes"][0]["email"]["imap"]["port"], imap_port, "{v}");
    assert_eq!(v["inboxes"][0]["email"]["smtp"]["port"], smtp_port, "{v}");

    // The HTML form: saving another port with the password field empty is refused,
    // and so is testing it.
    let edit = format!("/admin/inboxes/{id}");
    let (imap_s, other_s) = (imap_port.to_string(), other_imap.to_string());
    let smtp_s = smtp_port.to_string();
    let form = |imap: &str| -> Vec<(&'static str, String)> {
        [
            ("name", "Support"),
            ("channel", "email"),
            ("imap_host", "127.0.0.1"),
            ("imap_port", imap),
            ("imap_security", "none"),
            ("imap_username", "shop"),
            ("imap_password", ""),
            ("imap_folder", "INBOX"),
            ("smtp_host", "127.0.0.1"),
            ("smtp_port", smtp_s.as_str()),
            ("smtp_security", "none"),
            ("smtp_username", "mailer"),
            ("smtp_password", ""),
            ("from_name", "Shop"),
            ("from_address", "support@shop.example"),
            ("poll_seconds", "3600"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
    };
    let moved = form(&other_s);
    let fields: Vec<(&str, &str)> = moved.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = admin.submit(&edit, &edit, &fields).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("IMAP password: type the password again: the port changed"),
        "{body}"
    );
    let r = admin.submit(&edit, &format!("{edit}/test"), &fields).await;
    let body = r.text().await.unwrap();
    assert!(
        body.contains("IMAP password: type the password again: the port changed")
            && !body.contains("Failed at:"),
        "{body}"
    );
    // Unchanged, an empty field keeps the stored password and the test uses it there.
    let same = form(&imap_s);
    let fields: Vec<(&str, &str)> = same.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = admin.submit(&edit, &format!("{edit}/test"), &fields).await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Failed at: Authentication"),
        "the stored password was tried at its own server"
    );
    assert!(imap_home.text().contains("stored-imap-secret"));

    // A poller given the chance would have connected by now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(imap_thief.connections(), 0, "{}", imap_thief.text());
    assert_eq!(smtp_thief.connections(), 0, "{}", smtp_thief.text());
    assert_no_secret(&imap_thief, "the other IMAP server");
    assert_no_secret(&smtp_thief, "the other SMTP server");

    // Typed again, the move is saved; clearing the SMTP user drops its password.
    let moved = keeping(&stored, |e| {
        e["imap"]["port"] = json!(other_imap);
        e["imap"]["password"] = json!("typed-for-the-new-port");
        e["smtp"]["username"] = json!("");
    });
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{id}"),
            Some(json!({ "email": moved })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = api.get("/api/v1/inboxes").await;
    let e = &v["inboxes"][0]["email"];
    assert_eq!(
        (
            e["imap"]["port"].as_u64(),
            e["smtp"]["password_set"].as_bool()
        ),
        (Some(u64::from(other_imap)), Some(false)),
        "{v}"
    );
    app.stop().await;
}

/// `POST /api/v1/inboxes/{id}/test` with `email`: (imap, smtp).
async fn probe(api: &Api, id: u64, email: Value) -> (Value, Value) {
    let (s, v) = api
        .post(
            &format!("/api/v1/inboxes/{id}/test"),
            json!({ "email": email }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (v["imap"].clone(), v["smtp"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_servers_on_private_addresses_are_refused_before_connecting() {
    let (port, listener) = serve(Speaks::Imap).await;
    let app = TestApp::start_with(|c| c.inbox.webhook_allow_private = false).await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let settings = email(port, port);
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support", "channel": "email", "email": settings}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();
    for host in [
        "127.0.0.1",
        "localhost",
        "2130706433",
        "127.1",
        "0",
        "[::1]",
    ] {
        let mut e = settings.clone();
        e["imap"]["host"] = json!(host);
        e["smtp"]["host"] = json!(host);
        let (imap, smtp) = probe(&api, id, e).await;
        for side in [&imap, &smtp] {
            assert_eq!(
                (side["ok"].as_bool(), side["step"].as_str()),
                (Some(false), Some("address")),
                "{host}: {side}"
            );
            let detail = side["detail"].as_str().unwrap();
            assert!(
                detail.contains("private or local") && detail.contains("allow_private"),
                "{detail}"
            );
        }
    }
    // The poller is refused too; its health says why.
    let path = format!("/admin/inboxes/{id}");
    let mut page = String::new();
    for _ in 0..100 {
        page = admin.get_text(&path).await.1;
        if page.contains("class=\"poll-error") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        page.contains("127.0.0.1 is a private or local address"),
        "{page}"
    );
    assert_eq!(listener.connections(), 0, "{}", listener.text());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_never_echoes_another_service() {
    let (port, banner) = serve(Speaks::HttpBanner).await;
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support", "channel": "email", "email": email(port, port)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();
    for security in ["none", "starttls"] {
        let mut e = email(port, port);
        e["imap"]["security"] = json!(security);
        e["smtp"]["security"] = json!(security);
        let (imap, smtp) = probe(&api, id, e).await;
        for side in [&imap, &smtp] {
            assert_eq!(side["ok"], false, "{side}");
            let detail = side["detail"].as_str().unwrap();
            assert!(
                !detail.contains("SECRET-BANNER") && !detail.contains("HTTP/1.1"),
                "{security}: the other service's bytes are shown: {detail}"
            );
        }
        assert_eq!(imap["step"], "protocol", "{imap}");
        assert!(
            imap["detail"]
                .as_str()
                .unwrap()
                .contains("did not answer as an IMAP server"),
            "{imap}"
        );
    }
    // Nothing that did not greet as IMAP was sent a password.
    assert!(
        !banner.text().contains("stored-imap-secret"),
        "{}",
        banner.text()
    );
    app.stop().await;
}

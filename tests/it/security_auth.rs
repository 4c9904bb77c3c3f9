//! Security regressions of sign-in, sessions and live connections, each over the real
//! protocol: parallel guesses, lockout by strangers, open redirects, forwarded headers
//! from untrusted peers, trickled bodies, tokens after a password change, typing floods
//! and live streams that outlive their session or rights.

use super::common::*;
use charla::config::{Config, Overrides};
use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The test configuration with `CHARLA__…` variables applied (so keys are set the way an
/// operator sets them), then `tweak`.
async fn start_env(env: &[(&str, &str)], tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let base = test_config(dir.path());
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let loaded = charla::config::load(None, &env, &Overrides::default()).unwrap();
    let mut cfg = loaded.config;
    cfg.server.listen = base.server.listen;
    cfg.server.workers = base.server.workers;
    cfg.server.shutdown_timeout_seconds = base.server.shutdown_timeout_seconds;
    cfg.storage = base.storage;
    cfg.inbox.webhook_allow_private = true;
    tweak(&mut cfg);
    TestApp::start_in(dir, cfg).await
}

/// Signs in from client address `ip` (the test connects from 127.0.0.1, a trusted proxy
/// that reports `ip` in `X-Forwarded-For`).
async fn login_from(c: &Client, ip: &str, email: &str, password: &str) -> reqwest::Response {
    let token = c.csrf("/login").await;
    c.http
        .post(format!("{}/login", c.base))
        .header("X-Forwarded-For", ip)
        .form(&[
            ("csrf", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

// ---- helpers for sockets and streams ------------------------------------------------

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn widget_socket(app: &TestApp, key: &str) -> Ws {
    let url = format!(
        "{}/widget/v1/{key}/socket",
        app.url.replacen("http://", "ws://", 1)
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("Origin", super::widget::SITE.parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn ws_send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Frames until one of type `ty`; returns it and how many `typing` frames came before.
async fn ws_recv_type(ws: &mut Ws, ty: &str) -> (Value, usize) {
    let mut typing = 0;
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap_or_else(|_| panic!("no {ty} frame within 10 s"))
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["type"] == ty {
                return (v, typing);
            }
            if v["type"] == "typing" {
                typing += 1;
            }
        }
    }
}

/// Reads an SSE response for `ms` (or until it ends); returns the text and whether it ended.
async fn read_sse(stream: &mut reqwest::Response, ms: u64) -> (String, bool) {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Err(_) => return (seen, false),
            Ok(Ok(Some(c))) => seen.push_str(&String::from_utf8_lossy(&c)),
            Ok(_) => return (seen, true),
        }
    }
}

async fn open_events(c: &Client) -> reqwest::Response {
    let mut r = c
        .http
        .get(format!("{}/events", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (hello, _) = read_sse(&mut r, 300).await;
    assert!(hello.contains(": connected"), "{hello}");
    r
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    Api::with_token(&app.url, token).get("/api/v1/me").await.0
}

// ---- 1. parallel guesses ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_passwords_are_checked_at_most_the_limit() {
    let app = start_env(
        &[("CHARLA__AUTH__LOGIN_SLOW_AFTER_FAILURES_PER_ACCOUNT", "0")],
        |c| {
            c.auth.login_max_failures_per_account = 3;
            c.auth.login_max_failures_per_ip = 100;
        },
    )
    .await;
    app.admin().await;
    let c = app.client();
    let token = c.csrf("/login").await;
    let post = |password: &'static str| {
        let http = c.http.clone();
        let url = format!("{}/login", app.url);
        let token = token.clone();
        async move {
            http.post(url)
                .form(&[
                    ("csrf", token.as_str()),
                    ("email", ADMIN_EMAIL),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let mut burst: FuturesUnordered<_> = (0..60).map(|_| post("wrong password")).collect();
    // The right password, sent while the burst is being answered.
    let first = burst.next().await.unwrap();
    let right = post(ADMIN_PASSWORD).await;
    let mut statuses = vec![first];
    while let Some(s) = burst.next().await {
        statuses.push(s);
    }
    assert_eq!(
        right,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password got in while the burst used up the limit"
    );
    let wrong = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(wrong <= 3, "{wrong} guesses were checked: {statuses:?}");
    assert_eq!(wrong + refused, 60, "{statuses:?}");
    assert_eq!(c.get("/").await.status(), StatusCode::SEE_OTHER, "not in");
    app.clock.advance_secs(901);
    assert_eq!(
        c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "after the window"
    );
    app.stop().await;
}

// ---- 2. lockout by anyone ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attacker_cannot_lock_the_owner_out_from_another_address() {
    let app = start_env(
        &[
            ("CHARLA__AUTH__LOGIN_SLOW_AFTER_FAILURES_PER_ACCOUNT", "4"),
            ("CHARLA__AUTH__LOGIN_SLOWDOWN_SECONDS", "1"),
        ],
        |c| {
            c.auth.login_max_failures_per_account = 3;
            c.auth.login_max_failures_per_ip = 10;
            c.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        },
    )
    .await;
    app.admin().await;
    let attacker = app.client();
    let evil = "203.0.113.66";
    for _ in 0..3 {
        let r = login_from(&attacker, evil, ADMIN_EMAIL, "guess guess").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    for password in ["guess again", ADMIN_PASSWORD] {
        let r = login_from(&attacker, evil, ADMIN_EMAIL, password).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{password}");
    }
    // A second address keeps guessing: past the account-wide threshold, slowed only.
    for _ in 0..3 {
        let r = login_from(&attacker, "203.0.113.67", ADMIN_EMAIL, "guess guess").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The owner, from their own address, still gets in.
    let owner = app.client();
    let r = login_from(&owner, "198.51.100.7", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the owner was locked out"
    );
    assert_eq!(owner.get("/").await.status(), StatusCode::OK);
    // The attacker's address is also limited across accounts.
    for i in 0..7 {
        let r = login_from(&attacker, evil, &format!("u{i}@example.com"), "x x x x").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "account {i}");
    }
    let r = login_from(&attacker, evil, "fresh@example.com", "x x x x").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "per IP");
    app.stop().await;
}

// ---- 3. open redirect -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_redirects_only_to_same_origin_paths() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    for (next, want) in [
        ("%2F%09%2Fevil.example%2Fx", "/"),
        ("%2F%5C%09%5Cevil.example", "/"),
        ("%2F%0A%2Fevil.example", "/"),
        ("%2F%0D%0A%2Fevil.example", "/"),
        ("%09%2F%2Fevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("%2F%5Cevil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("%20%2Fx", "/"),
        (
            "%2Fconversations%2F5%3Fview%3Dall",
            "/conversations/5?view=all",
        ),
    ] {
        let r = admin.get(&format!("/login?next={next}")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&r), want, "next={next}");
    }
    // After a POST too.
    let c = app.client();
    let r = c
        .submit(
            "/login",
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "/\t/evil.example/x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");
    app.stop().await;
}

// ---- 4. forwarded headers -------------------------------------------------------------

/// Creates an invited agent with extra request headers; returns the invite link.
async fn invite_link(admin: &Client, email: &str, headers: &[(&str, &str)]) -> String {
    let token = admin.csrf("/admin/agents").await;
    let mut rb = admin.http.post(format!("{}/admin/agents", admin.base));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let r = rb
        .form(&[
            ("csrf", token.as_str()),
            ("name", "Invited Person"),
            ("email", email),
            ("role", "agent"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    between(&body, "id=\"invite-link\">", "<")
        .unwrap()
        .to_string()
}

const FORGED: [(&str, &str); 2] = [
    ("X-Forwarded-Host", "evil.example"),
    ("X-Forwarded-Proto", "https"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_are_ignored_unless_a_trusted_proxy_sends_them() {
    // No trusted proxy: the headers change nothing.
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let link = invite_link(&admin, "i1@example.com", &FORGED).await;
    assert!(
        link.starts_with(&format!("{}/invite/", app.url)),
        "invite link shaped by a forged header: {link}"
    );
    let api = Api::for_client(&admin).await;
    let r = api
        .http
        .post(format!("{}/api/v1/inboxes", app.url))
        .bearer_auth(&api.token)
        .header(FORGED[0].0, FORGED[0].1)
        .header(FORGED[1].0, FORGED[1].1)
        .json(&json!({"name": "Site", "channel": "website", "website": {"allowed_origins": ["https://shop.example"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let snippet = v["snippet"].as_str().unwrap();
    assert!(!snippet.contains("evil.example"), "{snippet}");
    assert!(snippet.contains(&format!("{}/widget/charla.js", app.url)));
    // Nor do they make cookies Secure (the request did not arrive over HTTPS).
    let c = app.client();
    let token = c.csrf("/login").await;
    let r = c
        .http
        .post(format!("{}/login", app.url))
        .header(FORGED[1].0, FORGED[1].1)
        .form(&[
            ("csrf", token.as_str()),
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("charla_session="), "{cookie}");
    // The cross-site check compares Origin with the real host, not a forged one.
    let token = admin.csrf("/admin/teams").await;
    let r = admin
        .http
        .post(format!("{}/admin/teams", app.url))
        .header("Origin", "https://evil.example")
        .header(FORGED[0].0, FORGED[0].1)
        .header(FORGED[1].0, FORGED[1].1)
        .form(&[("csrf", token.as_str()), ("name", "Forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;

    // Behind a trusted proxy they are the public address.
    let app = TestApp::start_with(|c| {
        c.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let admin = app.admin().await;
    let link = invite_link(
        &admin,
        "i2@example.com",
        &[
            ("X-Forwarded-Host", "inbox.example.org"),
            ("X-Forwarded-Proto", "https"),
        ],
    )
    .await;
    assert!(
        link.starts_with("https://inbox.example.org/invite/"),
        "{link}"
    );
    app.stop().await;

    // A configured public URL always wins.
    let app = TestApp::start_with(|c| {
        c.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.server.public_url = "https://charla.example.net/".into();
    })
    .await;
    let admin = app.admin().await;
    let link = invite_link(&admin, "i3@example.com", &FORGED).await;
    assert!(
        link.starts_with("https://charla.example.net/invite/"),
        "{link}"
    );
    app.stop().await;
}

// ---- 5. slow bodies -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_cut_off_with_408() {
    let app = start_env(&[("CHARLA__SERVER__BODY_TIMEOUT_SECONDS", "2")], |_| {}).await;
    let admin = app.admin().await;
    let addr = app.url.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(
        b"POST /login HTTP/1.1\r\nHost: localhost\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n",
    )
    .await
    .unwrap();
    let started = Instant::now();
    let (mut rd, mut wr) = tcp.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..200 {
            if wr.write_all(b"a").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    trickle.abort();
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 408"),
        "after {:?}: {text:?}",
        started.elapsed()
    );
    assert!(closed.is_ok(), "the connection stays open: {text:?}");

    // A body in a few quick pieces is fine, and so is a long-lived WebSocket.
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Pieces", &[], None).await;
    let body = json!({"contact": {"identifier": "slow-but-fine"}, "content": "x".repeat(3000)})
        .to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/inboxes/{inbox}/incoming HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    for piece in body.as_bytes().chunks(1000) {
        tcp.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.1 201"),
        "{answer}"
    );
    let (_, key) = super::widget::website_inbox(&app).await;
    let mut ws = widget_socket(&app, &key).await;
    ws_send(&mut ws, json!({"type": "hello"})).await;
    ws_recv_type(&mut ws, "welcome").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    ws_send(&mut ws, json!({"type": "ping"})).await;
    ws_recv_type(&mut ws, "pong").await;
    app.stop().await;
}

// ---- 6. tokens after a password change ------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_revokes_personal_api_tokens() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    assert_eq!(me_status(&app, &api.token).await, StatusCode::OK);
    let r = admin
        .submit(
            "/profile",
            "/profile/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert_eq!(
        me_status(&app, &api.token).await,
        StatusCode::UNAUTHORIZED,
        "the token survived the password change"
    );
    let (_, page) = admin.get_text(&to).await;
    assert!(
        page.contains("your personal API tokens were revoked"),
        "the profile says so: {to}"
    );
    assert!(!page.contains("/revoke"), "no tokens left listed");

    // The command-line reset (the admin's way to reset a password) revokes them too.
    let api = Api::for_client(&admin).await;
    assert_eq!(me_status(&app, &api.token).await, StatusCode::OK);
    app.services()
        .cli_reset_password(ADMIN_EMAIL, "reset by the operator")
        .unwrap();
    assert_eq!(me_status(&app, &api.token).await, StatusCode::UNAUTHORIZED);

    // So does accepting a new invite link for an agent who had a password and tokens.
    let admin = app.client();
    admin.login(ADMIN_EMAIL, "reset by the operator").await;
    let luis = create_agent(&admin, "Luis", "luis@example.com", "agent", "luis password").await;
    let lc = app.client();
    lc.login("luis@example.com", "luis password").await;
    let luis_api = Api::for_client(&lc).await;
    assert_eq!(me_status(&app, &luis_api.token).await, StatusCode::OK);
    let r = admin
        .submit(
            &format!("/admin/agents/{luis}"),
            &format!("/admin/agents/{luis}/invite"),
            &[],
        )
        .await;
    let body = r.text().await.unwrap();
    let link = between(&body, "id=\"invite-link\">", "<")
        .unwrap()
        .to_string();
    let path = link.strip_prefix(&app.url).unwrap().to_string();
    let other = app.client();
    let r = other
        .submit(&path, &path, &[("password", "luis new password")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        me_status(&app, &luis_api.token).await,
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

// ---- 7. typing floods -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_floods_are_coalesced_and_never_disconnect() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let (_, key) = super::widget::website_inbox(&app).await;
    let mut ws = widget_socket(&app, &key).await;
    ws_send(&mut ws, json!({"type": "hello"})).await;
    ws_recv_type(&mut ws, "welcome").await;
    ws_send(
        &mut ws,
        json!({"type": "send", "client_id": "c-1", "content": "hola"}),
    )
    .await;
    ws_recv_type(&mut ws, "ack").await;
    let mut events = open_events(&admin).await;
    // The visitor floods: 2,000 frames, alternating, as fast as the socket takes them.
    let frames: Vec<_> = (0..2000)
        .map(|i| {
            Ok(Message::Text(
                json!({"type": "typing", "active": i % 2 == 0})
                    .to_string()
                    .into(),
            ))
        })
        .collect();
    ws.send_all(&mut futures_util::stream::iter(frames))
        .await
        .unwrap();
    // A pong after the flood: every frame was handled and the socket is still open.
    ws_send(&mut ws, json!({"type": "ping"})).await;
    ws_recv_type(&mut ws, "pong").await;
    let (seen, _) = read_sse(&mut events, 1500).await;
    let typing = seen.matches("event: typing-").count();
    assert!(typing >= 1, "the first change still arrives: {seen}");
    assert!(typing <= 5, "{typing} typing events reached the agent");

    // The same for an agent's composer: the visitor sees a handful.
    let (_, list) = Api::for_client(&admin)
        .await
        .get("/api/v1/conversations?view=all")
        .await;
    let conv = list["conversations"][0]["id"].as_u64().unwrap();
    let token = admin.csrf(&format!("/conversations/{conv}")).await;
    for i in 0..100 {
        let active = if i % 2 == 0 { "1" } else { "0" };
        let r = admin
            .post(
                &format!("/conversations/{conv}/typing"),
                &[("csrf", token.as_str()), ("active", active)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    ws_send(&mut ws, json!({"type": "ping"})).await;
    let (_, typing) = ws_recv_type(&mut ws, "pong").await;
    // Frames pushed to the socket before the pong arrive before it.
    assert!(typing >= 1, "the agent's typing still reaches the visitor");
    assert!(typing <= 5, "{typing} typing frames reached the visitor");
    app.stop().await;
}

// ---- 8. live streams re-checked -------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_streams_end_with_the_session_or_the_agent() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let luis = api
        .agent("Luis", "luis@example.com", "agent", "luis password")
        .await;
    let (inbox, token) = api.inbox("Support", &[luis], None).await;
    let news = |who: &'static str| {
        let url = app.url.clone();
        let token = token.clone();
        async move {
            let (s, v) = incoming(
                &url,
                inbox,
                &token,
                json!({"contact": {"identifier": who}, "content": "news"}),
            )
            .await;
            assert!(s.is_success(), "{v}");
            v["conversation_id"].as_u64().unwrap()
        }
    };

    // Signed out: the stream ends and says nothing more.
    let lc = app.client();
    lc.login("luis@example.com", "luis password").await;
    let mut events = open_events(&lc).await;
    let before = news("first").await;
    let (seen, _) = read_sse(&mut events, 2000).await;
    assert!(seen.contains(&format!("conv-{before}")), "{seen}");
    let csrf = lc.csrf("/").await;
    lc.post("/logout", &[("csrf", &csrf)]).await;
    let after = news("second").await;
    let (seen, ended) = read_sse(&mut events, 3000).await;
    assert!(
        !seen.contains(&format!("conv-{after}")),
        "a signed-out stream delivered: {seen}"
    );
    assert!(ended, "the stream outlived its session");

    // Deactivated: the same.
    lc.login("luis@example.com", "luis password").await;
    let mut events = open_events(&lc).await;
    let (s, _) = api
        .call(Method::DELETE, &format!("/api/v1/agents/{luis}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let after = news("third").await;
    let (seen, ended) = read_sse(&mut events, 3000).await;
    assert!(
        !seen.contains(&format!("conv-{after}")),
        "a deactivated agent's stream delivered: {seen}"
    );
    assert!(ended, "the stream outlived the agent");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_streams_follow_role_and_membership_changes() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let bea = api
        .agent("Bea", "bea@example.com", "admin", "bea password")
        .await;
    let (mine, mine_token) = api.inbox("Mine", &[bea], None).await;
    let (other, other_token) = api.inbox("Other", &[], None).await;
    let news = |inbox: u64, token: String, who: &'static str| {
        let url = app.url.clone();
        async move {
            let (s, v) = incoming(
                &url,
                inbox,
                &token,
                json!({"contact": {"identifier": who}, "content": "news"}),
            )
            .await;
            assert!(s.is_success(), "{v}");
            v["conversation_id"].as_u64().unwrap()
        }
    };
    let bc = app.client();
    bc.login("bea@example.com", "bea password").await;
    let mut events = open_events(&bc).await;
    let seen_as_admin = news(other, other_token.clone(), "o1").await;
    let (seen, _) = read_sse(&mut events, 2000).await;
    assert!(seen.contains(&format!("conv-{seen_as_admin}")), "{seen}");

    // Demoted to agent: the other inbox goes quiet, her own still speaks.
    let (s, v) = api
        .call(
            Method::PATCH,
            &format!("/api/v1/agents/{bea}"),
            Some(json!({"role": "agent"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let hidden = news(other, other_token.clone(), "o2").await;
    let visible = news(mine, mine_token.clone(), "m1").await;
    let (seen, ended) = read_sse(&mut events, 2000).await;
    assert!(!ended, "a demotion does not end the session");
    assert!(seen.contains(&format!("conv-{visible}")), "{seen}");
    assert!(
        !seen.contains(&format!("conv-{hidden}")),
        "a demoted agent's stream delivered another inbox: {seen}"
    );

    // Removed from her inbox: it goes quiet too.
    let (s, v) = api
        .call(
            Method::PATCH,
            &format!("/api/v1/inboxes/{mine}"),
            Some(json!({"member_ids": []})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let gone = news(mine, mine_token.clone(), "m2").await;
    let (seen, _) = read_sse(&mut events, 1500).await;
    assert!(!seen.contains(&format!("conv-{gone}")), "{seen}");
    app.stop().await;
}

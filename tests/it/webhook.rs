//! Agent replies in an API inbox reach the integration's webhook from the durable
//! outbox: signed, retried with backoff, surviving a restart, delivered once.

use super::common::*;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// (signature header, delivery id header, raw body) of each request received.
pub(crate) type Received = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// A real HTTP receiver that records requests and answers from a script.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    pub(crate) got: Received,
    /// Status codes to answer, in order; 200 once exhausted.
    script: Arc<Mutex<Vec<u16>>>,
}

async fn hook(req: HttpRequest, body: web::Bytes, r: web::Data<Receiver>) -> HttpResponse {
    let sig = req
        .headers()
        .get("x-charla-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let delivery = req
        .headers()
        .get("x-charla-delivery")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    r.got.lock().unwrap().push((sig, delivery, body.to_vec()));
    let code = {
        let mut s = r.script.lock().unwrap();
        if s.is_empty() { 200 } else { s.remove(0) }
    };
    if code == 200 {
        HttpResponse::Ok()
            .json(json!({"source_id": format!("ext-{}", r.got.lock().unwrap().len())}))
    } else {
        HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
            .body("receiver says no")
    }
}

/// How many times each message id reached the receiver.
pub(crate) fn deliveries(rx: &Receiver) -> std::collections::HashMap<u64, usize> {
    let mut n = std::collections::HashMap::new();
    for (_, _, body) in rx.got.lock().unwrap().iter() {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        *n.entry(v["message"]["id"].as_u64().unwrap()).or_default() += 1;
    }
    n
}

pub(crate) async fn start_receiver(
    script: Vec<u16>,
) -> (String, Receiver, actix_web::dev::ServerHandle) {
    let r = Receiver {
        script: Arc::new(Mutex::new(script)),
        ..Receiver::default()
    };
    let data = web::Data::new(r.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/hook", web::post().to(hook))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (format!("http://{addr}/hook"), r, handle)
}

async fn wait_for<F: Fn() -> bool>(what: &str, f: F) {
    for _ in 0..100 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Like [`wait_for`], moving the test clock by `secs` between looks.
pub(crate) async fn wait_advancing<F: Fn() -> bool>(app: &TestApp, secs: i64, what: &str, f: F) {
    for _ in 0..100 {
        if f() {
            return;
        }
        app.clock.advance_secs(secs);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn message_status(api: &Api, conv: u64, id: u64) -> serde_json::Value {
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_are_signed_retried_and_delivered_once() {
    let (hook_url, rx, hook_handle) = start_receiver(vec![500, 503]).await;
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Shop", &[], Some(&hook_url)).await;
    let (_, r) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "cust-1", "name": "Carla"}, "content": "hola"}),
    )
    .await;
    let conv = r["conversation_id"].as_u64().unwrap();
    let (s, m) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "Tu pedido sale hoy"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(m["status"], "pending");
    let id = m["id"].as_u64().unwrap();
    // First attempt at once: 500. The job waits a minute (test clock), then 503, then 200.
    wait_for("first attempt", || rx.got.lock().unwrap().len() == 1).await;
    assert_eq!(message_status(&api, conv, id).await["status"], "pending");
    // The worker records each failure just after the receiver answered, so a single
    // clock jump could land before the retry is scheduled; keep moving the clock (by
    // less than the next backoff) until the attempt comes.
    wait_advancing(&app, 61, "second attempt", || {
        rx.got.lock().unwrap().len() == 2
    })
    .await;
    wait_advancing(&app, 61, "third attempt", || {
        rx.got.lock().unwrap().len() == 3
    })
    .await;
    wait_status(&api, conv, id, "sent").await;
    // Every attempt was signed with the inbox token over the raw body, same delivery id.
    for (sig, delivery, body) in rx.got.lock().unwrap().iter() {
        assert!(
            charla::channels::api::verify(&token, body, sig),
            "bad signature {sig}"
        );
        assert_eq!(delivery, &id.to_string());
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["message"]["content"], "Tu pedido sale hoy");
        assert_eq!(v["contact"]["identifier"], "cust-1");
        assert_eq!(v["conversation_id"], conv);
    }
    // Nothing more is sent for that reply, however long we wait.
    app.clock.advance_secs(3600);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rx.got.lock().unwrap().len(), 3);
    // The receiver's own id works for status callbacks.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/inboxes/{inbox}/status", app.url))
        .bearer_auth(&token)
        .json(&json!({"source_id": "ext-3", "status": "delivered"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(message_status(&api, conv, id).await["status"], "delivered");
    hook_handle.stop(false).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_replies_survive_a_restart_and_permanent_errors_fail_visibly() {
    // The receiver is down (nothing listens) while the server restarts.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}/hook")
    };
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Shop", &[], Some(&dead)).await;
    let (_, r) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "c"}, "content": "hola"}),
    )
    .await;
    let conv = r["conversation_id"].as_u64().unwrap();
    let (_, m) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "queued reply"}),
        )
        .await;
    let id = m["id"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let app = app.restart(|_| {}).await;
    // Point the inbox at a live receiver and let the retry come due.
    let (hook_url, rx, handle) = start_receiver(vec![]).await;
    let admin = app.client();
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let api = Api::for_client(&admin).await;
    api.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/inboxes/{inbox}"),
        Some(json!({"webhook_url": hook_url})),
    )
    .await;
    app.clock.advance_secs(600);
    wait_for("the queued reply after restart", || {
        !rx.got.lock().unwrap().is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.got.lock().unwrap().len(), 1, "delivered once");
    assert_eq!(message_status(&api, conv, id).await["status"], "sent");

    // A 4xx that retrying cannot fix: failed, with the receiver's text.
    *rx.script.lock().unwrap() = vec![410];
    let (_, m) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "to a gone endpoint"}),
        )
        .await;
    let id2 = m["id"].as_u64().unwrap();
    let failed = wait_status(&api, conv, id2, "failed").await;
    assert!(
        failed["error"].as_str().unwrap().contains("410"),
        "{failed}"
    );
    // Internal notes never go out.
    api.post(
        &format!("/api/v1/conversations/{conv}/messages"),
        json!({"content": "internal only", "private": true}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        rx.got
            .lock()
            .unwrap()
            .iter()
            .all(|(_, _, b)| !String::from_utf8_lossy(b).contains("internal only"))
    );
    handle.stop(false).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_webhook_addresses_are_refused_unless_allowed() {
    let (hook_url, rx, handle) = start_receiver(vec![]).await;
    let app = TestApp::start_with(|c| c.inbox.webhook_allow_private = false).await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    for url in [hook_url.clone(), hook_url.replace("127.0.0.1", "localhost")] {
        let (inbox, token) = api.inbox("Shop", &[], Some(&url)).await;
        let (_, r) = incoming(
            &app.url,
            inbox,
            &token,
            json!({"contact": {"identifier": "c"}, "content": "hola"}),
        )
        .await;
        let conv = r["conversation_id"].as_u64().unwrap();
        let (_, m) = api
            .post(
                &format!("/api/v1/conversations/{conv}/messages"),
                json!({"content": "reply"}),
            )
            .await;
        let id = m["id"].as_u64().unwrap();
        let got = wait_status(&api, conv, id, "failed").await;
        assert!(
            got["error"]
                .as_str()
                .unwrap()
                .contains("webhook_allow_private"),
            "{got}"
        );
    }
    assert!(
        rx.got.lock().unwrap().is_empty(),
        "nothing reached the private address"
    );
    handle.stop(false).await;
    app.stop().await;
}

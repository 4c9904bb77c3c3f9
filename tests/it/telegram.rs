//! A Telegram inbox end to end, against the fake Bot API: created through the admin
//! API in polling mode, updates long-polled and stored (text and a photo), a reply
//! sent, a blocked bot's refusal in its words, and a poller SIGKILLed in the middle of
//! a batch that, restarted, stores every update exactly once.

use super::common::*;
use super::telegram_fake::{FAKE_TOKEN, FakeError, FakeUser, TelegramFake};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

pub(crate) async fn telegram_inbox(api: &Api, fake: &TelegramFake) -> u64 {
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Bot", "channel": "telegram",
                   "telegram": {"bot_token": FAKE_TOKEN, "mode": "poll", "api_base": fake.url}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(
        v.get("webhook_url").is_none(),
        "polling needs no webhook: {v}"
    );
    v["id"].as_u64().unwrap()
}

/// Every message of every conversation in `inbox`, oldest page last.
async fn inbox_messages(api: &Api, inbox: u64) -> Vec<Value> {
    let (_, v) = api.get("/api/v1/conversations?view=all").await;
    let mut out = Vec::new();
    for c in v["conversations"].as_array().cloned().unwrap_or_default() {
        if c["inbox_id"] != inbox {
            continue;
        }
        let mut cursor = String::new();
        loop {
            let (_, page) = api
                .get(&format!("/api/v1/conversations/{}{cursor}", c["id"]))
                .await;
            for m in page["messages"].as_array().cloned().unwrap_or_default() {
                let mut m = m;
                m["conversation_id"] = c["id"].clone();
                out.push(m);
            }
            match page["next_cursor"].as_u64() {
                Some(n) => cursor = format!("?cursor={n}"),
                None => break,
            }
        }
    }
    out
}

async fn wait_until<F, Fut>(what: &str, f: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[actix_web::test]
async fn telegram_bot_polls_stores_and_replies() {
    let fake = TelegramFake::start().await;
    let app = TestApp::start().await;
    let api = Api::for_client(&app.admin().await).await;
    let inbox = telegram_inbox(&api, &fake).await;
    let user = FakeUser::new(5_512_345_678, "Marta");
    fake.push_text(&user, "Hola, ¿abrís el domingo?");
    let (photo, _) = fake.photo_update(&user, "La tienda", b"\x89PNG fake image bytes");
    fake.push_update(photo);
    wait_until("two messages stored", || async {
        inbox_messages(&api, inbox)
            .await
            .iter()
            .filter(|m| m["direction"] == "inbound")
            .count()
            == 2
    })
    .await;
    wait_until("the updates confirmed", || async {
        fake.pending_ids().is_empty()
    })
    .await;
    let msgs = inbox_messages(&api, inbox).await;
    let photo = msgs.iter().find(|m| m["content"] == "La tienda").unwrap();
    assert_eq!(photo["attachments"][0]["stored"], true, "{photo}");
    assert_eq!(photo["sender"]["name"], "Marta");
    let conv = photo["conversation_id"].as_u64().unwrap();

    // A reply goes to the user's chat.
    let id = reply(&api, conv, "Sí, de 10 a 14.").await;
    wait_status(&api, conv, id, "sent").await;
    let sent = fake.requests_to("sendMessage");
    assert_eq!(sent.len(), 1);
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(body["chat_id"], json!(user.id));
    assert_eq!(body["text"], "Sí, de 10 a 14.");

    // The user blocked the bot: failed, in Telegram's words.
    fake.fail_next("sendMessage", FakeError::Blocked);
    let id = reply(&api, conv, "¿Hola?").await;
    let m = wait_status(&api, conv, id, "failed").await;
    assert!(
        m["error"]
            .as_str()
            .unwrap_or("")
            .contains("bot was blocked by the user"),
        "{m}"
    );
    app.stop().await;
}

/// In webhook mode the bot is registered with Telegram (URL and secret token), and
/// Telegram's deliveries are stored; a request without the secret is refused.
#[actix_web::test]
async fn telegram_webhook_mode_registers_and_receives() {
    let fake = TelegramFake::start().await;
    let app = TestApp::start().await;
    let api = Api::for_client(&app.admin().await).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Bot", "channel": "telegram",
                   "telegram": {"bot_token": FAKE_TOKEN, "mode": "webhook", "api_base": fake.url}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let inbox = v["id"].as_u64().unwrap();
    let hook = v["webhook_url"].as_str().unwrap().to_string();
    let (url, secret) = fake.webhook().expect("setWebhook was called");
    assert_eq!(url, hook);
    let secret = secret.expect("with a secret token");
    let user = FakeUser::new(5_599_000_001, "Iker");
    let update = fake.text_update(&user, "¿Tenéis envío a Bilbao?");
    assert_eq!(fake.post_webhook(&hook, Some("wrong"), &update).await, 401);
    assert_eq!(fake.post_webhook(&hook, None, &update).await, 401);
    assert!(inbox_messages(&api, inbox).await.is_empty());
    assert_eq!(fake.post_webhook(&hook, Some(&secret), &update).await, 200);
    fake.push_text(&user, "Gracias");
    wait_until("both messages stored", || async {
        inbox_messages(&api, inbox).await.len() == 2
    })
    .await;
    // Back to polling: the webhook is deleted.
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{inbox}"),
            Some(json!({"telegram": {"mode": "poll"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(fake.webhook().is_none());
    app.stop().await;
}

/// The poller is SIGKILLed while it stores a batch of updates; after a restart every
/// update is stored exactly once (the offset moves only with what is durable, and
/// dedupe on the update id drops what is re-read).
#[test]
fn telegram_updates_survive_sigkill_exactly_once() {
    crypto();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("charla.toml");
    std::fs::write(&config, "[inbox]\nwebhook_allow_private = true\n").unwrap();
    let extra = ["--config", config.to_str().unwrap()];
    let d = data.to_str().unwrap();
    let cli = super::crash::cli;
    cli(
        &extra,
        d,
        &[
            "admin",
            "create",
            "--email",
            "boss@example.com",
            "--name",
            "Boss",
            "--password-stdin",
        ],
        "boss password\n",
    );
    let token = cli(
        &extra,
        d,
        &[
            "admin",
            "token",
            "--email",
            "boss@example.com",
            "--label",
            "t",
        ],
        "",
    );
    let fake = rt.block_on(TelegramFake::start());
    let server = Server::start_with(&data, &extra);
    let api = Api::with_token(&server.url, &token);
    let inbox = rt.block_on(telegram_inbox(&api, &fake));
    let users: Vec<FakeUser> = (0..7)
        .map(|i| FakeUser::new(6_000_000_000 + i, &format!("User {i}")))
        .collect();
    let mut pushed = Vec::new();
    for n in 0..400 {
        pushed.push(fake.push_text(&users[n % users.len()], &format!("update {n}")));
    }
    // Kill it once some, but not all, of the batch is stored.
    rt.block_on(wait_until("part of the batch stored", || async {
        let stored = inbox_messages(&api, inbox).await.len();
        stored >= 5
    }));
    drop(server); // SIGKILL
    let server = Server::start_with(&data, &extra);
    let api = Api::with_token(&server.url, &token);
    rt.block_on(wait_until("every update confirmed", || async {
        fake.pending_ids().is_empty()
    }));
    let msgs = rt.block_on(inbox_messages(&api, inbox));
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in &msgs {
        if let Some(s) = m["source_id"].as_str() {
            *seen.entry(s.to_string()).or_default() += 1;
        }
    }
    for id in &pushed {
        assert_eq!(seen.get(&id.to_string()), Some(&1), "update {id}: {seen:?}");
    }
    assert_eq!(msgs.len(), pushed.len(), "nothing else, nothing twice");
    drop(server);
}

/// A bot whose polls keep failing shows in `/healthz` once it has failed for 15
/// minutes without a success, and leaves it after the next success.
#[actix_web::test]
async fn a_poller_failing_for_15_minutes_shows_in_healthz() {
    let fake = TelegramFake::start().await;
    for _ in 0..50 {
        fake.fail_next("getUpdates", FakeError::ServerError);
    }
    let app = TestApp::start().await;
    let api = Api::for_client(&app.admin().await).await;
    let inbox = telegram_inbox(&api, &fake).await;
    let http = reqwest::Client::new();
    let health = || async {
        http.get(format!("{}/healthz", app.url))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    wait_until("a failed poll", || async {
        !fake.requests_to("getUpdates").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(health().await["status"], "ok", "not yet 15 minutes");
    app.clock.advance_secs(16 * 60);
    let h = health().await;
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["pollers"][0]["inbox_id"], inbox, "{h}");
    app.stop().await;
}

//! A local Telegram Bot API, written from its public documentation
//! (<https://core.telegram.org/bots/api>), for the integration tests: a real HTTP server on
//! 127.0.0.1 that answers `{api_base}/bot{token}/{method}` and
//! `{api_base}/file/bot{token}/{file_path}` as Telegram does.
//!
//! - `getUpdates` honours `offset` (every update below it is confirmed and forgotten)
//!   and long polling (`timeout`: held until an update is pushed or the time is up); a
//!   newer `getUpdates` ends a waiting one with 409, as Telegram does when two
//!   instances poll; while a webhook is set it answers 409.
//! - `setWebhook` makes the fake POST each update to the URL with the secret token in
//!   `X-Telegram-Bot-Api-Secret-Token`, retrying until a 2xx (http:// URLs are allowed
//!   here, unlike Telegram, so tests need no certificate).
//! - `send*` methods fetch the file URL they are given (Telegram downloads it; a URL it
//!   cannot fetch is a 400) and answer realistic `Message`s with increasing ids; a chat
//!   that never wrote to the bot is "chat not found".
//! - Every request is recorded (HTTP method, path with the token masked, parameters,
//!   raw body); errors can be scripted per method; every time an update is handed out by
//!   `getUpdates` is counted (the crash test's "exactly once" check).
#![allow(dead_code)]

#[path = "telegram_fake_methods.rs"]
mod methods;
#[path = "telegram_fake_send.rs"]
mod send;

use actix_web::{App, HttpServer, web};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// The token the fake's bot has.
pub const FAKE_TOKEN: &str = "7012345678:AAFakeTokenForCharlaTests_0123456789";

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET` or `POST`.
    pub http_method: String,
    /// The Bot API method (`sendMessage`), or `file` for a download.
    pub method: String,
    /// The path with the token replaced by `<token>`.
    pub path: String,
    /// Whether the token in the path was the bot's.
    pub token_ok: bool,
    /// Query and body parameters merged (JSON, form or query).
    pub params: Value,
    pub body: Vec<u8>,
}

/// An error to answer instead of handling a method once.
#[derive(Debug, Clone)]
pub enum FakeError {
    /// 403 "Forbidden: bot was blocked by the user".
    Blocked,
    /// 429 with `parameters.retry_after`.
    RetryAfter(u64),
    /// 500 "Internal Server Error".
    ServerError,
    /// Any code and description.
    Other(u16, String),
}

/// A message the bot sent (one per file of an album).
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub method: String,
    pub chat_id: i64,
    pub message_id: i64,
    pub text: Option<String>,
    pub caption: Option<String>,
    /// The URL (or file_id) given for the file, and the bytes fetched from it.
    pub media_url: Option<String>,
    pub media: Option<Vec<u8>>,
}

/// A Telegram user writing to the bot.
#[derive(Debug, Clone)]
pub struct FakeUser {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
}

impl FakeUser {
    /// A user with a first name only.
    pub fn new(id: i64, first_name: &str) -> FakeUser {
        FakeUser {
            id,
            first_name: first_name.into(),
            last_name: None,
            username: None,
        }
    }

    fn json(&self) -> Value {
        let mut u = json!({"id": self.id, "is_bot": false, "first_name": self.first_name,
            "language_code": "es"});
        if let Some(l) = &self.last_name {
            u["last_name"] = json!(l);
        }
        if let Some(n) = &self.username {
            u["username"] = json!(n);
        }
        u
    }

    /// The private chat with this user (its id is the user's).
    fn chat(&self) -> Value {
        let mut c = self.json();
        let o = c.as_object_mut().unwrap();
        o.remove("is_bot");
        o.remove("language_code");
        o.insert("type".into(), json!("private"));
        c
    }
}

/// A file Telegram holds.
#[derive(Debug, Clone)]
pub struct FakeFile {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_path: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) struct Webhook {
    pub(crate) url: String,
    pub(crate) secret: Option<String>,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) next_update_id: u64,
    pub(crate) next_message_id: i64,
    pub(crate) next_file: u64,
    /// Unconfirmed updates, in order.
    pub(crate) pending: VecDeque<Value>,
    pub(crate) handed_out: HashMap<u64, usize>,
    pub(crate) files: HashMap<String, FakeFile>,
    /// Chats that wrote to the bot: the only ones it may send to.
    pub(crate) chats: HashMap<i64, Value>,
    pub(crate) requests: Vec<Recorded>,
    pub(crate) script: HashMap<String, VecDeque<FakeError>>,
    pub(crate) sent: Vec<SentMessage>,
    pub(crate) webhook: Option<Webhook>,
    /// `(update_id, HTTP status)` of each webhook delivery attempt (0: no connection).
    pub(crate) deliveries: Vec<(u64, u16)>,
    /// The update kinds last asked for (`allowed_updates`); empty: all.
    pub(crate) allowed: Vec<String>,
    /// Bumped by each `getUpdates`: a waiting poll that sees a newer one ends with 409.
    pub(crate) poll_generation: u64,
    pub(crate) fetch_sent_media: bool,
}

pub(crate) struct State {
    pub(crate) inner: Mutex<Inner>,
    pub(crate) notify: Notify,
    pub(crate) client: reqwest::Client,
}

/// The running fake.
pub struct TelegramFake {
    /// The `api_base` to configure (`http://127.0.0.1:<port>`).
    pub url: String,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
}

impl TelegramFake {
    /// Starts the fake on a free port, with its webhook deliverer.
    pub async fn start() -> TelegramFake {
        // reqwest is built without a default TLS provider (as the app installs one).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let state = Arc::new(State {
            inner: Mutex::new(Inner {
                next_update_id: 731_000_000,
                next_message_id: 1000,
                fetch_sent_media: true,
                ..Inner::default()
            }),
            notify: Notify::new(),
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .default_service(web::to(methods::handle))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        tokio::spawn(methods::deliver_webhooks(state.clone()));
        TelegramFake {
            url: format!("http://{addr}"),
            state,
            handle,
        }
    }

    /// Stops the server.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.state.inner.lock().unwrap()
    }

    /// Queues an update (its `update_id` assigned when missing) and wakes a waiting
    /// `getUpdates` or the webhook deliverer. Returns its `update_id`. An update of a
    /// kind outside the last `allowed_updates` is dropped, as Telegram does.
    pub fn push_update(&self, mut update: Value) -> u64 {
        let mut inner = self.inner();
        let id = match update["update_id"].as_u64() {
            Some(id) => id,
            None => {
                inner.next_update_id += 1;
                update["update_id"] = json!(inner.next_update_id);
                inner.next_update_id
            }
        };
        inner.next_update_id = inner.next_update_id.max(id);
        for kind in ["message", "edited_message"] {
            let chat = &update[kind]["chat"];
            if let Some(c) = chat["id"].as_i64() {
                inner.chats.insert(c, chat.clone());
            }
        }
        let kind = update
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "update_id").cloned())
            .unwrap_or_default();
        if inner.allowed.is_empty() || inner.allowed.contains(&kind) {
            inner.pending.push_back(update);
        }
        drop(inner);
        self.state.notify.notify_waiters();
        id
    }

    /// A new message from `user` with `content` (`"text": …`, `"photo": […]`…) merged in.
    pub fn message_update(&self, user: &FakeUser, content: Value) -> Value {
        let mut inner = self.inner();
        inner.next_update_id += 1;
        inner.next_message_id += 1;
        // The user wrote to the bot: the bot may answer that chat from now on, however
        // the update reaches Charla (getUpdates or a webhook post).
        inner.chats.insert(user.id, user.chat());
        let mut message = json!({
            "message_id": inner.next_message_id,
            "from": user.json(),
            "chat": user.chat(),
            "date": methods::now_secs(),
        });
        for (k, v) in content.as_object().cloned().unwrap_or_default() {
            message[k] = v;
        }
        json!({"update_id": inner.next_update_id, "message": message})
    }

    /// Adds a file Telegram holds, under `dir` (`photos`, `voice`, `documents`).
    pub fn add_file(&self, dir: &str, ext: &str, bytes: &[u8]) -> FakeFile {
        let mut inner = self.inner();
        inner.next_file += 1;
        let n = inner.next_file;
        let f = FakeFile {
            file_id: format!("AgACAgQAAxkBAAI{n:06}-fake"),
            file_unique_id: format!("AQAD{n:06}"),
            file_path: format!("{dir}/file_{n}.{ext}"),
            bytes: bytes.to_vec(),
        };
        inner.files.insert(f.file_id.clone(), f.clone());
        f
    }

    /// A text message update.
    pub fn text_update(&self, user: &FakeUser, text: &str) -> Value {
        self.message_update(user, json!({"text": text}))
    }

    /// A photo update in three sizes: the largest holds `bytes`, the smaller ones other
    /// bytes, so taking the wrong size shows. Returns the update and the largest file.
    pub fn photo_update(&self, user: &FakeUser, caption: &str, bytes: &[u8]) -> (Value, FakeFile) {
        let small = self.add_file("photos", "jpg", b"small thumbnail");
        let medium = self.add_file("photos", "jpg", b"medium size");
        let large = self.add_file("photos", "jpg", bytes);
        let size = |f: &FakeFile, w: u32, h: u32| {
            json!({"file_id": f.file_id, "file_unique_id": f.file_unique_id,
                "file_size": f.bytes.len(), "width": w, "height": h})
        };
        let mut content = json!({"photo": [size(&small, 90, 68), size(&medium, 320, 240),
            size(&large, 1280, 960)]});
        if !caption.is_empty() {
            content["caption"] = json!(caption);
        }
        (self.message_update(user, content), large)
    }

    /// A voice note update (OGG/Opus as Telegram records them).
    pub fn voice_update(&self, user: &FakeUser, bytes: &[u8]) -> (Value, FakeFile) {
        let f = self.add_file("voice", "oga", bytes);
        let voice = json!({"duration": 3, "mime_type": "audio/ogg", "file_id": f.file_id,
            "file_unique_id": f.file_unique_id, "file_size": f.bytes.len()});
        (self.message_update(user, json!({"voice": voice})), f)
    }

    /// A document update.
    pub fn document_update(
        &self,
        user: &FakeUser,
        file_name: &str,
        mime: &str,
        bytes: &[u8],
        caption: &str,
    ) -> (Value, FakeFile) {
        let ext = file_name.rsplit('.').next().unwrap_or("bin");
        let f = self.add_file("documents", ext, bytes);
        let doc = json!({"file_name": file_name, "mime_type": mime, "file_id": f.file_id,
            "file_unique_id": f.file_unique_id, "file_size": f.bytes.len()});
        let mut content = json!({ "document": doc });
        if !caption.is_empty() {
            content["caption"] = json!(caption);
        }
        (self.message_update(user, content), f)
    }

    /// Pushes a text message from `user`; its `update_id`.
    pub fn push_text(&self, user: &FakeUser, text: &str) -> u64 {
        let u = self.text_update(user, text);
        self.push_update(u)
    }

    /// Answers `error` to the next call of `method` (case-insensitive), after any
    /// errors already scripted for it.
    pub fn fail_next(&self, method: &str, error: FakeError) {
        self.inner()
            .script
            .entry(method.to_ascii_lowercase())
            .or_default()
            .push_back(error);
    }

    /// Whether `send*` methods download the URL they are given (on by default).
    pub fn set_fetch_sent_media(&self, on: bool) {
        self.inner().fetch_sent_media = on;
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner().requests.clone()
    }

    /// The requests to one Bot API method (case-insensitive).
    pub fn requests_to(&self, method: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method))
            .collect()
    }

    /// The messages the bot sent.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.inner().sent.clone()
    }

    /// How many times each update was handed out by `getUpdates`.
    pub fn handed_out(&self) -> HashMap<u64, usize> {
        self.inner().handed_out.clone()
    }

    /// The ids of the updates not yet confirmed (or, with a webhook, not yet delivered).
    pub fn pending_ids(&self) -> Vec<u64> {
        self.inner()
            .pending
            .iter()
            .filter_map(|u| u["update_id"].as_u64())
            .collect()
    }

    /// The webhook set, if any: (URL, secret token).
    pub fn webhook(&self) -> Option<(String, Option<String>)> {
        self.inner().webhook.clone().map(|w| (w.url, w.secret))
    }

    /// Each webhook delivery attempt: (update_id, HTTP status; 0 when unreachable).
    pub fn deliveries(&self) -> Vec<(u64, u16)> {
        self.inner().deliveries.clone()
    }

    /// A file Telegram holds, by file_id.
    pub fn file(&self, file_id: &str) -> Option<FakeFile> {
        self.inner().files.get(file_id).cloned()
    }

    /// The URL Telegram serves a file at (holds the token, as Telegram's does).
    pub fn file_url(&self, f: &FakeFile) -> String {
        format!("{}/file/bot{FAKE_TOKEN}/{}", self.url, f.file_path)
    }

    /// POSTs `update` to `url` once, as Telegram delivers a webhook (with `secret` in
    /// `X-Telegram-Bot-Api-Secret-Token` when given); the HTTP status (0: unreachable).
    pub async fn post_webhook(&self, url: &str, secret: Option<&str>, update: &Value) -> u16 {
        methods::post_update(&self.state.client, url, secret, update).await
    }
}

//! Shared test helpers: start the app, a cookie-keeping client, form helpers.
#![allow(dead_code)]

use charla::app::{Running, StartOptions};
use charla::config::{Config, Overrides};
use charla::domain::{ManualClock, Timestamp};
use reqwest::StatusCode;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "ana@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// The real application on 127.0.0.1:0 with a temporary data directory and a clock
/// the test moves by hand.
pub struct TestApp {
    pub url: String,
    /// `http://` + the address of the `metrics.listen` listener, when configured.
    pub metrics_url: Option<String>,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    running: Option<Running>,
}

/// A test configuration on a temporary directory.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut cfg = charla::config::load(None, &[], &Overrides::default())
        .unwrap()
        .config;
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.server.workers = 2;
    cfg.server.shutdown_timeout_seconds = 5;
    cfg.storage.path = dir.join("data");
    cfg.storage.cache_capacity = charla::config::ByteSize(16 << 20);
    // The tests' webhook receivers listen on 127.0.0.1.
    cfg.inbox.webhook_allow_private = true;
    cfg
}

impl TestApp {
    pub async fn start() -> TestApp {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = test_config(dir.path());
        tweak(&mut cfg);
        Self::start_in(dir, cfg).await
    }

    pub async fn start_in(dir: tempfile::TempDir, cfg: Config) -> TestApp {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let clock = Arc::new(ManualClock::new(Timestamp(1_780_000_000_000)));
        let running = charla::app::start(
            &cfg,
            StartOptions {
                clock: clock.clone(),
                handle_signals: false,
            },
        )
        .await
        .unwrap();
        TestApp {
            url: format!("http://{}", running.addr),
            metrics_url: running.metrics_addr.map(|a| format!("http://{a}")),
            clock,
            dir,
            running: Some(running),
        }
    }

    /// The test clock's time in ms.
    pub fn clock_now(&self) -> i64 {
        use charla::domain::Clock;
        self.clock.now().0
    }

    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// Completes first-run setup and returns the admin's signed-in client.
    pub async fn admin(&self) -> Client {
        let c = self.client();
        let r = c
            .submit(
                "/setup",
                "/setup",
                &[
                    ("name", "Ana López"),
                    ("email", ADMIN_EMAIL),
                    ("password", ADMIN_PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "setup failed");
        c
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
    }
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str) -> Client {
        crypto();
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Client {
            base: base.to_string(),
            http,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let s = r.status();
        (s, r.text().await.unwrap())
    }

    /// The CSRF token of the first form on `page`.
    pub async fn csrf(&self, page: &str) -> String {
        let (status, body) = self.get_text(page).await;
        assert!(status.is_success(), "GET {page} -> {status}");
        csrf_in(&body).unwrap_or_else(|| panic!("no csrf token on {page}"))
    }

    /// POSTs a form with exactly these fields (no token added).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Loads `page` for its CSRF token, then POSTs the form to `action` with it.
    pub async fn submit(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf(page).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

/// The value of the first `name="csrf"` input in an HTML page.
pub fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[i..].find('"')?;
    Some(html[i..i + end].to_string())
}

/// The redirect target of a response.
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The text between `start` and the next `end` after it.
pub fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)?;
    Some(&s[i..i + j])
}

/// Creates an agent as admin (with a password) and returns their id.
pub async fn create_agent(
    admin: &Client,
    name: &str,
    email: &str,
    role: &str,
    password: &str,
) -> u64 {
    let r = admin
        .submit(
            "/admin/agents",
            "/admin/agents",
            &[
                ("name", name),
                ("email", email),
                ("role", role),
                ("password", password),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "create agent {email}");
    let (_, body) = admin.get_text("/admin/agents").await;
    // The edit link precedes... find the row with this email and its /admin/agents/{id} link.
    let row_start = body.find(email).expect("agent listed");
    let link =
        body[row_start..].find("/admin/agents/").unwrap() + row_start + "/admin/agents/".len();
    body[link..].split('"').next().unwrap().parse().unwrap()
}

impl TestApp {
    /// Stops and starts again on the same data directory and clock time (a restart).
    /// Stops the server but keeps its data, to start it again with [`TestApp::resume`].
    pub async fn pause(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
    }

    /// Starts a paused server again on its data, on the same address.
    pub async fn resume(&mut self) {
        let mut cfg = test_config(self.dir.path());
        cfg.server.listen = self.url.trim_start_matches("http://").to_string();
        let running = charla::app::start(
            &cfg,
            StartOptions {
                clock: self.clock.clone(),
                handle_signals: false,
            },
        )
        .await
        .unwrap();
        self.running = Some(running);
    }

    pub async fn restart(mut self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
        let mut cfg = test_config(self.dir.path());
        tweak(&mut cfg);
        let running = charla::app::start(
            &cfg,
            StartOptions {
                clock: self.clock.clone(),
                handle_signals: false,
            },
        )
        .await
        .unwrap();
        TestApp {
            url: format!("http://{}", running.addr),
            metrics_url: running.metrics_addr.map(|a| format!("http://{a}")),
            clock: self.clock.clone(),
            dir: self.dir,
            running: Some(running),
        }
    }
}

/// Signed-in admin plus a personal API token and a JSON client for the API.
pub struct Api {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn for_client(c: &Client) -> Api {
        let r = c
            .submit("/profile", "/profile/tokens", &[("label", "tests")])
            .await;
        let body = r.text().await.unwrap();
        let token = between(&body, "id=\"new-token\">", "<")
            .unwrap()
            .to_string();
        Api {
            base: c.base.clone(),
            token,
            http: reqwest::Client::new(),
        }
    }

    pub fn with_token(base: &str, token: &str) -> Api {
        crypto();
        Api {
            base: base.to_string(),
            token: token.to_string(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut rb = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let s = r.status();
        let text = r.text().await.unwrap();
        (
            s,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, serde_json::Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Creates an API inbox; returns (id, inbox token).
    pub async fn inbox(&self, name: &str, members: &[u64], webhook: Option<&str>) -> (u64, String) {
        let (s, v) = self.post("/api/v1/inboxes", serde_json::json!({"name": name, "channel": "api", "member_ids": members, "webhook_url": webhook})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        (
            v["id"].as_u64().unwrap(),
            v["token"].as_str().unwrap().to_string(),
        )
    }

    /// Creates an agent with a password; returns the id.
    pub async fn agent(&self, name: &str, email: &str, role: &str, password: &str) -> u64 {
        let (s, v) = self.post("/api/v1/agents", serde_json::json!({"name": name, "email": email, "role": role, "password": password})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_u64().unwrap()
    }
}

/// Posts an inbound message to an API inbox with its token.
pub async fn incoming(
    base: &str,
    inbox: u64,
    token: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    crypto();
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/inboxes/{inbox}/incoming"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// `charla serve` as a child process on a free port.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub log: mpsc::Receiver<String>,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        Self::start_with(data, &[])
    }

    /// `charla <extra> --data DIR serve --listen 127.0.0.1:0`.
    // The child is waited for in Drop; on a failed start the test panics anyway.
    #[allow(clippy::zombie_processes)]
    pub fn start_with(data: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_charla"))
            .args(extra)
            .args([
                "--data",
                data.to_str().unwrap(),
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let line = rx
                .recv_timeout(deadline - std::time::Instant::now())
                .expect("server did not start");
            if let Some(i) = line.find("listening on http://") {
                // (A JSON log line ends the message with a quote.)
                let url = line[i + "listening on ".len()..]
                    .split(|c: char| c.is_whitespace() || c == '"')
                    .next()
                    .unwrap()
                    .to_string();
                return Server {
                    child,
                    url,
                    log: rx,
                };
            }
        }
    }

    /// Sends SIGTERM and returns the exit status and the rest of the log.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.child.wait().unwrap();
        let rest: Vec<String> = self.log.try_iter().collect();
        (status, rest.join("\n"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// reqwest is built without a default TLS provider: install ring once per test process.
pub fn crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl TestApp {
    /// The running application's services (for driving workers step by step).
    pub fn services(&self) -> Arc<charla::service::Services> {
        self.running.as_ref().map(|r| r.services.clone()).unwrap()
    }
}

/// Waits (up to 10 s) until message `id` of `conv` has `want` status; returns it.
pub async fn wait_status(api: &Api, conv: u64, id: u64, want: &str) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..100 {
        let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
        last = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .cloned()
            .unwrap_or_default();
        if last["status"] == want {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("message {id} never became {want}: {last}");
}

/// A real `nats-server` on a free port (`CHARLA_TEST_NATS_SERVER` names the binary;
/// `./scripts/test` installs one and sets it), killed on drop.
pub struct Nats {
    child: std::process::Child,
    pub url: String,
}

impl Nats {
    pub fn start() -> Nats {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port)
    }

    /// On a given port (to bring the bus back where the nodes look for it).
    pub fn start_on(port: u16) -> Nats {
        let bin = std::env::var("CHARLA_TEST_NATS_SERVER").unwrap_or_else(|_| {
            panic!(
                "CHARLA_TEST_NATS_SERVER is not set: it must name a nats-server binary (./scripts/test installs one and sets it)"
            )
        });
        let child = Command::new(&bin)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nats {
            child,
            url: format!("nats://127.0.0.1:{port}"),
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Messages acknowledged by the API inbox: `source_id` -> (conversation, message).
pub type Acked = std::collections::HashMap<String, (u64, u64)>;

/// Every acknowledged message is stored, exactly once: sent again through `base`, each
/// is a duplicate of itself (the first 200), and every conversation's timeline, read
/// page by page through `api`, holds each source once and nothing twice.
pub async fn assert_stored_once(
    base: &str,
    inbox: u64,
    inbox_token: &str,
    api: &Api,
    acked: &Acked,
) {
    for (source, (conv, msg)) in acked.iter().take(200) {
        let (s, v) = incoming(
            base,
            inbox,
            inbox_token,
            serde_json::json!({"source_id": source, "contact": {"identifier": "x"}, "content": "again"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            v["duplicate"], true,
            "{source} was acknowledged but is missing"
        );
        assert_eq!(
            (v["conversation_id"].as_u64(), v["message_id"].as_u64()),
            (Some(*conv), Some(*msg))
        );
    }
    let convs: std::collections::BTreeSet<u64> = acked.values().map(|(c, _)| *c).collect();
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for conv in convs {
        let mut cursor = String::new();
        loop {
            let (s, page) = api
                .get(&format!("/api/v1/conversations/{conv}{cursor}"))
                .await;
            assert_eq!(s, StatusCode::OK, "{page}");
            for m in page["messages"].as_array().unwrap() {
                if let Some(s) = m["source_id"].as_str() {
                    *seen.entry(s.to_string()).or_default() += 1;
                }
            }
            match page["next_cursor"].as_u64() {
                Some(n) => cursor = format!("?cursor={n}"),
                None => break,
            }
        }
    }
    for source in acked.keys() {
        assert_eq!(
            seen.get(source),
            Some(&1),
            "{source} present {:?} times",
            seen.get(source)
        );
    }
    assert!(seen.values().all(|&n| n == 1), "a message was stored twice");
}

/// Reads an SSE response until `until` appears or `ms` pass; what was read.
pub async fn read_sse(stream: &mut reqwest::Response, ms: u64, until: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    while !seen.contains(until) {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Ok(Ok(Some(c))) => seen.push_str(&String::from_utf8_lossy(&c)),
            _ => break,
        }
    }
    seen
}

/// Posts an agent reply through `api`; returns its message id.
pub async fn reply(api: &Api, conv: u64, text: &str) -> u64 {
    let (s, m) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            serde_json::json!({"content": text}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m["id"].as_u64().unwrap()
}

/// Posts inbound messages to an API inbox (`source_id` `<tag>-<n>`, a dozen or so
/// contacts) until a request fails, as a client does while its server dies; every
/// message answered 200 goes into `acked`.
pub async fn post_until_refused(
    url: String,
    inbox: u64,
    token: String,
    tag: String,
    acked: Arc<std::sync::Mutex<Acked>>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for i in 0.. {
        let source = format!("{tag}-{i}");
        let body = serde_json::json!({"source_id": source, "contact": {"identifier": format!("{tag}-c{}", i % 12)}, "content": format!("message {source}")});
        let r = client
            .post(format!("{url}/api/v1/inboxes/{inbox}/incoming"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await;
        let Ok(r) = r else { return };
        if r.status() != StatusCode::OK {
            return;
        }
        let Ok(v) = r.json::<serde_json::Value>().await else {
            return;
        };
        acked.lock().unwrap().insert(
            source,
            (
                v["conversation_id"].as_u64().unwrap(),
                v["message_id"].as_u64().unwrap(),
            ),
        );
    }
}

/// Posts a provider's notification signed as Meta signs them (`X-Hub-Signature-256`).
pub async fn post_meta_signed(hook: &str, (body, sig): &(Vec<u8>, String)) -> StatusCode {
    reqwest::Client::new()
        .post(hook)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sig)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .status()
}

/// The conversations of one inbox (the admin's "all" view), newest first.
pub async fn inbox_conversations(api: &Api, inbox: u64) -> Vec<serde_json::Value> {
    let (s, v) = api.get("/api/v1/conversations?view=all").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["conversations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c["inbox_id"] == inbox)
        .collect()
}

/// The latest page of a conversation's messages.
pub async fn conversation_messages(api: &Api, conv: u64) -> Vec<serde_json::Value> {
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    page["messages"].as_array().cloned().unwrap_or_default()
}

/// Meta's subscription handshake on `hook`: the right verify token gets the challenge
/// back as the body, a wrong one 403.
pub async fn assert_meta_handshake(hook: &str, verify_token: &str, challenge: &str) {
    let http = reqwest::Client::new();
    let query = |token: &str| {
        serde_urlencoded::to_string([
            ("hub.mode", "subscribe"),
            ("hub.challenge", challenge),
            ("hub.verify_token", token),
        ])
        .unwrap()
    };
    let ok = http
        .get(format!("{hook}?{}", query(verify_token)))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), challenge);
    let wrong = http
        .get(format!("{hook}?{}", query("guess")))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
}

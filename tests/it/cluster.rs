//! Three Charla processes (the real binary) on one PostgreSQL and one NATS server, all
//! started by the test, behind a small round-robin TCP proxy, as a load balancer would
//! put them: live events, webhook deliveries and website chat cross nodes; a SIGKILLed
//! node loses no acknowledged message, and its outbox and mailbox watcher move to
//! another node within the lease period.

use super::common::*;
use super::postgres::pg_server::PgServer;
use super::webhook::{deliveries, start_receiver};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const LEASE_SECONDS: u64 = 3;
const SITE: &str = "http://shop.localhost:8123";
const BIN: &str = env!("CARGO_BIN_EXE_charla");

/// One node's configuration file: the shared database, bus and signing key.
fn node_config(dir: &Path, db: &str, nats: &str, id: &str) -> PathBuf {
    let path = dir.join(format!("{id}.toml"));
    std::fs::write(
        &path,
        format!(
            "[storage]\nengine = \"postgres\"\nurl = \"{db}\"\npool_size = 4\n\
             [cluster]\nnats_url = \"{nats}\"\nnode_id = \"{id}\"\nlease_seconds = {LEASE_SECONDS}\nmax_staleness_seconds = 2\n\
             [security]\nsecret_key = \"{}\"\n[outbound]\nallow_private = true\n",
            "k".repeat(40)
        ),
    )
    .unwrap();
    path
}

/// `charla --config CFG --data DATA <args>` with `stdin`; its stdout.
fn cli(config: &Path, data: &Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut c = std::process::Command::new(BIN)
        .arg("--config")
        .arg(config)
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _ = c.stdin.take().unwrap().write_all(stdin.as_bytes());
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// The nodes, by name, and where each one listens.
struct Nodes {
    names: Vec<String>,
    servers: Vec<Option<Server>>,
    /// `host:port` of each node; the proxy skips the ones that refuse connections.
    addrs: Arc<Mutex<Vec<String>>>,
}

impl Nodes {
    fn url(&self, name: &str) -> String {
        let i = self.names.iter().position(|n| n == name).unwrap();
        self.servers[i]
            .as_ref()
            .expect("a running node")
            .url
            .clone()
    }

    /// SIGKILL: no flush, no goodbye, no lease given back.
    fn kill(&mut self, name: &str) {
        let i = self.names.iter().position(|n| n == name).unwrap();
        let mut s = self.servers[i].take().unwrap();
        s.child.kill().unwrap();
        s.child.wait().unwrap();
    }
}

/// A round-robin TCP proxy in front of the nodes; returns its URL. A node that refuses
/// the connection (killed) is skipped, as a load balancer's health check would.
async fn proxy(addrs: Arc<Mutex<Vec<String>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let (addrs, next) = (addrs.lock().unwrap().clone(), next.clone());
            tokio::spawn(async move {
                for _ in 0..addrs.len() {
                    let a = &addrs[next.fetch_add(1, Ordering::Relaxed) % addrs.len()];
                    if let Ok(mut out) = tokio::net::TcpStream::connect(a).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                        return;
                    }
                }
            });
        }
    });
    url
}

async fn wait_until(what: &str, limit: Duration, mut f: impl AsyncFnMut() -> bool) -> Duration {
    let t0 = Instant::now();
    while !f().await {
        assert!(t0.elapsed() < limit, "timed out after {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    t0.elapsed()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next widget frame of type `ty` (others skipped), within 10 s.
async fn frame(ws: &mut Ws, ty: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no {ty} frame within 10 s"))
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["type"] == ty {
                return v;
            }
        }
    }
}

/// Who holds lease `name` now, read from the shared database as any node would.
fn holder(store: &charla::store::Store, name: &str) -> Option<String> {
    let l = store.lease(name).unwrap()?;
    let now = charla::domain::Clock::now(&charla::domain::SystemClock);
    l.held(now).then_some(l.holder)
}

/// An inbound mail from `who` (its own conversation).
fn mail(who: &str) -> Vec<u8> {
    format!(
        "From: {who} <{who}@example.com>\r\nTo: support@shop.example\r\nSubject: Hello from {who}\r\nMessage-ID: <{who}@example.com>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nMail from {who}.\r\n"
    )
    .into_bytes()
}

/// Whether a conversation from `who` exists in `inbox`.
async fn has_mail_from(api: &Api, inbox: u64, who: &str) -> bool {
    let (_, v) = api.get("/api/v1/conversations?view=all").await;
    v["conversations"].as_array().is_some_and(|a| {
        a.iter()
            .any(|c| c["inbox_id"] == inbox && c["contact"]["name"] == who)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL, NATS and dovecot; run ./scripts/test (it installs them)"]
async fn three_nodes_behind_a_proxy_serve_one_inbox_and_survive_a_sigkill() {
    crypto();
    let pg = PgServer::start();
    let db = pg.fresh_database();
    let nats = Nats::start();
    let dovecot = super::mail_servers::Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = ["node-a", "node-b", "node-c"].map(String::from).to_vec();
    let configs: Vec<PathBuf> = names
        .iter()
        .map(|n| node_config(dir.path(), &db, &nats.url, n))
        .collect();
    let data: Vec<PathBuf> = names.iter().map(|n| dir.path().join(n)).collect();
    // Provisioning from the command line, against the shared database.
    cli(
        &configs[0],
        &data[0],
        &[
            "admin",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--name",
            "Ana López",
            "--password-stdin",
        ],
        &format!("{ADMIN_PASSWORD}\n"),
    );
    let token = cli(
        &configs[0],
        &data[0],
        &[
            "admin",
            "token",
            "--email",
            ADMIN_EMAIL,
            "--label",
            "cluster",
        ],
        "",
    );
    let start = |i: usize| {
        Some(Server::start_with(
            &data[i],
            &["--config", configs[i].to_str().unwrap()],
        ))
    };
    // Node A first, alone: it takes the outbox and, once an email inbox exists, its
    // mailbox, so that killing it later moves both.
    let mut servers: Vec<Option<Server>> = vec![start(0)];
    let first_url = servers[0].as_ref().unwrap().url.clone();
    let api = |base: &str| Api::with_token(base, &token);
    let (s, e) = api(&first_url)
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support mail", "channel": "email", "email": {
                "imap": {"host": "127.0.0.1", "port": dovecot.port(), "security": "none", "username": "support", "password": "secret", "folder": "INBOX"},
                "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
                "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600
            }}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let mail_inbox = e["id"].as_u64().unwrap();
    dovecot.append("support", "INBOX", &mail("before")).await;
    wait_until("the first mail", Duration::from_secs(20), async || {
        has_mail_from(&api(&first_url), mail_inbox, "before").await
    })
    .await;
    servers.push(start(1));
    servers.push(start(2));
    let addrs = servers
        .iter()
        .map(|s| {
            s.as_ref()
                .unwrap()
                .url
                .trim_start_matches("http://")
                .to_string()
        })
        .collect();
    let mut nodes = Nodes {
        names: names.clone(),
        servers,
        addrs: Arc::new(Mutex::new(addrs)),
    };
    let lb = proxy(nodes.addrs.clone()).await;
    let (a, b, c) = (
        nodes.url("node-a"),
        nodes.url("node-b"),
        nodes.url("node-c"),
    );
    // The test's own view of the shared database (read-only use: leases).
    let view = charla::store::Store::open(&charla::store::StoreOptions {
        path: dir.path().join("observer"),
        cache_capacity: 8 << 20,
        flush_every_ms: None,
        engine: charla::store::EngineChoice::Postgres {
            url: db.clone(),
            pool_size: 1,
        },
    })
    .unwrap();

    // An API inbox with a webhook, created through the load balancer.
    let (hook, rx, hook_handle) = start_receiver(vec![]).await;
    let (inbox, inbox_token) = api(&lb).inbox("Partner API", &[], Some(&hook)).await;

    // 1. A message posted through node A reaches an agent's live page on node C
    //    within a second.
    let agent_c = Client::new(&c);
    agent_c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut stream = agent_c
        .http
        .get(format!("{c}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    // The stream is open before the message is posted.
    read_sse(&mut stream, 300, "\u{0}").await;
    let t0 = Instant::now();
    let (s, v) = incoming(
        &a,
        inbox,
        &inbox_token,
        json!({"source_id": "cross-1", "contact": {"identifier": "cust-1", "name": "Carmen"}, "content": "¿Dónde está mi pedido?"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let conv = v["conversation_id"].as_u64().unwrap();
    let seen = read_sse(&mut stream, 1000, &format!("conv-{conv}")).await;
    let crossed = t0.elapsed();
    assert!(
        seen.contains(&format!("conv-{conv}")),
        "node C's live page did not hear of the message posted on node A within 1 s: {seen:?}"
    );
    drop(stream);

    // 2. A reply sent on node B reaches the webhook exactly once.
    let first = reply(&api(&b), conv, "Sale hoy mismo.").await;
    wait_until("the reply's webhook", Duration::from_secs(10), async || {
        deliveries(&rx).contains_key(&first)
    })
    .await;

    // 3. A website visitor on node A gets an agent's reply sent through node C.
    let (s, w) = api(&lb)
        .post(
            "/api/v1/inboxes",
            json!({"name": "Website", "channel": "website", "website": {"allowed_origins": [SITE]}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let key = w["snippet"]
        .as_str()
        .unwrap()
        .split("data-charla-inbox=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let mut req = format!(
        "{}/widget/v1/{key}/socket",
        a.replacen("http://", "ws://", 1)
    )
    .into_client_request()
    .unwrap();
    req.headers_mut().insert("Origin", SITE.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let send =
        async |ws: &mut Ws, v: Value| ws.send(Message::Text(v.to_string().into())).await.unwrap();
    send(&mut ws, json!({"type": "hello", "token": null, "cursor": null, "identity": null, "page": {"url": SITE, "title": "Shop"}})).await;
    frame(&mut ws, "welcome").await;
    send(
        &mut ws,
        json!({"type": "send", "client_id": "v-1", "content": "¿Tenéis la talla M?"}),
    )
    .await;
    frame(&mut ws, "ack").await;
    let (_, list) = api(&c).get("/api/v1/conversations?view=all").await;
    let chat = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["inbox_id"] == w["id"])
        .expect("the visitor's conversation, seen from node C")["id"]
        .as_u64()
        .unwrap();
    reply(&api(&c), chat, "Sí, quedan tres.").await;
    let m = frame(&mut ws, "message").await;
    assert_eq!(m["message"]["content"], "Sí, quedan tres.", "{m}");
    drop(ws);

    // 4. SIGKILL the node that holds the outbox while 8 clients post through the
    //    proxy: every acknowledged message is there exactly once, and the outbox and
    //    the mailbox move to the nodes left within the lease period.
    let victim = holder(&view, "outbox").expect("an outbox holder");
    assert_eq!(victim, "node-a", "the first node took the outbox");
    assert_eq!(
        holder(&view, &format!("mail:{mail_inbox}")).as_deref(),
        Some("node-a"),
        "and the mailbox"
    );
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let posting: Vec<_> = (0..8)
        .map(|w| {
            let (lb, token, acked) = (lb.clone(), inbox_token.clone(), acked.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                for i in 0..60 {
                    let source = format!("load-{w}-{i}");
                    let r = client
                        .post(format!("{lb}/api/v1/inboxes/{inbox}/incoming"))
                        .bearer_auth(&token)
                        .json(&json!({"source_id": source, "contact": {"identifier": format!("load-{}", i % 10)}, "content": format!("message {source}")}))
                        .send()
                        .await;
                    // A connection cut by the kill is not acknowledged: the client
                    // goes on, as a real integration retries.
                    let Ok(r) = r else { continue };
                    if r.status() != StatusCode::OK {
                        continue;
                    }
                    let v: Value = r.json().await.unwrap();
                    acked.lock().unwrap().insert(
                        source,
                        (
                            v["conversation_id"].as_u64().unwrap(),
                            v["message_id"].as_u64().unwrap(),
                        ),
                    );
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    nodes.kill(&victim);
    let killed_at = Instant::now();
    let survivor = names.iter().find(|n| **n != victim).unwrap().clone();
    let survivor_url = nodes.url(&survivor);
    // The outbox: a reply posted right after the kill is delivered by a node still
    // alive, within a lease period (plus the sender's one-second poll).
    let after = reply(&api(&survivor_url), conv, "Ya está en camino.").await;
    let took = wait_until(
        "a reply's webhook after the outbox's node was killed",
        Duration::from_secs(LEASE_SECONDS + 5),
        async || deliveries(&rx).contains_key(&after),
    )
    .await;
    let outbox_moved = killed_at.elapsed();
    for p in posting {
        p.await.unwrap();
    }
    let new_holder = holder(&view, "outbox").expect("the outbox is held again");
    assert_ne!(new_holder, victim);
    // The mailbox: mail that arrives now is stored by a node still alive.
    dovecot.append("support", "INBOX", &mail("after")).await;
    wait_until(
        "mail arriving after the kill",
        Duration::from_secs(LEASE_SECONDS + 10),
        async || has_mail_from(&api(&survivor_url), mail_inbox, "after").await,
    )
    .await;
    let mail_holder = holder(&view, &format!("mail:{mail_inbox}")).expect("the mailbox is held");
    assert_ne!(mail_holder, victim);

    // Every acknowledged message exactly once, asked through the proxy.
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 100, "too few acknowledged: {}", acked.len());
    assert_stored_once(&lb, inbox, &inbox_token, &api(&lb), &acked).await;
    // Every reply delivered exactly once, across the kill too.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let d = deliveries(&rx);
    assert_eq!(d.get(&first), Some(&1), "{d:?}");
    assert_eq!(d.get(&after), Some(&1), "{d:?}");
    assert!(
        d.values().all(|&n| n == 1),
        "a webhook was sent twice: {d:?}"
    );
    println!(
        "three nodes: live event A -> C in {crossed:?}; {} messages acknowledged through the proxy across a SIGKILL of {victim}, all present once; outbox moved to {new_holder} and delivered a reply posted right after the kill {took:?} later ({outbox_moved:?} after the kill); mailbox now watched by {mail_holder}",
        acked.len()
    );
    hook_handle.stop(true).await;
}

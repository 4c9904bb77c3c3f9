//! Several nodes on one PostgreSQL: the outbox runs on exactly one node, the holder of
//! the `outbox` lease. Two real app instances in this process share a real PostgreSQL
//! database in cluster mode (a real nats-server's URL in `[cluster]`); replies posted
//! through either are delivered to a real webhook receiver exactly once; when the
//! holder stops, the other node takes the outbox over within a lease period; when the
//! lease is taken from the holder (a node that then dies holding it), it stops sending
//! and takes over again once that lease expires.

use super::common::*;
use super::postgres::pg_server::PgServer;
use super::webhook::{deliveries, start_receiver};
use charla::app::{Running, StartOptions};
use charla::config::{Config, Secret};
use reqwest::StatusCode;
use serde_json::json;

use std::sync::Arc;
use std::time::{Duration, Instant};

const LEASE_SECONDS: u64 = 3;

/// A node's configuration: its own data directory, the shared database and bus.
fn node_config(dir: &std::path::Path, db: &str, nats: &str, id: &str) -> Config {
    let mut cfg = test_config(dir);
    cfg.storage.engine = "postgres".into();
    cfg.storage.url = Some(Secret::new(db.to_string()));
    cfg.cluster.nats_url = Some(nats.to_string());
    cfg.cluster.node_id = id.into();
    cfg.cluster.lease_seconds = LEASE_SECONDS;
    // Every node of an installation shares the signing key.
    cfg.security.secret_key = Some(Secret::new("k".repeat(40)));
    cfg
}

async fn start_node(cfg: &Config) -> Running {
    crypto();
    charla::app::start(
        cfg,
        StartOptions {
            // Leases expire by the clock: a real one here.
            clock: Arc::new(charla::domain::SystemClock),
            handle_signals: false,
        },
    )
    .await
    .unwrap()
}

async fn wait_until(what: &str, limit: Duration, f: impl Fn() -> bool) -> Duration {
    let t0 = Instant::now();
    while !f() {
        assert!(
            t0.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    t0.elapsed()
}

fn holder(node: &Running) -> Option<(String, u64)> {
    let l = node.services.store.lease("outbox").unwrap()?;
    let now = charla::domain::Clock::now(&charla::domain::SystemClock);
    l.held(now).then_some((l.holder, l.token))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
async fn two_nodes_deliver_each_reply_once_and_the_outbox_moves_when_its_node_goes() {
    let pg = PgServer::start();
    let db = pg.fresh_database();
    let nats = Nats::start();
    let (hook, rx, hook_handle) = start_receiver(vec![]).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    let a = start_node(&node_config(dir_a.path(), &db, &nats.url, "node-a")).await;
    let url_a = format!("http://{}", a.addr);
    let admin = Client::new(&url_a);
    let r = admin
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
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let api_a = Api::for_client(&admin).await;
    let (inbox, token) = api_a.inbox("Shop", &[], Some(&hook)).await;
    // Node b starts once the inbox exists (its caches would learn it from the bus).
    let b = start_node(&node_config(dir_b.path(), &db, &nats.url, "node-b")).await;
    let url_b = format!("http://{}", b.addr);
    let api_b = Api::with_token(&url_b, &api_a.token);
    let (s, first) = incoming(
        &url_b,
        inbox,
        &token,
        json!({"contact": {"identifier": "c-1", "name": "Carla"}, "content": "hola"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let conv = first["conversation_id"].as_u64().unwrap();

    // Exactly one node holds the outbox; the one started first got it.
    wait_until("a holder of the outbox", Duration::from_secs(5), || {
        holder(&a).is_some()
    })
    .await;
    let (first_holder, first_token) = holder(&a).unwrap();
    assert_eq!(first_holder, "node-a");

    // Replies through both nodes: each delivered exactly once, by the holder.
    let mut sent = Vec::new();
    for i in 0..8 {
        let api = if i % 2 == 0 { &api_a } else { &api_b };
        sent.push(reply(api, conv, &format!("reply {i}")).await);
    }
    wait_until("8 deliveries", Duration::from_secs(15), || {
        deliveries(&rx).len() == 8
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // a second poll by either node
    let got = deliveries(&rx);
    for id in &sent {
        assert_eq!(
            got.get(id),
            Some(&1),
            "message {id} delivered once: {got:?}"
        );
    }
    assert_eq!(got.len(), sent.len());
    for id in &sent {
        wait_status(&api_b, conv, *id, "sent").await;
    }

    // The holder stops (gracefully: it gives the lease back). Replies posted through
    // the other node meanwhile are delivered by it, once, within a lease period.
    let stopped_at = Instant::now();
    a.stop().await.unwrap();
    let mut later = Vec::new();
    for i in 0..4 {
        later.push(reply(&api_b, conv, &format!("after the stop {i}")).await);
    }
    wait_until(
        "node b to hold the outbox",
        Duration::from_secs(LEASE_SECONDS),
        || holder(&b).is_some_and(|(n, _)| n == "node-b"),
    )
    .await;
    eprintln!(
        "node b held the outbox {:?} after node a began stopping",
        stopped_at.elapsed()
    );
    for id in &later {
        wait_status(&api_b, conv, *id, "sent").await;
    }
    let (_, b_token) = holder(&b).unwrap();
    assert!(b_token > first_token, "a new holder, a new token");
    wait_until(
        "the replies left after the stop",
        Duration::from_secs(LEASE_SECONDS + 5),
        || later.iter().all(|id| deliveries(&rx).contains_key(id)),
    )
    .await;

    // Another node takes the lease from b (here by hand: b's holding is ended behind
    // its back) and dies holding it. b learns it at its next renewal (within a third of
    // a period) and stops sending; nobody sends while the dead node's lease runs; then
    // b takes over with a greater token and delivers what was left, still once each.
    let store = b.services.store.clone();
    assert!(store.release_lease("outbox", "node-b", b_token).unwrap());
    let dead_period = Duration::from_secs(2 * LEASE_SECONDS);
    let now = charla::domain::Clock::now(&charla::domain::SystemClock);
    let ghost = store
        .claim_lease("outbox", "node-dead", now, dead_period)
        .unwrap()
        .expect("the released lease is free");
    assert!(ghost > b_token);
    let ghost_from = Instant::now();
    tokio::time::sleep(Duration::from_millis(LEASE_SECONDS * 1000 / 3 + 500)).await;
    let mut orphans = Vec::new();
    for i in 0..3 {
        orphans.push(reply(&api_b, conv, &format!("while a dead node holds it {i}")).await);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(ghost_from.elapsed() < dead_period);
    assert!(
        orphans.iter().all(|id| !deliveries(&rx).contains_key(id)),
        "only the lease holder sends"
    );
    assert_eq!(holder(&b).map(|(n, _)| n).as_deref(), Some("node-dead"));
    wait_until(
        "node b to take the outbox back",
        dead_period + Duration::from_secs(LEASE_SECONDS),
        || holder(&b).is_some_and(|(n, _)| n == "node-b"),
    )
    .await;
    let since = ghost_from.elapsed();
    assert!(
        since <= dead_period + Duration::from_millis(LEASE_SECONDS * 1000 / 3 + 700),
        "taken over {since:?} after the dead node's claim (its lease: {dead_period:?})"
    );
    let (_, b_again) = holder(&b).unwrap();
    assert!(b_again > ghost, "the takeover got the next token");
    wait_until("the dead node's replies", Duration::from_secs(10), || {
        orphans.iter().all(|id| deliveries(&rx).contains_key(id))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = deliveries(&rx);
    for id in sent.iter().chain(&later).chain(&orphans) {
        assert_eq!(
            got.get(id),
            Some(&1),
            "message {id} delivered once: {got:?}"
        );
    }
    assert_eq!(got.len(), sent.len() + later.len() + orphans.len());
    for id in later.iter().chain(&orphans) {
        wait_status(&api_b, conv, *id, "sent").await;
    }

    // Stopping gives the lease back: free at once, not after its period.
    drop(store);
    b.stop().await.unwrap();
    let check = tempfile::tempdir().unwrap();
    let store = charla::store::Store::open(&charla::store::StoreOptions {
        path: check.path().to_path_buf(),
        cache_capacity: 8 << 20,
        flush_every_ms: None,
        engine: charla::store::EngineChoice::Postgres {
            url: db.clone(),
            pool_size: 1,
        },
    })
    .unwrap();
    let l = store.lease("outbox").unwrap().unwrap();
    let now = charla::domain::Clock::now(&charla::domain::SystemClock);
    assert!(!l.held(now), "released on stop: {l:?}");
    assert_eq!(
        l.token, b_again,
        "the token stays for the next holder to pass"
    );
    hook_handle.stop(true).await;
}

/// A mail from `who` (a distinct sender per mail, so each starts its own conversation).
fn mail(who: &str) -> Vec<u8> {
    format!(
        "From: {who} <{who}@example.com>\r\nTo: support@shop.example\r\nSubject: Hello from {who}\r\nMessage-ID: <{who}@example.com>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nMail from {who}.\r\n"
    )
    .into_bytes()
}

/// The senders of every message stored in `inbox`, once per message.
async fn senders(api: &Api, inbox: u64) -> Vec<String> {
    let (_, v) = api.get("/api/v1/conversations?view=all").await;
    let mut out = Vec::new();
    for c in v["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["inbox_id"] == inbox)
    {
        let id = c["id"].as_u64().unwrap();
        let (_, page) = api.get(&format!("/api/v1/conversations/{id}")).await;
        for _ in page["messages"].as_array().unwrap() {
            out.push(c["contact"]["name"].as_str().unwrap().to_string());
        }
    }
    out.sort();
    out
}

fn mail_holder(node: &Running, inbox: u64) -> Option<String> {
    let l = node
        .services
        .store
        .lease(&format!("mail:{inbox}"))
        .unwrap()?;
    let now = charla::domain::Clock::now(&charla::domain::SystemClock);
    l.held(now).then_some(l.holder)
}

/// Each mailbox is watched by one node, the holder of its `mail:<inbox>` lease: every
/// mail is stored once; when that node stops, another node watches the mailbox within
/// a lease period and stores what arrives, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL and dovecot; run ./scripts/test (it installs them)"]
async fn each_mailbox_is_watched_by_one_node_and_moves_when_its_node_goes() {
    let pg = PgServer::start();
    let db = pg.fresh_database();
    let nats = Nats::start();
    let dovecot = super::mail_servers::Dovecot::start();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = start_node(&node_config(dir_a.path(), &db, &nats.url, "node-a")).await;
    let url_a = format!("http://{}", a.addr);
    let admin = Client::new(&url_a);
    let r = admin
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
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let api_a = Api::for_client(&admin).await;
    let mut inboxes = Vec::new();
    for user in ["sales", "support"] {
        let (s, v) = api_a
            .post(
                "/api/v1/inboxes",
                json!({"name": user, "channel": "email", "member_ids": [], "email": {
                    "imap": {"host": "127.0.0.1", "port": dovecot.port(), "security": "none", "username": user, "password": "secret", "folder": "INBOX"},
                    "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
                    "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600
                }}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        inboxes.push((user, v["id"].as_u64().unwrap()));
    }
    let b = start_node(&node_config(dir_b.path(), &db, &nats.url, "node-b")).await;
    for (user, _) in &inboxes {
        for who in ["ana", "bea"] {
            dovecot
                .append(user, "INBOX", &mail(&format!("{user}-{who}")))
                .await;
        }
    }
    for (user, id) in &inboxes {
        let want = vec![format!("{user}-ana"), format!("{user}-bea")];
        let t0 = Instant::now();
        while senders(&api_a, *id).await != want {
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "{user}: {:?}",
                senders(&api_a, *id).await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // One holder, seen alike from both nodes.
        let h = mail_holder(&a, *id).expect("a holder");
        assert_eq!(mail_holder(&b, *id), Some(h.clone()));
    }
    // The node watching the first mailbox stops: the other watches both within a
    // lease period.
    let (a, b) = if mail_holder(&a, inboxes[0].1).as_deref() == Some("node-a") {
        (a, b)
    } else {
        (b, a)
    };
    let survivor = b.services.node.id.clone();
    a.stop().await.unwrap();
    for (_, id) in &inboxes {
        wait_until(
            "node b to watch the mailbox",
            Duration::from_secs(LEASE_SECONDS + 1),
            || mail_holder(&b, *id).as_deref() == Some(survivor.as_str()),
        )
        .await;
    }
    let api_b = Api::with_token(&format!("http://{}", b.addr), &api_a.token);
    for (user, id) in &inboxes {
        dovecot
            .append(user, "INBOX", &mail(&format!("{user}-cruz")))
            .await;
        let want = vec![
            format!("{user}-ana"),
            format!("{user}-bea"),
            format!("{user}-cruz"),
        ];
        let t0 = Instant::now();
        while senders(&api_b, *id).await != want {
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "{user}: {:?}",
                senders(&api_b, *id).await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // Nothing stored twice, however long one waits.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (user, id) in &inboxes {
        assert_eq!(senders(&api_b, *id).await.len(), 3, "{user}");
    }
    b.stop().await.unwrap();
}

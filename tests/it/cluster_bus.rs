//! Two nodes in one process on one PostgreSQL database and one real NATS server (both
//! started by the test): live events, presence and cache invalidations cross the bus,
//! and without the bus the directory still catches up within `max_staleness_seconds`.

use super::common::*;
use super::postgres::pg_server;
use charla::config::Secret;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// A node of the cluster: PostgreSQL at `db`, the bus at `nats`.
async fn node(db: &str, nats: &str, id: &str) -> TestApp {
    let (db, nats, id) = (db.to_string(), nats.to_string(), id.to_string());
    TestApp::start_with(move |c| {
        c.storage.engine = "postgres".into();
        c.storage.url = Some(Secret::new(db));
        c.cluster.nats_url = Some(nats);
        c.cluster.node_id = id;
        c.cluster.max_staleness_seconds = 2;
        // Every node signs with the same key (as a real installation configures).
        c.security.secret_key = Some(Secret::new("k".repeat(40)));
    })
    .await
}

/// Polls `f` every 20 ms for up to `within`; returns how long it took to hold.
async fn eventually(within: Duration, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let t0 = Instant::now();
    loop {
        if f() {
            return Some(t0.elapsed());
        }
        if t0.elapsed() > within {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs NATS; run ./scripts/test (it installs it)"]
async fn events_presence_and_caches_cross_nodes_and_the_directory_catches_up_without_the_bus() {
    let pg = pg_server::PgServer::start();
    let db = pg.fresh_database();
    let mut nats = Nats::start();
    let a = node(&db, &nats.url, "node-a").await;
    let b = node(&db, &nats.url, "node-b").await;

    // Setup and an inbox on A; B shows no setup page (another node did it).
    let admin = a.admin().await;
    let api_a = Api::for_client(&admin).await;
    let (inbox, token) = api_a.inbox("Shop API", &[], None).await;
    let on_b = Client {
        base: b.url.clone(),
        http: admin.http.clone(),
    };
    let r = on_b.get("/setup").await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "setup done on A counts on B"
    );
    let bs = b.services();
    let me = bs.directory().agents[0].id;
    assert!(
        eventually(Duration::from_secs(1), || bs
            .directory()
            .inbox(charla::domain::InboxId(inbox))
            .is_some())
        .await
        .is_some(),
        "the inbox made on A is in B's directory"
    );

    // The admin's live page on B; a message posted through A reaches it within 1 s.
    let mut stream = on_b
        .http
        .get(format!("{}/events", b.url))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let hello = read_sse(&mut stream, 1000, ": connected").await;
    assert!(hello.contains(": connected"), "{hello}");
    let t0 = Instant::now();
    let (s, posted) = incoming(
        &a.url,
        inbox,
        &token,
        json!({"source_id": "m-1", "contact": {"identifier": "c-1", "name": "Lucía Ferrer"}, "content": "¿Abrís el domingo?"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{posted}");
    let conv = posted["conversation_id"].as_u64().unwrap();
    let want = format!("event: conv-{conv}");
    let seen = read_sse(&mut stream, 1000, &want).await;
    assert!(
        seen.contains(&want) && seen.contains("event: list"),
        "B's stream got the event of A's message: {seen:?}"
    );
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());

    // Presence: the page on B counts on A, and going away too.
    let as_ = a.services();
    assert!(
        eventually(Duration::from_secs(1), || as_.live.is_online(me))
            .await
            .is_some(),
        "an agent with a live page on B is online for A"
    );
    assert_eq!(as_.live.online(), vec![me]);
    // Signing out on A ends the stream on B (`Access` crosses the bus; the session is
    // read from the store), and the agent goes offline on A.
    let r = admin.submit("/", "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let t0 = Instant::now();
    while stream.chunk().await.ok().flatten().is_some() {
        assert!(
            t0.elapsed() < Duration::from_secs(2),
            "B's stream outlived the session"
        );
    }
    assert!(
        eventually(Duration::from_secs(1), || !as_.live.is_online(me))
            .await
            .is_some(),
        "the page closed on B takes the agent offline on A"
    );
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // And the other way round, seen on B's presence fragment.
    let mut on_a = admin
        .http
        .get(format!("{}/events", a.url))
        .send()
        .await
        .unwrap();
    assert!(
        read_sse(&mut on_a, 1000, ": connected")
            .await
            .contains(": connected")
    );
    assert!(
        eventually(Duration::from_secs(1), || bs.live.is_online(me))
            .await
            .is_some(),
        "an agent with a live page on A is online for B"
    );

    // Contacts made on A are found by search on B (the index is told by the bus).
    let api_b = Api::with_token(&b.url, &api_a.token);
    let (s, c) = api_a
        .post(
            "/api/v1/contacts",
            json!({"name": "Zuriñe Otxoa", "email": "zurine@example.com"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let mut found = serde_json::Value::Null;
    for _ in 0..50 {
        found = api_b.get("/api/v1/contacts?q=zuri").await.1;
        if found["contacts"][0]["name"] == "Zuriñe Otxoa" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(found["contacts"][0]["name"], "Zuriñe Otxoa", "{found}");

    // An admin change on A is in B's directory at once (through the bus).
    let (s, t) = api_a
        .post(
            "/api/v1/teams",
            json!({"name": "Ventas", "member_ids": [me.0]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let team = charla::domain::TeamId(t["id"].as_u64().unwrap());
    let (s, _) = api_a
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/teams/{}", team.0),
            Some(json!({"name": "Ventas y soporte"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let took = eventually(Duration::from_secs(1), || {
        bs.directory()
            .team(team)
            .is_some_and(|t| t.name == "Ventas y soporte")
    })
    .await;
    assert!(took.is_some(), "B sees the renamed team within a second");

    // Without the bus: B still sees a directory change within max_staleness_seconds
    // (2 s here), from the store's directory version.
    nats.kill();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (s, _) = api_a
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/teams/{}", team.0),
            Some(json!({"name": "Soporte"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let took = eventually(Duration::from_secs(4), || {
        bs.directory()
            .team(team)
            .is_some_and(|t| t.name == "Soporte")
    })
    .await;
    assert!(
        took.is_some_and(|d| d <= Duration::from_millis(2_500)),
        "B caught up within the staleness bound: {took:?}"
    );
    // A's page no longer counts on B once A is not heard from (3 heartbeats).
    assert!(
        eventually(Duration::from_secs(10), || !bs.live.is_online(me))
            .await
            .is_some(),
        "a node not heard from is forgotten"
    );

    // A contact made on A while the bus is down, then the bus comes back on the same
    // address: B's index has the contact (resync from the store), and A's events reach
    // B's live page again once both have reconnected.
    let (s, c) = api_a
        .post(
            "/api/v1/contacts",
            json!({"name": "Iñaki Goñi", "email": "inaki@example.com"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let port: u16 = nats.url.rsplit(':').next().unwrap().parse().unwrap();
    let _nats = Nats::start_on(port);
    let mut stream = on_b
        .http
        .get(format!("{}/events", b.url))
        .send()
        .await
        .unwrap();
    assert!(
        read_sse(&mut stream, 1000, ": connected")
            .await
            .contains(": connected")
    );
    let t0 = Instant::now();
    let mut n = 0;
    let seen = loop {
        n += 1;
        let (s, posted) = incoming(
            &a.url,
            inbox,
            &token,
            json!({"source_id": format!("later-{n}"), "contact": {"identifier": "c-1"}, "content": "¿Seguís ahí?"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{posted}");
        // Resyncs while the bus is down send `list 0`; wait for this message's event.
        let want = format!("event: conv-{conv}");
        let seen = read_sse(&mut stream, 500, &want).await;
        if seen.contains(&want) {
            break seen;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "A's events never reached B again: {seen:?}"
        );
    };
    assert!(seen.contains("event: list"), "{seen}");
    let (_, found) = api_b.get("/api/v1/contacts?q=goñi").await;
    assert_eq!(found["contacts"][0]["name"], "Iñaki Goñi", "{found}");

    drop((on_a, stream, as_, bs));
    a.stop().await;
    b.stop().await;
}

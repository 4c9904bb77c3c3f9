//! On a network engine no store call runs on an async web worker: a request stuck on a
//! PostgreSQL lock waits on the blocking pool, and the worker it came in on keeps
//! answering every other connection (see `Services::blocking`).

use super::common::*;
use super::postgres::pg_server;
use charla::config::Secret;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// The keyspace every signed-in request reads first (the session behind the cookie).
const SESSIONS: &str = "charla_kv_sessionhash_session";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
async fn a_request_waiting_on_postgresql_leaves_its_worker_free() {
    let pg = pg_server::PgServer::start();
    let url = pg.fresh_database();
    let app = TestApp::start_with(|c| {
        c.storage.engine = "postgres".into();
        c.storage.url = Some(Secret::new(url.clone()));
        // One web worker: whatever blocks its thread holds up every connection.
        c.server.workers = 1;
    })
    .await;
    let admin = app.admin().await;
    let (s, _) = admin.get_text("/").await;
    assert_eq!(s, StatusCode::OK, "the inbox page answers before the lock");

    // Another connection takes the sessions' table: every signed-in request now waits.
    let (locker, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    locker
        .batch_execute(&format!(
            "BEGIN; LOCK TABLE {SESSIONS} IN ACCESS EXCLUSIVE MODE"
        ))
        .await
        .unwrap();
    let page = {
        let c = Client {
            base: admin.base.clone(),
            http: admin.http.clone(),
        };
        tokio::spawn(async move { c.get_text("/").await })
    };
    // Until PostgreSQL shows the page's read queued behind the lock.
    let waiting = format!(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
         WHERE c.relname = '{SESSIONS}' AND NOT l.granted"
    );
    let queued = Instant::now();
    loop {
        let n: i64 = locker.query_one(&waiting, &[]).await.unwrap().get(0);
        if n > 0 {
            break;
        }
        assert!(
            queued.elapsed() < Duration::from_secs(10),
            "the page's session read never reached the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Meanwhile the same single worker answers a store read of another table and a
    // static file, at once.
    let other = app.client();
    let asked = Instant::now();
    let health = tokio::time::timeout(Duration::from_secs(3), other.get_text("/healthz")).await;
    let asset = tokio::time::timeout(
        Duration::from_secs(3),
        other.get_text("/static/css/app.css"),
    )
    .await;
    let took = asked.elapsed();
    let page_was_waiting = !page.is_finished();
    // Released before any assertion, so that a failure never leaves the page hanging.
    locker.batch_execute("COMMIT").await.unwrap();

    let (s, body) = health.expect("/healthz did not answer while another request waited on PostgreSQL: the worker thread was blocked");
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = asset.expect("a static file did not answer while another request waited on PostgreSQL: the worker thread was blocked");
    assert_eq!(s, StatusCode::OK);
    assert!(
        took < Duration::from_secs(2),
        "other requests took {took:?}"
    );
    assert!(page_was_waiting, "the page did not wait for the lock");

    // Once the lock is gone, the waiting page completes.
    let (s, body) = tokio::time::timeout(Duration::from_secs(10), page)
        .await
        .expect("the page never completed after the lock was released")
        .unwrap();
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("Inbox"), "{body}");
    app.stop().await;
}

use super::super::pg_test_server::PgServer;
use super::super::{Engine, Range, contract};
use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};

fn open(url: &str) -> Engine {
    Engine::open_postgres(url, contract::KEYSPACES, 4).unwrap()
}

#[test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
fn postgres_keeps_the_engine_contract() {
    let pg = PgServer::start();
    let url = pg.fresh_database();
    let e = open(&url);
    contract::run(&e);
    e.insert(0, b"kept", b"yes").unwrap();
    assert!(e.size_on_disk().unwrap() > 0);
    drop(e);
    // Opening again finds the tables and the data.
    let e = open(&url);
    assert_eq!(e.get(0, b"kept").unwrap().as_deref(), Some(&b"yes"[..]));
}

#[test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
fn a_transaction_that_loses_a_conflict_runs_again() {
    let pg = PgServer::start();
    let e = open(&pg.fresh_database());
    e.insert(2, b"n", &[0]).unwrap();
    // Both first attempts read before either writes, so one of them must be rolled
    // back by the server and run again; no increment is lost.
    let met = Barrier::new(2);
    let runs = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let first = Mutex::new(true);
                e.transaction::<_, ()>(&[2], |tx| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    let n = tx.get(2, b"n")?.unwrap_or_default();
                    if std::mem::take(&mut *first.lock().unwrap()) {
                        met.wait();
                    }
                    tx.insert(2, b"n", &[n[0] + 1])?;
                    Ok(())
                })
                .unwrap();
            });
        }
    });
    assert_eq!(e.get(2, b"n").unwrap(), Some(vec![2]));
    assert_eq!(runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
async fn the_engine_can_be_called_inside_a_current_thread_runtime() {
    let pg = PgServer::start();
    // The server's default database, as this server serves no other test.
    let e = open(&pg.url());
    e.insert(0, b"a", b"1").unwrap();
    assert_eq!(e.get(0, b"a").unwrap().as_deref(), Some(&b"1"[..]));
    let old = e
        .transaction::<_, ()>(&[0, 1], |tx| Ok(tx.replace(0, b"a", b"2")?))
        .unwrap();
    assert_eq!(old.as_deref(), Some(&b"1"[..]));
    assert_eq!(e.scan(0, Range::all(), 1).count(), 1);
    e.durable().await.unwrap();
    // Dropped here, inside the runtime: must not panic.
    drop(e);
}

#[test]
fn an_unreachable_server_is_named_without_its_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://charla:s3cret-pw@127.0.0.1:{port}/inbox");
    let Err(err) = Engine::open_postgres(&url, contract::KEYSPACES, 2) else {
        panic!("opened a server that is not there");
    };
    let msg = err.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{port}/inbox")), "{msg}");
    assert!(msg.contains("cannot connect"), "{msg}");
    assert!(!msg.contains("s3cret"), "{msg}");
    let Err(err) = Engine::open_postgres("postgres://u:s3cret@h:x/db", &[], 1) else {
        panic!("accepted a bad URL");
    };
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[test]
fn keyspace_names_must_be_plain_table_names() {
    assert!(Table::new("convid_conversation").is_ok());
    for bad in ["", "Upper", "a-b", "x; DROP TABLE y", &"x".repeat(60)] {
        assert!(Table::new(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn pages_filter_by_bounds_and_order_by_direction() {
    let (sql, params) = page_query("t", &Bound::Unbounded, &Bound::Unbounded, false);
    assert_eq!(sql, "SELECT k, v FROM t ORDER BY k ASC LIMIT $1");
    assert!(params.is_empty());
    let (sql, params) = page_query(
        "t",
        &Bound::Excluded(vec![1]),
        &Bound::Included(vec![2]),
        true,
    );
    assert_eq!(
        sql,
        "SELECT k, v FROM t WHERE k > $1 AND k <= $2 ORDER BY k DESC LIMIT $3"
    );
    assert_eq!(params, vec![vec![1], vec![2]]);
    let (sql, _) = page_query("t", &Bound::Unbounded, &Bound::Excluded(vec![9]), false);
    assert_eq!(
        sql,
        "SELECT k, v FROM t WHERE k < $1 ORDER BY k ASC LIMIT $2"
    );
}

/// The primary key is declared `ASC` only on YugabyteDB (hash-sharded otherwise); the
/// plain key elsewhere, as PostgreSQL 15 refuses `PRIMARY KEY (k ASC)` with a syntax
/// error.
#[test]
fn only_yugabytedb_gets_an_asc_primary_key() {
    assert!(needs_ordered_key(
        "PostgreSQL 11.2-YB-2.20.1.0-b0 on x86_64-pc-linux-gnu, compiled by clang version 16"
    ));
    assert!(!needs_ordered_key(
        "PostgreSQL 15.14 (Debian 15.14-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc"
    ));
    assert!(!needs_ordered_key(
        "CockroachDB CCL v24.1.0 (x86_64-pc-linux-gnu, built 2024/05/15, go1.22.2)"
    ));
    assert_eq!(
        create_table("t", true),
        "CREATE TABLE IF NOT EXISTS t (k BYTEA NOT NULL, v BYTEA NOT NULL, PRIMARY KEY (k ASC))"
    );
    assert_eq!(
        create_table("t", false),
        "CREATE TABLE IF NOT EXISTS t (k BYTEA NOT NULL, v BYTEA NOT NULL, PRIMARY KEY (k))"
    );
}

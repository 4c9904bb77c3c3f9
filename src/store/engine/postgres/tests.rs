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

/// One TLS-only server for the TLS tests (started once, stopped when the process ends).
fn tls_server() -> &'static PgServer {
    static SERVER: std::sync::OnceLock<PgServer> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| {
        let pg = PgServer::start_tls();
        pg.stop_when_process_exits();
        pg
    })
}

/// Whether the engine's own session is encrypted, as the server sees it.
fn session_is_encrypted(e: &Engine) -> bool {
    let Engine::Postgres(p) = e else {
        panic!("not the PostgreSQL engine");
    };
    let s = p.shared.clone();
    p.run(async move {
        let c = s.conn().await.unwrap();
        let row = c
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .unwrap();
        row.get::<_, bool>(0)
    })
    .unwrap()
}

fn open_err(url: &str) -> String {
    match Engine::open_postgres(url, contract::KEYSPACES, 2) {
        Ok(_) => panic!("opened {url}"),
        Err(e) => e.to_string(),
    }
}

#[test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
fn verify_full_keeps_the_engine_contract_over_tls() {
    let pg = tls_server();
    let ca = pg.ca_path();
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        pg.fresh_database(),
        ca.display()
    );
    let e = open(&url);
    assert!(session_is_encrypted(&e));
    contract::run(&e);
    assert!(session_is_encrypted(&e));
    // By name as well as by address: the certificate holds both.
    let by_name = url.replace("127.0.0.1", "localhost");
    assert!(session_is_encrypted(&open(&by_name)));
}

#[test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
fn require_and_prefer_encrypt_without_checking_the_certificate() {
    let pg = tls_server();
    let db = pg.fresh_database();
    // No root given: the test CA is not among the public roots, and that is fine here.
    let e = open(&format!("{db}?sslmode=require"));
    assert!(session_is_encrypted(&e));
    e.insert(0, b"k", b"v").unwrap();
    // No sslmode at all is libpq's `prefer`: TLS, as the server offers it.
    let e = open(&db);
    assert!(session_is_encrypted(&e));
    assert_eq!(e.get(0, b"k").unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
fn scram_over_tls_binds_the_channel() {
    let pg = tls_server();
    let url = format!(
        "postgres://scram:scram-pw@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}\
         &channel_binding=require",
        pg.port(),
        pg.ca_path().display()
    );
    let e = open(&url);
    assert!(session_is_encrypted(&e));
    let msg = open_err(&url.replace("scram-pw", "wrong-pw"));
    assert!(msg.contains("password authentication failed"), "{msg}");
    assert!(!msg.contains("wrong-pw"), "{msg}");
}

#[test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
fn verify_full_refuses_an_untrusted_certificate_or_another_name() {
    let pg = tls_server();
    let port = pg.port();
    // Without the test CA, only the public roots: the issuer is unknown.
    let msg = open_err(&format!(
        "postgres://charla:s3cret@127.0.0.1:{port}/postgres?sslmode=verify-full"
    ));
    assert!(
        msg.contains(&format!("cannot connect to PostgreSQL at 127.0.0.1:{port}")),
        "{msg}"
    );
    assert!(msg.contains("issuer is not trusted"), "{msg}");
    assert!(msg.contains("sslmode=verify-full"), "{msg}");
    assert!(msg.contains("sslrootcert"), "{msg}");
    assert!(!msg.contains("s3cret"), "{msg}");
    // The right CA, but the URL names a host the certificate is not for.
    let other_name = format!(
        "postgres://charla@db.invalid:{port}/postgres?hostaddr=127.0.0.1\
         &sslrootcert={}&sslmode=verify-full",
        pg.ca_path().display()
    );
    let msg = open_err(&other_name);
    assert!(
        msg.contains("the certificate is not for the host name \"db.invalid\""),
        "{msg}"
    );
    // verify-ca checks the chain only, so the same URL connects.
    let e = open(&other_name.replace("verify-full", "verify-ca"));
    assert!(session_is_encrypted(&e));
    // As does require once a root is given (libpq: it is verify-ca then); a CA that did
    // not sign the server's certificate fails it.
    let wrong_ca = pg.ca_path().with_file_name("server.crt");
    let msg = open_err(&format!(
        "postgres://charla@127.0.0.1:{port}/postgres?sslmode=require&sslrootcert={}",
        wrong_ca.display()
    ));
    assert!(msg.contains("sslmode=verify-ca"), "{msg}");
    // A root file that is not there is named.
    let msg = open_err(&format!(
        "postgres://charla@127.0.0.1:{port}/postgres?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"
    ));
    assert!(msg.contains("sslrootcert /nonexistent/ca.pem"), "{msg}");
}

#[test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
fn a_server_that_wants_tls_refuses_sslmode_disable() {
    let pg = tls_server();
    let msg = open_err(&format!(
        "postgres://charla@127.0.0.1:{}/postgres?sslmode=disable",
        pg.port()
    ));
    assert!(
        msg.contains("cannot connect to PostgreSQL at 127.0.0.1"),
        "{msg}"
    );
    assert!(msg.contains("no pg_hba.conf entry"), "{msg}");
    assert!(msg.contains("no encryption"), "{msg}");
}

#[test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
fn require_refuses_a_server_without_tls() {
    let pg = PgServer::start();
    let msg = open_err(&format!("{}?sslmode=require", pg.url()));
    assert!(msg.contains("server does not support TLS"), "{msg}");
    // The default (prefer) falls back to clear text there.
    assert!(!session_is_encrypted(&open(&pg.url())));
}

#[test]
fn tls_options_are_taken_out_of_the_url() {
    let (url, o) = tls::split_url(
        "postgres://u:p%3Fw@h:5/db?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=3",
    )
    .unwrap();
    assert_eq!(
        url,
        "postgres://u:p%3Fw@h:5/db?application_name=x&connect_timeout=3"
    );
    assert_eq!(o.mode, Some(tls::SslMode::VerifyFull));
    assert_eq!(
        o.root_cert.as_deref(),
        Some(std::path::Path::new("/etc/ca.pem"))
    );
    let (url, o) = tls::split_url("postgresql://h/db?sslmode=disable").unwrap();
    assert_eq!(url, "postgresql://h/db");
    assert_eq!(o.mode, Some(tls::SslMode::Disable));
    let (url, o) = tls::split_url("postgres://h/db?sslrootcert=system&sslmode=verify-ca").unwrap();
    assert_eq!(url, "postgres://h/db");
    assert_eq!((o.mode, o.root_cert), (Some(tls::SslMode::VerifyCa), None));
    // Key=value strings and URLs without a query pass through.
    for s in ["host=h sslmode=require", "postgres://u:p@h/db"] {
        let (url, o) = tls::split_url(s).unwrap();
        assert_eq!(url, s);
        assert_eq!((o.mode, o.root_cert), (None, None));
    }
    // A bad mode is named, the URL (and its password) is not.
    let Err(e) = Engine::open_postgres("postgres://u:s3cret@h/db?sslmode=sometimes", &[], 1) else {
        panic!("accepted sslmode=sometimes");
    };
    let msg = e.to_string();
    assert!(msg.contains("sslmode"), "{msg}");
    assert!(
        !msg.contains("s3cret") && !msg.contains("sometimes"),
        "{msg}"
    );
}

//! Crash safety: SIGKILL the real server while clients post inbound messages, restart
//! it, and check that every acknowledged message is present exactly once. Rounds:
//! `CHARLA_CRASH_ROUNDS` (default 3; the load tool can run many more).

use super::common::Server;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_charla");

pub(crate) fn cli(extra: &[&str], data: &str, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut c = Command::new(BIN)
        .args(extra)
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = c.stdin.take().unwrap().write_all(stdin.as_bytes());
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn acknowledged_messages_survive_sigkill_exactly_once() {
    sigkill_rounds(&[], 600);
}

/// The same on the PostgreSQL engine: a commit is the acknowledgement's durability.
#[test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
fn acknowledged_messages_survive_sigkill_exactly_once_on_postgresql() {
    let pg = super::postgres::pg_server::PgServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("charla.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\nengine = \"postgres\"\nurl = \"{}\"\n",
            pg.fresh_database()
        ),
    )
    .unwrap();
    // Each ingest is a transaction of network round trips: let the clients post longer.
    sigkill_rounds(&["--config", config.to_str().unwrap()], 4000);
}

/// Rounds of: 8 clients post, SIGKILL the server; then every acknowledged message must
/// be present exactly once. `extra` are global flags (a config file for the engine);
/// each round lets the clients post for `window_ms` (and a little longer each round).
fn sigkill_rounds(extra: &[&str], window_ms: u64) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rounds: usize = std::env::var("CHARLA_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    cli(
        extra,
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
        extra,
        d,
        &[
            "admin",
            "token",
            "--email",
            "boss@example.com",
            "--label",
            "crash",
        ],
        "",
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = Server::start_with(&data, extra);
    let api = super::common::Api::with_token(&server.url, &token);
    let (inbox, inbox_token) = rt.block_on(api.inbox("Crash", &[], None));
    drop(server);
    let acked: Arc<Mutex<super::common::Acked>> = Arc::default();
    for round in 0..rounds {
        let mut server = Server::start_with(&data, extra);
        let url = server.url.clone();
        rt.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|w| {
                    tokio::spawn(super::common::post_until_refused(
                        url.clone(),
                        inbox,
                        inbox_token.clone(),
                        format!("r{round}-w{w}"),
                        acked.clone(),
                    ))
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(window_ms + 150 * round as u64)).await;
            server.child.kill().unwrap(); // SIGKILL: no flush, no goodbye
            server.child.wait().unwrap();
            for t in tasks {
                let _ = t.await;
            }
        });
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "too few acknowledged messages to mean anything: {}",
        acked.len()
    );
    let server = Server::start_with(&data, extra);
    let api = super::common::Api::with_token(&server.url, &token);
    rt.block_on(async {
        super::common::assert_stored_once(&server.url, inbox, &inbox_token, &api, &acked).await;
    });
    println!(
        "crash safety: {rounds} SIGKILL rounds, {} acknowledged messages all present exactly once",
        acked.len()
    );
}

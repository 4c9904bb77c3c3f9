//! The real `charla` binary: provisioning, config errors, graceful shutdown, and a
//! backup taken from a running server restored into a new directory.

use super::common::Server;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_charla");

pub(super) fn charla(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut sin = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            let _ = sin.write_all(s.as_bytes()); // the process may exit before reading
        }
    }
    child.wait_with_output().unwrap()
}

pub(super) fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).to_string()
}

fn login_works(url: &str, email: &str, password: &str) -> bool {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = super::common::Client::new(url);
        c.login(email, password).await.status() == reqwest::StatusCode::SEE_OTHER
    })
}

#[test]
fn provision_by_script_then_serve_then_refuse_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let o = charla(
        &[
            "--data",
            d,
            "admin",
            "create",
            "--email",
            "Boss@Example.com",
            "--name",
            "Boss",
            "--password-stdin",
        ],
        Some("boss password\n"),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("created admin Boss <boss@example.com>"));
    let o = charla(
        &[
            "--data",
            d,
            "admin",
            "create",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("password: must be at least 8 characters"));
    let o = charla(
        &[
            "--data",
            d,
            "admin",
            "token",
            "--email",
            "boss@example.com",
            "--label",
            "provisioning",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let token = text(&o.stdout).trim().to_string();
    assert!(token.starts_with("charla_pat_"));
    let o = charla(
        &[
            "--data",
            d,
            "admin",
            "token",
            "--email",
            "nobody@example.com",
            "--label",
            "x",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("not found"));

    let server = Server::start(&data);
    // Setup is complete (an admin exists), sign-in works, the token works.
    assert!(login_works(
        &server.url,
        "boss@example.com",
        "boss password"
    ));
    let me = std::process::Command::new("curl")
        .args([
            "-s",
            "-H",
            &format!("Authorization: Bearer {token}"),
            &format!("{}/api/v1/me", server.url),
        ])
        .output();
    if let Ok(me) = me {
        assert!(text(&me.stdout).contains("boss@example.com"));
    }
    // While the server holds the directory: exit code 2 and a clear message.
    for args in [
        vec![
            "--data",
            d,
            "admin",
            "create",
            "--email",
            "y@example.com",
            "--name",
            "Y",
            "--password-stdin",
        ],
        vec![
            "--data",
            d,
            "admin",
            "token",
            "--email",
            "boss@example.com",
            "--label",
            "again",
        ],
        vec![
            "--data",
            d,
            "admin",
            "reset-password",
            "--email",
            "boss@example.com",
            "--password-stdin",
        ],
    ] {
        let o = charla(&args, Some("another password\n"));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("in use by another charla process"),
            "{}",
            text(&o.stderr)
        );
    }
    let (status, log) = server.terminate();
    assert!(status.success(), "SIGTERM should exit 0: {status:?}\n{log}");
    assert!(log.contains("store flushed"), "{log}");

    // reset-password once stopped.
    let o = charla(
        &[
            "--data",
            d,
            "admin",
            "reset-password",
            "--email",
            "boss@example.com",
            "--password-stdin",
        ],
        Some("brand new password\n"),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let server = Server::start(&data);
    assert!(!login_works(
        &server.url,
        "boss@example.com",
        "boss password"
    ));
    assert!(login_works(
        &server.url,
        "boss@example.com",
        "brand new password"
    ));
}

#[test]
fn invalid_config_fails_naming_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("charla.toml");
    std::fs::write(
        &cfg,
        "[server]\nlisten = \"127.0.0.1:0\"\nworkers = \"many\"\n",
    )
    .unwrap();
    let o = charla(&["--config", cfg.to_str().unwrap(), "check-config"], None);
    assert_ne!(o.status.code(), Some(0));
    let err = text(&o.stderr);
    assert!(err.contains("workers") && err.contains("line 3"), "{err}");
    std::fs::write(&cfg, "[server\n").unwrap();
    let o = charla(&["--config", cfg.to_str().unwrap(), "serve"], None);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o.stderr).contains("line 1"));
    let o = charla(
        &[
            "--config",
            dir.path().join("missing.toml").to_str().unwrap(),
            "check-config",
        ],
        None,
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o.stderr).contains("cannot read config file"));
    let o = Command::new(BIN)
        .args(["check-config"])
        .env("CHARLA__SERVER__WORKERS", "lots")
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o.stderr).contains("CHARLA__SERVER__WORKERS"));
}

#[test]
fn check_config_shows_layers_and_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    let secret = "s3cr3t-".repeat(6);
    std::fs::write(&cfg, format!("[server]\nlisten = \"0.0.0.0:9000\"\nlisen = 1\n[security]\nsecret_key = \"{secret}\"\n")).unwrap();
    let o = Command::new(BIN)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--data",
            "/tmp/flagdata",
            "check-config",
        ])
        .env("CHARLA__SERVER__LISTEN", "127.0.0.1:7000")
        .env("CHARLA__STORAGE__PATH", "/tmp/envdata")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("listen = \"127.0.0.1:7000\""),
        "env beats file: {out}"
    );
    assert!(
        out.contains("path = \"/tmp/flagdata\""),
        "flag beats env: {out}"
    );
    assert!(
        out.contains("<redacted>") && !out.contains("s3cr3t"),
        "{out}"
    );
    assert!(!text(&o.stderr).contains("s3cr3t"));
    assert!(
        text(&o.stderr).contains("unknown key `server.lisen`"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn backup_from_running_server_restores_equal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let o = charla(
        &[
            "--data",
            d,
            "admin",
            "create",
            "--email",
            "boss@example.com",
            "--name",
            "Boss",
            "--password-stdin",
        ],
        Some("boss password\n"),
    );
    assert!(o.status.success());
    let token = text(
        &charla(
            &[
                "--data",
                d,
                "admin",
                "token",
                "--email",
                "boss@example.com",
                "--label",
                "backup",
            ],
            None,
        )
        .stdout,
    )
    .trim()
    .to_string();
    let server = Server::start(&data);
    assert!(login_works(
        &server.url,
        "boss@example.com",
        "boss password"
    ));

    let file = dir.path().join("snap.charla-backup");
    let f = file.to_str().unwrap();
    // Without a token: a clear refusal, no file.
    let o = Command::new(BIN)
        .args(["--data", d, "backup", "--to", f, "--url", &server.url])
        .env_remove("CHARLA_TOKEN")
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o.stderr).contains("--token"), "{}", text(&o.stderr));
    assert!(!file.exists());
    let o = Command::new(BIN)
        .args(["--data", d, "backup", "--to", f, "--url", &server.url])
        .env("CHARLA_TOKEN", "charla_pat_wrong")
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o.stderr).contains("401"));
    // With an admin token, while the server runs.
    let o = Command::new(BIN)
        .args(["--data", d, "backup", "--to", f, "--url", &server.url])
        .env("CHARLA_TOKEN", &token)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("backup written"));
    drop(server);

    // Restore refuses a non-empty directory and a missing --data.
    let o = charla(&["--data", d, "restore", f], None);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o.stderr).contains("not empty"));
    let restored = dir.path().join("restored");
    let r = restored.to_str().unwrap();
    let o = charla(&["--data", r, "restore", f], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // Round trip: a backup of the restored directory is byte-identical.
    let again = dir.path().join("again.charla-backup");
    let o = charla(
        &["--data", r, "backup", "--to", again.to_str().unwrap()],
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(&again).unwrap(),
        "restore changed the data"
    );
    // And the restored data serves: the same admin signs in, the same token works.
    let server = Server::start(&restored);
    assert!(login_works(
        &server.url,
        "boss@example.com",
        "boss password"
    ));
    let (status, _) = server.terminate();
    assert!(status.success());
    // A damaged backup restores nothing.
    let mut bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let target = dir.path().join("never");
    let o = charla(&["--data", target.to_str().unwrap(), "restore", f], None);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o.stderr).contains("checksum"), "{}", text(&o.stderr));
    assert!(!target.join("db").exists());
}

#[test]
fn sigterm_with_live_streams_open_stops_promptly_and_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let o = charla(
        &[
            "--data",
            d,
            "admin",
            "create",
            "--email",
            "boss@example.com",
            "--name",
            "Boss",
            "--password-stdin",
        ],
        Some("boss password\n"),
    );
    assert!(o.status.success());
    // A long graceful timeout: if open inbox pages held shutdown, this test would take a minute.
    let cfg = dir.path().join("charla.toml");
    std::fs::write(&cfg, "[server]\nshutdown_timeout_seconds = 60\n").unwrap();
    let server = Server::start_with(&data, &["--config", cfg.to_str().unwrap()]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = server.url.clone();
    let streams = rt.block_on(async move {
        let c = super::common::Client::new(&url);
        assert_eq!(
            c.login("boss@example.com", "boss password").await.status(),
            reqwest::StatusCode::SEE_OTHER
        );
        let mut open = Vec::new();
        for _ in 0..3 {
            let mut s = c.http.get(format!("{url}/events")).send().await.unwrap();
            assert!(s.chunk().await.unwrap().is_some(), "the stream is live");
            open.push(s);
        }
        open
    });
    let t0 = std::time::Instant::now();
    let (status, log) = server.terminate();
    let took = t0.elapsed();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("store flushed"), "{log}");
    assert!(
        took < std::time::Duration::from_secs(20),
        "shutdown waited {took:?} for open streams"
    );
    drop(streams);
}

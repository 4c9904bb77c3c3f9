//! Running Charla as an operator does, through the real binary: JSON logs for a log
//! shipper, the health check a container runs, and metrics refused at start-up when
//! nothing would protect them.

use super::common::Server;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_charla");

#[test]
fn json_logs_are_one_object_per_line_with_level_target_and_fields() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = dir.path().join("charla.toml");
    std::fs::write(&cfg, "[log]\nformat = \"json\"\n").unwrap();
    let server = Server::start_with(&data, &["--config", cfg.to_str().unwrap()]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let (status, log) = server.terminate();
    assert!(status.success(), "{log}");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty());
    for l in &lines {
        assert!(l["level"].is_string() && l["target"].is_string(), "{l}");
        assert!(l["fields"]["message"].is_string(), "{l}");
        assert!(l["timestamp"].is_string(), "{l}");
    }
    let bye = lines
        .iter()
        .find(|l| l["fields"]["message"] == "store flushed; bye")
        .unwrap_or_else(|| panic!("no goodbye in {log}"));
    assert_eq!(bye["level"], "INFO");
    assert_eq!(bye["target"], "charla::app");
    // The same through the environment, as a container would set it; and the file named
    // by CHARLA_CONFIG instead of --config.
    let o = Command::new(BIN)
        .args(["--data", data.to_str().unwrap(), "check-config"])
        .env("CHARLA__LOG__FORMAT", "json")
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("format = \"json\""), "{out}");
    let o = Command::new(BIN)
        .args(["--data", data.to_str().unwrap(), "check-config"])
        .env("CHARLA_CONFIG", &cfg)
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("(file: {})", cfg.display())) && out.contains("format = \"json\""),
        "{out}"
    );
}

#[test]
fn healthcheck_exits_0_while_the_server_answers_and_1_when_it_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let o = Command::new(BIN)
        .args(["healthcheck", "--url", &server.url])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        r#"{"status":"ok"}"#
    );
    // Without --url: server.listen (here from the environment, as in the container).
    let addr = server.url.trim_start_matches("http://").to_string();
    let o = Command::new(BIN)
        .args(["healthcheck"])
        .env("CHARLA__SERVER__LISTEN", &addr)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The container's HEALTHCHECK, as dist/Containerfile writes it.
    let containerfile = include_str!("../../dist/Containerfile");
    let cmd = containerfile
        .split("HEALTHCHECK")
        .nth(1)
        .and_then(|h| h.split("CMD ").nth(1))
        .and_then(|c| c.lines().next())
        .unwrap();
    let argv: Vec<String> = serde_json::from_str(cmd).unwrap();
    assert_eq!(argv[0], "charla", "{cmd}");
    let o = Command::new(BIN)
        .args(&argv[1..])
        .env("CHARLA__SERVER__LISTEN", &addr)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (status, _) = server.terminate();
    assert!(status.success());
    // Nobody listening: exit 1, saying so.
    let o = Command::new(BIN)
        .args(["healthcheck", "--timeout", "2"])
        .env("CHARLA__SERVER__LISTEN", &addr)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unhealthy") && err.contains(&addr), "{err}");
}

#[test]
fn metrics_enabled_without_a_token_or_a_listener_stop_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args([
            "--data",
            dir.path().to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("CHARLA__METRICS__ENABLED", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("metrics.enabled")
            && err.contains("metrics.token")
            && err.contains("metrics.listen"),
        "{err}"
    );
    // Nothing was started: the data directory was never created.
    assert!(!dir.path().join("charla.lock").exists());
    // With a listener of its own it starts, and says where the metrics are.
    let cfg = dir.path().join("charla.toml");
    std::fs::write(
        &cfg,
        "[metrics]\nenabled = true\nlisten = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let server = Server::start_with(
        &dir.path().join("data"),
        &["--config", cfg.to_str().unwrap()],
    );
    let (status, log) = server.terminate();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("metrics are served on http://127.0.0.1:"),
        "{log}"
    );
}

//! Running Charla as an operator does, through the real binary: metrics refused at
//! start-up when nothing would protect them.

use super::common::Server;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_charla");

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

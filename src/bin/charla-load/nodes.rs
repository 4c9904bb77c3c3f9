//! Where the measured nodes run: the embedded store, or PostgreSQL with one node or
//! several (cluster mode), and the copy of the data set into PostgreSQL.

use super::{Opts, Server, bin, start_with};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment that points node `n` at the engine (and the cluster).
pub(super) fn node_env(o: &Opts, n: usize) -> Vec<(String, String)> {
    let mut env = Vec::new();
    if let Some(url) = &o.pg_url {
        env.push(("CHARLA__STORAGE__ENGINE".into(), "postgres".into()));
        env.push(("CHARLA__STORAGE__URL".into(), url.clone()));
        // Every node signs with the data set's key.
        let key = std::fs::read_to_string(o.data.join("secret.key")).unwrap_or_default();
        env.push((
            "CHARLA__SECURITY__SECRET_KEY".into(),
            key.trim().to_string(),
        ));
    }
    if let Some(nats) = o.nats.as_ref().filter(|_| o.nodes > 1) {
        env.push(("CHARLA__CLUSTER__NATS_URL".into(), nats.clone()));
        env.push(("CHARLA__CLUSTER__NODE_ID".into(), format!("load-{n}")));
    }
    env
}

/// Where node `n` keeps its files: the data set itself on sled; beside it on PostgreSQL
/// (the data is in the database).
pub(super) fn node_dir(o: &Opts, n: usize) -> PathBuf {
    if o.pg_url.is_some() {
        let d = o.data.join(format!("node-{n}"));
        let _ = std::fs::create_dir_all(&d);
        d
    } else {
        o.data.clone()
    }
}

/// Starts every node; returns them and the first one's cold-start time.
pub(super) fn start_nodes(o: &Opts) -> (Vec<Server>, Duration) {
    let mut nodes = Vec::new();
    let mut first = Duration::ZERO;
    for n in 0..o.nodes {
        let env = node_env(o, n);
        let env: Vec<(&str, &str)> = env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (s, cold) = start_with(&node_dir(o, n), &env);
        if n == 0 {
            first = cold;
        }
        nodes.push(s);
    }
    (nodes, first)
}

/// Copies the sled data set into the (empty) PostgreSQL database with the real
/// `charla migrate-store`; returns how long it took.
pub(super) fn copy_to_postgres(o: &Opts, url: &str) -> Duration {
    let t = Instant::now();
    let out = Command::new(bin())
        .args([
            "--data",
            &o.data.to_string_lossy(),
            "migrate-store",
            "--to",
            url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run charla migrate-store: {e}"));
    assert!(
        out.status.success(),
        "charla migrate-store failed (the database must be empty): {}",
        String::from_utf8_lossy(&out.stdout)
    );
    t.elapsed()
}

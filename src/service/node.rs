//! This process as a node: its id among the nodes sharing the store, and whether its
//! background work runs under leases (cluster mode) or simply runs (a single node).

use crate::config::ClusterConfig;
use std::time::Duration;

/// This node.
#[derive(Debug, Clone)]
pub struct Node {
    /// Unique among the nodes sharing the database: `cluster.node_id`, or host name,
    /// process id and a random suffix.
    pub id: String,
    /// In cluster mode, how long a lease holds without renewal (`cluster.lease_seconds`);
    /// `None` for a single node, which runs all background work without leases.
    pub lease_period: Option<Duration>,
}

impl Default for Node {
    fn default() -> Self {
        Node::solo()
    }
}

impl Node {
    /// A single node: no leases.
    pub fn solo() -> Node {
        Node {
            id: generated_id(),
            lease_period: None,
        }
    }

    /// The node the configuration describes: leased work only when cluster mode is on.
    pub fn from_config(c: &ClusterConfig) -> Node {
        let id = match c.node_id.trim() {
            "" => generated_id(),
            id => id.to_string(),
        };
        Node {
            id,
            lease_period: c
                .enabled()
                .then(|| Duration::from_secs(c.lease_seconds.max(1))),
        }
    }

    /// Whether background work runs under leases.
    pub fn clustered(&self) -> bool {
        self.lease_period.is_some()
    }
}

/// `host-pid-xxxxxx`: the host name (from the kernel, else `$HOSTNAME`, else `node`),
/// the process id and a random suffix, so two processes never share an id.
fn generated_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    format!(
        "{host}-{}-{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_only_in_cluster_mode_and_ids_are_unique() {
        let solo = Node::from_config(&ClusterConfig::default());
        assert!(!solo.clustered());
        assert_ne!(solo.id, Node::from_config(&ClusterConfig::default()).id);
        assert!(solo.id.contains(&format!("-{}-", std::process::id())));
        let c = ClusterConfig {
            nats_url: Some("nats://127.0.0.1:4222".into()),
            node_id: " web-1 ".into(),
            lease_seconds: 3,
            ..ClusterConfig::default()
        };
        let n = Node::from_config(&c);
        assert_eq!(n.id, "web-1");
        assert_eq!(n.lease_period, Some(Duration::from_secs(3)));
    }
}

//! What a `/metrics` scrape reads besides the counters: the outbox's queue depth (one
//! point read of the count kept with the queue), the pollers' health (in memory) and
//! the store's size (the engine's own figure). Nothing here scans a keyspace.

use super::Services;
use crate::metrics::{Poller, Snapshot};

impl Services {
    /// Reads what the metrics show besides their counters (blocking: store reads). A
    /// figure the store cannot give is left out and logged, never failing the scrape.
    pub fn metrics_snapshot(&self) -> Snapshot {
        let outbox_depth = self
            .store
            .outbox_depth()
            .inspect_err(|e| tracing::warn!(error = %e, "metrics: cannot read the outbox's depth"))
            .ok();
        let store = self
            .store
            .size_on_disk()
            .inspect_err(|e| tracing::warn!(error = %e, "metrics: cannot read the store's size"))
            .ok()
            .map(|bytes| (self.store.engine_name(), bytes));
        let pollers = self
            .directory()
            .inboxes
            .iter()
            .filter(|i| i.polled())
            .map(|i| {
                let h = self.mail_health.get(i.id);
                Poller {
                    inbox: i.id,
                    channel: i.channel,
                    last_success: h.last_success,
                    failing: h.failing_since.is_some(),
                }
            })
            .collect();
        Snapshot {
            outbox_depth,
            store,
            pollers,
        }
    }

    /// The whole exposition text for a scrape.
    pub async fn metrics_text(self: &std::sync::Arc<Self>) -> String {
        let snap = self.blocking(|s| s.metrics_snapshot()).await;
        self.metrics.render(&snap)
    }
}

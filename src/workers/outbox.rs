//! The outbox sender: delivers due jobs (webhook POSTs of agent replies), a few at a
//! time, and records each outcome durably. Woken at once when new work is committed,
//! and at least every second for retries that come due.

use crate::channels::{api, guard};
use crate::service::Services;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Deliveries in flight at once.
const PARALLEL: usize = 8;

pub(super) async fn run(
    s: Arc<Services>,
    client: reqwest::Client,
    timeout: Duration,
    allow_private: bool,
    mut stop: watch::Receiver<bool>,
) -> Result<(), String> {
    loop {
        let batch = s.due_deliveries(64).await.map_err(|e| e.to_string())?;
        let full = batch.len() == 64;
        futures_util::stream::iter(batch)
            .for_each_concurrent(PARALLEL, |d| {
                let (s, client) = (s.clone(), client.clone());
                async move {
                    let delivery_id = match &d.job.kind {
                        crate::store::JobKind::Webhook { message_id, .. } => message_id.0,
                    };
                    let outcome = match guard::check_url(&d.url, allow_private) {
                        Ok(()) => {
                            api::deliver(&client, &d.url, &d.secret, delivery_id, d.body, timeout)
                                .await
                        }
                        Err(e) => api::Outcome::Permanent(e),
                    };
                    if let Err(e) = s.finish(&d.job, outcome).await {
                        tracing::warn!(error = %e, "could not record a webhook delivery");
                    }
                }
            })
            .await;
        if full {
            continue;
        }
        tokio::select! {
            _ = s.outbox_ready.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return Ok(()),
        }
    }
}

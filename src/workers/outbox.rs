//! The outbox sender: delivers due jobs (webhook POSTs and mail of agent replies), a
//! few at a time, and records each outcome durably. Woken at once when new work is
//! committed, and at least every second for retries that come due.

use crate::channels::guard::{AddressPolicy, Refused};
use crate::channels::{api, smtp};
use crate::service::{Delivery, Services};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Deliveries in flight at once.
const PARALLEL: usize = 8;

async fn deliver(
    client: &reqwest::Client,
    d: Delivery,
    timeout: Duration,
    policy: AddressPolicy,
) -> api::Outcome {
    match d {
        Delivery::Webhook {
            job,
            url,
            secret,
            body,
        } => {
            let (_, _, message_id) = job.kind.target();
            // The URL is parsed and checked once, and that parsed URL is what is sent.
            match policy.check_http(&url).await {
                Ok(url) => api::deliver(client, url, &secret, message_id.0, body, timeout).await,
                Err(e @ Refused::Dns { .. }) => api::Outcome::Retry(format!("webhook: {e}")),
                Err(e) => api::Outcome::Permanent(format!("webhook refused: {e}")),
            }
        }
        Delivery::Mail {
            server,
            password,
            message,
            ..
        } => smtp::send(&server, &password, *message, policy, timeout).await,
    }
}

pub(super) async fn run(
    s: Arc<Services>,
    timeout: Duration,
    mut stop: watch::Receiver<bool>,
) -> Result<(), String> {
    let policy = s.settings.outbound;
    let client = policy.http_client()?;
    loop {
        let batch = s
            .blocking_async(|s| async move { s.due_deliveries(64).await })
            .await
            .map_err(|e| e.to_string())?;
        let full = batch.len() == 64;
        futures_util::stream::iter(batch)
            .for_each_concurrent(PARALLEL, |d| {
                let (s, client) = (s.clone(), client.clone());
                async move {
                    let job = d.job().clone();
                    let outcome = deliver(&client, d, timeout, policy).await;
                    let finished = s
                        .blocking_async(move |s| async move { s.finish(&job, outcome).await })
                        .await;
                    if let Err(e) = finished {
                        tracing::warn!(error = %e, "could not record a delivery");
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

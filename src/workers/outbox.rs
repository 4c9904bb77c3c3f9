//! The outbox sender: delivers due jobs (webhook POSTs and mail of agent replies), a
//! few at a time, and records each outcome durably. Woken at once when new work is
//! committed on this node, and at least every second for retries that come due and for
//! work committed on other nodes. With several nodes it runs only on the node holding
//! the `outbox` lease.

use super::lease;
use crate::channels::guard::{AddressPolicy, Refused};
use crate::channels::seam::SendError;
use crate::channels::{api, http, smtp};
use crate::service::{Delivery, ServiceError, Services};
use crate::store::{Abort, StoreError};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Deliveries in flight at once.
const PARALLEL: usize = 8;

/// What one delivery attempt did.
enum Attempt {
    /// A webhook POST or a mail.
    Once(api::Outcome),
    /// A provider's parts: the ids of those it accepted, and why it stopped, if it did.
    Parts(Vec<String>, Option<SendError>),
}

async fn deliver(
    s: &Services,
    client: &reqwest::Client,
    d: Delivery,
    timeout: Duration,
    policy: AddressPolicy,
) -> Attempt {
    if let Delivery::Channel {
        provider, requests, ..
    } = d
    {
        let mut accepted = Vec::new();
        for req in &requests {
            let answer = if req.files.is_empty() {
                http::execute(policy, client, req, timeout, 1 << 20).await
            } else {
                // A multipart upload: its files stream from the store as it goes.
                let (body, len) = match s.upload_body(req) {
                    Ok(b) => b,
                    Err(text) => {
                        let e = SendError::Permanent(crate::channels::seam::ProviderError {
                            code: String::new(),
                            text,
                        });
                        return Attempt::Parts(accepted, Some(e));
                    }
                };
                let mut sized = req.clone();
                sized
                    .headers
                    .push(("content-length".into(), len.to_string()));
                http::execute_with(policy, client, &sized, Some(body), timeout, 1 << 20).await
            };
            match answer.map_err(http::NetError::into_send_error) {
                Ok(resp) => match provider.sent(&resp) {
                    Ok(id) => accepted.push(id),
                    Err(e) => return Attempt::Parts(accepted, Some(e)),
                },
                Err(e) => return Attempt::Parts(accepted, Some(e)),
            }
        }
        return Attempt::Parts(accepted, None);
    }
    Attempt::Once(match d {
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
        Delivery::Channel { .. } => api::Outcome::Permanent("not a single delivery".into()),
    })
}

pub(super) async fn run(
    s: Arc<Services>,
    timeout: Duration,
    stop: watch::Receiver<bool>,
) -> Result<(), String> {
    let policy = s.settings.outbound;
    let client = policy.http_client()?;
    let sender = s.clone();
    lease::under_lease(s, "outbox", stop, move |duty| {
        send(sender.clone(), client.clone(), policy, timeout, duty)
    })
    .await
}

/// Sends while this node holds the `outbox` lease: each outcome is recorded under its
/// fence, and a lost lease stops the sending at once (deliveries in flight are dropped;
/// their outcomes could not be recorded anyway, and the new holder sends them).
async fn send(
    s: Arc<Services>,
    client: reqwest::Client,
    policy: AddressPolicy,
    timeout: Duration,
    mut duty: lease::Duty,
) -> Result<(), String> {
    let fence = duty.fence.clone();
    let lost = duty.lost.clone();
    loop {
        let round = async {
            let f = fence.clone();
            let batch = match s
                .blocking_async(move |s| async move { s.due_deliveries(64, f.as_ref()).await })
                .await
            {
                Ok(b) => b,
                Err(e) if lease_lost(&e) => {
                    lost.cancel();
                    return Ok(false);
                }
                Err(e) => return Err(e.to_string()),
            };
            let full = batch.len() == 64;
            futures_util::stream::iter(batch)
                .for_each_concurrent(PARALLEL, |d| {
                    let (s, client, fence, lost) =
                        (s.clone(), client.clone(), fence.clone(), lost.clone());
                    async move {
                        let job = d.job().clone();
                        let outcome = deliver(&s, &client, d, timeout, policy).await;
                        let finished = s
                            .blocking_async(move |s| async move {
                                match outcome {
                                    Attempt::Once(o) => s.finish(&job, o, fence.as_ref()).await,
                                    Attempt::Parts(ids, e) => {
                                        s.finish_channel(&job, ids, e, fence.as_ref()).await
                                    }
                                }
                            })
                            .await;
                        match finished {
                            Ok(()) => {}
                            // Another node holds the outbox now: stop sending at once,
                            // before the next renewal would tell.
                            Err(e) if lease_lost(&e) => {
                                tracing::warn!(error = %e, "a delivery could not be recorded: the outbox lease was lost");
                                lost.cancel();
                            }
                            Err(e) => tracing::warn!(error = %e, "could not record a delivery"),
                        }
                    }
                })
                .await;
            Ok::<bool, String>(full)
        };
        let full = tokio::select! {
            r = round => r?,
            _ = duty.lost.cancelled() => return Ok(()),
        };
        if duty.over() {
            return Ok(());
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = s.outbox_ready.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = duty.ended() => return Ok(()),
        }
    }
}

/// Whether a use-case failed because its lease's fence no longer holds.
fn lease_lost(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Store(StoreError::Abort(Abort::LeaseLost)))
}

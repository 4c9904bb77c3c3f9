//! Telegram pollers: one task per Telegram inbox in polling mode, on the node holding
//! its `telegram:<inbox>` lease. Each long-polls `getUpdates` from the stored offset
//! and stores every update together with the offset after it, in one transaction, so
//! Telegram is told an update was received (by the next poll's higher offset) only
//! once it is durable; a crash re-reads the rest and dedupe on the update id drops
//! what was already stored. A failing poller backs off (Telegram's `retry_after`, else
//! doubling up to five minutes) and shows on the inbox's health.

use super::lease::Held;
use crate::channels::http;

use crate::channels::seam::SendError;
use crate::channels::telegram;
use crate::domain::{ChannelKind, Inbox, InboxId};
use crate::service::{ServiceError, Services};
use crate::store::{Abort, Position, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The stream name of a bot's offset in the store.
pub const STREAM: &str = "telegram";

/// Longest wait after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Keeps one poller per polling Telegram inbox this node holds the lease of.
pub(super) async fn run(s: Arc<Services>, stop: watch::Receiver<bool>) -> Result<(), String> {
    let kind = super::watchers::Kind {
        prefix: "telegram",
        wanted: |s: &Services| {
            s.directory()
                .inboxes
                .iter()
                .filter(|i| i.channel == ChannelKind::Telegram && i.polled())
                .map(|i| (i.id, i.messaging.clone()))
                .collect()
        },
        watch: poll_inbox,
    };
    super::watchers::run(s, stop, kind).await
}

async fn poll_inbox(
    s: Arc<Services>,
    inbox_id: InboxId,
    _settings: Option<crate::domain::messaging::MessagingSettings>,
    cancel: CancellationToken,
    held: Held,
) {
    let mut failures = 0u32;
    loop {
        let step = tokio::select! {
            r = poll_once(&s, inbox_id, held.fence()) => r,
            _ = cancel.cancelled() => break,
            _ = held.lost().cancelled() => break,
        };
        let wait = match step {
            Ok(n) => {
                s.mail_health.ok(inbox_id, s.clock.now(), n);
                failures = 0;
                continue;
            }
            Err(Failure::LeaseLost) => {
                tracing::info!(inbox = %inbox_id, "Telegram poller stopping: its lease was lost");
                held.lost().cancel();
                break;
            }
            Err(Failure::Gone) => break,
            Err(Failure::Failed { after, error }) => {
                tracing::warn!(inbox = %inbox_id, error = %error, "Telegram poll failed");
                s.mail_health.failed(inbox_id, s.clock.now(), error);
                failures += 1;
                after.unwrap_or_else(|| {
                    Duration::from_secs(1)
                        .saturating_mul(1 << failures.min(9))
                        .min(MAX_BACKOFF)
                })
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = cancel.cancelled() => break,
            _ = held.lost().cancelled() => break,
        }
    }
    held.release().await;
}

/// Why a poll did not go through.
enum Failure {
    /// Retry after `after` (Telegram's `retry_after`), else after the usual backoff.
    Failed {
        after: Option<Duration>,
        error: String,
    },
    /// Another node polls this bot now.
    LeaseLost,
    /// The inbox is gone or no longer polls.
    Gone,
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Store(StoreError::Abort(Abort::LeaseLost)) => Failure::LeaseLost,
            e => Failure::Failed {
                after: None,
                error: e.to_string(),
            },
        }
    }
}

/// One long poll from the stored offset, and every update it brought stored with the
/// offset after it; returns how many updates it stored.
async fn poll_once(
    s: &Arc<Services>,
    inbox_id: InboxId,
    fence: Option<&crate::store::Fence>,
) -> Result<u64, Failure> {
    let inbox: Inbox = s
        .directory()
        .inbox(inbox_id)
        .cloned()
        .ok_or(Failure::Gone)?;
    let provider = s.provider(&inbox)?;
    let offset = s
        .blocking(move |s| s.store.position(inbox_id, STREAM))
        .await
        .map_err(ServiceError::from)?
        .map_or(0, |(_, o)| o);
    let Some(req) = provider.poll(offset) else {
        return Err(Failure::Gone);
    };
    let policy = s.settings.outbound;
    let client = policy
        .http_client()
        .map_err(|error| Failure::Failed { after: None, error })?;
    let resp = http::execute(policy, &client, &req, telegram::POLL_HTTP_TIMEOUT, 16 << 20)
        .await
        .map_err(|e| Failure::Failed {
            after: None,
            error: e.text().to_string(),
        })?;
    let polled = provider.polled(&resp, s.clock.now()).map_err(|e| match e {
        SendError::RetryLater { after, reason } => Failure::Failed {
            after,
            error: reason,
        },
        e => Failure::Failed {
            after: None,
            error: e.text(),
        },
    })?;
    let n = polled.updates.len() as u64;
    for (next, events) in polled.updates {
        let position = Position {
            stream: STREAM.into(),
            epoch: 0,
            offset: next,
        };
        s.apply_events(&inbox, provider.as_ref(), events, Some(position), fence)
            .await?;
    }
    Ok(n)
}

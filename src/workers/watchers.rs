//! Per-inbox watchers under leases: a mailbox's IMAP watcher (`mail:<inbox>`), a
//! Telegram bot's poller (`telegram:<inbox>`). Every node tries to claim the lease of
//! every inbox that wants a watcher (again every third of a lease period for those
//! another node holds) and runs the watchers it holds, so the work spreads over the
//! nodes and a dead node's moves to the others. A watcher is replaced when its
//! settings change, stopped when its inbox goes, and started again (once its lease is
//! ours again) when it ends on its own.

use super::lease::{self, Held};
use crate::domain::InboxId;
use crate::service::Services;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What a kind of watcher needs: which inboxes want one (with the settings that, when
/// changed, replace it), and the watcher itself, which runs until `cancel` or until
/// its lease (in `Held`) is lost, and gives the lease back when it returns.
pub(super) struct Kind<W, F> {
    /// The lease name's prefix: `mail`, `telegram`.
    pub prefix: &'static str,
    pub wanted: W,
    pub watch: F,
}

/// Runs the watchers of one kind until `stop`.
pub(super) async fn run<S, W, F, Fut>(
    s: Arc<Services>,
    mut stop: watch::Receiver<bool>,
    kind: Kind<W, F>,
) -> Result<(), String>
where
    S: PartialEq + Clone + Send + 'static,
    W: Fn(&Services) -> Vec<(InboxId, S)>,
    F: Fn(Arc<Services>, InboxId, S, CancellationToken, Held) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    /// A watcher: its settings, its cancel switch, whether its lease was lost, the task.
    type Running<S> = (S, CancellationToken, CancellationToken, JoinHandle<()>);
    let mut running: HashMap<InboxId, Running<S>> = HashMap::new();
    // When to try again to claim an inbox another node watches.
    let mut next_claim: HashMap<InboxId, tokio::time::Instant> = HashMap::new();
    let retry = s.node.lease_period.map(|p| p / 3).unwrap_or_default();
    let what = kind.prefix;
    loop {
        let wanted = (kind.wanted)(&s);
        let mut ended = Vec::new();
        running.retain(|id, (current, cancel, lost, task)| {
            if task.is_finished() {
                if lost.is_cancelled() {
                    tracing::info!(inbox = %id, watcher = what, "watcher stopped: its lease was lost");
                } else {
                    tracing::warn!(inbox = %id, watcher = what, "watcher stopped unexpectedly; restarting it");
                }
                return false;
            }
            let keep = wanted.iter().any(|(i, e)| i == id && e == current);
            if !keep {
                cancel.cancel();
                ended.push(std::mem::replace(task, tokio::spawn(async {})));
            }
            keep
        });
        for task in ended {
            let _ = task.await;
        }
        next_claim.retain(|id, _| wanted.iter().any(|(i, _)| i == id));
        for (id, settings) in wanted {
            if running.contains_key(&id) {
                continue;
            }
            let now = tokio::time::Instant::now();
            if next_claim.get(&id).is_some_and(|t| now < *t) {
                continue;
            }
            match lease::try_claim(&s, &format!("{what}:{}", id.0)).await {
                Ok(Some(held)) => {
                    next_claim.remove(&id);
                    let cancel = CancellationToken::new();
                    let lost = held.lost().clone();
                    let task = tokio::spawn((kind.watch)(
                        s.clone(),
                        id,
                        settings.clone(),
                        cancel.clone(),
                        held,
                    ));
                    running.insert(id, (settings, cancel, lost, task));
                }
                Ok(None) => {
                    next_claim.insert(id, now + retry);
                }
                Err(err) => {
                    tracing::warn!(inbox = %id, watcher = what, error = %err, "could not claim a watcher's lease");
                    next_claim.insert(id, now + retry);
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => break,
        }
    }
    for (_, (_, cancel, _, task)) in running.drain() {
        cancel.cancel();
        let _ = task.await;
    }
    Ok(())
}

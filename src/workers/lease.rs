//! Leases from the workers' side: background work that must run on exactly one node
//! (the outbox sender, the timers, each mailbox's watcher, a future Telegram poller)
//! runs only while this node holds the work's named lease in the store
//! (`store::leases`). A held lease is renewed every third of its period; when renewal
//! says it was lost, or the store cannot be reached until the period is nearly over,
//! the holding is marked lost at once and the work stops. Writes done under a lease
//! carry its [`Fence`], so a node that lost the lease cannot commit them anyway. A
//! holding dropped or released gives the lease back, so another node takes over at once.
//!
//! On a single node (no `[cluster]`) the same code runs: every claim is granted at once
//! with token 0, no fence, and is never lost.

use crate::domain::Clock;
use crate::service::Services;
use crate::store::{Fence, Store};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A holding of a lease by this node.
pub struct Held {
    name: String,
    token: u64,
    fence: Option<Fence>,
    lost: CancellationToken,
    /// Cancelled to stop renewing and give the lease back.
    done: CancellationToken,
    keeper: Option<JoinHandle<()>>,
}

impl Held {
    /// The lease's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The fencing token (0 on a single node).
    pub fn token(&self) -> u64 {
        self.token
    }

    /// What writes done under this holding carry (`None` on a single node).
    pub fn fence(&self) -> Option<&Fence> {
        self.fence.as_ref()
    }

    /// Cancelled when the lease is lost (never on a single node).
    pub fn lost(&self) -> &CancellationToken {
        &self.lost
    }

    /// Stops renewing and gives the lease back (unless it was lost), waiting until the
    /// store has it.
    pub async fn release(mut self) {
        self.done.cancel();
        if let Some(k) = self.keeper.take() {
            let _ = k.await;
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // The keeper gives the lease back on its own.
        self.done.cancel();
    }
}

/// Runs a blocking store call off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> crate::store::Result<T> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// Claims lease `name` once for this node: the holding, or `None` while another node
/// holds it. Always granted on a single node.
pub async fn try_claim(s: &Services, name: &str) -> Result<Option<Held>, String> {
    let Some(period) = s.node.lease_period else {
        return Ok(Some(Held {
            name: name.to_string(),
            token: 0,
            fence: None,
            lost: CancellationToken::new(),
            done: CancellationToken::new(),
            keeper: None,
        }));
    };
    let (store, clock, node, lease) = (
        s.store.clone(),
        s.clock.clone(),
        s.node.id.clone(),
        name.to_string(),
    );
    let started = Instant::now();
    let token = blocking(move || store.claim_lease(&lease, &node, clock.now(), period)).await?;
    let Some(token) = token else {
        return Ok(None);
    };
    tracing::info!(lease = name, node = %s.node.id, token, "lease claimed");
    let (lost, done) = (CancellationToken::new(), CancellationToken::new());
    let keeper = tokio::spawn(keep(
        Keeper {
            store: s.store.clone(),
            clock: s.clock.clone(),
            name: name.to_string(),
            node: s.node.id.clone(),
            token,
            period,
        },
        started,
        lost.clone(),
        done.clone(),
    ));
    Ok(Some(Held {
        name: name.to_string(),
        token,
        fence: Some(Fence {
            lease: name.to_string(),
            token,
        }),
        lost,
        done,
        keeper: Some(keeper),
    }))
}

/// What the keeper task needs.
struct Keeper {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    name: String,
    node: String,
    token: u64,
    period: Duration,
}

/// Renews the holding every third of the period until `done`, then releases it. Marks
/// it `lost` when renewal is refused, or when no renewal succeeded for most of a period
/// (the store unreachable: by then another node may take over).
async fn keep(k: Keeper, claimed_at: Instant, lost: CancellationToken, done: CancellationToken) {
    let every = k.period / 3;
    // A tenth of the period is left as a margin for clocks that disagree.
    let safe = k.period - k.period / 10;
    let mut valid_until = claimed_at + safe;
    let k = Arc::new(k);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = done.cancelled() => break,
            _ = tokio::time::sleep_until(valid_until) => return give_up(&k, &lost, "no renewal"),
        }
        let started = Instant::now();
        let r = {
            let k = k.clone();
            blocking(move || {
                k.store
                    .renew_lease(&k.name, &k.node, k.token, k.clock.now(), k.period)
            })
        };
        tokio::select! {
            r = r => match r {
                Ok(true) => valid_until = started + safe,
                Ok(false) => return give_up(&k, &lost, "taken over or released"),
                Err(e) => tracing::warn!(lease = %k.name, error = %e, "could not renew a lease; retrying"),
            },
            _ = tokio::time::sleep_until(valid_until) => return give_up(&k, &lost, "renewal too slow"),
        }
    }
    if lost.is_cancelled() {
        return;
    }
    let k2 = k.clone();
    match blocking(move || k2.store.release_lease(&k2.name, &k2.node, k2.token)).await {
        Ok(_) => tracing::info!(lease = %k.name, token = k.token, "lease released"),
        Err(e) => {
            tracing::warn!(lease = %k.name, error = %e, "could not release a lease; it expires")
        }
    }
}

fn give_up(k: &Keeper, lost: &CancellationToken, why: &str) {
    tracing::warn!(lease = %k.name, node = %k.node, token = k.token, why, "lease lost; stopping its work");
    lost.cancel();
}

/// What leased work is given: the fence for its writes, and when to end.
pub struct Duty {
    /// Carried into the writes done under the lease (`None` on a single node).
    pub fence: Option<Fence>,
    /// Cancelled when the lease is lost: stop at once.
    pub lost: CancellationToken,
    stop: watch::Receiver<bool>,
}

impl Duty {
    /// Resolves once the work must end: the node is stopping or the lease was lost.
    pub async fn ended(&mut self) {
        tokio::select! {
            _ = self.lost.cancelled() => {}
            _ = self.stop.wait_for(|s| *s) => {}
        }
    }

    /// Whether the node is stopping or the lease was lost.
    pub fn over(&self) -> bool {
        self.lost.is_cancelled() || *self.stop.borrow()
    }
}

/// Runs `work` whenever this node holds lease `name`, until `stop`: claims it (trying
/// again every third of a lease period while another node holds it), runs `work` with
/// a [`Duty`] (which it must end on), gives the lease back, and after a loss tries to
/// claim again. An error from `work` is returned after the lease is given back (the
/// supervisor restarts it). On a single node: runs `work` once, until `stop`.
pub async fn under_lease<F, Fut>(
    s: Arc<Services>,
    name: &str,
    mut stop: watch::Receiver<bool>,
    mut work: F,
) -> Result<(), String>
where
    F: FnMut(Duty) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let retry = s.node.lease_period.map(|p| p / 3).unwrap_or_default();
    loop {
        let held = loop {
            if *stop.borrow() {
                return Ok(());
            }
            match try_claim(&s, name).await {
                Ok(Some(h)) => break h,
                Ok(None) => {}
                Err(e) => tracing::warn!(lease = name, error = %e, "could not claim a lease"),
            }
            tokio::select! {
                _ = tokio::time::sleep(retry) => {}
                _ = stop.wait_for(|s| *s) => return Ok(()),
            }
        };
        let duty = Duty {
            fence: held.fence().cloned(),
            lost: held.lost().clone(),
            stop: stop.clone(),
        };
        let r = work(duty).await;
        let was_lost = held.lost().is_cancelled();
        held.release().await;
        r?;
        if *stop.borrow() {
            return Ok(());
        }
        if !was_lost {
            // The work ended on its own without a loss or a stop: as before leases.
            return Ok(());
        }
    }
}

//! Background tasks, each supervised: restarted with backoff when it fails, stopped in
//! order at shutdown. With several nodes each runs on one node at a time, under a lease
//! (`lease`): the outbox sender (`outbox`), the timers (`timers`) and each mailbox's
//! watcher (`mail:<inbox>`) and each Telegram bot's poller (`telegram:<inbox>`).

pub mod lease;
pub mod mail;
mod outbox;
mod telegram;
mod watchers;

use crate::service::Services;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Running workers and the signal that stops them.
pub struct Workers {
    stop: watch::Sender<bool>,
    handles: Vec<(&'static str, JoinHandle<()>)>,
}

impl Workers {
    /// Starts every worker.
    pub fn start(services: Arc<Services>, webhook_timeout: Duration) -> Workers {
        let (stop, _) = watch::channel(false);
        let mut w = Workers {
            stop,
            handles: Vec::new(),
        };
        let s = services.clone();
        w.supervise("timers", move |stop| timers(s.clone(), stop));
        let s = services.clone();
        w.supervise("mail-pollers", move |stop| mail::run(s.clone(), stop));
        let s = services.clone();
        w.supervise("telegram-pollers", move |stop| {
            telegram::run(s.clone(), stop)
        });
        let s = services.clone();
        w.supervise("outbox", move |stop| {
            outbox::run(s.clone(), webhook_timeout, stop)
        });
        w
    }

    /// Runs `make()` until it returns Ok or stop is signalled; restarts it after an
    /// error with exponential backoff (1 s doubling to 5 min).
    fn supervise<F, Fut>(&mut self, name: &'static str, make: F)
    where
        F: Fn(watch::Receiver<bool>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let mut stop = self.stop.subscribe();
        let handle = tokio::spawn(async move {
            let mut backoff = Duration::from_secs(1);
            loop {
                let run = tokio::spawn(make(stop.clone()));
                let outcome = match run.await {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) => e,
                    Err(e) => format!("panicked: {e}"),
                };
                tracing::warn!(worker = name, error = %outcome, retry_in = ?backoff, "worker failed; restarting");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(300));
            }
        });
        self.handles.push((name, handle));
    }

    /// Signals every worker to stop and waits for them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for (name, h) in self.handles {
            if tokio::time::timeout(Duration::from_secs(10), h)
                .await
                .is_err()
            {
                tracing::warn!(worker = name, "worker did not stop within 10 s");
            }
        }
    }
}

/// The timers, on the node holding the `timers` lease: wakes snoozed conversations
/// when their time comes (checked every two seconds) and removes expired sessions and
/// uploads never sent within a day (every ten minutes).
async fn timers(s: Arc<Services>, stop: watch::Receiver<bool>) -> Result<(), String> {
    let t = s.clone();
    lease::under_lease(s, "timers", stop, move |duty| run_timers(t.clone(), duty)).await
}

async fn run_timers(s: Arc<Services>, mut duty: lease::Duty) -> Result<(), String> {
    let mut next_purge = tokio::time::Instant::now();
    loop {
        if tokio::time::Instant::now() >= next_purge {
            session_purge(&s).await?;
            upload_purge(&s).await?;
            next_purge = tokio::time::Instant::now() + Duration::from_secs(600);
        }
        s.blocking_async(|s| async move { s.wake_due().await })
            .await
            .map_err(|e| e.to_string())?;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = duty.ended() => return Ok(()),
        }
    }
}

/// Removes uploads that were never sent within a day.
async fn upload_purge(s: &Arc<Services>) -> Result<(), String> {
    let svc = s.clone();
    let n = tokio::task::spawn_blocking(move || svc.remove_unsent_uploads())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    if n > 0 {
        tracing::info!(removed = n, "unsent uploads removed");
    }
    Ok(())
}

/// Removes expired sessions.
async fn session_purge(s: &Arc<Services>) -> Result<(), String> {
    let svc = s.clone();
    let n = tokio::task::spawn_blocking(move || svc.purge_expired_sessions())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    if n > 0 {
        tracing::info!(removed = n, "expired sessions purged");
    }
    Ok(())
}

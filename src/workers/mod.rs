//! Background tasks, each supervised: restarted with backoff when it fails, stopped in
//! order at shutdown.

pub mod mail;
mod outbox;

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
        w.supervise("session-purge", move |stop| session_purge(s.clone(), stop));
        let s = services.clone();
        w.supervise("snooze-timer", move |stop| snooze_timer(s.clone(), stop));
        let s = services.clone();
        w.supervise("mail-pollers", move |stop| mail::run(s.clone(), stop));
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

/// Removes expired sessions every ten minutes.
async fn session_purge(s: Arc<Services>, mut stop: watch::Receiver<bool>) -> Result<(), String> {
    loop {
        let svc = s.clone();
        let n = tokio::task::spawn_blocking(move || svc.purge_expired_sessions())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        if n > 0 {
            tracing::info!(removed = n, "expired sessions purged");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            _ = stop.changed() => return Ok(()),
        }
    }
}

/// Wakes snoozed conversations when their time comes (checked every two seconds).
async fn snooze_timer(s: Arc<Services>, mut stop: watch::Receiver<bool>) -> Result<(), String> {
    loop {
        s.blocking_async(|s| async move { s.wake_due().await })
            .await
            .map_err(|e| e.to_string())?;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => return Ok(()),
        }
    }
}

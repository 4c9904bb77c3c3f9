//! Group commit: many writers waiting for durability share one `flush_async`.

use super::Result;
use std::sync::Mutex;
use tokio::sync::Notify;

#[derive(Default)]
struct State {
    /// Tickets handed out so far.
    requested: u64,
    /// Every ticket up to this one is durable.
    completed: u64,
    in_flight: bool,
}

pub(super) struct GroupCommit {
    db: sled::Db,
    state: Mutex<State>,
    done: Notify,
}

impl GroupCommit {
    pub(super) fn new(db: sled::Db) -> Self {
        GroupCommit {
            db,
            state: Mutex::new(State::default()),
            done: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns once a flush that started after this call has completed.
    pub(super) async fn flush(&self) -> Result<()> {
        let ticket = {
            let mut s = self.lock();
            s.requested += 1;
            s.requested
        };
        loop {
            let notified = self.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let target = {
                let mut s = self.lock();
                if s.completed >= ticket {
                    return Ok(());
                }
                if s.in_flight {
                    None
                } else {
                    s.in_flight = true;
                    Some(s.requested)
                }
            };
            match target {
                None => notified.await,
                Some(target) => {
                    // Every write of tickets <= target happened before its ticket was
                    // taken, so this flush covers them all.
                    let r = self.db.flush_async().await;
                    {
                        let mut s = self.lock();
                        s.in_flight = false;
                        if r.is_ok() {
                            s.completed = s.completed.max(target);
                        }
                    }
                    self.done.notify_waiters();
                    r?;
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_share_flushes_and_all_return() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new()
            .path(dir.path())
            .flush_every_ms(None)
            .open()
            .unwrap();
        let gc = Arc::new(GroupCommit::new(db.clone()));
        let mut tasks = Vec::new();
        for i in 0..200u32 {
            let (gc, db) = (gc.clone(), db.clone());
            tasks.push(tokio::spawn(async move {
                db.insert(i.to_be_bytes(), b"v").unwrap();
                gc.flush().await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let s = gc.lock();
        assert_eq!(s.completed, 200);
        assert!(!s.in_flight);
    }
}

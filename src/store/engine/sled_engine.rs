//! The embedded engine: one sled database, one tree per keyspace, group commit over
//! `flush_async`. The only file that names sled.

use super::{
    EngineError, Inner, Ks, Pair, Range, Scan, Tx, TxEngineError, TxError, TxImpl, TxOutcome,
};
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use std::path::PathBuf;
use std::sync::Mutex;
use tokio::sync::Notify;

/// Where and how to open the embedded database.
#[derive(Debug, Clone)]
pub struct SledOptions {
    pub path: PathBuf,
    /// sled's page cache (its own default is 1 GiB).
    pub cache_capacity: u64,
    /// How often sled syncs on its own; `None`: only on `durable()`.
    pub flush_every_ms: Option<u64>,
}

impl From<sled::Error> for EngineError {
    fn from(e: sled::Error) -> Self {
        EngineError::Failed(e.to_string())
    }
}

impl From<UnabortableTransactionError> for TxEngineError {
    fn from(e: UnabortableTransactionError) -> Self {
        TxEngineError(Inner::Sled(e))
    }
}

pub struct SledEngine {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    commit: GroupCommit,
}

impl SledEngine {
    pub(super) fn open(opts: &SledOptions, keyspaces: &[&str]) -> Result<SledEngine, EngineError> {
        let cfg = sled::Config::new()
            .path(&opts.path)
            .cache_capacity(opts.cache_capacity)
            .flush_every_ms(opts.flush_every_ms);
        // The store's directory lock already excludes other processes; sled's own file
        // lock can stay held for a moment by the background flusher of a database this
        // process just dropped (a restart in place), so retry briefly.
        let mut tries = 0;
        let db = loop {
            match cfg.open() {
                Ok(db) => break db,
                Err(sled::Error::Io(e)) if tries < 60 => {
                    tracing::debug!(error = %e, "database busy, retrying");
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(e.into()),
            }
        };
        let trees = keyspaces
            .iter()
            .map(|n| db.open_tree(n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SledEngine {
            commit: GroupCommit::new(db.clone()),
            db,
            trees,
        })
    }

    fn tree(&self, ks: Ks) -> Result<&sled::Tree, EngineError> {
        self.trees
            .get(ks)
            .ok_or_else(|| EngineError::Failed(format!("no keyspace number {ks}")))
    }

    pub(super) fn get(&self, ks: Ks, key: &[u8]) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(self.tree(ks)?.get(key)?.map(|v| v.to_vec()))
    }

    pub(super) fn insert(&self, ks: Ks, key: &[u8], value: &[u8]) -> Result<(), EngineError> {
        self.tree(ks)?.insert(key, value)?;
        Ok(())
    }

    pub(super) fn remove(&self, ks: Ks, key: &[u8]) -> Result<(), EngineError> {
        self.tree(ks)?.remove(key)?;
        Ok(())
    }

    pub(super) fn scan(&self, ks: Ks, range: Range, _limit: usize) -> Scan<'_> {
        let tree = match self.tree(ks) {
            Ok(t) => t,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let it = tree.range::<Vec<u8>, _>((range.start, range.end));
        let map = |r: sled::Result<(sled::IVec, sled::IVec)>| -> Result<Pair, EngineError> {
            let (k, v) = r?;
            Ok((k.to_vec(), v.to_vec()))
        };
        if range.reverse {
            Box::new(it.rev().map(map))
        } else {
            Box::new(it.map(map))
        }
    }

    pub(super) fn count(&self, ks: Ks) -> u64 {
        self.trees.get(ks).map(|t| t.len() as u64).unwrap_or(0)
    }

    pub(super) fn transaction<R, A>(
        &self,
        keyspaces: &[Ks],
        f: impl Fn(&Tx<'_>) -> Result<R, TxError<A>>,
    ) -> Result<R, TxOutcome<A>> {
        let mut slot = [u8::MAX; 64];
        let mut trees = Vec::with_capacity(keyspaces.len());
        for (n, &ks) in keyspaces.iter().enumerate() {
            let t = self.tree(ks).map_err(TxOutcome::Failed)?;
            if let Some(s) = slot.get_mut(ks) {
                *s = n as u8;
            }
            trees.push(t);
        }
        let r = trees[..].transaction(|v: &Vec<TransactionalTree>| {
            let tx = SledTx {
                slot: &slot,
                trees: v,
            };
            f(&Tx(TxImpl::Sled(&tx))).map_err(|e| match e {
                TxError::Abort(a) => ConflictableTransactionError::Abort(a),
                TxError::Engine(TxEngineError(Inner::Sled(u))) => u.into(),
                // Only another engine's transaction makes these; fail rather than retry.
                TxError::Engine(TxEngineError(Inner::Postgres(e))) => {
                    ConflictableTransactionError::Storage(sled::Error::Unsupported(format!(
                        "a PostgreSQL error inside a sled transaction: {e:?}"
                    )))
                }
            })
        });
        r.map_err(|e| match e {
            TransactionError::Abort(a) => TxOutcome::Abort(a),
            TransactionError::Storage(e) => TxOutcome::Failed(e.into()),
        })
    }

    pub(super) async fn durable(&self) -> Result<(), EngineError> {
        self.commit.flush().await
    }

    pub(super) fn flush_blocking(&self) -> Result<(), EngineError> {
        self.db.flush()?;
        Ok(())
    }

    pub(super) fn size_on_disk(&self) -> Result<u64, EngineError> {
        Ok(self.db.size_on_disk()?)
    }
}

/// One sled transaction over the listed trees.
pub struct SledTx<'a> {
    /// Keyspace number → position in `trees` (`u8::MAX`: not in this transaction).
    slot: &'a [u8; 64],
    trees: &'a [TransactionalTree],
}

impl SledTx<'_> {
    fn tree(&self, ks: Ks) -> Result<&TransactionalTree, TxEngineError> {
        self.slot
            .get(ks)
            .and_then(|&s| self.trees.get(s as usize))
            .ok_or_else(|| {
                TxEngineError(Inner::Sled(UnabortableTransactionError::Storage(
                    sled::Error::Unsupported(format!(
                        "keyspace number {ks} is not part of this transaction"
                    )),
                )))
            })
    }

    pub(super) fn get(&self, ks: Ks, key: &[u8]) -> Result<Option<Vec<u8>>, TxEngineError> {
        Ok(self.tree(ks)?.get(key)?.map(|v| v.to_vec()))
    }

    pub(super) fn insert(
        &self,
        ks: Ks,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, TxEngineError> {
        Ok(self.tree(ks)?.insert(key, value)?.map(|v| v.to_vec()))
    }

    pub(super) fn remove(&self, ks: Ks, key: &[u8]) -> Result<Option<Vec<u8>>, TxEngineError> {
        Ok(self.tree(ks)?.remove(key)?.map(|v| v.to_vec()))
    }
}

/// Group commit: many writers waiting for durability share one `flush_async`.
struct GroupCommit {
    db: sled::Db,
    state: Mutex<State>,
    done: Notify,
}

#[derive(Default)]
struct State {
    /// Tickets handed out so far.
    requested: u64,
    /// Every ticket up to this one is durable.
    completed: u64,
    in_flight: bool,
}

impl GroupCommit {
    fn new(db: sled::Db) -> Self {
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
    async fn flush(&self) -> Result<(), EngineError> {
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

    /// sled-only by nature: sled's group commit over `flush_async` (PostgreSQL commits
    /// durably statement by statement and has nothing to group).
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

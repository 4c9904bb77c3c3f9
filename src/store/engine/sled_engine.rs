//! The embedded engine: one sled database, one tree per keyspace, group commit over
//! `flush_async`; the values of large keyspaces in files beside it (`spill`). The only
//! file that names sled.

use super::spill::Spill;
use super::{
    EngineError, Inner, Ks, Pair, Range, Scan, Tx, TxEngineError, TxError, TxImpl, TxOutcome,
};
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use std::collections::HashSet;
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
    /// Keyspaces whose values may be large (file chunks): values from 8 KiB up are
    /// kept in files in `<path>.values/` rather than in sled's pages (see `spill`).
    pub large_values: &'static [&'static str],
}

/// The sled tree of a large keyspace (its entries are tagged: a value or a pointer).
/// The untagged tree of the keyspace's name, from before, is moved over once.
fn large_tree_name(keyspace: &str) -> String {
    format!("{keyspace}~v")
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
    /// Per keyspace: its values are tagged and may be in `spill`.
    large: Vec<bool>,
    spill: std::sync::Arc<Spill>,
    commit: GroupCommit,
}

fn io_err(e: std::io::Error) -> EngineError {
    EngineError::Failed(format!("large values: {e}"))
}

fn tx_io(e: std::io::Error) -> TxEngineError {
    TxEngineError(Inner::Sled(UnabortableTransactionError::Storage(
        sled::Error::Io(e),
    )))
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
        let large: Vec<bool> = keyspaces
            .iter()
            .map(|n| opts.large_values.contains(n))
            .collect();
        let spill = Spill::open(opts.path.with_extension("values")).map_err(io_err)?;
        let existing: HashSet<Vec<u8>> = db.tree_names().into_iter().map(|n| n.to_vec()).collect();
        let mut trees = Vec::with_capacity(keyspaces.len());
        for (n, &big) in keyspaces.iter().zip(&large) {
            if !big {
                trees.push(db.open_tree(n)?);
                continue;
            }
            let tree = db.open_tree(large_tree_name(n))?;
            if existing.contains(n.as_bytes()) {
                move_to_large(&db, n, &tree, &spill)?;
            }
            trees.push(tree);
        }
        // Files no pointer names: a crash between a file and its pointer, or before an
        // unlink.
        let mut named = HashSet::new();
        for (tree, _) in trees.iter().zip(&large).filter(|(_, b)| **b) {
            for kv in tree.iter() {
                let (_, v) = kv?;
                named.extend(Spill::file_of(&v));
            }
        }
        let removed = spill.sweep(&named).map_err(io_err)?;
        if removed > 0 {
            tracing::info!(removed, "removed large-value files nothing pointed to");
        }
        Ok(SledEngine {
            commit: GroupCommit::new(db.clone()),
            db,
            trees,
            large,
            spill: std::sync::Arc::new(spill),
        })
    }

    fn is_large(&self, ks: Ks) -> bool {
        self.large.get(ks).copied().unwrap_or(false)
    }

    /// A stored entry as the value it stands for.
    fn value(&self, ks: Ks, stored: sled::IVec) -> Result<Vec<u8>, EngineError> {
        if self.is_large(ks) {
            self.spill.load(&stored).map_err(io_err)
        } else {
            Ok(stored.to_vec())
        }
    }

    fn tree(&self, ks: Ks) -> Result<&sled::Tree, EngineError> {
        self.trees
            .get(ks)
            .ok_or_else(|| EngineError::Failed(format!("no keyspace number {ks}")))
    }

    pub(super) fn get(&self, ks: Ks, key: &[u8]) -> Result<Option<Vec<u8>>, EngineError> {
        self.tree(ks)?
            .get(key)?
            .map(|v| self.value(ks, v))
            .transpose()
    }

    pub(super) fn insert(&self, ks: Ks, key: &[u8], value: &[u8]) -> Result<(), EngineError> {
        let tree = self.tree(ks)?;
        if !self.is_large(ks) {
            tree.insert(key, value)?;
            return Ok(());
        }
        let (stored, file) = self.spill.store(value).map_err(io_err)?;
        match tree.insert(key, stored) {
            Ok(old) => {
                self.spill
                    .unlink_after_commit(old.and_then(|o| Spill::file_of(&o)));
                Ok(())
            }
            Err(e) => {
                self.spill.unlink(file);
                Err(e.into())
            }
        }
    }

    pub(super) fn remove(&self, ks: Ks, key: &[u8]) -> Result<(), EngineError> {
        let old = self.tree(ks)?.remove(key)?;
        if self.is_large(ks) {
            self.spill
                .unlink_after_commit(old.and_then(|o| Spill::file_of(&o)));
        }
        Ok(())
    }

    pub(super) fn scan(&self, ks: Ks, range: Range, _limit: usize) -> Scan<'_> {
        let tree = match self.tree(ks) {
            Ok(t) => t,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let it = tree.range::<Vec<u8>, _>((range.start, range.end));
        let map = move |r: sled::Result<(sled::IVec, sled::IVec)>| -> Result<Pair, EngineError> {
            let (k, v) = r?;
            Ok((k.to_vec(), self.value(ks, v)?))
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
        let files = Mutex::new(TxFiles::default());
        let r = trees[..].transaction(|v: &Vec<TransactionalTree>| {
            // A new attempt: the files the last one wrote are named by nothing.
            files
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .next_attempt();
            let tx = SledTx {
                slot: &slot,
                trees: v,
                engine: self,
                files: &files,
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
        let files = files.into_inner().unwrap_or_else(|e| e.into_inner());
        if r.is_ok() {
            self.spill.unlink(files.orphans);
            self.spill.unlink_after_commit(files.replaced);
        } else {
            self.spill
                .unlink(files.orphans.into_iter().chain(files.written));
        }
        r.map_err(|e| match e {
            TransactionError::Abort(a) => TxOutcome::Abort(a),
            TransactionError::Storage(e) => TxOutcome::Failed(e.into()),
        })
    }

    pub(super) async fn durable(&self) -> Result<(), EngineError> {
        let doomed = self.spill.take_doomed();
        match self.commit.flush().await {
            Ok(()) => {
                // Unlinking a deleted conversation's files is hundreds of syscalls: off
                // the async worker.
                if !doomed.is_empty() {
                    let spill = self.spill.clone();
                    let _ = tokio::task::spawn_blocking(move || spill.unlink(doomed)).await;
                }
                Ok(())
            }
            Err(e) => {
                self.spill.restore_doomed(doomed);
                Err(e)
            }
        }
    }

    pub(super) fn flush_blocking(&self) -> Result<(), EngineError> {
        let doomed = self.spill.take_doomed();
        if let Err(e) = self.db.flush() {
            self.spill.restore_doomed(doomed);
            return Err(e.into());
        }
        self.spill.unlink(doomed);
        Ok(())
    }

    pub(super) fn size_on_disk(&self) -> Result<u64, EngineError> {
        Ok(self.db.size_on_disk()? + self.spill.bytes())
    }
}

/// Moves a large keyspace's untagged tree (from before large values had files) into
/// its tagged tree, once; a crash midway resumes (keys already moved are skipped).
fn move_to_large(
    db: &sled::Db,
    name: &str,
    to: &sled::Tree,
    spill: &Spill,
) -> Result<(), EngineError> {
    let from = db.open_tree(name)?;
    let mut moved = 0u64;
    for kv in from.iter() {
        let (k, v) = kv?;
        if to.contains_key(&k)? {
            continue;
        }
        let (stored, _) = spill.store(&v).map_err(io_err)?;
        to.insert(k, stored)?;
        moved += 1;
    }
    db.flush()?;
    db.drop_tree(name)?;
    db.flush()?;
    tracing::info!(keyspace = name, moved, "large values moved to their files");
    Ok(())
}

/// The files a transaction wrote and dropped, across its attempts.
#[derive(Default)]
struct TxFiles {
    /// Written by earlier attempts (never committed).
    orphans: Vec<u64>,
    /// Written by the current attempt.
    written: Vec<u64>,
    /// Pointed to by entries the current attempt replaced or removed.
    replaced: Vec<u64>,
}

impl TxFiles {
    fn next_attempt(&mut self) {
        self.orphans.append(&mut self.written);
        self.replaced.clear();
    }
}

/// One sled transaction over the listed trees.
pub struct SledTx<'a> {
    /// Keyspace number → position in `trees` (`u8::MAX`: not in this transaction).
    slot: &'a [u8; 64],
    trees: &'a [TransactionalTree],
    engine: &'a SledEngine,
    files: &'a Mutex<TxFiles>,
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

    fn files(&self) -> std::sync::MutexGuard<'_, TxFiles> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A stored entry as its value (read only when `want`); the file of a replaced or
    /// removed one (`dropped`) is noted for unlinking after the commit.
    fn value(
        &self,
        ks: Ks,
        stored: Option<sled::IVec>,
        dropped: bool,
        want: bool,
    ) -> Result<Option<Vec<u8>>, TxEngineError> {
        let Some(stored) = stored else {
            return Ok(None);
        };
        if !self.engine.is_large(ks) {
            return Ok(want.then(|| stored.to_vec()));
        }
        if dropped {
            self.files().replaced.extend(Spill::file_of(&stored));
        }
        if !want {
            return Ok(None);
        }
        self.engine.spill.load(&stored).map(Some).map_err(tx_io)
    }

    pub(super) fn get(&self, ks: Ks, key: &[u8]) -> Result<Option<Vec<u8>>, TxEngineError> {
        self.value(ks, self.tree(ks)?.get(key)?, false, true)
    }

    /// Writes a value; the previous one is read and returned only when `want_old`.
    pub(super) fn insert(
        &self,
        ks: Ks,
        key: &[u8],
        value: &[u8],
        want_old: bool,
    ) -> Result<Option<Vec<u8>>, TxEngineError> {
        let tree = self.tree(ks)?;
        if !self.engine.is_large(ks) {
            let old = tree.insert(key, value)?;
            return Ok(old.filter(|_| want_old).map(|v| v.to_vec()));
        }
        // Written before the pointer (the attempt may be run again: `TxFiles`).
        let (stored, file) = self.engine.spill.store(value).map_err(tx_io)?;
        self.files().written.extend(file);
        let old = tree.insert(key, stored)?;
        self.value(ks, old, true, want_old)
    }

    /// Removes a key; its value is read and returned only when `want_old`.
    pub(super) fn remove(
        &self,
        ks: Ks,
        key: &[u8],
        want_old: bool,
    ) -> Result<Option<Vec<u8>>, TxEngineError> {
        let old = self.tree(ks)?.remove(key)?;
        self.value(ks, old, true, want_old)
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
#[path = "sled_engine_tests.rs"]
mod tests;

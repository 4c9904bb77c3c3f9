//! The ordered key-value engine under the store: named keyspaces of byte keys (compared
//! bytewise) and byte values, with
//! - point reads, ordered range scans (forward or backward, from a bound, read in pages
//!   of at most `limit`), and single writes that commit on their own;
//! - multi-keyspace transactions of point get / insert / remove and batch get, which the
//!   engine may run more than once (on a conflict), so the closure must be pure;
//! - a durable commit: `durable().await` returns once every write made before the call
//!   is on disk, concurrent callers sharing one flush (group commit).
//!
//! The store's logic (key layouts, indexes, counts, dedupe, the job queue, migrations)
//! uses only this. sled is the embedded engine, PostgreSQL the shared one; nothing of
//! either is visible past this module.

#[cfg(test)]
pub(crate) mod contract;
#[cfg(test)]
pub(crate) mod pg_test_server;
mod postgres;
mod sled_engine;
mod spill;

pub use sled_engine::SledOptions;

use std::ops::Bound;

/// A keyspace: its position in [`super::schema::TREES`].
pub type Ks = usize;

/// A key and its value, as read.
pub type Pair = (Vec<u8>, Vec<u8>);

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The engine itself failed (I/O, corruption, connection); the message says how.
    #[error("{0}")]
    Failed(String),
    /// The data directory is held by another process.
    #[error("locked")]
    Locked,
}

/// How a transaction closure ends early: the caller's own abort (returned as is), or
/// an engine condition the engine handles itself (a conflict to retry, a failure).
#[derive(Debug)]
pub enum TxError<A> {
    Abort(A),
    Engine(TxEngineError),
}

/// An engine condition inside a transaction; opaque to the store.
#[derive(Debug)]
pub struct TxEngineError(Inner);

#[derive(Debug)]
enum Inner {
    Sled(sled::transaction::UnabortableTransactionError),
    Postgres(postgres::PgTxError),
}

impl<A> From<TxEngineError> for TxError<A> {
    fn from(e: TxEngineError) -> Self {
        TxError::Engine(e)
    }
}

/// What a transaction ended with.
#[derive(Debug)]
pub enum TxOutcome<A> {
    Abort(A),
    Failed(EngineError),
}

/// A range of keys: `(start, end)` bounds, `reverse` for newest-first scans.
#[derive(Debug, Clone)]
pub struct Range {
    pub start: Bound<Vec<u8>>,
    pub end: Bound<Vec<u8>>,
    pub reverse: bool,
}

impl Range {
    /// Every key starting with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Range {
        Range {
            start: Bound::Included(prefix.to_vec()),
            end: match prefix_end(prefix) {
                Some(e) => Bound::Excluded(e),
                None => Bound::Unbounded,
            },
            reverse: false,
        }
    }

    /// `start..end` (end excluded).
    pub fn between(start: &[u8], end: &[u8]) -> Range {
        Range {
            start: Bound::Included(start.to_vec()),
            end: Bound::Excluded(end.to_vec()),
            reverse: false,
        }
    }

    /// Every key at or after `start`.
    pub fn from(start: &[u8]) -> Range {
        Range {
            start: Bound::Included(start.to_vec()),
            end: Bound::Unbounded,
            reverse: false,
        }
    }

    /// Every key.
    pub fn all() -> Range {
        Range {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
            reverse: false,
        }
    }

    /// The same range, last key first.
    pub fn rev(mut self) -> Range {
        self.reverse = !self.reverse;
        self
    }
}

/// The smallest key greater than every key starting with `prefix` (`None`: no bound).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// An open engine.
pub enum Engine {
    Sled(sled_engine::SledEngine),
    Postgres(postgres::PgEngine),
}

/// A lazy, ordered scan.
pub type Scan<'a> = Box<dyn Iterator<Item = Result<Pair, EngineError>> + Send + 'a>;

impl Engine {
    /// Opens the embedded engine with `keyspaces` (names, in [`Ks`] order).
    pub fn open_sled(opts: &SledOptions, keyspaces: &[&str]) -> Result<Engine, EngineError> {
        Ok(Engine::Sled(sled_engine::SledEngine::open(
            opts, keyspaces,
        )?))
    }

    /// Connects to PostgreSQL (`postgres://user[:password]@host[:port]/database`) with
    /// at most `pool_size` connections, creating the keyspaces' tables if missing.
    pub fn open_postgres(
        url: &str,
        keyspaces: &[&str],
        pool_size: usize,
    ) -> Result<Engine, EngineError> {
        Ok(Engine::Postgres(postgres::PgEngine::open(
            url, keyspaces, pool_size,
        )?))
    }

    /// The engine's name as configured (`sled`, `postgres`).
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Sled(_) => "sled",
            Engine::Postgres(_) => "postgres",
        }
    }

    /// Whether every call is a network round trip (PostgreSQL), rather than a read of
    /// memory or local disk (sled). Callers on async threads move remote calls off them.
    pub fn is_remote(&self) -> bool {
        match self {
            Engine::Sled(_) => false,
            Engine::Postgres(_) => true,
        }
    }

    /// Several values of one keyspace, in the order of `keys` (one round trip on a
    /// network engine: a page's rows are read together, not one by one).
    pub fn get_many(&self, ks: Ks, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, EngineError> {
        match self {
            Engine::Sled(e) => keys.iter().map(|k| e.get(ks, k)).collect(),
            Engine::Postgres(e) => e.get_many(ks, keys),
        }
    }

    /// One value.
    pub fn get(&self, ks: Ks, key: &[u8]) -> Result<Option<Vec<u8>>, EngineError> {
        match self {
            Engine::Sled(e) => e.get(ks, key),
            Engine::Postgres(e) => e.get(ks, key),
        }
    }

    /// Writes one value, committed on its own (durable at the next `durable()`).
    pub fn insert(&self, ks: Ks, key: &[u8], value: &[u8]) -> Result<(), EngineError> {
        match self {
            Engine::Sled(e) => e.insert(ks, key, value),
            Engine::Postgres(e) => e.insert(ks, key, value),
        }
    }

    /// Removes one key, committed on its own.
    pub fn remove(&self, ks: Ks, key: &[u8]) -> Result<(), EngineError> {
        match self {
            Engine::Sled(e) => e.remove(ks, key),
            Engine::Postgres(e) => e.remove(ks, key),
        }
    }

    /// The pairs in `range`, in key order (or reversed); `limit` is how many the caller
    /// expects to read, so an engine that reads in pages sizes its first page by it.
    pub fn scan(&self, ks: Ks, range: Range, limit: usize) -> Scan<'_> {
        match self {
            Engine::Sled(e) => e.scan(ks, range, limit),
            Engine::Postgres(e) => e.scan(ks, range, limit),
        }
    }

    /// The number of keys in a keyspace (a scan: for tools and tests, not pages).
    pub fn count(&self, ks: Ks) -> Result<u64, EngineError> {
        match self {
            Engine::Sled(e) => Ok(e.count(ks)),
            Engine::Postgres(e) => e.count(ks),
        }
    }

    /// Runs `f` as one transaction over `keyspaces` (the engine may run it again on a
    /// conflict: no I/O or side effects inside). `f` addresses keyspaces by [`Ks`];
    /// only those listed may be touched.
    pub fn transaction<R, A>(
        &self,
        keyspaces: &[Ks],
        f: impl Fn(&Tx<'_>) -> Result<R, TxError<A>>,
    ) -> Result<R, TxOutcome<A>> {
        match self {
            Engine::Sled(e) => e.transaction(keyspaces, f),
            Engine::Postgres(e) => e.transaction(keyspaces, f),
        }
    }

    /// Returns once every write made before this call is durable. Concurrent callers
    /// share one flush.
    pub async fn durable(&self) -> Result<(), EngineError> {
        match self {
            Engine::Sled(e) => e.durable().await,
            Engine::Postgres(e) => e.durable().await,
        }
    }

    /// Flushes synchronously (shutdown, command-line tools).
    pub fn flush_blocking(&self) -> Result<(), EngineError> {
        match self {
            Engine::Sled(e) => e.flush_blocking(),
            Engine::Postgres(e) => e.flush_blocking(),
        }
    }

    /// Bytes the engine uses on disk, where it knows.
    pub fn size_on_disk(&self) -> Result<u64, EngineError> {
        match self {
            Engine::Sled(e) => e.size_on_disk(),
            Engine::Postgres(e) => e.size_on_disk(),
        }
    }
}

/// An open transaction.
pub struct Tx<'a>(TxImpl<'a>);

enum TxImpl<'a> {
    Sled(&'a sled_engine::SledTx<'a>),
    Postgres(&'a postgres::PgTx<'a>),
}

impl Tx<'_> {
    /// One value, as this transaction sees it.
    pub fn get(&self, ks: Ks, key: &[u8]) -> Result<Option<Vec<u8>>, TxEngineError> {
        match &self.0 {
            TxImpl::Sled(t) => t.get(ks, key),
            TxImpl::Postgres(t) => t.get(ks, key),
        }
    }

    /// Several values of one keyspace at once, in the order of `keys`.
    pub fn get_many(&self, ks: Ks, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>, TxEngineError> {
        match &self.0 {
            TxImpl::Sled(_) => keys.iter().map(|k| self.get(ks, k)).collect(),
            TxImpl::Postgres(t) => t.get_many(ks, keys),
        }
    }

    /// Writes a value. The engine may defer the write to the commit (PostgreSQL sends a
    /// transaction's writes together); this transaction's own reads see it at once.
    pub fn insert(&self, ks: Ks, key: &[u8], value: &[u8]) -> Result<(), TxEngineError> {
        match &self.0 {
            TxImpl::Sled(t) => t.insert(ks, key, value, false).map(drop),
            TxImpl::Postgres(t) => t.put(ks, key, Some(value)),
        }
    }

    /// Removes a key (deferred like `insert`).
    pub fn remove(&self, ks: Ks, key: &[u8]) -> Result<(), TxEngineError> {
        match &self.0 {
            TxImpl::Sled(t) => t.remove(ks, key, false).map(drop),
            TxImpl::Postgres(t) => t.put(ks, key, None),
        }
    }

    /// Writes a value and returns the previous one (a read more than `insert`: use it
    /// only when the old value matters).
    pub fn replace(
        &self,
        ks: Ks,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, TxEngineError> {
        match &self.0 {
            TxImpl::Sled(t) => t.insert(ks, key, value, true),
            TxImpl::Postgres(t) => {
                let old = t.get(ks, key)?;
                t.put(ks, key, Some(value))?;
                Ok(old)
            }
        }
    }

    /// Removes a key and returns its value (a read more than `remove`).
    pub fn take(&self, ks: Ks, key: &[u8]) -> Result<Option<Vec<u8>>, TxEngineError> {
        match &self.0 {
            TxImpl::Sled(t) => t.remove(ks, key, true),
            TxImpl::Postgres(t) => {
                let old = t.get(ks, key)?;
                t.put(ks, key, None)?;
                Ok(old)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_end_after_the_last_key_with_the_prefix() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(&[]), None);
    }

    /// The PostgreSQL engine runs the same contract in `postgres::tests`.
    #[test]
    fn sled_keeps_the_engine_contract() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open_sled(
            &SledOptions {
                path: dir.path().join("db"),
                cache_capacity: 8 << 20,
                flush_every_ms: None,
                // B's values go to files from 8 KiB: the contract holds for them too.
                large_values: &["contract_b"],
            },
            contract::KEYSPACES,
        )
        .unwrap();
        contract::run(&e);
    }
}

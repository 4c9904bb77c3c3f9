//! Handles over the engine for the store's code: a keyspace handle with point and range
//! operations, and transaction handles, so each aggregate reads as plainly as a map.
//! Everything goes through [`Engine`]; nothing here knows which engine runs.

use super::engine::{Engine, EngineError, Ks, Range, Scan, Tx, TxEngineError};
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

/// How many pairs a scan reads first when the caller gave no limit.
const PAGE_HINT: usize = 64;

/// One keyspace of the open engine.
pub(crate) struct Tree {
    e: Arc<Engine>,
    ks: Ks,
}

fn owned(b: Bound<&impl AsRef<[u8]>>) -> Bound<Vec<u8>> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_ref().to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.as_ref().to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl Tree {
    pub(crate) fn new(e: Arc<Engine>, ks: Ks) -> Tree {
        Tree { e, ks }
    }

    /// The keyspace number, for transactions.
    pub(crate) fn ks(&self) -> Ks {
        self.ks
    }

    pub(crate) fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, EngineError> {
        self.e.get(self.ks, key.as_ref())
    }

    /// Several values at once, in the order of `keys`.
    pub(crate) fn get_many<K: AsRef<[u8]>>(
        &self,
        keys: &[K],
    ) -> Result<Vec<Option<Vec<u8>>>, EngineError> {
        let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
        self.e.get_many(self.ks, &keys)
    }

    pub(crate) fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<(), EngineError> {
        self.e.insert(self.ks, key.as_ref(), value.as_ref())
    }

    pub(crate) fn remove(&self, key: impl AsRef<[u8]>) -> Result<(), EngineError> {
        self.e.remove(self.ks, key.as_ref())
    }

    /// Pairs in `range`, in key order (`.rev()` for the other way).
    pub(crate) fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Iter<'_> {
        self.scan(Range {
            start: owned(range.start_bound()),
            end: owned(range.end_bound()),
            reverse: false,
        })
    }

    /// Pairs whose key starts with `prefix`.
    pub(crate) fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Iter<'_> {
        self.scan(Range::prefix(prefix.as_ref()))
    }

    /// Every pair.
    pub(crate) fn iter(&self) -> Iter<'_> {
        self.scan(Range::all())
    }

    fn scan(&self, range: Range) -> Iter<'_> {
        Iter {
            tree: self,
            range: Some(range),
            limit: PAGE_HINT,
            scan: None,
        }
    }

    /// The number of keys (counts them: tools and tests only).
    pub(crate) fn len(&self) -> Result<u64, EngineError> {
        self.e.count(self.ks)
    }

    pub(crate) fn is_empty(&self) -> Result<bool, EngineError> {
        Ok(self.scan(Range::all()).next().transpose()?.is_none())
    }
}

/// A lazy scan: nothing is read until the first pair is asked for.
pub(crate) struct Iter<'a> {
    tree: &'a Tree,
    range: Option<Range>,
    limit: usize,
    scan: Option<Scan<'a>>,
}

impl<'a> Iter<'a> {
    /// The same scan, last key first (before reading).
    pub(crate) fn rev(mut self) -> Iter<'a> {
        if let Some(r) = self.range.take() {
            self.range = Some(r.rev());
        }
        self
    }

    /// Reads at most about `n` pairs first (a hint for engines that read in pages).
    pub(crate) fn expect(mut self, n: usize) -> Iter<'a> {
        self.limit = n.max(1);
        self
    }

    /// Only the keys.
    pub(crate) fn keys(self) -> Keys<'a> {
        Keys(self)
    }

    /// Only the values.
    pub(crate) fn values(self) -> Values<'a> {
        Values(self)
    }
}

/// The keys of a scan.
pub(crate) struct Keys<'a>(Iter<'a>);

impl<'a> Keys<'a> {
    /// Last key first (before reading).
    pub(crate) fn rev(self) -> Keys<'a> {
        Keys(self.0.rev())
    }
}

impl Iterator for Keys<'_> {
    type Item = Result<Vec<u8>, EngineError>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.0.next()?.map(|(k, _)| k))
    }
}

/// The values of a scan.
pub(crate) struct Values<'a>(Iter<'a>);

impl<'a> Values<'a> {
    /// Last value first (before reading).
    pub(crate) fn rev(self) -> Values<'a> {
        Values(self.0.rev())
    }
}

impl Iterator for Values<'_> {
    type Item = Result<Vec<u8>, EngineError>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.0.next()?.map(|(_, v)| v))
    }
}

impl Iterator for Iter<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>), EngineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.scan.is_none() {
            let range = self.range.take()?;
            self.scan = Some(self.tree.e.scan(self.tree.ks, range, self.limit));
        }
        self.scan.as_mut()?.next()
    }
}

/// One keyspace inside a transaction.
pub(crate) struct TxTree<'a> {
    tx: &'a Tx<'a>,
    ks: Ks,
}

impl<'a> TxTree<'a> {
    pub(crate) fn new(tx: &'a Tx<'a>, ks: Ks) -> TxTree<'a> {
        TxTree { tx, ks }
    }

    pub(crate) fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, TxEngineError> {
        self.tx.get(self.ks, key.as_ref())
    }

    /// Writes a value (the engine may send it with the commit; reads here see it).
    pub(crate) fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<(), TxEngineError> {
        self.tx.insert(self.ks, key.as_ref(), value.as_ref())
    }

    /// Removes a key.
    pub(crate) fn remove(&self, key: impl AsRef<[u8]>) -> Result<(), TxEngineError> {
        self.tx.remove(self.ks, key.as_ref())
    }

    /// Writes a value and returns the previous one (costs a read: only when it matters).
    pub(crate) fn replace(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<Option<Vec<u8>>, TxEngineError> {
        self.tx.replace(self.ks, key.as_ref(), value.as_ref())
    }

    /// Removes a key and returns its value (costs a read: only when it matters).
    pub(crate) fn take(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, TxEngineError> {
        self.tx.take(self.ks, key.as_ref())
    }
}

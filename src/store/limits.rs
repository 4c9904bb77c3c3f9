//! Sliding windows of recent hits, for rate limits that every node must count together
//! (sign-in throttling and the widget's limits when several nodes serve one
//! installation). One node keeps them in memory instead (`service::throttle`).

use super::{Result, Store, keys};
use crate::domain::Timestamp;
use std::collections::VecDeque;

/// A window's value: its hit times, oldest first, 8 bytes each.
fn decode(b: &[u8]) -> VecDeque<Timestamp> {
    b.chunks_exact(8)
        .filter_map(keys::read_time)
        .map(Timestamp)
        .collect()
}

fn encode(w: &VecDeque<Timestamp>) -> Vec<u8> {
    w.iter().flat_map(|t| keys::time_be(t.0)).collect()
}

/// The key of `key` in limiter `name` (0xff never occurs in UTF-8, so no two pairs
/// spell the same key).
fn window_key(name: &str, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() + 1 + key.len());
    k.extend_from_slice(name.as_bytes());
    k.push(0xff);
    k.extend_from_slice(key.as_bytes());
    k
}

impl Store {
    /// Runs `f` over the windows of `keys` in limiter `name` (hit times, oldest first)
    /// in one transaction, and stores what it leaves them as; an emptied window is
    /// removed. `f` may run more than once (another node changed a window meanwhile), so
    /// it only computes.
    pub fn with_windows<R, const N: usize>(
        &self,
        name: &str,
        keys: [&str; N],
        f: impl Fn(&mut [VecDeque<Timestamp>; N]) -> R,
    ) -> Result<R> {
        let keys: [Vec<u8>; N] = std::array::from_fn(|i| window_key(name, keys[i]));
        let _g = self.write_gate();
        self.tx([&self.t.ratekey_window], |[t]| {
            let mut windows: [VecDeque<Timestamp>; N] = std::array::from_fn(|_| VecDeque::new());
            for (w, k) in windows.iter_mut().zip(&keys) {
                *w = t.get(k)?.map(|v| decode(&v)).unwrap_or_default();
            }
            let before = windows.clone();
            let r = f(&mut windows);
            for ((w, old), k) in windows.iter().zip(&before).zip(&keys) {
                if w == old {
                    continue;
                }
                if w.is_empty() {
                    t.remove(k)?;
                } else {
                    t.insert(k, encode(w))?;
                }
            }
            Ok(r)
        })
    }

    /// Removes the windows whose newest hit is before `before` (every limiter's window
    /// is shorter than the caller's margin); returns how many. A background sweep: it
    /// reads the whole keyspace, a page at a time.
    pub fn purge_windows(&self, before: Timestamp) -> Result<u64> {
        let stale: Vec<Vec<u8>> = self
            .t
            .ratekey_window
            .iter()
            .filter_map(|kv| kv.ok())
            .filter(|(_, v)| decode(v).back().is_none_or(|t| *t < before))
            .map(|(k, _)| k)
            .collect();
        let _g = self.write_gate();
        for chunk in stale.chunks(256) {
            self.tx([&self.t.ratekey_window], |[t]| {
                for k in chunk {
                    // Looked at again: a hit may have arrived since the scan.
                    if let Some(v) = t.get(k)?
                        && decode(&v).back().is_none_or(|t| *t < before)
                    {
                        t.remove(k)?;
                    }
                }
                Ok(())
            })?;
        }
        Ok(stale.len() as u64)
    }
}

//! Sign-in throttling and rate limits over sliding windows of recent hits.
//!
//! One node keeps the windows in memory (a restart forgets, which only ever helps a real
//! user). Several nodes serving one installation keep them in the store
//! (`Windows::Shared`), so the limits hold across nodes however a load balancer spreads
//! the requests: every check and its hit are one store transaction.
//!
//! A sign-in attempt is *reserved* before the password is checked and counts as a
//! failure until it is proven right, so a burst of parallel guesses cannot all be
//! checked before the first failure is recorded. Limits are per (account, client IP)
//! pair and per client IP: an attacker hammering an account from a few addresses never
//! locks its owner out elsewhere. Failures of an account across all addresses only ever
//! *slow* further attempts on it (a delay before the check), never refuse them.

use crate::domain::{Clock, Timestamp};
use crate::store::Store;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Entries kept at most in memory, so a flood of random emails cannot grow memory
/// without bound.
const MAX_KEYS: usize = 100_000;
/// Timestamps kept per key at most (far above any sensible limit).
const MAX_PER_KEY: usize = 1000;

/// Why a hit was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Over the limit: allowed again in this many seconds.
    Wait(u64),
    /// The shared windows could not be read or written.
    Failed(String),
}

/// Where the windows are kept.
pub enum Windows {
    /// In this process.
    Local(Mutex<HashMap<String, VecDeque<Timestamp>>>),
    /// In the store, counted by every node together.
    Shared(Arc<Store>),
}

impl Windows {
    /// In memory (one node).
    pub fn local() -> Windows {
        Windows::Local(Mutex::new(HashMap::new()))
    }

    /// In the store (several nodes).
    pub fn shared(store: Arc<Store>) -> Windows {
        Windows::Shared(store)
    }

    /// Runs `f` over the windows of `keys` of limiter `name`, atomically, and keeps what
    /// it leaves. `f` may run more than once on the store, so it only computes.
    fn with<R, const N: usize>(
        &self,
        name: &str,
        keys: [&str; N],
        now: Timestamp,
        window_secs: i64,
        f: impl Fn(&mut [VecDeque<Timestamp>; N]) -> R,
    ) -> Result<R, Refused> {
        match self {
            Windows::Shared(store) => store
                .with_windows(name, keys, f)
                .map_err(|e| Refused::Failed(e.to_string())),
            Windows::Local(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                let names: [String; N] =
                    std::array::from_fn(|i| format!("{name}\u{ff}{}", keys[i]));
                if map.len() >= MAX_KEYS && names.iter().any(|k| !map.contains_key(k)) {
                    map.retain(|_, q| q.back().is_some_and(|t| now.secs_since(*t) < window_secs));
                    if map.len() >= MAX_KEYS {
                        return Err(Refused::Wait(1));
                    }
                }
                let mut windows: [VecDeque<Timestamp>; N] =
                    std::array::from_fn(|i| map.remove(&names[i]).unwrap_or_default());
                let r = f(&mut windows);
                for (k, w) in names.into_iter().zip(windows) {
                    if !w.is_empty() {
                        map.insert(k, w);
                    }
                }
                Ok(r)
            }
        }
    }
}

/// Drops the entries of `q` older than the window; `Some(seconds until the oldest
/// expires)` when `limit` or more remain.
fn over(q: &mut VecDeque<Timestamp>, now: Timestamp, window: i64, limit: u32) -> Option<i64> {
    while q.front().is_some_and(|t| now.secs_since(*t) >= window) {
        q.pop_front();
    }
    if q.len() >= limit.max(1) as usize {
        q.front().map(|t| (window - now.secs_since(*t)).max(1))
    } else {
        None
    }
}

/// The sign-in limits, all within one sliding window.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    /// Attempts not yet proven right per (account, IP) pair before 429.
    pub per_pair: u32,
    /// Attempts not yet proven right per IP, over all accounts, before 429.
    pub per_ip: u32,
    /// Failures of one account, over all IPs, after which every attempt on it waits
    /// `slowdown_secs` first (0: never).
    pub slow_after_per_account: u32,
    /// The wait, in seconds.
    pub slowdown_secs: u64,
    /// The window, in seconds.
    pub window_secs: i64,
}

/// One reserved sign-in attempt: counted as a failure unless [`Throttle::succeeded`]
/// is called with it.
#[derive(Debug)]
#[must_use = "a reserved attempt counts as a failure unless it is released"]
pub struct Attempt {
    account: String,
    pair: String,
    ip: String,
    at: Timestamp,
    /// Seconds to wait before checking the password (the account is under attack).
    pub delay_secs: u64,
}

/// Reserves attempts and says when to refuse or slow down.
pub struct Throttle {
    clock: Arc<dyn Clock>,
    limits: ThrottleLimits,
    failures: Windows,
}

/// The sign-in throttle's limiter name in shared windows.
const LOGIN: &str = "login";

impl Throttle {
    /// A throttle with the given limits, counting in `failures`.
    pub fn new(clock: Arc<dyn Clock>, limits: ThrottleLimits, failures: Windows) -> Self {
        Throttle {
            clock,
            limits,
            failures,
        }
    }

    fn keys(account: &str, ip: &str) -> (String, String, String) {
        // 0xFF never occurs in UTF-8, so no (account, IP) pair can spell another.
        (
            format!("a:{account}"),
            format!("p:{account}\u{ff}{ip}"),
            format!("i:{ip}"),
        )
    }

    /// Reserves an attempt for `account` from `ip`, atomically with the check, so that
    /// at most the limit of attempts is ever checked per window however many arrive at
    /// once. `Err(Wait(seconds until allowed))` when the pair or the IP has used its
    /// window.
    pub fn begin(&self, account: &str, ip: &str) -> Result<Attempt, Refused> {
        let now = self.clock.now();
        let l = self.limits;
        let (a_key, p_key, i_key) = Self::keys(account, ip);
        let keys = [a_key.as_str(), p_key.as_str(), i_key.as_str()];
        let slow = self
            .failures
            .with(LOGIN, keys, now, l.window_secs, |[a, p, i]| {
                let mut wait = 0;
                for (q, limit) in [(&mut *p, l.per_pair), (&mut *i, l.per_ip)] {
                    if let Some(w) = over(q, now, l.window_secs, limit) {
                        wait = wait.max(w);
                    }
                }
                if wait > 0 {
                    return Err(wait as u64);
                }
                let slow = over(a, now, l.window_secs, l.slow_after_per_account).is_some()
                    && l.slow_after_per_account > 0;
                for q in [a, p, i] {
                    q.push_back(now);
                    if q.len() > MAX_PER_KEY {
                        q.pop_front();
                    }
                }
                Ok(slow)
            })?
            .map_err(Refused::Wait)?;
        Ok(Attempt {
            account: a_key,
            pair: p_key,
            ip: i_key,
            at: now,
            delay_secs: if slow { l.slowdown_secs } else { 0 },
        })
    }

    /// The attempt was right: its reservation is released and the pair's earlier
    /// failures are forgotten (the account's and the IP's others stay).
    pub fn succeeded(&self, attempt: Attempt) {
        let keys = [
            attempt.account.as_str(),
            attempt.pair.as_str(),
            attempt.ip.as_str(),
        ];
        let at = attempt.at;
        let r = self.failures.with(
            LOGIN,
            keys,
            self.clock.now(),
            self.limits.window_secs,
            |[a, p, i]| {
                p.clear();
                for q in [a, i] {
                    if let Some(n) = q.iter().rposition(|t| *t == at) {
                        q.remove(n);
                    }
                }
            },
        );
        if let Err(e) = r {
            // The sign-in stands; the attempt stays counted as a failure.
            tracing::warn!(error = ?e, "could not release a sign-in reservation");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ManualClock;

    fn throttle(per_pair: u32, per_ip: u32, slow_after: u32) -> (Arc<ManualClock>, Throttle) {
        let clock = Arc::new(ManualClock::new(Timestamp(0)));
        let limits = ThrottleLimits {
            per_pair,
            per_ip,
            slow_after_per_account: slow_after,
            slowdown_secs: 2,
            window_secs: 60,
        };
        (
            clock.clone(),
            Throttle::new(clock, limits, Windows::local()),
        )
    }

    #[test]
    fn reservations_count_before_any_verdict() {
        let (_, t) = throttle(3, 100, 0);
        // Three attempts in flight at once (no verdict yet): the fourth is refused.
        let held: Vec<Attempt> = (0..3).map(|_| t.begin("a@x", "1.1.1.1").unwrap()).collect();
        assert_eq!(
            t.begin("a@x", "1.1.1.1").map(|_| ()),
            Err(Refused::Wait(60))
        );
        // One of them was right: its slot comes back, the pair's failures are forgotten.
        let mut held = held.into_iter();
        t.succeeded(held.next().unwrap());
        for _ in 0..3 {
            let _ = t.begin("a@x", "1.1.1.1").unwrap();
        }
        assert!(t.begin("a@x", "1.1.1.1").is_err());
    }

    #[test]
    fn the_pair_limit_leaves_the_account_open_from_other_addresses() {
        let (clock, t) = throttle(3, 100, 0);
        for _ in 0..3 {
            let _ = t.begin("a@x", "1.1.1.1").unwrap();
        }
        assert_eq!(
            t.begin("a@x", "1.1.1.1").map(|_| ()),
            Err(Refused::Wait(60))
        );
        assert!(t.begin("a@x", "2.2.2.2").is_ok(), "the owner elsewhere");
        assert!(t.begin("b@x", "1.1.1.1").is_ok(), "another account");
        clock.advance_secs(59);
        assert_eq!(t.begin("a@x", "1.1.1.1").map(|_| ()), Err(Refused::Wait(1)));
        clock.advance_secs(1);
        assert!(t.begin("a@x", "1.1.1.1").is_ok());
    }

    #[test]
    fn the_ip_limit_spans_accounts() {
        let (_, t) = throttle(3, 4, 0);
        for i in 0..4 {
            let _ = t.begin(&format!("u{i}@x"), "9.9.9.9").unwrap();
        }
        assert!(t.begin("new@x", "9.9.9.9").is_err());
        assert!(t.begin("new@x", "8.8.8.8").is_ok());
    }

    #[test]
    fn many_failures_of_an_account_slow_it_down_but_never_refuse() {
        let (clock, t) = throttle(2, 100, 4);
        for i in 0..4 {
            let a = t.begin("a@x", &format!("10.0.0.{i}")).unwrap();
            assert_eq!(a.delay_secs, 0);
        }
        let owner = t.begin("a@x", "192.0.2.1").expect("never refused");
        assert_eq!(owner.delay_secs, 2, "but slowed");
        t.succeeded(owner);
        assert_eq!(t.begin("b@x", "10.0.0.1").unwrap().delay_secs, 0);
        clock.advance_secs(60);
        assert_eq!(t.begin("a@x", "192.0.2.1").unwrap().delay_secs, 0);
    }
}

/// A rate limit: at most `limit` hits per key in a sliding window of `window_secs`.
pub struct Rate {
    clock: Arc<dyn Clock>,
    limit: usize,
    window_secs: i64,
    /// The limiter's name among shared windows.
    name: &'static str,
    hits: Windows,
}

impl Rate {
    /// A rate kept in memory.
    pub fn new(clock: Arc<dyn Clock>, limit: usize, window_secs: i64) -> Self {
        Rate::counted_in(clock, limit, window_secs, "rate", Windows::local())
    }

    /// A rate counted in `hits` under `name` (unique per limiter when shared).
    pub fn counted_in(
        clock: Arc<dyn Clock>,
        limit: usize,
        window_secs: i64,
        name: &'static str,
        hits: Windows,
    ) -> Self {
        Rate {
            clock,
            limit,
            window_secs,
            name,
            hits,
        }
    }

    /// Counts one hit for `key`; `Err(Wait(seconds until allowed))` when over the limit
    /// (the refused hit is not counted).
    pub fn hit(&self, key: &str) -> Result<(), Refused> {
        let now = self.clock.now();
        let (limit, window) = (self.limit, self.window_secs);
        self.hits
            .with(self.name, [key], now, window, |[q]| {
                while q.front().is_some_and(|t| now.secs_since(*t) >= window) {
                    q.pop_front();
                }
                if q.len() >= limit {
                    let oldest = q.front().map_or(0, |t| now.secs_since(*t));
                    return Err((window - oldest).max(1) as u64);
                }
                q.push_back(now);
                Ok(())
            })?
            .map_err(Refused::Wait)
    }
}

#[cfg(test)]
mod rate_tests {
    use super::*;
    use crate::domain::ManualClock;

    #[test]
    fn a_rate_refuses_over_its_limit_and_recovers() {
        let clock = Arc::new(ManualClock::new(Timestamp(1_000_000)));
        let r = Rate::new(clock.clone(), 3, 60);
        for _ in 0..3 {
            assert!(r.hit("v1").is_ok());
        }
        assert_eq!(r.hit("v1"), Err(Refused::Wait(60)));
        assert!(r.hit("v2").is_ok(), "keys are independent");
        clock.advance_secs(61);
        assert!(r.hit("v1").is_ok());
    }

    fn store_on(engine: crate::store::EngineChoice) -> (tempfile::TempDir, Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&crate::store::StoreOptions {
            path: dir.path().to_path_buf(),
            cache_capacity: 8 << 20,
            flush_every_ms: None,
            engine,
        })
        .unwrap();
        (dir, Arc::new(store))
    }

    #[test]
    fn nodes_sharing_a_store_count_together_on_sled() {
        let (_dir, store) = store_on(crate::store::EngineChoice::Sled);
        nodes_sharing_a_store_count_together(store);
    }

    #[test]
    #[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
    fn nodes_sharing_a_store_count_together_on_postgres() {
        let pg = crate::store::engine::pg_test_server::PgServer::start();
        // Two handles on one database: two nodes.
        let url = pg.fresh_database();
        let engine = || crate::store::EngineChoice::Postgres {
            url: url.clone(),
            pool_size: 2,
        };
        let (_d1, one) = store_on(engine());
        let (_d2, two) = store_on(engine());
        let clock = Arc::new(ManualClock::new(Timestamp(1_000_000)));
        let rate = |s: &Arc<Store>| {
            Rate::counted_in(clock.clone(), 5, 60, "w", Windows::shared(s.clone()))
        };
        // Hits from both nodes at once: exactly the limit gets through.
        let (r1, r2) = (rate(&one), rate(&two));
        let passed = std::thread::scope(|sc| {
            let a = sc.spawn(|| (0..10).filter(|_| r1.hit("burst").is_ok()).count());
            let b = sc.spawn(|| (0..10).filter(|_| r2.hit("burst").is_ok()).count());
            a.join().unwrap() + b.join().unwrap()
        });
        assert_eq!(passed, 5);
        nodes_sharing_a_store_count_together(two);
    }

    /// Two throttles and two rates over one store: what two nodes do.
    fn nodes_sharing_a_store_count_together(store: Arc<Store>) {
        let clock = Arc::new(ManualClock::new(Timestamp(1_000_000)));
        let limits = ThrottleLimits {
            per_pair: 3,
            per_ip: 100,
            slow_after_per_account: 0,
            slowdown_secs: 0,
            window_secs: 60,
        };
        let node = || Throttle::new(clock.clone(), limits, Windows::shared(store.clone()));
        let (a, b) = (node(), node());
        let _x = a.begin("a@x", "1.1.1.1").unwrap();
        let _y = b.begin("a@x", "1.1.1.1").unwrap();
        let ok = a.begin("a@x", "1.1.1.1").unwrap();
        assert_eq!(
            b.begin("a@x", "1.1.1.1").map(|_| ()),
            Err(Refused::Wait(60))
        );
        // A success on one node frees the pair on the other.
        a.succeeded(ok);
        assert!(b.begin("a@x", "1.1.1.1").is_ok());
        let rate =
            |name| Rate::counted_in(clock.clone(), 2, 60, name, Windows::shared(store.clone()));
        let (r1, r2, other) = (rate("w"), rate("w"), rate("other"));
        assert!(r1.hit("ip").is_ok());
        assert!(r2.hit("ip").is_ok());
        assert_eq!(r1.hit("ip"), Err(Refused::Wait(60)));
        assert!(other.hit("ip").is_ok(), "limiters do not share keys");
        clock.advance_secs(60);
        assert!(r2.hit("ip").is_ok());
        // Windows with no hit for a day are swept.
        clock.advance_secs(86_400);
        let swept = store.purge_windows(clock.now().plus_secs(-3600)).unwrap();
        assert!(swept >= 3, "{swept}");
        assert!(store.with_windows("w", ["ip"], |[q]| q.is_empty()).unwrap());
    }
}

//! Sign-in throttling, in memory (a restart forgets, which only ever helps a real user).
//!
//! An attempt is *reserved* before the password is checked and counts as a failure
//! until it is proven right, so a burst of parallel guesses cannot all be checked before
//! the first failure is recorded. Limits are per (account, client IP) pair and per
//! client IP: an attacker hammering an account from a few addresses never locks its
//! owner out elsewhere. Failures of an account across all addresses only ever *slow*
//! further attempts on it (a delay before the check), never refuse them.

use crate::domain::{Clock, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Entries kept at most, so a flood of random emails cannot grow memory without bound.
const MAX_KEYS: usize = 100_000;
/// Timestamps kept per key at most (far above any sensible limit).
const MAX_PER_KEY: usize = 1000;

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
    failures: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

impl Throttle {
    /// A throttle with the given limits.
    pub fn new(clock: Arc<dyn Clock>, limits: ThrottleLimits) -> Self {
        Throttle {
            clock,
            limits,
            failures: Mutex::new(HashMap::new()),
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

    /// Reserves an attempt for `account` from `ip`, atomically with the check, so that
    /// at most the limit of attempts is ever checked per window however many arrive at
    /// once. `Err(seconds until allowed)` when the pair or the IP has used its window.
    pub fn begin(&self, account: &str, ip: &str) -> Result<Attempt, u64> {
        let now = self.clock.now();
        let l = self.limits;
        let (a_key, p_key, i_key) = Self::keys(account, ip);
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            let window = l.window_secs;
            map.retain(|_, q| q.back().is_some_and(|t| now.secs_since(*t) < window));
        }
        let mut wait = 0;
        for (key, limit) in [(&p_key, l.per_pair), (&i_key, l.per_ip)] {
            if let Some(q) = map.get_mut(key.as_str())
                && let Some(w) = Self::over(q, now, l.window_secs, limit)
            {
                wait = wait.max(w);
            }
        }
        if wait > 0 {
            return Err(wait as u64);
        }
        let slow = l.slow_after_per_account > 0
            && map.get_mut(a_key.as_str()).is_some_and(|q| {
                Self::over(q, now, l.window_secs, l.slow_after_per_account).is_some()
            });
        for key in [&a_key, &p_key, &i_key] {
            let q = map.entry(key.clone()).or_default();
            q.push_back(now);
            if q.len() > MAX_PER_KEY {
                q.pop_front();
            }
        }
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
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&attempt.pair);
        for key in [&attempt.account, &attempt.ip] {
            if let Some(q) = map.get_mut(key.as_str())
                && let Some(i) = q.iter().rposition(|t| *t == attempt.at)
            {
                q.remove(i);
            }
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
        (clock.clone(), Throttle::new(clock, limits))
    }

    #[test]
    fn reservations_count_before_any_verdict() {
        let (_, t) = throttle(3, 100, 0);
        // Three attempts in flight at once (no verdict yet): the fourth is refused.
        let held: Vec<Attempt> = (0..3).map(|_| t.begin("a@x", "1.1.1.1").unwrap()).collect();
        assert_eq!(t.begin("a@x", "1.1.1.1").map(|_| ()), Err(60));
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
        assert_eq!(t.begin("a@x", "1.1.1.1").map(|_| ()), Err(60));
        assert!(t.begin("a@x", "2.2.2.2").is_ok(), "the owner elsewhere");
        assert!(t.begin("b@x", "1.1.1.1").is_ok(), "another account");
        clock.advance_secs(59);
        assert_eq!(t.begin("a@x", "1.1.1.1").map(|_| ()), Err(1));
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
/// In memory, bounded like [`Throttle`].
pub struct Rate {
    clock: Arc<dyn Clock>,
    limit: usize,
    window_secs: i64,
    hits: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

impl Rate {
    pub fn new(clock: Arc<dyn Clock>, limit: usize, window_secs: i64) -> Self {
        Rate {
            clock,
            limit,
            window_secs,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one hit for `key`; `Err(seconds until allowed)` when over the limit (the
    /// refused hit is not counted).
    pub fn hit(&self, key: &str) -> Result<(), u64> {
        let now = self.clock.now();
        let mut map = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            let window = self.window_secs;
            map.retain(|_, q| q.back().is_some_and(|t| now.secs_since(*t) < window));
            if map.len() >= MAX_KEYS {
                return Err(1);
            }
        }
        let q = map.entry(key.to_string()).or_default();
        while q
            .front()
            .is_some_and(|t| now.secs_since(*t) >= self.window_secs)
        {
            q.pop_front();
        }
        if q.len() >= self.limit {
            let oldest = q.front().map_or(0, |t| now.secs_since(*t));
            return Err((self.window_secs - oldest).max(1) as u64);
        }
        q.push_back(now);
        Ok(())
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
        assert_eq!(r.hit("v1"), Err(60));
        assert!(r.hit("v2").is_ok(), "keys are independent");
        clock.advance_secs(61);
        assert!(r.hit("v1").is_ok());
    }
}

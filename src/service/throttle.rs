//! Sign-in throttling: failed attempts counted per account and per client IP in a
//! sliding window. In memory: a restart forgets, which only ever helps a real user.

use crate::domain::{Clock, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Entries kept at most, so a flood of random emails cannot grow memory without bound.
const MAX_KEYS: usize = 100_000;

/// Counts failures and says when to refuse.
pub struct Throttle {
    clock: Arc<dyn Clock>,
    per_account: u32,
    per_ip: u32,
    window_secs: i64,
    failures: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

impl Throttle {
    /// A throttle with the given limits per window.
    pub fn new(clock: Arc<dyn Clock>, per_account: u32, per_ip: u32, window_secs: i64) -> Self {
        Throttle {
            clock,
            per_account,
            per_ip,
            window_secs,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, ip: &str) -> [(String, bool); 2] {
        [(format!("a:{account}"), true), (format!("i:{ip}"), false)]
    }

    /// `Err(seconds until allowed)` when either the account or the IP is over its limit.
    pub fn check(&self, account: &str, ip: &str) -> Result<(), u64> {
        let now = self.clock.now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = 0i64;
        for (key, is_account) in Self::keys(account, ip) {
            let limit = if is_account {
                self.per_account
            } else {
                self.per_ip
            } as usize;
            if let Some(q) = map.get_mut(&key) {
                while q
                    .front()
                    .is_some_and(|t| now.secs_since(*t) >= self.window_secs)
                {
                    q.pop_front();
                }
                if q.len() >= limit
                    && let Some(oldest) = q.front()
                {
                    wait = wait.max(self.window_secs - now.secs_since(*oldest));
                }
            }
        }
        if wait > 0 { Err(wait as u64) } else { Ok(()) }
    }

    /// Records a failed attempt.
    pub fn failed(&self, account: &str, ip: &str) {
        let now = self.clock.now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            let window = self.window_secs;
            map.retain(|_, q| q.back().is_some_and(|t| now.secs_since(*t) < window));
        }
        for (key, _) in Self::keys(account, ip) {
            let q = map.entry(key).or_default();
            q.push_back(now);
            if q.len() > 1000 {
                q.pop_front();
            }
        }
    }

    /// Forgets an account's failures after a successful sign-in.
    pub fn succeeded(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("a:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ManualClock;

    #[test]
    fn account_limit_then_window_expires() {
        let clock = Arc::new(ManualClock::new(Timestamp(0)));
        let t = Throttle::new(clock.clone(), 3, 100, 60);
        for _ in 0..3 {
            assert!(t.check("a@x", "1.1.1.1").is_ok());
            t.failed("a@x", "1.1.1.1");
        }
        assert_eq!(
            t.check("a@x", "2.2.2.2"),
            Err(60),
            "account blocked from any IP"
        );
        assert!(
            t.check("b@x", "1.1.1.1").is_ok(),
            "other accounts unaffected"
        );
        clock.advance_secs(59);
        assert_eq!(t.check("a@x", "1.1.1.1"), Err(1));
        clock.advance_secs(1);
        assert!(t.check("a@x", "1.1.1.1").is_ok());
    }

    #[test]
    fn ip_limit_spans_accounts_and_success_clears_account() {
        let clock = Arc::new(ManualClock::new(Timestamp(0)));
        let t = Throttle::new(clock, 3, 4, 60);
        for i in 0..4 {
            t.failed(&format!("u{i}@x"), "9.9.9.9");
        }
        assert!(t.check("new@x", "9.9.9.9").is_err());
        assert!(t.check("new@x", "8.8.8.8").is_ok());
        t.failed("c@x", "7.7.7.7");
        t.failed("c@x", "7.7.7.7");
        t.succeeded("c@x");
        t.failed("c@x", "7.7.7.7");
        t.failed("c@x", "7.7.7.7");
        assert!(t.check("c@x", "6.6.6.6").is_ok());
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

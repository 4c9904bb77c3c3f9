//! The website widget's abuse limits (`[widget]` in the configuration): messages per
//! visitor and per client IP a minute, new conversations per IP an hour. Counted in
//! memory, or in the store with several nodes (see `throttle::Windows`).

use super::throttle::Rate;
use super::{Refused, Result, ServiceError};
use crate::domain::Clock;
use std::sync::Arc;

/// The widget's limits.
pub struct Rates {
    /// Messages per visitor a minute.
    per_visitor: Rate,
    /// Messages per client IP a minute.
    per_ip: Rate,
    /// New conversations per client IP an hour.
    new_per_ip: Rate,
    /// Files per visitor an hour.
    files_per_visitor: Rate,
}

impl Rates {
    /// `(per visitor a minute, per IP a minute, new conversations per IP an hour)`.
    /// Each limit counts in the windows `windows()` gives (memory, or the store).
    pub fn new(
        clock: Arc<dyn Clock>,
        limits: (usize, usize, usize),
        files_per_hour: usize,
        windows: impl Fn() -> super::Windows,
    ) -> Rates {
        Rates {
            files_per_visitor: Rate::counted_in(
                clock.clone(),
                files_per_hour,
                3600,
                "widget-files",
                windows(),
            ),
            per_visitor: Rate::counted_in(clock.clone(), limits.0, 60, "widget-visitor", windows()),
            per_ip: Rate::counted_in(clock.clone(), limits.1, 60, "widget-ip", windows()),
            new_per_ip: Rate::counted_in(clock, limits.2, 3600, "widget-new-ip", windows()),
        }
    }

    /// Counts one message of `visitor` from `ip` (`new`: it starts a conversation), or
    /// refuses it with how long to wait.
    pub fn hit(&self, visitor: &str, ip: &str, new: bool) -> Result<()> {
        self.per_visitor.hit(visitor).map_err(limited)?;
        self.per_ip.hit(ip).map_err(limited)?;
        if new {
            self.new_per_ip.hit(ip).map_err(limited)?;
        }
        Ok(())
    }

    /// Counts one file `visitor` uploads, or refuses it with how long to wait.
    pub fn hit_file(&self, visitor: &str) -> Result<()> {
        self.files_per_visitor.hit(visitor).map_err(limited)
    }
}

fn limited(r: Refused) -> ServiceError {
    match r {
        Refused::Wait(retry_after_secs) => ServiceError::RateLimited { retry_after_secs },
        Refused::Failed(m) => ServiceError::Internal(m),
    }
}

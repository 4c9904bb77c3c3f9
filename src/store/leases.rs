//! Leases: which node runs a piece of background work (the outbox sender, the timers,
//! one mailbox's watcher, a future Telegram poller) when several nodes share the store.
//! A lease has a name, a holder, an expiry and a fencing token. The token grows by one
//! on every change of holder and is never reused (a released lease keeps it), so a
//! write made under a lease can be fenced: it commits only while its token is still the
//! lease's current one ([`fence_holds`]), and a node whose lease was taken over cannot
//! record anything more. Each operation is one transaction.
//!
//! Times are the callers' (`Clock`): the holder writes its expiry by its clock and the
//! others compare by theirs, so nodes' clocks must agree to well within a lease period.
//! Fencing itself does not depend on clocks.

use super::kv::TxTree;
use super::{Abort, Result, Store, TxErr, TxResult, dec, keys, schema};
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One lease as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The node holding it; empty once released.
    pub holder: String,
    /// The fencing token of the current (or last) holding.
    pub token: u64,
    /// When the holding ends unless renewed.
    pub expires: Timestamp,
}

impl Lease {
    /// Whether `node` holds it at `now`.
    pub fn held_by(&self, node: &str, now: Timestamp) -> bool {
        !self.holder.is_empty() && self.holder == node && now < self.expires
    }

    /// Whether anyone holds it at `now`.
    pub fn held(&self, now: Timestamp) -> bool {
        !self.holder.is_empty() && now < self.expires
    }
}

/// Proof of holding a lease, carried into the writes done under it: they commit only
/// while `token` is still the current token of lease `lease`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fence {
    pub lease: String,
    pub token: u64,
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

fn read(t: &TxTree<'_>, name: &str) -> TxResult<Option<Lease>> {
    t.get(keys::lease(name))?
        .map(|v| {
            dec::<Lease>(schema::LEASENAME_LEASE, &v)
                .map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))
        })
        .transpose()
}

fn write(t: &TxTree<'_>, name: &str, lease: &Lease) -> TxResult<()> {
    let v = super::codec::encode(lease).map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))?;
    t.insert(keys::lease(name), v)?;
    Ok(())
}

/// Inside another transaction (over the `leasename_lease` tree `t`): aborts with
/// `Abort::LeaseLost` unless `fence`'s token is still the lease's current token. The
/// read makes the transaction conflict with a concurrent takeover, so of the two only
/// one commits as it was.
pub(crate) fn fence_holds(t: &TxTree<'_>, fence: &Fence) -> TxResult<()> {
    match read(t, &fence.lease)? {
        Some(l) if l.token == fence.token && !l.holder.is_empty() => Ok(()),
        _ => Err(TxErr::Abort(Abort::LeaseLost)),
    }
}

impl Store {
    /// Claims lease `name` for `node` until `now + ttl`: granted when nobody holds it,
    /// the holding expired, or `node` holds it already (then it is renewed and keeps
    /// its token). Returns the fencing token, or `None` while another node holds it.
    /// A change of holder takes the next token.
    pub fn claim_lease(
        &self,
        name: &str,
        node: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<Option<u64>> {
        let _g = self.write_gate();
        let expires = Timestamp(now.0.saturating_add(ttl_ms(ttl)));
        self.tx([&self.t.leasename_lease], |[t]| {
            let cur = read(t, name)?;
            let token = match &cur {
                Some(l) if l.holder == node && !l.holder.is_empty() => l.token,
                Some(l) if l.held(now) => return Ok(None),
                Some(l) => l.token + 1,
                None => 1,
            };
            write(
                t,
                name,
                &Lease {
                    holder: node.to_string(),
                    token,
                    expires,
                },
            )?;
            Ok(Some(token))
        })
    }

    /// Extends `node`'s holding of `name` (token `token`) to `now + ttl`. False when the
    /// lease is no longer this holding: taken over or released (the caller must stop
    /// the work at once). An expired holding nobody took is renewed: no other node did
    /// anything under it.
    pub fn renew_lease(
        &self,
        name: &str,
        node: &str,
        token: u64,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<bool> {
        let _g = self.write_gate();
        let expires = Timestamp(now.0.saturating_add(ttl_ms(ttl)));
        self.tx([&self.t.leasename_lease], |[t]| match read(t, name)? {
            Some(l) if l.holder == node && l.token == token && !node.is_empty() => {
                write(
                    t,
                    name,
                    &Lease {
                        expires: expires.max(l.expires),
                        ..l
                    },
                )?;
                Ok(true)
            }
            _ => Ok(false),
        })
    }

    /// Gives up `node`'s holding of `name` (token `token`) so another node may claim it
    /// at once; the token is kept so the next holder's is greater. False when it was no
    /// longer held by this holding.
    pub fn release_lease(&self, name: &str, node: &str, token: u64) -> Result<bool> {
        let _g = self.write_gate();
        self.tx([&self.t.leasename_lease], |[t]| match read(t, name)? {
            Some(l) if l.holder == node && l.token == token && !node.is_empty() => {
                write(
                    t,
                    name,
                    &Lease {
                        holder: String::new(),
                        token: l.token,
                        expires: Timestamp(i64::MIN),
                    },
                )?;
                Ok(true)
            }
            _ => Ok(false),
        })
    }

    /// Lease `name` as stored (health pages, tests).
    pub fn lease(&self, name: &str) -> Result<Option<Lease>> {
        self.t
            .leasename_lease
            .get(keys::lease(name))?
            .map(|v| dec(schema::LEASENAME_LEASE, &v))
            .transpose()
    }

    /// Whether `fence` still holds (its token is the lease's current one), read in a
    /// transaction of its own.
    pub fn fence_holds(&self, fence: &Fence) -> Result<bool> {
        match self.tx([&self.t.leasename_lease], |[t]| fence_holds(t, fence)) {
            Ok(()) => Ok(true),
            Err(super::StoreError::Abort(Abort::LeaseLost)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests;

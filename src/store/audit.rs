//! The audit log of administrative actions, newest first.

use super::accounts::put_audit;
use super::schema;
use super::{Result, Store, dec, keys};
use crate::domain::AuditEntry;

/// Where the next page of the audit log starts (exclusive).
pub type AuditCursor = (i64, u64);

impl Store {
    /// Writes one audit entry on its own (for actions with no other record).
    pub fn append_audit(&self, audit: &(u64, AuditEntry)) -> Result<()> {
        let _g = self.write_gate();
        self.tx([&self.t.auditkey_entry], |[aud]| {
            put_audit(aud, Some(audit))
        })?;
        Ok(())
    }

    /// A page of the audit log, newest first, before `cursor`; returns the entries and
    /// the cursor of the next page (keyset pagination, fetches `limit + 1`).
    pub fn audit_page(
        &self,
        before: Option<AuditCursor>,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, Option<AuditCursor>)> {
        let iter = match before {
            Some((t, id)) => self.t.auditkey_entry.range(..keys::time_id(t, id)),
            None => self.t.auditkey_entry.range::<&[u8], _>(..),
        };
        let mut out = Vec::with_capacity(limit + 1);
        let mut last_key = None;
        for kv in iter.rev().take(limit + 1) {
            let (k, v) = kv?;
            if out.len() == limit {
                return Ok((out, last_key));
            }
            out.push(dec(schema::AUDITKEY_ENTRY, &v)?);
            last_key = Some((
                keys::read_time(&k).unwrap_or(0),
                keys::read_u64(&k[8..]).unwrap_or(0),
            ));
        }
        Ok((out, None))
    }
}

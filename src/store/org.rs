//! Teams and inboxes.

use super::TxErr;
use super::accounts::put_audit;
use super::schema;
use super::{Abort, Result, Store, dec, enc, keys};
use crate::domain::{AuditEntry, Inbox, InboxId, Team, TeamId};
use serde::Serialize;
use serde::de::DeserializeOwned;

impl Store {
    fn get_in<T: DeserializeOwned>(
        &self,
        tree: &super::kv::Tree,
        name: &'static str,
        id: u64,
    ) -> Result<Option<T>> {
        tree.get(keys::id(id))?.map(|v| dec(name, &v)).transpose()
    }

    fn list_in<T: DeserializeOwned>(
        &self,
        tree: &super::kv::Tree,
        name: &'static str,
        limit: usize,
    ) -> Result<Vec<T>> {
        tree.iter()
            .take(limit)
            .map(|kv| {
                let (_, v) = kv?;
                dec(name, &v)
            })
            .collect()
    }

    /// Inserts or replaces a record by id, with its audit entry, in one transaction.
    /// With `must_exist`, aborts with `NotFound` when there is nothing to replace.
    fn put_in<T: Serialize>(
        &self,
        tree: &super::kv::Tree,
        id: u64,
        v: &T,
        must_exist: bool,
        audit: &(u64, AuditEntry),
    ) -> Result<()> {
        let _g = self.write_gate();
        let bytes = enc(v)?;
        self.tx([tree, &self.t.auditkey_entry], |[t, aud]| {
            let old = t.replace(keys::id(id), bytes.clone())?;
            if must_exist && old.is_none() {
                return Err(TxErr::Abort(Abort::NotFound));
            }
            put_audit(aud, Some(audit))
        })?;
        Ok(())
    }

    fn delete_in(&self, tree: &super::kv::Tree, id: u64, audit: &(u64, AuditEntry)) -> Result<()> {
        let _g = self.write_gate();
        self.tx([tree, &self.t.auditkey_entry], |[t, aud]| {
            if t.take(keys::id(id))?.is_none() {
                return Err(TxErr::Abort(Abort::NotFound));
            }
            put_audit(aud, Some(audit))
        })?;
        Ok(())
    }

    /// One team.
    pub fn team(&self, id: TeamId) -> Result<Option<Team>> {
        self.get_in(&self.t.teamid_team, schema::TEAMID_TEAM, id.0)
    }
    /// Teams in id order, at most `limit`.
    pub fn teams(&self, limit: usize) -> Result<Vec<Team>> {
        self.list_in(&self.t.teamid_team, schema::TEAMID_TEAM, limit)
    }
    /// Creates or replaces a team.
    pub fn put_team(&self, team: &Team, must_exist: bool, audit: &(u64, AuditEntry)) -> Result<()> {
        self.put_in(&self.t.teamid_team, team.id.0, team, must_exist, audit)
    }
    /// Deletes a team.
    pub fn delete_team(&self, id: TeamId, audit: &(u64, AuditEntry)) -> Result<()> {
        self.delete_in(&self.t.teamid_team, id.0, audit)
    }

    /// One inbox.
    pub fn inbox(&self, id: InboxId) -> Result<Option<Inbox>> {
        self.get_in(&self.t.inboxid_inbox, schema::INBOXID_INBOX, id.0)
    }
    /// Inboxes in id order, at most `limit`.
    pub fn inboxes(&self, limit: usize) -> Result<Vec<Inbox>> {
        self.list_in(&self.t.inboxid_inbox, schema::INBOXID_INBOX, limit)
    }
    /// Creates or replaces an inbox.
    pub fn put_inbox(
        &self,
        inbox: &Inbox,
        must_exist: bool,
        audit: &(u64, AuditEntry),
    ) -> Result<()> {
        self.put_in(&self.t.inboxid_inbox, inbox.id.0, inbox, must_exist, audit)
    }
    /// Deletes an inbox.
    pub fn delete_inbox(&self, id: InboxId, audit: &(u64, AuditEntry)) -> Result<()> {
        self.delete_in(&self.t.inboxid_inbox, id.0, audit)
    }
}

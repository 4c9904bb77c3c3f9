//! Conversations, their timelines and the view indexes. Every write is one transaction
//! over the trees below; a conversation's index entries and view counts change in the
//! same transaction as the conversation itself.

use super::accounts::put_audit;
use super::jobs::Job;
use super::schema;
use super::views::{MENTIONS_TAG, count_key, idx_key, views_of};
pub use super::views::{View, ViewPage};

impl Store {
    /// Where a channel's reader stands in `stream` (a mail folder, `telegram`):
    /// (epoch, offset); for mail (UIDVALIDITY, highest UID ingested).
    pub fn position(&self, inbox: InboxId, stream: &str) -> Result<Option<(u32, u64)>> {
        Ok(self
            .t
            .mailcursor_state
            .get(cursor_key(inbox, stream))?
            .as_deref()
            .and_then(ingest::read_position))
    }

    /// Where the mail poller stands in a folder: (UIDVALIDITY, highest UID ingested).
    pub fn mail_cursor(&self, inbox: InboxId, folder: &str) -> Result<Option<(u32, u32)>> {
        Ok(self
            .position(inbox, folder)?
            .map(|(e, o)| (e, u32::try_from(o).unwrap_or(u32::MAX))))
    }

    /// Moves a reader's position forward with nothing to store (updates a channel
    /// reads and ignores), durable with the next commit.
    pub fn advance_position(&self, inbox: InboxId, p: &Position) -> Result<()> {
        let t = &self.t;
        self.tx([&t.mailcursor_state], |[c]| {
            ingest::advance_position(c, inbox, p)?;
            Ok(())
        })
    }
}
use super::TxErr;
use super::kv::TxTree;
use super::{Abort, Result, Store, dec, keys};
use crate::domain::contact::{Contact, Identity};
use crate::domain::conversation::{Conversation, ConversationId, Status};
use crate::domain::message::TimelineItem;
use crate::domain::{AgentId, AuditEntry, InboxId, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(super) fn cursor_key(inbox: InboxId, folder: &str) -> Vec<u8> {
    let mut k = keys::id(inbox.0).to_vec();
    k.extend_from_slice(folder.as_bytes());
    k
}

/// What a change to one conversation adds besides the conversation itself.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub items: Vec<TimelineItem>,
    pub job: Option<Job>,
    /// Agents mentioned now (by a note).
    pub mentions: Vec<AgentId>,
    pub audit: Option<(u64, AuditEntry)>,
}

pub(super) type TxResult<T> = std::result::Result<T, TxErr>;

pub(super) fn tx_dec<T: DeserializeOwned>(tree: &'static str, b: &[u8]) -> TxResult<T> {
    dec(tree, b).map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))
}

pub(super) fn tx_enc<T: Serialize>(v: &T) -> TxResult<Vec<u8>> {
    super::codec::encode(v).map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))
}

/// The trees of a conversation transaction, by position.
pub(super) struct Tx<'a>(pub(super) &'a [TxTree<'a>]);

pub(super) const CONV: usize = 0;
pub(super) const TL: usize = 1;
pub(super) const MSG: usize = 2;
pub(super) const EXT: usize = 3;
pub(super) const IDX: usize = 4;
pub(super) const CNT: usize = 5;
pub(super) const CONTACT: usize = 6;
pub(super) const CKEY: usize = 7;
pub(super) const CCONV: usize = 8;
pub(super) const CINBOX: usize = 9;
pub(super) const MENTION: usize = 10;
pub(super) const WAKE: usize = 11;
pub(super) const JOB: usize = 12;
pub(super) const AUDIT: usize = 13;
pub(super) const CURSOR: usize = 14;
pub(super) const TOKEN: usize = 15;
pub(super) const PART: usize = 16;
/// Read only, to fence a write done under a lease (mail ingest under its watcher's).
pub(super) const LEASE: usize = 17;
pub(super) const JOBCOUNT: usize = 18;
pub(super) const REPORT: usize = 19;
/// Scheduled replies (taken in the transaction that sends one).
pub(super) const SCHED: usize = 20;
/// How many trees a conversation transaction spans.
pub(super) const CONV_TREES: usize = 24;

impl Tx<'_> {
    /// Applies `f` to conversation `id` and writes it with what the change adds.
    pub(super) fn update<F>(&self, id: ConversationId, f: &F) -> TxResult<(Conversation, Change)>
    where
        F: Fn(&mut Conversation) -> std::result::Result<Change, Abort>,
    {
        let old = self.conv(id)?.ok_or(TxErr::Abort(Abort::NotFound))?;
        let mut new = old.clone();
        let change = f(&mut new).map_err(TxErr::Abort)?;
        self.put_conv(Some(&old), &new, &change.items)?;
        self.apply_change(&new, &change)?;
        Ok((new, change))
    }

    pub(super) fn conv(&self, id: ConversationId) -> TxResult<Option<Conversation>> {
        self.0[CONV]
            .get(keys::id(id.0))?
            .map(|v| tx_dec(schema::CONVID_CONVERSATION, &v))
            .transpose()
    }

    fn count_add(&self, key: &[u8], delta: i64) -> TxResult<()> {
        let cur = self.0[CNT]
            .get(key)?
            .and_then(|v| keys::read_u64(&v))
            .unwrap_or(0) as i64;
        let new = (cur + delta).max(0) as u64;
        if new == 0 {
            self.0[CNT].remove(key)?;
        } else {
            self.0[CNT].insert(key, keys::u64_be(new))?;
        }
        Ok(())
    }

    /// Writes a conversation, moving its index entries and counts from `old`'s views
    /// to `new`'s, and counting in the reports what the change's `items` (in the order
    /// recorded) add.
    pub(super) fn put_conv(
        &self,
        old: Option<&Conversation>,
        new: &Conversation,
        items: &[TimelineItem],
    ) -> TxResult<()> {
        let found = crate::domain::report::happenings(old, new, items);
        super::reports::tally(&self.0[REPORT], &found, true)?;
        let inbox = new.inbox_id.0;
        if old.is_none() {
            self.0[TOKEN].insert(new.token.as_bytes(), keys::id(new.id.0))?;
        }
        let old_views = old.map(views_of).unwrap_or_default();
        let new_views = views_of(new);
        if let Some(o) = old {
            for &(tag, sub) in &old_views {
                self.0[IDX]
                    .remove(&idx_key(tag, o.inbox_id.0, sub, o.last_activity_at.0, o.id.0)[..])?;
                if !new_views.contains(&(tag, sub)) {
                    self.count_add(&count_key(tag, o.inbox_id.0, sub), -1)?;
                }
            }
            if let Status::Snoozed { until } = o.status {
                self.0[WAKE].remove(&keys::time_id(until.0, o.id.0)[..])?;
            }
        }
        for &(tag, sub) in &new_views {
            self.0[IDX].insert(
                &idx_key(tag, inbox, sub, new.last_activity_at.0, new.id.0)[..],
                &[][..],
            )?;
            if !old_views.contains(&(tag, sub)) {
                self.count_add(&count_key(tag, inbox, sub), 1)?;
            }
        }
        if let Status::Snoozed { until } = new.status {
            self.0[WAKE].insert(&keys::time_id(until.0, new.id.0)[..], &[][..])?;
        }
        self.0[CONV].insert(keys::id(new.id.0), tx_enc(new)?)?;
        Ok(())
    }

    pub(super) fn push(&self, conv: ConversationId, item: &TimelineItem) -> TxResult<()> {
        let id = item.id();
        self.0[TL].insert(&keys::id_pair(conv.0, id.0)[..], tx_enc(item)?)?;
        if let TimelineItem::Message(_) = item {
            self.0[MSG].insert(keys::id(id.0), keys::id(conv.0))?;
        }
        Ok(())
    }

    pub(super) fn mention(
        &self,
        conv: &Conversation,
        agent: AgentId,
        at: Timestamp,
    ) -> TxResult<()> {
        let key = keys::id_pair(conv.id.0, agent.0);
        let inbox = conv.inbox_id.0;
        match self.0[MENTION].replace(&key[..], keys::time_be(at.0))? {
            Some(old) => {
                let t = keys::read_time(&old).unwrap_or(0);
                self.0[IDX].remove(&idx_key(MENTIONS_TAG, inbox, agent.0, t, conv.id.0)[..])?;
            }
            None => self.count_add(&count_key(MENTIONS_TAG, inbox, agent.0), 1)?,
        }
        self.0[IDX].insert(
            &idx_key(MENTIONS_TAG, inbox, agent.0, at.0, conv.id.0)[..],
            &[][..],
        )?;
        Ok(())
    }

    pub(super) fn apply_change(&self, conv: &Conversation, change: &Change) -> TxResult<()> {
        for item in &change.items {
            self.push(conv.id, item)?;
        }
        for agent in &change.mentions {
            self.mention(conv, *agent, conv.last_activity_at)?;
        }
        if let Some(job) = &change.job {
            self.0[JOB].insert(&job.key()[..], tx_enc(job)?)?;
            super::jobs::count_jobs(&self.0[JOBCOUNT], 1)?;
        }
        put_audit(&self.0[AUDIT], change.audit.as_ref())
    }
}

pub(super) fn contact_key(kind: u8, inbox: Option<InboxId>, value: &str) -> Vec<u8> {
    let mut k = vec![kind];
    if let Some(i) = inbox {
        k.extend_from_slice(&i.0.to_be_bytes());
    }
    k.extend_from_slice(value.as_bytes());
    k
}

/// The lookup keys of a contact: identifier (scoped to the inbox that gave it), email, phone.
pub(super) fn contact_keys(c: &Contact, identifier_inbox: Option<InboxId>) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    if let (Some(id), Some(inbox)) = (&c.identifier, identifier_inbox) {
        v.push(contact_key(b'i', Some(inbox), id));
    }
    if let Some(e) = &c.email {
        v.push(contact_key(b'e', None, &e.to_lowercase()));
    }
    if let Some(p) = &c.phone {
        v.push(contact_key(b'p', None, p));
    }
    for h in &c.handles {
        match h {
            Identity::Messenger(id) => v.push(contact_key(b'm', None, id)),
            Identity::Telegram(id) => v.push(contact_key(b't', None, id)),
            Identity::Phone(_) | Identity::Email(_) | Identity::External(_) => {}
        }
    }
    v
}

impl Store {
    pub(super) fn conv_trees(&self) -> [&super::kv::Tree; CONV_TREES] {
        let t = &self.t;
        [
            &t.convid_conversation,
            &t.timeline_item,
            &t.msgid_convid,
            &t.extref_msgref,
            &t.viewidx_unit,
            &t.viewcount_n,
            &t.contactid_contact,
            &t.contactkey_contactid,
            &t.contactconv_unit,
            &t.contactinbox_convid,
            &t.mention_time,
            &t.wakedue_unit,
            &t.jobdue_job,
            &t.auditkey_entry,
            &t.mailcursor_state,
            &t.token_convid,
            &t.msgpart_chunk,
            &t.leasename_lease,
            &t.jobcount_n,
            &t.reporthour_tally,
            &t.convsched_scheduled,
            // uploads (`store::uploads`): claimed when sent, deleted with the conversation
            &t.blob_chunk,
            &t.convupload_upload,
            &t.uploaddue_unit,
        ]
    }

    /// Runs `f` in one transaction over every conversation tree.
    pub(super) fn conv_tx<R>(&self, f: impl Fn(&Tx<'_>) -> TxResult<R>) -> Result<R> {
        let _g = self.write_gate();
        self.tx(self.conv_trees(), |v| f(&Tx(&v[..])))
    }

    /// Applies `f` (pure: it may run more than once) to a conversation and writes the
    /// result, its timeline items, job, mentions and audit entry in one transaction.
    pub fn update_conversation<F>(&self, id: ConversationId, f: F) -> Result<(Conversation, Change)>
    where
        F: Fn(&mut Conversation) -> std::result::Result<Change, Abort>,
    {
        self.conv_tx(|tx| tx.update(id, &f))
    }

    /// Starts a conversation from the agents' side ("new message" to a contact).
    pub fn insert_conversation(&self, conv: &Conversation, change: &Change) -> Result<()> {
        self.conv_tx(|tx| {
            let mut contact: Contact = tx.0[CONTACT]
                .get(keys::id(conv.contact_id.0))?
                .map(|v| tx_dec(schema::CONTACTID_CONTACT, &v))
                .transpose()?
                .ok_or(TxErr::Abort(Abort::NotFound))?;
            if contact.known_in(conv.inbox_id) {
                tx.0[CONTACT].insert(keys::id(contact.id.0), tx_enc(&contact)?)?;
            }
            tx.0[CINBOX].insert(
                &keys::id_pair(conv.contact_id.0, conv.inbox_id.0)[..],
                keys::id(conv.id.0),
            )?;
            tx.0[CCONV].insert(&keys::id_pair(conv.contact_id.0, conv.id.0)[..], &[][..])?;
            tx.put_conv(None, conv, &change.items)?;
            tx.apply_change(conv, change)
        })
    }

    /// Deletes a conversation with its timeline, stored parts and index entries. Inbound
    /// dedupe keys stay, so a channel re-sending the same message does not bring it back.
    pub fn delete_conversation(
        &self,
        id: ConversationId,
        audit: &(u64, AuditEntry),
    ) -> Result<Conversation> {
        // The timeline, to remove and to take its numbers back out of the reports.
        let items = super::reports::timeline_of(self, id)?;
        let mentions: Vec<Vec<u8>> = self
            .t
            .mention_time
            .scan_prefix(keys::id(id.0))
            .keys()
            .collect::<std::result::Result<_, _>>()?;
        let parts = self.part_keys(id)?;
        let scheduled = self.scheduled_of(id)?;
        let uploads = self.upload_keys(id)?;
        self.conv_tx(|tx| {
            tx.remove_uploads(&uploads)?;
            let conv = tx.conv(id)?.ok_or(TxErr::Abort(Abort::NotFound))?;
            super::scheduled::remove_all(tx, &scheduled)?;
            let (_, found) = super::reports::replay_stored(&conv, &items)
                .map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))?;
            super::reports::tally(&tx.0[REPORT], &found, false)?;
            for k in &parts {
                tx.0[PART].remove(k)?;
            }
            for &(tag, sub) in &views_of(&conv) {
                tx.0[IDX].remove(
                    &idx_key(
                        tag,
                        conv.inbox_id.0,
                        sub,
                        conv.last_activity_at.0,
                        conv.id.0,
                    )[..],
                )?;
                tx.count_add(&count_key(tag, conv.inbox_id.0, sub), -1)?;
            }
            if let Status::Snoozed { until } = conv.status {
                tx.0[WAKE].remove(&keys::time_id(until.0, conv.id.0)[..])?;
            }
            for (k, _) in &items {
                tx.0[TL].remove(k)?;
                if let Some(mid) = keys::read_u64(&k[8..]) {
                    tx.0[MSG].remove(keys::id(mid))?;
                }
            }
            for k in &mentions {
                let agent = keys::read_u64(&k[8..]).unwrap_or(0);
                if let Some(t) = tx.0[MENTION].take(k)? {
                    let t = keys::read_time(&t).unwrap_or(0);
                    tx.0[IDX]
                        .remove(&idx_key(MENTIONS_TAG, conv.inbox_id.0, agent, t, conv.id.0)[..])?;
                    tx.count_add(&count_key(MENTIONS_TAG, conv.inbox_id.0, agent), -1)?;
                }
            }
            let ci = keys::id_pair(conv.contact_id.0, conv.inbox_id.0);
            if tx.0[CINBOX].get(&ci[..])?.and_then(|v| keys::read_u64(&v)) == Some(conv.id.0) {
                tx.0[CINBOX].remove(&ci[..])?;
            }
            tx.0[CCONV].remove(&keys::id_pair(conv.contact_id.0, conv.id.0)[..])?;
            tx.0[CONV].remove(keys::id(conv.id.0))?;
            tx.0[TOKEN].remove(conv.token.as_bytes())?;
            put_audit(&tx.0[AUDIT], Some(audit))?;
            Ok(conv)
        })
    }
}

mod ingest;
pub(super) use ingest::read_position;
pub use ingest::{InboundMessage, InboundSender, Ingested, Position, Thread};

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

//! Conversations, their timelines and the view indexes. Every write is one transaction
//! over the trees below; a conversation's index entries and view counts change in the
//! same transaction as the conversation itself.

use super::accounts::put_audit;
use super::jobs::Job;
use super::schema;
use super::{Abort, Result, Store, dec, keys};
use crate::domain::contact::Contact;
use crate::domain::conversation::{
    ContactId, Conversation, ConversationId, Event, MessageId, Status,
};
use crate::domain::message::{Message, TimelineItem};
use crate::domain::{AgentId, AuditEntry, InboxId, TeamId, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError as TxErr, TransactionalTree};

/// One of the inbox views; each is an ordered index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    All,
    Mine(AgentId),
    Unassigned,
    Team(TeamId),
    Snoozed,
    Closed,
    Mentions(AgentId),
}

impl View {
    fn tag_sub(self) -> (u8, u64) {
        match self {
            View::All => (1, 0),
            View::Mine(a) => (2, a.0),
            View::Unassigned => (3, 0),
            View::Team(t) => (4, t.0),
            View::Snoozed => (5, 0),
            View::Closed => (6, 0),
            View::Mentions(a) => (7, a.0),
        }
    }
}

const MENTIONS_TAG: u8 = 7;

/// View index key. Time and conversation id are stored bit-inverted, so the newest
/// entry sorts first and a page is a *forward* range scan: sled's reverse iteration
/// costs several times more per step than its forward iteration.
fn idx_key(tag: u8, inbox: u64, sub: u64, time: i64, conv: u64) -> [u8; 33] {
    let mut k = [0u8; 33];
    k[0] = tag;
    k[1..9].copy_from_slice(&inbox.to_be_bytes());
    k[9..17].copy_from_slice(&sub.to_be_bytes());
    let t = keys::time_be(time);
    for (d, s) in k[17..25].iter_mut().zip(t) {
        *d = !s;
    }
    k[25..].copy_from_slice(&(!conv).to_be_bytes());
    k
}

/// (time, conversation id) of a view index key.
fn idx_time_conv(k: &[u8]) -> (i64, u64) {
    let mut t = [0u8; 8];
    for (d, s) in t.iter_mut().zip(&k[17..25]) {
        *d = !s;
    }
    (
        keys::read_time(&t).unwrap_or(0),
        !keys::read_u64(&k[25..33]).unwrap_or(u64::MAX),
    )
}

fn count_key(tag: u8, inbox: u64, sub: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = tag;
    k[1..9].copy_from_slice(&inbox.to_be_bytes());
    k[9..].copy_from_slice(&sub.to_be_bytes());
    k
}

/// The (tag, sub) views a conversation belongs to, mentions aside.
fn views_of(c: &Conversation) -> Vec<(u8, u64)> {
    match c.status {
        Status::Open => {
            let mut v = vec![View::All.tag_sub()];
            v.push(match c.assignee {
                Some(a) => View::Mine(a).tag_sub(),
                None => View::Unassigned.tag_sub(),
            });
            if let Some(t) = c.team {
                v.push(View::Team(t).tag_sub());
            }
            v
        }
        Status::Snoozed { .. } => vec![View::Snoozed.tag_sub()],
        Status::Closed => vec![View::Closed.tag_sub()],
    }
}

/// Input of `ingest`: one inbound message as a channel adapter saw it.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub inbox_id: InboxId,
    pub source_id: Option<String>,
    pub identifier: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub content: String,
    pub at: Timestamp,
    /// The visitor token for a conversation this message may create.
    pub token: String,
}

/// What `ingest` did.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub conversation: Conversation,
    pub message_id: MessageId,
    pub duplicate: bool,
    pub created: bool,
    pub events: Vec<Event>,
}

/// A page of a view and the cursor of the next one.
#[derive(Debug, Clone, Default)]
pub struct ViewPage {
    pub conversations: Vec<Conversation>,
    pub next: Option<(i64, u64)>,
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

type TxResult<T> = std::result::Result<T, TxErr<Abort>>;

fn tx_dec<T: DeserializeOwned>(tree: &'static str, b: &[u8]) -> TxResult<T> {
    dec(tree, b).map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))
}

fn tx_enc<T: Serialize>(v: &T) -> TxResult<Vec<u8>> {
    super::codec::encode(v).map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))
}

/// The trees of a conversation transaction, by position.
pub(super) struct Tx<'a>(pub(super) &'a [TransactionalTree]);

const CONV: usize = 0;
const TL: usize = 1;
const MSG: usize = 2;
const EXT: usize = 3;
const IDX: usize = 4;
const CNT: usize = 5;
const CONTACT: usize = 6;
const CKEY: usize = 7;
const CCONV: usize = 8;
const CINBOX: usize = 9;
const MENTION: usize = 10;
const WAKE: usize = 11;
const JOB: usize = 12;
const AUDIT: usize = 13;

impl Tx<'_> {
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
            self.0[CNT].insert(key, &keys::u64_be(new))?;
        }
        Ok(())
    }

    /// Writes a conversation, moving its index entries and counts from `old`'s views
    /// to `new`'s.
    pub(super) fn put_conv(&self, old: Option<&Conversation>, new: &Conversation) -> TxResult<()> {
        let inbox = new.inbox_id.0;
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
        self.0[CONV].insert(&keys::id(new.id.0), tx_enc(new)?)?;
        Ok(())
    }

    fn push(&self, conv: ConversationId, item: &TimelineItem) -> TxResult<()> {
        let id = item.id();
        self.0[TL].insert(&keys::id_pair(conv.0, id.0)[..], tx_enc(item)?)?;
        if let TimelineItem::Message(_) = item {
            self.0[MSG].insert(&keys::id(id.0), &keys::id(conv.0))?;
        }
        Ok(())
    }

    fn mention(&self, conv: &Conversation, agent: AgentId, at: Timestamp) -> TxResult<()> {
        let key = keys::id_pair(conv.id.0, agent.0);
        let inbox = conv.inbox_id.0;
        match self.0[MENTION].insert(&key[..], &keys::time_be(at.0))? {
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

    fn apply_change(&self, conv: &Conversation, change: &Change) -> TxResult<()> {
        for item in &change.items {
            self.push(conv.id, item)?;
        }
        for agent in &change.mentions {
            self.mention(conv, *agent, conv.last_activity_at)?;
        }
        if let Some(job) = &change.job {
            self.0[JOB].insert(&job.key()[..], tx_enc(job)?)?;
        }
        put_audit(&self.0[AUDIT], change.audit.as_ref())
    }
}

fn contact_key(kind: u8, inbox: Option<InboxId>, value: &str) -> Vec<u8> {
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
    v
}

impl Store {
    fn conv_trees(&self) -> [&sled::Tree; 14] {
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
        ]
    }

    /// Runs `f` in one transaction over every conversation tree.
    pub(super) fn conv_tx<R>(&self, f: impl Fn(&Tx<'_>) -> TxResult<R>) -> Result<R> {
        let _g = self.write_gate();
        let trees = self.conv_trees();
        Ok(trees[..].transaction(|v| f(&Tx(v)))?)
    }

    /// Stores an inbound message: dedupes on (inbox, source id), finds or creates the
    /// contact and the conversation, applies the lifecycle rules, all in one
    /// transaction. `ids` are fresh ids: [conversation, contact, event, event, message].
    pub fn ingest(&self, m: &InboundMessage, ids: [u64; 5]) -> Result<Ingested> {
        self.conv_tx(|tx| {
            let ext = m.source_id.as_ref().map(|s| {
                let mut k = keys::id(m.inbox_id.0).to_vec();
                k.extend_from_slice(s.as_bytes());
                k
            });
            if let Some(ext) = &ext
                && let Some(v) = tx.0[EXT].get(ext)?
            {
                let conv_id = ConversationId(keys::read_u64(&v).unwrap_or(0));
                let msg_id = MessageId(keys::read_u64(&v[8..]).unwrap_or(0));
                let conversation = tx.conv(conv_id)?.ok_or(TxErr::Abort(Abort::NotFound))?;
                return Ok(Ingested {
                    conversation,
                    message_id: msg_id,
                    duplicate: true,
                    created: false,
                    events: vec![],
                });
            }
            // The contact: by identifier, then email, then phone; else a new one.
            let probe = Contact {
                id: ContactId(ids[1]),
                name: m.name.clone().unwrap_or_default(),
                email: m.email.clone(),
                phone: m.phone.clone(),
                identifier: m.identifier.clone(),
                tags: vec![],
                properties: vec![],
                blocked: false,
                created_at: m.at,
            };
            let lookup = contact_keys(&probe, Some(m.inbox_id));
            let mut found = None;
            for k in &lookup {
                if let Some(id) = tx.0[CKEY].get(k)? {
                    found = Some(ContactId(keys::read_u64(&id).unwrap_or(0)));
                    break;
                }
            }
            let existing: Option<Contact> = match found {
                Some(id) => tx.0[CONTACT]
                    .get(keys::id(id.0))?
                    .map(|v| tx_dec(schema::CONTACTID_CONTACT, &v))
                    .transpose()?,
                None => None,
            };
            let contact = match existing {
                Some(mut c) => {
                    let before = c.clone();
                    if c.name.trim().is_empty() && !probe.name.trim().is_empty() {
                        c.name = probe.name.clone();
                    }
                    if c.email.is_none() {
                        c.email = probe.email.clone();
                    }
                    if c.phone.is_none() {
                        c.phone = probe.phone.clone();
                    }
                    if c.identifier.is_none() {
                        c.identifier = probe.identifier.clone();
                    }
                    if c != before {
                        tx.0[CONTACT].insert(&keys::id(c.id.0), tx_enc(&c)?)?;
                    }
                    c
                }
                None => {
                    tx.0[CONTACT].insert(&keys::id(probe.id.0), tx_enc(&probe)?)?;
                    probe
                }
            };
            for k in contact_keys(&contact, Some(m.inbox_id)) {
                if tx.0[CKEY].get(&k)?.is_none() {
                    tx.0[CKEY].insert(k, &keys::id(contact.id.0))?;
                }
            }
            // The conversation: the contact's latest in this inbox, else a new one.
            let ci = keys::id_pair(contact.id.0, m.inbox_id.0);
            let latest = match tx.0[CINBOX].get(&ci[..])? {
                Some(v) => tx.conv(ConversationId(keys::read_u64(&v).unwrap_or(0)))?,
                None => None,
            };
            let mut events = Vec::new();
            let (old, mut conv, created) = match latest {
                Some(c) => (Some(c.clone()), c, false),
                None => {
                    let (c, e) = Conversation::start(
                        ConversationId(ids[0]),
                        m.inbox_id,
                        contact.id,
                        contact.display_name(),
                        m.token.clone(),
                        m.at,
                    );
                    tx.0[CINBOX].insert(&ci[..], &keys::id(c.id.0))?;
                    tx.0[CCONV].insert(&keys::id_pair(contact.id.0, c.id.0)[..], &[][..])?;
                    events.extend(e);
                    (None, c, true)
                }
            };
            events.extend(conv.on_inbound(&m.content, contact.blocked, m.at));
            for (i, e) in events.iter().enumerate() {
                tx.push(
                    conv.id,
                    &TimelineItem::Event(MessageId(ids[2 + i.min(1)]), e.clone()),
                )?;
            }
            let msg = Message {
                id: MessageId(ids[4]),
                conversation_id: conv.id,
                direction: crate::domain::message::Direction::Inbound,
                author: None,
                content: m.content.clone(),
                created_at: m.at,
                status: crate::domain::message::DeliveryStatus::Delivered,
                status_times: vec![(crate::domain::message::DeliveryStatus::Delivered, m.at)],
                error: None,
                source_id: m.source_id.clone(),
                mentions: vec![],
            };
            tx.push(conv.id, &TimelineItem::Message(msg))?;
            if let Some(ext) = &ext {
                let mut v = keys::id(conv.id.0).to_vec();
                v.extend_from_slice(&keys::id(ids[4]));
                tx.0[EXT].insert(ext.as_slice(), v)?;
            }
            conv.contact_name = contact.display_name();
            tx.put_conv(old.as_ref(), &conv)?;
            Ok(Ingested {
                conversation: conv,
                message_id: MessageId(ids[4]),
                duplicate: false,
                created,
                events: events.clone(),
            })
        })
    }

    /// Applies `f` (pure: it may run more than once) to a conversation and writes the
    /// result, its timeline items, job, mentions and audit entry in one transaction.
    pub fn update_conversation<F>(&self, id: ConversationId, f: F) -> Result<(Conversation, Change)>
    where
        F: Fn(&mut Conversation) -> std::result::Result<Change, Abort>,
    {
        self.conv_tx(|tx| {
            let old = tx.conv(id)?.ok_or(TxErr::Abort(Abort::NotFound))?;
            let mut new = old.clone();
            let change = f(&mut new).map_err(TxErr::Abort)?;
            tx.put_conv(Some(&old), &new)?;
            tx.apply_change(&new, &change)?;
            Ok((new, change))
        })
    }

    /// Starts a conversation from the agents' side ("new message" to a contact).
    pub fn insert_conversation(&self, conv: &Conversation, change: &Change) -> Result<()> {
        self.conv_tx(|tx| {
            tx.0[CINBOX].insert(
                &keys::id_pair(conv.contact_id.0, conv.inbox_id.0)[..],
                &keys::id(conv.id.0),
            )?;
            tx.0[CCONV].insert(&keys::id_pair(conv.contact_id.0, conv.id.0)[..], &[][..])?;
            tx.put_conv(None, conv)?;
            tx.apply_change(conv, change)
        })
    }

    /// Deletes a conversation with its timeline and index entries. Inbound dedupe keys
    /// stay, so a channel re-sending the same message does not bring it back.
    pub fn delete_conversation(
        &self,
        id: ConversationId,
        audit: &(u64, AuditEntry),
    ) -> Result<Conversation> {
        let items: Vec<sled::IVec> = self
            .t
            .timeline_item
            .scan_prefix(keys::id(id.0))
            .keys()
            .collect::<std::result::Result<_, _>>()?;
        let mentions: Vec<sled::IVec> = self
            .t
            .mention_time
            .scan_prefix(keys::id(id.0))
            .keys()
            .collect::<std::result::Result<_, _>>()?;
        self.conv_tx(|tx| {
            let conv = tx.conv(id)?.ok_or(TxErr::Abort(Abort::NotFound))?;
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
            for k in &items {
                tx.0[TL].remove(k)?;
                if let Some(mid) = keys::read_u64(&k[8..]) {
                    tx.0[MSG].remove(&keys::id(mid))?;
                }
            }
            for k in &mentions {
                let agent = keys::read_u64(&k[8..]).unwrap_or(0);
                if let Some(t) = tx.0[MENTION].remove(k)? {
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
            tx.0[CONV].remove(&keys::id(conv.id.0))?;
            put_audit(&tx.0[AUDIT], Some(audit))?;
            Ok(conv)
        })
    }

    /// One conversation.
    pub fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>> {
        self.t
            .convid_conversation
            .get(keys::id(id.0))?
            .map(|v| dec(schema::CONVID_CONVERSATION, &v))
            .transpose()
    }

    /// The conversation a message belongs to.
    pub fn conversation_of_message(&self, id: MessageId) -> Result<Option<ConversationId>> {
        Ok(self
            .t
            .msgid_convid
            .get(keys::id(id.0))?
            .and_then(|v| keys::read_u64(&v))
            .map(ConversationId))
    }

    /// The message an inbox's provider knows by `source_id`.
    pub fn message_by_source(
        &self,
        inbox: InboxId,
        source_id: &str,
    ) -> Result<Option<(ConversationId, MessageId)>> {
        let mut k = keys::id(inbox.0).to_vec();
        k.extend_from_slice(source_id.as_bytes());
        Ok(self.t.extref_msgref.get(k)?.and_then(|v| {
            Some((
                ConversationId(keys::read_u64(&v)?),
                MessageId(keys::read_u64(v.get(8..)?)?),
            ))
        }))
    }

    /// Records the provider's id for an outbound message (so status callbacks can name it).
    pub fn set_message_source(
        &self,
        inbox: InboxId,
        source_id: &str,
        conv: ConversationId,
        msg: MessageId,
    ) -> Result<()> {
        let _g = self.write_gate();
        let mut k = keys::id(inbox.0).to_vec();
        k.extend_from_slice(source_id.as_bytes());
        let mut v = keys::id(conv.0).to_vec();
        v.extend_from_slice(&keys::id(msg.0));
        self.t.extref_msgref.insert(k, v)?;
        Ok(())
    }

    /// One message.
    pub fn message(&self, conv: ConversationId, id: MessageId) -> Result<Option<Message>> {
        match self.t.timeline_item.get(keys::id_pair(conv.0, id.0))? {
            Some(v) => match dec::<TimelineItem>(schema::TIMELINE_ITEM, &v)? {
                TimelineItem::Message(m) => Ok(Some(m)),
                TimelineItem::Event(..) => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// Applies `f` to one message (delivery statuses); returns the message if it changed.
    pub fn update_message(
        &self,
        conv: ConversationId,
        id: MessageId,
        f: impl Fn(&mut Message) -> bool,
    ) -> Result<Option<Message>> {
        let _g = self.write_gate();
        let key = keys::id_pair(conv.0, id.0);
        Ok(self.t.timeline_item.transaction(|t| {
            let Some(v) = t.get(key)? else {
                return Err(TxErr::Abort(Abort::NotFound));
            };
            let TimelineItem::Message(mut m) = tx_dec::<TimelineItem>(schema::TIMELINE_ITEM, &v)?
            else {
                return Err(TxErr::Abort(Abort::NotFound));
            };
            if !f(&mut m) {
                return Ok(None);
            }
            t.insert(&key[..], tx_enc(&TimelineItem::Message(m.clone()))?)?;
            Ok(Some(m))
        })?)
    }

    /// A page of a view over some inboxes, newest first: one range scan per inbox,
    /// merged; fetches `limit + 1` to know whether there is a next page.
    pub fn view_page(
        &self,
        view: View,
        inboxes: &[InboxId],
        before: Option<(i64, u64)>,
        limit: usize,
    ) -> Result<ViewPage> {
        let (tag, sub) = view.tag_sub();
        let mut iters: Vec<std::iter::Peekable<_>> = inboxes
            .iter()
            .map(|i| {
                use std::ops::Bound;
                let end = Bound::Included(idx_key(tag, i.0, sub, i64::MIN, 0));
                let start = match before {
                    Some((t, c)) => Bound::Excluded(idx_key(tag, i.0, sub, t, c)),
                    None => Bound::Included(idx_key(tag, i.0, sub, i64::MAX, u64::MAX)),
                };
                self.t
                    .viewidx_unit
                    .range::<[u8; 33], _>((start, end))
                    .keys()
                    .peekable()
            })
            .collect();
        let mut out = Vec::with_capacity(limit);
        let mut last = None;
        let mut more = false;
        loop {
            // The newest head among the inboxes: the smallest (inverted) key suffix.
            let mut best: Option<(usize, [u8; 16])> = None;
            for (n, it) in iters.iter_mut().enumerate() {
                match it.peek() {
                    Some(Ok(k)) => {
                        let mut tc = [0u8; 16];
                        tc.copy_from_slice(&k[17..33]);
                        if best.is_none_or(|(_, b)| tc < b) {
                            best = Some((n, tc));
                        }
                    }
                    Some(Err(_)) => {
                        if let Some(Err(e)) = it.next() {
                            return Err(e.into());
                        }
                    }
                    None => {}
                }
            }
            let Some((n, _)) = best else { break };
            if out.len() == limit {
                more = true;
                break;
            }
            let Some(Ok(k)) = iters[n].next() else { break };
            let (time, conv_id) = idx_time_conv(&k);
            if let Some(c) = self.conversation(ConversationId(conv_id))? {
                out.push(c);
                last = Some((time, conv_id));
            }
        }
        Ok(ViewPage {
            conversations: out,
            next: if more { last } else { None },
        })
    }

    /// The number of conversations in a view over some inboxes (kept, never counted).
    pub fn view_count(&self, view: View, inboxes: &[InboxId]) -> Result<u64> {
        let (tag, sub) = view.tag_sub();
        let mut n = 0;
        for i in inboxes {
            n += self
                .t
                .viewcount_n
                .get(count_key(tag, i.0, sub))?
                .and_then(|v| keys::read_u64(&v))
                .unwrap_or(0);
        }
        Ok(n)
    }

    /// A page of a conversation's timeline, newest first, before `before`.
    pub fn timeline_page(
        &self,
        conv: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<(Vec<TimelineItem>, Option<MessageId>)> {
        let lo = keys::id_pair(conv.0, 0);
        let hi = keys::id_pair(conv.0, before.map(|b| b.0).unwrap_or(u64::MAX));
        let mut out = Vec::with_capacity(limit + 1);
        for kv in self.t.timeline_item.range(lo..hi).rev().take(limit + 1) {
            let (_, v) = kv?;
            out.push(dec::<TimelineItem>(schema::TIMELINE_ITEM, &v)?);
        }
        let next = if out.len() > limit {
            out.pop();
            out.last().map(TimelineItem::id)
        } else {
            None
        };
        Ok((out, next))
    }

    /// When `agent` last read `conv`.
    pub fn read_time(&self, agent: AgentId, conv: ConversationId) -> Result<Option<Timestamp>> {
        Ok(self
            .t
            .readstate_time
            .get(keys::id_pair(agent.0, conv.0))?
            .and_then(|v| keys::read_time(&v))
            .map(Timestamp))
    }

    /// Marks `conv` read by `agent` up to `at`, or unread with `None`.
    pub fn set_read(
        &self,
        agent: AgentId,
        conv: ConversationId,
        at: Option<Timestamp>,
    ) -> Result<()> {
        let _g = self.write_gate();
        let k = keys::id_pair(agent.0, conv.0);
        match at {
            Some(t) => self.t.readstate_time.insert(k, &keys::time_be(t.0))?,
            None => self.t.readstate_time.remove(k)?,
        };
        Ok(())
    }

    /// Snoozed conversations whose time has come (at most `limit`).
    pub fn due_wakes(&self, now: Timestamp, limit: usize) -> Result<Vec<ConversationId>> {
        let hi = keys::time_id(now.0, u64::MAX);
        self.t
            .wakedue_unit
            .range(..hi)
            .keys()
            .take(limit)
            .map(|k| Ok(ConversationId(keys::read_u64(&k?[8..]).unwrap_or(0))))
            .collect()
    }

    /// Every conversation (id order), for rebuilding derived state; bounded by `limit`.
    pub fn conversations_after(
        &self,
        after: Option<ConversationId>,
        limit: usize,
    ) -> Result<Vec<Conversation>> {
        let start = after.map(|a| a.0.saturating_add(1)).unwrap_or(0);
        self.t
            .convid_conversation
            .range(keys::id(start)..)
            .values()
            .take(limit)
            .map(|v| dec(schema::CONVID_CONVERSATION, &v?))
            .collect()
    }

    /// A contact's conversations, newest id first.
    pub fn conversations_of_contact(
        &self,
        contact: ContactId,
        limit: usize,
    ) -> Result<Vec<Conversation>> {
        let mut out = Vec::new();
        for k in self
            .t
            .contactconv_unit
            .scan_prefix(keys::id(contact.0))
            .keys()
            .rev()
            .take(limit)
        {
            let k = k?;
            if let Some(c) =
                self.conversation(ConversationId(keys::read_u64(&k[8..]).unwrap_or(0)))?
            {
                out.push(c);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::{Actor, EventKind};
    use crate::domain::message::{DeliveryStatus, Direction};

    /// Every stored shape survives the codec (enums with data, unit variants, options).
    #[test]
    fn every_timeline_and_conversation_shape_round_trips() {
        let kinds = vec![
            EventKind::Created,
            EventKind::Assigned {
                to: Some(AgentId(1)),
            },
            EventKind::Assigned { to: None },
            EventKind::TeamChanged {
                to: Some(TeamId(2)),
            },
            EventKind::Closed {
                note: Some("n".into()),
            },
            EventKind::Closed { note: None },
            EventKind::Reopened,
            EventKind::Snoozed {
                until: Timestamp(5),
            },
            EventKind::Woke,
            EventKind::ContactBlocked,
            EventKind::ContactUnblocked,
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            for actor in [Actor::Agent(AgentId(3)), Actor::Contact, Actor::System] {
                let item = TimelineItem::Event(
                    MessageId(i as u64),
                    Event {
                        actor,
                        at: Timestamp(9),
                        kind: kind.clone(),
                    },
                );
                let back: TimelineItem =
                    super::super::codec::decode(&super::super::codec::encode(&item).unwrap())
                        .unwrap();
                assert_eq!(back, item);
            }
        }
        let m = TimelineItem::Message(Message {
            id: MessageId(1),
            conversation_id: ConversationId(2),
            direction: Direction::Note,
            author: Some(AgentId(1)),
            content: "x".into(),
            created_at: Timestamp(1),
            status: DeliveryStatus::Failed,
            status_times: vec![(DeliveryStatus::Pending, Timestamp(1))],
            error: Some("e".into()),
            source_id: None,
            mentions: vec![AgentId(4)],
        });
        assert_eq!(
            super::super::codec::decode::<TimelineItem>(&super::super::codec::encode(&m).unwrap())
                .unwrap(),
            m
        );
        for status in [
            Status::Open,
            Status::Closed,
            Status::Snoozed {
                until: Timestamp(7),
            },
        ] {
            let (mut c, _) = Conversation::start(
                ConversationId(1),
                InboxId(1),
                ContactId(1),
                "n".into(),
                "t".into(),
                Timestamp(0),
            );
            c.status = status;
            c.team = Some(TeamId(3));
            assert_eq!(
                super::super::codec::decode::<Conversation>(
                    &super::super::codec::encode(&c).unwrap()
                )
                .unwrap(),
                c
            );
        }
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Newer (time, id) sorts first within a view, and the key decodes back.
        #[test]
        fn view_keys_sort_newest_first(t1: i64, c1: u64, t2: i64, c2: u64) {
            let (a, b) = (idx_key(1, 2, 3, t1, c1), idx_key(1, 2, 3, t2, c2));
            prop_assert_eq!(a.cmp(&b), (t2, c2).cmp(&(t1, c1)));
            prop_assert_eq!(idx_time_conv(&a), (t1, c1));
        }
    }
}

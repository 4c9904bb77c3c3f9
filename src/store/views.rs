//! The view indexes and everything that reads conversations: one ordered range scan
//! per view and inbox, kept counts, timeline pages, read state, snooze timers.

use super::TxErr;
use super::conversations::{tx_dec, tx_enc};
use super::schema;
use super::{Abort, Result, Store, dec, keys};
use crate::domain::conversation::{ContactId, Conversation, ConversationId, MessageId, Status};
use crate::domain::message::{Message, TimelineItem};
use crate::domain::{AgentId, InboxId, TeamId, Timestamp};

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

pub(super) const MENTIONS_TAG: u8 = 7;

/// View index key. Time and conversation id are stored bit-inverted, so the newest
/// entry sorts first and a page is a *forward* range scan: sled's reverse iteration
/// costs several times more per step than its forward iteration.
pub(super) fn idx_key(tag: u8, inbox: u64, sub: u64, time: i64, conv: u64) -> [u8; 33] {
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
pub(super) fn idx_time_conv(k: &[u8]) -> (i64, u64) {
    let mut t = [0u8; 8];
    for (d, s) in t.iter_mut().zip(&k[17..25]) {
        *d = !s;
    }
    (
        keys::read_time(&t).unwrap_or(0),
        !keys::read_u64(&k[25..33]).unwrap_or(u64::MAX),
    )
}

pub(super) fn count_key(tag: u8, inbox: u64, sub: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = tag;
    k[1..9].copy_from_slice(&inbox.to_be_bytes());
    k[9..].copy_from_slice(&sub.to_be_bytes());
    k
}

/// The (tag, sub) views a conversation belongs to, mentions aside.
pub(super) fn views_of(c: &Conversation) -> Vec<(u8, u64)> {
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

/// A page of a view and the cursor of the next one.
#[derive(Debug, Clone, Default)]
pub struct ViewPage {
    pub conversations: Vec<Conversation>,
    pub next: Option<(i64, u64)>,
}

impl Store {
    /// One conversation.
    pub fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>> {
        self.t
            .convid_conversation
            .get(keys::id(id.0))?
            .map(|v| dec(schema::CONVID_CONVERSATION, &v))
            .transpose()
    }

    /// Several conversations at once (one read for the lot), in the order of `ids`;
    /// those that no longer exist are left out.
    pub fn conversations(&self, ids: &[ConversationId]) -> Result<Vec<Conversation>> {
        let keys: Vec<[u8; 8]> = ids.iter().map(|i| keys::id(i.0)).collect();
        self.t
            .convid_conversation
            .get_many(&keys)?
            .into_iter()
            .flatten()
            .map(|v| dec(schema::CONVID_CONVERSATION, &v))
            .collect()
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
        self.tx([&self.t.timeline_item], |[t]| {
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
        })
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
            out.push(ConversationId(conv_id));
            last = Some((time, conv_id));
        }
        // The rows, read together. (A conversation removed since the index was read is
        // left out, as before.)
        let out = self.conversations(&out)?;
        Ok(ViewPage {
            conversations: out,
            next: if more { last } else { None },
        })
    }

    /// The number of conversations in a view over some inboxes (kept, never counted).
    pub fn view_count(&self, view: View, inboxes: &[InboxId]) -> Result<u64> {
        Ok(self.view_counts(&[view], inboxes)?[0])
    }

    /// [`view_count`](Self::view_count) of several views, read together.
    pub fn view_counts(&self, views: &[View], inboxes: &[InboxId]) -> Result<Vec<u64>> {
        let keys: Vec<_> = views
            .iter()
            .flat_map(|v| {
                let (tag, sub) = v.tag_sub();
                inboxes.iter().map(move |i| count_key(tag, i.0, sub))
            })
            .collect();
        let values = self.t.viewcount_n.get_many(&keys)?;
        let per_view = inboxes.len().max(1);
        let mut out = vec![0u64; views.len()];
        for (n, v) in values.into_iter().enumerate() {
            out[n / per_view] += v.and_then(|v| keys::read_u64(&v)).unwrap_or(0);
        }
        Ok(out)
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

    /// When `agent` last read each of `convs` (one read for the lot).
    pub fn read_times(
        &self,
        agent: AgentId,
        convs: &[ConversationId],
    ) -> Result<Vec<Option<Timestamp>>> {
        let keys: Vec<_> = convs.iter().map(|c| keys::id_pair(agent.0, c.0)).collect();
        Ok(self
            .t
            .readstate_time
            .get_many(&keys)?
            .into_iter()
            .map(|v| v.and_then(|v| keys::read_time(&v)).map(Timestamp))
            .collect())
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
            Some(t) => self.t.readstate_time.insert(k, keys::time_be(t.0))?,
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

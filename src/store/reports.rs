//! Report tallies (`reporthour_tally`): written in the transaction of each conversation
//! change from what its timeline items add (`domain::report`), read one range scan per
//! dimension id, and rebuilt from the timelines by the schema-4 migration.

use super::conversations::{TxResult, tx_dec, tx_enc};
use super::kv::TxTree;
use super::{Result, Store, dec, enc, schema};
use crate::domain::conversation::{Conversation, ConversationId};
use crate::domain::message::TimelineItem;
use crate::domain::report::{Dimension, Happening, Progress, Tally, replay};
use std::collections::BTreeMap;

/// Key of one hour of one dimension: tag · id · hour.
pub(super) fn report_key(d: Dimension, hour: u32) -> [u8; 13] {
    let mut k = [0u8; 13];
    k[0] = d.tag();
    k[1..9].copy_from_slice(&d.id().to_be_bytes());
    k[9..].copy_from_slice(&hour.to_be_bytes());
    k
}

fn hour_of_key(k: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(k.get(9..13)?.try_into().ok()?))
}

/// Counts `found` in (`add`) or takes them back out, inside a transaction.
pub(super) fn tally(t: &TxTree<'_>, found: &[Happening], add: bool) -> TxResult<()> {
    for h in found {
        for d in h.dimensions() {
            let key = report_key(d, h.hour());
            let mut tally: Tally = match t.get(key)? {
                Some(v) => tx_dec(schema::REPORTHOUR_TALLY, &v)?,
                None => Tally::default(),
            };
            if add {
                tally.add(&h.measure);
            } else {
                tally.remove(&h.measure);
            }
            if tally.is_empty() {
                t.remove(key)?;
            } else {
                t.insert(key, tx_enc(&tally)?)?;
            }
        }
    }
    Ok(())
}

/// What a conversation's items add to the reports, replayed from its start (a deleted
/// conversation's numbers to take out; a rebuild).
pub(super) fn replay_stored(
    conv: &Conversation,
    items: &[(Vec<u8>, Vec<u8>)],
) -> Result<(Progress, Vec<Happening>)> {
    let items = items
        .iter()
        .map(|(_, v)| dec::<TimelineItem>(schema::TIMELINE_ITEM, v))
        .collect::<Result<Vec<_>>>()?;
    Ok(replay(conv, items))
}

impl Store {
    /// The tallies of `dim` for hours `from..to`, in hour order: one range scan.
    pub fn report_hours(&self, dim: Dimension, from: u32, to: u32) -> Result<Vec<(u32, Tally)>> {
        if from >= to {
            return Ok(vec![]);
        }
        let (lo, hi) = (report_key(dim, from), report_key(dim, to));
        let mut out = Vec::new();
        let hint = usize::try_from(to - from).unwrap_or(usize::MAX).min(4096);
        for kv in self.t.reporthour_tally.range(lo..hi).expect(hint) {
            let (k, v) = kv?;
            let hour = hour_of_key(&k).unwrap_or(0);
            out.push((hour, dec(schema::REPORTHOUR_TALLY, &v)?));
        }
        Ok(out)
    }

    /// Every stored tally by key (tests and tools: it reads the whole keyspace).
    pub fn report_tallies(&self) -> Result<BTreeMap<Vec<u8>, Tally>> {
        self.t
            .reporthour_tally
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((k, dec::<Tally>(schema::REPORTHOUR_TALLY, &v)?.normalized()))
            })
            .collect()
    }
}

/// How many tallies a rebuild writes per transaction.
const WRITE_BATCH: usize = 512;

/// Rebuilds every tally from the timelines, and each conversation's reply count and
/// closing assignee (records older than schema 4 read them as 0 and none). Idempotent
/// and safe to rerun after a crash: it clears the tallies first and computes everything
/// again from the timelines, which it only reads. Two ordered scans (conversations and
/// timelines are both keyed by conversation id first), no lookups.
pub(super) fn rebuild(store: &Store) -> Result<()> {
    let t = &store.t;
    let old: Vec<Vec<u8>> = t
        .reporthour_tally
        .iter()
        .keys()
        .collect::<std::result::Result<_, _>>()?;
    for chunk in old.chunks(WRITE_BATCH) {
        store.tx([&t.reporthour_tally], |[r]| {
            for k in chunk {
                r.remove(k)?;
            }
            Ok(())
        })?;
    }
    let mut tallies: BTreeMap<[u8; 13], Tally> = BTreeMap::new();
    let mut timeline = t.timeline_item.iter().expect(4096).peekable();
    let mut conversations = 0u64;
    for kv in t.convid_conversation.iter().expect(1024) {
        let (k, v) = kv?;
        let mut conv: Conversation = dec(schema::CONVID_CONVERSATION, &v)?;
        // This conversation's items; items of ids without a conversation are skipped.
        let mut items = Vec::new();
        while let Some(next) = timeline.peek() {
            let id = match next {
                Ok((ik, _)) => super::keys::read_u64(ik).unwrap_or(0),
                Err(_) => conv.id.0,
            };
            if id > conv.id.0 {
                break;
            }
            let item = timeline.next().transpose()?;
            if let Some(pair) = item.filter(|_| id == conv.id.0) {
                items.push(pair);
            }
        }
        let (end, found) = replay_stored(&conv, &items)?;
        for h in &found {
            for d in h.dimensions() {
                tallies
                    .entry(report_key(d, h.hour()))
                    .or_default()
                    .add(&h.measure);
            }
        }
        if (conv.agent_replies, conv.closed_assignee) != (end.replies, end.closed_assignee) {
            conv.agent_replies = end.replies;
            conv.closed_assignee = end.closed_assignee;
            t.convid_conversation.insert(&k, enc(&conv)?)?;
        }
        conversations += 1;
    }
    let tallies: Vec<([u8; 13], Tally)> = tallies.into_iter().collect();
    for chunk in tallies.chunks(WRITE_BATCH) {
        let encoded: Vec<([u8; 13], Vec<u8>)> = chunk
            .iter()
            .map(|(k, v)| Ok((*k, enc(v)?)))
            .collect::<Result<_>>()?;
        store.tx([&t.reporthour_tally], |[r]| {
            for (k, v) in &encoded {
                r.insert(k, v)?;
            }
            Ok(())
        })?;
    }
    tracing::info!(
        conversations,
        tallies = tallies.len(),
        "report tallies rebuilt"
    );
    Ok(())
}

/// Reads a conversation's timeline (key and value of each item).
pub(super) fn timeline_of(store: &Store, id: ConversationId) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    store
        .t
        .timeline_item
        .scan_prefix(super::keys::id(id.0))
        .collect::<std::result::Result<_, _>>()
        .map_err(Into::into)
}

#[cfg(test)]
mod tests;

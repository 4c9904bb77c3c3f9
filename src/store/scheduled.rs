//! Scheduled replies ("send later"): each one a record in `convsched_scheduled` and,
//! while it waits, a due entry in the durable job queue (`JobKind::Scheduled`, job id =
//! the scheduled reply's id, due at its time). Both change in one transaction, so the
//! queue never holds a reply the conversation does not list, and the reply becomes a
//! message in the same transaction that takes its job (see
//! [`Store::update_conversation_claiming`]): exactly once, across a crash or two nodes.

use super::TxErr;
use super::conversations::{CONV_TREES, Change, JOB, JOBCOUNT, LEASE, SCHED, Tx, tx_dec, tx_enc};
use super::jobs::{Job, JobKind, count_jobs};
use super::leases::{Fence, fence_holds};
use super::{Abort, Result, Store, StoreError, dec, keys, schema};
use crate::domain::conversation::MessageId;
use crate::domain::conversation::{Conversation, ConversationId};
use crate::domain::{AgentId, Timestamp};
use serde::{Deserialize, Serialize};

/// A reply an agent wrote to be sent later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduled {
    pub id: u64,
    pub conversation_id: ConversationId,
    /// The agent who wrote it (it is sent as theirs).
    pub author: AgentId,
    pub content: String,
    /// Website chats: goes by mail.
    #[serde(default)]
    pub by_email: bool,
    pub send_at: Timestamp,
    pub created_at: Timestamp,
    /// Why it could not be sent at its time; it stays listed (with no job) until the
    /// agent edits it (a new time) or cancels it.
    #[serde(default)]
    pub failed: Option<String>,
    /// A template's subject, filled when it was scheduled: the mail's subject when it
    /// goes by email.
    #[serde(default)]
    pub subject: Option<String>,
}

impl Scheduled {
    /// Its due entry in the job queue (none once it failed).
    pub fn job(&self) -> Option<Job> {
        self.failed.is_none().then_some(Job {
            id: self.id,
            kind: JobKind::Scheduled {
                conversation_id: self.conversation_id,
                scheduled_id: self.id,
            },
            due: self.send_at,
            attempts: 0,
            last_error: None,
        })
    }

    fn key(&self) -> [u8; 16] {
        keys::id_pair(self.conversation_id.0, self.id)
    }
}

/// Takes `old`'s job out of the queue (if it had one) and puts `new`'s in.
fn move_job(
    jobs: &super::kv::TxTree<'_>,
    count: &super::kv::TxTree<'_>,
    old: Option<&Scheduled>,
    new: Option<&Scheduled>,
) -> std::result::Result<(), TxErr> {
    if let Some(j) = old.and_then(Scheduled::job)
        && jobs.take(&j.key()[..])?.is_some()
    {
        count_jobs(count, -1)?;
    }
    if let Some(j) = new.and_then(Scheduled::job) {
        jobs.insert(&j.key()[..], tx_enc(&j)?)?;
        count_jobs(count, 1)?;
    }
    Ok(())
}

/// Removes a deleted conversation's scheduled replies and their jobs (in its
/// deletion's transaction).
pub(super) fn remove_all(tx: &Tx<'_>, all: &[Scheduled]) -> std::result::Result<(), TxErr> {
    for s in all {
        tx.0[SCHED].remove(&s.key()[..])?;
        move_job(&tx.0[JOB], &tx.0[JOBCOUNT], Some(s), None)?;
    }
    Ok(())
}

impl Store {
    /// Stores a new scheduled reply with its due job, or replaces `old` (an edit: a new
    /// text or time, which also retries one that failed). Aborts `NotFound` when `old`
    /// is no longer as read (sent, cancelled or edited meanwhile).
    pub fn put_scheduled(&self, new: &Scheduled, old: Option<&Scheduled>) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        self.tx(
            [&t.convsched_scheduled, &t.jobdue_job, &t.jobcount_n],
            |[s, jobs, count]| {
                if let Some(o) = old {
                    let now = s.get(&o.key()[..])?;
                    let same = now
                        .map(|v| tx_dec::<Scheduled>(schema::CONVSCHED_SCHEDULED, &v))
                        .transpose()?;
                    if same.as_ref() != Some(o) {
                        return Err(TxErr::Abort(Abort::NotFound));
                    }
                }
                move_job(jobs, count, old, Some(new))?;
                s.insert(&new.key()[..], tx_enc(new)?)?;
                Ok(())
            },
        )
    }

    /// Cancels a scheduled reply: the record and its job go. Aborts `NotFound` when it
    /// is gone (sent or cancelled meanwhile).
    pub fn remove_scheduled(&self, conv: ConversationId, id: u64) -> Result<Scheduled> {
        let _g = self.write_gate();
        let t = &self.t;
        self.tx(
            [&t.convsched_scheduled, &t.jobdue_job, &t.jobcount_n],
            |[s, jobs, count]| {
                let old: Scheduled = s
                    .take(&keys::id_pair(conv.0, id)[..])?
                    .map(|v| tx_dec(schema::CONVSCHED_SCHEDULED, &v))
                    .transpose()?
                    .ok_or(TxErr::Abort(Abort::NotFound))?;
                move_job(jobs, count, Some(&old), None)?;
                Ok(old)
            },
        )
    }

    /// Records that a scheduled reply could not be sent (`reason`): its job leaves the
    /// queue, the record stays, marked failed. Under the sender's `fence`; aborts
    /// `NotFound` when the job is gone (another sender finished it).
    pub fn fail_scheduled(&self, job: &Job, reason: &str, fence: Option<&Fence>) -> Result<()> {
        let JobKind::Scheduled {
            conversation_id,
            scheduled_id,
        } = job.kind
        else {
            return Err(StoreError::Abort(Abort::NotFound));
        };
        let _g = self.write_gate();
        let t = &self.t;
        self.tx(
            [
                &t.convsched_scheduled,
                &t.jobdue_job,
                &t.jobcount_n,
                &t.leasename_lease,
            ],
            |[s, jobs, count, leases]| {
                if let Some(f) = fence {
                    fence_holds(leases, f)?;
                }
                if jobs.take(&job.key()[..])?.is_none() {
                    return Err(TxErr::Abort(Abort::NotFound));
                }
                count_jobs(count, -1)?;
                let key = keys::id_pair(conversation_id.0, scheduled_id);
                if let Some(v) = s.get(&key[..])? {
                    let mut sc: Scheduled = tx_dec(schema::CONVSCHED_SCHEDULED, &v)?;
                    sc.failed = Some(reason.to_string());
                    s.insert(&key[..], tx_enc(&sc)?)?;
                }
                Ok(())
            },
        )
    }

    /// One scheduled reply of a conversation.
    pub fn scheduled(&self, conv: ConversationId, id: u64) -> Result<Option<Scheduled>> {
        self.t
            .convsched_scheduled
            .get(keys::id_pair(conv.0, id))?
            .map(|v| dec(schema::CONVSCHED_SCHEDULED, &v))
            .transpose()
    }

    /// A conversation's scheduled replies, soonest first (one prefix scan).
    pub fn scheduled_of(&self, conv: ConversationId) -> Result<Vec<Scheduled>> {
        let mut v: Vec<Scheduled> = self
            .t
            .convsched_scheduled
            .scan_prefix(keys::id(conv.0))
            .values()
            .map(|v| dec(schema::CONVSCHED_SCHEDULED, &v?))
            .collect::<Result<_>>()?;
        v.sort_by_key(|s| (s.send_at, s.id));
        Ok(v)
    }

    /// Like [`Store::update_conversation`], for the change that sends a message. With a
    /// `claim`, the message is scheduled reply `job` coming due: in the same transaction
    /// its job and record are taken, so the message is written at most once however
    /// often this runs (aborts `NotFound` when the job is gone, `LeaseLost` when `fence`
    /// no longer holds, writing nothing), and at least once because the job stays queued
    /// until this commits. With `files`, the uploads named are claimed for the message
    /// (`store::uploads`): the message and its files' ownership commit together.
    pub fn update_conversation_claiming<F>(
        &self,
        id: ConversationId,
        claim: Option<(&Job, Option<&Fence>)>,
        files: Option<(MessageId, &[u64])>,
        f: F,
    ) -> Result<(Conversation, Change)>
    where
        F: Fn(&mut Conversation) -> std::result::Result<Change, Abort>,
    {
        let scheduled = match claim {
            None => None,
            Some((job, fence)) => match job.kind {
                JobKind::Scheduled { scheduled_id, .. } => Some((job, fence, scheduled_id)),
                _ => return Err(StoreError::Abort(Abort::NotFound)),
            },
        };
        self.conv_tx(|tx: &Tx<'_>| {
            if let Some((job, fence, scheduled_id)) = scheduled {
                if let Some(fc) = fence {
                    fence_holds(&tx.0[LEASE], fc)?;
                }
                if tx.0[JOB].take(&job.key()[..])?.is_none() {
                    return Err(TxErr::Abort(Abort::NotFound));
                }
                count_jobs(&tx.0[JOBCOUNT], -1)?;
                tx.0[SCHED].remove(&keys::id_pair(id.0, scheduled_id)[..])?;
            }
            if let Some((msg, uploads)) = files {
                for &u in uploads {
                    tx.claim(id, u, msg)?;
                }
            }
            tx.update(id, &f)
        })
    }
}

/// Every tree a conversation transaction spans includes the scheduled replies.
const _: () = assert!(SCHED < CONV_TREES);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{Message, TimelineItem};
    use crate::domain::{InboxId, conversation::MessageId};
    use crate::store::test_support::{TestStore, on_both_engines};
    use crate::store::{InboundMessage, InboundSender, Thread};

    on_both_engines!(scheduled_replies_are_listed_edited_cancelled_and_sent_once);
    on_both_engines!(reopening: scheduled_replies_survive_a_reopen);

    fn conv(store: &Store) -> ConversationId {
        let m = InboundMessage {
            inbox_id: InboxId(1),
            source_id: Some("s".into()),
            sender: InboundSender::of(None, None, Some("ana@example.com".into()), None),
            thread: Thread::Latest,
            position: None,
            content: "hola".into(),
            at: Timestamp(10),
            token: "tok-s".into(),
            quiet: false,
            mail: None,
        };
        store.ingest(&m, [1, 2, 3, 4, 5]).unwrap().conversation_id
    }

    fn item(c: ConversationId, id: u64, at: i64) -> Scheduled {
        Scheduled {
            id,
            conversation_id: c,
            author: AgentId(7),
            content: format!("later {id}"),
            by_email: false,
            send_at: Timestamp(at),
            created_at: Timestamp(10),
            failed: None,
            subject: Some("Pedido".into()),
        }
    }

    fn send(store: &Store, s: &Scheduled, msg: u64) -> Result<(Conversation, Change)> {
        let m = Message::outgoing(
            MessageId(msg),
            s.conversation_id,
            s.author,
            s.content.clone(),
            s.send_at,
            false,
            false,
        );
        store.update_conversation_claiming(
            s.conversation_id,
            Some((&s.job().unwrap(), None)),
            None,
            |_| {
                Ok(Change {
                    items: vec![TimelineItem::Message(m.clone())],
                    ..Change::default()
                })
            },
        )
    }

    fn scheduled_replies_are_listed_edited_cancelled_and_sent_once(store: &Store) {
        let c = conv(store);
        let (a, b) = (item(c, 100, 5_000), item(c, 101, 3_000));
        store.put_scheduled(&a, None).unwrap();
        store.put_scheduled(&b, None).unwrap();
        let ids = |v: Vec<Scheduled>| v.iter().map(|s| s.id).collect::<Vec<_>>();
        assert_eq!(ids(store.scheduled_of(c).unwrap()), [101, 100]);
        assert_eq!(store.outbox_depth().unwrap(), 2);
        assert_eq!(store.due_jobs(Timestamp(4_000), 10).unwrap().len(), 1);
        // An edit moves its job; an edit of a stale copy is refused.
        let moved = Scheduled {
            send_at: Timestamp(9_000),
            content: "edited".into(),
            ..a.clone()
        };
        store.put_scheduled(&moved, Some(&a)).unwrap();
        assert!(store.put_scheduled(&moved, Some(&a)).is_err());
        assert_eq!(store.due_jobs(Timestamp(8_000), 10).unwrap().len(), 1);
        assert_eq!(store.outbox_depth().unwrap(), 2);
        // Cancelled: gone with its job.
        store.remove_scheduled(c, 101).unwrap();
        assert!(store.remove_scheduled(c, 101).is_err());
        assert_eq!(store.outbox_depth().unwrap(), 1);
        // A sender whose fence no longer holds writes nothing.
        let stale = Fence {
            lease: "outbox".into(),
            token: 99,
        };
        let m = Message::outgoing(
            MessageId(499),
            c,
            AgentId(7),
            "x".into(),
            Timestamp(1),
            false,
            false,
        );
        assert!(matches!(
            store.update_conversation_claiming(
                c,
                Some((&moved.job().unwrap(), Some(&stale))),
                None,
                |_| Ok(Change {
                    items: vec![TimelineItem::Message(m.clone())],
                    ..Change::default()
                })
            ),
            Err(crate::store::StoreError::Abort(Abort::LeaseLost))
        ));
        assert!(store.message(c, MessageId(499)).unwrap().is_none());
        assert_eq!(store.outbox_depth().unwrap(), 1);
        // Sent once: the second claim finds no job and writes nothing.
        send(store, &moved, 500).unwrap();
        assert!(matches!(
            send(store, &moved, 501),
            Err(crate::store::StoreError::Abort(Abort::NotFound))
        ));
        assert!(store.message(c, MessageId(500)).unwrap().is_some());
        assert!(store.message(c, MessageId(501)).unwrap().is_none());
        assert!(store.scheduled_of(c).unwrap().is_empty());
        assert_eq!(store.outbox_depth().unwrap(), 0);
        assert_eq!(store.jobs_pending().unwrap(), 0);
        // A failure keeps the record, marked, and takes the job.
        let d = item(c, 102, 1_000);
        store.put_scheduled(&d, None).unwrap();
        store
            .fail_scheduled(&d.job().unwrap(), "window closed", None)
            .unwrap();
        let left = store.scheduled(c, 102).unwrap().unwrap();
        assert_eq!(left.failed.as_deref(), Some("window closed"));
        assert_eq!(store.outbox_depth().unwrap(), 0);
        // A retry of the failed one (an edit) queues it again.
        let again = Scheduled {
            failed: None,
            send_at: Timestamp(2_000),
            ..left.clone()
        };
        store.put_scheduled(&again, Some(&left)).unwrap();
        assert_eq!(store.outbox_depth().unwrap(), 1);
        // Deleting the conversation takes its scheduled replies and their jobs.
        let audit = (
            store.generate_id().unwrap(),
            crate::domain::AuditEntry {
                at: Timestamp(5),
                actor: None,
                actor_name: String::new(),
                action: "conversation.delete".into(),
                target: "test".into(),
                detail: String::new(),
            },
        );
        store.delete_conversation(c, &audit).unwrap();
        assert!(store.scheduled_of(c).unwrap().is_empty());
        assert_eq!(store.outbox_depth().unwrap(), 0);
        assert_eq!(store.jobs_pending().unwrap(), 0);
    }

    fn scheduled_replies_survive_a_reopen(t: &TestStore) {
        let c = {
            let s = t.open().unwrap();
            let c = conv(&s);
            s.put_scheduled(&item(c, 100, 5_000), None).unwrap();
            s.flush_blocking().unwrap();
            c
        };
        let s = t.open().unwrap();
        assert_eq!(s.scheduled_of(c).unwrap(), vec![item(c, 100, 5_000)]);
        assert_eq!(s.due_jobs(Timestamp(5_000), 10).unwrap().len(), 1);
    }
}

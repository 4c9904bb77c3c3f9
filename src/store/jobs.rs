//! The durable job queue (outbox): work that must happen once, survive restarts and be
//! retried with backoff. Ordered by due time.

use super::TxErr;
use super::kv::TxTree;
use super::leases::{Fence, fence_holds};
use super::schema;
use super::{Abort, Result, Store, dec, enc, keys};
use crate::domain::conversation::{ConversationId, MessageId};
use crate::domain::{InboxId, Timestamp};
use serde::{Deserialize, Serialize};

/// What a job does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobKind {
    /// POST an agent's reply to the API inbox's webhook.
    Webhook {
        inbox_id: InboxId,
        conversation_id: ConversationId,
        message_id: MessageId,
    },
    /// Send an agent's reply by SMTP (email inboxes).
    Email {
        inbox_id: InboxId,
        conversation_id: ConversationId,
        message_id: MessageId,
    },
    /// Send an agent's reply through a messaging provider (WhatsApp, SMS, Messenger,
    /// Telegram). A message the provider carries in several parts (a text and files)
    /// remembers how many went, so a retry sends only the rest.
    Channel {
        inbox_id: InboxId,
        conversation_id: ConversationId,
        message_id: MessageId,
        #[serde(default)]
        sent_parts: u32,
    },
    /// Turn a scheduled reply (`store::Scheduled`) into a message at its time; the
    /// message's own delivery is then a job of the kinds above.
    Scheduled {
        conversation_id: ConversationId,
        scheduled_id: u64,
    },
}

/// One unit of durable work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: u64,
    pub kind: JobKind,
    pub due: Timestamp,
    pub attempts: u32,
    pub last_error: Option<String>,
}

impl JobKind {
    /// The message a job delivers (for a scheduled reply: no inbox, and the id of the
    /// scheduled reply, which is not a message yet).
    pub fn target(&self) -> (InboxId, ConversationId, MessageId) {
        match self {
            JobKind::Scheduled {
                conversation_id,
                scheduled_id,
            } => (InboxId(0), *conversation_id, MessageId(*scheduled_id)),
            JobKind::Webhook {
                inbox_id,
                conversation_id,
                message_id,
            }
            | JobKind::Email {
                inbox_id,
                conversation_id,
                message_id,
            }
            | JobKind::Channel {
                inbox_id,
                conversation_id,
                message_id,
                ..
            } => (*inbox_id, *conversation_id, *message_id),
        }
    }
}

/// How a reply leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Webhook,
    Email,
    Channel,
}

impl Job {
    /// Delivery of an agent's reply, due now: by mail (`mail`) or to the webhook.
    pub fn delivery(
        id: u64,
        mail: bool,
        inbox_id: InboxId,
        conversation_id: ConversationId,
        message_id: MessageId,
        now: Timestamp,
    ) -> Job {
        let via = if mail { Via::Email } else { Via::Webhook };
        Job::send(id, via, inbox_id, conversation_id, message_id, now)
    }

    /// Delivery of an agent's reply, due now, the way `via` says.
    pub fn send(
        id: u64,
        via: Via,
        inbox_id: InboxId,
        conversation_id: ConversationId,
        message_id: MessageId,
        now: Timestamp,
    ) -> Job {
        let kind = match via {
            Via::Email => JobKind::Email {
                inbox_id,
                conversation_id,
                message_id,
            },
            Via::Webhook => JobKind::Webhook {
                inbox_id,
                conversation_id,
                message_id,
            },
            Via::Channel => JobKind::Channel {
                inbox_id,
                conversation_id,
                message_id,
                sent_parts: 0,
            },
        };
        Job {
            id,
            kind,
            due: now,
            attempts: 0,
            last_error: None,
        }
    }

    pub(super) fn key(&self) -> [u8; 16] {
        keys::time_id(self.due.0, self.id)
    }
}

impl Store {
    /// Jobs due at `now`, oldest first.
    pub fn due_jobs(&self, now: Timestamp, limit: usize) -> Result<Vec<Job>> {
        self.t
            .jobdue_job
            .range(..keys::time_id(now.0, u64::MAX))
            .values()
            .take(limit)
            .map(|v| dec(schema::JOBDUE_JOB, &v?))
            .collect()
    }

    /// The next due time of any job (for the worker's sleep).
    pub fn next_job_due(&self) -> Result<Option<Timestamp>> {
        Ok(self
            .t
            .jobdue_job
            .iter()
            .expect(1)
            .next()
            .transpose()?
            .and_then(|(k, _)| keys::read_time(&k))
            .map(Timestamp))
    }

    /// Moves a job to a new due time (a retry), or removes it with `None` (done or
    /// given up). Aborts `NotFound` if the job is gone (another worker finished it).
    /// With a `fence` (the sender's `outbox` lease), aborts `LeaseLost` and changes
    /// nothing unless the fence still holds: a node that lost the outbox cannot record
    /// an outcome.
    pub fn reschedule_job(
        &self,
        job: &Job,
        next: Option<&Job>,
        fence: Option<&Fence>,
    ) -> Result<()> {
        let _g = self.write_gate();
        let bytes = next.map(enc).transpose()?;
        self.tx(
            [
                &self.t.jobdue_job,
                &self.t.leasename_lease,
                &self.t.jobcount_n,
            ],
            |[t, leases, count]| {
                if let Some(f) = fence {
                    fence_holds(leases, f)?;
                }
                if t.take(&job.key()[..])?.is_none() {
                    return Err(TxErr::Abort(Abort::NotFound));
                }
                match (next, &bytes) {
                    (Some(n), Some(b)) => t.insert(&n.key()[..], b.clone())?,
                    _ => count_jobs(count, -1)?,
                }
                Ok(())
            },
        )?;
        Ok(())
    }

    /// How many jobs wait, counted (for tools and tests; a scan of the queue).
    pub fn jobs_pending(&self) -> Result<u64> {
        Ok(self.t.jobdue_job.len()?)
    }

    /// How many jobs wait, as kept by every change to the queue: one point read.
    pub fn outbox_depth(&self) -> Result<u64> {
        Ok(self
            .t
            .jobcount_n
            .get(schema::JOBS_PENDING)?
            .and_then(|v| keys::read_u64(&v))
            .unwrap_or(0))
    }
}

/// Moves the queue's count by `delta` inside the transaction that adds or removes a job.
pub(super) fn count_jobs(count: &TxTree<'_>, delta: i64) -> std::result::Result<(), TxErr> {
    let cur = count
        .get(schema::JOBS_PENDING)?
        .and_then(|v| keys::read_u64(&v))
        .unwrap_or(0);
    let new = cur.saturating_add_signed(delta);
    count.insert(schema::JOBS_PENDING, keys::u64_be(new))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{Message, TimelineItem};
    use crate::store::test_support::{TestStore, on_both_engines};
    use crate::store::{Change, InboundMessage, InboundSender, Thread};

    on_both_engines!(the_queue_depth_follows_every_job_added_retried_and_finished);
    on_both_engines!(reopening: a_version_2_store_gets_its_queue_counted);

    fn inbound(source: &str) -> InboundMessage {
        InboundMessage {
            inbox_id: InboxId(1),
            source_id: Some(source.into()),
            sender: InboundSender::of(None, None, Some("ana@example.com".into()), None),
            thread: Thread::Latest,
            position: None,
            content: "hola".into(),
            at: Timestamp(10),
            token: format!("tok-{source}"),
            quiet: false,
            mail: None,
        }
    }

    /// A reply with its delivery job, as the services write it.
    fn reply(store: &Store, conv: ConversationId, n: u64) -> Job {
        let msg = MessageId(store.generate_id().unwrap());
        let job = Job::delivery(n, false, InboxId(1), conv, msg, Timestamp(20));
        let m = Message::outgoing(
            msg,
            conv,
            crate::domain::AgentId(1),
            "reply".into(),
            Timestamp(20),
            false,
            false,
        );
        store
            .update_conversation(conv, |_| {
                Ok(Change {
                    items: vec![TimelineItem::Message(m.clone())],
                    job: Some(job.clone()),
                    mentions: vec![],
                    audit: None,
                })
            })
            .unwrap();
        job
    }

    /// The kept count equals the queue counted, through replies, retries, successes,
    /// failures and an outcome recorded twice.
    fn the_queue_depth_follows_every_job_added_retried_and_finished(store: &Store) {
        assert_eq!(store.outbox_depth().unwrap(), 0);
        let ids = [1, 2, 3, 4, 5].map(|i| 100 + i);
        let conv = store.ingest(&inbound("a"), ids).unwrap().conversation_id;
        let jobs: Vec<Job> = (0..5).map(|n| reply(store, conv, 1000 + n)).collect();
        let agree = |want: u64| {
            assert_eq!(store.jobs_pending().unwrap(), want);
            assert_eq!(store.outbox_depth().unwrap(), want);
        };
        agree(5);
        // A retry moves a job, the queue keeps its length.
        let retry = Job {
            due: Timestamp(90_000),
            attempts: 1,
            ..jobs[0].clone()
        };
        store.reschedule_job(&jobs[0], Some(&retry), None).unwrap();
        agree(5);
        // Sent and failed jobs leave.
        store.reschedule_job(&retry, None, None).unwrap();
        store.reschedule_job(&jobs[1], None, None).unwrap();
        agree(3);
        // An outcome recorded a second time finds nothing and changes nothing.
        assert!(matches!(
            store.reschedule_job(&jobs[1], None, None),
            Err(crate::store::StoreError::Abort(Abort::NotFound))
        ));
        agree(3);
        for j in &jobs[2..] {
            store.reschedule_job(j, None, None).unwrap();
        }
        agree(0);
    }

    /// Jobs queued before the count existed are counted once by the migration.
    fn a_version_2_store_gets_its_queue_counted(t: &TestStore) {
        {
            let s = t.open().unwrap();
            let conv = s
                .ingest(&inbound("a"), [11, 12, 13, 14, 15])
                .unwrap()
                .conversation_id;
            for n in 0..3 {
                reply(&s, conv, 500 + n);
            }
            // As version 2 left it: jobs, no count.
            s.t.jobcount_n.remove(schema::JOBS_PENDING).unwrap();
            s.t.meta
                .insert(schema::meta_keys::SCHEMA_VERSION, keys::u64_be(2))
                .unwrap();
            s.t.agentid_agent.insert(keys::id(1), &[1u8][..]).unwrap();
            s.flush_blocking().unwrap();
        }
        let s = t.open().unwrap();
        assert_eq!(s.schema_version().unwrap(), crate::store::CURRENT_SCHEMA);
        assert_eq!(s.outbox_depth().unwrap(), 3);
        assert_eq!(s.jobs_pending().unwrap(), 3);
    }
}

//! The durable job queue (outbox): work that must happen once, survive restarts and be
//! retried with backoff. Ordered by due time.

use super::TxErr;
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
    /// The message a job delivers.
    pub fn target(&self) -> (InboxId, ConversationId, MessageId) {
        match self {
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
            [&self.t.jobdue_job, &self.t.leasename_lease],
            |[t, leases]| {
                if let Some(f) = fence {
                    fence_holds(leases, f)?;
                }
                if t.take(&job.key()[..])?.is_none() {
                    return Err(TxErr::Abort(Abort::NotFound));
                }
                if let (Some(n), Some(b)) = (next, &bytes) {
                    t.insert(&n.key()[..], b.clone())?;
                }
                Ok(())
            },
        )?;
        Ok(())
    }

    /// How many jobs wait (for health and the load tool).
    pub fn jobs_pending(&self) -> Result<u64> {
        Ok(self.t.jobdue_job.len()?)
    }
}

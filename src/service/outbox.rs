//! The durable outbox's use-cases: what is due, and recording each attempt's outcome.
//! The worker does the I/O (`channels::api`); these only read and write the store.

use super::{Live, Result, Services};
use crate::channels::api::{Outcome, Reply};
use crate::domain::message::{DeliveryStatus, Direction};
use crate::store::{Job, JobKind, StoreError};

/// A job ready to send: where, with what secret, and the body.
pub struct Delivery {
    pub job: Job,
    pub url: String,
    pub secret: String,
    pub body: Vec<u8>,
}

impl Services {
    /// Jobs due now, with their request built. Jobs whose inbox, webhook or message is
    /// gone are dropped (and their message marked failed where it still exists).
    pub async fn due_deliveries(&self, limit: usize) -> Result<Vec<Delivery>> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for job in self.store.due_jobs(now, limit)? {
            let JobKind::Webhook {
                inbox_id,
                conversation_id,
                message_id,
            } = job.kind.clone();
            let dir = self.directory();
            let inbox = dir.inbox(inbox_id);
            let msg = self.store.message(conversation_id, message_id)?;
            let conv = self.store.conversation(conversation_id)?;
            let (Some(inbox), Some(msg), Some(conv)) = (inbox, msg, conv) else {
                self.finish(
                    &job,
                    Outcome::Permanent(
                        "the inbox, conversation or message no longer exists".into(),
                    ),
                )
                .await?;
                continue;
            };
            let (Some(url), Some(secret)) = (inbox.webhook_url.clone(), inbox.api_token.clone())
            else {
                self.finish(
                    &job,
                    Outcome::Permanent("the inbox has no webhook URL".into()),
                )
                .await?;
                continue;
            };
            if msg.direction != Direction::Outbound
                || msg.status >= DeliveryStatus::Sent && msg.status != DeliveryStatus::Failed
            {
                // Already delivered (a retry raced a success): nothing to send.
                self.store.reschedule_job(&job, None).or_else(|e| match e {
                    StoreError::Abort(_) => Ok(()),
                    e => Err(e),
                })?;
                continue;
            }
            let contact = self.store.contact(conv.contact_id)?;
            let contact_json = match &contact {
                Some(c) => {
                    serde_json::json!({"id": c.id.0, "identifier": c.identifier, "name": c.name, "email": c.email, "phone": c.phone})
                }
                None => serde_json::Value::Null,
            };
            let body = crate::channels::api::payload(&Reply {
                inbox_id: inbox_id.0,
                conversation_id: conversation_id.0,
                message_id: message_id.0,
                content: &msg.content,
                created_at: crate::web_time(msg.created_at),
                agent_id: msg.author.map(|a| a.0),
                agent_name: msg.author.map(|a| dir.agent_name(a)).unwrap_or_default(),
                contact: contact_json,
            });
            out.push(Delivery {
                job,
                url,
                secret,
                body,
            });
        }
        Ok(out)
    }

    /// Records an attempt: delivered (status sent), retry later (exponential backoff from
    /// one minute), or failed for good (status failed with the error).
    pub async fn finish(&self, job: &Job, outcome: Outcome) -> Result<()> {
        let JobKind::Webhook {
            inbox_id,
            conversation_id,
            message_id,
        } = job.kind.clone();
        let now = self.clock.now();
        let max = self.settings.webhook_max_attempts;
        let (next, status) = match outcome {
            Outcome::Delivered { source_id } => {
                if let Some(s) = source_id {
                    self.store
                        .set_message_source(inbox_id, &s, conversation_id, message_id)?;
                }
                (None, Some((DeliveryStatus::Sent, None)))
            }
            Outcome::Retry(e) if job.attempts + 1 < max => {
                let delay = 60i64.saturating_mul(1 << job.attempts.min(12));
                (
                    Some(Job {
                        due: now.plus_secs(delay),
                        attempts: job.attempts + 1,
                        last_error: Some(e),
                        ..job.clone()
                    }),
                    None,
                )
            }
            Outcome::Retry(e) | Outcome::Permanent(e) => {
                (None, Some((DeliveryStatus::Failed, Some(e))))
            }
        };
        match self.store.reschedule_job(job, next.as_ref()) {
            Ok(()) => {}
            Err(StoreError::Abort(_)) => return Ok(()), // another attempt already finished it
            Err(e) => return Err(e.into()),
        }
        if let Some((st, err)) = status {
            let changed = self
                .store
                .update_message(conversation_id, message_id, |m| {
                    m.advance(st, err.clone(), now)
                })
                .or_else(|e| match e {
                    StoreError::Abort(_) => Ok(None),
                    e => Err(e),
                })?;
            if changed.is_some()
                && let Some(c) = self.store.conversation(conversation_id)?
            {
                self.live.publish(Live::Conversation {
                    inbox: c.inbox_id,
                    id: c.id,
                });
            }
        }
        self.store.durable().await?;
        Ok(())
    }
}

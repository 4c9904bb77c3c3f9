//! Mail in: one fetched message becomes (or joins) a conversation, with the folder's
//! cursor advanced in the same transaction. Health of each mailbox for the settings page.

use super::{Live, Result, ServiceError, Services, from_store, random_token};
use crate::channels::email::{self, Limits};
use crate::domain::{InboxId, Timestamp};
use crate::store::{InboundMessage, Ingested, MailCursor};
use std::collections::HashMap;
use std::sync::Mutex;

/// What the poller last saw of one mailbox.
#[derive(Debug, Clone, Default)]
pub struct MailHealth {
    pub last_success: Option<Timestamp>,
    pub last_error: Option<(Timestamp, String)>,
    pub fetched: u64,
}

/// Health of every email inbox, in memory (a restart starts fresh).
#[derive(Default)]
pub struct MailHealthBoard(Mutex<HashMap<InboxId, MailHealth>>);

impl MailHealthBoard {
    /// Records a successful poll that fetched `n` messages.
    pub fn ok(&self, inbox: InboxId, at: Timestamp, n: u64) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let h = m.entry(inbox).or_default();
        h.last_success = Some(at);
        h.fetched += n;
    }
    /// Records a failed poll.
    pub fn failed(&self, inbox: InboxId, at: Timestamp, error: String) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(inbox).or_default().last_error = Some((at, error));
    }
    /// One mailbox's health.
    pub fn get(&self, inbox: InboxId) -> MailHealth {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&inbox)
            .cloned()
            .unwrap_or_default()
    }
}

impl Services {
    /// Stores one fetched mail (UID `uid` of `folder` under `uidvalidity`) durably, and
    /// moves the folder's cursor in the same transaction. Seen before (same content
    /// key): nothing new is stored, the cursor still moves.
    pub async fn ingest_mail(
        &self,
        inbox_id: InboxId,
        folder: &str,
        uidvalidity: u32,
        uid: u32,
        raw: Vec<u8>,
    ) -> Result<Ingested> {
        let store = self.store.clone();
        let now = self.clock.now();
        let cursor = MailCursor {
            folder: folder.to_string(),
            uidvalidity,
            uid,
        };
        let max_chars = self.settings.max_message_chars;
        let secret = self.mail_id_secret();
        let ids = [
            self.store.generate_id()?,
            self.store.generate_id()?,
            self.store.generate_id()?,
            self.store.generate_id()?,
            self.store.generate_id()?,
        ];
        let r = tokio::task::spawn_blocking(move || {
            let parsed = email::parse(&raw, &Limits::default());
            let (trimmed, _) = email::trim_quoted(&parsed.text);
            let mut content = if trimmed.trim().is_empty() {
                parsed.text.clone()
            } else {
                trimmed
            };
            if content.trim().is_empty() {
                content = if parsed.subject.is_empty() {
                    "(empty message)".into()
                } else {
                    parsed.subject.clone()
                };
            }
            if content.chars().count() > max_chars {
                content = content.chars().take(max_chars).collect::<String>() + "…";
            }
            let (from, name) = parsed
                .from
                .clone()
                .unwrap_or_else(|| ("unknown@invalid".into(), None));
            let m = InboundMessage {
                inbox_id,
                source_id: Some(email::content_key(&parsed)),
                identifier: None,
                name,
                email: Some(from),
                phone: None,
                content,
                at: parsed
                    .date
                    .map(Timestamp)
                    .filter(|d| d.0 <= now.0)
                    .unwrap_or(now)
                    .max(Timestamp(0)),
                token: random_token(16),
                cursor: Some(cursor),
                quiet: parsed.auto_reply || parsed.bounce,
                thread_token: parsed
                    .in_reply_to
                    .iter()
                    .chain(parsed.references.iter().rev())
                    .find_map(|id| email::verify_message_id(&secret, id)),
                mail: Some(crate::domain::message::MailMeta {
                    subject: parsed.subject.clone(),
                    message_id: parsed.message_id.clone(),
                    references: parsed.references.clone(),
                    automatic: parsed.auto_reply || parsed.bounce,
                }),
            };
            store.ingest(&m, ids)
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(from_store)?;
        self.store.durable().await?;
        if let Some(c) = &r.conversation {
            if !r.duplicate {
                self.live.publish(Live::Conversation {
                    inbox: c.inbox_id,
                    id: c.id,
                });
            }
            self.reindex_contact(c.contact_id)?;
        }
        Ok(r)
    }
}

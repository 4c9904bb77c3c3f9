//! Mail in: one fetched message becomes (or joins) a conversation, with its HTML and
//! attachments and the folder's cursor written in the same transaction. Health of each
//! mailbox for the settings page.

use super::{Live, Result, ServiceError, Services, from_store, random_token};
use crate::channels::email::{self, Limits, ParsedEmail};
use crate::domain::contact::Identity;
use crate::domain::message::{AttachmentMeta, MailMeta};
use crate::domain::{InboxId, Timestamp};
use crate::store::{
    Fence, InboundMessage, InboundParts, InboundSender, Ingested, Part, Position, Thread,
};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// What the poller last saw of one mailbox.
#[derive(Debug, Clone, Default)]
pub struct MailHealth {
    pub last_success: Option<Timestamp>,
    pub last_error: Option<(Timestamp, String)>,
    pub fetched: u64,
    /// The first failure since the last success: how long the poller has been failing.
    pub failing_since: Option<Timestamp>,
}

/// One poll's outcome (as told to the other nodes in cluster mode).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MailPoll {
    Ok { at: Timestamp, fetched: u64 },
    Failed { at: Timestamp, error: String },
}

/// Called with each poll recorded on this node (cluster mode: the other nodes, whose
/// settings pages show the same health, record it too).
type OnPoll = Box<dyn Fn(InboxId, &MailPoll) + Send + Sync>;

/// Health of every email inbox, in memory (a restart starts fresh).
#[derive(Default)]
pub struct MailHealthBoard(Mutex<HashMap<InboxId, MailHealth>>, OnceLock<OnPoll>);

impl MailHealthBoard {
    /// Records a successful poll that fetched `n` messages.
    pub fn ok(&self, inbox: InboxId, at: Timestamp, n: u64) {
        self.told(inbox, MailPoll::Ok { at, fetched: n });
    }
    /// Records a failed poll.
    pub fn failed(&self, inbox: InboxId, at: Timestamp, error: String) {
        self.told(inbox, MailPoll::Failed { at, error });
    }
    fn told(&self, inbox: InboxId, poll: MailPoll) {
        self.record(inbox, &poll);
        if let Some(f) = self.1.get() {
            f(inbox, &poll);
        }
    }
    /// Records a poll made here or on another node (nobody else is told).
    pub fn record(&self, inbox: InboxId, poll: &MailPoll) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let h = m.entry(inbox).or_default();
        match poll {
            MailPoll::Ok { at, fetched } => {
                h.last_success = Some(*at);
                h.fetched += fetched;
                h.failing_since = None;
            }
            MailPoll::Failed { at, error } => {
                h.last_error = Some((*at, error.clone()));
                h.failing_since.get_or_insert(*at);
            }
        }
    }
    /// Sets what `ok` and `failed` tell about each poll (once; false when already set).
    pub fn on_poll(&self, f: impl Fn(InboxId, &MailPoll) + Send + Sync + 'static) -> bool {
        self.1.set(Box::new(f)).is_ok()
    }
    /// The pollers (mailboxes, Telegram bots) failing without a success for at least
    /// `secs` at `now`: (inbox, failing since, last error), oldest failure first.
    pub fn failing(&self, now: Timestamp, secs: i64) -> Vec<(InboxId, Timestamp, String)> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = m
            .iter()
            .filter_map(|(id, h)| {
                let since = h.failing_since?;
                let error = h.last_error.as_ref().map(|(_, e)| e.clone())?;
                (now.secs_since(since) >= secs).then_some((*id, since, error))
            })
            .collect();
        out.sort_by_key(|(id, since, _)| (*since, *id));
        out
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
    /// Stores one fetched mail (UID `uid` of `folder` under `uidvalidity`) durably, with
    /// its sanitized HTML and attachments, and moves the folder's cursor in the same
    /// transaction. Seen before (same content key): nothing new is stored, the cursor
    /// still moves.
    pub async fn ingest_mail(
        &self,
        inbox_id: InboxId,
        folder: &str,
        uidvalidity: u32,
        uid: u32,
        raw: Vec<u8>,
    ) -> Result<Ingested> {
        self.ingest_mail_fenced(inbox_id, folder, uidvalidity, uid, raw, None)
            .await
    }

    /// `ingest_mail` by a mailbox's watcher under its `mail:<inbox>` lease: the mail and
    /// the cursor are stored only while `fence` holds (else `Abort::LeaseLost`).
    pub async fn ingest_mail_fenced(
        &self,
        inbox_id: InboxId,
        folder: &str,
        uidvalidity: u32,
        uid: u32,
        raw: Vec<u8>,
        fence: Option<Fence>,
    ) -> Result<Ingested> {
        let store = self.store.clone();
        let now = self.clock.now();
        let cursor = Position {
            stream: folder.to_string(),
            epoch: uidvalidity,
            offset: u64::from(uid),
        };
        let max_chars = self.settings.max_message_chars;
        let limits = Limits {
            max_attachment_bytes: self.settings.max_attachment_bytes,
        };
        let secret = self.mail_id_secret();
        let inbox_address = self
            .directory()
            .inbox(inbox_id)
            .and_then(|i| i.email.as_ref())
            .map(|e| e.from_address.clone())
            .unwrap_or_default();
        // Website inboxes that answer offline visitors through this mailbox: a visitor's
        // mail answer joins their chat conversation.
        let thread_inboxes: Vec<InboxId> = self
            .directory()
            .inboxes
            .iter()
            .filter(|i| {
                i.website
                    .as_ref()
                    .is_some_and(|w| w.reply_email_inbox == Some(inbox_id))
            })
            .map(|i| i.id)
            .collect();
        let ids = self.ingest_ids()?;
        let r = tokio::task::spawn_blocking(move || {
            let mut parsed = email::parse(&raw, &limits);
            drop(raw);
            let (content, full_text) = timeline_text(&parsed, max_chars);
            let (key, legacy) = dedupe_key(&store, inbox_id, &parsed)?;
            // No address to answer (`"Facebook" <>`): a contact and conversation of its
            // own (unless it answers one of ours); replies are refused (see
            // `outbound::reply_email`).
            let html = parsed.html.take();
            let m = InboundMessage {
                inbox_id,
                source_id: Some(key.clone()),
                sender: InboundSender {
                    name: parsed.from_name.clone(),
                    identities: parsed
                        .reply_address
                        .clone()
                        .map(Identity::Email)
                        .into_iter()
                        .collect(),
                    claimed_email: None,
                },
                content,
                at: parsed
                    .date
                    .map(Timestamp)
                    .filter(|d| d.0 <= now.0)
                    .unwrap_or(now)
                    .max(Timestamp(0)),
                token: random_token(16),
                position: Some(cursor),
                quiet: parsed.is_automatic(),
                thread: match thread_token(&parsed, &secret, &inbox_address) {
                    Some(token) => Thread::Reply {
                        token,
                        inboxes: thread_inboxes,
                    },
                    None if parsed.reply_address.is_none() => Thread::Alone,
                    None => Thread::Latest,
                },
                mail: Some(MailMeta {
                    subject: parsed.subject.clone(),
                    message_id: parsed.message_id.clone(),
                    references: parsed.references.clone(),
                    automatic: parsed.is_automatic(),
                    bounce: parsed.bounce,
                    has_html: html.is_some(),
                    remote_images: html
                        .as_deref()
                        .is_some_and(|h| h.contains(" data-remote-src=\"")),
                    full_text,
                }),
            };
            let parts = parts_of(&mut parsed, html);
            let r = store.ingest_fenced(&m, ids, &parts, fence.as_ref())?;
            Ok::<_, crate::store::StoreError>((r, key, legacy, parsed.message_id.is_some()))
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(from_store)?;
        let (r, key, legacy, has_id) = r;
        if r.duplicate {
            // Said at info: a mail the team never sees must leave a trace of why.
            tracing::info!(
                inbox = %inbox_id,
                folder,
                uidvalidity,
                uid,
                key = if legacy { "content key (before subject and attachments counted)" } else { "content key" },
                source_id = %key,
                conversation = %r.conversation_id.0,
                "mail skipped as a duplicate: {}",
                if has_id {
                    "same Message-ID, date, sender and content as a stored mail"
                } else {
                    "no Message-ID; same date, sender and content as a stored mail"
                }
            );
        }
        self.store.durable().await?;
        self.count_ingested(&r, crate::domain::ChannelKind::Email);
        if let Some(c) = &r.conversation {
            if !r.duplicate {
                self.live.publish(Live::Conversation {
                    inbox: c.inbox_id,
                    id: c.id,
                });
                self.notify_ingested(&r);
            }
            self.reindex_contact(c.contact_id)?;
        }
        Ok(r)
    }
}

/// The source id a mail is stored under, and whether it is the key of an older release.
/// Mail stored before the key covered subject and attachments is found by its old key
/// (a UIDVALIDITY resync after the upgrade fetches it again): it is the same mail when
/// the stored message has its subject and attachments; otherwise it is another mail that
/// the old key could not tell apart, stored under the new key.
fn dedupe_key(
    store: &crate::store::Store,
    inbox: InboxId,
    parsed: &ParsedEmail,
) -> std::result::Result<(String, bool), crate::store::StoreError> {
    let legacy = email::legacy_content_key(parsed);
    let same = match store.message_by_source(inbox, &legacy)? {
        None => false,
        Some((conv, id)) => match store.message(conv, id)? {
            Some(m) => {
                m.email.as_ref().map(|e| e.subject.as_str()) == Some(parsed.subject.as_str())
                    && m.attachments.len() == parsed.attachments.len()
                    && m.attachments
                        .iter()
                        .zip(&parsed.attachments)
                        .all(|(a, b)| a.filename == b.filename && a.size == b.size as u64)
            }
            // Its conversation was deleted: the key is its tombstone, as before.
            None => true,
        },
    };
    Ok(if same {
        (legacy, true)
    } else {
        (email::content_key(parsed), false)
    })
}

/// The conversation a mail names: a reply to one of our signed Message-IDs first, then
/// our plus-address (`local+<token>@domain` of the inbox's address) among To and Cc.
fn thread_token(parsed: &ParsedEmail, secret: &[u8], inbox_address: &str) -> Option<String> {
    parsed
        .in_reply_to
        .iter()
        .chain(parsed.references.iter().rev())
        .find_map(|id| email::verify_message_id(secret, id))
        .or_else(|| {
            let (local, domain) = inbox_address.trim().rsplit_once('@')?;
            parsed
                .to
                .iter()
                .chain(&parsed.cc)
                .find_map(|a| email::token_from_plus_address(a, local, domain))
        })
}

/// What the timeline shows (quoted history trimmed, at most `max_chars`), and the whole
/// text when trimming removed something.
fn timeline_text(parsed: &ParsedEmail, max_chars: usize) -> (String, Option<String>) {
    let (trimmed, cut) = email::trim_quoted(&parsed.text);
    let trimmed_away = cut && !trimmed.trim().is_empty();
    let mut content = if trimmed_away {
        trimmed
    } else {
        parsed.text.clone()
    };
    if content.trim().is_empty() {
        content = if parsed.subject.is_empty() {
            "(empty message)".into()
        } else {
            parsed.subject.clone()
        };
    }
    let full = trimmed_away.then(|| cap(&parsed.text, max_chars));
    (cap(&content, max_chars), full)
}

fn cap(text: &str, max_chars: usize) -> String {
    if text.chars().count() > max_chars {
        text.chars().take(max_chars).collect::<String>() + "…"
    } else {
        text.to_string()
    }
}

/// The attachments' descriptions, the parser's notes, and the bytes to store beside the
/// message (moved out of `parsed`: a mail may carry tens of MB).
fn parts_of(parsed: &mut ParsedEmail, html: Option<String>) -> InboundParts {
    let mut bytes = Vec::new();
    if let Some(h) = html {
        bytes.push((Part::Html, h.into_bytes()));
    }
    let mut attachments = Vec::new();
    for (n, a) in parsed.attachments.iter_mut().enumerate() {
        let data = a.data.take();
        attachments.push(AttachmentMeta {
            filename: a.filename.clone(),
            mime: a.mime.clone(),
            size: a.size as u64,
            stored: data.is_some(),
            inline: a.inline,
            content_id: a.content_id.clone(),
            ..AttachmentMeta::default()
        });
        if let Some(d) = data {
            bytes.push((Part::Attachment(n as u32), d));
        }
    }
    InboundParts {
        attachments,
        notes: parsed.notes.clone(),
        bytes,
    }
}

#[cfg(test)]
mod tests;

//! What comes in from a messaging provider, whichever it is: a webhook request verified
//! and read by the inbox's provider, its events stored (messages with their files,
//! delivery statuses, names), and only then acknowledged. Nothing here names a
//! provider: the [`Provider`] does.

use super::{Result, ServiceError, Services};
use crate::channels::http::{self, HttpRequest};
use crate::channels::provider::{MediaStep, Provider};
use crate::channels::seam::{
    Accepted, Identity, InboundEvent, InboundMessage as Incoming, MediaKind, MediaRef, RawRequest,
    StatusTarget, StatusUpdate,
};
use crate::domain::message::{AttachmentMeta, Direction, human_size};
use crate::domain::{Inbox, InboxId, Timestamp};
use crate::store::{Fence, InboundMessage, InboundParts, InboundSender, Part, Position, Thread};
use std::sync::Arc;
use std::time::Duration;

/// How long one request to a provider may take (a file download included).
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a status for a message id we do not know yet waits for the sender's record.
const STATUS_GRACE: Duration = Duration::from_secs(3);

/// The answer to a webhook request that was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookAnswer {
    /// Stored and durable: `200`.
    Stored,
    /// A subscription handshake: `200` with this body.
    Challenge(String),
}

impl Services {
    /// The messaging inbox whose webhook URL ends in `hook_token`.
    pub fn inbox_by_hook(&self, hook_token: &str) -> Result<Inbox> {
        let dir = self.directory();
        dir.inboxes
            .iter()
            .find(|i| {
                i.messaging.as_ref().is_some_and(|m| {
                    m.has_webhook() && super::crypto::same_secret(&m.hook_token, hook_token)
                })
            })
            .cloned()
            .ok_or(ServiceError::NotFound)
    }

    /// A provider's webhook request: verified on its raw bytes by the inbox's provider
    /// (nothing is stored when it is refused), its events stored, and answered only
    /// once they are durable, so a provider that got our `200` never loses a message.
    pub async fn receive_hook(
        self: &Arc<Self>,
        hook_token: String,
        req: RawRequest,
    ) -> Result<HookAnswer> {
        let inbox = self.looked_up(|s| s.inbox_by_hook(&hook_token)).await?;
        let provider = self.provider(&inbox)?;
        match provider.receive(&req, self.clock.now()) {
            Err(refused) => Err(ServiceError::HookRefused(refused)),
            Ok(Accepted::Challenge(c)) => Ok(HookAnswer::Challenge(c)),
            Ok(Accepted::Events(events)) => {
                self.apply_events(&inbox, provider.as_ref(), events, None, None)
                    .await?;
                Ok(HookAnswer::Stored)
            }
        }
    }

    /// Stores a provider's events in order and waits until they are durable. `position`
    /// (a poller's offset after these events) is written with the last message, or
    /// alone when none stores anything. Under `fence` (a poller's lease) messages are
    /// stored only while the lease holds (else `Abort::LeaseLost`, nothing written).
    pub async fn apply_events(
        self: &Arc<Self>,
        inbox: &Inbox,
        provider: &dyn Provider,
        events: Vec<InboundEvent>,
        position: Option<Position>,
        fence: Option<&Fence>,
    ) -> Result<()> {
        let mut position = position;
        let last_message = events
            .iter()
            .rposition(|e| matches!(e, InboundEvent::Message(_)));
        for (i, event) in events.into_iter().enumerate() {
            match event {
                InboundEvent::Message(m) => {
                    let at = if Some(i) == last_message {
                        position.take()
                    } else {
                        None
                    };
                    self.receive_message(inbox, provider, m, at, fence).await?;
                }
                InboundEvent::Status(s) => self.receive_status(inbox.id, s).await?,
                InboundEvent::Profile(p) => {
                    tracing::debug!(inbox = %inbox.id, kind = p.who.kind(), "a profile update is not stored yet");
                }
            }
        }
        if let Some(p) = position {
            let inbox_id = inbox.id;
            self.blocking(move |s| {
                s.store
                    .advance_position(inbox_id, &p)
                    .map_err(ServiceError::from)
            })
            .await?;
        }
        self.store.durable().await?;
        Ok(())
    }

    /// One inbound message: its files fetched from the provider (a file that cannot be
    /// fetched is listed with the reason, and the message is stored all the same), its
    /// sender's name asked of the provider once when the channel gave none.
    async fn receive_message(
        self: &Arc<Self>,
        inbox: &Inbox,
        provider: &dyn Provider,
        m: Incoming,
        position: Option<Position>,
        fence: Option<&Fence>,
    ) -> Result<()> {
        let now = self.clock.now();
        let caps = provider.capabilities();
        let mut parts = InboundParts::default();
        for media in &m.media {
            let limit = self
                .settings
                .max_attachment_bytes
                .min(usize::try_from(caps.max_media_bytes).unwrap_or(usize::MAX));
            let n = parts.attachments.len() as u32;
            match self.fetch_media(provider, media, limit).await {
                Ok((bytes, mime)) => {
                    let mime = mime
                        .or_else(|| media.mime.clone())
                        .unwrap_or_else(|| "application/octet-stream".into())
                        .to_lowercase();
                    parts.attachments.push(AttachmentMeta {
                        filename: media_filename(media, &mime, n),
                        mime,
                        size: bytes.len() as u64,
                        stored: true,
                        inline: false,
                        content_id: None,
                        ..AttachmentMeta::default()
                    });
                    parts.bytes.push((Part::Attachment(n), bytes));
                }
                Err(reason) => {
                    let mime = media
                        .mime
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into());
                    parts.attachments.push(AttachmentMeta {
                        filename: media_filename(media, &mime, n),
                        mime,
                        size: 0,
                        stored: false,
                        inline: false,
                        content_id: None,
                        ..AttachmentMeta::default()
                    });
                    parts.notes.push(format!(
                        "The {} could not be fetched: {reason}",
                        media.kind.as_str()
                    ));
                }
            }
        }
        let name = match m.name.clone() {
            Some(n) if !n.trim().is_empty() => Some(n),
            _ => self.first_name(inbox.id, provider, &m.from).await,
        };
        let msg = InboundMessage {
            inbox_id: inbox.id,
            source_id: Some(m.source_id.clone()),
            sender: InboundSender {
                name,
                identities: vec![m.from.clone()],
                claimed_email: None,
            },
            content: m.text.clone(),
            at: m.at.filter(|t| t.0 <= now.0).unwrap_or(now),
            token: super::random_token(16),
            thread: Thread::Latest,
            position,
            quiet: false,
            mail: None,
        };
        let ids = self.ingest_ids()?;
        let fence = fence.cloned();
        let r = self
            .blocking(move |s| {
                s.store
                    .ingest_fenced(&msg, ids, &parts, fence.as_ref())
                    .map_err(ServiceError::from)
            })
            .await?;
        self.count_ingested(&r, inbox.channel);
        if r.duplicate {
            tracing::debug!(inbox = %inbox.id, "a message already stored came again: skipped");
        } else if let Some(c) = &r.conversation {
            self.publish(c);
            self.notify_ingested(&r);
        }
        Ok(())
    }

    /// The sender's name from the provider's profile endpoint, asked only for a sender
    /// not known yet (so once per person), and never failing the message.
    async fn first_name(
        &self,
        inbox: InboxId,
        provider: &dyn Provider,
        who: &Identity,
    ) -> Option<String> {
        let req = provider.profile(who)?;
        if self.store.contact_by_identity(inbox, who).ok()?.is_some() {
            return None;
        }
        let resp = self.provider_call(&req, 1 << 20).await.ok()?;
        provider.profiled(&resp)
    }

    /// Fetches one file through as many requests as the provider needs (at most 4).
    async fn fetch_media(
        &self,
        provider: &dyn Provider,
        media: &MediaRef,
        limit: usize,
    ) -> std::result::Result<(Vec<u8>, Option<String>), String> {
        let mut req = provider.fetch_media(media);
        for _ in 0..4 {
            let resp = match self.provider_call(&req, limit).await {
                Ok(r) => r,
                Err(e) if e.text().contains("more than") => {
                    return Err(format!("it is larger than {}", human_size(limit as u64)));
                }
                Err(e) => return Err(e.text().to_string()),
            };
            match provider.media_step(media, &resp)? {
                MediaStep::Then(next) => req = next,
                MediaStep::Done { bytes, mime } => return Ok((bytes, mime)),
            }
        }
        Err("the provider sent us round in circles".into())
    }

    /// One request to a provider, through the address policy.
    pub(super) async fn provider_call(
        &self,
        req: &HttpRequest,
        limit: usize,
    ) -> std::result::Result<http::HttpResponse, http::NetError> {
        let client = match self.provider_client.get() {
            Some(c) => c,
            None => {
                let c = self
                    .settings
                    .outbound
                    .http_client()
                    .map_err(http::NetError::Unreachable)?;
                self.provider_client.get_or_init(|| c)
            }
        };
        http::execute(self.settings.outbound, client, req, PROVIDER_TIMEOUT, limit).await
    }

    /// A delivery status: statuses only move forward, whatever order they arrive in.
    async fn receive_status(self: &Arc<Self>, inbox: InboxId, s: StatusUpdate) -> Result<()> {
        let now = self.clock.now();
        let error = s.error.as_ref().map(|e| e.display());
        let targets = match &s.target {
            StatusTarget::Message(id) => self.message_by_provider_id(inbox, id).await?,
            StatusTarget::UpTo {
                recipient,
                watermark,
            } => self.outgoing_up_to(inbox, recipient, *watermark).await?,
        };
        if targets.is_empty() {
            tracing::debug!(%inbox, "a status for a message we do not know: skipped");
        }
        for (conv, msg) in targets {
            let (status, error) = (s.status, error.clone());
            self.blocking(move |st| {
                st.update_delivery(conv, msg, |m| {
                    m.direction == Direction::Outbound && m.advance(status, error.clone(), now)
                })
            })
            .await?;
        }
        Ok(())
    }

    /// The message the provider accepted under `id`. A callback can overtake our record
    /// of the send (the provider answers the send and calls us at once, before the
    /// sender has stored the id): an unknown id is looked up again for up to
    /// `STATUS_GRACE`, so that status is applied rather than acknowledged and lost.
    async fn message_by_provider_id(
        self: &Arc<Self>,
        inbox: InboxId,
        id: &str,
    ) -> Result<
        Vec<(
            crate::domain::conversation::ConversationId,
            crate::domain::conversation::MessageId,
        )>,
    > {
        let deadline = tokio::time::Instant::now() + STATUS_GRACE;
        loop {
            let key = id.to_string();
            let found = self
                .blocking(move |st| {
                    st.store
                        .message_by_source(inbox, &key)
                        .map_err(ServiceError::from)
                })
                .await?;
            if let Some(f) = found {
                return Ok(vec![f]);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(vec![]);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Our outgoing messages to `recipient` in this inbox sent at or before `watermark`
    /// (the latest conversation's recent page: a watermark is about recent messages).
    async fn outgoing_up_to(
        self: &Arc<Self>,
        inbox: InboxId,
        recipient: &Identity,
        watermark: Timestamp,
    ) -> Result<
        Vec<(
            crate::domain::conversation::ConversationId,
            crate::domain::conversation::MessageId,
        )>,
    > {
        let who = recipient.clone();
        self.blocking(move |s| {
            let Some(conv) = s.store.latest_conversation_of(inbox, &who)? else {
                return Ok(vec![]);
            };
            let (items, _) = s.store.timeline_page(conv, None, 200)?;
            Ok(items
                .iter()
                .filter_map(|i| match i {
                    crate::domain::message::TimelineItem::Message(m)
                        if m.direction == Direction::Outbound && m.created_at.0 <= watermark.0 =>
                    {
                        Some((conv, m.id))
                    }
                    _ => None,
                })
                .collect())
        })
        .await
    }
}

/// A file name for an inbound file: the provider's, else `<kind>-<n>.<ext>` from its type.
fn media_filename(media: &MediaRef, mime: &str, n: u32) -> String {
    let given: String = media
        .filename
        .as_deref()
        .and_then(|f| f.rsplit(['/', '\\']).next())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let given = given.trim().trim_start_matches('.').trim();
    if !given.is_empty() {
        return given.to_string();
    }
    let ext = mime_guess::get_mime_extensions_str(mime)
        .and_then(|e| e.first())
        .copied()
        .unwrap_or(match media.kind {
            MediaKind::Voice | MediaKind::Audio => "ogg",
            MediaKind::Image | MediaKind::Sticker => "jpg",
            MediaKind::Video => "mp4",
            MediaKind::Document => "bin",
        });
    format!("{}-{}.{ext}", media.kind.as_str(), n + 1)
}

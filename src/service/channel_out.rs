//! What goes out through a messaging provider, whichever it is: an agent's reply built
//! into the provider's requests (one per part the provider needs), and each attempt's
//! outcome recorded: the provider's ids, a retry at the provider's pace, or a failure
//! in the provider's words.
//!
//! The one window where a message can go twice: the provider accepted a part and we
//! crashed (or lost the outbox lease) before recording its id. The next sender sends
//! that part again. Providers offer no idempotency key for these sends (Twilio, Graph
//! and the Bot API all lack one), so the window is kept as short as one request.

use super::{Result, Services};
use crate::channels::seam::{
    MediaKind, OutboundMedia, OutboundMessage, SendError, Template, TemplateHeader,
};
use crate::domain::Inbox;
use crate::domain::conversation::Conversation;
use crate::domain::message::{DeliveryStatus, Message};
use crate::domain::template::WaHeaderKind;
use crate::store::{Abort, Fence, Job, JobKind, StoreError};

impl Services {
    /// The requests that send `msg`'s parts after the first `sent_parts`, or why it
    /// cannot go (in words for the message).
    pub(super) fn channel_delivery(
        &self,
        job: &Job,
        sent_parts: u32,
        inbox: &Inbox,
        conv: &Conversation,
        msg: &Message,
    ) -> std::result::Result<super::Delivery, String> {
        let provider = self.provider(inbox).map_err(|e| e.to_string())?;
        let to = super::messaging::recipient(inbox, conv)
            .ok_or("this conversation has no address on this channel")?;
        // The composer's Markdown in the channel's own formatting (or none).
        let markup = provider.capabilities().markup;
        let mut text = crate::domain::markdown::render::for_channel(&msg.content, markup);
        // The message's files: signed links the provider fetches, or lines in the text.
        let mut media = Vec::new();
        let files = self.sent_files(inbox, msg);
        if provider.files_as_links() {
            let lines = files
                .iter()
                .map(|f| {
                    let url = f
                        .url
                        .as_deref()
                        .ok_or(super::file_links::FILES_NEED_PUBLIC_URL)?;
                    Ok((f.meta.filename.as_str(), url))
                })
                .collect::<std::result::Result<Vec<_>, &str>>()?;
            text = super::file_links::with_links(&text, &lines);
        } else {
            for f in &files {
                media.push(OutboundMedia {
                    kind: self.sent_file_kind(inbox, provider.as_ref(), &f.meta)?,
                    url: if provider.uploads_files() {
                        format!("upload:{}/{}/{}", msg.conversation_id.0, msg.id.0, f.index)
                    } else {
                        f.url.clone().unwrap_or_default()
                    },
                    mime: f.meta.mime.clone(),
                    filename: f.meta.filename.clone(),
                });
            }
        }
        let out = OutboundMessage {
            to,
            text,
            media,
            template: msg.whatsapp_template.as_ref().map(|t| Template {
                name: t.name.clone(),
                language: t.language.clone(),
                parameters: t.parameters.clone(),
                header: t.header.as_ref().map(|(kind, url)| TemplateHeader {
                    kind: match kind {
                        WaHeaderKind::Document => MediaKind::Document,
                        WaHeaderKind::Video => MediaKind::Video,
                        _ => MediaKind::Image,
                    },
                    url: url.clone(),
                }),
                header_text: t.header_text.clone(),
                url_buttons: t.url_buttons.clone(),
            }),
            window: self.window(inbox, conv).state,
        };
        let requests = provider
            .parts(&out)
            .iter()
            .skip(sent_parts as usize)
            .map(|part| provider.send(part))
            .collect::<std::result::Result<Vec<_>, SendError>>()
            .map_err(|e| e.text())?;
        Ok(super::Delivery::Channel {
            job: job.clone(),
            provider,
            requests,
        })
    }

    /// Records a channel attempt: the ids of the parts the provider accepted (each
    /// leads status callbacks back to the message), then done, a retry of the rest
    /// (at the provider's `Retry-After` when it gave one, else backing off from a
    /// minute), or failed with the provider's words.
    pub async fn finish_channel(
        &self,
        job: &Job,
        accepted: Vec<String>,
        error: Option<SendError>,
        fence: Option<&Fence>,
    ) -> Result<()> {
        let (inbox_id, conversation_id, message_id) = job.kind.target();
        let now = self.clock.now();
        for id in &accepted {
            self.store
                .set_message_source(inbox_id, id, conversation_id, message_id)?;
        }
        let JobKind::Channel { sent_parts, .. } = job.kind else {
            return Ok(());
        };
        let sent_parts = sent_parts + accepted.len() as u32;
        let max = self.settings.webhook_max_attempts;
        let (next, status) = match error {
            None => (None, Some((DeliveryStatus::Sent, None))),
            Some(SendError::RetryLater { after, reason }) if job.attempts + 1 < max => {
                let backoff = 60i64.saturating_mul(1 << job.attempts.min(12));
                let delay = after.map_or(backoff, |a| a.as_secs().max(1) as i64);
                let kind = match job.kind.clone() {
                    JobKind::Channel {
                        inbox_id,
                        conversation_id,
                        message_id,
                        ..
                    } => JobKind::Channel {
                        inbox_id,
                        conversation_id,
                        message_id,
                        sent_parts,
                    },
                    k => k,
                };
                let next = Job {
                    kind,
                    due: now.plus_secs(delay),
                    attempts: job.attempts + 1,
                    last_error: Some(reason),
                    ..job.clone()
                };
                (Some(next), None)
            }
            Some(e) => (None, Some((DeliveryStatus::Failed, Some(e.text())))),
        };
        match self.store.reschedule_job(job, next.as_ref(), fence) {
            Ok(()) => {}
            Err(e @ StoreError::Abort(Abort::LeaseLost)) => return Err(e.into()),
            Err(StoreError::Abort(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        self.count_attempt(job, next.is_some(), status.as_ref().map(|s| s.0));
        let first_id = accepted.first().cloned();
        if let Some((st, err)) = status {
            self.update_delivery(conversation_id, message_id, |m| {
                // The provider's id of the message (its first part) is shown with it.
                let named = m.source_id.is_none() && first_id.is_some();
                if named {
                    m.source_id = first_id.clone();
                }
                m.advance(st, err.clone(), now) || named
            })?;
        }
        self.store.durable().await?;
        Ok(())
    }
}

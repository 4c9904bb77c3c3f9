//! Opening what a message brought: its attachments and a mail's HTML. The same reach as
//! the conversation (anything out of reach is `NotFound`); the bytes are read here and
//! only here, never when the list or the timeline is shown.

use super::{Result, ServiceError, Services};
use crate::channels::email;
use crate::domain::Agent;
use crate::domain::conversation::{ConversationId, MessageId};
use crate::domain::message::{AttachmentMeta, Message};
use crate::store::Part;

/// One stored attachment, ready to send.
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    pub meta: AttachmentMeta,
    pub body: FileBody,
}

/// Where an attachment's bytes are.
#[derive(Debug, Clone)]
pub enum FileBody {
    /// Read whole (an inbound file, stored with its message).
    Bytes(Vec<u8>),
    /// An uploaded file, read page by page from `blob_chunk` while it is sent.
    Blob { conv: ConversationId, upload: u64 },
}

impl Services {
    /// A message of a conversation `actor` may see.
    fn message_for(&self, actor: &Agent, conv: ConversationId, msg: MessageId) -> Result<Message> {
        self.conversation_for(actor, conv)?;
        self.store.message(conv, msg)?.ok_or(ServiceError::NotFound)
    }

    async fn part(&self, conv: ConversationId, msg: MessageId, part: Part) -> Result<Vec<u8>> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.message_part(conv, msg, part))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??
            .ok_or(ServiceError::NotFound)
    }

    /// Attachment `n` of a message; `NotFound` when out of reach or its bytes were not
    /// kept (over the size limit).
    pub async fn attachment(
        &self,
        actor: &Agent,
        conv: ConversationId,
        msg: MessageId,
        n: usize,
    ) -> Result<AttachmentFile> {
        let m = self.message_for(actor, conv, msg)?;
        self.attachment_of(&m, conv, msg, n).await
    }

    /// Attachment `n` of message `m` (already checked to be within reach).
    pub(super) async fn attachment_of(
        &self,
        m: &Message,
        conv: ConversationId,
        msg: MessageId,
        n: usize,
    ) -> Result<AttachmentFile> {
        let meta = m
            .attachments
            .get(n)
            .filter(|a| a.stored)
            .cloned()
            .ok_or(ServiceError::NotFound)?;
        if let Some(upload) = meta.blob {
            return Ok(AttachmentFile {
                meta,
                body: FileBody::Blob { conv, upload },
            });
        }
        let index = u32::try_from(n).map_err(|_| ServiceError::NotFound)?;
        let bytes = self.part(conv, msg, Part::Attachment(index)).await?;
        Ok(AttachmentFile {
            meta,
            body: FileBody::Bytes(bytes),
        })
    }

    /// A mail's sanitized HTML body, its `cid:` images pointing at `attachment_url(n)`
    /// and its remote images loaded only when `remote_images`.
    pub async fn message_html(
        &self,
        actor: &Agent,
        conv: ConversationId,
        msg: MessageId,
        remote_images: bool,
        attachment_url: impl Fn(usize) -> String,
    ) -> Result<String> {
        let m = self.message_for(actor, conv, msg)?;
        if !m.email.as_ref().is_some_and(|e| e.has_html) {
            return Err(ServiceError::NotFound);
        }
        let html = self.part(conv, msg, Part::Html).await?;
        let html = String::from_utf8_lossy(&html);
        let cid_src = |cid: &str| {
            m.attachments
                .iter()
                .position(|a| a.stored && a.content_id.as_deref() == Some(cid))
                .map(&attachment_url)
        };
        Ok(email::show_images(&html, remote_images, cid_src))
    }
}

//! Bytes kept beside a message: a mail's sanitized HTML and its attachments, in
//! `msgpart_chunk` (layout and why chunks: `store::schema`). They are written in the
//! ingest transaction of their message, so nothing is acknowledged before they are
//! durable, and removed with their conversation.

use super::codec::{ByteBuf, Bytes};
use super::conversations::{TxResult, tx_enc};
use super::kv::TxTree;
use super::{Result, Store, dec, keys, schema};
use crate::domain::conversation::{ConversationId, MessageId};
use crate::domain::message::AttachmentMeta;

/// Bytes per chunk: pages of ~16 chunks stay near 1 MB, and every log entry stays under
/// sled's blob threshold (a quarter of its 512 KiB segments).
pub const CHUNK_BYTES: usize = 64 * 1024;

/// Which stored part of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The sanitized HTML body of a mail.
    Html,
    /// Attachment `n` of the message (its index in `Message::attachments`).
    Attachment(u32),
}

impl Part {
    fn number(self) -> u32 {
        match self {
            Part::Html => 0,
            Part::Attachment(n) => n.saturating_add(1),
        }
    }
}

/// What an inbound message brings besides its text, stored with it in one transaction.
#[derive(Debug, Clone, Default)]
pub struct InboundParts {
    /// Described on the message (`Message::attachments`).
    pub attachments: Vec<AttachmentMeta>,
    /// Remarks for the agent (`Message::notes`).
    pub notes: Vec<String>,
    /// Bytes kept beside the message.
    pub bytes: Vec<(Part, Vec<u8>)>,
}

/// Writes the parts of a new message inside its transaction. An empty part still gets
/// one (empty) chunk, so "stored" and "absent" stay apart.
pub(super) fn put_parts(
    t: &TxTree<'_>,
    conv: ConversationId,
    msg: MessageId,
    parts: &InboundParts,
) -> TxResult<()> {
    for (part, bytes) in &parts.bytes {
        let chunks = bytes.chunks(CHUNK_BYTES);
        let chunks: Vec<&[u8]> = if bytes.is_empty() {
            vec![&[]]
        } else {
            chunks.collect()
        };
        for (i, chunk) in chunks.into_iter().enumerate() {
            let key = keys::part_chunk(conv.0, msg.0, part.number(), i as u32);
            t.insert(&key[..], tx_enc(&Bytes(chunk))?)?;
        }
    }
    Ok(())
}

impl Store {
    /// The bytes of one part, whole; `None` when nothing was stored for it.
    pub fn message_part(
        &self,
        conv: ConversationId,
        msg: MessageId,
        part: Part,
    ) -> Result<Option<Vec<u8>>> {
        let mut out: Option<Vec<u8>> = None;
        for kv in self
            .t
            .msgpart_chunk
            .scan_prefix(keys::part_prefix(conv.0, msg.0, part.number()))
        {
            let (_, v) = kv?;
            let ByteBuf(chunk) = dec(schema::MSGPART_CHUNK, &v)?;
            out.get_or_insert_with(Vec::new).extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Keys of every chunk of a conversation's parts (to delete them with it).
    pub(super) fn part_keys(&self, conv: ConversationId) -> Result<Vec<Vec<u8>>> {
        Ok(self
            .t
            .msgpart_chunk
            .scan_prefix(keys::id(conv.0))
            .keys()
            .collect::<std::result::Result<_, _>>()?)
    }

    /// How many chunks a conversation's parts take (0 once it is deleted).
    pub fn part_chunks_of(&self, conv: ConversationId) -> Result<usize> {
        Ok(self.part_keys(conv)?.len())
    }
}

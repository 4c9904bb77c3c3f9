//! Uploaded files (composer, API, widget): chunks in `blob_chunk` written one by one as
//! the body streams in, an [`Upload`] record once the last chunk is in, claimed by the
//! message that sends it in that message's transaction. Layout and why: `store::schema`.

use super::attachments::CHUNK_BYTES;
use super::codec::{ByteBuf, Bytes};
use super::conversations::{Tx, TxResult, tx_dec, tx_enc};
use super::{Abort, Result, Store, TxErr, dec, enc, keys, schema};
use crate::domain::conversation::{ConversationId, MessageId};
use serde::{Deserialize, Serialize};

/// Chunks read per page when a file is streamed out (about 1 MB).
pub const PAGE_CHUNKS: usize = 16;

/// Who uploaded a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Uploader {
    Agent(u64),
    /// The conversation's website visitor.
    Visitor,
}

/// One uploaded file, complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub id: u64,
    pub conversation: ConversationId,
    pub by: Uploader,
    /// A safe file name (no directories, no control characters).
    pub filename: String,
    /// The type found in its first bytes.
    pub mime: String,
    pub size: u64,
    /// Time uploaded (ms).
    pub at: i64,
    /// Recorded in the composer as a voice note.
    pub voice: bool,
    /// The message that sent it, once sent.
    pub message: Option<MessageId>,
}

/// The positions of the upload trees in a conversation transaction (after the
/// conversation trees and the scheduled replies, see `Store::conv_trees`).
pub(super) const BLOB: usize = super::conversations::SCHED + 1;
pub(super) const UPLOAD: usize = BLOB + 1;
pub(super) const UPLOADDUE: usize = BLOB + 2;
const _: () = assert!(UPLOADDUE < super::conversations::CONV_TREES);

impl Tx<'_> {
    /// Claims `upload` of conversation `conv` for message `msg`: refused when absent or
    /// already sent.
    pub(super) fn claim(&self, conv: ConversationId, upload: u64, msg: MessageId) -> TxResult<()> {
        let key = keys::id_pair(conv.0, upload);
        let mut u: Upload = self.0[UPLOAD]
            .get(&key[..])?
            .map(|v| tx_dec(schema::CONVUPLOAD_UPLOAD, &v))
            .transpose()?
            .ok_or(TxErr::Abort(Abort::NotFound))?;
        if u.message.is_some() {
            return Err(TxErr::Abort(Abort::NotFound));
        }
        u.message = Some(msg);
        self.0[UPLOAD].insert(&key[..], tx_enc(&u)?)?;
        self.0[UPLOADDUE].remove(&keys::upload_due(u.at, conv.0, upload)[..])?;
        Ok(())
    }

    /// Removes a conversation's uploads with it.
    pub(super) fn remove_uploads(&self, keys: &UploadKeys) -> TxResult<()> {
        for k in &keys.chunks {
            self.0[BLOB].remove(k)?;
        }
        for (k, due) in &keys.records {
            self.0[UPLOAD].remove(k)?;
            if let Some(d) = due {
                self.0[UPLOADDUE].remove(d)?;
            }
        }
        Ok(())
    }
}

/// Keys of a conversation's uploads, read before the transaction that deletes them.
#[derive(Default)]
pub(super) struct UploadKeys {
    chunks: Vec<Vec<u8>>,
    /// Record key and, while unclaimed, its `uploaddue_unit` key.
    records: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Store {
    /// Writes chunk `n` of upload `upload` (a plain put: an upload is not visible until
    /// its record is written by [`Store::finish_upload`]).
    pub fn put_blob_chunk(
        &self,
        conv: ConversationId,
        upload: u64,
        n: u32,
        bytes: &[u8],
    ) -> Result<()> {
        debug_assert!(bytes.len() <= CHUNK_BYTES);
        let _g = self.write_gate();
        self.t
            .blob_chunk
            .insert(keys::blob_chunk(conv.0, upload, n), enc(&Bytes(bytes))?)?;
        Ok(())
    }

    /// Records a complete upload (unclaimed, so the cleanup finds it if never sent).
    pub fn finish_upload(&self, u: &Upload) -> Result<()> {
        let _g = self.write_gate();
        let key = keys::id_pair(u.conversation.0, u.id);
        let due = keys::upload_due(u.at, u.conversation.0, u.id);
        self.tx([&self.t.convupload_upload, &self.t.uploaddue_unit], |t| {
            t[0].insert(&key[..], tx_enc(u)?)?;
            t[1].insert(&due[..], &[][..])?;
            Ok(())
        })
    }

    /// An upload of a conversation.
    pub fn upload(&self, conv: ConversationId, upload: u64) -> Result<Option<Upload>> {
        self.t
            .convupload_upload
            .get(keys::id_pair(conv.0, upload))?
            .map(|v| dec(schema::CONVUPLOAD_UPLOAD, &v))
            .transpose()
    }

    /// Up to `limit` chunks of an upload from chunk `from`, in order.
    pub fn blob_chunks(
        &self,
        conv: ConversationId,
        upload: u64,
        from: u32,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>> {
        let start = keys::blob_chunk(conv.0, upload, from);
        let end = keys::blob_chunk(conv.0, upload, u32::MAX);
        let mut out = Vec::with_capacity(limit);
        for kv in self
            .t
            .blob_chunk
            .range(start..=end)
            .expect(limit)
            .take(limit)
        {
            let (_, v) = kv?;
            let ByteBuf(chunk) = dec(schema::BLOB_CHUNK, &v)?;
            out.push(chunk);
        }
        Ok(out)
    }

    /// Removes an upload's chunks (page by page) and then its record: an upload refused
    /// while it streamed in, or one never sent.
    pub fn discard_upload(&self, conv: ConversationId, upload: u64) -> Result<()> {
        let prefix = keys::id_pair(conv.0, upload);
        loop {
            let page: Vec<Vec<u8>> = self
                .t
                .blob_chunk
                .scan_prefix(prefix)
                .expect(256)
                .keys()
                .take(256)
                .collect::<std::result::Result<_, _>>()?;
            if page.is_empty() {
                break;
            }
            let _g = self.write_gate();
            for k in page {
                self.t.blob_chunk.remove(k)?;
            }
        }
        if let Some(u) = self.upload(conv, upload)? {
            let _g = self.write_gate();
            self.tx([&self.t.convupload_upload, &self.t.uploaddue_unit], |t| {
                t[0].remove(&prefix[..])?;
                t[1].remove(&keys::upload_due(u.at, conv.0, upload)[..])?;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Unclaimed uploads made before `before` (ms), oldest first, at most `limit`.
    pub fn stale_uploads(&self, before: i64, limit: usize) -> Result<Vec<(ConversationId, u64)>> {
        let end = keys::upload_due(before, 0, 0);
        let mut out = Vec::new();
        for k in self
            .t
            .uploaddue_unit
            .range(..&end[..])
            .expect(limit)
            .keys()
            .take(limit)
        {
            let k = k?;
            if let (Some(c), Some(u)) = (keys::read_u64(&k[8..]), keys::read_u64(&k[16..])) {
                out.push((ConversationId(c), u));
            }
        }
        Ok(out)
    }

    /// Keys of every upload of a conversation (to delete them with it).
    pub(super) fn upload_keys(&self, conv: ConversationId) -> Result<UploadKeys> {
        let mut keys_of = UploadKeys {
            chunks: self
                .t
                .blob_chunk
                .scan_prefix(keys::id(conv.0))
                .keys()
                .collect::<std::result::Result<_, _>>()?,
            records: Vec::new(),
        };
        for kv in self.t.convupload_upload.scan_prefix(keys::id(conv.0)) {
            let (k, v) = kv?;
            let u: Upload = dec(schema::CONVUPLOAD_UPLOAD, &v)?;
            let due = u
                .message
                .is_none()
                .then(|| keys::upload_due(u.at, conv.0, u.id).to_vec());
            keys_of.records.push((k, due));
        }
        Ok(keys_of)
    }

    /// How many chunks and records a conversation's uploads take.
    pub fn upload_footprint(&self, conv: ConversationId) -> Result<(usize, usize)> {
        let k = self.upload_keys(conv)?;
        Ok((k.chunks.len(), k.records.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::on_both_engines;

    on_both_engines!(
        chunks_read_back_in_pages_and_discard_leaves_nothing,
        an_inbound_message_claims_its_uploads_or_writes_nothing,
    );

    fn visitor_message(client: &str) -> crate::store::InboundMessage {
        crate::store::InboundMessage {
            inbox_id: crate::domain::InboxId(1),
            source_id: Some(format!("w:v:1:{client}")),
            sender: crate::store::InboundSender::of(None, Some("v:1".into()), None, None),
            content: String::new(),
            at: crate::domain::Timestamp(10),
            token: "tok".into(),
            thread: crate::store::Thread::Latest,
            position: None,
            quiet: false,
            mail: None,
        }
    }

    /// A website visitor's files: uploaded to the conversation their first message
    /// creates (its id chosen beforehand), claimed by that message in its transaction;
    /// an upload of another conversation, or one already sent, stores nothing.
    fn an_inbound_message_claims_its_uploads_or_writes_nothing(s: &Store) {
        let parts = crate::store::InboundParts::default();
        let mut u = upload(500, 7, 1_000);
        u.by = Uploader::Visitor;
        s.put_blob_chunk(ConversationId(500), 7, 0, b"png").unwrap();
        s.finish_upload(&u).unwrap();
        // Another conversation's upload: refused, nothing written.
        let mut other = upload(900, 8, 1_000);
        other.by = Uploader::Visitor;
        s.finish_upload(&other).unwrap();
        let refused = s.ingest_claiming(
            &visitor_message("a"),
            [500, 501, 502, 503, 504],
            &parts,
            None,
            &[7, 8],
        );
        assert!(
            matches!(
                refused,
                Err(crate::store::StoreError::Abort(Abort::NotFound))
            ),
            "{refused:?}"
        );
        assert!(s.conversation(ConversationId(500)).unwrap().is_none());
        assert_eq!(
            s.upload(ConversationId(500), 7).unwrap().unwrap().message,
            None
        );
        let r = s
            .ingest_claiming(
                &visitor_message("b"),
                [500, 501, 502, 503, 504],
                &parts,
                None,
                &[7],
            )
            .unwrap();
        assert_eq!(r.conversation_id, ConversationId(500));
        let claimed = s.upload(ConversationId(500), 7).unwrap().unwrap();
        assert_eq!(claimed.message, Some(r.message_id));
        assert_eq!(
            s.stale_uploads(i64::MAX, 10).unwrap(),
            vec![(ConversationId(900), 8)]
        );
        // Sent once only.
        let again = s.ingest_claiming(
            &visitor_message("c"),
            [600, 601, 602, 603, 604],
            &parts,
            None,
            &[7],
        );
        assert!(again.is_err());
    }

    fn upload(conv: u64, id: u64, at: i64) -> Upload {
        Upload {
            id,
            conversation: ConversationId(conv),
            by: Uploader::Agent(1),
            filename: "a.pdf".into(),
            mime: "application/pdf".into(),
            size: 3,
            at,
            voice: false,
            message: None,
        }
    }

    fn chunks_read_back_in_pages_and_discard_leaves_nothing(s: &Store) {
        {
            let c = ConversationId(7);
            for n in 0..40u32 {
                s.put_blob_chunk(c, 99, n, &[n as u8; 10]).unwrap();
            }
            s.put_blob_chunk(ConversationId(7), 100, 0, b"other")
                .unwrap();
            s.finish_upload(&upload(7, 99, 1_000)).unwrap();
            let first = s.blob_chunks(c, 99, 0, PAGE_CHUNKS).unwrap();
            assert_eq!(first.len(), PAGE_CHUNKS);
            assert_eq!(first[3], vec![3u8; 10]);
            let last = s.blob_chunks(c, 99, 32, PAGE_CHUNKS).unwrap();
            assert_eq!(last.len(), 8, "the page stops at the upload's end");
            assert_eq!(last[7], vec![39u8; 10]);
            assert_eq!(s.stale_uploads(2_000, 10).unwrap(), vec![(c, 99)]);
            assert!(s.stale_uploads(1_000, 10).unwrap().is_empty());
            s.discard_upload(c, 99).unwrap();
            assert!(s.blob_chunks(c, 99, 0, 100).unwrap().is_empty());
            assert!(s.upload(c, 99).unwrap().is_none());
            assert!(s.stale_uploads(i64::MAX, 10).unwrap().is_empty());
            assert_eq!(
                s.blob_chunks(c, 100, 0, 10).unwrap(),
                vec![b"other".to_vec()]
            );
        }
    }
}

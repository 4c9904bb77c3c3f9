//! Files uploaded to be sent (composer, API): streamed into the store chunk by chunk,
//! their type taken from their first bytes (never the name), refused mid-stream once
//! over `inbox.max_upload_bytes` with nothing kept; claimed by the message that sends
//! them; streamed out page by page. Unsent uploads go after a day.

use super::{Result, ServiceError, Services};
use crate::domain::Agent;
use crate::domain::conversation::ConversationId;
use crate::domain::message::AttachmentMeta;
use crate::store::{CHUNK_BYTES, Upload, Uploader};
use futures_util::{Stream, StreamExt};
use std::sync::Arc;

/// How long an upload may wait to be sent before the cleanup removes it.
pub const UNSENT_UPLOAD_MS: i64 = 24 * 3600 * 1000;

/// The longest voice note recorded in the composer (5:00) is a few MB of Opus; a voice
/// note is read whole to be remuxed, so it may not be larger than this.
pub const MAX_VOICE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a whole (small) body, refusing it past `limit` bytes.
async fn collect<S, B, E>(mut body: S, limit: u64) -> std::result::Result<Vec<u8>, UploadRefused>
where
    S: Stream<Item = std::result::Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let mut out = Vec::new();
    while let Some(piece) = body.next().await {
        let piece = piece.map_err(|e| UploadRefused::Unreadable(e.to_string()))?;
        out.extend_from_slice(piece.as_ref());
        if out.len() as u64 > limit {
            return Err(UploadRefused::TooLarge(limit));
        }
    }
    Ok(out)
}

/// One file of a draft: an upload of the conversation and its caption.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftFile {
    pub upload: u64,
    pub caption: Option<String>,
}

/// Why an upload was refused (nothing of it is kept).
#[derive(Debug)]
pub enum UploadRefused {
    /// Over the limit (bytes).
    TooLarge(u64),
    /// Not one of the accepted types.
    Type,
    Empty,
    /// The body could not be read to its end.
    Unreadable(String),
    Service(ServiceError),
}

impl From<ServiceError> for UploadRefused {
    fn from(e: ServiceError) -> Self {
        UploadRefused::Service(e)
    }
}

/// The accepted types, found in a file's first bytes (`first`, up to one chunk) and,
/// for plain text (which has no magic number), the name's extension with valid UTF-8.
/// Answers the type to store, or `None` when the file is not accepted.
pub fn sniff(first: &[u8], filename: &str) -> Option<&'static str> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(kind) = infer::get(first) {
        return Some(match kind.mime_type() {
            "application/pdf" => "application/pdf",
            "image/jpeg" => "image/jpeg",
            "image/png" => "image/png",
            "image/gif" => "image/gif",
            "image/webp" => "image/webp",
            "video/mp4" => "video/mp4",
            "audio/mpeg" => "audio/mpeg",
            "audio/ogg" | "audio/opus" => "audio/ogg",
            "audio/m4a" | "audio/x-m4a" | "audio/mp4" => "audio/mp4",
            // WebM is accepted as audio only (the browser's voice notes).
            "video/webm" | "audio/webm" => "audio/webm",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            _ => return None,
        });
    }
    let text = match ext.as_str() {
        "txt" => "text/plain",
        "csv" => "text/csv",
        _ => return None,
    };
    utf8_prefix_ok(first).then_some(text)
}

/// `b` is UTF-8 text, except perhaps for a character cut at its end; no NUL bytes.
fn utf8_prefix_ok(b: &[u8]) -> bool {
    if b.contains(&0) {
        return false;
    }
    match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && b.len() - e.valid_up_to() < 4,
    }
}

/// Checks that every chunk of a text file continues valid UTF-8 (a character may span
/// two chunks).
#[derive(Default)]
struct TextCheck {
    carry: Vec<u8>,
}

impl TextCheck {
    fn feed(&mut self, chunk: &[u8]) -> bool {
        let mut b = std::mem::take(&mut self.carry);
        b.extend_from_slice(chunk);
        if b.contains(&0) {
            return false;
        }
        match std::str::from_utf8(&b) {
            Ok(_) => true,
            Err(e) if e.error_len().is_none() => {
                self.carry = b[e.valid_up_to()..].to_vec();
                true
            }
            Err(_) => false,
        }
    }

    fn finish(&self) -> bool {
        self.carry.is_empty()
    }
}

impl Services {
    /// The conversation must be one `actor` may see (else `NotFound`).
    pub fn check_upload_target(&self, actor: &Agent, conv: ConversationId) -> Result<()> {
        self.conversation_for(actor, conv).map(|_| ())
    }

    /// Stores `body` as a new upload of conversation `conv`, chunk by chunk. Refused
    /// (and whatever was written removed) when it is over the limit, not an accepted
    /// type, empty or unreadable. Answers once the upload is durable. A voice note
    /// recorded as WebM/Opus (what browsers record) is kept as Ogg/Opus, remuxed
    /// without re-encoding (`channels::voice`): what WhatsApp and Telegram take as
    /// voice notes, and what every browser plays.
    pub async fn receive_upload<S, B, E>(
        self: &Arc<Self>,
        conv: ConversationId,
        by: Uploader,
        filename: &str,
        voice: bool,
        body: S,
    ) -> std::result::Result<Upload, UploadRefused>
    where
        S: Stream<Item = std::result::Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let limit = self.settings.max_upload_bytes;
        if !voice {
            return self
                .store_upload(conv, by, filename, false, limit, body)
                .await;
        }
        let limit = self.settings.max_upload_bytes.min(MAX_VOICE_BYTES);
        let recording = collect(body, limit).await?;
        let (bytes, name) = blocking(move || {
            Ok(match crate::channels::voice::webm_opus_to_ogg(&recording) {
                Ok(ogg) => (ogg, "voice-note.ogg"),
                // Already Ogg (Firefox can record it), or not WebM at all: the type
                // check below decides.
                Err(crate::channels::voice::VoiceError::NotWebm(_)) => {
                    (recording, "voice-note.ogg")
                }
                Err(_) => (Vec::new(), ""),
            })
        })
        .await?;
        if name.is_empty() {
            return Err(UploadRefused::Type);
        }
        let name = if sniff(&bytes[..bytes.len().min(CHUNK_BYTES)], name) == Some("audio/ogg") {
            name
        } else {
            filename
        };
        let body = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
        self.store_upload(conv, by, name, true, limit, body).await
    }

    /// A website visitor's file for conversation `conv` (the one their next message
    /// joins): [`receive_upload`](Self::receive_upload)'s checks, within `limit` bytes
    /// (never over `inbox.max_upload_bytes`).
    pub async fn receive_visitor_upload<S, B, E>(
        self: &Arc<Self>,
        conv: ConversationId,
        filename: &str,
        limit: u64,
        body: S,
    ) -> std::result::Result<Upload, UploadRefused>
    where
        S: Stream<Item = std::result::Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let limit = limit.min(self.settings.max_upload_bytes);
        self.store_upload(conv, Uploader::Visitor, filename, false, limit, body)
            .await
    }

    /// [`receive_upload`](Self::receive_upload)'s storing part.
    async fn store_upload<S, B, E>(
        self: &Arc<Self>,
        conv: ConversationId,
        by: Uploader,
        filename: &str,
        voice: bool,
        limit: u64,
        mut body: S,
    ) -> std::result::Result<Upload, UploadRefused>
    where
        S: Stream<Item = std::result::Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let id = rand::random::<u64>() >> 1 | 1;
        let filename = crate::channels::email::safe_filename(Some(filename), 1, "");
        let mut w = Writer {
            s: self.clone(),
            conv,
            id,
            n: 0,
            mime: None,
            text: None,
        };
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK_BYTES);
        let mut size: u64 = 0;
        let outcome: std::result::Result<(), UploadRefused> = async {
            while let Some(piece) = body.next().await {
                let piece = piece.map_err(|e| UploadRefused::Unreadable(e.to_string()))?;
                let mut piece = piece.as_ref();
                size += piece.len() as u64;
                if size > limit {
                    return Err(UploadRefused::TooLarge(limit));
                }
                while !piece.is_empty() {
                    let take = (CHUNK_BYTES - buf.len()).min(piece.len());
                    buf.extend_from_slice(&piece[..take]);
                    piece = &piece[take..];
                    if buf.len() == CHUNK_BYTES {
                        w.write(&filename, std::mem::take(&mut buf)).await?;
                        buf.reserve(CHUNK_BYTES);
                    }
                }
            }
            if size == 0 {
                return Err(UploadRefused::Empty);
            }
            if !buf.is_empty() {
                w.write(&filename, std::mem::take(&mut buf)).await?;
            }
            if w.text.as_ref().is_some_and(|t| !t.finish()) {
                return Err(UploadRefused::Type);
            }
            Ok(())
        }
        .await;
        let result = match outcome {
            Ok(()) => {
                let upload = Upload {
                    id,
                    conversation: conv,
                    by,
                    filename,
                    mime: w.mime.unwrap_or("application/octet-stream").to_string(),
                    size,
                    at: self.clock.now().0,
                    voice,
                    message: None,
                };
                let store = self.store.clone();
                let u = upload.clone();
                blocking(move || store.finish_upload(&u)).await?;
                self.store.durable().await.map_err(ServiceError::from)?;
                return Ok(upload);
            }
            Err(e) => e,
        };
        if w.n > 0 {
            let store = self.store.clone();
            if let Err(e) = blocking(move || store.discard_upload(conv, id)).await {
                tracing::warn!(error = %e, "a refused upload could not be removed; the cleanup will");
            }
        }
        Err(result)
    }

    /// The attachments of a draft, checked: uploads of this conversation not sent yet.
    pub(super) fn draft_attachments(
        &self,
        conv: ConversationId,
        files: &[DraftFile],
    ) -> Result<Vec<AttachmentMeta>> {
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let u = self
                .store
                .upload(conv, f.upload)?
                .filter(|u| u.message.is_none() && matches!(u.by, Uploader::Agent(_)))
                .ok_or(ServiceError::NotFound)?;
            let caption = f
                .caption
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| c.chars().take(1000).collect());
            out.push(AttachmentMeta {
                filename: u.filename,
                mime: u.mime,
                size: u.size,
                stored: true,
                blob: Some(u.id),
                voice: u.voice,
                caption,
                ..AttachmentMeta::default()
            });
        }
        Ok(out)
    }

    /// A message's uploaded files, whole, as mail parts (a mail is built in memory).
    pub(super) fn mail_files(
        &self,
        conv: ConversationId,
        msg: &crate::domain::message::Message,
    ) -> crate::store::Result<Vec<crate::channels::smtp::MailFile>> {
        let mut out = Vec::new();
        for a in &msg.attachments {
            let Some(upload) = a.blob else { continue };
            let mut bytes = Vec::with_capacity(usize::try_from(a.size).unwrap_or(0));
            let mut from = 0u32;
            loop {
                let page = self
                    .store
                    .blob_chunks(conv, upload, from, crate::store::PAGE_CHUNKS)?;
                let n = page.len();
                for c in page {
                    bytes.extend_from_slice(&c);
                }
                if n < crate::store::PAGE_CHUNKS {
                    break;
                }
                from += n as u32;
            }
            out.push(crate::channels::smtp::MailFile {
                filename: a.filename.clone(),
                mime: a.mime.clone(),
                bytes,
            });
        }
        Ok(out)
    }

    /// Removes uploads never sent within a day (the timers call it). Answers how many.
    pub fn remove_unsent_uploads(&self) -> Result<usize> {
        let before = self.clock.now().0 - UNSENT_UPLOAD_MS;
        let mut n = 0;
        loop {
            let stale = self.store.stale_uploads(before, 64)?;
            if stale.is_empty() {
                return Ok(n);
            }
            for (conv, id) in stale {
                self.store.discard_upload(conv, id)?;
                n += 1;
            }
        }
    }
}

/// Runs store work on the blocking pool.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> crate::store::Result<R> + Send + 'static,
) -> Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(Into::into)
}

/// Writes an upload's chunks in order, checking its type on the first.
struct Writer {
    s: Arc<Services>,
    conv: ConversationId,
    id: u64,
    n: u32,
    mime: Option<&'static str>,
    text: Option<TextCheck>,
}

impl Writer {
    async fn write(
        &mut self,
        filename: &str,
        chunk: Vec<u8>,
    ) -> std::result::Result<(), UploadRefused> {
        if self.n == 0 {
            let mime = sniff(&chunk, filename).ok_or(UploadRefused::Type)?;
            self.mime = Some(mime);
            if mime.starts_with("text/") {
                self.text = Some(TextCheck::default());
            }
        }
        if let Some(t) = self.text.as_mut()
            && !t.feed(&chunk)
        {
            return Err(UploadRefused::Type);
        }
        let (store, conv, id, n) = (self.s.store.clone(), self.conv, self.id, self.n);
        // Counted before the write, so a failed write is cleaned up too.
        self.n += 1;
        blocking(move || store.put_blob_chunk(conv, id, n, &chunk)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "a.pdf"), Some("application/pdf"));
        assert_eq!(sniff(b"%PDF-1.7\n...", "a.txt"), Some("application/pdf"));
        assert_eq!(
            sniff(
                &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0],
                "x.jpg"
            ),
            Some("image/png")
        );
        // An executable named as a PDF, or as text.
        assert_eq!(
            sniff(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", "report.pdf"),
            None
        );
        assert_eq!(
            sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff", "notes.txt"),
            None
        );
        // Text has no magic: valid UTF-8 with the right extension only.
        assert_eq!(
            sniff("día,total\n1,2\n".as_bytes(), "x.csv"),
            Some("text/csv")
        );
        assert_eq!(sniff(b"hello", "x.txt"), Some("text/plain"));
        assert_eq!(sniff(b"hello", "x.pdf"), None);
        assert_eq!(sniff(b"hello", "x.html"), None);
        assert_eq!(sniff(b"\xff\xfe\0h", "x.txt"), None);
        // A character cut at the end of the first chunk is still text.
        assert_eq!(sniff(&"ñ".as_bytes()[..1], "x.txt"), Some("text/plain"));
        // WebM (the browser's voice recordings) as audio.
        assert_eq!(
            sniff(
                &[
                    0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, b'w',
                    b'e', b'b', b'm'
                ],
                "v.webm"
            ),
            Some("audio/webm")
        );
    }

    #[test]
    fn text_checks_span_chunks() {
        let mut t = TextCheck::default();
        let s = "año".as_bytes();
        assert!(t.feed(&s[..2]));
        assert!(!t.finish());
        assert!(t.feed(&s[2..]));
        assert!(t.finish());
        assert!(!TextCheck::default().feed(b"a\xffb"));
    }
}

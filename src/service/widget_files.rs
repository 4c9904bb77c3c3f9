//! Files in the website chat, both ways. The widget holds no cookie: the socket hands it
//! a session (the visitor's identifier sealed with the installation key, for a day),
//! and every file request carries it. A file is served only from the visitor's own
//! conversation (their latest in the inbox), never a note's; a visitor's upload goes
//! into that conversation (or the one their next message will create, its id chosen
//! now) through the composer's upload path, and is claimed by the message that sends it.

use super::widget::Visitor;
use super::{AttachmentFile, Result, ServiceError, Services};
use crate::domain::contact::Identity;
use crate::domain::conversation::{ConversationId, MessageId};
use crate::domain::message::{AttachmentMeta, Direction, Message};
use crate::domain::{Inbox, InboxId};
use crate::store::{Upload, Uploader};

/// How long a widget session lets a visitor fetch and upload files (each connection
/// of the socket gives a new one).
pub const SESSION_MS: i64 = 24 * 3600 * 1000;

/// Files a visitor's message may carry.
pub const MAX_VISITOR_FILES: usize = 10;

/// A file of a message, as the widget sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetFile {
    /// Opaque: `/widget/v1/{key}/files/{id}` downloads it (with the session).
    pub id: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
    /// `image` (shown inline), `audio`, `video` (players) or `file` (a download card).
    pub kind: &'static str,
}

/// How the widget shows a file of type `mime`.
pub fn file_kind(mime: &str) -> &'static str {
    match mime {
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" => "image",
        "audio/mpeg" | "audio/ogg" | "audio/mp4" | "audio/webm" => "audio",
        "video/mp4" => "video",
        _ => "file",
    }
}

/// Sealed text as a URL path segment (the sealing's base64 uses `+` and `/`).
fn url_safe(sealed: String) -> String {
    sealed.replace('+', "-").replace('/', "_")
}

fn from_url_safe(s: &str) -> String {
    s.replace('-', "+").replace('_', "/")
}

impl Services {
    /// A session for the visitor's file requests, valid for [`SESSION_MS`].
    pub fn widget_session(&self, visitor: &Visitor) -> Result<String> {
        let until = self.clock.now().0 + SESSION_MS;
        self.keys
            .seal(&format!(
                "ws:{}:{until}:{}",
                visitor.inbox.0, visitor.identifier
            ))
            .map(url_safe)
    }

    /// The visitor identifier a session of `inbox` stands for; `NotFound` when it is
    /// not one, is another inbox's, or has expired.
    fn session_identifier(&self, inbox: InboxId, session: &str) -> Result<String> {
        let plain = self
            .keys
            .open(&from_url_safe(session))
            .map_err(|_| ServiceError::NotFound)?;
        let mut it = plain.splitn(4, ':');
        let (Some("ws"), Some(i), Some(until), Some(identifier)) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(ServiceError::NotFound);
        };
        let until: i64 = until.parse().map_err(|_| ServiceError::NotFound)?;
        if i != inbox.0.to_string() || until < self.clock.now().0 || identifier.is_empty() {
            return Err(ServiceError::NotFound);
        }
        Ok(identifier.to_string())
    }

    /// The visitor's conversation in `inbox`: their contact's latest there.
    fn visitor_conversation(
        &self,
        inbox: InboxId,
        identifier: &str,
    ) -> Result<Option<ConversationId>> {
        Ok(self
            .store
            .latest_conversation_of(inbox, &Identity::External(identifier.to_string()))?)
    }

    /// The files of message `m` as the widget sees them.
    pub(super) fn widget_files(&self, m: &Message) -> Vec<WidgetFile> {
        m.attachments
            .iter()
            .enumerate()
            .filter(|(_, a)| a.stored)
            .filter_map(|(n, a)| {
                let id = self
                    .keys
                    .seal_deterministic(&format!("wf:{}:{}:{n}", m.conversation_id.0, m.id.0))
                    .ok()?;
                Some(WidgetFile {
                    id: url_safe(id),
                    name: a.filename.clone(),
                    mime: a.mime.clone(),
                    size: a.size,
                    kind: file_kind(&a.mime),
                })
            })
            .collect()
    }

    /// A file the visitor holding `session` may download: one of a message (never a
    /// note) of their own conversation in `inbox`; anything else is `NotFound`.
    pub async fn widget_attachment(
        &self,
        inbox: &Inbox,
        session: &str,
        file: &str,
    ) -> Result<AttachmentFile> {
        let identifier = self.session_identifier(inbox.id, session)?;
        let plain = self
            .keys
            .open(&from_url_safe(file))
            .map_err(|_| ServiceError::NotFound)?;
        let parts: Vec<&str> = plain.split(':').collect();
        let ["wf", conv, msg, n] = parts[..] else {
            return Err(ServiceError::NotFound);
        };
        let bad = |_| ServiceError::NotFound;
        let (conv, msg, n) = (
            ConversationId(conv.parse().map_err(bad)?),
            MessageId(msg.parse().map_err(bad)?),
            n.parse::<usize>().map_err(bad)?,
        );
        if self.visitor_conversation(inbox.id, &identifier)? != Some(conv) {
            return Err(ServiceError::NotFound);
        }
        let m = self
            .store
            .message(conv, msg)?
            .filter(|m| m.direction != Direction::Note && !m.transcript)
            .ok_or(ServiceError::NotFound)?;
        self.file_of(conv, &m, n).await
    }

    /// Where the visitor holding `session` may upload a file now, counted against their
    /// hourly files: their conversation, else the one their next message will create.
    /// Refused when the inbox takes no files from visitors.
    pub fn widget_upload_target(
        &self,
        inbox: &Inbox,
        session: &str,
    ) -> Result<(String, ConversationId)> {
        let identifier = self.session_identifier(inbox.id, session)?;
        if inbox.website.as_ref().is_some_and(|w| w.visitor_files_off) {
            return Err(ServiceError::Conflict(VISITOR_FILES_OFF));
        }
        self.widget_rates.hit_file(&identifier)?;
        let conv = match self.visitor_conversation(inbox.id, &identifier)? {
            Some(c) => c,
            None => ConversationId(self.store.generate_id()?),
        };
        Ok((identifier, conv))
    }

    /// The largest file a visitor may send.
    pub fn widget_upload_limit(&self) -> u64 {
        self.settings
            .widget_files
            .0
            .min(self.settings.max_upload_bytes)
    }

    /// What the widget names an upload by in its `send` frame (sealed: it binds the
    /// upload to this visitor and conversation).
    pub fn widget_upload_ref(&self, inbox: &Inbox, identifier: &str, u: &Upload) -> Result<String> {
        self.keys
            .seal(&format!(
                "wu:{}:{}:{}:{identifier}",
                inbox.id.0, u.conversation.0, u.id
            ))
            .map(url_safe)
    }

    /// The uploads a visitor's `send` frame names, checked: theirs, of one conversation,
    /// not sent yet. Answers that conversation and the files as the message keeps them.
    pub(super) fn visitor_files(
        &self,
        visitor: &Visitor,
        refs: &[String],
    ) -> Result<Option<VisitorFiles>> {
        if refs.is_empty() {
            return Ok(None);
        }
        if refs.len() > MAX_VISITOR_FILES {
            return Err(crate::domain::validate::Invalid {
                field: "files",
                reason: format!("at most {MAX_VISITOR_FILES} files per message"),
            }
            .into());
        }
        let mut conv = None;
        let (mut ids, mut metas) = (Vec::new(), Vec::new());
        for r in refs {
            let plain = self
                .keys
                .open(&from_url_safe(r))
                .map_err(|_| ServiceError::NotFound)?;
            let mut it = plain.splitn(5, ':');
            let (Some("wu"), Some(inbox), Some(c), Some(u), Some(identifier)) =
                (it.next(), it.next(), it.next(), it.next(), it.next())
            else {
                return Err(ServiceError::NotFound);
            };
            let (Ok(c), Ok(u)) = (c.parse::<u64>(), u.parse::<u64>()) else {
                return Err(ServiceError::NotFound);
            };
            if inbox != visitor.inbox.0.to_string()
                || identifier != visitor.identifier
                || conv.is_some_and(|k| k != c)
                || visitor.conversation.is_some_and(|k| k.0 != c)
            {
                return Err(ServiceError::NotFound);
            }
            conv = Some(c);
            let up = self
                .store
                .upload(ConversationId(c), u)?
                .filter(|x| x.message.is_none() && x.by == Uploader::Visitor)
                .ok_or(ServiceError::NotFound)?;
            if !ids.contains(&u) {
                ids.push(u);
                metas.push(AttachmentMeta {
                    filename: up.filename,
                    mime: up.mime,
                    size: up.size,
                    stored: true,
                    blob: Some(up.id),
                    ..AttachmentMeta::default()
                });
            }
        }
        Ok(conv.map(|c| (ConversationId(c), ids, metas)))
    }
}

/// A visitor's files for one message: the conversation they were uploaded to, their
/// upload ids, and how the message describes them.
pub(super) type VisitorFiles = (ConversationId, Vec<u64>, Vec<AttachmentMeta>);

/// The website inbox's settings turn visitors' files off.
pub const VISITOR_FILES_OFF: &str = "this chat does not take files";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_url_safe_refs() {
        assert_eq!(file_kind("image/webp"), "image");
        assert_eq!(file_kind("image/svg+xml"), "file");
        assert_eq!(file_kind("audio/ogg"), "audio");
        assert_eq!(file_kind("video/mp4"), "video");
        assert_eq!(file_kind("application/pdf"), "file");
        let s = "v1:ab+c/d+/".to_string();
        let safe = url_safe(s.clone());
        assert!(!safe.contains(['+', '/']));
        assert_eq!(from_url_safe(&safe), s);
    }
}

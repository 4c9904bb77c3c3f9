//! One timeline entry of a conversation as the pane shows it: a message (its mail
//! headers, files and formatted text) or an event. Split from `inbox_views`, which
//! keeps the pages and partials around it.

use super::inbox_views::TimeView;
use super::json::event_text;
use super::labels;
use crate::domain::conversation::ContactId;
use crate::domain::message::{AttachmentMeta, Direction, MailMeta, TimelineItem};
use crate::i18n::L10n;
use crate::service::Directory;

/// What a mail adds to its timeline entry.
pub struct MailView {
    /// Decoded subject; empty when the mail had none.
    pub subject: String,
    /// Mail written by a machine: its kind (`auto-reply`, `bounce`, for the chip's
    /// class) and its name in the reader's language.
    pub automatic: Option<(&'static str, String)>,
    /// The text with the quoted history, when the timeline shows it trimmed.
    pub full_text: Option<String>,
    pub has_html: bool,
    pub remote_images: bool,
}

impl MailView {
    fn new(l: &L10n, m: &MailMeta) -> Self {
        MailView {
            subject: m.subject.clone(),
            automatic: match (m.automatic, m.bounce) {
                (_, true) => Some(("bounce", l.t("mail-bounce"))),
                (true, false) => Some(("auto-reply", l.t("mail-auto-reply"))),
                _ => None,
            },
            full_text: m.full_text.clone(),
            has_html: m.has_html,
            remote_images: m.remote_images,
        }
    }
}

/// One attachment in the timeline's list.
pub struct AttachmentView {
    /// Its index in the message (the `/attachments/{n}` of its URL).
    pub n: usize,
    pub name: String,
    pub size: String,
    /// A short type label ("PDF", "PNG") and its family, for the chip's colour.
    pub kind: String,
    pub family: &'static str,
    /// The bytes were kept (not over the size limit).
    pub stored: bool,
    /// A small raster image, shown as a thumbnail.
    pub thumb: bool,
    /// Played in the timeline: `audio`, `video`, or empty.
    pub player: &'static str,
    /// A recorded voice note.
    pub voice: bool,
    /// The sender's caption.
    pub caption: Option<String>,
}

/// Raster images the attachment route serves inline; small ones get a thumbnail.
const THUMB_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];
const THUMB_MAX_BYTES: u64 = 5_000_000;

impl AttachmentView {
    fn new(l: &L10n, n: usize, a: &AttachmentMeta) -> Self {
        let ext = a
            .filename
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .filter(|e| (1..=4).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_alphanumeric()));
        let family = match (ext.as_deref(), a.mime.split('/').next()) {
            (Some("pdf"), _) => "pdf",
            (_, Some("image")) => "image",
            (Some("zip" | "gz" | "tgz" | "rar" | "7z" | "tar"), _) => "archive",
            (Some("xls" | "xlsx" | "ods" | "csv"), _) => "sheet",
            (Some("doc" | "docx" | "odt" | "rtf" | "txt" | "md"), _) => "doc",
            (_, Some("audio" | "video")) => "media",
            _ => "other",
        };
        AttachmentView {
            n,
            name: a.filename.clone(),
            size: labels::size(l, a.size),
            kind: ext.map_or_else(|| l.t("attachment-file"), |e| e.to_ascii_uppercase()),
            family,
            stored: a.stored,
            thumb: a.stored && a.size <= THUMB_MAX_BYTES && THUMB_TYPES.contains(&a.mime.as_str()),
            player: match a.mime.split('/').next() {
                _ if !a.stored => "",
                Some("audio") => "audio",
                Some("video") => "video",
                _ => "",
            },
            voice: a.voice,
            caption: a.caption.clone(),
        }
    }
}

/// "attachment x is over…" reads as a sentence.
fn sentence(note: &str) -> String {
    let mut chars = note.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An agent's message or note as HTML, rendered from its Markdown by
/// [`crate::domain::markdown::render::html`], which escapes every character typed and
/// writes only its own few elements: the one HTML a template may print unescaped.
pub struct Rich(String);

impl Rich {
    pub fn of(markdown: &str) -> Rich {
        Rich(crate::domain::markdown::render::html(markdown))
    }
}

impl std::fmt::Display for Rich {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Rich {}

/// One timeline entry, ready to show.
pub struct ItemView {
    /// `in`, `out`, `note` or `event`.
    pub kind: &'static str,
    pub id: u64,
    pub text: String,
    /// Agents' messages and notes: their formatting.
    pub rich: Option<Rich>,
    pub author: String,
    pub at: TimeView,
    pub status: &'static str,
    pub status_label: String,
    /// Each status reached: its code, its name and when.
    pub status_times: Vec<(&'static str, String, TimeView)>,
    pub error: Option<String>,
    /// Mail only: subject, trimmed history, HTML version.
    pub mail: Option<MailView>,
    /// The files listed under the text (inline images live in the HTML version).
    pub attachments: Vec<AttachmentView>,
    pub notes: Vec<String>,
    /// Went by email (labelled in website chats, where it is not the default).
    pub via_email: bool,
    /// Written by someone other than the conversation's contact (their address).
    pub other_sender: Option<String>,
}

impl ItemView {
    /// `contact` names the conversation's contact (`contact_id`) for its own messages.
    pub fn new(
        l: &L10n,
        it: &TimelineItem,
        contact: &str,
        contact_id: ContactId,
        dir: &Directory,
    ) -> Self {
        match it {
            TimelineItem::Message(m) => ItemView {
                kind: match m.direction {
                    _ if m.transcript => "transcript",
                    Direction::Inbound => "in",
                    Direction::Outbound => "out",
                    Direction::Note => "note",
                },
                id: m.id.0,
                text: m.content.clone(),
                rich: (m.author.is_some() && !m.transcript).then(|| Rich::of(&m.content)),
                author: match (m.author, &m.sender) {
                    (Some(a), _) => dir.agent_name(a),
                    // Someone other than the conversation's contact shows as themselves.
                    (None, Some(s)) if s.contact != contact_id => s.display_name(),
                    (None, _) => contact.to_string(),
                },
                other_sender: m
                    .sender
                    .as_ref()
                    .filter(|s| m.author.is_none() && s.contact != contact_id)
                    .map(|s| s.address.clone().unwrap_or_else(|| s.display_name())),
                at: TimeView::new(l, m.created_at),
                status: m.status.as_str(),
                status_label: labels::delivery(l, m.status.as_str()),
                status_times: m
                    .status_times
                    .iter()
                    .map(|(s, t)| {
                        (
                            s.as_str(),
                            labels::delivery(l, s.as_str()),
                            TimeView::new(l, *t),
                        )
                    })
                    .collect(),
                error: m.error.clone(),
                mail: m.email.as_ref().map(|e| MailView::new(l, e)),
                attachments: {
                    let has_html = m.email.as_ref().is_some_and(|e| e.has_html);
                    m.attachments
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| !a.inline || !has_html)
                        .map(|(n, a)| AttachmentView::new(l, n, a))
                        .collect()
                },
                notes: m.notes.iter().map(|n| sentence(n)).collect(),
                via_email: m.by_email(),
            },
            TimelineItem::Event(id, e) => ItemView {
                kind: "event",
                id: id.0,
                text: event_text(l, e, dir),
                rich: None,
                author: String::new(),
                at: TimeView::new(l, e.at),
                status: "",
                status_label: String::new(),
                status_times: vec![],
                error: None,
                mail: None,
                attachments: vec![],
                notes: vec![],
                via_email: false,
                other_sender: None,
            },
        }
    }
}

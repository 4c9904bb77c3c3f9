//! The one shape every channel has (see `docs/channels.md`). A provider module turns a
//! raw request into domain events after checking its signature on the raw bytes, turns
//! a domain message into the provider's request, and reads the provider's answer into a
//! provider id or a classified error. It does no I/O of its own: `channels::http` sends
//! what it builds, through the one address policy.

use crate::domain::Timestamp;
pub use crate::domain::contact::Identity;
pub use crate::domain::markdown::render::TextMarkup;
use crate::domain::message::DeliveryStatus;
use std::time::Duration;

/// One request as it reached us, before anything trusted it.
#[derive(Debug, Clone, Default)]
pub struct RawRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The full public URL the provider called (`server.public_url` + path + query):
    /// what Twilio signs.
    pub url: String,
    /// The query string, without `?`.
    pub query: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The query string's pairs, decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_str(&self.query).unwrap_or_default()
    }
}

/// What a verified webhook request asks of us.
#[derive(Debug, Clone, PartialEq)]
pub enum Accepted {
    /// A subscription handshake: answer `200` with this body.
    Challenge(String),
    /// Events to store; answer `200` once they are durable.
    Events(Vec<InboundEvent>),
}

/// Why a webhook request was not accepted. Nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Signature or secret token missing or wrong: 401.
    Unauthorized(String),
    /// A handshake with the wrong verify token: 403.
    Forbidden(String),
    /// Not a request this channel understands: 400.
    BadRequest(String),
}

/// Something a provider told us.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundEvent {
    Message(InboundMessage),
    Status(StatusUpdate),
    Profile(ProfileUpdate),
}

/// One inbound message as the provider described it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    /// The provider's id (wamid, MessageSid, mid, Telegram's update_id): the dedupe key.
    pub source_id: String,
    /// Who wrote it.
    pub from: Identity,
    /// The name the channel gave for the sender, if any.
    pub name: Option<String>,
    /// The text (a caption for media, a readable line for what has no text).
    pub text: String,
    /// The provider's own time for the message.
    pub at: Option<Timestamp>,
    /// Files to fetch from the provider and store with the message.
    pub media: Vec<MediaRef>,
}

/// A kind of file a channel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Audio,
    /// A voice note (recorded in the app).
    Voice,
    Video,
    Document,
    Sticker,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
            MediaKind::Voice => "voice",
            MediaKind::Video => "video",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }
}

/// A file the provider holds for an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRef {
    pub kind: MediaKind,
    /// What the provider names it by: a media id (WhatsApp, Telegram `file_id`) or a URL
    /// (Twilio, Messenger). The provider module knows how to turn it into a request.
    pub locator: String,
    pub mime: Option<String>,
    pub filename: Option<String>,
}

/// A delivery status callback for one of our outgoing messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub target: StatusTarget,
    pub status: DeliveryStatus,
    /// For `failed`: the provider's code and words.
    pub error: Option<ProviderError>,
    pub at: Option<Timestamp>,
}

/// Which outgoing messages a status is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusTarget {
    /// The one message the provider accepted under this id.
    Message(String),
    /// Every outgoing message to `recipient` sent at or before `watermark` (Messenger's
    /// delivery and read watermarks).
    UpTo {
        recipient: Identity,
        watermark: Timestamp,
    },
}

/// A provider's error: its code and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub code: String,
    pub text: String,
}

impl ProviderError {
    /// `"<text> (<code>)"`, what agents see on a failed message.
    pub fn display(&self) -> String {
        match (self.code.is_empty(), self.text.is_empty()) {
            (true, _) => self.text.clone(),
            (false, true) => format!("error {}", self.code),
            (false, false) => format!("{} ({})", self.text, self.code),
        }
    }
}

/// A contact's name learned from the provider (Messenger's profile endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub who: Identity,
    pub name: String,
}

/// One message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    /// The recipient on this channel.
    pub to: Identity,
    pub text: String,
    /// Files to send, each at a URL the provider can fetch (or, for providers that
    /// upload, the bytes are read from there by the sender).
    pub media: Vec<OutboundMedia>,
    /// An approved template instead of free text.
    pub template: Option<Template>,
    /// Where the messaging window stands, for channels that must say (Messenger's
    /// `messaging_type`).
    pub window: WindowState,
}

/// A file to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMedia {
    pub kind: MediaKind,
    pub url: String,
    pub mime: String,
    pub filename: String,
}

/// Why a file cannot go on a channel, found before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRefusal {
    /// The channel does not carry files of this type.
    Type,
    /// Larger than the channel carries for this kind of file (its limit in bytes).
    TooLarge(u64),
}

/// The kind a file of type `mime` is sent as where the channel carries every kind: a
/// recorded voice note (`voice`) as one, then by the type's family; the rest documents.
pub fn media_kind(mime: &str, voice: bool) -> MediaKind {
    match mime.split('/').next().unwrap_or("") {
        _ if voice => MediaKind::Voice,
        "image" => MediaKind::Image,
        "audio" => MediaKind::Audio,
        "video" => MediaKind::Video,
        _ => MediaKind::Document,
    }
}

/// How a file goes on a channel that has `caps`: its own kind when the channel carries
/// it (a voice note as audio where there are none), else as a document when the
/// channel carries documents; within the channel's size limit.
pub fn kind_by_capabilities(
    caps: &Capabilities,
    mime: &str,
    size: u64,
    voice: bool,
) -> Result<MediaKind, FileRefusal> {
    let mut kind = media_kind(mime, voice);
    if kind == MediaKind::Voice && !caps.voice_notes {
        kind = MediaKind::Audio;
    }
    if !caps.media.contains(&kind) {
        if !caps.media.contains(&MediaKind::Document) {
            return Err(FileRefusal::Type);
        }
        kind = MediaKind::Document;
    }
    if size > caps.max_media_bytes {
        return Err(FileRefusal::TooLarge(caps.max_media_bytes));
    }
    Ok(kind)
}

/// An approved template (WhatsApp) with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub name: String,
    pub language: String,
    /// The body's parameters, in order.
    pub parameters: Vec<String>,
    /// A media header's file (image or document), sent as the header's parameter.
    pub header: Option<TemplateHeader>,
    /// A text header's `{{1}}` (WhatsApp), sent as the header's text parameter.
    pub header_text: Option<String>,
    /// URL buttons' `{{1}}` suffixes (WhatsApp): the button's index and the suffix.
    pub url_buttons: Vec<(u32, String)>,
}

/// The file a template's media header shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateHeader {
    pub kind: MediaKind,
    pub url: String,
}

/// Where a contact's messaging window stands at send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowState {
    /// The channel has no window.
    None,
    /// Inside the standard window (24 h).
    Open,
    /// Past the standard window but inside the tag's (Messenger HUMAN_AGENT, 7 days).
    Tagged,
    /// Closed: only a template may go.
    Closed,
}

/// Why a send did not go, classified for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Try again later (network, 5xx, 429), after the provider's hint when it gave one.
    RetryLater {
        after: Option<Duration>,
        reason: String,
    },
    /// Will not go by retrying: the provider's code and words.
    Permanent(ProviderError),
    /// The provider refused because the messaging window is closed.
    OutsideWindow(String),
}

impl SendError {
    /// The words agents see.
    pub fn text(&self) -> String {
        match self {
            SendError::RetryLater { reason, .. } => reason.clone(),
            SendError::Permanent(e) => e.display(),
            SendError::OutsideWindow(t) => t.clone(),
        }
    }
}

/// What a channel can do. Services and pages ask this; they never match on providers.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// Kinds of files it carries (both ways), and the largest it accepts.
    pub media: &'static [MediaKind],
    pub max_media_bytes: u64,
    /// Voice notes as their own kind.
    pub voice_notes: bool,
    /// The messaging window, when replies are limited to one.
    pub window: Option<Window>,
    /// Approved templates can be sent (outside the window, and to start).
    pub templates: bool,
    /// The delivery statuses the provider reports at all.
    pub statuses: &'static [DeliveryStatus],
    /// The longest text one message may carry (characters).
    pub max_text: usize,
    /// Whether an agent can start a conversation with a new contact here.
    pub can_start: bool,
    /// How the agent's formatting (the composer's Markdown) reaches the customer.
    pub markup: TextMarkup,
}

/// A messaging window: free-form replies only within `hours` of the contact's last
/// message, or `tag_hours` when a tag that extends it is enabled for the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub hours: u32,
    pub tag_hours: Option<u32>,
}

impl Window {
    /// Where the window stands at `now` for a contact last heard from at `last_inbound`
    /// (`None`: never), with the tag enabled or not.
    pub fn state(self, last_inbound: Option<Timestamp>, now: Timestamp, tag: bool) -> WindowState {
        let Some(last) = last_inbound else {
            return WindowState::Closed;
        };
        let elapsed = now.0.saturating_sub(last.0);
        let hours = |h: u32| i64::from(h) * 3_600_000;
        if elapsed < hours(self.hours) {
            WindowState::Open
        } else if tag && self.tag_hours.is_some_and(|h| elapsed < hours(h)) {
            WindowState::Tagged
        } else {
            WindowState::Closed
        }
    }

    /// When the window (the tagged one when `tag`) closes, for a contact last heard from
    /// at `last_inbound`.
    pub fn closes_at(self, last_inbound: Timestamp, tag: bool) -> Timestamp {
        let h = match (tag, self.tag_hours) {
            (true, Some(t)) => t.max(self.hours),
            _ => self.hours,
        };
        last_inbound.plus_secs(i64::from(h) * 3600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Window = Window {
        hours: 24,
        tag_hours: Some(168),
    };

    #[test]
    fn window_opens_with_the_last_message_and_closes_after_its_hours() {
        let last = Timestamp(1_000_000);
        let h = |n: i64| Timestamp(last.0 + n * 3_600_000);
        assert_eq!(W.state(None, h(0), true), WindowState::Closed);
        assert_eq!(W.state(Some(last), h(23), false), WindowState::Open);
        assert_eq!(W.state(Some(last), h(24), false), WindowState::Closed);
        assert_eq!(W.state(Some(last), h(24), true), WindowState::Tagged);
        assert_eq!(W.state(Some(last), h(167), true), WindowState::Tagged);
        assert_eq!(W.state(Some(last), h(168), true), WindowState::Closed);
        assert_eq!(W.closes_at(last, false), h(24));
        assert_eq!(W.closes_at(last, true), h(168));
    }

    #[test]
    fn provider_errors_read_as_words_then_code() {
        let e = ProviderError {
            code: "21610".into(),
            text: "The recipient replied STOP".into(),
        };
        assert_eq!(e.display(), "The recipient replied STOP (21610)");
    }
}

//! The trait every messaging provider implements: pure functions from raw requests and
//! answers to domain events, and from domain messages to requests. The service and the
//! workers drive them (and do the I/O through `channels::http`); pages ask
//! [`Provider::capabilities`] and never match on a provider's name.

use super::http::{HttpRequest, HttpResponse};
use super::seam::{
    Accepted, Capabilities, FileRefusal, InboundEvent, MediaKind, MediaRef, OutboundMessage,
    RawRequest, Refused, SendError,
};
use crate::domain::Timestamp;

/// The next step of fetching one inbound file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaStep {
    /// Another request to make (WhatsApp: the media id's JSON names the file's URL).
    Then(HttpRequest),
    /// The file, with the type the provider declared.
    Done {
        bytes: Vec<u8>,
        mime: Option<String>,
    },
}

/// What one long poll brought (Telegram `getUpdates`).
#[derive(Debug, Clone, PartialEq)]
pub struct Polled {
    /// Each update's events with its position: the offset to store once they are
    /// durable (so a crash re-reads them and dedupe drops what was stored).
    pub updates: Vec<(u64, Vec<InboundEvent>)>,
}

/// One messaging provider, configured for one inbox (its secrets already opened).
pub trait Provider: Send + Sync {
    /// What the channel can do.
    fn capabilities(&self) -> Capabilities;

    /// Verifies a webhook request on its raw bytes and reads it. `now` stands in for
    /// providers that give no time of their own.
    fn receive(&self, req: &RawRequest, now: Timestamp) -> Result<Accepted, Refused>;

    /// The request that sends `msg`, or why it cannot go (too long, a kind of file the
    /// channel does not carry, outside the window).
    fn send(&self, msg: &OutboundMessage) -> Result<HttpRequest, SendError>;

    /// The messages `msg` goes as, each sent with [`Provider::send`]: `msg` itself unless
    /// the channel carries one file per message (WhatsApp, Messenger), where the text and
    /// each file become their own part, in order.
    fn parts(&self, msg: &OutboundMessage) -> Vec<OutboundMessage> {
        vec![msg.clone()]
    }

    /// How a file of type `mime`, `size` bytes (`voice`: a recorded voice note) goes on
    /// this channel as native media, or why it cannot: checked when the agent sends, so
    /// nothing goes that the provider would refuse later.
    fn media_kind(&self, mime: &str, size: u64, voice: bool) -> Result<MediaKind, FileRefusal> {
        super::seam::kind_by_capabilities(&self.capabilities(), mime, size, voice)
    }

    /// Whether files go as signed download links in the text (SMS) rather than as media.
    fn files_as_links(&self) -> bool {
        false
    }

    /// Whether files go up with the request (`multipart/form-data`, Telegram) rather than
    /// by a link the provider fetches: `OutboundMedia.url` is then `upload:` and the
    /// stored file's locator, and the sender streams its bytes.
    fn uploads_files(&self) -> bool {
        false
    }

    /// Reads the answer to [`Provider::send`]: the provider's id for the message.
    fn sent(&self, resp: &HttpResponse) -> Result<String, SendError>;

    /// The first request that fetches an inbound file.
    fn fetch_media(&self, media: &MediaRef) -> HttpRequest;

    /// Reads an answer while fetching a file: the bytes, or the next request.
    fn media_step(&self, media: &MediaRef, resp: &HttpResponse) -> Result<MediaStep, String>;

    /// One harmless authenticated request that shows the settings work ("Test connection").
    fn probe(&self) -> HttpRequest;

    /// Reads the probe's answer: what was found, in words ("WhatsApp number +1 555…"),
    /// or what is wrong.
    fn probed(&self, resp: &HttpResponse) -> Result<String, String>;

    /// For providers read by long polling: the request for updates after `offset`.
    fn poll(&self, _offset: u64) -> Option<HttpRequest> {
        None
    }

    /// Reads a poll's answer.
    fn polled(&self, _resp: &HttpResponse, _now: Timestamp) -> Result<Polled, SendError> {
        Ok(Polled { updates: vec![] })
    }

    /// The request that fetches a sender's name once (Messenger's profile endpoint).
    fn profile(&self, _who: &super::seam::Identity) -> Option<HttpRequest> {
        None
    }

    /// Reads the profile answer into a display name.
    fn profiled(&self, _resp: &HttpResponse) -> Option<String> {
        None
    }
}

//! WhatsApp Cloud API (Meta's Graph API): notifications signed with the app secret,
//! messages sent with `POST /{phone-number-id}/messages` and the access token, files
//! fetched by media id. Pure: `channels::http` does the I/O.

mod inbound;
mod outbound;
pub mod templates;

use super::http::{HttpRequest, HttpResponse};
use super::meta;
use super::provider::{MediaStep, Provider};
use super::seam::{
    Accepted, Capabilities, FileRefusal, MediaKind, MediaRef, OutboundMessage, RawRequest, Refused,
    SendError, Window,
};
use crate::domain::Timestamp;
use crate::domain::message::DeliveryStatus;

/// Graph's public address, with the API version Charla was written against.
pub const DEFAULT_API_BASE: &str = "https://graph.facebook.com/v21.0";

/// One WhatsApp Cloud inbox's settings (secrets already opened).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The business phone number's id (not the number itself).
    pub phone_number_id: String,
    /// A system user's access token with `whatsapp_business_messaging`.
    pub access_token: String,
    /// The Meta app's secret, which signs notifications.
    pub app_secret: String,
    /// The token typed in the app's webhook settings, echoed in the handshake.
    pub verify_token: String,
    /// Graph's base URL with its version; empty means [`DEFAULT_API_BASE`].
    pub api_base: String,
}

impl Config {
    /// The base URL without a trailing `/`.
    pub fn base(&self) -> &str {
        let b = self.api_base.trim().trim_end_matches('/');
        if b.is_empty() { DEFAULT_API_BASE } else { b }
    }
}

// Tokens and the app secret are never printed.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("whatsapp::Config")
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &"<redacted>")
            .field("app_secret", &"<redacted>")
            .field("verify_token", &"<redacted>")
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// The WhatsApp Cloud API provider for one inbox.
#[derive(Debug, Clone)]
pub struct WhatsApp {
    cfg: Config,
}

impl WhatsApp {
    /// The provider for an inbox with these settings.
    pub fn new(cfg: Config) -> WhatsApp {
        WhatsApp { cfg }
    }
}

/// What WhatsApp carries: every kind of file (documents up to 100 MB; Meta itself
/// refuses images over 5 MB and audio or video over 16 MB, with an error shown on the
/// message), replies within 24 hours of the customer's last message and approved
/// templates at any time.
pub const CAPABILITIES: Capabilities = Capabilities {
    media: &[
        MediaKind::Image,
        MediaKind::Audio,
        MediaKind::Voice,
        MediaKind::Video,
        MediaKind::Document,
        MediaKind::Sticker,
    ],
    max_media_bytes: 100 * 1024 * 1024,
    voice_notes: true,
    window: Some(Window {
        hours: 24,
        tag_hours: None,
    }),
    templates: true,
    statuses: &[
        DeliveryStatus::Sent,
        DeliveryStatus::Delivered,
        DeliveryStatus::Read,
        DeliveryStatus::Failed,
    ],
    max_text: outbound::MAX_TEXT,
    can_start: true,
    markup: crate::channels::seam::TextMarkup::WhatsApp,
};

impl Provider for WhatsApp {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn receive(&self, req: &RawRequest, _now: Timestamp) -> Result<Accepted, Refused> {
        match req.method.as_str() {
            "GET" => meta::handshake(req, &self.cfg.verify_token),
            "POST" => {
                let body = meta::notification(req, &self.cfg.app_secret)?;
                inbound::events(&body).map(Accepted::Events)
            }
            other => Err(Refused::BadRequest(format!(
                "{other} is not a webhook method"
            ))),
        }
    }

    fn send(&self, msg: &OutboundMessage) -> Result<HttpRequest, SendError> {
        outbound::send(&self.cfg, msg)
    }

    fn parts(&self, msg: &OutboundMessage) -> Vec<OutboundMessage> {
        outbound::parts(msg)
    }

    fn media_kind(&self, mime: &str, size: u64, voice: bool) -> Result<MediaKind, FileRefusal> {
        outbound::media_kind(mime, size, voice)
    }

    fn sent(&self, resp: &HttpResponse) -> Result<String, SendError> {
        outbound::sent(resp)
    }

    fn fetch_media(&self, media: &MediaRef) -> HttpRequest {
        outbound::fetch_media(&self.cfg, media)
    }

    fn media_step(&self, media: &MediaRef, resp: &HttpResponse) -> Result<MediaStep, String> {
        outbound::media_step(&self.cfg, media, resp)
    }

    fn probe(&self) -> HttpRequest {
        HttpRequest::get(format!(
            "{}/{}?fields=display_phone_number,verified_name",
            self.cfg.base(),
            meta::segment(&self.cfg.phone_number_id)
        ))
        .bearer(&self.cfg.access_token)
    }

    fn probed(&self, resp: &HttpResponse) -> Result<String, String> {
        if !resp.is_success() {
            return Err(meta::probe_failure(resp, "the phone number id"));
        }
        let v = resp.json().unwrap_or_default();
        let number = meta::text(v.get("display_phone_number"))
            .ok_or("Graph's answer names no display_phone_number")?;
        Ok(match meta::text(v.get("verified_name")) {
            Some(name) => format!("WhatsApp number {number} ({name})"),
            None => format!("WhatsApp number {number}"),
        })
    }
}

#[cfg(test)]
mod tests;

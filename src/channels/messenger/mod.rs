//! Facebook Messenger (Meta's Graph API) for one page: notifications signed with the
//! app secret, replies with `POST /me/messages` and the page access token, inside the
//! 24-hour window or, when the admin enabled it, with the HUMAN_AGENT tag up to 7 days.
//! Pure: `channels::http` does the I/O.

mod inbound;
mod outbound;

use super::http::{HttpRequest, HttpResponse};
use super::meta;
use super::provider::{MediaStep, Provider};
use super::seam::{
    Accepted, Capabilities, Identity, MediaKind, MediaRef, OutboundMessage, RawRequest, Refused,
    SendError, Window,
};
use crate::domain::Timestamp;
use crate::domain::message::DeliveryStatus;

pub use super::whatsapp::DEFAULT_API_BASE;

/// One Messenger inbox's settings (secrets already opened).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The Facebook page's id.
    pub page_id: String,
    /// A page access token with `pages_messaging`.
    pub page_access_token: String,
    /// The Meta app's secret, which signs notifications.
    pub app_secret: String,
    /// The token typed in the app's webhook settings, echoed in the handshake.
    pub verify_token: String,
    /// Whether the admin enabled the HUMAN_AGENT tag (replies up to 7 days).
    pub human_agent_tag: bool,
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
        f.debug_struct("messenger::Config")
            .field("page_id", &self.page_id)
            .field("page_access_token", &"<redacted>")
            .field("app_secret", &"<redacted>")
            .field("verify_token", &"<redacted>")
            .field("human_agent_tag", &self.human_agent_tag)
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// The Messenger provider for one page.
#[derive(Debug, Clone)]
pub struct Messenger {
    cfg: Config,
}

impl Messenger {
    /// The provider for an inbox with these settings.
    pub fn new(cfg: Config) -> Messenger {
        Messenger { cfg }
    }
}

impl Provider for Messenger {
    /// Images, audio, video and files up to 25 MB; replies within 24 hours of the
    /// person's last message, 7 days with HUMAN_AGENT; delivered and read watermarks.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            media: &[
                MediaKind::Image,
                MediaKind::Audio,
                MediaKind::Video,
                MediaKind::Document,
            ],
            max_media_bytes: 25 * 1024 * 1024,
            voice_notes: false,
            window: Some(Window {
                hours: 24,
                tag_hours: self.cfg.human_agent_tag.then_some(168),
            }),
            templates: false,
            statuses: &[DeliveryStatus::Delivered, DeliveryStatus::Read],
            max_text: outbound::MAX_TEXT,
            can_start: false,
            markup: crate::channels::seam::TextMarkup::Plain,
        }
    }

    fn receive(&self, req: &RawRequest, _now: Timestamp) -> Result<Accepted, Refused> {
        match req.method.as_str() {
            "GET" => meta::handshake(req, &self.cfg.verify_token),
            "POST" => {
                let body = meta::notification(req, &self.cfg.app_secret)?;
                inbound::events(&body, &self.cfg.page_id).map(Accepted::Events)
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

    fn sent(&self, resp: &HttpResponse) -> Result<String, SendError> {
        outbound::sent(resp)
    }

    /// Attachment URLs are public CDN addresses: fetched as they are, without the token.
    fn fetch_media(&self, media: &MediaRef) -> HttpRequest {
        HttpRequest::get(media.locator.clone())
    }

    fn media_step(&self, media: &MediaRef, resp: &HttpResponse) -> Result<MediaStep, String> {
        if !resp.is_success() {
            return Err(format!(
                "Messenger's file address answered HTTP {}",
                resp.status
            ));
        }
        Ok(MediaStep::Done {
            bytes: resp.body.clone(),
            mime: resp
                .header("content-type")
                .map(str::to_string)
                .or_else(|| media.mime.clone()),
        })
    }

    fn probe(&self) -> HttpRequest {
        HttpRequest::get(format!(
            "{}/{}?fields=name",
            self.cfg.base(),
            meta::segment(&self.cfg.page_id)
        ))
        .bearer(&self.cfg.page_access_token)
    }

    fn probed(&self, resp: &HttpResponse) -> Result<String, String> {
        if !resp.is_success() {
            return Err(meta::probe_failure(resp, "the page"));
        }
        let v = resp.json().unwrap_or_default();
        let name = meta::text(v.get("name")).ok_or("Graph's answer names no page")?;
        Ok(format!("Facebook page {name}"))
    }

    fn profile(&self, who: &Identity) -> Option<HttpRequest> {
        let Identity::Messenger(psid) = who else {
            return None;
        };
        Some(
            HttpRequest::get(format!(
                "{}/{}?fields=first_name,last_name",
                self.cfg.base(),
                meta::segment(psid)
            ))
            .bearer(&self.cfg.page_access_token),
        )
    }

    fn profiled(&self, resp: &HttpResponse) -> Option<String> {
        if !resp.is_success() {
            return None;
        }
        let v = resp.json()?;
        meta::text(v.get("name")).or_else(|| {
            let full = ["first_name", "last_name"]
                .iter()
                .filter_map(|f| meta::text(v.get(*f)))
                .collect::<Vec<_>>()
                .join(" ");
            (!full.is_empty()).then_some(full)
        })
    }
}

#[cfg(test)]
mod tests;

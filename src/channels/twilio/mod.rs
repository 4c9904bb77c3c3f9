//! Twilio Programmable Messaging: SMS, MMS, RCS and WhatsApp through Twilio, one
//! inbox per sender.
//!
//! - Inbound messages and status callbacks arrive form-encoded, signed with
//!   `X-Twilio-Signature` (see [`signature`]); [`inbound`] verifies and reads them.
//! - Sends are `POST /2010-04-01/Accounts/{sid}/Messages.json` with basic auth;
//!   [`outbound`] builds them and classifies Twilio's answers.
//! - Inbound files are Twilio URLs fetched with basic auth that answer a redirect to
//!   storage; our client follows no redirect (address policy), so the redirect is a
//!   second step ([`Provider::media_step`]).
//!
//! RCS is not a configuration of its own: an SMS inbox whose `from` is an RCS sender
//! (`rcs:<sender id>`) sends to `rcs:+E164` addresses and receives from them. Rich
//! media of RCS messages arrive as ordinary attachments (`MediaUrlN`), rich cards and
//! suggestions as their text, and Twilio itself falls back to SMS/MMS when the
//! recipient's device cannot take RCS (with a Messaging Service as `from`). So RCS has
//! the SMS capabilities here.

use super::http::{HttpRequest, HttpResponse};
use super::provider::{MediaStep, Provider};
use super::seam::{
    Accepted, Capabilities, MediaKind, MediaRef, OutboundMessage, RawRequest, Refused, SendError,
    Window,
};
use crate::domain::Timestamp;
use crate::domain::message::DeliveryStatus;
use base64::Engine;

pub mod inbound;
pub mod outbound;

#[cfg(test)]
mod tests;

/// Twilio's public REST endpoint.
pub const DEFAULT_API_BASE: &str = "https://api.twilio.com";

/// One Twilio sender's settings (secrets already opened).
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// `AC…`: the account the sender belongs to (basic-auth user).
    pub account_sid: String,
    /// The account's auth token: basic-auth password and the webhook signing key.
    pub auth_token: String,
    /// The sender: an E.164 number (`+15017122661`), `whatsapp:+E164`, an RCS sender
    /// (`rcs:<sender id>`) or a Messaging Service SID (`MG…`).
    pub from: String,
    /// Where the REST API is (default [`DEFAULT_API_BASE`]), without a trailing `/`.
    pub api_base: String,
    /// The URL Twilio posts delivery statuses to, given with every send.
    pub status_callback: Option<String>,
    /// A WhatsApp-through-Twilio inbox: addresses are `whatsapp:+E164`.
    pub whatsapp: bool,
}

// The auth token signs webhooks and opens the account: never printed.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("from", &self.from)
            .field("api_base", &self.api_base)
            .field("status_callback", &self.status_callback)
            .field("whatsapp", &self.whatsapp)
            .finish()
    }
}

/// The Twilio provider for one inbox.
#[derive(Debug, Clone)]
pub struct Twilio {
    config: Config,
}

impl Twilio {
    /// The provider for `config` (a trailing `/` on `api_base` is dropped; an empty
    /// one means Twilio's public endpoint).
    pub fn new(mut config: Config) -> Twilio {
        let base = config.api_base.trim().trim_end_matches('/');
        config.api_base = if base.is_empty() {
            DEFAULT_API_BASE.to_string()
        } else {
            base.to_string()
        };
        Twilio { config }
    }

    /// The settings in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `{api_base}/2010-04-01/Accounts/{sid}` and `rest`.
    fn account_url(&self, rest: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}{rest}",
            self.config.api_base, self.config.account_sid
        )
    }
}

/// SMS/MMS (and RCS): MMS carries images (JPEG, PNG and GIF are formatted on every
/// handset), and audio, video, PDF and vCard files that Twilio accepts and passes on,
/// up to 5 MB per message and 10 files. RCS media may reach 16 MB, but a message that
/// falls back to MMS is refused above 5 MB, so RCS keeps the MMS limit.
const SMS_MEDIA: &[MediaKind] = &[
    MediaKind::Image,
    MediaKind::Audio,
    MediaKind::Video,
    MediaKind::Document,
];

/// WhatsApp through Twilio: images (JPEG, PNG, WebP), audio (OGG, AMR, 3GP, AAC,
/// MPEG), MP4 video, documents (PDF and office files), and stickers on the way in, up
/// to 16 MB a message (Twilio limits images alone to 5 MB), one file per message.
const WHATSAPP_MEDIA: &[MediaKind] = &[
    MediaKind::Image,
    MediaKind::Audio,
    MediaKind::Video,
    MediaKind::Document,
    MediaKind::Sticker,
];

/// The longest body Twilio accepts (it splits it into segments itself).
pub const MAX_TEXT: usize = 1600;

impl Provider for Twilio {
    fn capabilities(&self) -> Capabilities {
        if self.config.whatsapp {
            Capabilities {
                media: WHATSAPP_MEDIA,
                max_media_bytes: 16 * 1024 * 1024,
                voice_notes: false,
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
                max_text: MAX_TEXT,
                can_start: true,
                markup: crate::channels::seam::TextMarkup::WhatsApp,
            }
        } else {
            Capabilities {
                media: SMS_MEDIA,
                max_media_bytes: 5 * 1024 * 1024,
                voice_notes: false,
                window: None,
                templates: false,
                statuses: &[
                    DeliveryStatus::Sent,
                    DeliveryStatus::Delivered,
                    DeliveryStatus::Failed,
                ],
                max_text: MAX_TEXT,
                can_start: true,
                markup: crate::channels::seam::TextMarkup::Plain,
            }
        }
    }

    fn receive(&self, req: &RawRequest, now: Timestamp) -> Result<Accepted, Refused> {
        inbound::receive(&self.config, req, now)
    }

    fn send(&self, msg: &OutboundMessage) -> Result<HttpRequest, SendError> {
        outbound::send(&self.config, &self.account_url("/Messages.json"), msg)
    }

    /// Files go as signed links in the text (seed 000): every phone opens a link, while
    /// MMS reaches only some carriers and sizes.
    fn files_as_links(&self) -> bool {
        true
    }

    fn sent(&self, resp: &HttpResponse) -> Result<String, SendError> {
        outbound::sent(resp)
    }

    fn fetch_media(&self, media: &MediaRef) -> HttpRequest {
        outbound::fetch_media(&self.config, media)
    }

    fn media_step(&self, media: &MediaRef, resp: &HttpResponse) -> Result<MediaStep, String> {
        outbound::media_step(media, resp)
    }

    fn probe(&self) -> HttpRequest {
        HttpRequest::get(self.account_url(".json"))
            .basic(&self.config.account_sid, &self.config.auth_token)
    }

    fn probed(&self, resp: &HttpResponse) -> Result<String, String> {
        outbound::probed(&self.config, resp)
    }
}

/// Twilio's request signature: base64 of the HMAC-SHA1, keyed with the auth token, of
/// `url` followed by every POST parameter's name and value, sorted by name (and by
/// value for a repeated name). What `X-Twilio-Signature` carries.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD.encode(mac(auth_token, url, params).as_ref())
}

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> ring::hmac::Tag {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        auth_token.as_bytes(),
    );
    let mut ctx = ring::hmac::Context::with_key(&key);
    ctx.update(url.as_bytes());
    for (name, value) in sorted {
        ctx.update(name.as_bytes());
        ctx.update(value.as_bytes());
    }
    ctx.sign()
}

/// Twilio's error codes in words, for those an agent meets on a failed message.
pub fn error_words(code: u32) -> Option<&'static str> {
    Some(match code {
        20003 => "Twilio refused the account SID or auth token",
        20429 => "Twilio is receiving too many requests",
        21211 => "Invalid 'To' phone number",
        21408 => "Sending to this region is not enabled on the Twilio account",
        21610 => "The recipient replied STOP and unsubscribed from this number",
        21612 => "Twilio cannot route a message between these two numbers",
        21614 => "The 'To' number is not a mobile number",
        30003 => "The recipient's handset is unreachable (switched off or out of coverage)",
        30004 => "The message was blocked (the recipient blocked it or the carrier did)",
        30005 => "Unknown destination handset: the number does not exist on the carrier",
        30006 => "The number is a landline or its carrier does not take SMS",
        30007 => "The carrier filtered the message as spam or a rule violation",
        30008 => "The carrier reported an unknown error",
        63016 => "Outside the WhatsApp 24-hour window: only an approved template can be sent",
        _ => return None,
    })
}

/// The words for a Twilio error code as text: the known ones in words, else
/// `fallback` (Twilio's own message) or "Twilio error <code>".
pub fn error_text(code: &str, fallback: Option<&str>) -> String {
    if let Some(w) = code.parse().ok().and_then(error_words) {
        return w.to_string();
    }
    match fallback.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => format!("Twilio error {code}"),
    }
}

//! Telegram Bot API (<https://core.telegram.org/bots/api>): updates read by long polling
//! (`getUpdates`) or received on a webhook (`setWebhook` with a secret token), files
//! fetched with `getFile` then the file URL, replies sent with `sendMessage` and the
//! `send<Media>` methods by URL.
//!
//! Pure: it builds requests and reads answers. The bot token is part of every URL
//! (`{api_base}/bot{token}/{method}`), so no URL built here may ever be logged or put in
//! an error's words; [`HttpRequest`]'s `Debug` hides it, and so does [`Config`]'s.

mod inbound;
mod media;
mod outbound;
#[cfg(test)]
mod tests;

use super::http::{HttpRequest, HttpResponse};
use super::provider::{MediaStep, Polled, Provider};
use super::seam::{
    Accepted, Capabilities, FileRefusal, MediaKind, MediaRef, OutboundMessage, ProviderError,
    RawRequest, Refused, SendError,
};
use crate::domain::Timestamp;
use crate::domain::message::DeliveryStatus;
use serde_json::{Value, json};
use std::time::Duration;

/// The Bot API's public endpoint.
pub const DEFAULT_API_BASE: &str = "https://api.telegram.org";

/// How long one `getUpdates` long poll may be held open by Telegram, in seconds. The
/// HTTP timeout of a poll must be longer than this (see [`POLL_HTTP_TIMEOUT`]).
pub const POLL_TIMEOUT_SECS: u64 = 30;

/// The HTTP timeout to give a poll request: the long poll plus room for the answer.
pub const POLL_HTTP_TIMEOUT: Duration = Duration::from_secs(POLL_TIMEOUT_SECS + 15);

/// The update kinds asked for, in polling and webhook mode alike. Edits are asked for
/// because they are shown (an agent should not answer the uncorrected words).
pub const ALLOWED_UPDATES: &[&str] = &["message", "edited_message"];

/// The longest text of one message (the Bot API's 4096 characters, counted as it counts
/// them: UTF-16 code units).
pub const MAX_TEXT: usize = 4096;

/// The longest caption of a file.
pub const MAX_CAPTION: usize = 1024;

/// The largest file a bot can download with `getFile` (and send by URL, other than a
/// photo, which Telegram limits to 5 MB).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// One Telegram bot, as an inbox holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// `123456789:AA…` from @BotFather. Secret: it is the credential and part of URLs.
    pub bot_token: String,
    /// Default [`DEFAULT_API_BASE`]; a local Bot API server or a test fake otherwise.
    pub api_base: String,
    /// Set in webhook mode: Telegram sends it back in `X-Telegram-Bot-Api-Secret-Token`
    /// on every webhook request (1–256 of `A-Z a-z 0-9 _ -`, see [`valid_secret_token`]).
    pub secret_token: Option<String>,
}

// The token is the bot's whole credential; the secret token authenticates webhooks.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bot_token", &"<redacted>")
            .field("api_base", &self.api_base)
            .field(
                "secret_token",
                &self.secret_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Config {
    /// A polling bot on the public endpoint.
    pub fn new(bot_token: impl Into<String>) -> Config {
        Config {
            bot_token: bot_token.into(),
            api_base: DEFAULT_API_BASE.to_string(),
            secret_token: None,
        }
    }
}

/// Whether `s` is a secret token `setWebhook` accepts: 1–256 characters, only
/// `A-Z`, `a-z`, `0-9`, `_` and `-`.
pub fn valid_secret_token(s: &str) -> bool {
    (1..=256).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The Telegram provider for one inbox.
#[derive(Debug, Clone)]
pub struct Telegram {
    config: Config,
}

impl Telegram {
    /// A provider for `config`.
    pub fn new(config: Config) -> Telegram {
        Telegram { config }
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn base(&self) -> &str {
        self.config.api_base.trim().trim_end_matches('/')
    }

    /// `{api_base}/bot{token}/{method}`: secret, never logged.
    fn method_url(&self, method: &str) -> String {
        format!("{}/bot{}/{method}", self.base(), self.config.bot_token)
    }

    /// `{api_base}/file/bot{token}/{file_path}`: secret, never logged.
    fn file_url(&self, file_path: &str) -> String {
        format!(
            "{}/file/bot{}/{file_path}",
            self.base(),
            self.config.bot_token
        )
    }

    /// The request that switches the bot to webhook mode: Telegram will POST each update
    /// to `url` (public HTTPS) with the configured secret token, and `getUpdates` stops
    /// working until [`Telegram::delete_webhook`]. Read the answer with
    /// [`Telegram::confirmed`].
    pub fn set_webhook(&self, url: &str) -> HttpRequest {
        let mut body = json!({ "url": url, "allowed_updates": ALLOWED_UPDATES });
        if let Some(secret) = &self.config.secret_token {
            body["secret_token"] = json!(secret);
        }
        HttpRequest::post_json(self.method_url("setWebhook"), &body)
    }

    /// The request that switches the bot back to polling. Pending updates are kept, so
    /// nothing sent while switching is lost.
    pub fn delete_webhook(&self) -> HttpRequest {
        HttpRequest::post_json(
            self.method_url("deleteWebhook"),
            &json!({ "drop_pending_updates": false }),
        )
    }

    /// Reads the answer to [`Telegram::set_webhook`] or [`Telegram::delete_webhook`]:
    /// Telegram's own words ("Webhook was set"), or what is wrong.
    pub fn confirmed(&self, resp: &HttpResponse) -> Result<String, String> {
        match api_result(resp) {
            Ok(_) => Ok(resp
                .json()
                .and_then(|v| v["description"].as_str().map(str::to_string))
                .unwrap_or_else(|| "done".to_string())),
            Err(e) if e.unauthorized() => Err(REFUSED_TOKEN.to_string()),
            Err(e) => Err(e.description),
        }
    }
}

/// What a refused bot token reads as.
const REFUSED_TOKEN: &str = "Telegram refused the bot token";

/// The media kinds Telegram carries both ways.
const MEDIA: &[MediaKind] = &[
    MediaKind::Image,
    MediaKind::Document,
    MediaKind::Voice,
    MediaKind::Audio,
    MediaKind::Video,
];

impl Provider for Telegram {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            media: MEDIA,
            max_media_bytes: MAX_FILE_BYTES,
            voice_notes: true,
            window: None,
            templates: false,
            // The Bot API reports no delivery or read receipts to bots.
            statuses: &[DeliveryStatus::Sent],
            max_text: MAX_TEXT,
            // A bot cannot write to a user who has not started it first.
            can_start: false,
            markup: crate::channels::seam::TextMarkup::Plain,
        }
    }

    fn receive(&self, req: &RawRequest, _now: Timestamp) -> Result<Accepted, Refused> {
        inbound::receive(&self.config, req)
    }

    fn send(&self, msg: &OutboundMessage) -> Result<HttpRequest, SendError> {
        outbound::send(self, msg)
    }

    fn media_kind(&self, mime: &str, size: u64, voice: bool) -> Result<MediaKind, FileRefusal> {
        outbound::media_kind(mime, size, voice)
    }

    fn parts(&self, msg: &OutboundMessage) -> Vec<OutboundMessage> {
        outbound::parts(msg)
    }

    /// Files go up with the request: no public URL needed (a polling bot may have none).
    fn uploads_files(&self) -> bool {
        true
    }

    fn sent(&self, resp: &HttpResponse) -> Result<String, SendError> {
        outbound::sent(resp)
    }

    fn fetch_media(&self, media: &MediaRef) -> HttpRequest {
        media::fetch(self, media)
    }

    fn media_step(&self, media: &MediaRef, resp: &HttpResponse) -> Result<MediaStep, String> {
        media::step(self, media, resp)
    }

    fn probe(&self) -> HttpRequest {
        HttpRequest::get(self.method_url("getMe"))
    }

    fn probed(&self, resp: &HttpResponse) -> Result<String, String> {
        match api_result(resp) {
            Ok(me) => match me["username"].as_str() {
                Some(u) => Ok(format!("Telegram bot @{u}")),
                None => Err("Telegram answered getMe without the bot's username".into()),
            },
            Err(e) if e.unauthorized() => Err(REFUSED_TOKEN.to_string()),
            Err(e) => Err(e.description),
        }
    }

    /// `None` in webhook mode (a secret token is set): Telegram refuses `getUpdates`
    /// while a webhook is set, so such an inbox has nothing to poll.
    fn poll(&self, offset: u64) -> Option<HttpRequest> {
        if self.config.secret_token.is_some() {
            return None;
        }
        Some(inbound::poll(self, offset))
    }

    fn polled(&self, resp: &HttpResponse, _now: Timestamp) -> Result<Polled, SendError> {
        inbound::polled(resp)
    }
}

/// A Bot API error answer: `{"ok": false, "error_code", "description", "parameters"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ApiError {
    code: u16,
    description: String,
    retry_after: Option<u64>,
}

impl ApiError {
    /// 401 for a wrong token; 404 is what a token that is not even token-shaped gets.
    fn unauthorized(&self) -> bool {
        self.code == 401 || self.code == 404
    }

    /// Classified for the outbox and the poller.
    fn into_send_error(self) -> SendError {
        if self.code == 429 || self.code >= 500 {
            return SendError::RetryLater {
                after: self.retry_after.map(Duration::from_secs),
                reason: ProviderError {
                    code: self.code.to_string(),
                    text: self.description,
                }
                .display(),
            };
        }
        let text = if self.unauthorized() {
            REFUSED_TOKEN.to_string()
        } else {
            self.description
        };
        SendError::Permanent(ProviderError {
            code: self.code.to_string(),
            text,
        })
    }
}

/// The `result` of a Bot API answer, or its error. Every method answers the same
/// envelope; an answer that is not that envelope (a proxy's page) is read by its status.
fn api_result(resp: &HttpResponse) -> Result<Value, ApiError> {
    let body = resp.json().filter(|v| v["ok"].is_boolean());
    match body {
        Some(v) if v["ok"] == json!(true) && resp.is_success() => Ok(v["result"].clone()),
        Some(v) => Err(ApiError {
            code: v["error_code"]
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(resp.status),
            description: v["description"]
                .as_str()
                .map(|d| super::net::excerpt(d, 300))
                .unwrap_or_else(|| format!("Telegram answered HTTP {}", resp.status)),
            retry_after: v["parameters"]["retry_after"]
                .as_u64()
                .or_else(|| resp.retry_after().map(|d| d.as_secs())),
        }),
        None => Err(ApiError {
            code: if resp.is_success() { 502 } else { resp.status },
            description: format!(
                "Telegram answered HTTP {} without the Bot API's JSON",
                resp.status
            ),
            retry_after: resp.retry_after().map(|d| d.as_secs()),
        }),
    }
}

/// Constant-time comparison of two secrets (only the length may show).
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

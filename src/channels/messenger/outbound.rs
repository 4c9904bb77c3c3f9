//! Requests Messenger is sent: a text or one attachment by URL, with the messaging type
//! the window allows.

use super::Config;
use crate::channels::http::{HttpRequest, HttpResponse};
use crate::channels::meta;
use crate::channels::seam::{
    Identity, MediaKind, OutboundMessage, ProviderError, SendError, WindowState,
};
use serde_json::{Value, json};

/// The longest text message Messenger takes.
pub(super) const MAX_TEXT: usize = 2000;

fn permanent(text: impl Into<String>) -> SendError {
    SendError::Permanent(ProviderError {
        code: String::new(),
        text: text.into(),
    })
}

/// Messenger carries text or one attachment per message: the text goes first, then
/// each file.
pub(super) fn parts(msg: &OutboundMessage) -> Vec<OutboundMessage> {
    if msg.media.is_empty() {
        return vec![msg.clone()];
    }
    let mut out = Vec::new();
    if !msg.text.trim().is_empty() {
        out.push(OutboundMessage {
            media: vec![],
            ..msg.clone()
        });
    }
    for m in &msg.media {
        out.push(OutboundMessage {
            text: String::new(),
            media: vec![m.clone()],
            ..msg.clone()
        });
    }
    out
}

/// `messaging_type` (and tag) for where the window stands, or why nothing may go.
fn messaging_type(cfg: &Config, window: WindowState) -> Result<Value, SendError> {
    match window {
        WindowState::Open | WindowState::None => Ok(json!({"messaging_type": "RESPONSE"})),
        WindowState::Tagged if cfg.human_agent_tag => {
            Ok(json!({"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}))
        }
        WindowState::Tagged => Err(SendError::OutsideWindow(
            "More than 24 hours have passed since the person last wrote, and the \
             HUMAN_AGENT tag is not enabled for this inbox"
                .into(),
        )),
        WindowState::Closed => Err(SendError::OutsideWindow(if cfg.human_agent_tag {
            "More than 7 days have passed since the person last wrote: Messenger allows \
             no reply until they write again"
                .into()
        } else {
            "More than 24 hours have passed since the person last wrote: Messenger \
             allows no reply until they write again"
                .into()
        })),
    }
}

/// The request that sends one part (see [`parts`]).
pub(super) fn send(cfg: &Config, msg: &OutboundMessage) -> Result<HttpRequest, SendError> {
    let Identity::Messenger(psid) = &msg.to else {
        return Err(permanent(format!(
            "Messenger sends to the people who wrote to the page, not to a {} identity",
            msg.to.kind()
        )));
    };
    if msg.template.is_some() {
        return Err(permanent("Messenger has no message templates"));
    }
    let mut body = messaging_type(cfg, msg.window)?;
    body["recipient"] = json!({"id": psid});
    body["message"] = content(msg)?;
    let url = format!("{}/me/messages", cfg.base());
    Ok(HttpRequest::post_json(url, &body).bearer(&cfg.page_access_token))
}

fn content(msg: &OutboundMessage) -> Result<Value, SendError> {
    let text = msg.text.trim();
    match msg.media.as_slice() {
        [] if text.is_empty() => Err(permanent("the message has no text and no file")),
        [] if text.chars().count() > MAX_TEXT => Err(permanent(format!(
            "Messenger messages are limited to {MAX_TEXT} characters"
        ))),
        [] => Ok(json!({"text": text})),
        [file] if text.is_empty() => {
            let kind = match file.kind {
                MediaKind::Image | MediaKind::Sticker => "image",
                MediaKind::Audio | MediaKind::Voice => "audio",
                MediaKind::Video => "video",
                MediaKind::Document => "file",
            };
            Ok(json!({"attachment": {
                "type": kind,
                "payload": {"url": file.url, "is_reusable": false}
            }}))
        }
        _ => Err(permanent(
            "Messenger carries a text or one file per message",
        )),
    }
}

/// Reads the answer to a send: the message's id.
pub(super) fn sent(resp: &HttpResponse) -> Result<String, SendError> {
    if !resp.is_success() {
        return Err(meta::classify(resp));
    }
    resp.json()
        .and_then(|v| meta::id_text(v.get("message_id")))
        // Accepted but unnamed: retrying could send it twice, so it fails in words.
        .ok_or_else(|| permanent("Messenger accepted the message but named no message id"))
}

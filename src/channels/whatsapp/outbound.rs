//! Requests WhatsApp Cloud is sent: messages (text, one file by link, templates), and
//! the two steps that fetch an inbound file (media id → URL → bytes).

use super::Config;
use crate::channels::http::{HttpRequest, HttpResponse};
use crate::channels::meta::{self, GraphError};
use crate::channels::provider::MediaStep;
use crate::channels::seam::{
    FileRefusal, Identity, MediaKind, MediaRef, OutboundMessage, ProviderError, SendError,
    Template, WindowState,
};
use serde_json::{Value, json};

/// The longest text message WhatsApp takes.
pub(super) const MAX_TEXT: usize = 4096;
/// The longest caption on an image, video or document.
const MAX_CAPTION: usize = 1024;

fn permanent(text: impl Into<String>) -> SendError {
    SendError::Permanent(ProviderError {
        code: String::new(),
        text: text.into(),
    })
}

fn captioned(kind: MediaKind) -> bool {
    matches!(
        kind,
        MediaKind::Image | MediaKind::Video | MediaKind::Document
    )
}

/// The types the Cloud API sends as documents (its supported media types).
const DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "text/plain",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

const MB: u64 = 1024 * 1024;

/// How a file goes on WhatsApp, after the Cloud API's supported media types: JPEG and
/// PNG images up to 5 MB; AAC, AMR, MP3, M4A and OGG (Opus) audio up to 16 MB, a
/// recorded voice note (OGG/Opus) as audio, which WhatsApp plays as a voice message;
/// MP4 and 3GPP video up to 16 MB; PDF, text and Office documents up to 100 MB. Nothing
/// else (GIF, WEBP, WEBM audio, CSV).
pub(super) fn media_kind(mime: &str, size: u64, voice: bool) -> Result<MediaKind, FileRefusal> {
    let (kind, limit) = match mime {
        "image/jpeg" | "image/png" => (MediaKind::Image, 5 * MB),
        "audio/ogg" if voice => (MediaKind::Voice, 16 * MB),
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => {
            (MediaKind::Audio, 16 * MB)
        }
        "video/mp4" | "video/3gpp" | "video/3gp" => (MediaKind::Video, 16 * MB),
        m if DOCUMENT_TYPES.contains(&m) => (MediaKind::Document, 100 * MB),
        _ => return Err(FileRefusal::Type),
    };
    if size > limit {
        return Err(FileRefusal::TooLarge(limit));
    }
    Ok(kind)
}

/// Splits a message into what WhatsApp sends one at a time: each file is its own
/// message, and the text rides as the first file's caption when that file takes one
/// and the text fits; otherwise the text goes first on its own.
pub(super) fn parts(msg: &OutboundMessage) -> Vec<OutboundMessage> {
    if msg.template.is_some() || msg.media.is_empty() {
        return vec![msg.clone()];
    }
    let text = msg.text.trim();
    let as_caption = captioned(msg.media[0].kind) && text.chars().count() <= MAX_CAPTION;
    let mut out = Vec::new();
    if !text.is_empty() && !as_caption {
        out.push(OutboundMessage {
            media: vec![],
            ..msg.clone()
        });
    }
    for (i, m) in msg.media.iter().enumerate() {
        out.push(OutboundMessage {
            text: if i == 0 && as_caption {
                text.to_string()
            } else {
                String::new()
            },
            media: vec![m.clone()],
            ..msg.clone()
        });
    }
    out
}

/// The request that sends one part (see [`parts`]).
pub(super) fn send(cfg: &Config, msg: &OutboundMessage) -> Result<HttpRequest, SendError> {
    let Identity::Phone(phone) = &msg.to else {
        return Err(permanent(format!(
            "WhatsApp sends to phone numbers, not to a {} identity",
            msg.to.kind()
        )));
    };
    let to = phone.trim().trim_start_matches('+');
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
    });
    let content = match &msg.template {
        Some(t) => template(t),
        None => {
            // WhatsApp has no tag that extends its window: past 24 hours only a
            // template goes, and Meta would refuse anything else (131047).
            if matches!(msg.window, WindowState::Closed | WindowState::Tagged) {
                return Err(SendError::OutsideWindow(
                    "More than 24 hours have passed since the customer last wrote: \
                     only an approved template can be sent on WhatsApp"
                        .into(),
                ));
            }
            free_form(msg)?
        }
    };
    if let (Some(b), Some(c)) = (body.as_object_mut(), content.as_object()) {
        b.extend(c.clone());
    }
    let url = format!(
        "{}/{}/messages",
        cfg.base(),
        meta::segment(&cfg.phone_number_id)
    );
    Ok(HttpRequest::post_json(url, &body).bearer(&cfg.access_token))
}

/// A template message (Cloud API `type: "template"`): a media header's file or a text
/// header's `{{1}}` as the header's parameter, the body's variables as text
/// parameters, and a `button` component (`sub_type: url`, its `index`) for each URL
/// button whose `{{1}}` suffix is filled.
pub(super) fn template(t: &Template) -> Value {
    let mut tpl = json!({"name": t.name, "language": {"code": t.language}});
    let mut components = Vec::new();
    if let Some(h) = &t.header {
        let kind = match h.kind {
            MediaKind::Document => "document",
            MediaKind::Video => "video",
            _ => "image",
        };
        components.push(json!({"type": "header", "parameters": [
            {"type": kind, kind: {"link": h.url}}
        ]}));
    } else if let Some(text) = &t.header_text {
        components.push(json!({"type": "header", "parameters": [
            {"type": "text", "text": text}
        ]}));
    }
    if !t.parameters.is_empty() {
        let params: Vec<Value> = t
            .parameters
            .iter()
            .map(|p| json!({"type": "text", "text": p}))
            .collect();
        components.push(json!({"type": "body", "parameters": params}));
    }
    for (index, suffix) in &t.url_buttons {
        components.push(json!({
            "type": "button",
            "sub_type": "url",
            "index": index.to_string(),
            "parameters": [{"type": "text", "text": suffix}],
        }));
    }
    if !components.is_empty() {
        tpl["components"] = Value::Array(components);
    }
    json!({"type": "template", "template": tpl})
}

fn free_form(msg: &OutboundMessage) -> Result<Value, SendError> {
    let text = msg.text.trim();
    let file = match msg.media.as_slice() {
        [] => None,
        [one] => Some(one),
        _ => return Err(permanent("WhatsApp carries one file per message")),
    };
    let Some(file) = file else {
        if text.is_empty() {
            return Err(permanent("the message has no text and no file"));
        }
        if text.chars().count() > MAX_TEXT {
            return Err(permanent(format!(
                "WhatsApp messages are limited to {MAX_TEXT} characters"
            )));
        }
        return Ok(json!({"type": "text", "text": {"preview_url": false, "body": text}}));
    };
    let (kind, name) = match file.kind {
        MediaKind::Image => ("image", None),
        MediaKind::Video => ("video", None),
        MediaKind::Document => ("document", Some(&file.filename)),
        MediaKind::Audio | MediaKind::Voice => ("audio", None),
        MediaKind::Sticker => ("sticker", None),
    };
    let mut obj = json!({"link": file.url});
    if !text.is_empty() {
        if !captioned(file.kind) || text.chars().count() > MAX_CAPTION {
            return Err(permanent(format!(
                "WhatsApp cannot carry this text as the caption of a {kind}"
            )));
        }
        obj["caption"] = json!(text);
    }
    if let Some(n) = name.filter(|n| !n.trim().is_empty()) {
        obj["filename"] = json!(n);
    }
    Ok(json!({"type": kind, kind: obj}))
}

/// Reads the answer to a send: the message's wamid.
pub(super) fn sent(resp: &HttpResponse) -> Result<String, SendError> {
    if !resp.is_success() {
        return Err(meta::classify(resp));
    }
    resp.json()
        .and_then(|v| meta::id_text(v.pointer("/messages/0/id")))
        // Accepted but unnamed: retrying could send it twice, so it fails in words.
        .ok_or_else(|| permanent("WhatsApp accepted the message but named no message id"))
}

/// Step one of an inbound file: its media id's metadata, which names its URL.
pub(super) fn fetch_media(cfg: &Config, media: &MediaRef) -> HttpRequest {
    HttpRequest::get(format!("{}/{}", cfg.base(), meta::segment(&media.locator)))
        .bearer(&cfg.access_token)
}

/// Step one's JSON names the file's URL (fetched with the token); step two's answer is
/// the file.
pub(super) fn media_step(
    cfg: &Config,
    media: &MediaRef,
    resp: &HttpResponse,
) -> Result<MediaStep, String> {
    if !resp.is_success() {
        return Err(match GraphError::from_response(resp) {
            Some(e) => format!(
                "WhatsApp refused the file: {}",
                e.provider_error().display()
            ),
            None => format!("WhatsApp answered HTTP {} for the file", resp.status),
        });
    }
    // The metadata names this media id; a file that happens to be JSON does not.
    let json = resp.json().filter(|v| {
        meta::id_text(v.get("id")).as_deref() == Some(media.locator.trim())
            && v.get("url").is_some_and(Value::is_string)
    });
    if let Some(v) = json {
        let url = meta::text(v.get("url")).ok_or("the media's URL is empty")?;
        if !token_may_go(cfg, &url) {
            return Err(format!(
                "the media URL is not on Meta's hosts ({}); the access token is not sent there",
                host_of(&url)
            ));
        }
        return Ok(MediaStep::Then(
            HttpRequest::get(url).bearer(&cfg.access_token),
        ));
    }
    let mime = resp
        .header("content-type")
        .map(str::to_string)
        .or_else(|| media.mime.clone());
    Ok(MediaStep::Done {
        bytes: resp.body.clone(),
        mime,
    })
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "an unreadable URL".into())
}

/// The access token goes to the configured API's own origin (a gateway or a local
/// fake serves its files there) or, over HTTPS, to Meta's file hosts; never to
/// another host a compromised answer might name.
fn token_may_go(cfg: &Config, url: &str) -> bool {
    let (Ok(u), Ok(base)) = (reqwest::Url::parse(url), reqwest::Url::parse(cfg.base())) else {
        return false;
    };
    if u.origin() == base.origin() {
        return true;
    }
    let host = u.host_str().unwrap_or("");
    let meta_host = ["fbsbx.com", "facebook.com", "whatsapp.net", "fbcdn.net"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")));
    u.scheme() == "https" && meta_host
}

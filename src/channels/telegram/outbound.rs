//! Replies out: `sendMessage` for text, `sendPhoto`/`sendDocument`/`sendVoice`/
//! `sendAudio`/`sendVideo` for one file by URL (Telegram downloads it), and
//! `sendMediaGroup` for several files of kinds that may share one album.

use super::{ApiError, MAX_CAPTION, MAX_TEXT, Telegram, api_result};
use crate::channels::http::{FilePart, HttpRequest, HttpResponse};
use crate::channels::seam::{
    FileRefusal, Identity, MediaKind, OutboundMedia, OutboundMessage, ProviderError, SendError,
};
use serde_json::{Value, json};

/// The most files one `sendMediaGroup` takes.
const MAX_GROUP: usize = 10;

/// A refusal before sending: nothing retrying would change.
fn refuse(text: impl Into<String>) -> SendError {
    SendError::Permanent(ProviderError {
        code: String::new(),
        text: text.into(),
    })
}

const MB: u64 = 1024 * 1024;

/// What an uploaded file's `OutboundMedia.url` starts with (see `Provider::uploads_files`).
const UPLOAD: &str = "upload:";

/// The largest file a bot uploads (`multipart/form-data`), and the largest photo.
pub const MAX_UPLOAD_BYTES: u64 = 50 * MB;
const MAX_PHOTO_BYTES: u64 = 10 * MB;

/// The part that uploads `m` under form field `field`.
fn upload_part(field: &str, m: &OutboundMedia) -> FilePart {
    FilePart {
        field: field.to_string(),
        filename: m.filename.clone(),
        mime: m.mime.clone(),
        locator: m.url.trim_start_matches(UPLOAD).to_string(),
    }
}

/// How a file goes up to Telegram (`multipart/form-data`, the Bot API's way for new
/// files), after its rules: photos (JPEG, PNG, WEBP) up to 10 MB with `sendPhoto`,
/// larger ones and GIFs as documents; OGG (a recorded voice note, OGG/Opus) with
/// `sendVoice`; MP3 and M4A with `sendAudio`; MP4 with `sendVideo`; anything else with
/// `sendDocument`; every file up to 50 MB.
pub(super) fn media_kind(mime: &str, size: u64, _voice: bool) -> Result<MediaKind, FileRefusal> {
    if size > MAX_UPLOAD_BYTES {
        return Err(FileRefusal::TooLarge(MAX_UPLOAD_BYTES));
    }
    Ok(match mime {
        "image/jpeg" | "image/png" | "image/webp" if size <= MAX_PHOTO_BYTES => MediaKind::Image,
        "audio/ogg" => MediaKind::Voice,
        "audio/mpeg" | "audio/mp4" => MediaKind::Audio,
        "video/mp4" => MediaKind::Video,
        _ => MediaKind::Document,
    })
}

/// Telegram counts text in UTF-16 code units (its entity offsets do too).
fn telegram_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The request that sends `msg` to its Telegram user.
pub(super) fn send(tg: &Telegram, msg: &OutboundMessage) -> Result<HttpRequest, SendError> {
    let Identity::Telegram(to) = &msg.to else {
        return Err(refuse("Telegram can only send to a Telegram user"));
    };
    // Sent as a number, as Telegram documents chat_id (a private chat's id is the user's).
    let chat_id: i64 = to
        .parse()
        .map_err(|_| refuse(format!("{to:?} is not a Telegram user id")))?;
    if msg.template.is_some() {
        return Err(refuse("Telegram has no message templates"));
    }
    let text = msg.text.trim_end();
    match msg.media.as_slice() {
        [] => {
            if text.trim().is_empty() {
                return Err(refuse("there is nothing to send"));
            }
            if telegram_len(text) > MAX_TEXT {
                return Err(refuse(format!(
                    "the text is longer than the {MAX_TEXT} characters Telegram allows in one message"
                )));
            }
            Ok(HttpRequest::post_json(
                tg.method_url("sendMessage"),
                &json!({ "chat_id": chat_id, "text": text }),
            ))
        }
        [one] if one.url.starts_with(UPLOAD) => {
            check_caption(text)?;
            let (method, field) = single(one.kind)?;
            let mut fields = vec![("chat_id", chat_id.to_string())];
            if !text.is_empty() {
                fields.push(("caption", text.to_string()));
            }
            Ok(HttpRequest::post_multipart(
                tg.method_url(method),
                &fields,
                vec![upload_part(field, one)],
            ))
        }
        [one] => {
            check_caption(text)?;
            let (method, field) = single(one.kind)?;
            let mut body = json!({ "chat_id": chat_id, field: one.url });
            if !text.is_empty() {
                body["caption"] = json!(text);
            }
            Ok(HttpRequest::post_json(tg.method_url(method), &body))
        }
        many if many.iter().any(|m| m.url.starts_with(UPLOAD)) => {
            check_caption(text)?;
            let mut items = group(many, text)?;
            let mut files = Vec::new();
            for (i, (item, m)) in items.iter_mut().zip(many).enumerate() {
                let name = format!("file{i}");
                item["media"] = json!(format!("attach://{name}"));
                files.push(upload_part(&name, m));
            }
            Ok(HttpRequest::post_multipart(
                tg.method_url("sendMediaGroup"),
                &[
                    ("chat_id", chat_id.to_string()),
                    ("media", Value::Array(items).to_string()),
                ],
                files,
            ))
        }
        many => {
            check_caption(text)?;
            let items = group(many, text)?;
            Ok(HttpRequest::post_json(
                tg.method_url("sendMediaGroup"),
                &json!({ "chat_id": chat_id, "media": items }),
            ))
        }
    }
}

fn check_caption(text: &str) -> Result<(), SendError> {
    if telegram_len(text) > MAX_CAPTION {
        return Err(refuse(format!(
            "the text is longer than the {MAX_CAPTION} characters Telegram allows with a file"
        )));
    }
    Ok(())
}

/// The messages `msg` goes as: itself when it has at most one file or its files share
/// one album; otherwise each file on its own, the text as the first one's caption when
/// it fits (else on its own, first).
pub(super) fn parts(msg: &OutboundMessage) -> Vec<OutboundMessage> {
    if msg.media.len() <= 1 || group(&msg.media, "").is_ok() {
        return vec![msg.clone()];
    }
    let text = msg.text.trim_end();
    let as_caption = telegram_len(text) <= MAX_CAPTION;
    let mut out = Vec::new();
    if !text.trim().is_empty() && !as_caption {
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

/// The method and its file field for one file of `kind`.
fn single(kind: MediaKind) -> Result<(&'static str, &'static str), SendError> {
    Ok(match kind {
        MediaKind::Image => ("sendPhoto", "photo"),
        MediaKind::Document => ("sendDocument", "document"),
        MediaKind::Voice => ("sendVoice", "voice"),
        MediaKind::Audio => ("sendAudio", "audio"),
        MediaKind::Video => ("sendVideo", "video"),
        MediaKind::Sticker => return Err(refuse("Telegram inboxes do not send stickers")),
    })
}

/// `InputMedia` items for an album. Telegram groups photos with videos, documents only
/// with documents and audio only with audio, and never voice notes; the caption goes on
/// the first item (the one clients show under the album).
fn group(media: &[OutboundMedia], caption: &str) -> Result<Vec<Value>, SendError> {
    if media.len() > MAX_GROUP {
        return Err(refuse(format!(
            "Telegram sends at most {MAX_GROUP} files in one message"
        )));
    }
    let family = |k: MediaKind| match k {
        MediaKind::Image | MediaKind::Video => Some("visual"),
        MediaKind::Document => Some("document"),
        MediaKind::Audio => Some("audio"),
        MediaKind::Voice | MediaKind::Sticker => None,
    };
    let first = family(media[0].kind);
    if first.is_none() || media.iter().any(|m| family(m.kind) != first) {
        return Err(refuse(
            "Telegram sends several files in one message only when they are all photos and \
             videos, all documents or all audio files",
        ));
    }
    Ok(media
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let kind = match m.kind {
                MediaKind::Image => "photo",
                MediaKind::Video => "video",
                MediaKind::Audio => "audio",
                _ => "document",
            };
            let mut item = json!({ "type": kind, "media": m.url });
            if i == 0 && !caption.is_empty() {
                item["caption"] = json!(caption);
            }
            item
        })
        .collect())
}

/// Reads a send's answer: `"<chat_id>:<message_id>"` (a message id is unique only within
/// its chat), or the error classified: 429 after its `retry_after`, 5xx later, the rest
/// (403 "bot was blocked by the user", 400 "chat not found"…) permanent in Telegram's
/// words.
pub(super) fn sent(resp: &HttpResponse) -> Result<String, SendError> {
    let result = api_result(resp).map_err(ApiError::into_send_error)?;
    // sendMediaGroup answers the album's messages; the first one stands for it.
    let message = if result.is_array() {
        &result[0]
    } else {
        &result
    };
    match (
        message["chat"]["id"].as_i64(),
        message["message_id"].as_i64(),
    ) {
        (Some(chat), Some(id)) => Ok(format!("{chat}:{id}")),
        _ => Err(refuse(
            "Telegram accepted the message but did not name it (no chat id or message_id)",
        )),
    }
}

//! Updates in: the webhook's one `Update` per request (after the secret token), and
//! `getUpdates`' list of them. Both read an update the same way, so a message has the
//! same source id (`update_id`) whichever mode brought it.

use super::{ALLOWED_UPDATES, Config, POLL_TIMEOUT_SECS, Telegram, api_result, same_secret};
use crate::channels::http::{HttpRequest, HttpResponse};
use crate::channels::provider::Polled;
use crate::channels::seam::{
    Accepted, Identity, InboundEvent, InboundMessage, MediaKind, MediaRef, RawRequest, Refused,
    SendError,
};
use crate::domain::Timestamp;
use serde_json::{Value, json};

/// The header Telegram carries the webhook's secret token in (lowercase, as
/// [`RawRequest`] holds header names).
pub(super) const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Checks the secret token, then reads the one update of the body.
pub(super) fn receive(config: &Config, req: &RawRequest) -> Result<Accepted, Refused> {
    // Without a configured secret the inbox polls: nothing may come in by webhook, or
    // anyone who learned the URL could post updates.
    let Some(expected) = config.secret_token.as_deref().filter(|s| !s.is_empty()) else {
        return Err(Refused::Unauthorized(
            "this Telegram inbox is not in webhook mode".into(),
        ));
    };
    let Some(got) = req.header(SECRET_HEADER) else {
        return Err(Refused::Unauthorized(
            "the X-Telegram-Bot-Api-Secret-Token header is missing".into(),
        ));
    };
    if !same_secret(got, expected) {
        return Err(Refused::Unauthorized(
            "the X-Telegram-Bot-Api-Secret-Token header is wrong".into(),
        ));
    }
    if !req.method.eq_ignore_ascii_case("POST") {
        return Err(Refused::BadRequest(
            "Telegram webhooks are POST requests".into(),
        ));
    }
    let update: Value = serde_json::from_slice(&req.body)
        .map_err(|_| Refused::BadRequest("the body is not a JSON Telegram update".into()))?;
    match read_update(&update) {
        Some((_, events)) => Ok(Accepted::Events(events)),
        None => Err(Refused::BadRequest(
            "the body is not a Telegram update (no update_id)".into(),
        )),
    }
}

/// `getUpdates` after `offset` (0: from the first unconfirmed update), held open by
/// Telegram for up to [`POLL_TIMEOUT_SECS`]. Asking with an offset confirms every
/// update below it, which is why the caller stores an offset only once its updates are
/// durable.
pub(super) fn poll(tg: &Telegram, offset: u64) -> HttpRequest {
    let mut body = json!({ "timeout": POLL_TIMEOUT_SECS, "allowed_updates": ALLOWED_UPDATES });
    if offset > 0 {
        body["offset"] = json!(offset);
    }
    HttpRequest::post_json(tg.method_url("getUpdates"), &body)
}

/// Reads a `getUpdates` answer: each update's events with `update_id + 1`, the offset
/// that confirms it, in Telegram's order.
pub(super) fn polled(resp: &HttpResponse) -> Result<Polled, SendError> {
    let result = api_result(resp).map_err(super::ApiError::into_send_error)?;
    let Some(list) = result.as_array() else {
        return Err(SendError::RetryLater {
            after: None,
            reason: "Telegram answered getUpdates without a list of updates".into(),
        });
    };
    // An element without an update_id cannot be confirmed on its own; the next update's
    // offset confirms it anyway, so it is skipped rather than stopping the poller.
    let updates = list
        .iter()
        .filter_map(read_update)
        .map(|(id, events)| (id.saturating_add(1), events))
        .collect();
    Ok(Polled { updates })
}

/// One update's `update_id` and events. Only messages and their edits become events:
/// channel posts and every other kind (asked for by an earlier `allowed_updates`, or a
/// kind added later) have no customer to answer, so they are read and confirmed with no
/// event.
pub(super) fn read_update(update: &Value) -> Option<(u64, Vec<InboundEvent>)> {
    let id = update["update_id"].as_u64()?;
    let message = if update["message"].is_object() {
        read_message(id, &update["message"], false)
    } else if update["edited_message"].is_object() {
        read_message(id, &update["edited_message"], true)
    } else {
        None
    };
    Some((id, message.map(InboundEvent::Message).into_iter().collect()))
}

/// A message (or an edit of one: a new line in the timeline, marked, so the agent sees
/// the corrected words next to the first ones).
fn read_message(update_id: u64, msg: &Value, edited: bool) -> Option<InboundMessage> {
    // In a private chat `from` is the user; without it (anonymous group admins) the
    // chat is who gets the reply.
    let sender = if msg["from"].is_object() {
        &msg["from"]
    } else if msg["sender_chat"].is_object() {
        &msg["sender_chat"]
    } else {
        &msg["chat"]
    };
    let from = id_text(&sender["id"])?;
    let (text, media) = content(msg);
    let text = match (edited, text.is_empty()) {
        (false, _) => text,
        (true, true) => "[edited]".to_string(),
        (true, false) => format!("[edited] {text}"),
    };
    let when = if edited && msg["edit_date"].is_i64() {
        &msg["edit_date"]
    } else {
        &msg["date"]
    };
    Some(InboundMessage {
        source_id: update_id.to_string(),
        from: Identity::Telegram(from),
        name: display_name(sender),
        text,
        at: when.as_i64().map(|s| Timestamp(s.saturating_mul(1000))),
        media,
    })
}

/// A Telegram id (an integer) as text.
fn id_text(v: &Value) -> Option<String> {
    v.as_i64().map(|n| n.to_string())
}

/// `first_name last_name`, else `@username`, else a chat's title.
fn display_name(who: &Value) -> Option<String> {
    let full = [&who["first_name"], &who["last_name"]]
        .iter()
        .filter_map(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !full.is_empty() {
        return Some(full);
    }
    if let Some(u) = who["username"].as_str().filter(|u| !u.is_empty()) {
        return Some(format!("@{u}"));
    }
    who["title"].as_str().map(str::to_string)
}

/// The text (caption for files, a readable line for what has none) and the files.
fn content(msg: &Value) -> (String, Vec<MediaRef>) {
    let caption = msg["caption"].as_str().unwrap_or("").to_string();
    if let Some(text) = msg["text"].as_str() {
        return (text.to_string(), vec![]);
    }
    if let Some(photo) = largest_photo(&msg["photo"]) {
        return (caption, file(MediaKind::Image, photo, Some("image/jpeg")));
    }
    // An animation (GIF) also carries `document`, so it arrives here as a document.
    for (field, kind, default_mime) in [
        ("document", MediaKind::Document, None),
        ("voice", MediaKind::Voice, Some("audio/ogg")),
        ("audio", MediaKind::Audio, Some("audio/mpeg")),
        ("video", MediaKind::Video, Some("video/mp4")),
        ("video_note", MediaKind::Video, Some("video/mp4")),
    ] {
        if msg[field].is_object() {
            return (caption, file(kind, &msg[field], default_mime));
        }
    }
    let s = &msg["sticker"];
    if s.is_object() {
        let mime = if s["is_video"] == json!(true) {
            "video/webm"
        } else if s["is_animated"] == json!(true) {
            "application/x-tgsticker"
        } else {
            "image/webp"
        };
        let line = match s["emoji"].as_str() {
            Some(e) => format!("[sticker {e}]"),
            None => "[sticker]".to_string(),
        };
        return (line, file(MediaKind::Sticker, s, Some(mime)));
    }
    (readable_line(msg), vec![])
}

/// What has no file and no text, in words.
fn readable_line(msg: &Value) -> String {
    let v = &msg["venue"];
    let l = &msg["location"];
    let c = &msg["contact"];
    if v.is_object() {
        let (lat, lon) = (&v["location"]["latitude"], &v["location"]["longitude"]);
        let what = [&v["title"], &v["address"]]
            .iter()
            .filter_map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        format!("[venue: {what} ({lat}, {lon})]")
    } else if l.is_object() {
        format!("[location: {}, {}]", l["latitude"], l["longitude"])
    } else if c.is_object() {
        let mut who = display_name(c).unwrap_or_default();
        if let Some(phone) = c["phone_number"].as_str() {
            if !who.is_empty() {
                who.push_str(", ");
            }
            who.push_str(phone);
        }
        format!("[contact: {who}]")
    } else {
        format!("[unsupported Telegram message: {}]", kind(msg))
    }
}

/// The fields every message may carry besides its content.
const METADATA: &[&str] = &[
    "message_id",
    "message_thread_id",
    "direct_messages_topic",
    "from",
    "sender_chat",
    "sender_boost_count",
    "sender_business_bot",
    "date",
    "business_connection_id",
    "chat",
    "forward_origin",
    "forward_from",
    "forward_from_chat",
    "forward_from_message_id",
    "forward_signature",
    "forward_sender_name",
    "forward_date",
    "is_topic_message",
    "is_automatic_forward",
    "reply_to_message",
    "external_reply",
    "quote",
    "reply_to_story",
    "reply_to_checklist_task_id",
    "via_bot",
    "edit_date",
    "has_protected_content",
    "is_from_offline",
    "is_paid_post",
    "media_group_id",
    "author_signature",
    "paid_star_count",
    "entities",
    "caption",
    "caption_entities",
    "link_preview_options",
    "suggested_post_info",
    "effect_id",
    "show_caption_above_media",
    "has_media_spoiler",
    "reply_markup",
];

/// The kind of a message this module does not read (`poll`, `dice`, `game`…): its
/// first field that is not metadata.
fn kind(msg: &Value) -> String {
    msg.as_object()
        .and_then(|o| o.keys().find(|k| !METADATA.contains(&k.as_str())).cloned())
        .unwrap_or_else(|| "empty".to_string())
}

/// The largest of a photo's sizes (by pixels, then bytes; Telegram lists them smallest
/// first, but the order is not promised).
fn largest_photo(sizes: &Value) -> Option<&Value> {
    sizes.as_array()?.iter().max_by_key(|p| {
        let px = p["width"].as_u64().unwrap_or(0) * p["height"].as_u64().unwrap_or(0);
        (px, p["file_size"].as_u64().unwrap_or(0))
    })
}

/// The file of a `PhotoSize`, `Document`, `Voice`… object, by its `file_id`.
fn file(kind: MediaKind, f: &Value, default_mime: Option<&str>) -> Vec<MediaRef> {
    let Some(id) = f["file_id"].as_str().filter(|s| !s.is_empty()) else {
        return vec![];
    };
    vec![MediaRef {
        kind,
        locator: id.to_string(),
        mime: f["mime_type"].as_str().or(default_mime).map(str::to_string),
        filename: f["file_name"].as_str().map(str::to_string),
    }]
}

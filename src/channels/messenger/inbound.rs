//! Reads a verified Messenger notification (`object: "page"`, `entry[].messaging[]`)
//! into events: messages (text, quick replies, attachments, postbacks with an id) and
//! the delivery and read watermarks. Echoes of the page's own messages are skipped.

use crate::channels::meta;
use crate::channels::seam::{
    Identity, InboundEvent, InboundMessage, MediaKind, MediaRef, Refused, StatusTarget,
    StatusUpdate,
};
use crate::domain::Timestamp;
use crate::domain::message::DeliveryStatus;
use serde_json::Value;

/// The events of one notification for the page `page_id`.
pub(super) fn events(body: &Value, page_id: &str) -> Result<Vec<InboundEvent>, Refused> {
    let object = body.get("object").and_then(Value::as_str).unwrap_or("");
    if object != "page" {
        return Err(Refused::BadRequest(format!(
            "not a Messenger notification (object {object:?})"
        )));
    }
    let mut out = Vec::new();
    for entry in array(body.get("entry")) {
        for ev in array(entry.get("messaging")) {
            if let Some(e) = event(ev, page_id) {
                out.push(e);
            }
        }
    }
    Ok(out)
}

fn array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Messenger's times are milliseconds since the epoch.
fn millis(v: Option<&Value>) -> Option<Timestamp> {
    let v = v?;
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .map(Timestamp)
}

fn event(ev: &Value, page_id: &str) -> Option<InboundEvent> {
    let psid = meta::id_text(ev.pointer("/sender/id"))?;
    // The page's own messages come back as echoes (sender = the page).
    if psid == page_id.trim() {
        return None;
    }
    let at = millis(ev.get("timestamp"));
    if let Some(m) = ev.get("message") {
        return message(m, psid, at).map(InboundEvent::Message);
    }
    if let Some(p) = ev.get("postback") {
        // A button tapped: its title is what the person chose. Only postbacks with an
        // id can be stored once.
        return Some(InboundEvent::Message(InboundMessage {
            source_id: meta::id_text(p.get("mid"))?,
            from: Identity::Messenger(psid),
            name: None,
            text: meta::text(p.get("title")).or_else(|| meta::text(p.get("payload")))?,
            at,
            media: vec![],
        }));
    }
    let (status, watermark) = if let Some(d) = ev.get("delivery") {
        (DeliveryStatus::Delivered, millis(d.get("watermark"))?)
    } else if let Some(r) = ev.get("read") {
        (DeliveryStatus::Read, millis(r.get("watermark"))?)
    } else {
        return None;
    };
    Some(InboundEvent::Status(StatusUpdate {
        target: StatusTarget::UpTo {
            recipient: Identity::Messenger(psid),
            watermark,
        },
        status,
        error: None,
        at: at.or(Some(watermark)),
    }))
}

fn message(m: &Value, psid: String, at: Option<Timestamp>) -> Option<InboundMessage> {
    if m.get("is_echo").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let source_id = meta::id_text(m.get("mid"))?;
    let mut lines: Vec<String> = meta::text(m.get("text"))
        .or_else(|| meta::text(m.pointer("/quick_reply/payload")))
        .into_iter()
        .collect();
    let mut media = Vec::new();
    for a in array(m.get("attachments")) {
        match attachment(a) {
            Ok(file) => media.push(file),
            Err(line) => lines.push(line),
        }
    }
    if lines.is_empty() && media.is_empty() {
        lines.push("[unsupported Messenger message]".into());
    }
    Some(InboundMessage {
        source_id,
        from: Identity::Messenger(psid),
        name: None,
        text: lines.join("\n"),
        at,
        media,
    })
}

/// A file to fetch, or a readable line for an attachment that is not a file (a
/// shared link, a location, a product).
fn attachment(a: &Value) -> Result<MediaRef, String> {
    let kind_name = a.get("type").and_then(Value::as_str).unwrap_or("unknown");
    let url = meta::text(a.pointer("/payload/url")).or_else(|| meta::text(a.get("url")));
    let kind = match kind_name {
        // Stickers arrive as images (with a sticker_id).
        "image" => Some(MediaKind::Image),
        "audio" => Some(MediaKind::Audio),
        "video" => Some(MediaKind::Video),
        "file" => Some(MediaKind::Document),
        _ => None,
    };
    match (kind, url) {
        (Some(kind), Some(url)) => Ok(MediaRef {
            kind,
            locator: url,
            mime: None,
            filename: None,
        }),
        (_, Some(url)) => Err(format!("[Messenger {kind_name}: {url}]")),
        (_, None) => Err(format!("[unsupported Messenger attachment: {kind_name}]")),
    }
}

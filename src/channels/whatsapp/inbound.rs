//! Reads a verified WhatsApp notification (`entry[].changes[].value` with `messages`,
//! `contacts` and `statuses`) into events. A message of a type Charla does not know, or
//! one it cannot read, becomes a readable line rather than being dropped, and never
//! stops the rest of the batch.

use crate::channels::meta::{self, GraphError};
use crate::channels::seam::{
    Identity, InboundEvent, InboundMessage, MediaKind, MediaRef, Refused, StatusTarget,
    StatusUpdate,
};
use crate::domain::Timestamp;
use crate::domain::contact::e164;
use crate::domain::message::DeliveryStatus;
use serde_json::Value;
use std::collections::HashMap;

/// The events of one notification.
pub(super) fn events(body: &Value) -> Result<Vec<InboundEvent>, Refused> {
    let object = body.get("object").and_then(Value::as_str).unwrap_or("");
    if object != "whatsapp_business_account" {
        return Err(Refused::BadRequest(format!(
            "not a WhatsApp notification (object {object:?})"
        )));
    }
    let mut out = Vec::new();
    for entry in array(body.get("entry")) {
        for change in array(entry.get("changes")) {
            // Other fields (template reviews, account updates) carry no conversation.
            let field = change.get("field").and_then(Value::as_str);
            if field.is_some_and(|f| f != "messages") {
                continue;
            }
            if let Some(value) = change.get("value") {
                read_value(value, &mut out);
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

fn read_value(value: &Value, out: &mut Vec<InboundEvent>) {
    let names: HashMap<String, String> = array(value.get("contacts"))
        .iter()
        .filter_map(|c| {
            Some((
                meta::id_text(c.get("wa_id"))?,
                meta::text(c.pointer("/profile/name"))?,
            ))
        })
        .collect();
    // A `from` not spelled exactly as the contact's `wa_id` still belongs to the
    // notification's one contact.
    let only = (names.len() == 1)
        .then(|| names.values().next().cloned())
        .flatten();
    for m in array(value.get("messages")) {
        if let Some(msg) = message(m, &names, only.as_deref()) {
            out.push(InboundEvent::Message(msg));
        }
    }
    for s in array(value.get("statuses")) {
        if let Some(st) = status(s) {
            out.push(InboundEvent::Status(st));
        }
    }
}

/// Seconds since the epoch, as Meta writes them (a string of digits).
fn seconds(v: Option<&Value>) -> Option<Timestamp> {
    let v = v?;
    let secs = v
        .as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))?;
    Some(Timestamp(secs.checked_mul(1000)?))
}

/// One message; `None` only when it has no id or no sender, which leave nothing to
/// store or answer.
fn message(
    m: &Value,
    names: &HashMap<String, String>,
    only: Option<&str>,
) -> Option<InboundMessage> {
    let source_id = meta::id_text(m.get("id"))?;
    let wa_id = meta::id_text(m.get("from"))?;
    let kind = m
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    let (text, media) = content(&kind, m)
        .unwrap_or_else(|| (format!("[unsupported WhatsApp message: {kind}]"), vec![]));
    let raw = format!("+{}", wa_id.trim_start_matches('+'));
    // A wa_id is the number without `+`; keep it as given if it does not read as one,
    // so the message is still stored under a stable identity.
    let phone = e164("from", &raw).unwrap_or(raw);
    Some(InboundMessage {
        source_id,
        from: Identity::Phone(phone),
        name: names
            .get(&wa_id)
            .cloned()
            .or_else(|| only.map(str::to_string)),
        text,
        at: seconds(m.get("timestamp")),
        media,
    })
}

type Content = (String, Vec<MediaRef>);

/// The text and files of a message of type `kind`; `None` when the type is unknown or
/// its object is not what the documentation describes.
fn content(kind: &str, m: &Value) -> Option<Content> {
    let obj = m.get(kind);
    match kind {
        "text" => Some((meta::text(obj?.get("body"))?, vec![])),
        "image" | "video" | "document" | "audio" | "sticker" => media(kind, obj?),
        "location" => location(obj?).map(|t| (t, vec![])),
        "contacts" => contacts(obj?).map(|t| (t, vec![])),
        "interactive" => {
            let i = obj?;
            let reply = i.get(i.get("type")?.as_str()?)?;
            Some((meta::text(reply.get("title"))?, vec![]))
        }
        "button" => Some((meta::text(obj?.get("text"))?, vec![])),
        "reaction" => {
            let emoji = meta::text(obj?.get("emoji"));
            let line = match emoji {
                Some(e) => format!("reacted {e} to a message"),
                None => "removed a reaction from a message".to_string(),
            };
            Some((line, vec![]))
        }
        _ => None,
    }
}

fn media(kind: &str, obj: &Value) -> Option<Content> {
    let voice = obj.get("voice").and_then(Value::as_bool) == Some(true);
    let kind = match kind {
        "image" => MediaKind::Image,
        "video" => MediaKind::Video,
        "document" => MediaKind::Document,
        "sticker" => MediaKind::Sticker,
        _ if voice => MediaKind::Voice,
        _ => MediaKind::Audio,
    };
    let file = MediaRef {
        kind,
        locator: meta::id_text(obj.get("id"))?,
        mime: meta::text(obj.get("mime_type")),
        filename: meta::text(obj.get("filename")),
    };
    let caption = meta::text(obj.get("caption")).unwrap_or_default();
    Some((caption, vec![file]))
}

fn location(obj: &Value) -> Option<String> {
    let coord = |name: &str| obj.get(name).and_then(Value::as_f64);
    let (lat, lon) = (coord("latitude")?, coord("longitude")?);
    let place: Vec<String> = ["name", "address"]
        .iter()
        .filter_map(|f| meta::text(obj.get(*f)))
        .collect();
    let mut line = String::from("Location: ");
    if !place.is_empty() {
        line.push_str(&place.join(", "));
        line.push(' ');
    }
    line.push_str(&format!("({lat}, {lon})"));
    Some(line)
}

/// One line per shared contact: its name, then its phones and emails.
fn contacts(obj: &Value) -> Option<String> {
    let lines: Vec<String> = obj.as_array()?.iter().map(contact_line).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn contact_line(c: &Value) -> String {
    let name = meta::text(c.pointer("/name/formatted_name")).unwrap_or_else(|| {
        ["first_name", "last_name"]
            .iter()
            .filter_map(|f| meta::text(c.get("name").and_then(|n| n.get(*f))))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let mut parts = vec![if name.is_empty() {
        "(no name)".to_string()
    } else {
        name
    }];
    for p in array(c.get("phones")) {
        if let Some(phone) = meta::text(p.get("phone")) {
            match meta::text(p.get("type")) {
                Some(t) => parts.push(format!("{phone} ({})", t.to_lowercase())),
                None => parts.push(phone),
            }
        }
    }
    parts.extend(
        array(c.get("emails"))
            .iter()
            .filter_map(|e| meta::text(e.get("email"))),
    );
    format!("Contact: {}", parts.join(", "))
}

fn status(s: &Value) -> Option<StatusUpdate> {
    let id = meta::id_text(s.get("id"))?;
    let status = match s.get("status")?.as_str()? {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
        // Other statuses ("deleted", "warning") say nothing about delivery.
        _ => return None,
    };
    let error = array(s.get("errors"))
        .first()
        .and_then(GraphError::from_json)
        .map(|e| e.provider_error());
    Some(StatusUpdate {
        target: StatusTarget::Message(id),
        status,
        error,
        at: seconds(s.get("timestamp")),
    })
}

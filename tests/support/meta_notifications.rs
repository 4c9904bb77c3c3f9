//! Notifications as Meta sends them (shapes from the WhatsApp webhook and Messenger
//! Platform references), each returned with its `X-Hub-Signature-256` value, signed
//! with the fake's app secret over the exact bytes.

use super::{APP_SECRET, DISPLAY_NUMBER, PAGE_ID, PHONE_NUMBER_ID, WABA_ID, sign};
use serde_json::{Value, json};

/// A body and its signature header value.
pub type Signed = (Vec<u8>, String);

/// `body` serialised and signed with the fake's app secret.
pub fn signed(body: &Value) -> Signed {
    let bytes = serde_json::to_vec(body).unwrap();
    let sig = sign(APP_SECRET, &bytes);
    (bytes, sig)
}

/// A WhatsApp `messages` change with this `value` content.
fn whatsapp(value: Value) -> Value {
    let mut v = json!({
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": DISPLAY_NUMBER.replace(['+', ' ', '-'], ""),
            "phone_number_id": PHONE_NUMBER_ID,
        },
    });
    for (k, x) in value.as_object().unwrap() {
        v[k] = x.clone();
    }
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": v, "field": "messages"}]}],
    })
}

fn wa_message(wa_id: &str, name: &str, message: Value) -> Signed {
    signed(&whatsapp(json!({
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [message],
    })))
}

/// A text message from `wa_id` (digits, no `+`) named `name`, at `ts` seconds.
pub fn wa_text(wa_id: &str, name: &str, wamid: &str, text: &str, ts: i64) -> Signed {
    wa_message(
        wa_id,
        name,
        json!({"from": wa_id, "id": wamid, "timestamp": ts.to_string(),
               "type": "text", "text": {"body": text}}),
    )
}

/// An image message whose file is `media_id` (see `MetaFake::add_media`).
pub fn wa_image(
    wa_id: &str,
    name: &str,
    wamid: &str,
    media_id: &str,
    caption: Option<&str>,
    ts: i64,
) -> Signed {
    let mut image = json!({"mime_type": "image/jpeg", "sha256": "fake", "id": media_id});
    if let Some(c) = caption {
        image["caption"] = json!(c);
    }
    wa_message(
        wa_id,
        name,
        json!({"from": wa_id, "id": wamid, "timestamp": ts.to_string(),
               "type": "image", "image": image}),
    )
}

/// A message of any `kind` with its object, e.g. `("order", json!({...}))`.
pub fn wa_other(wa_id: &str, name: &str, wamid: &str, kind: &str, obj: Value, ts: i64) -> Signed {
    let mut m = json!({"from": wa_id, "id": wamid, "timestamp": ts.to_string(), "type": kind});
    m[kind] = obj;
    wa_message(wa_id, name, m)
}

/// A status for our message `wamid`: `sent`, `delivered`, `read` or `failed` (with
/// `error` = (code, title, details)).
pub fn wa_status(
    wamid: &str,
    status: &str,
    recipient: &str,
    ts: i64,
    error: Option<(i64, &str, &str)>,
) -> Signed {
    let mut s = json!({"id": wamid, "status": status, "timestamp": ts.to_string(),
                       "recipient_id": recipient});
    if let Some((code, title, details)) = error {
        s["errors"] = json!([{
            "code": code, "title": title, "message": title,
            "error_data": {"details": details},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }]);
    }
    signed(&whatsapp(json!({"statuses": [s]})))
}

/// A Messenger notification with these `messaging` events.
pub fn messenger(events: Vec<Value>) -> Signed {
    signed(&json!({
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": 1_749_416_383_990i64, "messaging": events}],
    }))
}

fn from_psid(psid: &str, ts: i64) -> Value {
    json!({"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": ts})
}

/// A text message event from `psid` at `ts` milliseconds.
pub fn ms_text_event(psid: &str, mid: &str, text: &str, ts: i64) -> Value {
    let mut e = from_psid(psid, ts);
    e["message"] = json!({"mid": mid, "text": text});
    e
}

/// A text message from `psid` at `ts` milliseconds.
pub fn ms_text(psid: &str, mid: &str, text: &str, ts: i64) -> Signed {
    messenger(vec![ms_text_event(psid, mid, text, ts)])
}

/// An image from `psid` at `url` (see `MetaFake::add_messenger_file`).
pub fn ms_image(psid: &str, mid: &str, url: &str, ts: i64) -> Signed {
    let mut e = from_psid(psid, ts);
    e["message"] = json!({"mid": mid, "attachments": [{"type": "image", "payload": {"url": url}}]});
    messenger(vec![e])
}

/// The echo of a message the page sent (Messenger sends these back).
pub fn ms_echo(psid: &str, mid: &str, text: &str, ts: i64) -> Signed {
    messenger(vec![json!({
        "sender": {"id": PAGE_ID}, "recipient": {"id": psid}, "timestamp": ts,
        "message": {"is_echo": true, "app_id": 1517776481860111i64, "mid": mid, "text": text},
    })])
}

/// Every message to `psid` sent up to `watermark` (ms) was delivered.
pub fn ms_delivery(psid: &str, watermark: i64) -> Signed {
    messenger(vec![json!({
        "sender": {"id": psid}, "recipient": {"id": PAGE_ID},
        "delivery": {"mids": [], "watermark": watermark},
    })])
}

/// Every message to `psid` sent up to `watermark` (ms) was read.
pub fn ms_read(psid: &str, watermark: i64) -> Signed {
    let mut e = from_psid(psid, watermark + 500);
    e["read"] = json!({"watermark": watermark});
    messenger(vec![e])
}

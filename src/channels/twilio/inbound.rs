//! Twilio's requests to us: incoming messages (SMS, MMS, RCS, WhatsApp) and status
//! callbacks for our own messages, both form-encoded and signed with
//! `X-Twilio-Signature`.

use super::{Config, error_text, mac};
use crate::channels::seam::{
    Accepted, Identity, InboundEvent, InboundMessage, MediaKind, MediaRef, ProviderError,
    RawRequest, Refused, StatusTarget, StatusUpdate,
};
use crate::domain::Timestamp;
use crate::domain::contact::e164;
use crate::domain::message::DeliveryStatus;
use base64::Engine;

/// The most media one message carries (Twilio's MMS limit is 10).
const MAX_MEDIA: usize = 10;

/// Verifies `req` and reads it into events.
pub fn receive(config: &Config, req: &RawRequest, now: Timestamp) -> Result<Accepted, Refused> {
    let given = req
        .header("x-twilio-signature")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Refused::Unauthorized("X-Twilio-Signature is missing".into()))?;
    // A GET webhook carries its parameters in the URL, which is signed as it is; a
    // POST's are the form body, appended sorted.
    let params: Vec<(String, String)> = if req.method.eq_ignore_ascii_case("GET") {
        vec![]
    } else {
        serde_urlencoded::from_bytes(&req.body)
            .map_err(|_| Refused::BadRequest("the body is not form-encoded".into()))?
    };
    if !verify(&config.auth_token, &req.url, &params, given) {
        return Err(Refused::Unauthorized(
            "X-Twilio-Signature does not match this URL and body".into(),
        ));
    }
    let fields = if params.is_empty() {
        req.query_pairs()
    } else {
        params
    };
    let form = Form(&fields);
    // Incoming messages say `SmsStatus=received`; callbacks about ours carry the
    // status of our message (`MessageStatus`, and the older `SmsStatus` beside it).
    match form.get("MessageStatus").or_else(|| form.get("SmsStatus")) {
        Some(s) if !matches!(s, "received" | "receiving") => status(&form, s, now),
        _ => message(&form, now),
    }
}

/// Whether `given` is Twilio's signature of this request. Twilio is documented to be
/// inconsistent about the port in the URL it signs (its SDKs check the URL both with
/// and without the port), so both spellings are tried, each in constant time.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], given: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(given.trim()) else {
        return false;
    };
    let mut ok = false;
    for candidate in url_spellings(url) {
        ok |= same(mac(auth_token, &candidate, params).as_ref(), &given);
    }
    ok
}

/// Equality in constant time (for equal lengths; a tag's length is no secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `url` with its port and without it (`https://h/p` and `https://h:443/p`), as
/// Twilio's SDKs check them.
pub fn url_spellings(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![url.to_string()];
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => authority.split_at(i + 1),
        None => ("", authority),
    };
    // The port is after the last ':' that follows an IPv6 literal's ']'.
    let host_end = hostport.rfind(']').map_or(0, |i| i + 1);
    let (host, port) = match hostport[host_end..].rfind(':') {
        Some(i) => hostport.split_at(host_end + i),
        None => (hostport, ""),
    };
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => "",
    };
    let with_port = if port.is_empty() { default } else { port };
    let mut out = vec![url.to_string()];
    for p in ["", with_port] {
        let s = format!("{scheme}://{userinfo}{host}{p}{tail}");
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// The parameters, looked up by name.
struct Form<'a>(&'a [(String, String)]);

impl Form<'_> {
    /// A parameter's value, when given and not empty.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// A status callback: `MessageStatus` (or the older `SmsStatus`) with `ErrorCode`.
fn status(form: &Form, status: &str, now: Timestamp) -> Result<Accepted, Refused> {
    let sid = form
        .get("MessageSid")
        .or_else(|| form.get("SmsSid"))
        .ok_or_else(|| Refused::BadRequest("a status callback without MessageSid".into()))?;
    let status = match status {
        // Not news: the message is still on its way (the outbox already says pending).
        "accepted" | "scheduled" | "queued" | "sending" => return Ok(Accepted::Events(vec![])),
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "undelivered" | "failed" | "canceled" => DeliveryStatus::Failed,
        // A status Twilio adds later: acknowledged, nothing to record.
        _ => return Ok(Accepted::Events(vec![])),
    };
    let error = (status == DeliveryStatus::Failed).then(|| match form.get("ErrorCode") {
        Some(code) => ProviderError {
            code: code.to_string(),
            text: error_text(code, form.get("ErrorMessage")),
        },
        None => ProviderError {
            code: String::new(),
            text: if form.get("MessageStatus") == Some("canceled") {
                "The message was canceled before it was sent".into()
            } else {
                "Twilio could not deliver the message".into()
            },
        },
    });
    Ok(Accepted::Events(vec![InboundEvent::Status(StatusUpdate {
        target: StatusTarget::Message(sid.to_string()),
        status,
        error,
        at: Some(now),
    })]))
}

/// An incoming message.
fn message(form: &Form, now: Timestamp) -> Result<Accepted, Refused> {
    let sid = form
        .get("MessageSid")
        .or_else(|| form.get("SmsMessageSid"))
        .or_else(|| form.get("SmsSid"))
        .ok_or_else(|| Refused::BadRequest("a message without MessageSid".into()))?;
    let from_raw = form
        .get("From")
        .ok_or_else(|| Refused::BadRequest("a message without From".into()))?;
    let from = sender(from_raw)
        .map_err(|why| Refused::BadRequest(format!("From {from_raw:?} is not usable: {why}")))?;
    let media = media(form);
    let mut text = form.get("Body").unwrap_or("").to_string();
    if let Some(place) = location(form) {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&place);
    }
    if let Some(button) = form.get("ButtonText").filter(|_| text.is_empty()) {
        text = button.to_string();
    }
    Ok(Accepted::Events(vec![InboundEvent::Message(
        InboundMessage {
            source_id: sid.to_string(),
            from: Identity::Phone(from),
            name: form
                .get("ProfileName")
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
            text,
            at: Some(now),
            media,
        },
    )]))
}

/// The sender's number in E.164, from `+…`, `whatsapp:+…` or `rcs:+…`.
fn sender(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let bare = raw.strip_prefix("rcs:").unwrap_or(raw);
    e164("From", bare).map_err(|e| e.reason)
}

/// `MediaUrlN` and `MediaContentTypeN` for N below `NumMedia`.
fn media(form: &Form) -> Vec<MediaRef> {
    let n: usize = form
        .get("NumMedia")
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    (0..n.min(MAX_MEDIA))
        .filter_map(|i| {
            let url = form.get(&format!("MediaUrl{i}"))?;
            let mime = form
                .get(&format!("MediaContentType{i}"))
                .map(|m| m.trim().to_ascii_lowercase());
            Some(MediaRef {
                kind: kind_of(mime.as_deref()),
                locator: url.to_string(),
                mime,
                filename: None,
            })
        })
        .collect()
}

/// The kind of a file from its declared type.
fn kind_of(mime: Option<&str>) -> MediaKind {
    match mime.unwrap_or("") {
        m if m.starts_with("image/") => MediaKind::Image,
        m if m.starts_with("audio/") => MediaKind::Audio,
        m if m.starts_with("video/") => MediaKind::Video,
        _ => MediaKind::Document,
    }
}

/// A WhatsApp location message as a readable line: its label and address when given,
/// and a map link.
fn location(form: &Form) -> Option<String> {
    let lat = form.get("Latitude")?.trim();
    let lon = form.get("Longitude")?.trim();
    let (Ok(la), Ok(lo)) = (lat.parse::<f64>(), lon.parse::<f64>()) else {
        return None;
    };
    let names: Vec<&str> = [form.get("Label"), form.get("Address")]
        .into_iter()
        .flatten()
        .collect();
    let map = format!("https://www.openstreetmap.org/?mlat={la}&mlon={lo}");
    Some(if names.is_empty() {
        format!("[location: {lat}, {lon}] {map}")
    } else {
        format!("[location: {} ({lat}, {lon})] {map}", names.join(", "))
    })
}

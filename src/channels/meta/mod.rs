//! What WhatsApp Cloud API and Messenger share, both being Meta's Graph API: the
//! webhook subscription handshake, the `X-Hub-Signature-256` check on the raw body, and
//! reading and classifying Graph's error answers.

use super::http::HttpResponse;
use super::seam::{Accepted, ProviderError, RawRequest, Refused, SendError};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Compares two secrets in time that depends only on their lengths, so a caller learns
/// nothing from how long a wrong guess took.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Answers Meta's subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&
/// hub.challenge=…`): the challenge when the token is the inbox's, 403 otherwise.
pub fn handshake(req: &RawRequest, verify_token: &str) -> Result<Accepted, Refused> {
    let pairs = req.query_pairs();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if get("hub.mode") != Some("subscribe") {
        return Err(Refused::BadRequest(
            "expected a subscription handshake (hub.mode=subscribe)".into(),
        ));
    }
    let Some(challenge) = get("hub.challenge") else {
        return Err(Refused::BadRequest(
            "the handshake has no hub.challenge".into(),
        ));
    };
    let token = get("hub.verify_token").unwrap_or("");
    // An inbox without a verify token never answers a handshake: "" must not match "".
    if verify_token.is_empty() || !same_secret(token, verify_token) {
        return Err(Refused::Forbidden(
            "the verify token is not this inbox's".into(),
        ));
    }
    Ok(Accepted::Challenge(challenge.to_string()))
}

/// `sha256=<hex HMAC-SHA256 of body keyed with app_secret>`, as Meta signs notifications.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks `X-Hub-Signature-256` on the raw body, in constant time, before anything of
/// the body is read.
pub fn verify_signature(req: &RawRequest, app_secret: &str) -> Result<(), Refused> {
    let Some(header) = req.header("x-hub-signature-256") else {
        return Err(Refused::Unauthorized(
            "X-Hub-Signature-256 is missing".into(),
        ));
    };
    let wrong = || Refused::Unauthorized("X-Hub-Signature-256 does not match the body".into());
    if app_secret.is_empty() {
        return Err(wrong());
    }
    let sig = header
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(wrong)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).map_err(|_| wrong())?;
    mac.update(&req.body);
    mac.verify_slice(&sig).map_err(|_| wrong())
}

/// The JSON body of a signed notification, or 400.
pub fn notification(req: &RawRequest, app_secret: &str) -> Result<Value, Refused> {
    verify_signature(req, app_secret)?;
    serde_json::from_slice(&req.body)
        .map_err(|e| Refused::BadRequest(format!("the notification is not JSON: {e}")))
}

/// One Graph error (`{"error": {"message", "type", "code", "error_subcode",
/// "error_data": {"details"}}}`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphError {
    pub code: i64,
    pub subcode: Option<i64>,
    /// `message`, without Graph's `(#code) ` prefix.
    pub message: String,
    /// `error_data.details` (or Messenger's `error_user_msg`), the more useful words.
    pub details: Option<String>,
}

impl GraphError {
    /// Reads the `error` object of a Graph answer (or an element of a webhook's
    /// `errors`, which has `code`, `title`, `message` and `error_data.details`).
    pub fn from_json(e: &Value) -> Option<GraphError> {
        let code = e.get("code").and_then(number)?;
        let field = |name: &str| {
            e.get(name)
                .and_then(Value::as_str)
                .map(|s| strip_code_prefix(s).to_string())
                .filter(|s| !s.is_empty())
        };
        // A webhook's error has a `title` and a `message` (often the same); Graph's
        // answers have only `message`.
        let title = field("title");
        let message = field("message");
        let details = text(e.pointer("/error_data/details"))
            .or_else(|| text(e.get("error_user_msg")))
            .or_else(|| title.as_ref().and(message.clone()));
        let message = title.or(message).unwrap_or_default();
        let details = details.filter(|d| *d != message);
        Some(GraphError {
            code,
            subcode: e.get("error_subcode").and_then(number),
            message,
            details,
        })
    }

    /// The error of a failed answer, if it carries one.
    pub fn from_response(resp: &HttpResponse) -> Option<GraphError> {
        GraphError::from_json(resp.json()?.get("error")?)
    }

    /// The code and words agents see on a failed message.
    pub fn provider_error(&self) -> ProviderError {
        let text = match &self.details {
            Some(d) if !self.message.is_empty() => format!("{}: {d}", self.message),
            Some(d) => d.clone(),
            None => self.message.clone(),
        };
        ProviderError {
            code: self.code.to_string(),
            text,
        }
    }

    /// Whether Meta refused because the messaging window is closed: WhatsApp's
    /// re-engagement error (131047, and 470 from the older API), Messenger's "sent
    /// outside of allowed window" (code 10, subcode 2018278).
    pub fn is_outside_window(&self) -> bool {
        matches!(self.code, 131047 | 470)
            || (self.code == 10 && matches!(self.subcode, Some(2018278) | Some(2018065)))
    }

    /// Whether Meta says to try again later: rate limits (4 application, 17 user, 32
    /// page, 613 and 80007 account, 130429 throughput, 131056 pair rate) and temporary
    /// failures (2 service, 1200 Messenger's temporary send failure, 131000 something
    /// went wrong, 131016 service unavailable, 131057 maintenance, 133004 server
    /// temporarily unavailable).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self.code,
            2 | 4
                | 17
                | 32
                | 613
                | 1200
                | 80007
                | 130429
                | 131000
                | 131016
                | 131056
                | 131057
                | 133004
        )
    }
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// `"(#131047) Re-engagement message"` → `"Re-engagement message"`.
fn strip_code_prefix(message: &str) -> &str {
    let m = message.trim();
    if let Some(rest) = m.strip_prefix("(#")
        && let Some(end) = rest.find(')')
    {
        return rest[end + 1..].trim_start();
    }
    m
}

/// Classifies a failed Graph answer for the outbox: outside the window, retry later
/// (HTTP 408, 429, 5xx or a throttling/temporary code, after `Retry-After`), or
/// permanent with Meta's code and words.
pub fn classify(resp: &HttpResponse) -> SendError {
    let Some(err) = GraphError::from_response(resp) else {
        return resp.failure(None);
    };
    if err.is_outside_window() {
        return SendError::OutsideWindow(format!("{} ({})", err.provider_error().text, err.code));
    }
    if err.is_temporary() {
        return SendError::RetryLater {
            after: resp.retry_after(),
            reason: err.provider_error().display(),
        };
    }
    resp.failure(Some(err.provider_error()))
}

/// Words for a failed probe: a refused token said as such, else Meta's own words.
pub fn probe_failure(resp: &HttpResponse, what: &str) -> String {
    match GraphError::from_response(resp) {
        Some(e) if e.code == 190 || resp.status == 401 => format!(
            "the access token was refused (expired, revoked or mistyped): {}",
            e.provider_error().display()
        ),
        Some(e) if e.code == 100 => format!(
            "{what} was not found for this access token: {}",
            e.provider_error().display()
        ),
        Some(e) => e.provider_error().display(),
        None if resp.status == 401 => "the access token was refused".into(),
        None => format!("Graph answered HTTP {}", resp.status),
    }
}

/// A Graph id as text (ids arrive as strings, sometimes as numbers).
pub fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The trimmed text of `v`, when it has any.
pub fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `s` percent-encoded for one path segment, so an id cannot change the path.
pub fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.trim().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;

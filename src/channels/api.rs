//! The API inbox's outbound side: agent replies POSTed as JSON to the integration's
//! webhook, signed `X-Charla-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with
//! the inbox token, with `X-Charla-Delivery: <message id>` as an idempotency key.
//! A failed attempt is recorded on the message in words agents may see: the status line
//! and at most the receiver's short JSON message, never its raw body (which may carry
//! anything its framework prints); the body goes to the log, for admins.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::Duration;

/// The signature header value for `body` signed with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a signature header in constant time (for integrations, and for tests).
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hexsig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hexsig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// What the webhook receives for one agent reply.
pub struct Reply<'a> {
    pub inbox_id: u64,
    pub conversation_id: u64,
    pub message_id: u64,
    pub content: &'a str,
    pub created_at: String,
    pub agent_id: Option<u64>,
    pub agent_name: String,
    pub contact: Value,
    /// The reply's files: `[{"filename", "mime", "size", "url", "caption", "voice"}]`,
    /// each `url` a signed download link that expires.
    pub files: Value,
}

/// The JSON body for a reply.
pub fn payload(r: &Reply<'_>) -> Vec<u8> {
    let v = json!({
        "event": "message.created",
        "inbox_id": r.inbox_id,
        "conversation_id": r.conversation_id,
        "message": {
            "id": r.message_id,
            "content": r.content,
            "created_at": r.created_at,
            "sender": {"type": "agent", "id": r.agent_id, "name": r.agent_name},
            "files": r.files,
        },
        "contact": r.contact,
    });
    serde_json::to_vec(&v).unwrap_or_default()
}

/// The outcome of one delivery attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx; the receiver may name its own id for the message (`{"source_id": "..."}`).
    Delivered { source_id: Option<String> },
    /// Worth retrying (network error, timeout, 408, 429, 5xx).
    Retry(String),
    /// Will not succeed by retrying (other 4xx).
    Permanent(String),
}

/// Longest excerpt of a receiver's own message shown with a refusal.
const EXCERPT: usize = 80;

/// Longest part of a receiver's body written to the log.
const LOGGED: usize = 2000;

/// What agents see of a refused delivery: the status line, and for a 4xx the
/// receiver's own short message when it gives one as JSON (`{"error": {"message"}}`,
/// `{"error": "…"}` or `{"message": "…"}`), cleaned, cut to 80 characters, and left out
/// when it looks like it carries a credential.
pub fn refusal_text(status: reqwest::StatusCode, body: &str) -> String {
    let line = format!("webhook answered {status}");
    if !status.is_client_error() {
        return line;
    }
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return line;
    };
    let message = v
        .pointer("/error/message")
        .or_else(|| v.get("error").filter(|e| e.is_string()))
        .or_else(|| v.get("message"))
        .and_then(Value::as_str)
        .map(|m| super::net::excerpt(m, EXCERPT))
        .filter(|m| !m.is_empty() && !looks_secret(m));
    match message {
        Some(m) => format!("{line}: {m}"),
        None => line,
    }
}

/// Whether text looks like it carries a credential (`key=value`, or a word such as
/// password, secret or token).
fn looks_secret(text: &str) -> bool {
    let lower = text.to_lowercase();
    text.contains('=')
        || [
            "password", "passwd", "secret", "token", "api_key", "apikey", "bearer",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// A network failure in words agents may see: reqwest's own text names the URL (which
/// may hold credentials), so only the causes underneath are kept.
fn unreachable_text(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!(
            "webhook unreachable: no answer within {} s",
            timeout.as_secs()
        );
    }
    let mut cause = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = Some(s.to_string());
        source = s.source();
    }
    match cause {
        Some(c) => format!("webhook unreachable: {}", super::net::excerpt(&c, 200)),
        None => "webhook unreachable".into(),
    }
}

/// POSTs a signed body to `url` (already checked by the address policy).
pub async fn deliver(
    client: &reqwest::Client,
    url: reqwest::Url,
    secret: &str,
    delivery_id: u64,
    body: Vec<u8>,
    timeout: Duration,
) -> Outcome {
    let sig = signature(secret, &body);
    let resp = client
        .post(url)
        .timeout(timeout)
        .header("content-type", "application/json")
        .header("x-charla-signature", sig)
        .header("x-charla-delivery", delivery_id.to_string())
        .body(body)
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            let shown = unreachable_text(&e, timeout);
            tracing::warn!(delivery = delivery_id, error = %e.without_url(), "webhook unreachable");
            return Outcome::Retry(shown);
        }
    };
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if status.is_success() {
        let source_id = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("source_id")
                    .and_then(|s| s.as_str().map(str::to_string))
            })
            .filter(|s| !s.is_empty() && s.len() <= 500);
        return Outcome::Delivered { source_id };
    }
    let logged: String = text.chars().take(LOGGED).collect();
    tracing::warn!(delivery = delivery_id, %status, body = %logged, "webhook refused the delivery");
    let msg = refusal_text(status, &text);
    if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
        Outcome::Retry(msg)
    } else {
        Outcome::Permanent(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex_of_the_raw_body() {
        // RFC 4231 test case 2.
        let sig = signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify("Jefe", b"what do ya want for nothing?", &sig));
        assert!(!verify("Jefe", b"what do ya want for nothing!", &sig));
        assert!(!verify("other", b"what do ya want for nothing?", &sig));
        assert!(!verify("Jefe", b"x", "md5=00"));
    }

    #[test]
    fn refusals_show_the_status_and_only_a_short_clean_json_message() {
        use reqwest::StatusCode;
        let secret = "INTERNAL-SECRET-DATA: db_password=hunter2";
        for (status, body) in [
            (StatusCode::BAD_REQUEST, secret),
            (StatusCode::INTERNAL_SERVER_ERROR, secret),
            (
                StatusCode::BAD_REQUEST,
                r#"{"message": "db_password=hunter2"}"#,
            ),
            (StatusCode::BAD_REQUEST, r#"{"error": "bad token abc"}"#),
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"message": "stack trace here"}"#,
            ),
        ] {
            let t = refusal_text(status, body);
            assert_eq!(t, format!("webhook answered {status}"), "{body}");
        }
        assert_eq!(
            refusal_text(
                StatusCode::UNPROCESSABLE_ENTITY,
                r#"{"error": {"message": "unknown\ncontact"}}"#
            ),
            "webhook answered 422 Unprocessable Entity: unknown contact"
        );
        assert_eq!(
            refusal_text(StatusCode::GONE, r#"{"message": "endpoint retired"}"#),
            "webhook answered 410 Gone: endpoint retired"
        );
        let long = format!(r#"{{"error": "{}"}}"#, "x".repeat(500));
        let t = refusal_text(StatusCode::BAD_REQUEST, &long);
        assert!(t.chars().count() < 120, "{t}");
    }

    #[test]
    fn payload_is_json_with_the_message() {
        let body = payload(&Reply {
            inbox_id: 1,
            conversation_id: 2,
            message_id: 3,
            content: "hola \"amigo\"",
            created_at: "2026-01-01T00:00:00Z".into(),
            agent_id: Some(4),
            agent_name: "Ana".into(),
            contact: json!({"identifier": "c-1"}),
            files: json!([]),
        });
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["message"]["content"], "hola \"amigo\"");
        assert_eq!(v["contact"]["identifier"], "c-1");
        assert_eq!(v["event"], "message.created");
    }
}

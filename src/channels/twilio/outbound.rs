//! Our requests to Twilio: sending a message, reading the answer into the message's
//! SID or a classified error, fetching inbound files, and the account probe.

use super::{Config, MAX_TEXT, error_text};
use crate::channels::http::{HttpRequest, HttpResponse};
use crate::channels::provider::MediaStep;
use crate::channels::seam::{
    Identity, MediaRef, OutboundMessage, ProviderError, SendError, WindowState,
};

/// Twilio's limit of files per message: 10 on MMS, 1 on WhatsApp.
const MAX_MEDIA_SMS: usize = 10;

/// The `Messages.json` create request for `msg` (posted to `url`).
pub fn send(config: &Config, url: &str, msg: &OutboundMessage) -> Result<HttpRequest, SendError> {
    let Identity::Phone(number) = &msg.to else {
        return Err(permanent(format!(
            "Twilio sends only to phone numbers, not to a {} identity",
            msg.to.kind()
        )));
    };
    if config.whatsapp && msg.template.is_none() && msg.window == WindowState::Closed {
        return Err(SendError::OutsideWindow(
            "Outside the WhatsApp 24-hour window: only an approved template can be sent".into(),
        ));
    }
    if msg.text.chars().count() > MAX_TEXT {
        return Err(permanent(format!(
            "The message is longer than the {MAX_TEXT} characters Twilio accepts"
        )));
    }
    let max_media = if config.whatsapp { 1 } else { MAX_MEDIA_SMS };
    if msg.media.len() > max_media {
        return Err(permanent(format!(
            "Twilio sends at most {max_media} file(s) per message on this channel"
        )));
    }
    if msg.text.trim().is_empty() && msg.media.is_empty() && msg.template.is_none() {
        return Err(permanent("The message has no text and no file".into()));
    }
    let from = config.from.trim();
    let (to, from) = if config.whatsapp {
        let from = if from.starts_with("whatsapp:") || is_service(from) {
            from.to_string()
        } else {
            format!("whatsapp:{from}")
        };
        (format!("whatsapp:{number}"), from)
    } else if from.starts_with("rcs:") {
        // A direct RCS send goes to the recipient's `rcs:` address.
        (format!("rcs:{number}"), from.to_string())
    } else {
        (number.clone(), from.to_string())
    };
    let mut pairs: Vec<(&str, String)> = vec![("To", to)];
    // A Messaging Service picks the sender itself (and falls back from RCS to SMS).
    pairs.push((
        if is_service(&from) {
            "MessagingServiceSid"
        } else {
            "From"
        },
        from,
    ));
    if let Some(t) = &msg.template {
        pairs.push(("ContentSid", t.name.clone()));
        if !t.parameters.is_empty() {
            let vars: serde_json::Map<String, serde_json::Value> = t
                .parameters
                .iter()
                .enumerate()
                .map(|(i, p)| ((i + 1).to_string(), serde_json::Value::String(p.clone())))
                .collect();
            pairs.push((
                "ContentVariables",
                serde_json::Value::Object(vars).to_string(),
            ));
        }
    } else if !msg.text.is_empty() {
        pairs.push(("Body", msg.text.clone()));
    }
    for m in &msg.media {
        pairs.push(("MediaUrl", m.url.clone()));
    }
    if let Some(cb) = config.status_callback.as_deref().filter(|c| !c.is_empty()) {
        pairs.push(("StatusCallback", cb.to_string()));
    }
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    Ok(HttpRequest::post_form(url, &pairs).basic(&config.account_sid, &config.auth_token))
}

/// A Messaging Service SID (`MG` and 32 hex digits).
fn is_service(from: &str) -> bool {
    from.len() == 34 && from.starts_with("MG") && from[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn permanent(text: String) -> SendError {
    SendError::Permanent(ProviderError {
        code: String::new(),
        text,
    })
}

/// Twilio's error body: `{"code", "message", "more_info", "status"}`.
fn twilio_error(resp: &HttpResponse) -> Option<ProviderError> {
    let v = resp.json()?;
    let code = match &v["code"] {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => return None,
    };
    let text = error_text(&code, v["message"].as_str());
    Some(ProviderError { code, text })
}

/// Reads the answer to a send: the new message's SID (`SM…` or `MM…`), or why not.
pub fn sent(resp: &HttpResponse) -> Result<String, SendError> {
    if resp.is_success() {
        return resp
            .json()
            .and_then(|v| v["sid"].as_str().map(str::to_string))
            .filter(|s| !s.is_empty())
            .ok_or_else(|| SendError::RetryLater {
                after: None,
                reason: "Twilio accepted the message but its answer had no sid".into(),
            });
    }
    let error = twilio_error(resp);
    match error.as_ref().map(|e| e.code.as_str()) {
        // With the code, as every other Twilio refusal and the 63016 status callback.
        Some("63016") => Err(SendError::OutsideWindow(
            error.map(|e| e.display()).unwrap_or_default(),
        )),
        _ if resp.status == 401 => Err(SendError::Permanent(ProviderError {
            code: "20003".into(),
            text: error_text("20003", None),
        })),
        _ => Err(resp.failure(error)),
    }
}

/// The first request for an inbound file: its URL, with the account's credentials
/// when the URL is Twilio's own API (Twilio may require basic auth for media; no
/// other host is handed the auth token).
pub fn fetch_media(config: &Config, media: &MediaRef) -> HttpRequest {
    let req = HttpRequest::get(media.locator.clone());
    if same_origin(&media.locator, &config.api_base)
        || same_origin(&media.locator, super::DEFAULT_API_BASE)
    {
        req.basic(&config.account_sid, &config.auth_token)
    } else {
        req
    }
}

fn same_origin(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a), reqwest::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// Twilio's media URL answers a redirect to storage (followed here as a new request,
/// without credentials: the redirected host is not Twilio's API), and storage the
/// bytes.
pub fn media_step(media: &MediaRef, resp: &HttpResponse) -> Result<MediaStep, String> {
    if (300..400).contains(&resp.status) {
        let location = resp
            .header("location")
            .ok_or_else(|| format!("Twilio answered HTTP {} without a Location", resp.status))?;
        let next = reqwest::Url::parse(&media.locator)
            .and_then(|base| base.join(location))
            .map_err(|_| format!("Twilio redirected the file to an unusable URL {location:?}"))?;
        return Ok(MediaStep::Then(HttpRequest::get(next.to_string())));
    }
    if resp.is_success() {
        let header = resp
            .header("content-type")
            .map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase());
        return Ok(MediaStep::Done {
            bytes: resp.body.clone(),
            mime: media.mime.clone().or(header),
        });
    }
    Err(match resp.status {
        401 | 403 => "Twilio refused the account SID or auth token for this file".to_string(),
        404 => "Twilio no longer has this file (it was deleted)".to_string(),
        s => format!("Twilio answered HTTP {s} for this file"),
    })
}

/// Reads the account fetch: `Twilio account <friendly_name> (<status>)`.
pub fn probed(config: &Config, resp: &HttpResponse) -> Result<String, String> {
    if resp.is_success() {
        let v = resp
            .json()
            .ok_or_else(|| "Twilio's answer is not JSON: is the API base URL right?".to_string())?;
        let name = v["friendly_name"]
            .as_str()
            .unwrap_or(config.account_sid.as_str());
        let status = v["status"].as_str().unwrap_or("unknown status");
        return Ok(format!("Twilio account {name} ({status})"));
    }
    Err(match resp.status {
        401 | 403 => format!("{} (20003)", error_text("20003", None)),
        404 => format!(
            "Twilio has no account {}: check the account SID",
            config.account_sid
        ),
        _ => match twilio_error(resp) {
            Some(e) => e.display(),
            None => format!("Twilio answered HTTP {}", resp.status),
        },
    })
}

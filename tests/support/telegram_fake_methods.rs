//! The fake's Bot API methods, long polling and webhook delivery.

use super::send;
use super::{FAKE_TOKEN, FakeError, Recorded, State, Webhook};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The bot's own `User`.
pub(crate) fn bot_user() -> Value {
    json!({"id": 7012345678_i64, "is_bot": true, "first_name": "Fake Shop",
        "username": "fake_shop_bot", "can_join_groups": true,
        "can_read_all_group_messages": false, "supports_inline_queries": false})
}

pub(crate) fn ok(result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"ok": true, "result": result}))
}

pub(crate) fn err(code: u16, description: &str) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(code).unwrap())
        .json(json!({"ok": false, "error_code": code, "description": description}))
}

fn scripted(e: FakeError) -> HttpResponse {
    match e {
        FakeError::Blocked => err(403, "Forbidden: bot was blocked by the user"),
        FakeError::RetryAfter(s) => HttpResponse::TooManyRequests().json(json!({
            "ok": false, "error_code": 429,
            "description": format!("Too Many Requests: retry after {s}"),
            "parameters": {"retry_after": s}})),
        FakeError::ServerError => err(500, "Internal Server Error"),
        FakeError::Other(code, d) => err(code, &d),
    }
}

/// Query and body parameters, merged: Telegram takes a query string, a form or JSON.
fn params(req: &HttpRequest, body: &[u8]) -> Map<String, Value> {
    let mut out = Map::new();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let ctype = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let form: Vec<(String, String)> = if ctype.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes(body).unwrap_or_default()
    } else {
        vec![]
    };
    for (k, v) in pairs.into_iter().chain(form) {
        // Form and query values of structured parameters are JSON-serialized.
        let v = serde_json::from_str(&v).unwrap_or(Value::String(v));
        out.insert(k, v);
    }
    if ctype.starts_with("application/json")
        && let Ok(Value::Object(o)) = serde_json::from_slice(body)
    {
        out.extend(o);
    }
    if let Some(boundary) = ctype
        .strip_prefix("multipart/form-data")
        .and_then(|r| r.split("boundary=").nth(1))
    {
        out.extend(multipart(body, boundary.trim_matches('"')));
    }
    out
}

/// A `multipart/form-data` body (RFC 7578), as Telegram reads uploads: text parts as
/// values (JSON-serialized ones parsed), file parts as `{"upload": {"filename",
/// "content_type", "hex"}}`. A malformed body reads as no parameters.
fn multipart(body: &[u8], boundary: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let delim = format!("--{boundary}");
    let find = |hay: &[u8], from: usize, needle: &[u8]| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let Some(mut at) = find(body, 0, delim.as_bytes()) else {
        return out;
    };
    loop {
        at += delim.len();
        if body.get(at..at + 2) == Some(b"--") {
            break;
        }
        let Some(head_end) = find(body, at, b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&body[at..head_end]).to_string();
        let start = head_end + 4;
        let Some(next) = find(body, start, format!("\r\n{delim}").as_bytes()) else {
            break;
        };
        let data = &body[start..next];
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or("");
        let attr = |name: &str| {
            disposition
                .split(';')
                .filter_map(|kv| kv.trim().strip_prefix(&format!("{name}=\"")))
                .map(|v| v.trim_end_matches(['"', '\r', '\n']).to_string())
                .next()
        };
        let ctype = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .map(str::to_string);
        if let Some(name) = attr("name") {
            let v = match attr("filename") {
                Some(filename) => json!({"upload": {"filename": filename,
                    "content_type": ctype.unwrap_or_default(), "hex": hex::encode(data)}}),
                None => {
                    let text = String::from_utf8_lossy(data).to_string();
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                }
            };
            out.insert(name, v);
        }
        at = next + 2;
    }
    out
}

pub(crate) fn int(p: &Map<String, Value>, k: &str) -> Option<i64> {
    match p.get(k)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) fn text(p: &Map<String, Value>, k: &str) -> Option<String> {
    p.get(k).and_then(|v| v.as_str()).map(str::to_string)
}

/// Every request: `/bot<token>/<method>` or `/file/bot<token>/<path>`.
pub(crate) async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    st: web::Data<State>,
) -> HttpResponse {
    let path = req.path().to_string();
    let (is_file, rest) = match path.strip_prefix("/file/bot") {
        Some(r) => (true, r),
        None => (false, path.strip_prefix("/bot").unwrap_or("")),
    };
    let (token, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let token_ok = token == FAKE_TOKEN;
    let p = params(&req, &body);
    let method = if is_file {
        "file".to_string()
    } else {
        tail.to_string()
    };
    st.inner.lock().unwrap().requests.push(Recorded {
        http_method: req.method().to_string(),
        method: method.clone(),
        path: if token.is_empty() {
            path.clone()
        } else {
            path.replacen(token, "<token>", 1)
        },
        token_ok,
        params: Value::Object(p.clone()),
        body: body.to_vec(),
    });
    if !token_ok {
        // Telegram answers 404 to what is not even a token, 401 to a wrong one.
        return if token.contains(':') {
            err(401, "Unauthorized")
        } else {
            err(404, "Not Found")
        };
    }
    if is_file {
        let inner = st.inner.lock().unwrap();
        return match inner.files.values().find(|f| f.file_path == tail) {
            Some(f) => HttpResponse::Ok()
                .content_type("application/octet-stream")
                .body(f.bytes.clone()),
            None => err(404, "Not Found"),
        };
    }
    let lower = method.to_ascii_lowercase();
    let script = st
        .inner
        .lock()
        .unwrap()
        .script
        .get_mut(&lower)
        .and_then(|q| q.pop_front());
    if let Some(e) = script {
        return scripted(e);
    }
    match lower.as_str() {
        "getme" => ok(bot_user()),
        "getupdates" => get_updates(&st, &p).await,
        "getfile" => get_file(&st, &p),
        "setwebhook" => set_webhook(&st, &p),
        "deletewebhook" => delete_webhook(&st, &p),
        "getwebhookinfo" => {
            let inner = st.inner.lock().unwrap();
            let url = inner
                .webhook
                .as_ref()
                .map(|w| w.url.clone())
                .unwrap_or_default();
            ok(json!({"url": url, "has_custom_certificate": false,
                "pending_update_count": inner.pending.len()}))
        }
        "sendmessage" => send::send_message(&st, &p),
        "sendphoto" | "senddocument" | "sendvoice" | "sendvideo" | "sendaudio" => {
            send::send_file(&st, &method, &p).await
        }
        "sendmediagroup" => send::send_media_group(&st, &p).await,
        _ => err(404, "Not Found"),
    }
}

/// `getUpdates`: forget what `offset` confirms, then answer what is pending, waiting up
/// to `timeout` seconds for something to come.
async fn get_updates(st: &State, p: &Map<String, Value>) -> HttpResponse {
    let offset = int(p, "offset").unwrap_or(0);
    let limit = int(p, "limit").unwrap_or(100).clamp(1, 100) as usize;
    let timeout = int(p, "timeout").unwrap_or(0).clamp(0, 50) as u64;
    let generation = {
        let mut inner = st.inner.lock().unwrap();
        if inner.webhook.is_some() {
            return err(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            );
        }
        if offset > 0 {
            inner
                .pending
                .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
        }
        if let Some(Value::Array(a)) = p.get("allowed_updates") {
            inner.allowed = a
                .iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect();
        }
        inner.poll_generation += 1;
        inner.poll_generation
    };
    // A poll still waiting is superseded by this one.
    st.notify.notify_waiters();
    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = st.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut inner = st.inner.lock().unwrap();
            if inner.poll_generation != generation {
                return err(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                );
            }
            if inner.webhook.is_some() {
                return err(409, "Conflict: terminated by setWebhook request");
            }
            if !inner.pending.is_empty() {
                let batch: Vec<Value> = inner.pending.iter().take(limit).cloned().collect();
                for u in &batch {
                    let id = u["update_id"].as_u64().unwrap_or(0);
                    *inner.handed_out.entry(id).or_default() += 1;
                }
                return ok(Value::Array(batch));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return ok(json!([]));
        }
        let _ = tokio::time::timeout(left, notified).await;
    }
}

fn get_file(st: &State, p: &Map<String, Value>) -> HttpResponse {
    let id = text(p, "file_id").unwrap_or_default();
    let inner = st.inner.lock().unwrap();
    match inner.files.get(&id) {
        Some(f) if f.bytes.len() > 20 * 1024 * 1024 => err(400, "Bad Request: file is too big"),
        Some(f) => ok(
            json!({"file_id": f.file_id, "file_unique_id": f.file_unique_id,
            "file_size": f.bytes.len(), "file_path": f.file_path}),
        ),
        None => err(400, "Bad Request: invalid file_id"),
    }
}

fn set_webhook(st: &State, p: &Map<String, Value>) -> HttpResponse {
    let url = text(p, "url").unwrap_or_default();
    if url.is_empty() {
        return delete_webhook(st, p);
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return err(
            400,
            "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        );
    }
    let secret = text(p, "secret_token");
    if let Some(s) = &secret
        && (s.is_empty()
            || s.len() > 256
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    {
        return err(
            400,
            "Bad Request: secret token contains unallowed characters",
        );
    }
    let mut inner = st.inner.lock().unwrap();
    if let Some(Value::Array(a)) = p.get("allowed_updates") {
        inner.allowed = a
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
    }
    inner.webhook = Some(Webhook { url, secret });
    drop(inner);
    st.notify.notify_waiters();
    HttpResponse::Ok().json(json!({"ok": true, "result": true, "description": "Webhook was set"}))
}

fn delete_webhook(st: &State, p: &Map<String, Value>) -> HttpResponse {
    let mut inner = st.inner.lock().unwrap();
    if p.get("drop_pending_updates") == Some(&json!(true)) {
        inner.pending.clear();
    }
    let description = match inner.webhook.take() {
        Some(_) => "Webhook was deleted",
        None => "Webhook is already deleted",
    };
    HttpResponse::Ok().json(json!({"ok": true, "result": true, "description": description}))
}

/// POSTs one update to a webhook URL: its HTTP status, 0 when unreachable.
pub(crate) async fn post_update(
    client: &reqwest::Client,
    url: &str,
    secret: Option<&str>,
    update: &Value,
) -> u16 {
    let mut req = client
        .post(url)
        .timeout(Duration::from_secs(10))
        .json(update);
    if let Some(s) = secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
    }
    req.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
}

/// While a webhook is set, delivers pending updates in order, one at a time, each
/// until it is answered 2xx (Telegram retries; this gives up after 30 attempts).
pub(crate) async fn deliver_webhooks(st: std::sync::Arc<State>) {
    let mut attempts = 0u32;
    loop {
        let notified = st.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let next = {
            let inner = st.inner.lock().unwrap();
            inner.webhook.clone().zip(inner.pending.front().cloned())
        };
        let Some((hook, update)) = next else {
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
            continue;
        };
        let id = update["update_id"].as_u64().unwrap_or(0);
        let status = post_update(&st.client, &hook.url, hook.secret.as_deref(), &update).await;
        let done = {
            let mut inner = st.inner.lock().unwrap();
            inner.deliveries.push((id, status));
            attempts += 1;
            let done = (200..300).contains(&status) || attempts >= 30;
            if done {
                attempts = 0;
                if inner.pending.front().and_then(|u| u["update_id"].as_u64()) == Some(id) {
                    inner.pending.pop_front();
                }
            }
            done
        };
        if !done {
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempts.min(10)))).await;
        }
    }
}

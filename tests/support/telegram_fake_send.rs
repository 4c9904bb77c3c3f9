//! The fake's `send*` methods: the chat must have written to the bot, a file given by
//! URL is downloaded as Telegram does, and each answer is a realistic `Message`.
// Helpers return the error answer itself; its size does not matter in a test fake.
#![allow(clippy::result_large_err)]

use super::methods::{bot_user, err, int, now_secs, ok, text};
use super::{FakeFile, Inner, SentMessage, State};
use actix_web::HttpResponse;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The chat `chat_id` names, if it ever wrote to the bot.
fn chat(inner: &Inner, p: &Map<String, Value>) -> Result<(i64, Value), HttpResponse> {
    let id = int(p, "chat_id").ok_or_else(|| err(400, "Bad Request: chat_id is empty"))?;
    match inner.chats.get(&id) {
        Some(c) => Ok((id, c.clone())),
        None => Err(err(400, "Bad Request: chat not found")),
    }
}

fn message(inner: &mut Inner, chat: &Value) -> Value {
    inner.next_message_id += 1;
    json!({"message_id": inner.next_message_id, "from": bot_user(), "chat": chat,
        "date": now_secs()})
}

pub(crate) fn send_message(st: &State, p: &Map<String, Value>) -> HttpResponse {
    let mut inner = st.inner.lock().unwrap();
    let (chat_id, chat) = match chat(&inner, p) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let body = text(p, "text").unwrap_or_default();
    if body.trim().is_empty() {
        return err(400, "Bad Request: message text is empty");
    }
    if body.encode_utf16().count() > 4096 {
        return err(400, "Bad Request: message is too long");
    }
    let mut m = message(&mut inner, &chat);
    m["text"] = json!(body);
    let message_id = m["message_id"].as_i64().unwrap();
    inner.sent.push(SentMessage {
        method: "sendMessage".into(),
        chat_id,
        message_id,
        text: Some(body),
        caption: None,
        media_url: None,
        media: None,
    });
    ok(m)
}

/// What Telegram takes from a URL for each kind (the Bot API's "Sending files": by
/// URL, `sendDocument` works only for PDF, GIF and ZIP files; a voice note must be OGG
/// with Opus, or MP3, or M4A; a photo is an image): checked on the downloaded file's
/// `Content-Type` and its bytes.
/// A file part the request uploaded: its name, type and bytes.
fn uploaded(v: &Value) -> Option<(String, String, Vec<u8>)> {
    let u = v.get("upload")?;
    Some((
        u["filename"].as_str()?.to_string(),
        u["content_type"].as_str()?.to_string(),
        hex::decode(u["hex"].as_str()?).ok()?,
    ))
}

/// Uploaded (`upload`), a document may be any file.
fn check_fetched(
    kind: &str,
    content_type: &str,
    bytes: &[u8],
    upload: bool,
) -> Result<(), HttpResponse> {
    let ct = content_type.split(';').next().unwrap_or("").trim();
    let ogg_opus = bytes.starts_with(b"OggS") && bytes.windows(8).any(|w| w == b"OpusHead");
    let ok = match kind {
        "document" => upload || ["application/pdf", "image/gif", "application/zip"].contains(&ct),
        "voice" => (ct == "audio/ogg" && ogg_opus) || ["audio/mpeg", "audio/mp4"].contains(&ct),
        // A photo is read as an image from its bytes.
        "photo" => {
            bytes.starts_with(b"\xff\xd8")
                || bytes.starts_with(b"\x89PNG")
                || (bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP"))
        }
        "audio" => ["audio/mpeg", "audio/mp4"].contains(&ct),
        "video" => ct == "video/mp4",
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(err(400, "Bad Request: wrong type of the web page content"))
    }
}

/// Downloads a file given by URL, as Telegram does before sending it, and checks it is
/// what the method takes.
async fn fetch_checked(st: &State, kind: &str, url: &str) -> Result<Option<Vec<u8>>, HttpResponse> {
    let fetch = st.inner.lock().unwrap().fetch_sent_media;
    if !fetch || !(url.starts_with("http://") || url.starts_with("https://")) {
        return Ok(None);
    }
    let wrong = || err(400, "Bad Request: wrong file identifier/HTTP URL specified");
    let resp = st
        .client
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|_| wrong())?;
    if !resp.status().is_success() {
        return Err(wrong());
    }
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = resp.bytes().await.map_err(|_| wrong())?.to_vec();
    check_fetched(kind, &ct, &bytes, false)?;
    Ok(Some(bytes))
}

/// The `Message` field for a sent file of `kind` (`photo`, `document`…).
fn file_field(inner: &mut Inner, kind: &str, url: &str, bytes: &[u8]) -> Value {
    inner.next_file += 1;
    let n = inner.next_file;
    let f = FakeFile {
        file_id: format!("BQACAgQAAxkDAAI{n:06}-sent"),
        file_unique_id: format!("AgAD{n:06}"),
        file_path: format!("{kind}s/file_{n}"),
        bytes: bytes.to_vec(),
    };
    inner.files.insert(f.file_id.clone(), f.clone());
    let base = json!({"file_id": f.file_id, "file_unique_id": f.file_unique_id,
        "file_size": bytes.len()});
    let mut v = base.clone();
    match kind {
        "photo" => {
            v["width"] = json!(800);
            v["height"] = json!(600);
            return json!([v]);
        }
        "document" => {
            v["file_name"] = json!(url.rsplit('/').next().unwrap_or("file"));
        }
        "voice" => {
            v["duration"] = json!(1);
            v["mime_type"] = json!("audio/ogg");
        }
        _ => v["duration"] = json!(1),
    }
    v
}

/// Records and answers one sent file; `kind` is the `Message` field and the parameter.
fn sent_file(
    inner: &mut Inner,
    chat: (i64, &Value),
    kind: &str,
    url: &str,
    caption: Option<String>,
    bytes: Option<Vec<u8>>,
) -> Value {
    let mut m = message(inner, chat.1);
    m[kind] = file_field(inner, kind, url, bytes.as_deref().unwrap_or(b""));
    if let Some(c) = &caption {
        m["caption"] = json!(c);
    }
    let message_id = m["message_id"].as_i64().unwrap();
    let method = format!("send{}{}", kind[..1].to_uppercase(), &kind[1..]);
    inner.sent.push(SentMessage {
        method,
        chat_id: chat.0,
        message_id,
        text: None,
        caption,
        media_url: Some(url.to_string()),
        media: bytes,
    });
    m
}

fn caption_of(p: &Map<String, Value>) -> Result<Option<String>, HttpResponse> {
    let c = text(p, "caption");
    if c.as_ref().is_some_and(|c| c.encode_utf16().count() > 1024) {
        return Err(err(400, "Bad Request: message caption is too long"));
    }
    Ok(c)
}

pub(crate) async fn send_file(st: &State, method: &str, p: &Map<String, Value>) -> HttpResponse {
    let kind = method[4..].to_ascii_lowercase();
    let (chat_id, chat) = match chat(&st.inner.lock().unwrap(), p) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let caption = match caption_of(p) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let (url, bytes) = match p.get(&kind).and_then(uploaded) {
        Some((name, ct, bytes)) => match check_fetched(&kind, &ct, &bytes, true) {
            Ok(()) => (format!("upload:{name}"), Some(bytes)),
            Err(e) => return e,
        },
        None => {
            let Some(url) = text(p, &kind) else {
                return err(
                    400,
                    &format!("Bad Request: there is no {kind} in the request"),
                );
            };
            match fetch_checked(st, &kind, &url).await {
                Ok(b) => (url, b),
                Err(e) => return e,
            }
        }
    };
    let mut inner = st.inner.lock().unwrap();
    ok(sent_file(
        &mut inner,
        (chat_id, &chat),
        &kind,
        &url,
        caption,
        bytes,
    ))
}

pub(crate) async fn send_media_group(st: &State, p: &Map<String, Value>) -> HttpResponse {
    let (chat_id, chat) = match chat(&st.inner.lock().unwrap(), p) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let items = p
        .get("media")
        .and_then(|m| m.as_array())
        .cloned()
        .unwrap_or_default();
    if !(2..=10).contains(&items.len()) {
        return err(400, "Bad Request: media must include 2-10 items");
    }
    let mut fetched = vec![];
    for item in &items {
        let url = item["media"].as_str().unwrap_or("").to_string();
        let kind = item["type"].as_str().unwrap_or("").to_string();
        if !["photo", "video", "document", "audio"].contains(&kind.as_str()) {
            return err(400, "Bad Request: invalid media type");
        }
        // `attach://<name>`: a file part of this request.
        if let Some(name) = url.strip_prefix("attach://") {
            let Some((file, ct, bytes)) = p.get(name).and_then(uploaded) else {
                return err(400, "Bad Request: wrong file identifier/HTTP URL specified");
            };
            if let Err(e) = check_fetched(&kind, &ct, &bytes, true) {
                return e;
            }
            let caption = item["caption"].as_str().map(str::to_string);
            fetched.push((kind, format!("upload:{file}"), caption, Some(bytes)));
            continue;
        }
        match fetch_checked(st, &kind, &url).await {
            Ok(b) => fetched.push((kind, url, item["caption"].as_str().map(str::to_string), b)),
            Err(e) => return e,
        }
    }
    let mut inner = st.inner.lock().unwrap();
    let messages: Vec<Value> = fetched
        .into_iter()
        .map(|(kind, url, caption, b)| {
            sent_file(&mut inner, (chat_id, &chat), &kind, &url, caption, b)
        })
        .collect();
    ok(Value::Array(messages))
}

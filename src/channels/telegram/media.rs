//! Inbound files: `getFile?file_id=` names the file's `file_path` (valid for an hour),
//! then `{api_base}/file/bot{token}/{file_path}` is the file.

use super::{MAX_FILE_BYTES, Telegram, api_result};
use crate::channels::http::{HttpRequest, HttpResponse};
use crate::channels::provider::MediaStep;
use crate::channels::seam::MediaRef;

/// The `getFile` request for `media`'s `file_id`.
pub(super) fn fetch(tg: &Telegram, media: &MediaRef) -> HttpRequest {
    let query =
        serde_urlencoded::to_string([("file_id", media.locator.as_str())]).unwrap_or_default();
    HttpRequest::get(format!("{}?{query}", tg.method_url("getFile")))
}

/// Reads either answer. The step is not told which request it answers, so the `getFile`
/// answer is recognised by its shape: the Bot API's JSON envelope naming this very
/// `file_id`. A downloaded file that happened to be JSON could not name the file_id
/// Telegram gave to itself, so it is never mistaken for one.
pub(super) fn step(
    tg: &Telegram,
    media: &MediaRef,
    resp: &HttpResponse,
) -> Result<MediaStep, String> {
    if is_api_answer(media, resp) {
        let file = api_result(resp).map_err(|e| {
            if e.unauthorized() {
                super::REFUSED_TOKEN.to_string()
            } else {
                format!("Telegram could not give the file: {}", e.description)
            }
        })?;
        if file["file_size"]
            .as_u64()
            .is_some_and(|n| n > MAX_FILE_BYTES)
        {
            return Err(format!(
                "the file is larger than the {} MB a Telegram bot may download",
                MAX_FILE_BYTES / 1024 / 1024
            ));
        }
        let path = file["file_path"].as_str().unwrap_or("");
        if !safe_path(path) {
            return Err("Telegram answered getFile without a usable file_path".into());
        }
        return Ok(MediaStep::Then(HttpRequest::get(tg.file_url(path))));
    }
    if !resp.is_success() {
        return Err(format!(
            "Telegram answered HTTP {} for the file",
            resp.status
        ));
    }
    // Telegram's file server often says application/octet-stream; the type the message
    // declared is the better one.
    let served = resp
        .header("content-type")
        .map(|t| t.split(';').next().unwrap_or("").trim().to_string())
        .filter(|t| !t.is_empty() && t != "application/octet-stream");
    Ok(MediaStep::Done {
        bytes: resp.body.clone(),
        mime: media.mime.clone().or(served),
    })
}

/// A Bot API envelope about this file: an error, or a `File` with this `file_id`.
fn is_api_answer(media: &MediaRef, resp: &HttpResponse) -> bool {
    let json_type = resp
        .header("content-type")
        .is_some_and(|t| t.trim_start().starts_with("application/json"));
    let Some(v) = resp.json().filter(|_| json_type) else {
        return false;
    };
    match v["ok"].as_bool() {
        Some(false) => true,
        Some(true) => v["result"]["file_id"].as_str() == Some(media.locator.as_str()),
        None => false,
    }
}

/// A relative path under the bot's file directory (`photos/file_42.jpg`): nothing that
/// could step out of it or change the URL's meaning.
fn safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(['?', '#', '\\', '%'])
        && !path.chars().any(char::is_control)
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

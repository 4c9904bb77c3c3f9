//! What a message brought, opened: attachment downloads and a mail's HTML for the
//! timeline's sandboxed frame. Both answer 404 outside the agent's reach, and both are
//! served so that nothing in them can run here: downloads are `attachment` (only a few
//! raster image types inline), `nosniff`, sandboxed; the HTML has its own CSP without
//! scripts, is sandboxed without `allow-scripts`, and loads no remote image until asked.

use crate::domain::conversation::{ConversationId, MessageId};
use crate::service::{AttachmentFile, FileBody};
use crate::store::Store;
use crate::web::AppState;
use crate::web::auth::Signed;
use crate::web::error::WebError;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;
use std::sync::Arc;

/// Raster images a browser shows without running anything: the only types served inline
/// (never SVG or HTML, which can carry script).
const INLINE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Sound and video whose type was checked from their bytes (uploads): sent with their
/// type, still as `attachment`, so `<audio>` and `<video>` play them; nothing in them runs.
const MEDIA_TYPES: &[&str] = &[
    "audio/mpeg",
    "audio/ogg",
    "audio/mp4",
    "audio/webm",
    "video/mp4",
];

/// A downloaded file is a document of its own: nothing may run or load in it.
const ATTACHMENT_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; \
    sandbox";

/// The frame may open links in a new tab (outside the sandbox), read as the same origin
/// (so the page can size the frame to its content, and its `cid:` image requests carry
/// the session), and nothing else: no scripts, forms, plugins or top navigation.
const FRAME_SANDBOX: &str = "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox";

/// Around the sanitized HTML: readable defaults, images that fit, no referrer sent.
const FRAME_HEAD: &str = "<!doctype html><html><head><meta charset=\"utf-8\">\
<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"color-scheme\" content=\"light\">\
<style>html{background:#fff}body{margin:0;padding:.75rem .9rem;color:#1d2233;\
font:14px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;overflow-wrap:anywhere}\
img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}\
blockquote{margin:.5rem 0;padding-left:.75rem;border-left:3px solid #d9dce6;color:#555d75}\
a{color:#4f46e5}</style></head><body>";
const FRAME_TAIL: &str = "</body></html>";

/// `/attachments/{n}`: attachment `n` of a message.
pub async fn attachment_download(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    path: web::Path<(u64, u64, usize)>,
) -> Result<HttpResponse, WebError> {
    let (conv, msg, n) = path.into_inner();
    let file = st
        .services
        .blocking_async(move |s| async move {
            s.attachment(&auth.agent, ConversationId(conv), MessageId(msg), n)
                .await
        })
        .await?;
    Ok(serve_file(&st, file))
}

#[derive(Deserialize)]
pub struct LinkQuery {
    exp: Option<i64>,
    sig: Option<String>,
}

/// `/f/{conv}/{msg}/{n}?exp=…&sig=…`: a sent file by its signed, expiring link (what API
/// webhooks, SMS and link-based channels carry), with no session. A wrong signature is
/// 403 and an expired one 410, with nothing of the file served.
pub async fn file_link(
    st: web::Data<AppState>,
    path: web::Path<(u64, u64, usize)>,
    q: web::Query<LinkQuery>,
) -> HttpResponse {
    use crate::service::file_links::LinkRefused;
    let target = path.into_inner();
    let (exp, sig) = (q.exp.unwrap_or(0), q.sig.clone().unwrap_or_default());
    let found = st
        .services
        .blocking_async(move |s| async move { s.linked_file(target, exp, &sig).await })
        .await;
    let refused = |status: actix_web::http::StatusCode, text: &'static str| {
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(text)
    };
    use actix_web::http::StatusCode;
    match found {
        Ok(file) => serve_typed(&st, file, true),
        Err(LinkRefused::Wrong) => refused(
            StatusCode::FORBIDDEN,
            "This link is not valid.\nEste enlace no es válido.\n",
        ),
        Err(LinkRefused::Expired) => refused(
            StatusCode::GONE,
            "This link has expired.\nEste enlace ha caducado.\n",
        ),
        Err(LinkRefused::NotFound) => refused(
            StatusCode::NOT_FOUND,
            "This file is no longer here.\nEste archivo ya no está aquí.\n",
        ),
    }
}

/// A file as a download with the headers that keep it from running here (see the
/// module's note); an uploaded file is streamed page by page, never read whole.
pub(crate) fn serve_file(st: &AppState, file: AttachmentFile) -> HttpResponse {
    serve_typed(st, file, false)
}

/// [`serve_file`]; with `sniffed_type`, an upload (its type read from its bytes) goes
/// with that type whatever it is: providers fetching a signed link check the type
/// (WhatsApp and Twilio refuse `application/octet-stream` for a PDF), and the file is
/// still an `attachment`, `nosniff` and sandboxed.
fn serve_typed(st: &AppState, file: AttachmentFile, sniffed_type: bool) -> HttpResponse {
    let mime = file.meta.mime.as_str();
    let inline = INLINE_TYPES.contains(&mime);
    let known = file.meta.blob.is_some() && (sniffed_type || MEDIA_TYPES.contains(&mime));
    let content_type = if inline || known {
        mime
    } else {
        "application/octet-stream"
    };
    let mut r = HttpResponse::Ok();
    r.insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(inline, &file.meta.filename),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, ATTACHMENT_CSP))
        .insert_header(("Cross-Origin-Resource-Policy", "same-origin"));
    match file.body {
        FileBody::Bytes(b) => r.body(b),
        FileBody::Blob { conv, upload } => {
            let size = file.meta.size;
            r.no_chunking(size)
                .streaming(blob_stream(st.services.store.clone(), conv, upload))
        }
    }
}

/// An upload's chunks, read a page at a time on the blocking pool as the client takes
/// them: at most a page (about 1 MB) in memory per download.
pub(crate) fn blob_stream(
    store: Arc<Store>,
    conv: ConversationId,
    upload: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> + 'static {
    crate::service::file_links::blob_pages(store, conv, upload).map(|page| {
        page.map(Bytes::from)
            .map_err(actix_web::error::ErrorInternalServerError)
    })
}

#[derive(Deserialize)]
pub struct HtmlQuery {
    /// `1`: show remote images (the agent clicked "Load remote images").
    images: Option<String>,
}

/// `/html`: a mail's sanitized HTML as a document for the timeline's frame.
pub async fn message_html(
    req: HttpRequest,
    Signed(auth): Signed,
    st: web::Data<AppState>,
    path: web::Path<(u64, u64)>,
    q: web::Query<HtmlQuery>,
) -> Result<HttpResponse, WebError> {
    let (conv, msg) = path.into_inner();
    let remote = q.images.as_deref() == Some("1");
    let files = format!("/conversations/{conv}/messages/{msg}/attachments/");
    let prefix = files.clone();
    let html = st
        .services
        .blocking_async(move |s| async move {
            s.message_html(
                &auth.agent,
                ConversationId(conv),
                MessageId(msg),
                remote,
                |n| format!("{prefix}{n}"),
            )
            .await
        })
        .await?;
    // Images: inline data, this message's attachments, and the web only when asked.
    let base = super::base_url(&req, &st);
    let ours = if is_plain_origin(&base) {
        format!("{base}{files}")
    } else {
        "'self'".to_string()
    };
    let remote_src = if remote { " https: http:" } else { "" };
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data: {ours}{remote_src}; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'self'; {FRAME_SANDBOX}"
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(format!("{FRAME_HEAD}{html}{FRAME_TAIL}")))
}

/// `scheme://host[:port]` with nothing that could end a CSP source or directive.
fn is_plain_origin(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    })
}

/// RFC 6266: an ASCII `filename` for old clients and the exact name as `filename*`.
fn content_disposition(inline: bool, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '(' | ')' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let fallback = match fallback.trim() {
        "" => "attachment",
        f => f,
    };
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        // RFC 5987 attr-char; everything else percent-encoded.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_break_out_of_the_header() {
        assert_eq!(
            content_disposition(false, "report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition(true, "Año \"2024\";\\x.png"),
            "inline; filename=\"A_o _2024___x.png\"; \
             filename*=UTF-8''A%C3%B1o%20%222024%22%3B%5Cx.png"
        );
        assert_eq!(
            content_disposition(false, "日本.txt"),
            "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"
        );
        assert!(content_disposition(false, "").contains("filename=\"attachment\""));
    }

    #[test]
    fn only_plain_origins_go_into_the_policy() {
        assert!(is_plain_origin("http://127.0.0.1:8080"));
        assert!(is_plain_origin("https://inbox.example.com"));
        assert!(is_plain_origin("http://[::1]:80"));
        assert!(!is_plain_origin("http://x; script-src *"));
        assert!(!is_plain_origin("http://a/b"));
        assert!(!is_plain_origin("javascript:x"));
        assert!(!is_plain_origin("http://"));
    }
}

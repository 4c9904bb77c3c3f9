//! `POST /conversations/{id}/uploads`: a file for the composer, streamed into the store
//! as it arrives (`service::uploads`). A `multipart/form-data` body with an optional
//! `voice` field and one `file`; same-origin and the session's CSRF token (header
//! `X-CSRF-Token`, since the body is not read before the file) are checked first. The
//! answer is JSON: `{"id", "name", "mime", "size", "size_label"}` or `{"error"}`.

use crate::domain::conversation::ConversationId;
use crate::i18n::{L10n, Msg};
use crate::service::{DraftFile, UploadRefused};
use crate::store::Uploader;
use crate::web::AppState;
use crate::web::auth::Signed;
use crate::web::error::WebError;
use crate::web::labels;
use crate::web::locale::Loc;
use crate::web::middleware::check_same_origin;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

/// Room for the multipart framing around the file (boundaries, headers, `voice`).
const FRAMING_BYTES: u64 = 16 * 1024;

/// One file of the composer's `attachments` field.
#[derive(Deserialize)]
struct FileField {
    id: String,
    #[serde(default)]
    caption: Option<String>,
}

/// The composer's `attachments` field (JSON, empty for none) as a draft's files.
pub fn draft_files(raw: &str) -> Result<Vec<DraftFile>, WebError> {
    if raw.trim().is_empty() {
        return Ok(vec![]);
    }
    let bad =
        |detail: String| WebError::BadRequest(Msg::new("upload-bad-list").arg("detail", detail));
    let list: Vec<FileField> = serde_json::from_str(raw).map_err(|e| bad(e.to_string()))?;
    if list.len() > MAX_FILES {
        return Err(bad(format!("more than {MAX_FILES} files")));
    }
    list.into_iter()
        .map(|f| {
            Ok(DraftFile {
                upload: f
                    .id
                    .trim()
                    .parse()
                    .map_err(|_| bad(format!("{:?} is not an upload id", f.id)))?,
                caption: f.caption,
            })
        })
        .collect()
}

/// Files per message.
pub const MAX_FILES: usize = 10;

fn error(status: StatusCode, text: String) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": text }))
}

/// A refusal in the reader's words, with its status.
pub fn refusal(l: &L10n, name: &str, r: UploadRefused) -> HttpResponse {
    match r {
        UploadRefused::TooLarge(limit) => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            l.t2(
                "upload-too-large",
                "name",
                name,
                "limit",
                labels::size(l, limit),
            ),
        ),
        UploadRefused::Type => error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            l.t1("upload-type", "name", name),
        ),
        UploadRefused::Empty => error(StatusCode::BAD_REQUEST, l.t1("upload-empty", "name", name)),
        UploadRefused::Unreadable(detail) => error(
            StatusCode::BAD_REQUEST,
            l.t2("upload-unreadable", "name", name, "detail", detail),
        ),
        UploadRefused::Service(e) => {
            let w = WebError::from(e);
            let status = actix_web::ResponseError::status_code(&w);
            error(status, w.message(l))
        }
    }
}

/// Constant-time string comparison.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub async fn upload_create(
    req: HttpRequest,
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    body: web::Payload,
) -> Result<HttpResponse, WebError> {
    check_same_origin(&req)?;
    let sent = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if sent.is_empty() {
        return Err(WebError::Forbidden(Msg::new("error-csrf-missing")));
    }
    if !same(sent, &auth.session.csrf) {
        return Err(WebError::Forbidden(Msg::new("error-csrf-invalid")));
    }
    let conv = ConversationId(*id);
    let me = auth.agent.clone();
    st.services
        .blocking(move |s| s.check_upload_target(&me, conv))
        .await?;
    let limit = st.services.settings.max_upload_bytes;
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(FRAMING_BYTES)) {
        return Ok(refusal(&l, "", UploadRefused::TooLarge(limit)));
    }
    let mut parts = Multipart::new(req.headers(), body);
    let mut voice = false;
    while let Some(field) = parts.next().await {
        let mut field = field.map_err(|e| {
            WebError::BadRequest(Msg::new("error-form-unreadable").arg("detail", e.to_string()))
        })?;
        match field.name() {
            Some("voice") => {
                let mut v = Vec::new();
                while let Some(b) = field.next().await {
                    let b = b.map_err(|e| {
                        WebError::BadRequest(
                            Msg::new("error-form-unreadable").arg("detail", e.to_string()),
                        )
                    })?;
                    if v.len() + b.len() > 16 {
                        return Err(WebError::BadRequest(Msg::new("upload-bad-voice")));
                    }
                    v.extend_from_slice(&b);
                }
                voice = matches!(&v[..], b"1" | b"true" | b"on");
            }
            Some("file") => {
                let name = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or("")
                    .to_string();
                let mut field = field.fuse();
                let got = st
                    .services
                    .receive_upload(
                        conv,
                        Uploader::Agent(auth.agent.id.0),
                        &name,
                        voice,
                        &mut field,
                    )
                    .await;
                return Ok(match got {
                    Ok(u) => HttpResponse::Created().json(json!({
                        "id": u.id.to_string(),
                        "name": u.filename,
                        "mime": u.mime,
                        "size": u.size,
                        "size_label": labels::size(&l, u.size),
                        "voice": u.voice,
                    })),
                    Err(r) => {
                        // Read (and drop) what is still coming, so the client gets the
                        // answer rather than a reset connection; never more than the limit.
                        drain_field(&mut field, limit).await;
                        drop(field);
                        drain_rest(&mut parts, limit).await;
                        refusal(&l, &name, r)
                    }
                });
            }
            _ => {
                while let Some(b) = field.next().await {
                    if b.is_err() {
                        break;
                    }
                }
            }
        }
    }
    Err(WebError::BadRequest(Msg::new("upload-no-file")))
}

/// Reads the rest of a refused file without keeping it, up to `limit` bytes, so the
/// client gets the answer rather than a reset connection. The field must then be
/// dropped before [`drain_rest`] (the multipart reader waits for it).
pub(crate) async fn drain_field<S>(field: &mut S, limit: u64)
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_multipart::MultipartError>>
        + futures_util::stream::FusedStream
        + Unpin,
{
    let mut seen: u64 = 0;
    while let Some(Ok(b)) = field.next().await {
        seen += b.len() as u64;
        if seen > limit {
            return;
        }
    }
}

/// Reads (and drops) whatever fields follow a refused file, up to `limit` bytes.
pub(crate) async fn drain_rest(parts: &mut Multipart, limit: u64) {
    let mut seen: u64 = 0;
    while let Some(Ok(mut f)) = parts.next().await {
        while let Some(Ok(b)) = f.next().await {
            seen += b.len() as u64;
            if seen > limit {
                return;
            }
        }
    }
}

/// `POST /api/v1/conversations/{id}/messages` as `multipart/form-data`: fields `content`,
/// `private` and one or more `files`, each streamed in as the composer's uploads are
/// (same types, same limit); the message is sent once every file is in. A refused file
/// refuses the message, and the files already received are removed.
pub async fn api_messages_multipart(
    req: HttpRequest,
    crate::web::auth::ApiAgent(me): crate::web::auth::ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    body: web::Payload,
) -> Result<HttpResponse, crate::web::error::ApiError> {
    use crate::web::error::ApiError;
    let conv = ConversationId(*id);
    let actor = me.clone();
    st.services
        .blocking(move |s| s.check_upload_target(&actor, conv))
        .await?;
    let l = L10n::new(crate::i18n::Lang::En, "UTC");
    let unreadable = |e: String| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            l.t1("error-form-unreadable", "detail", e),
        )
    };
    let mut parts = Multipart::new(req.headers(), body);
    let (mut content, mut private) = (String::new(), false);
    let mut files: Vec<DraftFile> = Vec::new();
    let limit = st.services.settings.max_upload_bytes;
    let refused: Option<HttpResponse> = loop {
        let Some(field) = parts.next().await else {
            break None;
        };
        let mut field = match field {
            Ok(f) => f,
            Err(e) => {
                break Some(actix_web::ResponseError::error_response(&unreadable(
                    e.to_string(),
                )));
            }
        };
        let field_name = field.name().unwrap_or("").to_string();
        match field_name.as_str() {
            name @ ("content" | "private") => {
                let cap = st.services.settings.max_message_chars.saturating_mul(4) + 16;
                let mut v = Vec::new();
                while let Some(b) = field.next().await {
                    let b = b.map_err(|e| unreadable(e.to_string()))?;
                    if v.len() + b.len() > cap {
                        return Err(crate::service::ServiceError::TooLong(
                            st.services.settings.max_message_chars,
                        )
                        .into());
                    }
                    v.extend_from_slice(&b);
                }
                let v =
                    String::from_utf8(v).map_err(|_| unreadable(format!("{name} is not UTF-8")))?;
                if name == "content" {
                    content = v;
                } else {
                    private = matches!(v.trim(), "true" | "1" | "on");
                }
            }
            "files" | "files[]" | "file" => {
                if files.len() >= MAX_FILES {
                    break Some(error(
                        StatusCode::BAD_REQUEST,
                        l.t1("upload-too-many", "count", MAX_FILES),
                    ));
                }
                let name = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or("")
                    .to_string();
                let mut field = (&mut field).fuse();
                let got = st
                    .services
                    .receive_upload(conv, Uploader::Agent(me.id.0), &name, false, &mut field)
                    .await;
                match got {
                    Ok(u) => files.push(DraftFile {
                        upload: u.id,
                        caption: None,
                    }),
                    Err(r) => {
                        drain_field(&mut field, limit).await;
                        break Some(refusal(&l, &name, r));
                    }
                }
            }
            _ => while let Some(Ok(_)) = field.next().await {},
        }
    };
    let forget = |st: &web::Data<AppState>, files: &[DraftFile]| {
        let store = st.services.store.clone();
        let ids: Vec<u64> = files.iter().map(|f| f.upload).collect();
        tokio::task::spawn_blocking(move || {
            for u in ids {
                let _ = store.discard_upload(conv, u);
            }
        })
    };
    if let Some(r) = refused {
        drain_rest(&mut parts, limit).await;
        let _ = forget(&st, &files).await;
        // The API's error shape: {"error": {"code", "message"}}.
        let status = r.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_type",
            _ => "invalid",
        };
        let body = actix_web::body::to_bytes(r.into_body())
            .await
            .unwrap_or_default();
        let msg = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_default();
        return Err(ApiError::new(status, code, msg));
    }
    let draft = crate::service::Draft {
        content,
        private,
        attachments: files.clone(),
        ..crate::service::Draft::default()
    };
    let sent = st
        .services
        .blocking_async(move |s| async move { s.send(&me, conv, draft).await })
        .await;
    match sent {
        Ok(m) => Ok(HttpResponse::Created()
            .json(crate::web::json::message_json(&m, &st.services.directory()))),
        Err(e) => {
            let _ = forget(&st, &files).await;
            Err(e.into())
        }
    }
}

//! Files in the website chat widget (`service::widget_files`): a visitor downloads the
//! files of their own conversation and uploads their own, with the session the widget's
//! socket gave them (`?s=`), from the customer's site. Downloads carry the same headers
//! as the agents' (`attachments::serve_file`: attachment disposition, raster images
//! inline, nosniff, sandboxing CSP) and may be embedded cross-origin; an upload is a
//! `multipart/form-data` body with one `file` (its `OPTIONS` preflight answered for
//! allowed origins), streamed into the store as the composer's are, and answered with
//! CORS for allowed origins.

use super::uploads::{drain_field, drain_rest, refusal};
use crate::domain::Inbox;
use crate::service::{ServiceError, Services, UploadRefused};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::labels;
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

/// Room for the multipart framing around the file.
const FRAMING_BYTES: u64 = 16 * 1024;

#[derive(Deserialize)]
pub struct SessionQuery {
    /// The session the socket's `welcome` gave.
    #[serde(default)]
    s: String,
}

fn origin(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `GET /widget/v1/{key}/files/{file}?s=`: a file of the visitor's conversation.
pub async fn widget_download(
    req: HttpRequest,
    st: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<SessionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (key, file) = path.into_inner();
    let inbox = st.services.looked_up(|s| s.website_inbox(&key)).await?;
    let session = q.into_inner().s;
    let i = inbox.clone();
    let found = st
        .services
        .blocking_async(move |s| async move { s.widget_attachment(&i, &session, &file).await })
        .await?;
    let mut resp = super::attachments::serve_file(&st, found);
    let h = resp.headers_mut();
    // Shown in the widget, on the customer's site.
    h.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        header::HeaderValue::from_static("cross-origin"),
    );
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, max-age=3600"),
    );
    if let Some(o) = origin(&req).filter(|o| Services::widget_origin_allowed(&inbox, o))
        && let Ok(v) = header::HeaderValue::from_str(&o)
    {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.insert(header::VARY, header::HeaderValue::from_static("Origin"));
    }
    Ok(resp)
}

/// `OPTIONS /widget/v1/{key}/uploads`: the preflight a browser makes when the widget
/// follows the upload's progress; allowed origins only.
pub async fn widget_upload_preflight(
    req: HttpRequest,
    st: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let inbox: Inbox = st.services.looked_up(|s| s.website_inbox(&key)).await?;
    match origin(&req) {
        Some(o) if Services::widget_origin_allowed(&inbox, &o) => Ok(HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, o))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .insert_header((header::VARY, "Origin"))
            .finish()),
        _ => Ok(HttpResponse::Forbidden().finish()),
    }
}

/// A JSON answer to the widget on `origin` (allowed: checked before).
fn answer(status: StatusCode, origin: &str, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
        .insert_header((header::VARY, "Origin"))
        .json(body)
}

/// `POST /widget/v1/{key}/uploads?s=`: one file from the visitor, answered with
/// `{"id", "name", "mime", "size", "size_label", "kind"}` (the `id` goes into the
/// `send` frame's `files`) or `{"error"}` in the visitor's language; a refused file
/// keeps nothing.
pub async fn widget_upload(
    req: HttpRequest,
    st: web::Data<AppState>,
    key: web::Path<String>,
    q: web::Query<SessionQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let inbox: Inbox = st.services.looked_up(|s| s.website_inbox(&key)).await?;
    // Browsers always send Origin on a cross-origin POST: anything else is no widget.
    let origin = match origin(&req) {
        Some(o) if Services::widget_origin_allowed(&inbox, &o) => o,
        _ => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                "this site is not allowed to use this chat widget (see the inbox's allowed origins)",
            ));
        }
    };
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::i18n::from_accept_language);
    let l = st.services.widget_l10n(&inbox, lang);
    let limit = st.services.widget_upload_limit();
    let refuse = |name: &str, r: UploadRefused| {
        if let UploadRefused::Service(ServiceError::RateLimited { retry_after_secs }) = &r {
            return answer(
                StatusCode::TOO_MANY_REQUESTS,
                &origin,
                json!({"error": l.t1("widgetfiles-too-many", "seconds", *retry_after_secs)}),
            );
        }
        let status = match &r {
            UploadRefused::Service(ServiceError::Conflict(_)) => Some(StatusCode::CONFLICT),
            _ => None,
        };
        let mut resp = refusal(&l, name, r);
        if let Some(s) = status {
            *resp.status_mut() = s;
        }
        resp.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            header::HeaderValue::from_str(&origin)
                .unwrap_or(header::HeaderValue::from_static("null")),
        );
        resp
    };
    let session = q.into_inner().s;
    let i = inbox.clone();
    let target = st
        .services
        .blocking(move |s| s.widget_upload_target(&i, &session))
        .await;
    let (identifier, conv) = match target {
        Ok(t) => t,
        Err(ServiceError::NotFound) => {
            return Ok(answer(
                StatusCode::FORBIDDEN,
                &origin,
                json!({"error": l.t("widgetfiles-session")}),
            ));
        }
        Err(e) => return Ok(refuse("", UploadRefused::Service(e))),
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(FRAMING_BYTES)) {
        return Ok(refuse("", UploadRefused::TooLarge(limit)));
    }
    let mut parts = Multipart::new(req.headers(), body);
    while let Some(field) = parts.next().await {
        let Ok(field) = field else { break };
        if field.name() != Some("file") {
            let mut field = field;
            while let Some(Ok(_)) = field.next().await {}
            continue;
        }
        let name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or("")
            .to_string();
        let mut field = field.fuse();
        let got = st
            .services
            .receive_visitor_upload(conv, &name, limit, &mut field)
            .await;
        return Ok(match got {
            Ok(u) => {
                let id = st
                    .services
                    .widget_upload_ref(&inbox, &identifier, &u)
                    .map_err(ApiError::from)?;
                answer(
                    StatusCode::CREATED,
                    &origin,
                    json!({
                        "id": id,
                        "name": u.filename,
                        "mime": u.mime,
                        "size": u.size,
                        "size_label": labels::size(&l, u.size),
                        "kind": crate::service::widget_files::file_kind(&u.mime),
                    }),
                )
            }
            Err(r) => {
                drain_field(&mut field, limit).await;
                drop(field);
                drain_rest(&mut parts, limit).await;
                refuse(&name, r)
            }
        });
    }
    Ok(answer(
        StatusCode::BAD_REQUEST,
        &origin,
        json!({"error": l.t("upload-no-file")}),
    ))
}

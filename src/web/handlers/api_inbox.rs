//! The API inbox: posting inbound messages and delivery statuses, authenticated by the
//! inbox's own token. Nothing is acknowledged before it is durable.

use crate::domain::InboxId;
use crate::domain::conversation::MessageId;
use crate::domain::message::DeliveryStatus;
use crate::service::{ApiIncoming, ServiceError};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::json::{Json, message_json};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    identifier: Option<String>,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incoming {
    source_id: Option<String>,
    #[serde(default)]
    contact: ContactBody,
    content: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    message_id: Option<u64>,
    source_id: Option<String>,
    status: String,
    error: Option<String>,
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .ok_or_else(ApiError::unauthorized)
}

/// Unknown inbox: 404; wrong token: 401 (checked in that order, so a token never
/// learns about other inboxes beyond existence, which ids reveal anyway).
fn auth_error(e: ServiceError) -> ApiError {
    match e {
        ServiceError::BadCredentials => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "wrong inbox token",
        ),
        ServiceError::NotFound => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such inbox")
        }
        e => e.into(),
    }
}

/// `POST /api/v1/inboxes/{inbox_id}/incoming`.
pub async fn incoming(
    req: HttpRequest,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    body: Result<Json<Incoming>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer(&req)?;
    st.services
        .looked_up(|s| s.api_inbox(InboxId(*id), &token))
        .await
        .map_err(auth_error)?;
    let Json(b) = body?;
    let m = ApiIncoming {
        source_id: b.source_id,
        identifier: b.contact.identifier,
        name: b.contact.name,
        email: b.contact.email,
        phone: b.contact.phone,
        content: b.content,
    };
    let inbox = InboxId(*id);
    let r = st
        .services
        .blocking_async(move |s| async move { s.ingest_api(inbox, &token, m).await })
        .await
        .map_err(auth_error)?;
    if let Some(c) = &r.conversation {
        let contact = c.contact_id;
        st.services
            .blocking(move |s| s.reindex_contact(contact))
            .await?;
    }
    Ok(HttpResponse::Ok().json(json!({
        "conversation_id": r.conversation_id.0,
        "message_id": r.message_id.0,
        "duplicate": r.duplicate,
    })))
}

/// `POST /api/v1/inboxes/{inbox_id}/status`.
pub async fn status(
    req: HttpRequest,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    body: Result<Json<StatusBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer(&req)?;
    st.services
        .looked_up(|s| s.api_inbox(InboxId(*id), &token))
        .await
        .map_err(auth_error)?;
    let Json(b) = body?;
    let status = DeliveryStatus::parse(&b.status)
        .filter(|s| *s != DeliveryStatus::Pending)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "status: must be sent, delivered, read or failed",
            )
        })?;
    let error = b.error.map(|e| e.chars().take(2000).collect::<String>());
    let inbox = InboxId(*id);
    let m = st
        .services
        .blocking_async(move |s| async move {
            s.message_status(
                inbox,
                &token,
                b.message_id.map(MessageId),
                b.source_id.as_deref(),
                status,
                error,
            )
            .await
        })
        .await
        .map_err(auth_error)?;
    Ok(HttpResponse::Ok().json(message_json(&m, &st.services.directory())))
}

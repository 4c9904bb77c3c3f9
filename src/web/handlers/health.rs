//! Health check and the 404 page.

use crate::web::auth::state;
use crate::web::error::{ApiError, WebError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

/// `GET /healthz`: 200 when the store answers, 503 otherwise.
pub async fn healthz(req: HttpRequest) -> HttpResponse {
    let ok = match state(&req) {
        Ok(st) => st.services.blocking(|s| s.store.health().is_ok()).await,
        Err(_) => false,
    };
    if ok {
        HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"status": "unavailable", "store": "not answering"}))
    }
}

/// Anything unrouted: JSON under `/api/`, the friendly page elsewhere.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route {} {}", req.method(), req.path()),
        )
        .error_response()
    } else {
        WebError::NotFound.error_response()
    }
}

//! Health check and the 404 page.

use crate::web::auth::state;
use crate::web::error::{ApiError, WebError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

/// A poller failing this long shows in `/healthz` (15 minutes).
const POLLER_FAILING_SECS: i64 = 15 * 60;

/// `GET /healthz`: 200 when the store answers, 503 otherwise. Pollers (mailboxes,
/// Telegram bots) failing for 15 minutes are listed under `pollers`, by inbox id and
/// since when, without their error (this page needs no sign-in).
pub async fn healthz(req: HttpRequest) -> HttpResponse {
    let (ok, failing) = match state(&req) {
        Ok(st) => {
            let ok = st.services.blocking(|s| s.store.health().is_ok()).await;
            let now = st.services.clock.now();
            let failing = st.services.mail_health.failing(now, POLLER_FAILING_SECS);
            (ok, failing)
        }
        Err(_) => (false, vec![]),
    };
    let pollers: Vec<_> = failing
        .iter()
        .map(|(id, since, _)| serde_json::json!({"inbox_id": id.0, "failing_since": crate::web_time(*since)}))
        .collect();
    if ok && !pollers.is_empty() {
        HttpResponse::Ok().json(serde_json::json!({"status": "degraded", "pollers": pollers}))
    } else if ok {
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

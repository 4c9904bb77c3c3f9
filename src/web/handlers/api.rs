//! JSON API authenticated by personal tokens (`Authorization: Bearer`).

use crate::web::AppState;
use crate::web::auth::ApiAgent;
use crate::web::error::ApiError;
use actix_web::{HttpResponse, web};

/// `GET /api/v1/me`: who the token belongs to.
pub async fn me(ApiAgent(agent): ApiAgent) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "id": agent.id.0,
        "name": agent.name,
        "email": agent.email,
        "role": agent.role.as_str(),
    }))
}

/// `POST /api/v1/admin/backup`: a consistent snapshot of the running server's data,
/// streamed as a `charla backup` file (admins only).
pub async fn backup(
    ApiAgent(agent): ApiAgent,
    st: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let file = st
        .services
        .blocking_async(move |s| async move { s.backup(&agent).await })
        .await?;
    let len = file.metadata().map(|m| m.len()).ok();
    let stream =
        tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), 256 << 10);
    let mut resp = HttpResponse::Ok();
    resp.content_type("application/octet-stream")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"charla.charla-backup\"",
        ));
    if let Some(len) = len {
        resp.no_chunking(len);
    }
    Ok(resp.streaming(stream))
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3 description of this API.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("../openapi.json"))
}

//! `GET /metrics`: the Prometheus text exposition, when `[metrics]` enables it. On the
//! main port behind a bearer token; on its own listener (`metrics.listen`) the main
//! port answers 404 and that listener asks for the token only if one is set.

use crate::web::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

/// Who may read the metrics, from configuration.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// `metrics.enabled`.
    pub enabled: bool,
    /// `metrics.token`: the bearer token a scraper must send.
    pub token: Option<String>,
    /// `metrics.listen` is set: only that listener serves them.
    pub own_listener: bool,
}

/// `GET /metrics` on the main port: 404 when metrics are off or served elsewhere (the
/// same page as any unknown path), 401 without the right token.
pub async fn metrics_main(req: HttpRequest, st: web::Data<AppState>) -> HttpResponse {
    let access = &st.settings.metrics;
    if !access.enabled || access.own_listener {
        return super::health::not_found(req).await;
    }
    // Validation makes the token required here; without one, nobody gets in.
    match access.token.as_deref() {
        Some(token) => scrape(&req, &st, Some(token)).await,
        None => unauthorized(),
    }
}

/// `GET /metrics` on the metrics listener.
pub async fn metrics_own(req: HttpRequest, st: web::Data<AppState>) -> HttpResponse {
    let token = st.settings.metrics.token.clone();
    scrape(&req, &st, token.as_deref()).await
}

async fn scrape(req: &HttpRequest, st: &AppState, token: Option<&str>) -> HttpResponse {
    if let Some(want) = token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        if !crate::service::same_secret(given, want) {
            return unauthorized();
        }
    }
    let text = st.services.metrics_text().await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}

fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
        .content_type("text/plain; charset=utf-8")
        .body("/metrics needs the bearer token set in metrics.token\n")
}

/// The metrics listener's application: `/metrics` and nothing else.
pub fn own_app(
    state: web::Data<AppState>,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    actix_web::App::new()
        .app_data(state)
        .route("/metrics", web::get().to(metrics_own))
        .default_service(web::to(|| async {
            HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("only /metrics is served here\n")
        }))
}

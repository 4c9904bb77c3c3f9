//! Security headers, the first-run redirect and the cross-site request check.

use super::auth::state;
use super::error::WebError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{HttpRequest, HttpResponse};

/// The strict Content-Security-Policy: no inline script, nothing from elsewhere. `blob:`
/// images and media are the page's own files before they are sent (a thumbnail, a
/// voice note played back), made by its own script.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    media-src 'self' blob:; \
    connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers on every response (handlers may override caching).
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), geolocation=(), payment=()",
        ))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// Times every request for `/metrics` (when enabled), under the route pattern it
/// matched (`/conversations/{id}`, never the raw path, so ids cannot multiply the
/// series), its method and its status class.
pub async fn record_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // (The request itself cannot be kept aside: routing needs it unshared.)
    let Some(st) = state(req.request())
        .ok()
        .filter(|s| s.settings.metrics.enabled)
        .cloned()
    else {
        return next.call(req).await;
    };
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let res = next.call(req).await;
    let (route, status) = match &res {
        Ok(r) => (r.request().match_pattern(), r.status()),
        Err(e) => (None, e.as_response_error().status_code()),
    };
    st.services.metrics.request(
        route.as_deref(),
        method.as_str(),
        status.as_u16(),
        started.elapsed(),
    );
    res
}

/// While no admin exists, every page leads to `/setup`.
pub async fn setup_redirect(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    let exempt = path == "/setup"
        || path == "/healthz"
        || path == "/metrics"
        || path.starts_with("/static/")
        || path.starts_with("/widget/")
        || path.starts_with("/api/");
    let done = state(req.request())
        .map(|s| s.services.setup_done())
        .unwrap_or(true);
    if done && path == "/setup" {
        let resp = WebError::NotFound.page(&super::locale::locale(req.request()).await);
        return Ok(req.into_response(resp).map_into_right_body());
    }
    if !done && !exempt {
        let resp = HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/setup"))
            .finish();
        return Ok(req.into_response(resp).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Refuses state-changing requests sent by another site: `Sec-Fetch-Site` when the
/// browser sends it, else `Origin` against our own origin.
pub fn check_same_origin(req: &HttpRequest) -> Result<(), WebError> {
    let forbidden = || WebError::Forbidden(crate::i18n::Msg::new("error-cross-site"));
    if let Some(site) = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        return if site == "same-origin" || site == "none" {
            Ok(())
        } else {
            Err(forbidden())
        };
    }
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(()); // not a browser, or a very old one: the CSRF token still applies
    };
    let st = state(req)?;
    let ours = super::origin::public_origin(req, st);
    if origin.eq_ignore_ascii_case(&ours) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

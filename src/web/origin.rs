//! Which origin (scheme and host) a request reached: for links we hand out (invites,
//! the widget snippet), the cross-site check and `Secure` cookies. `X-Forwarded-Proto`,
//! `X-Forwarded-Host` and `Forwarded` are anyone's to send, so they count only from a
//! trusted reverse proxy; a configured `server.public_url` beats them all.

use super::AppState;
use super::client_ip::from_trusted_proxy;
use actix_web::HttpRequest;
use actix_web::http::header;

/// `https` or `http`, as the client reached us.
pub fn scheme(req: &HttpRequest, st: &AppState) -> String {
    if from_trusted_proxy(req, &st.settings.trusted_proxies) {
        return req.connection_info().scheme().to_string();
    }
    // Without a proxy to believe, only our own listener knows (Charla serves plain
    // HTTP itself; TLS is a proxy's job).
    if req.app_config().secure() {
        "https".into()
    } else {
        "http".into()
    }
}

/// The host (and port) the client asked for.
fn host(req: &HttpRequest, st: &AppState) -> String {
    if from_trusted_proxy(req, &st.settings.trusted_proxies) {
        return req.connection_info().host().to_string();
    }
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| req.app_config().host().to_string())
}

/// The origin for absolute links and the cross-site check: `server.public_url` when
/// set, else the one this request reached.
pub fn public_origin(req: &HttpRequest, st: &AppState) -> String {
    if st.settings.public_url.is_empty() {
        format!("{}://{}", scheme(req, st), host(req, st))
    } else {
        st.settings.public_url.trim_end_matches('/').to_string()
    }
}

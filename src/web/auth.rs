//! Who is asking: session cookies for the browser, bearer tokens for the API.

use super::AppState;
use super::error::{ApiError, WebError};
use crate::domain::Agent;
use crate::service::{NewSession, SessionAuth};
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

const SESSION_COOKIE: &str = "charla_session";
const SESSION_COOKIE_SECURE: &str = "__Host-charla_session";
/// The nonce behind the CSRF token of forms shown before sign-in (signed double submit).
pub const PRE_COOKIE: &str = "charla_pre";

pub fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| WebError::Internal("application state missing".into()))
}

/// Whether cookies must be `Secure` for this request (`X-Forwarded-Proto` counts only
/// from a trusted proxy).
pub fn secure(req: &HttpRequest, st: &AppState) -> bool {
    st.settings.secure_cookies || super::origin::scheme(req, st) == "https"
}

/// The session cookie for a new session.
pub fn session_cookie(req: &HttpRequest, st: &AppState, s: &NewSession) -> Cookie<'static> {
    let secure = secure(req, st);
    let name = if secure {
        SESSION_COOKIE_SECURE
    } else {
        SESSION_COOKIE
    };
    Cookie::build(name, s.token.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(
            st.services.settings.session.absolute_secs,
        ))
        .finish()
}

/// Cookies that remove the session cookie (both spellings).
pub fn clear_session_cookies() -> [Cookie<'static>; 2] {
    let mut a = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .finish();
    a.make_removal();
    let mut b = Cookie::build(SESSION_COOKIE_SECURE, "")
        .path("/")
        .http_only(true)
        .secure(true)
        .finish();
    b.make_removal();
    [a, b]
}

/// The cookie that carries the pre-sign-in CSRF nonce.
pub fn pre_cookie(req: &HttpRequest, st: &AppState, nonce: &str) -> Cookie<'static> {
    Cookie::build(PRE_COOKIE, nonce.to_string())
        .path("/")
        .http_only(true)
        .secure(secure(req, st))
        .same_site(SameSite::Lax)
        .finish()
}

/// The request's valid session, looked up once per request.
pub async fn current_session(req: &HttpRequest) -> Result<Option<SessionAuth>, WebError> {
    if let Some(cached) = req.extensions().get::<Option<SessionAuth>>() {
        return Ok(cached.clone());
    }
    let st = state(req)?;
    let token = req
        .cookie(SESSION_COOKIE_SECURE)
        .or_else(|| req.cookie(SESSION_COOKIE))
        .map(|c| c.value().to_string());
    let auth = match token {
        Some(t) if t.len() == 32 => st.services.blocking(move |s| s.session(&t)).await?,
        _ => None,
    };
    req.extensions_mut().insert(auth.clone());
    Ok(auth)
}

fn next_of(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        req.uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "/".into())
    } else {
        "/".into()
    }
}

/// The request's session; without one, to the sign-in page (and back here after).
async fn signed_in(req: &HttpRequest) -> Result<SessionAuth, WebError> {
    current_session(req)
        .await?
        .ok_or_else(|| WebError::LoginRequired { next: next_of(req) })
}

/// A signed-in agent; anyone else is sent to the sign-in page, and an agent who must
/// set up two-factor sign-in first to its set-up page.
pub struct Signed(pub SessionAuth);

impl FromRequest for Signed {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let a = signed_in(&req).await?;
            if a.needs_two_factor {
                return Err(WebError::TwoFactorRequired);
            }
            Ok(Signed(a))
        })
    }
}

/// A signed-in agent, even one who must still set up two-factor sign-in: only its
/// set-up pages and signing out take this.
pub struct Enrolling(pub SessionAuth);

impl FromRequest for Enrolling {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Enrolling(signed_in(&req).await?)) })
    }
}

/// The cookie that carries the proof of a right password while the second factor is
/// asked for (see `Services::pending_token`).
pub const PENDING_COOKIE: &str = "charla_2fa";

/// The pending-second-step cookie for `token`, or its removal (`None`).
pub fn pending_cookie(req: &HttpRequest, st: &AppState, token: Option<&str>) -> Cookie<'static> {
    let mut c = Cookie::build(PENDING_COOKIE, token.unwrap_or_default().to_string())
        .path("/login")
        .http_only(true)
        .secure(secure(req, st))
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::seconds(crate::service::PENDING_TTL_SECS))
        .finish();
    if token.is_none() {
        c.make_removal();
    }
    c
}

/// A signed-in admin; agents get 403.
pub struct Admin(pub SessionAuth);

impl FromRequest for Admin {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let a = signed_in(&req).await?;
            if a.needs_two_factor {
                return Err(WebError::TwoFactorRequired);
            }
            if !a.agent.is_admin() {
                return Err(WebError::Forbidden(crate::i18n::Msg::new(
                    "error-admins-only",
                )));
            }
            Ok(Admin(a))
        })
    }
}

/// The agent behind an `Authorization: Bearer` personal API token.
pub struct ApiAgent(pub Agent);

impl FromRequest for ApiAgent {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let st = state(&req).map_err(|_| ApiError::unauthorized())?;
            let token = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(ApiError::unauthorized)?
                .trim()
                .to_string();
            match st.services.blocking(move |s| s.api_agent(&token)).await {
                Ok(Some(a)) => Ok(ApiAgent(a)),
                Ok(None) => Err(ApiError::unauthorized()),
                Err(e) => Err(e.into()),
            }
        })
    }
}

//! Sign in and sign out.

use super::{CsrfOnly, pre_csrf, render, say, see_other};
use crate::service::{LoginOutcome, ServiceError};
use crate::web::AppState;
use crate::web::auth::{
    Enrolling, PENDING_COOKIE, clear_session_cookies, current_session, pending_cookie,
    session_cookie,
};
use crate::web::error::WebError;
use crate::web::forms::Form;
use crate::web::locale::Loc;
use crate::web::views::{LoginView, Page, TwoFactorLoginView};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    flash: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only a path on this site: never an open redirect. Browsers drop tabs and newlines
/// anywhere in a URL and read `\` as `/`, so `/<tab>/evil` or `/\evil` would leave the
/// site: anything that is not plain visible ASCII, or whose second character could
/// start an authority, falls back to `/`. (A legitimate `next` is a request's own
/// path and query, which never holds anything else.)
fn safe_next(next: &str) -> &str {
    let bytes = next.as_bytes();
    let visible = bytes.iter().all(|b| b.is_ascii_graphic());
    let path_only = bytes.first() == Some(&b'/') && !matches!(bytes.get(1), Some(b'/' | b'\\'));
    if visible && path_only { next } else { "/" }
}

pub async fn login_form(
    req: HttpRequest,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<LoginQuery>,
) -> Result<HttpResponse, WebError> {
    if current_session(&req).await?.is_some() {
        return Ok(see_other(safe_next(q.next.as_deref().unwrap_or("/"))));
    }
    let (csrf, cookies) = pre_csrf(&req, &st);
    let view = LoginView {
        page: Page::anonymous(&l, &csrf, l.t("login-title")).with_flash(q.flash.as_deref()),
        error: None,
        email: String::new(),
        next: q.next.clone().unwrap_or_default(),
    };
    render(&view, StatusCode::OK, cookies)
}

pub async fn login_submit(
    req: HttpRequest,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let ip = crate::web::client_ip::client_ip(&req, &st.settings.trusted_proxies);
    let (email, password) = (f.email.clone(), f.password.clone());
    let login = st
        .services
        .blocking_async(move |s| async move { s.login(&email, &password, &ip).await })
        .await;
    let (error, status) = match login {
        Ok(LoginOutcome::Session(_, session)) => {
            let mut resp = see_other(safe_next(&f.next));
            resp.add_cookie(&session_cookie(&req, &st, &session))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            return Ok(resp);
        }
        Ok(LoginOutcome::SecondFactor { token, .. }) => {
            // No session yet: only the signed, short-lived proof of the password.
            let q = serde_urlencoded::to_string([("next", safe_next(&f.next))]).unwrap_or_default();
            let mut resp = see_other(&format!("/login/two-factor?{q}"));
            resp.add_cookie(&pending_cookie(&req, &st, Some(&token)))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            return Ok(resp);
        }
        Err(e @ ServiceError::BadCredentials) => (say(&l, e), StatusCode::UNAUTHORIZED),
        Err(e @ ServiceError::Throttled { .. }) => (say(&l, e), StatusCode::TOO_MANY_REQUESTS),
        Err(e) => return Err(e.into()),
    };
    let (csrf, cookies) = pre_csrf(&req, &st);
    let view = LoginView {
        page: Page::anonymous(&l, &csrf, l.t("login-title")),
        error: Some(error),
        email: f.email,
        next: f.next,
    };
    render(&view, status, cookies)
}

#[derive(Deserialize)]
pub struct SecondStepQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct SecondStepForm {
    code: String,
    #[serde(default)]
    next: String,
}

/// The agent whose password step this browser passed, if its proof still holds.
async fn pending(
    req: &HttpRequest,
    st: &AppState,
) -> Result<Option<crate::domain::Agent>, WebError> {
    let Some(token) = req.cookie(PENDING_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    Ok(st
        .services
        .blocking(move |s| s.pending_agent(&token))
        .await?)
}

/// Back to the sign-in page, forgetting the pending step.
fn restart_login(req: &HttpRequest, st: &AppState) -> Result<HttpResponse, WebError> {
    let mut resp = see_other("/login");
    resp.add_cookie(&pending_cookie(req, st, None))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(resp)
}

/// `GET /login/two-factor`: the second step, only after the right password.
pub async fn second_step_form(
    req: HttpRequest,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<SecondStepQuery>,
) -> Result<HttpResponse, WebError> {
    if pending(&req, &st).await?.is_none() {
        return restart_login(&req, &st);
    }
    let (csrf, cookies) = pre_csrf(&req, &st);
    let view = TwoFactorLoginView {
        page: Page::anonymous(&l, &csrf, l.t("two-factor-login-title")),
        error: None,
        next: safe_next(q.next.as_deref().unwrap_or("/")).to_string(),
    };
    render(&view, StatusCode::OK, cookies)
}

/// `POST /login/two-factor`: a right code (or unused recovery code) signs in.
pub async fn second_step_submit(
    req: HttpRequest,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<SecondStepForm>,
) -> Result<HttpResponse, WebError> {
    let Some(agent) = pending(&req, &st).await? else {
        return restart_login(&req, &st);
    };
    let ip = crate::web::client_ip::client_ip(&req, &st.settings.trusted_proxies);
    let code = f.code.clone();
    let step = st
        .services
        .blocking_async(move |s| async move { s.login_second_factor(&agent, &code, &ip).await })
        .await;
    let (error, status) = match step {
        Ok((session, _)) => {
            let mut resp = see_other(safe_next(&f.next));
            resp.add_cookie(&session_cookie(&req, &st, &session))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            resp.add_cookie(&pending_cookie(&req, &st, None))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            return Ok(resp);
        }
        Err(e @ ServiceError::BadCode) => (say(&l, e), StatusCode::UNAUTHORIZED),
        Err(e @ ServiceError::Throttled { .. }) => (say(&l, e), StatusCode::TOO_MANY_REQUESTS),
        Err(e) => return Err(e.into()),
    };
    let (csrf, cookies) = pre_csrf(&req, &st);
    let view = TwoFactorLoginView {
        page: Page::anonymous(&l, &csrf, l.t("two-factor-login-title")),
        error: Some(error),
        next: safe_next(&f.next).to_string(),
    };
    render(&view, status, cookies)
}

pub async fn logout(
    Enrolling(auth): Enrolling,
    st: web::Data<AppState>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    st.services.blocking(move |s| s.logout(&auth)).await?;
    let mut resp = see_other("/login?flash=signed_out");
    for c in clear_session_cookies() {
        resp.add_cookie(&c)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_never_an_open_redirect() {
        for ok in [
            "/",
            "/admin/agents?x=1",
            "/conversations/5?view=all",
            // Stays on this site: a browser does not decode %09 or %5C in a path.
            "/%09/evil.example",
            "/%5Cevil.example",
            "/x\\y",
        ] {
            assert_eq!(safe_next(ok), ok, "{ok:?}");
        }
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "/\t/evil.example/x",
            "/\t\\evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            " /x",
            "/x y",
            "/ü",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}

//! One file per resource; functions named `<resource>_<action>`.

pub mod agents;
pub mod api;
pub mod api_admin;
pub mod api_conversations;
pub mod api_inbox;
pub mod api_inbox_test;
pub mod attachments;
pub mod audit;
pub mod care;
pub mod contacts;
pub mod conversation;
pub mod health;
pub mod hooks;
pub mod inbox;
pub mod inboxes;
pub mod invite;
pub mod metrics;
pub mod profile;
pub mod reports;
pub mod saved;
pub mod session;
pub mod setup;
pub mod teams;
pub mod template_sync;
pub mod templates;
pub mod two_factor;
pub mod typing;
pub mod uploads;
pub mod widget;
pub mod widget_files;

use super::AppState;
use super::auth::{PRE_COOKIE, pre_cookie};
use super::error::WebError;
use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// A service's refusal in the reader's words (for a form shown again with it).
pub fn say(l: &crate::i18n::L10n, e: crate::service::ServiceError) -> String {
    WebError::from(e).message(l)
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct CsrfOnly {}

/// `?flash=` on pages after a redirect.
#[derive(Deserialize)]
pub struct FlashQuery {
    pub flash: Option<String>,
}

/// 303 to `to`.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// Renders a view with a status and extra cookies.
pub fn render(
    view: &impl Template,
    status: StatusCode,
    cookies: Vec<Cookie<'static>>,
) -> Result<HttpResponse, WebError> {
    let body = view
        .render()
        .map_err(|e| WebError::Internal(format!("template: {e}")))?;
    let mut resp = HttpResponse::build(status);
    for c in cookies {
        resp.cookie(c);
    }
    Ok(resp.content_type("text/html; charset=utf-8").body(body))
}

/// The CSRF token for a form shown before sign-in, and the nonce cookie to set if the
/// browser has none yet.
pub fn pre_csrf(req: &HttpRequest, st: &AppState) -> (String, Vec<Cookie<'static>>) {
    match req.cookie(PRE_COOKIE).map(|c| c.value().to_string()) {
        Some(nonce) if nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (st.services.keys.sign("csrf", &nonce), vec![])
        }
        _ => {
            let nonce = crate::service::random_token(16);
            (
                st.services.keys.sign("csrf", &nonce),
                vec![pre_cookie(req, st, &nonce)],
            )
        }
    }
}

/// The base URL for links we hand out (invites, the widget snippet): never shaped by
/// forwarding headers from an untrusted peer (see `web::origin`).
pub fn base_url(req: &HttpRequest, st: &AppState) -> String {
    super::origin::public_origin(req, st)
}

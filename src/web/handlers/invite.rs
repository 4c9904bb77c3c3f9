//! An invited agent chooses a password through a one-time link.

use super::{pre_csrf, render, say, see_other};
use crate::service::ServiceError;
use crate::web::AppState;
use crate::web::auth::session_cookie;
use crate::web::error::WebError;
use crate::web::forms::Form;
use crate::web::locale::Loc;
use crate::web::views::{InviteView, Page};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct InviteForm {
    password: String,
}

fn gone(e: ServiceError) -> WebError {
    match e {
        ServiceError::InviteInvalid => {
            WebError::BadRequest(crate::i18n::Msg::new("error-invite-invalid"))
        }
        e => e.into(),
    }
}

pub async fn invite_form(
    req: HttpRequest,
    Loc(l): Loc,
    st: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let token = token.into_inner();
    let agent = st
        .services
        .blocking(move |s| s.invite(&token))
        .await
        .map_err(gone)?;
    let (csrf, cookies) = pre_csrf(&req, &st);
    let view = InviteView {
        page: Page::anonymous(&l, &csrf, l.t("invite-page-title")),
        error: None,
        name: agent.name,
        email: agent.email,
    };
    render(&view, StatusCode::OK, cookies)
}

pub async fn invite_submit(
    req: HttpRequest,
    Loc(l): Loc,
    st: web::Data<AppState>,
    token: web::Path<String>,
    Form(f): Form<InviteForm>,
) -> Result<HttpResponse, WebError> {
    let token = token.into_inner();
    let (t, password) = (token.clone(), f.password);
    let accepted = st
        .services
        .blocking_async(move |s| async move { s.accept_invite(&t, &password).await })
        .await;
    match accepted {
        Ok((_, session)) => {
            let mut resp = see_other("/?flash=password_set");
            resp.add_cookie(&session_cookie(&req, &st, &session))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(resp)
        }
        Err(e @ ServiceError::Invalid(_)) => {
            let agent = st
                .services
                .blocking(move |s| s.invite(&token))
                .await
                .map_err(gone)?;
            let (csrf, cookies) = pre_csrf(&req, &st);
            let view = InviteView {
                page: Page::anonymous(&l, &csrf, l.t("invite-page-title")),
                error: Some(say(&l, e)),
                name: agent.name,
                email: agent.email,
            };
            render(&view, StatusCode::BAD_REQUEST, cookies)
        }
        Err(e) => Err(gone(e)),
    }
}

//! The signed-in agent's own profile: name, password, personal API tokens.

use super::{CsrfOnly, FlashQuery, render, see_other};
use crate::domain::TokenId;
use crate::service::{ServiceError, Services};
use crate::web::AppState;
use crate::web::auth::{Signed, session_cookie};
use crate::web::error::WebError;
use crate::web::forms::Form;
use crate::web::views::{Page, ProfileView};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

#[derive(Deserialize)]
pub struct TokenForm {
    label: String,
}

/// The profile page (store reads: call it through [`Services::blocking`]).
fn view(
    s: &Services,
    auth: &crate::service::SessionAuth,
    csrf: &str,
) -> Result<ProfileView, WebError> {
    Ok(ProfileView {
        page: Page::signed(&auth.agent, csrf, "Your profile", "profile"),
        tokens: s.tokens(&auth.agent)?,
        new_token: None,
        error: None,
    })
}

pub async fn profile_show(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<ProfileView, WebError> {
    let mut v = st
        .services
        .blocking(move |s| view(s, &auth, &auth.session.csrf))
        .await?;
    v.page = v.page.with_flash(q.flash.as_deref());
    Ok(v)
}

pub async fn profile_update(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    Form(f): Form<NameForm>,
) -> Result<HttpResponse, WebError> {
    st.services
        .blocking_async(move |s| async move { s.update_profile(&auth.agent, &f.name).await })
        .await?;
    Ok(see_other("/profile?flash=profile_saved"))
}

pub async fn profile_password(
    req: HttpRequest,
    Signed(auth): Signed,
    st: web::Data<AppState>,
    Form(f): Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let a = auth.clone();
    let changed = st
        .services
        .blocking_async(move |s| async move {
            s.change_password(&a, &f.current_password, &f.new_password)
                .await
        })
        .await;
    match changed {
        Ok((session, revoked)) => {
            let flash = if revoked > 0 {
                "password_changed_tokens_revoked"
            } else {
                "password_changed"
            };
            let mut resp = see_other(&format!("/profile?flash={flash}"));
            resp.add_cookie(&session_cookie(&req, &st, &session))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(resp)
        }
        Err(e @ (ServiceError::Invalid(_) | ServiceError::WrongCurrentPassword)) => {
            let mut v = st
                .services
                .blocking(move |s| view(s, &auth, &auth.session.csrf))
                .await?;
            v.error = Some(e.to_string());
            render(&v, StatusCode::BAD_REQUEST, vec![])
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn token_create(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    Form(f): Form<TokenForm>,
) -> Result<HttpResponse, WebError> {
    let me = auth.agent.clone();
    let (token, secret) = st
        .services
        .blocking_async(move |s| async move { s.create_token(&me, &f.label).await })
        .await?;
    let mut v = st
        .services
        .blocking(move |s| view(s, &auth, &auth.session.csrf))
        .await?;
    v.new_token = Some((token.label, secret));
    render(&v, StatusCode::OK, vec![])
}

pub async fn token_revoke(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = TokenId(*id);
    st.services
        .blocking_async(move |s| async move { s.revoke_token(&auth.agent, id).await })
        .await?;
    Ok(see_other("/profile?flash=token_revoked"))
}

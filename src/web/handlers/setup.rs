//! First run: create the first admin. Gone (404) once an admin exists.

use super::{pre_csrf, render, say, see_other};
use crate::service::ServiceError;
use crate::web::AppState;
use crate::web::auth::session_cookie;
use crate::web::error::WebError;
use crate::web::forms::Form;
use crate::web::locale::Loc;
use crate::web::views::{Page, SetupView};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SetupForm {
    name: String,
    email: String,
    password: String,
}

pub async fn setup_form(
    req: HttpRequest,
    Loc(l): Loc,
    st: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    if st.services.setup_done() {
        return Err(WebError::NotFound);
    }
    let (csrf, cookies) = pre_csrf(&req, &st);
    let view = SetupView {
        page: Page::anonymous(&l, &csrf, l.t("setup-page-title")),
        error: None,
        name: String::new(),
        email: String::new(),
    };
    render(&view, StatusCode::OK, cookies)
}

pub async fn setup_submit(
    req: HttpRequest,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<SetupForm>,
) -> Result<HttpResponse, WebError> {
    let (name, email, password) = (f.name.clone(), f.email.clone(), f.password.clone());
    let done = st
        .services
        .blocking_async(move |s| async move { s.setup(&name, &email, &password).await })
        .await;
    match done {
        Ok((_, session)) => {
            let mut resp = see_other("/?flash=welcome");
            resp.add_cookie(&session_cookie(&req, &st, &session))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(resp)
        }
        Err(ServiceError::AlreadySetUp) => Err(WebError::NotFound),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::DuplicateEmail)) => {
            let (csrf, cookies) = pre_csrf(&req, &st);
            let view = SetupView {
                page: Page::anonymous(&l, &csrf, l.t("setup-page-title")),
                error: Some(say(&l, e)),
                name: f.name,
                email: f.email,
            };
            render(&view, StatusCode::BAD_REQUEST, cookies)
        }
        Err(e) => Err(e.into()),
    }
}

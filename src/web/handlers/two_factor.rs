//! Profile → Two-factor sign-in (set up, new recovery codes, turn off) and the admin's
//! side (require it of everyone, reset an agent's).

use super::{CsrfOnly, FlashQuery, render, say, see_other};
use crate::domain::AgentId;
use crate::i18n::L10n;
use crate::service::{ServiceError, Services, SessionAuth};
use crate::web::AppState;
use crate::web::auth::{Admin, Enrolling, Signed};
use crate::web::error::WebError;
use crate::web::forms::Form;
use crate::web::locale::Loc;
use crate::web::views::{Page, TwoFactorSetup, TwoFactorView};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct EnableForm {
    sealed: String,
    code: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

#[derive(Deserialize)]
pub struct DisableForm {
    password: String,
    code: String,
}

#[derive(Deserialize)]
pub struct RequireForm {
    #[serde(default)]
    require: String,
}

/// The page for `auth`'s agent as stored now: managing it when on, a new secret to
/// scan when off (store reads: call it through [`Services::blocking`]).
fn view(s: &Services, l: &L10n, auth: &SessionAuth) -> Result<TwoFactorView, WebError> {
    let agent = s
        .store
        .agent(auth.agent.id)
        .map_err(ServiceError::from)?
        .ok_or(WebError::NotFound)?;
    let setup = match agent.two_factor {
        Some(_) => None,
        None => Some(TwoFactorSetup::new(s.two_factor_start(&agent)?)),
    };
    Ok(TwoFactorView {
        page: Page::signed(
            l,
            &agent,
            &auth.session.csrf,
            l.t("two-factor-title"),
            "profile",
        ),
        enabled: agent
            .two_factor
            .as_ref()
            .map(|t| (t.enabled_at, t.recovery.len())),
        setup,
        codes: Vec::new(),
        required: s.two_factor_required()?,
        error: None,
    })
}

/// `GET /profile/two-factor` (open to an agent who must still set it up).
pub async fn two_factor_show(
    Enrolling(auth): Enrolling,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<TwoFactorView, WebError> {
    let mut v = st.services.blocking(move |s| view(s, &l, &auth)).await?;
    v.page = v.page.with_flash(q.flash.as_deref());
    Ok(v)
}

/// `POST /profile/two-factor/enable`: the code proves the app has the secret; the
/// recovery codes are shown this once.
pub async fn two_factor_enable(
    Enrolling(auth): Enrolling,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<EnableForm>,
) -> Result<HttpResponse, WebError> {
    let me = auth.agent.clone();
    let sealed = f.sealed.clone();
    let enabled = st
        .services
        .blocking_async(move |s| async move { s.two_factor_enable(&me, &sealed, &f.code).await })
        .await;
    match enabled {
        Ok(codes) => {
            let mut v = st.services.blocking(move |s| view(s, &l, &auth)).await?;
            v.page = v.page.with_flash(Some("two_factor_on"));
            v.codes = codes;
            render(&v, StatusCode::OK, vec![])
        }
        Err(e @ ServiceError::BadCode) => {
            // The same secret again, so the app that scanned it needs nothing new.
            let error = say(&l, e);
            let me = auth.agent.clone();
            let mut v = st
                .services
                .blocking(move |s| {
                    let mut v = view(s, &l, &auth)?;
                    if v.setup.is_some() {
                        v.setup = Some(TwoFactorSetup::new(s.two_factor_resume(&me, &f.sealed)?));
                    }
                    Ok::<_, WebError>(v)
                })
                .await?;
            v.error = Some(error);
            render(&v, StatusCode::BAD_REQUEST, vec![])
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /profile/two-factor/recovery`: new recovery codes (a code from the app).
pub async fn two_factor_recovery(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<CodeForm>,
) -> Result<HttpResponse, WebError> {
    let me = auth.agent.clone();
    let made = st
        .services
        .blocking_async(move |s| async move { s.two_factor_new_recovery(&me, &f.code).await })
        .await;
    let (codes, error) = match made {
        Ok(codes) => (codes, None),
        Err(e @ ServiceError::BadCode) => (Vec::new(), Some(say(&l, e))),
        Err(e) => return Err(e.into()),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut v = st.services.blocking(move |s| view(s, &l, &auth)).await?;
    v.codes = codes;
    v.error = error;
    render(&v, status, vec![])
}

/// `POST /profile/two-factor/disable`: the password and a code (or recovery code).
pub async fn two_factor_disable(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<DisableForm>,
) -> Result<HttpResponse, WebError> {
    let me = auth.agent.clone();
    let off = st
        .services
        .blocking_async(
            move |s| async move { s.two_factor_disable(&me, &f.password, &f.code).await },
        )
        .await;
    match off {
        Ok(()) => Ok(see_other("/profile?flash=two_factor_off")),
        Err(e @ (ServiceError::BadCode | ServiceError::WrongCurrentPassword)) => {
            let error = say(&l, e);
            let mut v = st.services.blocking(move |s| view(s, &l, &auth)).await?;
            v.error = Some(error);
            render(&v, StatusCode::BAD_REQUEST, vec![])
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/two-factor`: require two-factor sign-in of every agent, or stop.
pub async fn two_factor_require(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    Form(f): Form<RequireForm>,
) -> Result<HttpResponse, WebError> {
    let on = f.require == "on";
    st.services
        .blocking_async(move |s| async move { s.set_two_factor_required(&auth.agent, on).await })
        .await?;
    Ok(see_other(if on {
        "/admin/agents?flash=two_factor_required"
    } else {
        "/admin/agents?flash=two_factor_not_required"
    }))
}

/// `POST /admin/agents/{id}/two-factor/reset`: an admin turns an agent's off.
pub async fn two_factor_reset(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = AgentId(*id);
    st.services
        .blocking_async(move |s| async move { s.two_factor_reset(&auth.agent, id).await })
        .await?;
    Ok(see_other(&format!(
        "/admin/agents/{id}?flash=two_factor_reset"
    )))
}

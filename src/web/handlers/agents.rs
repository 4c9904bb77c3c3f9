//! Admin: agents (create with a password or an invite link, edit, deactivate).

use super::{CsrfOnly, FlashQuery, base_url, render, see_other};
use crate::domain::AgentId;
use crate::i18n::L10n;
use crate::service::Services;
use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::error::WebError;
use crate::web::forms::{Form, parse_role};
use crate::web::locale::Loc;
use crate::web::views::{AgentEditView, AgentRow, AgentsView, Page, initials};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AgentForm {
    name: String,
    email: String,
    role: String,
    #[serde(default)]
    password: String,
}

/// The agents page (store reads: call it through [`Services::blocking`]).
fn list_view(
    s: &Services,
    l: &L10n,
    auth: &crate::service::SessionAuth,
) -> Result<AgentsView, WebError> {
    let agents = s
        .agents(&auth.agent)?
        .into_iter()
        .map(|a| AgentRow {
            initials: initials(&a.name),
            pending_invite: a.password_hash.is_none(),
            agent: a,
        })
        .collect();
    Ok(AgentsView {
        page: Page::signed(
            l,
            &auth.agent,
            &auth.session.csrf,
            l.t("nav-agents"),
            "agents",
        ),
        agents,
        invite: None,
        require_two_factor: s.two_factor_required()?,
    })
}

pub async fn admin_index(_a: Admin) -> HttpResponse {
    see_other("/admin/agents")
}

pub async fn agents_list(
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<AgentsView, WebError> {
    let mut v = st
        .services
        .blocking(move |s| list_view(s, &l, &auth))
        .await?;
    v.page = v.page.with_flash(q.flash.as_deref());
    Ok(v)
}

pub async fn agents_create(
    req: HttpRequest,
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<AgentForm>,
) -> Result<HttpResponse, WebError> {
    let role = parse_role(&f.role)?;
    let me = auth.agent.clone();
    let (agent, invite) = st
        .services
        .blocking_async(move |s| async move {
            let password = Some(f.password.as_str()).filter(|p| !p.is_empty());
            s.create_agent(&me, &f.name, &f.email, role, password).await
        })
        .await?;
    match invite {
        None => Ok(see_other("/admin/agents?flash=agent_saved")),
        Some(token) => {
            let mut v = st
                .services
                .blocking(move |s| list_view(s, &l, &auth))
                .await?;
            v.invite = Some((
                agent.name,
                format!("{}/invite/{token}", base_url(&req, &st)),
            ));
            render(&v, StatusCode::OK, vec![])
        }
    }
}

pub async fn agents_edit(
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    q: web::Query<FlashQuery>,
) -> Result<AgentEditView, WebError> {
    let (me, id) = (auth.agent.clone(), AgentId(*id));
    let agent = st.services.blocking(move |s| s.agent(&me, id)).await?;
    Ok(AgentEditView {
        page: Page::signed(
            &l,
            &auth.agent,
            &auth.session.csrf,
            agent.name.clone(),
            "agents",
        )
        .with_flash(q.flash.as_deref()),
        agent,
        invite: None,
    })
}

pub async fn agents_update(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<AgentForm>,
) -> Result<HttpResponse, WebError> {
    let (role, id) = (parse_role(&f.role)?, AgentId(*id));
    st.services
        .blocking_async(move |s| async move {
            s.update_agent(&auth.agent, id, &f.name, &f.email, role)
                .await
        })
        .await?;
    Ok(see_other("/admin/agents?flash=agent_saved"))
}

pub async fn agents_deactivate(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = AgentId(*id);
    st.services
        .blocking_async(move |s| async move { s.set_agent_active(&auth.agent, id, false).await })
        .await?;
    Ok(see_other("/admin/agents?flash=agent_deactivated"))
}

pub async fn agents_reactivate(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = AgentId(*id);
    st.services
        .blocking_async(move |s| async move { s.set_agent_active(&auth.agent, id, true).await })
        .await?;
    Ok(see_other("/admin/agents?flash=agent_reactivated"))
}

pub async fn agents_invite(
    req: HttpRequest,
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let (me, id) = (auth.agent.clone(), AgentId(*id));
    let (token, agent) = st
        .services
        .blocking_async(move |s| async move {
            let token = s.reissue_invite(&me, id).await?;
            Ok::<_, crate::service::ServiceError>((token, s.agent(&me, id)?))
        })
        .await?;
    let v = AgentEditView {
        page: Page::signed(
            &l,
            &auth.agent,
            &auth.session.csrf,
            agent.name.clone(),
            "agents",
        ),
        agent,
        invite: Some(format!("{}/invite/{token}", base_url(&req, &st))),
    };
    render(&v, StatusCode::OK, vec![])
}

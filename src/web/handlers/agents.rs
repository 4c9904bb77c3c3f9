//! Admin: agents (create with a password or an invite link, edit, deactivate).

use super::{CsrfOnly, FlashQuery, base_url, render, see_other};
use crate::domain::AgentId;
use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::error::WebError;
use crate::web::forms::{Form, parse_role};
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

fn list_view(st: &AppState, auth: &crate::service::SessionAuth) -> Result<AgentsView, WebError> {
    let agents = st
        .services
        .agents(&auth.agent)?
        .into_iter()
        .map(|a| AgentRow {
            initials: initials(&a.name),
            pending_invite: a.password_hash.is_none(),
            agent: a,
        })
        .collect();
    Ok(AgentsView {
        page: Page::signed(&auth.agent, &auth.session.csrf, "Agents", "agents"),
        agents,
        invite: None,
    })
}

pub async fn admin_index(_a: Admin) -> HttpResponse {
    see_other("/admin/agents")
}

pub async fn agents_list(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<AgentsView, WebError> {
    let mut v = list_view(&st, &auth)?;
    v.page = v.page.with_flash(q.flash.as_deref());
    Ok(v)
}

pub async fn agents_create(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    Form(f): Form<AgentForm>,
) -> Result<HttpResponse, WebError> {
    let role = parse_role(&f.role)?;
    let password = Some(f.password.as_str()).filter(|p| !p.is_empty());
    let (agent, invite) = st
        .services
        .create_agent(&auth.agent, &f.name, &f.email, role, password)
        .await?;
    match invite {
        None => Ok(see_other("/admin/agents?flash=agent_saved")),
        Some(token) => {
            let mut v = list_view(&st, &auth)?;
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
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> Result<AgentEditView, WebError> {
    let agent = st.services.agent(&auth.agent, AgentId(*id))?;
    Ok(AgentEditView {
        page: Page::signed(
            &auth.agent,
            &auth.session.csrf,
            agent.name.clone(),
            "agents",
        ),
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
    let role = parse_role(&f.role)?;
    st.services
        .update_agent(&auth.agent, AgentId(*id), &f.name, &f.email, role)
        .await?;
    Ok(see_other("/admin/agents?flash=agent_saved"))
}

pub async fn agents_deactivate(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    st.services
        .set_agent_active(&auth.agent, AgentId(*id), false)
        .await?;
    Ok(see_other("/admin/agents?flash=agent_deactivated"))
}

pub async fn agents_reactivate(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    st.services
        .set_agent_active(&auth.agent, AgentId(*id), true)
        .await?;
    Ok(see_other("/admin/agents?flash=agent_reactivated"))
}

pub async fn agents_invite(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let token = st
        .services
        .reissue_invite(&auth.agent, AgentId(*id))
        .await?;
    let agent = st.services.agent(&auth.agent, AgentId(*id))?;
    let v = AgentEditView {
        page: Page::signed(
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

//! Admin: teams and their members.

use super::{CsrfOnly, FlashQuery, see_other};
use crate::domain::{Agent, AgentId, TeamId};
use crate::i18n::L10n;
use crate::service::{ServiceError, SessionAuth};
use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::error::WebError;
use crate::web::forms::{Form, parse_ids};
use crate::web::locale::Loc;
use crate::web::views::{GroupRow, Page, Pick, TeamEditView, TeamsView};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// A team or inbox form: a name and the chosen members.
#[derive(Deserialize)]
pub struct GroupForm {
    pub name: String,
    #[serde(default)]
    pub member_ids: Vec<String>,
}

/// The member picker: every agent, the given ones ticked.
pub fn picks(agents: &[Agent], members: &[AgentId]) -> Vec<Pick> {
    agents
        .iter()
        .map(|a| Pick {
            id: a.id.0,
            name: a.name.clone(),
            email: a.email.clone(),
            checked: members.contains(&a.id),
            note: if !a.active {
                "deactivated"
            } else if a.password_hash.is_none() {
                "invited"
            } else {
                ""
            },
        })
        .collect()
}

/// Member names for a list row, from the agents already loaded (no read per row).
pub fn names(agents: &[Agent], members: &[AgentId]) -> Vec<String> {
    members
        .iter()
        .filter_map(|m| agents.iter().find(|a| a.id == *m))
        .map(|a| a.name.clone())
        .collect()
}

fn page(l: &L10n, auth: &SessionAuth, title: impl Into<String>) -> Page {
    Page::signed(l, &auth.agent, &auth.session.csrf, title, "teams")
}

pub async fn teams_list(
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<TeamsView, WebError> {
    let me = auth.agent.clone();
    let (agents, teams) = st
        .services
        .blocking(move |s| Ok::<_, ServiceError>((s.agents(&me)?, s.teams()?)))
        .await?;
    let teams = teams
        .into_iter()
        .map(|t| GroupRow {
            member_names: names(&agents, &t.members),
            item: t,
        })
        .collect();
    Ok(TeamsView {
        page: page(&l, &auth, l.t("nav-teams")).with_flash(q.flash.as_deref()),
        teams,
        picks: picks(&agents, &[]),
    })
}

pub async fn teams_create(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    Form(f): Form<GroupForm>,
) -> Result<HttpResponse, WebError> {
    let members = parse_ids("member_ids", &f.member_ids, AgentId)?;
    st.services
        .blocking_async(
            move |s| async move { s.save_team(&auth.agent, None, &f.name, &members).await },
        )
        .await?;
    Ok(see_other("/admin/teams?flash=team_saved"))
}

pub async fn teams_edit(
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> Result<TeamEditView, WebError> {
    let (id, me) = (TeamId(*id), auth.agent.clone());
    let (team, agents) = st
        .services
        .blocking(move |s| Ok::<_, ServiceError>((s.team(id)?, s.agents(&me)?)))
        .await?;
    Ok(TeamEditView {
        page: page(&l, &auth, team.name.clone()),
        picks: picks(&agents, &team.members),
        team,
    })
}

pub async fn teams_update(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<GroupForm>,
) -> Result<HttpResponse, WebError> {
    let (members, id) = (
        parse_ids("member_ids", &f.member_ids, AgentId)?,
        TeamId(*id),
    );
    st.services
        .blocking_async(move |s| async move {
            s.save_team(&auth.agent, Some(id), &f.name, &members).await
        })
        .await?;
    Ok(see_other("/admin/teams?flash=team_saved"))
}

pub async fn teams_delete(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = TeamId(*id);
    st.services
        .blocking_async(move |s| async move { s.delete_team(&auth.agent, id).await })
        .await?;
    Ok(see_other("/admin/teams?flash=team_deleted"))
}

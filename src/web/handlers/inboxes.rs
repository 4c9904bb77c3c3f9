//! Admin: inboxes (name, channel type, members; API inboxes: token and webhook).

use super::teams::{names, picks};
use super::{CsrfOnly, FlashQuery, base_url, render, see_other};
use crate::domain::validate::Invalid;
use crate::domain::{AgentId, ChannelKind, InboxId};
use crate::service::{InboxInput, SessionAuth};
use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::error::WebError;
use crate::web::forms::{Form, parse_ids};
use crate::web::views::{GroupRow, InboxEditView, InboxesView, Page};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

/// The inbox form.
#[derive(Deserialize)]
pub struct InboxForm {
    name: String,
    #[serde(default)]
    member_ids: Vec<String>,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    webhook_url: String,
}

fn page(auth: &SessionAuth, title: impl Into<String>) -> Page {
    Page::signed(&auth.agent, &auth.session.csrf, title, "inboxes")
}

fn parse_channel(raw: &str) -> Result<ChannelKind, Invalid> {
    ChannelKind::ALL
        .into_iter()
        .find(|k| k.as_str() == raw)
        .ok_or_else(|| Invalid {
            field: "channel",
            reason: format!("unknown channel type {raw:?}"),
        })
}

fn edit_view(
    req: &HttpRequest,
    st: &AppState,
    auth: &SessionAuth,
    id: InboxId,
    token: Option<String>,
) -> Result<InboxEditView, WebError> {
    let inbox = st.services.inbox(&auth.agent, id)?;
    let agents = st.services.agents(&auth.agent)?;
    Ok(InboxEditView {
        page: page(auth, inbox.name.clone()),
        picks: picks(&agents, &inbox.members),
        endpoint: format!("{}/api/v1/inboxes/{}/incoming", base_url(req, st), inbox.id),
        inbox,
        new_token: token,
    })
}

pub async fn inboxes_list(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<InboxesView, WebError> {
    let agents = st.services.agents(&auth.agent)?;
    let inboxes = st
        .services
        .inboxes(&auth.agent)?
        .into_iter()
        .map(|i| GroupRow {
            member_names: names(&agents, &i.members),
            item: i,
        })
        .collect();
    Ok(InboxesView {
        page: page(&auth, "Inboxes").with_flash(q.flash.as_deref()),
        inboxes,
        picks: picks(&agents, &[]),
        kinds: ChannelKind::ALL.to_vec(),
    })
}

pub async fn inboxes_create(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    Form(f): Form<InboxForm>,
) -> Result<HttpResponse, WebError> {
    let channel = parse_channel(&f.channel)?;
    let members = parse_ids("member_ids", &f.member_ids, AgentId)?;
    let input = InboxInput {
        name: f.name,
        channel: Some(channel),
        members,
        webhook_url: Some(f.webhook_url),
        email: None,
        website: None,
    };
    let (inbox, token) = st.services.save_inbox(&auth.agent, None, input).await?;
    match token {
        Some(t) => render(
            &edit_view(&req, &st, &auth, inbox.id, Some(t))?,
            StatusCode::OK,
            vec![],
        ),
        None => Ok(see_other("/admin/inboxes?flash=inbox_saved")),
    }
}

pub async fn inboxes_edit(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> Result<InboxEditView, WebError> {
    edit_view(&req, &st, &auth, InboxId(*id), None)
}

pub async fn inboxes_update(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<InboxForm>,
) -> Result<HttpResponse, WebError> {
    let members = parse_ids("member_ids", &f.member_ids, AgentId)?;
    let input = InboxInput {
        name: f.name,
        channel: None,
        members,
        webhook_url: Some(f.webhook_url),
        email: None,
        website: None,
    };
    st.services
        .save_inbox(&auth.agent, Some(InboxId(*id)), input)
        .await?;
    Ok(see_other("/admin/inboxes?flash=inbox_saved"))
}

pub async fn inboxes_rotate(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let token = st
        .services
        .rotate_inbox_token(&auth.agent, InboxId(*id))
        .await?;
    render(
        &edit_view(&req, &st, &auth, InboxId(*id), Some(token))?,
        StatusCode::OK,
        vec![],
    )
}

pub async fn inboxes_delete(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    st.services.delete_inbox(&auth.agent, InboxId(*id)).await?;
    Ok(see_other("/admin/inboxes?flash=inbox_deleted"))
}

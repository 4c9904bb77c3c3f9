//! Admin: inboxes (name, channel type, members). Channel settings arrive with each
//! channel.

use super::teams::{GroupForm, names, picks};
use super::{CsrfOnly, FlashQuery, see_other};
use crate::domain::validate::Invalid;
use crate::domain::{AgentId, ChannelKind, InboxId};
use crate::service::SessionAuth;
use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::error::WebError;
use crate::web::forms::{Form, parse_ids};
use crate::web::views::{GroupRow, InboxEditView, InboxesView, Page};
use actix_web::{HttpResponse, web};

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
    Admin(auth): Admin,
    st: web::Data<AppState>,
    Form(f): Form<GroupForm>,
) -> Result<HttpResponse, WebError> {
    let channel = parse_channel(&f.channel)?;
    let members = parse_ids("member_ids", &f.member_ids, AgentId)?;
    st.services
        .save_inbox(&auth.agent, None, &f.name, channel, &members)
        .await?;
    Ok(see_other("/admin/inboxes?flash=inbox_saved"))
}

pub async fn inboxes_edit(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> Result<InboxEditView, WebError> {
    let inbox = st.services.inbox(&auth.agent, InboxId(*id))?;
    let agents = st.services.agents(&auth.agent)?;
    Ok(InboxEditView {
        page: page(&auth, inbox.name.clone()),
        picks: picks(&agents, &inbox.members),
        inbox,
    })
}

pub async fn inboxes_update(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<GroupForm>,
) -> Result<HttpResponse, WebError> {
    let inbox = st.services.inbox(&auth.agent, InboxId(*id))?;
    let members = parse_ids("member_ids", &f.member_ids, AgentId)?;
    st.services
        .save_inbox(
            &auth.agent,
            Some(inbox.id),
            &f.name,
            inbox.channel,
            &members,
        )
        .await?;
    Ok(see_other("/admin/inboxes?flash=inbox_saved"))
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

//! The open conversation: its pane and every action on it. With htmx the action answers
//! the refreshed pane; without JavaScript it redirects back to the conversation.

use super::inbox::{InboxQuery, page};
use super::see_other;
use crate::domain::conversation::{ConversationId, MessageId, SnoozePreset, snooze_until};
use crate::domain::validate::Invalid;
use crate::domain::{AgentId, InboxId, TeamId};
use crate::service::{NewOutbound, SessionAuth, StatusChange};
use crate::web::AppState;
use crate::web::auth::Signed;
use crate::web::error::WebError;
use crate::web::forms::Form;
use crate::web::inbox_views::{InboxPage, PanePartial};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct PaneQuery {
    before: Option<u64>,
}

fn pane(
    st: &AppState,
    auth: &SessionAuth,
    id: ConversationId,
    before: Option<MessageId>,
) -> Result<PanePartial, WebError> {
    let p = st.services.conversation_page(&auth.agent, id, before, 50)?;
    Ok(PanePartial::new(
        &p,
        &st.services.directory(),
        &auth.session.csrf,
        auth.agent.is_admin(),
    ))
}

/// The answer to an action: the pane for htmx, else a redirect.
fn after(
    req: &HttpRequest,
    st: &AppState,
    auth: &SessionAuth,
    id: ConversationId,
) -> Result<HttpResponse, WebError> {
    if req.headers().contains_key("hx-request") {
        let body = pane(st, auth, id, None)?
            .render()
            .map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body))
    } else {
        Ok(see_other(&format!("/conversations/{id}")))
    }
}

pub async fn conversation_show(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    q: web::Query<InboxQuery>,
) -> Result<InboxPage, WebError> {
    page(&st, &auth, &q, Some(ConversationId(*id)))
}

pub async fn conversation_pane(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    q: web::Query<PaneQuery>,
) -> Result<HttpResponse, WebError> {
    let body = pane(&st, &auth, ConversationId(*id), q.before.map(MessageId))?
        .render()
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[derive(Deserialize)]
pub struct MessageForm {
    content: String,
    #[serde(default)]
    mode: String,
    /// Website chats: `email` sends the reply by mail (the visitor is offline).
    #[serde(default)]
    via: String,
}

pub async fn conversation_message(
    req: HttpRequest,
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<MessageForm>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    st.services
        .send_message_via(
            &auth.agent,
            id,
            &f.content,
            f.mode == "note",
            f.via == "email",
        )
        .await?;
    after(&req, &st, &auth, id)
}

#[derive(Deserialize)]
pub struct AssignForm {
    /// Absent: the assignee stays; "none": unassign; "me": the signed-in agent.
    agent_id: Option<String>,
    /// Absent: the team stays; "none": no team.
    team_id: Option<String>,
}

fn opt_id(field: &'static str, s: &str) -> Result<Option<u64>, Invalid> {
    match s.trim() {
        "" | "none" => Ok(None),
        "me" => Ok(Some(u64::MAX)),
        n => n.parse().map(Some).map_err(|_| Invalid {
            field,
            reason: format!("{n:?} is not an id"),
        }),
    }
}

pub async fn conversation_assign(
    req: HttpRequest,
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<AssignForm>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    let agent = f
        .agent_id
        .as_deref()
        .map(|a| opt_id("agent_id", a))
        .transpose()?
        .map(|a| {
            a.map(|n| {
                if n == u64::MAX {
                    auth.agent.id
                } else {
                    AgentId(n)
                }
            })
        });
    let team = f
        .team_id
        .as_deref()
        .map(|t| opt_id("team_id", t))
        .transpose()?
        .map(|t| t.map(TeamId));
    st.services.assign(&auth.agent, id, agent, team).await?;
    after(&req, &st, &auth, id)
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    note: String,
    /// A preset (`one_hour`, `this_evening`, `tomorrow`, `next_week`) or `custom`.
    #[serde(default)]
    snooze: String,
    /// With `custom`: an RFC 3339 time (the page's script converts the local picker).
    #[serde(default)]
    until: String,
    /// The browser's offset from UTC in minutes (east positive), for presets.
    #[serde(default)]
    tz_offset: String,
}

pub async fn conversation_status(
    req: HttpRequest,
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<StatusForm>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    let change = match f.status.as_str() {
        "open" => StatusChange::Open,
        "closed" => StatusChange::Closed {
            note: Some(f.note).filter(|n| !n.trim().is_empty()),
        },
        "snoozed" => {
            let now = st.services.clock.now();
            let offset: i64 = f
                .tz_offset
                .trim()
                .parse()
                .unwrap_or(0)
                .clamp(-14 * 60, 14 * 60);
            let until = match f.snooze.as_str() {
                "one_hour" => snooze_until(SnoozePreset::OneHour, now, offset),
                "this_evening" => snooze_until(SnoozePreset::ThisEvening, now, offset),
                "tomorrow" | "" => snooze_until(SnoozePreset::Tomorrow, now, offset),
                "next_week" => snooze_until(SnoozePreset::NextWeek, now, offset),
                "custom" => crate::web::json::parse_ts("until", &f.until)
                    .map_err(|e| WebError::BadRequest(e.message))?,
                other => {
                    return Err(Invalid {
                        field: "snooze",
                        reason: format!("unknown preset {other:?}"),
                    }
                    .into());
                }
            };
            StatusChange::Snoozed { until }
        }
        other => {
            return Err(Invalid {
                field: "status",
                reason: format!("must be open, closed or snoozed, not {other:?}"),
            }
            .into());
        }
    };
    st.services.change_status(&auth.agent, id, change).await?;
    after(&req, &st, &auth, id)
}

pub async fn conversation_read(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<super::CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    st.services
        .set_read(&auth.agent, ConversationId(*id), true)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn conversation_unread(
    req: HttpRequest,
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<super::CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    st.services
        .set_read(&auth.agent, ConversationId(*id), false)
        .await?;
    if req.headers().contains_key("hx-request") {
        return Ok(HttpResponse::Ok()
            .insert_header(("HX-Redirect", "/"))
            .finish());
    }
    Ok(see_other("/"))
}

pub async fn conversation_delete(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<super::CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    st.services
        .delete_conversation(&auth.agent, ConversationId(*id))
        .await?;
    Ok(see_other("/?view=all"))
}

#[derive(Deserialize)]
pub struct NewForm {
    inbox_id: String,
    to: String,
    content: String,
}

pub async fn conversation_new(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    Form(f): Form<NewForm>,
) -> Result<HttpResponse, WebError> {
    let inbox = f
        .inbox_id
        .trim()
        .parse()
        .map(InboxId)
        .map_err(|_| Invalid {
            field: "inbox_id",
            reason: "choose an inbox".into(),
        })?;
    let c = st
        .services
        .start_conversation(
            &auth.agent,
            NewOutbound {
                inbox,
                to: f.to,
                content: f.content,
            },
        )
        .await?;
    Ok(see_other(&format!("/conversations/{}", c.id)))
}

/// `POST /conversations/{id}/transcript`: email the conversation so far to the contact.
pub async fn conversation_transcript(
    req: HttpRequest,
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(_): Form<super::CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    st.services.send_transcript(&auth.agent, id).await?;
    after(&req, &st, &auth, id)
}

/// `POST /conversations/{id}/confirm_email`: the agent confirms the address a visitor
/// typed, so replies and transcripts may be mailed to it.
pub async fn conversation_confirm_email(
    req: HttpRequest,
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(_): Form<super::CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    st.services.confirm_email(&auth.agent, id).await?;
    after(&req, &st, &auth, id)
}

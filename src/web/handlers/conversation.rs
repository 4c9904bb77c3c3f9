//! The open conversation: its pane and every action on it. With htmx the action answers
//! the refreshed pane; without JavaScript it redirects back to the conversation.

use super::inbox::{InboxQuery, page};
use super::see_other;
use crate::domain::conversation::{ConversationId, MessageId, SnoozePreset, snooze_until};
use crate::domain::validate::Invalid;
use crate::domain::{AgentId, InboxId, TeamId};
use crate::i18n::L10n;
use crate::service::Draft;
use crate::service::{NewOutbound, ServiceError, Services, SessionAuth, StatusChange};
use crate::web::AppState;
use crate::web::auth::Signed;
use crate::web::error::{WebError, capitalise};
use crate::web::forms::Form;
use crate::web::inbox_views::{InboxPage, PanePartial};
use crate::web::locale::Loc;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct PaneQuery {
    before: Option<u64>,
}

/// The conversation's pane (store reads: call it through [`Services::blocking`]).
fn pane(
    s: &Services,
    l: &L10n,
    auth: &SessionAuth,
    id: ConversationId,
    before: Option<MessageId>,
) -> Result<PanePartial, WebError> {
    let p = s.conversation_page(&auth.agent, id, before, 50)?;
    Ok(PanePartial::new(
        l,
        &p,
        &s.directory(),
        &auth.session.csrf,
        auth.agent.is_admin(),
    )
    .with_signature(s.composer_signature(&auth.agent, p.row.conversation.inbox_id)))
}

/// The answer to an action: the pane for htmx, else a redirect.
pub(super) async fn after(
    req: &HttpRequest,
    l: L10n,
    st: &AppState,
    auth: SessionAuth,
    id: ConversationId,
) -> Result<HttpResponse, WebError> {
    if req.headers().contains_key("hx-request") {
        let body = st
            .services
            .blocking(move |s| pane(s, &l, &auth, id, None))
            .await?
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
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    q: web::Query<InboxQuery>,
) -> Result<InboxPage, WebError> {
    let (q, id) = (q.into_inner(), ConversationId(*id));
    st.services
        .blocking(move |s| page(s, &l, &auth, &q, Some(id)))
        .await
}

pub async fn conversation_pane(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    q: web::Query<PaneQuery>,
) -> Result<HttpResponse, WebError> {
    let (id, before) = (ConversationId(*id), q.before.map(MessageId));
    let body = st
        .services
        .blocking(move |s| pane(s, &l, &auth, id, before))
        .await?
        .render()
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    content: String,
    #[serde(default)]
    mode: String,
    /// Website chats: `email` sends the reply by mail (the visitor is offline).
    #[serde(default)]
    via: String,
    /// Send later: `one_hour`, `tomorrow`, `monday` or `custom` (with `send_at_local`).
    #[serde(default)]
    schedule: String,
    #[serde(default)]
    send_at_local: String,
    /// Conflict guard: the newest message seen when typing began, and "send anyway".
    #[serde(default)]
    seen: String,
    #[serde(default)]
    force: String,
    /// The composer's "Send template": the template's id and its fields as a JSON object.
    #[serde(default)]
    template_id: String,
    #[serde(default)]
    fields: String,
    /// The composer's files: `[{"id": "upload id", "caption": "…"}]` (JSON).
    #[serde(default)]
    attachments: String,
}

pub async fn conversation_message(
    req: HttpRequest,
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<MessageForm>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    let (me, note, by_email) = (auth.agent.clone(), f.mode == "note", f.via == "email");
    let send_at = super::care::send_at(&st, &l, &f.schedule, &f.send_at_local)?;
    // The guard needs the page's script (it keeps `seen` from when typing began).
    let htmx = req.headers().contains_key("hx-request");
    let seen = f.seen.trim().parse().ok().filter(|_| htmx);
    let template = super::templates::template_use(&f.template_id, &f.fields)?;
    let files = super::uploads::draft_files(&f.attachments)?;
    let sent = st
        .services
        .blocking_async(move |s| async move {
            let draft = Draft {
                content: f.content,
                private: note,
                by_email,
                template,
                send_at,
                seen,
                force: f.force == "1",
                attachments: files,
                ..Draft::default()
            };
            s.submit(&me, id, draft).await
        })
        .await
        .map_err(|e| super::care::schedule_error(&l, e))?;
    if let crate::service::Sent::Newer(new) = sent {
        return super::care::conflict(&st, &l, &auth, id, &new).await;
    }
    after(&req, l, &st, auth, id).await
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
    Loc(l): Loc,
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
    let me = auth.agent.clone();
    st.services
        .blocking_async(move |s| async move { s.assign(&me, id, agent, team).await })
        .await?;
    after(&req, l, &st, auth, id).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    note: String,
    /// A preset (`one_hour`, `this_evening`, `tomorrow`, `next_week`) or `custom`.
    #[serde(default)]
    snooze: String,
    /// With `custom`: the picker's wall-clock time in the agent's time zone
    /// (`2026-11-29T11:27`)…
    #[serde(default)]
    until_local: String,
    /// … or an RFC 3339 time.
    #[serde(default)]
    until: String,
}

pub async fn conversation_status(
    req: HttpRequest,
    Signed(auth): Signed,
    Loc(l): Loc,
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
            // Presets and typed times are in the agent's time zone (DST included).
            let (now, tz) = (st.services.clock.now(), l.tz());
            let until = match f.snooze.as_str() {
                "one_hour" => snooze_until(SnoozePreset::OneHour, now, tz),
                "this_evening" => snooze_until(SnoozePreset::ThisEvening, now, tz),
                "tomorrow" | "" => snooze_until(SnoozePreset::Tomorrow, now, tz),
                "next_week" => snooze_until(SnoozePreset::NextWeek, now, tz),
                "custom" if !f.until_local.trim().is_empty() => {
                    crate::i18n::parse_local(&f.until_local, tz).ok_or_else(|| Invalid {
                        field: "until",
                        reason: format!("{:?} is not a date and time", f.until_local.trim()),
                    })?
                }
                "custom" if f.until.trim().is_empty() => {
                    return Err(Invalid {
                        field: "until",
                        reason: "pick a date and time".into(),
                    }
                    .into());
                }
                "custom" => crate::web::json::parse_ts("until", &f.until)
                    .map_err(|e| WebError::bad_request(e.message))?,
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
    let me = auth.agent.clone();
    st.services
        .blocking_async(move |s| async move { s.change_status(&me, id, change).await })
        .await?;
    after(&req, l, &st, auth, id).await
}

pub async fn conversation_read(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<super::CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    st.services
        .blocking_async(move |s| async move { s.set_read(&auth.agent, id, true).await })
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
    let id = ConversationId(*id);
    st.services
        .blocking_async(move |s| async move { s.set_read(&auth.agent, id, false).await })
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
    let id = ConversationId(*id);
    st.services
        .blocking_async(move |s| async move { s.delete_conversation(&auth.agent, id).await })
        .await?;
    Ok(see_other("/?view=all&flash=conversation_deleted"))
}

#[derive(Deserialize)]
pub struct NewForm {
    inbox_id: String,
    to: String,
    /// Email only: the new mail's subject.
    #[serde(default)]
    subject: String,
    content: String,
}

pub async fn conversation_new(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<NewForm>,
) -> Result<HttpResponse, WebError> {
    let inbox = f.inbox_id.trim().parse().map(InboxId);
    let subject = Some(f.subject.trim().chars().take(200).collect::<String>())
        .filter(|s: &String| !s.is_empty());
    let started = match inbox {
        Ok(inbox) => {
            let new = NewOutbound {
                inbox,
                to: f.to.clone(),
                subject,
                content: f.content.clone(),
            };
            let agent = auth.agent.clone();
            st.services
                .blocking_async(move |s| async move { s.start_conversation(&agent, new).await })
                .await
        }
        // No inbox chosen reads like one that is not the agent's: choose one of yours.
        Err(_) => Err(ServiceError::NotFound),
    };
    let error = match started {
        Ok(c) => return Ok(see_other(&format!("/conversations/{}", c.id))),
        Err(e) => match refusal(&l, e) {
            Ok(refused) => refused,
            Err(e) => return Err(e.into()),
        },
    };
    // Refused: the inbox page again with the form open, what was typed kept and the
    // reason next to the field it concerns.
    let mut p = st
        .services
        .blocking(move |s| page(s, &l, &auth, &InboxQuery::default(), None))
        .await?;
    p.compose.inbox_id = f.inbox_id;
    p.compose.to = f.to;
    p.compose.subject = f.subject;
    p.compose.content = f.content;
    p.compose.error_field = error.0.into();
    p.compose.error = Some(error.1);
    let body = p
        .render()
        .map_err(|e| WebError::Internal(format!("template: {e}")))?;
    Ok(HttpResponse::UnprocessableEntity()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// What a refused "New message" tells the agent, in their language: the field concerned
/// (or empty) and the reason, for the errors their input causes; anything else stays an
/// error.
fn refusal(l: &L10n, e: ServiceError) -> Result<(&'static str, String), ServiceError> {
    let field = match &e {
        ServiceError::Invalid(i) => i.field,
        ServiceError::NotFound => return Ok(("inbox_id", l.t("compose-choose-inbox"))),
        ServiceError::TooLong(_) => "content",
        ServiceError::Conflict(_) | ServiceError::WindowClosed(_) => "inbox_id",
        _ => return Err(e),
    };
    Ok((field, capitalise(&super::say(l, e))))
}

/// `POST /conversations/{id}/transcript`: email the conversation so far to the contact.
pub async fn conversation_transcript(
    req: HttpRequest,
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(_): Form<super::CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    let me = auth.agent.clone();
    st.services
        .blocking_async(move |s| async move { s.send_transcript(&me, id).await })
        .await?;
    after(&req, l, &st, auth, id).await
}

/// `POST /conversations/{id}/confirm_email`: the agent confirms the address a visitor
/// typed, so replies and transcripts may be mailed to it.
pub async fn conversation_confirm_email(
    req: HttpRequest,
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(_): Form<super::CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    let me = auth.agent.clone();
    st.services
        .blocking_async(move |s| async move { s.confirm_email(&me, id).await })
        .await?;
    after(&req, l, &st, auth, id).await
}

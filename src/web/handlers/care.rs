//! Sending with care in the browser: the send-later time from the composer's presets
//! or picker, the scheduled replies' edit and cancel, the conflict guard's answer, and
//! the profile's undo-send delay.

use super::conversation::after;
use super::see_other;
use crate::domain::Timestamp;
use crate::domain::conversation::ConversationId;
use crate::domain::message::Message;
use crate::domain::validate::Invalid;
use crate::i18n::{L10n, Msg};
use crate::service::{ServiceError, SessionAuth};
use crate::web::AppState;
use crate::web::auth::Signed;
use crate::web::care_views::ConflictPartial;
use crate::web::error::WebError;
use crate::web::forms::Form;
use crate::web::locale::Loc;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// When a reply goes: `""` now; a preset (`one_hour`, `tomorrow`, `monday`) or
/// `custom` with the picker's wall-clock time, in the agent's time zone.
pub(super) fn send_at(
    st: &AppState,
    l: &L10n,
    schedule: &str,
    local: &str,
) -> Result<Option<Timestamp>, WebError> {
    let (now, tz) = (st.services.clock.now(), l.tz());
    match schedule.trim() {
        "" => Ok(None),
        "custom" if local.trim().is_empty() => Err(Invalid {
            field: "send_at",
            reason: "is required".into(),
        }
        .into()),
        "custom" => crate::i18n::parse_local(local, tz)
            .map(Some)
            .ok_or_else(|| {
                Invalid {
                    field: "send_at",
                    reason: format!("{:?} is not a date and time", local.trim()),
                }
                .into()
            }),
        p => crate::service::scheduled::send_at_preset(p, now, tz)
            .map(Some)
            .ok_or_else(|| {
                Invalid {
                    field: "schedule",
                    reason: format!("unknown preset {p:?}"),
                }
                .into()
            }),
    }
}

/// A refused schedule in the agent's words: a time past the messaging window's end
/// names that end in their zone; other refusals as usual.
pub(super) fn schedule_error(l: &L10n, e: ServiceError) -> WebError {
    if let ServiceError::Invalid(i) = &e
        && let Some(end) = i
            .reason
            .strip_prefix(crate::service::scheduled::PAST_WINDOW)
        && let Ok(t) = crate::web::json::parse_ts("send_at", end)
    {
        return WebError::BadRequest(Msg::new("schedule-past-window").arg("time", l.datetime(t)));
    }
    e.into()
}

/// The conflict guard's answer to the composer: nothing was sent; the new messages,
/// with "Send anyway" and "Edit", go into the composer's conflict box (the pane, and
/// what the agent typed, stay as they are).
pub(super) async fn conflict(
    st: &AppState,
    l: &L10n,
    auth: &SessionAuth,
    id: ConversationId,
    new: &[Message],
) -> Result<HttpResponse, WebError> {
    let (me, l2, new) = (auth.agent.clone(), l.clone(), new.to_vec());
    let body = st
        .services
        .blocking(move |s| {
            let c = s.conversation_for(&me, id)?;
            let v =
                ConflictPartial::new(&l2, &new, (&c.contact_name, c.contact_id), &s.directory());
            v.render().map_err(|e| WebError::Internal(e.to_string()))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("HX-Retarget", "#care-conflict"))
        .insert_header(("HX-Reswap", "innerHTML"))
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[derive(Deserialize)]
pub struct ScheduledForm {
    content: String,
    #[serde(default)]
    send_at_local: String,
}

/// `POST /conversations/{id}/scheduled/{sid}`: a scheduled reply's new text and time.
pub async fn scheduled_edit(
    req: HttpRequest,
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    path: web::Path<(u64, u64)>,
    Form(f): Form<ScheduledForm>,
) -> Result<HttpResponse, WebError> {
    let (id, sid) = path.into_inner();
    let id = ConversationId(id);
    let at = send_at(&st, &l, "custom", &f.send_at_local)?;
    let me = auth.agent.clone();
    st.services
        .blocking_async(move |s| async move {
            s.edit_scheduled(&me, id, sid, Some(f.content), at).await
        })
        .await
        .map_err(|e| schedule_error(&l, e))?;
    after(&req, l, &st, auth, id).await
}

/// `POST /conversations/{id}/scheduled/{sid}/cancel`.
pub async fn scheduled_cancel(
    req: HttpRequest,
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    path: web::Path<(u64, u64)>,
    _f: Form<super::CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let (id, sid) = path.into_inner();
    let id = ConversationId(id);
    let me = auth.agent.clone();
    st.services
        .blocking_async(move |s| async move { s.cancel_scheduled(&me, id, sid).await })
        .await?;
    after(&req, l, &st, auth, id).await
}

#[derive(Deserialize)]
pub struct SendingForm {
    undo_send_secs: String,
}

/// `POST /profile/sending`: how long replies wait for an "Undo" (0: send at once).
pub async fn profile_sending(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    Form(f): Form<SendingForm>,
) -> Result<HttpResponse, WebError> {
    let typed = f.undo_send_secs.trim();
    let secs: u32 = typed.parse().map_err(|_| Invalid {
        field: "undo_send_secs",
        reason: format!("must be a number of seconds, not {typed:?}"),
    })?;
    st.services
        .blocking_async(move |s| async move { s.update_undo_send(&auth.agent, secs).await })
        .await?;
    Ok(see_other("/profile?flash=sending_saved#sending"))
}

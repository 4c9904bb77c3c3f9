//! JSON bodies and JSON shapes of the API. Bad input gets a clear error naming the
//! field: 413 over the size limit, 400 for malformed JSON or a wrong field type.

use super::auth::state;
use super::error::ApiError;
use crate::domain::conversation::{Actor, Conversation, Event, EventKind, Status};
use crate::domain::message::{Direction, Message, TimelineItem};
use crate::domain::{Agent, Timestamp};
use crate::i18n::L10n;
use crate::service::{Directory, Row};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A JSON request body.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let limit = state(&req)
                .map(|s| s.settings.max_json_bytes)
                .unwrap_or(1 << 20);
            let too_large = || {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!("the body is larger than {limit} bytes"),
                )
            };
            let declared = req
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        format!("could not read the body: {e}"),
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            let de = &mut serde_json::Deserializer::from_slice(&body);
            serde_path_to_error::deserialize(de).map(Json).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let msg = if path == "." || path.is_empty() {
                    format!("malformed JSON: {inner}")
                } else {
                    format!("{path}: {inner}")
                };
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", msg)
            })
        })
    }
}

/// RFC 3339 UTC, for JSON.
pub fn ts(t: Timestamp) -> String {
    crate::web_time(t)
}

/// Parses RFC 3339 (or integer milliseconds) into a timestamp.
pub fn parse_ts(field: &'static str, s: &str) -> Result<Timestamp, ApiError> {
    if let Ok(ms) = s.trim().parse::<i64>() {
        return Ok(Timestamp(ms));
    }
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map(|d| Timestamp((d.unix_timestamp_nanos() / 1_000_000) as i64))
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("{field}: expected an RFC 3339 time such as 2026-11-21T09:00:00Z"),
            )
        })
}

pub fn agent_json(a: &Agent) -> Value {
    json!({"id": a.id.0, "name": a.name, "email": a.email, "role": a.role.as_str(), "active": a.active})
}

pub fn conversation_json(c: &Conversation, row: Option<&Row>) -> Value {
    let mut v = json!({
        "id": c.id.0,
        "inbox_id": c.inbox_id.0,
        "contact": {"id": c.contact_id.0, "name": c.contact_name},
        "status": c.status.as_str(),
        "snoozed_until": match c.status { Status::Snoozed { until } => Value::String(ts(until)), _ => Value::Null },
        "assignee_id": c.assignee.map(|a| a.0),
        "team_id": c.team.map(|t| t.0),
        "created_at": ts(c.created_at),
        "last_activity_at": ts(c.last_activity_at),
        "preview": c.preview,
        "reply_email": c.identity.email,
        "reply_email_confirmed": c.identity.email.is_some() && c.identity.email_verified,
    });
    if let (Some(r), Some(o)) = (row, v.as_object_mut()) {
        o.insert("unread".into(), r.unread.into());
        o.insert("missed".into(), r.missed.into());
        o.insert("new".into(), r.is_new.into());
        o.insert("assignee_name".into(), r.assignee_name.clone().into());
        o.insert("team_name".into(), r.team_name.clone().into());
        o.insert("inbox_name".into(), r.inbox_name.clone().into());
    }
    v
}

fn actor_json(a: &Actor, dir: &Directory) -> Value {
    match a {
        Actor::Agent(id) => json!({"type": "agent", "id": id.0, "name": dir.agent_name(*id)}),
        Actor::Contact => json!({"type": "contact"}),
        Actor::System => json!({"type": "system"}),
    }
}

pub fn message_json(m: &Message, dir: &Directory) -> Value {
    let sender = match (m.direction, m.author) {
        (Direction::Inbound, _) => match &m.sender {
            Some(s) => {
                json!({"type": "contact", "contact_id": s.contact.0, "name": s.name, "address": s.address})
            }
            None => json!({"type": "contact"}),
        },
        (_, Some(a)) => json!({"type": "agent", "id": a.0, "name": dir.agent_name(a)}),
        (_, None) => json!({"type": "system"}),
    };
    let times: serde_json::Map<String, Value> = m
        .status_times
        .iter()
        .map(|(s, t)| (s.as_str().to_string(), Value::String(ts(*t))))
        .collect();
    json!({
        "id": m.id.0,
        "direction": m.direction.as_str(),
        "private": m.direction == Direction::Note,
        "content": m.content,
        "status": m.status.as_str(),
        "status_times": times,
        "error": m.error,
        "sender": sender,
        "source_id": m.source_id,
        "mentions": m.mentions.iter().map(|a| a.0).collect::<Vec<_>>(),
        "via_email": m.by_email(),
        "transcript": m.transcript,
        "attachments": m.attachments.iter().filter(|a| !a.inline).map(|a| json!({"filename": a.filename, "mime": a.mime, "size": a.size, "stored": a.stored, "voice": a.voice, "caption": a.caption})).collect::<Vec<_>>(),
        "notes": m.notes,
        "created_at": ts(m.created_at),
    })
}

/// An event as a line of the timeline, in `l`'s language and time zone.
pub fn event_text(l: &L10n, e: &Event, dir: &Directory) -> String {
    let who = match &e.actor {
        Actor::Agent(a) => dir.agent_name(*a),
        Actor::Contact => l.t("actor-contact"),
        Actor::System => "Charla".into(),
    };
    let by = |key: &str| l.t1(key, "who", &who);
    match &e.kind {
        EventKind::Created => l.t("event-created"),
        EventKind::Assigned { to: Some(a) } if e.actor == Actor::Agent(*a) => by("event-took"),
        EventKind::Assigned { to: Some(a) } => {
            l.t2("event-assigned", "who", &who, "to", dir.agent_name(*a))
        }
        EventKind::Assigned { to: None } => by("event-unassigned"),
        EventKind::TeamChanged { to: Some(t) } => l.t2(
            "event-team",
            "who",
            &who,
            "team",
            dir.team(*t)
                .map(|t| t.name.clone())
                .unwrap_or_else(|| format!("#{t}")),
        ),
        EventKind::TeamChanged { to: None } => by("event-team-removed"),
        EventKind::Closed { note: Some(n) } => l.t2("event-closed-note", "who", &who, "note", n),
        EventKind::Closed { note: None } => by("event-closed"),
        EventKind::Reopened if e.actor == Actor::Contact => l.t("event-reopened-by-contact"),
        EventKind::Reopened => by("event-reopened"),
        EventKind::Snoozed { until } => {
            l.t2("event-snoozed", "who", &who, "until", l.datetime(*until))
        }
        EventKind::Woke if e.actor == Actor::Contact => l.t("event-woke-by-contact"),
        EventKind::Woke => l.t("event-woke"),
        EventKind::ContactBlocked => by("event-blocked"),
        EventKind::ContactUnblocked => by("event-unblocked"),
        EventKind::EmailConfirmed { email } => {
            l.t2("event-email-confirmed", "who", &who, "email", email)
        }
    }
}

pub fn event_json(id: u64, e: &Event, dir: &Directory) -> Value {
    let mut v = json!({"kind": e.kind.as_str()});
    match &e.kind {
        EventKind::Assigned { to } => v["to"] = json!(to.map(|a| a.0)),
        EventKind::TeamChanged { to } => v["to"] = json!(to.map(|t| t.0)),
        EventKind::Closed { note } => v["note"] = json!(note),
        EventKind::Snoozed { until } => v["until"] = json!(ts(*until)),
        _ => {}
    }
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), id.into());
        o.insert("actor".into(), actor_json(&e.actor, dir));
        o.insert("at".into(), ts(e.at).into());
        o.insert("text".into(), event_text(&L10n::english(), e, dir).into());
    }
    v
}

/// Splits a timeline page into messages and events.
pub fn timeline_json(items: &[TimelineItem], dir: &Directory) -> (Vec<Value>, Vec<Value>) {
    let mut messages = Vec::new();
    let mut events = Vec::new();
    for it in items {
        match it {
            TimelineItem::Message(m) => messages.push(message_json(m, dir)),
            TimelineItem::Event(id, e) => events.push(event_json(id.0, e, dir)),
        }
    }
    (messages, events)
}

/// For `Option<Option<T>>` fields: absent → `None`, `null` → `Some(None)`.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(Some(<Option<T> as serde::Deserialize>::deserialize(d)?))
}

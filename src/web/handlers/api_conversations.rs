//! Agent API: conversations and contacts, with the same permissions as the inbox page.

use crate::domain::conversation::{ContactId, ConversationId, MessageId};
use crate::domain::{AgentId, TeamId};
use crate::service::Draft;
use crate::service::{ContactInput, ServiceError, StatusChange, parse_view};
use crate::web::AppState;
use crate::web::auth::ApiAgent;
use crate::web::error::ApiError;
use crate::web::json::{Json, conversation_json, message_json, parse_ts, timeline_json};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

type R = Result<HttpResponse, ApiError>;

#[derive(Deserialize)]
pub struct ListQuery {
    view: Option<String>,
    cursor: Option<String>,
    q: Option<String>,
}

pub async fn index(ApiAgent(me): ApiAgent, st: web::Data<AppState>, q: web::Query<ListQuery>) -> R {
    let view = match q.q.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(_) => None,
        None => Some(
            parse_view(q.view.as_deref().unwrap_or("mine"), &me)
                .map_err(|i| ApiError::from(ServiceError::Invalid(i)))?,
        ),
    };
    let q = q.into_inner();
    let (counts, (rows, next)) = st
        .services
        .blocking(move |s| {
            let counts = s.counts(&me)?;
            let found = match view {
                None => (
                    s.search_conversations(&me, q.q.as_deref().unwrap_or(""), 50)?,
                    None,
                ),
                Some(view) => {
                    let page = s.list(&me, view, q.cursor.as_deref(), 50)?;
                    (page.rows, page.next)
                }
            };
            Ok::<_, ServiceError>((counts, found))
        })
        .await?;
    let teams: serde_json::Map<String, Value> = counts
        .teams
        .iter()
        .map(|(id, _, n)| (format!("team:{id}"), json!(n)))
        .collect();
    let mut counts_json = json!({
        "mine": counts.mine, "unassigned": counts.unassigned, "all": counts.all,
        "snoozed": counts.snoozed, "closed": counts.closed, "mentions": counts.mentions,
    });
    if let Some(o) = counts_json.as_object_mut() {
        o.extend(teams);
    }
    let list: Vec<Value> = rows
        .iter()
        .map(|r| conversation_json(&r.conversation, Some(r)))
        .collect();
    Ok(HttpResponse::Ok()
        .json(json!({"conversations": list, "counts": counts_json, "next_cursor": next})))
}

#[derive(Deserialize)]
pub struct PageQuery {
    cursor: Option<u64>,
}

pub async fn show(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    q: web::Query<PageQuery>,
) -> R {
    let (id, before) = (ConversationId(*id), q.cursor.map(MessageId));
    let p = st
        .services
        .blocking(move |s| s.conversation_page(&me, id, before, 50))
        .await?;
    let dir = st.services.directory();
    let (messages, events) = timeline_json(&p.items, &dir);
    Ok(HttpResponse::Ok().json(json!({
        "conversation": conversation_json(&p.row.conversation, Some(&p.row)),
        "messages": messages,
        "events": events,
        "next_cursor": p.next.map(|m| m.0),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    content: String,
    #[serde(default)]
    private: bool,
    /// `"email"`: a website chat reply sent by mail; `"chat"` (default) otherwise.
    #[serde(default)]
    via: Option<String>,
}

pub async fn messages_create(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Json(b): Json<MessageBody>,
) -> R {
    let by_email = match b.via.as_deref() {
        None | Some("chat") => false,
        Some("email") => true,
        Some(_) => {
            return Err(
                crate::service::ServiceError::from(crate::domain::validate::Invalid {
                    field: "via",
                    reason: "must be \"chat\" or \"email\"".into(),
                })
                .into(),
            );
        }
    };
    let id = ConversationId(*id);
    let m = st
        .services
        .blocking_async(move |s| async move {
            let draft = Draft {
                content: b.content,
                private: b.private,
                by_email,
                ..Draft::default()
            };
            s.send(&me, id, draft).await
        })
        .await?;
    Ok(HttpResponse::Created().json(message_json(&m, &st.services.directory())))
}

/// `{"agent_id": 3 | null, "team_id": 2 | null}`; an absent field leaves that part as it is.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    #[serde(default, deserialize_with = "crate::web::json::present")]
    agent_id: Option<Option<u64>>,
    #[serde(default, deserialize_with = "crate::web::json::present")]
    team_id: Option<Option<u64>>,
}

pub async fn assign(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Json(b): Json<AssignBody>,
) -> R {
    let id = ConversationId(*id);
    let c = st
        .services
        .blocking_async(move |s| async move {
            let c = s
                .assign(
                    &me,
                    id,
                    b.agent_id.map(|a| a.map(AgentId)),
                    b.team_id.map(|t| t.map(TeamId)),
                )
                .await?;
            s.shown(&me, c)
        })
        .await?;
    Ok(HttpResponse::Ok().json(conversation_json(&c, None)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: String,
    snoozed_until: Option<String>,
    note: Option<String>,
}

pub async fn status(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Json(b): Json<StatusBody>,
) -> R {
    let change = match b.status.as_str() {
        "open" => StatusChange::Open,
        "closed" => StatusChange::Closed { note: b.note },
        "snoozed" => {
            let raw = b.snoozed_until.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "snoozed_until: is required to snooze",
                )
            })?;
            StatusChange::Snoozed {
                until: parse_ts("snoozed_until", &raw)?,
            }
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "status: must be open, closed or snoozed",
            ));
        }
    };
    let id = ConversationId(*id);
    let c = st
        .services
        .blocking_async(move |s| async move {
            let c = s.change_status(&me, id, change).await?;
            s.shown(&me, c)
        })
        .await?;
    Ok(HttpResponse::Ok().json(conversation_json(&c, None)))
}

pub async fn unread(ApiAgent(me): ApiAgent, st: web::Data<AppState>, id: web::Path<u64>) -> R {
    let id = ConversationId(*id);
    st.services
        .blocking_async(move |s| async move { s.set_read(&me, id, false).await })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn delete(ApiAgent(me): ApiAgent, st: web::Data<AppState>, id: web::Path<u64>) -> R {
    let id = ConversationId(*id);
    st.services
        .blocking_async(move |s| async move { s.delete_conversation(&me, id).await })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn contact_json(c: &crate::domain::contact::Contact) -> Value {
    json!({
        "id": c.id.0, "name": c.name, "email": c.email, "phone": c.phone, "identifier": c.identifier,
        "tags": c.tags, "properties": c.properties.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
        "blocked": c.blocked, "language": c.language,
    })
}

/// A contact as the agent may see it; `"limited": true` when only what the agent's own
/// inboxes know is shown (and it cannot be changed).
fn contact_view_json(v: &crate::service::ContactView) -> Value {
    let mut j = contact_json(&v.contact);
    if let Some(o) = j.as_object_mut() {
        o.insert("limited".into(), (!v.full).into());
    }
    j
}

#[derive(Deserialize)]
pub struct ContactQuery {
    q: Option<String>,
    cursor: Option<u64>,
}

pub async fn contacts_index(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    q: web::Query<ContactQuery>,
) -> R {
    let q = q.into_inner();
    let (list, next) = st
        .services
        .blocking(move |s| {
            s.contacts(
                &me,
                q.q.as_deref().unwrap_or(""),
                q.cursor.map(ContactId),
                50,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"contacts": list.iter().map(contact_view_json).collect::<Vec<_>>(), "next_cursor": next.map(|c| c.0)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    tags: Option<Vec<String>>,
    properties: Option<serde_json::Map<String, Value>>,
    blocked: Option<bool>,
    /// `"en"`, `"es"`, or `null` / `""` to forget it (emails then follow the inbox).
    #[serde(default, deserialize_with = "crate::web::json::present")]
    language: Option<Option<String>>,
}

impl ContactBody {
    fn input(&self) -> ContactInput {
        ContactInput {
            language: self.language.clone().map(Option::unwrap_or_default),
            name: self.name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            tags: self.tags.clone(),
            properties: self.properties.as_ref().map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect()
            }),
        }
    }
}

pub async fn contacts_create(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    Json(b): Json<ContactBody>,
) -> R {
    let input = b.input();
    let c = st
        .services
        .blocking_async(move |s| async move { s.create_contact(&me, input).await })
        .await?;
    Ok(HttpResponse::Created().json(contact_json(&c)))
}

pub async fn contacts_show(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> R {
    let id = ContactId(*id);
    let (c, rows) = st
        .services
        .blocking(move |s| {
            let c = s.contact(&me, id)?;
            let rows = s.contact_conversations(&me, c.contact.id)?;
            Ok::<_, ServiceError>((c, rows))
        })
        .await?;
    let convs: Vec<Value> = rows
        .iter()
        .map(|r| conversation_json(&r.conversation, Some(r)))
        .collect();
    let mut v = contact_view_json(&c);
    if let Some(o) = v.as_object_mut() {
        o.insert("conversations".into(), convs.into());
    }
    Ok(HttpResponse::Ok().json(v))
}

pub async fn contacts_update(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Json(b): Json<ContactBody>,
) -> R {
    let (id, input) = (ContactId(*id), b.input());
    let c = st
        .services
        .blocking_async(move |s| async move {
            let mut c = s.update_contact(&me, id, input).await?;
            if let Some(blocked) = b.blocked
                && blocked != c.blocked
            {
                c = s.set_blocked(&me, c.id, blocked).await?;
            }
            Ok::<_, ServiceError>(c)
        })
        .await?;
    Ok(HttpResponse::Ok().json(contact_json(&c)))
}

/// `POST /api/v1/conversations/{id}/transcript`: email the conversation to the contact.
pub async fn transcript(ApiAgent(me): ApiAgent, st: web::Data<AppState>, id: web::Path<u64>) -> R {
    let id = ConversationId(*id);
    let m = st
        .services
        .blocking_async(move |s| async move { s.send_transcript(&me, id).await })
        .await?;
    Ok(HttpResponse::Created().json(message_json(&m, &st.services.directory())))
}

/// `POST /api/v1/conversations/{id}/confirm_email`: confirm the address a visitor typed.
pub async fn confirm_email(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> R {
    let id = ConversationId(*id);
    let c = st
        .services
        .blocking_async(move |s| async move {
            let c = s.confirm_email(&me, id).await?;
            s.shown(&me, c)
        })
        .await?;
    Ok(HttpResponse::Ok().json(conversation_json(&c, None)))
}

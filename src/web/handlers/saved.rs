//! Saved responses: the API, the admin page (shared ones), the agent's own page, and
//! the composer's list filled for one conversation.

use super::{CsrfOnly, FlashQuery, see_other};
use crate::domain::conversation::ConversationId;
use crate::domain::saved::{SavedInput, SavedResponse};
use crate::i18n::L10n;
use crate::service::{ServiceError, SessionAuth};
use crate::web::AppState;
use crate::web::auth::{Admin, ApiAgent, Signed};
use crate::web::error::{ApiError, WebError};
use crate::web::forms::Form;
use crate::web::json::{Json, ts};
use crate::web::locale::Loc;
use crate::web::views::{Page, SavedView};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

type R = Result<HttpResponse, ApiError>;

/// A response as the API shows it.
pub fn saved_json(r: &SavedResponse) -> Value {
    json!({
        "id": r.id,
        "title": r.title,
        "shortcut": r.shortcut,
        "body": r.body,
        "category": r.category,
        "shared": r.owner.is_none(),
        "owner_id": r.owner.map(|a| a.0),
        "created_at": ts(r.created_at),
        "updated_at": ts(r.updated_at),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedBody {
    title: Option<String>,
    shortcut: Option<String>,
    body: Option<String>,
    category: Option<String>,
    shared: Option<bool>,
}

impl SavedBody {
    /// The fields, each from the body or else from `cur`.
    fn input(self, cur: Option<&SavedResponse>) -> (SavedInput, Option<bool>) {
        let pick = |v: Option<String>, f: fn(&SavedResponse) -> &String| {
            v.or_else(|| cur.map(|c| f(c).clone())).unwrap_or_default()
        };
        (
            SavedInput {
                title: pick(self.title, |c| &c.title),
                shortcut: pick(self.shortcut, |c| &c.shortcut),
                body: pick(self.body, |c| &c.body),
                category: pick(self.category, |c| &c.category),
            },
            self.shared,
        )
    }
}

pub async fn api_index(ApiAgent(me): ApiAgent, st: web::Data<AppState>) -> R {
    let list = st
        .services
        .blocking(move |s| s.saved_responses(&me))
        .await?;
    let list: Vec<Value> = list.iter().map(saved_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "saved_responses": list })))
}

pub async fn api_create(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    Json(b): Json<SavedBody>,
) -> R {
    let (input, shared) = b.input(None);
    let r = st
        .services
        .blocking_async(move |s| async move {
            s.create_saved_response(&me, input, shared.unwrap_or(false))
                .await
        })
        .await?;
    Ok(HttpResponse::Created().json(saved_json(&r)))
}

pub async fn api_update(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Json(b): Json<SavedBody>,
) -> R {
    let id = *id;
    let r = st
        .services
        .blocking_async(move |s| async move {
            let cur = s.saved_response(&me, id)?;
            let (input, shared) = b.input(Some(&cur));
            s.update_saved_response(&me, id, input, shared).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(saved_json(&r)))
}

pub async fn api_delete(ApiAgent(me): ApiAgent, st: web::Data<AppState>, id: web::Path<u64>) -> R {
    let id = *id;
    st.services
        .blocking_async(move |s| async move { s.delete_saved_response(&me, id).await })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /conversations/{id}/saved_responses`: the agent's responses, filled for this
/// conversation, for the composer (`missing`: variables left for the agent to fill).
pub async fn for_conversation(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    let list = st
        .services
        .blocking(move |s| s.saved_for_conversation(&auth.agent, id))
        .await?;
    let list: Vec<Value> = list
        .iter()
        .map(|f| {
            json!({
                "id": f.response.id,
                "title": f.response.title,
                "shortcut": f.response.shortcut,
                "category": f.response.category,
                "shared": f.response.owner.is_none(),
                "body": f.filled.text,
                "missing": f.filled.missing,
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "saved_responses": list })))
}

/// The page's form: the fields, and on the agent's page nothing about sharing.
#[derive(Deserialize)]
pub struct SavedForm {
    title: String,
    #[serde(default)]
    shortcut: String,
    body: String,
    #[serde(default)]
    category: String,
}

impl SavedForm {
    fn input(self) -> SavedInput {
        SavedInput {
            title: self.title,
            shortcut: self.shortcut,
            body: self.body,
            category: self.category,
        }
    }
}

/// Where each page lives: admins' shared list, or the agent's own.
fn base(shared: bool) -> &'static str {
    if shared {
        "/admin/saved_responses"
    } else {
        "/profile/saved_responses"
    }
}

async fn list_page(
    auth: SessionAuth,
    l: L10n,
    st: web::Data<AppState>,
    flash: Option<String>,
    shared: bool,
) -> Result<SavedView, WebError> {
    let me = auth.agent.clone();
    let responses = st
        .services
        .blocking(move |s| {
            Ok::<_, ServiceError>(
                s.saved_responses(&me)?
                    .into_iter()
                    .filter(|r| r.owner.is_none() == shared)
                    .collect::<Vec<_>>(),
            )
        })
        .await?;
    let (title, section) = if shared {
        (l.t("saved-admin-title"), "saved")
    } else {
        (l.t("saved-mine-title"), "profile")
    };
    Ok(SavedView {
        page: Page::signed(&l, &auth.agent, &auth.session.csrf, title, section)
            .with_flash(flash.as_deref()),
        responses,
        shared,
        base: base(shared),
    })
}

async fn save(
    auth: SessionAuth,
    st: web::Data<AppState>,
    id: Option<u64>,
    f: SavedForm,
    shared: bool,
) -> Result<HttpResponse, WebError> {
    st.services
        .blocking_async(move |s| async move {
            match id {
                None => s
                    .create_saved_response(&auth.agent, f.input(), shared)
                    .await
                    .map(|_| ()),
                Some(id) => s
                    .update_saved_response(&auth.agent, id, f.input(), None)
                    .await
                    .map(|_| ()),
            }
        })
        .await?;
    Ok(see_other(&format!("{}?flash=saved_saved", base(shared))))
}

async fn remove(
    auth: SessionAuth,
    st: web::Data<AppState>,
    id: u64,
    shared: bool,
) -> Result<HttpResponse, WebError> {
    st.services
        .blocking_async(move |s| async move { s.delete_saved_response(&auth.agent, id).await })
        .await?;
    Ok(see_other(&format!("{}?flash=saved_deleted", base(shared))))
}

pub async fn admin_list(
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<SavedView, WebError> {
    list_page(auth, l, st, q.into_inner().flash, true).await
}

pub async fn admin_create(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    Form(f): Form<SavedForm>,
) -> Result<HttpResponse, WebError> {
    save(auth, st, None, f, true).await
}

pub async fn admin_update(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<SavedForm>,
) -> Result<HttpResponse, WebError> {
    save(auth, st, Some(*id), f, true).await
}

pub async fn admin_delete(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    remove(auth, st, *id, true).await
}

pub async fn mine_list(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<SavedView, WebError> {
    list_page(auth, l, st, q.into_inner().flash, false).await
}

pub async fn mine_create(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    Form(f): Form<SavedForm>,
) -> Result<HttpResponse, WebError> {
    save(auth, st, None, f, false).await
}

pub async fn mine_update(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<SavedForm>,
) -> Result<HttpResponse, WebError> {
    save(auth, st, Some(*id), f, false).await
}

pub async fn mine_delete(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    remove(auth, st, *id, false).await
}

//! Contacts: list, search, one contact with their conversations, edit in place, block.

use super::see_other;
use crate::domain::conversation::ContactId;
use crate::i18n::Msg;
use crate::service::{ContactInput, ServiceError};
use crate::web::AppState;
use crate::web::auth::Signed;
use crate::web::error::WebError;
use crate::web::export;
use crate::web::forms::Form;
use crate::web::inbox_views::{ContactPage, ContactsPage, RowView};
use crate::web::locale::Loc;
use crate::web::views::Page;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ContactsQuery {
    q: Option<String>,
    before: Option<u64>,
}

pub async fn contacts_list(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<ContactsQuery>,
) -> Result<ContactsPage, WebError> {
    let query = q.q.clone().unwrap_or_default();
    let (me, text, before) = (auth.agent.clone(), query.clone(), q.before.map(ContactId));
    let (contacts, next) = st
        .services
        .blocking(move |s| s.contacts(&me, &text, before, 50))
        .await?;
    Ok(ContactsPage {
        page: Page::signed(
            &l,
            &auth.agent,
            &auth.session.csrf,
            l.t("nav-contacts"),
            "contacts",
        ),
        q: query,
        contacts,
        next: next.map(|c| c.0),
    })
}

pub async fn contacts_show(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> Result<ContactPage, WebError> {
    let (me, id) = (auth.agent.clone(), ContactId(*id));
    let (view, rows) = st
        .services
        .blocking(move |s| {
            let view = s.contact(&me, id)?;
            let rows = s.contact_conversations(&me, view.contact.id)?;
            Ok::<_, ServiceError>((view, rows))
        })
        .await?;
    let contact = view.contact;
    let rows = rows.iter().map(|r| RowView::new(&l, r, None)).collect();
    Ok(ContactPage {
        page: Page::signed(
            &l,
            &auth.agent,
            &auth.session.csrf,
            contact.display_name(),
            "contacts",
        ),
        contact,
        full: view.full,
        rows,
    })
}

/// Contact fields from a form: every field present is set (empty clears it).
#[derive(Deserialize)]
pub struct ContactForm {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    tags: Option<String>,
    #[serde(default)]
    prop_key: Vec<String>,
    #[serde(default)]
    prop_value: Vec<String>,
    /// Where to go afterwards (a conversation page), same-site paths only.
    #[serde(default)]
    back: String,
}

impl ContactForm {
    fn input(&self) -> ContactInput {
        let props = (!self.prop_key.is_empty()).then(|| {
            self.prop_key
                .iter()
                .cloned()
                .zip(
                    self.prop_value
                        .iter()
                        .cloned()
                        .chain(std::iter::repeat(String::new())),
                )
                .collect()
        });
        ContactInput {
            name: self.name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            tags: self.tags.as_ref().map(|t| vec![t.clone()]),
            properties: props,
            language: None,
        }
    }
    fn back(&self, id: u64) -> String {
        if self.back.starts_with("/conversations/") && !self.back.contains("//") {
            self.back.clone()
        } else {
            format!("/contacts/{id}")
        }
    }
}

pub async fn contacts_create(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    Form(f): Form<ContactForm>,
) -> Result<HttpResponse, WebError> {
    let input = f.input();
    let c = st
        .services
        .blocking_async(move |s| async move { s.create_contact(&auth.agent, input).await })
        .await?;
    Ok(see_other(&format!("/contacts/{}", c.id)))
}

pub async fn contacts_update(
    req: HttpRequest,
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<ContactForm>,
) -> Result<HttpResponse, WebError> {
    let (cid, input) = (ContactId(*id), f.input());
    st.services
        .blocking_async(move |s| async move { s.update_contact(&auth.agent, cid, input).await })
        .await?;
    if req.headers().contains_key("hx-request") {
        return Ok(HttpResponse::NoContent().finish());
    }
    Ok(see_other(&f.back(*id)))
}

#[derive(Deserialize)]
pub struct BackForm {
    #[serde(default)]
    back: String,
}

async fn block(
    auth: crate::service::SessionAuth,
    st: &AppState,
    id: u64,
    blocked: bool,
    back: &str,
) -> Result<HttpResponse, WebError> {
    st.services
        .blocking_async(
            move |s| async move { s.set_blocked(&auth.agent, ContactId(id), blocked).await },
        )
        .await?;
    let to = if back.starts_with("/conversations/") && !back.contains("//") {
        back.to_string()
    } else {
        format!("/contacts/{id}")
    };
    Ok(see_other(&to))
}

pub async fn contacts_block(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<BackForm>,
) -> Result<HttpResponse, WebError> {
    block(auth, &st, *id, true, &f.back).await
}

pub async fn contacts_unblock(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<BackForm>,
) -> Result<HttpResponse, WebError> {
    block(auth, &st, *id, false, &f.back).await
}

#[derive(Deserialize)]
pub struct ExportQuery {
    /// `html` (the default) or `jsonl`.
    format: Option<String>,
}

/// "Download conversations": the contact as the agent may see them, with the
/// conversations of the agent's inboxes, as one HTML document or a JSONL export
/// (docs/export.md). Recorded in the audit log.
pub async fn contacts_export(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, WebError> {
    let format = match q.format.as_deref().unwrap_or("html") {
        "html" => "html",
        "jsonl" => "jsonl",
        other => {
            return Err(WebError::BadRequest(
                Msg::new("export-error-format").arg("format", other),
            ));
        }
    };
    let (me, id) = (auth.agent.clone(), ContactId(*id));
    let services = st.services.clone();
    let body = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ServiceError> {
        let mut out = Vec::new();
        if format == "jsonl" {
            services.export_contact_jsonl(Some(&me), id, &mut out)?;
        } else {
            let name = services.contact(&me, id)?.contact.display_name();
            let dir = services.directory();
            let mut html = export::head(&l, &export::contact_title(&l, &name));
            services.each_transcript(
                Some(&me),
                crate::service::exchange::Scope::Contact(id),
                &mut |t| {
                    html.push_str(&export::conversation(&l, t, &dir));
                    Ok(())
                },
                &mut |_, _| {},
            )?;
            html.push_str(export::FOOT);
            out = html.into_bytes();
        }
        services.audit_contact_export(&me, id, format)?;
        Ok(out)
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))??;
    let (mime, ext) = match format {
        "jsonl" => ("application/x-ndjson; charset=utf-8", "jsonl"),
        _ => ("text/html; charset=utf-8", "html"),
    };
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"contact-{id}-conversations.{ext}\""),
        ))
        .insert_header((actix_web::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ))
        .body(body))
}

//! Message templates: the API, the admin page, and the composer's list prefilled for
//! one conversation.

use super::{CsrfOnly, FlashQuery, see_other};
use crate::domain::conversation::ConversationId;
use crate::domain::template::{MessageTemplate, TemplateInput};
use crate::domain::validate::Invalid;
use crate::service::{ServiceError, TemplateUse};
use crate::web::AppState;
use crate::web::auth::{Admin, ApiAgent, Signed};
use crate::web::error::{ApiError, WebError};
use crate::web::forms::Form;
use crate::web::json::{Json, ts};
use crate::web::locale::Loc;
use crate::web::views::{Page, TemplatesView};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

type R = Result<HttpResponse, ApiError>;

/// A template as the API shows it.
pub fn template_json(t: &MessageTemplate) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "language": t.language,
        "body": t.body,
        "subject": t.subject,
        "fields": t.fields(),
        "whatsapp": t.whatsapp,
        "created_at": ts(t.created_at),
        "updated_at": ts(t.updated_at),
    })
}

/// The composer form's template: `template_id` and `fields` (a JSON object of
/// strings); none when `template_id` is empty.
pub fn template_use(id: &str, fields: &str) -> Result<Option<TemplateUse>, WebError> {
    if id.trim().is_empty() {
        return Ok(None);
    }
    let invalid = |field: &'static str, reason: &str| {
        WebError::from(ServiceError::Invalid(Invalid {
            field,
            reason: reason.into(),
        }))
    };
    let id = id
        .trim()
        .parse()
        .map_err(|_| invalid("template_id", "is not an id"))?;
    let fields: std::collections::BTreeMap<String, String> = if fields.trim().is_empty() {
        Default::default()
    } else {
        serde_json::from_str(fields)
            .map_err(|_| invalid("fields", "must be a JSON object of texts"))?
    };
    Ok(Some(TemplateUse {
        id,
        fields: fields.into_iter().collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    name: Option<String>,
    language: Option<String>,
    body: Option<String>,
    subject: Option<String>,
    /// Absent: unchanged; `null`: none; an object: the WhatsApp approved template.
    #[serde(default, deserialize_with = "present")]
    whatsapp: Option<Value>,
}

/// A field that is present (`null` included) reads as `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl TemplateBody {
    fn input(self, cur: Option<&MessageTemplate>) -> Result<TemplateInput, ServiceError> {
        let pick = |v: Option<String>, f: fn(&MessageTemplate) -> String| {
            v.or_else(|| cur.map(f)).unwrap_or_default()
        };
        let whatsapp = match self.whatsapp {
            None => cur.and_then(|c| c.whatsapp.clone()),
            Some(Value::Null) => None,
            Some(v) => Some(serde_json::from_value(v).map_err(|e| {
                ServiceError::Invalid(Invalid {
                    field: "whatsapp",
                    reason: e.to_string(),
                })
            })?),
        };
        // A WhatsApp template's body is its WhatsApp body.
        let body = match (&self.body, &whatsapp) {
            (None, Some(_)) => String::new(),
            _ => pick(self.body, |c| c.body.clone()),
        };
        Ok(TemplateInput {
            name: pick(self.name, |c| c.name.clone()),
            language: pick(self.language, |c| c.language.clone()),
            body,
            subject: pick(self.subject, |c| c.subject.clone().unwrap_or_default()),
            whatsapp,
        })
    }
}

pub async fn api_index(ApiAgent(me): ApiAgent, st: web::Data<AppState>) -> R {
    let list = st.services.blocking(move |s| s.templates(&me)).await?;
    let list: Vec<Value> = list.iter().map(template_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "templates": list })))
}

pub async fn api_create(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    Json(b): Json<TemplateBody>,
) -> R {
    let input = b.input(None)?;
    let t = st
        .services
        .blocking_async(move |s| async move { s.create_template(&me, input).await })
        .await?;
    Ok(HttpResponse::Created().json(template_json(&t)))
}

pub async fn api_update(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Json(b): Json<TemplateBody>,
) -> R {
    let id = *id;
    let t = st
        .services
        .blocking_async(move |s| async move {
            let cur = s.template(&me, id)?;
            let input = b.input(Some(&cur))?;
            s.update_template(&me, id, input).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(template_json(&t)))
}

pub async fn api_delete(ApiAgent(me): ApiAgent, st: web::Data<AppState>, id: web::Path<u64>) -> R {
    let id = *id;
    st.services
        .blocking_async(move |s| async move { s.delete_template(&me, id).await })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /conversations/{id}/templates`: every template with its fields prefilled for
/// this conversation, for the composer's "Send template" dialog.
pub async fn for_conversation(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> Result<HttpResponse, WebError> {
    let id = ConversationId(*id);
    let list = st
        .services
        .blocking(move |s| s.templates_for_conversation(&auth.agent, id))
        .await?;
    let list: Vec<Value> = list
        .iter()
        .map(|t| {
            json!({
                "id": t.template.id,
                "name": t.template.name,
                "language": t.template.language,
                "body": t.template.body,
                "subject": t.template.subject,
                "fields": t.fields.iter().map(|(n, v)| {
                    let (label, placeholder) = field_words(&l, &t.template, n);
                    json!({"name": n, "value": v, "label": label, "placeholder": placeholder})
                }).collect::<Vec<_>>(),
                "header": t.template.whatsapp.as_ref().and_then(|w| w.header.as_ref()).and_then(|h| h.text.clone()),
                "footer": t.template.whatsapp.as_ref().and_then(|w| w.footer.clone()),
                // A WhatsApp approved template goes now only (no "When").
                "approved": t.template.whatsapp.is_some(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "templates": list })))
}

/// The composer's label and placeholder of a WhatsApp template's field: the text
/// header's `{{1}}`, a URL button's suffix (named after its button), a body variable
/// with Meta's sample value; other fields are named as written.
fn field_words(l: &crate::i18n::L10n, t: &MessageTemplate, name: &str) -> (String, String) {
    use crate::domain::template::{HEADER_FIELD, button_field};
    let Some(w) = &t.whatsapp else {
        return (name.to_string(), String::new());
    };
    if name == HEADER_FIELD {
        return (l.t("wasync-field-header"), String::new());
    }
    if let Some((_, b)) = w
        .buttons
        .iter()
        .enumerate()
        .find(|(i, _)| button_field(*i) == name)
    {
        return (
            l.t1("wasync-field-button", "button", b.text.as_str()),
            b.url.clone().unwrap_or_default(),
        );
    }
    let example = name
        .parse::<usize>()
        .ok()
        .and_then(|n| w.examples.get(n.wrapping_sub(1)))
        .filter(|e| !e.is_empty())
        .map(|e| l.t1("wasync-field-example", "example", e.as_str()))
        .unwrap_or_default();
    (format!("{{{{{name}}}}}"), example)
}

#[derive(Deserialize)]
pub struct TemplateForm {
    name: String,
    language: String,
    body: String,
    #[serde(default)]
    subject: String,
    /// A WhatsApp approved template: its inbox (empty: none), approved name and
    /// language, header and buttons (one a line: `type | text | URL or phone`).
    #[serde(default)]
    wa_inbox_id: String,
    #[serde(default)]
    wa_name: String,
    #[serde(default)]
    wa_language: String,
    #[serde(default)]
    wa_header_type: String,
    #[serde(default)]
    wa_header: String,
    #[serde(default)]
    wa_buttons: String,
}

fn form_invalid(field: &'static str, reason: &str) -> ServiceError {
    ServiceError::Invalid(Invalid {
        field,
        reason: reason.into(),
    })
}

impl TemplateForm {
    fn input(self) -> Result<TemplateInput, ServiceError> {
        use crate::domain::template::{
            WaButton, WaButtonKind, WaHeader, WaHeaderKind, WhatsAppTemplate,
        };
        let whatsapp = if self.wa_inbox_id.trim().is_empty() {
            None
        } else {
            let inbox_id = self
                .wa_inbox_id
                .trim()
                .parse()
                .map_err(|_| form_invalid("whatsapp.inbox_id", "is not an id"))?;
            let value = self.wa_header.trim().to_string();
            let header = match self.wa_header_type.trim() {
                "" => None,
                "text" => Some(WaHeader {
                    kind: WaHeaderKind::Text,
                    text: Some(value),
                    url: None,
                }),
                kind @ ("image" | "document" | "video") => Some(WaHeader {
                    kind: match kind {
                        "image" => WaHeaderKind::Image,
                        "video" => WaHeaderKind::Video,
                        _ => WaHeaderKind::Document,
                    },
                    text: None,
                    url: Some(value),
                }),
                _ => {
                    return Err(form_invalid(
                        "whatsapp.header",
                        "must be text, image, document or video",
                    ));
                }
            };
            let mut buttons = Vec::new();
            for line in self.wa_buttons.lines().filter(|l| !l.trim().is_empty()) {
                let parts: Vec<&str> = line.split('|').map(str::trim).collect();
                let kind = match parts[0] {
                    "quick_reply" => WaButtonKind::QuickReply,
                    "url" => WaButtonKind::Url,
                    "phone_number" => WaButtonKind::PhoneNumber,
                    _ => {
                        return Err(form_invalid(
                            "whatsapp.buttons",
                            "each line must start with quick_reply, url or phone_number",
                        ));
                    }
                };
                let extra = parts.get(2).map(|v| v.to_string());
                buttons.push(WaButton {
                    kind,
                    text: parts.get(1).map(|v| v.to_string()).unwrap_or_default(),
                    url: extra.clone().filter(|_| kind == WaButtonKind::Url),
                    phone_number: extra.filter(|_| kind == WaButtonKind::PhoneNumber),
                });
            }
            Some(WhatsAppTemplate {
                name: self.wa_name,
                language: self.wa_language,
                body: self.body.clone(),
                header,
                buttons,
                inbox_id,
                footer: None,
                examples: vec![],
                synced: false,
            })
        };
        Ok(TemplateInput {
            name: self.name,
            language: self.language,
            body: self.body,
            subject: self.subject,
            whatsapp,
        })
    }
}

/// Admin → Templates, with a sync's note (or error) when there is one.
pub(super) async fn templates_view(
    auth: &crate::service::SessionAuth,
    l: &crate::i18n::L10n,
    st: &AppState,
    flash: Option<&str>,
    sync_note: Option<String>,
    sync_error: Option<String>,
) -> Result<TemplatesView, WebError> {
    let me = auth.agent.clone();
    let templates = st.services.blocking(move |s| s.templates(&me)).await?;
    let wa_sync: Vec<(u64, String, String)> = st
        .services
        .directory()
        .inboxes
        .iter()
        .filter(|i| crate::service::whatsapp_cloud(i))
        .map(|i| {
            let waba = i.messaging.as_ref().map(|m| m.waba_id.clone());
            (i.id.0, i.name.clone(), waba.unwrap_or_default())
        })
        .collect();
    Ok(TemplatesView {
        page: Page::signed(
            l,
            &auth.agent,
            &auth.session.csrf,
            l.t("template-admin-title"),
            "templates",
        )
        .with_flash(flash),
        templates,
        wa_inboxes: wa_sync.iter().map(|(i, n, _)| (*i, n.clone())).collect(),
        wa_sync,
        sync_note,
        sync_error,
    })
}

pub async fn admin_list(
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
    synced: web::Query<super::template_sync::SyncedQuery>,
) -> Result<TemplatesView, WebError> {
    let note = synced.note(&l);
    templates_view(&auth, &l, &st, q.flash.as_deref(), note, None).await
}

pub async fn admin_create(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    Form(f): Form<TemplateForm>,
) -> Result<HttpResponse, WebError> {
    st.services
        .blocking_async(move |s| async move { s.create_template(&auth.agent, f.input()?).await })
        .await?;
    Ok(see_other("/admin/templates?flash=template_saved"))
}

pub async fn admin_update(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<TemplateForm>,
) -> Result<HttpResponse, WebError> {
    let id = *id;
    st.services
        .blocking_async(move |s| async move {
            // The form without WhatsApp fields keeps the template's WhatsApp part.
            let cur = s.template(&auth.agent, id)?;
            let mut input = f.input()?;
            if input.whatsapp.is_none() {
                input.whatsapp = cur.whatsapp;
            }
            s.update_template(&auth.agent, id, input).await
        })
        .await?;
    Ok(see_other("/admin/templates?flash=template_saved"))
}

pub async fn admin_delete(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = *id;
    st.services
        .blocking_async(move |s| async move { s.delete_template(&auth.agent, id).await })
        .await?;
    Ok(see_other("/admin/templates?flash=template_deleted"))
}

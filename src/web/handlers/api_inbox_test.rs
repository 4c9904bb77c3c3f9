//! `POST /api/v1/inboxes/{id}/test`: "Test connection" on the API, for email inboxes
//! (IMAP and SMTP) and messaging inboxes (one request to the provider).

use super::api_admin::{EmailBody, InboxBody, MessagingBody, invalid};
use crate::domain::InboxId;
use crate::web::AppState;
use crate::web::auth::ApiAgent;
use crate::web::error::ApiError;
use crate::web::json::Json;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

type R = Result<HttpResponse, ApiError>;

/// `POST /api/v1/inboxes/{id}/test`: `{}` tests the stored settings; `{"email": {...}}`
/// tests these (an omitted or empty password is the stored one); a messaging inbox takes
/// its channel's settings (`{"whatsapp": {...}}`, an empty secret the stored one) and
/// answers `{"ok", "detail"}`. Nothing is saved.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestBody {
    email: Option<EmailBody>,
    whatsapp: Option<MessagingBody>,
    sms: Option<MessagingBody>,
    messenger: Option<MessagingBody>,
    telegram: Option<MessagingBody>,
}

fn probe_json(p: &crate::domain::email::Probe) -> serde_json::Value {
    json!({"ok": p.ok, "step": p.step.as_str(), "detail": p.detail})
}

pub async fn inboxes_test(
    req: HttpRequest,
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Json(b): Json<TestBody>,
) -> R {
    let id = InboxId(*id);
    // Admins only, before anything about the inbox is told.
    if !me.is_admin() {
        return Err(ApiError::from(crate::service::ServiceError::NotAllowed));
    }
    let m = me.clone();
    let inbox = st.services.blocking(move |s| s.inbox(&m, id)).await?;
    if inbox.channel.is_messaging() {
        if b.email.is_some() {
            return Err(invalid("email", "this inbox is not an email inbox"));
        }
        let mut given = InboxBody::default();
        given.whatsapp = b.whatsapp;
        given.sms = b.sms;
        given.messenger = b.messenger;
        given.telegram = b.telegram;
        let input = match given.messaging(super::base_url(&req, &st))? {
            Some((k, _)) if k != inbox.channel => {
                return Err(invalid(
                    k.as_str(),
                    "these settings are for another channel than this inbox's",
                ));
            }
            given => given.map(|(_, m)| m),
        };
        let channel = inbox.channel;
        let probe = st
            .services
            .blocking_async(move |s| async move {
                s.test_messaging_connection(&me, Some(id), channel, input)
                    .await
            })
            .await?;
        return Ok(HttpResponse::Ok().json(json!({"ok": probe.ok, "detail": probe.detail})));
    }
    if let Some(k) = [
        ("whatsapp", b.whatsapp.is_some()),
        ("sms", b.sms.is_some()),
        ("messenger", b.messenger.is_some()),
        ("telegram", b.telegram.is_some()),
    ]
    .into_iter()
    .find_map(|(k, given)| given.then_some(k))
    {
        return Err(invalid(k, "this inbox is not a messaging inbox"));
    }
    let input = b.email.map(EmailBody::input);
    let report = st
        .services
        .blocking_async(move |s| async move { s.test_email_connection(&me, Some(id), input).await })
        .await?;
    Ok(HttpResponse::Ok()
        .json(json!({"imap": probe_json(&report.imap), "smtp": probe_json(&report.smtp)})))
}

//! "Sync templates": a WhatsApp Cloud inbox's approved templates read from Meta, from
//! Admin → Templates (`POST /admin/templates/sync`) and the API
//! (`POST /api/v1/inboxes/{id}/whatsapp_templates/sync`). Meta is asked first; the
//! store work then runs off the async workers.

use super::see_other;
use crate::channels::whatsapp::templates::{ListError, Skip};
use crate::domain::InboxId;
use crate::i18n::{L10n, Msg};
use crate::service::{Services, SyncError, SyncReport};
use crate::web::AppState;
use crate::web::auth::{Admin, ApiAgent};
use crate::web::error::{ApiError, WebError};
use crate::web::forms::Form;
use crate::web::handlers::render;
use crate::web::locale::Loc;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Reads Meta's list, then stores it.
async fn sync(
    services: &Arc<Services>,
    me: crate::domain::Agent,
    inbox: InboxId,
) -> Result<SyncReport, SyncError> {
    let fetched = services.fetch_whatsapp_templates(&me, inbox).await?;
    services
        .blocking_async(move |s| async move { s.apply_whatsapp_templates(&me, fetched).await })
        .await
}

/// "12 approved templates synced, 3 skipped, 1 removed", in `l`'s language.
pub fn report_text(l: &L10n, synced: usize, skipped: usize, removed: usize) -> String {
    l.msg(
        &Msg::new("wasync-done")
            .arg("synced", synced)
            .arg("skipped", skipped)
            .arg("removed", removed),
    )
}

/// Why a sync failed, in `l`'s language.
pub fn error_text(l: &L10n, e: SyncError) -> String {
    let with = |key: &'static str, detail: &str| l.msg(&Msg::new(key).arg("detail", detail));
    match e {
        SyncError::Service(e) => super::say(l, e),
        SyncError::NoWabaId => l.t("wasync-error-no-waba"),
        SyncError::Graph(ListError::TokenRefused(d)) => with("wasync-error-token", &d),
        SyncError::Graph(ListError::NotFound(d)) => with("wasync-error-not-found", &d),
        SyncError::Graph(ListError::RateLimited(d)) => with("wasync-error-rate", &d),
        SyncError::Graph(ListError::Failed(d)) => with("wasync-error-failed", &d),
        SyncError::Unreachable(d) => with("wasync-error-unreachable", &d),
        SyncError::TooMany(n) => l.t1("wasync-error-too-many", "count", n),
    }
}

/// `?synced=&skipped=&removed=` after a sync from the admin page.
#[derive(Deserialize)]
pub struct SyncedQuery {
    synced: Option<usize>,
    #[serde(default)]
    skipped: usize,
    #[serde(default)]
    removed: usize,
}

impl SyncedQuery {
    pub fn note(&self, l: &L10n) -> Option<String> {
        self.synced
            .map(|n| report_text(l, n, self.skipped, self.removed))
    }
}

#[derive(Deserialize)]
pub struct SyncForm {
    inbox_id: String,
}

/// `POST /admin/templates/sync`: back to the list with the counts, or the list with
/// the error (nothing was changed).
pub async fn admin_sync(
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<SyncForm>,
) -> Result<HttpResponse, WebError> {
    let Ok(id) = f.inbox_id.trim().parse::<u64>() else {
        return Err(WebError::NotFound);
    };
    match sync(&st.services, auth.agent.clone(), InboxId(id)).await {
        Ok(r) => Ok(see_other(&format!(
            "/admin/templates?synced={}&skipped={}&removed={}#wa-sync",
            r.synced,
            r.skipped.len(),
            r.removed
        ))),
        Err(SyncError::Service(e)) => Err(e.into()),
        Err(e) => {
            let view = super::templates::templates_view(
                &auth,
                &l,
                &st,
                None,
                None,
                Some(error_text(&l, e)),
            )
            .await?;
            render(&view, StatusCode::BAD_GATEWAY, vec![])
        }
    }
}

fn skip_json(s: &crate::service::Skipped) -> serde_json::Value {
    let (status, reason) = match &s.reason {
        Skip::NotApproved(st) => (st.as_str(), format!("status {st}")),
        Skip::Unsupported(why) => ("APPROVED", why.clone()),
    };
    json!({"name": s.name, "language": s.language, "status": status, "reason": reason})
}

/// `POST /api/v1/inboxes/{id}/whatsapp_templates/sync` (admins): the counts and the
/// skipped templates with their reasons; 422 without a WABA id, 502 (429 when Meta is
/// throttling) when Meta refused or could not be reached, nothing changed then.
pub async fn api_sync(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    match sync(&st.services, me, InboxId(*id)).await {
        Ok(r) => Ok(HttpResponse::Ok().json(json!({
            "synced": r.synced,
            "created": r.created,
            "updated": r.updated,
            "removed": r.removed,
            "skipped": r.skipped.iter().map(skip_json).collect::<Vec<_>>(),
            "message": format!(
                "{} approved templates synced, {} skipped, {} removed",
                r.synced,
                r.skipped.len(),
                r.removed
            ),
        }))),
        Err(SyncError::Service(e)) => Err(e.into()),
        Err(e) => {
            let (status, code) = match &e {
                SyncError::NoWabaId | SyncError::TooMany(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
                }
                SyncError::Graph(ListError::RateLimited(_)) => {
                    (StatusCode::TOO_MANY_REQUESTS, "provider_rate_limited")
                }
                SyncError::Graph(ListError::TokenRefused(_)) => {
                    (StatusCode::BAD_GATEWAY, "provider_token_refused")
                }
                _ => (StatusCode::BAD_GATEWAY, "provider_error"),
            };
            Err(ApiError::new(status, code, e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn the_report_and_errors_read_in_both_languages() {
        let en = L10n::new(Lang::En, "UTC");
        let es = L10n::new(Lang::Es, "UTC");
        assert_eq!(
            report_text(&en, 12, 3, 0),
            "12 approved templates synced, 3 skipped."
        );
        assert_eq!(
            report_text(&es, 1, 0, 2),
            "1 plantilla aprobada sincronizada, 0 omitidas, 2 quitadas."
        );
        let token = || SyncError::Graph(ListError::TokenRefused("Invalid OAuth (190)".into()));
        assert!(error_text(&en, token()).starts_with("Meta refused the inbox's access token"));
        let es_text = error_text(&es, token());
        assert!(es_text.starts_with("Meta rechazó el token"), "{es_text}");
        assert!(es_text.ends_with("Invalid OAuth (190)"), "{es_text}");
    }
}

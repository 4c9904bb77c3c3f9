//! Admin: the audit log, newest first, with keyset pagination.

use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::error::WebError;
use crate::web::locale::Loc;
use crate::web::views::{AuditView, Page};
use actix_web::web;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<String>,
}

/// `"<ms>.<id>"` to a cursor.
fn parse_cursor(s: &str) -> Option<(i64, u64)> {
    let (t, id) = s.split_once('.')?;
    Some((t.parse().ok()?, id.parse().ok()?))
}

pub async fn audit_list(
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<AuditView, WebError> {
    let before = match q.before.as_deref() {
        Some(s) => Some(
            parse_cursor(s).ok_or_else(|| WebError::bad_request("before: not a valid cursor"))?,
        ),
        None => None,
    };
    let me = auth.agent.clone();
    let (entries, next) = st
        .services
        .blocking(move |s| s.audit_page(&me, before, 50))
        .await?;
    Ok(AuditView {
        page: Page::signed(
            &l,
            &auth.agent,
            &auth.session.csrf,
            l.t("nav-audit"),
            "audit",
        ),
        entries,
        next: next.map(|(t, id)| format!("{t}.{id}")),
    })
}

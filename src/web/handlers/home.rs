//! The start page after sign-in.

use super::FlashQuery;
use crate::web::AppState;
use crate::web::auth::Signed;
use crate::web::error::WebError;
use crate::web::views::{HomeView, Page};
use actix_web::web;

pub async fn home(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<HomeView, WebError> {
    let s = &st.services;
    let inboxes = s.inboxes(&auth.agent)?;
    let teams = s
        .teams()?
        .into_iter()
        .filter(|t| auth.agent.is_admin() || t.members.contains(&auth.agent.id))
        .collect();
    Ok(HomeView {
        page: Page::signed(&auth.agent, &auth.session.csrf, "Home", "home")
            .with_flash(q.flash.as_deref()),
        inboxes,
        teams,
    })
}

//! The HTTP face: routes, extractors, middleware, handlers and views. Never names the
//! store: every read and write goes through `service`.

pub mod assets;
mod auth;
mod error;
mod forms;
mod handlers;
mod middleware;
mod views;

use crate::service::Services;
use actix_web::web;
use std::sync::Arc;

pub use assets::Assets;
pub use error::{ApiError, WebError};

/// Web settings taken from configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    pub secure_cookies: bool,
    pub public_url: String,
    pub max_form_bytes: usize,
    pub max_json_bytes: usize,
}

/// Shared state of every handler.
pub struct AppState {
    pub services: Arc<Services>,
    pub settings: WebSettings,
}

/// Every route, in one table.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/static/{path:.*}", web::get().to(assets::serve))
        .route("/setup", web::get().to(setup::setup_form))
        .route("/setup", web::post().to(setup::setup_submit))
        .route("/login", web::get().to(session::login_form))
        .route("/login", web::post().to(session::login_submit))
        .route("/logout", web::post().to(session::logout))
        .route("/invite/{token}", web::get().to(invite::invite_form))
        .route("/invite/{token}", web::post().to(invite::invite_submit))
        .route("/", web::get().to(home::home))
        .route("/profile", web::get().to(profile::profile_show))
        .route("/profile", web::post().to(profile::profile_update))
        .route(
            "/profile/password",
            web::post().to(profile::profile_password),
        )
        .route("/profile/tokens", web::post().to(profile::token_create))
        .route(
            "/profile/tokens/{id}/revoke",
            web::post().to(profile::token_revoke),
        )
        .route("/admin", web::get().to(agents::admin_index))
        .route("/admin/agents", web::get().to(agents::agents_list))
        .route("/admin/agents", web::post().to(agents::agents_create))
        .route("/admin/agents/{id}", web::get().to(agents::agents_edit))
        .route("/admin/agents/{id}", web::post().to(agents::agents_update))
        .route(
            "/admin/agents/{id}/deactivate",
            web::post().to(agents::agents_deactivate),
        )
        .route(
            "/admin/agents/{id}/reactivate",
            web::post().to(agents::agents_reactivate),
        )
        .route(
            "/admin/agents/{id}/invite",
            web::post().to(agents::agents_invite),
        )
        .route("/admin/teams", web::get().to(teams::teams_list))
        .route("/admin/teams", web::post().to(teams::teams_create))
        .route("/admin/teams/{id}", web::get().to(teams::teams_edit))
        .route("/admin/teams/{id}", web::post().to(teams::teams_update))
        .route(
            "/admin/teams/{id}/delete",
            web::post().to(teams::teams_delete),
        )
        .route("/admin/inboxes", web::get().to(inboxes::inboxes_list))
        .route("/admin/inboxes", web::post().to(inboxes::inboxes_create))
        .route("/admin/inboxes/{id}", web::get().to(inboxes::inboxes_edit))
        .route(
            "/admin/inboxes/{id}",
            web::post().to(inboxes::inboxes_update),
        )
        .route(
            "/admin/inboxes/{id}/delete",
            web::post().to(inboxes::inboxes_delete),
        )
        .route("/admin/inboxes/{id}/token", web::post().to(inboxes::inboxes_rotate))
        .route("/admin/audit", web::get().to(audit::audit_list))
        .route("/api/v1/me", web::get().to(api::me))
        .route("/api/v1/admin/backup", web::post().to(api::backup));
}

/// Builds the actix application for `state` (used by the server and by tests).
pub fn app(
    state: web::Data<AppState>,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    actix_web::App::new()
        .app_data(state)
        .configure(routes)
        .default_service(web::to(handlers::health::not_found))
        .wrap(actix_web::middleware::from_fn(middleware::setup_redirect))
        .wrap(middleware::security_headers())
        .wrap(actix_web::middleware::Compress::default())
}

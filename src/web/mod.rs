//! The HTTP face: routes, extractors, middleware, handlers and views. Never names the
//! store: every read and write goes through `service`.

pub mod assets;
mod auth;
mod body_timeout;
mod care_views;
mod charts;
pub mod client_ip;
mod error;
pub mod export;
mod forms;
mod handlers;
mod inbox_views;
mod json;
mod labels;
pub(crate) mod locale;
mod middleware;
mod origin;
mod report_views;
mod timeline_views;
mod views;

use crate::service::Services;
use actix_web::web;
use std::sync::Arc;

pub use assets::Assets;
pub use body_timeout::limit as body_timeout_limit;
pub use error::{ApiError, WebError};
pub use handlers::metrics::{MetricsAccess, own_app as metrics_app};
pub use locale::UiDefaults;

/// Web settings taken from configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed (see `client_ip`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub public_url: String,
    pub max_form_bytes: usize,
    pub max_json_bytes: usize,
    /// A request body must arrive in full within this long (`None`: no limit).
    pub body_timeout: Option<std::time::Duration>,
    /// The interface's language and time zone for agents who have not chosen.
    pub ui: UiDefaults,
    /// Whether and how `/metrics` is served.
    pub metrics: MetricsAccess,
}

/// Shared state of every handler.
pub struct AppState {
    pub services: Arc<Services>,
    pub settings: WebSettings,
}

/// Every route, in one table.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    use web::{delete, get, patch, post};
    cfg.route("/healthz", get().to(health::healthz))
        .route("/metrics", get().to(metrics::metrics_main))
        .route("/static/{path:.*}", get().to(assets::serve))
        .route("/hooks/{token}", get().to(hooks::hook))
        .route("/hooks/{token}", post().to(hooks::hook))
        // a sent file by its signed, expiring link (webhooks, SMS, messaging providers)
        .route("/f/{cid}/{mid}/{n}", get().to(attachments::file_link))
        // the website chat widget, used from customers' sites
        .route("/widget/{file}", get().to(widget::widget_file))
        .route("/widget/v1/{key}/config", get().to(widget::widget_config))
        .route("/widget/v1/{key}/socket", get().to(widget::widget_socket))
        .route(
            "/widget/v1/{key}/files/{file}",
            get().to(widget_files::widget_download),
        )
        .route(
            "/widget/v1/{key}/uploads",
            post().to(widget_files::widget_upload),
        )
        .route(
            "/widget/v1/{key}/uploads",
            web::route()
                .method(actix_web::http::Method::OPTIONS)
                .to(widget_files::widget_upload_preflight),
        )
        // first run, sign-in, invites
        .route("/setup", get().to(setup::setup_form))
        .route("/setup", post().to(setup::setup_submit))
        .route("/login", get().to(session::login_form))
        .route("/login", post().to(session::login_submit))
        .route("/login/two-factor", get().to(session::second_step_form))
        .route("/login/two-factor", post().to(session::second_step_submit))
        .route("/logout", post().to(session::logout))
        .route("/invite/{token}", get().to(invite::invite_form))
        .route("/invite/{token}", post().to(invite::invite_submit))
        // the inbox
        .route("/", get().to(inbox::inbox_page))
        .route("/inbox/list", get().to(inbox::inbox_list))
        .route("/inbox/views", get().to(inbox::inbox_views))
        .route("/inbox/presence", get().to(inbox::inbox_presence))
        .route("/events", get().to(inbox::events))
        .route(
            "/conversations/new",
            post().to(conversation::conversation_new),
        )
        .route(
            "/conversations/{id}",
            get().to(conversation::conversation_show),
        )
        .route(
            "/conversations/{id}/pane",
            get().to(conversation::conversation_pane),
        )
        .route(
            "/conversations/{id}/messages",
            post().to(conversation::conversation_message),
        )
        .route(
            "/conversations/{id}/scheduled/{sid}",
            post().to(care::scheduled_edit),
        )
        .route(
            "/conversations/{id}/scheduled/{sid}/cancel",
            post().to(care::scheduled_cancel),
        )
        .route(
            "/conversations/{id}/assign",
            post().to(conversation::conversation_assign),
        )
        .route(
            "/conversations/{id}/status",
            post().to(conversation::conversation_status),
        )
        .route(
            "/conversations/{id}/read",
            post().to(conversation::conversation_read),
        )
        .route(
            "/conversations/{id}/unread",
            post().to(conversation::conversation_unread),
        )
        .route(
            "/conversations/{id}/delete",
            post().to(conversation::conversation_delete),
        )
        .route(
            "/conversations/{id}/typing",
            post().to(typing::conversation_typing),
        )
        .route(
            "/conversations/{id}/transcript",
            post().to(conversation::conversation_transcript),
        )
        .route(
            "/conversations/{id}/confirm_email",
            post().to(conversation::conversation_confirm_email),
        )
        .route(
            "/conversations/{id}/uploads",
            post().to(uploads::upload_create),
        )
        .route(
            "/conversations/{cid}/messages/{mid}/attachments/{n}",
            get().to(attachments::attachment_download),
        )
        .route(
            "/conversations/{cid}/messages/{mid}/html",
            get().to(attachments::message_html),
        )
        .route("/reports", get().to(reports::reports_page))
        .route("/contacts", get().to(contacts::contacts_list))
        .route("/contacts", post().to(contacts::contacts_create))
        .route("/contacts/{id}", get().to(contacts::contacts_show))
        .route("/contacts/{id}", post().to(contacts::contacts_update))
        .route("/contacts/{id}/block", post().to(contacts::contacts_block))
        .route("/contacts/{id}/export", get().to(contacts::contacts_export))
        .route(
            "/contacts/{id}/unblock",
            post().to(contacts::contacts_unblock),
        )
        // profile and administration
        .route("/profile", get().to(profile::profile_show))
        .route("/profile", post().to(profile::profile_update))
        .route("/profile/signature", post().to(profile::profile_signature))
        .route(
            "/profile/preferences",
            post().to(profile::profile_preferences),
        )
        .route("/profile/sending", post().to(care::profile_sending))
        .route(
            "/profile/notifications",
            post().to(profile::profile_notifications),
        )
        .route("/profile/password", post().to(profile::profile_password))
        .route("/profile/tokens", post().to(profile::token_create))
        .route(
            "/profile/tokens/{id}/revoke",
            post().to(profile::token_revoke),
        )
        .route("/profile/two-factor", get().to(two_factor::two_factor_show))
        .route(
            "/profile/two-factor/enable",
            post().to(two_factor::two_factor_enable),
        )
        .route(
            "/profile/two-factor/recovery",
            post().to(two_factor::two_factor_recovery),
        )
        .route(
            "/profile/two-factor/disable",
            post().to(two_factor::two_factor_disable),
        )
        .route("/admin", get().to(agents::admin_index))
        .route(
            "/admin/two-factor",
            post().to(two_factor::two_factor_require),
        )
        .route(
            "/admin/agents/{id}/two-factor/reset",
            post().to(two_factor::two_factor_reset),
        )
        .route("/admin/agents", get().to(agents::agents_list))
        .route("/admin/agents", post().to(agents::agents_create))
        .route("/admin/agents/{id}", get().to(agents::agents_edit))
        .route("/admin/agents/{id}", post().to(agents::agents_update))
        .route(
            "/admin/agents/{id}/deactivate",
            post().to(agents::agents_deactivate),
        )
        .route(
            "/admin/agents/{id}/reactivate",
            post().to(agents::agents_reactivate),
        )
        .route(
            "/admin/agents/{id}/invite",
            post().to(agents::agents_invite),
        )
        .route("/admin/teams", get().to(teams::teams_list))
        .route("/admin/teams", post().to(teams::teams_create))
        .route("/admin/teams/{id}", get().to(teams::teams_edit))
        .route("/admin/teams/{id}", post().to(teams::teams_update))
        .route("/admin/teams/{id}/delete", post().to(teams::teams_delete))
        .route("/admin/inboxes", get().to(inboxes::inboxes_list))
        .route("/admin/inboxes", post().to(inboxes::inboxes_create))
        // Before `/admin/inboxes/{id}`, which would take "test" for an id.
        .route("/admin/inboxes/test", post().to(inboxes::inboxes_test_new))
        .route("/admin/inboxes/{id}", get().to(inboxes::inboxes_edit))
        .route("/admin/inboxes/{id}", post().to(inboxes::inboxes_update))
        .route(
            "/admin/inboxes/{id}/token",
            post().to(inboxes::inboxes_rotate),
        )
        .route("/admin/inboxes/{id}/test", post().to(inboxes::inboxes_test))
        .route(
            "/admin/inboxes/{id}/delete",
            post().to(inboxes::inboxes_delete),
        )
        .route("/admin/audit", get().to(audit::audit_list))
        .route("/admin/saved_responses", get().to(saved::admin_list))
        .route("/admin/saved_responses", post().to(saved::admin_create))
        .route(
            "/admin/saved_responses/{id}",
            post().to(saved::admin_update),
        )
        .route(
            "/admin/saved_responses/{id}/delete",
            post().to(saved::admin_delete),
        )
        .route("/profile/saved_responses", get().to(saved::mine_list))
        .route("/profile/saved_responses", post().to(saved::mine_create))
        .route(
            "/profile/saved_responses/{id}",
            post().to(saved::mine_update),
        )
        .route(
            "/profile/saved_responses/{id}/delete",
            post().to(saved::mine_delete),
        )
        .route(
            "/conversations/{id}/saved_responses",
            get().to(saved::for_conversation),
        )
        .route("/admin/templates", get().to(templates::admin_list))
        .route("/admin/templates", post().to(templates::admin_create))
        // Before `/admin/templates/{id}`, which would take "sync" for an id.
        .route(
            "/admin/templates/sync",
            post().to(template_sync::admin_sync),
        )
        .route("/admin/templates/{id}", post().to(templates::admin_update))
        .route(
            "/admin/templates/{id}/delete",
            post().to(templates::admin_delete),
        )
        .route(
            "/conversations/{id}/templates",
            get().to(templates::for_conversation),
        )
        .route(
            "/api/v1/inboxes/{id}/whatsapp_templates/sync",
            post().to(template_sync::api_sync),
        )
        .route("/api/v1/templates", get().to(templates::api_index))
        .route("/api/v1/templates", post().to(templates::api_create))
        .route("/api/v1/templates/{id}", patch().to(templates::api_update))
        .route("/api/v1/templates/{id}", delete().to(templates::api_delete))
        .route("/api/v1/saved_responses", get().to(saved::api_index))
        .route("/api/v1/saved_responses", post().to(saved::api_create))
        .route(
            "/api/v1/saved_responses/{id}",
            patch().to(saved::api_update),
        )
        .route(
            "/api/v1/saved_responses/{id}",
            delete().to(saved::api_delete),
        )
        // JSON API
        .route("/api/v1/openapi.json", get().to(api::openapi))
        .route("/api/v1/me", get().to(api::me))
        .route("/api/v1/admin/backup", post().to(api::backup))
        .route("/api/v1/agents", get().to(api_admin::agents_index))
        .route("/api/v1/agents", post().to(api_admin::agents_create))
        .route("/api/v1/agents/{id}", patch().to(api_admin::agents_update))
        .route("/api/v1/agents/{id}", delete().to(api_admin::agents_delete))
        .route("/api/v1/teams", get().to(api_admin::teams_index))
        .route("/api/v1/teams", post().to(api_admin::teams_create))
        .route("/api/v1/teams/{id}", patch().to(api_admin::teams_update))
        .route("/api/v1/teams/{id}", delete().to(api_admin::teams_delete))
        .route("/api/v1/inboxes", get().to(api_admin::inboxes_index))
        .route("/api/v1/inboxes", post().to(api_admin::inboxes_create))
        .route(
            "/api/v1/inboxes/{id}",
            patch().to(api_admin::inboxes_update),
        )
        .route(
            "/api/v1/inboxes/{id}",
            delete().to(api_admin::inboxes_delete),
        )
        .route(
            "/api/v1/inboxes/{id}/incoming",
            post().to(api_inbox::incoming),
        )
        .route("/api/v1/inboxes/{id}/status", post().to(api_inbox::status))
        .route(
            "/api/v1/inboxes/{id}/test",
            post().to(api_inbox_test::inboxes_test),
        )
        .route("/api/v1/reports/{name}", get().to(reports::reports_api))
        .route("/api/v1/conversations", get().to(api_conversations::index))
        .route(
            "/api/v1/conversations/{id}/transcript",
            post().to(api_conversations::transcript),
        )
        .route(
            "/api/v1/conversations/{id}/confirm_email",
            post().to(api_conversations::confirm_email),
        )
        .route(
            "/api/v1/conversations/{id}",
            get().to(api_conversations::show),
        )
        .route(
            "/api/v1/conversations/{id}",
            delete().to(api_conversations::delete),
        )
        .route(
            "/api/v1/conversations/{id}/scheduled",
            get().to(api_conversations::scheduled_index),
        )
        .route(
            "/api/v1/conversations/{id}/scheduled/{sid}",
            patch().to(api_conversations::scheduled_update),
        )
        .route(
            "/api/v1/conversations/{id}/scheduled/{sid}",
            delete().to(api_conversations::scheduled_delete),
        )
        .route(
            "/api/v1/conversations/{id}/messages",
            post()
                .guard(actix_web::guard::fn_guard(|ctx| {
                    ctx.head()
                        .headers()
                        .get(actix_web::http::header::CONTENT_TYPE)
                        .is_some_and(|v| v.as_bytes().starts_with(b"multipart/form-data"))
                }))
                .to(uploads::api_messages_multipart),
        )
        .route(
            "/api/v1/conversations/{id}/messages",
            post().to(api_conversations::messages_create),
        )
        .route(
            "/api/v1/conversations/{id}/assign",
            post().to(api_conversations::assign),
        )
        .route(
            "/api/v1/conversations/{id}/status",
            post().to(api_conversations::status),
        )
        .route(
            "/api/v1/conversations/{id}/unread",
            post().to(api_conversations::unread),
        )
        .route(
            "/api/v1/contacts",
            get().to(api_conversations::contacts_index),
        )
        .route(
            "/api/v1/contacts",
            post().to(api_conversations::contacts_create),
        )
        .route(
            "/api/v1/contacts/{id}",
            get().to(api_conversations::contacts_show),
        )
        .route(
            "/api/v1/contacts/{id}",
            patch().to(api_conversations::contacts_update),
        );
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
        .wrap(actix_web::middleware::from_fn(body_timeout::body_timeout))
        .wrap(actix_web::middleware::from_fn(error::localize_errors))
        .wrap(actix_web::middleware::from_fn(middleware::setup_redirect))
        .wrap(middleware::security_headers())
        .wrap(actix_web::middleware::Compress::default())
        .wrap(actix_web::middleware::from_fn(middleware::record_metrics))
}

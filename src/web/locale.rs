//! The reader's language and time zone for a request: the signed-in agent's profile
//! choice, else the browser's `Accept-Language`, else the installation's `[ui]`
//! defaults. Worked out once per request and kept with it.

use super::AppState;
use super::auth::current_session;
use crate::i18n::{self, L10n, Lang};
use actix_web::dev::Payload;
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

/// The installation's defaults, from `[ui]`.
#[derive(Debug, Clone)]
pub struct UiDefaults {
    pub language: Lang,
    pub timezone: String,
}

impl Default for UiDefaults {
    fn default() -> Self {
        UiDefaults {
            language: Lang::En,
            timezone: "UTC".into(),
        }
    }
}

/// The request's translator (an extractor; never fails).
pub struct Loc(pub L10n);

impl FromRequest for Loc {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Loc(locale(&req).await)) })
    }
}

/// The translator for `req` (its session's agent, its headers), cached on the request.
pub async fn locale(req: &HttpRequest) -> L10n {
    if let Some(l) = req.extensions().get::<L10n>() {
        return l.clone();
    }
    // A failed session lookup only costs the profile's choice: the page still speaks.
    let agent = current_session(req).await.ok().flatten().map(|a| a.agent);
    let l = for_request(req, agent.as_ref());
    req.extensions_mut().insert(l.clone());
    l
}

/// The time zone `agent` reads times in: their profile's, else the installation's.
pub fn agent_timezone<'a>(
    agent: Option<&'a crate::domain::Agent>,
    defaults: &'a UiDefaults,
) -> &'a str {
    agent
        .and_then(|a| a.timezone.as_deref())
        .filter(|z| !z.is_empty())
        .unwrap_or(&defaults.timezone)
}

/// The translator for `req` and `agent` (the agent as just saved, or signed in).
pub fn for_request(req: &HttpRequest, agent: Option<&crate::domain::Agent>) -> L10n {
    let st = req.app_data::<web::Data<AppState>>();
    let defaults = st.map(|s| s.settings.ui.clone()).unwrap_or_default();
    let header = req
        .headers()
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = i18n::negotiate(
        agent.and_then(|a| a.language.as_deref()),
        header,
        defaults.language,
    );
    let tz = agent_timezone(agent, &defaults);
    let now = st.map_or(crate::domain::Timestamp(0), |s| s.services.clock.now());
    L10n::new(lang, tz).at(now)
}

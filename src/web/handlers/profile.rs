//! The signed-in agent's own profile: name, language and time zone, notifications,
//! password, personal API tokens.

use super::{CsrfOnly, FlashQuery, render, say, see_other};
use crate::domain::{NotifyPrefs, TokenId};
use crate::i18n::{L10n, Lang, Msg};
use crate::service::{ServiceError, Services};
use crate::web::AppState;
use crate::web::auth::{Signed, session_cookie};
use crate::web::error::WebError;
use crate::web::forms::Form;
use crate::web::locale::Loc;
use crate::web::views::{Page, PreferencesForm, ProfileView};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

#[derive(Deserialize)]
pub struct SignatureForm {
    #[serde(default)]
    signature: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

#[derive(Deserialize)]
pub struct TokenForm {
    label: String,
}

#[derive(Deserialize)]
pub struct PreferencesInput {
    #[serde(default)]
    language: String,
    #[serde(default)]
    timezone: String,
}

/// The profile page (store reads: call it through [`Services::blocking`]).
fn view(
    s: &Services,
    l: &L10n,
    auth: &crate::service::SessionAuth,
    default_timezone: &str,
) -> Result<ProfileView, WebError> {
    let a = &auth.agent;
    Ok(ProfileView {
        page: Page::signed(l, a, &auth.session.csrf, l.t("profile-title"), "profile"),
        tokens: s.tokens(a)?,
        two_factor: a.two_factor.as_ref().map(|t| t.recovery.len()),
        saved_count: s
            .saved_responses(a)?
            .iter()
            .filter(|r| r.owner.is_some())
            .count(),
        new_token: None,
        error: None,
        prefs: PreferencesForm::new(
            a.language.as_deref().unwrap_or_default(),
            a.timezone.as_deref().unwrap_or_default(),
            default_timezone,
        ),
    })
}

/// The installation's time zone, named on the profile's "default" choice.
fn default_zone(st: &AppState) -> String {
    st.settings.ui.timezone.clone()
}

pub async fn profile_show(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<ProfileView, WebError> {
    let zone = default_zone(&st);
    let mut v = st
        .services
        .blocking(move |s| view(s, &l, &auth, &zone))
        .await?;
    v.page = v.page.with_flash(q.flash.as_deref());
    Ok(v)
}

pub async fn profile_update(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    Form(f): Form<NameForm>,
) -> Result<HttpResponse, WebError> {
    st.services
        .blocking_async(move |s| async move { s.update_profile(&auth.agent, &f.name).await })
        .await?;
    Ok(see_other("/profile?flash=profile_saved"))
}

/// `POST /profile/signature`: the agent's own mail signature (Markdown).
pub async fn profile_signature(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    Form(f): Form<SignatureForm>,
) -> Result<HttpResponse, WebError> {
    st.services
        .blocking_async(move |s| async move { s.update_signature(&auth.agent, &f.signature).await })
        .await?;
    Ok(see_other("/profile?flash=profile_saved#signature"))
}

/// `POST /profile/preferences`: the interface language and time zone. A value the
/// catalogs or the time zone database do not know is refused, naming the field, with
/// what was typed kept in the form.
pub async fn profile_preferences(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<PreferencesInput>,
) -> Result<HttpResponse, WebError> {
    let (language, timezone) = (f.language.trim().to_string(), f.timezone.trim().to_string());
    let refused =
        if !language.is_empty() && Lang::parse(&language).is_none_or(|p| p.code() != language) {
            Some((
                "language",
                Msg::new("invalid-language").arg("value", language.as_str()),
            ))
        } else if !timezone.is_empty() && crate::i18n::timezone(&timezone).is_none() {
            Some((
                "timezone",
                Msg::new("invalid-timezone").arg("value", timezone.as_str()),
            ))
        } else {
            None
        };
    let Some((field, why)) = refused else {
        let me = auth.agent.clone();
        st.services
            .blocking_async(move |s| async move {
                s.update_preferences(&me, &language, &timezone).await
            })
            .await?;
        return Ok(see_other("/profile?flash=preferences_saved"));
    };
    let zone = default_zone(&st);
    let mut v = st
        .services
        .blocking(move |s| view(s, &l, &auth, &zone))
        .await?;
    v.prefs.language = f.language;
    v.prefs.timezone = f.timezone;
    v.prefs.error = Some(v.page.l.msg(&why));
    v.prefs.invalid = field;
    render(&v, StatusCode::BAD_REQUEST, vec![])
}

/// The notification form: a checkbox is sent only when ticked.
#[derive(Deserialize)]
pub struct NotificationsInput {
    conversations: Option<String>,
    assigned: Option<String>,
    mentions: Option<String>,
    sound: Option<String>,
    desktop: Option<String>,
}

/// `POST /profile/notifications`: which kinds the agent is told of (a count in the tab
/// title and the favicon), and whether with a sound and a desktop notification.
pub async fn profile_notifications(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    Form(f): Form<NotificationsInput>,
) -> Result<HttpResponse, WebError> {
    let prefs = NotifyPrefs {
        conversations: f.conversations.is_some(),
        assigned: f.assigned.is_some(),
        mentions: f.mentions.is_some(),
        sound: f.sound.is_some(),
        desktop: f.desktop.is_some(),
    };
    st.services
        .blocking_async(move |s| async move { s.update_notifications(&auth.agent, prefs).await })
        .await?;
    Ok(see_other(
        "/profile?flash=notifications_saved#notifications",
    ))
}

pub async fn profile_password(
    req: HttpRequest,
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let a = auth.clone();
    let changed = st
        .services
        .blocking_async(move |s| async move {
            s.change_password(&a, &f.current_password, &f.new_password)
                .await
        })
        .await;
    match changed {
        Ok((session, revoked)) => {
            let flash = if revoked > 0 {
                "password_changed_tokens_revoked"
            } else {
                "password_changed"
            };
            let mut resp = see_other(&format!("/profile?flash={flash}"));
            resp.add_cookie(&session_cookie(&req, &st, &session))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(resp)
        }
        Err(e @ (ServiceError::Invalid(_) | ServiceError::WrongCurrentPassword)) => {
            let zone = default_zone(&st);
            let error = say(&l, e);
            let mut v = st
                .services
                .blocking(move |s| view(s, &l, &auth, &zone))
                .await?;
            v.error = Some(error);
            render(&v, StatusCode::BAD_REQUEST, vec![])
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn token_create(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<TokenForm>,
) -> Result<HttpResponse, WebError> {
    let me = auth.agent.clone();
    let (token, secret) = st
        .services
        .blocking_async(move |s| async move { s.create_token(&me, &f.label).await })
        .await?;
    let zone = default_zone(&st);
    let mut v = st
        .services
        .blocking(move |s| view(s, &l, &auth, &zone))
        .await?;
    v.new_token = Some((token.label, secret));
    render(&v, StatusCode::OK, vec![])
}

pub async fn token_revoke(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = TokenId(*id);
    st.services
        .blocking_async(move |s| async move { s.revoke_token(&auth.agent, id).await })
        .await?;
    Ok(see_other("/profile?flash=token_revoked"))
}

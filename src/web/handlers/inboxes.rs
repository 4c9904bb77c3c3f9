//! Admin: inboxes (name, channel type, members; API inboxes: token and webhook; email
//! inboxes: IMAP and SMTP settings, "Test connection" and the poller's health). A refused
//! form comes back with a message naming the field and the values kept, passwords
//! excepted.

mod connect;
mod email_form;
mod language_field;
mod messaging_form;
mod messaging_specs;
mod test;
mod website_form;

use super::teams::{names, picks};
use super::{CsrfOnly, FlashQuery, base_url, render, see_other};
use crate::domain::validate::Invalid;
use crate::domain::{AgentId, ChannelKind, Inbox, InboxId};
use crate::i18n::L10n;
use crate::service::{InboxInput, ServiceError, Services, SessionAuth};
use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::error::WebError;
use crate::web::forms::{Form, parse_ids};
use crate::web::locale::Loc;
use crate::web::views::{
    EmailForm, FormError, GroupRow, HealthView, InboxEditView, InboxFormValues, InboxesView, Page,
    TestOutcome,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
pub use connect::ConnectView;
use email_form::{InboxForm, form_error};
pub use language_field::LanguageField;
pub use messaging_form::MessagingForm;
pub use test::{inboxes_test, inboxes_test_new};
pub use website_form::WebsiteForm;

fn page(l: &L10n, auth: &SessionAuth, title: impl Into<String>) -> Page {
    Page::signed(l, &auth.agent, &auth.session.csrf, title, "inboxes")
}

fn parse_channel(raw: &str) -> Result<ChannelKind, Invalid> {
    ChannelKind::ALL
        .into_iter()
        .find(|k| k.as_str() == raw)
        .ok_or_else(|| Invalid {
            field: "channel",
            reason: format!("unknown channel type {raw:?}"),
        })
}

/// Whether htmx sent the request (it then wants a fragment, not a page).
fn is_htmx(req: &HttpRequest) -> bool {
    req.headers()
        .get("hx-request")
        .is_some_and(|v| v.as_bytes() == b"true")
}

/// What a page shows again after a POST: the form as submitted, its error, a test result.
#[derive(Default)]
struct Shown<'a> {
    form: Option<&'a InboxForm>,
    flash: Option<&'a str>,
    error: Option<FormError>,
    test: TestOutcome,
}

fn health_view(
    s: &Services,
    l: &L10n,
    auth: &SessionAuth,
    inbox: &Inbox,
) -> Result<HealthView, WebError> {
    let status = s.mail_status(&auth.agent, inbox.id)?;
    let h = status.health;
    let (folder, poll_seconds) = inbox
        .email
        .as_ref()
        .map(|e| (e.folder.clone(), e.poll_seconds))
        .unwrap_or_default();
    Ok(HealthView {
        last_success: h.last_success.map(|t| l.datetime(t)),
        error_resolved: matches!((&h.last_error, h.last_success), (Some((e, _)), Some(ok)) if ok > *e),
        last_error: h.last_error.map(|(t, e)| (l.datetime(t), e)),
        fetched: h.fetched,
        folder,
        cursor: status.cursor,
        poll_seconds,
    })
}

/// The inbox's edit page; `base` is this site's URL (store reads: call it through
/// [`Services::blocking`]).
fn edit_view(
    sv: &Services,
    l: &L10n,
    base: &str,
    auth: &SessionAuth,
    id: InboxId,
    token: Option<String>,
    shown: Shown<'_>,
) -> Result<InboxEditView, WebError> {
    let inbox = sv.inbox(&auth.agent, id)?;
    let agents = sv.agents(&auth.agent)?;
    let stored = inbox.email.as_ref().map(EmailForm::from_settings);
    let (health, email) = match &stored {
        Some(s) => (
            Some(health_view(sv, l, auth, &inbox)?),
            Some(
                shown
                    .form
                    .map_or_else(|| s.clone(), |f| f.email_form(Some(s))),
            ),
        ),
        None => (None, None),
    };
    let members = shown
        .form
        .and_then(|f| parse_ids("member_ids", &f.member_ids, AgentId).ok())
        .unwrap_or_else(|| inbox.members.clone());
    let stored_website = inbox.website.as_ref().map(WebsiteForm::from_settings);
    let website = stored_website.as_ref().map(|s| {
        shown
            .form
            .map_or_else(|| s.clone(), |f| f.website_form(Some(s)))
    });
    let snippet = inbox
        .website
        .as_ref()
        .map(|w| crate::domain::website::snippet(base, &w.key));
    let stored_messaging = inbox
        .messaging
        .as_ref()
        .map(|m| MessagingForm::from_settings(inbox.channel, m));
    let messaging = stored_messaging.as_ref().map(|s| {
        shown
            .form
            .map_or_else(|| s.clone(), |f| f.messaging_form(Some(s)))
    });
    let connect = inbox
        .messaging
        .as_ref()
        .map(|m| ConnectView::of(inbox.channel, m));
    Ok(InboxEditView {
        messaging,
        connect,
        website,
        snippet,
        email_inboxes: email_inboxes(sv, auth)?,
        page: page(l, auth, inbox.name.clone()).with_flash(shown.flash),
        name: shown
            .form
            .map_or_else(|| inbox.name.clone(), |f| f.name.clone()),
        webhook_url: shown
            .form
            .and_then(|f| f.webhook_url.clone())
            .or_else(|| inbox.webhook_url.clone())
            .unwrap_or_default(),
        picks: picks(&agents, &members),
        endpoint: format!("{base}/api/v1/inboxes/{}/incoming", inbox.id),
        new_token: token,
        email,
        health,
        invalid: shown
            .error
            .as_ref()
            .map(|e| e.field.clone())
            .unwrap_or_default(),
        error: shown.error,
        typed_passwords: shown.form.is_some_and(InboxForm::typed_passwords),
        test: shown.test,
        test_action: format!("/admin/inboxes/{}/test", inbox.id),
        language: LanguageField::new(
            shown
                .form
                .and_then(|f| f.language.as_deref())
                .or(inbox.language.as_deref()),
            sv.ui.language,
        ),
        inbox,
    })
}

/// The email inboxes a website inbox may answer offline visitors through: (id, name).
fn email_inboxes(s: &Services, auth: &SessionAuth) -> Result<Vec<(u64, String)>, WebError> {
    Ok(s.inboxes(&auth.agent)?
        .into_iter()
        .filter(|i| i.channel == ChannelKind::Email)
        .map(|i| (i.id.0, i.name))
        .collect())
}

/// The inboxes page (store reads: call it through [`Services::blocking`]).
fn list_view(
    s: &Services,
    l: &L10n,
    auth: &SessionAuth,
    flash: Option<&str>,
    shown: Shown<'_>,
) -> Result<InboxesView, WebError> {
    let agents = s.agents(&auth.agent)?;
    let inboxes = s
        .inboxes(&auth.agent)?
        .into_iter()
        .map(|i| GroupRow {
            member_names: names(&agents, &i.members),
            item: i,
        })
        .collect();
    let members = shown
        .form
        .and_then(|f| parse_ids("member_ids", &f.member_ids, AgentId).ok())
        .unwrap_or_default();
    Ok(InboxesView {
        messaging: Some(
            shown
                .form
                .map_or_else(MessagingForm::new_form, |f| f.messaging_form(None)),
        ),
        website: shown
            .form
            .map_or_else(WebsiteForm::default, |f| f.website_form(None)),
        email_inboxes: email_inboxes(s, auth)?,
        page: page(l, auth, l.t("nav-inboxes")).with_flash(flash),
        inboxes,
        picks: picks(&agents, &members),
        kinds: ChannelKind::ALL.to_vec(),
        form: shown
            .form
            .map(InboxForm::values)
            .unwrap_or(InboxFormValues {
                channel: ChannelKind::ALL[0].as_str().into(),
                ..InboxFormValues::default()
            }),
        email: shown
            .form
            .map_or_else(EmailForm::default, |f| f.email_form(None)),
        invalid: shown
            .error
            .as_ref()
            .map(|e| e.field.clone())
            .unwrap_or_default(),
        error: shown.error,
        typed_passwords: shown.form.is_some_and(InboxForm::typed_passwords),
        test: shown.test,
        test_action: "/admin/inboxes/test".into(),
        language: LanguageField::new(
            shown.form.and_then(|f| f.language.as_deref()),
            s.ui.language,
        ),
    })
}

pub async fn inboxes_list(
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<InboxesView, WebError> {
    let flash = q.into_inner().flash;
    st.services
        .blocking(move |s| list_view(s, &l, &auth, flash.as_deref(), Shown::default()))
        .await
}

async fn create(
    st: &AppState,
    auth: &SessionAuth,
    f: &InboxForm,
    base: String,
) -> Result<(Inbox, Option<String>), ServiceError> {
    let me = auth.agent.clone();
    let channel = parse_channel(&f.channel)?;
    let members = parse_ids("member_ids", &f.member_ids, AgentId)?;
    let email = match channel {
        ChannelKind::Email => Some(f.email_input()?),
        _ => None,
    };
    let website = match channel {
        ChannelKind::Website => Some(f.website_input()?),
        _ => None,
    };
    let input = InboxInput {
        messaging: channel
            .is_messaging()
            .then(|| f.messaging_input(channel, base)),
        name: f.name.clone(),
        channel: Some(channel),
        members,
        webhook_url: (channel == ChannelKind::Api)
            .then(|| f.webhook_url.clone().unwrap_or_default()),
        email,
        website,
        language: f.language.clone(),
    };
    st.services
        .blocking_async(move |s| async move { s.save_inbox(&me, None, input).await })
        .await
}

pub async fn inboxes_create(
    req: HttpRequest,
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<InboxForm>,
) -> Result<HttpResponse, WebError> {
    match create(&st, &auth, &f, base_url(&req, &st)).await {
        Ok((inbox, Some(t))) => {
            let base = base_url(&req, &st);
            let view = st
                .services
                .blocking(move |s| {
                    edit_view(s, &l, &base, &auth, inbox.id, Some(t), Shown::default())
                })
                .await?;
            render(&view, StatusCode::OK, vec![])
        }
        // A messaging inbox's page says where to paste its webhook URL; a website
        // inbox's, the snippet to paste into the site: the admin lands there.
        Ok((inbox, None)) if inbox.channel.is_messaging() => Ok(see_other(&format!(
            "/admin/inboxes/{}?flash=inbox_created",
            inbox.id
        ))),
        Ok((inbox, None)) if inbox.channel == crate::domain::ChannelKind::Website => Ok(see_other(
            &format!("/admin/inboxes/{}?flash=website_created", inbox.id),
        )),
        Ok((_, None)) => Ok(see_other("/admin/inboxes?flash=inbox_saved")),
        Err(e) => {
            let error = Some(form_error(&l, e)?);
            let view = st
                .services
                .blocking(move |s| {
                    let shown = Shown {
                        form: Some(&f),
                        error,
                        ..Shown::default()
                    };
                    list_view(s, &l, &auth, None, shown)
                })
                .await?;
            render(&view, StatusCode::BAD_REQUEST, vec![])
        }
    }
}

pub async fn inboxes_edit(
    req: HttpRequest,
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    q: web::Query<FlashQuery>,
) -> Result<InboxEditView, WebError> {
    let (base, id) = (base_url(&req, &st), InboxId(*id));
    let flash = q.into_inner().flash;
    st.services
        .blocking(move |s| {
            let shown = Shown {
                flash: flash.as_deref(),
                ..Shown::default()
            };
            edit_view(s, &l, &base, &auth, id, None, shown)
        })
        .await
}

async fn update(
    st: &AppState,
    auth: &SessionAuth,
    id: InboxId,
    f: &InboxForm,
    base: String,
) -> Result<(), ServiceError> {
    let me = auth.agent.clone();
    let m = me.clone();
    let current = st.services.blocking(move |s| s.inbox(&m, id)).await?;
    let members = parse_ids("member_ids", &f.member_ids, AgentId)?;
    let email = match current.channel {
        ChannelKind::Email => Some(f.email_input()?),
        _ => None,
    };
    let website = match current.channel {
        ChannelKind::Website => Some(f.website_input()?),
        _ => None,
    };
    let input = InboxInput {
        messaging: current
            .channel
            .is_messaging()
            .then(|| f.messaging_input(current.channel, base)),
        name: f.name.clone(),
        channel: None,
        members,
        webhook_url: f.webhook_url.clone(),
        email,
        website,
        language: f.language.clone(),
    };
    st.services
        .blocking_async(move |s| async move { s.save_inbox(&me, Some(id), input).await })
        .await?;
    Ok(())
}

pub async fn inboxes_update(
    req: HttpRequest,
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<InboxForm>,
) -> Result<HttpResponse, WebError> {
    let id = InboxId(*id);
    match update(&st, &auth, id, &f, base_url(&req, &st)).await {
        Ok(()) => Ok(see_other("/admin/inboxes?flash=inbox_saved")),
        Err(e) => {
            let (base, error) = (base_url(&req, &st), Some(form_error(&l, e)?));
            let view = st
                .services
                .blocking(move |s| {
                    let shown = Shown {
                        form: Some(&f),
                        error,
                        ..Shown::default()
                    };
                    edit_view(s, &l, &base, &auth, id, None, shown)
                })
                .await?;
            render(&view, StatusCode::BAD_REQUEST, vec![])
        }
    }
}

pub async fn inboxes_rotate(
    req: HttpRequest,
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let (id, base) = (InboxId(*id), base_url(&req, &st));
    let view = st
        .services
        .blocking_async(move |s| async move {
            let token = s.rotate_inbox_token(&auth.agent, id).await?;
            edit_view(&s, &l, &base, &auth, id, Some(token), Shown::default())
        })
        .await?;
    render(&view, StatusCode::OK, vec![])
}

pub async fn inboxes_delete(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let id = InboxId(*id);
    st.services
        .blocking_async(move |s| async move { s.delete_inbox(&auth.agent, id).await })
        .await?;
    Ok(see_other("/admin/inboxes?flash=inbox_deleted"))
}

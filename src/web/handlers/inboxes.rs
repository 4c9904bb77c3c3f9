//! Admin: inboxes (name, channel type, members; API inboxes: token and webhook; email
//! inboxes: IMAP and SMTP settings, "Test connection" and the poller's health). A refused
//! form comes back with a message naming the field and the values kept, passwords
//! excepted.

mod email_form;
mod website_form;

use super::teams::{names, picks};
use super::{CsrfOnly, FlashQuery, base_url, render, see_other};
use crate::domain::validate::Invalid;
use crate::domain::{AgentId, ChannelKind, Inbox, InboxId};
use crate::service::{InboxInput, ServiceError, SessionAuth};
use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::error::WebError;
use crate::web::forms::{Form, parse_ids};
use crate::web::views::{
    EmailForm, FormError, GroupRow, HealthView, InboxEditView, InboxFormValues, InboxesView, Page,
    TestOutcome, TestResultView,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use email_form::{InboxForm, form_error};
pub use website_form::WebsiteForm;

fn page(auth: &SessionAuth, title: impl Into<String>) -> Page {
    Page::signed(&auth.agent, &auth.session.csrf, title, "inboxes")
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
    error: Option<FormError>,
    test: TestOutcome,
}

fn health_view(st: &AppState, auth: &SessionAuth, inbox: &Inbox) -> Result<HealthView, WebError> {
    let status = st.services.mail_status(&auth.agent, inbox.id)?;
    let h = status.health;
    let (folder, poll_seconds) = inbox
        .email
        .as_ref()
        .map(|e| (e.folder.clone(), e.poll_seconds))
        .unwrap_or_default();
    Ok(HealthView {
        last_success: h.last_success.map(|t| t.display()),
        error_resolved: matches!((&h.last_error, h.last_success), (Some((e, _)), Some(ok)) if ok > *e),
        last_error: h.last_error.map(|(t, e)| (t.display(), e)),
        fetched: h.fetched,
        folder,
        cursor: status.cursor,
        poll_seconds,
    })
}

fn edit_view(
    req: &HttpRequest,
    st: &AppState,
    auth: &SessionAuth,
    id: InboxId,
    token: Option<String>,
    shown: Shown<'_>,
) -> Result<InboxEditView, WebError> {
    let inbox = st.services.inbox(&auth.agent, id)?;
    let agents = st.services.agents(&auth.agent)?;
    let stored = inbox.email.as_ref().map(EmailForm::from_settings);
    let (health, email) = match &stored {
        Some(s) => (
            Some(health_view(st, auth, &inbox)?),
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
        .map(|w| crate::domain::website::snippet(&base_url(req, st), &w.key));
    Ok(InboxEditView {
        website,
        snippet,
        email_inboxes: email_inboxes(st, auth)?,
        page: page(auth, inbox.name.clone()),
        name: shown
            .form
            .map_or_else(|| inbox.name.clone(), |f| f.name.clone()),
        webhook_url: shown
            .form
            .and_then(|f| f.webhook_url.clone())
            .or_else(|| inbox.webhook_url.clone())
            .unwrap_or_default(),
        picks: picks(&agents, &members),
        endpoint: format!("{}/api/v1/inboxes/{}/incoming", base_url(req, st), inbox.id),
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
        inbox,
    })
}

/// The email inboxes a website inbox may answer offline visitors through: (id, name).
fn email_inboxes(st: &AppState, auth: &SessionAuth) -> Result<Vec<(u64, String)>, WebError> {
    Ok(st
        .services
        .inboxes(&auth.agent)?
        .into_iter()
        .filter(|i| i.channel == ChannelKind::Email)
        .map(|i| (i.id.0, i.name))
        .collect())
}

fn list_view(
    st: &AppState,
    auth: &SessionAuth,
    flash: Option<&str>,
    shown: Shown<'_>,
) -> Result<InboxesView, WebError> {
    let agents = st.services.agents(&auth.agent)?;
    let inboxes = st
        .services
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
        website: shown
            .form
            .map_or_else(WebsiteForm::default, |f| f.website_form(None)),
        email_inboxes: email_inboxes(st, auth)?,
        page: page(auth, "Inboxes").with_flash(flash),
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
    })
}

pub async fn inboxes_list(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    q: web::Query<FlashQuery>,
) -> Result<InboxesView, WebError> {
    list_view(&st, &auth, q.flash.as_deref(), Shown::default())
}

async fn create(
    st: &AppState,
    auth: &SessionAuth,
    f: &InboxForm,
) -> Result<(Inbox, Option<String>), ServiceError> {
    let channel = parse_channel(&f.channel)?;
    let members = parse_ids("member_ids", &f.member_ids, AgentId)?;
    let email = match channel {
        ChannelKind::Email => Some(f.email_input()?),
        ChannelKind::Api | ChannelKind::Website => None,
    };
    let website = match channel {
        ChannelKind::Website => Some(f.website_input()?),
        ChannelKind::Api | ChannelKind::Email => None,
    };
    let input = InboxInput {
        name: f.name.clone(),
        channel: Some(channel),
        members,
        webhook_url: (channel == ChannelKind::Api)
            .then(|| f.webhook_url.clone().unwrap_or_default()),
        email,
        website,
    };
    st.services.save_inbox(&auth.agent, None, input).await
}

pub async fn inboxes_create(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    Form(f): Form<InboxForm>,
) -> Result<HttpResponse, WebError> {
    match create(&st, &auth, &f).await {
        Ok((inbox, Some(t))) => render(
            &edit_view(&req, &st, &auth, inbox.id, Some(t), Shown::default())?,
            StatusCode::OK,
            vec![],
        ),
        Ok((_, None)) => Ok(see_other("/admin/inboxes?flash=inbox_saved")),
        Err(e) => {
            let shown = Shown {
                form: Some(&f),
                error: Some(form_error(e)?),
                ..Shown::default()
            };
            render(
                &list_view(&st, &auth, None, shown)?,
                StatusCode::BAD_REQUEST,
                vec![],
            )
        }
    }
}

pub async fn inboxes_edit(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> Result<InboxEditView, WebError> {
    edit_view(&req, &st, &auth, InboxId(*id), None, Shown::default())
}

async fn update(
    st: &AppState,
    auth: &SessionAuth,
    id: InboxId,
    f: &InboxForm,
) -> Result<(), ServiceError> {
    let current = st.services.inbox(&auth.agent, id)?;
    let members = parse_ids("member_ids", &f.member_ids, AgentId)?;
    let email = match current.channel {
        ChannelKind::Email => Some(f.email_input()?),
        ChannelKind::Api | ChannelKind::Website => None,
    };
    let website = match current.channel {
        ChannelKind::Website => Some(f.website_input()?),
        ChannelKind::Api | ChannelKind::Email => None,
    };
    let input = InboxInput {
        name: f.name.clone(),
        channel: None,
        members,
        webhook_url: f.webhook_url.clone(),
        email,
        website,
    };
    st.services.save_inbox(&auth.agent, Some(id), input).await?;
    Ok(())
}

pub async fn inboxes_update(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<InboxForm>,
) -> Result<HttpResponse, WebError> {
    let id = InboxId(*id);
    match update(&st, &auth, id, &f).await {
        Ok(()) => Ok(see_other("/admin/inboxes?flash=inbox_saved")),
        Err(e) => {
            let shown = Shown {
                form: Some(&f),
                error: Some(form_error(e)?),
                ..Shown::default()
            };
            render(
                &edit_view(&req, &st, &auth, id, None, shown)?,
                StatusCode::BAD_REQUEST,
                vec![],
            )
        }
    }
}

/// Runs "Test connection" on the form's values; `Ok(Err(..))` when they are refused.
async fn run_test(
    st: &AppState,
    auth: &SessionAuth,
    id: Option<InboxId>,
    f: &InboxForm,
) -> Result<Result<TestOutcome, FormError>, WebError> {
    let input = match f.email_input() {
        Ok(i) => i,
        Err(i) => return Ok(Err(form_error(i.into())?)),
    };
    match st
        .services
        .test_email_connection(&auth.agent, id, Some(input))
        .await
    {
        Ok(report) => Ok(Ok(TestOutcome {
            report: Some(report),
            error: None,
        })),
        Err(e) => Ok(Err(form_error(e)?)),
    }
}

/// The test's answer: the result alone for htmx; else the whole page again.
fn test_answer(
    req: &HttpRequest,
    outcome: Result<TestOutcome, FormError>,
    page: impl FnOnce(Shown<'_>, StatusCode) -> Result<HttpResponse, WebError>,
    f: &InboxForm,
) -> Result<HttpResponse, WebError> {
    // The whole page comes back 400 when the values were refused before any test ran.
    let status = if outcome.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    if is_htmx(req) {
        let test = outcome.unwrap_or_else(|e| TestOutcome {
            report: None,
            error: Some(e.message),
        });
        return render(&TestResultView { test }, StatusCode::OK, vec![]);
    }
    page(
        match outcome {
            Ok(test) => Shown {
                form: Some(f),
                test,
                ..Shown::default()
            },
            Err(e) => Shown {
                form: Some(f),
                error: Some(e),
                ..Shown::default()
            },
        },
        status,
    )
}

/// `POST /admin/inboxes/test`: "Test connection" on the new-inbox form.
pub async fn inboxes_test_new(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    Form(f): Form<InboxForm>,
) -> Result<HttpResponse, WebError> {
    let outcome = run_test(&st, &auth, None, &f).await?;
    test_answer(
        &req,
        outcome,
        |shown, status| render(&list_view(&st, &auth, None, shown)?, status, vec![]),
        &f,
    )
}

/// `POST /admin/inboxes/{id}/test`: "Test connection" with the edit form's values (an
/// empty password is the stored one).
pub async fn inboxes_test(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<InboxForm>,
) -> Result<HttpResponse, WebError> {
    let id = InboxId(*id);
    let outcome = run_test(&st, &auth, Some(id), &f).await?;
    test_answer(
        &req,
        outcome,
        |shown, status| {
            render(
                &edit_view(&req, &st, &auth, id, None, shown)?,
                status,
                vec![],
            )
        },
        &f,
    )
}

pub async fn inboxes_rotate(
    req: HttpRequest,
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    let token = st
        .services
        .rotate_inbox_token(&auth.agent, InboxId(*id))
        .await?;
    render(
        &edit_view(
            &req,
            &st,
            &auth,
            InboxId(*id),
            Some(token),
            Shown::default(),
        )?,
        StatusCode::OK,
        vec![],
    )
}

pub async fn inboxes_delete(
    Admin(auth): Admin,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    _f: Form<CsrfOnly>,
) -> Result<HttpResponse, WebError> {
    st.services.delete_inbox(&auth.agent, InboxId(*id)).await?;
    Ok(see_other("/admin/inboxes?flash=inbox_deleted"))
}

//! "Test connection" on the inbox forms: the email inbox's IMAP and SMTP probes, or a
//! messaging inbox's one request to its provider, with the values typed (an empty
//! password or secret is the stored one). Nothing is saved.

use super::email_form::{InboxForm, form_error};
use super::{Shown, edit_view, is_htmx, list_view, parse_channel};
use crate::domain::InboxId;
use crate::i18n::L10n;
use crate::service::{Services, SessionAuth};
use crate::web::AppState;
use crate::web::auth::Admin;
use crate::web::error::WebError;
use crate::web::forms::Form;
use crate::web::handlers::{base_url, render};
use crate::web::locale::Loc;
use crate::web::views::{FormError, TestOutcome, TestResultView};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

/// Runs "Test connection" on the form's values; `Ok(Err(..))` when they are refused.
async fn run_test(
    l: &L10n,
    st: &AppState,
    auth: &SessionAuth,
    id: Option<InboxId>,
    f: &InboxForm,
    base: String,
) -> Result<Result<TestOutcome, FormError>, WebError> {
    let channel = match id {
        Some(id) => {
            let me = auth.agent.clone();
            match st.services.blocking(move |s| s.inbox(&me, id)).await {
                Ok(inbox) => inbox.channel,
                Err(e) => return Ok(Err(form_error(l, e)?)),
            }
        }
        None => match parse_channel(&f.channel) {
            Ok(c) => c,
            Err(i) => return Ok(Err(form_error(l, i.into())?)),
        },
    };
    if channel.is_messaging() {
        let (me, input) = (auth.agent.clone(), f.messaging_input(channel, base));
        let tested = st
            .services
            .blocking_async(move |s| async move {
                s.test_messaging_connection(&me, id, channel, Some(input))
                    .await
            })
            .await;
        return match tested {
            Ok(probe) => Ok(Ok(TestOutcome {
                probe: Some(probe),
                ..TestOutcome::default()
            })),
            Err(e) => Ok(Err(form_error(l, e)?)),
        };
    }
    let input = match f.email_input() {
        Ok(i) => i,
        Err(i) => return Ok(Err(form_error(l, i.into())?)),
    };
    let me = auth.agent.clone();
    let tested = st
        .services
        .blocking_async(move |s| async move { s.test_email_connection(&me, id, Some(input)).await })
        .await;
    match tested {
        Ok(report) => Ok(Ok(TestOutcome {
            report: Some(report),
            ..TestOutcome::default()
        })),
        Err(e) => Ok(Err(form_error(l, e)?)),
    }
}

/// The test's answer: the result alone for htmx; else the whole page again (`page`
/// builds it, on [`Services::blocking`]).
async fn test_answer<V: askama::Template + Send + 'static>(
    l: &L10n,
    req: &HttpRequest,
    st: &AppState,
    outcome: Result<TestOutcome, FormError>,
    page: impl FnOnce(&Services, Shown<'_>) -> Result<V, WebError> + Send + 'static,
    f: InboxForm,
) -> Result<HttpResponse, WebError> {
    // The whole page comes back 400 when the values were refused before any test ran.
    let status = if outcome.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    if is_htmx(req) {
        let test = outcome.unwrap_or_else(|e| TestOutcome {
            error: Some(e.message),
            ..TestOutcome::default()
        });
        let view = TestResultView { l: l.clone(), test };
        return render(&view, StatusCode::OK, vec![]);
    }
    let view = st
        .services
        .blocking(move |s| {
            let shown = match outcome {
                Ok(test) => Shown {
                    form: Some(&f),
                    test,
                    ..Shown::default()
                },
                Err(e) => Shown {
                    form: Some(&f),
                    error: Some(e),
                    ..Shown::default()
                },
            };
            page(s, shown)
        })
        .await?;
    render(&view, status, vec![])
}

/// `POST /admin/inboxes/test`: "Test connection" on the new-inbox form.
pub async fn inboxes_test_new(
    req: HttpRequest,
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    Form(f): Form<InboxForm>,
) -> Result<HttpResponse, WebError> {
    let outcome = run_test(&l, &st, &auth, None, &f, base_url(&req, &st)).await?;
    test_answer(
        &l.clone(),
        &req,
        &st,
        outcome,
        move |s, shown| list_view(s, &l, &auth, None, shown),
        f,
    )
    .await
}

/// `POST /admin/inboxes/{id}/test`: "Test connection" with the edit form's values (an
/// empty password is the stored one).
pub async fn inboxes_test(
    req: HttpRequest,
    Admin(auth): Admin,
    Loc(l): Loc,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<InboxForm>,
) -> Result<HttpResponse, WebError> {
    let id = InboxId(*id);
    let base = base_url(&req, &st);
    let outcome = run_test(&l, &st, &auth, Some(id), &f, base.clone()).await?;
    test_answer(
        &l.clone(),
        &req,
        &st,
        outcome,
        move |s, shown| edit_view(s, &l, &base, &auth, id, None, shown),
        f,
    )
    .await
}

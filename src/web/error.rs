//! One mapping from every failure to a status and a page (or JSON for the API). The
//! user sees a clear message; the log gets the detail.

use super::views::ErrorView;
use crate::domain::validate::Invalid;
use crate::i18n::{L10n, Msg};
use crate::service::ServiceError;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use std::fmt;

/// An error answered with an HTML page, in the reader's language (see
/// [`localize_errors`]); its message is a catalog key with arguments.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in (or the session ended): back to the sign-in page.
    LoginRequired {
        next: String,
    },
    /// Signed in, but the workspace requires two-factor sign-in and this agent has
    /// not set it up: to the set-up page.
    TwoFactorRequired,
    Forbidden(Msg),
    NotFound,
    BadRequest(Msg),
    TooLarge(usize),
    Throttled(u64),
    /// The request body did not arrive within this many seconds.
    RequestTimeout(u64),
    Internal(String),
}

impl WebError {
    /// A 400 whose detail is technical text (a parser's message), kept as it is.
    pub fn bad_request(detail: impl Into<String>) -> WebError {
        WebError::BadRequest(Msg::new("error-detail").arg("detail", detail.into()))
    }

    /// What the reader is told, in `l`'s language.
    pub fn message(&self, l: &L10n) -> String {
        match self {
            WebError::LoginRequired { .. } => l.t("error-sign-in"),
            WebError::TwoFactorRequired => l.t("two-factor-required-notice"),
            WebError::Forbidden(m) | WebError::BadRequest(m) => l.msg(m),
            WebError::NotFound => l.t("error-not-found-text"),
            WebError::TooLarge(n) => l.t1("error-too-large-text", "bytes", *n),
            WebError::Throttled(s) => l.t1("error-throttled", "minutes", s.div_ceil(60).max(1)),
            WebError::RequestTimeout(s) => l.t1("error-timeout-text", "seconds", *s),
            WebError::Internal(_) => l.t("error-internal-text"),
        }
    }

    /// The error page (or the redirect to sign in) in `l`'s language.
    pub fn page(&self, l: &L10n) -> HttpResponse {
        if let WebError::LoginRequired { next } = self {
            let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/login?{q}")))
                .finish();
        }
        if let WebError::TwoFactorRequired = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/profile/two-factor"))
                .finish();
        }
        let status = self.status_code();
        let title = l.t(match status {
            StatusCode::NOT_FOUND => "error-not-found",
            StatusCode::FORBIDDEN => "error-forbidden",
            StatusCode::TOO_MANY_REQUESTS => "error-too-many",
            StatusCode::PAYLOAD_TOO_LARGE => "error-too-large",
            StatusCode::REQUEST_TIMEOUT => "error-too-slow",
            StatusCode::INTERNAL_SERVER_ERROR => "error-internal",
            _ => "error-bad-request",
        });
        let view = ErrorView::new(l, status.as_u16(), title.clone(), self.message(l));
        let mut resp = HttpResponse::build(status);
        if let WebError::Throttled(secs) = self {
            resp.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        match view.render() {
            Ok(body) => resp.content_type("text/html; charset=utf-8").body(body),
            Err(e) => resp
                .content_type("text/plain; charset=utf-8")
                .body(format!("{title}: {e}")),
        }
    }
}

impl fmt::Display for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(&L10n::english()))
    }
}

/// A refused value, named by its field, in words the catalog has when the domain's
/// reason is one of the common ones (else the reason as the domain wrote it).
pub fn invalid_msg(i: &Invalid) -> Msg {
    let field = i.field;
    let number = |prefix: &str| {
        i.reason
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(" characters"))
            .and_then(|n| n.parse::<u64>().ok())
    };
    let fixed = match i.reason.as_str() {
        "must be a port number" => Some("invalid-port"),
        "is required" => Some("invalid-required"),
        "must be between 10 and 3600" => Some("invalid-poll-range"),
        "must be an http:// or https:// URL" => Some("invalid-url"),
        "must be a host name such as imap.example.com" => Some("invalid-host"),
        "an email inbox needs its IMAP and SMTP settings" => Some("invalid-email-settings"),
        "a messaging inbox needs its provider settings" => Some("invalid-messaging-settings"),
        "the IMAP and SMTP settings to test are missing" => Some("invalid-test-settings"),
        "must be one of the email inboxes" | "must be the id of an email inbox" => {
            Some("invalid-email-inbox")
        }
        "at most 50 origins" => Some("invalid-origins"),
        "is not a valid token" => Some("invalid-token"),
        "must be in the future" => Some("schedule-in-past"),
        "only replies can be scheduled; a note is added at once" => Some("schedule-replies-only"),
        "may hold only letters, digits, - and _" => Some("saved-invalid-shortcut"),
        _ => None,
    };
    let changed = i
        .reason
        .strip_prefix("type the password again: the ")
        .and_then(|r| r.strip_suffix(" changed"));
    // Reasons that end with what was typed: "must be a port number …, not \"99999\"".
    let typed = [
        (
            "must be a port number from 1 to 65535, not ",
            "invalid-port-typed",
        ),
        ("must be a number of seconds, not ", "invalid-seconds-typed"),
        (
            "must be a colour such as #4f46e5, not ",
            "invalid-colour-typed",
        ),
        (
            "must be none, starttls or tls, not ",
            "invalid-security-typed",
        ),
        (
            "must be off, optional or required, not ",
            "invalid-prechat-typed",
        ),
    ]
    .into_iter()
    .find_map(|(prefix, key)| {
        let raw = i.reason.strip_prefix(prefix)?;
        Some((key, raw.trim_matches('"').to_string()))
    });
    let m = if let Some(key) = fixed {
        Msg::new(key)
    } else if let Some((key, value)) = typed {
        Msg::new(key).arg("value", value)
    } else if let Some(what) = changed {
        Msg::new("invalid-password-again").arg("what", what)
    } else if let Some(taken) = i
        .reason
        .strip_suffix(" is already used by another saved response")
    {
        Msg::new("saved-invalid-shortcut-taken").arg("value", taken.to_string())
    } else if i.reason == "must not be empty" {
        Msg::new("invalid-empty")
    } else if i.reason == "is not a valid email address" {
        Msg::new("invalid-email")
    } else if i.reason == "must not contain control characters" {
        Msg::new("invalid-control")
    } else if let Some(n) = number("must be at least ") {
        Msg::new("invalid-too-short").arg("count", n)
    } else if let Some(n) = number("must be at most ") {
        Msg::new("invalid-too-long").arg("count", n)
    } else {
        Msg::new("invalid-other").arg("reason", i.reason.clone())
    };
    m.arg("field", field)
}

/// A refusal the services word in fixed English (a conflict, a forbidden action, a
/// closed messaging window), as a catalog message; text it does not know is shown as
/// it is. The API keeps the English text.
pub fn refusal_msg(text: &str) -> Msg {
    let key = match text {
        crate::service::SHARED_CONTACT => "error-shared-contact",
        crate::service::scheduled::WA_TEMPLATE_NOW => "xfiles-wa-template-now",
        crate::service::scheduled::FILES_NOW => "xfiles-files-now",
        crate::service::widget_files::VISITOR_FILES_OFF => "widgetfiles-off",
        crate::service::file_links::FILES_NEED_PUBLIC_URL => "chanfiles-no-public-url",
        crate::service::file_links::FILES_NOT_WITH_TEMPLATE => "chanfiles-not-with-template",
        crate::service::TWO_FACTOR_REQUIRED => "error-two-factor-required",
        crate::service::TWO_FACTOR_SELF_FIRST => "error-two-factor-self-first",
        crate::service::TWO_FACTOR_STALE_SETUP => "error-two-factor-stale",
        "an inbox's channel type cannot change; create a new inbox" => "error-channel-fixed",
        "only email inboxes have email settings" => "error-only-email-settings",
        "only website inboxes have website settings" => "error-only-website-settings",
        "only messaging inboxes have provider settings" => "error-only-messaging-settings",
        "only API inboxes have a token" => "error-only-api-token",
        "this website inbox has no email inbox to reply through (see its settings)" => {
            "error-no-reply-inbox"
        }
        "this website inbox has no email inbox to send through (see its settings)" => {
            "error-no-transcript-inbox"
        }
        "only email and website chat conversations can be answered by email" => {
            "error-email-answer-only"
        }
        "transcripts go by email: only email and website chat conversations have one" => {
            "error-transcript-only"
        }
        "this mail came without an address to reply to (no usable From, Reply-To, Sender or Return-Path)" => {
            "error-mail-without-address"
        }
        "this conversation has no email address to reply to" => "error-no-email-address",
        "the visitor typed this email address and nobody has confirmed it yet: confirm it first (it may not be theirs)" => {
            "error-unconfirmed-email"
        }
        "this conversation has no email address to confirm" => "error-nothing-to-confirm",
        "a website chat cannot start a conversation: visitors write first (use an email or SMS inbox)" => {
            "error-website-cannot-start"
        }
        "this inbox's provider settings cannot be read" => "error-provider-unreadable",
        "this channel cannot start a conversation: the customer writes first" => {
            "error-channel-cannot-start"
        }
        "this channel can start a conversation only with an approved template" => {
            "error-template-only"
        }
        "a new WhatsApp conversation can start only with an approved template (templates arrive with the composer)" => {
            "error-whatsapp-template-only"
        }
        "this inbox has no messaging provider" => "error-no-provider",
        "this conversation has no address on this channel to reply to" => {
            "error-no-channel-address"
        }
        "another contact already has that email or phone" => "error-contact-taken",
        "you cannot remove your own admin role" => "error-own-admin-role",
        "you cannot deactivate yourself" => "error-deactivate-self",
        "reactivate the agent before sending an invite" => "error-invite-inactive",
        "agents see only their own numbers" => "error-report-own",
        "team reports are for admins: a team's numbers span inboxes you may not be in" => {
            "error-report-teams"
        }
        _ => {
            return window_msg(text)
                .unwrap_or_else(|| Msg::new("error-detail").arg("detail", capitalise(text)));
        }
    };
    Msg::new(key)
}

/// A file the channel cannot carry, with its name and the channel's.
pub fn channel_file_msg(r: &crate::service::file_links::ChannelFileRefused) -> Msg {
    use crate::channels::seam::FileRefusal;
    let m = match r.why {
        FileRefusal::Type => Msg::new("chanfiles-type"),
        FileRefusal::TooLarge(limit) => {
            Msg::new("chanfiles-too-large").arg("limit", crate::domain::message::human_size(limit))
        }
    };
    m.arg("name", r.file.clone()).arg("channel", r.channel)
}

/// Variables still to fill, named as the agent typed them.
pub fn unfilled_msg(names: &[String]) -> Msg {
    let names: Vec<String> = names.iter().map(|n| format!("{{{{{n}}}}}")).collect();
    Msg::new("saved-error-unfilled")
        .arg("names", names.join(", "))
        .arg("count", names.len())
}

/// "the 24-hour messaging window is closed: …" with its hours.
fn window_msg(text: &str) -> Option<Msg> {
    let hours = text
        .strip_prefix("the ")?
        .split_once("-hour messaging window is closed")?
        .0
        .parse::<u32>()
        .ok()?;
    Some(Msg::new("error-window-closed").arg("hours", hours))
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        use crate::domain::conversation::RuleError;
        let msg = |key| WebError::BadRequest(Msg::new(key));
        match e {
            ServiceError::NotFound => WebError::NotFound,
            ServiceError::NotAllowed => WebError::Forbidden(Msg::new("error-not-allowed")),
            ServiceError::Forbidden(m) => WebError::Forbidden(refusal_msg(m)),
            ServiceError::Throttled { retry_after_secs } => WebError::Throttled(retry_after_secs),
            ServiceError::Store(_) | ServiceError::Internal(_) => WebError::Internal(e.to_string()),
            ServiceError::Invalid(i) => WebError::BadRequest(invalid_msg(&i)),
            ServiceError::BadCredentials => msg("error-bad-credentials"),
            ServiceError::DuplicateEmail => msg("error-duplicate-email"),
            ServiceError::InviteInvalid => msg("error-invite-invalid"),
            ServiceError::WrongCurrentPassword => msg("error-wrong-password"),
            ServiceError::BadCode => msg("error-bad-code"),
            ServiceError::AlreadySetUp => msg("error-already-set-up"),
            ServiceError::TooLong(n) => {
                WebError::BadRequest(Msg::new("error-content-too-long").arg("count", n))
            }
            ServiceError::RateLimited { retry_after_secs } => WebError::BadRequest(
                Msg::new("error-rate-limited").arg("seconds", retry_after_secs),
            ),
            ServiceError::Rule(RuleError::SnoozeInPast) => msg("error-snooze-in-past"),
            ServiceError::Rule(RuleError::AlreadyInState(state)) => {
                WebError::BadRequest(Msg::new("error-already-in-state").arg("status", state))
            }
            ServiceError::Conflict(m) => WebError::BadRequest(refusal_msg(m)),
            ServiceError::WindowClosed(m) => WebError::BadRequest(refusal_msg(&m)),
            ServiceError::Unfilled(names) => WebError::BadRequest(unfilled_msg(&names)),
            ServiceError::ChannelFile(r) => WebError::BadRequest(channel_file_msg(&r)),
            other => WebError::bad_request(capitalise(&other.to_string())),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::LoginRequired { .. } | WebError::TwoFactorRequired => StatusCode::SEE_OTHER,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The English page; [`localize_errors`] puts it in the reader's language.
    fn error_response(&self) -> HttpResponse {
        if let WebError::Internal(detail) = self {
            tracing::error!(%detail, "request failed");
        }
        self.page(&L10n::english())
    }
}

/// Middleware: an error page in the reader's language (their profile's, else their
/// browser's). `error_response` has no request to ask, so it answers in English and
/// this swaps the page for the reader's when they read another language.
pub async fn localize_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(err) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<WebError>())
    else {
        return Ok(res.map_into_left_body());
    };
    if matches!(
        err,
        WebError::LoginRequired { .. } | WebError::TwoFactorRequired
    ) {
        return Ok(res.map_into_left_body());
    }
    // The request is cloned only now: routing needs it unshared while it runs.
    let http = res.request().clone();
    let l = super::locale::locale(&http).await;
    if l.lang() == crate::i18n::Lang::En {
        return Ok(res.map_into_left_body());
    }
    let page = err.page(&l);
    Ok(res.into_response(page).map_into_right_body())
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// An error answered with JSON: `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    /// An error with a status, a stable code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    /// 401: missing or unknown token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid `Authorization: Bearer <token>` header is required",
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let (status, code) = match &e {
            ServiceError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ServiceError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ServiceError::NotAllowed | ServiceError::Forbidden(_) => {
                (StatusCode::FORBIDDEN, "forbidden")
            }
            ServiceError::BadCredentials
            | ServiceError::WrongCurrentPassword
            | ServiceError::BadCode => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ServiceError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "throttled"),
            ServiceError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ServiceError::AlreadySetUp
            | ServiceError::DuplicateEmail
            | ServiceError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ServiceError::InviteInvalid => (StatusCode::GONE, "gone"),
            ServiceError::Rule(_) => (StatusCode::CONFLICT, "conflict"),
            ServiceError::TooLong(_) => (StatusCode::UNPROCESSABLE_ENTITY, "too_long"),
            ServiceError::WindowClosed(_) => (StatusCode::CONFLICT, "window_closed"),
            ServiceError::Unfilled(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unfilled"),
            ServiceError::ChannelFile(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "file_not_on_channel")
            }
            ServiceError::HookRefused(r) => match r {
                crate::channels::seam::Refused::Unauthorized(_) => {
                    (StatusCode::UNAUTHORIZED, "unauthorized")
                }
                crate::channels::seam::Refused::Forbidden(_) => {
                    (StatusCode::FORBIDDEN, "forbidden")
                }
                crate::channels::seam::Refused::BadRequest(_) => {
                    (StatusCode::BAD_REQUEST, "bad_request")
                }
            },
            ServiceError::Store(_) | ServiceError::Internal(_) => {
                tracing::error!(error = %e, "api request failed");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; it has been logged",
                );
            }
        };
        Self::new(status, code, e.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .json(serde_json::json!({"error": {"code": self.code, "message": self.message}}))
    }
}

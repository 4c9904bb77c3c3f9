//! One mapping from every failure to a status and a page (or JSON for the API). The
//! user sees a clear message; the log gets the detail.

use super::views::ErrorView;
use crate::service::ServiceError;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use std::fmt;

/// An error answered with an HTML page.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in (or the session ended): back to the sign-in page.
    LoginRequired {
        next: String,
    },
    Forbidden(String),
    NotFound,
    BadRequest(String),
    TooLarge(usize),
    Throttled(u64),
    /// The request body did not arrive within this many seconds.
    RequestTimeout(u64),
    Internal(String),
}

impl fmt::Display for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebError::LoginRequired { .. } => f.write_str("Please sign in."),
            WebError::Forbidden(m) | WebError::BadRequest(m) => f.write_str(m),
            WebError::NotFound => f.write_str("not found"),
            WebError::TooLarge(n) => {
                write!(f, "The request is larger than the limit of {n} bytes.")
            }
            WebError::Throttled(s) => {
                write!(
                    f,
                    "too many failed sign-in attempts; try again in {} minute(s)",
                    s.div_ceil(60).max(1)
                )
            }
            WebError::RequestTimeout(s) => write!(
                f,
                "The request took longer than {s} s to arrive. Check your connection and try again."
            ),
            WebError::Internal(_) => {
                f.write_str("something went wrong on our side; it has been logged")
            }
        }
    }
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => WebError::NotFound,
            ServiceError::NotAllowed => {
                WebError::Forbidden("You are not allowed to do that.".into())
            }
            ServiceError::Forbidden(m) => WebError::Forbidden(capitalise(m)),
            ServiceError::Throttled { retry_after_secs } => WebError::Throttled(retry_after_secs),
            ServiceError::Store(_) | ServiceError::Internal(_) => WebError::Internal(e.to_string()),
            ServiceError::Invalid(i) => WebError::BadRequest(i.to_string()),
            other => WebError::BadRequest(capitalise(&other.to_string())),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::LoginRequired { next } = self {
            let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/login?{q}")))
                .finish();
        }
        if let WebError::Internal(detail) = self {
            tracing::error!(%detail, "request failed");
        }
        let status = self.status_code();
        let title = match status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            StatusCode::PAYLOAD_TOO_LARGE => "Too large",
            StatusCode::REQUEST_TIMEOUT => "Too slow",
            StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong",
            _ => "That did not work",
        };
        let message = match self {
            WebError::NotFound => {
                "There is nothing here. It may have been moved or deleted.".to_string()
            }
            other => other.to_string(),
        };
        let view = ErrorView::new(status.as_u16(), title, message);
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
            ServiceError::BadCredentials | ServiceError::WrongCurrentPassword => {
                (StatusCode::UNAUTHORIZED, "unauthorized")
            }
            ServiceError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "throttled"),
            ServiceError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ServiceError::AlreadySetUp
            | ServiceError::DuplicateEmail
            | ServiceError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ServiceError::InviteInvalid => (StatusCode::GONE, "gone"),
            ServiceError::Rule(_) => (StatusCode::CONFLICT, "conflict"),
            ServiceError::TooLong(_) => (StatusCode::UNPROCESSABLE_ENTITY, "too_long"),
            ServiceError::WindowClosed(_) => (StatusCode::CONFLICT, "window_closed"),
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

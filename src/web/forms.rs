//! Form bodies: cross-site check, size limit, CSRF token, then typed fields, in that
//! order; each failure has its own clear answer (403, 413, 403, 400 naming the field).

use super::auth::{PRE_COOKIE, current_session, state};
use super::error::WebError;
use super::middleware::check_same_origin;
use crate::domain::validate::Invalid;
use crate::i18n::Msg;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// A form posted from one of our pages, with its CSRF token checked.
pub struct Form<T>(pub T);

/// Constant-time string comparison.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            check_same_origin(&req)?;
            let st = state(&req)?.clone();
            let limit = st.settings.max_form_bytes;
            let declared = req
                .headers()
                .get(actix_web::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if declared.is_some_and(|n| n > limit) {
                return Err(WebError::TooLarge(limit));
            }
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    WebError::BadRequest(
                        Msg::new("error-form-unreadable").arg("detail", e.to_string()),
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(WebError::TooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&body).map_err(|e| {
                WebError::BadRequest(Msg::new("error-form-malformed").arg("detail", e.to_string()))
            })?;
            let sent = pairs
                .iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            if sent.is_empty() {
                return Err(WebError::Forbidden(Msg::new("error-csrf-missing")));
            }
            let ok = match current_session(&req).await? {
                Some(auth) => same(sent, &auth.session.csrf),
                None => req
                    .cookie(PRE_COOKIE)
                    .is_some_and(|c| st.services.keys.verify("csrf", c.value(), sent)),
            };
            if !ok {
                return Err(WebError::Forbidden(Msg::new("error-csrf-invalid")));
            }
            let value: T = serde_html_form::from_bytes(&body).map_err(|e| {
                WebError::BadRequest(Msg::new("error-form-invalid").arg("detail", e.to_string()))
            })?;
            Ok(Form(value))
        })
    }
}

impl From<Invalid> for WebError {
    fn from(i: Invalid) -> Self {
        WebError::BadRequest(super::error::invalid_msg(&i))
    }
}

/// Parses a list of numeric ids from a multi-select, naming the field on failure.
pub fn parse_ids<T>(
    field: &'static str,
    raw: &[String],
    make: impl Fn(u64) -> T,
) -> Result<Vec<T>, Invalid> {
    raw.iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim().parse::<u64>().map(&make).map_err(|_| Invalid {
                field,
                reason: format!("{s:?} is not an id"),
            })
        })
        .collect()
}

/// Parses a role name.
pub fn parse_role(raw: &str) -> Result<crate::domain::Role, Invalid> {
    match raw {
        "admin" => Ok(crate::domain::Role::Admin),
        "agent" => Ok(crate::domain::Role::Agent),
        other => Err(Invalid {
            field: "role",
            reason: format!("must be admin or agent, not {other:?}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_compare() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }

    #[test]
    fn ids_and_roles_name_their_field() {
        assert_eq!(
            parse_ids("member_ids", &["1".into(), "".into(), "2".into()], |n| n).unwrap(),
            vec![1, 2]
        );
        assert_eq!(
            parse_ids("member_ids", &["x".into()], |n| n)
                .unwrap_err()
                .field,
            "member_ids"
        );
        assert_eq!(parse_role("boss").unwrap_err().field, "role");
    }
}

//! Requests to providers, as plain data. Provider modules build an [`HttpRequest`] and
//! read an [`HttpResponse`] without doing I/O (so they are tested with fixtures);
//! [`execute`] sends one through the client built by the address policy, the only
//! way a provider request leaves the process.

use super::guard::AddressPolicy;
use super::seam::{ProviderError, SendError};
use std::time::Duration;

/// One request to a provider.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// A multipart request's files, after the parts in `body`: provider modules only
    /// name them; the sender streams their bytes from the store (see [`FilePart`]).
    pub files: Vec<FilePart>,
}

/// The boundary of the multipart requests we build.
pub const BOUNDARY: &str = "charla-part-5f0c3a7e91d24b68";

/// A file a multipart request uploads (Telegram's `multipart/form-data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The form field (`document`, `photo`, `attach://` names in albums).
    pub field: String,
    pub filename: String,
    pub mime: String,
    /// Which stored file: `"{conversation}/{message}/{index}"`.
    pub locator: String,
}

impl FilePart {
    /// The part's head, up to its bytes.
    pub fn head(&self) -> Vec<u8> {
        let name: String = self
            .filename
            .chars()
            .map(|c| {
                if c == '"' || c == '\\' || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{name}\"\r\nContent-Type: {}\r\n\r\n",
            self.field, self.mime
        )
        .into_bytes()
    }
}

/// What ends a multipart body.
pub const MULTIPART_TAIL: &[u8] = b"--charla-part-5f0c3a7e91d24b68--\r\n";

// Requests carry credentials in headers (and Telegram's in the URL): never printed.
impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HttpRequest({:?} <redacted url>)", self.method)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl HttpRequest {
    pub fn get(url: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            url: url.into(),
            headers: vec![],
            body: vec![],
            files: vec![],
        }
    }

    /// A POST with a JSON body.
    pub fn post_json(url: impl Into<String>, body: &serde_json::Value) -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            url: url.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).unwrap_or_default(),
            files: vec![],
        }
    }

    /// A POST with a form-encoded body (pairs in the given order).
    pub fn post_form(url: impl Into<String>, pairs: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            url: url.into(),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: serde_urlencoded::to_string(pairs)
                .unwrap_or_default()
                .into_bytes(),
            files: vec![],
        }
    }

    /// A `multipart/form-data` POST: the text `fields` in the body, then `files`, whose
    /// bytes the sender streams (the body ends with [`MULTIPART_TAIL`] after them).
    pub fn post_multipart(
        url: impl Into<String>,
        fields: &[(&str, String)],
        files: Vec<FilePart>,
    ) -> HttpRequest {
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        HttpRequest {
            method: Method::Post,
            url: url.into(),
            headers: vec![(
                "content-type".into(),
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )],
            body,
            files,
        }
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: &str) -> HttpRequest {
        self.headers
            .push(("authorization".into(), format!("Bearer {token}")));
        self
    }

    /// Adds HTTP basic authentication.
    pub fn basic(mut self, user: &str, password: &str) -> HttpRequest {
        use base64::Engine;
        let raw = format!("{user}:{password}");
        let enc = base64::engine::general_purpose::STANDARD.encode(raw);
        self.headers
            .push(("authorization".into(), format!("Basic {enc}")));
        self
    }
}

/// A provider's answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `Retry-After` header in seconds, if it gives one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }

    /// The usual classification of a failed answer: 408, 429 and 5xx are worth retrying
    /// (after `Retry-After`); other statuses are permanent, with `error` as the
    /// provider's own code and words when the caller could read them.
    pub fn failure(&self, error: Option<ProviderError>) -> SendError {
        let retry = self.status == 408 || self.status == 429 || self.status >= 500;
        let error = error.unwrap_or_else(|| ProviderError {
            code: String::new(),
            text: format!("the provider answered HTTP {}", self.status),
        });
        if retry {
            SendError::RetryLater {
                after: self.retry_after(),
                reason: error.display(),
            }
        } else {
            SendError::Permanent(error)
        }
    }
}

/// The largest answer read from a provider (media included).
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// The address policy refused the URL or its addresses.
    Refused(String),
    /// No connection, a timeout, or a body over `limit`.
    Unreachable(String),
}

impl NetError {
    pub fn text(&self) -> &str {
        match self {
            NetError::Refused(t) | NetError::Unreachable(t) => t,
        }
    }

    /// As a send error: a refused address is permanent (retrying changes nothing), the
    /// rest is worth retrying.
    pub fn into_send_error(self) -> SendError {
        match self {
            NetError::Refused(t) => SendError::Permanent(ProviderError {
                code: String::new(),
                text: t,
            }),
            NetError::Unreachable(t) => SendError::RetryLater {
                after: None,
                reason: t,
            },
        }
    }
}

/// Sends `req` through `client` (built by `policy.http_client()`), reading at most
/// `limit` bytes of the answer, within `timeout`.
pub async fn execute(
    policy: AddressPolicy,
    client: &reqwest::Client,
    req: &HttpRequest,
    timeout: Duration,
    limit: usize,
) -> Result<HttpResponse, NetError> {
    execute_with(policy, client, req, None, timeout, limit).await
}

/// [`execute`] with `body` sent instead of the request's own (a multipart upload
/// streamed from the store).
pub async fn execute_with(
    policy: AddressPolicy,
    client: &reqwest::Client,
    req: &HttpRequest,
    body: Option<reqwest::Body>,
    timeout: Duration,
    limit: usize,
) -> Result<HttpResponse, NetError> {
    let url = policy
        .check_url(&req.url)
        .map_err(|e| NetError::Refused(e.to_string()))?;
    let host = url.host_str().unwrap_or("").to_string();
    let mut b = match req.method {
        Method::Get => client.get(url),
        Method::Post => match body {
            Some(b) => client.post(url).body(b),
            None => client.post(url).body(req.body.clone()),
        },
    };
    for (n, v) in &req.headers {
        b = b.header(n.as_str(), v.as_str());
    }
    let unreachable = |e: reqwest::Error| {
        let mut cause = if e.is_timeout() {
            format!("no answer within {} s", timeout.as_secs())
        } else {
            "no connection".to_string()
        };
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        // reqwest's own text names the URL, which may carry a token (Telegram): only
        // the host and the cause underneath are kept.
        NetError::Unreachable(format!(
            "{host} unreachable: {}",
            super::net::excerpt(&cause, 200)
        ))
    };
    let run = async {
        let mut resp = b.send().await.map_err(unreachable)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > limit {
                return Err(NetError::Unreachable(format!(
                    "{host} answered more than {} bytes",
                    limit
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    };
    tokio::time::timeout(timeout, run)
        .await
        .unwrap_or_else(|_| {
            Err(NetError::Unreachable(format!(
                "{host} unreachable: no answer within {} s",
                timeout.as_secs()
            )))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified_by_status() {
        let r = |status: u16, retry_after: Option<&str>| HttpResponse {
            status,
            headers: retry_after
                .map(|v| vec![("retry-after".to_string(), v.to_string())])
                .unwrap_or_default(),
            body: vec![],
        };
        assert_eq!(
            r(429, Some("7")).failure(None),
            SendError::RetryLater {
                after: Some(Duration::from_secs(7)),
                reason: "the provider answered HTTP 429".into()
            }
        );
        assert!(matches!(
            r(503, None).failure(None),
            SendError::RetryLater { after: None, .. }
        ));
        let e = ProviderError {
            code: "21211".into(),
            text: "Invalid 'To' Phone Number".into(),
        };
        assert_eq!(
            r(400, None).failure(Some(e.clone())),
            SendError::Permanent(e)
        );
    }

    #[test]
    fn basic_auth_is_base64_of_user_and_password() {
        let r = HttpRequest::get("http://x").basic("AC1", "tok");
        assert_eq!(r.headers[0].1, "Basic QUMxOnRvaw==");
    }
}

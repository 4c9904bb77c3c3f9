//! A deadline for reading a request body. actix-web limits how long the headers may
//! take (`client_request_timeout`) but not the body: a client trickling one byte every
//! few seconds held a worker's connection for as long as it liked. Every body must now
//! arrive in full within `server.body_timeout_seconds`; a later one is answered 408
//! and the connection is closed.

use super::auth::state;
use super::error::{ApiError, WebError};
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// Whether the request has a body to read (a WebSocket upgrade's "body" is the socket
/// itself and must live on).
fn has_body(req: &ServiceRequest) -> bool {
    let h = req.headers();
    if h.contains_key(header::UPGRADE) {
        return false;
    }
    let declared = h
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() != "0");
    declared || h.contains_key(header::TRANSFER_ENCODING)
}

/// The request body, cut off with an error once the deadline has passed.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
    done: bool,
}

impl Deadline {
    fn expire(&mut self) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.done = true;
        self.expired.store(true, Ordering::Release);
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the request body did not arrive in time",
        )))))
    }
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if this.sleep.is_elapsed() {
            return this.expire();
        }
        match this.inner.poll_next_unpin(cx) {
            Poll::Ready(item) => Poll::Ready(item),
            // Nothing new: make sure we are woken at the deadline too.
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => this.expire(),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// Wraps the body of every request that has one in a [`Deadline`]; when it fired, the
/// handler's answer (an unreadable body) is replaced by 408 and the connection closed.
pub async fn body_timeout(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limit = state(req.request())
        .ok()
        .and_then(|s| s.settings.body_timeout);
    let Some(limit) = limit.filter(|_| has_body(&req)) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let expired = Arc::new(AtomicBool::new(false));
    let body = Deadline {
        inner: req.take_payload(),
        sleep: Box::pin(tokio::time::sleep(limit)),
        expired: expired.clone(),
        done: false,
    };
    let body: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(body);
    req.set_payload(Payload::from(body));
    let api = req.path().starts_with("/api/") || req.path().starts_with("/hooks/");
    let answer = next.call(req).await;
    if !expired.load(Ordering::Acquire) {
        return answer.map(ServiceResponse::map_into_left_body);
    }
    let secs = limit.as_secs();
    let timeout: actix_web::Error = if api {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request body did not arrive within {secs} s"),
        )
        .into()
    } else {
        WebError::RequestTimeout(secs).into()
    };
    // Whatever the handler made of the cut-off body, the answer is 408 (an inner
    // failure is passed on as it is).
    let answered = answer?;
    let mut resp = timeout.error_response();
    // The rest of the body may still be trickling in: do not wait for it.
    resp.head_mut().set_connection_type(ConnectionType::Close);
    Ok(answered.into_response(resp).map_into_right_body())
}

/// The configured deadline: `None` when `seconds` is 0 (off).
pub fn limit(seconds: u64) -> Option<Duration> {
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(
        s: impl Stream<Item = Result<Bytes, PayloadError>> + 'static,
        limit: Duration,
    ) -> (Deadline, Arc<AtomicBool>) {
        let s: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(s);
        let expired = Arc::new(AtomicBool::new(false));
        let d = Deadline {
            inner: Payload::from(s),
            sleep: Box::pin(tokio::time::sleep(limit)),
            expired: expired.clone(),
            done: false,
        };
        (d, expired)
    }

    #[tokio::test]
    async fn a_stalled_body_ends_with_a_timeout_error() {
        let first = futures_util::stream::iter([Ok(Bytes::from_static(b"a"))]);
        let (mut body, expired) = body_of(
            first.chain(futures_util::stream::pending()),
            Duration::from_millis(50),
        );
        assert_eq!(
            body.next().await.unwrap().unwrap(),
            Bytes::from_static(b"a")
        );
        match body.next().await {
            Some(Err(PayloadError::Io(e))) => assert_eq!(e.kind(), std::io::ErrorKind::TimedOut),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(expired.load(Ordering::Acquire));
        assert!(body.next().await.is_none(), "nothing after the timeout");
    }

    #[tokio::test]
    async fn a_body_in_time_is_untouched() {
        let chunks = futures_util::stream::iter([
            Ok(Bytes::from_static(b"ab")),
            Ok(Bytes::from_static(b"cd")),
        ]);
        let (body, expired) = body_of(chunks, Duration::from_secs(30));
        let all: Vec<Bytes> = body.map(|c| c.unwrap()).collect().await;
        assert_eq!(all.concat(), b"abcd");
        assert!(!expired.load(Ordering::Acquire));
    }
}

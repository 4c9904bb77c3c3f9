//! `GET|POST /hooks/{token}`: where messaging providers call us (WhatsApp, Twilio,
//! Messenger, Telegram in webhook mode). The request goes to the inbox's provider as it
//! came (raw bytes, headers, the public URL it was sent to); the answer is `200` only
//! once what it brought is durable, so the provider retries anything we did not keep.

use crate::channels::seam::RawRequest;
use crate::service::HookAnswer;
use crate::web::AppState;
use crate::web::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};

/// The request as the provider sent it. Its URL is the public one (`server.public_url`,
/// else the address it reached): what Twilio signs, and what the admin pasted.
fn raw(req: &HttpRequest, st: &AppState, body: &[u8]) -> RawRequest {
    let query = req.query_string().to_string();
    let mut url = format!("{}{}", super::base_url(req, st), req.path());
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    RawRequest {
        method: req.method().as_str().to_ascii_uppercase(),
        url,
        query,
        headers: req
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_ascii_lowercase(), v.to_str().ok()?.into())))
            .collect(),
        body: body.to_vec(),
    }
}

pub async fn hook(
    req: HttpRequest,
    st: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let raw = raw(&req, &st, &body);
    let token = token.into_inner();
    let services = st.services.clone();
    match services.receive_hook(token, raw).await {
        Ok(HookAnswer::Stored) => Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .finish()),
        Ok(HookAnswer::Challenge(c)) => Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(c)),
        Err(e) => {
            tracing::info!(error = %e, path = "/hooks/…", "a provider's webhook request was not taken");
            Err(e.into())
        }
    }
}

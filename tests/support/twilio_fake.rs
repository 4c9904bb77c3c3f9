//! A local Twilio, written from Twilio's public documentation: the REST endpoints
//! Charla calls (Messages.json create, the account fetch, media URLs answering a 307 to
//! storage), recording every request; scriptable errors in Twilio's error JSON; and
//! Twilio's side of webhooks: incoming messages and status callbacks, form-encoded and
//! signed with `X-Twilio-Signature` exactly as documented (its own HMAC-SHA1 here, not
//! Charla's, so the two are checked against each other).
#![allow(dead_code)]

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// One request Charla made to the fake.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body's form parameters, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_bytes(&self.body).unwrap_or_default()
    }
}

/// A message the fake accepted.
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub sid: String,
    pub params: Vec<(String, String)>,
}

impl SentMessage {
    /// The first value of a parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        first(&self.params, name)
    }

    /// Every value of a parameter (`MediaUrl` repeats).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn first<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// An error to answer instead of the next message create.
#[derive(Debug, Clone)]
struct Scripted {
    status: u16,
    code: u32,
    message: String,
    retry_after: Option<u64>,
}

#[derive(Default)]
struct State {
    account_sid: String,
    auth_token: String,
    base: String,
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Scripted>>,
    sent: Mutex<Vec<SentMessage>>,
    /// ME sid → (bytes, content type).
    media: Mutex<HashMap<String, (Vec<u8>, String)>>,
}

/// The running fake.
pub struct TwilioFake {
    /// `http://127.0.0.1:<port>`: the `api_base` to give Charla.
    pub base: String,
    pub account_sid: String,
    pub auth_token: String,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
}

/// A fresh Twilio-style SID: two letters and 32 hex digits.
pub fn new_sid(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

impl TwilioFake {
    /// Starts a fake for one account on 127.0.0.1, port 0.
    pub async fn start(account_sid: &str, auth_token: &str) -> TwilioFake {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            base: base.clone(),
            ..State::default()
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .default_service(web::to(handle))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        TwilioFake {
            base,
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            state,
            handle,
        }
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Every message accepted, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.state.sent.lock().unwrap().clone()
    }

    /// The next message create answers `status` with Twilio's error JSON for `code`.
    pub fn fail_next(&self, status: u16, code: u32, message: &str) {
        self.fail_next_after(status, code, message, None);
    }

    /// As [`TwilioFake::fail_next`], with a `Retry-After` header.
    pub fn fail_next_after(&self, status: u16, code: u32, message: &str, retry_after: Option<u64>) {
        self.state.script.lock().unwrap().push_back(Scripted {
            status,
            code,
            message: message.into(),
            retry_after,
        });
    }

    /// Stores a file as an inbound message's media; answers its `MediaUrl`.
    pub fn add_media(&self, bytes: &[u8], mime: &str) -> String {
        let me = new_sid("ME");
        self.state
            .media
            .lock()
            .unwrap()
            .insert(me.clone(), (bytes.to_vec(), mime.into()));
        format!(
            "{}/2010-04-01/Accounts/{}/Messages/{}/Media/{me}",
            self.base,
            self.account_sid,
            new_sid("MM")
        )
    }

    /// POSTs `params` to `url` signed as Twilio signs for this account.
    pub async fn post_webhook(&self, url: &str, params: &[(String, String)]) -> reqwest::Response {
        post_signed(url, &self.auth_token, params).await
    }

    /// Twilio's status callback for the accepted message `sid`, posted (signed) to the
    /// `StatusCallback` URL Charla gave with it. Panics when it gave none.
    pub async fn send_status(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<u32>,
    ) -> reqwest::Response {
        let msg = self
            .sent()
            .into_iter()
            .find(|m| m.sid == sid)
            .unwrap_or_else(|| panic!("the fake never accepted {sid}"));
        let url = msg
            .param("StatusCallback")
            .unwrap_or_else(|| panic!("{sid} was sent without a StatusCallback"))
            .to_string();
        let from = msg
            .param("From")
            .or(msg.param("MessagingServiceSid"))
            .unwrap_or("");
        let params = status_callback(
            &self.account_sid,
            sid,
            msg.param("To").unwrap_or(""),
            from,
            status,
            error_code,
        );
        self.post_webhook(&url, &params).await
    }
}

fn twilio_error(status: u16, code: u32, message: &str) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap()).json(json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}

fn rfc2822_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap()
}

async fn handle(req: HttpRequest, body: web::Bytes, s: web::Data<State>) -> HttpResponse {
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    s.requests.lock().unwrap().push(Recorded {
        method: req.method().to_string(),
        path: req.path().to_string(),
        query: req.query_string().to_string(),
        authorization: authorization.clone(),
        body: body.to_vec(),
    });
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", s.account_sid, s.auth_token))
    );
    let authed = authorization.as_deref() == Some(expected.as_str());
    let account = format!("/2010-04-01/Accounts/{}", s.account_sid);
    let path = req.path().to_string();
    let post = req.method() == actix_web::http::Method::POST;
    if let Some(me) = path.strip_prefix("/media-store/") {
        // Storage: no Twilio credentials here (they are not Twilio's to check).
        return match s.media.lock().unwrap().get(me) {
            Some((bytes, mime)) => HttpResponse::Ok()
                .content_type(mime.as_str())
                .body(bytes.clone()),
            None => HttpResponse::NotFound().body("NoSuchKey"),
        };
    }
    if path.starts_with("/2010-04-01/Accounts/") && !authed {
        // Media URLs are public unless the account enforces auth; a wrong one is refused.
        if !(path.contains("/Media/") && authorization.is_none()) {
            return twilio_error(401, 20003, "Authenticate");
        }
    }
    if path == format!("{account}.json") && !post {
        return HttpResponse::Ok().json(json!({
            "auth_token": "[Redacted]",
            "date_created": "Thu, 30 Jul 2015 20:00:00 +0000",
            "date_updated": "Thu, 30 Jul 2015 20:00:00 +0000",
            "friendly_name": "Fake Twilio account",
            "owner_account_sid": s.account_sid,
            "sid": s.account_sid,
            "status": "active",
            "type": "Full",
            "uri": format!("{account}.json"),
        }));
    }
    if path == format!("{account}/Messages.json") && post {
        return create_message(&s, &account, &body);
    }
    if let Some(rest) = path.strip_prefix(&format!("{account}/Messages/"))
        && let Some((_, me)) = rest.split_once("/Media/")
        && !post
    {
        if !s.media.lock().unwrap().contains_key(me) {
            return twilio_error(404, 20404, "The requested resource was not found");
        }
        return HttpResponse::TemporaryRedirect()
            .insert_header(("location", format!("{}/media-store/{me}", s.base)))
            .finish();
    }
    twilio_error(
        404,
        20404,
        &format!("The requested resource {path} was not found"),
    )
}

/// `POST Messages.json`: Twilio's checks, then the script, then a 201.
fn create_message(s: &State, account: &str, body: &[u8]) -> HttpResponse {
    let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return twilio_error(400, 20001, "Unable to parse the request");
    };
    let get = |n: &str| first(&params, n).filter(|v| !v.is_empty());
    let Some(to) = get("To") else {
        return twilio_error(400, 21604, "A 'To' phone number is required.");
    };
    if get("From").or(get("MessagingServiceSid")).is_none() {
        return twilio_error(400, 21603, "A 'From' phone number is required.");
    }
    let media = params.iter().filter(|(n, _)| n == "MediaUrl").count();
    if get("Body").is_none() && media == 0 && get("ContentSid").is_none() {
        return twilio_error(400, 21602, "Message body is required.");
    }
    if get("Body").is_some_and(|b| b.chars().count() > 1600) {
        return twilio_error(
            400,
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        );
    }
    if let Some(e) = s.script.lock().unwrap().pop_front() {
        let mut resp = twilio_error(e.status, e.code, &e.message);
        if let Some(after) = e.retry_after {
            resp.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                after.to_string().parse().unwrap(),
            );
        }
        return resp;
    }
    let sid = new_sid(if media > 0 { "MM" } else { "SM" });
    let now = rfc2822_now();
    let answer = json!({
        "account_sid": s.account_sid,
        "api_version": "2010-04-01",
        "body": get("Body").unwrap_or(""),
        "date_created": now,
        "date_sent": null,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": get("From"),
        "messaging_service_sid": get("MessagingServiceSid"),
        "num_media": media.to_string(),
        "num_segments": "1",
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": format!("{account}/Messages/{sid}/Media.json")},
        "to": to,
        "uri": format!("{account}/Messages/{sid}.json"),
    });
    s.sent.lock().unwrap().push(SentMessage {
        sid: sid.clone(),
        params: params.clone(),
    });
    HttpResponse::Created().json(answer)
}

// ---- Twilio's side of webhooks ----

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// An incoming SMS as Twilio posts it to the number's webhook.
pub fn inbound_sms(account_sid: &str, from: &str, to: &str, body: &str) -> Vec<(String, String)> {
    let sid = new_sid("SM");
    owned(&[
        ("ToCountry", "US"),
        ("ToState", "CA"),
        ("SmsMessageSid", &sid),
        ("NumMedia", "0"),
        ("ToCity", "SAN FRANCISCO"),
        ("FromZip", "94105"),
        ("SmsSid", &sid),
        ("FromState", "CA"),
        ("SmsStatus", "received"),
        ("FromCity", "SAN FRANCISCO"),
        ("Body", body),
        ("FromCountry", "US"),
        ("To", to),
        ("ToZip", "94105"),
        ("NumSegments", "1"),
        ("MessageSid", &sid),
        ("AccountSid", account_sid),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ])
}

/// An incoming WhatsApp message (numbers in E.164, without the `whatsapp:` prefix).
pub fn inbound_whatsapp(
    account_sid: &str,
    from: &str,
    to: &str,
    profile_name: &str,
    body: &str,
) -> Vec<(String, String)> {
    let sid = new_sid("SM");
    owned(&[
        ("SmsMessageSid", &sid),
        ("NumMedia", "0"),
        ("ProfileName", profile_name),
        ("MessageType", "text"),
        ("SmsSid", &sid),
        ("WaId", from.trim_start_matches('+')),
        ("SmsStatus", "received"),
        ("Body", body),
        ("To", &format!("whatsapp:{to}")),
        ("NumSegments", "1"),
        ("ReferralNumMedia", "0"),
        ("MessageSid", &sid),
        ("AccountSid", account_sid),
        ("From", &format!("whatsapp:{from}")),
        ("ApiVersion", "2010-04-01"),
    ])
}

/// Adds files (`MediaUrlN`, `MediaContentTypeN`, `NumMedia`) to an incoming message;
/// its SIDs become `MM…` as Twilio's are for messages with media.
pub fn with_media(
    mut params: Vec<(String, String)>,
    media: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mm = new_sid("MM");
    for (n, v) in params.iter_mut() {
        match n.as_str() {
            "NumMedia" => *v = media.len().to_string(),
            "MessageSid" | "SmsSid" | "SmsMessageSid" => *v = mm.clone(),
            _ => {}
        }
    }
    for (i, (url, mime)) in media.iter().enumerate() {
        params.push((format!("MediaContentType{i}"), mime.to_string()));
        params.push((format!("MediaUrl{i}"), url.to_string()));
    }
    params
}

/// A status callback for our message `sid` (To and From as on the message).
pub fn status_callback(
    account_sid: &str,
    sid: &str,
    to: &str,
    from: &str,
    status: &str,
    error_code: Option<u32>,
) -> Vec<(String, String)> {
    let mut p = Vec::new();
    if let Some(code) = error_code {
        p.push(("ErrorCode".to_string(), code.to_string()));
    }
    p.extend(owned(&[
        ("SmsSid", sid),
        ("SmsStatus", status),
        ("MessageStatus", status),
        ("To", to),
        ("MessageSid", sid),
        ("AccountSid", account_sid),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]));
    if to.starts_with("whatsapp:") {
        p.push(("ChannelPrefix".into(), "whatsapp".into()));
        p.push((
            "ChannelToAddress".into(),
            to.trim_start_matches("whatsapp:").into(),
        ));
    }
    p
}

/// Twilio's signature, as its "Webhooks security" page describes it: the full URL,
/// then each POST parameter's name and value sorted by name, HMAC-SHA1 with the auth
/// token, base64.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<_> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (n, v) in sorted {
        data.push_str(n);
        data.push_str(v);
    }
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        auth_token.as_bytes(),
    );
    base64::engine::general_purpose::STANDARD
        .encode(ring::hmac::sign(&key, data.as_bytes()).as_ref())
}

/// The body and `X-Twilio-Signature` of a webhook to `url`.
pub fn signed_form(auth_token: &str, url: &str, params: &[(String, String)]) -> (String, String) {
    (
        serde_urlencoded::to_string(params).unwrap(),
        sign(auth_token, url, params),
    )
}

/// POSTs a signed webhook as Twilio does.
pub async fn post_signed(
    url: &str,
    auth_token: &str,
    params: &[(String, String)],
) -> reqwest::Response {
    let (body, sig) = signed_form(auth_token, url, params);
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", sig)
        .header("user-agent", "TwilioProxy/1.1")
        .body(body)
        .send()
        .await
        .unwrap()
}

//! A fake Meta Graph API on 127.0.0.1, written from Meta's public documentation of the
//! WhatsApp Cloud API and the Messenger Platform: the phone-number and page probes,
//! `POST /{phone-number-id}/messages` and `POST /me/messages`, media ids that name a
//! URL whose bytes need the bearer token, Messenger's public attachment URLs and the
//! user profile. It records every request it gets, can be scripted to answer errors,
//! and builds notifications signed with the app secret exactly as Meta signs them.
// Helpers are used by several test files, not all by each.
#![allow(dead_code)]

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// The Graph version in the fake's base URL, as in Charla's default.
pub const VERSION: &str = "v21.0";
pub const WABA_ID: &str = "102290129340398";
pub const PHONE_NUMBER_ID: &str = "106540352242922";
pub const DISPLAY_NUMBER: &str = "+1 555-078-3881";
pub const VERIFIED_NAME: &str = "Lucky Shrub";
pub const ACCESS_TOKEN: &str = "EAAJB-fake-whatsapp-token";
pub const PAGE_ID: &str = "107124681722434";
pub const PAGE_NAME: &str = "Lucky Shrub Plants";
pub const PAGE_TOKEN: &str = "EAAG-fake-page-token";
pub const APP_SECRET: &str = "fake-meta-app-secret";
pub const VERIFY_TOKEN: &str = "fake-verify-token";

/// Which endpoint a request reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    WhatsAppSend,
    MessengerSend,
    /// `GET /{phone-number-id}` or `GET /{page-id}`.
    Probe,
    /// `GET /{media-id}`: the file's metadata and URL.
    MediaInfo,
    /// The media URL: the bytes, with the bearer token.
    MediaDownload,
    /// A Messenger attachment URL (public).
    MessengerFile,
    /// `GET /{psid}`.
    Profile,
    /// `GET /{WABA-ID}/message_templates`: the account's templates, a page at a time.
    TemplateList,
    Unknown,
}

/// One request Charla made.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub route: Route,
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    pub authorization: Option<String>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Default)]
struct State {
    origin: String,
    requests: Vec<Recorded>,
    scripts: HashMap<Route, VecDeque<(u16, Value)>>,
    media: HashMap<String, (String, Vec<u8>)>,
    files: HashMap<String, (String, Vec<u8>)>,
    profiles: HashMap<String, (String, String)>,
    fetched: Vec<Fetched>,
    next: u64,
    /// The WABA's templates as Graph lists them (`None`: [`default_templates`]).
    templates: Option<Vec<Value>>,
    /// Where `paging.next` points (`None`: the fake itself).
    next_origin: Option<String>,
}

/// Templates per page of `message_templates`, whatever `limit` asks (Graph may answer
/// fewer than asked; three makes the default list two pages).
pub const TEMPLATE_PAGE: usize = 3;

/// A WABA's templates in Graph's shape (Meta's "Get templates" documentation): three
/// approved (a text header with {{1}}, body with examples, footer, quick-reply, URL
/// with a {{1}} suffix and phone buttons; a document header; a plain body), one
/// pending and one rejected, over two pages.
pub fn default_templates() -> Vec<Value> {
    vec![
        json!({
            "name": "order_shipped", "language": "es", "status": "APPROVED",
            "category": "UTILITY", "parameter_format": "POSITIONAL", "id": "1502236480002",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Pedido {{1}}",
                 "example": {"header_text": ["48213"]}},
                {"type": "BODY", "text": "Hola {{1}}, tu pedido sale el {{2}}.",
                 "example": {"body_text": [["Lucía", "lunes"]]}},
                {"type": "FOOTER", "text": "Lucky Shrub"},
                {"type": "BUTTONS", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Gracias"},
                    {"type": "URL", "text": "Seguir el envío",
                     "url": "https://shop.example/track/{{1}}",
                     "example": ["https://shop.example/track/48213"]},
                    {"type": "PHONE_NUMBER", "text": "Llamar", "phone_number": "+34600111222"}
                ]}
            ]
        }),
        json!({
            "name": "summer_sale", "language": "es", "status": "PENDING",
            "category": "MARKETING", "id": "1502236480003",
            "components": [{"type": "BODY", "text": "¡Rebajas de verano!"}]
        }),
        json!({
            "name": "invoice_ready", "language": "en_US", "status": "APPROVED",
            "category": "UTILITY", "id": "1502236480004",
            "components": [
                {"type": "HEADER", "format": "DOCUMENT",
                 "example": {"header_handle": ["https://scontent.whatsapp.net/v/t61.29466-34/invoice.pdf"]}},
                {"type": "BODY", "text": "Your invoice {{1}} is ready.",
                 "example": {"body_text": [["INV-7"]]}}
            ]
        }),
        json!({
            "name": "win_back", "language": "es", "status": "REJECTED",
            "category": "MARKETING", "id": "1502236480005", "rejected_reason": "PROMOTIONAL",
            "components": [{"type": "BODY", "text": "Te echamos de menos"}]
        }),
        json!({
            "name": "welcome", "language": "es", "status": "APPROVED",
            "category": "UTILITY", "id": "1502236480006",
            "components": [{"type": "BODY", "text": "¡Bienvenida a Lucky Shrub!"}]
        }),
    ]
}

/// A file a send named by link, as the fake downloaded it (as Meta does).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub route: Route,
    /// The message type (`image`, `document`…; Messenger's attachment type).
    pub kind: String,
    pub url: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The MIME types the Cloud API sends for each media type (its "Supported media types").
fn whatsapp_types(kind: &str) -> &'static [&'static str] {
    match kind {
        "image" => &["image/jpeg", "image/png"],
        "audio" => &[
            "audio/aac",
            "audio/amr",
            "audio/mpeg",
            "audio/mp4",
            "audio/ogg",
        ],
        "video" => &["video/mp4", "video/3gpp"],
        "sticker" => &["image/webp"],
        "document" => &[
            "text/plain",
            "application/pdf",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ],
        _ => &[],
    }
}

/// The link a send names, with its type: WhatsApp's `{type: {link}}`, Messenger's
/// `attachment.payload.url`.
fn sent_link(route: Route, body: &[u8]) -> Option<(String, String)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    match route {
        Route::WhatsAppSend => {
            let kind = v["type"].as_str()?;
            let link = v[kind]["link"].as_str()?;
            Some((kind.to_string(), link.to_string()))
        }
        Route::MessengerSend => {
            let a = &v["message"]["attachment"];
            Some((
                a["type"].as_str()?.to_string(),
                a["payload"]["url"].as_str()?.to_string(),
            ))
        }
        _ => None,
    }
}

/// Downloads a sent link as Meta does, and checks it: WhatsApp takes only its
/// supported types (by the answer's `Content-Type`), Messenger files up to 25 MB.
async fn fetch_link(route: Route, kind: &str, url: &str) -> Result<Fetched, HttpResponse> {
    let failed = |what: &str| {
        HttpResponse::BadRequest().json(graph_error(131053, "Media upload error", Some(what)))
    };
    let resp = reqwest::Client::new()
        .get(url)
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .map_err(|_| failed("the media URL could not be downloaded"))?;
    if !resp.status().is_success() {
        return Err(failed(&format!(
            "downloading the media URL answered HTTP {}",
            resp.status().as_u16()
        )));
    }
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let bytes = resp
        .bytes()
        .await
        .map_err(|_| failed("the download broke off"))?
        .to_vec();
    if route == Route::WhatsAppSend && !whatsapp_types(kind).contains(&content_type.as_str()) {
        return Err(failed(&format!(
            "Param {kind} has unsupported mime type {content_type}"
        )));
    }
    if route == Route::MessengerSend && bytes.len() > 25 * 1024 * 1024 {
        return Err(bad_parameter("the attachment is larger than 25 MB"));
    }
    Ok(Fetched {
        route,
        kind: kind.to_string(),
        url: url.to_string(),
        content_type,
        bytes,
    })
}

type Shared = Arc<Mutex<State>>;

/// The running fake.
pub struct MetaFake {
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    /// What to set as an inbox's `api_base`: the origin and the version.
    pub api_base: String,
    state: Shared,
    handle: actix_web::dev::ServerHandle,
}

/// `sha256=<hex HMAC-SHA256>` of `body` keyed with `secret`, as `X-Hub-Signature-256`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Graph's error body.
pub fn graph_error(code: i64, message: &str, details: Option<&str>) -> Value {
    let mut e = json!({
        "message": format!("(#{code}) {message}"),
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AFakeTraceId",
    });
    if let Some(d) = details {
        e["error_data"] = json!({"messaging_product": "whatsapp", "details": d});
    }
    json!({ "error": e })
}

fn token_refused() -> HttpResponse {
    HttpResponse::Unauthorized().json(json!({"error": {
        "message": "Invalid OAuth access token - Cannot parse access token",
        "type": "OAuthException", "code": 190, "fbtrace_id": "AFakeTraceId"}}))
}

fn bad_parameter(what: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(graph_error(100, "Invalid parameter", Some(what)))
}

fn token_of(req: &HttpRequest) -> Option<String> {
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    bearer.or_else(|| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .ok()?
            .into_iter()
            .find(|(n, _)| n == "access_token")
            .map(|(_, v)| v)
    })
}

impl State {
    fn route(&self, method: &str, path: &str) -> Route {
        let graph = format!("/{VERSION}/");
        if let Some(rest) = path.strip_prefix(&graph) {
            let seg: Vec<&str> = rest.split('/').collect();
            return match (method, seg.as_slice()) {
                ("POST", [id, "messages"]) if *id == PHONE_NUMBER_ID => Route::WhatsAppSend,
                ("POST", [id, "messages"]) if *id == "me" || *id == PAGE_ID => Route::MessengerSend,
                ("GET", [id]) if *id == PHONE_NUMBER_ID || *id == PAGE_ID => Route::Probe,
                ("GET", [id]) if self.media.contains_key(*id) => Route::MediaInfo,
                ("GET", [id]) if self.profiles.contains_key(*id) => Route::Profile,
                ("GET", [id, "message_templates"]) if *id == WABA_ID => Route::TemplateList,
                _ => Route::Unknown,
            };
        }
        if method == "GET" && path == "/whatsapp_business/attachments/" {
            return Route::MediaDownload;
        }
        if method == "GET" && path.starts_with("/messenger-cdn/") {
            return Route::MessengerFile;
        }
        Route::Unknown
    }
}

async fn graph(req: HttpRequest, body: web::Bytes, state: web::Data<Shared>) -> HttpResponse {
    let method = req.method().as_str().to_string();
    let path = req.path().to_string();
    let route = state.lock().unwrap().route(&method, &path);
    // A file by link is downloaded before the send is answered (outside the lock).
    let fetched = match sent_link(route, &body) {
        Some((kind, url)) => Some(fetch_link(route, &kind, &url).await),
        None => None,
    };
    let mut st = state.lock().unwrap();
    st.requests.push(Recorded {
        route,
        method: method.clone(),
        path: req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or(path.clone()),
        authorization: req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: body.to_vec(),
    });
    if let Some((status, answer)) = st.scripts.get_mut(&route).and_then(VecDeque::pop_front) {
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .json(answer);
    }
    match fetched {
        Some(Ok(f)) => st.fetched.push(f),
        Some(Err(refused)) => return refused,
        None => {}
    }
    let token = token_of(&req);
    let wa_ok = token.as_deref() == Some(ACCESS_TOKEN);
    let page_ok = token.as_deref() == Some(PAGE_TOKEN);
    let query: HashMap<String, String> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    match route {
        Route::WhatsAppSend if !wa_ok => token_refused(),
        Route::WhatsAppSend => whatsapp_send(&mut st, &body),
        Route::MessengerSend if !page_ok => token_refused(),
        Route::MessengerSend => messenger_send(&mut st, &body),
        Route::Probe if path.ends_with(PHONE_NUMBER_ID) && !wa_ok => token_refused(),
        Route::Probe if path.ends_with(PHONE_NUMBER_ID) => HttpResponse::Ok().json(json!({
            "verified_name": VERIFIED_NAME,
            "display_phone_number": DISPLAY_NUMBER,
            "id": PHONE_NUMBER_ID,
        })),
        Route::Probe if !page_ok => token_refused(),
        Route::Probe => HttpResponse::Ok().json(json!({"name": PAGE_NAME, "id": PAGE_ID})),
        Route::MediaInfo if !wa_ok => token_refused(),
        Route::MediaInfo => {
            let id = path.rsplit('/').next().unwrap_or_default();
            let (mime, bytes) = &st.media[id];
            HttpResponse::Ok().json(json!({
                "messaging_product": "whatsapp",
                "url": format!("{}/whatsapp_business/attachments/?mid={id}&ext=1&hash=fake", st.origin),
                "mime_type": mime,
                "sha256": hex::encode(Sha256::digest(bytes)),
                "file_size": bytes.len(),
                "id": id,
            }))
        }
        // Meta's media URLs answer 401 without the token.
        Route::MediaDownload if !wa_ok => HttpResponse::Unauthorized().finish(),
        Route::MediaDownload => match query.get("mid").and_then(|m| st.media.get(m)) {
            Some((mime, bytes)) => HttpResponse::Ok()
                .content_type(mime.as_str())
                .body(bytes.clone()),
            None => HttpResponse::NotFound().finish(),
        },
        Route::MessengerFile => match st.files.get(&path) {
            Some((mime, bytes)) => HttpResponse::Ok()
                .content_type(mime.as_str())
                .body(bytes.clone()),
            None => HttpResponse::NotFound().finish(),
        },
        Route::Profile if !page_ok => token_refused(),
        Route::Profile => {
            let psid = path.rsplit('/').next().unwrap_or_default();
            let (first, last) = &st.profiles[psid];
            HttpResponse::Ok().json(json!({"first_name": first, "last_name": last, "id": psid}))
        }
        Route::TemplateList if !wa_ok => token_refused(),
        Route::TemplateList => template_page(&st, &query),
        Route::Unknown => HttpResponse::BadRequest().json(json!({"error": {
            "message": "Unsupported get request. Object does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
            "type": "GraphMethodException", "code": 100, "error_subcode": 33,
            "fbtrace_id": "AFakeTraceId"}})),
    }
}

fn whatsapp_send(st: &mut State, body: &[u8]) -> HttpResponse {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return bad_parameter("the body is not JSON");
    };
    if v["messaging_product"] != "whatsapp" {
        return bad_parameter("messaging_product must be whatsapp");
    }
    let to = v["to"].as_str().unwrap_or("").to_string();
    if to.is_empty() {
        return bad_parameter("to is required");
    }
    let kind = v["type"].as_str().unwrap_or("text");
    let obj = &v[kind];
    let valid = match kind {
        "text" => obj["body"].as_str().is_some_and(|b| !b.is_empty()),
        // A caption only on images, videos and documents; a filename only on documents.
        "image" | "audio" | "video" | "document" | "sticker" => {
            (obj["link"].is_string() || obj["id"].is_string())
                && (obj.get("caption").is_none() || matches!(kind, "image" | "video" | "document"))
                && (obj.get("filename").is_none() || kind == "document")
        }
        "template" => {
            obj["name"].is_string()
                && obj["language"]["code"].is_string()
                && template_components_valid(&obj["components"])
        }
        _ => false,
    };
    if !valid {
        return bad_parameter(&format!("a {kind} message needs its {kind} object"));
    }
    st.next += 1;
    let wa_id = to.trim_start_matches('+').to_string();
    HttpResponse::Ok().json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": wa_id}],
        "messages": [{"id": format!("wamid.FAKE{:06}", st.next), "message_status": "accepted"}],
    }))
}

/// A template's `components` as the Cloud API takes them: absent, or a list of
/// `header` (one media or text parameter), `body` (text parameters) and `button`
/// components (with `sub_type` and `index`).
fn template_components_valid(c: &Value) -> bool {
    let Some(list) = c.as_array() else {
        return c.is_null();
    };
    list.iter().all(|comp| {
        let params = comp["parameters"].as_array();
        match comp["type"].as_str() {
            Some("header") => params.is_some_and(|p| {
                p.len() == 1
                    && match p[0]["type"].as_str() {
                        Some("text") => p[0]["text"].is_string(),
                        Some(k @ ("image" | "document" | "video")) => {
                            p[0][k]["link"].is_string() || p[0][k]["id"].is_string()
                        }
                        _ => false,
                    }
            }),
            Some("body") => params.is_some_and(|p| {
                p.iter().all(|x| {
                    x["type"] == "text" && x["text"].as_str().is_some_and(|t| !t.is_empty())
                })
            }),
            // A URL button's {{1}} suffix: `sub_type: url`, its `index` as a string of
            // digits, one text parameter; a quick reply's payload likewise.
            Some("button") => {
                let index = comp["index"]
                    .as_str()
                    .is_some_and(|i| !i.is_empty() && i.chars().all(|c| c.is_ascii_digit()));
                let one = params.filter(|p| p.len() == 1).map(|p| &p[0]);
                index
                    && match comp["sub_type"].as_str() {
                        Some("url") => one.is_some_and(|p| {
                            p["type"] == "text" && p["text"].as_str().is_some_and(|t| !t.is_empty())
                        }),
                        Some("quick_reply") => {
                            one.is_some_and(|p| p["type"] == "payload" && p["payload"].is_string())
                        }
                        _ => false,
                    }
            }
            _ => false,
        }
    })
}

/// One page of `message_templates`: `data`, and `paging` with `cursors` and, when
/// there are more, `next` (the same query with `after`), as Graph pages its lists.
fn template_page(st: &State, query: &HashMap<String, String>) -> HttpResponse {
    let all = st.templates.clone().unwrap_or_else(default_templates);
    let start = match query.get("after") {
        None => 0,
        Some(c) => match c
            .strip_prefix("QVFIU")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) if n <= all.len() => n,
            _ => return bad_parameter("after is not a cursor of this list"),
        },
    };
    let end = (start + TEMPLATE_PAGE).min(all.len());
    let cursor = |n: usize| format!("QVFIU{n}");
    let mut paging = json!({"cursors": {"before": cursor(start), "after": cursor(end)}});
    if end < all.len() {
        let origin = st.next_origin.clone().unwrap_or_else(|| st.origin.clone());
        let mut q: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "after")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        q.sort();
        q.push(("after".into(), cursor(end)));
        paging["next"] = json!(format!(
            "{origin}/{VERSION}/{WABA_ID}/message_templates?{}",
            serde_urlencoded::to_string(&q).unwrap()
        ));
    }
    HttpResponse::Ok().json(json!({"data": all[start..end], "paging": paging}))
}

fn messenger_send(st: &mut State, body: &[u8]) -> HttpResponse {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return bad_parameter("the body is not JSON");
    };
    let Some(psid) = v["recipient"]["id"].as_str() else {
        return bad_parameter("recipient.id is required");
    };
    match v["messaging_type"].as_str() {
        Some("RESPONSE") | Some("UPDATE") => {}
        Some("MESSAGE_TAG") if v["tag"].is_string() => {}
        _ => return bad_parameter("messaging_type (and tag for MESSAGE_TAG) is required"),
    }
    let m = &v["message"];
    let text = m["text"].as_str().is_some_and(|t| !t.is_empty());
    let a = &m["attachment"];
    let file = matches!(
        a["type"].as_str(),
        Some("image" | "audio" | "video" | "file")
    ) && a["payload"]["url"].is_string()
        && a["payload"]["is_reusable"].is_boolean();
    if text == file {
        return bad_parameter("message needs text or one attachment");
    }
    st.next += 1;
    HttpResponse::Ok().json(json!({
        "recipient_id": psid,
        "message_id": format!("m_FAKE{:06}", st.next),
    }))
}

impl MetaFake {
    /// Starts the fake on 127.0.0.1 and a free port, in the test's runtime.
    pub async fn start() -> MetaFake {
        let state: Shared = Arc::default();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(graph))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap();
        let origin = format!("http://{}", server.addrs()[0]);
        state.lock().unwrap().origin = origin.clone();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        MetaFake {
            api_base: format!("{origin}/{VERSION}"),
            origin,
            state,
            handle,
        }
    }

    /// Stops the server (a provider that is down).
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    /// WhatsApp settings that point at the fake.
    pub fn whatsapp_config(&self) -> charla::channels::whatsapp::Config {
        charla::channels::whatsapp::Config {
            phone_number_id: PHONE_NUMBER_ID.into(),
            access_token: ACCESS_TOKEN.into(),
            app_secret: APP_SECRET.into(),
            verify_token: VERIFY_TOKEN.into(),
            api_base: self.api_base.clone(),
        }
    }

    /// Messenger settings that point at the fake.
    pub fn messenger_config(&self, human_agent_tag: bool) -> charla::channels::messenger::Config {
        charla::channels::messenger::Config {
            page_id: PAGE_ID.into(),
            page_access_token: PAGE_TOKEN.into(),
            app_secret: APP_SECRET.into(),
            verify_token: VERIFY_TOKEN.into(),
            human_agent_tag,
            api_base: self.api_base.clone(),
        }
    }

    /// The next request to `route` is answered `status` with `body` (in order, once
    /// each), whatever it asked; then the fake behaves again.
    pub fn script(&self, route: Route, status: u16, body: Value) {
        let mut st = self.state.lock().unwrap();
        st.scripts
            .entry(route)
            .or_default()
            .push_back((status, body));
    }

    /// The WABA's template list, replacing [`default_templates`].
    pub fn set_templates(&self, templates: Vec<Value>) {
        self.state.lock().unwrap().templates = Some(templates);
    }

    /// `paging.next` points at `origin` instead of the fake (a host the token must
    /// never reach).
    pub fn set_next_origin(&self, origin: &str) {
        self.state.lock().unwrap().next_origin = Some(origin.to_string());
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The requests that reached `route`.
    pub fn requests_to(&self, route: Route) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.route == route)
            .collect()
    }

    /// The files sends named by link, as the fake downloaded them, in order.
    pub fn fetched(&self) -> Vec<Fetched> {
        self.state.lock().unwrap().fetched.clone()
    }

    /// A file a WhatsApp user sent: its media id.
    pub fn add_media(&self, bytes: &[u8], mime: &str) -> String {
        let mut st = self.state.lock().unwrap();
        st.next += 1;
        let id = format!("{}", 1_003_383_421_000_000u64 + st.next);
        st.media
            .insert(id.clone(), (mime.to_string(), bytes.to_vec()));
        id
    }

    /// A file a Messenger user sent: its public URL.
    pub fn add_messenger_file(&self, bytes: &[u8], mime: &str) -> String {
        let mut st = self.state.lock().unwrap();
        st.next += 1;
        let path = format!("/messenger-cdn/{}", st.next);
        st.files
            .insert(path.clone(), (mime.to_string(), bytes.to_vec()));
        format!("{}{path}", st.origin)
    }

    /// A Messenger user's profile.
    pub fn add_profile(&self, psid: &str, first: &str, last: &str) {
        let mut st = self.state.lock().unwrap();
        st.profiles
            .insert(psid.to_string(), (first.to_string(), last.to_string()));
    }

    /// The handshake's query string, as Meta sends it.
    pub fn handshake_query(token: &str, challenge: &str) -> String {
        serde_urlencoded::to_string([
            ("hub.mode", "subscribe"),
            ("hub.challenge", challenge),
            ("hub.verify_token", token),
        ])
        .unwrap()
    }
}

#[path = "meta_notifications.rs"]
mod notifications;
pub use notifications::*;

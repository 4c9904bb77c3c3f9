//! The website chat widget's public endpoints, used from customers' sites (other
//! origins): the script and stylesheet, the config (CORS for allowed origins only) and
//! the visitor's WebSocket (Origin checked before the upgrade). No cookies anywhere.
//! The frames are described in docs/widget-protocol.md.

use crate::domain::message::DeliveryStatus;
use crate::service::widget::{HISTORY, Identity, IdentityCheck, Visitor, WidgetMessage};
use crate::service::{Live, ServiceError, Services};
use crate::web::AppState;
use crate::web::assets;
use crate::web::error::ApiError;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, Session};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest frame a widget may send.
const MAX_FRAME: usize = 64 * 1024;
/// The widget pings every 25 s, but background tabs throttle timers to about once a
/// minute: a socket silent for this long is closed.
const IDLE: Duration = Duration::from_secs(120);
/// How long a new socket may take to say hello.
const HELLO_WITHIN: Duration = Duration::from_secs(10);

/// `GET /widget/{file}`: `charla.js` and `charla.css`, for any site.
pub async fn widget_file(req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    let file = file.into_inner();
    if file != "charla.js" && file != "charla.css" {
        return crate::web::handlers::health::not_found(req).await;
    }
    let mut resp = assets::serve_path(req, format!("widget/{file}")).await;
    resp.headers_mut().insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        header::HeaderValue::from_static("cross-origin"),
    );
    resp
}

fn origin(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
}

fn forbidden_origin() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::FORBIDDEN,
        "forbidden_origin",
        "this site is not allowed to use this chat widget (see the inbox's allowed origins)",
    )
}

/// `GET /widget/v1/{key}/config`.
pub async fn widget_config(
    req: HttpRequest,
    st: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let inbox = st.services.looked_up(|s| s.website_inbox(&key)).await?;
    let origin = origin(&req).map(str::to_string);
    if let Some(o) = &origin
        && !Services::widget_origin_allowed(&inbox, o)
    {
        return Err(forbidden_origin());
    }
    let c = st.services.widget_config(&inbox)?;
    // The visitor's language: their browser's (what their contact learns), else the
    // inbox's, else the installation's.
    let l = st.services.widget_l10n(&inbox, browser_lang(&req));
    let mut resp = HttpResponse::Ok();
    resp.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Origin, Accept-Language"));
    if let Some(o) = origin {
        resp.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, o));
    }
    Ok(resp.json(json!({
        "name": c.name,
        "greeting": c.settings.greeting,
        "color": c.settings.color,
        "prechat": c.settings.prechat.as_str(),
        "agent": c.agent.map(|(name, initials)| json!({"name": name, "initials": initials})),
        "agents_online": c.agents_online,
        "max_chars": c.max_chars,
        "files": files_json(&st.services, &inbox),
        "lang": l.code(),
        "text": widget_text(&l),
    })))
}

/// The first language of the request's `Accept-Language` that the catalogs have.
fn browser_lang(req: &HttpRequest) -> Option<crate::i18n::Lang> {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::i18n::from_accept_language)
}

/// The widget's words in the visitor's language. `{name}` and `{n}` are filled in by
/// the widget (an agent's name, a count of unread messages).
fn widget_text(l: &crate::i18n::L10n) -> Value {
    json!({
        "open": l.t("widget-open"),
        "close": l.t("widget-close"),
        "online": l.t("widget-online"),
        "away": l.t("widget-away"),
        "re": l.t("widget-reconnecting"),
        "ph": l.t("widget-placeholder"),
        "send": l.t("widget-send"),
        "retry": l.t("widget-retry"),
        "sending": l.t("widget-sending"),
        "sent": l.t("widget-sent"),
        "delivered": l.t("widget-delivered"),
        "read": l.t("widget-read"),
        "failed": l.t("widget-failed"),
        "typing": l.t1("widget-typing", "name", "{name}"),
        "agent": l.t("widget-agent"),
        "unread": l.t1("widget-open-unread", "count", "{n}"),
        "list": l.t("widget-messages"),
        "msg": l.t("widget-message"),
        "pre": l.t("widget-prechat"),
        "name": l.t("widget-name"),
        "email": l.t("widget-email"),
        "opt": l.t("widget-optional"),
        "start": l.t("widget-start"),
        "skip": l.t("widget-skip"),
        "chat": l.t("widget-chat"),
        "attach": l.t("widgetfiles-attach"),
        "drop": l.t("widgetfiles-drop"),
        "uploading": l.t("widgetfiles-uploading"),
        "remove": l.t1("widgetfiles-remove", "name", "{name}"),
        "download": l.t1("widgetfiles-download", "name", "{name}"),
        "image": l.t("widgetfiles-image"),
        "too_large": l.t2("upload-too-large", "name", "{name}", "limit", "{limit}"),
        "upload_failed": l.t2("upload-failed", "name", "{name}", "reason", "{reason}"),
        "network": l.t("widgetfiles-network"),
    })
}

/// Whether visitors may send files, and how large.
fn files_json(s: &Services, inbox: &crate::domain::Inbox) -> Value {
    json!({
        "on": !inbox.website.as_ref().is_some_and(|w| w.visitor_files_off),
        "max_bytes": s.widget_upload_limit(),
    })
}

/// `GET /widget/v1/{key}/socket`: the visitor's WebSocket.
pub async fn widget_socket(
    req: HttpRequest,
    body: web::Payload,
    st: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    let inbox = st
        .services
        .looked_up(|s| s.website_inbox(&key))
        .await
        .map_err(ApiError::from)?;
    // Browsers always send Origin on a WebSocket; anything else is not a widget.
    match origin(&req) {
        Some(o) if Services::widget_origin_allowed(&inbox, o) => {}
        _ => return Err(forbidden_origin().into()),
    }
    let ip = crate::web::client_ip::client_ip(&req, &st.settings.trusted_proxies);
    let lang = browser_lang(&req);
    let l10n = st.services.widget_l10n(&inbox, lang);
    let (resp, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream
        .max_frame_size(MAX_FRAME)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME);
    let services = st.services.clone();
    let open_guard = services.metrics.widget_opened();
    actix_web::rt::spawn(async move {
        let _open = open_guard;
        let mut socket = Socket {
            services,
            session,
            ip,
            lang,
            l10n,
            known: HashMap::new(),
            key: key.into_inner(),
        };
        socket.run(inbox, stream).await;
    });
    Ok(resp)
}

#[derive(Deserialize)]
struct IdentityIn {
    #[serde(default)]
    identifier: String,
    email: Option<String>,
    name: Option<String>,
    #[serde(default)]
    hash: String,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Frame {
    Hello {
        token: Option<String>,
        cursor: Option<String>,
        identity: Option<IdentityIn>,
    },
    Send {
        client_id: String,
        content: String,
        /// Uploads sent with it (the `id`s the upload endpoint answered).
        #[serde(default)]
        files: Vec<String>,
    },
    Prechat {
        name: Option<String>,
        email: Option<String>,
    },
    Typing {
        active: bool,
    },
    Receipt {
        status: String,
        ids: Vec<String>,
    },
    Ping,
}

/// A message for the widget; its files' `url`s are under the inbox's `key`.
fn msg_json(m: &WidgetMessage, key: &str) -> Value {
    let files: Vec<Value> = m
        .files
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "name": f.name,
                "mime": f.mime,
                "size": f.size,
                "kind": f.kind,
                "url": format!("/widget/v1/{key}/files/{}", f.id),
            })
        })
        .collect();
    json!({
        "files": files,
        "id": m.id,
        "from": if m.from_agent { "agent" } else { "visitor" },
        "author": m.author,
        "content": m.content,
        "at": crate::web_time(m.at),
        "status": m.status.as_str(),
        "cursor": m.cursor,
        "client_id": m.client_id,
        "html": m.html,
    })
}

fn error_code(e: &ServiceError) -> &'static str {
    match e {
        ServiceError::TooLong(_) => "too_long",
        ServiceError::RateLimited { .. } => "rate_limited",
        ServiceError::Invalid(_) => "invalid",
        _ => "internal",
    }
}

struct Socket {
    services: Arc<Services>,
    session: Session,
    ip: String,
    /// The visitor's browser language, learnt as their contact's at their first message.
    lang: Option<crate::i18n::Lang>,
    /// The widget's language, for the refusals the visitor reads.
    l10n: crate::i18n::L10n,
    /// Messages this widget has, with the status it was last told.
    known: HashMap<String, DeliveryStatus>,
    /// The inbox's public key (the files' URLs).
    key: String,
}

impl Socket {
    /// A refusal in the visitor's words.
    fn say(&self, e: ServiceError) -> String {
        crate::web::handlers::say(&self.l10n, e)
    }

    async fn send(&mut self, v: Value) -> bool {
        self.session.text(v.to_string()).await.is_ok()
    }

    async fn run(
        &mut self,
        inbox: crate::domain::Inbox,
        mut stream: actix_ws::AggregatedMessageStream,
    ) {
        let first = tokio::time::timeout(HELLO_WITHIN, stream.recv()).await;
        let Ok(Some(Ok(AggregatedMessage::Text(text)))) = first else {
            let _ = self.session.clone().close(None).await;
            return;
        };
        let Ok(Frame::Hello {
            token,
            cursor,
            identity,
        }) = serde_json::from_str::<Frame>(&text)
        else {
            self.send(json!({"type": "error", "code": "invalid", "message": "the first frame must be hello"}))
                .await;
            let _ = self.session.clone().close(None).await;
            return;
        };
        let identity = identity.map(|i| Identity {
            identifier: i.identifier,
            email: i.email,
            name: i.name,
            hash: i.hash,
        });
        let s = self.services.clone();
        let i = inbox.clone();
        let hello = s
            .blocking(move |s| s.widget_hello(&i, token.as_deref(), identity.as_ref()))
            .await;
        let (mut visitor, check) = match hello {
            Ok((v, check)) => (
                Visitor {
                    language: self.lang,
                    ..v
                },
                check,
            ),
            Err(e) => {
                tracing::warn!(error = %e, "widget hello failed");
                let _ = self.session.clone().close(None).await;
                return;
            }
        };
        if check == IdentityCheck::Rejected {
            self.send(json!({"type": "error", "code": "identity_rejected", "message": "the identity's hash does not match; chatting anonymously"}))
                .await;
        }
        let v = visitor.clone();
        let messages = s
            .blocking(move |s| s.widget_messages(&v, cursor.as_deref(), HISTORY))
            .await
            .unwrap_or_default();
        for m in &messages {
            self.known.insert(m.id.clone(), m.status);
        }
        let mut agents_online = s
            .widget_config(&inbox)
            .map(|c| c.agents_online)
            .unwrap_or(false);
        let key = self.key.clone();
        let welcome = json!({
            "type": "welcome",
            "token": visitor.token,
            "session": s.widget_session(&visitor).ok(),
            "files": files_json(&s, &inbox),
            "visitor": {"name": visitor.name, "email": visitor.email},
            "messages": messages.iter().map(|m| msg_json(m, &key)).collect::<Vec<_>>(),
            "cursor": messages.last().map(|m| m.cursor.clone()),
            "agents_online": agents_online,
            "max_chars": s.settings.max_message_chars,
        });
        if !self.send(welcome).await {
            return;
        }
        let mut presence = visitor
            .conversation
            .map(|c| s.live.visitor_connect(inbox.id, c));
        let mut rx = s.live.subscribe();
        let mut last_heard = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(15));
        loop {
            tokio::select! {
                _ = s.shutdown.cancelled() => break,
                _ = tick.tick() => {
                    if last_heard.elapsed() > IDLE {
                        break;
                    }
                }
                frame = stream.recv() => {
                    last_heard = Instant::now();
                    match frame {
                        Some(Ok(AggregatedMessage::Text(t))) => {
                            if !self.frame(&mut visitor, &t).await {
                                break;
                            }
                            if presence.is_none() && let Some(c) = visitor.conversation {
                                presence = Some(s.live.visitor_connect(inbox.id, c));
                            }
                        }
                        Some(Ok(AggregatedMessage::Ping(b))) => {
                            if self.session.pong(&b).await.is_err() {
                                break;
                            }
                        }
                        Some(Ok(AggregatedMessage::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => {}
                    }
                }
                ev = rx.recv() => {
                    let ok = match ev {
                        Ok(Live::Conversation { id, .. }) if Some(id) == visitor.conversation => self.push_updates(&visitor).await,
                        Ok(Live::Typing { id, agent: Some(name), active, .. }) if Some(id) == visitor.conversation => {
                            self.send(json!({"type": "typing", "active": active, "agent": name})).await
                        }
                        Ok(Live::Presence) => {
                            let now = s.widget_config(&inbox).map(|c| c.agents_online).unwrap_or(false);
                            if now != agents_online {
                                agents_online = now;
                                self.send(json!({"type": "presence", "agents_online": now})).await
                            } else {
                                true
                            }
                        }
                        Ok(Live::Resync) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => self.push_updates(&visitor).await,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => false,
                        Ok(_) => true,
                    };
                    if !ok {
                        break;
                    }
                }
            }
        }
        drop(presence);
        let _ = self.session.clone().close(None).await;
    }

    /// Sends what changed in the visitor's conversation: new messages, new statuses.
    async fn push_updates(&mut self, visitor: &Visitor) -> bool {
        let v = visitor.clone();
        let found = self
            .services
            .blocking(move |s| s.widget_messages(&v, None, 20))
            .await;
        let Ok(messages) = found else {
            return true;
        };
        for m in &messages {
            let frame = match self.known.get(&m.id) {
                None => json!({"type": "message", "message": msg_json(m, &self.key)}),
                Some(st) if *st != m.status => {
                    json!({"type": "status", "id": m.id, "status": m.status.as_str()})
                }
                Some(_) => continue,
            };
            self.known.insert(m.id.clone(), m.status);
            if !self.send(frame).await {
                return false;
            }
        }
        true
    }

    /// Handles one frame after hello; false when the socket should close.
    async fn frame(&mut self, visitor: &mut Visitor, text: &str) -> bool {
        let s = self.services.clone();
        let frame = match serde_json::from_str::<Frame>(text) {
            Ok(f) => f,
            Err(e) => {
                return self
                    .send(json!({"type": "error", "code": "invalid", "message": format!("unreadable frame: {e}")}))
                    .await;
            }
        };
        match frame {
            Frame::Hello { .. } => {
                self.send(json!({"type": "error", "code": "invalid", "message": "hello was already sent"}))
                    .await
            }
            Frame::Ping => self.send(json!({"type": "pong"})).await,
            Frame::Send {
                client_id,
                content,
                files,
            } => {
                let (mut v, ip, id) = (visitor.clone(), self.ip.clone(), client_id.clone());
                let (sent, v) = s
                    .blocking_async(move |s| async move {
                        let sent = s.widget_send(&mut v, &ip, &id, &content, &files).await;
                        (sent, v)
                    })
                    .await;
                *visitor = v;
                match sent {
                    Ok(m) => {
                        self.known.insert(m.id.clone(), m.status);
                        self.send(json!({"type": "ack", "client_id": client_id, "message": msg_json(&m, &self.key)}))
                            .await
                    }
                    Err(e) => {
                        self.send(json!({"type": "error", "code": error_code(&e), "message": self.say(e), "client_id": client_id}))
                            .await
                    }
                }
            }
            Frame::Prechat { name, email } => {
                let mut v = visitor.clone();
                let (done, v) = s
                    .blocking_async(move |s| async move {
                        let done = s
                            .widget_prechat(&mut v, name.as_deref(), email.as_deref())
                            .await;
                        (done, v)
                    })
                    .await;
                *visitor = v;
                match done {
                    Ok(()) => true,
                    Err(e) => {
                        self.send(json!({"type": "error", "code": error_code(&e), "message": self.say(e)}))
                            .await
                    }
                }
            }
            Frame::Typing { active } => {
                s.widget_typing(visitor, active);
                true
            }
            Frame::Receipt { status, ids } => {
                let status = match status.as_str() {
                    "delivered" => DeliveryStatus::Delivered,
                    "read" => DeliveryStatus::Read,
                    _ => return true,
                };
                let ids: Vec<String> = ids.into_iter().take(200).collect();
                let v = visitor.clone();
                let changed = s
                    .blocking_async(move |s| async move { s.widget_receipt(&v, status, &ids).await })
                    .await;
                if let Ok(changed) = changed {
                    for m in changed {
                        self.known.insert(m.id.clone(), m.status);
                    }
                }
                true
            }
        }
    }
}

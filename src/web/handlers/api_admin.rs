//! Admin API: agents, teams and inboxes. Same permissions as the admin pages.

use crate::domain::validate::Invalid;
use crate::domain::{AgentId, ChannelKind, InboxId, Role, TeamId};
use crate::service::{EmailInput, InboxInput, ServerInput, ServiceError};
use crate::web::AppState;
use crate::web::auth::ApiAgent;
use crate::web::error::ApiError;
use crate::web::json::{Json, agent_json};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

type R = Result<HttpResponse, ApiError>;

pub(super) fn invalid(field: &'static str, reason: &str) -> ApiError {
    ApiError::from(crate::service::ServiceError::Invalid(Invalid {
        field,
        reason: reason.into(),
    }))
}

fn role(s: &str) -> Result<Role, ApiError> {
    match s {
        "admin" => Ok(Role::Admin),
        "agent" => Ok(Role::Agent),
        _ => Err(invalid("role", "must be admin or agent")),
    }
}

fn ids<T>(v: &[u64], f: impl Fn(u64) -> T) -> Vec<T> {
    v.iter().map(|&n| f(n)).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    name: String,
    email: String,
    #[serde(default = "default_role")]
    role: String,
    password: Option<String>,
}

fn default_role() -> String {
    "agent".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentPatch {
    name: Option<String>,
    email: Option<String>,
    role: Option<String>,
    active: Option<bool>,
}

pub async fn agents_index(ApiAgent(me): ApiAgent, st: web::Data<AppState>) -> R {
    let agents = st.services.blocking(move |s| s.agents(&me)).await?;
    Ok(HttpResponse::Ok()
        .json(json!({"agents": agents.iter().map(agent_json).collect::<Vec<_>>()})))
}

pub async fn agents_create(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    Json(b): Json<NewAgent>,
) -> R {
    let role = role(&b.role)?;
    let (agent, invite) = st
        .services
        .blocking_async(move |s| async move {
            s.create_agent(&me, &b.name, &b.email, role, b.password.as_deref())
                .await
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({"id": agent.id.0, "invite_token": invite})))
}

pub async fn agents_update(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Json(b): Json<AgentPatch>,
) -> R {
    let id = AgentId(*id);
    let m = me.clone();
    let cur = st.services.blocking(move |s| s.agent(&m, id)).await?;
    if !me.is_admin() {
        return Err(ApiError::from(crate::service::ServiceError::NotAllowed));
    }
    let role = match &b.role {
        Some(r) => role(r)?,
        None => cur.role,
    };
    let agent = st
        .services
        .blocking_async(move |s| async move {
            let mut agent = s
                .update_agent(
                    &me,
                    id,
                    b.name.as_deref().unwrap_or(&cur.name),
                    b.email.as_deref().unwrap_or(&cur.email),
                    role,
                )
                .await?;
            if let Some(active) = b.active
                && active != agent.active
            {
                agent = s.set_agent_active(&me, id, active).await?;
            }
            Ok::<_, ServiceError>(agent)
        })
        .await?;
    Ok(HttpResponse::Ok().json(agent_json(&agent)))
}

/// `DELETE /api/v1/agents/{id}` deactivates: conversations keep their history.
pub async fn agents_delete(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> R {
    let id = AgentId(*id);
    st.services
        .blocking_async(move |s| async move { s.set_agent_active(&me, id, false).await })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    name: Option<String>,
    member_ids: Option<Vec<u64>>,
}

pub async fn teams_index(ApiAgent(me): ApiAgent, st: web::Data<AppState>) -> R {
    if !me.is_admin() {
        return Err(ApiError::from(crate::service::ServiceError::NotAllowed));
    }
    let teams = st.services.blocking(|s| s.teams()).await?;
    let list: Vec<_> = teams.iter().map(|t| json!({"id": t.id.0, "name": t.name, "member_ids": ids(&t.members.iter().map(|m| m.0).collect::<Vec<_>>(), |n| n)})).collect();
    Ok(HttpResponse::Ok().json(json!({"teams": list})))
}

pub async fn teams_create(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    Json(b): Json<TeamBody>,
) -> R {
    let name = b.name.ok_or_else(|| invalid("name", "is required"))?;
    let members = ids(&b.member_ids.unwrap_or_default(), AgentId);
    let team = st
        .services
        .blocking_async(move |s| async move { s.save_team(&me, None, &name, &members).await })
        .await?;
    Ok(HttpResponse::Created().json(json!({"id": team.id.0})))
}

pub async fn teams_update(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Json(b): Json<TeamBody>,
) -> R {
    if !me.is_admin() {
        return Err(ApiError::from(crate::service::ServiceError::NotAllowed));
    }
    let id = TeamId(*id);
    let cur = st.services.blocking(move |s| s.team(id)).await?;
    let members = b
        .member_ids
        .map(|m| ids(&m, AgentId))
        .unwrap_or(cur.members.clone());
    let team = st
        .services
        .blocking_async(move |s| async move {
            s.save_team(
                &me,
                Some(cur.id),
                b.name.as_deref().unwrap_or(&cur.name),
                &members,
            )
            .await
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"id": team.id.0, "name": team.name, "member_ids": team.members.iter().map(|m| m.0).collect::<Vec<_>>()})))
}

pub async fn teams_delete(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> R {
    let id = TeamId(*id);
    st.services
        .blocking_async(move |s| async move { s.delete_team(&me, id).await })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InboxBody {
    name: Option<String>,
    channel: Option<String>,
    webhook_url: Option<String>,
    member_ids: Option<Vec<u64>>,
    email: Option<EmailBody>,
    website: Option<WebsiteBody>,
    pub(super) whatsapp: Option<MessagingBody>,
    pub(super) sms: Option<MessagingBody>,
    pub(super) messenger: Option<MessagingBody>,
    pub(super) telegram: Option<MessagingBody>,
    /// The language of emails and the widget: `"en"`, `"es"`, or `null` / `""` for the
    /// installation's. Absent: kept.
    #[serde(default, deserialize_with = "crate::web::json::present")]
    language: Option<Option<String>>,
}

/// A messaging inbox's provider settings, under the channel's name:
/// WhatsApp `{"provider": "cloud", "phone_number_id", "access_token", "app_secret",
/// "verify_token", "api_base", "waba_id"}` or `{"provider": "twilio", "account_sid", "auth_token",
/// "from", "api_base"}`; SMS the Twilio form; Messenger `{"page_id",
/// "page_access_token", "app_secret", "verify_token", "human_agent_tag", "api_base"}`;
/// Telegram `{"bot_token", "mode": "poll" | "webhook", "api_base"}`. Secrets sent
/// empty or left out keep the stored ones while the account and base URL stay.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MessagingBody {
    provider: Option<String>,
    phone_number_id: Option<String>,
    access_token: Option<String>,
    account_sid: Option<String>,
    auth_token: Option<String>,
    from: Option<String>,
    page_id: Option<String>,
    page_access_token: Option<String>,
    app_secret: Option<String>,
    verify_token: Option<String>,
    human_agent_tag: Option<bool>,
    bot_token: Option<String>,
    mode: Option<String>,
    api_base: Option<String>,
    /// WhatsApp Cloud: the WhatsApp Business Account id ("Sync templates").
    waba_id: Option<String>,
}

impl MessagingBody {
    fn input(self, webhook_base: String) -> crate::domain::messaging::MessagingInput {
        crate::domain::messaging::MessagingInput {
            provider: self.provider,
            account: self.phone_number_id.or(self.account_sid).or(self.page_id),
            from: self.from,
            api_base: self.api_base,
            token: self
                .access_token
                .or(self.auth_token)
                .or(self.page_access_token)
                .or(self.bot_token),
            app_secret: self.app_secret,
            verify_token: self.verify_token,
            human_agent_tag: self.human_agent_tag,
            mode: self.mode,
            webhook_base,
            waba_id: self.waba_id,
        }
    }
}

impl InboxBody {
    /// The one messaging body given, with the channel it was given for.
    pub(super) fn messaging(
        &mut self,
        webhook_base: String,
    ) -> Result<Option<(ChannelKind, crate::domain::messaging::MessagingInput)>, ApiError> {
        let given = [
            (ChannelKind::WhatsApp, self.whatsapp.take()),
            (ChannelKind::Sms, self.sms.take()),
            (ChannelKind::Messenger, self.messenger.take()),
            (ChannelKind::Telegram, self.telegram.take()),
        ];
        let mut found = given
            .into_iter()
            .filter_map(|(k, b)| b.map(|b| (k, b.input(webhook_base.clone()))));
        let first = found.next();
        if found.next().is_some() {
            return Err(invalid("channel", "give the settings of one channel only"));
        }
        Ok(first)
    }
}

/// `{"allowed_origins": [...], "greeting", "color", "prechat", "identity_secret",
/// "reply_email_inbox_id", "visitor_files"}`; every field optional (absent: kept, or the default).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebsiteBody {
    allowed_origins: Option<Vec<String>>,
    greeting: Option<String>,
    color: Option<String>,
    prechat: Option<String>,
    /// `""` turns identity verification off.
    identity_secret: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::web::json::present")]
    reply_email_inbox_id: Option<Option<u64>>,
    /// Whether visitors may send files from the widget (default true).
    visitor_files: Option<bool>,
}

impl WebsiteBody {
    fn input(self) -> crate::service::website::WebsiteInput {
        crate::service::website::WebsiteInput {
            allowed_origins: self.allowed_origins,
            greeting: self.greeting,
            color: self.color,
            prechat: self.prechat,
            identity_secret: self.identity_secret,
            reply_email_inbox: self.reply_email_inbox_id.map(|o| o.map(InboxId)),
            visitor_files: self.visitor_files,
        }
    }
}

/// `{"imap": {...}, "smtp": {...}, "from_name", "from_address", "poll_seconds",
/// "mark_seen", "reply_to_plus_address", "signature"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    imap: ServerBody,
    smtp: ServerBody,
    #[serde(default)]
    from_name: String,
    from_address: String,
    poll_seconds: Option<u64>,
    #[serde(default)]
    mark_seen: bool,
    #[serde(default)]
    reply_to_plus_address: bool,
    /// Markdown, under every mail reply.
    #[serde(default)]
    signature: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerBody {
    host: String,
    port: u16,
    #[serde(default)]
    security: String,
    #[serde(default)]
    username: String,
    password: Option<String>,
    /// IMAP only.
    #[serde(default)]
    folder: String,
}

impl EmailBody {
    pub(super) fn input(self) -> EmailInput {
        let side = |s: ServerBody| ServerInput {
            host: s.host,
            port: s.port,
            security: s.security,
            username: s.username,
            password: s.password,
        };
        let folder = self.imap.folder.clone();
        EmailInput {
            imap: side(self.imap),
            folder,
            smtp: side(self.smtp),
            from_name: self.from_name,
            from_address: self.from_address,
            poll_seconds: self.poll_seconds,
            mark_seen: self.mark_seen,
            reply_to_plus_address: self.reply_to_plus_address,
            signature: self.signature,
        }
    }
}

fn inbox_json(i: &crate::domain::Inbox, base: &str) -> serde_json::Value {
    // Passwords never leave the server: only whether one is set.
    let side = |s: &crate::domain::email::Server| json!({"host": s.host, "port": s.port, "security": s.security.as_str(), "username": s.username, "password_set": !s.password_sealed.is_empty()});
    let email = i.email.as_ref().map(|e| {
        let mut imap = side(&e.imap);
        imap["folder"] = json!(e.folder);
        json!({"imap": imap, "smtp": side(&e.smtp), "from_name": e.from_name, "from_address": e.from_address, "poll_seconds": e.poll_seconds, "mark_seen": e.mark_seen, "reply_to_plus_address": e.reply_to_plus_address, "signature": e.signature})
    });
    // The identity secret never leaves the server either.
    let website = i.website.as_ref().map(|w| json!({"key": w.key, "snippet": crate::domain::website::snippet(base, &w.key), "allowed_origins": w.allowed_origins, "greeting": w.greeting, "color": w.color, "prechat": w.prechat.as_str(), "identity_secret_set": !w.identity_secret_sealed.is_empty(), "reply_email_inbox_id": w.reply_email_inbox.map(|i| i.0), "visitor_files": !w.visitor_files_off}));
    let mut v = json!({"id": i.id.0, "name": i.name, "channel": i.channel.as_str(), "webhook_url": i.webhook_url, "email": email, "website": website, "member_ids": i.members.iter().map(|m| m.0).collect::<Vec<_>>(), "language": i.language});
    if let Some(m) = &i.messaging {
        v[i.channel.as_str()] = messaging_json(m);
        v["webhook_url"] = json!(m.webhook_url());
    }
    v
}

/// A messaging inbox's settings as the API shows them: secrets only as `*_set`.
fn messaging_json(m: &crate::domain::messaging::MessagingSettings) -> serde_json::Value {
    use crate::domain::messaging::Provider;
    let set = |s: &str| !s.is_empty();
    match m.provider {
        Provider::WhatsAppCloud => {
            json!({"provider": "cloud", "phone_number_id": m.account, "access_token_set": set(&m.token_sealed), "app_secret_set": set(&m.app_secret_sealed), "verify_token_set": set(&m.verify_token_sealed), "api_base": m.api_base, "waba_id": m.waba_id})
        }
        Provider::Twilio => {
            json!({"provider": "twilio", "account_sid": m.account, "auth_token_set": set(&m.token_sealed), "from": m.from, "api_base": m.api_base})
        }
        Provider::Messenger => {
            json!({"page_id": m.account, "page_access_token_set": set(&m.token_sealed), "app_secret_set": set(&m.app_secret_sealed), "verify_token_set": set(&m.verify_token_sealed), "human_agent_tag": m.human_agent_tag, "api_base": m.api_base})
        }
        Provider::Telegram => {
            json!({"bot_token_set": set(&m.token_sealed), "mode": m.telegram_mode.as_str(), "api_base": m.api_base})
        }
    }
}

pub async fn inboxes_index(req: HttpRequest, ApiAgent(me): ApiAgent, st: web::Data<AppState>) -> R {
    let base = super::base_url(&req, &st);
    let list: Vec<_> = st
        .services
        .blocking(move |s| s.inboxes(&me))
        .await?
        .iter()
        .map(|i| inbox_json(i, &base))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"inboxes": list})))
}

pub async fn inboxes_create(
    req: HttpRequest,
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    Json(mut b): Json<InboxBody>,
) -> R {
    let channel = match b.channel.as_deref() {
        None => ChannelKind::Api,
        Some(c) => ChannelKind::parse(c).ok_or_else(|| {
            invalid(
                "channel",
                "unknown channel type: use \"api\", \"email\", \"website\", \"whatsapp\", \"sms\", \"messenger\" or \"telegram\"",
            )
        })?,
    };
    let messaging = match b.messaging(super::base_url(&req, &st))? {
        Some((k, m)) if k == channel => Some(m),
        Some(_) => {
            return Err(invalid(
                "channel",
                "the settings given are for another channel than \"channel\"",
            ));
        }
        None if channel.is_messaging() => {
            return Err(invalid(
                channel.as_str(),
                "the provider settings are required",
            ));
        }
        None => None,
    };
    let name = b.name.ok_or_else(|| invalid("name", "is required"))?;
    let input = InboxInput {
        name,
        channel: Some(channel),
        members: ids(&b.member_ids.unwrap_or_default(), AgentId),
        webhook_url: b.webhook_url,
        email: b.email.map(EmailBody::input),
        website: b.website.map(WebsiteBody::input),
        messaging,
        language: b.language.map(Option::unwrap_or_default),
    };
    let (inbox, token) = st
        .services
        .blocking_async(move |s| async move { s.save_inbox(&me, None, input).await })
        .await?;
    let snippet = inbox
        .website
        .as_ref()
        .map(|w| crate::domain::website::snippet(&super::base_url(&req, &st), &w.key));
    let mut answer = json!({"id": inbox.id.0, "token": token, "snippet": snippet});
    if let Some(url) = inbox.messaging.as_ref().and_then(|m| m.webhook_url()) {
        answer["webhook_url"] = json!(url);
    }
    Ok(HttpResponse::Created().json(answer))
}

pub async fn inboxes_update(
    req: HttpRequest,
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Json(mut b): Json<InboxBody>,
) -> R {
    let (m, id) = (me.clone(), InboxId(*id));
    let cur = st.services.blocking(move |s| s.inbox(&m, id)).await?;
    if b.channel
        .as_deref()
        .is_some_and(|c| c != cur.channel.as_str())
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "an inbox's channel type cannot change",
        ));
    }
    let messaging = match b.messaging(super::base_url(&req, &st))? {
        Some((k, _)) if k != cur.channel => {
            return Err(invalid(
                k.as_str(),
                "these settings are for another channel than this inbox's",
            ));
        }
        given => given.map(|(_, m)| m),
    };
    let input = InboxInput {
        name: b.name.unwrap_or(cur.name.clone()),
        channel: None,
        members: b
            .member_ids
            .map(|m| ids(&m, AgentId))
            .unwrap_or(cur.members.clone()),
        webhook_url: b.webhook_url,
        email: b.email.map(EmailBody::input),
        website: b.website.map(WebsiteBody::input),
        messaging,
        language: b.language.map(Option::unwrap_or_default),
    };
    let (inbox, _) = st
        .services
        .blocking_async(move |s| async move { s.save_inbox(&me, Some(cur.id), input).await })
        .await?;
    Ok(HttpResponse::Ok().json(inbox_json(&inbox, &super::base_url(&req, &st))))
}

pub async fn inboxes_delete(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    id: web::Path<u64>,
) -> R {
    let id = InboxId(*id);
    st.services
        .blocking_async(move |s| async move { s.delete_inbox(&me, id).await })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

//! Teams and inboxes (admins manage them; membership decides what agents see).

use super::{Result, ServiceError, Services, from_store};
use crate::domain::validate;
use crate::domain::{Agent, AgentId, ChannelKind, Inbox, InboxId, Team, TeamId};

impl Services {
    /// Keeps only ids of existing agents, deduplicated, in order.
    fn members(&self, ids: &[AgentId]) -> Result<Vec<AgentId>> {
        let mut out: Vec<AgentId> = Vec::with_capacity(ids.len());
        for id in ids {
            if out.contains(id) {
                continue;
            }
            if self.store.agent(*id)?.is_none() {
                return Err(validate::Invalid {
                    field: "member_ids",
                    reason: format!("agent {id} does not exist"),
                }
                .into());
            }
            out.push(*id);
        }
        Ok(out)
    }

    /// All teams.
    pub fn teams(&self) -> Result<Vec<Team>> {
        Ok(self.store.teams(1000)?)
    }

    /// One team.
    pub fn team(&self, id: TeamId) -> Result<Team> {
        self.store.team(id)?.ok_or(ServiceError::NotFound)
    }

    /// Creates (`id` None) or updates a team (admins only).
    pub async fn save_team(
        &self,
        actor: &Agent,
        id: Option<TeamId>,
        name: &str,
        members: &[AgentId],
    ) -> Result<Team> {
        Self::require_admin(actor)?;
        let name = validate::name("name", name, 100)?;
        let members = self.members(members)?;
        let team = match id {
            Some(id) => Team {
                name,
                members,
                ..self.team(id)?
            },
            None => Team {
                id: TeamId(self.store.generate_id()?),
                name,
                members,
                created_at: self.clock.now(),
            },
        };
        let action = if id.is_some() {
            "team.update"
        } else {
            "team.create"
        };
        let audit = self.audit(
            Some(actor),
            action,
            format!("team {}", team.name),
            members_text(team.members.len()),
        )?;
        self.store
            .put_team(&team, id.is_some(), &audit)
            .map_err(from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(team)
    }

    /// Deletes a team (admins only).
    pub async fn delete_team(&self, actor: &Agent, id: TeamId) -> Result<()> {
        Self::require_admin(actor)?;
        let team = self.team(id)?;
        let audit = self.audit(
            Some(actor),
            "team.delete",
            format!("team {}", team.name),
            String::new(),
        )?;
        self.store.delete_team(id, &audit).map_err(from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(())
    }

    /// The inboxes `actor` may see: all for admins, their memberships for agents.
    pub fn inboxes(&self, actor: &Agent) -> Result<Vec<Inbox>> {
        let all = self.store.inboxes(1000)?;
        Ok(if actor.is_admin() {
            all
        } else {
            all.into_iter()
                .filter(|i| i.members.contains(&actor.id))
                .collect()
        })
    }

    /// One inbox, if `actor` may see it.
    pub fn inbox(&self, actor: &Agent, id: InboxId) -> Result<Inbox> {
        let inbox = self.store.inbox(id)?.ok_or(ServiceError::NotFound)?;
        if actor.is_admin() || inbox.members.contains(&actor.id) {
            Ok(inbox)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// Creates (`id` None) or updates an inbox (admins only). A new API inbox gets its
    /// secret token, returned once.
    pub async fn save_inbox(
        &self,
        actor: &Agent,
        id: Option<InboxId>,
        input: InboxInput,
    ) -> Result<(Inbox, Option<String>)> {
        Self::require_admin(actor)?;
        let name = validate::name("name", &input.name, 100)?;
        let members = self.members(&input.members)?;
        let language = input
            .language
            .as_deref()
            .map(|l| validate::language("language", l))
            .transpose()?;
        let webhook = match input.webhook_url {
            Some(w) => Some(webhook_url(&w)?),
            None => None,
        };
        let mut new_token = None;
        let mut previous: Option<Inbox> = None;
        let inbox = match id {
            Some(id) => {
                let old = self.inbox(actor, id)?;
                previous = Some(old.clone());
                if input.channel.is_some_and(|c| c != old.channel) {
                    return Err(ServiceError::Conflict(
                        "an inbox's channel type cannot change; create a new inbox",
                    ));
                }
                let email = match input.email {
                    Some(e) if old.channel == ChannelKind::Email => {
                        Some(self.email_settings(e, old.email.as_ref())?)
                    }
                    Some(_) => {
                        return Err(ServiceError::Conflict(
                            "only email inboxes have email settings",
                        ));
                    }
                    None => old.email.clone(),
                };
                let website = match input.website {
                    Some(w) if old.channel == ChannelKind::Website => {
                        Some(self.website_settings(w, old.website.as_ref())?)
                    }
                    Some(_) => {
                        return Err(ServiceError::Conflict(
                            "only website inboxes have website settings",
                        ));
                    }
                    None => old.website.clone(),
                };
                let messaging = match input.messaging {
                    Some(m) if old.channel.is_messaging() => {
                        Some(self.messaging_settings(old.channel, m, old.messaging.as_ref())?)
                    }
                    Some(_) => {
                        return Err(ServiceError::Conflict(
                            "only messaging inboxes have provider settings",
                        ));
                    }
                    None => old.messaging.clone(),
                };
                Inbox {
                    name,
                    members,
                    webhook_url: webhook.unwrap_or(old.webhook_url.clone()),
                    email,
                    website,
                    messaging,
                    language: language.unwrap_or(old.language.clone()),
                    ..old
                }
            }
            None => {
                let channel = input.channel.unwrap_or(ChannelKind::Api);
                let token = (channel == ChannelKind::Api)
                    .then(|| format!("charla_inbox_{}", super::random_token(16)));
                new_token = token.clone();
                let email = match (channel, input.email) {
                    (ChannelKind::Email, Some(e)) => Some(self.email_settings(e, None)?),
                    (ChannelKind::Email, None) => {
                        return Err(validate::Invalid {
                            field: "email",
                            reason: "an email inbox needs its IMAP and SMTP settings".into(),
                        }
                        .into());
                    }
                    (_, Some(_)) => {
                        return Err(ServiceError::Conflict(
                            "only email inboxes have email settings",
                        ));
                    }
                    (_, None) => None,
                };
                let website = match (channel, input.website) {
                    (ChannelKind::Website, w) => {
                        Some(self.website_settings(w.unwrap_or_default(), None)?)
                    }
                    (_, Some(_)) => {
                        return Err(ServiceError::Conflict(
                            "only website inboxes have website settings",
                        ));
                    }
                    (_, None) => None,
                };
                let messaging = match (channel.is_messaging(), input.messaging) {
                    (true, Some(m)) => Some(self.messaging_settings(channel, m, None)?),
                    (true, None) => {
                        return Err(validate::Invalid {
                            field: "channel",
                            reason: "a messaging inbox needs its provider settings".into(),
                        }
                        .into());
                    }
                    (false, Some(_)) => {
                        return Err(ServiceError::Conflict(
                            "only messaging inboxes have provider settings",
                        ));
                    }
                    (false, None) => None,
                };
                Inbox {
                    email,
                    website,
                    id: InboxId(self.store.generate_id()?),
                    name,
                    channel,
                    members,
                    created_at: self.clock.now(),
                    api_token: token,
                    webhook_url: webhook.flatten(),
                    messaging,
                    language: language.flatten(),
                }
            }
        };
        // A Telegram bot is told where to send updates (or to stop) before the inbox
        // is saved: a refusal leaves everything as it was.
        self.register_telegram(&inbox, previous.as_ref()).await?;
        let action = if id.is_some() {
            "inbox.update"
        } else {
            "inbox.create"
        };
        let detail = format!(
            "{} channel, {}",
            inbox.channel.label(),
            members_text(inbox.members.len())
        );
        let audit = self.audit(Some(actor), action, format!("inbox {}", inbox.name), detail)?;
        self.store
            .put_inbox(&inbox, id.is_some(), &audit)
            .map_err(from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok((inbox, new_token))
    }

    /// Replaces an API inbox's secret token; the old one stops working at once.
    pub async fn rotate_inbox_token(&self, actor: &Agent, id: InboxId) -> Result<String> {
        Self::require_admin(actor)?;
        let mut inbox = self.inbox(actor, id)?;
        if inbox.channel != ChannelKind::Api {
            return Err(ServiceError::Conflict("only API inboxes have a token"));
        }
        let token = format!("charla_inbox_{}", super::random_token(16));
        inbox.api_token = Some(token.clone());
        let audit = self.audit(
            Some(actor),
            "inbox.rotate_token",
            format!("inbox {}", inbox.name),
            String::new(),
        )?;
        self.store
            .put_inbox(&inbox, true, &audit)
            .map_err(from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(token)
    }

    /// Deletes an inbox (admins only).
    pub async fn delete_inbox(&self, actor: &Agent, id: InboxId) -> Result<()> {
        Self::require_admin(actor)?;
        let inbox = self.inbox(actor, id)?;
        let audit = self.audit(
            Some(actor),
            "inbox.delete",
            format!("inbox {}", inbox.name),
            String::new(),
        )?;
        self.store.delete_inbox(id, &audit).map_err(from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(())
    }
}

/// What an admin sets on an inbox. `webhook_url`: `None` keeps it, `Some("")` clears it.
#[derive(Debug, Clone, Default)]
pub struct InboxInput {
    pub name: String,
    /// Required when creating; when updating it must match.
    pub channel: Option<ChannelKind>,
    pub members: Vec<AgentId>,
    pub webhook_url: Option<String>,
    /// Email inboxes: required when creating one; on update `None` keeps them.
    pub email: Option<super::email::EmailInput>,
    /// Website inboxes: defaults when creating without; on update `None` keeps them.
    pub website: Option<super::website::WebsiteInput>,
    /// Messaging inboxes: required when creating one; on update `None` keeps them.
    pub messaging: Option<crate::domain::messaging::MessagingInput>,
    /// The language of emails and the widget (`en`, `es`): `None` keeps it, `Some("")`
    /// clears it (the installation's then).
    pub language: Option<String>,
}

/// Checks a webhook URL: empty clears it; otherwise http(s) with a host.
fn webhook_url(raw: &str) -> Result<Option<String>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let ok = (raw.starts_with("https://") || raw.starts_with("http://"))
        && raw.len() <= 2000
        && raw
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(Some(raw.to_string()))
    } else {
        Err(validate::Invalid {
            field: "webhook_url",
            reason: "must be an http:// or https:// URL".into(),
        }
        .into())
    }
}

/// "1 member", "3 members".
fn members_text(n: usize) -> String {
    if n == 1 {
        "1 member".into()
    } else {
        format!("{n} members")
    }
}

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
            format!("{} member(s)", team.members.len()),
        )?;
        self.store
            .put_team(&team, id.is_some(), &audit)
            .map_err(from_store)?;
        self.store.durable().await?;
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

    /// Creates (`id` None) or updates an inbox (admins only).
    pub async fn save_inbox(
        &self,
        actor: &Agent,
        id: Option<InboxId>,
        name: &str,
        channel: ChannelKind,
        members: &[AgentId],
    ) -> Result<Inbox> {
        Self::require_admin(actor)?;
        let name = validate::name("name", name, 100)?;
        let members = self.members(members)?;
        let inbox = match id {
            Some(id) => {
                let old = self.inbox(actor, id)?;
                if old.channel != channel {
                    return Err(ServiceError::Conflict(
                        "an inbox's channel type cannot change; create a new inbox",
                    ));
                }
                Inbox {
                    name,
                    members,
                    ..old
                }
            }
            None => Inbox {
                id: InboxId(self.store.generate_id()?),
                name,
                channel,
                members,
                created_at: self.clock.now(),
            },
        };
        let action = if id.is_some() {
            "inbox.update"
        } else {
            "inbox.create"
        };
        let detail = format!(
            "{} channel, {} member(s)",
            inbox.channel.label(),
            inbox.members.len()
        );
        let audit = self.audit(Some(actor), action, format!("inbox {}", inbox.name), detail)?;
        self.store
            .put_inbox(&inbox, id.is_some(), &audit)
            .map_err(from_store)?;
        self.store.durable().await?;
        Ok(inbox)
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
        Ok(())
    }
}

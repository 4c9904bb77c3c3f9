//! A read-only, in-memory copy of the small tables every page needs (agents, teams,
//! inboxes), rebuilt after each change to them, so list pages never scan these trees.

use super::{Result, Services};
use crate::domain::{Agent, AgentId, Inbox, InboxId, Team, TeamId};
use std::sync::Arc;

/// Agents, teams and inboxes as of the last change.
#[derive(Debug, Default)]
pub struct Directory {
    pub agents: Vec<Agent>,
    pub teams: Vec<Team>,
    pub inboxes: Vec<Inbox>,
    /// The store's directory version read just before these were (a change after that
    /// read moves it again).
    pub version: u64,
}

impl Directory {
    pub fn agent(&self, id: AgentId) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }
    pub fn agent_name(&self, id: AgentId) -> String {
        self.agent(id)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| format!("agent #{id}"))
    }
    pub fn team(&self, id: TeamId) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }
    pub fn inbox(&self, id: InboxId) -> Option<&Inbox> {
        self.inboxes.iter().find(|i| i.id == id)
    }
    /// The inboxes whose conversations `agent` may see.
    pub fn visible_inboxes(&self, agent: &Agent) -> Vec<InboxId> {
        self.inboxes
            .iter()
            .filter(|i| i.visible_to(agent))
            .map(|i| i.id)
            .collect()
    }
}

impl Services {
    /// The current directory.
    pub fn directory(&self) -> Arc<Directory> {
        self.directory
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Rebuilds the directory from the store after this node changed agents, teams or
    /// inboxes, and tells the other nodes (cluster mode) to reload theirs.
    pub fn refresh_directory(&self) -> Result<()> {
        self.reload_directory()?;
        self.live.tell(super::live::Note::Directory);
        Ok(())
    }

    /// Rebuilds the directory from the store (a change here or on another node).
    pub fn reload_directory(&self) -> Result<()> {
        let version = self.store.directory_version()?;
        let d = Directory {
            version,
            agents: self.store.agents(None, 10_000)?,
            teams: self.store.teams(10_000)?,
            inboxes: self.store.inboxes(10_000)?,
        };
        *self.directory.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(d);
        // Roles, memberships or an agent's active flag may have changed: live streams
        // re-scope themselves (or end) before they send anything else.
        self.live.publish_local(super::Live::Access { agent: None });
        Ok(())
    }

    /// Runs a directory lookup; when it misses on a node of a cluster, checks whether
    /// another node changed agents, teams or inboxes since this node loaded them (one
    /// point read, off the async worker), reloads and looks again. An inbox created
    /// through another node is found at once, not only when the bus or the staleness
    /// check tells this node.
    pub async fn looked_up<T>(self: &Arc<Self>, f: impl Fn(&Services) -> Result<T>) -> Result<T> {
        match f(self) {
            Err(super::ServiceError::NotFound) if self.node.clustered() => {
                let known = self.directory().version;
                let moved = self
                    .blocking(move |s| -> Result<bool> {
                        if s.store.directory_version()? == known {
                            return Ok(false);
                        }
                        s.reload_directory()?;
                        Ok(true)
                    })
                    .await?;
                if moved {
                    f(self)
                } else {
                    Err(super::ServiceError::NotFound)
                }
            }
            r => r,
        }
    }
}

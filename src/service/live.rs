//! The live bus: after a commit, services publish what changed; SSE streams (and later
//! the widget socket and automation) subscribe. Events are hints, never the record:
//! a subscriber that lags reloads from the store.

use crate::domain::conversation::ConversationId;
use crate::domain::{AgentId, InboxId};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// Something changed that open pages may want to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Live {
    /// A conversation's state, list position or timeline changed.
    Conversation { inbox: InboxId, id: ConversationId },
    /// Who is online changed.
    Presence,
    /// One agent's read state of a conversation changed (only their lists care).
    ReadState { agent: AgentId, id: ConversationId },
    /// Someone is typing in a conversation: an agent (by name) or, with `agent` None,
    /// the contact (website visitors).
    Typing {
        inbox: InboxId,
        id: ConversationId,
        agent: Option<String>,
        active: bool,
    },
}

/// The bus and who is connected.
pub struct LiveBus {
    tx: broadcast::Sender<Live>,
    online: Mutex<HashMap<AgentId, usize>>,
    /// Website visitors with an open widget, by conversation (sockets per conversation).
    visitors: Mutex<HashMap<ConversationId, usize>>,
}

impl Default for LiveBus {
    fn default() -> Self {
        LiveBus {
            tx: broadcast::channel(4096).0,
            online: Mutex::new(HashMap::new()),
            visitors: Mutex::new(HashMap::new()),
        }
    }
}

impl LiveBus {
    /// Publishes an event (no-op without subscribers).
    pub fn publish(&self, e: Live) {
        let _ = self.tx.send(e);
    }

    /// A new subscription.
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.tx.subscribe()
    }

    /// An agent's page connected; returns a guard that disconnects on drop.
    pub fn connect(self: &std::sync::Arc<Self>, agent: AgentId) -> Presence {
        let first = {
            let mut m = self.online.lock().unwrap_or_else(|e| e.into_inner());
            let n = m.entry(agent).or_insert(0);
            *n += 1;
            *n == 1
        };
        if first {
            self.publish(Live::Presence);
        }
        Presence {
            bus: self.clone(),
            agent,
        }
    }

    /// Agents with at least one live page.
    pub fn online(&self) -> Vec<AgentId> {
        let m = self.online.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<AgentId> = m.keys().copied().collect();
        v.sort();
        v
    }

    /// Whether `agent` has a live page.
    pub fn is_online(&self, agent: AgentId) -> bool {
        self.online
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&agent)
    }
}

impl LiveBus {
    /// A visitor's widget connected to conversation `id`; the guard disconnects on drop.
    /// The first socket and the last one change the conversation (its green dot).
    pub fn visitor_connect(
        self: &std::sync::Arc<Self>,
        inbox: InboxId,
        id: ConversationId,
    ) -> VisitorPresence {
        let first = {
            let mut m = self.visitors.lock().unwrap_or_else(|e| e.into_inner());
            let n = m.entry(id).or_insert(0);
            *n += 1;
            *n == 1
        };
        if first {
            self.publish(Live::Conversation { inbox, id });
        }
        VisitorPresence {
            bus: self.clone(),
            inbox,
            id,
        }
    }

    /// Whether the contact of conversation `id` has the widget open now.
    pub fn visitor_online(&self, id: ConversationId) -> bool {
        self.visitors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&id)
    }
}

/// Held by a widget socket; the visitor goes offline when the last one drops.
pub struct VisitorPresence {
    bus: std::sync::Arc<LiveBus>,
    inbox: InboxId,
    id: ConversationId,
}

impl Drop for VisitorPresence {
    fn drop(&mut self) {
        let last = {
            let mut m = self.bus.visitors.lock().unwrap_or_else(|e| e.into_inner());
            match m.get_mut(&self.id) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                _ => {
                    m.remove(&self.id);
                    true
                }
            }
        };
        if last {
            self.bus.publish(Live::Conversation {
                inbox: self.inbox,
                id: self.id,
            });
        }
    }
}

/// Held by a live connection; marks the agent offline when the last one drops.
pub struct Presence {
    bus: std::sync::Arc<LiveBus>,
    agent: AgentId,
}

impl Drop for Presence {
    fn drop(&mut self) {
        let last = {
            let mut m = self.bus.online.lock().unwrap_or_else(|e| e.into_inner());
            match m.get_mut(&self.agent) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                _ => {
                    m.remove(&self.agent);
                    true
                }
            }
        };
        if last {
            self.bus.publish(Live::Presence);
        }
    }
}

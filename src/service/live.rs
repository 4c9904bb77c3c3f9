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
    /// Who may see what changed: with `agent`, that agent's sessions (sign-out, password
    /// change); without, the directory (roles, memberships, deactivations). Open streams
    /// check their session and agent again.
    Access { agent: Option<AgentId> },
}

/// How many live connections each key has (an agent's pages, a visitor's widgets).
struct Counts<K>(Mutex<HashMap<K, usize>>);

impl<K: std::hash::Hash + Eq + Copy> Counts<K> {
    fn new() -> Self {
        Counts(Mutex::new(HashMap::new()))
    }
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<K, usize>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// One more connection; true when it is the first.
    fn up(&self, k: K) -> bool {
        let mut m = self.map();
        let n = m.entry(k).or_insert(0);
        *n += 1;
        *n == 1
    }
    /// One connection fewer; true when it was the last.
    fn down(&self, k: K) -> bool {
        let mut m = self.map();
        match m.get_mut(&k) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            _ => {
                m.remove(&k);
                true
            }
        }
    }
    fn contains(&self, k: K) -> bool {
        self.map().contains_key(&k)
    }
}

/// The bus and who is connected.
pub struct LiveBus {
    tx: broadcast::Sender<Live>,
    /// Agents' live pages.
    online: Counts<AgentId>,
    /// Website visitors' open widgets, by conversation.
    visitors: Counts<ConversationId>,
}

impl Default for LiveBus {
    fn default() -> Self {
        LiveBus {
            tx: broadcast::channel(4096).0,
            online: Counts::new(),
            visitors: Counts::new(),
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
        if self.online.up(agent) {
            self.publish(Live::Presence);
        }
        Presence {
            bus: self.clone(),
            agent,
        }
    }

    /// Agents with at least one live page.
    pub fn online(&self) -> Vec<AgentId> {
        let mut v: Vec<AgentId> = self.online.map().keys().copied().collect();
        v.sort();
        v
    }

    /// Whether `agent` has a live page.
    pub fn is_online(&self, agent: AgentId) -> bool {
        self.online.contains(agent)
    }

    /// A visitor's widget connected to conversation `id`; the guard disconnects on drop.
    /// The first socket and the last one change the conversation (its green dot).
    pub fn visitor_connect(
        self: &std::sync::Arc<Self>,
        inbox: InboxId,
        id: ConversationId,
    ) -> VisitorPresence {
        if self.visitors.up(id) {
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
        self.visitors.contains(id)
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
        if self.bus.visitors.down(self.id) {
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
        if self.bus.online.down(self.agent) {
            self.bus.publish(Live::Presence);
        }
    }
}

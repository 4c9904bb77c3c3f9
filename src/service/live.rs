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
}

/// The bus and who is connected.
pub struct LiveBus {
    tx: broadcast::Sender<Live>,
    online: Mutex<HashMap<AgentId, usize>>,
}

impl Default for LiveBus {
    fn default() -> Self {
        LiveBus {
            tx: broadcast::channel(4096).0,
            online: Mutex::new(HashMap::new()),
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

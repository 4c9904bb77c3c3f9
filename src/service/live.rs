//! The live bus: after a commit, services publish what changed; SSE streams (and later
//! the widget socket and automation) subscribe. Events are hints, never the record:
//! a subscriber that lags reloads from the store.
//!
//! In cluster mode (`crate::cluster`) the bus is bridged to the other nodes: events
//! published here also go out, other nodes' events come in through `publish_local`,
//! and who is online is the union of every node's connections (`Note`).

use crate::domain::conversation::{ContactId, ConversationId};
use crate::domain::{AgentId, InboxId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, broadcast, mpsc};

/// Something changed that open pages may want to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Events may have been missed (the cluster bus was away): reload from the store,
    /// as after a lag.
    Resync,
    /// Agents to notify of something in a conversation (see `super::notify`).
    Notify(super::notify::Notice),
}

/// What one node tells the others through the cluster bus (cluster mode only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Note {
    /// A live event published on the sending node.
    Live(Live),
    /// An agent's first live page opened (`on`) or their last one closed, on the sender.
    Agent { agent: AgentId, on: bool },
    /// A visitor's first widget on a conversation opened (`on`) or the last one closed.
    Visitor { id: ConversationId, on: bool },
    /// Everything connected to the sender (its heartbeat, every few seconds).
    Here {
        agents: Vec<AgentId>,
        visitors: Vec<ConversationId>,
    },
    /// The sender is stopping: forget its connections now.
    Gone,
    /// Agents, teams or inboxes changed: reload the directory.
    Directory,
    /// These contacts changed: re-index them from the store.
    Contacts(Vec<ContactId>),
    /// Outbox work was committed: wake the outbox sender.
    OutboxReady,
    /// A mailbox was polled (its health on the settings page).
    MailHealth {
        inbox: InboxId,
        poll: super::mail::MailPoll,
    },
}

/// How many live connections each key has (an agent's pages, a visitor's widgets).
struct Counts<K>(Mutex<HashMap<K, usize>>);

impl<K: std::hash::Hash + Eq + Copy + Ord> Counts<K> {
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
    fn keys(&self) -> Vec<K> {
        let mut v: Vec<K> = self.map().keys().copied().collect();
        v.sort();
        v
    }
}

/// What another node last said was connected to it, and when it was last heard from.
struct Remote {
    agents: HashSet<AgentId>,
    visitors: HashSet<ConversationId>,
    seen: Instant,
}

/// The bus and who is connected.
pub struct LiveBus {
    tx: broadcast::Sender<Live>,
    /// Agents' live pages.
    online: Counts<AgentId>,
    /// Website visitors' open widgets, by conversation.
    visitors: Counts<ConversationId>,
    /// Notes for the other nodes (set once by `crate::cluster`; unset: one node).
    bridge: OnceLock<mpsc::Sender<Note>>,
    /// Other nodes' connections, by node id.
    remote: Mutex<HashMap<String, Remote>>,
    /// A node not heard from for this long is forgotten.
    remote_ttl: OnceLock<Duration>,
}

impl Default for LiveBus {
    fn default() -> Self {
        LiveBus {
            tx: broadcast::channel(4096).0,
            online: Counts::new(),
            visitors: Counts::new(),
            bridge: OnceLock::new(),
            remote: Mutex::new(HashMap::new()),
            remote_ttl: OnceLock::new(),
        }
    }
}

impl LiveBus {
    /// Publishes an event here and, in cluster mode, on the other nodes (no-op without
    /// subscribers).
    pub fn publish(&self, e: Live) {
        // Presence and Resync are derived by each node itself.
        if !matches!(e, Live::Presence | Live::Resync) {
            self.tell(Note::Live(e.clone()));
        }
        self.publish_local(e);
    }

    /// Publishes an event on this node only (events from other nodes, derived events).
    pub fn publish_local(&self, e: Live) {
        let _ = self.tx.send(e);
    }

    /// A new subscription.
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.tx.subscribe()
    }

    /// Sends a note to the other nodes; nothing without a cluster. Never waits: when
    /// the bridge is backed up (the bus is away) the note is dropped, as notes are
    /// hints and a node resyncs from the store when the bus comes back.
    pub fn tell(&self, note: Note) {
        if let Some(b) = self.bridge.get()
            && b.try_send(note).is_err()
        {
            tracing::debug!("cluster bus backed up: a note was dropped");
        }
    }

    /// Connects the bus to the other nodes: notes go to `bridge`; another node's
    /// connections count until it is not heard from for `ttl`. Once only; returns
    /// false when already bridged.
    pub fn bridge(&self, bridge: mpsc::Sender<Note>, ttl: Duration) -> bool {
        let _ = self.remote_ttl.set(ttl);
        self.bridge.set(bridge).is_ok()
    }

    /// An agent's page connected; returns a guard that disconnects on drop.
    pub fn connect(self: &Arc<Self>, agent: AgentId) -> Presence {
        if self.online.up(agent) {
            self.tell(Note::Agent { agent, on: true });
            self.publish_local(Live::Presence);
        }
        Presence {
            bus: self.clone(),
            agent,
        }
    }

    /// Agents with at least one live page, on any node.
    pub fn online(&self) -> Vec<AgentId> {
        let mut all: BTreeSet<AgentId> = self.online.keys().into_iter().collect();
        self.with_remotes(|r| all.extend(r.agents.iter().copied()));
        all.into_iter().collect()
    }

    /// Whether `agent` has a live page on any node.
    pub fn is_online(&self, agent: AgentId) -> bool {
        self.online.contains(agent) || self.any_remote(|r| r.agents.contains(&agent))
    }

    /// A visitor's widget connected to conversation `id`; the guard disconnects on drop.
    /// The first socket and the last one change the conversation (its green dot).
    pub fn visitor_connect(
        self: &Arc<Self>,
        inbox: InboxId,
        id: ConversationId,
    ) -> VisitorPresence {
        if self.visitors.up(id) {
            // The note goes before the event, so that another node knows the visitor
            // is here by the time its pages reload the conversation.
            self.tell(Note::Visitor { id, on: true });
            self.publish(Live::Conversation { inbox, id });
        }
        VisitorPresence {
            bus: self.clone(),
            inbox,
            id,
        }
    }

    /// Whether the contact of conversation `id` has the widget open now, on any node.
    pub fn visitor_online(&self, id: ConversationId) -> bool {
        self.visitors.contains(id) || self.any_remote(|r| r.visitors.contains(&id))
    }

    /// What is connected to this node (for the heartbeat).
    pub fn local_presence(&self) -> Note {
        Note::Here {
            agents: self.online.keys(),
            visitors: self.visitors.keys(),
        }
    }

    /// Applies another node's presence note (`Agent`, `Visitor`, `Here`, `Gone`; any
    /// note counts as a sign of life). Fires `Live::Presence` here when the agents
    /// online across nodes changed.
    pub fn remote_note(&self, node: &str, note: &Note) {
        let before = self.online();
        {
            let mut m = self.remotes();
            if matches!(note, Note::Gone) {
                m.remove(node);
            } else {
                let r = m.entry(node.to_string()).or_insert_with(|| Remote {
                    agents: HashSet::new(),
                    visitors: HashSet::new(),
                    seen: Instant::now(),
                });
                r.seen = Instant::now();
                match note {
                    Note::Agent { agent, on: true } => {
                        r.agents.insert(*agent);
                    }
                    Note::Agent { agent, on: false } => {
                        r.agents.remove(agent);
                    }
                    Note::Visitor { id, on: true } => {
                        r.visitors.insert(*id);
                    }
                    Note::Visitor { id, on: false } => {
                        r.visitors.remove(id);
                    }
                    Note::Here { agents, visitors } => {
                        r.agents = agents.iter().copied().collect();
                        r.visitors = visitors.iter().copied().collect();
                    }
                    _ => {}
                }
            }
        }
        if self.online() != before {
            self.publish_local(Live::Presence);
        }
    }

    /// Forgets nodes not heard from within the time to live (their connections no
    /// longer count); fires `Live::Presence` when that changed who is online.
    pub fn expire_remotes(&self) {
        let Some(ttl) = self.remote_ttl.get() else {
            return;
        };
        let mut gone_agents = Vec::new();
        self.remotes().retain(|node, r| {
            let keep = r.seen.elapsed() <= *ttl;
            if !keep {
                tracing::info!(
                    node,
                    "cluster: node not heard from; its connections no longer count"
                );
                gone_agents.extend(r.agents.iter().copied());
            }
            keep
        });
        // Pages asking meanwhile already left these agents out; tell open pages now.
        if gone_agents.iter().any(|a| !self.is_online(*a)) {
            self.publish_local(Live::Presence);
        }
    }

    fn remotes(&self) -> std::sync::MutexGuard<'_, HashMap<String, Remote>> {
        self.remote.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on every remote node heard from within the time to live.
    fn with_remotes(&self, mut f: impl FnMut(&Remote)) {
        let Some(ttl) = self.remote_ttl.get() else {
            return;
        };
        for r in self.remotes().values() {
            if r.seen.elapsed() <= *ttl {
                f(r);
            }
        }
    }

    fn any_remote(&self, mut f: impl FnMut(&Remote) -> bool) -> bool {
        let mut any = false;
        self.with_remotes(|r| any = any || f(r));
        any
    }
}

/// Held by a widget socket; the visitor goes offline when the last one drops.
pub struct VisitorPresence {
    bus: Arc<LiveBus>,
    inbox: InboxId,
    id: ConversationId,
}

impl Drop for VisitorPresence {
    fn drop(&mut self) {
        if self.bus.visitors.down(self.id) {
            self.bus.tell(Note::Visitor {
                id: self.id,
                on: false,
            });
            self.bus.publish(Live::Conversation {
                inbox: self.inbox,
                id: self.id,
            });
        }
    }
}

/// Held by a live connection; marks the agent offline when the last one drops.
pub struct Presence {
    bus: Arc<LiveBus>,
    agent: AgentId,
}

impl Drop for Presence {
    fn drop(&mut self) {
        if self.bus.online.down(self.agent) {
            self.bus.tell(Note::Agent {
                agent: self.agent,
                on: false,
            });
            self.bus.publish_local(Live::Presence);
        }
    }
}

/// Wakes the outbox sender when outbox work was committed: here at once and, in
/// cluster mode, on the other nodes (the sender may run on one of them).
pub struct OutboxReady {
    notify: Notify,
    live: Arc<LiveBus>,
}

impl OutboxReady {
    /// A wake-up signal that also tells the other nodes through `live`.
    pub fn new(live: Arc<LiveBus>) -> Self {
        OutboxReady {
            notify: Notify::new(),
            live,
        }
    }

    /// New outbox work was committed on this node.
    pub fn notify_one(&self) {
        self.notify.notify_one();
        self.live.tell(Note::OutboxReady);
    }

    /// Another node committed outbox work.
    pub fn notify_local(&self) {
        self.notify.notify_one();
    }

    /// Waits for the next wake-up.
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bridged() -> (Arc<LiveBus>, mpsc::Receiver<Note>) {
        let bus = Arc::new(LiveBus::default());
        let (tx, rx) = mpsc::channel(16);
        assert!(bus.bridge(tx, Duration::from_millis(200)));
        (bus, rx)
    }

    #[test]
    fn without_a_bridge_nothing_leaves_and_presence_is_local() {
        let bus = Arc::new(LiveBus::default());
        let mut rx = bus.subscribe();
        let p = bus.connect(AgentId(1));
        assert_eq!(rx.try_recv().unwrap(), Live::Presence);
        assert_eq!(bus.online(), vec![AgentId(1)]);
        // Remote notes count for nothing without a bridge (no time to live).
        bus.remote_note(
            "b",
            &Note::Agent {
                agent: AgentId(2),
                on: true,
            },
        );
        assert!(!bus.is_online(AgentId(2)));
        drop(p);
        assert!(bus.online().is_empty());
    }

    #[test]
    fn events_and_presence_changes_go_out_in_order() {
        let (bus, mut out) = bridged();
        let p = bus.connect(AgentId(7));
        let v = bus.visitor_connect(InboxId(1), ConversationId(9));
        bus.publish(Live::ReadState {
            agent: AgentId(7),
            id: ConversationId(9),
        });
        bus.publish(Live::Presence);
        drop((p, v));
        let notes: Vec<Note> = std::iter::from_fn(|| out.try_recv().ok()).collect();
        let conv = Note::Live(Live::Conversation {
            inbox: InboxId(1),
            id: ConversationId(9),
        });
        assert_eq!(
            notes,
            vec![
                Note::Agent {
                    agent: AgentId(7),
                    on: true
                },
                Note::Visitor {
                    id: ConversationId(9),
                    on: true
                },
                conv.clone(),
                Note::Live(Live::ReadState {
                    agent: AgentId(7),
                    id: ConversationId(9)
                }),
                Note::Agent {
                    agent: AgentId(7),
                    on: false
                },
                Note::Visitor {
                    id: ConversationId(9),
                    on: false
                },
                conv,
            ],
            "Presence is never forwarded: each node derives it"
        );
    }

    #[tokio::test]
    async fn outbox_work_wakes_here_and_is_told_to_other_nodes_once() {
        let (bus, mut out) = bridged();
        let ready = OutboxReady::new(bus.clone());
        let woken = ready.notified();
        ready.notify_one();
        tokio::time::timeout(Duration::from_secs(1), woken)
            .await
            .unwrap();
        assert_eq!(out.try_recv().unwrap(), Note::OutboxReady);
        // Another node's hint wakes the sender here and is not sent back.
        let woken = ready.notified();
        ready.notify_local();
        tokio::time::timeout(Duration::from_secs(1), woken)
            .await
            .unwrap();
        assert!(out.try_recv().is_err());
    }

    #[test]
    fn online_is_the_union_over_nodes_until_a_node_goes_quiet() {
        let (bus, _out) = bridged();
        let mut rx = bus.subscribe();
        let _p = bus.connect(AgentId(1));
        assert_eq!(rx.try_recv().unwrap(), Live::Presence);
        bus.remote_note(
            "b",
            &Note::Agent {
                agent: AgentId(2),
                on: true,
            },
        );
        assert_eq!(rx.try_recv().unwrap(), Live::Presence);
        bus.remote_note(
            "c",
            &Note::Here {
                agents: vec![AgentId(2), AgentId(3)],
                visitors: vec![ConversationId(5)],
            },
        );
        assert_eq!(rx.try_recv().unwrap(), Live::Presence);
        assert_eq!(bus.online(), vec![AgentId(1), AgentId(2), AgentId(3)]);
        assert!(bus.visitor_online(ConversationId(5)));
        // Agent 2 leaves b but is still on c: no change, no event.
        bus.remote_note(
            "b",
            &Note::Agent {
                agent: AgentId(2),
                on: false,
            },
        );
        assert!(rx.try_recv().is_err());
        assert!(bus.is_online(AgentId(2)));
        // c says goodbye.
        bus.remote_note("c", &Note::Gone);
        assert_eq!(rx.try_recv().unwrap(), Live::Presence);
        assert_eq!(bus.online(), vec![AgentId(1)]);
        assert!(!bus.visitor_online(ConversationId(5)));
        // b goes quiet: after the time to live its agent no longer counts.
        bus.remote_note(
            "b",
            &Note::Agent {
                agent: AgentId(4),
                on: true,
            },
        );
        assert_eq!(rx.try_recv().unwrap(), Live::Presence);
        std::thread::sleep(Duration::from_millis(250));
        assert!(
            !bus.is_online(AgentId(4)),
            "stale nodes are ignored at once"
        );
        bus.expire_remotes();
        assert_eq!(rx.try_recv().unwrap(), Live::Presence);
        assert_eq!(bus.online(), vec![AgentId(1)]);
    }
}

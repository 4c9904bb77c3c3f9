//! Several nodes on one store: the bus between them (NATS, `[cluster] nats_url`).
//!
//! Only in cluster mode. Each node publishes `Note`s on one subject, wrapped in an
//! [`Envelope`] that names the sending node, and applies the other nodes' notes:
//!
//! - **live events** (`Note::Live`) go into the local broadcast, so SSE streams and
//!   widget sockets see changes made on any node; they stay hints: after the bus was
//!   away a node resyncs (directory, contact index, `Live::Resync` to open streams);
//! - **presence**: each node announces its first/last connection of an agent's page
//!   or a visitor's widget at once and its whole set as a heartbeat every
//!   [`HEARTBEAT`]; a node not heard from for [`MISSED_HEARTBEATS`] heartbeats is
//!   forgotten, so who is online is the union over the nodes that are alive;
//! - **cache invalidation**: the directory (agents, teams, inboxes) is reloaded on a
//!   `Note::Directory`; contacts named in `Note::Contacts` are re-indexed from the
//!   store. Without the bus, staleness is bounded: every `max_staleness_seconds` a node
//!   reads the store's directory version (one point read) and reloads when it moved,
//!   and while the bus is down it also rebuilds the contact index and tells open
//!   streams to reload;
//! - **outbox wake-ups** (`Note::OutboxReady`) wake the local outbox sender at once;
//! - **mail health** (`Note::MailHealth`): the node that polls a mailbox tells the
//!   others, so every node's settings page shows the same health.
//!
//! Sessions are not cached: every request and every live-stream check reads the
//! session and the agent from the store, so a sign-out or a password change on one node
//! holds on all of them at once (`Live::Access` only makes open streams check sooner).

use crate::config::Config;
use crate::service::Services;
use crate::service::live::{Live, Note};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The one subject every node publishes on and listens to.
pub const SUBJECT: &str = "charla.bus";
/// How often a node announces everything connected to it.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// A node not heard from for this many heartbeats is forgotten.
pub const MISSED_HEARTBEATS: u32 = 3;
/// Notes waiting for the bus; past this (the bus is away) new ones are dropped.
const BACKLOG: usize = 10_000;

/// One message on the bus: who sent it and what it says (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub node: String,
    pub note: Note,
}

impl Envelope {
    /// The bytes sent on the bus.
    pub fn encode(node: &str, note: &Note) -> Vec<u8> {
        serde_json::to_vec(&Envelope {
            node: node.to_string(),
            note: note.clone(),
        })
        .unwrap_or_default()
    }

    /// Another node's message, or `None` for our own (`me`) or an unreadable one.
    pub fn decode(me: &str, payload: &[u8]) -> Option<Envelope> {
        match serde_json::from_slice::<Envelope>(payload) {
            Ok(e) if e.node == me => None,
            Ok(e) => Some(e),
            Err(e) => {
                tracing::warn!(error = %e, "cluster bus: unreadable message ignored");
                None
            }
        }
    }
}

/// Applies another node's note on this node.
pub async fn apply(services: &Arc<Services>, from: &str, note: Note, version: &Arc<AtomicU64>) {
    match note {
        Note::Live(e) => services.live.publish_local(e),
        Note::Agent { .. } | Note::Visitor { .. } | Note::Here { .. } | Note::Gone => {
            services.live.remote_note(from, &note)
        }
        Note::Directory => {
            let (s, v) = (services.clone(), version.clone());
            blocking(move || reload_directory(&s, &v)).await
        }
        Note::Contacts(ids) => {
            let s = services.clone();
            blocking(move || {
                for id in ids {
                    if let Some(c) = s.store.contact(id)? {
                        s.contacts_index.put(&c);
                    }
                }
                Ok(())
            })
            .await
        }
        Note::OutboxReady => services.outbox_ready.notify_local(),
        Note::MailHealth { inbox, poll } => services.mail_health.record(inbox, &poll),
    }
}

/// Runs store work off the async workers; logs a failure (a cache stays as it was
/// until the next note or check).
async fn blocking(f: impl FnOnce() -> crate::service::Result<()> + Send + 'static) {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "cluster: cache reload failed"),
        Err(e) => tracing::warn!(error = %e, "cluster: cache reload panicked"),
    }
}

/// Reloads the directory, remembering the version read before it (a change after that
/// read moves the version again, so the next check catches it).
fn reload_directory(s: &Services, version: &AtomicU64) -> crate::service::Result<()> {
    let v = s.store.directory_version()?;
    s.reload_directory()?;
    version.store(v, Ordering::Release);
    Ok(())
}

/// Reloads the directory when the store's version moved; true when it did.
fn check_directory(s: &Services, version: &AtomicU64) -> crate::service::Result<bool> {
    let v = s.store.directory_version()?;
    if v == version.load(Ordering::Acquire) {
        return Ok(false);
    }
    reload_directory(s, version)?;
    Ok(true)
}

/// Re-reads every contact into the search index (after the bus was away: changes made
/// on other nodes meanwhile were not announced).
fn reindex_contacts(s: &Services) -> crate::service::Result<()> {
    let mut after = None;
    loop {
        let batch = s.store.contacts_after(after, 10_000)?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        for c in &batch {
            s.contacts_index.put(c);
        }
    }
    Ok(())
}

/// The running bus of this node.
pub struct Cluster {
    node: String,
    client: async_nats::Client,
    tasks: Vec<JoinHandle<()>>,
}

/// Connects to NATS and bridges this node's live bus and caches to the other nodes.
/// The connection is retried in the background when the server is not there yet, and
/// re-established by the client after a loss.
pub async fn start(cfg: &Config, services: Arc<Services>) -> Result<Cluster, String> {
    // The same id the node's leases carry.
    let node = services.node.id.clone();
    let url = cfg.cluster.nats_url.clone().unwrap_or_default();
    let staleness = Duration::from_secs(cfg.cluster.max_staleness_seconds.max(1));
    let (events_tx, mut events) = mpsc::unbounded_channel::<async_nats::Event>();
    let client = async_nats::ConnectOptions::new()
        .name(format!("charla {node}"))
        .retry_on_initial_connect()
        .event_callback(move |ev| {
            let _ = events_tx.send(ev);
            async {}
        })
        .connect(url.as_str())
        .await
        .map_err(|e| format!("cluster.nats_url: {e}"))?;
    let mut sub = client
        .subscribe(SUBJECT)
        .await
        .map_err(|e| format!("cluster bus: cannot subscribe: {e}"))?;

    // The version first, then the directory: a change in between is caught next check.
    let version = Arc::new(AtomicU64::new(0));
    {
        let (s, v) = (services.clone(), version.clone());
        blocking(move || reload_directory(&s, &v)).await;
    }
    let (notes_tx, mut notes) = mpsc::channel::<Note>(BACKLOG);
    services
        .live
        .bridge(notes_tx, HEARTBEAT * MISSED_HEARTBEATS + HEARTBEAT / 2);
    let live = services.live.clone();
    services
        .contacts_index
        .on_change(move |id| live.tell(Note::Contacts(vec![id])));
    let live = services.live.clone();
    services.mail_health.on_poll(move |inbox, poll| {
        live.tell(Note::MailHealth {
            inbox,
            poll: poll.clone(),
        })
    });

    let mut tasks = Vec::new();
    // Out: this node's notes, in order.
    {
        let (client, node) = (client.clone(), node.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(note) = notes.recv().await {
                let bytes = Envelope::encode(&node, &note);
                if let Err(e) = client.publish(SUBJECT, bytes.into()).await {
                    tracing::debug!(error = %e, "cluster bus: publish failed");
                }
            }
        }));
    }
    // In: the other nodes' notes, applied in the order they were sent.
    {
        let (s, node, v) = (services.clone(), node.clone(), version.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                if let Some(e) = Envelope::decode(&node, &msg.payload) {
                    apply(&s, &e.node, e.note, &v).await;
                }
            }
        }));
    }
    // Heartbeats, the staleness check, and resyncs after the bus was away.
    {
        let (s, client) = (services.clone(), client.clone());
        // The bus went away since the last (re)connection: resync when it is back.
        let mut missed = false;
        tasks.push(tokio::spawn(async move {
            let mut heartbeat = tokio::time::interval(HEARTBEAT);
            let mut check = tokio::time::interval(staleness);
            check.tick().await;
            loop {
                tokio::select! {
                    _ = heartbeat.tick() => {
                        s.live.tell(s.live.local_presence());
                        s.live.expire_remotes();
                    }
                    _ = check.tick() => {
                        let down = client.connection_state() != async_nats::connection::State::Connected;
                        missed |= down;
                        let (s2, v) = (s.clone(), version.clone());
                        blocking(move || {
                            if check_directory(&s2, &v)? {
                                tracing::info!("cluster: directory changed elsewhere; reloaded");
                            }
                            if down {
                                reindex_contacts(&s2)?;
                            }
                            Ok(())
                        })
                        .await;
                        if down {
                            // Other nodes' events do not reach us: pages reload instead.
                            s.live.publish_local(Live::Resync);
                        }
                    }
                    ev = events.recv() => match ev {
                        Some(async_nats::Event::Disconnected) => {
                            tracing::warn!("cluster bus: disconnected; caches checked every {} s", staleness.as_secs());
                            missed = true;
                        }
                        Some(async_nats::Event::Connected) => {
                            tracing::info!("cluster bus: connected");
                            s.live.tell(s.live.local_presence());
                            if missed {
                                missed = false;
                                let (s2, v) = (s.clone(), version.clone());
                                blocking(move || {
                                    reload_directory(&s2, &v)?;
                                    reindex_contacts(&s2)
                                })
                                .await;
                                s.live.publish_local(Live::Resync);
                            }
                        }
                        Some(other) => tracing::info!(event = %other, "cluster bus"),
                        None => return,
                    }
                }
            }
        }));
    }
    tracing::info!(node, "cluster mode: bus started");
    Ok(Cluster {
        node,
        client,
        tasks,
    })
}

impl Cluster {
    /// This node's id.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Says goodbye (other nodes drop this node's connections at once) and stops.
    pub async fn stop(self) {
        let bye = Envelope::encode(&self.node, &Note::Gone);
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            let _ = self.client.publish(SUBJECT, bye.into()).await;
            let _ = self.client.flush().await;
        })
        .await;
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::ConversationId;
    use crate::domain::{AgentId, InboxId};

    #[test]
    fn own_messages_are_ignored_and_others_delivered() {
        let note = Note::Live(Live::Typing {
            inbox: InboxId(3),
            id: ConversationId(42),
            agent: Some("Ana".into()),
            active: true,
        });
        let bytes = Envelope::encode("node-a", &note);
        assert_eq!(Envelope::decode("node-a", &bytes), None, "our own echo");
        assert_eq!(
            Envelope::decode("node-b", &bytes),
            Some(Envelope {
                node: "node-a".into(),
                note
            })
        );
        assert_eq!(Envelope::decode("node-b", b"{not json"), None);
        // Every kind of note survives the trip.
        for n in [
            Note::Live(Live::ReadState {
                agent: AgentId(1),
                id: ConversationId(2),
            }),
            Note::Live(Live::Access { agent: None }),
            Note::Agent {
                agent: AgentId(5),
                on: false,
            },
            Note::Here {
                agents: vec![AgentId(1)],
                visitors: vec![ConversationId(9)],
            },
            Note::Contacts(vec![crate::domain::conversation::ContactId(8)]),
            Note::Directory,
            Note::OutboxReady,
            Note::MailHealth {
                inbox: InboxId(4),
                poll: crate::service::MailPoll::Failed {
                    at: crate::domain::Timestamp(7),
                    error: "IMAP login refused".into(),
                },
            },
            Note::Gone,
        ] {
            let b = Envelope::encode("x", &n);
            assert_eq!(Envelope::decode("y", &b).map(|e| e.note), Some(n));
        }
    }
}

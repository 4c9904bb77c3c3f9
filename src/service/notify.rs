//! Who is notified of what. The server decides (it knows assignments, mentions and
//! inbox membership): after a message is stored, the service works out the agents to
//! tell from the directory (no store read) and publishes one [`Notice`] per kind on the
//! live bus; each agent's live stream passes on the notices addressed to them as a
//! `notify` event, checking the inbox against the agent as they are then.
//!
//! The kinds ([`NotifyKind`]):
//! - **Conversation**: a conversation came into a view the agent watches. An agent
//!   watches "Mine" and "Unassigned" of the inboxes they are a member of (an admin is
//!   told only of the inboxes they joined, not of every inbox they may open), narrowed
//!   to the conversation's team when it has one: that is where a team picks new work
//!   up. A conversation counts as new when it starts and when the customer brings an
//!   unassigned one back (reopened or woken by their message).
//! - **Assigned**: a new message in a conversation assigned to the agent: the
//!   customer's, or a colleague's reply or note.
//! - **Mention**: a colleague @mentioned the agent in a note.
//!
//! Nobody is notified of their own action, an agent hears of one message once (a
//! mention wins over the assignment), and a kind the agent turned off is not sent.

use super::Services;
use super::directory::Directory;
use super::live::Live;
use crate::domain::conversation::{Conversation, ConversationId, EventKind, Status, preview_of};
use crate::domain::{AgentId, InboxId, NotifyKind};
use crate::store::Ingested;
use serde::{Deserialize, Serialize};

/// One notification, for the agents in `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NotifyKind,
    pub inbox: InboxId,
    pub id: ConversationId,
    pub to: Vec<AgentId>,
    /// The contact's name (plain text; may be empty).
    pub title: String,
    /// A short plain-text excerpt of the message.
    pub excerpt: String,
}

impl Notice {
    /// The `notify` event's data: `{"kind", "conversation", "title", "excerpt"}` (JSON on
    /// one line: strings are escaped, so customer text cannot break the event).
    pub fn event_data(&self) -> String {
        serde_json::json!({
            "kind": self.kind,
            "conversation": self.id.0,
            "title": self.title,
            "excerpt": self.excerpt,
        })
        .to_string()
    }
}

/// What just happened in a conversation.
#[derive(Clone, Debug, Default)]
pub struct Activity<'a> {
    /// The agent who wrote (never notified); `None` for the customer.
    pub by: Option<AgentId>,
    /// The conversation came (back) into the unassigned view.
    pub arrived: bool,
    /// Agents @mentioned.
    pub mentions: &'a [AgentId],
    /// The message's text.
    pub text: &'a str,
}

/// The notices for `activity` in `c` (after it was stored), one per kind with anyone
/// to tell.
pub fn notices(dir: &Directory, c: &Conversation, activity: &Activity) -> Vec<Notice> {
    let Some(inbox) = dir.inbox(c.inbox_id) else {
        return vec![];
    };
    let mut told: Vec<AgentId> = Vec::new();
    let mut out = Vec::new();
    let mut add = |kind: NotifyKind, who: Vec<AgentId>, told: &mut Vec<AgentId>| {
        let to: Vec<AgentId> = who
            .into_iter()
            .filter(|id| Some(*id) != activity.by && !told.contains(id))
            .filter(|id| {
                dir.agent(*id)
                    .is_some_and(|a| a.active && inbox.visible_to(a) && a.notify.wants(kind))
            })
            .collect();
        told.extend(&to);
        if !to.is_empty() {
            out.push(Notice {
                kind,
                inbox: inbox.id,
                id: c.id,
                to,
                title: c.contact_name.clone(),
                excerpt: preview_of(activity.text),
            });
        }
    };
    add(NotifyKind::Mention, activity.mentions.to_vec(), &mut told);
    add(
        NotifyKind::Assigned,
        c.assignee.into_iter().collect(),
        &mut told,
    );
    if activity.arrived && c.assignee.is_none() && c.status == Status::Open {
        let team = c.team.and_then(|t| dir.team(t));
        let watchers = inbox
            .members
            .iter()
            .copied()
            .filter(|a| team.is_none_or(|t| t.members.contains(a)))
            .collect();
        add(NotifyKind::Conversation, watchers, &mut told);
    }
    out
}

impl Services {
    /// Publishes the notices for an inbound message just stored (nothing for a
    /// duplicate, an auto-reply or bounce, or a blocked contact's message).
    pub(super) fn notify_ingested(&self, r: &Ingested) {
        let Some(c) = r.conversation.as_ref() else {
            return;
        };
        if r.duplicate || r.quiet || c.status != Status::Open {
            return;
        }
        let arrived = r.created
            || r.events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Reopened | EventKind::Woke));
        self.notify(
            c,
            &Activity {
                by: None,
                arrived,
                mentions: &[],
                text: &c.preview,
            },
        );
    }

    /// Publishes the notices for `activity` in `c`.
    pub(super) fn notify(&self, c: &Conversation, activity: &Activity) {
        for n in notices(&self.directory(), c, activity) {
            self.live.publish(Live::Notify(n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::ChannelIdentity;
    use crate::domain::{Agent, ChannelKind, Inbox, NotifyPrefs, Role, Team, TeamId, Timestamp};

    fn agent(id: u64, role: Role) -> Agent {
        Agent {
            id: AgentId(id),
            name: format!("A{id}"),
            email: format!("a{id}@example.com"),
            role,
            password_hash: None,
            active: true,
            created_at: Timestamp(0),
            password_changed_at: Timestamp(0),
            language: None,
            timezone: None,
            notify: NotifyPrefs::default(),
            two_factor: None,
            undo_send_secs: crate::domain::account::DEFAULT_UNDO_SEND_SECS,
            signature: String::new(),
        }
    }

    /// Agents 1–4 are members of inbox 10 (4 is inactive), 5 is an admin who is not,
    /// 6 is in inbox 11 only; team 20 is agents 2 and 3.
    fn dir() -> Directory {
        let mut agents: Vec<Agent> = (1..=6).map(|i| agent(i, Role::Agent)).collect();
        agents[3].active = false;
        agents[4].role = Role::Admin;
        let inbox = |id: u64, members: Vec<u64>| Inbox {
            id: InboxId(id),
            name: "Support".into(),
            channel: ChannelKind::Api,
            members: members.into_iter().map(AgentId).collect(),
            created_at: Timestamp(0),
            api_token: None,
            webhook_url: None,
            language: None,
            email: None,
            website: None,
            messaging: None,
        };
        Directory {
            agents,
            teams: vec![Team {
                id: TeamId(20),
                name: "Billing".into(),
                members: vec![AgentId(2), AgentId(3)],
                created_at: Timestamp(0),
            }],
            inboxes: vec![inbox(10, vec![1, 2, 3, 4]), inbox(11, vec![6])],
            version: 1,
        }
    }

    fn conv(assignee: Option<u64>) -> Conversation {
        Conversation {
            id: ConversationId(99),
            inbox_id: InboxId(10),
            contact_id: crate::domain::conversation::ContactId(7),
            status: Status::Open,
            assignee: assignee.map(AgentId),
            team: None,
            created_at: Timestamp(0),
            last_activity_at: Timestamp(0),
            last_inbound_at: None,
            waiting_since: None,
            agent_replied: false,
            preview: String::new(),
            contact_name: "Ana <b>".into(),
            token: String::new(),
            identity: ChannelIdentity::default(),
            agent_replies: 0,
            closed_assignee: None,
        }
    }

    fn to(ns: &[Notice]) -> Vec<(NotifyKind, Vec<u64>)> {
        ns.iter()
            .map(|n| (n.kind, n.to.iter().map(|a| a.0).collect()))
            .collect()
    }

    #[test]
    fn a_new_unassigned_conversation_tells_the_active_members_of_its_inbox() {
        let d = dir();
        let a = Activity {
            arrived: true,
            text: "Hola,\n  necesito   ayuda",
            ..Activity::default()
        };
        let ns = notices(&d, &conv(None), &a);
        assert_eq!(to(&ns), vec![(NotifyKind::Conversation, vec![1, 2, 3])]);
        assert_eq!(ns[0].title, "Ana <b>");
        assert_eq!(ns[0].excerpt, "Hola, necesito ayuda");
        // Routed to a team: only the team's members.
        let mut c = conv(None);
        c.team = Some(TeamId(20));
        assert_eq!(
            to(&notices(&d, &c, &a)),
            vec![(NotifyKind::Conversation, vec![2, 3])]
        );
        // A message in a conversation already there (not arrived), or a closed one: nobody.
        let later = Activity {
            arrived: false,
            ..a.clone()
        };
        assert!(notices(&d, &conv(None), &later).is_empty());
        let mut closed = conv(None);
        closed.status = Status::Closed;
        assert!(notices(&d, &closed, &a).is_empty());
    }

    #[test]
    fn the_assignee_hears_of_messages_by_others_and_a_mention_wins() {
        let d = dir();
        let customer = Activity {
            text: "¿Hay novedades?",
            ..Activity::default()
        };
        assert_eq!(
            to(&notices(&d, &conv(Some(2)), &customer)),
            vec![(NotifyKind::Assigned, vec![2])]
        );
        // Their own note: nothing; a colleague's note mentioning them and agent 3.
        let own = Activity {
            by: Some(AgentId(2)),
            mentions: &[AgentId(3)],
            ..customer.clone()
        };
        assert_eq!(
            to(&notices(&d, &conv(Some(2)), &own)),
            vec![(NotifyKind::Mention, vec![3])]
        );
        let mentions = [AgentId(2), AgentId(3), AgentId(6), AgentId(1)];
        let colleague = Activity {
            by: Some(AgentId(1)),
            mentions: &mentions,
            ..customer
        };
        assert_eq!(
            to(&notices(&d, &conv(Some(2)), &colleague)),
            vec![(NotifyKind::Mention, vec![2, 3])],
            "once each; not agent 6 (another inbox), not the author"
        );
    }

    #[test]
    fn kinds_turned_off_and_access_are_respected() {
        let mut d = dir();
        d.agents[1].notify.assigned = false;
        d.agents[2].notify.conversations = false;
        let customer = Activity {
            arrived: true,
            text: "x",
            ..Activity::default()
        };
        assert!(notices(&d, &conv(Some(2)), &customer).is_empty());
        assert_eq!(
            to(&notices(&d, &conv(None), &customer)),
            vec![(NotifyKind::Conversation, vec![1, 2])]
        );
        // Assigned to someone who left the inbox, or an admin outside it: an admin may
        // open every inbox, so an assignment or a mention reaches them.
        assert!(notices(&d, &conv(Some(6)), &customer).is_empty());
        assert_eq!(
            to(&notices(&d, &conv(Some(5)), &customer)),
            vec![(NotifyKind::Assigned, vec![5])]
        );
        // With mentions off, the assignee mentioned still hears of the message as theirs.
        d.agents[1].notify = NotifyPrefs {
            mentions: false,
            ..NotifyPrefs::default()
        };
        let m = [AgentId(2)];
        let note = Activity {
            by: Some(AgentId(1)),
            mentions: &m,
            text: "@A2",
            ..Activity::default()
        };
        assert_eq!(
            to(&notices(&d, &conv(Some(2)), &note)),
            vec![(NotifyKind::Assigned, vec![2])]
        );
    }

    #[test]
    fn the_event_data_is_one_line_of_json() {
        let n = Notice {
            kind: NotifyKind::Mention,
            inbox: InboxId(1),
            id: ConversationId(5),
            to: vec![AgentId(1)],
            title: "Ana\n\nevent: x".into(),
            excerpt: "<img src=x>".into(),
        };
        let data = n.event_data();
        assert!(!data.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(v["kind"], "mention");
        assert_eq!(v["conversation"], 5);
        assert_eq!(v["title"], "Ana\n\nevent: x");
        assert_eq!(v["excerpt"], "<img src=x>");
    }
}

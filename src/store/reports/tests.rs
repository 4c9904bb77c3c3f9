//! The report tallies on both engines: what the write path keeps equals what the
//! schema-4 rebuild computes from the timelines, on a known data set and after any
//! sequence of operations; deleting takes a conversation's numbers back out.

use super::super::test_support::{TestEngine, TestStore, on_both_engines};
use super::super::{Change, InboundMessage, InboundSender, Store, Thread, codec, keys};
use super::*;
use crate::domain::contact::Contact;
use crate::domain::conversation::{Actor, ChannelIdentity, ContactId, Event, MessageId};
use crate::domain::message::Message;
use crate::domain::report::{Spread, hour_of};
use crate::domain::{AgentId, AuditEntry, InboxId, TeamId, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const T0: i64 = 1_780_000_000_000;

fn at(secs: i64) -> Timestamp {
    Timestamp(T0 + secs * 1000)
}

/// Store operations made the way the services make them (each change records its
/// timeline items).
struct Driver<'a> {
    s: &'a Store,
}

impl Driver<'_> {
    fn id(&self) -> u64 {
        self.s.generate_id().unwrap()
    }

    fn events(&self, events: Vec<Event>) -> Vec<TimelineItem> {
        events
            .into_iter()
            .map(|e| TimelineItem::Event(MessageId(self.id()), e))
            .collect()
    }

    /// A customer's message into `inbox` at `secs`; returns its conversation.
    fn inbound(&self, inbox: u64, contact: &str, secs: i64) -> ConversationId {
        let ids = std::array::from_fn(|_| self.id());
        let m = InboundMessage {
            inbox_id: InboxId(inbox),
            source_id: Some(format!("m{}", ids[4])),
            sender: InboundSender::of(
                Some(contact.into()),
                None,
                Some(format!("{contact}@example.com")),
                None,
            ),
            thread: Thread::Latest,
            position: None,
            content: "hello".into(),
            at: at(secs),
            token: format!("tok{}", ids[0]),
            quiet: false,
            mail: None,
        };
        self.s.ingest(&m, ids).unwrap().conversation_id
    }

    /// Applies a rule at `secs`, recording the events it returns.
    fn rule(
        &self,
        c: ConversationId,
        f: impl Fn(&mut Conversation) -> Vec<Event>,
    ) -> Option<Conversation> {
        let ids: Vec<u64> = (0..3).map(|_| self.id()).collect();
        self.s
            .update_conversation(c, |conv| {
                let items = f(conv)
                    .into_iter()
                    .zip(&ids)
                    .map(|(e, id)| TimelineItem::Event(MessageId(*id), e))
                    .collect();
                Ok(Change {
                    items,
                    ..Change::default()
                })
            })
            .ok()
            .map(|(c, _)| c)
    }

    /// An agent's reply (or note, or transcript) at `secs`.
    fn write(&self, c: ConversationId, agent: u64, secs: i64, kind: &str) {
        let (ev, msg) = (self.id(), self.id());
        let a = AgentId(agent);
        let mut m = Message::outgoing(
            MessageId(msg),
            c,
            a,
            "text".into(),
            at(secs),
            kind == "note",
            false,
        );
        m.transcript = kind == "transcript";
        let _ = self.s.update_conversation(c, |conv| {
            let mut items = vec![];
            match kind {
                "reply" => items.extend(
                    conv.on_reply(a, "text", at(secs))
                        .into_iter()
                        .map(|e| TimelineItem::Event(MessageId(ev), e)),
                ),
                "note" => conv.on_note("text", at(secs)),
                _ => {}
            }
            items.push(TimelineItem::Message(m.clone()));
            Ok(Change {
                items,
                ..Change::default()
            })
        });
    }

    fn reply(&self, c: ConversationId, agent: u64, secs: i64) {
        self.write(c, agent, secs, "reply");
    }

    fn close(&self, c: ConversationId, agent: u64, secs: i64) {
        self.rule(c, |conv| {
            conv.close(Actor::Agent(AgentId(agent)), None, at(secs))
                .unwrap_or_default()
        });
    }

    fn reopen(&self, c: ConversationId, secs: i64) {
        self.rule(c, |conv| {
            conv.reopen(Actor::Agent(AgentId(1)), at(secs))
                .unwrap_or_default()
        });
    }

    /// "New message": an agent starts a conversation at `secs`.
    fn start(&self, inbox: u64, agent: u64, secs: i64) -> ConversationId {
        let contact = Contact {
            id: ContactId(self.id()),
            name: "Started".into(),
            email: None,
            phone: Some(format!("+3460000{}", self.id())),
            identifier: None,
            tags: vec![],
            properties: vec![],
            blocked: false,
            created_at: at(secs),
            inboxes: vec![],
            handles: vec![],
            language: None,
        };
        self.s.put_contact(&contact, false).unwrap();
        let (mut c, events) = Conversation::start(
            ConversationId(self.id()),
            InboxId(inbox),
            contact.id,
            "Started".into(),
            format!("tok{}", self.id()),
            ChannelIdentity::default(),
            at(secs),
        );
        let a = AgentId(agent);
        let mut items: Vec<TimelineItem> = self.events(
            events
                .into_iter()
                .map(|mut e| {
                    e.actor = Actor::Agent(a);
                    e
                })
                .collect(),
        );
        items.extend(self.events(c.on_reply(a, "hi", at(secs))));
        let m = Message::outgoing(
            MessageId(self.id()),
            c.id,
            a,
            "hi".into(),
            at(secs),
            false,
            false,
        );
        items.push(TimelineItem::Message(m));
        self.s
            .insert_conversation(
                &c,
                &Change {
                    items,
                    ..Change::default()
                },
            )
            .unwrap();
        c.id
    }

    fn delete(&self, c: ConversationId) {
        let audit = (
            self.id(),
            AuditEntry {
                at: Timestamp(0),
                actor: None,
                actor_name: "test".into(),
                action: "conversation.delete".into(),
                target: String::new(),
                detail: String::new(),
            },
        );
        let _ = self.s.delete_conversation(c, &audit);
    }
}

/// The tallies the rebuild computes, compared with what the write path kept; the
/// conversations' reply counts and closing assignees survive it unchanged.
fn assert_rebuild_agrees(store: &Store) -> std::result::Result<(), TestCaseError> {
    let written = store.report_tallies().unwrap();
    let convs = store.conversations_after(None, 100_000).unwrap();
    rebuild(store).unwrap();
    let rebuilt = store.report_tallies().unwrap();
    prop_assert_eq!(&written, &rebuilt);
    prop_assert_eq!(convs, store.conversations_after(None, 100_000).unwrap());
    Ok(())
}

/// The whole range of one dimension, merged.
fn merged(store: &Store, d: Dimension) -> Tally {
    let mut t = Tally::default();
    for (_, h) in store.report_hours(d, 0, u32::MAX).unwrap() {
        t.merge(h);
    }
    t
}

on_both_engines!(
    a_known_data_set_gives_known_numbers_and_the_rebuild_agrees,
    deleting_takes_a_conversation_out_of_the_reports,
);
on_both_engines!(reopening: a_schema_3_store_is_migrated_to_the_same_tallies);
on_both_engines!(per_engine: any_operations_keep_tallies_equal_to_a_rebuild);

/// Two inboxes, two agents, a team; first responses after 60 s, 300 s and 900 s;
/// resolutions after 1,000 s and 4,000 s; one reopen; one conversation started by an
/// agent; notes and a transcript that are no replies.
fn a_known_data_set_gives_known_numbers_and_the_rebuild_agrees(store: &Store) {
    let d = Driver { s: store };
    let a = d.inbound(1, "ana", 0);
    d.write(a, 7, 30, "note");
    d.reply(a, 7, 60);
    d.reply(a, 8, 70);
    d.write(a, 7, 80, "transcript");
    d.rule(a, |c| c.set_team(Actor::System, Some(TeamId(5)), at(90)));
    d.close(a, 7, 1000);
    let b = d.inbound(1, "bea", 100);
    d.reply(b, 8, 400);
    d.close(b, 8, 4100);
    d.inbound(1, "bea", 5000); // reopens b
    let c = d.inbound(2, "cai", 3600);
    d.reply(c, 7, 4500);
    let started = d.start(2, 8, 200);
    d.reply(started, 8, 210);

    let total = merged(store, Dimension::Total).summary();
    assert_eq!((total.opened, total.closed, total.reopened), (4, 2, 1));
    assert_eq!(
        total.first_response_s,
        Spread {
            count: 3,
            median: Some(300),
            p90: Some(900)
        }
    );
    assert_eq!(
        total.resolution_s,
        Spread {
            count: 2,
            median: Some(1000),
            p90: Some(4000)
        }
    );
    assert_eq!(
        (total.replies.median, total.replies.p90),
        (Some(1), Some(2))
    );
    let ana = merged(store, Dimension::Agent(Some(AgentId(7)))).normalized();
    assert_eq!(
        (
            ana.opened,
            ana.closed,
            ana.reopened,
            ana.first_response_s,
            ana.resolution_s
        ),
        (0, 1, 0, vec![60, 900], vec![1000])
    );
    let luis = merged(store, Dimension::Agent(Some(AgentId(8)))).normalized();
    assert_eq!(
        (
            luis.opened,
            luis.closed,
            luis.reopened,
            luis.first_response_s,
            luis.resolution_s
        ),
        (1, 1, 1, vec![300], vec![4000]),
        "opened the conversation they started; b reopened after they closed it"
    );
    let unassigned = merged(store, Dimension::Agent(None));
    assert_eq!(unassigned.opened, 3);
    let inbox1 = merged(store, Dimension::Inbox(InboxId(1))).summary();
    assert_eq!((inbox1.opened, inbox1.closed, inbox1.reopened), (2, 2, 1));
    let team = merged(store, Dimension::Team(Some(TeamId(5)))).summary();
    assert_eq!((team.closed, team.resolution_s.median), (1, Some(1000)));
    assert_eq!(merged(store, Dimension::Team(None)).closed, 1);
    // Each happening is counted in its own hour: T0 is 1,600 s into an hour, so the
    // next hour starts at 2,000 s.
    let h0 = hour_of(at(0));
    assert_eq!(hour_of(at(1999)), h0);
    assert_eq!(hour_of(at(2000)), h0 + 1);
    let hours = store.report_hours(Dimension::Total, h0, h0 + 2).unwrap();
    let (first, second) = (
        hours[0].1.clone().normalized(),
        hours[1].1.clone().normalized(),
    );
    assert_eq!((hours[0].0, hours[1].0), (h0, h0 + 1));
    assert_eq!(
        (
            first.opened,
            first.closed,
            first.reopened,
            first.first_response_s
        ),
        (3, 1, 0, vec![60, 300])
    );
    assert_eq!(
        (
            second.opened,
            second.closed,
            second.reopened,
            second.first_response_s
        ),
        (1, 1, 1, vec![900])
    );
    assert_eq!(
        store
            .report_hours(Dimension::Total, h0 + 1, h0 + 1)
            .unwrap(),
        vec![]
    );
    let all_hours = store.report_hours(Dimension::Total, 0, u32::MAX).unwrap();
    assert!(
        all_hours.windows(2).all(|w| w[0].0 < w[1].0),
        "in hour order"
    );
    assert_eq!(
        all_hours.iter().map(|(_, t)| t.opened).sum::<u32>(),
        4,
        "the hours add up to the total"
    );
    assert_rebuild_agrees(store).unwrap();
}

/// A deleted conversation's numbers leave every dimension; the others stay.
fn deleting_takes_a_conversation_out_of_the_reports(store: &Store) {
    let d = Driver { s: store };
    let keep = d.inbound(1, "ana", 0);
    d.reply(keep, 7, 60);
    d.close(keep, 7, 600);
    let before = store.report_tallies().unwrap();
    let gone = d.inbound(2, "bea", 10);
    d.reply(gone, 8, 20);
    d.close(gone, 8, 30);
    d.reopen(gone, 40);
    assert_ne!(store.report_tallies().unwrap(), before);
    d.delete(gone);
    assert_eq!(store.report_tallies().unwrap(), before);
    assert_rebuild_agrees(store).unwrap();
}

/// A store written before reports existed (no tallies, no reply counts) reopens at
/// schema 4 with the tallies the write path would have kept; a rerun (a crash before
/// the version moved) gives the same, whatever half-written tallies it finds.
fn a_schema_3_store_is_migrated_to_the_same_tallies(t: &TestStore) {
    let (written, convs) = {
        let s = t.open().unwrap();
        let d = Driver { s: &s };
        let a = d.inbound(1, "ana", 0);
        d.reply(a, 7, 60);
        d.reply(a, 7, 70);
        d.close(a, 7, 600);
        d.inbound(1, "ana", 700);
        let b = d.start(2, 8, 100);
        d.reply(b, 8, 110);
        let written = s.report_tallies().unwrap();
        let convs = s.conversations_after(None, 100).unwrap();
        assert!(!written.is_empty());
        // Make it look as schema 3 left it.
        for k in written.keys() {
            s.t.reporthour_tally.remove(k).unwrap();
        }
        for c in &convs {
            let mut old = c.clone();
            old.agent_replies = 0;
            old.closed_assignee = None;
            s.t.convid_conversation
                .insert(keys::id(c.id.0), codec::encode(&old).unwrap())
                .unwrap();
        }
        s.t.agentid_agent.insert(keys::id(1), [1u8]).unwrap();
        super::super::migrations::set_version(&s, 3).unwrap();
        (written, convs)
    };
    let s = t.open().unwrap();
    assert_eq!(s.schema_version().unwrap(), super::super::CURRENT_SCHEMA);
    assert_eq!(s.report_tallies().unwrap(), written);
    assert_eq!(s.conversations_after(None, 100).unwrap(), convs);
    assert_eq!(convs[0].agent_replies, 2);
    // A rerun over a stray tally (as a crash mid-rebuild could leave).
    s.t.reporthour_tally
        .insert(
            report_key(Dimension::Total, 1),
            codec::encode(&Tally {
                opened: 9,
                ..Tally::default()
            })
            .unwrap(),
        )
        .unwrap();
    rebuild(&s).unwrap();
    assert_eq!(s.report_tallies().unwrap(), written);
}

/// Records written before `agent_replies` and `closed_assignee` existed (a shorter
/// MessagePack array) decode with 0 and none.
#[test]
fn an_old_shape_conversation_decodes_with_defaults() {
    let (mut c, _) = Conversation::start(
        ConversationId(1),
        InboxId(1),
        ContactId(1),
        "Carla".into(),
        "tok".into(),
        ChannelIdentity::default(),
        at(0),
    );
    c.agent_replies = 4;
    c.closed_assignee = Some(AgentId(2));
    let bytes = codec::encode(&c).unwrap();
    let fields: Vec<serde_json::Value> = rmp_serde::from_slice(&bytes[1..]).unwrap();
    let old_shape = &fields[..fields.len() - 2];
    let mut old = vec![codec::FORMAT];
    rmp_serde::encode::write(&mut old, &old_shape).unwrap();
    let back: Conversation = codec::decode(&old).unwrap();
    assert_eq!((back.agent_replies, back.closed_assignee), (0, None));
    assert_eq!(back.id, c.id);
    assert_eq!(back.identity, c.identity);
    assert_eq!(codec::decode::<Conversation>(&bytes).unwrap(), c);
}

#[test]
fn keys_sort_by_dimension_then_hour() {
    let a = report_key(Dimension::Inbox(InboxId(2)), 5);
    let b = report_key(Dimension::Inbox(InboxId(2)), 256);
    let c = report_key(Dimension::Inbox(InboxId(3)), 0);
    let d = report_key(Dimension::Team(None), 0);
    assert!(a < b && b < c && c < d);
    assert_eq!(hour_of_key(&b), Some(256));
}

#[derive(Debug, Clone)]
enum Op {
    Inbound {
        inbox: u64,
        contact: u8,
    },
    Reply {
        conv: prop::sample::Index,
        agent: u64,
    },
    Note {
        conv: prop::sample::Index,
    },
    Assign {
        conv: prop::sample::Index,
        to: Option<u64>,
    },
    Team {
        conv: prop::sample::Index,
        to: Option<u64>,
    },
    Close {
        conv: prop::sample::Index,
        agent: u64,
    },
    Reopen {
        conv: prop::sample::Index,
    },
    Snooze {
        conv: prop::sample::Index,
    },
    Wake,
    Start {
        inbox: u64,
        agent: u64,
    },
    Delete {
        conv: prop::sample::Index,
    },
}

fn op() -> impl Strategy<Value = Op> {
    use prop::sample::Index;
    prop_oneof![
        4 => (1u64..3, 0u8..4).prop_map(|(inbox, contact)| Op::Inbound { inbox, contact }),
        3 => (any::<Index>(), 1u64..4).prop_map(|(conv, agent)| Op::Reply { conv, agent }),
        1 => any::<Index>().prop_map(|conv| Op::Note { conv }),
        1 => (any::<Index>(), prop::option::of(1u64..4)).prop_map(|(conv, to)| Op::Assign { conv, to }),
        1 => (any::<Index>(), prop::option::of(1u64..3)).prop_map(|(conv, to)| Op::Team { conv, to }),
        2 => (any::<Index>(), 1u64..4).prop_map(|(conv, agent)| Op::Close { conv, agent }),
        1 => any::<Index>().prop_map(|conv| Op::Reopen { conv }),
        1 => any::<Index>().prop_map(|conv| Op::Snooze { conv }),
        1 => Just(Op::Wake),
        1 => (1u64..3, 1u64..4).prop_map(|(inbox, agent)| Op::Start { inbox, agent }),
        1 => any::<Index>().prop_map(|conv| Op::Delete { conv }),
    ]
}

/// After any operations (clock moving 0 to 40 minutes between them, so hours and ties
/// both occur), the tallies are what a rebuild from the timelines gives.
fn any_operations_keep_tallies_equal_to_a_rebuild(engine: TestEngine) {
    let (cases, max_ops) = match engine {
        TestEngine::Sled => (48, 40),
        TestEngine::Postgres => (12, 30),
    };
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop::collection::vec((0i64..2400, op()), 1..=max_ops);
    let result = runner.run(&strategy, |ops| {
        let place = TestStore::new(engine);
        let store = place.open().unwrap();
        let d = Driver { s: &store };
        let mut made: Vec<ConversationId> = vec![];
        let mut secs = 0;
        for (step, op) in ops {
            secs += step;
            let pick = |i: &prop::sample::Index| made.get(i.index(made.len().max(1))).copied();
            match op {
                Op::Inbound { inbox, contact } => {
                    let c = d.inbound(inbox, &format!("c{contact}"), secs);
                    if !made.contains(&c) {
                        made.push(c);
                    }
                }
                Op::Reply { conv, agent } => {
                    if let Some(c) = pick(&conv) {
                        d.reply(c, agent, secs);
                    }
                }
                Op::Note { conv } => {
                    if let Some(c) = pick(&conv) {
                        d.write(c, 1, secs, "note");
                    }
                }
                Op::Assign { conv, to } => {
                    if let Some(c) = pick(&conv) {
                        d.rule(c, |x| x.assign(Actor::System, to.map(AgentId), at(secs)));
                    }
                }
                Op::Team { conv, to } => {
                    if let Some(c) = pick(&conv) {
                        d.rule(c, |x| x.set_team(Actor::System, to.map(TeamId), at(secs)));
                    }
                }
                Op::Close { conv, agent } => {
                    if let Some(c) = pick(&conv) {
                        d.close(c, agent, secs);
                    }
                }
                Op::Reopen { conv } => {
                    if let Some(c) = pick(&conv) {
                        d.reopen(c, secs);
                    }
                }
                Op::Snooze { conv } => {
                    if let Some(c) = pick(&conv) {
                        d.rule(c, |x| {
                            x.snooze(Actor::System, at(secs + 600), at(secs))
                                .unwrap_or_default()
                        });
                    }
                }
                Op::Wake => {
                    for c in store.due_wakes(at(secs), 100).unwrap() {
                        d.rule(c, |x| x.wake_if_due(at(secs)));
                    }
                }
                Op::Start { inbox, agent } => made.push(d.start(inbox, agent, secs)),
                Op::Delete { conv } => {
                    if let Some(c) = pick(&conv) {
                        d.delete(c);
                    }
                }
            }
        }
        assert_rebuild_agrees(&store)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

//! A property of the view indexes, on both engines: after any sequence of conversation
//! operations (ingest from a few contacts into two inboxes, resent duplicates, assign,
//! team moves, replies, notes with mentions, close, reopen, snooze, wake, delete, read
//! marks), the stored conversations are what a simple model says, and
//! - `viewidx_unit` holds exactly the entries a recomputation from the stored
//!   conversations (and `mention_time`) gives, `viewcount_n` exactly their counts, and
//!   `wakedue_unit` exactly the snoozed conversations' timers;
//! - every view, over each inbox and over both, lists exactly the model's conversations
//!   for it, newest first, whole or page by page, and counts them.
//!
//! View membership here is written from the schema's description (`store/schema.rs`),
//! not with the store's `views_of`, so a wrong rule there shows as a difference.

use super::super::test_support::{TestEngine, TestStore, on_both_engines};
use super::super::views::{count_key, idx_key};
use super::super::{
    Abort, Change, InboundMessage, InboundSender, Store, StoreError, Thread, View, keys,
};
use crate::domain::conversation::{Actor, Conversation, ConversationId, Status};
use crate::domain::{AgentId, AuditEntry, InboxId, TeamId, Timestamp};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::{BTreeMap, BTreeSet};

const INBOXES: [u64; 2] = [1, 2];
const AGENTS: [u64; 3] = [1, 2, 3];
const TEAMS: [u64; 2] = [1, 2];

/// One store operation; `conv` picks among the conversations made so far (deleted ones
/// included: those must answer "not found").
#[derive(Debug, Clone)]
enum Op {
    /// A message from contact `contact` into inbox `inbox`; `resend` repeats the inbox's
    /// previous message instead (a duplicate, which changes nothing).
    Ingest {
        contact: u8,
        inbox: usize,
        quiet: bool,
        resend: bool,
    },
    Assign {
        conv: Index,
        to: Option<usize>,
    },
    Team {
        conv: Index,
        to: Option<usize>,
    },
    Reply {
        conv: Index,
        agent: usize,
    },
    Note {
        conv: Index,
        mention: usize,
    },
    Close {
        conv: Index,
    },
    Reopen {
        conv: Index,
    },
    Snooze {
        conv: Index,
        ms: i64,
    },
    /// The snooze timer: wakes every snoozed conversation that is due.
    Wake,
    Delete {
        conv: Index,
    },
    Read {
        conv: Index,
        agent: usize,
        unread: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let conv = any::<Index>;
    prop_oneof![
        5 => (0u8..4, 0..INBOXES.len(), prop::bool::weighted(0.2), prop::bool::weighted(0.15))
            .prop_map(|(contact, inbox, quiet, resend)| Op::Ingest { contact, inbox, quiet, resend }),
        2 => (conv(), prop::option::of(0..AGENTS.len())).prop_map(|(conv, to)| Op::Assign { conv, to }),
        2 => (conv(), prop::option::of(0..TEAMS.len())).prop_map(|(conv, to)| Op::Team { conv, to }),
        1 => (conv(), 0..AGENTS.len()).prop_map(|(conv, agent)| Op::Reply { conv, agent }),
        1 => (conv(), 0..AGENTS.len()).prop_map(|(conv, mention)| Op::Note { conv, mention }),
        2 => conv().prop_map(|conv| Op::Close { conv }),
        1 => conv().prop_map(|conv| Op::Reopen { conv }),
        2 => (conv(), 1i64..8).prop_map(|(conv, ms)| Op::Snooze { conv, ms }),
        1 => Just(Op::Wake),
        1 => conv().prop_map(|conv| Op::Delete { conv }),
        1 => (conv(), 0..AGENTS.len(), any::<bool>())
            .prop_map(|(conv, agent, unread)| Op::Read { conv, agent, unread }),
    ]
}

/// Operations, each after the clock moves on by 0 to 2 ms (ties in time included).
fn ops(max: usize) -> impl Strategy<Value = Vec<(i64, Op)>> {
    prop::collection::vec((0i64..3, op()), 1..=max)
}

/// What the model knows of a live conversation.
#[derive(Debug, Clone, PartialEq)]
struct M {
    inbox: u64,
    status: Status,
    assignee: Option<u64>,
    team: Option<u64>,
    last: i64,
    /// Agent → the time of their latest mention.
    mentions: BTreeMap<u64, i64>,
}

#[derive(Default)]
struct Model {
    live: BTreeMap<u64, M>,
    /// Every conversation id ever made, in order.
    made: Vec<u64>,
    /// (contact, inbox) → the contact's conversation there.
    latest: BTreeMap<(u8, u64), u64>,
    /// Inbox → the source id of its latest message, with its conversation and message.
    last_source: BTreeMap<u64, (String, u64, u64)>,
    /// (agent, conversation) → read up to.
    reads: BTreeMap<(u64, u64), i64>,
}

/// The (tag, sub) views of a conversation as `schema.rs` describes them: open ones are
/// in "all", in "mine" of their assignee or "unassigned", and in their team's; snoozed
/// ones only in "snoozed", closed ones only in "closed".
fn views(status: Status, assignee: Option<u64>, team: Option<u64>) -> Vec<(u8, u64)> {
    match status {
        Status::Open => {
            let mut v = vec![(1, 0), assignee.map_or((3, 0), |a| (2, a))];
            v.extend(team.map(|t| (4, t)));
            v
        }
        Status::Snoozed { .. } => vec![(5, 0)],
        Status::Closed => vec![(6, 0)],
    }
}

fn audit(store: &Store) -> (u64, AuditEntry) {
    (
        store.generate_id().unwrap(),
        AuditEntry {
            at: Timestamp(0),
            actor: None,
            actor_name: "test".into(),
            action: "conversation.delete".into(),
            target: String::new(),
            detail: String::new(),
        },
    )
}

fn fail(what: String) -> TestCaseError {
    TestCaseError::fail(what)
}

/// Applies `f` to conversation `id` and checks the result against the model's
/// expectation: `Ok(())` to succeed, or the abort it must refuse with.
fn update(
    store: &Store,
    id: u64,
    expect: std::result::Result<(), Abort>,
    f: impl Fn(&mut Conversation) -> std::result::Result<Change, Abort>,
) -> Result<(), TestCaseError> {
    let got = store.update_conversation(ConversationId(id), f);
    match (got, expect) {
        (Ok(_), Ok(())) => Ok(()),
        (Err(StoreError::Abort(a)), Err(e)) if a == e => Ok(()),
        (got, expect) => Err(fail(format!(
            "conversation {id}: got {:?}, expected {expect:?}",
            got.map(|(c, _)| c)
        ))),
    }
}

fn run_op(store: &Store, m: &mut Model, now: i64, n: usize, op: &Op) -> Result<(), TestCaseError> {
    let pick = |i: &Index| m.made.get(i.index(m.made.len().max(1))).copied();
    use crate::domain::conversation::RuleError::{self, AlreadyInState};
    let rule = |e: RuleError| -> std::result::Result<(), Abort> { Err(Abort::Rule(e)) };
    let at = Timestamp(now);
    let actor = Actor::Agent(AgentId(1));
    match op {
        Op::Ingest {
            contact,
            inbox,
            quiet,
            resend,
        } => {
            let inbox = INBOXES[*inbox];
            let previous = m.last_source.get(&inbox).cloned();
            let source = match (&previous, resend) {
                (Some((s, _, _)), true) => s.clone(),
                _ => format!("s{n}"),
            };
            let ids: [u64; 5] = std::array::from_fn(|_| store.generate_id().unwrap());
            let msg = InboundMessage {
                inbox_id: InboxId(inbox),
                source_id: Some(source.clone()),
                sender: InboundSender::of(
                    Some(format!("Contact {contact}")),
                    None,
                    Some(format!("c{contact}@example.com")),
                    None,
                ),
                thread: Thread::Latest,
                position: None,
                content: format!("message {n}"),
                at,
                token: format!("tok{}", ids[0]),
                quiet: *quiet,
                mail: None,
            };
            let r = store
                .ingest(&msg, ids)
                .map_err(|e| fail(format!("ingest: {e}")))?;
            if let (Some((_, conv, message)), true) = (previous, *resend) {
                prop_assert!(r.duplicate, "a resent message is a duplicate");
                prop_assert_eq!((r.conversation_id.0, r.message_id.0), (conv, message));
                return Ok(());
            }
            prop_assert!(!r.duplicate);
            let key = (*contact, inbox);
            let existing = m
                .latest
                .get(&key)
                .copied()
                .filter(|c| m.live.contains_key(c));
            let id = match existing {
                Some(id) => {
                    prop_assert_eq!(r.conversation_id.0, id, "the contact's conversation");
                    let c = m.live.get_mut(&id).unwrap();
                    c.last = c.last.max(now);
                    if !quiet && c.status != Status::Open {
                        c.status = Status::Open;
                    }
                    id
                }
                None => {
                    prop_assert!(r.created, "a new conversation");
                    let id = r.conversation_id.0;
                    m.made.push(id);
                    m.latest.insert(key, id);
                    let new = M {
                        inbox,
                        status: Status::Open,
                        assignee: None,
                        team: None,
                        last: now,
                        mentions: BTreeMap::new(),
                    };
                    m.live.insert(id, new);
                    id
                }
            };
            m.last_source.insert(inbox, (source, id, r.message_id.0));
        }
        Op::Assign { conv, to } => {
            let Some(id) = pick(conv) else { return Ok(()) };
            let to = to.map(|a| AGENTS[a]);
            let expect = match m.live.get_mut(&id) {
                Some(c) => {
                    c.assignee = to;
                    Ok(())
                }
                None => Err(Abort::NotFound),
            };
            update(store, id, expect, |c| {
                c.assign(actor.clone(), to.map(AgentId), at);
                Ok(Change::default())
            })?;
        }
        Op::Team { conv, to } => {
            let Some(id) = pick(conv) else { return Ok(()) };
            let to = to.map(|t| TEAMS[t]);
            let expect = match m.live.get_mut(&id) {
                Some(c) => {
                    c.team = to;
                    Ok(())
                }
                None => Err(Abort::NotFound),
            };
            update(store, id, expect, |c| {
                c.set_team(actor.clone(), to.map(TeamId), at);
                Ok(Change::default())
            })?;
        }
        Op::Reply { conv, agent } => {
            let Some(id) = pick(conv) else { return Ok(()) };
            let agent = AGENTS[*agent];
            let expect = match m.live.get_mut(&id) {
                Some(c) => {
                    c.last = c.last.max(now);
                    c.assignee = c.assignee.or(Some(agent));
                    Ok(())
                }
                None => Err(Abort::NotFound),
            };
            update(store, id, expect, |c| {
                c.on_reply(AgentId(agent), "reply", at);
                Ok(Change::default())
            })?;
        }
        Op::Note { conv, mention } => {
            let Some(id) = pick(conv) else { return Ok(()) };
            let agent = AGENTS[*mention];
            let expect = match m.live.get_mut(&id) {
                Some(c) => {
                    c.last = c.last.max(now);
                    c.mentions.insert(agent, c.last);
                    Ok(())
                }
                None => Err(Abort::NotFound),
            };
            update(store, id, expect, |c| {
                c.on_note("note", at);
                Ok(Change {
                    mentions: vec![AgentId(agent)],
                    ..Change::default()
                })
            })?;
        }
        Op::Close { conv } => {
            let Some(id) = pick(conv) else { return Ok(()) };
            let expect = match m.live.get_mut(&id) {
                Some(c) if c.status == Status::Closed => rule(AlreadyInState("closed")),
                Some(c) => {
                    c.status = Status::Closed;
                    c.assignee = None;
                    Ok(())
                }
                None => Err(Abort::NotFound),
            };
            update(store, id, expect, |c| {
                c.close(actor.clone(), None, at).map_err(Abort::Rule)?;
                Ok(Change::default())
            })?;
        }
        Op::Reopen { conv } => {
            let Some(id) = pick(conv) else { return Ok(()) };
            let expect = match m.live.get_mut(&id) {
                Some(c) if c.status == Status::Open => rule(AlreadyInState("open")),
                Some(c) => {
                    c.status = Status::Open;
                    Ok(())
                }
                None => Err(Abort::NotFound),
            };
            update(store, id, expect, |c| {
                c.reopen(actor.clone(), at).map_err(Abort::Rule)?;
                Ok(Change::default())
            })?;
        }
        Op::Snooze { conv, ms } => {
            let Some(id) = pick(conv) else { return Ok(()) };
            let until = Timestamp(now + ms);
            let expect = match m.live.get_mut(&id) {
                Some(c) => {
                    c.status = Status::Snoozed { until };
                    Ok(())
                }
                None => Err(Abort::NotFound),
            };
            update(store, id, expect, |c| {
                c.snooze(actor.clone(), until, at).map_err(Abort::Rule)?;
                Ok(Change::default())
            })?;
        }
        Op::Wake => {
            let due: BTreeSet<u64> = store
                .due_wakes(at, 1000)
                .map_err(|e| fail(e.to_string()))?
                .into_iter()
                .map(|c| c.0)
                .collect();
            let expected: BTreeSet<u64> = m
                .live
                .iter()
                .filter(|(_, c)| matches!(c.status, Status::Snoozed { until } if until <= at))
                .map(|(id, _)| *id)
                .collect();
            prop_assert_eq!(&due, &expected, "due snooze timers at {}", now);
            for id in due {
                m.live.get_mut(&id).unwrap().status = Status::Open;
                update(store, id, Ok(()), |c| {
                    c.wake_if_due(at);
                    Ok(Change::default())
                })?;
            }
        }
        Op::Delete { conv } => {
            let Some(id) = pick(conv) else { return Ok(()) };
            let got = store.delete_conversation(ConversationId(id), &audit(store));
            match m.live.remove(&id) {
                Some(_) => prop_assert!(got.is_ok(), "delete {}: {:?}", id, got.err()),
                None => prop_assert!(
                    matches!(got, Err(StoreError::Abort(Abort::NotFound))),
                    "delete of deleted {}: {:?}",
                    id,
                    got
                ),
            }
        }
        Op::Read {
            conv,
            agent,
            unread,
        } => {
            let Some(id) = pick(conv) else { return Ok(()) };
            let agent = AGENTS[*agent];
            let to = (!unread).then_some(at);
            store
                .set_read(AgentId(agent), ConversationId(id), to)
                .map_err(|e| fail(e.to_string()))?;
            match to {
                Some(t) => m.reads.insert((agent, id), t.0),
                None => m.reads.remove(&(agent, id)),
            };
        }
    }
    Ok(())
}

/// Every check of the module's doc, after the operations.
fn check(store: &Store, m: &Model) -> Result<(), TestCaseError> {
    let err = |e: StoreError| fail(e.to_string());
    // The stored conversations are the model's.
    let stored = store.conversations_after(None, 10_000).map_err(err)?;
    let ids: Vec<u64> = stored.iter().map(|c| c.id.0).collect();
    prop_assert_eq!(ids, m.live.keys().copied().collect::<Vec<_>>());
    for c in &stored {
        let want = &m.live[&c.id.0];
        prop_assert_eq!(
            (c.inbox_id.0, c.status, c.assignee.map(|a| a.0)),
            (want.inbox, want.status, want.assignee),
            "conversation {}",
            c.id.0
        );
        prop_assert_eq!(
            (c.team.map(|t| t.0), c.last_activity_at.0),
            (want.team, want.last),
            "conversation {}",
            c.id.0
        );
    }

    // The raw indexes are a recomputation from the stored conversations and mentions.
    let mut want_idx = BTreeSet::new();
    let mut want_count: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let mut add = |tag: u8, inbox: u64, sub: u64, time: i64, conv: u64| {
        want_idx.insert(idx_key(tag, inbox, sub, time, conv).to_vec());
        *want_count
            .entry(count_key(tag, inbox, sub).to_vec())
            .or_default() += 1;
    };
    let mut want_wake = BTreeSet::new();
    for c in &stored {
        let (assignee, team) = (c.assignee.map(|a| a.0), c.team.map(|t| t.0));
        for (tag, sub) in views(c.status, assignee, team) {
            add(tag, c.inbox_id.0, sub, c.last_activity_at.0, c.id.0);
        }
        if let Status::Snoozed { until } = c.status {
            want_wake.insert(keys::time_id(until.0, c.id.0).to_vec());
        }
    }
    let by_id: BTreeMap<u64, &Conversation> = stored.iter().map(|c| (c.id.0, c)).collect();
    for kv in store.t.mention_time.iter() {
        let (k, v) = kv.map_err(|e| fail(e.to_string()))?;
        let (conv, agent) = (
            keys::read_u64(&k).unwrap(),
            keys::read_u64(&k[8..]).unwrap(),
        );
        let Some(c) = by_id.get(&conv) else {
            return Err(fail(format!("a mention of deleted conversation {conv}")));
        };
        prop_assert_eq!(
            m.live[&conv].mentions.get(&agent).copied(),
            keys::read_time(&v),
            "mention of agent {} in {}",
            agent,
            conv
        );
        add(7, c.inbox_id.0, agent, keys::read_time(&v).unwrap(), conv);
    }
    let mentions: usize = m.live.values().map(|c| c.mentions.len()).sum();
    prop_assert_eq!(
        store
            .t
            .mention_time
            .len()
            .map_err(|e| fail(e.to_string()))?,
        mentions as u64
    );
    let idx: BTreeSet<Vec<u8>> = store
        .t
        .viewidx_unit
        .iter()
        .keys()
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    prop_assert_eq!(idx, want_idx, "viewidx_unit");
    let counts: BTreeMap<Vec<u8>, u64> = store
        .t
        .viewcount_n
        .iter()
        .map(|kv| kv.map(|(k, v)| (k, keys::read_u64(&v).unwrap_or(u64::MAX))))
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    prop_assert_eq!(counts, want_count, "viewcount_n");
    let wake: BTreeSet<Vec<u8>> = store
        .t
        .wakedue_unit
        .iter()
        .keys()
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    prop_assert_eq!(wake, want_wake, "wakedue_unit");

    // Each view lists exactly the model's conversations, newest first, and counts them.
    let mut all_views = vec![View::All, View::Unassigned, View::Snoozed, View::Closed];
    for a in AGENTS {
        all_views.extend([View::Mine(AgentId(a)), View::Mentions(AgentId(a))]);
    }
    all_views.extend(TEAMS.map(|t| View::Team(TeamId(t))));
    let scopes = [
        vec![InboxId(1)],
        vec![InboxId(2)],
        vec![InboxId(1), InboxId(2)],
    ];
    for view in all_views {
        for scope in &scopes {
            // (time, id) of each member, newest first.
            let mut want: Vec<(i64, u64)> = m
                .live
                .iter()
                .filter(|(_, c)| scope.contains(&InboxId(c.inbox)))
                .filter_map(|(&id, c)| {
                    let member =
                        |tag, sub| views(c.status, c.assignee, c.team).contains(&(tag, sub));
                    match view {
                        View::All => member(1, 0).then_some((c.last, id)),
                        View::Mine(a) => member(2, a.0).then_some((c.last, id)),
                        View::Unassigned => member(3, 0).then_some((c.last, id)),
                        View::Team(t) => member(4, t.0).then_some((c.last, id)),
                        View::Snoozed => member(5, 0).then_some((c.last, id)),
                        View::Closed => member(6, 0).then_some((c.last, id)),
                        View::Mentions(a) => c.mentions.get(&a.0).map(|&t| (t, id)),
                    }
                })
                .collect();
            want.sort_by(|a, b| b.cmp(a));
            let want_ids: Vec<u64> = want.iter().map(|(_, id)| *id).collect();
            let whole = store.view_page(view, scope, None, 1000).map_err(err)?;
            let got: Vec<u64> = whole.conversations.iter().map(|c| c.id.0).collect();
            prop_assert_eq!(&got, &want_ids, "{:?} over {:?}", view, scope);
            prop_assert_eq!(whole.next, None);
            // Page by page (keyset cursors), the same list.
            let mut paged = Vec::new();
            let mut cursor = None;
            loop {
                let page = store.view_page(view, scope, cursor, 2).map_err(err)?;
                paged.extend(page.conversations.iter().map(|c| c.id.0));
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
                prop_assert!(paged.len() <= want_ids.len(), "paging runs past the end");
            }
            prop_assert_eq!(&paged, &want_ids, "{:?} over {:?} in pages", view, scope);
            let count = store.view_count(view, scope).map_err(err)?;
            prop_assert_eq!(
                count,
                want_ids.len() as u64,
                "count of {:?} over {:?}",
                view,
                scope
            );
        }
    }

    // Read marks.
    for agent in AGENTS {
        for &conv in &m.made {
            let got = store
                .read_time(AgentId(agent), ConversationId(conv))
                .map_err(err)?;
            prop_assert_eq!(got.map(|t| t.0), m.reads.get(&(agent, conv)).copied());
        }
    }
    Ok(())
}

on_both_engines!(per_engine: view_indexes_and_counts_follow_every_operation);

/// The property, each case on a fresh store: fewer, shorter cases on PostgreSQL, where
/// each case is a new database and every operation several round trips.
fn view_indexes_and_counts_follow_every_operation(engine: TestEngine) {
    let (cases, max_ops) = match engine {
        TestEngine::Sled => (64, 40),
        TestEngine::Postgres => (16, 30),
    };
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&ops(max_ops), |ops| {
        let place = TestStore::new(engine);
        let store = place.open().unwrap();
        let mut model = Model::default();
        let mut now = 1_000_000;
        for (n, (step, op)) in ops.iter().enumerate() {
            now += step;
            run_op(&store, &mut model, now, n, op)?;
        }
        check(&store, &model)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

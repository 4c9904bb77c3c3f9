use super::*;
use crate::domain::conversation::{ConversationId, MessageId};
use crate::domain::{InboxId, Timestamp};
use crate::store::test_support::{TestStore, on_both_engines};
use crate::store::{
    InboundMessage, InboundParts, InboundSender, Job, Position, StoreError, Thread,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

on_both_engines!(
    claim_renew_expire_take_over_and_release,
    a_stale_token_cannot_record_a_job_outcome,
    a_stale_token_cannot_ingest_mail_nor_move_the_cursor,
);
on_both_engines!(reopening: two_nodes_racing_never_hold_one_lease_at_once);

const TTL: Duration = Duration::from_secs(10);

fn t(secs: i64) -> Timestamp {
    Timestamp(1_000_000).plus_secs(secs)
}

fn lost(e: StoreError) -> bool {
    matches!(e, StoreError::Abort(Abort::LeaseLost))
}

/// The life of one lease: claimed, refused to others, renewed, expired, taken over with
/// the next token, released, claimed again with a token never used before.
fn claim_renew_expire_take_over_and_release(store: &Store) {
    assert_eq!(store.lease("outbox").unwrap(), None);
    assert_eq!(
        store.claim_lease("outbox", "a", t(0), TTL).unwrap(),
        Some(1)
    );
    assert_eq!(store.claim_lease("outbox", "b", t(1), TTL).unwrap(), None);
    // Claiming what one holds renews it and keeps the token.
    assert_eq!(
        store.claim_lease("outbox", "a", t(2), TTL).unwrap(),
        Some(1)
    );
    assert!(store.renew_lease("outbox", "a", 1, t(5), TTL).unwrap());
    let l = store.lease("outbox").unwrap().unwrap();
    assert_eq!((l.holder.as_str(), l.token, l.expires), ("a", 1, t(15)));
    assert!(l.held_by("a", t(14)) && !l.held_by("a", t(15)) && !l.held_by("b", t(14)));
    // Still held one millisecond before the expiry; free at it.
    assert_eq!(
        store
            .claim_lease("outbox", "b", Timestamp(t(15).0 - 1), TTL)
            .unwrap(),
        None
    );
    assert_eq!(
        store.claim_lease("outbox", "b", t(15), TTL).unwrap(),
        Some(2)
    );
    // The old holder has lost it: renewing, releasing and claiming all fail.
    assert!(!store.renew_lease("outbox", "a", 1, t(16), TTL).unwrap());
    assert!(!store.release_lease("outbox", "a", 1).unwrap());
    assert_eq!(store.claim_lease("outbox", "a", t(16), TTL).unwrap(), None);
    // Released: free at once for anyone, and the next holder gets a new token.
    assert!(
        !store.release_lease("outbox", "b", 1).unwrap(),
        "wrong token"
    );
    assert!(store.release_lease("outbox", "b", 2).unwrap());
    let l = store.lease("outbox").unwrap().unwrap();
    assert!(!l.held(t(16)));
    assert_eq!(l.token, 2, "a released lease keeps its token");
    assert!(!store.renew_lease("outbox", "b", 2, t(16), TTL).unwrap());
    assert_eq!(
        store.claim_lease("outbox", "b", t(17), TTL).unwrap(),
        Some(3)
    );
    // Leases are independent of each other.
    assert_eq!(
        store.claim_lease("mail:7", "a", t(17), TTL).unwrap(),
        Some(1)
    );
    assert_eq!(
        store.claim_lease("timers", "a", t(17), TTL).unwrap(),
        Some(1)
    );
    assert_eq!(store.lease("outbox").unwrap().unwrap().holder, "b");
}

/// The outbox's outcome is fenced: recorded under the current token, refused (the job
/// left as it was) under a token that was taken over or released.
fn a_stale_token_cannot_record_a_job_outcome(store: &Store) {
    let job = |id: u64| {
        Job::delivery(
            id,
            false,
            InboxId(1),
            ConversationId(2),
            MessageId(id),
            t(0),
        )
    };
    for j in [job(10), job(11), job(12)] {
        store
            .t
            .jobdue_job
            .insert(j.key(), crate::store::codec::encode(&j).unwrap())
            .unwrap();
    }
    let a = store
        .claim_lease("outbox", "a", t(0), TTL)
        .unwrap()
        .unwrap();
    let fence_a = Fence {
        lease: "outbox".into(),
        token: a,
    };
    assert!(store.fence_holds(&fence_a).unwrap());
    store
        .reschedule_job(&job(10), None, Some(&fence_a))
        .unwrap();
    assert_eq!(store.jobs_pending().unwrap(), 2);
    // Node b takes the outbox over after a's lease expired: a can no longer record.
    let b = store
        .claim_lease("outbox", "b", t(20), TTL)
        .unwrap()
        .unwrap();
    assert!(b > a);
    assert!(!store.fence_holds(&fence_a).unwrap());
    let retry = Job {
        due: t(80),
        attempts: 1,
        ..job(11)
    };
    assert!(lost(
        store
            .reschedule_job(&job(11), Some(&retry), Some(&fence_a))
            .unwrap_err()
    ));
    assert_eq!(store.due_jobs(t(0), 10).unwrap(), vec![job(11), job(12)]);
    let fence_b = Fence {
        lease: "outbox".into(),
        token: b,
    };
    store
        .reschedule_job(&job(11), Some(&retry), Some(&fence_b))
        .unwrap();
    assert_eq!(store.due_jobs(t(0), 10).unwrap(), vec![job(12)]);
    // Released: b's token no longer fences anything either.
    assert!(store.release_lease("outbox", "b", b).unwrap());
    assert!(lost(
        store
            .reschedule_job(&job(12), None, Some(&fence_b))
            .unwrap_err()
    ));
    // A lease never claimed fences nothing.
    let never = Fence {
        lease: "nobody".into(),
        token: 1,
    };
    assert!(lost(
        store
            .reschedule_job(&job(12), None, Some(&never))
            .unwrap_err()
    ));
    assert_eq!(
        store.jobs_pending().unwrap(),
        2,
        "job 12, and job 11 retried later"
    );
}

fn mail(source: &str, uid: u32) -> InboundMessage {
    InboundMessage {
        inbox_id: InboxId(4),
        source_id: Some(source.into()),
        sender: InboundSender::of(
            Some("Ana".into()),
            None,
            Some("ana@example.com".into()),
            None,
        ),
        thread: Thread::Latest,
        position: Some(Position {
            stream: "INBOX".into(),
            epoch: 9,
            offset: u64::from(uid),
        }),
        content: "hola".into(),
        at: t(0),
        token: format!("tok-{source}"),
        quiet: false,
        mail: None,
    }
}

/// A mailbox watcher whose lease was taken over stores nothing: neither the mail nor
/// the folder's cursor moves; the new holder's ingest goes through.
fn a_stale_token_cannot_ingest_mail_nor_move_the_cursor(store: &Store) {
    let parts = InboundParts::default();
    let a = store
        .claim_lease("mail:4", "a", t(0), TTL)
        .unwrap()
        .unwrap();
    let fence_a = Fence {
        lease: "mail:4".into(),
        token: a,
    };
    let first = store
        .ingest_fenced(&mail("m1", 1), [1, 2, 3, 4, 5], &parts, Some(&fence_a))
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(
        store.mail_cursor(InboxId(4), "INBOX").unwrap(),
        Some((9, 1))
    );
    let b = store
        .claim_lease("mail:4", "b", t(30), TTL)
        .unwrap()
        .unwrap();
    assert!(lost(
        store
            .ingest_fenced(&mail("m2", 2), [6, 7, 8, 9, 10], &parts, Some(&fence_a))
            .unwrap_err()
    ));
    // Even a duplicate (which only moves the cursor) is refused.
    assert!(lost(
        store
            .ingest_fenced(&mail("m1", 3), [6, 7, 8, 9, 10], &parts, Some(&fence_a))
            .unwrap_err()
    ));
    assert_eq!(
        store.mail_cursor(InboxId(4), "INBOX").unwrap(),
        Some((9, 1))
    );
    let conv = store.conversation(first.conversation_id).unwrap().unwrap();
    assert_eq!(
        store.timeline_page(conv.id, None, 50).unwrap().0.len(),
        2,
        "created + m1"
    );
    let fence_b = Fence {
        lease: "mail:4".into(),
        token: b,
    };
    let second = store
        .ingest_fenced(&mail("m2", 2), [6, 7, 8, 9, 10], &parts, Some(&fence_b))
        .unwrap();
    assert_eq!(second.conversation_id, first.conversation_id);
    assert_eq!(
        store.mail_cursor(InboxId(4), "INBOX").unwrap(),
        Some((9, 2))
    );
}

/// One grant seen by a racing node: its token, the holder, and the lease time it holds
/// from and until.
#[derive(Debug, Clone)]
struct Grant {
    token: u64,
    node: &'static str,
    from: i64,
    until: i64,
}

/// Two nodes (two `Store` handles on one PostgreSQL database; on the embedded engine,
/// two threads on one handle) claim and renew one lease as fast as they can on a shared
/// lease clock, each pausing now and then long enough for its holding to expire, so the
/// lease changes hands all the time. Every token has one holder, and no holding starts
/// before the previous token's last renewal ended: the two never hold it at once.
/// (The holder's own expiry is what the store compares with, so any takeover before it
/// would show here.)
fn two_nodes_racing_never_hold_one_lease_at_once(place: &TestStore) {
    const ROUNDS: usize = 300;
    const TTL_TICKS: i64 = 6;
    let ttl = Duration::from_millis(TTL_TICKS as u64);
    let clock = AtomicI64::new(0);
    let first = Arc::new(place.open().unwrap());
    // On PostgreSQL a second handle of its own, as another node opens; the embedded
    // engine is one process's alone, so there two threads share the handle.
    let second = if place.shared() {
        Arc::new(place.open_as_another_node(2).unwrap())
    } else {
        first.clone()
    };
    let nodes: [(&'static str, Arc<Store>); 2] = [("a", first.clone()), ("b", second)];
    let grants: Vec<Vec<Grant>> = std::thread::scope(|s| {
        let handles: Vec<_> = nodes
            .iter()
            .map(|(node, store)| {
                let clock = &clock;
                s.spawn(move || {
                    let mut got = Vec::new();
                    let mut held: Option<u64> = None;
                    for round in 0..ROUNDS {
                        if round % 12 < 5 {
                            // A pause (a slow node): no renewal, and long enough on the
                            // lease clock for its holding to expire whatever the other
                            // node is doing (a yield alone left that to the scheduler:
                            // under load the lease could stay put the whole run).
                            clock.fetch_add(TTL_TICKS, Ordering::SeqCst);
                            std::thread::yield_now();
                            continue;
                        }
                        let now = clock.fetch_add(1, Ordering::SeqCst);
                        let ts = Timestamp(now);
                        let granted = match held {
                            Some(tok) => store
                                .renew_lease("race", node, tok, ts, ttl)
                                .unwrap()
                                .then_some(tok),
                            None => store.claim_lease("race", node, ts, ttl).unwrap(),
                        };
                        held = granted;
                        if let Some(token) = granted {
                            got.push(Grant {
                                token,
                                node,
                                from: now,
                                until: now + TTL_TICKS,
                            });
                        }
                    }
                    got
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        grants.iter().all(|g| !g.is_empty()),
        "both nodes held the lease at some point: {:?}",
        grants.iter().map(Vec::len).collect::<Vec<_>>()
    );
    let mut by_token: std::collections::BTreeMap<u64, Vec<Grant>> = Default::default();
    for g in grants.concat() {
        by_token.entry(g.token).or_default().push(g);
    }
    // Both nodes held it (above), so it changed hands at least once; usually many times.
    assert!(
        by_token.len() >= 2,
        "the lease changed hands: {} tokens",
        by_token.len()
    );
    let mut prev: Option<(u64, i64)> = None; // token, end of its last holding
    for (token, gs) in &by_token {
        assert!(
            gs.iter().all(|g| g.node == gs[0].node),
            "token {token} had two holders: {gs:?}"
        );
        let start = gs.iter().map(|g| g.from).min().unwrap();
        let end = gs.iter().map(|g| g.until).max().unwrap();
        if let Some((p, p_end)) = prev {
            assert!(
                start >= p_end,
                "token {token} granted at {start} while token {p} was held until {p_end}"
            );
        }
        prev = Some((*token, end));
    }
    let last = first.lease("race").unwrap().unwrap();
    assert_eq!(last.token, *by_token.keys().last().unwrap());
}

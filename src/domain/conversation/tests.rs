use super::*;
use proptest::prelude::*;

const A: AgentId = AgentId(1);
const B: AgentId = AgentId(2);

fn conv() -> Conversation {
    Conversation::start(
        ConversationId(1),
        InboxId(1),
        ContactId(1),
        "Carla".into(),
        "tok".into(),
        ChannelIdentity::default(),
        Timestamp(0),
    )
    .0
}

#[test]
fn new_conversation_is_open_unassigned_and_new() {
    let (c, events) = Conversation::start(
        ConversationId(1),
        InboxId(1),
        ContactId(1),
        "C".into(),
        "t".into(),
        ChannelIdentity::default(),
        Timestamp(5),
    );
    assert_eq!(c.status, Status::Open);
    assert_eq!(c.assignee, None);
    assert!(c.is_new());
    assert_eq!(
        events,
        vec![Event {
            actor: Actor::Contact,
            at: Timestamp(5),
            kind: EventKind::Created
        }]
    );
}

#[test]
fn reply_to_unassigned_assigns_the_replier_only_once() {
    let mut c = conv();
    let e = c.on_reply(A, "hi", Timestamp(10));
    assert_eq!(c.assignee, Some(A));
    assert_eq!(e[0].kind, EventKind::Assigned { to: Some(A) });
    assert!(
        c.on_reply(B, "me too", Timestamp(11)).is_empty(),
        "B's reply does not steal it"
    );
    assert_eq!(c.assignee, Some(A));
    assert!(!c.is_new());
}

#[test]
fn replies_are_counted_and_closing_remembers_the_assignee() {
    let mut c = conv();
    c.on_note("a note is not a reply", Timestamp(1));
    c.on_reply(A, "one", Timestamp(2));
    c.on_reply(B, "two", Timestamp(3));
    assert_eq!(c.agent_replies, 2);
    c.close(Actor::Agent(B), None, Timestamp(4)).unwrap();
    assert_eq!((c.assignee, c.closed_assignee), (None, Some(A)));
    c.reopen(Actor::Contact, Timestamp(5)).unwrap();
    assert_eq!(
        c.closed_assignee,
        Some(A),
        "kept: a reopen counts against A"
    );
    c.close(Actor::System, None, Timestamp(6)).unwrap();
    assert_eq!(c.closed_assignee, None, "closed unassigned the second time");
}

#[test]
fn inbound_reopens_closed_and_wakes_snoozed() {
    let mut c = conv();
    c.on_reply(A, "hi", Timestamp(1));
    let e = c
        .close(Actor::Agent(A), Some("  sorted  ".into()), Timestamp(2))
        .unwrap();
    assert_eq!(c.status, Status::Closed);
    assert_eq!(c.assignee, None, "closing unassigns");
    assert_eq!(
        e[0].kind,
        EventKind::Closed {
            note: Some("sorted".into())
        }
    );
    let e = c.on_inbound("again", false, Timestamp(3));
    assert_eq!(c.status, Status::Open);
    assert_eq!(e[0].kind, EventKind::Reopened);
    assert_eq!(e[0].actor, Actor::Contact);
    c.snooze(Actor::Agent(A), Timestamp(100), Timestamp(4))
        .unwrap();
    let e = c.on_inbound("hello?", false, Timestamp(5));
    assert_eq!(c.status, Status::Open);
    assert_eq!(e[0].kind, EventKind::Woke);
}

#[test]
fn blocked_contact_is_stored_but_changes_nothing() {
    let mut c = conv();
    c.close(Actor::System, None, Timestamp(1)).unwrap();
    assert!(c.on_inbound("spam", true, Timestamp(2)).is_empty());
    assert_eq!(c.status, Status::Closed);
    assert_eq!(c.last_activity_at, Timestamp(2));
    assert_eq!(c.preview, "spam");
}

#[test]
fn snooze_must_be_future_and_wakes_when_due() {
    let mut c = conv();
    assert_eq!(
        c.snooze(Actor::Agent(A), Timestamp(0), Timestamp(0)),
        Err(RuleError::SnoozeInPast)
    );
    c.snooze(Actor::Agent(A), Timestamp(50), Timestamp(10))
        .unwrap();
    assert!(c.wake_if_due(Timestamp(49)).is_empty());
    assert_eq!(c.wake_if_due(Timestamp(50))[0].kind, EventKind::Woke);
    assert_eq!(c.status, Status::Open);
}

#[test]
fn closing_twice_and_reopening_open_are_refused() {
    let mut c = conv();
    assert!(c.reopen(Actor::System, Timestamp(1)).is_err());
    c.close(Actor::System, Some("   ".into()), Timestamp(1))
        .unwrap();
    assert!(c.close(Actor::System, None, Timestamp(2)).is_err());
}

#[test]
fn missed_after_configured_wait_without_reply() {
    let mut c = conv();
    c.on_inbound("hi", false, Timestamp(1_000));
    assert!(!c.missed(Timestamp(30_999), 30));
    assert!(c.missed(Timestamp(31_000), 30));
    c.on_reply(A, "hello", Timestamp(32_000));
    assert!(!c.missed(Timestamp(99_000), 30));
}

#[test]
fn previews_are_flat_and_bounded() {
    assert_eq!(preview_of("  hello\n\n  world  "), "hello world");
    let long = "é".repeat(300);
    let p = preview_of(&long);
    assert_eq!(p.chars().count(), 140);
    assert!(p.ends_with('…'));
}

#[test]
fn snooze_presets() {
    let utc = jiff::tz::TimeZone::UTC;
    // Thursday 2026-11-19, 10:30 UTC.
    let wed_1030 = Timestamp(1_795_084_200_000 + 37_800_000 - 37_800_000);
    let day = 86_400_000i64;
    let midnight = wed_1030.0.div_euclid(day) * day;
    let now = Timestamp(midnight + 10 * 3_600_000 + 30 * 60_000);
    assert_eq!(
        snooze_until(SnoozePreset::OneHour, now, &utc),
        now.plus_secs(3600)
    );
    assert_eq!(
        snooze_until(SnoozePreset::ThisEvening, now, &utc),
        Timestamp(midnight + 18 * 3_600_000)
    );
    assert_eq!(
        snooze_until(SnoozePreset::Tomorrow, now, &utc),
        Timestamp(midnight + day + 9 * 3_600_000)
    );
    let next = snooze_until(SnoozePreset::NextWeek, now, &utc);
    assert_eq!((next.0.div_euclid(day) + 3).rem_euclid(7), 0, "a Monday");
    assert_eq!(next, Timestamp(midnight + 4 * day + 9 * 3_600_000));
    // After 17:00 "this evening" means tomorrow evening.
    let late = Timestamp(midnight + 19 * 3_600_000);
    assert_eq!(
        snooze_until(SnoozePreset::ThisEvening, late, &utc),
        Timestamp(midnight + day + 18 * 3_600_000)
    );
    // In Athens (UTC+2 in November), "tomorrow 09:00" is 07:00 UTC.
    let athens = jiff::tz::TimeZone::get("Europe/Athens").unwrap();
    assert_eq!(
        snooze_until(SnoozePreset::Tomorrow, now, &athens),
        Timestamp(midnight + day + 7 * 3_600_000)
    );
}

#[test]
fn snooze_presets_follow_summer_time() {
    // Saturday 2026-03-28 10:00 UTC = 11:00 in Madrid (CET, +1). Clocks move to CEST
    // (+2) on Sunday at 02:00, so "next week" (Monday 09:00) is 07:00 UTC, while
    // "this evening" (Saturday 18:00) is still 17:00 UTC.
    let madrid = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
    let sat = Timestamp(1_774_692_000_000);
    let hour = 3_600_000i64;
    let sat_midnight_utc = sat.0 - 10 * hour;
    assert_eq!(
        snooze_until(SnoozePreset::ThisEvening, sat, &madrid),
        Timestamp(sat_midnight_utc + 17 * hour)
    );
    assert_eq!(
        snooze_until(SnoozePreset::NextWeek, sat, &madrid),
        Timestamp(sat_midnight_utc + 2 * 24 * hour + 7 * hour)
    );
    // A fixed offset (what the browser's offset gave before) would say 08:00 UTC.
    assert_ne!(
        snooze_until(SnoozePreset::NextWeek, sat, &madrid),
        Timestamp(sat_midnight_utc + 2 * 24 * hour + 8 * hour)
    );
}

#[test]
fn mentions_match_longest_names_at_word_boundaries() {
    let agents = vec![
        (A, "Ana".to_string()),
        (B, "Ana María".to_string()),
        (AgentId(3), "Luis".to_string()),
    ];
    assert_eq!(
        mentions("ping @ana maría and @LUIS.", &agents),
        vec![B, AgentId(3)]
    );
    assert_eq!(mentions("@Ana, @Ana again", &agents), vec![A]);
    assert!(mentions("email ana@example.com @Anabel", &agents).is_empty());
}

#[derive(Clone, Debug)]
enum Op {
    Inbound { blocked: bool },
    Reply(u64),
    Note,
    Assign(Option<u64>),
    Team(Option<u64>),
    Close,
    Reopen,
    Snooze(i64),
    Tick(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<bool>().prop_map(|blocked| Op::Inbound { blocked }),
        (1u64..4).prop_map(Op::Reply),
        Just(Op::Note),
        proptest::option::of(1u64..4).prop_map(Op::Assign),
        proptest::option::of(1u64..3).prop_map(Op::Team),
        Just(Op::Close),
        Just(Op::Reopen),
        (-5i64..100).prop_map(Op::Snooze),
        (0i64..200).prop_map(Op::Tick),
    ]
}

proptest! {
    /// Over any sequence of events: activity only moves forward; closing always
    /// unassigns; an unblocked inbound always leaves the conversation open; a blocked
    /// one never changes status or assignee; replying to an unassigned conversation
    /// assigns the replier; every change of status, assignee or team writes an event,
    /// and no event is written without a change.
    #[test]
    fn lifecycle_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        let mut c = conv();
        let mut now = Timestamp(1_000);
        for op in ops {
            now = now.plus_secs(1);
            let before = c.clone();
            let events: Vec<Event> = match op {
                Op::Inbound { blocked } => {
                    let e = c.on_inbound("m", blocked, now);
                    if blocked {
                        prop_assert_eq!(c.status, before.status);
                        prop_assert_eq!(c.assignee, before.assignee);
                    } else {
                        prop_assert_eq!(c.status, Status::Open);
                    }
                    prop_assert!(c.waiting_since.is_some());
                    e
                }
                Op::Reply(a) => {
                    let e = c.on_reply(AgentId(a), "r", now);
                    if before.assignee.is_none() {
                        prop_assert_eq!(c.assignee, Some(AgentId(a)));
                    } else {
                        prop_assert_eq!(c.assignee, before.assignee);
                    }
                    prop_assert!(c.waiting_since.is_none());
                    e
                }
                Op::Note => {
                    c.on_note("n", now);
                    vec![]
                }
                Op::Assign(a) => c.assign(Actor::Agent(A), a.map(AgentId), now),
                Op::Team(t) => c.set_team(Actor::Agent(A), t.map(TeamId), now),
                Op::Close => match c.close(Actor::Agent(A), None, now) {
                    Ok(e) => {
                        prop_assert_eq!(c.status, Status::Closed);
                        prop_assert_eq!(c.assignee, None);
                        e
                    }
                    Err(_) => {
                        prop_assert_eq!(before.status, Status::Closed);
                        vec![]
                    }
                },
                Op::Reopen => c.reopen(Actor::Agent(A), now).unwrap_or_default(),
                Op::Snooze(secs) => match c.snooze(Actor::Agent(A), now.plus_secs(secs), now) {
                    Ok(e) => e,
                    Err(_) => {
                        prop_assert!(secs <= 0);
                        vec![]
                    }
                },
                Op::Tick(secs) => {
                    now = now.plus_secs(secs);
                    c.wake_if_due(now)
                }
            };
            prop_assert!(c.last_activity_at >= before.last_activity_at);
            if let Status::Snoozed { until } = c.status {
                prop_assert!(until > before.created_at);
            }
            let changed = c.status != before.status || c.assignee != before.assignee || c.team != before.team;
            prop_assert_eq!(changed, !events.is_empty(), "change without event or event without change: {:?}", events);
            prop_assert!(events.iter().all(|e| e.at == now));
        }
    }
}

#[test]
fn a_claimed_email_is_answered_only_once_confirmed() {
    let mut c = conv();
    assert_eq!(c.identity.reply_email(), Err(ReplyAddressError::None));
    c.identity.fill_from(&ChannelIdentity {
        name: "Carla".into(),
        email: Some("carla@example.com".into()),
        email_verified: false,
        ..ChannelIdentity::default()
    });
    assert_eq!(
        c.identity.reply_email(),
        Err(ReplyAddressError::Unconfirmed)
    );
    let ev = c.confirm_email(Actor::Agent(AgentId(7)), Timestamp(9));
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].kind,
        EventKind::EmailConfirmed {
            email: "carla@example.com".into()
        }
    );
    assert_eq!(c.identity.reply_email(), Ok("carla@example.com"));
    // Confirming again records nothing; a later identity never replaces the address.
    assert!(
        c.confirm_email(Actor::Agent(AgentId(7)), Timestamp(10))
            .is_empty()
    );
    c.identity.fill_from(&ChannelIdentity {
        email: Some("attacker@evil.example".into()),
        email_verified: true,
        ..ChannelIdentity::default()
    });
    assert_eq!(c.identity.reply_email(), Ok("carla@example.com"));
}

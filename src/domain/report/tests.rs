use super::*;
use crate::domain::conversation::{ChannelIdentity, ContactId, ConversationId, Event, MessageId};
use crate::domain::message::Message;

const A: AgentId = AgentId(7);
const B: AgentId = AgentId(8);
const T0: i64 = 1_780_000_000_000;

fn at(secs: i64) -> Timestamp {
    Timestamp(T0 + secs * 1000)
}

#[test]
fn nearest_rank_percentiles() {
    assert_eq!(percentile(&[], 50), None);
    assert_eq!(percentile(&[5], 50), Some(5));
    assert_eq!(percentile(&[5], 90), Some(5));
    assert_eq!(percentile(&[10, 20], 50), Some(10), "the lower middle");
    assert_eq!(percentile(&[10, 20], 90), Some(20));
    let ten: Vec<u32> = (1..=10).collect();
    assert_eq!(
        (percentile(&ten, 50), percentile(&ten, 90)),
        (Some(5), Some(9))
    );
    let hundred: Vec<u32> = (1..=100).collect();
    assert_eq!(
        (percentile(&hundred, 50), percentile(&hundred, 90)),
        (Some(50), Some(90))
    );
    let eleven: Vec<u32> = (1..=11).collect();
    assert_eq!(
        (percentile(&eleven, 50), percentile(&eleven, 90)),
        (Some(6), Some(10)),
        "ranks 5.5 and 9.9 round up"
    );
    let mut unsorted = vec![300, 5, 60, 60, 7200];
    assert_eq!(
        Spread::of(&mut unsorted),
        Spread {
            count: 5,
            median: Some(60),
            p90: Some(7200)
        }
    );
}

#[test]
fn tallies_add_remove_and_merge_exactly() {
    let mut t = Tally::default();
    assert!(t.is_empty());
    let closed = |r, n| Measure::Closed {
        resolution_s: r,
        replies: n,
    };
    for m in [
        Measure::Opened,
        Measure::Opened,
        closed(600, 2),
        Measure::FirstResponse { s: 90 },
        Measure::Reopened,
    ] {
        t.add(&m);
    }
    let mut other = Tally::default();
    other.add(&closed(60, 1));
    other.add(&Measure::FirstResponse { s: 30 });
    t.merge(other);
    assert_eq!((t.opened, t.closed, t.reopened), (2, 2, 1));
    let s = t.clone().summary();
    assert_eq!(
        s.resolution_s,
        Spread {
            count: 2,
            median: Some(60),
            p90: Some(600)
        }
    );
    assert_eq!(s.first_response_s.median, Some(30));
    assert_eq!((s.replies.median, s.replies.p90), (Some(1), Some(2)));
    t.remove(&closed(600, 2));
    t.remove(&Measure::FirstResponse { s: 999 });
    assert_eq!(t.resolution_s, vec![60]);
    assert_eq!(t.replies, vec![1]);
    assert_eq!(
        t.first_response_s.len(),
        2,
        "an absent value removes nothing"
    );
    for m in [
        Measure::Opened,
        Measure::Opened,
        Measure::Opened,
        closed(60, 1),
        Measure::Reopened,
        Measure::FirstResponse { s: 90 },
        Measure::FirstResponse { s: 30 },
    ] {
        t.remove(&m);
    }
    assert!(t.is_empty(), "{t:?}");
}

/// A conversation a customer started at `T0`, and the items of each change made to
/// it, as the services record them.
struct Story {
    conv: Conversation,
    changes: Vec<(Option<Conversation>, Vec<TimelineItem>)>,
    next_id: u64,
}

impl Story {
    fn customer_starts() -> Story {
        let (conv, events) = Conversation::start(
            ConversationId(1),
            InboxId(3),
            ContactId(1),
            "Carla".into(),
            "tok".into(),
            ChannelIdentity::default(),
            at(0),
        );
        let mut s = Story {
            conv,
            changes: vec![],
            next_id: 100,
        };
        let items = s.events(events);
        s.changes.push((None, items));
        s
    }

    fn events(&mut self, events: Vec<Event>) -> Vec<TimelineItem> {
        events
            .into_iter()
            .map(|e| {
                self.next_id += 1;
                TimelineItem::Event(MessageId(self.next_id), e)
            })
            .collect()
    }

    fn change(&mut self, f: impl FnOnce(&mut Conversation, &mut Story) -> Vec<TimelineItem>) {
        let old = self.conv.clone();
        let mut c = self.conv.clone();
        let items = f(&mut c, self);
        self.conv = c;
        self.changes.push((Some(old), items));
    }

    fn message(&mut self, by: AgentId, secs: i64, note: bool) -> Message {
        self.next_id += 1;
        Message::outgoing(
            MessageId(self.next_id),
            self.conv.id,
            by,
            "text".into(),
            at(secs),
            note,
            false,
        )
    }

    fn reply(&mut self, by: AgentId, secs: i64) {
        self.change(|c, s| {
            let mut items = s.events(c.on_reply(by, "text", at(secs)));
            items.push(TimelineItem::Message(s.message(by, secs, false)));
            items
        });
    }

    fn rule(
        &mut self,
        f: impl FnOnce(&mut Conversation) -> Result<Vec<Event>, super::super::conversation::RuleError>,
    ) {
        self.change(|c, s| {
            let e = f(c).unwrap();
            s.events(e)
        });
    }

    /// What the write path adds, change by change.
    fn written(&self) -> Vec<Happening> {
        // `new` only gives a new conversation's inbox and creation time.
        self.changes
            .iter()
            .flat_map(|(old, items)| happenings(old.as_ref(), &self.conv, items))
            .collect()
    }

    fn timeline(&self) -> Vec<TimelineItem> {
        let mut all: Vec<TimelineItem> = self
            .changes
            .iter()
            .flat_map(|(_, i)| i.iter().cloned())
            .collect();
        all.reverse();
        all
    }
}

fn h(secs: i64, measure: Measure, team: Option<TeamId>, agent: Option<AgentId>) -> Happening {
    Happening {
        at: at(secs),
        measure,
        inbox: InboxId(3),
        team,
        agent,
    }
}

#[test]
fn a_conversations_life_in_numbers_and_its_replay_agree() {
    let mut s = Story::customer_starts();
    s.change(|c, s| s.events(c.set_team(Actor::System, Some(TeamId(2)), at(10))));
    s.change(|c, s| {
        let m = s.message(B, 20, true);
        c.on_note("note", at(20));
        vec![TimelineItem::Message(m)]
    });
    s.reply(A, 90);
    s.reply(B, 120);
    s.change(|c, s| {
        // A transcript is an agent's outbound message but no reply.
        let mut m = s.message(A, 150, false);
        m.transcript = true;
        let _ = c;
        vec![TimelineItem::Message(m)]
    });
    s.rule(|c| c.close(Actor::Agent(B), None, at(600)));
    s.rule(|c| c.snooze(Actor::Agent(B), at(5000), at(700)));
    s.rule(|c| c.close(Actor::Agent(B), None, at(800)));
    s.change(|c, s| s.events(c.on_inbound("again", false, at(900))));
    s.reply(B, 1000);
    s.rule(|c| c.reopen(Actor::Agent(B), at(1001)).or_else(|_| Ok(vec![])));
    s.rule(|c| c.close(Actor::Agent(B), None, at(1200)));
    let team = Some(TeamId(2));
    let want = vec![
        h(0, Measure::Opened, None, None),
        h(90, Measure::FirstResponse { s: 90 }, team, Some(A)),
        h(
            600,
            Measure::Closed {
                resolution_s: 600,
                replies: 2,
            },
            team,
            Some(A),
        ),
        h(700, Measure::Reopened, team, Some(A)),
        h(
            800,
            Measure::Closed {
                resolution_s: 800,
                replies: 2,
            },
            team,
            None,
        ),
        h(900, Measure::Reopened, team, None),
        h(
            1200,
            Measure::Closed {
                resolution_s: 1200,
                replies: 3,
            },
            team,
            Some(B),
        ),
    ];
    assert_eq!(s.written(), want);
    let (end, replayed) = replay(&s.conv, s.timeline());
    assert_eq!(replayed, want, "the rebuild gives what the write path gave");
    assert_eq!(
        end,
        Progress::of(&s.conv),
        "and ends where the conversation stands"
    );
    assert_eq!((s.conv.agent_replies, s.conv.closed_assignee), (3, Some(B)));
}

#[test]
fn a_conversation_an_agent_starts_is_opened_by_them_without_a_response() {
    let (mut c, events) = Conversation::start(
        ConversationId(1),
        InboxId(3),
        ContactId(1),
        "Carla".into(),
        "tok".into(),
        ChannelIdentity::default(),
        at(0),
    );
    let mut items: Vec<TimelineItem> = events
        .into_iter()
        .map(|mut e| {
            e.actor = Actor::Agent(A);
            TimelineItem::Event(MessageId(10), e)
        })
        .collect();
    items.extend(
        c.on_reply(A, "hello", at(0))
            .into_iter()
            .map(|e| TimelineItem::Event(MessageId(11), e)),
    );
    items.push(TimelineItem::Message(Message::outgoing(
        MessageId(12),
        c.id,
        A,
        "hello".into(),
        at(0),
        false,
        false,
    )));
    let want = vec![h(0, Measure::Opened, None, Some(A))];
    assert_eq!(happenings(None, &c, &items), want);
    assert_eq!(replay(&c, items).1, want);
    // The customer answers and the agent writes again: still no "first response".
    let old = c.clone();
    c.on_inbound("thanks", false, at(50));
    c.on_reply(A, "welcome", at(60));
    let reply = Message::outgoing(
        MessageId(13),
        c.id,
        A,
        "welcome".into(),
        at(60),
        false,
        false,
    );
    assert_eq!(
        happenings(Some(&old), &c, &[TimelineItem::Message(reply)]),
        vec![]
    );
    assert_eq!(c.agent_replies, 2);
}

#[test]
fn reopening_a_snoozed_conversation_is_no_reopen() {
    let mut s = Story::customer_starts();
    s.rule(|c| c.snooze(Actor::Agent(A), at(100), at(10)));
    s.rule(|c| c.reopen(Actor::Agent(A), at(20)));
    s.change(|c, s| s.events(c.wake_if_due(at(200))));
    assert_eq!(s.written(), vec![h(0, Measure::Opened, None, None)]);
}

#[test]
fn days_weeks_and_dates() {
    assert_eq!(parse_date("1970-01-01"), Some(0));
    assert_eq!(parse_date("2026-05-28"), Some(20_601));
    assert_eq!(format_date(20_601), "2026-05-28");
    assert_eq!(
        parse_date("2024-02-29").map(format_date).as_deref(),
        Some("2024-02-29")
    );
    for bad in [
        "2026-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-1-01",
        "26-01-01x",
        "abcd-ef-gh",
        "",
        "2026-04-31",
    ] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
    for day in [-800, -1, 0, 59, 365, 11_016, 20_601, 40_000] {
        assert_eq!(parse_date(&format_date(day)), Some(day), "{day}");
    }
    // 2026-05-28 is a Thursday; its week starts on Monday the 25th.
    assert_eq!(format_date(week_start(20_601)), "2026-05-25");
    assert_eq!(week_start(20_598), 20_598, "a Monday starts its own week");
    assert_eq!(
        format_date(week_start(20_604)),
        "2026-05-25",
        "Sunday the 31st"
    );
    assert_eq!(day_label(20_601), "Thu 28 May");
    assert_eq!(hour_of(Timestamp(-5)), 0);
    assert_eq!(hour_of(Timestamp(3_600_000 * 5 + 1)), 5);
}

struct Plus(i64);
impl Zone for Plus {
    fn offset_secs(&self, _: Timestamp) -> i64 {
        self.0 * 3600
    }
    fn name(&self) -> &str {
        "test"
    }
}

#[test]
fn local_days_are_cut_from_hours_in_the_zone() {
    let day = 20_601i64;
    let first = (day * 24) as u32;
    assert_eq!(day_of_hour(first, &Utc), day);
    assert_eq!(day_of_hour(first + 23, &Utc), day);
    assert_eq!(
        day_of_hour(first + 22, &Plus(2)),
        day + 1,
        "22:00 UTC is midnight at +2"
    );
    assert_eq!(day_of_hour(first + 21, &Plus(2)), day);
    assert_eq!(
        day_of_hour(first + 4, &Plus(-5)),
        day - 1,
        "04:00 UTC is 23:00 the day before at -5"
    );
    let (lo, hi) = hours_around(day, day);
    for zone in [&Utc as &dyn Zone, &Plus(14), &Plus(-12)] {
        let hours: Vec<u32> = (lo..hi).filter(|h| day_of_hour(*h, zone) == day).collect();
        assert_eq!(hours.len(), 24, "{}", zone.offset_secs(Timestamp(0)));
    }
    assert_eq!(hours_around(0, 0).0, 0);
}

#[test]
fn dimensions_round_trip_through_their_key_parts() {
    for d in [
        Dimension::Total,
        Dimension::Inbox(InboxId(5)),
        Dimension::Team(None),
        Dimension::Team(Some(TeamId(9))),
        Dimension::Agent(None),
        Dimension::Agent(Some(AgentId(4))),
    ] {
        assert_eq!(Dimension::from_parts(d.tag(), d.id()), Some(d));
    }
    assert_eq!(Dimension::from_parts(4, 1), None, "labels: not yet");
}

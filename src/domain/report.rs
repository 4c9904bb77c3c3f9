//! Reports: what each timeline item of a conversation adds to the numbers (opened,
//! closed, reopened, first response, resolution, replies per conversation), the hourly
//! tallies they are kept in, and the medians and 90th percentiles read from them.
//!
//! One replay serves three callers, so they cannot disagree: the write path feeds a
//! change's items onto the conversation as it stood ([`happenings`]), a rebuild feeds a
//! whole timeline from the start ([`replay`]), and deleting a conversation takes its
//! whole replay back out.

use super::clock::Timestamp;
use super::conversation::{Actor, Conversation, EventKind};
use super::ids::{AgentId, InboxId, TeamId};
use super::message::{Direction, TimelineItem};
use serde::{Deserialize, Serialize};

const HOUR_MS: i64 = 3_600_000;
const DAY_SECS: i64 = 86_400;

/// Which slice of the numbers a tally belongs to. Every happening counts once in each of
/// its four slices. Tags are stored in keys: 4 is kept for labels (issue 14: a
/// conversation's labels at the time of the happening, one tally per label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Total,
    Inbox(InboxId),
    /// `None`: conversations in no team.
    Team(Option<TeamId>),
    /// `None`: unassigned.
    Agent(Option<AgentId>),
}

impl Dimension {
    /// The tag byte stored first in the key.
    pub fn tag(self) -> u8 {
        match self {
            Dimension::Total => 0,
            Dimension::Inbox(_) => 1,
            Dimension::Team(_) => 2,
            Dimension::Agent(_) => 3,
        }
    }

    /// The id stored after the tag (0 for the total, no team and unassigned: real ids
    /// start at 1).
    pub fn id(self) -> u64 {
        match self {
            Dimension::Total => 0,
            Dimension::Inbox(i) => i.0,
            Dimension::Team(t) => t.map_or(0, |t| t.0),
            Dimension::Agent(a) => a.map_or(0, |a| a.0),
        }
    }

    /// The dimension of a stored (tag, id).
    pub fn from_parts(tag: u8, id: u64) -> Option<Dimension> {
        Some(match tag {
            0 => Dimension::Total,
            1 => Dimension::Inbox(InboxId(id)),
            2 => Dimension::Team((id != 0).then_some(TeamId(id))),
            3 => Dimension::Agent((id != 0).then_some(AgentId(id))),
            _ => return None,
        })
    }
}

/// What one happening adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Opened,
    /// Closed: seconds since the conversation was created, and how many replies agents
    /// had sent by then.
    Closed {
        resolution_s: u32,
        replies: u16,
    },
    Reopened,
    /// The first agent reply to a conversation the customer started: seconds since it
    /// was created.
    FirstResponse {
        s: u32,
    },
}

/// One thing that counts in the reports: what, when, and whose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Happening {
    pub at: Timestamp,
    pub measure: Measure,
    pub inbox: InboxId,
    pub team: Option<TeamId>,
    /// Opened: the agent who started it (New message), else none. Closed and
    /// reopened: who was assigned when it closed. First response: who replied.
    pub agent: Option<AgentId>,
}

impl Happening {
    /// The slices it counts in.
    pub fn dimensions(&self) -> [Dimension; 4] {
        [
            Dimension::Total,
            Dimension::Inbox(self.inbox),
            Dimension::Team(self.team),
            Dimension::Agent(self.agent),
        ]
    }

    /// The hour it is tallied in.
    pub fn hour(&self) -> u32 {
        hour_of(self.at)
    }
}

/// What the reports know of a conversation between two of its changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub inbox: InboxId,
    pub created_at: Timestamp,
    pub closed: bool,
    pub replied: bool,
    /// Started by an agent (New message): its first reply is no response.
    pub started_by_agent: bool,
    pub assignee: Option<AgentId>,
    pub team: Option<TeamId>,
    pub closed_assignee: Option<AgentId>,
    pub replies: u32,
}

fn secs_between(from: Timestamp, to: Timestamp) -> u32 {
    u32::try_from(to.secs_since(from).max(0)).unwrap_or(u32::MAX)
}

impl Progress {
    /// A conversation before its first item.
    pub fn before_start(inbox: InboxId, created_at: Timestamp) -> Progress {
        Progress {
            inbox,
            created_at,
            closed: false,
            replied: false,
            started_by_agent: false,
            assignee: None,
            team: None,
            closed_assignee: None,
            replies: 0,
        }
    }

    /// A stored conversation as it stands.
    pub fn of(c: &Conversation) -> Progress {
        Progress {
            inbox: c.inbox_id,
            created_at: c.created_at,
            closed: c.status == super::conversation::Status::Closed,
            replied: c.agent_replied,
            started_by_agent: false,
            assignee: c.assignee,
            team: c.team,
            closed_assignee: c.closed_assignee,
            replies: c.agent_replies,
        }
    }

    fn happening(&self, at: Timestamp, measure: Measure, agent: Option<AgentId>) -> Happening {
        Happening {
            at,
            measure,
            inbox: self.inbox,
            team: self.team,
            agent,
        }
    }

    /// Moves past one timeline item; returns what it adds to the reports.
    pub fn apply(&mut self, item: &TimelineItem) -> Option<Happening> {
        match item {
            TimelineItem::Event(_, e) => match &e.kind {
                EventKind::Created => {
                    let by = match e.actor {
                        Actor::Agent(a) => Some(a),
                        Actor::Contact | Actor::System => None,
                    };
                    self.started_by_agent = by.is_some();
                    Some(self.happening(self.created_at, Measure::Opened, by))
                }
                EventKind::Assigned { to } => {
                    self.assignee = *to;
                    None
                }
                EventKind::TeamChanged { to } => {
                    self.team = *to;
                    None
                }
                EventKind::Closed { .. } if !self.closed => {
                    self.closed = true;
                    self.closed_assignee = self.assignee.take();
                    let m = Measure::Closed {
                        resolution_s: secs_between(self.created_at, e.at),
                        replies: u16::try_from(self.replies).unwrap_or(u16::MAX),
                    };
                    Some(self.happening(e.at, m, self.closed_assignee))
                }
                // Leaving "closed" in any way (reopened, or snoozed from closed).
                EventKind::Reopened | EventKind::Snoozed { .. } | EventKind::Woke
                    if self.closed =>
                {
                    self.closed = false;
                    Some(self.happening(e.at, Measure::Reopened, self.closed_assignee))
                }
                _ => None,
            },
            TimelineItem::Message(m)
                if m.direction == Direction::Outbound && !m.transcript && m.author.is_some() =>
            {
                self.replies = self.replies.saturating_add(1);
                if self.replied {
                    return None;
                }
                self.replied = true;
                if self.started_by_agent {
                    return None;
                }
                let s = secs_between(self.created_at, m.created_at);
                Some(self.happening(m.created_at, Measure::FirstResponse { s }, m.author))
            }
            TimelineItem::Message(_) => None,
        }
    }
}

/// What one change adds: `items` (in the order they were recorded) fed onto `old` (or,
/// for a new conversation, onto nothing yet).
pub fn happenings(
    old: Option<&Conversation>,
    new: &Conversation,
    items: &[TimelineItem],
) -> Vec<Happening> {
    let mut p = match old {
        Some(o) => Progress::of(o),
        None => Progress::before_start(new.inbox_id, new.created_at),
    };
    items.iter().filter_map(|i| p.apply(i)).collect()
}

/// The time of a timeline item.
pub fn item_time(item: &TimelineItem) -> Timestamp {
    match item {
        TimelineItem::Message(m) => m.created_at,
        TimelineItem::Event(_, e) => e.at,
    }
}

/// A whole timeline replayed from the start: where it ends and everything it added.
/// Items are taken in time order (ties by id, the order of one change's items).
pub fn replay(c: &Conversation, mut items: Vec<TimelineItem>) -> (Progress, Vec<Happening>) {
    items.sort_by_key(|i| (item_time(i), i.id()));
    let mut p = Progress::before_start(c.inbox_id, c.created_at);
    let found = items.iter().filter_map(|i| p.apply(i)).collect();
    (p, found)
}

/// The numbers of one hour of one dimension (or of many, merged). Exact values, so
/// medians and percentiles are exact. Fields may be added at the end (defaulted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub opened: u32,
    pub closed: u32,
    pub reopened: u32,
    pub first_response_s: Vec<u32>,
    pub resolution_s: Vec<u32>,
    pub replies: Vec<u16>,
}

fn take_one<T: PartialEq>(v: &mut Vec<T>, x: &T) {
    if let Some(i) = v.iter().position(|y| y == x) {
        v.swap_remove(i);
    }
}

impl Tally {
    /// Counts a happening in.
    pub fn add(&mut self, m: &Measure) {
        match *m {
            Measure::Opened => self.opened = self.opened.saturating_add(1),
            Measure::Closed {
                resolution_s,
                replies,
            } => {
                self.closed = self.closed.saturating_add(1);
                self.resolution_s.push(resolution_s);
                self.replies.push(replies);
            }
            Measure::Reopened => self.reopened = self.reopened.saturating_add(1),
            Measure::FirstResponse { s } => self.first_response_s.push(s),
        }
    }

    /// Takes a happening back out (a deleted conversation).
    pub fn remove(&mut self, m: &Measure) {
        match *m {
            Measure::Opened => self.opened = self.opened.saturating_sub(1),
            Measure::Closed {
                resolution_s,
                replies,
            } => {
                self.closed = self.closed.saturating_sub(1);
                take_one(&mut self.resolution_s, &resolution_s);
                take_one(&mut self.replies, &replies);
            }
            Measure::Reopened => self.reopened = self.reopened.saturating_sub(1),
            Measure::FirstResponse { s } => take_one(&mut self.first_response_s, &s),
        }
    }

    /// Adds another tally's numbers.
    pub fn merge(&mut self, other: Tally) {
        self.opened = self.opened.saturating_add(other.opened);
        self.closed = self.closed.saturating_add(other.closed);
        self.reopened = self.reopened.saturating_add(other.reopened);
        self.first_response_s.extend(other.first_response_s);
        self.resolution_s.extend(other.resolution_s);
        self.replies.extend(other.replies);
    }

    /// Nothing counted (such a tally is not stored).
    pub fn is_empty(&self) -> bool {
        *self == Tally::default()
    }

    /// Counts, medians and 90th percentiles.
    pub fn summary(mut self) -> Summary {
        let mut replies: Vec<u32> = self.replies.iter().map(|&r| u32::from(r)).collect();
        Summary {
            opened: self.opened,
            closed: self.closed,
            reopened: self.reopened,
            first_response_s: Spread::of(&mut self.first_response_s),
            resolution_s: Spread::of(&mut self.resolution_s),
            replies: Spread::of(&mut replies),
        }
    }

    /// The tally with its lists in order (two equal tallies compare equal).
    pub fn normalized(mut self) -> Tally {
        self.first_response_s.sort_unstable();
        self.resolution_s.sort_unstable();
        self.replies.sort_unstable();
        self
    }
}

/// A tally read for people.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub opened: u32,
    pub closed: u32,
    pub reopened: u32,
    pub first_response_s: Spread,
    pub resolution_s: Spread,
    pub replies: Spread,
}

/// How many values, their median and 90th percentile (none without values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spread {
    pub count: usize,
    pub median: Option<u32>,
    pub p90: Option<u32>,
}

impl Spread {
    /// Sorts `v` and reads it.
    pub fn of(v: &mut [u32]) -> Spread {
        v.sort_unstable();
        Spread {
            count: v.len(),
            median: percentile(v, 50),
            p90: percentile(v, 90),
        }
    }
}

/// The nearest-rank percentile `p` (1..=100) of sorted values: the smallest value that
/// at least p% of the values are at or below (the median of [10, 20] is 10). Always a
/// value that occurred; none for no values.
pub fn percentile(sorted: &[u32], p: u32) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p.clamp(1, 100) as usize * sorted.len()).div_ceil(100);
    sorted.get(rank.max(1) - 1).copied()
}

/// Hours since the Unix epoch (u32: until the year 2459; earlier than 1970 is hour 0).
pub fn hour_of(at: Timestamp) -> u32 {
    u32::try_from(at.0.div_euclid(HOUR_MS).max(0)).unwrap_or(u32::MAX)
}

/// A time zone for cutting days: its offset from UTC at a moment.
pub trait Zone {
    /// Seconds east of UTC at `at`.
    fn offset_secs(&self, at: Timestamp) -> i64;
    /// Its name, shown next to the numbers.
    fn name(&self) -> &str;
}

/// Coordinated Universal Time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Utc;

impl Zone for Utc {
    fn offset_secs(&self, _: Timestamp) -> i64 {
        0
    }
    fn name(&self) -> &str {
        "UTC"
    }
}

/// The local day (days since 1970-01-01) an hour falls in: by the zone's offset at the
/// hour's start, so any whole-hour zone (daylight saving included) is cut exactly.
pub fn day_of_hour(hour: u32, zone: &dyn Zone) -> i64 {
    let start = i64::from(hour) * 3600;
    (start + zone.offset_secs(Timestamp(start * 1000))).div_euclid(DAY_SECS)
}

/// The Monday on or before `day` (weeks start on Monday).
pub fn week_start(day: i64) -> i64 {
    // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
    day - (day + 3).rem_euclid(7)
}

/// The hours to read for local days `from..=to` in any zone (up to 14 hours either side
/// of UTC's): a little wider than needed; `day_of_hour` then keeps the right ones.
pub fn hours_around(from: i64, to: i64) -> (u32, u32) {
    let clamp = |h: i64| u32::try_from(h.max(0)).unwrap_or(u32::MAX);
    (clamp(from * 24 - 14), clamp((to + 1) * 24 + 14))
}

/// `YYYY-MM-DD` to days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        s.get(r)
            .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))?
            .parse()
            .ok()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Days since 1970-01-01 to `YYYY-MM-DD`.
pub fn format_date(day: i64) -> String {
    let (y, m, d) = super::clock::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A day and month: "4 May".
pub fn short_date(day: i64) -> String {
    let (_, m, d) = super::clock::civil_from_days(day);
    format!("{d} {}", MONTHS[(m as usize).saturating_sub(1) % 12])
}

/// A short label for a day: "Mon 4 May".
pub fn day_label(day: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let weekday = WEEKDAYS[(day + 3).rem_euclid(7) as usize];
    format!("{weekday} {}", short_date(day))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's days-from-civil (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests;

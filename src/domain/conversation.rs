//! Conversations, messages and timeline events, and the lifecycle rules between them.
//! Pure: every rule takes the current state and "now" and returns the new state plus
//! the events to record.

use super::clock::Timestamp;
use super::ids::{AgentId, InboxId, TeamId};
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A conversation.
    ConversationId
);
id_type!(
    /// A message, note or timeline event.
    MessageId
);
id_type!(
    /// A contact (customer).
    ContactId
);

/// Where a conversation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Open,
    Snoozed { until: Timestamp },
    Closed,
}

impl Status {
    /// The name used in the API and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Snoozed { .. } => "snoozed",
            Status::Closed => "closed",
        }
    }
}

/// The thread between one contact and the business in one inbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub inbox_id: InboxId,
    pub contact_id: ContactId,
    pub status: Status,
    pub assignee: Option<AgentId>,
    pub team: Option<TeamId>,
    pub created_at: Timestamp,
    /// The time of the latest message (any direction, notes included): the list order.
    pub last_activity_at: Timestamp,
    /// The latest inbound message, for unread markers.
    pub last_inbound_at: Option<Timestamp>,
    /// The oldest inbound message not yet answered by an agent (for "missed").
    pub waiting_since: Option<Timestamp>,
    /// Whether any agent has replied yet ("new" conversations have not).
    pub agent_replied: bool,
    /// A short plain-text preview of the latest message.
    pub preview: String,
    /// Contact name, copied for list rows (kept in step by the store).
    pub contact_name: String,
    /// A random 128-bit token for anything a visitor sees (hex).
    pub token: String,
    /// Who the customer is on this conversation's channel, fixed when it starts: replies
    /// go to this address, whatever later edits of the contact say.
    #[serde(default)]
    pub identity: ChannelIdentity,
    /// How many replies agents have sent (notes and transcripts are not replies), for
    /// the replies-per-conversation report. Trailing and defaulted: older records read
    /// as 0 until the schema-4 migration counts them from the timeline.
    #[serde(default)]
    pub agent_replies: u32,
    /// Who was assigned when it was last closed (closing unassigns): a reopen counts
    /// against them in the reports.
    #[serde(default)]
    pub closed_assignee: Option<AgentId>,
}

/// The customer as this conversation's channel gave them (the first message's sender,
/// or the address an agent started the conversation to). It is what the conversation
/// itself knows: agents who cannot see all of a contact's inboxes see this, and an
/// integration's webhook carries this, never what other inboxes know.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelIdentity {
    /// The display name the channel gave (may be empty).
    pub name: String,
    /// The email address replies by mail go to.
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The integration's or widget's id for the customer in this inbox.
    pub identifier: Option<String>,
    /// False for an address the customer only typed (a website pre-chat form): no mail
    /// goes to it until an agent confirms it.
    pub email_verified: bool,
    /// The channel's own id for the customer where it is not an address (Messenger
    /// PSID, Telegram user id): where replies go on that channel.
    #[serde(default)]
    pub handle: Option<super::contact::Identity>,
}

impl ChannelIdentity {
    /// The name to show: the name, else email, else phone, else "Visitor".
    pub fn display_name(&self) -> String {
        super::contact::display_name(&self.name, self.email.as_deref(), self.phone.as_deref())
    }

    /// Fills what is still unknown from `other` (a later message of the same customer);
    /// an address already fixed is never replaced.
    pub fn fill_from(&mut self, other: &ChannelIdentity) {
        if self.name.trim().is_empty() {
            self.name = other.name.clone();
        }
        if self.email.is_none() && other.email.is_some() {
            self.email = other.email.clone();
            self.email_verified = other.email_verified;
        }
        if self.phone.is_none() {
            self.phone = other.phone.clone();
        }
        if self.identifier.is_none() {
            self.identifier = other.identifier.clone();
        }
        if self.handle.is_none() {
            self.handle = other.handle.clone();
        }
    }

    /// The email replies may go to now: a claimed address only once confirmed.
    pub fn reply_email(&self) -> Result<&str, ReplyAddressError> {
        match &self.email {
            None => Err(ReplyAddressError::None),
            Some(_) if !self.email_verified => Err(ReplyAddressError::Unconfirmed),
            Some(e) => Ok(e),
        }
    }
}

/// Why a conversation cannot be answered by mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyAddressError {
    /// The conversation has no email address.
    None,
    /// The address was typed by the visitor and no agent has confirmed it yet.
    Unconfirmed,
}

/// Who did something.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    Agent(AgentId),
    Contact,
    System,
}

/// What happened, for the timeline. Each is shown as one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    Created,
    Assigned {
        to: Option<AgentId>,
    },
    TeamChanged {
        to: Option<TeamId>,
    },
    Closed {
        note: Option<String>,
    },
    Reopened,
    Snoozed {
        until: Timestamp,
    },
    Woke,
    ContactBlocked,
    ContactUnblocked,
    /// An agent confirmed the email address a visitor typed, so mail may go to it.
    EmailConfirmed {
        email: String,
    },
}

/// One timeline event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub actor: Actor,
    pub at: Timestamp,
    pub kind: EventKind,
}

impl EventKind {
    /// The API name of the event.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Assigned { .. } => "assigned",
            EventKind::TeamChanged { .. } => "team_changed",
            EventKind::Closed { .. } => "closed",
            EventKind::Reopened => "reopened",
            EventKind::Snoozed { .. } => "snoozed",
            EventKind::Woke => "woke",
            EventKind::ContactBlocked => "contact_blocked",
            EventKind::ContactUnblocked => "contact_unblocked",
            EventKind::EmailConfirmed { .. } => "email_confirmed",
        }
    }
}

/// Why a rule refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the conversation is already {0}")]
    AlreadyInState(&'static str),
    #[error("a snooze must end in the future")]
    SnoozeInPast,
}

fn ev(actor: Actor, at: Timestamp, kind: EventKind) -> Event {
    Event { actor, at, kind }
}

impl Conversation {
    /// A new open, unassigned conversation started by a contact's first message.
    pub fn start(
        id: ConversationId,
        inbox_id: InboxId,
        contact_id: ContactId,
        contact_name: String,
        token: String,
        identity: ChannelIdentity,
        now: Timestamp,
    ) -> (Conversation, Vec<Event>) {
        let c = Conversation {
            id,
            inbox_id,
            contact_id,
            status: Status::Open,
            assignee: None,
            team: None,
            created_at: now,
            last_activity_at: now,
            last_inbound_at: None,
            waiting_since: None,
            agent_replied: false,
            preview: String::new(),
            contact_name,
            token,
            identity,
            agent_replies: 0,
            closed_assignee: None,
        };
        (c, vec![ev(Actor::Contact, now, EventKind::Created)])
    }

    /// An inbound message arrived. A closed conversation reopens and a snoozed one wakes,
    /// unless the contact is blocked (then it is only stored).
    pub fn on_inbound(&mut self, preview: &str, blocked: bool, now: Timestamp) -> Vec<Event> {
        self.touch(preview, now);
        self.last_inbound_at = Some(now);
        if self.waiting_since.is_none() {
            self.waiting_since = Some(now);
        }
        if blocked {
            return vec![];
        }
        match self.status {
            Status::Closed => {
                self.status = Status::Open;
                vec![ev(Actor::Contact, now, EventKind::Reopened)]
            }
            Status::Snoozed { .. } => {
                self.status = Status::Open;
                vec![ev(Actor::Contact, now, EventKind::Woke)]
            }
            Status::Open => vec![],
        }
    }

    /// An agent replied. Replying to an unassigned conversation assigns it to them.
    pub fn on_reply(&mut self, agent: AgentId, preview: &str, now: Timestamp) -> Vec<Event> {
        self.touch(preview, now);
        self.agent_replied = true;
        self.agent_replies = self.agent_replies.saturating_add(1);
        self.waiting_since = None;
        if self.assignee.is_none() {
            self.assignee = Some(agent);
            return vec![ev(
                Actor::Agent(agent),
                now,
                EventKind::Assigned { to: Some(agent) },
            )];
        }
        vec![]
    }

    /// An agent wrote an internal note: it moves the conversation up but changes nothing else.
    pub fn on_note(&mut self, preview: &str, now: Timestamp) {
        self.touch(preview, now);
    }

    fn touch(&mut self, preview: &str, now: Timestamp) {
        self.last_activity_at = self.last_activity_at.max(now);
        self.preview = preview_of(preview);
    }

    /// Assigns to an agent, or unassigns with `None`.
    pub fn assign(&mut self, actor: Actor, to: Option<AgentId>, now: Timestamp) -> Vec<Event> {
        if self.assignee == to {
            return vec![];
        }
        self.assignee = to;
        vec![ev(actor, now, EventKind::Assigned { to })]
    }

    /// Moves to a team, or out of any team with `None`.
    pub fn set_team(&mut self, actor: Actor, to: Option<TeamId>, now: Timestamp) -> Vec<Event> {
        if self.team == to {
            return vec![];
        }
        self.team = to;
        vec![ev(actor, now, EventKind::TeamChanged { to })]
    }

    /// Closes, unassigning, with an optional closing note.
    pub fn close(
        &mut self,
        actor: Actor,
        note: Option<String>,
        now: Timestamp,
    ) -> Result<Vec<Event>, RuleError> {
        if self.status == Status::Closed {
            return Err(RuleError::AlreadyInState("closed"));
        }
        self.status = Status::Closed;
        self.waiting_since = None;
        let mut events = vec![];
        self.closed_assignee = self.assignee.take();
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        events.push(ev(actor, now, EventKind::Closed { note }));
        Ok(events)
    }

    /// Reopens a closed or snoozed conversation.
    pub fn reopen(&mut self, actor: Actor, now: Timestamp) -> Result<Vec<Event>, RuleError> {
        if self.status == Status::Open {
            return Err(RuleError::AlreadyInState("open"));
        }
        self.status = Status::Open;
        Ok(vec![ev(actor, now, EventKind::Reopened)])
    }

    /// Snoozes until a time in the future.
    pub fn snooze(
        &mut self,
        actor: Actor,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<Event>, RuleError> {
        if until <= now {
            return Err(RuleError::SnoozeInPast);
        }
        if self.status == (Status::Snoozed { until }) {
            return Ok(vec![]);
        }
        self.status = Status::Snoozed { until };
        Ok(vec![ev(actor, now, EventKind::Snoozed { until })])
    }

    /// The snooze timer fired: back to open if still snoozed and due.
    pub fn wake_if_due(&mut self, now: Timestamp) -> Vec<Event> {
        match self.status {
            Status::Snoozed { until } if until <= now => {
                self.status = Status::Open;
                vec![ev(Actor::System, now, EventKind::Woke)]
            }
            _ => vec![],
        }
    }

    /// An agent confirmed the email address the customer typed: mail may go to it now.
    pub fn confirm_email(&mut self, actor: Actor, now: Timestamp) -> Vec<Event> {
        match &self.identity.email {
            Some(e) if !self.identity.email_verified => {
                let email = e.clone();
                self.identity.email_verified = true;
                vec![ev(actor, now, EventKind::EmailConfirmed { email })]
            }
            _ => vec![],
        }
    }

    /// Missed: a contact has waited longer than `after_secs` for an agent's reply.
    pub fn missed(&self, now: Timestamp, after_secs: i64) -> bool {
        self.status == Status::Open
            && self
                .waiting_since
                .is_some_and(|t| now.secs_since(t) >= after_secs)
    }

    /// New: open, unassigned and not yet answered.
    pub fn is_new(&self) -> bool {
        self.status == Status::Open && self.assignee.is_none() && !self.agent_replied
    }
}

/// The first line-ish of a message, at most 140 characters.
pub fn preview_of(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 140 {
        flat
    } else {
        flat.chars().take(139).collect::<String>() + "…"
    }
}

/// Snooze presets offered in the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnoozePreset {
    OneHour,
    ThisEvening,
    Tomorrow,
    NextWeek,
}

/// When a preset ends, in the agent's time zone `tz` (summer time included): one hour
/// from now; 18:00 today (or tomorrow once past 17:00); tomorrow 09:00; next Monday
/// 09:00. A wall-clock time that a DST change skips moves forward.
pub fn snooze_until(preset: SnoozePreset, now: Timestamp, tz: &jiff::tz::TimeZone) -> Timestamp {
    let an_hour = now.plus_secs(3600);
    let Ok(local) =
        jiff::Timestamp::from_millisecond(now.0).map(|t| t.to_zoned_datetime(tz.clone()))
    else {
        return an_hour;
    };
    let at = |date: Option<jiff::civil::Date>, hour: i8| {
        date.and_then(|d| d.at(hour, 0, 0, 0).to_zoned_datetime(tz.clone()).ok())
            .map_or(an_hour, |z| Timestamp(z.timestamp().as_millisecond()))
    };
    let today = local.date();
    let plus_days = |n: i64| today.checked_add(jiff::Span::new().days(n)).ok();
    match preset {
        SnoozePreset::OneHour => an_hour,
        SnoozePreset::ThisEvening if local.hour() < 17 => at(Some(today), 18),
        SnoozePreset::ThisEvening => at(plus_days(1), 18),
        SnoozePreset::Tomorrow => at(plus_days(1), 9),
        SnoozePreset::NextWeek => {
            let weekday = i64::from(today.weekday().to_monday_zero_offset());
            at(plus_days(7 - weekday), 9)
        }
    }
}

/// Agents @mentioned in a note: `@Name` matched against the candidates' names, longest
/// first, case-insensitive, so "@Ana María" wins over "@Ana".
pub fn mentions(text: &str, candidates: &[(AgentId, String)]) -> Vec<AgentId> {
    let lower = text.to_lowercase();
    let mut sorted: Vec<&(AgentId, String)> = candidates.iter().collect();
    sorted.sort_by_key(|(_, n)| std::cmp::Reverse(n.chars().count()));
    let mut found = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for (id, name) in sorted {
        let needle = format!("@{}", name.to_lowercase());
        let mut from = 0;
        while let Some(pos) = lower[from..].find(&needle) {
            let start = from + pos;
            let end = start + needle.len();
            let boundary = lower[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            if boundary && !taken.iter().any(|&(s, e)| start < e && s < end) {
                taken.push((start, end));
                if !found.contains(id) {
                    found.push(*id);
                }
            }
            from = end;
        }
    }
    found
}

#[cfg(test)]
mod tests;

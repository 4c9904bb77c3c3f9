//! Typing indicators, coalesced before they reach the live bus. Both clients say
//! "typing" when someone starts, repeat it every 3 s while they go on (the indicator
//! hides itself after 6 s without news) and say "stopped" once. Anything more is noise:
//! a repeat of the same state sooner than [`REPEAT_MS`] is dropped, and each typist
//! gets at most [`CHANGES`] forwarded frames per [`WINDOW_SECS`], so one visitor (or
//! agent) sending thousands of frames reaches every agent's stream only a few times.
//! Dropping is silent: a legitimate widget is never disconnected for it.

use super::throttle::Rate;
use crate::domain::conversation::ConversationId;
use crate::domain::{AgentId, Clock, Timestamp};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The same state again is forwarded at most this often (clients repeat every 3 s).
pub const REPEAT_MS: i64 = 2_500;
/// Frames forwarded per typist per window, changes included.
pub const CHANGES: usize = 4;
/// The window, in seconds.
pub const WINDOW_SECS: i64 = 5;
/// Conversations×typists remembered at most (older ones are forgotten first).
const MAX_ENTRIES: usize = 100_000;

/// Who is typing in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Typist {
    /// The conversation's contact, in the website widget.
    Visitor,
    Agent(AgentId),
}

/// Decides which typing frames are worth forwarding.
pub struct TypingGate {
    clock: Arc<dyn Clock>,
    last: Mutex<HashMap<(ConversationId, Typist), (bool, Timestamp)>>,
    rate: Rate,
}

impl TypingGate {
    /// A gate with the limits above.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        TypingGate {
            rate: Rate::new(clock.clone(), CHANGES, WINDOW_SECS),
            clock,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `who` saying `active` in conversation `id` should be forwarded now.
    pub fn allow(&self, id: ConversationId, who: Typist, active: bool) -> bool {
        let now = self.clock.now();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.len() >= MAX_ENTRIES {
            last.retain(|_, (_, at)| now.secs_since(*at) < 60);
        }
        if let Some((was, at)) = last.get(&(id, who))
            && *was == active
            && now.0 - at.0 < REPEAT_MS
        {
            return false;
        }
        // The rate is per typist, not per conversation: an agent cannot spread a flood
        // over many conversations.
        let key = match who {
            Typist::Visitor => format!("v:{id}"),
            Typist::Agent(a) => format!("a:{a}"),
        };
        if self.rate.hit(&key).is_err() {
            return false;
        }
        last.insert((id, who), (active, now));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ManualClock;

    const C: ConversationId = ConversationId(7);

    fn gate() -> (Arc<ManualClock>, TypingGate) {
        let clock = Arc::new(ManualClock::new(Timestamp(1_000_000)));
        (clock.clone(), TypingGate::new(clock))
    }

    #[test]
    fn repeats_are_coalesced_and_changes_pass() {
        let (clock, g) = gate();
        assert!(g.allow(C, Typist::Visitor, true));
        assert!(!g.allow(C, Typist::Visitor, true), "a repeat at once");
        clock.advance_secs(3);
        assert!(g.allow(C, Typist::Visitor, true), "the 3 s keep-alive");
        assert!(g.allow(C, Typist::Visitor, false), "a change at once");
        assert!(
            g.allow(C, Typist::Agent(AgentId(1)), true),
            "each typist has their own state"
        );
    }

    #[test]
    fn a_flood_of_changes_is_cut_to_a_few_per_window() {
        let (clock, g) = gate();
        let passed = (0..2000)
            .filter(|i| g.allow(C, Typist::Visitor, i % 2 == 0))
            .count();
        assert_eq!(passed, CHANGES);
        clock.advance_secs(WINDOW_SECS);
        assert!(g.allow(C, Typist::Visitor, true), "and recovers");
    }

    #[test]
    fn an_agent_cannot_spread_a_flood_over_conversations() {
        let (_, g) = gate();
        let agent = Typist::Agent(AgentId(3));
        let passed = (0..100)
            .filter(|i| g.allow(ConversationId(*i), agent, true))
            .count();
        assert_eq!(passed, CHANGES);
        assert!(
            g.allow(C, Typist::Agent(AgentId(4)), true),
            "others unaffected"
        );
    }
}

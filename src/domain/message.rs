//! Messages and their delivery status, which only ever moves forward.

use super::clock::Timestamp;
use super::conversation::{ContactId, ConversationId, Event, MessageId};
use super::ids::AgentId;
use serde::{Deserialize, Serialize};

/// Which way a message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the contact.
    Inbound,
    /// From an agent to the contact.
    Outbound,
    /// An internal note: agents only, never sent.
    Note,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Note => "note",
        }
    }
}

/// Delivery status of an outgoing message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        Some(match s {
            "pending" => DeliveryStatus::Pending,
            "sent" => DeliveryStatus::Sent,
            "delivered" => DeliveryStatus::Delivered,
            "read" => DeliveryStatus::Read,
            "failed" => DeliveryStatus::Failed,
            _ => return None,
        })
    }

    /// Progress rank; `Failed` has none of its own.
    fn rank(self) -> Option<u8> {
        match self {
            DeliveryStatus::Pending => Some(0),
            DeliveryStatus::Sent => Some(1),
            DeliveryStatus::Delivered => Some(2),
            DeliveryStatus::Read => Some(3),
            DeliveryStatus::Failed => None,
        }
    }
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub direction: Direction,
    /// The agent who wrote an outbound message or a note.
    pub author: Option<AgentId>,
    pub content: String,
    pub created_at: Timestamp,
    pub status: DeliveryStatus,
    /// When each status was reached, in order.
    pub status_times: Vec<(DeliveryStatus, Timestamp)>,
    /// The channel's error text when delivery failed.
    pub error: Option<String>,
    /// The provider's id for this message (dedupe key for inbound).
    pub source_id: Option<String>,
    /// Agents @mentioned in a note.
    pub mentions: Vec<AgentId>,
    /// Mail only: what threading and "Re:" need.
    #[serde(default)]
    pub email: Option<MailMeta>,
    /// Files that came with the message: their description only; the bytes are stored
    /// apart and read only when someone opens them.
    #[serde(default)]
    pub attachments: Vec<AttachmentMeta>,
    /// Remarks for the agent about how the message arrived ("… was not stored").
    #[serde(default)]
    pub notes: Vec<String>,
    /// An agent's message that left by email (inbound mail is known by its `email`
    /// headers instead; see [`Message::by_email`]).
    #[serde(default)]
    pub via_email: bool,
    /// A transcript of the conversation mailed to the contact: its `content` says to
    /// whom; the mail is built from the timeline when sent. Never shown in the widget.
    #[serde(default)]
    pub transcript: bool,
    /// Inbound only: who wrote it, as the channel gave it. Someone other than the
    /// conversation's contact (a colleague answering our mail, anyone writing to its
    /// plus-address) shows as themselves and changes nothing about the conversation.
    #[serde(default)]
    pub sender: Option<Sender>,
    /// An agent's WhatsApp template message: the provider gets it as a template (it
    /// may go outside the messaging window); `content` is its filled body.
    #[serde(default)]
    pub whatsapp_template: Option<super::template::WaSend>,
}

/// The sender of one inbound message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub contact: ContactId,
    /// The display name the channel gave (may be empty).
    pub name: String,
    /// The address it came from (email, phone), when the channel has one.
    pub address: Option<String>,
}

impl Sender {
    /// The name to show: the name, else the address.
    pub fn display_name(&self) -> String {
        if !self.name.trim().is_empty() {
            return self.name.clone();
        }
        self.address.clone().unwrap_or_else(|| "Visitor".into())
    }
}

/// What the timeline shows of one attachment, without its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AttachmentMeta {
    /// A safe file name (no directories, no control characters).
    pub filename: String,
    /// Lowercased `type/subtype`, as the sender declared it.
    pub mime: String,
    /// Size in bytes, known even when the bytes were not kept.
    pub size: u64,
    /// False when it was over the size limit: listed with a note, bytes not kept.
    pub stored: bool,
    /// Shown inside the HTML body (an image referenced by `cid:`), not in the list.
    pub inline: bool,
    /// Content-ID without angle brackets, what `cid:` URLs in the HTML point at.
    pub content_id: Option<String>,
    /// An uploaded file (composer, API, widget): the upload id of its chunks in
    /// `blob_chunk` (the message's own parts hold inbound files instead).
    #[serde(default)]
    pub blob: Option<u64>,
    /// A recorded voice note (plays inline; sent as one where the channel has them).
    #[serde(default)]
    pub voice: bool,
    /// The sender's caption for this file.
    #[serde(default)]
    pub caption: Option<String>,
}

/// Decimal sizes ("31.2 MB", "25 MB", "148 B"), the unit mail clients show.
pub fn human_size(bytes: u64) -> String {
    let (value, unit) = match bytes {
        b if b >= 1_000_000 => (b as f64 / 1_000_000.0, "MB"),
        b if b >= 1_000 => (b as f64 / 1_000.0, "kB"),
        b => return format!("{b} B"),
    };
    let text = format!("{value:.1}");
    format!("{} {unit}", text.strip_suffix(".0").unwrap_or(&text))
}

/// The headers of a mail that replies need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MailMeta {
    pub subject: String,
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// The thread so far (References), oldest first, without angle brackets.
    pub references: Vec<String>,
    /// An auto-reply or bounce.
    pub automatic: bool,
    /// A delivery status notification (bounce) rather than an auto-reply.
    #[serde(default)]
    pub bounce: bool,
    /// The mail had an HTML body; its sanitized copy is stored beside the message.
    #[serde(default)]
    pub has_html: bool,
    /// That HTML shows remote images (blocked until an agent loads them).
    #[serde(default)]
    pub remote_images: bool,
    /// The whole text when the timeline shows it with the quoted history trimmed.
    #[serde(default)]
    pub full_text: Option<String>,
}

impl Message {
    /// Went by email either way: a mail received, or a reply or transcript mailed out.
    /// The timeline labels it in website chats, where chat is the default.
    pub fn by_email(&self) -> bool {
        self.via_email || self.email.is_some()
    }

    /// An agent's new reply (or note, never sent): `queued` replies wait in the outbox
    /// as pending; replies with nowhere to go are sent at once.
    pub fn outgoing(
        id: MessageId,
        conversation_id: ConversationId,
        author: AgentId,
        content: String,
        at: Timestamp,
        note: bool,
        queued: bool,
    ) -> Message {
        let status = if queued {
            DeliveryStatus::Pending
        } else {
            DeliveryStatus::Sent
        };
        Message {
            id,
            conversation_id,
            direction: if note {
                Direction::Note
            } else {
                Direction::Outbound
            },
            author: Some(author),
            content,
            created_at: at,
            status,
            status_times: vec![(status, at)],
            error: None,
            source_id: None,
            mentions: vec![],
            email: None,
            attachments: vec![],
            notes: vec![],
            via_email: false,
            transcript: false,
            sender: None,
            whatsapp_template: None,
        }
    }

    /// Applies a status callback. Statuses only move forward (pending < sent <
    /// delivered < read), whatever order callbacks arrive in; `failed` applies to a
    /// message not yet delivered and keeps its error; a later success clears it.
    /// Returns whether anything changed.
    pub fn advance(&mut self, to: DeliveryStatus, error: Option<String>, at: Timestamp) -> bool {
        let changed = match (self.status.rank(), to.rank()) {
            (_, None) => {
                if self.status >= DeliveryStatus::Delivered && self.status != DeliveryStatus::Failed
                {
                    false
                } else {
                    let new_error = error
                        .or_else(|| self.error.clone())
                        .or_else(|| Some("delivery failed".into()));
                    let changed = self.status != DeliveryStatus::Failed || self.error != new_error;
                    self.status = DeliveryStatus::Failed;
                    self.error = new_error;
                    changed
                }
            }
            (None, Some(_)) => {
                self.status = to;
                self.error = None;
                true
            }
            (Some(from), Some(new)) if new > from => {
                self.status = to;
                true
            }
            _ => false,
        };
        if changed && !self.status_times.iter().any(|(s, _)| *s == self.status) {
            self.status_times.push((self.status, at));
        }
        changed
    }
}

/// One entry of a conversation's timeline: a message or an event.
// Most entries are messages: boxing them would cost an allocation each and save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TimelineItem {
    Message(Message),
    Event(MessageId, Event),
}

impl TimelineItem {
    pub fn id(&self) -> MessageId {
        match self {
            TimelineItem::Message(m) => m.id,
            TimelineItem::Event(id, _) => *id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn msg() -> Message {
        Message {
            id: MessageId(1),
            conversation_id: ConversationId(1),
            direction: Direction::Outbound,
            author: Some(AgentId(1)),
            content: "hi".into(),
            created_at: Timestamp(0),
            status: DeliveryStatus::Pending,
            status_times: vec![(DeliveryStatus::Pending, Timestamp(0))],
            error: None,
            source_id: None,
            mentions: vec![],
            email: None,
            attachments: vec![],
            notes: vec![],
            via_email: false,
            transcript: false,
            sender: None,
            whatsapp_template: None,
        }
    }

    #[test]
    fn sizes_read_like_a_mail_client() {
        assert_eq!(human_size(148), "148 B");
        assert_eq!(human_size(32_100), "32.1 kB");
        assert_eq!(human_size(25_000_000), "25 MB");
        assert_eq!(human_size(32_149_999), "32.1 MB");
    }

    #[test]
    fn statuses_only_move_forward() {
        let mut m = msg();
        assert!(m.advance(DeliveryStatus::Read, None, Timestamp(3)));
        assert!(!m.advance(DeliveryStatus::Delivered, None, Timestamp(4)));
        assert!(!m.advance(DeliveryStatus::Sent, None, Timestamp(5)));
        assert!(
            !m.advance(DeliveryStatus::Failed, Some("late".into()), Timestamp(6)),
            "read is final"
        );
        assert_eq!(m.status, DeliveryStatus::Read);
    }

    #[test]
    fn failed_keeps_error_and_a_later_success_clears_it() {
        let mut m = msg();
        assert!(m.advance(
            DeliveryStatus::Failed,
            Some("21610: unsubscribed".into()),
            Timestamp(1)
        ));
        assert_eq!(m.error.as_deref(), Some("21610: unsubscribed"));
        assert!(
            !m.advance(DeliveryStatus::Failed, None, Timestamp(2)),
            "same failure twice"
        );
        assert_eq!(m.error.as_deref(), Some("21610: unsubscribed"));
        assert!(m.advance(DeliveryStatus::Delivered, None, Timestamp(3)));
        assert_eq!(m.error, None);
    }

    proptest! {
        /// Whatever order callbacks arrive in, the final status is the highest
        /// progress reached (or failed if nothing beyond sent was ever reported and a
        /// failure came), and the rank never decreases.
        #[test]
        fn any_callback_order_converges(seq in proptest::collection::vec(0u8..5, 0..12)) {
            let all = [DeliveryStatus::Pending, DeliveryStatus::Sent, DeliveryStatus::Delivered, DeliveryStatus::Read, DeliveryStatus::Failed];
            let mut m = msg();
            let mut best = 0u8;
            for (i, s) in seq.iter().enumerate() {
                let to = all[*s as usize];
                m.advance(to, None, Timestamp(i as i64));
                if let Some(r) = m.status.rank() {
                    prop_assert!(r >= best || best <= 1);
                    best = best.max(r);
                }
            }
            let max_ok = seq.iter().filter(|s| **s < 4).copied().max().unwrap_or(0);
            if max_ok >= 2 {
                prop_assert_eq!(m.status.rank(), Some(max_ok));
            }
        }
    }
}

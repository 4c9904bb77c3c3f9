//! Agents, their sessions and tokens, teams, inboxes and the audit trail.

use super::clock::Timestamp;
use super::ids::{AgentId, InboxId, TeamId, TokenId};
use serde::{Deserialize, Serialize};

/// What an agent may do: admins manage the workspace, agents answer conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages agents, teams, inboxes and settings; sees every conversation.
    Admin,
    /// Answers conversations of the inboxes they are a member of.
    Agent,
}

impl Role {
    /// The role's name as shown and as written in forms and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }
}

/// A person who answers customers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    /// Normalised (trimmed, lower case); unique.
    pub email: String,
    pub role: Role,
    /// PHC string (argon2id); `None` until an invited agent sets a password.
    pub password_hash: Option<String>,
    pub active: bool,
    pub created_at: Timestamp,
    pub password_changed_at: Timestamp,
    /// The interface language the agent chose (`en`, `es`); `None`: the browser's.
    #[serde(default)]
    pub language: Option<String>,
    /// The IANA time zone the agent chose; `None`: the installation's.
    #[serde(default)]
    pub timezone: Option<String>,
    /// What the agent is told about, and how (the profile's "Notifications").
    #[serde(default)]
    pub notify: NotifyPrefs,
    /// Two-factor sign-in, once the agent has set it up.
    #[serde(default)]
    pub two_factor: Option<TwoFactor>,
    /// Undo send: seconds a reply waits in the browser, with an "Undo", before it is
    /// posted (0: at once). Agents stored before it existed get the default.
    #[serde(default = "default_undo_send_secs")]
    pub undo_send_secs: u32,
    /// The agent's own signature (Markdown), under their mail replies before the inbox's.
    #[serde(default)]
    pub signature: String,
}

/// How long a reply waits for an "Undo" unless the agent chose otherwise.
pub const DEFAULT_UNDO_SEND_SECS: u32 = 5;
/// The longest wait an agent may choose.
pub const MAX_UNDO_SEND_SECS: u32 = 30;

fn default_undo_send_secs() -> u32 {
    DEFAULT_UNDO_SEND_SECS
}

/// What an agent is notified of: the kinds (each shown as a count in the tab title and
/// the favicon) and how (a sound, a desktop notification). Every kind is on and both
/// ways off until the agent chooses: a desktop notification needs the browser's
/// permission, asked from the profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NotifyPrefs {
    /// A new conversation in a view the agent watches (see [`NotifyKind::Conversation`]).
    pub conversations: bool,
    /// A new message in a conversation assigned to the agent.
    pub assigned: bool,
    /// An @mention of the agent in a note.
    pub mentions: bool,
    /// A short sound.
    pub sound: bool,
    /// A desktop notification (the browser's Notification API).
    pub desktop: bool,
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        NotifyPrefs {
            conversations: true,
            assigned: true,
            mentions: true,
            sound: false,
            desktop: false,
        }
    }
}

impl NotifyPrefs {
    /// Whether the agent wants to hear of `kind` at all.
    pub fn wants(&self, kind: NotifyKind) -> bool {
        match kind {
            NotifyKind::Conversation => self.conversations,
            NotifyKind::Assigned => self.assigned,
            NotifyKind::Mention => self.mentions,
        }
    }
}

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyKind {
    /// A conversation came into a view the agent watches: new (or back, reopened or
    /// woken by the customer) and unassigned in an inbox they are a member of, routed
    /// to one of their teams when it has a team.
    Conversation,
    /// A new message (the customer's, or a colleague's reply or note) in a conversation
    /// assigned to the agent.
    Assigned,
    /// A colleague @mentioned the agent in a note.
    Mention,
}

impl NotifyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyKind::Conversation => "conversation",
            NotifyKind::Assigned => "assigned",
            NotifyKind::Mention => "mention",
        }
    }
}

/// An agent's two-factor sign-in (TOTP, see [`super::totp`]) and recovery codes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoFactor {
    /// The base32 secret, sealed with the installation key (never shown again).
    pub secret: String,
    pub enabled_at: Timestamp,
    /// The step of the last code accepted: no code of it or before is taken again.
    pub last_step: u64,
    /// Keyed hashes (hex) of the recovery codes not used yet.
    pub recovery: Vec<String>,
}

impl Agent {
    /// Whether this agent may sign in at all.
    pub fn can_sign_in(&self) -> bool {
        self.active && self.password_hash.is_some()
    }
    /// Whether this agent administers the workspace.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A signed-in browser. The store keeps it under the hash of its token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub agent_id: AgentId,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// The CSRF token bound to this session (hex).
    pub csrf: String,
}

/// Session lifetimes, from configuration.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle_secs: i64,
    pub absolute_secs: i64,
    /// Touching `last_seen_at` on every request would be a write per request; this is
    /// how stale it may get before a request refreshes it.
    pub touch_after_secs: i64,
}

/// What to do with a session presented at `now`.
#[derive(Debug, PartialEq, Eq)]
pub enum SessionCheck {
    Valid,
    /// Valid, and old enough that `last_seen_at` should be written again.
    ValidTouch,
    Expired,
}

impl Session {
    /// Applies the idle and absolute expiry rules.
    pub fn check(&self, now: Timestamp, p: SessionPolicy) -> SessionCheck {
        if now.secs_since(self.created_at) >= p.absolute_secs
            || now.secs_since(self.last_seen_at) >= p.idle_secs
        {
            SessionCheck::Expired
        } else if now.secs_since(self.last_seen_at) >= p.touch_after_secs {
            SessionCheck::ValidTouch
        } else {
            SessionCheck::Valid
        }
    }
}

/// A personal API token. The store keeps it under the hash of its secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub agent_id: AgentId,
    pub label: String,
    pub created_at: Timestamp,
}

/// A one-time link that lets an invited agent choose a password.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    pub agent_id: AgentId,
    pub expires_at: Timestamp,
}

impl Invite {
    /// Invites last this long.
    pub const TTL_SECS: i64 = 7 * 24 * 3600;

    /// Whether the invite can still be used at `now`.
    pub fn usable(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

/// A group of agents for a topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub members: Vec<AgentId>,
    pub created_at: Timestamp,
}

/// The kind of channel an inbox connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// Any system posts messages in and receives replies by webhook.
    Api,
    /// A mailbox polled over IMAP, answered over SMTP.
    Email,
    /// The chat widget on the business's website.
    Website,
    /// WhatsApp (Meta's Cloud API, or through Twilio).
    #[serde(rename = "whatsapp")]
    WhatsApp,
    /// SMS, MMS and RCS through Twilio.
    Sms,
    /// Facebook Messenger.
    Messenger,
    /// A Telegram bot.
    Telegram,
}

impl ChannelKind {
    /// Every kind, in the order shown in forms.
    pub const ALL: [ChannelKind; 7] = [
        ChannelKind::Api,
        ChannelKind::Email,
        ChannelKind::Website,
        ChannelKind::WhatsApp,
        ChannelKind::Sms,
        ChannelKind::Messenger,
        ChannelKind::Telegram,
    ];

    /// Whether the inbox is a messaging channel with provider settings.
    pub fn is_messaging(self) -> bool {
        matches!(
            self,
            ChannelKind::WhatsApp
                | ChannelKind::Sms
                | ChannelKind::Messenger
                | ChannelKind::Telegram
        )
    }

    /// Parses the form and JSON name.
    pub fn parse(s: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The form and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Api => "api",
            ChannelKind::Email => "email",
            ChannelKind::Website => "website",
            ChannelKind::WhatsApp => "whatsapp",
            ChannelKind::Sms => "sms",
            ChannelKind::Messenger => "messenger",
            ChannelKind::Telegram => "telegram",
        }
    }
    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Api => "API",
            ChannelKind::Email => "Email",
            ChannelKind::Website => "Website chat",
            ChannelKind::WhatsApp => "WhatsApp",
            ChannelKind::Sms => "SMS",
            ChannelKind::Messenger => "Messenger",
            ChannelKind::Telegram => "Telegram",
        }
    }
}

/// One connected channel instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inbox {
    pub id: InboxId,
    pub name: String,
    pub channel: ChannelKind,
    pub members: Vec<AgentId>,
    pub created_at: Timestamp,
    /// API inbox: the secret that authenticates incoming posts and signs webhooks.
    #[serde(default)]
    pub api_token: Option<String>,
    /// API inbox: where agent replies are POSTed.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Email inbox: the mailbox and how to send.
    #[serde(default)]
    pub email: Option<super::email::EmailSettings>,
    /// Website inbox: the widget's settings.
    #[serde(default)]
    pub website: Option<super::website::WebsiteSettings>,
    /// WhatsApp, SMS, Messenger and Telegram inboxes: the provider's settings.
    #[serde(default)]
    pub messaging: Option<super::messaging::MessagingSettings>,
    /// The language of the emails and the widget (`en`, `es`); `None`: the
    /// installation's `[ui] language`. A contact's own language comes first.
    #[serde(default)]
    pub language: Option<String>,
}

impl Inbox {
    /// Whether `agent` may see this inbox's conversations.
    pub fn visible_to(&self, agent: &Agent) -> bool {
        agent.is_admin() || self.members.contains(&agent.id)
    }

    /// Whether a poller fetches this inbox's messages: a mailbox (IMAP), or a Telegram
    /// bot in polling mode.
    pub fn polled(&self) -> bool {
        use super::messaging::{Provider, TelegramMode};
        match self.channel {
            ChannelKind::Email => self.email.is_some(),
            ChannelKind::Telegram => self.messaging.as_ref().is_some_and(|m| {
                m.provider == Provider::Telegram && m.telegram_mode == TelegramMode::Poll
            }),
            _ => false,
        }
    }
}

/// One administrative action, for the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    /// `None` when the command line or the system acted.
    pub actor: Option<AgentId>,
    pub actor_name: String,
    /// A stable code such as `agent.create`.
    pub action: String,
    /// What was acted on, in words ("agent ana@example.com").
    pub target: String,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SessionPolicy {
        SessionPolicy {
            idle_secs: 100,
            absolute_secs: 1000,
            touch_after_secs: 10,
        }
    }

    fn session(created: i64, seen: i64) -> Session {
        Session {
            agent_id: AgentId(1),
            created_at: Timestamp(created * 1000),
            last_seen_at: Timestamp(seen * 1000),
            csrf: String::new(),
        }
    }

    #[test]
    fn session_valid_then_touch_then_idle_expired() {
        let s = session(0, 0);
        assert_eq!(s.check(Timestamp(5_000), policy()), SessionCheck::Valid);
        assert_eq!(
            s.check(Timestamp(10_000), policy()),
            SessionCheck::ValidTouch
        );
        assert_eq!(
            s.check(Timestamp(99_000), policy()),
            SessionCheck::ValidTouch
        );
        assert_eq!(s.check(Timestamp(100_000), policy()), SessionCheck::Expired);
    }

    #[test]
    fn session_absolute_expiry_wins_over_activity() {
        let s = session(0, 990);
        assert_eq!(s.check(Timestamp(995_000), policy()), SessionCheck::Valid);
        assert_eq!(
            s.check(Timestamp(1_000_000), policy()),
            SessionCheck::Expired
        );
    }

    #[test]
    fn invite_expires() {
        let i = Invite {
            agent_id: AgentId(1),
            expires_at: Timestamp(10),
        };
        assert!(i.usable(Timestamp(9)));
        assert!(!i.usable(Timestamp(10)));
    }

    #[test]
    fn agent_sign_in_needs_password_and_active() {
        let mut a = Agent {
            id: AgentId(1),
            name: "A".into(),
            email: "a@x.io".into(),
            role: Role::Agent,
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
        };
        assert!(!a.can_sign_in());
        a.password_hash = Some("h".into());
        assert!(a.can_sign_in());
        a.active = false;
        assert!(!a.can_sign_in());
    }
}

//! Pure types and rules. Imports nothing of the crate's infrastructure: no sled, actix,
//! tokio or reqwest, so every rule here is testable without I/O.

pub mod account;
pub mod clock;
pub mod contact;
pub mod conversation;
pub mod email;
pub mod ids;
pub mod markdown;
pub mod message;
pub mod messaging;
pub mod report;
pub mod saved;
pub mod template;
pub mod totp;
pub mod validate;
pub mod variables;
pub mod website;

pub use account::{
    Agent, ApiToken, AuditEntry, ChannelKind, Inbox, Invite, NotifyKind, NotifyPrefs, Role,
    Session, Team, TwoFactor,
};
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use ids::{AgentId, InboxId, TeamId, TokenId};

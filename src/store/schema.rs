//! Every tree in the database, its key layout and its value. Keys are built only by
//! `store::keys`; values are encoded only by `store::codec`.
//!
//! | tree                     | key                                   | value                          |
//! |--------------------------|---------------------------------------|--------------------------------|
//! | `meta`                   | UTF-8 name                            | raw bytes (see `meta_keys`)    |
//! | `agentid_agent`          | agent id (u64 BE)                     | `Agent`                        |
//! | `email_agentid`          | normalised email (UTF-8)              | agent id (u64 BE)              |
//! | `sessionhash_session`    | SHA-256 of the session token (32)     | `Session`                      |
//! | `agentsession_unit`      | agent id (u64 BE) · session hash (32) | empty (ends an agent's sessions)|
//! | `tokenhash_apitoken`     | SHA-256 of the API token (32)         | `ApiToken`                     |
//! | `agenttoken_tokenrow`    | agent id (u64 BE) · token id (u64 BE) | `TokenRow` (hash + token)      |
//! | `invitehash_invite`      | SHA-256 of the invite token (32)      | `Invite`                       |
//! | `agentid_invitehash`     | agent id (u64 BE)                     | invite hash (32)               |
//! | `teamid_team`            | team id (u64 BE)                      | `Team`                         |
//! | `inboxid_inbox`          | inbox id (u64 BE)                     | `Inbox`                        |
//! | `auditkey_entry`         | time ms (u64 BE) · id (u64 BE)        | `AuditEntry`                   |
//!
//! `meta` keys: `schema_version` (u64 BE), `id_hwm` (u64 BE, id generator high-water
//! mark), `setup_done` (agent id of the first admin).

/// Names of all trees, in the order `Store::open` opens them.
pub const TREES: &[&str] = &[
    META,
    AGENTID_AGENT,
    EMAIL_AGENTID,
    SESSIONHASH_SESSION,
    AGENTSESSION_UNIT,
    TOKENHASH_APITOKEN,
    AGENTTOKEN_TOKENROW,
    INVITEHASH_INVITE,
    AGENTID_INVITEHASH,
    TEAMID_TEAM,
    INBOXID_INBOX,
    AUDITKEY_ENTRY,
];

pub const META: &str = "meta";
pub const AGENTID_AGENT: &str = "agentid_agent";
pub const EMAIL_AGENTID: &str = "email_agentid";
pub const SESSIONHASH_SESSION: &str = "sessionhash_session";
pub const AGENTSESSION_UNIT: &str = "agentsession_unit";
pub const TOKENHASH_APITOKEN: &str = "tokenhash_apitoken";
pub const AGENTTOKEN_TOKENROW: &str = "agenttoken_tokenrow";
pub const INVITEHASH_INVITE: &str = "invitehash_invite";
pub const AGENTID_INVITEHASH: &str = "agentid_invitehash";
pub const TEAMID_TEAM: &str = "teamid_team";
pub const INBOXID_INBOX: &str = "inboxid_inbox";
pub const AUDITKEY_ENTRY: &str = "auditkey_entry";

/// Keys of the `meta` tree.
pub mod meta_keys {
    pub const SCHEMA_VERSION: &[u8] = b"schema_version";
    pub const ID_HWM: &[u8] = b"id_hwm";
    pub const SETUP_DONE: &[u8] = b"setup_done";
}

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
//! | `convid_conversation`    | conversation id                       | `Conversation`                 |
//! | `timeline_item`          | conversation id · item id             | `TimelineItem` (message/event) |
//! | `msgid_convid`           | message id                            | conversation id                |
//! | `extref_msgref`          | inbox id · source id (UTF-8)          | conversation id · message id   |
//! | `viewidx_unit`           | view tag (1) · inbox · sub · time · conversation id | empty (one ordered view) |
//! | `viewcount_n`            | view tag (1) · inbox · sub            | count (u64 BE)                 |
//! | `contactid_contact`      | contact id                            | `Contact`                      |
//! | `contactkey_contactid`   | kind (1: e, p, i, m, t) · [inbox ·] value | contact id (find by email, phone, identifier (scoped to its inbox), Messenger or Telegram id) |
//! | `contactconv_unit`       | contact id · conversation id          | empty (a contact's conversations) |
//! | `contactinbox_convid`    | contact id · inbox id                 | latest conversation id         |
//! | `readstate_time`         | agent id · conversation id            | time read up to (time BE)      |
//! | `mention_time`           | agent id · conversation id            | time of the latest mention     |
//! | `wakedue_unit`           | wake time · conversation id           | empty (snooze timers)          |
//! | `jobdue_job`             | due time · job id                     | `Job` (durable outbox)         |
//! | `jobcount_n`             | `pending` (UTF-8)                     | jobs in `jobdue_job` (u64 BE)  |
//! | `mailcursor_state`       | inbox id · stream (UTF-8: a mail folder, `telegram`) | epoch (u32 BE: UIDVALIDITY, 0) · offset (u64 BE: highest UID, next update id; older 8-byte values hold a u32) |
//! | `token_convid`           | conversation token (hex)              | conversation id (threading by our signed ids) |
//! | `msgpart_chunk`          | conversation id · message id · part (u32 BE) · chunk (u32 BE) | up to 64 KiB of the part (`codec::Bytes`) |
//! | `ratekey_window`         | limiter name · 0xff · key (UTF-8)     | recent hits, oldest first (time ms BE each) |
//! | `leasename_lease`        | lease name (UTF-8)                    | `Lease` (holder node, fencing token, expiry) |
//! | `convsched_scheduled`    | conversation id · scheduled reply id  | `Scheduled` (send later; its due entry is a `JobKind::Scheduled` job) |
//! | `blob_chunk`             | conversation id · upload id · chunk (u32 BE) | up to 64 KiB of an uploaded file (`codec::Bytes`) |
//! | `convupload_upload`      | conversation id · upload id           | `Upload` (name, type, size, who, the message that claimed it) |
//! | `uploaddue_unit`         | upload time (time BE) · conversation id · upload id | empty (unclaimed uploads, oldest first, for the cleanup) |
//! | `reporthour_tally`       | dimension tag (1) · id (u64 BE) · hour (u32 BE, hours since 1970) | `Tally` (counts and exact durations of that hour) |
//! | `ownersaved_response`    | owner agent id (u64 BE; 0: shared) · response id (u64 BE) | `SavedResponse` (an agent's list: two prefix scans, shared and own) |
//! | `savedid_owner`          | response id (u64 BE)                  | owner agent id (u64 BE; 0: shared) |
//! | `templateid_template`    | template id (u64 BE)                  | `MessageTemplate`              |
//!
//! Views (`viewidx_unit` tags): 1 all open, 2 mine (sub = agent), 3 unassigned,
//! 4 team (sub = team), 5 snoozed, 6 closed, 7 mentions (sub = agent). "time" is the
//! conversation's last activity (the mention time for 7), so each view is one ordered
//! range scan, newest first with `.rev()`; counts change in the same transaction.
//!
//! `msgpart_chunk` parts: 0 is a mail's sanitized HTML (UTF-8), n + 1 the bytes of
//! attachment n of the message (`Message::attachments[n]`). Written in the ingest
//! transaction of their message, removed with their conversation (one prefix), read only
//! when the HTML or the file is opened: the list and the timeline never touch them. Why
//! chunks: sled keeps up to ~16 values in one leaf page and rewrites the whole page when
//! it consolidates or splits, and keeps whole pages in its cache; 25 MB values would make
//! every write near them rewrite and cache hundreds of MB (measured: 60 small inserts
//! among twelve whole 5 MB values wrote 155 MB and took 0.4 s; among 64 KiB chunks,
//! 10 ms and no growth). 64 KiB chunks keep pages near 1 MB and every log entry under
//! sled's blob threshold (segment size / 4). A 25 MB part is ~400 inserts in its
//! message's transaction: ~60 ms, during which other writers wait.
//!
//! `blob_chunk` holds files uploaded in the composer (and the API, and the widget): they
//! stream in before the message exists, so their chunks are plain puts in order (a
//! transaction would hold the whole file in memory), the `Upload` record is written
//! last, and the upload id is answered only after `durable()`. Sending claims an upload
//! in the message's transaction (the record names the message, its `uploaddue_unit`
//! entry goes); unclaimed uploads older than a day are removed by the timers, chunks
//! first and record last; a conversation's blobs go with it (one prefix). Read page by
//! page (a range scan with a limit), never whole.
//!
//! `reporthour_tally` dimensions (see `domain::report::Dimension`): 0 total (id 0),
//! 1 inbox, 2 team (0: no team), 3 agent (0: unassigned); 4 is kept for labels. Each
//! happening (opened, closed, reopened, first response) is counted in its hour in all
//! four, in the transaction of the conversation change that made it (and taken out when
//! the conversation is deleted), so a report over a range is one range scan per
//! dimension id, never a scan of conversations. Hourly, so days and weeks can be cut
//! in any whole-hour time zone when read. Schema 4 rebuilds it from the timelines.
//!
//! `leasename_lease` names: `outbox`, `timers`, `mail:<inbox id>`, `telegram:<inbox id>`
//! (see `store::leases`).
//! Records are never removed: a released lease keeps its token, so tokens never repeat.
//! A new tree needs no migration (both engines create missing keyspaces on open, and an
//! older binary ignores it); backups and `migrate-store` carry it like every tree, so a
//! restored database continues its tokens (restored holdings expire within a period).
//!
//! `meta` keys: `schema_version` (u64 BE), `id_hwm` (u64 BE, id generator high-water
//! mark), `setup_done` (agent id of the first admin), `directory_version` (u64 BE, moved
//! in the same transaction as every change to agents, teams and inboxes: other nodes
//! compare it to know their directory is stale).

/// Keyspaces of file chunks (inbound mail parts, uploads), whose values the embedded
/// engine keeps in files rather than in its pages (`engine::spill`).
pub const LARGE_VALUES: &[&str] = &[MSGPART_CHUNK, BLOB_CHUNK];

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
    CONVID_CONVERSATION,
    TIMELINE_ITEM,
    MSGID_CONVID,
    EXTREF_MSGREF,
    VIEWIDX_UNIT,
    VIEWCOUNT_N,
    CONTACTID_CONTACT,
    CONTACTKEY_CONTACTID,
    CONTACTCONV_UNIT,
    CONTACTINBOX_CONVID,
    READSTATE_TIME,
    MENTION_TIME,
    WAKEDUE_UNIT,
    JOBDUE_JOB,
    MAILCURSOR_STATE,
    TOKEN_CONVID,
    MSGPART_CHUNK,
    RATEKEY_WINDOW,
    LEASENAME_LEASE,
    JOBCOUNT_N,
    REPORTHOUR_TALLY,
    CONVSCHED_SCHEDULED,
    OWNERSAVED_RESPONSE,
    SAVEDID_OWNER,
    TEMPLATEID_TEMPLATE,
    BLOB_CHUNK,
    CONVUPLOAD_UPLOAD,
    UPLOADDUE_UNIT,
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
pub const CONVID_CONVERSATION: &str = "convid_conversation";
pub const TIMELINE_ITEM: &str = "timeline_item";
pub const MSGID_CONVID: &str = "msgid_convid";
pub const EXTREF_MSGREF: &str = "extref_msgref";
pub const VIEWIDX_UNIT: &str = "viewidx_unit";
pub const VIEWCOUNT_N: &str = "viewcount_n";
pub const CONTACTID_CONTACT: &str = "contactid_contact";
pub const CONTACTKEY_CONTACTID: &str = "contactkey_contactid";
pub const CONTACTCONV_UNIT: &str = "contactconv_unit";
pub const CONTACTINBOX_CONVID: &str = "contactinbox_convid";
pub const READSTATE_TIME: &str = "readstate_time";
pub const MENTION_TIME: &str = "mention_time";
pub const WAKEDUE_UNIT: &str = "wakedue_unit";
pub const JOBDUE_JOB: &str = "jobdue_job";
pub const MAILCURSOR_STATE: &str = "mailcursor_state";
pub const TOKEN_CONVID: &str = "token_convid";
pub const MSGPART_CHUNK: &str = "msgpart_chunk";
pub const RATEKEY_WINDOW: &str = "ratekey_window";
pub const LEASENAME_LEASE: &str = "leasename_lease";
pub const JOBCOUNT_N: &str = "jobcount_n";
pub const REPORTHOUR_TALLY: &str = "reporthour_tally";
pub const CONVSCHED_SCHEDULED: &str = "convsched_scheduled";
pub const OWNERSAVED_RESPONSE: &str = "ownersaved_response";
pub const SAVEDID_OWNER: &str = "savedid_owner";
pub const TEMPLATEID_TEMPLATE: &str = "templateid_template";
pub const BLOB_CHUNK: &str = "blob_chunk";
pub const CONVUPLOAD_UPLOAD: &str = "convupload_upload";
pub const UPLOADDUE_UNIT: &str = "uploaddue_unit";

/// The one key of `jobcount_n`: the outbox's queue depth, changed in the transaction
/// that adds or removes a job, so reading it (`/metrics`) never counts the queue.
pub const JOBS_PENDING: &[u8] = b"pending";

/// Keys of the `meta` tree.
pub mod meta_keys {
    pub const SCHEMA_VERSION: &[u8] = b"schema_version";
    pub const ID_HWM: &[u8] = b"id_hwm";
    pub const SETUP_DONE: &[u8] = b"setup_done";
    pub const DIRECTORY_VERSION: &[u8] = b"directory_version";
    /// Present (`1`): every agent must sign in with a second factor.
    pub const REQUIRE_TWO_FACTOR: &[u8] = b"require_two_factor";
}

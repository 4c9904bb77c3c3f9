//! The store as typed records, for `charla export` / `charla import` (the JSONL format
//! of docs/export.md): every record a person or another tool can read, and nothing the
//! store can derive again.
//!
//! Each keyspace is one of three kinds (`KEYSPACES`, checked by a test so a new tree
//! cannot be forgotten):
//! - **exported**: its pairs are records (agents, conversations, messages, …);
//! - **derived**: rebuilt on import by the same index helpers the write path uses (view
//!   indexes and counts, snooze timers, the email → agent index, …), so an import gives
//!   the same bytes as the store that was exported;
//! - **runtime**: sessions, rate-limit windows and leases, which belong to the running
//!   installation, not to its data (after an import everyone signs in again).
//!
//! Export walks each keyspace once, in key order (conversations merged with their
//! timelines, stored parts and mentions, which share the conversation id prefix), so it
//! is deterministic: the same data exports to the same records. Import writes records
//! raw, re-encoded by the codec, in batches of one transaction each.

use super::codec::ByteBuf;
use super::schema;
use super::{Result, Store, StoreError, dec, keys};
use crate::domain::contact::Contact;
use crate::domain::conversation::{
    Actor, ContactId, Conversation, ConversationId, Event, EventKind, MessageId,
};
use crate::domain::message::{Message, TimelineItem};
use crate::domain::{Agent, AgentId, ApiToken, Inbox, InboxId, Invite, Team, Timestamp, TokenId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

mod import;

/// What happens to each keyspace on export and import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carried {
    /// Written out as records.
    Exported,
    /// Rebuilt from the records on import.
    Derived,
    /// Not carried: state of the running installation.
    Runtime,
}

/// Every keyspace of `schema::TREES` with how it is carried.
pub const KEYSPACES: &[(&str, Carried)] = &[
    (schema::META, Carried::Exported),
    (schema::AGENTID_AGENT, Carried::Exported),
    (schema::EMAIL_AGENTID, Carried::Derived),
    (schema::SESSIONHASH_SESSION, Carried::Runtime),
    (schema::AGENTSESSION_UNIT, Carried::Runtime),
    (schema::TOKENHASH_APITOKEN, Carried::Derived),
    (schema::AGENTTOKEN_TOKENROW, Carried::Exported),
    (schema::INVITEHASH_INVITE, Carried::Exported),
    (schema::AGENTID_INVITEHASH, Carried::Derived),
    (schema::TEAMID_TEAM, Carried::Exported),
    (schema::INBOXID_INBOX, Carried::Exported),
    (schema::AUDITKEY_ENTRY, Carried::Exported),
    (schema::CONVID_CONVERSATION, Carried::Exported),
    (schema::TIMELINE_ITEM, Carried::Exported),
    (schema::MSGID_CONVID, Carried::Derived),
    (schema::EXTREF_MSGREF, Carried::Exported),
    (schema::VIEWIDX_UNIT, Carried::Derived),
    (schema::VIEWCOUNT_N, Carried::Derived),
    (schema::CONTACTID_CONTACT, Carried::Exported),
    (schema::CONTACTKEY_CONTACTID, Carried::Exported),
    (schema::CONTACTCONV_UNIT, Carried::Derived),
    (schema::CONTACTINBOX_CONVID, Carried::Exported),
    (schema::READSTATE_TIME, Carried::Exported),
    (schema::MENTION_TIME, Carried::Exported),
    (schema::WAKEDUE_UNIT, Carried::Derived),
    (schema::JOBDUE_JOB, Carried::Exported),
    (schema::MAILCURSOR_STATE, Carried::Exported),
    (schema::TOKEN_CONVID, Carried::Derived),
    (schema::MSGPART_CHUNK, Carried::Exported),
    (schema::RATEKEY_WINDOW, Carried::Runtime),
    (schema::LEASENAME_LEASE, Carried::Runtime),
    (schema::JOBCOUNT_N, Carried::Derived),
    (schema::REPORTHOUR_TALLY, Carried::Derived),
    (schema::CONVSCHED_SCHEDULED, Carried::Exported),
    (schema::OWNERSAVED_RESPONSE, Carried::Exported),
    (schema::SAVEDID_OWNER, Carried::Derived),
    (schema::TEMPLATEID_TEMPLATE, Carried::Exported),
    // Uploaded files sent with a message travel as `upload` and `upload_chunk` records.
    // An upload never sent (a draft's, removed by the cleanup within a day) belongs to
    // the running installation, as its due entry does.
    (schema::BLOB_CHUNK, Carried::Exported),
    (schema::CONVUPLOAD_UPLOAD, Carried::Exported),
    (schema::UPLOADDUE_UNIT, Carried::Runtime),
];

/// The installation-wide values of the `meta` keyspace (the schema version travels in
/// the file's header).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreMeta {
    /// Ids below this were handed out; new ones continue above.
    pub id_hwm: Option<u64>,
    /// The first admin (setup is complete).
    pub setup_done: Option<AgentId>,
    pub directory_version: Option<u64>,
    /// Every agent must use two-factor sign-in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_two_factor: bool,
}

/// A personal API token: the SHA-256 of its secret (the secret itself is never kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenRecord {
    /// Hex SHA-256 of the token.
    pub hash: String,
    pub id: TokenId,
    pub agent_id: AgentId,
    pub label: String,
    pub created_at: Timestamp,
}

/// A pending invite: the SHA-256 of its link's token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteRecord {
    pub hash: String,
    pub agent_id: AgentId,
    pub expires_at: Timestamp,
}

/// How a contact is found: by email, phone, an inbox's identifier, Messenger or
/// Telegram id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactKeyRecord {
    pub contact_id: ContactId,
    /// `email`, `phone`, `identifier`, `messenger` or `telegram`.
    pub kind: String,
    /// The inbox an identifier belongs to.
    pub inbox_id: Option<InboxId>,
    pub value: String,
}

/// The conversation a new message from this contact in this inbox joins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestConversation {
    pub contact_id: ContactId,
    pub inbox_id: InboxId,
    pub conversation_id: ConversationId,
}

/// One timeline event ("Ana assigned this to Luis").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub actor: Actor,
    pub at: Timestamp,
    pub kind: EventKind,
}

/// A mail's sanitized HTML body, kept beside its message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailHtml {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub html: String,
}

/// The bytes of a message's attachment `index` (`Message::attachments[index]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub index: u32,
    /// For people reading the file; the message's `attachments[index]` is what counts.
    pub filename: String,
    /// Standard base64 with padding.
    pub data: String,
}

/// One chunk of an uploaded file's bytes (`upload` record `upload_id`), in order: a
/// file is written and read back a chunk at a time, never whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadChunkRecord {
    pub conversation_id: ConversationId,
    pub upload_id: u64,
    /// The chunk's number, from 0.
    pub n: u32,
    /// Standard base64 with padding; at most 64 KB decoded.
    pub data: String,
}

/// An agent @mentioned in a conversation, and when last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentionRecord {
    pub conversation_id: ConversationId,
    pub agent_id: AgentId,
    pub at: Timestamp,
}

/// A provider's message id already received or sent (inbound messages are deduplicated
/// on it; it outlives a deleted conversation so a resent message stays out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DedupeRecord {
    pub inbox_id: InboxId,
    pub source_id: String,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
}

/// How far an agent has read a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadStateRecord {
    pub agent_id: AgentId,
    pub conversation_id: ConversationId,
    pub read_up_to: Timestamp,
}

/// Where a channel's reader stands (a mail folder's UIDVALIDITY and highest UID, a
/// Telegram bot's next update id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionRecord {
    pub inbox_id: InboxId,
    pub stream: String,
    pub epoch: u32,
    pub offset: u64,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: u64,
    pub at: Timestamp,
    pub actor: Option<AgentId>,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// One record of an export, in the order written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)]
pub enum Record {
    Store(StoreMeta),
    Agent(Agent),
    ApiToken(ApiTokenRecord),
    Invite(InviteRecord),
    Team(Team),
    Inbox(Inbox),
    Contact(Contact),
    ContactKey(ContactKeyRecord),
    LatestConversation(LatestConversation),
    Conversation(Conversation),
    Message(Message),
    Event(EventRecord),
    MailHtml(MailHtml),
    Attachment(AttachmentRecord),
    /// A file uploaded and sent with a message (composer, API, widget); its bytes follow
    /// as `upload_chunk` records.
    Upload(super::uploads::Upload),
    UploadChunk(UploadChunkRecord),
    Mention(MentionRecord),
    Dedupe(DedupeRecord),
    ReadState(ReadStateRecord),
    Job(super::Job),
    /// A reply waiting to be sent later (its due job travels as a `Job`).
    Scheduled(super::Scheduled),
    Position(PositionRecord),
    Audit(AuditRecord),
    SavedResponse(crate::domain::saved::SavedResponse),
    Template(crate::domain::template::MessageTemplate),
}

impl Record {
    /// The record's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Store(_) => "store",
            Record::Agent(_) => "agent",
            Record::ApiToken(_) => "api_token",
            Record::Invite(_) => "invite",
            Record::Team(_) => "team",
            Record::Inbox(_) => "inbox",
            Record::Contact(_) => "contact",
            Record::ContactKey(_) => "contact_key",
            Record::LatestConversation(_) => "latest_conversation",
            Record::Conversation(_) => "conversation",
            Record::Message(_) => "message",
            Record::Event(_) => "event",
            Record::MailHtml(_) => "mail_html",
            Record::Attachment(_) => "attachment",
            Record::Upload(_) => "upload",
            Record::UploadChunk(_) => "upload_chunk",
            Record::Mention(_) => "mention",
            Record::Dedupe(_) => "dedupe",
            Record::ReadState(_) => "read_state",
            Record::Job(_) => "job",
            Record::Scheduled(_) => "scheduled",
            Record::Position(_) => "position",
            Record::Audit(_) => "audit",
            Record::SavedResponse(_) => "saved_response",
            Record::Template(_) => "template",
        }
    }
}

const CONTACT_KEY_KINDS: &[(u8, &str)] = &[
    (b'e', "email"),
    (b'p', "phone"),
    (b'i', "identifier"),
    (b'm', "messenger"),
    (b't', "telegram"),
];

fn corrupt(tree: &'static str, what: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        tree,
        source: super::codec::CodecError::Decode(what.into()),
    }
}

fn utf8(tree: &'static str, b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| corrupt(tree, "a key part is not UTF-8"))
}

fn hash32(hex_hash: &str) -> std::result::Result<[u8; 32], String> {
    let v = hex::decode(hex_hash).map_err(|_| format!("hash {hex_hash:?} is not hex"))?;
    v.try_into()
        .map_err(|_| format!("hash {hex_hash:?} is not 32 bytes"))
}

fn id_at(tree: &'static str, k: &[u8], at: usize) -> Result<u64> {
    k.get(at..)
        .and_then(keys::read_u64)
        .ok_or_else(|| corrupt(tree, "a key is too short"))
}

type Pairs<'a> = std::iter::Peekable<super::kv::Iter<'a>>;

/// Takes the pairs of `it` whose key starts with conversation id `conv` or a smaller one
/// (an orphan, written out too so nothing is lost).
fn take_upto<'a>(it: &mut Pairs<'a>, conv: u64) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    while let Some(Ok((k, _))) = it.peek() {
        if keys::read_u64(k).is_some_and(|c| c > conv) {
            break;
        }
        if let Some(kv) = it.next() {
            out.push(kv?);
        }
    }
    if let Some(Err(_)) = it.peek()
        && let Some(Err(e)) = it.next()
    {
        return Err(e.into());
    }
    Ok(out)
}

impl Store {
    /// Counts conversations (for a progress bar; a full count, tools only).
    pub fn conversation_count(&self) -> Result<u64> {
        Ok(self.t.convid_conversation.len()?)
    }

    /// Writes the whole store out as records, in the order of docs/export.md.
    pub fn export_all(&self, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
        let t = &self.t;
        let meta_u64 = |k: &[u8]| -> Result<Option<u64>> {
            Ok(t.meta.get(k)?.and_then(|v| keys::read_u64(&v)))
        };
        sink(Record::Store(StoreMeta {
            id_hwm: meta_u64(schema::meta_keys::ID_HWM)?,
            setup_done: meta_u64(schema::meta_keys::SETUP_DONE)?.map(AgentId),
            directory_version: meta_u64(schema::meta_keys::DIRECTORY_VERSION)?,
            require_two_factor: t.meta.get(schema::meta_keys::REQUIRE_TWO_FACTOR)?.is_some(),
        }))?;
        for v in t.agentid_agent.iter().values() {
            sink(Record::Agent(dec(schema::AGENTID_AGENT, &v?)?))?;
        }
        for v in t.agenttoken_tokenrow.iter().values() {
            let row: super::TokenRow = dec(schema::AGENTTOKEN_TOKENROW, &v?)?;
            sink(Record::ApiToken(ApiTokenRecord {
                hash: hex::encode(&row.hash),
                id: row.token.id,
                agent_id: row.token.agent_id,
                label: row.token.label,
                created_at: row.token.created_at,
            }))?;
        }
        for kv in t.invitehash_invite.iter() {
            let (k, v) = kv?;
            let inv: Invite = dec(schema::INVITEHASH_INVITE, &v)?;
            sink(Record::Invite(InviteRecord {
                hash: hex::encode(k),
                agent_id: inv.agent_id,
                expires_at: inv.expires_at,
            }))?;
        }
        for v in t.teamid_team.iter().values() {
            sink(Record::Team(dec::<Team>(schema::TEAMID_TEAM, &v?)?))?;
        }
        for v in t.inboxid_inbox.iter().values() {
            sink(Record::Inbox(dec::<Inbox>(schema::INBOXID_INBOX, &v?)?))?;
        }
        for v in t.ownersaved_response.iter().values() {
            sink(Record::SavedResponse(dec(
                schema::OWNERSAVED_RESPONSE,
                &v?,
            )?))?;
        }
        for v in t.templateid_template.iter().values() {
            sink(Record::Template(dec(schema::TEMPLATEID_TEMPLATE, &v?)?))?;
        }
        for v in t.contactid_contact.iter().expect(1024).values() {
            sink(Record::Contact(dec::<Contact>(
                schema::CONTACTID_CONTACT,
                &v?,
            )?))?;
        }
        for kv in t.contactkey_contactid.iter().expect(1024) {
            let (k, v) = kv?;
            sink(Record::ContactKey(contact_key_record(&k, &v)?))?;
        }
        for kv in t.contactinbox_convid.iter().expect(1024) {
            let (k, v) = kv?;
            let tree = schema::CONTACTINBOX_CONVID;
            sink(Record::LatestConversation(LatestConversation {
                contact_id: ContactId(id_at(tree, &k, 0)?),
                inbox_id: InboxId(id_at(tree, &k, 8)?),
                conversation_id: ConversationId(id_at(tree, &v, 0)?),
            }))?;
        }
        let mut timeline = t.timeline_item.iter().expect(4096).peekable();
        let mut parts = t.msgpart_chunk.iter().expect(256).peekable();
        let mut mentions = t.mention_time.iter().expect(256).peekable();
        for v in t.convid_conversation.iter().expect(1024).values() {
            let conv: Conversation = dec(schema::CONVID_CONVERSATION, &v?)?;
            let id = conv.id.0;
            sink(Record::Conversation(conv))?;
            bundle(
                take_upto(&mut timeline, id)?,
                take_upto(&mut parts, id)?,
                take_upto(&mut mentions, id)?,
                sink,
            )?;
        }
        bundle(
            take_upto(&mut timeline, u64::MAX)?,
            take_upto(&mut parts, u64::MAX)?,
            take_upto(&mut mentions, u64::MAX)?,
            sink,
        )?;
        self.export_uploads(None, sink)?;
        for kv in t.extref_msgref.iter().expect(1024) {
            let (k, v) = kv?;
            let tree = schema::EXTREF_MSGREF;
            sink(Record::Dedupe(DedupeRecord {
                inbox_id: InboxId(id_at(tree, &k, 0)?),
                source_id: utf8(tree, &k[8..])?,
                conversation_id: ConversationId(id_at(tree, &v, 0)?),
                message_id: MessageId(id_at(tree, &v, 8)?),
            }))?;
        }
        for kv in t.readstate_time.iter().expect(1024) {
            let (k, v) = kv?;
            let tree = schema::READSTATE_TIME;
            sink(Record::ReadState(ReadStateRecord {
                agent_id: AgentId(id_at(tree, &k, 0)?),
                conversation_id: ConversationId(id_at(tree, &k, 8)?),
                read_up_to: Timestamp(
                    keys::read_time(&v).ok_or_else(|| corrupt(tree, "short time"))?,
                ),
            }))?;
        }
        for v in t.jobdue_job.iter().values() {
            sink(Record::Job(dec(schema::JOBDUE_JOB, &v?)?))?;
        }
        for v in t.convsched_scheduled.iter().values() {
            sink(Record::Scheduled(dec(schema::CONVSCHED_SCHEDULED, &v?)?))?;
        }
        for kv in t.mailcursor_state.iter() {
            let (k, v) = kv?;
            let tree = schema::MAILCURSOR_STATE;
            let (epoch, offset) = super::conversations::read_position(&v)
                .ok_or_else(|| corrupt(tree, "a position is neither 8 nor 12 bytes"))?;
            sink(Record::Position(PositionRecord {
                inbox_id: InboxId(id_at(tree, &k, 0)?),
                stream: utf8(tree, &k[8..])?,
                epoch,
                offset,
            }))?;
        }
        for kv in t.auditkey_entry.iter().expect(1024) {
            let (k, v) = kv?;
            let e: crate::domain::AuditEntry = dec(schema::AUDITKEY_ENTRY, &v)?;
            sink(Record::Audit(AuditRecord {
                id: id_at(schema::AUDITKEY_ENTRY, &k, 8)?,
                at: e.at,
                actor: e.actor,
                actor_name: e.actor_name,
                action: e.action,
                target: e.target,
                detail: e.detail,
            }))?;
        }
        Ok(())
    }

    /// One conversation as records: itself, its timeline and (`with_parts`) its stored
    /// parts; not its mentions, which are about agents. `None` when it does not exist.
    pub fn export_conversation(
        &self,
        id: ConversationId,
        with_parts: bool,
        sink: &mut dyn FnMut(Record) -> Result<()>,
    ) -> Result<Option<Conversation>> {
        let Some(conv) = self.conversation(id)? else {
            return Ok(None);
        };
        sink(Record::Conversation(conv.clone()))?;
        let prefix = keys::id(id.0);
        let items = self
            .t
            .timeline_item
            .scan_prefix(prefix)
            .collect::<std::result::Result<_, _>>()?;
        let parts = if with_parts {
            self.t
                .msgpart_chunk
                .scan_prefix(prefix)
                .collect::<std::result::Result<_, _>>()?
        } else {
            Vec::new()
        };
        bundle(items, parts, Vec::new(), sink)?;
        if with_parts {
            self.export_uploads(Some(id), sink)?;
        }
        Ok(Some(conv))
    }

    /// The uploaded files sent with a message (of conversation `conv`, or every one):
    /// each its `upload` record, then its bytes as `upload_chunk` records read a page
    /// at a time, so a file is never whole in memory. Uploads never sent are left out.
    fn export_uploads(
        &self,
        conv: Option<ConversationId>,
        sink: &mut dyn FnMut(Record) -> Result<()>,
    ) -> Result<()> {
        use base64::Engine;
        let records = match conv {
            Some(c) => self.t.convupload_upload.scan_prefix(keys::id(c.0)),
            None => self.t.convupload_upload.iter(),
        };
        for kv in records.expect(256) {
            let (k, v) = kv?;
            let tree = schema::CONVUPLOAD_UPLOAD;
            let u: super::uploads::Upload = dec(tree, &v)?;
            let (c, id) = (u.conversation, u.id);
            if (id_at(tree, &k, 0)?, id_at(tree, &k, 8)?) != (c.0, id) {
                return Err(corrupt(
                    tree,
                    format!("upload {id} of conversation {c} is stored under another key"),
                ));
            }
            if u.message.is_none() {
                continue;
            }
            sink(Record::Upload(u))?;
            let (start, end) = (
                keys::blob_chunk(c.0, id, 0),
                keys::blob_chunk(c.0, id, u32::MAX),
            );
            for kv in self
                .t
                .blob_chunk
                .range(start..=end)
                .expect(super::uploads::PAGE_CHUNKS)
            {
                let (k, v) = kv?;
                let n = k
                    .get(16..20)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(u32::from_be_bytes)
                    .ok_or_else(|| corrupt(schema::BLOB_CHUNK, "a key is too short"))?;
                let ByteBuf(chunk) = dec(schema::BLOB_CHUNK, &v)?;
                sink(Record::UploadChunk(UploadChunkRecord {
                    conversation_id: c,
                    upload_id: id,
                    n,
                    data: base64::engine::general_purpose::STANDARD.encode(&chunk),
                }))?;
            }
        }
        Ok(())
    }
}

fn contact_key_record(k: &[u8], v: &[u8]) -> Result<ContactKeyRecord> {
    let tree = schema::CONTACTKEY_CONTACTID;
    let (&kind, rest) = k.split_first().ok_or_else(|| corrupt(tree, "empty key"))?;
    let name = CONTACT_KEY_KINDS
        .iter()
        .find(|(b, _)| *b == kind)
        .map(|(_, n)| *n)
        .ok_or_else(|| corrupt(tree, format!("unknown contact key kind {kind:#x}")))?;
    let (inbox_id, value) = if kind == b'i' {
        (
            Some(InboxId(id_at(tree, rest, 0)?)),
            utf8(tree, &rest[8..])?,
        )
    } else {
        (None, utf8(tree, rest)?)
    };
    Ok(ContactKeyRecord {
        contact_id: ContactId(id_at(tree, v, 0)?),
        kind: name.to_string(),
        inbox_id,
        value,
    })
}

/// The timeline items, stored parts and mentions of one conversation (pairs as read,
/// in key order) as records.
fn bundle(
    items: Vec<(Vec<u8>, Vec<u8>)>,
    parts: Vec<(Vec<u8>, Vec<u8>)>,
    mentions: Vec<(Vec<u8>, Vec<u8>)>,
    sink: &mut dyn FnMut(Record) -> Result<()>,
) -> Result<()> {
    use base64::Engine;
    let mut names: HashMap<u64, Vec<String>> = HashMap::new();
    for (k, v) in items {
        let conv = ConversationId(id_at(schema::TIMELINE_ITEM, &k, 0)?);
        match dec::<TimelineItem>(schema::TIMELINE_ITEM, &v)? {
            TimelineItem::Message(m) => {
                if m.conversation_id != conv {
                    return Err(corrupt(
                        schema::TIMELINE_ITEM,
                        format!(
                            "message {} is stored under conversation {conv} but names {}",
                            m.id, m.conversation_id
                        ),
                    ));
                }
                names.insert(
                    m.id.0,
                    m.attachments.iter().map(|a| a.filename.clone()).collect(),
                );
                sink(Record::Message(m))?;
            }
            TimelineItem::Event(id, Event { actor, at, kind }) => {
                sink(Record::Event(EventRecord {
                    id,
                    conversation_id: conv,
                    actor,
                    at,
                    kind,
                }))?;
            }
        }
    }
    // Chunks of one part are consecutive: gather each part whole.
    let mut current: Option<((u64, u64, u32), Vec<u8>)> = None;
    let mut flush = |cur: Option<((u64, u64, u32), Vec<u8>)>| -> Result<()> {
        let Some(((conv, msg, part), bytes)) = cur else {
            return Ok(());
        };
        let (conversation_id, message_id) = (ConversationId(conv), MessageId(msg));
        if part == 0 {
            let html = String::from_utf8(bytes)
                .map_err(|_| corrupt(schema::MSGPART_CHUNK, "a mail's HTML is not UTF-8"))?;
            sink(Record::MailHtml(MailHtml {
                conversation_id,
                message_id,
                html,
            }))
        } else {
            let index = part - 1;
            let filename = names
                .get(&msg)
                .and_then(|n| n.get(index as usize))
                .cloned()
                .unwrap_or_default();
            sink(Record::Attachment(AttachmentRecord {
                conversation_id,
                message_id,
                index,
                filename,
                data: base64::engine::general_purpose::STANDARD.encode(&bytes),
            }))
        }
    };
    for (k, v) in parts {
        let tree = schema::MSGPART_CHUNK;
        let part = k
            .get(16..20)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| corrupt(tree, "a key is too short"))?;
        let id = (id_at(tree, &k, 0)?, id_at(tree, &k, 8)?, part);
        let ByteBuf(chunk) = dec(tree, &v)?;
        match &mut current {
            Some((cur, bytes)) if *cur == id => bytes.extend_from_slice(&chunk),
            _ => {
                flush(current.take())?;
                current = Some((id, chunk));
            }
        }
    }
    flush(current.take())?;
    for (k, v) in mentions {
        let tree = schema::MENTION_TIME;
        sink(Record::Mention(MentionRecord {
            conversation_id: ConversationId(id_at(tree, &k, 0)?),
            agent_id: AgentId(id_at(tree, &k, 8)?),
            at: Timestamp(keys::read_time(&v).ok_or_else(|| corrupt(tree, "short time"))?),
        }))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

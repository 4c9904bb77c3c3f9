//! Export and import files (docs/export.md): JSONL, one record per line between a
//! header and an end line that counts the records and carries their SHA-256, and the
//! conversations as transcripts for the HTML and mbox renderers.
//!
//! Secrets: what the store keeps sealed (mail passwords, provider tokens) is written as
//! stored; an API inbox's token, which the store keeps as is, is sealed with the same
//! installation key on the way out (`api_token_sealed`, the same plaintext always
//! sealing to the same text so exports stay identical) and opened on the way in. Nothing
//! secret is ever in plain text in a file. The header's `key_check` tells whether the
//! importing installation has the same key before anything is written.

use super::{Keys, Result, ServiceError, Services};
use crate::domain::contact::Contact;
use crate::domain::conversation::{ContactId, Conversation, ConversationId};
use crate::domain::message::TimelineItem;
use crate::domain::{Agent, ChannelKind};
use crate::store::exchange::Record;
use crate::store::{CURRENT_SCHEMA, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{BufRead, Write};
use std::path::Path;

pub mod mbox;

/// The `format` of the header line.
pub const FORMAT: &str = "charla-export";
/// The version of the file format this binary writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Records per import transaction.
const BATCH: usize = 256;
/// File bytes (base64, as read) per import transaction: a batch of file chunks is
/// written before it holds more, so an import's memory stays small whatever the files.
const BATCH_BYTES: usize = 4 << 20;
const KEY_CHECK: &str = "charla-export-key-check";

/// The first line of a JSONL export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    #[serde(rename = "type")]
    pub kind: String,
    pub format: String,
    pub format_version: u32,
    pub schema_version: u64,
    /// `all`, or `contact` (one contact's conversations: not importable).
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    /// HMAC of a fixed text under the installation key (whole exports only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_check: Option<String>,
}

/// The last line: how many records came before it and their SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct End {
    #[serde(rename = "type")]
    kind: String,
    records: u64,
    sha256: String,
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole installation (the command line only).
    All,
    /// One contact and their conversations: a right-of-access request.
    Contact(ContactId),
}

/// One conversation ready to render: who, where, and its timeline oldest first.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub conversation: Conversation,
    pub inbox_name: String,
    pub channel: Option<ChannelKind>,
    pub items: Vec<TimelineItem>,
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

/// Writes records as lines, counting and hashing them.
struct LineWriter<'a> {
    out: &'a mut dyn Write,
    keys: Option<&'a Keys>,
    hash: Sha256,
    records: u64,
}

impl LineWriter<'_> {
    fn record(&mut self, r: &Record) -> Result<()> {
        let mut v = serde_json::to_value(r).map_err(internal)?;
        if let (Record::Inbox(_), Value::Object(m)) = (r, &mut v) {
            let token = m.remove("api_token").unwrap_or(Value::Null);
            let sealed = match (token, self.keys) {
                (Value::String(t), Some(k)) => Value::String(k.seal_deterministic(&t)?),
                (Value::String(_), None) => {
                    return Err(internal(
                        "an inbox token cannot be exported without the key",
                    ));
                }
                _ => Value::Null,
            };
            m.insert("api_token_sealed".into(), sealed);
        }
        let line = type_first(v)?;
        self.hash.update(&line);
        self.records += 1;
        self.out.write_all(&line).map_err(internal)
    }

    fn end(self) -> Result<u64> {
        let end = End {
            kind: "end".into(),
            records: self.records,
            sha256: hex::encode(self.hash.finalize()),
        };
        let mut line = serde_json::to_vec(&end).map_err(internal)?;
        line.push(b'\n');
        self.out.write_all(&line).map_err(internal)?;
        self.out.flush().map_err(internal)?;
        Ok(self.records)
    }
}

/// A record as one line, its `type` first (the rest in name order, as serde_json
/// writes objects), so a person sees what each line is at its start.
fn type_first(mut v: Value) -> Result<Vec<u8>> {
    let kind = match &mut v {
        Value::Object(m) => m.remove("type"),
        _ => None,
    };
    let rest = serde_json::to_vec(&v).map_err(internal)?;
    let mut line = Vec::with_capacity(rest.len() + 32);
    if let Some(kind) = kind {
        line.extend_from_slice(b"{\"type\":");
        line.extend_from_slice(&serde_json::to_vec(&kind).map_err(internal)?);
        if rest.len() > 2 {
            line.push(b',');
        }
        line.extend_from_slice(&rest[1..]);
    } else {
        line.extend_from_slice(&rest);
    }
    line.push(b'\n');
    Ok(line)
}

fn header_line(h: &Header) -> Result<Vec<u8>> {
    let mut line = serde_json::to_vec(h).map_err(internal)?;
    line.push(b'\n');
    Ok(line)
}

/// Writes the whole store as JSONL to `out`; `progress(conversations done, total)`.
/// Returns the number of records.
pub fn export_store(
    store: &Store,
    keys: &Keys,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    let header = Header {
        kind: "header".into(),
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        schema_version: store.schema_version()?,
        scope: "all".into(),
        contact_id: None,
        key_check: Some(keys.sign(KEY_CHECK, "")),
    };
    out.write_all(&header_line(&header)?).map_err(internal)?;
    let total = store.conversation_count()?;
    let mut w = LineWriter {
        out,
        keys: Some(keys),
        hash: Sha256::new(),
        records: 0,
    };
    let mut done = 0u64;
    let mut failed: Option<ServiceError> = None;
    store
        .export_all(&mut |r| {
            if let Record::Conversation(_) = r {
                done += 1;
                progress(done, total);
            }
            w.record(&r).map_err(|e| {
                let msg = e.to_string();
                failed = Some(e);
                crate::store::StoreError::Engine(msg)
            })
        })
        .map_err(|e| failed.take().unwrap_or(ServiceError::Store(e)))?;
    w.end()
}

impl Services {
    /// The contact and the conversations of it that `actor` may see (every one for the
    /// command line, `actor` = `None`), oldest first.
    fn contact_scope(
        &self,
        actor: Option<&Agent>,
        id: ContactId,
    ) -> Result<(Contact, Vec<ConversationId>)> {
        let contact = match actor {
            Some(a) => self.contact(a, id)?.contact,
            None => self.store.contact(id)?.ok_or(ServiceError::NotFound)?,
        };
        let dir = self.directory();
        let mut convs: Vec<ConversationId> = self
            .store
            .conversations_of_contact(id, usize::MAX)?
            .into_iter()
            .filter(|c| match actor {
                Some(a) => dir.inbox(c.inbox_id).is_some_and(|i| i.visible_to(a)),
                None => true,
            })
            .map(|c| c.id)
            .collect();
        convs.reverse();
        Ok((contact, convs))
    }

    /// Writes one contact's conversations as JSONL (the contact as `actor` may see it,
    /// only the conversations of their inboxes). Returns the number of records.
    pub fn export_contact_jsonl(
        &self,
        actor: Option<&Agent>,
        id: ContactId,
        out: &mut dyn Write,
    ) -> Result<u64> {
        let (contact, convs) = self.contact_scope(actor, id)?;
        let header = Header {
            kind: "header".into(),
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            schema_version: self.store.schema_version()?,
            scope: "contact".into(),
            contact_id: Some(id),
            key_check: None,
        };
        out.write_all(&header_line(&header)?).map_err(internal)?;
        let mut w = LineWriter {
            out,
            keys: None,
            hash: Sha256::new(),
            records: 0,
        };
        w.record(&Record::Contact(contact))?;
        // Written as read (a conversation's files chunk by chunk), never gathered.
        let mut failed: Option<ServiceError> = None;
        for c in convs {
            self.store
                .export_conversation(c, true, &mut |r| {
                    w.record(&r).map_err(|e| {
                        let msg = e.to_string();
                        failed = Some(e);
                        crate::store::StoreError::Engine(msg)
                    })
                })
                .map_err(|e| failed.take().unwrap_or(ServiceError::Store(e)))?;
        }
        w.end()
    }

    /// Calls `each` with every conversation in `scope` as a transcript, oldest first;
    /// `progress(done, total)`. Returns how many.
    pub fn each_transcript(
        &self,
        actor: Option<&Agent>,
        scope: Scope,
        each: &mut dyn FnMut(&Transcript) -> Result<()>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        let dir = self.directory();
        let mut one = |id: ConversationId| -> Result<bool> {
            let mut items = Vec::new();
            let Some(conversation) = self.store.export_conversation(id, false, &mut |r| {
                match r {
                    Record::Message(m) => items.push(TimelineItem::Message(m)),
                    Record::Event(e) => items.push(TimelineItem::Event(
                        e.id,
                        crate::domain::conversation::Event {
                            actor: e.actor,
                            at: e.at,
                            kind: e.kind,
                        },
                    )),
                    _ => {}
                }
                Ok(())
            })?
            else {
                return Ok(false);
            };
            let inbox = dir.inbox(conversation.inbox_id);
            each(&Transcript {
                inbox_name: inbox
                    .map(|i| i.name.clone())
                    .unwrap_or_else(|| format!("inbox #{}", conversation.inbox_id)),
                channel: inbox.map(|i| i.channel),
                conversation,
                items,
            })?;
            Ok(true)
        };
        let mut done = 0u64;
        match scope {
            Scope::Contact(id) => {
                let (_, convs) = self.contact_scope(actor, id)?;
                let total = convs.len() as u64;
                for c in convs {
                    done += u64::from(one(c)?);
                    progress(done, total);
                }
            }
            Scope::All => {
                if actor.is_some_and(|a| !a.is_admin()) {
                    return Err(ServiceError::NotAllowed);
                }
                let total = self.store.conversation_count()?;
                let mut after = None;
                loop {
                    let page = self.store.conversations_after(after, 500)?;
                    let Some(last) = page.last() else { break };
                    after = Some(last.id);
                    for c in page {
                        done += u64::from(one(c.id)?);
                        progress(done, total);
                    }
                }
            }
        }
        Ok(done)
    }

    /// Records in the audit log that `actor` downloaded a contact's conversations.
    pub fn audit_contact_export(&self, actor: &Agent, id: ContactId, format: &str) -> Result<()> {
        let audit = self.audit(
            Some(actor),
            "contact.export",
            format!("contact #{id}"),
            format!("conversations downloaded as {format}"),
        )?;
        Ok(self.store.append_audit(&audit)?)
    }
}

/// A writer that only hashes.
struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.update(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub records: u64,
    pub schema_version: u64,
}

/// Reads a JSONL export line by line, checking the header, each record and the end
/// line; `each(line number, record)`.
fn read_file(
    file: &Path,
    keys: Option<&Keys>,
    each: &mut dyn FnMut(u64, Record) -> std::result::Result<(), String>,
) -> std::result::Result<(Header, u64), String> {
    let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut lines = std::io::BufReader::new(f).split(b'\n');
    let at = |n: u64, m: String| format!("{} line {n}: {m}", file.display());
    let first = lines
        .next()
        .ok_or_else(|| format!("{} is empty", file.display()))?
        .map_err(|e| e.to_string())?;
    let header: Header = serde_json::from_slice(&first)
        .ok()
        .filter(|h: &Header| h.kind == "header" && h.format == FORMAT)
        .ok_or_else(|| at(1, "not a Charla export (no charla-export header)".into()))?;
    if header.format_version > FORMAT_VERSION {
        return Err(at(
            1,
            format!(
                "format version {} is newer than this charla reads ({FORMAT_VERSION}); use a newer charla",
                header.format_version
            ),
        ));
    }
    if header.scope != "all" {
        return Err(at(
            1,
            "this is one contact's conversations, not a whole export: only `charla export --format jsonl` without --contact can be imported".into(),
        ));
    }
    if header.schema_version > CURRENT_SCHEMA {
        return Err(at(
            1,
            format!(
                "the data has schema version {}, newer than this charla supports ({CURRENT_SCHEMA})",
                header.schema_version
            ),
        ));
    }
    match (keys, &header.key_check) {
        (Some(k), Some(check)) if k.verify(KEY_CHECK, "", check) => {}
        (Some(_), _) => {
            return Err(
                "this export was sealed with another installation key: set security.secret_key (or secret_key_file) to the exporting installation's key, or copy its data/secret.key into the new data directory, then import again".into(),
            );
        }
        (None, _) => {}
    }
    let mut hash = Sha256::new();
    for (records, line) in (0u64..).zip(lines) {
        let n = records + 2;
        let mut line = line.map_err(|e| at(n, e.to_string()))?;
        let mut v: Value = serde_json::from_slice(&line).map_err(|e| at(n, e.to_string()))?;
        if v["type"] == "end" {
            let end: End = serde_json::from_value(v).map_err(|e| at(n, e.to_string()))?;
            if end.records != records || end.sha256 != hex::encode(hash.finalize()) {
                return Err(at(
                    n,
                    format!(
                        "the file is damaged: the end line counts {} records, {records} were read, or their checksum differs",
                        end.records
                    ),
                ));
            }
            return Ok((header, records));
        }
        line.push(b'\n');
        hash.update(&line);
        let is_inbox = v["type"] == "inbox";
        if let (true, Value::Object(m)) = (is_inbox, &mut v) {
            let token = match m.remove("api_token_sealed") {
                Some(Value::String(s)) => match keys {
                    Some(k) => Value::String(k.open(&s).map_err(|e| at(n, e.to_string()))?),
                    None => Value::String(String::new()),
                },
                _ => Value::Null,
            };
            m.insert("api_token".into(), token);
        }
        let r: Record = serde_json::from_value(v).map_err(|e| at(n, e.to_string()))?;
        each(n, r).map_err(|e| at(n, e))?;
    }
    Err(format!(
        "{} ends without its end line: the file is truncated",
        file.display()
    ))
}

/// Checks a whole export without importing it; returns its header and record count.
pub fn verify_file(file: &Path, keys: Option<&Keys>) -> std::result::Result<(Header, u64), String> {
    read_file(file, keys, &mut |_, _| Ok(()))
}

/// Imports a whole export into `store` (opened with `Store::open_empty`), after
/// [`verify_file`] passed on it (so a damaged or foreign file writes nothing): records
/// go in by batches of one transaction each, the store is flushed, and the data is read
/// back through the exporter, which must give the file again byte for byte.
/// `progress(records done, total)`.
pub fn import_file(
    store: &Store,
    keys: &Keys,
    file: &Path,
    (header, total): (Header, u64),
    progress: &mut dyn FnMut(u64, u64),
) -> std::result::Result<Imported, String> {
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
    let (mut done, mut bytes) = (0u64, 0usize);
    let write = |batch: &mut Vec<Record>| -> std::result::Result<(), String> {
        store.import_batch(batch).map_err(|e| e.to_string())?;
        batch.clear();
        Ok(())
    };
    read_file(file, Some(keys), &mut |_, r| {
        bytes += match &r {
            Record::UploadChunk(c) => c.data.len(),
            Record::Attachment(a) => a.data.len(),
            _ => 0,
        };
        batch.push(r);
        done += 1;
        if batch.len() == BATCH || bytes >= BATCH_BYTES {
            write(&mut batch)?;
            bytes = 0;
            progress(done, total);
        }
        Ok(())
    })?;
    write(&mut batch)?;
    progress(done, total);
    store.finish_import().map_err(|e| e.to_string())?;
    store
        .set_schema_version(header.schema_version)
        .map_err(|e| e.to_string())?;
    store.flush_blocking().map_err(|e| e.to_string())?;
    // Read back: the same file, byte for byte.
    let mut again = HashWriter(Sha256::new());
    export_store(store, keys, &mut again, &mut |_, _| {}).map_err(|e| e.to_string())?;
    let mut original = HashWriter(Sha256::new());
    let mut f = std::fs::File::open(file).map_err(|e| e.to_string())?;
    std::io::copy(&mut f, &mut original).map_err(|e| e.to_string())?;
    if again.0.finalize() != original.0.finalize() {
        return Err(
            "the imported data does not read back as the file: the import is incomplete; remove the data directory (or empty the database) before trying again".into(),
        );
    }
    Ok(Imported {
        records: total,
        schema_version: header.schema_version,
    })
}

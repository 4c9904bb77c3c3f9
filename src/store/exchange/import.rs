//! Writing records back: each record's pairs raw (re-encoded by the codec), and the
//! derived keyspaces through the write path's own index helpers (`Tx::put_conv`,
//! `Tx::push`, `Tx::mention`), in one transaction per batch.

use super::super::attachments::{InboundParts, Part, put_parts};
use super::super::conversations::{
    CCONV, CINBOX, CKEY, CURSOR, EXT, JOB, JOBCOUNT, PART, Tx, tx_enc,
};
use super::super::kv::TxTree;
use super::super::schema::meta_keys;
use super::super::{Abort, Result, Store, TxErr, TxResult, keys};
use super::*;
use crate::domain::message::TimelineItem;

/// Trees of an import transaction after the conversation trees (`Store::conv_trees`).
const META: usize = 20;
const AGENT: usize = 21;
const EMAIL: usize = 22;
const TOKEN_HASH: usize = 23;
const TOKEN_ROW: usize = 24;
const INVITE: usize = 25;
const INVITE_BY_AGENT: usize = 26;
const TEAM: usize = 27;
const INBOX: usize = 28;
const READ: usize = 29;
/// Scheduled replies (`Store::conv_trees`' last, kept here so the numbers above stay).
const SCHEDULED: usize = 30;
const SAVED: usize = 31;
const SAVED_ID: usize = 32;
const TEMPLATE: usize = 33;
/// Uploaded files (`Store::conv_trees`' too, kept here for the same reason).
const BLOB: usize = 34;
const UPLOAD: usize = 35;
/// All the trees of an import transaction.
const TREES: usize = 36;

fn bad(what: String) -> TxErr {
    TxErr::Abort(Abort::Codec(what))
}

impl Store {
    /// Writes `records` in one transaction (a batch of an import into an empty store).
    /// Records come in export order: a mention after its conversation.
    pub fn import_batch(&self, records: &[Record]) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        let c = self.conv_trees();
        let trees = [
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            c[5],
            c[6],
            c[7],
            c[8],
            c[9],
            c[10],
            c[11],
            c[12],
            c[13],
            c[14],
            c[15],
            c[16],
            c[17],
            c[18],
            c[19],
            &t.meta,
            &t.agentid_agent,
            &t.email_agentid,
            &t.tokenhash_apitoken,
            &t.agenttoken_tokenrow,
            &t.invitehash_invite,
            &t.agentid_invitehash,
            &t.teamid_team,
            &t.inboxid_inbox,
            &t.readstate_time,
            c[super::super::conversations::SCHED],
            &t.ownersaved_response,
            &t.savedid_owner,
            &t.templateid_template,
            c[super::super::uploads::BLOB],
            c[super::super::uploads::UPLOAD],
        ];
        self.tx(trees, |h| {
            for r in records {
                apply(h, r)?;
            }
            Ok(())
        })
    }

    /// After the last batch: the report tallies, which a conversation record alone
    /// cannot give (they count what its timeline adds), rebuilt from the timelines.
    pub fn finish_import(&self) -> Result<()> {
        super::super::reports::rebuild(self)
    }

    /// Records the schema version of the data imported (an older one migrates at the
    /// next start, as any older store does).
    pub fn set_schema_version(&self, v: u64) -> Result<()> {
        self.t
            .meta
            .insert(meta_keys::SCHEMA_VERSION, keys::u64_be(v))?;
        Ok(())
    }
}

fn put_u64(t: &TxTree<'_>, k: &[u8], v: Option<u64>) -> TxResult<()> {
    if let Some(v) = v {
        t.insert(k, keys::u64_be(v))?;
    }
    Ok(())
}

fn apply(h: &[TxTree<'_>; TREES], r: &Record) -> TxResult<()> {
    let tx = Tx(&h[..META]);
    match r {
        Record::Store(m) => {
            put_u64(&h[META], meta_keys::ID_HWM, m.id_hwm)?;
            put_u64(&h[META], meta_keys::SETUP_DONE, m.setup_done.map(|a| a.0))?;
            put_u64(&h[META], meta_keys::DIRECTORY_VERSION, m.directory_version)?;
            if m.require_two_factor {
                h[META].insert(meta_keys::REQUIRE_TWO_FACTOR, &[1u8][..])?;
            }
        }
        Record::Agent(a) => {
            h[AGENT].insert(keys::id(a.id.0), tx_enc(a)?)?;
            h[EMAIL].insert(a.email.as_bytes(), keys::id(a.id.0))?;
        }
        Record::ApiToken(r) => {
            let hash = hash32(&r.hash).map_err(bad)?;
            let token = ApiToken {
                id: r.id,
                agent_id: r.agent_id,
                label: r.label.clone(),
                created_at: r.created_at,
            };
            h[TOKEN_HASH].insert(&hash[..], tx_enc(&token)?)?;
            let row = super::super::TokenRow {
                hash: hash.to_vec(),
                token,
            };
            h[TOKEN_ROW].insert(&keys::id_pair(r.agent_id.0, r.id.0)[..], tx_enc(&row)?)?;
        }
        Record::Invite(r) => {
            let hash = hash32(&r.hash).map_err(bad)?;
            let inv = Invite {
                agent_id: r.agent_id,
                expires_at: r.expires_at,
            };
            h[INVITE].insert(&hash[..], tx_enc(&inv)?)?;
            h[INVITE_BY_AGENT].insert(keys::id(r.agent_id.0), &hash[..])?;
        }
        Record::Team(x) => h[TEAM].insert(keys::id(x.id.0), tx_enc(x)?)?,
        Record::Inbox(x) => h[INBOX].insert(keys::id(x.id.0), tx_enc(x)?)?,
        Record::Template(x) => h[TEMPLATE].insert(keys::id(x.id), tx_enc(x)?)?,
        Record::SavedResponse(x) => {
            let owner = x.owner.map_or(0, |a| a.0);
            h[SAVED].insert(keys::id_pair(owner, x.id), tx_enc(x)?)?;
            h[SAVED_ID].insert(keys::id(x.id), &keys::u64_be(owner)[..])?;
        }
        Record::Contact(x) => {
            tx.0[super::super::conversations::CONTACT].insert(keys::id(x.id.0), tx_enc(x)?)?
        }
        Record::ContactKey(r) => {
            let kind = CONTACT_KEY_KINDS
                .iter()
                .find(|(_, n)| *n == r.kind)
                .map(|(b, _)| *b)
                .ok_or_else(|| bad(format!("unknown contact key kind {:?}", r.kind)))?;
            let inbox = match (kind, r.inbox_id) {
                (b'i', Some(i)) => Some(i),
                (b'i', None) => return Err(bad("an identifier key needs its inbox_id".into())),
                _ => None,
            };
            let k = super::super::conversations::contact_key(kind, inbox, &r.value);
            tx.0[CKEY].insert(k, keys::id(r.contact_id.0))?;
        }
        Record::LatestConversation(r) => {
            tx.0[CINBOX].insert(
                &keys::id_pair(r.contact_id.0, r.inbox_id.0)[..],
                keys::id(r.conversation_id.0),
            )?;
        }
        Record::Conversation(c) => {
            tx.put_conv(None, c, &[])?;
            tx.0[CCONV].insert(&keys::id_pair(c.contact_id.0, c.id.0)[..], &[][..])?;
        }
        Record::Message(m) => tx.push(m.conversation_id, &TimelineItem::Message(m.clone()))?,
        Record::Event(e) => tx.push(
            e.conversation_id,
            &TimelineItem::Event(
                e.id,
                Event {
                    actor: e.actor.clone(),
                    at: e.at,
                    kind: e.kind.clone(),
                },
            ),
        )?,
        Record::MailHtml(p) => put_part(
            &tx.0[PART],
            p.conversation_id,
            p.message_id,
            Part::Html,
            p.html.as_bytes().to_vec(),
        )?,
        Record::Attachment(p) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&p.data)
                .map_err(|e| bad(format!("attachment data is not base64: {e}")))?;
            put_part(
                &tx.0[PART],
                p.conversation_id,
                p.message_id,
                Part::Attachment(p.index),
                bytes,
            )?;
        }
        Record::Upload(u) => {
            // Only uploads sent with a message are exported; one never sent would need
            // the cleanup's due entry, and an export never holds one.
            if u.message.is_none() {
                return Err(bad(format!(
                    "upload {} of conversation {} names no message: only files sent with a message are imported",
                    u.id, u.conversation
                )));
            }
            h[UPLOAD].insert(&keys::id_pair(u.conversation.0, u.id)[..], tx_enc(u)?)?;
        }
        Record::UploadChunk(p) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&p.data)
                .map_err(|e| bad(format!("upload chunk data is not base64: {e}")))?;
            if bytes.len() > super::super::attachments::CHUNK_BYTES {
                return Err(bad(format!(
                    "upload chunk {} of upload {} holds {} bytes, more than a chunk's {}",
                    p.n,
                    p.upload_id,
                    bytes.len(),
                    super::super::attachments::CHUNK_BYTES
                )));
            }
            h[BLOB].insert(
                &keys::blob_chunk(p.conversation_id.0, p.upload_id, p.n)[..],
                tx_enc(&super::super::codec::Bytes(&bytes))?,
            )?;
        }
        Record::Mention(m) => {
            let conv = tx.conv(m.conversation_id)?.ok_or_else(|| {
                bad(format!(
                    "a mention of conversation {} comes before that conversation",
                    m.conversation_id
                ))
            })?;
            tx.mention(&conv, m.agent_id, m.at)?;
        }
        Record::Dedupe(d) => {
            let mut k = keys::id(d.inbox_id.0).to_vec();
            k.extend_from_slice(d.source_id.as_bytes());
            tx.0[EXT].insert(k, keys::id_pair(d.conversation_id.0, d.message_id.0))?;
        }
        Record::ReadState(r) => h[READ].insert(
            &keys::id_pair(r.agent_id.0, r.conversation_id.0)[..],
            keys::time_be(r.read_up_to.0),
        )?,
        Record::Job(j) => {
            tx.0[JOB].insert(&j.key()[..], tx_enc(j)?)?;
            super::super::jobs::count_jobs(&tx.0[JOBCOUNT], 1)?;
        }
        Record::Scheduled(sc) => {
            tx.0[SCHEDULED].insert(&keys::id_pair(sc.conversation_id.0, sc.id)[..], tx_enc(sc)?)?;
        }
        Record::Position(p) => {
            let mut v = p.epoch.to_be_bytes().to_vec();
            v.extend_from_slice(&p.offset.to_be_bytes());
            tx.0[CURSOR].insert(
                super::super::conversations::cursor_key(p.inbox_id, &p.stream),
                v,
            )?;
        }
        Record::Audit(a) => {
            let entry = crate::domain::AuditEntry {
                at: a.at,
                actor: a.actor,
                actor_name: a.actor_name.clone(),
                action: a.action.clone(),
                target: a.target.clone(),
                detail: a.detail.clone(),
            };
            tx.0[super::super::conversations::AUDIT]
                .insert(&keys::time_id(a.at.0, a.id)[..], tx_enc(&entry)?)?;
        }
    }
    Ok(())
}

fn put_part(
    t: &TxTree<'_>,
    conv: ConversationId,
    msg: MessageId,
    part: Part,
    bytes: Vec<u8>,
) -> TxResult<()> {
    let parts = InboundParts {
        bytes: vec![(part, bytes)],
        ..InboundParts::default()
    };
    put_parts(t, conv, msg, &parts)
}

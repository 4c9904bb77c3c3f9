//! Ingest: one inbound message, as a channel saw it, stored in one transaction with its
//! contact, conversation, lifecycle events, parts, dedupe key and mail cursor.

use super::super::attachments::{InboundParts, put_parts};
use super::super::kv::TxTree;
use super::super::leases::{Fence, fence_holds};
use super::super::{Result, Store, keys, schema};
use super::*;
use crate::domain::contact::Contact;
use crate::domain::conversation::{
    ChannelIdentity, ContactId, Conversation, ConversationId, Event, MessageId,
};
use crate::domain::message::{Message, Sender, TimelineItem};
use crate::domain::{InboxId, Timestamp};

/// Input of `ingest`: one inbound message as a channel adapter saw it.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub inbox_id: InboxId,
    pub source_id: Option<String>,
    pub identifier: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub content: String,
    pub at: Timestamp,
    /// The visitor token for a conversation this message may create.
    pub token: String,
    /// For mail: where the poller stands, written in the same transaction.
    pub cursor: Option<MailCursor>,
    /// Stored but must not reopen, wake or notify (auto-replies, bounces).
    pub quiet: bool,
    /// Mail only: subject and threading headers.
    pub mail: Option<crate::domain::message::MailMeta>,
    /// The conversation token named by a reply's signed In-Reply-To/References.
    pub thread_token: Option<String>,
    /// Other inboxes whose conversations the thread token may join: website inboxes
    /// whose offline visitors are answered by mail through this (email) inbox.
    pub thread_inboxes: Vec<InboxId>,
    /// An email address the customer only typed (website pre-chat): kept on the
    /// conversation as unconfirmed, never used to find or fill a contact.
    pub claimed_email: Option<String>,
}

/// A mail folder's position: its UIDVALIDITY and the highest UID ingested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailCursor {
    pub folder: String,
    pub uidvalidity: u32,
    pub uid: u32,
}

/// Moves a cursor forward (a new UIDVALIDITY replaces it), inside a transaction.
fn advance_cursor(t: &TxTree<'_>, inbox: InboxId, c: &MailCursor) -> TxResult<()> {
    let key = cursor_key(inbox, &c.folder);
    let uid = match t.get(&key)? {
        Some(v)
            if v.len() == 8 && u32::from_be_bytes([v[0], v[1], v[2], v[3]]) == c.uidvalidity =>
        {
            u32::from_be_bytes([v[4], v[5], v[6], v[7]]).max(c.uid)
        }
        _ => c.uid,
    };
    let mut v = c.uidvalidity.to_be_bytes().to_vec();
    v.extend_from_slice(&uid.to_be_bytes());
    t.insert(key, v)?;
    Ok(())
}

/// What `ingest` did.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub conversation_id: ConversationId,
    /// `None` only for a duplicate of a message whose conversation was deleted.
    pub conversation: Option<Conversation>,
    pub message_id: MessageId,
    pub duplicate: bool,
    pub created: bool,
    pub events: Vec<Event>,
}

impl Store {
    /// Stores an inbound message: dedupes on (inbox, source id), finds or creates the
    /// contact and the conversation, applies the lifecycle rules, all in one
    /// transaction. `ids` are fresh ids: [conversation, contact, event, event, message].
    pub fn ingest(&self, m: &InboundMessage, ids: [u64; 5]) -> Result<Ingested> {
        self.ingest_with_parts(m, ids, &InboundParts::default())
    }

    /// `ingest`, with the message's attachments, notes and stored bytes (mail) written in
    /// the same transaction; a duplicate writes none of them.
    pub fn ingest_with_parts(
        &self,
        m: &InboundMessage,
        ids: [u64; 5],
        parts: &InboundParts,
    ) -> Result<Ingested> {
        self.ingest_fenced(m, ids, parts, None)
    }

    /// `ingest_with_parts` done under a lease (a mailbox's watcher): with a `fence`, it
    /// commits only while the fence's token is still the lease's current one, and
    /// aborts with `Abort::LeaseLost` otherwise, writing nothing (message nor cursor).
    pub fn ingest_fenced(
        &self,
        m: &InboundMessage,
        ids: [u64; 5],
        parts: &InboundParts,
        fence: Option<&Fence>,
    ) -> Result<Ingested> {
        self.conv_tx(|tx| {
            if let Some(f) = fence {
                fence_holds(&tx.0[LEASE], f)?;
            }
            let ext = m.source_id.as_ref().map(|s| {
                let mut k = keys::id(m.inbox_id.0).to_vec();
                k.extend_from_slice(s.as_bytes());
                k
            });
            if let Some(ext) = &ext
                && let Some(v) = tx.0[EXT].get(ext)?
            {
                let conv_id = ConversationId(keys::read_u64(&v).unwrap_or(0));
                let msg_id = MessageId(keys::read_u64(&v[8..]).unwrap_or(0));
                if let Some(c) = &m.cursor {
                    advance_cursor(&tx.0[CURSOR], m.inbox_id, c)?;
                }
                // The conversation may have been deleted since: the key is its tombstone.
                let conversation = tx.conv(conv_id)?;
                return Ok(Ingested {
                    conversation_id: conv_id,
                    conversation,
                    message_id: msg_id,
                    duplicate: true,
                    created: false,
                    events: vec![],
                });
            }
            // The contact: by identifier, then email, then phone; else a new one.
            let probe = Contact {
                id: ContactId(ids[1]),
                name: m.name.clone().unwrap_or_default(),
                email: m.email.clone(),
                phone: m.phone.clone(),
                identifier: m.identifier.clone(),
                tags: vec![],
                properties: vec![],
                blocked: false,
                created_at: m.at,
                inboxes: vec![m.inbox_id],
            };
            let lookup = contact_keys(&probe, Some(m.inbox_id));
            let mut found = None;
            for k in &lookup {
                if let Some(id) = tx.0[CKEY].get(k)? {
                    found = Some(ContactId(keys::read_u64(&id).unwrap_or(0)));
                    break;
                }
            }
            let existing: Option<Contact> = match found {
                Some(id) => tx.0[CONTACT]
                    .get(keys::id(id.0))?
                    .map(|v| tx_dec(schema::CONTACTID_CONTACT, &v))
                    .transpose()?,
                None => None,
            };
            let contact = match existing {
                Some(mut c) => {
                    let before = c.clone();
                    // What a message says fills the contact's empty fields only while
                    // no other inbox knows the contact: an integration or a sender in
                    // one inbox must not write into what other teams see.
                    if c.inboxes.iter().all(|i| *i == m.inbox_id) {
                        if c.name.trim().is_empty() && !probe.name.trim().is_empty() {
                            c.name = probe.name.clone();
                        }
                        if c.email.is_none() {
                            c.email = probe.email.clone();
                        }
                        if c.phone.is_none() {
                            c.phone = probe.phone.clone();
                        }
                        if c.identifier.is_none() {
                            c.identifier = probe.identifier.clone();
                        }
                    }
                    c.known_in(m.inbox_id);
                    if c != before {
                        tx.0[CONTACT].insert(keys::id(c.id.0), tx_enc(&c)?)?;
                    }
                    c
                }
                None => {
                    tx.0[CONTACT].insert(keys::id(probe.id.0), tx_enc(&probe)?)?;
                    probe
                }
            };
            // Lookup keys: the contact's own email and phone, and the identifier this
            // inbox gave (scoped to this inbox).
            let mut own_keys = contact_keys(&contact, None);
            if let Some(i) = &m.identifier {
                own_keys.push(contact_key(b'i', Some(m.inbox_id), i));
            }
            for k in own_keys {
                if tx.0[CKEY].get(&k)?.is_none() {
                    tx.0[CKEY].insert(k, keys::id(contact.id.0))?;
                }
            }
            let identity = ChannelIdentity {
                name: m.name.clone().unwrap_or_default(),
                email: m.email.clone().or_else(|| m.claimed_email.clone()),
                email_verified: m.email.is_some(),
                phone: m.phone.clone(),
                identifier: m.identifier.clone(),
            };
            // The conversation: the contact's latest in this inbox, else a new one.
            let ci = keys::id_pair(contact.id.0, m.inbox_id.0);
            // A reply to one of our mails (signed Message-ID or plus-address) joins that
            // conversation, whoever sends it; otherwise the sender's latest conversation
            // in this inbox.
            let threaded = match &m.thread_token {
                Some(t) => match tx.0[TOKEN].get(t.as_bytes())? {
                    Some(v) => tx
                        .conv(ConversationId(keys::read_u64(&v).unwrap_or(0)))?
                        .filter(|c| {
                            c.inbox_id == m.inbox_id || m.thread_inboxes.contains(&c.inbox_id)
                        }),
                    None => None,
                },
                None => None,
            };
            // Someone other than the conversation's contact writing into it: their
            // message shows as theirs and changes neither the conversation's contact
            // nor its reply address.
            let third_party = threaded
                .as_ref()
                .is_some_and(|c| c.contact_id != contact.id);
            let latest = match threaded {
                Some(c) => Some(c),
                None => match tx.0[CINBOX].get(&ci[..])? {
                    Some(v) => tx.conv(ConversationId(keys::read_u64(&v).unwrap_or(0)))?,
                    None => None,
                },
            };
            let mut events = Vec::new();
            let (old, mut conv, created) = match latest {
                Some(c) => (Some(c.clone()), c, false),
                None => {
                    let (c, e) = Conversation::start(
                        ConversationId(ids[0]),
                        m.inbox_id,
                        contact.id,
                        contact.display_name(),
                        m.token.clone(),
                        identity.clone(),
                        m.at,
                    );
                    tx.0[CINBOX].insert(&ci[..], keys::id(c.id.0))?;
                    tx.0[CCONV].insert(&keys::id_pair(contact.id.0, c.id.0)[..], &[][..])?;
                    events.extend(e);
                    (None, c, true)
                }
            };
            if !third_party {
                conv.identity.fill_from(&identity);
            }
            events.extend(conv.on_inbound(&m.content, contact.blocked || m.quiet, m.at));
            for (i, e) in events.iter().enumerate() {
                tx.push(
                    conv.id,
                    &TimelineItem::Event(MessageId(ids[2 + i.min(1)]), e.clone()),
                )?;
            }
            let msg = Message {
                id: MessageId(ids[4]),
                conversation_id: conv.id,
                direction: crate::domain::message::Direction::Inbound,
                author: None,
                content: m.content.clone(),
                created_at: m.at,
                status: crate::domain::message::DeliveryStatus::Delivered,
                status_times: vec![(crate::domain::message::DeliveryStatus::Delivered, m.at)],
                error: None,
                source_id: m.source_id.clone(),
                mentions: vec![],
                email: m.mail.clone(),
                attachments: parts.attachments.clone(),
                notes: parts.notes.clone(),
                via_email: false,
                transcript: false,
                sender: Some(Sender {
                    contact: contact.id,
                    name: m.name.clone().unwrap_or_default(),
                    address: m.email.clone().or_else(|| m.phone.clone()),
                }),
            };
            tx.push(conv.id, &TimelineItem::Message(msg))?;
            put_parts(&tx.0[PART], conv.id, MessageId(ids[4]), parts)?;
            if let Some(ext) = &ext {
                let mut v = keys::id(conv.id.0).to_vec();
                v.extend_from_slice(&keys::id(ids[4]));
                tx.0[EXT].insert(ext.as_slice(), v)?;
            }
            if let Some(c) = &m.cursor {
                advance_cursor(&tx.0[CURSOR], m.inbox_id, c)?;
            }
            if !third_party {
                conv.contact_name = contact.display_name();
            }
            tx.put_conv(old.as_ref(), &conv)?;
            Ok(Ingested {
                conversation_id: conv.id,
                conversation: Some(conv),
                message_id: MessageId(ids[4]),
                duplicate: false,
                created,
                events: events.clone(),
            })
        })
    }
}

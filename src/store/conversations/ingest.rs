//! Ingest: one inbound message, as a channel saw it, stored in one transaction with its
//! contact, conversation, lifecycle events, parts, dedupe key and mail cursor.

use super::super::attachments::{InboundParts, put_parts};
use super::super::kv::TxTree;
use super::super::leases::{Fence, fence_holds};
use super::super::{Result, Store, keys, schema};
use super::*;
use crate::domain::contact::{Contact, Identity};
use crate::domain::conversation::{
    ChannelIdentity, ContactId, Conversation, ConversationId, Event, MessageId,
};
use crate::domain::message::{Message, Sender, TimelineItem};
use crate::domain::{InboxId, Timestamp};

/// Input of `ingest`: one inbound message as a channel saw it. Every channel fills the
/// same shape; what differs between channels is only which variant of `thread` and
/// which identities it gives.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub inbox_id: InboxId,
    /// The provider's id for the message (MessageSid, wamid, Message-ID, …): ingest
    /// dedupes on (inbox, source id) in its transaction.
    pub source_id: Option<String>,
    /// Who wrote it, as the channel gave it.
    pub sender: InboundSender,
    pub content: String,
    pub at: Timestamp,
    /// The visitor token for a conversation this message may create.
    pub token: String,
    /// Which conversation it joins.
    pub thread: Thread,
    /// Where the channel's reader stands after this message (a mail folder's UID, a
    /// Telegram offset), written in the same transaction so a crash re-reads it.
    pub position: Option<Position>,
    /// Stored but must not reopen, wake or notify (auto-replies, bounces).
    pub quiet: bool,
    /// Mail only: subject and threading headers, kept on the message.
    pub mail: Option<crate::domain::message::MailMeta>,
}

/// The sender of an inbound message, as the channel knows them.
#[derive(Debug, Clone, Default)]
pub struct InboundSender {
    /// The display name the channel gave.
    pub name: Option<String>,
    /// How the channel knows them, the one replies go to first. Contacts are found by
    /// these (identifier, email, phone, handle), in this order of trust.
    pub identities: Vec<Identity>,
    /// An email address the customer only typed (website pre-chat): kept on the
    /// conversation as unconfirmed, never used to find or fill a contact.
    pub claimed_email: Option<String>,
}

impl InboundSender {
    /// A sender known by any of these: the identifier first, then email, then phone.
    pub fn of(
        name: Option<String>,
        identifier: Option<String>,
        email: Option<String>,
        phone: Option<String>,
    ) -> InboundSender {
        let identities = identifier
            .map(Identity::External)
            .into_iter()
            .chain(email.map(Identity::Email))
            .chain(phone.map(Identity::Phone))
            .collect();
        InboundSender {
            name,
            identities,
            claimed_email: None,
        }
    }

    fn first(&self, kind: &str) -> Option<String> {
        self.identities
            .iter()
            .find(|i| i.kind() == kind)
            .map(|i| i.value().to_string())
    }
    /// The email address the channel vouches for.
    pub fn email(&self) -> Option<String> {
        self.first("email")
    }
    /// The phone number, E.164.
    pub fn phone(&self) -> Option<String> {
        self.first("phone")
    }
    /// The integration's or widget's id.
    pub fn identifier(&self) -> Option<String> {
        self.first("identifier")
    }
    /// A Messenger or Telegram id.
    pub fn handle(&self) -> Option<Identity> {
        self.identities
            .iter()
            .find(|i| matches!(i, Identity::Messenger(_) | Identity::Telegram(_)))
            .cloned()
    }
}

/// Which conversation an inbound message joins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Thread {
    /// The sender's latest conversation in the inbox, else a new one.
    #[default]
    Latest,
    /// The conversation a reply names (signed Message-ID, plus-address), when it is in
    /// this inbox or one of `inboxes` (website inboxes answered by mail through this
    /// one); else as `Latest`.
    Reply {
        token: String,
        inboxes: Vec<InboxId>,
    },
    /// Always a conversation of its own (a mail without any address to reply to).
    Alone,
}

/// Where a channel's reader stands in one stream: a mail folder (epoch UIDVALIDITY,
/// offset the highest UID) or a Telegram bot (epoch 0, offset the next update id).
/// Moves forward within an epoch; a new epoch replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub stream: String,
    pub epoch: u32,
    pub offset: u64,
}

/// Reads a stored position: (epoch, offset). Positions written before offsets grew to
/// 64 bits are 8 bytes.
pub(in crate::store) fn read_position(v: &[u8]) -> Option<(u32, u64)> {
    let epoch = u32::from_be_bytes(v.get(..4)?.try_into().ok()?);
    let offset = match v.len() {
        8 => u64::from(u32::from_be_bytes(v[4..8].try_into().ok()?)),
        12 => u64::from_be_bytes(v[4..12].try_into().ok()?),
        _ => return None,
    };
    Some((epoch, offset))
}

/// Moves a position forward (a new epoch replaces it), inside a transaction.
pub(in crate::store) fn advance_position(
    t: &TxTree<'_>,
    inbox: InboxId,
    p: &Position,
) -> TxResult<()> {
    let key = cursor_key(inbox, &p.stream);
    let offset = match t.get(&key)?.as_deref().and_then(read_position) {
        Some((epoch, at)) if epoch == p.epoch => at.max(p.offset),
        _ => p.offset,
    };
    let mut v = p.epoch.to_be_bytes().to_vec();
    v.extend_from_slice(&offset.to_be_bytes());
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
    /// Stored without reopening, waking or notifying: an auto-reply or bounce, or a
    /// blocked contact's message.
    pub quiet: bool,
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
        self.ingest_claiming(m, ids, parts, fence, &[])
    }

    /// `ingest_fenced` whose message also sends `uploads` (a website visitor's files,
    /// uploaded to the conversation the message joins beforehand): each is claimed in
    /// the same transaction, and one that is not an unsent upload of that conversation
    /// aborts it with `Abort::NotFound`, writing nothing.
    pub fn ingest_claiming(
        &self,
        m: &InboundMessage,
        ids: [u64; 5],
        parts: &InboundParts,
        fence: Option<&Fence>,
        uploads: &[u64],
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
                if let Some(p) = &m.position {
                    advance_position(&tx.0[CURSOR], m.inbox_id, p)?;
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
                    quiet: true,
                });
            }
            // The contact: by identifier, then email, then phone; else a new one.
            let probe = Contact {
                id: ContactId(ids[1]),
                name: m.sender.name.clone().unwrap_or_default(),
                email: m.sender.email(),
                phone: m.sender.phone(),
                identifier: m.sender.identifier(),
                tags: vec![],
                properties: vec![],
                blocked: false,
                created_at: m.at,
                inboxes: vec![m.inbox_id],
                handles: m.sender.handle().into_iter().collect(),
                language: None,
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
                    // A channel's own id is how the channel vouches for the sender: kept
                    // whoever else knows the contact, as its lookup key is.
                    for h in &probe.handles {
                        if !c.handles.contains(h) {
                            c.handles.push(h.clone());
                        }
                    }
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
            if let Some(i) = &m.sender.identifier() {
                own_keys.push(contact_key(b'i', Some(m.inbox_id), i));
            }
            for k in own_keys {
                if tx.0[CKEY].get(&k)?.is_none() {
                    tx.0[CKEY].insert(k, keys::id(contact.id.0))?;
                }
            }
            let identity = ChannelIdentity {
                name: m.sender.name.clone().unwrap_or_default(),
                email: m.sender.email().or_else(|| m.sender.claimed_email.clone()),
                email_verified: m.sender.email().is_some(),
                phone: m.sender.phone(),
                identifier: m.sender.identifier(),
                handle: m.sender.handle(),
            };
            // The conversation: the contact's latest in this inbox, else a new one.
            let ci = keys::id_pair(contact.id.0, m.inbox_id.0);
            // A reply to one of our mails (signed Message-ID or plus-address) joins that
            // conversation, whoever sends it; otherwise the sender's latest conversation
            // in this inbox.
            let threaded = match &m.thread {
                Thread::Reply { token, inboxes } => match tx.0[TOKEN].get(token.as_bytes())? {
                    Some(v) => tx
                        .conv(ConversationId(keys::read_u64(&v).unwrap_or(0)))?
                        .filter(|c| c.inbox_id == m.inbox_id || inboxes.contains(&c.inbox_id)),
                    None => None,
                },
                Thread::Latest | Thread::Alone => None,
            };
            // Someone other than the conversation's contact writing into it: their
            // message shows as theirs and changes neither the conversation's contact
            // nor its reply address.
            let third_party = threaded
                .as_ref()
                .is_some_and(|c| c.contact_id != contact.id);
            let latest = match threaded {
                Some(c) => Some(c),
                None if m.thread == Thread::Alone => None,
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
            let mut items: Vec<TimelineItem> = events
                .iter()
                .enumerate()
                .map(|(i, e)| TimelineItem::Event(MessageId(ids[2 + i.min(1)]), e.clone()))
                .collect();
            for item in &items {
                tx.push(conv.id, item)?;
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
                    name: m.sender.name.clone().unwrap_or_default(),
                    address: m.sender.email().or_else(|| m.sender.phone()),
                }),
                whatsapp_template: None,
            };
            let msg = TimelineItem::Message(msg);
            tx.push(conv.id, &msg)?;
            items.push(msg);
            put_parts(&tx.0[PART], conv.id, MessageId(ids[4]), parts)?;
            for &u in uploads {
                tx.claim(conv.id, u, MessageId(ids[4]))?;
            }
            if let Some(ext) = &ext {
                let mut v = keys::id(conv.id.0).to_vec();
                v.extend_from_slice(&keys::id(ids[4]));
                tx.0[EXT].insert(ext.as_slice(), v)?;
            }
            if let Some(p) = &m.position {
                advance_position(&tx.0[CURSOR], m.inbox_id, p)?;
            }
            if !third_party {
                conv.contact_name = contact.display_name();
            }
            tx.put_conv(old.as_ref(), &conv, &items)?;
            Ok(Ingested {
                conversation_id: conv.id,
                conversation: Some(conv),
                message_id: MessageId(ids[4]),
                duplicate: false,
                created,
                events: events.clone(),
                quiet: contact.blocked || m.quiet,
            })
        })
    }
}

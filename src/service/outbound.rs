//! Where replies go. A conversation an agent starts ("New message") keeps the address
//! it was started to; every conversation's mail goes only to its own address, and an
//! address a visitor merely typed waits for an agent to confirm it.

use super::conversations::NewOutbound;
use super::{Result, ServiceError, Services, random_token};
use crate::domain::Agent;
use crate::domain::conversation::{self as conv, Actor, Conversation, ConversationId, MessageId};
use crate::domain::message::{Message, TimelineItem};
use crate::store::{Change, Job, Via};

/// The address a mail reply in conversation `c` goes to: its own, fixed when it started,
/// and only once confirmed when the visitor merely typed it. `email_channel`: `c` is a
/// conversation of an email inbox, where no address means the mail that started it had
/// none (`"Facebook" <>`): said so, rather than a generic refusal.
pub(super) fn reply_email(c: &Conversation, email_channel: bool) -> Result<String> {
    match c.identity.reply_email() {
        Ok(e) => Ok(e.to_string()),
        Err(conv::ReplyAddressError::None) if email_channel => Err(ServiceError::Conflict(
            "this mail came without an address to reply to (no usable From, Reply-To, Sender or Return-Path)",
        )),
        Err(conv::ReplyAddressError::None) => Err(ServiceError::Conflict(
            "this conversation has no email address to reply to",
        )),
        Err(conv::ReplyAddressError::Unconfirmed) => Err(ServiceError::Conflict(
            "the visitor typed this email address and nobody has confirmed it yet: confirm it first (it may not be theirs)",
        )),
    }
}

impl Services {
    /// Starts a conversation with a phone number or email address in an inbox the actor
    /// belongs to, with a first outgoing message.
    pub async fn start_conversation(&self, actor: &Agent, n: NewOutbound) -> Result<Conversation> {
        let dir = self.directory();
        let inbox = dir
            .inbox(n.inbox)
            .filter(|i| i.visible_to(actor))
            .ok_or(ServiceError::NotFound)?
            .clone();
        let mail = inbox.channel == crate::domain::ChannelKind::Email;
        if mail && !n.to.contains('@') {
            return Err(crate::domain::validate::Invalid {
                field: "to",
                reason: "an email inbox writes to an email address".into(),
            }
            .into());
        }
        let content = self.content(&n.content)?;
        let to = n.to.trim();
        let kind = inbox.channel;
        let channel = inbox.messaging.is_some();
        if kind == crate::domain::ChannelKind::Website {
            return Err(ServiceError::Conflict(
                "a website chat cannot start a conversation: visitors write first (use an email or SMS inbox)",
            ));
        }
        if channel {
            let caps = self.capabilities(&inbox).ok_or(ServiceError::Conflict(
                "this inbox's provider settings cannot be read",
            ))?;
            if !caps.can_start {
                return Err(ServiceError::Conflict(
                    "this channel cannot start a conversation: the customer writes first",
                ));
            }
            if caps.window.is_some() && !caps.templates {
                return Err(ServiceError::Conflict(
                    "this channel can start a conversation only with an approved template",
                ));
            }
            if caps.window.is_some() {
                // A new contact has never written: the window is closed from the start.
                return Err(ServiceError::WindowClosed(
                    "a new WhatsApp conversation can start only with an approved template (templates arrive with the composer)".into(),
                ));
            }
            if content.chars().count() > caps.max_text {
                return Err(ServiceError::TooLong(caps.max_text));
            }
        }
        let (email, phone) = if channel {
            if to.contains('@') {
                return Err(crate::domain::validate::Invalid {
                    field: "to",
                    reason: format!(
                        "{} writes to phone numbers, not to email addresses",
                        inbox.channel.label()
                    ),
                }
                .into());
            }
            (None, Some(crate::domain::contact::e164("to", to)?))
        } else if to.contains('@') {
            (
                Some(crate::domain::validate::email(to).map_err(|mut i| {
                    i.field = "to";
                    i
                })?),
                None,
            )
        } else {
            (
                None,
                crate::domain::contact::phone(Some(to)).map_err(|mut i| {
                    i.field = "to";
                    i
                })?,
            )
        };
        // The conversation keeps the address it was started to: replies go there
        // whatever the contact's record says later.
        let identity = conv::ChannelIdentity {
            email: email.clone(),
            email_verified: email.is_some(),
            phone: phone.clone(),
            ..conv::ChannelIdentity::default()
        };
        let contact = self.find_or_create_contact(email, phone).await?;
        let now = self.clock.now();
        let (c, events) = Conversation::start(
            ConversationId(self.store.generate_id()?),
            inbox.id,
            contact.id,
            contact.display_name(),
            random_token(16),
            identity,
            now,
        );
        let mut c = c;
        let ev_id = self.store.generate_id()?;
        let mut items: Vec<TimelineItem> = events
            .into_iter()
            .map(|mut e| {
                e.actor = Actor::Agent(actor.id);
                TimelineItem::Event(MessageId(ev_id), e)
            })
            .collect();
        let mut more = c.on_reply(actor.id, &content, now);
        let ev2 = self.store.generate_id()?;
        items.extend(
            more.drain(..)
                .map(|e| TimelineItem::Event(MessageId(ev2), e)),
        );
        let msg_id = MessageId(self.store.generate_id()?);
        let webhook = inbox.webhook_url.is_some() || mail || channel;
        let mut first = Message::outgoing(msg_id, c.id, actor.id, content, now, false, webhook);
        if mail {
            // A new mail starts its own thread: its subject as given, not "Re: …".
            first.email = Some(crate::domain::message::MailMeta {
                subject: n
                    .subject
                    .clone()
                    .unwrap_or_else(|| format!("Your message from {}", inbox.name)),
                ..Default::default()
            });
        }
        items.push(TimelineItem::Message(first));
        let via = match (mail, channel) {
            (true, _) => Via::Email,
            (false, true) => Via::Channel,
            (false, false) => Via::Webhook,
        };
        let job = match webhook {
            true => Some(Job::send(
                self.store.generate_id()?,
                via,
                inbox.id,
                c.id,
                msg_id,
                now,
            )),
            false => None,
        };
        c.agent_replied = true;
        let has_job = job.is_some();
        self.store.insert_conversation(
            &c,
            &Change {
                items,
                job,
                ..Change::default()
            },
        )?;
        self.store.durable().await?;
        self.publish(&c);
        if has_job {
            self.outbox_ready.notify_one();
        }
        Ok(c)
    }

    /// Confirms the email address a website visitor typed, so replies and transcripts
    /// may be mailed to it (recorded in the timeline).
    pub async fn confirm_email(&self, actor: &Agent, id: ConversationId) -> Result<Conversation> {
        let c = self.conversation_for(actor, id)?;
        if c.identity.email.is_none() {
            return Err(ServiceError::Conflict(
                "this conversation has no email address to confirm",
            ));
        }
        let (now, by) = (self.clock.now(), Actor::Agent(actor.id));
        self.record_events(id, |c| Ok(c.confirm_email(by.clone(), now)))
            .await
    }
}

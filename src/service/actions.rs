//! Changes to conversations: ingest from the API inbox, replies and notes, assignment,
//! status changes, read state, deletion, delivery statuses and snooze wake-ups. Each is one store transaction, made durable
//! before it returns, and published on the live bus after.

use super::conversations::{ApiIncoming, StatusChange};
use super::{Live, Result, ServiceError, Services, from_store, random_token};
use crate::domain::contact::Identity;
use crate::domain::conversation::{
    self as conv, Actor, Conversation, ConversationId, MessageId, RuleError,
};
use crate::domain::message::{DeliveryStatus, Direction, Message, TimelineItem};
use crate::domain::validate::Invalid;
use crate::domain::{Agent, AgentId, ChannelKind, InboxId, TeamId};
use crate::store::{Abort, Change, InboundMessage, InboundSender, Ingested, Thread};

fn rule(e: RuleError) -> Abort {
    Abort::Rule(e)
}

impl Services {
    /// `POST /api/v1/inboxes/{id}/incoming`: authenticates the inbox token and stores the
    /// message durably before answering.
    pub async fn ingest_api(
        &self,
        inbox_id: InboxId,
        token: &str,
        m: ApiIncoming,
    ) -> Result<Ingested> {
        self.api_inbox(inbox_id, token)?;
        let content = self.content(&m.content)?;
        let source_id = m
            .source_id
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if source_id.as_ref().is_some_and(|s| s.len() > 500) {
            return Err(Invalid {
                field: "source_id",
                reason: "must be at most 500 bytes".into(),
            }
            .into());
        }
        let email = match m.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(crate::domain::validate::email(e).map_err(|mut i| {
                i.field = "contact.email";
                i
            })?),
            None => None,
        };
        let phone = crate::domain::contact::phone(m.phone.as_deref()).map_err(|mut i| {
            i.field = "contact.phone";
            i
        })?;
        let identifier =
            crate::domain::contact::optional("contact.identifier", m.identifier.as_deref(), 500)?;
        let name = crate::domain::contact::optional(
            "contact.name",
            m.name.as_deref(),
            crate::domain::contact::NAME_MAX,
        )?;
        if identifier.is_none() && email.is_none() && phone.is_none() && source_id.is_none() {
            return Err(Invalid {
                field: "contact",
                reason: "needs an identifier, email or phone".into(),
            }
            .into());
        }
        let msg = InboundMessage {
            inbox_id,
            source_id,
            sender: InboundSender {
                name,
                identities: identifier
                    .or_else(|| email.clone())
                    .or_else(|| phone.clone())
                    .map(Identity::External)
                    .into_iter()
                    .chain(email.map(Identity::Email))
                    .chain(phone.map(Identity::Phone))
                    .collect(),
                claimed_email: None,
            },
            content,
            at: self.clock.now(),
            token: random_token(16),
            thread: Thread::Latest,
            position: None,
            quiet: false,
            mail: None,
        };
        let r = self.ingest_durably(msg, ChannelKind::Api).await?;
        if !r.duplicate
            && let Some(c) = &r.conversation
        {
            self.publish(c);
            self.notify_ingested(&r);
        }
        Ok(r)
    }

    /// The five ids an ingest may need (conversation, contact, events, message).
    pub(super) fn ingest_ids(&self) -> Result<[u64; 5]> {
        Ok([
            self.store.generate_id()?,
            self.store.generate_id()?,
            self.store.generate_id()?,
            self.store.generate_id()?,
            self.store.generate_id()?,
        ])
    }

    /// Stores an inbound message of a `channel` inbox off the async workers and waits
    /// until it is durable.
    pub(super) async fn ingest_durably(
        &self,
        msg: InboundMessage,
        channel: ChannelKind,
    ) -> Result<Ingested> {
        let ids = self.ingest_ids()?;
        self.ingest_durably_with(msg, ids, Default::default(), vec![], channel)
            .await
    }

    /// [`ingest_durably`](Self::ingest_durably) with fresh `ids`, the message's `parts`,
    /// and the `uploads` it claims in its transaction (a website visitor's files).
    pub(super) async fn ingest_durably_with(
        &self,
        msg: InboundMessage,
        ids: [u64; 5],
        parts: crate::store::InboundParts,
        uploads: Vec<u64>,
        channel: ChannelKind,
    ) -> Result<Ingested> {
        let store = self.store.clone();
        let r = tokio::task::spawn_blocking(move || {
            store.ingest_claiming(&msg, ids, &parts, None, &uploads)
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(from_store)?;
        self.store.durable().await?;
        self.count_ingested(&r, channel);
        Ok(r)
    }

    /// Counts a stored message for `/metrics` (a duplicate is not a new message).
    pub(super) fn count_ingested(&self, r: &Ingested, channel: ChannelKind) {
        if !r.duplicate {
            self.metrics.ingested(channel);
        }
    }

    /// The API inbox behind `token`, checked in constant time.
    pub fn api_inbox(&self, inbox_id: InboxId, token: &str) -> Result<crate::domain::Inbox> {
        let dir = self.directory();
        let inbox = dir.inbox(inbox_id).ok_or(ServiceError::NotFound)?;
        let expected = inbox.api_token.as_deref().unwrap_or("");
        let same = !expected.is_empty()
            && expected.len() == token.len()
            && expected
                .bytes()
                .zip(token.bytes())
                .fold(0u8, |a, (x, y)| a | (x ^ y))
                == 0;
        if same {
            Ok(inbox.clone())
        } else {
            Err(ServiceError::BadCredentials)
        }
    }

    /// When `agent` is given, assigns to that agent (or nobody); when `team` is given,
    /// moves to that team (or out of any). The agent must be able to see the inbox.
    pub async fn assign(
        &self,
        actor: &Agent,
        id: ConversationId,
        agent: Option<Option<AgentId>>,
        team: Option<Option<TeamId>>,
    ) -> Result<Conversation> {
        let c = self.conversation_for(actor, id)?;
        let dir = self.directory();
        let inbox = dir.inbox(c.inbox_id).ok_or(ServiceError::NotFound)?;
        if let Some(Some(a)) = agent {
            let ok = dir
                .agent(a)
                .is_some_and(|ag| ag.active && inbox.visible_to(ag));
            if !ok {
                return Err(Invalid {
                    field: "agent_id",
                    reason: "is not an active member of this inbox".into(),
                }
                .into());
            }
        }
        if let Some(Some(t)) = team
            && dir.team(t).is_none()
        {
            return Err(Invalid {
                field: "team_id",
                reason: "no such team".into(),
            }
            .into());
        }
        let ids = [self.store.generate_id()?, self.store.generate_id()?];
        let now = self.clock.now();
        let by = Actor::Agent(actor.id);
        let (conv, _) = self
            .store
            .update_conversation(id, |c| {
                let mut events = match agent {
                    Some(a) => c.assign(by.clone(), a, now),
                    None => vec![],
                };
                if let Some(t) = team {
                    events.extend(c.set_team(by.clone(), t, now));
                }
                let items = events
                    .into_iter()
                    .zip(ids)
                    .map(|(e, i)| TimelineItem::Event(MessageId(i), e))
                    .collect();
                Ok(Change {
                    items,
                    ..Change::default()
                })
            })
            .map_err(from_store)?;
        self.store.durable().await?;
        self.publish(&conv);
        Ok(conv)
    }

    /// Opens, closes (with an optional note) or snoozes a conversation.
    pub async fn change_status(
        &self,
        actor: &Agent,
        id: ConversationId,
        to: StatusChange,
    ) -> Result<Conversation> {
        self.conversation_for(actor, id)?;
        if let StatusChange::Closed { note: Some(n) } = &to
            && n.chars().count() > self.settings.max_message_chars
        {
            return Err(ServiceError::TooLong(self.settings.max_message_chars));
        }
        let now = self.clock.now();
        let by = Actor::Agent(actor.id);
        self.record_events(id, |c| {
            match &to {
                StatusChange::Open => c.reopen(by.clone(), now),
                StatusChange::Closed { note } => c.close(by.clone(), note.clone(), now),
                StatusChange::Snoozed { until } => c.snooze(by.clone(), *until, now),
            }
            .map_err(rule)
        })
        .await
    }

    /// Applies a lifecycle rule to a conversation and records the events it returns in
    /// its timeline, durably, then tells the live pages.
    pub(super) async fn record_events(
        &self,
        id: ConversationId,
        rule: impl Fn(&mut Conversation) -> std::result::Result<Vec<conv::Event>, Abort>,
    ) -> Result<Conversation> {
        let ev = self.store.generate_id()?;
        let (conv, _) = self
            .store
            .update_conversation(id, |c| {
                let items = rule(c)?
                    .into_iter()
                    .map(|e| TimelineItem::Event(MessageId(ev), e))
                    .collect();
                Ok(Change {
                    items,
                    ..Change::default()
                })
            })
            .map_err(from_store)?;
        self.store.durable().await?;
        self.publish(&conv);
        Ok(conv)
    }

    /// Marks a conversation unread (or read up to now) for `actor` only.
    pub async fn set_read(&self, actor: &Agent, id: ConversationId, read: bool) -> Result<()> {
        let c = self.conversation_for(actor, id)?;
        self.store
            .set_read(actor.id, id, read.then(|| self.clock.now()))?;
        self.store.durable().await?;
        // Read state is per agent: only this agent's lists change.
        self.live.publish(Live::ReadState {
            agent: actor.id,
            id: c.id,
        });
        Ok(())
    }

    /// Deletes a conversation (admins only; audit-logged).
    pub async fn delete_conversation(&self, actor: &Agent, id: ConversationId) -> Result<()> {
        // Out of reach is 404 for everyone; in reach but not an admin is 403.
        let c = self.conversation_for(actor, id)?;
        Self::require_admin(actor)?;
        let audit = self.audit(
            Some(actor),
            "conversation.delete",
            format!("conversation #{id} with {}", c.contact_name),
            String::new(),
        )?;
        self.store
            .delete_conversation(id, &audit)
            .map_err(from_store)?;
        self.store.durable().await?;
        self.publish(&c);
        Ok(())
    }

    /// A delivery-status callback for an API inbox message, by message id or the
    /// provider's source id. Statuses only move forward.
    pub async fn message_status(
        &self,
        inbox_id: InboxId,
        token: &str,
        message_id: Option<MessageId>,
        source_id: Option<&str>,
        status: DeliveryStatus,
        error: Option<String>,
    ) -> Result<Message> {
        self.api_inbox(inbox_id, token)?;
        let (conv_id, msg_id) = match (message_id, source_id) {
            (Some(m), _) => (
                self.store
                    .conversation_of_message(m)?
                    .ok_or(ServiceError::NotFound)?,
                m,
            ),
            (None, Some(s)) => self
                .store
                .message_by_source(inbox_id, s)?
                .ok_or(ServiceError::NotFound)?,
            (None, None) => {
                return Err(Invalid {
                    field: "message_id",
                    reason: "give message_id or source_id".into(),
                }
                .into());
            }
        };
        let c = self
            .store
            .conversation(conv_id)?
            .ok_or(ServiceError::NotFound)?;
        if c.inbox_id != inbox_id {
            return Err(ServiceError::NotFound);
        }
        let now = self.clock.now();
        let changed = self
            .store
            .update_message(conv_id, msg_id, |m| {
                m.direction == Direction::Outbound && m.advance(status, error.clone(), now)
            })
            .map_err(from_store)?;
        self.store.durable().await?;
        if changed.is_some() {
            self.publish(&c);
        }
        self.store
            .message(conv_id, msg_id)?
            .ok_or(ServiceError::NotFound)
    }

    /// Wakes snoozed conversations whose time has come (timer worker); returns how many.
    pub async fn wake_due(&self) -> Result<usize> {
        let now = self.clock.now();
        let due = self.store.due_wakes(now, 500)?;
        let mut n = 0;
        for id in due {
            let ev = self.store.generate_id()?;
            let r = self.store.update_conversation(id, |c| {
                let items = c
                    .wake_if_due(now)
                    .into_iter()
                    .map(|e| TimelineItem::Event(MessageId(ev), e))
                    .collect();
                Ok(Change {
                    items,
                    ..Change::default()
                })
            });
            match r {
                Ok((c, _)) => {
                    n += 1;
                    self.publish(&c);
                }
                Err(crate::store::StoreError::Abort(Abort::NotFound)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if n > 0 {
            self.store.durable().await?;
        }
        Ok(n)
    }
}

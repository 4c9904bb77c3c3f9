//! Sending with care: replies scheduled for later ("send later"), kept in the store
//! with a due job in the durable queue and turned into a normal reply through
//! [`Services::send`] at their time; and the conflict guard, which stops a send when the
//! customer or a colleague wrote after the agent started typing.

use super::{Draft, Result, ServiceError, Services, from_store};
use crate::domain::conversation::{Conversation, ConversationId, MessageId, SnoozePreset};
use crate::domain::message::{Direction, Message, TimelineItem};
use crate::domain::validate::Invalid;
use crate::domain::{Agent, AgentId, ChannelKind, Inbox, Timestamp};
use crate::store::{Abort, Fence, Job, JobKind, Scheduled, StoreError};

/// What a send from the composer did.
#[derive(Debug)]
pub enum Sent {
    /// Sent (or added, for a note) now.
    Message(Box<Message>),
    /// Kept to be sent at its time.
    Scheduled(Scheduled),
    /// Nothing was sent: these messages arrived after what the agent had seen (oldest
    /// first). Send again with `force`, or edit.
    Newer(Vec<Message>),
}

/// The refusal of a time past the end of the messaging window; what follows is the
/// window's end (RFC 3339), for the catalog's message.
pub const PAST_WINDOW: &str = "is after the messaging window closes, at ";
/// A WhatsApp approved template goes as a template message, which is sent at once.
pub const WA_TEMPLATE_NOW: &str =
    "an approved WhatsApp template is sent at once: it cannot be scheduled";
/// Files go with a reply sent now.
pub const FILES_NOW: &str =
    "files are sent with a reply sent now: a scheduled reply cannot carry them yet";

/// A send-later preset in the agent's time zone: `one_hour`, `tomorrow` (09:00) or
/// `monday` (next Monday 09:00).
pub fn send_at_preset(name: &str, now: Timestamp, tz: &jiff::tz::TimeZone) -> Option<Timestamp> {
    let preset = match name {
        "one_hour" => SnoozePreset::OneHour,
        "tomorrow" => SnoozePreset::Tomorrow,
        "monday" => SnoozePreset::NextWeek,
        _ => return None,
    };
    Some(crate::domain::conversation::snooze_until(preset, now, tz))
}

/// The messages of `items` (newest first, as the timeline reads) that came after `seen`
/// and that `me` did not write, oldest first: the customer's, and colleagues' replies
/// and notes. `seen_at` is when `seen` was written (ids from several nodes are not in
/// time order); unknown, ids decide.
fn newer(
    items: Vec<TimelineItem>,
    seen: u64,
    seen_at: Option<Timestamp>,
    me: AgentId,
) -> Vec<Message> {
    let mut v: Vec<Message> = items
        .into_iter()
        .filter_map(|i| match i {
            TimelineItem::Message(m) => Some(m),
            TimelineItem::Event(..) => None,
        })
        .filter(|m| m.id.0 != seen)
        .filter(|m| match seen_at {
            Some(t) => m.created_at > t || (m.created_at == t && m.id.0 > seen),
            None => m.id.0 > seen,
        })
        .filter(|m| m.direction == Direction::Inbound || m.author != Some(me))
        .collect();
    v.sort_by_key(|m| (m.created_at, m.id.0));
    v
}

impl Services {
    /// Undo send: how long the agent's replies wait for an "Undo" in the browser
    /// (0 to [`MAX_UNDO_SEND_SECS`](crate::domain::account::MAX_UNDO_SEND_SECS) seconds;
    /// 0 sends at once).
    pub async fn update_undo_send(&self, actor: &Agent, secs: u32) -> Result<Agent> {
        let max = crate::domain::account::MAX_UNDO_SEND_SECS;
        if secs > max {
            return Err(Invalid {
                field: "undo_send_secs",
                reason: format!("must be at most {max}"),
            }
            .into());
        }
        let mut agent = self.store.agent(actor.id)?.ok_or(ServiceError::NotFound)?;
        agent.undo_send_secs = secs;
        self.store.update_agent(&agent, None).map_err(from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(agent)
    }

    /// The composer's send: scheduled when the draft has `send_at`, held back when
    /// something newer than its `seen` arrived (unless `force`), else sent now.
    pub async fn submit(&self, actor: &Agent, id: ConversationId, draft: Draft) -> Result<Sent> {
        if draft.send_at.is_some() {
            return self.schedule(actor, id, draft).await.map(Sent::Scheduled);
        }
        if let (Some(seen), false) = (draft.seen, draft.force) {
            let newer = self.newer_than(actor, id, seen)?;
            if !newer.is_empty() {
                return Ok(Sent::Newer(newer));
            }
        }
        self.send(actor, id, draft)
            .await
            .map(|m| Sent::Message(Box::new(m)))
    }

    /// Messages of conversation `id` newer than timeline item `seen` that `actor` did
    /// not write (the conflict guard; one page of the timeline, newest first).
    pub fn newer_than(&self, actor: &Agent, id: ConversationId, seen: u64) -> Result<Vec<Message>> {
        self.conversation_for(actor, id)?;
        let seen_at = self
            .store
            .message(id, MessageId(seen))?
            .map(|m| m.created_at);
        let (items, _) = self.store.timeline_page(id, None, 50)?;
        Ok(newer(items, seen, seen_at, actor.id))
    }

    /// Checks that a reply of `content` may be sent in `c` at `at`: a reply (notes are
    /// added at once), in the future, and, on a channel with a messaging window, while
    /// the window is open now and still open then.
    fn check_schedule(
        &self,
        c: &Conversation,
        inbox: &Inbox,
        content: &str,
        private: bool,
        by_email: bool,
        at: Timestamp,
    ) -> Result<String> {
        let content = self.content(content)?;
        if !private {
            super::saved::check_filled(&content)?;
        }
        if private {
            return Err(Invalid {
                field: "send_at",
                reason: "only replies can be scheduled; a note is added at once".into(),
            }
            .into());
        }
        if at <= self.clock.now() {
            return Err(Invalid {
                field: "send_at",
                reason: "must be in the future".into(),
            }
            .into());
        }
        if inbox.channel == ChannelKind::Email {
            super::outbound::reply_email(c, true)?;
        }
        if inbox.messaging.is_some() && !by_email {
            self.check_can_reply(inbox, c, &content, 0)?;
            if let Some(end) = self.window(inbox, c).closes_at.filter(|end| at > *end) {
                return Err(Invalid {
                    field: "send_at",
                    reason: format!("{PAST_WINDOW}{}", crate::web_time(end)),
                }
                .into());
            }
        }
        Ok(content)
    }

    /// Keeps `draft` (a reply with `send_at`) to be sent at its time.
    pub async fn schedule(
        &self,
        actor: &Agent,
        id: ConversationId,
        draft: Draft,
    ) -> Result<Scheduled> {
        let c = self.conversation_for(actor, id)?;
        let inbox = self
            .directory()
            .inbox(c.inbox_id)
            .ok_or(ServiceError::NotFound)?
            .clone();
        let at = draft.send_at.ok_or(Invalid {
            field: "send_at",
            reason: "is required".into(),
        })?;
        // A template is scheduled as its final text (and subject), filled now: what the
        // agent sees listed is what goes.
        let (text, subject) = match &draft.template {
            None => (draft.content.clone(), None),
            Some(_) if !draft.content.trim().is_empty() => {
                return Err(Invalid {
                    field: "content",
                    reason: "must be empty when a template is sent".into(),
                }
                .into());
            }
            Some(t) => {
                let r = self.render_template(actor, &c, t)?;
                if r.whatsapp.is_some() {
                    return Err(ServiceError::Conflict(WA_TEMPLATE_NOW));
                }
                (r.text, r.subject)
            }
        };
        if !draft.attachments.is_empty() {
            return Err(ServiceError::Conflict(FILES_NOW));
        }
        let content = self.check_schedule(&c, &inbox, &text, draft.private, draft.by_email, at)?;
        let s = Scheduled {
            id: self.store.generate_id()?,
            conversation_id: id,
            author: actor.id,
            content,
            by_email: draft.by_email,
            send_at: at,
            created_at: self.clock.now(),
            failed: None,
            subject,
        };
        self.store.put_scheduled(&s, None).map_err(from_store)?;
        self.store.durable().await?;
        self.publish(&c);
        Ok(s)
    }

    /// A conversation's scheduled replies, soonest first (failed ones included).
    pub fn scheduled_replies(&self, actor: &Agent, id: ConversationId) -> Result<Vec<Scheduled>> {
        self.conversation_for(actor, id)?;
        Ok(self.store.scheduled_of(id)?)
    }

    /// Changes a scheduled reply's text and/or time (checked as when it was
    /// scheduled); a failed one is queued again.
    pub async fn edit_scheduled(
        &self,
        actor: &Agent,
        id: ConversationId,
        sid: u64,
        content: Option<String>,
        send_at: Option<Timestamp>,
    ) -> Result<Scheduled> {
        let c = self.conversation_for(actor, id)?;
        let inbox = self
            .directory()
            .inbox(c.inbox_id)
            .ok_or(ServiceError::NotFound)?
            .clone();
        let old = self
            .store
            .scheduled(id, sid)?
            .ok_or(ServiceError::NotFound)?;
        let content = content.unwrap_or_else(|| old.content.clone());
        let at = send_at.unwrap_or(old.send_at);
        let content = self.check_schedule(&c, &inbox, &content, false, old.by_email, at)?;
        let new = Scheduled {
            content,
            send_at: at,
            failed: None,
            ..old.clone()
        };
        self.store
            .put_scheduled(&new, Some(&old))
            .map_err(from_store)?;
        self.store.durable().await?;
        self.publish(&c);
        Ok(new)
    }

    /// Cancels a scheduled reply (or dismisses one that failed).
    pub async fn cancel_scheduled(
        &self,
        actor: &Agent,
        id: ConversationId,
        sid: u64,
    ) -> Result<Scheduled> {
        let c = self.conversation_for(actor, id)?;
        let s = self.store.remove_scheduled(id, sid).map_err(from_store)?;
        self.store.durable().await?;
        self.publish(&c);
        Ok(s)
    }

    /// A scheduled reply's job came due (the outbox sender, under its `fence`): it
    /// becomes its author's reply through [`Services::send`], in the transaction that
    /// takes the job, or, when it cannot go (the messaging window closed meanwhile, the
    /// author left), it is marked failed with the reason, for the agents to see.
    pub(super) async fn send_scheduled(&self, job: &Job, fence: Option<&Fence>) -> Result<()> {
        let JobKind::Scheduled {
            conversation_id,
            scheduled_id,
        } = job.kind
        else {
            return Ok(());
        };
        let gone = |e: StoreError| match e {
            StoreError::Abort(Abort::NotFound) => Ok(()),
            e => Err(ServiceError::from(e)),
        };
        let Some(s) = self.store.scheduled(conversation_id, scheduled_id)? else {
            // Cancelled as it came due: its job goes too.
            return self.store.reschedule_job(job, None, fence).or_else(gone);
        };
        let author = self.store.agent(s.author)?.filter(|a| a.active);
        let result = match author {
            Some(a) => {
                let draft = Draft {
                    content: s.content.clone(),
                    by_email: s.by_email,
                    subject: s.subject.clone(),
                    claim: Some((job.clone(), fence.cloned())),
                    ..Draft::default()
                };
                self.send(&a, conversation_id, draft).await.map(|_| ())
            }
            None => Err(ServiceError::Conflict(
                "the agent who wrote it can no longer send in this inbox",
            )),
        };
        match result {
            Ok(()) => Ok(()),
            // Another sender wrote it, or this one lost the outbox: nothing to record.
            Err(ServiceError::NotFound)
                if self
                    .store
                    .scheduled(conversation_id, scheduled_id)?
                    .is_none() =>
            {
                Ok(())
            }
            Err(e @ ServiceError::Store(StoreError::Abort(Abort::LeaseLost))) => Err(e),
            Err(e) => {
                tracing::info!(conversation = conversation_id.0, error = %e, "a scheduled reply was not sent");
                self.store
                    .fail_scheduled(job, &e.to_string(), fence)
                    .or_else(gone)?;
                self.store.durable().await?;
                if let Ok(Some(c)) = self.store.conversation(conversation_id) {
                    self.publish(&c);
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: u64, at: i64, dir: Direction, author: Option<u64>) -> TimelineItem {
        let mut m = Message::outgoing(
            MessageId(id),
            ConversationId(1),
            AgentId(author.unwrap_or(0)),
            format!("m{id}"),
            Timestamp(at),
            dir == Direction::Note,
            false,
        );
        m.direction = dir;
        m.author = author.map(AgentId);
        TimelineItem::Message(m)
    }

    #[test]
    fn newer_keeps_what_others_wrote_after_seen_oldest_first() {
        let me = AgentId(7);
        let items = vec![
            msg(15, 500, Direction::Outbound, Some(7)),
            msg(14, 400, Direction::Note, Some(8)),
            msg(13, 300, Direction::Inbound, None),
            msg(12, 200, Direction::Inbound, None),
            msg(11, 100, Direction::Inbound, None),
        ];
        let ids = |v: Vec<Message>| v.iter().map(|m| m.id.0).collect::<Vec<_>>();
        assert_eq!(
            ids(newer(items.clone(), 12, Some(Timestamp(200)), me)),
            [13, 14]
        );
        assert!(newer(items.clone(), 14, Some(Timestamp(400)), me).is_empty());
        // An id from another node: its time decides.
        assert_eq!(
            ids(newer(items.clone(), 99, Some(Timestamp(350)), me)),
            [14]
        );
        assert_eq!(ids(newer(items, 12, None, me)), [13, 14]);
    }

    #[test]
    fn presets_land_in_the_agents_zone() {
        let tz = crate::i18n::timezone("Europe/Madrid").unwrap();
        // 2026-11-30 10:00 UTC = 11:00 in Madrid, a Monday.
        let now = Timestamp(1_796_032_800_000);
        assert_eq!(
            send_at_preset("one_hour", now, &tz),
            Some(now.plus_secs(3600))
        );
        // Tomorrow 09:00 Madrid = 08:00 UTC.
        assert_eq!(
            send_at_preset("tomorrow", now, &tz),
            Some(Timestamp(1_796_032_800_000 + 22 * 3_600_000))
        );
        // Next Monday 09:00 Madrid.
        assert_eq!(
            send_at_preset("monday", now, &tz),
            Some(Timestamp(1_796_032_800_000 + (7 * 24 - 2) * 3_600_000))
        );
        assert_eq!(send_at_preset("later", now, &tz), None);
    }
}

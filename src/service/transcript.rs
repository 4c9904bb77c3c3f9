//! "Send transcript": the conversation so far, mailed to the contact (seed 004). It is
//! recorded as a message flagged `transcript` whose delivery goes through the durable
//! outbox like any mail reply (pending → sent, or failed with the server's words); the
//! mail itself is built from the timeline when it is sent.

use super::{Result, ServiceError, Services, from_store};
use crate::domain::conversation::{ConversationId, MessageId};
use crate::domain::message::{Message, TimelineItem};
use crate::domain::{Agent, ChannelKind};
use crate::store::{Change, Job};

impl Services {
    /// Queues the transcript of conversation `id` to its contact's email address, through
    /// the inbox's mailbox (an email inbox's own; a website inbox's reply email inbox).
    pub async fn send_transcript(&self, actor: &Agent, id: ConversationId) -> Result<Message> {
        let c = self.conversation_for(actor, id)?;
        let dir = self.directory();
        let inbox = dir.inbox(c.inbox_id).ok_or(ServiceError::NotFound)?;
        let mail_inbox = match inbox.channel {
            ChannelKind::Email => inbox.id,
            ChannelKind::Website => inbox
                .website
                .as_ref()
                .and_then(|w| w.reply_email_inbox)
                .ok_or(ServiceError::Conflict(
                    "this website inbox has no email inbox to send through (see its settings)",
                ))?,
            ChannelKind::Api
            | ChannelKind::WhatsApp
            | ChannelKind::Sms
            | ChannelKind::Messenger
            | ChannelKind::Telegram => {
                return Err(ServiceError::Conflict(
                    "transcripts go by email: only email and website chat conversations have one",
                ));
            }
        };
        let to = super::outbound::reply_email(&c, inbox.channel == ChannelKind::Email)?;
        let (msg_id, job_id) = (self.store.generate_id()?, self.store.generate_id()?);
        let now = self.clock.now();
        let mut msg = Message::outgoing(
            MessageId(msg_id),
            id,
            actor.id,
            format!("Transcript emailed to {to}"),
            now,
            false,
            true,
        );
        msg.transcript = true;
        msg.via_email = true;
        self.store
            .update_conversation(id, |_| {
                Ok(Change {
                    items: vec![TimelineItem::Message(msg.clone())],
                    job: Some(Job::delivery(
                        job_id,
                        true,
                        mail_inbox,
                        id,
                        MessageId(msg_id),
                        now,
                    )),
                    mentions: vec![],
                    audit: None,
                })
            })
            .map_err(from_store)?;
        self.store.durable().await?;
        self.outbox_ready.notify_one();
        self.publish(&c);
        Ok(msg)
    }
}

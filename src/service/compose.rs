//! The composer's use-cases: an agent's reply or note, as one [`Draft`], checked against
//! the conversation's channel (mail, messaging window, webhook) and stored with the
//! outbox job that delivers it in one transaction.

use super::{Result, ServiceError, Services, from_store};
use crate::domain::conversation::{self as conv, ConversationId, MessageId};
use crate::domain::message::{Message, TimelineItem};
use crate::domain::{Agent, AgentId};
use crate::store::{Change, Job, Via};

/// What an agent sends: a reply to the contact or an internal note, and how it goes.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The text as typed.
    pub content: String,
    /// An internal note: agents only, never sent.
    pub private: bool,
    /// Website chats: the reply goes by mail (the visitor is offline) through the
    /// inbox's reply email inbox, threaded so that the answer comes back here.
    pub by_email: bool,
    /// Send later: store it as a scheduled reply due then (see `service::scheduled`);
    /// `None` sends now.
    pub send_at: Option<crate::domain::Timestamp>,
    /// Conflict guard: the newest timeline item the agent had seen when they started
    /// typing; with it, a newer message from the customer or a colleague stops the send
    /// (unless `force`) so the agent sees it first.
    pub seen: Option<u64>,
    /// Send although something newer than `seen` arrived.
    pub force: bool,
    /// A scheduled reply coming due: its job, taken in the transaction that writes the
    /// message (exactly once), under the sender's fence.
    pub(crate) claim: Option<(crate::store::Job, Option<crate::store::Fence>)>,
    /// A message template instead of `content` (which must then be empty): its text,
    /// filled for the conversation, is what is sent; by email its subject is the mail's.
    pub template: Option<super::TemplateUse>,
    /// Files uploaded to this conversation beforehand (`service::uploads`), each with an
    /// optional caption; with files the text may be empty.
    pub attachments: Vec<super::uploads::DraftFile>,
    /// A scheduled template's subject, filled when it was scheduled (its `content` is
    /// the template's text then): by email, the mail's subject.
    pub subject: Option<String>,
}

impl Draft {
    /// A reply (`private` false) or a note (`private` true) of `content`.
    pub fn text(content: &str, private: bool) -> Draft {
        Draft {
            content: content.to_string(),
            private,
            ..Draft::default()
        }
    }
}

impl Services {
    /// An agent's reply (`private` false) or internal note (`private` true). A reply to an
    /// unassigned conversation assigns it to the agent; a reply in an API inbox with a
    /// webhook goes into the durable outbox.
    pub async fn send_message(
        &self,
        actor: &Agent,
        id: ConversationId,
        content: &str,
        private: bool,
    ) -> Result<Message> {
        self.send(actor, id, Draft::text(content, private)).await
    }

    /// Sends `draft` in conversation `id`: see [`Draft`] for what it may ask.
    pub async fn send(&self, actor: &Agent, id: ConversationId, draft: Draft) -> Result<Message> {
        let c = self.conversation_for(actor, id)?;
        let Draft {
            content,
            private,
            by_email,
            template,
            claim,
            attachments,
            subject,
            ..
        } = draft;
        let files = self.draft_attachments(id, &attachments)?;
        let (content, subject, whatsapp) = match template {
            None => (content, subject, None),
            Some(_) if !content.trim().is_empty() => {
                return Err(ServiceError::Invalid(crate::domain::validate::Invalid {
                    field: "content",
                    reason: "must be empty when a template is sent".into(),
                }));
            }
            Some(t) => {
                let r = self.render_template(actor, &c, &t)?;
                (r.text, r.subject, r.whatsapp)
            }
        };
        let content = if files.is_empty() || !content.trim().is_empty() {
            self.content(&content)?
        } else {
            String::new()
        };
        if !private {
            super::saved::check_filled(&content)?;
        }
        let dir = self.directory();
        let inbox = dir.inbox(c.inbox_id).ok_or(ServiceError::NotFound)?.clone();
        // The inbox a mail reply goes out through: an email inbox's own, or a website
        // inbox's reply inbox when the agent chose email.
        let mail_inbox = match (&inbox.website, by_email && !private) {
            (_, _) if inbox.channel == crate::domain::ChannelKind::Email => Some(inbox.id),
            (Some(w), true) => Some(w.reply_email_inbox.ok_or(ServiceError::Conflict(
                "this website inbox has no email inbox to reply through (see its settings)",
            ))?),
            (None, true) => {
                return Err(ServiceError::Conflict(
                    "only email and website chat conversations can be answered by email",
                ));
            }
            (Some(_), false) => None,
            (None, false) => None,
        };
        let mail = !private && mail_inbox.is_some();
        if mail {
            super::outbound::reply_email(&c, inbox.channel == crate::domain::ChannelKind::Email)?;
        }
        // A messaging channel's reply goes through its provider, and only while the
        // channel's messaging window allows a free-form message.
        let channel = !private && !mail && inbox.messaging.is_some();
        // Files go by mail, to the widget (`service::widget_files`) and, below, on
        // messaging channels and API webhooks; notes keep them anywhere.
        // Messaging channels and API webhooks: each file as the channel carries it (or
        // as a signed link), checked now so that nothing goes that cannot go whole.
        let mut link_chars = 0;
        if !private && !mail && (channel || inbox.webhook_url.is_some()) {
            link_chars = self.check_channel_files(&inbox, &files)?;
        }
        if channel && whatsapp.is_some() && !files.is_empty() {
            return Err(ServiceError::Conflict(
                super::file_links::FILES_NOT_WITH_TEMPLATE,
            ));
        }
        if channel && whatsapp.is_some() {
            // An approved template may go outside the messaging window.
            self.check_can_send_template(&inbox, &c)?;
        } else if channel {
            self.check_can_reply(&inbox, &c, &content, link_chars)?;
        }
        let mentions = if private {
            let candidates: Vec<(AgentId, String)> = dir
                .agents
                .iter()
                .filter(|a| a.active && inbox.visible_to(a))
                .map(|a| (a.id, a.name.clone()))
                .collect();
            conv::mentions(&content, &candidates)
        } else {
            vec![]
        };
        let (ev_id, msg_id, job_id) = (
            self.store.generate_id()?,
            self.store.generate_id()?,
            self.store.generate_id()?,
        );
        let now = self.clock.now();
        // Replies that leave Charla go through the durable outbox (webhook or mail).
        let webhook = (!private && (inbox.webhook_url.is_some() || mail || channel)).then_some(());
        let mut msg = Message::outgoing(
            MessageId(msg_id),
            id,
            actor.id,
            content.clone(),
            now,
            private,
            webhook.is_some(),
        );
        msg.mentions = mentions.clone();
        msg.via_email = mail;
        msg.whatsapp_template = whatsapp.filter(|_| channel);
        if let Some(subject) = subject.filter(|_| mail) {
            msg.email = Some(crate::domain::message::MailMeta {
                subject,
                ..Default::default()
            });
        }
        msg.attachments = files;
        let claims: Vec<u64> = attachments.iter().map(|f| f.upload).collect();
        let job_inbox = mail_inbox.unwrap_or(inbox.id);
        let agent = actor.id;
        let (conv, _) = self
            .store
            .update_conversation_claiming(
                id,
                claim.as_ref().map(|(j, f)| (j, f.as_ref())),
                Some((MessageId(msg_id), &claims)),
                |c| {
                    let mut items = Vec::new();
                    if private {
                        c.on_note(&content, now);
                    } else {
                        for e in c.on_reply(agent, &content, now) {
                            items.push(TimelineItem::Event(MessageId(ev_id), e));
                        }
                    }
                    items.push(TimelineItem::Message(msg.clone()));
                    let via = match (mail, channel) {
                        (true, _) => Via::Email,
                        (false, true) => Via::Channel,
                        (false, false) => Via::Webhook,
                    };
                    let job = webhook
                        .map(|_| Job::send(job_id, via, job_inbox, c.id, MessageId(msg_id), now));
                    Ok(Change {
                        items,
                        job,
                        mentions: mentions.clone(),
                        audit: None,
                    })
                },
            )
            .map_err(from_store)?;
        self.store.set_read(actor.id, id, Some(now))?;
        self.store.durable().await?;
        self.publish(&conv);
        self.notify(
            &conv,
            &super::notify::Activity {
                by: Some(actor.id),
                arrived: false,
                mentions: &mentions,
                text: &content,
            },
        );
        if webhook.is_some() {
            self.outbox_ready.notify_one();
        }
        Ok(msg)
    }
}

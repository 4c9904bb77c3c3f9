//! The durable outbox's use-cases: what is due, built into a request (webhook POST or
//! mail), and recording each attempt's outcome. The worker does the I/O; these only
//! read and write the store.

use super::{Live, Result, Services};
use crate::channels::api::{Outcome, Reply};
use crate::channels::smtp;
use crate::domain::conversation::{Conversation, ConversationId, MessageId};
use crate::domain::email::Server;
use crate::domain::message::{DeliveryStatus, Direction, Message, TimelineItem};
use crate::store::{Abort, Fence, Job, JobKind, StoreError};

/// A job ready to send.
pub enum Delivery {
    /// POST `body` to `url`, signed with `secret`.
    Webhook {
        job: Job,
        url: String,
        secret: String,
        body: Vec<u8>,
    },
    /// Send `message` through `server`.
    Mail {
        job: Job,
        server: Server,
        password: String,
        message: Box<lettre::Message>,
    },
    /// Make `requests` in order (the parts of one message not sent yet), reading each
    /// answer with `provider`.
    Channel {
        job: Job,
        provider: std::sync::Arc<dyn crate::channels::provider::Provider>,
        requests: Vec<crate::channels::http::HttpRequest>,
    },
}

impl Delivery {
    /// The job behind this delivery.
    pub fn job(&self) -> &Job {
        match self {
            Delivery::Webhook { job, .. }
            | Delivery::Mail { job, .. }
            | Delivery::Channel { job, .. } => job,
        }
    }
}

/// The latest mail from the contact in a conversation (for the subject and threading).
fn latest_inbound_mail(items: &[TimelineItem]) -> Option<&Message> {
    items.iter().find_map(|i| match i {
        TimelineItem::Message(m) if m.direction == Direction::Inbound && m.email.is_some() => {
            Some(m)
        }
        _ => None,
    })
}

/// `local+<conversation token>@domain` for the inbox's From address.
fn plus_reply_to(from_address: &str, token: &str) -> Option<String> {
    let (local, domain) = from_address.rsplit_once('@')?;
    Some(crate::channels::email::plus_address(local, token, domain))
}

/// The conversation as plain text, oldest first: who wrote, when (in the reader's time
/// zone, named), what. Notes, events and earlier transcripts are left out.
fn transcript(
    items: &[TimelineItem],
    contact: &str,
    dir: &super::Directory,
    l: &crate::i18n::L10n,
) -> String {
    let mut out = Vec::new();
    for item in items.iter().rev() {
        let TimelineItem::Message(m) = item else {
            continue;
        };
        if m.direction == Direction::Note || m.transcript {
            continue;
        }
        let who = match (m.author, &m.sender) {
            (Some(a), _) => dir.agent_name(a),
            (None, Some(s)) if !s.name.trim().is_empty() => s.name.clone(),
            (None, _) if !contact.trim().is_empty() => contact.to_string(),
            (None, _) => l.t("email-transcript-you"),
        };
        let line = l.t2(
            "email-transcript-line",
            "who",
            who,
            "when",
            l.datetime(m.created_at),
        );
        out.push(format!("{line}\n{}", m.content.trim()));
    }
    out.join("\n\n")
}

impl Services {
    /// The secret our mail Message-IDs are signed with.
    pub(super) fn mail_id_secret(&self) -> Vec<u8> {
        self.keys.sign("mail-message-id", "").into_bytes()
    }

    /// The signed Message-ID of an outgoing reply (stable for one message, so a retry
    /// resends the same id and receivers can tell it is the same mail).
    pub fn outgoing_message_id(
        &self,
        conv: &Conversation,
        msg: MessageId,
        from_address: &str,
    ) -> String {
        let domain = from_address
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("charla.invalid");
        crate::channels::email::signed_message_id(
            &self.mail_id_secret(),
            &conv.token,
            &msg.0.to_string(),
            domain,
        )
    }

    /// The conversation token a signed Message-ID names, if we signed it.
    pub fn token_of_message_id(&self, id: &str) -> Option<String> {
        crate::channels::email::verify_message_id(&self.mail_id_secret(), id)
    }

    /// Jobs due now, built into deliveries. Jobs whose target is gone, or that cannot
    /// be built, are finished as failed at once, with the reason on the message.
    /// `fence`: the sender's `outbox` lease, under which every outcome is recorded.
    pub async fn due_deliveries(
        &self,
        limit: usize,
        fence: Option<&Fence>,
    ) -> Result<Vec<Delivery>> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for job in self.store.due_jobs(now, limit)? {
            if let JobKind::Scheduled { .. } = job.kind {
                // Not a delivery: it becomes a message (with its own delivery job).
                self.send_scheduled(&job, fence).await?;
                continue;
            }
            match self.build_delivery(&job) {
                Ok(Some(d)) => out.push(d),
                Ok(None) => {
                    // Already delivered (a retry raced a success): nothing to send.
                    self.store
                        .reschedule_job(&job, None, fence)
                        .or_else(|e| match e {
                            StoreError::Abort(a) if a != Abort::LeaseLost => Ok(()),
                            e => Err(e),
                        })?;
                }
                Err(reason) => self.finish(&job, Outcome::Permanent(reason), fence).await?,
            }
        }
        Ok(out)
    }

    fn build_delivery(&self, job: &Job) -> std::result::Result<Option<Delivery>, String> {
        let (inbox_id, conversation_id, message_id) = job.kind.target();
        let dir = self.directory();
        let e = |e: StoreError| e.to_string();
        let inbox = dir.inbox(inbox_id).ok_or("the inbox no longer exists")?;
        let msg = self
            .store
            .message(conversation_id, message_id)
            .map_err(e)?
            .ok_or("the message no longer exists")?;
        let conv = self
            .store
            .conversation(conversation_id)
            .map_err(e)?
            .ok_or("the conversation no longer exists")?;
        if msg.direction != Direction::Outbound
            || msg.status >= DeliveryStatus::Sent && msg.status != DeliveryStatus::Failed
        {
            return Ok(None);
        }
        let contact = self.store.contact(conv.contact_id).map_err(e)?;
        match &job.kind {
            JobKind::Channel { sent_parts, .. } => self
                .channel_delivery(job, *sent_parts, inbox, &conv, &msg)
                .map(Some),
            JobKind::Scheduled { .. } => Err("a scheduled reply is not a delivery".into()),
            JobKind::Webhook { .. } => {
                let (Some(url), Some(secret)) =
                    (inbox.webhook_url.clone(), inbox.api_token.clone())
                else {
                    return Err("the inbox has no webhook URL".into());
                };
                // The integration learns what its own inbox knows: the whole contact only
                // while no other inbox knows it, else this conversation's identity.
                let contact_json = match &contact {
                    Some(c) if c.inboxes.iter().all(|i| *i == inbox_id) => {
                        serde_json::json!({"id": c.id.0, "identifier": c.identifier, "name": c.name, "email": c.email, "phone": c.phone})
                    }
                    Some(c) => {
                        let i = &conv.identity;
                        serde_json::json!({"id": c.id.0, "identifier": i.identifier, "name": i.name, "email": i.email, "phone": i.phone})
                    }
                    None => serde_json::Value::Null,
                };
                // Each file by a signed link; without `server.public_url` there is
                // no address to link to (the composer refuses such a send).
                let files = self
                    .sent_files(inbox, &msg)
                    .into_iter()
                    .map(|f| {
                        let url = f
                            .url
                            .ok_or(super::file_links::FILES_NEED_PUBLIC_URL.to_string())?;
                        Ok(serde_json::json!({
                            "filename": f.meta.filename,
                            "mime": f.meta.mime,
                            "size": f.meta.size,
                            "url": url,
                            "caption": f.meta.caption,
                            "voice": f.meta.voice,
                        }))
                    })
                    .collect::<std::result::Result<Vec<_>, String>>()?;
                let body = crate::channels::api::payload(&Reply {
                    inbox_id: inbox_id.0,
                    conversation_id: conversation_id.0,
                    message_id: message_id.0,
                    content: &msg.content,
                    created_at: crate::web_time(msg.created_at),
                    agent_id: msg.author.map(|a| a.0),
                    agent_name: msg.author.map(|a| dir.agent_name(a)).unwrap_or_default(),
                    contact: contact_json,
                    files: serde_json::Value::Array(files),
                });
                Ok(Some(Delivery::Webhook {
                    job: job.clone(),
                    url,
                    secret,
                    body,
                }))
            }
            JobKind::Email { .. } => {
                let settings = inbox
                    .email
                    .clone()
                    .ok_or("the inbox has no email settings")?;
                // A website chat answered by mail, or the email inbox's own conversation.
                let chat = conv.inbox_id != inbox_id;
                let to = super::outbound::reply_email(&conv, !chat).map_err(|e| e.to_string())?;
                let (items, _) = self
                    .store
                    .timeline_page(conversation_id, None, 200)
                    .map_err(e)?;
                let last = latest_inbound_mail(&items)
                    .and_then(|m| m.email.clone())
                    .unwrap_or_default();
                let mut references = last.references.clone();
                references.retain(|r| Some(r) != last.message_id.as_ref());
                // The customer's language (their contact's, else the inbox they wrote
                // to, else the installation's) and the installation's time zone.
                let conv_inbox = dir.inbox(conv.inbox_id);
                let l = self.customer_l10n(contact.as_ref(), conv_inbox);
                let chat_name = conv_inbox.map(|i| i.name.clone()).unwrap_or_default();
                let subject = if msg.transcript {
                    l.t1("email-transcript-subject", "inbox", &chat_name)
                } else if let Some(own) = msg.email.as_ref().filter(|m| !m.subject.is_empty()) {
                    // The first mail of a conversation we started, or a template with
                    // a subject: its own subject.
                    own.subject.clone()
                } else if chat && last.subject.is_empty() {
                    l.t1("email-chat-subject", "inbox", &chat_name)
                } else {
                    smtp::reply_subject(&last.subject)
                };
                let (text, html) = if msg.transcript {
                    let t = format!(
                        "{}\n\n{}",
                        l.t1("email-transcript-intro", "inbox", &chat_name),
                        transcript(&items, &conv.contact_name, &dir, &l)
                    );
                    (t, None)
                } else {
                    // The agent's Markdown and signatures as text and HTML parts; a
                    // visitor who left the chat gets the thread so far under it.
                    let sigs = self.signatures(inbox, msg.author);
                    let sigs: Vec<&str> = sigs.iter().map(String::as_str).collect();
                    let md = super::formatting::with_signatures(&msg.content, &sigs);
                    let so_far = chat.then(|| {
                        (
                            l.t("email-chat-so-far"),
                            transcript(&items, &conv.contact_name, &dir, &l),
                        )
                    });
                    let (t, h) = super::formatting::mail_parts(
                        &md,
                        so_far.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                    );
                    (t, Some(h))
                };
                let message = smtp::build(&smtp::Reply {
                    from_name: &settings.from_name,
                    from_address: &settings.from_address,
                    to: &to,
                    subject: &subject,
                    text: &text,
                    html,
                    message_id: self.outgoing_message_id(&conv, message_id, &settings.from_address),
                    in_reply_to: last.message_id.clone(),
                    references,
                    reply_to: settings
                        .reply_to_plus_address
                        .then(|| plus_reply_to(&settings.from_address, &conv.token))
                        .flatten(),
                    files: self.mail_files(conversation_id, &msg).map_err(e)?,
                })?;
                let password = if settings.smtp.password_sealed.is_empty() {
                    String::new()
                } else {
                    self.keys
                        .open(&settings.smtp.password_sealed)
                        .map_err(|e| e.to_string())?
                };
                Ok(Some(Delivery::Mail {
                    job: job.clone(),
                    server: settings.smtp,
                    password,
                    message: Box::new(message),
                }))
            }
        }
    }

    /// Records an attempt: delivered (status sent), retry later (exponential backoff from
    /// one minute), or failed for good (status failed with the error). Under `fence`
    /// (the `outbox` lease) only while it holds: a sender that lost the lease gets
    /// `Abort::LeaseLost` and records nothing of the job or its message.
    pub async fn finish(&self, job: &Job, outcome: Outcome, fence: Option<&Fence>) -> Result<()> {
        let (inbox_id, conversation_id, message_id) = job.kind.target();
        let now = self.clock.now();
        let max = self.settings.webhook_max_attempts;
        let (next, status) = match outcome {
            Outcome::Delivered { source_id } => {
                if let Some(s) = source_id {
                    self.store
                        .set_message_source(inbox_id, &s, conversation_id, message_id)?;
                }
                (None, Some((DeliveryStatus::Sent, None)))
            }
            Outcome::Retry(e) if job.attempts + 1 < max => {
                let delay = 60i64.saturating_mul(1 << job.attempts.min(12));
                (
                    Some(Job {
                        due: now.plus_secs(delay),
                        attempts: job.attempts + 1,
                        last_error: Some(e),
                        ..job.clone()
                    }),
                    None,
                )
            }
            Outcome::Retry(e) | Outcome::Permanent(e) => {
                (None, Some((DeliveryStatus::Failed, Some(e))))
            }
        };
        match self.store.reschedule_job(job, next.as_ref(), fence) {
            Ok(()) => {}
            Err(e @ StoreError::Abort(Abort::LeaseLost)) => return Err(e.into()),
            Err(StoreError::Abort(_)) => return Ok(()), // another attempt already finished it
            Err(e) => return Err(e.into()),
        }
        self.count_attempt(job, next.is_some(), status.as_ref().map(|s| s.0));
        if let Some((st, err)) = status {
            self.update_delivery(conversation_id, message_id, |m| {
                m.advance(st, err.clone(), now)
            })?;
        }
        self.store.durable().await?;
        Ok(())
    }

    /// Counts a recorded attempt for `/metrics`: retried, or ended with `status`, by
    /// the channel it went through (not counted when its inbox is gone).
    pub(super) fn count_attempt(&self, job: &Job, retried: bool, status: Option<DeliveryStatus>) {
        use crate::domain::ChannelKind;
        use crate::metrics::SendOutcome;
        let channel = match &job.kind {
            JobKind::Webhook { .. } => Some(ChannelKind::Api),
            JobKind::Email { .. } => Some(ChannelKind::Email),
            JobKind::Channel { inbox_id, .. } => {
                self.directory().inbox(*inbox_id).map(|i| i.channel)
            }
            JobKind::Scheduled { .. } => None,
        };
        let outcome = match (retried, status) {
            (true, _) => SendOutcome::Retry,
            (false, Some(DeliveryStatus::Failed)) => SendOutcome::Failed,
            (false, Some(_)) => SendOutcome::Sent,
            (false, None) => return,
        };
        if let Some(c) = channel {
            self.metrics.sent(c, outcome);
        }
    }

    /// Changes one message's delivery state with `f` (which says whether it changed
    /// anything), and tells the live pages when it did. A message or conversation
    /// deleted meanwhile is no error: there is nothing left to update.
    pub(super) fn update_delivery(
        &self,
        conv: ConversationId,
        msg: MessageId,
        f: impl Fn(&mut Message) -> bool,
    ) -> Result<bool> {
        let changed = self
            .store
            .update_message(conv, msg, f)
            .or_else(|e| match e {
                StoreError::Abort(_) => Ok(None),
                e => Err(e),
            })?;
        if changed.is_some()
            && let Some(c) = self.store.conversation(conv)?
        {
            self.live.publish(Live::Conversation {
                inbox: c.inbox_id,
                id: c.id,
            });
        }
        Ok(changed.is_some())
    }
}

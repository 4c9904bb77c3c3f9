//! The website widget's use-cases. A visitor is a contact found by an identifier scoped
//! to the website inbox: `v:` + a hash of their random visitor token (so an agent who
//! sees the contact cannot take over the visitor's session), or `id:` + the site's own
//! identifier once `Charla.identify` proved it with an HMAC. Their history is that
//! contact's latest conversation in the inbox. Nothing is stored for a visitor until
//! they send a first message, so page views create no contacts.
//!
//! Visitors never see sequential ids: messages carry a keyed hash of their id, and the
//! resync cursor is the id sealed with the installation key.

use super::typing::Typist;
use super::{Live, Result, ServiceError, Services, from_store, random_token};
use crate::domain::contact::Identity as ChannelId;
use crate::domain::conversation::{ChannelIdentity, ContactId, ConversationId};
use crate::domain::message::{DeliveryStatus, Direction, Message, TimelineItem};
use crate::domain::validate::Invalid;
use crate::domain::website::{self, WebsiteSettings};
use crate::domain::{Inbox, InboxId, Timestamp};
use crate::store::{Change, InboundMessage, InboundSender, Thread};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Messages a widget shows on (re)connect, at most.
pub const HISTORY: usize = 100;

pub use super::widget_rates::Rates;

/// What `Charla.identify` was given.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub identifier: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// Hex HMAC-SHA256 of `identifier` under the inbox's identity secret.
    pub hash: String,
}

/// One connected visitor (one per widget socket).
#[derive(Debug, Clone)]
pub struct Visitor {
    pub inbox: InboxId,
    /// The token the widget keeps in localStorage.
    pub token: String,
    /// The contact identifier in the inbox (`v:…` or `id:…`).
    pub identifier: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The email is the verified identity itself (`Charla.identify` with the email as
    /// its identifier); otherwise it is only what the visitor typed.
    pub email_verified: bool,
    pub contact: Option<ContactId>,
    pub conversation: Option<ConversationId>,
    /// The visitor's browser language, until it is learnt as their contact's (at their
    /// first message on this connection).
    pub language: Option<crate::i18n::Lang>,
}

/// A message as the widget sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetMessage {
    pub id: String,
    pub from_agent: bool,
    pub author: Option<String>,
    pub content: String,
    pub at: Timestamp,
    pub status: DeliveryStatus,
    /// Opaque resync cursor: "everything after this message".
    pub cursor: String,
    /// The widget's `client_id` of a visitor's message.
    pub client_id: Option<String>,
    /// An agent's message: its formatting as HTML (every character typed escaped; the
    /// widget copies only the few elements it knows).
    pub html: Option<String>,
    /// Its files (an agent's or the visitor's).
    pub files: Vec<super::widget_files::WidgetFile>,
}

/// What the widget needs before connecting.
#[derive(Debug, Clone)]
pub struct WidgetConfig {
    pub name: String,
    pub settings: WebsiteSettings,
    /// The agent shown in the header: name and initials.
    pub agent: Option<(String, String)>,
    pub agents_online: bool,
    pub max_chars: usize,
}

/// Why a hello's identity was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityCheck {
    None,
    Verified,
    Rejected,
}

fn valid_token(t: &str) -> bool {
    t.len() == 32
        && t.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .take(2)
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .collect()
}

impl Services {
    /// The website inbox with this public key.
    pub fn website_inbox(&self, key: &str) -> Result<Inbox> {
        if !valid_token(key) {
            return Err(ServiceError::NotFound);
        }
        self.directory()
            .inboxes
            .iter()
            .find(|i| i.website.as_ref().is_some_and(|w| w.key == key))
            .cloned()
            .ok_or(ServiceError::NotFound)
    }

    /// Whether a browser `Origin` may use this inbox's widget.
    pub fn widget_origin_allowed(inbox: &Inbox, origin: &str) -> bool {
        inbox
            .website
            .as_ref()
            .is_some_and(|w| website::origin_allowed(&w.allowed_origins, origin))
    }

    /// The widget's configuration: look, pre-chat, who answers and whether anyone is on.
    pub fn widget_config(&self, inbox: &Inbox) -> Result<WidgetConfig> {
        let settings = inbox.website.clone().ok_or(ServiceError::NotFound)?;
        let dir = self.directory();
        let online: Vec<_> = inbox
            .members
            .iter()
            .copied()
            .filter(|a| self.live.is_online(*a))
            .collect();
        let shown = online.first().or(inbox.members.first()).copied();
        let agent = shown.map(|a| {
            let name = dir.agent_name(a);
            (name.clone(), initials(&name))
        });
        Ok(WidgetConfig {
            name: inbox.name.clone(),
            settings,
            agent,
            agents_online: !online.is_empty(),
            max_chars: self.settings.max_message_chars,
        })
    }

    /// The widget's translator: the visitor's browser language when the catalogs have
    /// it (what their contact learns at their first message), else the inbox's, else
    /// the installation's.
    pub fn widget_l10n(
        &self,
        inbox: &Inbox,
        browser: Option<crate::i18n::Lang>,
    ) -> crate::i18n::L10n {
        let lang = crate::i18n::customer_lang(
            browser.map(crate::i18n::Lang::code),
            inbox.language.as_deref(),
            self.ui.language,
        );
        crate::i18n::L10n::new(lang, &self.ui.timezone)
    }

    /// Checks `identity.hash` against the inbox's identity secret.
    fn check_identity(&self, settings: &WebsiteSettings, identity: &Identity) -> bool {
        if settings.identity_secret_sealed.is_empty()
            || identity.identifier.is_empty()
            || identity.identifier.len() > 500
        {
            return false;
        }
        let Ok(secret) = self.keys.open(&settings.identity_secret_sealed) else {
            return false;
        };
        let Ok(expected) = hex::decode(identity.hash.trim()) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(identity.identifier.as_bytes());
        mac.verify_slice(&expected).is_ok()
    }

    /// Starts (or resumes) a visitor: the token they keep (a new one when theirs is
    /// missing or malformed) and, with a verified identity, the identity's history.
    pub fn widget_hello(
        &self,
        inbox: &Inbox,
        token: Option<&str>,
        identity: Option<&Identity>,
    ) -> Result<(Visitor, IdentityCheck)> {
        let settings = inbox.website.as_ref().ok_or(ServiceError::NotFound)?;
        let token = match token {
            Some(t) if valid_token(t) => t.to_string(),
            _ => random_token(16),
        };
        let check = match identity {
            None => IdentityCheck::None,
            Some(i) if self.check_identity(settings, i) => IdentityCheck::Verified,
            Some(_) => IdentityCheck::Rejected,
        };
        let identifier = match (check, identity) {
            (IdentityCheck::Verified, Some(i)) => format!("id:{}", i.identifier),
            _ => format!("v:{}", &hex::encode(Sha256::digest(token.as_bytes()))[..32]),
        };
        let contact = self.store.contact_by_identifier(inbox.id, &identifier)?;
        let conversation = match contact {
            Some(c) => self.store.latest_conversation(c, inbox.id)?,
            None => None,
        };
        // What this visitor told before (name, typed email) comes back from their own
        // conversation; nothing another inbox knows of the contact is shown here.
        let told = match conversation {
            Some(c) => self.store.conversation(c)?.map(|c| c.identity),
            None => None,
        };
        let mut name = told
            .as_ref()
            .map(|i| i.name.clone())
            .filter(|n| !n.trim().is_empty());
        let mut email = told.as_ref().and_then(|i| i.email.clone());
        let mut email_verified = told.as_ref().is_some_and(|i| i.email_verified);
        if let (IdentityCheck::Verified, Some(i)) = (check, identity) {
            name = name.or_else(|| i.name.clone().filter(|n| !n.trim().is_empty()));
            if email.is_none()
                && let Some(e) = i.email.as_deref().map(str::trim).filter(|e| !e.is_empty())
            {
                // The HMAC covers the identifier only: an email is verified when it is
                // the identifier itself.
                email_verified = e.eq_ignore_ascii_case(i.identifier.trim());
                email = Some(e.to_string());
            }
        }
        Ok((
            Visitor {
                inbox: inbox.id,
                token,
                identifier,
                name,
                email,
                email_verified,
                contact,
                conversation,
                language: None,
            },
            check,
        ))
    }

    /// The opaque id a widget sees for message `id`.
    fn widget_message_id(&self, id: u64) -> String {
        let sig = self.keys.sign("widget-message", &id.to_string());
        format!("m{}", &sig[..sig.len().min(24)])
    }

    fn widget_message(&self, m: &Message) -> Option<WidgetMessage> {
        if m.transcript {
            return None;
        }
        let from_agent = match m.direction {
            Direction::Inbound => false,
            Direction::Outbound => true,
            Direction::Note => return None,
        };
        Some(WidgetMessage {
            id: self.widget_message_id(m.id.0),
            from_agent,
            author: m.author.map(|a| self.directory().agent_name(a)),
            content: m.content.clone(),
            at: m.created_at,
            status: m.status,
            cursor: self
                .keys
                .seal(&format!("wc:{}:{}", m.conversation_id.0, m.id.0))
                .unwrap_or_default(),
            // Visitor messages are stored with source id `w:<identifier>:<client_id>`.
            client_id: m
                .source_id
                .as_deref()
                .filter(|s| s.starts_with("w:"))
                .and_then(|s| s.rsplit_once(':'))
                .map(|(_, c)| c.to_string()),
            html: from_agent.then(|| crate::domain::markdown::render::html(&m.content)),
            files: self.widget_files(m),
        })
    }

    /// The message id a cursor of conversation `conv` stands for.
    fn cursor_id(&self, conv: ConversationId, cursor: &str) -> Option<u64> {
        let plain = self.keys.open(cursor).ok()?;
        let rest = plain.strip_prefix("wc:")?;
        let (c, id) = rest.split_once(':')?;
        (c.parse::<u64>().ok()? == conv.0)
            .then(|| id.parse().ok())
            .flatten()
    }

    /// The visitor's messages (never notes or events), oldest first: the last `limit`,
    /// only those after `cursor` when it is one of this conversation's.
    pub fn widget_messages(
        &self,
        visitor: &Visitor,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<WidgetMessage>> {
        let Some(conv) = visitor.conversation else {
            return Ok(vec![]);
        };
        let after = cursor.and_then(|c| self.cursor_id(conv, c)).unwrap_or(0);
        // Notes and events are interleaved: read some more items than messages wanted.
        let (items, _) = self.store.timeline_page(conv, None, limit * 2)?;
        let mut out: Vec<WidgetMessage> = items
            .iter()
            .take_while(|i| i.id().0 > after)
            .filter_map(|i| match i {
                TimelineItem::Message(m) => self.widget_message(m),
                TimelineItem::Event(..) => None,
            })
            .take(limit)
            .collect();
        out.reverse();
        Ok(out)
    }

    /// Stores a visitor's message durably (once per `client_id`) and returns it.
    /// `ip` is the client's address, for the per-IP limits; `files` name the visitor's
    /// uploads it sends (see `service::widget_files`), with which the text may be empty.
    pub async fn widget_send(
        &self,
        visitor: &mut Visitor,
        ip: &str,
        client_id: &str,
        content: &str,
        files: &[String],
    ) -> Result<WidgetMessage> {
        let client_id = client_id.trim();
        if client_id.is_empty()
            || client_id.len() > 64
            || !client_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Invalid {
                field: "client_id",
                reason: "must be 1 to 64 letters, digits, - or _".into(),
            }
            .into());
        }
        let source_id = format!("w:{}:{client_id}", visitor.identifier);
        // A re-send after a lost ack (same client_id): answer with what is stored. It
        // is not a new message, so it must not count against the limits either, or a
        // reconnecting widget would see its stored messages refused.
        if let Some((conv, id)) = self.store.message_by_source(visitor.inbox, &source_id)?
            && let Some(stored) = self.store.message(conv, id)?
            && let Some(w) = self.widget_message(&stored)
        {
            return Ok(w);
        }
        let files = self.visitor_files(visitor, files)?;
        let content = if files.is_none() || !content.trim().is_empty() {
            self.content(content)?
        } else {
            String::new()
        };
        self.widget_rates
            .hit(&visitor.identifier, ip, visitor.conversation.is_none())?;
        let msg = InboundMessage {
            inbox_id: visitor.inbox,
            source_id: Some(source_id),
            sender: InboundSender {
                name: visitor.name.clone(),
                // Matched by the identifier only: an email typed into the pre-chat form
                // must never join (or show, or fill) another contact. It is the
                // conversation's unconfirmed address. A verified identity's own email
                // does join.
                identities: std::iter::once(ChannelId::External(visitor.identifier.clone()))
                    .chain(
                        visitor
                            .email
                            .clone()
                            .filter(|_| visitor.email_verified)
                            .map(ChannelId::Email),
                    )
                    .collect(),
                claimed_email: visitor.email.clone().filter(|_| !visitor.email_verified),
            },
            content,
            at: self.clock.now(),
            token: random_token(16),
            thread: Thread::Latest,
            position: None,
            quiet: false,
            mail: None,
        };
        let mut ids = self.ingest_ids()?;
        let (uploads, parts) = match files {
            Some((conv, uploads, attachments)) => {
                // Files uploaded before the first message: it creates the conversation
                // they were uploaded to.
                ids[0] = conv.0;
                let parts = crate::store::InboundParts {
                    attachments,
                    ..Default::default()
                };
                (uploads, parts)
            }
            None => (vec![], crate::store::InboundParts::default()),
        };
        let r = self
            .ingest_durably_with(
                msg,
                ids,
                parts,
                uploads,
                crate::domain::ChannelKind::Website,
            )
            .await?;
        let conv = r.conversation.as_ref().ok_or(ServiceError::NotFound)?;
        visitor.conversation = Some(conv.id);
        visitor.contact = Some(conv.contact_id);
        if let Some(lang) = visitor.language.take() {
            self.widget_learn_language(conv.contact_id, visitor.inbox, lang)
                .await?;
        }
        if !r.duplicate {
            self.publish(conv);
            self.notify_ingested(&r);
            self.reindex_contact(conv.contact_id)?;
        }
        let stored = self
            .store
            .message(conv.id, r.message_id)?
            .ok_or(ServiceError::NotFound)?;
        self.widget_message(&stored).ok_or(ServiceError::NotFound)
    }

    /// The pre-chat answers: the visitor's claim, never an error. Kept on the visitor
    /// and on their conversation once there is one: the email as unconfirmed (an agent
    /// confirms it before any mail goes there), the name on the visitor's own contact.
    pub async fn widget_prechat(
        &self,
        visitor: &mut Visitor,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<()> {
        let name =
            crate::domain::contact::optional("name", name, crate::domain::contact::NAME_MAX)?;
        let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(crate::domain::validate::email(e)?),
            None => None,
        };
        if name.is_some() {
            visitor.name = name;
        }
        if let Some(e) = email
            && visitor.email.as_ref() != Some(&e)
        {
            visitor.email = Some(e);
            visitor.email_verified = false;
        }
        self.widget_store_claims(visitor).await
    }

    /// Learns the contact's language from the visitor's browser: kept when the contact
    /// has none yet (an agent's choice or an earlier visit stays) and is this inbox's
    /// own, as for the name a visitor tells.
    async fn widget_learn_language(
        &self,
        contact: ContactId,
        inbox: InboxId,
        lang: crate::i18n::Lang,
    ) -> Result<()> {
        let store = self.store.clone();
        let changed = tokio::task::spawn_blocking(move || -> Result<bool> {
            match store.contact(contact)? {
                Some(mut c) if c.language.is_none() && c.inboxes.iter().all(|i| *i == inbox) => {
                    c.language = Some(lang.code().to_string());
                    store.put_contact(&c, true).map_err(from_store)?;
                    Ok(true)
                }
                _ => Ok(false),
            }
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))??;
        if changed {
            self.store.durable().await?;
        }
        Ok(())
    }

    /// Writes what the visitor told onto their conversation (an unconfirmed email never
    /// replaces a confirmed one) and an empty name of their own contact.
    async fn widget_store_claims(&self, visitor: &Visitor) -> Result<()> {
        let Some(conv_id) = visitor.conversation else {
            return Ok(());
        };
        let told = ChannelIdentity {
            name: visitor.name.clone().unwrap_or_default(),
            email: visitor.email.clone(),
            email_verified: visitor.email_verified,
            ..ChannelIdentity::default()
        };
        let store = self.store.clone();
        let changed = tokio::task::spawn_blocking(move || -> Result<bool> {
            let Some(conv) = store.conversation(conv_id)? else {
                return Ok(false);
            };
            let mut identity = conv.identity.clone();
            if identity.name.trim().is_empty() {
                identity.name = told.name.clone();
            }
            if told.email.is_some() && !identity.email_verified {
                identity.email = told.email.clone();
                identity.email_verified = told.email_verified;
            }
            let mut changed = false;
            if identity != conv.identity {
                store
                    .update_conversation(conv_id, |c| {
                        c.identity = identity.clone();
                        Ok(Change::default())
                    })
                    .map_err(from_store)?;
                changed = true;
            }
            if let Some(mut c) = store.contact(conv.contact_id)?
                && c.name.trim().is_empty()
                && !told.name.trim().is_empty()
                && c.inboxes.iter().all(|i| *i == conv.inbox_id)
            {
                c.name = told.name.clone();
                store.put_contact(&c, true).map_err(from_store)?;
                changed = true;
            }
            Ok(changed)
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))??;
        if changed {
            self.store.durable().await?;
            if let Some(c) = visitor.contact {
                self.reindex_contact(c)?;
            }
            self.live.publish(Live::Conversation {
                inbox: visitor.inbox,
                id: conv_id,
            });
        }
        Ok(())
    }

    /// The widget has shown (`Delivered`) or the visitor has seen (`Read`) agent messages.
    pub async fn widget_receipt(
        &self,
        visitor: &Visitor,
        status: DeliveryStatus,
        ids: &[String],
    ) -> Result<Vec<WidgetMessage>> {
        let Some(conv) = visitor.conversation else {
            return Ok(vec![]);
        };
        if !matches!(status, DeliveryStatus::Delivered | DeliveryStatus::Read) || ids.is_empty() {
            return Ok(vec![]);
        }
        let now = self.clock.now();
        let (items, _) = self.store.timeline_page(conv, None, HISTORY * 2)?;
        let mut changed = Vec::new();
        for item in &items {
            let TimelineItem::Message(m) = item else {
                continue;
            };
            if m.direction != Direction::Outbound
                || m.status == DeliveryStatus::Failed
                || m.status >= status
                || !ids.contains(&self.widget_message_id(m.id.0))
            {
                continue;
            }
            if let Some(updated) = self
                .store
                .update_message(conv, m.id, |m| m.advance(status, None, now))
                .or_else(|e| match e {
                    crate::store::StoreError::Abort(_) => Ok(None),
                    e => Err(e),
                })?
                && let Some(w) = self.widget_message(&updated)
            {
                changed.push(w);
            }
        }
        if !changed.is_empty() {
            self.live.publish(Live::Conversation {
                inbox: visitor.inbox,
                id: conv,
            });
        }
        Ok(changed)
    }

    /// An agent started or stopped typing a reply (shown in the visitor's widget).
    /// Repeats and floods are dropped quietly (see [`super::typing`]).
    pub fn agent_typing(
        &self,
        actor: &crate::domain::Agent,
        id: ConversationId,
        active: bool,
    ) -> Result<()> {
        let c = self.conversation_for(actor, id)?;
        if !self.typing.allow(id, Typist::Agent(actor.id), active) {
            return Ok(());
        }
        self.live.publish(Live::Typing {
            inbox: c.inbox_id,
            id,
            agent: Some(actor.name.clone()),
            active,
        });
        Ok(())
    }

    /// The visitor started or stopped typing. Repeats and floods are dropped quietly
    /// (see [`super::typing`]), never answered with an error or a disconnect.
    pub fn widget_typing(&self, visitor: &Visitor, active: bool) {
        if let Some(id) = visitor.conversation
            && self.typing.allow(id, Typist::Visitor, active)
        {
            self.live.publish(Live::Typing {
                inbox: visitor.inbox,
                id,
                agent: None,
                active,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_initials() {
        assert!(valid_token(&"a1".repeat(16)));
        assert!(!valid_token(&"A1".repeat(16)), "lowercase only");
        assert!(!valid_token("abc"));
        assert!(!valid_token(&"zz".repeat(16)));
        assert_eq!(initials("Ana López García"), "AL");
        assert_eq!(initials("ana"), "A");
        assert_eq!(initials(""), "");
    }
}

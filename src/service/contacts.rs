//! Contacts: the address book, editing in place, blocking, and search.

use super::{Live, Result, ServiceError, Services, from_store};
use crate::domain::Agent;
use crate::domain::contact::{self, Contact};
use crate::domain::conversation::{ContactId, ConversationId};
use crate::domain::validate::{self, Invalid};

/// Fields of a contact as edited in a form or sent to the API; `None` leaves a field
/// unchanged.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tags: Option<Vec<String>>,
    pub properties: Option<Vec<(String, String)>>,
}

impl Services {
    /// Fills the contact search index from the store (start-up, in the background);
    /// entries written meanwhile by live changes are newer and are kept.
    pub fn rebuild_search(&self) -> Result<usize> {
        let mut after = None;
        loop {
            let batch = self.store.contacts_after(after, 10_000)?;
            let Some(last) = batch.last() else { break };
            after = Some(last.id);
            for c in &batch {
                self.contacts_index.fill(c);
            }
        }
        Ok(self.contacts_index.len())
    }

    /// Re-indexes one contact after a change made elsewhere (ingest).
    pub fn reindex_contact(&self, id: ContactId) -> Result<()> {
        if let Some(c) = self.store.contact(id)? {
            self.contacts_index.upsert(&c);
        }
        Ok(())
    }

    /// Whether `actor` may see a contact: admins always; agents when the contact has a
    /// conversation in one of their inboxes, or none at all (a fresh address-book entry).
    fn contact_visible(&self, actor: &Agent, id: ContactId) -> Result<bool> {
        if actor.is_admin() {
            return Ok(true);
        }
        let convs = self.store.conversations_of_contact(id, 200)?;
        let dir = self.directory();
        Ok(convs.is_empty()
            || convs
                .iter()
                .any(|c| dir.inbox(c.inbox_id).is_some_and(|i| i.visible_to(actor))))
    }

    /// One contact, if visible to `actor`.
    pub fn contact(&self, actor: &Agent, id: ContactId) -> Result<Contact> {
        let c = self.store.contact(id)?.ok_or(ServiceError::NotFound)?;
        if self.contact_visible(actor, id)? {
            Ok(c)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// Contacts matching `q` (or the newest ones), visible to `actor`.
    pub fn contacts(
        &self,
        actor: &Agent,
        q: &str,
        before: Option<ContactId>,
        limit: usize,
    ) -> Result<(Vec<Contact>, Option<ContactId>)> {
        if q.trim().is_empty() {
            let (mut list, next) = self.store.contacts_page(before, limit)?;
            if !actor.is_admin() {
                list.retain(|c| self.contact_visible(actor, c.id).unwrap_or(false));
            }
            return Ok((list, next));
        }
        let mut out = Vec::new();
        for id in self.contacts_index.search(q, limit * 4) {
            if out.len() == limit {
                break;
            }
            if let Some(c) = self.store.contact(id)?
                && self.contact_visible(actor, id)?
            {
                out.push(c);
            }
        }
        Ok((out, None))
    }

    /// Conversations whose contact or team matches `q`, visible to `actor`, newest first.
    pub fn search_conversations(
        &self,
        actor: &Agent,
        q: &str,
        limit: usize,
    ) -> Result<Vec<super::conversations::Row>> {
        let dir = self.directory();
        let mut rows = Vec::new();
        for id in self.contacts_index.search(q, 200) {
            rows.extend(self.contact_conversations(actor, id)?);
        }
        let ql = q.trim().to_lowercase();
        for t in dir
            .teams
            .iter()
            .filter(|t| !ql.is_empty() && t.name.to_lowercase().contains(&ql))
        {
            let page = self.list(actor, crate::store::View::Team(t.id), None, limit)?;
            rows.extend(page.rows);
        }
        rows.sort_by(|a, b| {
            b.conversation
                .last_activity_at
                .cmp(&a.conversation.last_activity_at)
                .then(b.conversation.id.cmp(&a.conversation.id))
        });
        rows.dedup_by_key(|r| r.conversation.id);
        rows.truncate(limit);
        Ok(rows)
    }

    fn apply(c: &mut Contact, input: ContactInput) -> Result<()> {
        if let Some(n) = input.name {
            let n = n.trim();
            if n.chars().count() > contact::NAME_MAX || n.chars().any(char::is_control) {
                return Err(Invalid {
                    field: "name",
                    reason: format!(
                        "must be at most {} characters, without control characters",
                        contact::NAME_MAX
                    ),
                }
                .into());
            }
            c.name = n.to_string();
        }
        if let Some(e) = input.email {
            c.email = match e.trim() {
                "" => None,
                e => Some(validate::email(e)?),
            };
        }
        if let Some(p) = input.phone {
            c.phone = contact::phone(Some(&p))?;
        }
        if let Some(t) = input.tags {
            c.tags = contact::tags(&t)?;
        }
        if let Some(p) = input.properties {
            c.properties = contact::properties(&p)?;
        }
        Ok(())
    }

    /// Creates a contact (from the contacts page, the API, or a conversation).
    pub async fn create_contact(&self, _actor: &Agent, input: ContactInput) -> Result<Contact> {
        let mut c = Contact {
            id: ContactId(self.store.generate_id()?),
            name: String::new(),
            email: None,
            phone: None,
            identifier: None,
            tags: vec![],
            properties: vec![],
            blocked: false,
            created_at: self.clock.now(),
        };
        Self::apply(&mut c, input)?;
        if c.name.is_empty() && c.email.is_none() && c.phone.is_none() {
            return Err(Invalid {
                field: "name",
                reason: "give at least a name, email or phone".into(),
            }
            .into());
        }
        self.store.put_contact(&c, false).map_err(from_store)?;
        self.store.durable().await?;
        self.contacts_index.upsert(&c);
        Ok(c)
    }

    /// Edits a contact in place.
    pub async fn update_contact(
        &self,
        actor: &Agent,
        id: ContactId,
        input: ContactInput,
    ) -> Result<Contact> {
        let mut c = self.contact(actor, id)?;
        Self::apply(&mut c, input)?;
        self.store.put_contact(&c, true).map_err(from_store)?;
        self.store.durable().await?;
        self.contacts_index.upsert(&c);
        self.publish_contact(id)?;
        Ok(c)
    }

    /// Blocks or unblocks a contact: a blocked contact's messages are kept but neither
    /// reopen conversations nor notify.
    pub async fn set_blocked(
        &self,
        actor: &Agent,
        id: ContactId,
        blocked: bool,
    ) -> Result<Contact> {
        let mut c = self.contact(actor, id)?;
        c.blocked = blocked;
        self.store.put_contact(&c, true).map_err(from_store)?;
        self.store.durable().await?;
        self.publish_contact(id)?;
        Ok(c)
    }

    fn publish_contact(&self, id: ContactId) -> Result<()> {
        for c in self.store.conversations_of_contact(id, 200)? {
            self.live.publish(Live::Conversation {
                inbox: c.inbox_id,
                id: c.id,
            });
        }
        Ok(())
    }

    /// Finds a contact by email or phone, or creates one.
    pub async fn find_or_create_contact(
        &self,
        email: Option<String>,
        phone: Option<String>,
    ) -> Result<Contact> {
        let key = email.clone().or_else(|| phone.clone()).unwrap_or_default();
        if let Some(id) = self.contacts_index.search(&key, 20).into_iter().find(|id| {
            self.store.contact(*id).ok().flatten().is_some_and(|c| {
                c.email == email && email.is_some() || c.phone == phone && phone.is_some()
            })
        }) && let Some(c) = self.store.contact(id)?
        {
            return Ok(c);
        }
        let c = Contact {
            id: ContactId(self.store.generate_id()?),
            name: String::new(),
            email,
            phone,
            identifier: None,
            tags: vec![],
            properties: vec![],
            blocked: false,
            created_at: self.clock.now(),
        };
        self.store.put_contact(&c, false).map_err(from_store)?;
        self.contacts_index.upsert(&c);
        Ok(c)
    }

    /// The conversation's contact id, for "create a contact from a conversation".
    pub fn conversation_contact(&self, actor: &Agent, id: ConversationId) -> Result<ContactId> {
        Ok(self.conversation_for(actor, id)?.contact_id)
    }
}

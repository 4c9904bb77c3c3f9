//! Contacts: the address book, editing in place, blocking, and search.

use super::{Live, Result, ServiceError, Services, from_store};
use crate::domain::Agent;
use crate::domain::contact::{self, Access, Contact};
use crate::domain::conversation::{ChannelIdentity, ContactId, ConversationId};
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
    /// The language the contact reads (`en`, `es`); `Some("")` forgets it.
    pub language: Option<String>,
}

/// A contact as one agent may see it.
#[derive(Debug, Clone)]
pub struct ContactView {
    /// The whole record, or (partial access) only what the agent's inboxes know.
    pub contact: Contact,
    /// The agent may edit and block the contact.
    pub full: bool,
}

/// Why an agent may not change a contact that other inboxes know too.
pub const SHARED_CONTACT: &str = "this contact is also known in inboxes you are not a member of: only an admin, or an agent of all of them, can change or block it";

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

    /// How much of contact `c` `actor` may see and change (see `contact::access`).
    fn contact_access(&self, actor: &Agent, c: &Contact) -> Access {
        let dir = self.directory();
        contact::access(actor.is_admin(), &c.inboxes, |i| {
            dir.inbox(i).is_some_and(|x| x.visible_to(actor))
        })
    }

    /// The identities of a contact's conversations that `actor` can see, newest first.
    fn visible_identities(&self, actor: &Agent, id: ContactId) -> Result<Vec<ChannelIdentity>> {
        let dir = self.directory();
        Ok(self
            .store
            .conversations_of_contact(id, 200)?
            .into_iter()
            .filter(|c| dir.inbox(c.inbox_id).is_some_and(|i| i.visible_to(actor)))
            .map(|c| c.identity)
            .collect())
    }

    /// `c` as `actor` may see it, or `None` when it is out of their reach.
    fn view_of(&self, actor: &Agent, c: Contact) -> Result<Option<ContactView>> {
        Ok(match self.contact_access(actor, &c) {
            Access::None => None,
            Access::Full => Some(ContactView {
                contact: c,
                full: true,
            }),
            Access::Partial => {
                let ids = self.visible_identities(actor, c.id)?;
                let refs: Vec<&ChannelIdentity> = ids.iter().collect();
                Some(ContactView {
                    contact: c.limited(&refs),
                    full: false,
                })
            }
        })
    }

    /// One contact, as `actor` may see it.
    pub fn contact(&self, actor: &Agent, id: ContactId) -> Result<ContactView> {
        let c = self.store.contact(id)?.ok_or(ServiceError::NotFound)?;
        self.view_of(actor, c)?.ok_or(ServiceError::NotFound)
    }

    /// One contact's whole record, for a change: admins, and agents of every inbox
    /// where the contact is known.
    fn contact_to_change(&self, actor: &Agent, id: ContactId) -> Result<Contact> {
        let c = self.store.contact(id)?.ok_or(ServiceError::NotFound)?;
        match self.contact_access(actor, &c) {
            Access::Full => Ok(c),
            Access::Partial => Err(ServiceError::Forbidden(SHARED_CONTACT)),
            Access::None => Err(ServiceError::NotFound),
        }
    }

    /// Contacts matching `q` (or the newest ones), as `actor` may see them.
    pub fn contacts(
        &self,
        actor: &Agent,
        q: &str,
        before: Option<ContactId>,
        limit: usize,
    ) -> Result<(Vec<ContactView>, Option<ContactId>)> {
        if q.trim().is_empty() {
            let (list, next) = self.store.contacts_page(before, limit)?;
            let mut out = Vec::with_capacity(list.len());
            for c in list {
                out.extend(self.view_of(actor, c)?);
            }
            return Ok((out, next));
        }
        let mut out = Vec::new();
        for id in self.contacts_index.search(q, limit * 4) {
            if out.len() == limit {
                break;
            }
            let Some(c) = self.store.contact(id)? else {
                continue;
            };
            // A partial view matches only on what the agent may see of the contact.
            if let Some(v) = self.view_of(actor, c)?
                && (v.full || crate::search::matches(&v.contact.search_text(), q))
            {
                out.push(v);
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
            let Some(c) = self.store.contact(id)? else {
                continue;
            };
            match self.contact_access(actor, &c) {
                Access::None => {}
                Access::Full => rows.extend(self.contact_conversations(actor, id)?),
                // Found only by what this conversation itself knows of the contact.
                Access::Partial => rows.extend(
                    self.contact_conversations(actor, id)?
                        .into_iter()
                        .filter(|r| {
                            let i = &r.conversation.identity;
                            let text = format!(
                                "{} {} {}",
                                i.name,
                                i.email.as_deref().unwrap_or(""),
                                i.phone.as_deref().unwrap_or("")
                            );
                            crate::search::matches(&text, q)
                        }),
                ),
            }
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
        if let Some(l) = input.language {
            c.language = validate::language("language", &l)?;
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
            inboxes: vec![],
            handles: vec![],
            language: None,
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
        let mut c = self.contact_to_change(actor, id)?;
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
        let mut c = self.contact_to_change(actor, id)?;
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
            inboxes: vec![],
            handles: vec![],
            language: None,
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

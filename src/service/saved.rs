//! Saved responses: shared ones (admins manage them, every agent reads them) and each
//! agent's own; and the conversation's variables, filled on the server.

use super::{Result, ServiceError, Services, from_store};
use crate::domain::conversation::{Conversation, ConversationId};
use crate::domain::saved::{SavedInput, SavedResponse, shortcut_taken};
use crate::domain::validate::Invalid;
use crate::domain::variables::{self, Filled, Values};
use crate::domain::{Agent, AgentId};

/// A saved response with its body filled for one conversation.
#[derive(Debug, Clone)]
pub struct FilledResponse {
    pub response: SavedResponse,
    pub filled: Filled,
}

/// Whether `actor` may change `r`: shared ones admins, personal ones their owner.
fn may_change(actor: &Agent, r: &SavedResponse) -> bool {
    match r.owner {
        None => actor.is_admin() && actor.active,
        Some(owner) => owner == actor.id,
    }
}

impl Services {
    /// What `actor` sees: the shared responses, then their own (two prefix scans).
    pub fn saved_responses(&self, actor: &Agent) -> Result<Vec<SavedResponse>> {
        let mut all = self.store.saved_responses(None)?;
        all.extend(self.store.saved_responses(Some(actor.id))?);
        Ok(all)
    }

    /// One response `actor` may see (another agent's own is not found).
    pub fn saved_response(&self, actor: &Agent, id: u64) -> Result<SavedResponse> {
        match self.store.saved_response(id)? {
            Some(r) if r.owner.is_none() || r.owner == Some(actor.id) => Ok(r),
            _ => Err(ServiceError::NotFound),
        }
    }

    /// The list `owner`'s response must not share a shortcut with: the shared ones and,
    /// for a personal one, the owner's; for a shared one, the actor's own too.
    fn shortcut_check(
        &self,
        actor: &Agent,
        owner: Option<AgentId>,
        input: &SavedInput,
        except: Option<u64>,
    ) -> Result<()> {
        let seen = self.saved_responses(&Agent {
            id: owner.unwrap_or(actor.id),
            ..actor.clone()
        })?;
        if shortcut_taken(&seen, &input.shortcut, except) {
            return Err(ServiceError::Invalid(Invalid {
                field: "shortcut",
                reason: format!(
                    "/{} is already used by another saved response",
                    input.shortcut
                ),
            }));
        }
        Ok(())
    }

    /// Creates a response: `shared` ones only admins.
    pub async fn create_saved_response(
        &self,
        actor: &Agent,
        input: SavedInput,
        shared: bool,
    ) -> Result<SavedResponse> {
        if shared {
            Self::require_admin(actor)?;
        }
        let input = input.check()?;
        let owner = (!shared).then_some(actor.id);
        self.shortcut_check(actor, owner, &input, None)?;
        let now = self.clock.now();
        let r = SavedResponse {
            id: self.store.generate_id()?,
            owner,
            title: input.title,
            shortcut: input.shortcut,
            body: input.body,
            category: input.category,
            created_at: now,
            updated_at: now,
        };
        self.store.put_saved_response(&r, false)?;
        self.store.durable().await?;
        Ok(r)
    }

    /// Changes a response `actor` may change; `shared` moves it (admins only).
    pub async fn update_saved_response(
        &self,
        actor: &Agent,
        id: u64,
        input: SavedInput,
        shared: Option<bool>,
    ) -> Result<SavedResponse> {
        let mut r = self.saved_response(actor, id)?;
        if !may_change(actor, &r) {
            return Err(ServiceError::NotAllowed);
        }
        if let Some(shared) = shared
            && shared != r.owner.is_none()
        {
            Self::require_admin(actor)?;
            r.owner = (!shared).then_some(actor.id);
        }
        let input = input.check()?;
        self.shortcut_check(actor, r.owner, &input, Some(r.id))?;
        r.title = input.title;
        r.shortcut = input.shortcut;
        r.body = input.body;
        r.category = input.category;
        r.updated_at = self.clock.now();
        self.store
            .put_saved_response(&r, true)
            .map_err(from_store)?;
        self.store.durable().await?;
        Ok(r)
    }

    /// Deletes a response `actor` may change.
    pub async fn delete_saved_response(&self, actor: &Agent, id: u64) -> Result<()> {
        let r = self.saved_response(actor, id)?;
        if !may_change(actor, &r) {
            return Err(ServiceError::NotAllowed);
        }
        self.store.delete_saved_response(id).map_err(from_store)?;
        self.store.durable().await?;
        Ok(())
    }

    /// The variables of conversation `c` as `actor` fills them: the contact as the
    /// agent may see it, the agent's name, the inbox's name.
    pub(super) fn variables_of(&self, actor: &Agent, c: &Conversation) -> Result<Values> {
        let contact = match self.contact(actor, c.contact_id) {
            Ok(v) => Some(v.contact),
            Err(ServiceError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let dir = self.directory();
        let inbox = dir.inbox(c.inbox_id).map(|i| i.name.clone());
        Ok(Values::conversation(
            contact.as_ref(),
            &actor.name,
            inbox.as_deref().unwrap_or(""),
        ))
    }

    /// `actor`'s responses with their bodies filled for conversation `id` (one of the
    /// agent's inboxes, else not found).
    pub fn saved_for_conversation(
        &self,
        actor: &Agent,
        id: ConversationId,
    ) -> Result<Vec<FilledResponse>> {
        let c = self.conversation_for(actor, id)?;
        let values = self.variables_of(actor, &c)?;
        Ok(self
            .saved_responses(actor)?
            .into_iter()
            .map(|response| FilledResponse {
                filled: variables::fill_known(&response.body, &values),
                response,
            })
            .collect())
    }
}

/// Refuses a reply that still holds a variable the conversation should have filled:
/// it would reach the customer as `{{contact.email}}`.
pub(super) fn check_filled(content: &str) -> Result<()> {
    let missing = variables::unfilled_known(content);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Unfilled(missing))
    }
}

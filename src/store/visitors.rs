//! Reads for the website widget: a visitor is a contact found by an identifier scoped to
//! the website inbox (a hash of the visitor token, or the site's verified identifier),
//! and their history is that contact's latest conversation in the inbox.

use super::conversations::contact_key;
use super::{Result, Store, keys};
use crate::domain::InboxId;
use crate::domain::conversation::{ContactId, ConversationId};

impl Store {
    /// The contact whose identifier in `inbox` is `identifier` (one point read).
    pub fn contact_by_identifier(
        &self,
        inbox: InboxId,
        identifier: &str,
    ) -> Result<Option<ContactId>> {
        Ok(self
            .t
            .contactkey_contactid
            .get(contact_key(b'i', Some(inbox), identifier))?
            .and_then(|v| keys::read_u64(&v))
            .map(ContactId))
    }

    /// The contact's latest conversation in `inbox` (one point read).
    pub fn latest_conversation(
        &self,
        contact: ContactId,
        inbox: InboxId,
    ) -> Result<Option<ConversationId>> {
        Ok(self
            .t
            .contactinbox_convid
            .get(keys::id_pair(contact.0, inbox.0))?
            .and_then(|v| keys::read_u64(&v))
            .map(ConversationId))
    }
}

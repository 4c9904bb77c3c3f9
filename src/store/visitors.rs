//! Reads for the website widget: a visitor is a contact found by an identifier scoped to
//! the website inbox (a hash of the visitor token, or the site's verified identifier),
//! and their history is that contact's latest conversation in the inbox.

use super::conversations::contact_key;
use super::{Result, Store, keys};
use crate::domain::InboxId;
use crate::domain::contact::Identity;
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

    /// The contact a channel identity leads to, as ingest finds it (one point read):
    /// identifiers scoped to `inbox`, the rest across inboxes.
    pub fn contact_by_identity(&self, inbox: InboxId, who: &Identity) -> Result<Option<ContactId>> {
        let key = match who {
            Identity::External(v) => contact_key(b'i', Some(inbox), v),
            Identity::Email(v) => contact_key(b'e', None, &v.to_lowercase()),
            Identity::Phone(v) => contact_key(b'p', None, v),
            Identity::Messenger(v) => contact_key(b'm', None, v),
            Identity::Telegram(v) => contact_key(b't', None, v),
        };
        Ok(self
            .t
            .contactkey_contactid
            .get(key)?
            .and_then(|v| keys::read_u64(&v))
            .map(ContactId))
    }

    /// The latest conversation in `inbox` of the contact `who` leads to (two point reads).
    pub fn latest_conversation_of(
        &self,
        inbox: InboxId,
        who: &Identity,
    ) -> Result<Option<ConversationId>> {
        match self.contact_by_identity(inbox, who)? {
            Some(c) => self.latest_conversation(c, inbox),
            None => Ok(None),
        }
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

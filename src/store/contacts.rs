//! Contacts: records, lookup keys (email, phone, identifier) and the copy of the name
//! that conversation rows show.

use super::TxErr;
use super::conversations::{Tx, contact_keys};
use super::schema;
use super::{Abort, Result, Store, dec, keys};
use crate::domain::contact::Contact;
use crate::domain::conversation::{ContactId, ConversationId};

impl Store {
    /// One contact.
    pub fn contact(&self, id: ContactId) -> Result<Option<Contact>> {
        self.t
            .contactid_contact
            .get(keys::id(id.0))?
            .map(|v| dec(schema::CONTACTID_CONTACT, &v))
            .transpose()
    }

    /// Contacts newest first, before `before` (keyset), at most `limit`.
    pub fn contacts_page(
        &self,
        before: Option<ContactId>,
        limit: usize,
    ) -> Result<(Vec<Contact>, Option<ContactId>)> {
        let hi = keys::id(before.map(|b| b.0).unwrap_or(u64::MAX));
        let mut out: Vec<Contact> = Vec::with_capacity(limit + 1);
        for v in self
            .t
            .contactid_contact
            .range(..hi)
            .values()
            .rev()
            .take(limit + 1)
        {
            out.push(dec(schema::CONTACTID_CONTACT, &v?)?);
        }
        let next = if out.len() > limit {
            out.pop();
            out.last().map(|c| c.id)
        } else {
            None
        };
        Ok((out, next))
    }

    /// Every contact in id order after `after` (for rebuilding the search index).
    pub fn contacts_after(&self, after: Option<ContactId>, limit: usize) -> Result<Vec<Contact>> {
        let start = after.map(|a| a.0.saturating_add(1)).unwrap_or(0);
        self.t
            .contactid_contact
            .range(keys::id(start)..)
            .values()
            .take(limit)
            .map(|v| dec(schema::CONTACTID_CONTACT, &v?))
            .collect()
    }

    /// Creates or replaces a contact, keeping its email/phone keys unique and the name
    /// shown on its conversations in step. Aborts `ContactTaken` when another contact
    /// already has the email or phone.
    pub fn put_contact(&self, contact: &Contact, must_exist: bool) -> Result<()> {
        let convs: Vec<u64> = self
            .t
            .contactconv_unit
            .scan_prefix(keys::id(contact.id.0))
            .keys()
            .map(|k| k.map(|k| keys::read_u64(&k[8..]).unwrap_or(0)))
            .collect::<std::result::Result<_, _>>()?;
        self.conv_tx(|tx: &Tx<'_>| {
            let old: Option<Contact> = tx.0[6]
                .get(keys::id(contact.id.0))?
                .map(|v| {
                    dec(schema::CONTACTID_CONTACT, &v)
                        .map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))
                })
                .transpose()?;
            if must_exist && old.is_none() {
                return Err(TxErr::Abort(Abort::NotFound));
            }
            let old_keys = old
                .as_ref()
                .map(|o| contact_keys(o, None))
                .unwrap_or_default();
            let new_keys = contact_keys(contact, None);
            for k in &new_keys {
                if let Some(owner) = tx.0[7].get(k)?
                    && keys::read_u64(&owner) != Some(contact.id.0)
                {
                    return Err(TxErr::Abort(Abort::ContactTaken));
                }
            }
            for k in old_keys.iter().filter(|k| !new_keys.contains(k)) {
                tx.0[7].remove(k.as_slice())?;
            }
            for k in &new_keys {
                tx.0[7].insert(k.as_slice(), keys::id(contact.id.0))?;
            }
            // Where the contact is known only grows: a concurrent ingest may have
            // added an inbox since the caller read the contact.
            let mut contact = contact.clone();
            for i in old.iter().flat_map(|o| o.inboxes.iter()) {
                contact.known_in(*i);
            }
            let contact = &contact;
            tx.0[6].insert(
                keys::id(contact.id.0),
                super::codec::encode(contact)
                    .map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))?,
            )?;
            let name = contact.display_name();
            for &c in &convs {
                if let Some(mut conv) = tx.conv(ConversationId(c))?
                    && conv.contact_name != name
                {
                    conv.contact_name = name.clone();
                    tx.0[0].insert(
                        keys::id(c),
                        super::codec::encode(&conv)
                            .map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))?,
                    )?;
                }
            }
            Ok(())
        })
    }
}

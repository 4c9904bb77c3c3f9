//! Search over contacts: an in-memory index of each contact's searchable text (name,
//! email, phone, tags, properties), rebuilt from the store at start-up and kept in
//! step by the services. Partial, case-insensitive matches; a linear pass over
//! compact lower-case strings is a few milliseconds at 100k contacts.

use crate::domain::contact::Contact;
use crate::domain::conversation::ContactId;
use std::collections::BTreeMap;
use std::sync::{OnceLock, RwLock};

/// Called with the id of each contact changed on this node (cluster mode: the other
/// nodes re-index it).
type OnChange = Box<dyn Fn(ContactId) + Send + Sync>;

/// The contact search index.
#[derive(Default)]
pub struct ContactIndex {
    entries: RwLock<BTreeMap<ContactId, Box<str>>>,
    on_change: OnceLock<OnChange>,
}

impl ContactIndex {
    /// Adds or replaces a contact changed on this node (and tells `on_change`).
    pub fn upsert(&self, c: &Contact) {
        self.put(c);
        if let Some(f) = self.on_change.get() {
            f(c.id);
        }
    }

    /// Adds or replaces a contact as read from the store (a change made on another
    /// node, a resync): nobody else is told.
    pub fn put(&self, c: &Contact) {
        let mut e = self.entries.write().unwrap_or_else(|e| e.into_inner());
        e.insert(c.id, c.search_text().into_boxed_str());
    }

    /// Sets what `upsert` tells about each change (once; false when already set).
    pub fn on_change(&self, f: impl Fn(ContactId) + Send + Sync + 'static) -> bool {
        self.on_change.set(Box::new(f)).is_ok()
    }

    /// Adds a contact unless it is already indexed (the start-up fill must not
    /// overwrite a newer entry written by a live change).
    pub fn fill(&self, c: &Contact) {
        let mut e = self.entries.write().unwrap_or_else(|e| e.into_inner());
        e.entry(c.id)
            .or_insert_with(|| c.search_text().into_boxed_str());
    }

    /// Number of indexed contacts.
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Contacts whose text contains every word of `q`, newest first, at most `limit`.
    pub fn search(&self, q: &str, limit: usize) -> Vec<ContactId> {
        self.search_words(q, limit)
    }

    fn search_words(&self, q: &str, limit: usize) -> Vec<ContactId> {
        let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return vec![];
        }
        let e = self.entries.read().unwrap_or_else(|e| e.into_inner());
        e.iter()
            .rev()
            .filter(|(_, text)| words.iter().all(|w| text.contains(w.as_str())))
            .map(|(id, _)| *id)
            .take(limit)
            .collect()
    }
}

/// Whether lower-case `text` contains every word of `q` (the index's own rule, for
/// text that is not in the index, such as what one conversation knows of a contact).
pub fn matches(text: &str, q: &str) -> bool {
    let text = text.to_lowercase();
    let mut words = q.split_whitespace().map(str::to_lowercase).peekable();
    words.peek().is_some() && words.all(|w| text.contains(w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn c(id: u64, name: &str, email: &str, tags: &[&str]) -> Contact {
        Contact {
            id: ContactId(id),
            name: name.into(),
            email: Some(email.into()),
            phone: Some(format!("+3460000{id:04}")),
            identifier: None,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            properties: vec![("plan".into(), "Gold".into())],
            blocked: false,
            created_at: Timestamp(0),
            inboxes: vec![],
            handles: vec![],
            language: None,
        }
    }

    #[test]
    fn partial_case_insensitive_all_words() {
        let ix = ContactIndex::default();
        ix.upsert(&c(1, "Carla Gómez", "carla@shop.es", &["vip"]));
        ix.upsert(&c(2, "Carlos Ruiz", "cr@x.io", &[]));
        assert_eq!(ix.search("carl", 10), vec![ContactId(2), ContactId(1)]);
        assert_eq!(ix.search("GÓMEZ", 10), vec![ContactId(1)]);
        assert_eq!(ix.search("carl vip", 10), vec![ContactId(1)]);
        assert_eq!(ix.search("600000002", 10), vec![ContactId(2)]);
        assert_eq!(ix.search("gold", 1).len(), 1);
        assert!(ix.search("   ", 10).is_empty());
        ix.upsert(&c(2, "Renamed", "cr@x.io", &[]));
        assert_eq!(ix.search("carlos", 10), vec![]);
    }

    #[test]
    fn upsert_tells_on_change_and_put_does_not() {
        let ix = ContactIndex::default();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
        let s = seen.clone();
        assert!(ix.on_change(move |id| s.lock().unwrap().push(id)));
        ix.upsert(&c(1, "Carla", "carla@shop.es", &[]));
        ix.put(&c(2, "Carlos", "cr@x.io", &[]));
        assert_eq!(*seen.lock().unwrap(), vec![ContactId(1)]);
        assert_eq!(ix.search("carl", 10), vec![ContactId(2), ContactId(1)]);
    }
}

//! `meta.schema_version` and the ordered list of migrations. Each migration is
//! idempotent (a crash halfway re-runs it); a snapshot is taken before the first one.

use super::schema::meta_keys;
use super::{Result, Store, StoreError, keys};

struct Migration {
    /// The schema version this migration produces.
    to: u64,
    name: &'static str,
    run: fn(&Store) -> Result<()>,
}

/// Ordered by `to`; the last one's `to` is the current schema.
const MIGRATIONS: &[Migration] = &[
    Migration {
        to: 1,
        name: "initial schema",
        run: |_| Ok(()),
    },
    Migration {
        to: 2,
        name: "conversations keep their reply identity; contacts know their inboxes",
        run: conversation_identities,
    },
    Migration {
        to: 3,
        name: "the outbox keeps its queue depth",
        run: count_jobs,
    },
];

/// The schema this binary writes.
pub const CURRENT_SCHEMA: u64 = 3;

/// Before version 3 nothing kept how many jobs wait; each change to the queue now moves
/// `jobcount_n` in its own transaction. Counts the queue once. Idempotent: the count is
/// set, not added to.
fn count_jobs(store: &Store) -> Result<()> {
    use super::schema;
    let n = store.t.jobdue_job.len()?;
    store
        .t
        .jobcount_n
        .insert(schema::JOBS_PENDING, keys::u64_be(n))?;
    Ok(())
}

/// Before version 2, replies went to the contact's current email and any agent of one
/// of a contact's inboxes could edit it. Each conversation now keeps the identity it
/// had (the contact's fields as they stand; a website visitor's typed email stays
/// unconfirmed), and each contact lists the inboxes of its conversations. Idempotent:
/// an identity already set is kept, and an inbox is listed once.
fn conversation_identities(store: &Store) -> Result<()> {
    use super::{codec, dec, schema};
    use crate::domain::ChannelKind;
    use crate::domain::contact::Contact;
    use crate::domain::conversation::{ChannelIdentity, Conversation};
    let mut website = std::collections::HashMap::new();
    for item in store.t.convid_conversation.iter() {
        let (k, v) = item?;
        let mut conv: Conversation = dec(schema::CONVID_CONVERSATION, &v)?;
        let ck = keys::id(conv.contact_id.0);
        let Some(cv) = store.t.contactid_contact.get(ck)? else {
            continue;
        };
        let mut contact: Contact = dec(schema::CONTACTID_CONTACT, &cv)?;
        if conv.identity == ChannelIdentity::default() {
            let typed = match website.get(&conv.inbox_id) {
                Some(w) => *w,
                None => {
                    let w = store
                        .inbox(conv.inbox_id)?
                        .is_some_and(|i| i.channel == ChannelKind::Website);
                    website.insert(conv.inbox_id, w);
                    w
                }
            };
            conv.identity = ChannelIdentity {
                name: contact.name.clone(),
                email: contact.email.clone(),
                email_verified: !typed,
                phone: contact.phone.clone(),
                identifier: contact.identifier.clone(),
                handle: None,
            };
            let enc = codec::encode(&conv)
                .map_err(|e| StoreError::Abort(super::Abort::Codec(e.to_string())))?;
            store.t.convid_conversation.insert(k, enc)?;
        }
        if contact.known_in(conv.inbox_id) {
            let enc = codec::encode(&contact)
                .map_err(|e| StoreError::Abort(super::Abort::Codec(e.to_string())))?;
            store.t.contactid_contact.insert(ck, enc)?;
        }
    }
    Ok(())
}

pub(super) fn run(store: &Store) -> Result<()> {
    let found = store.schema_version()?;
    if found > CURRENT_SCHEMA {
        return Err(StoreError::NewerSchema {
            path: store.path.clone(),
            found,
            supported: CURRENT_SCHEMA,
        });
    }
    if found == CURRENT_SCHEMA {
        return Ok(());
    }
    if found == 0
        && store.t.agentid_agent.is_empty()?
        && store.t.meta.get(meta_keys::SETUP_DONE)?.is_none()
    {
        // A new, empty store: nothing to migrate.
        return set_version(store, CURRENT_SCHEMA);
    }
    let snapshot = store
        .path
        .join(format!("pre-migration-v{found}.charla-backup"));
    tracing::info!(from = found, to = CURRENT_SCHEMA, snapshot = %snapshot.display(), "migrating store; snapshot first");
    let file = std::fs::File::create(&snapshot).map_err(|source| StoreError::Io {
        path: snapshot.clone(),
        source,
    })?;
    store.backup_to(std::io::BufWriter::new(file), |_| {})?;
    for m in MIGRATIONS.iter().filter(|m| m.to > found) {
        tracing::info!(to = m.to, name = m.name, "running migration");
        (m.run)(store)?;
        set_version(store, m.to)?;
    }
    store.flush_blocking()
}

fn set_version(store: &Store, v: u64) -> Result<()> {
    store
        .t
        .meta
        .insert(meta_keys::SCHEMA_VERSION, keys::u64_be(v))?;
    store.flush_blocking()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{TestStore, on_both_engines};

    on_both_engines!(
        reopening: new_store_gets_current_version_and_newer_is_refused,
        version_1_conversations_get_their_identity_and_contacts_their_inboxes,
        second_open_of_same_dir_is_refused_as_locked,
        ids_are_unique_across_reopen,
    );

    #[test]
    fn migrations_are_ordered_and_end_at_current() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].to < w[1].to));
        assert_eq!(MIGRATIONS.last().map(|m| m.to), Some(CURRENT_SCHEMA));
    }

    /// A new store is at the current version; a store newer than the binary is refused.
    fn new_store_gets_current_version_and_newer_is_refused(t: &TestStore) {
        {
            let s = t.open().unwrap();
            assert_eq!(s.schema_version().unwrap(), CURRENT_SCHEMA);
            s.t.meta
                .insert(meta_keys::SCHEMA_VERSION, keys::u64_be(CURRENT_SCHEMA + 1))
                .unwrap();
            s.flush_blocking().unwrap();
        }
        let err = t.open().err().unwrap();
        assert!(
            matches!(err, StoreError::NewerSchema { found, .. } if found == CURRENT_SCHEMA + 1)
        );
        assert!(err.to_string().contains("newer than this binary supports"));
    }

    /// A version-1 store (conversations without an identity, contacts without their
    /// inboxes) gets both from the contact as it stood.
    fn version_1_conversations_get_their_identity_and_contacts_their_inboxes(t: &TestStore) {
        use crate::domain::conversation::{ChannelIdentity, Conversation};
        use crate::domain::{InboxId, Timestamp};
        use crate::store::{InboundMessage, InboundSender, Thread};
        let conv_id = {
            let s = t.open().unwrap();
            let m = InboundMessage {
                inbox_id: InboxId(3),
                source_id: Some("m1".into()),
                sender: InboundSender::of(
                    Some("Carla".into()),
                    None,
                    Some("carla@example.com".into()),
                    None,
                ),
                thread: Thread::Latest,
                position: None,
                content: "hola".into(),
                at: Timestamp(1),
                token: "tok".into(),
                quiet: false,
                mail: None,
            };
            let r = s.ingest(&m, [10, 11, 12, 13, 14]).unwrap();
            // Make it look like version 1 wrote it.
            let mut c: Conversation = s.conversation(r.conversation_id).unwrap().unwrap();
            c.identity = ChannelIdentity::default();
            s.t.convid_conversation
                .insert(keys::id(c.id.0), crate::store::codec::encode(&c).unwrap())
                .unwrap();
            let mut k = s.contact(c.contact_id).unwrap().unwrap();
            k.inboxes.clear();
            s.t.contactid_contact
                .insert(keys::id(k.id.0), crate::store::codec::encode(&k).unwrap())
                .unwrap();
            s.t.agentid_agent.insert(keys::id(1), &[1u8][..]).unwrap();
            set_version(&s, 1).unwrap();
            r.conversation_id
        };
        let s = t.open().unwrap();
        assert_eq!(s.schema_version().unwrap(), CURRENT_SCHEMA);
        let c = s.conversation(conv_id).unwrap().unwrap();
        assert_eq!(c.identity.email.as_deref(), Some("carla@example.com"));
        assert_eq!(c.identity.name, "Carla");
        assert!(c.identity.email_verified);
        let k = s.contact(c.contact_id).unwrap().unwrap();
        assert_eq!(k.inboxes, vec![InboxId(3)]);
    }

    /// The data directory's lock refuses a second open, whatever the engine.
    fn second_open_of_same_dir_is_refused_as_locked(t: &TestStore) {
        let _s = t.open().unwrap();
        assert!(matches!(t.open(), Err(StoreError::Locked(_))));
        assert!(crate::store::is_locked(&t.options().path));
    }

    /// Ids handed out before a reopen are never handed out again.
    fn ids_are_unique_across_reopen(t: &TestStore) {
        let first: Vec<u64> = {
            let s = t.open().unwrap();
            let v = (0..10).map(|_| s.generate_id().unwrap()).collect();
            s.flush_blocking().unwrap();
            v
        };
        let s = t.open().unwrap();
        let next = s.generate_id().unwrap();
        assert!(first.iter().all(|&i| i < next), "{first:?} vs {next}");
    }
}

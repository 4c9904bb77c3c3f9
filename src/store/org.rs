//! Teams and inboxes.

use super::TxErr;
use super::accounts::{bump_directory_version, put_audit};
use super::schema;
use super::{Abort, Result, Store, dec, enc, keys};
use crate::domain::{AuditEntry, Inbox, InboxId, Team, TeamId};
use serde::Serialize;
use serde::de::DeserializeOwned;

impl Store {
    fn get_in<T: DeserializeOwned>(
        &self,
        tree: &super::kv::Tree,
        name: &'static str,
        id: u64,
    ) -> Result<Option<T>> {
        tree.get(keys::id(id))?.map(|v| dec(name, &v)).transpose()
    }

    fn list_in<T: DeserializeOwned>(
        &self,
        tree: &super::kv::Tree,
        name: &'static str,
        limit: usize,
    ) -> Result<Vec<T>> {
        tree.iter()
            .take(limit)
            .map(|kv| {
                let (_, v) = kv?;
                dec(name, &v)
            })
            .collect()
    }

    /// Inserts or replaces a record by id (teams and inboxes: the directory version
    /// moves), with its audit entry, in one transaction.
    /// With `must_exist`, aborts with `NotFound` when there is nothing to replace.
    fn put_in<T: Serialize>(
        &self,
        tree: &super::kv::Tree,
        id: u64,
        v: &T,
        must_exist: bool,
        audit: &(u64, AuditEntry),
    ) -> Result<()> {
        let _g = self.write_gate();
        let bytes = enc(v)?;
        self.tx(
            [tree, &self.t.auditkey_entry, &self.t.meta],
            |[t, aud, meta]| {
                let old = t.replace(keys::id(id), bytes.clone())?;
                if must_exist && old.is_none() {
                    return Err(TxErr::Abort(Abort::NotFound));
                }
                bump_directory_version(meta)?;
                put_audit(aud, Some(audit))
            },
        )?;
        Ok(())
    }

    fn delete_in(&self, tree: &super::kv::Tree, id: u64, audit: &(u64, AuditEntry)) -> Result<()> {
        let _g = self.write_gate();
        self.tx(
            [tree, &self.t.auditkey_entry, &self.t.meta],
            |[t, aud, meta]| {
                if t.take(keys::id(id))?.is_none() {
                    return Err(TxErr::Abort(Abort::NotFound));
                }
                bump_directory_version(meta)?;
                put_audit(aud, Some(audit))
            },
        )?;
        Ok(())
    }

    /// One team.
    pub fn team(&self, id: TeamId) -> Result<Option<Team>> {
        self.get_in(&self.t.teamid_team, schema::TEAMID_TEAM, id.0)
    }
    /// Teams in id order, at most `limit`.
    pub fn teams(&self, limit: usize) -> Result<Vec<Team>> {
        self.list_in(&self.t.teamid_team, schema::TEAMID_TEAM, limit)
    }
    /// Creates or replaces a team.
    pub fn put_team(&self, team: &Team, must_exist: bool, audit: &(u64, AuditEntry)) -> Result<()> {
        self.put_in(&self.t.teamid_team, team.id.0, team, must_exist, audit)
    }
    /// Deletes a team.
    pub fn delete_team(&self, id: TeamId, audit: &(u64, AuditEntry)) -> Result<()> {
        self.delete_in(&self.t.teamid_team, id.0, audit)
    }

    /// One inbox.
    pub fn inbox(&self, id: InboxId) -> Result<Option<Inbox>> {
        self.get_in(&self.t.inboxid_inbox, schema::INBOXID_INBOX, id.0)
    }
    /// Inboxes in id order, at most `limit`.
    pub fn inboxes(&self, limit: usize) -> Result<Vec<Inbox>> {
        self.list_in(&self.t.inboxid_inbox, schema::INBOXID_INBOX, limit)
    }
    /// Creates or replaces an inbox.
    pub fn put_inbox(
        &self,
        inbox: &Inbox,
        must_exist: bool,
        audit: &(u64, AuditEntry),
    ) -> Result<()> {
        self.put_in(&self.t.inboxid_inbox, inbox.id.0, inbox, must_exist, audit)
    }
    /// Deletes an inbox.
    pub fn delete_inbox(&self, id: InboxId, audit: &(u64, AuditEntry)) -> Result<()> {
        self.delete_in(&self.t.inboxid_inbox, id.0, audit)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{Agent, AgentId, AuditEntry, Role, Team, TeamId, Timestamp};
    use crate::store::{EngineChoice, Store, StoreOptions};

    fn audit(id: u64) -> (u64, AuditEntry) {
        let entry = AuditEntry {
            at: Timestamp(id as i64),
            actor: None,
            actor_name: "test".into(),
            action: "test".into(),
            target: String::new(),
            detail: String::new(),
        };
        (id, entry)
    }

    /// Every change to agents, teams and inboxes moves the directory version in its
    /// own transaction; a change that aborts does not.
    fn directory_version_moves_with_every_directory_change(store: &Store) {
        assert_eq!(store.directory_version().unwrap(), 0);
        let mut team = Team {
            id: TeamId(10),
            name: "Ventas".into(),
            members: vec![],
            created_at: Timestamp(1),
        };
        store.put_team(&team, false, &audit(1)).unwrap();
        assert_eq!(store.directory_version().unwrap(), 1);
        team.name = "Soporte".into();
        store.put_team(&team, true, &audit(2)).unwrap();
        assert_eq!(store.directory_version().unwrap(), 2);
        let missing = Team {
            id: TeamId(11),
            ..team.clone()
        };
        assert!(store.put_team(&missing, true, &audit(3)).is_err());
        assert_eq!(
            store.directory_version().unwrap(),
            2,
            "an abort moves nothing"
        );
        store.delete_team(team.id, &audit(4)).unwrap();
        assert_eq!(store.directory_version().unwrap(), 3);
        let mut agent = Agent {
            id: AgentId(20),
            name: "Ana".into(),
            email: "ana@example.com".into(),
            role: Role::Admin,
            password_hash: None,
            active: true,
            created_at: Timestamp(1),
            password_changed_at: Timestamp(1),
            language: None,
            timezone: None,
            notify: crate::domain::NotifyPrefs::default(),
            two_factor: None,
            undo_send_secs: crate::domain::account::DEFAULT_UNDO_SEND_SECS,
            signature: String::new(),
        };
        store.create_first_admin(&agent, &audit(5)).unwrap();
        assert_eq!(store.directory_version().unwrap(), 4);
        agent.active = false;
        store.update_agent(&agent, None).unwrap();
        assert_eq!(store.directory_version().unwrap(), 5);
        store.update_agent_password(&agent, None).unwrap();
        assert_eq!(store.directory_version().unwrap(), 6);
    }

    fn open(dir: &std::path::Path, engine: EngineChoice) -> Store {
        Store::open(&StoreOptions {
            path: dir.to_path_buf(),
            cache_capacity: 8 << 20,
            flush_every_ms: None,
            engine,
        })
        .unwrap()
    }

    #[test]
    fn directory_version_on_sled() {
        let dir = tempfile::tempdir().unwrap();
        directory_version_moves_with_every_directory_change(&open(dir.path(), EngineChoice::Sled));
    }

    #[test]
    #[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
    fn directory_version_on_postgres() {
        let server = crate::store::engine::pg_test_server::PgServer::start();
        let dir = tempfile::tempdir().unwrap();
        let engine = EngineChoice::Postgres {
            url: server.fresh_database(),
            pool_size: 2,
        };
        directory_version_moves_with_every_directory_change(&open(dir.path(), engine));
    }

    /// An agent's language and time zone are kept; records written before they existed
    /// read as "not chosen".
    fn agent_preferences_are_kept_and_old_records_read(store: &Store) {
        #[derive(serde::Serialize)]
        struct AgentBefore {
            id: AgentId,
            name: String,
            email: String,
            role: Role,
            password_hash: Option<String>,
            active: bool,
            created_at: Timestamp,
            password_changed_at: Timestamp,
        }
        let old = AgentBefore {
            id: AgentId(7),
            name: "Luis".into(),
            email: "luis@example.com".into(),
            role: Role::Agent,
            password_hash: None,
            active: true,
            created_at: Timestamp(1),
            password_changed_at: Timestamp(1),
        };
        let read: Agent =
            crate::store::codec::decode(&crate::store::codec::encode(&old).unwrap()).unwrap();
        assert_eq!(
            (read.language.as_deref(), read.timezone.as_deref()),
            (None, None)
        );
        assert_eq!(
            read.notify,
            crate::domain::NotifyPrefs::default(),
            "notifications: every kind on, sound and desktop off"
        );
        let mut agent = Agent {
            id: AgentId(30),
            email: "ana@example.com".into(),
            ..read
        };
        store.create_first_admin(&agent, &audit(1)).unwrap();
        agent.language = Some("es".into());
        agent.timezone = Some("America/Bogota".into());
        agent.notify.mentions = false;
        agent.notify.desktop = true;
        store.update_agent(&agent, None).unwrap();
        let back = store.agent(AgentId(30)).unwrap().unwrap();
        assert_eq!(back.language.as_deref(), Some("es"));
        assert_eq!(back.timezone.as_deref(), Some("America/Bogota"));
        assert_eq!(back, agent);
    }

    crate::store::test_support::on_both_engines!(agent_preferences_are_kept_and_old_records_read);

    /// An inbox's and a contact's language are kept; records written before they
    /// existed read as "none" (the installation's language applies).
    fn inbox_and_contact_languages_are_kept_and_old_records_read(store: &Store) {
        use crate::domain::contact::Contact;
        use crate::domain::conversation::ContactId;
        use crate::domain::{ChannelKind, Inbox, InboxId};
        #[derive(serde::Serialize)]
        struct InboxBefore {
            id: InboxId,
            name: String,
            channel: ChannelKind,
            members: Vec<AgentId>,
            created_at: Timestamp,
            api_token: Option<String>,
            webhook_url: Option<String>,
            email: Option<()>,
            website: Option<()>,
            messaging: Option<()>,
        }
        #[derive(serde::Serialize)]
        struct ContactBefore {
            id: ContactId,
            name: String,
            email: Option<String>,
            phone: Option<String>,
            identifier: Option<String>,
            tags: Vec<String>,
            properties: Vec<(String, String)>,
            blocked: bool,
            created_at: Timestamp,
            inboxes: Vec<InboxId>,
            handles: Vec<()>,
        }
        let old_inbox = crate::store::codec::encode(&InboxBefore {
            id: InboxId(40),
            name: "Tienda".into(),
            channel: ChannelKind::Api,
            members: vec![],
            created_at: Timestamp(1),
            api_token: None,
            webhook_url: None,
            email: None,
            website: None,
            messaging: None,
        })
        .unwrap();
        let read: Inbox = crate::store::codec::decode(&old_inbox).unwrap();
        assert_eq!(read.language, None);
        let mut inbox = Inbox {
            language: Some("es".into()),
            ..read
        };
        store.put_inbox(&inbox, false, &audit(2)).unwrap();
        assert_eq!(store.inbox(InboxId(40)).unwrap().unwrap(), inbox);
        inbox.language = None;
        store.put_inbox(&inbox, true, &audit(3)).unwrap();
        assert_eq!(store.inbox(InboxId(40)).unwrap().unwrap().language, None);

        let old_contact = crate::store::codec::encode(&ContactBefore {
            id: ContactId(41),
            name: "Lucía".into(),
            email: Some("lucia@example.com".into()),
            phone: None,
            identifier: None,
            tags: vec![],
            properties: vec![],
            blocked: false,
            created_at: Timestamp(1),
            inboxes: vec![InboxId(40)],
            handles: vec![],
        })
        .unwrap();
        let read: Contact = crate::store::codec::decode(&old_contact).unwrap();
        assert_eq!(read.language, None);
        let contact = Contact {
            language: Some("es".into()),
            ..read
        };
        store.put_contact(&contact, false).unwrap();
        assert_eq!(store.contact(ContactId(41)).unwrap().unwrap(), contact);
    }

    crate::store::test_support::on_both_engines!(
        inbox_and_contact_languages_are_kept_and_old_records_read
    );

    /// Two-factor changes read and write the agent in one transaction; a refused one
    /// writes nothing (nor its audit entry); the workspace requirement comes and goes.
    fn two_factor_changes_are_atomic_and_the_requirement_is_kept(store: &Store) {
        use crate::domain::TwoFactor;
        use crate::store::{Abort, StoreError};
        let agent = Agent {
            id: AgentId(40),
            name: "Ana".into(),
            email: "ana@example.com".into(),
            role: Role::Admin,
            password_hash: None,
            active: true,
            created_at: Timestamp(1),
            password_changed_at: Timestamp(1),
            language: None,
            timezone: None,
            notify: crate::domain::NotifyPrefs::default(),
            two_factor: None,
            undo_send_secs: crate::domain::account::DEFAULT_UNDO_SEND_SECS,
            signature: String::new(),
        };
        store.create_first_admin(&agent, &audit(1)).unwrap();
        let version = store.directory_version().unwrap();
        let tf = TwoFactor {
            secret: "v1:sealed".into(),
            enabled_at: Timestamp(5),
            last_step: 10,
            recovery: vec!["a".into(), "b".into()],
        };
        let written = store
            .change_two_factor(agent.id, Some(&audit(2)), |a| {
                a.two_factor = Some(tf.clone());
                Ok(())
            })
            .unwrap();
        assert_eq!(written.two_factor.as_ref(), Some(&tf));
        assert_eq!(store.agent(agent.id).unwrap().unwrap(), written);
        // A step not after the last one is refused, and nothing moves.
        let refused = store.change_two_factor(agent.id, Some(&audit(3)), |a| {
            let t = a.two_factor.as_mut().ok_or(Abort::CodeRefused)?;
            if t.last_step >= 10 {
                return Err(Abort::CodeRefused);
            }
            t.last_step = 10;
            Ok(())
        });
        assert!(matches!(
            refused,
            Err(StoreError::Abort(Abort::CodeRefused))
        ));
        assert_eq!(store.agent(agent.id).unwrap().unwrap(), written);
        let (entries, _) = store.audit_page(None, 10).unwrap();
        assert_eq!(entries.len(), 2, "the refused change left no audit entry");
        assert!(matches!(
            store.change_two_factor(AgentId(999), None, |_| Ok(())),
            Err(StoreError::Abort(Abort::NotFound))
        ));
        assert_eq!(store.directory_version().unwrap(), version);

        assert!(!store.require_two_factor().unwrap());
        store.set_require_two_factor(true, &audit(4)).unwrap();
        assert!(store.require_two_factor().unwrap());
        store.set_require_two_factor(false, &audit(5)).unwrap();
        assert!(!store.require_two_factor().unwrap());
        assert_eq!(store.audit_page(None, 10).unwrap().0.len(), 4);
    }

    crate::store::test_support::on_both_engines!(
        two_factor_changes_are_atomic_and_the_requirement_is_kept
    );
}

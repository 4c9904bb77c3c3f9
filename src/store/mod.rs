//! The only module that names sled. Opens the database once, every tree once, and offers
//! typed operations per aggregate; each write is one multi-tree transaction.

mod accounts;
mod attachments;
mod audit;
pub mod backup;
pub mod codec;
mod contacts;
mod conversations;
mod durable;
mod engine;

mod jobs;
pub mod keys;
mod migrations;
mod org;
pub mod schema;
mod views;
mod visitors;

use codec::CodecError;
use schema::meta_keys;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use accounts::TokenRow;
pub use attachments::{InboundParts, Part};
pub use conversations::{Change, InboundMessage, Ingested, MailCursor, View, ViewPage};
pub use jobs::{Job, JobKind};
pub use migrations::CURRENT_SCHEMA;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage engine error: {0}")]
    Engine(String),
    #[error("corrupt value in tree {tree}: {source}")]
    Corrupt {
        tree: &'static str,
        source: CodecError,
    },
    #[error(
        "the data directory {0} is in use by another charla process (a running server?); stop it first, or use the running server's API"
    )]
    Locked(PathBuf),
    #[error(
        "the data in {path} has schema version {found}, newer than this binary supports ({supported}); \
         run the newer charla binary, or restore a backup made by this version"
    )]
    NewerSchema {
        path: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Abort(Abort),
    #[error("invalid backup file: {0}")]
    BadBackup(String),
}

/// A rule checked inside a transaction that refused the write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Abort {
    #[error("{0}")]
    Rule(crate::domain::conversation::RuleError),
    #[error("the value could not be encoded or decoded: {0}")]
    Codec(String),
    #[error("an agent with that email already exists")]
    DuplicateEmail,
    #[error("setup has already been completed")]
    AlreadySetUp,
    #[error("not found")]
    NotFound,
    #[error("another contact already has that email or phone")]
    ContactTaken,
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Engine(e.to_string())
    }
}

impl From<sled::transaction::TransactionError<Abort>> for StoreError {
    fn from(e: sled::transaction::TransactionError<Abort>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(a) => StoreError::Abort(a),
            sled::transaction::TransactionError::Storage(e) => e.into(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Options for opening the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub path: PathBuf,
    pub cache_capacity: u64,
    pub flush_every_ms: Option<u64>,
}

/// Handles to every tree, opened once.
pub(crate) struct Trees {
    pub meta: sled::Tree,
    pub agentid_agent: sled::Tree,
    pub email_agentid: sled::Tree,
    pub sessionhash_session: sled::Tree,
    pub agentsession_unit: sled::Tree,
    pub tokenhash_apitoken: sled::Tree,
    pub agenttoken_tokenrow: sled::Tree,
    pub invitehash_invite: sled::Tree,
    pub agentid_invitehash: sled::Tree,
    pub teamid_team: sled::Tree,
    pub inboxid_inbox: sled::Tree,
    pub auditkey_entry: sled::Tree,
    pub convid_conversation: sled::Tree,
    pub timeline_item: sled::Tree,
    pub msgid_convid: sled::Tree,
    pub extref_msgref: sled::Tree,
    pub viewidx_unit: sled::Tree,
    pub viewcount_n: sled::Tree,
    pub contactid_contact: sled::Tree,
    pub contactkey_contactid: sled::Tree,
    pub contactconv_unit: sled::Tree,
    pub contactinbox_convid: sled::Tree,
    pub readstate_time: sled::Tree,
    pub mention_time: sled::Tree,
    pub wakedue_unit: sled::Tree,
    pub jobdue_job: sled::Tree,
    pub mailcursor_state: sled::Tree,
    pub token_convid: sled::Tree,
    pub msgpart_chunk: sled::Tree,
}

/// How many ids the generator reserves per write of its high-water mark.
const ID_BLOCK: u64 = 1024;

/// The database. Writes hold the gate for reading; a backup holds it for writing, so a
/// snapshot sees no half-applied change.
pub struct Store {
    db: sled::Db,
    pub(crate) t: Trees,
    gate: RwLock<()>,
    commit: durable::GroupCommit,
    next_id: AtomicU64,
    id_reserved: Mutex<u64>,
    path: PathBuf,
    _lock: File,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Takes the data directory's lock file; fails with `Locked` while another process holds it.
fn lock_dir(path: &Path) -> Result<File> {
    std::fs::create_dir_all(path).map_err(io_err(path))?;
    let lock_path = path.join("charla.lock");
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io_err(&lock_path))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked(path.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(io_err(&lock_path)(e)),
    }
}

/// Whether a running process holds the data directory at `path`.
pub fn is_locked(path: &Path) -> bool {
    matches!(lock_dir(path), Err(StoreError::Locked(_)))
}

impl Store {
    /// Opens (or creates) the store, takes the directory lock and runs migrations.
    pub fn open(opts: &StoreOptions) -> Result<Store> {
        let lock = lock_dir(&opts.path)?;
        let db_path = opts.path.join("db");
        let cfg = sled::Config::new()
            .path(&db_path)
            .cache_capacity(opts.cache_capacity)
            .flush_every_ms(opts.flush_every_ms);
        // Our directory lock already excludes other processes; sled's own file lock can
        // stay held for a moment by the background flusher of a store this process just
        // dropped (a restart in place), so retry briefly instead of failing.
        let mut tries = 0;
        let db = loop {
            match cfg.open() {
                Ok(db) => break db,
                Err(sled::Error::Io(e)) if tries < 60 => {
                    tracing::debug!(error = %e, "database busy, retrying");
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(e.into()),
            }
        };
        let open = |n: &str| db.open_tree(n);
        let t = Trees {
            meta: open(schema::META)?,
            agentid_agent: open(schema::AGENTID_AGENT)?,
            email_agentid: open(schema::EMAIL_AGENTID)?,
            sessionhash_session: open(schema::SESSIONHASH_SESSION)?,
            agentsession_unit: open(schema::AGENTSESSION_UNIT)?,
            tokenhash_apitoken: open(schema::TOKENHASH_APITOKEN)?,
            agenttoken_tokenrow: open(schema::AGENTTOKEN_TOKENROW)?,
            invitehash_invite: open(schema::INVITEHASH_INVITE)?,
            agentid_invitehash: open(schema::AGENTID_INVITEHASH)?,
            teamid_team: open(schema::TEAMID_TEAM)?,
            inboxid_inbox: open(schema::INBOXID_INBOX)?,
            auditkey_entry: open(schema::AUDITKEY_ENTRY)?,
            convid_conversation: open(schema::CONVID_CONVERSATION)?,
            timeline_item: open(schema::TIMELINE_ITEM)?,
            msgid_convid: open(schema::MSGID_CONVID)?,
            extref_msgref: open(schema::EXTREF_MSGREF)?,
            viewidx_unit: open(schema::VIEWIDX_UNIT)?,
            viewcount_n: open(schema::VIEWCOUNT_N)?,
            contactid_contact: open(schema::CONTACTID_CONTACT)?,
            contactkey_contactid: open(schema::CONTACTKEY_CONTACTID)?,
            contactconv_unit: open(schema::CONTACTCONV_UNIT)?,
            contactinbox_convid: open(schema::CONTACTINBOX_CONVID)?,
            readstate_time: open(schema::READSTATE_TIME)?,
            mention_time: open(schema::MENTION_TIME)?,
            wakedue_unit: open(schema::WAKEDUE_UNIT)?,
            jobdue_job: open(schema::JOBDUE_JOB)?,
            mailcursor_state: open(schema::MAILCURSOR_STATE)?,
            token_convid: open(schema::TOKEN_CONVID)?,
            msgpart_chunk: open(schema::MSGPART_CHUNK)?,
        };
        let hwm = match t.meta.get(meta_keys::ID_HWM)? {
            Some(v) => keys::read_u64(&v).unwrap_or(1),
            None => 1,
        };
        let store = Store {
            commit: durable::GroupCommit::new(db.clone()),
            db,
            t,
            gate: RwLock::new(()),
            next_id: AtomicU64::new(hwm),
            id_reserved: Mutex::new(hwm),
            path: opts.path.clone(),
            _lock: lock,
        };
        migrations::run(&store)?;
        Ok(store)
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new unique id. Reserves ids in blocks; the high-water mark is written before
    /// any id of a block is handed out, so ids never repeat after a crash or a restore.
    pub fn generate_id(&self) -> Result<u64> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let mut reserved = self.id_reserved.lock().unwrap_or_else(|e| e.into_inner());
        if id >= *reserved {
            let new_hwm = id + ID_BLOCK;
            let _g = self.write_gate();
            self.t
                .meta
                .insert(meta_keys::ID_HWM, &keys::u64_be(new_hwm))?;
            *reserved = new_hwm;
        }
        Ok(id)
    }

    /// Waits until every write made before this call is on disk. Concurrent callers
    /// share one fsync (group commit). Call before acknowledging anything outside.
    pub async fn durable(&self) -> Result<()> {
        self.commit.flush().await
    }

    /// Flushes synchronously (shutdown and command-line tools).
    pub fn flush_blocking(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Checks that the store answers reads (for `/healthz`).
    pub fn health(&self) -> Result<()> {
        self.t.meta.get(meta_keys::SCHEMA_VERSION)?;
        Ok(())
    }

    /// The schema version recorded in the store.
    pub fn schema_version(&self) -> Result<u64> {
        Ok(self
            .t
            .meta
            .get(meta_keys::SCHEMA_VERSION)?
            .and_then(|v| keys::read_u64(&v))
            .unwrap_or(0))
    }

    /// Bytes used on disk by the database files.
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk()?)
    }

    pub(crate) fn write_gate(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn exclusive_gate(&self) -> RwLockWriteGuard<'_, ()> {
        self.gate.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Decodes a value read from `tree`, naming the tree on failure.
pub(crate) fn dec<T: serde::de::DeserializeOwned>(tree: &'static str, b: &[u8]) -> Result<T> {
    codec::decode(b).map_err(|source| StoreError::Corrupt { tree, source })
}

/// Encodes a value; inside a transaction an encoding failure aborts as a storage error.
pub(crate) fn enc<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    codec::encode(v).map_err(|e| StoreError::Engine(e.to_string()))
}

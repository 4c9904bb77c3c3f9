//! The store: typed operations per aggregate over an ordered key-value engine
//! (`engine`); each write is one multi-keyspace transaction. Only `engine` knows which
//! engine runs (sled, embedded, by default).

mod accounts;
mod attachments;
mod audit;
pub mod backup;
pub mod codec;
mod contacts;
mod conversations;
pub mod copy;
pub mod engine;
pub mod exchange;
mod jobs;
pub mod keys;
mod kv;
mod leases;
mod limits;
mod migrations;
mod org;
mod reports;
mod saved;
mod scheduled;
pub mod schema;
mod templates;
mod uploads;
mod views;
mod visitors;

#[cfg(test)]
pub(crate) mod test_support;

use codec::CodecError;
use schema::meta_keys;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use accounts::TokenRow;
pub use attachments::{CHUNK_BYTES, InboundParts, Part};
pub use conversations::{
    Change, InboundMessage, InboundSender, Ingested, Position, Thread, View, ViewPage,
};
pub use jobs::{Job, JobKind, Via};
pub use leases::{Fence, Lease};
pub use migrations::CURRENT_SCHEMA;
pub use scheduled::Scheduled;
pub use templates::TEMPLATES_MAX;
pub use uploads::{PAGE_CHUNKS, Upload, Uploader};

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
    #[error(
        "the data in {path} is not empty (it holds {tree}); import only into a new data directory (--data NEW_DIR) or an empty database"
    )]
    NotEmpty { path: PathBuf, tree: &'static str },
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
    /// A second-factor code that is wrong or was used already (checked in the
    /// transaction that records its use, so it cannot be used twice at once).
    #[error("wrong or already used code")]
    CodeRefused,
    #[error("another contact already has that email or phone")]
    ContactTaken,
    /// A write made under a lease whose token is no longer current (another node took
    /// the work over).
    #[error("the lease was lost to another node")]
    LeaseLost,
}

impl From<engine::EngineError> for StoreError {
    fn from(e: engine::EngineError) -> Self {
        StoreError::Engine(e.to_string())
    }
}

impl From<engine::TxOutcome<Abort>> for StoreError {
    fn from(e: engine::TxOutcome<Abort>) -> Self {
        match e {
            engine::TxOutcome::Abort(a) => StoreError::Abort(a),
            engine::TxOutcome::Failed(e) => e.into(),
        }
    }
}

/// How a transaction closure ends early.
pub(crate) type TxErr = engine::TxError<Abort>;
/// What a transaction closure returns.
pub(crate) type TxResult<T> = std::result::Result<T, TxErr>;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Options for opening the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The data directory (the embedded database lives in `db/` below it).
    pub path: PathBuf,
    pub cache_capacity: u64,
    pub flush_every_ms: Option<u64>,
    /// Which engine holds the data.
    pub engine: EngineChoice,
}

/// Which engine holds the data.
#[derive(Clone, Default)]
pub enum EngineChoice {
    /// Embedded, in `<path>/db`.
    #[default]
    Sled,
    /// A PostgreSQL database (or a compatible one) at `url`.
    Postgres { url: String, pool_size: usize },
}

impl std::fmt::Debug for EngineChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineChoice::Sled => f.write_str("Sled"),
            // The URL may carry a password.
            EngineChoice::Postgres { pool_size, .. } => {
                write!(f, "Postgres {{ url: <redacted>, pool_size: {pool_size} }}")
            }
        }
    }
}

/// Handles to every keyspace ("tree"), opened once.
pub(crate) struct Trees {
    pub meta: kv::Tree,
    pub agentid_agent: kv::Tree,
    pub email_agentid: kv::Tree,
    pub sessionhash_session: kv::Tree,
    pub agentsession_unit: kv::Tree,
    pub tokenhash_apitoken: kv::Tree,
    pub agenttoken_tokenrow: kv::Tree,
    pub invitehash_invite: kv::Tree,
    pub agentid_invitehash: kv::Tree,
    pub teamid_team: kv::Tree,
    pub inboxid_inbox: kv::Tree,
    pub auditkey_entry: kv::Tree,
    pub convid_conversation: kv::Tree,
    pub timeline_item: kv::Tree,
    pub msgid_convid: kv::Tree,
    pub extref_msgref: kv::Tree,
    pub viewidx_unit: kv::Tree,
    pub viewcount_n: kv::Tree,
    pub contactid_contact: kv::Tree,
    pub contactkey_contactid: kv::Tree,
    pub contactconv_unit: kv::Tree,
    pub contactinbox_convid: kv::Tree,
    pub readstate_time: kv::Tree,
    pub mention_time: kv::Tree,
    pub wakedue_unit: kv::Tree,
    pub jobdue_job: kv::Tree,
    pub mailcursor_state: kv::Tree,
    pub token_convid: kv::Tree,
    pub msgpart_chunk: kv::Tree,
    pub ratekey_window: kv::Tree,
    pub leasename_lease: kv::Tree,
    pub jobcount_n: kv::Tree,
    pub reporthour_tally: kv::Tree,
    pub convsched_scheduled: kv::Tree,
    pub ownersaved_response: kv::Tree,
    pub savedid_owner: kv::Tree,
    pub templateid_template: kv::Tree,
    pub blob_chunk: kv::Tree,
    pub convupload_upload: kv::Tree,
    pub uploaddue_unit: kv::Tree,
}

impl Trees {
    /// A handle for every keyspace of `schema::TREES`, by its position there.
    fn open(e: &std::sync::Arc<engine::Engine>) -> Trees {
        let tree = |name: &str| {
            let ks = schema::TREES.iter().position(|n| *n == name).unwrap_or(0);
            kv::Tree::new(e.clone(), ks)
        };
        Trees {
            meta: tree(schema::META),
            agentid_agent: tree(schema::AGENTID_AGENT),
            email_agentid: tree(schema::EMAIL_AGENTID),
            sessionhash_session: tree(schema::SESSIONHASH_SESSION),
            agentsession_unit: tree(schema::AGENTSESSION_UNIT),
            tokenhash_apitoken: tree(schema::TOKENHASH_APITOKEN),
            agenttoken_tokenrow: tree(schema::AGENTTOKEN_TOKENROW),
            invitehash_invite: tree(schema::INVITEHASH_INVITE),
            agentid_invitehash: tree(schema::AGENTID_INVITEHASH),
            teamid_team: tree(schema::TEAMID_TEAM),
            inboxid_inbox: tree(schema::INBOXID_INBOX),
            auditkey_entry: tree(schema::AUDITKEY_ENTRY),
            convid_conversation: tree(schema::CONVID_CONVERSATION),
            timeline_item: tree(schema::TIMELINE_ITEM),
            msgid_convid: tree(schema::MSGID_CONVID),
            extref_msgref: tree(schema::EXTREF_MSGREF),
            viewidx_unit: tree(schema::VIEWIDX_UNIT),
            viewcount_n: tree(schema::VIEWCOUNT_N),
            contactid_contact: tree(schema::CONTACTID_CONTACT),
            contactkey_contactid: tree(schema::CONTACTKEY_CONTACTID),
            contactconv_unit: tree(schema::CONTACTCONV_UNIT),
            contactinbox_convid: tree(schema::CONTACTINBOX_CONVID),
            readstate_time: tree(schema::READSTATE_TIME),
            mention_time: tree(schema::MENTION_TIME),
            wakedue_unit: tree(schema::WAKEDUE_UNIT),
            jobdue_job: tree(schema::JOBDUE_JOB),
            mailcursor_state: tree(schema::MAILCURSOR_STATE),
            token_convid: tree(schema::TOKEN_CONVID),
            msgpart_chunk: tree(schema::MSGPART_CHUNK),
            ratekey_window: tree(schema::RATEKEY_WINDOW),
            leasename_lease: tree(schema::LEASENAME_LEASE),
            jobcount_n: tree(schema::JOBCOUNT_N),
            reporthour_tally: tree(schema::REPORTHOUR_TALLY),
            convsched_scheduled: tree(schema::CONVSCHED_SCHEDULED),
            ownersaved_response: tree(schema::OWNERSAVED_RESPONSE),
            savedid_owner: tree(schema::SAVEDID_OWNER),
            templateid_template: tree(schema::TEMPLATEID_TEMPLATE),
            blob_chunk: tree(schema::BLOB_CHUNK),
            convupload_upload: tree(schema::CONVUPLOAD_UPLOAD),
            uploaddue_unit: tree(schema::UPLOADDUE_UNIT),
        }
    }
}

/// How many ids the generator reserves per write of its high-water mark.
const ID_BLOCK: u64 = 1024;

/// The database. Writes hold the gate for reading; a backup holds it for writing, so a
/// snapshot sees no half-applied change.
pub struct Store {
    e: std::sync::Arc<engine::Engine>,
    pub(crate) t: Trees,
    gate: RwLock<()>,
    /// The block of ids this process hands out: (next, end).
    ids: Mutex<(u64, u64)>,
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
        Self::open_inner(opts, false)
    }

    /// Opens a store that must hold no data yet (an import's target), refusing with
    /// [`StoreError::NotEmpty`] before anything is written (migrations included).
    pub fn open_empty(opts: &StoreOptions) -> Result<Store> {
        Self::open_inner(opts, true)
    }

    fn open_inner(opts: &StoreOptions, must_be_empty: bool) -> Result<Store> {
        let lock = lock_dir(&opts.path)?;
        let e = std::sync::Arc::new(match &opts.engine {
            EngineChoice::Sled => engine::Engine::open_sled(
                &engine::SledOptions {
                    path: opts.path.join("db"),
                    cache_capacity: opts.cache_capacity,
                    flush_every_ms: opts.flush_every_ms,
                    large_values: schema::LARGE_VALUES,
                },
                schema::TREES,
            )?,
            EngineChoice::Postgres { url, pool_size } => {
                engine::Engine::open_postgres(url, schema::TREES, *pool_size)?
            }
        });
        let t = Trees::open(&e);
        let store = Store {
            e,
            t,
            gate: RwLock::new(()),
            ids: Mutex::new((0, 0)),
            path: opts.path.clone(),
            _lock: lock,
        };
        if must_be_empty && let Some(tree) = store.holds_data()? {
            return Err(StoreError::NotEmpty {
                path: opts.path.clone(),
                tree,
            });
        }
        migrations::run(&store)?;
        Ok(store)
    }

    /// The first keyspace holding data, if any (a new store holds only its schema
    /// version).
    pub fn holds_data(&self) -> Result<Option<&'static str>> {
        for (ks, name) in schema::TREES.iter().enumerate() {
            for k in kv::Tree::new(self.e.clone(), ks).iter().keys() {
                if !(ks == self.t.meta.ks() && k? == meta_keys::SCHEMA_VERSION) {
                    return Ok(Some(name));
                }
            }
        }
        Ok(None)
    }

    /// Whether the engine is reached over the network (see [`engine::Engine::is_remote`]):
    /// then a store call may wait on a round trip and must not run on an async worker.
    pub fn is_remote(&self) -> bool {
        self.e.is_remote()
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new unique id. Ids are reserved in blocks: the high-water mark moves in a
    /// transaction before any id of a block is handed out, so ids never repeat after a
    /// crash or a restore, nor between processes sharing one database.
    pub fn generate_id(&self) -> Result<u64> {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        if ids.0 >= ids.1 {
            let _g = self.write_gate();
            let start = self.tx([&self.t.meta], |[meta]| {
                let hwm = meta
                    .get(meta_keys::ID_HWM)?
                    .and_then(|v| keys::read_u64(&v))
                    .unwrap_or(1);
                meta.insert(meta_keys::ID_HWM, keys::u64_be(hwm + ID_BLOCK))?;
                Ok(hwm)
            })?;
            *ids = (start, start + ID_BLOCK);
        }
        let id = ids.0;
        ids.0 += 1;
        Ok(id)
    }

    /// Waits until every write made before this call is on disk. Concurrent callers
    /// share one fsync (group commit). Call before acknowledging anything outside.
    pub async fn durable(&self) -> Result<()> {
        Ok(self.e.durable().await?)
    }

    /// Flushes synchronously (shutdown and command-line tools).
    pub fn flush_blocking(&self) -> Result<()> {
        Ok(self.e.flush_blocking()?)
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
        Ok(self.e.size_on_disk()?)
    }

    /// The engine's name (`sled`, `postgres`).
    pub fn engine_name(&self) -> &'static str {
        self.e.name()
    }

    /// Runs `f` as one transaction over `trees` (it may run more than once: no I/O or
    /// side effects inside).
    pub(crate) fn tx<const N: usize, R>(
        &self,
        trees: [&kv::Tree; N],
        f: impl Fn(&[kv::TxTree<'_>; N]) -> TxResult<R>,
    ) -> Result<R> {
        let ks: [engine::Ks; N] = std::array::from_fn(|i| trees[i].ks());
        Ok(self.e.transaction(&ks, |tx| {
            let handles: [kv::TxTree<'_>; N] = std::array::from_fn(|i| kv::TxTree::new(tx, ks[i]));
            f(&handles)
        })?)
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

//! Test stores on either engine. A store test is written once and runs twice, as
//! `name::sled` and `name::postgres`, through `on_both_engines!`:
//!
//! - `on_both_engines!(a, b)` for `fn a(store: &Store)`: a fresh, open store;
//! - `on_both_engines!(reopening: c)` for `fn c(t: &TestStore)`: a fresh store's place
//!   (data directory, database), to open, drop and open again;
//! - `on_both_engines!(per_engine: d)` for `fn d(engine: TestEngine)`: the engine, for
//!   tests that make many stores (a property test makes one per case).
//!
//! The PostgreSQL runs are ignored under plain `cargo test` (`./scripts/test` installs
//! PostgreSQL and runs them). They share one real server per test process, started on
//! first use; each store gets a fresh database on it.

use super::engine::pg_test_server::PgServer;
use super::{EngineChoice, Result, Store, StoreOptions};
use std::sync::OnceLock;

/// The engine a test store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TestEngine {
    Sled,
    Postgres,
}

/// Where a test store lives: a temporary data directory and, on PostgreSQL, a fresh
/// database on the shared server. Each `open` opens the same data again.
pub(crate) struct TestStore {
    dir: tempfile::TempDir,
    engine: EngineChoice,
}

impl TestStore {
    /// A new, empty place on `engine`.
    pub(crate) fn new(engine: TestEngine) -> TestStore {
        let engine = match engine {
            TestEngine::Sled => EngineChoice::Sled,
            TestEngine::Postgres => EngineChoice::Postgres {
                url: pg_server().fresh_database(),
                pool_size: 4,
            },
        };
        TestStore {
            dir: tempfile::tempdir().unwrap(),
            engine,
        }
    }

    /// The options `open` uses.
    pub(crate) fn options(&self) -> StoreOptions {
        StoreOptions {
            path: self.dir.path().join("data"),
            cache_capacity: 8 << 20,
            flush_every_ms: None,
            engine: self.engine.clone(),
        }
    }

    /// Whether several handles may open this place at once (PostgreSQL: as several
    /// nodes do); the embedded engine belongs to one handle.
    pub(crate) fn shared(&self) -> bool {
        matches!(self.engine, EngineChoice::Postgres { .. })
    }

    /// Another handle on the same database, as another node opens it: its own data
    /// directory (which each process locks) and its own connections. PostgreSQL only.
    pub(crate) fn open_as_another_node(&self, n: usize) -> Result<Store> {
        assert!(self.shared(), "the embedded engine belongs to one handle");
        Store::open(&StoreOptions {
            path: self.dir.path().join(format!("node-{n}")),
            ..self.options()
        })
    }

    /// Opens the store (the first time: creates it and runs migrations).
    pub(crate) fn open(&self) -> Result<Store> {
        Store::open(&self.options())
    }
}

/// The one PostgreSQL server of this test process, started on first use and stopped
/// when the process ends.
pub(crate) fn pg_server() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = PgServer::start();
        // A static is never dropped: a watcher stops the server after the process.
        server.stop_when_process_exits();
        server
    })
}

/// Runs `test` on a fresh store on `engine`.
pub(crate) fn with_store(engine: TestEngine, test: impl FnOnce(&Store)) {
    let place = TestStore::new(engine);
    let store = place.open().unwrap();
    test(&store);
}

/// Runs each named store test on sled and on PostgreSQL (see the module's doc).
macro_rules! on_both_engines {
    (reopening: $($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::store::test_support::{TestEngine, TestStore};
                #[test]
                fn sled() {
                    super::$name(&TestStore::new(TestEngine::Sled));
                }
                #[test]
                #[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
                fn postgres() {
                    super::$name(&TestStore::new(TestEngine::Postgres));
                }
            }
        )*
    };
    (per_engine: $($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::store::test_support::TestEngine;
                #[test]
                fn sled() {
                    super::$name(TestEngine::Sled);
                }
                #[test]
                #[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
                fn postgres() {
                    super::$name(TestEngine::Postgres);
                }
            }
        )*
    };
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::store::test_support::{TestEngine, with_store};
                #[test]
                fn sled() {
                    with_store(TestEngine::Sled, super::$name);
                }
                #[test]
                #[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
                fn postgres() {
                    with_store(TestEngine::Postgres, super::$name);
                }
            }
        )*
    };
}
pub(crate) use on_both_engines;

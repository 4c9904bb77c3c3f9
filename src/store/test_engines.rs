//! Store tests on both engines: a test database on the embedded engine (a temporary
//! directory) or on a real PostgreSQL server (a fresh database), and
//! `on_both_engines!` to run a test function on each.

use super::engine::pg_test_server::PgServer;
use super::{EngineChoice, Store, StoreOptions};
use std::sync::{Arc, Mutex};

/// A test database. Dereferences to its first store handle; [`TestDb::node`] opens
/// another handle on the same data, as a second node sharing the database would.
pub(crate) struct TestDb {
    // Dropped in this order: the stores, their directories, then the server.
    store: Arc<Store>,
    nodes: Mutex<Vec<Arc<Store>>>,
    dirs: Mutex<Vec<tempfile::TempDir>>,
    url: Option<String>,
    _pg: Option<PgServer>,
}

fn open(url: Option<&str>) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let engine = match url {
        None => EngineChoice::Sled,
        Some(url) => EngineChoice::Postgres {
            url: url.to_string(),
            pool_size: 4,
        },
    };
    let store = Store::open(&StoreOptions {
        path: dir.path().to_path_buf(),
        cache_capacity: 8 << 20,
        flush_every_ms: None,
        engine,
    })
    .unwrap();
    (dir, store)
}

impl TestDb {
    /// The embedded engine in a temporary directory.
    pub(crate) fn sled() -> TestDb {
        Self::with(None)
    }

    /// A fresh database on a PostgreSQL server started for this test.
    pub(crate) fn postgres() -> TestDb {
        Self::with(Some(PgServer::start()))
    }

    fn with(pg: Option<PgServer>) -> TestDb {
        let url = pg.as_ref().map(|s| s.fresh_database());
        let (dir, store) = open(url.as_deref());
        TestDb {
            store: Arc::new(store),
            nodes: Mutex::new(Vec::new()),
            dirs: Mutex::new(vec![dir]),
            url,
            _pg: pg,
        }
    }

    /// Whether this database is shared (PostgreSQL), so that [`TestDb::node`] opens a
    /// handle of its own.
    pub(crate) fn shared(&self) -> bool {
        self.url.is_some()
    }

    /// Another handle on the same data: on PostgreSQL a second `Store` (its own
    /// connections, its own data directory), as another node would open; the embedded
    /// engine is one process's alone, so there the same handle.
    pub(crate) fn node(&self) -> Arc<Store> {
        let Some(url) = &self.url else {
            return self.store.clone();
        };
        let (dir, store) = open(Some(url));
        let store = Arc::new(store);
        self.dirs.lock().unwrap().push(dir);
        self.nodes.lock().unwrap().push(store.clone());
        store
    }
}

impl std::ops::Deref for TestDb {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

/// Runs each named test function (taking `&TestDb`, or `&Store` through deref) on the
/// embedded engine and, as an ignored test that `scripts/test` runs, on a real
/// PostgreSQL server.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod engines {
            $(
                mod $name {
                    #[test]
                    fn sled() {
                        let db = $crate::store::test_engines::TestDb::sled();
                        super::super::$name(&db);
                    }
                    #[test]
                    #[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
                    fn postgres() {
                        let db = $crate::store::test_engines::TestDb::postgres();
                        super::super::$name(&db);
                    }
                }
            )*
        }
    };
}

pub(crate) use on_both_engines;

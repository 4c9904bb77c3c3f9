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
const MIGRATIONS: &[Migration] = &[Migration {
    to: 1,
    name: "initial schema",
    run: |_| Ok(()),
}];

/// The schema this binary writes.
pub const CURRENT_SCHEMA: u64 = 1;

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
        && store.t.agentid_agent.is_empty()
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
        .insert(meta_keys::SCHEMA_VERSION, &keys::u64_be(v))?;
    store.flush_blocking()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreOptions;

    fn opts(p: &std::path::Path) -> StoreOptions {
        StoreOptions {
            path: p.to_path_buf(),
            cache_capacity: 8 << 20,
            flush_every_ms: Some(500),
        }
    }

    #[test]
    fn migrations_are_ordered_and_end_at_current() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].to < w[1].to));
        assert_eq!(MIGRATIONS.last().map(|m| m.to), Some(CURRENT_SCHEMA));
    }

    #[test]
    fn new_store_gets_current_version_and_newer_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(&opts(dir.path())).unwrap();
            assert_eq!(s.schema_version().unwrap(), CURRENT_SCHEMA);
            s.t.meta
                .insert(meta_keys::SCHEMA_VERSION, &keys::u64_be(CURRENT_SCHEMA + 1))
                .unwrap();
            s.flush_blocking().unwrap();
        }
        let err = Store::open(&opts(dir.path())).err().unwrap();
        assert!(
            matches!(err, StoreError::NewerSchema { found, .. } if found == CURRENT_SCHEMA + 1)
        );
        assert!(err.to_string().contains("newer than this binary supports"));
    }

    #[test]
    fn second_open_of_same_dir_is_refused_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let _s = Store::open(&opts(dir.path())).unwrap();
        assert!(matches!(
            Store::open(&opts(dir.path())),
            Err(StoreError::Locked(_))
        ));
        assert!(crate::store::is_locked(dir.path()));
    }

    #[test]
    fn ids_are_unique_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let first: Vec<u64> = {
            let s = Store::open(&opts(dir.path())).unwrap();
            let v = (0..10).map(|_| s.generate_id().unwrap()).collect();
            s.flush_blocking().unwrap();
            v
        };
        let s = Store::open(&opts(dir.path())).unwrap();
        let next = s.generate_id().unwrap();
        assert!(first.iter().all(|&i| i < next), "{first:?} vs {next}");
    }
}

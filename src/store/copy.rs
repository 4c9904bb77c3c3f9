//! `charla migrate-store`: copies every keyspace from one engine to another (sled to
//! PostgreSQL and back), then reads both sides again and compares, per keyspace, the
//! number of pairs and a SHA-256 over them. The source is only read; the target must
//! be empty.

use super::engine::{Engine, Range, SledOptions};
use super::{EngineChoice, Result, StoreError, keys, lock_dir, migrations, schema};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Pairs written per target transaction.
const BATCH: usize = 512;

/// What was copied of one keyspace and how it checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyspaceCopy {
    pub name: &'static str,
    pub pairs: u64,
    /// Hex SHA-256 over the pairs in key order, the same on both sides.
    pub checksum: String,
}

fn open(choice: &EngineChoice, dir: &Path) -> Result<Engine> {
    Ok(match choice {
        EngineChoice::Sled => Engine::open_sled(
            &SledOptions {
                path: dir.join("db"),
                cache_capacity: 64 << 20,
                flush_every_ms: None,
                large_values: super::schema::LARGE_VALUES,
            },
            schema::TREES,
        )?,
        EngineChoice::Postgres { url, pool_size } => {
            Engine::open_postgres(url, schema::TREES, *pool_size)?
        }
    })
}

fn fail(m: impl Into<String>) -> StoreError {
    StoreError::Engine(m.into())
}

/// Count and checksum of one keyspace, in key order.
fn digest(e: &Engine, ks: usize) -> Result<(u64, String)> {
    let mut h = Sha256::new();
    let mut n = 0u64;
    for pair in e.scan(ks, Range::all(), 4096) {
        let (k, v) = pair?;
        h.update((k.len() as u64).to_be_bytes());
        h.update(&k);
        h.update((v.len() as u64).to_be_bytes());
        h.update(&v);
        n += 1;
    }
    Ok((n, hex::encode(h.finalize())))
}

/// Copies the store at (`from`, `from_dir`) into the empty store at (`to`, `to_dir`).
/// A sled side is the data directory's `db/` (its directory lock is taken, so a running
/// server is refused). `progress(keyspace, pairs so far)` is called as it goes.
pub fn copy_store(
    from: &EngineChoice,
    from_dir: &Path,
    to: &EngineChoice,
    to_dir: &Path,
    mut progress: impl FnMut(&str, u64),
) -> Result<Vec<KeyspaceCopy>> {
    let _from_lock = match from {
        EngineChoice::Sled => {
            if !from_dir.join("db").exists() {
                return Err(fail(format!(
                    "{} holds no embedded database to copy",
                    from_dir.display()
                )));
            }
            Some(lock_dir(from_dir)?)
        }
        EngineChoice::Postgres { .. } => None,
    };
    let _to_lock = match to {
        EngineChoice::Sled => Some(lock_dir(to_dir)?),
        EngineChoice::Postgres { .. } => None,
    };
    let src = open(from, from_dir)?;
    let found = src
        .get(0, schema::meta_keys::SCHEMA_VERSION)?
        .and_then(|v| keys::read_u64(&v))
        .unwrap_or(0);
    if found != migrations::CURRENT_SCHEMA {
        return Err(fail(format!(
            "the source has schema version {found}, this binary writes {}: start charla once on it (it migrates), then copy",
            migrations::CURRENT_SCHEMA
        )));
    }
    let dst = open(to, to_dir)?;
    for (ks, name) in schema::TREES.iter().enumerate() {
        if dst.scan(ks, Range::all(), 1).next().transpose()?.is_some() {
            return Err(fail(format!(
                "the target already holds data (keyspace {name}); copy only into an empty store"
            )));
        }
    }
    let mut out = Vec::with_capacity(schema::TREES.len());
    for (ks, name) in schema::TREES.iter().enumerate() {
        let mut batch: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(BATCH);
        let mut n = 0u64;
        let write = |batch: &[(Vec<u8>, Vec<u8>)]| -> Result<()> {
            dst.transaction::<_, super::Abort>(&[ks], |tx| {
                for (k, v) in batch {
                    tx.insert(ks, k, v)?;
                }
                Ok(())
            })?;
            Ok(())
        };
        for pair in src.scan(ks, Range::all(), 4096) {
            batch.push(pair?);
            if batch.len() == BATCH {
                write(&batch)?;
                n += batch.len() as u64;
                batch.clear();
                progress(name, n);
            }
        }
        write(&batch)?;
        n += batch.len() as u64;
        progress(name, n);
        let (sn, sd) = digest(&src, ks)?;
        let (dn, dd) = digest(&dst, ks)?;
        if (sn, &sd) != (dn, &dd) || sn != n {
            return Err(fail(format!(
                "keyspace {name} did not copy exactly: {sn} pairs in the source, {dn} in the target ({n} written); checksums {sd} and {dd}"
            )));
        }
        out.push(KeyspaceCopy {
            name,
            pairs: n,
            checksum: sd,
        });
    }
    dst.flush_blocking()?;
    Ok(out)
}

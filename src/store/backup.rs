//! Consistent snapshots of the whole database, and restoring one into an empty
//! directory.
//!
//! File format (all integers big-endian):
//! ```text
//! "CHARLA-BACKUP\n"  format:u32  schema_version:u64
//! ( 'T' name_len:u32 name  |  'E' key_len:u32 key value_len:u32 value )*
//! 'Z' entries:u64 sha256(all bytes before 'Z'):[u8; 32]
//! ```

use super::{Result, Store, StoreError, migrations::CURRENT_SCHEMA};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;

const MAGIC: &[u8; 14] = b"CHARLA-BACKUP\n";
const FORMAT: u32 = 1;

struct HashingWriter<W: Write> {
    inner: W,
    hash: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(b)?;
        self.hash.update(b);
        self.written += b.len() as u64;
        Ok(())
    }
    fn put_chunk(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.put(&(b.len() as u32).to_be_bytes())?;
        self.put(b)
    }
}

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::BadBackup(msg.into())
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Io {
        path: "backup stream".into(),
        source: e,
    }
}

impl Store {
    /// Writes a consistent snapshot to `out`. Writers wait while it runs (the gate is
    /// held exclusively), so the snapshot never contains half of a transaction.
    /// `progress` is called with the bytes written so far.
    pub fn backup_to<W: Write>(&self, out: W, mut progress: impl FnMut(u64)) -> Result<u64> {
        let _g = self.exclusive_gate();
        let mut w = HashingWriter {
            inner: out,
            hash: Sha256::new(),
            written: 0,
        };
        w.put(MAGIC).map_err(io)?;
        w.put(&FORMAT.to_be_bytes()).map_err(io)?;
        w.put(&self.schema_version()?.to_be_bytes()).map_err(io)?;
        let mut entries = 0u64;
        let mut names: Vec<(usize, &str)> = super::schema::TREES
            .iter()
            .enumerate()
            .map(|(ks, n)| (ks, *n))
            .collect();
        names.sort_by_key(|(_, n)| *n);
        for (ks, name) in names {
            w.put(b"T").map_err(io)?;
            w.put_chunk(name.as_bytes()).map_err(io)?;
            for kv in self.e.scan(ks, super::engine::Range::all(), 4096) {
                let (k, v) = kv?;
                w.put(b"E").map_err(io)?;
                w.put_chunk(&k).map_err(io)?;
                w.put_chunk(&v).map_err(io)?;
                entries += 1;
                if entries.is_multiple_of(4096) {
                    progress(w.written);
                }
            }
        }
        let digest = w.hash.clone().finalize();
        w.inner.write_all(b"Z").map_err(io)?;
        w.inner.write_all(&entries.to_be_bytes()).map_err(io)?;
        w.inner.write_all(&digest).map_err(io)?;
        w.inner.flush().map_err(io)?;
        progress(w.written + 41);
        Ok(entries)
    }
}

impl Store {
    /// Bytes of keys and values in every tree (what the data would take uncompressed
    /// in a flat file), for comparing with the size on disk.
    pub fn logical_size(&self) -> Result<u64> {
        let mut n = 0u64;
        for ks in 0..super::schema::TREES.len() {
            for kv in self.e.scan(ks, super::engine::Range::all(), 4096) {
                let (k, v) = kv?;
                n += (k.len() + v.len()) as u64;
            }
        }
        Ok(n)
    }
}

enum Record {
    Tree(Vec<u8>),
    Entry(Vec<u8>, Vec<u8>),
    End(u64, [u8; 32]),
}

struct Reader<R: Read> {
    inner: R,
    hash: Sha256,
    read: u64,
}

impl<R: Read> Reader<R> {
    fn exact(&mut self, n: usize) -> Result<Vec<u8>> {
        let mut b = vec![0u8; n];
        self.inner
            .read_exact(&mut b)
            .map_err(|_| bad("the file is truncated"))?;
        self.read += n as u64;
        Ok(b)
    }
    fn hashed(&mut self, n: usize) -> Result<Vec<u8>> {
        let b = self.exact(n)?;
        self.hash.update(&b);
        Ok(b)
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.hashed(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn chunk(&mut self) -> Result<Vec<u8>> {
        let n = self.u32()? as usize;
        if n > 256 << 20 {
            return Err(bad("a record is larger than 256 MiB"));
        }
        self.hashed(n)
    }
    fn header(&mut self) -> Result<u64> {
        if self.hashed(MAGIC.len())? != MAGIC {
            return Err(bad("not a charla backup (wrong magic bytes)"));
        }
        let format = self.u32()?;
        if format != FORMAT {
            return Err(bad(format!(
                "backup format {format} is not supported (this binary reads {FORMAT})"
            )));
        }
        let v = self.hashed(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(&v);
        Ok(u64::from_be_bytes(a))
    }
    fn next(&mut self) -> Result<Record> {
        let tag = self.exact(1)?;
        match tag[0] {
            b'T' => {
                self.hash.update(&tag);
                Ok(Record::Tree(self.chunk()?))
            }
            b'E' => {
                self.hash.update(&tag);
                let k = self.chunk()?;
                Ok(Record::Entry(k, self.chunk()?))
            }
            b'Z' => {
                let n = self.exact(8)?;
                let d = self.exact(32)?;
                let mut na = [0u8; 8];
                na.copy_from_slice(&n);
                let mut da = [0u8; 32];
                da.copy_from_slice(&d);
                Ok(Record::End(u64::from_be_bytes(na), da))
            }
            t => Err(bad(format!(
                "unknown record tag {t:#x} at byte {}",
                self.read - 1
            ))),
        }
    }
}

/// Reads a whole backup, calling `each` per record, and checks the trailer's count and
/// checksum. Returns the schema version and the entry count.
fn walk<R: Read>(r: R, mut each: impl FnMut(&Record, u64) -> Result<()>) -> Result<(u64, u64)> {
    let mut rd = Reader {
        inner: std::io::BufReader::new(r),
        hash: Sha256::new(),
        read: 0,
    };
    let schema = rd.header()?;
    let mut entries = 0u64;
    let mut in_tree = false;
    loop {
        let rec = rd.next()?;
        match &rec {
            Record::Tree(_) => in_tree = true,
            Record::Entry(..) if !in_tree => return Err(bad("an entry comes before any tree")),
            Record::Entry(..) => entries += 1,
            Record::End(n, digest) => {
                if *n != entries {
                    return Err(bad(format!(
                        "the trailer counts {n} entries but the file holds {entries}"
                    )));
                }
                if rd.hash.clone().finalize().as_slice() != digest {
                    return Err(bad("checksum mismatch: the file is damaged"));
                }
                let mut extra = [0u8; 1];
                if rd.inner.read(&mut extra).map_err(io)? != 0 {
                    return Err(bad("unexpected bytes after the trailer"));
                }
                return Ok((schema, entries));
            }
        }
        each(&rec, rd.read)?;
    }
}

/// Checks a backup file completely without restoring it; returns (schema, entries).
pub fn verify(file: &Path) -> Result<(u64, u64)> {
    let f = std::fs::File::open(file).map_err(|source| StoreError::Io {
        path: file.into(),
        source,
    })?;
    walk(f, |_, _| Ok(()))
}

/// Restores `file` into `dir`, which must be empty or absent. The file is verified
/// completely first, so a damaged backup writes nothing. `progress` gets bytes read.
pub fn restore(file: &Path, dir: &Path, mut progress: impl FnMut(u64)) -> Result<u64> {
    let (schema, _) = verify(file)?;
    if schema > CURRENT_SCHEMA {
        return Err(bad(format!(
            "the backup has schema version {schema}, newer than this binary supports ({CURRENT_SCHEMA})"
        )));
    }
    if dir.exists() {
        let mut it = std::fs::read_dir(dir).map_err(|source| StoreError::Io {
            path: dir.into(),
            source,
        })?;
        if it.next().is_some() {
            return Err(bad(format!(
                "the target directory {} is not empty; restore only into a new directory",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
        path: dir.into(),
        source,
    })?;
    let engine = super::engine::Engine::open_sled(
        &super::engine::SledOptions {
            path: dir.join("db"),
            cache_capacity: 64 << 20,
            flush_every_ms: None,
            large_values: super::schema::LARGE_VALUES,
        },
        super::schema::TREES,
    )?;
    let f = std::fs::File::open(file).map_err(|source| StoreError::Io {
        path: file.into(),
        source,
    })?;
    let mut ks: Option<usize> = None;
    let mut n = 0u64;
    let (_, entries) = walk(f, |rec, read| {
        match rec {
            Record::Tree(name) => {
                let name = String::from_utf8_lossy(name);
                ks = match super::schema::TREES.iter().position(|t| *t == name) {
                    Some(ks) => Some(ks),
                    // Backups made straight from sled carry its (unused) default tree.
                    None if name == "__sled__default" => None,
                    None => return Err(bad(format!("unknown tree {name:?} in the backup"))),
                };
            }
            Record::Entry(k, v) => {
                if let Some(ks) = ks {
                    engine.insert(ks, k, v)?;
                }
                n += 1;
                if n.is_multiple_of(4096) {
                    progress(read);
                }
            }
            Record::End(..) => {}
        }
        Ok(())
    })?;
    engine.flush_blocking()?;
    progress(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreOptions;
    use crate::store::test_support::on_both_engines;

    on_both_engines!(backup_restore_backup_is_identical_and_damage_is_detected);

    /// A backup restores (into a new embedded store, whichever engine it came from) to
    /// the same data: a backup of the restored store is byte for byte the first one.
    fn backup_restore_backup_is_identical_and_damage_is_detected(s: &Store) {
        for i in 0..10_000u64 {
            s.t.teamid_team
                .insert(i.to_be_bytes(), format!("v{i}").as_bytes())
                .unwrap();
        }
        let mut first = Vec::new();
        let n = s.backup_to(&mut first, |_| {}).unwrap();
        assert!(n >= 10_000);
        let file = s.path().join("b.charla-backup");
        std::fs::write(&file, &first).unwrap();

        let b = tempfile::tempdir().unwrap();
        let target = b.path().join("restored");
        assert_eq!(restore(&file, &target, |_| {}).unwrap(), n);
        let s2 = Store::open(&StoreOptions {
            path: target.clone(),
            cache_capacity: 8 << 20,
            flush_every_ms: None,
            engine: Default::default(),
        })
        .unwrap();
        let mut second = Vec::new();
        s2.backup_to(&mut second, |_| {}).unwrap();
        assert_eq!(first, second, "round trip changed the data");

        // Restoring into a non-empty directory refuses and writes nothing.
        assert!(
            restore(&file, &target, |_| {})
                .unwrap_err()
                .to_string()
                .contains("not empty")
        );

        // A flipped byte is caught before anything is written.
        let mut damaged = first.clone();
        let mid = damaged.len() / 2;
        damaged[mid] ^= 0x55;
        std::fs::write(&file, &damaged).unwrap();
        let empty = b.path().join("other");
        assert!(restore(&file, &empty, |_| {}).is_err());
        assert!(!empty.join("db").exists());
        // Truncation too.
        std::fs::write(&file, &first[..first.len() - 10]).unwrap();
        assert!(verify(&file).unwrap_err().to_string().contains("truncated"));
    }
}

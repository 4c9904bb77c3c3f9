//! The embedded engine's large values (file chunks, mail parts), kept in files beside
//! the sled database rather than in its pages.
//!
//! Why: sled keeps every page it writes in memory until its cache has counted 64
//! accesses in that page's shard (256 shards). A leaf holds up to 16 values, so 64 KB
//! chunks make pages of about 1 MB that are touched a dozen times each: a 30 MB upload
//! stayed resident whole, and the next one too (300 MB of RSS after ten uploads with an
//! 8 MB cache; BENCHMARKS.md "Attachments"). Reading them back loads them for good the
//! same way. Here a large keyspace's tree holds, per key, either a small value itself or
//! a 21-byte pointer to a file; the bytes go through the kernel's page cache only.
//!
//! Durability: a file is written, fsynced, and its directory fsynced before the pointer
//! to it is inserted, so a pointer that reached the disk never names a missing or short
//! file (its length and CRC-32 are checked on every read anyway). A file whose pointer
//! is replaced or removed is unlinked only after the next durable commit (a crash before
//! it leaves the old pointer valid). Files no pointer names (a crash between writing a
//! file and its pointer, a retried transaction, an unlink lost to a crash) are removed
//! when the engine opens.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Values from this size up go to a file; smaller ones stay in the tree.
pub(super) const SPILL_MIN: usize = 8 * 1024;

const INLINE: u8 = 0;
const FILE: u8 = 1;
const POINTER_LEN: usize = 1 + 8 + 8 + 4;

/// The files of one engine's large values.
pub(super) struct Spill {
    dir: PathBuf,
    /// File ids whose pointers are gone, to unlink once that is durable.
    doomed: Mutex<Vec<u64>>,
    /// Bytes in files (for `size_on_disk`).
    bytes: AtomicU64,
}

fn corrupt(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl Spill {
    /// Opens (creating) the directory of large values.
    pub(super) fn open(dir: PathBuf) -> io::Result<Spill> {
        fs::create_dir_all(&dir)?;
        Ok(Spill {
            dir,
            doomed: Mutex::new(Vec::new()),
            bytes: AtomicU64::new(0),
        })
    }

    fn path(&self, id: u64) -> PathBuf {
        self.dir
            .join(format!("{:02x}", id & 0xff))
            .join(format!("{id:016x}"))
    }

    /// What the tree keeps for `value`: the value itself, or (written to a new file
    /// first, durably) a pointer to it; with the new file's id.
    pub(super) fn store(&self, value: &[u8]) -> io::Result<(Vec<u8>, Option<u64>)> {
        if value.len() < SPILL_MIN {
            let mut out = Vec::with_capacity(value.len() + 1);
            out.push(INLINE);
            out.extend_from_slice(value);
            return Ok((out, None));
        }
        let (id, mut f) = loop {
            let id = rand::random::<u64>();
            let path = self.path(id);
            let sub = path.parent().unwrap_or(&self.dir);
            if !sub.exists() {
                fs::create_dir_all(sub)?;
                File::open(&self.dir)?.sync_all()?;
            }
            match File::options().write(true).create_new(true).open(&path) {
                Ok(f) => break (id, f),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        };
        let written = f
            .write_all(value)
            .and_then(|()| f.sync_all())
            .and_then(|()| File::open(self.path(id).parent().unwrap_or(&self.dir))?.sync_all());
        if let Err(e) = written {
            let _ = fs::remove_file(self.path(id));
            return Err(e);
        }
        self.bytes.fetch_add(value.len() as u64, Ordering::Relaxed);
        let mut out = Vec::with_capacity(POINTER_LEN);
        out.push(FILE);
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&(value.len() as u64).to_be_bytes());
        out.extend_from_slice(&crc32fast::hash(value).to_be_bytes());
        Ok((out, Some(id)))
    }

    /// The value a tree entry stands for.
    pub(super) fn load(&self, stored: &[u8]) -> io::Result<Vec<u8>> {
        match stored.split_first() {
            Some((&INLINE, rest)) => Ok(rest.to_vec()),
            Some((&FILE, _)) if stored.len() == POINTER_LEN => {
                let (id, len, crc) = pointer(stored);
                let mut f = File::open(self.path(id))
                    .map_err(|e| corrupt(format!("large value {id:016x}: {e}")))?;
                let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
                f.read_to_end(&mut out)?;
                if out.len() as u64 != len || crc32fast::hash(&out) != crc {
                    return Err(corrupt(format!(
                        "large value {id:016x} is damaged ({} bytes, {len} expected)",
                        out.len()
                    )));
                }
                Ok(out)
            }
            _ => Err(corrupt("not a large-value entry".into())),
        }
    }

    /// The file a tree entry points at, if any.
    pub(super) fn file_of(stored: &[u8]) -> Option<u64> {
        (stored.len() == POINTER_LEN && stored[0] == FILE).then(|| pointer(stored).0)
    }

    /// Unlinks these files once the removal of their pointers is durable.
    pub(super) fn unlink_after_commit(&self, ids: impl IntoIterator<Item = u64>) {
        self.lock().extend(ids);
    }

    /// The files to unlink after the commit that is about to start.
    pub(super) fn take_doomed(&self) -> Vec<u64> {
        std::mem::take(&mut *self.lock())
    }

    /// Puts back files whose commit failed.
    pub(super) fn restore_doomed(&self, ids: Vec<u64>) {
        self.lock().extend(ids);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u64>> {
        self.doomed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Unlinks files now (no pointer to them is, or ever was, committed).
    pub(super) fn unlink(&self, ids: impl IntoIterator<Item = u64>) {
        for id in ids {
            let path = self.path(id);
            let size = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            match fs::remove_file(&path) {
                Ok(()) => {
                    self.bytes.fetch_sub(size, Ordering::Relaxed);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(error = %e, file = %path.display(), "a large value's file could not be removed; the next start will")
                }
            }
        }
    }

    /// Removes every file not in `referenced`, and counts the bytes of the others.
    /// Only while nothing else uses the engine (at open).
    pub(super) fn sweep(&self, referenced: &HashSet<u64>) -> io::Result<usize> {
        let mut removed = 0;
        let mut bytes = 0;
        for sub in fs::read_dir(&self.dir)? {
            let sub = sub?;
            if !sub.file_type()?.is_dir() {
                continue;
            }
            for f in fs::read_dir(sub.path())? {
                let f = f?;
                let id = f
                    .file_name()
                    .to_str()
                    .and_then(|n| u64::from_str_radix(n, 16).ok());
                match id {
                    Some(id) if referenced.contains(&id) => bytes += f.metadata()?.len(),
                    _ => {
                        fs::remove_file(f.path())?;
                        removed += 1;
                    }
                }
            }
        }
        self.bytes.store(bytes, Ordering::Relaxed);
        Ok(removed)
    }

    pub(super) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

fn pointer(stored: &[u8]) -> (u64, u64, u32) {
    let n = |r: std::ops::Range<usize>| {
        let mut b = [0u8; 8];
        b[8 - r.len()..].copy_from_slice(&stored[r]);
        u64::from_be_bytes(b)
    };
    (n(1..9), n(9..17), n(17..21) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_stay_inline_and_large_ones_go_to_checked_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = Spill::open(dir.path().join("v")).unwrap();
        let (small, id) = s.store(b"hello").unwrap();
        assert_eq!((small[0], id), (INLINE, None));
        assert_eq!(s.load(&small).unwrap(), b"hello");
        let big = vec![9u8; SPILL_MIN];
        let (ptr, id) = s.store(&big).unwrap();
        let id = id.unwrap();
        assert_eq!(ptr.len(), POINTER_LEN);
        assert_eq!(Spill::file_of(&ptr), Some(id));
        assert_eq!(Spill::file_of(&small), None);
        assert_eq!(s.load(&ptr).unwrap(), big);
        assert_eq!(s.bytes(), SPILL_MIN as u64);
        // A damaged or missing file is an error, never other bytes.
        fs::write(s.path(id), vec![8u8; SPILL_MIN]).unwrap();
        assert!(s.load(&ptr).unwrap_err().to_string().contains("damaged"));
        fs::write(s.path(id), b"short").unwrap();
        assert!(s.load(&ptr).is_err());
        s.unlink([id]);
        assert!(s.load(&ptr).is_err());
        assert!(s.load(&[7, 1, 2]).is_err(), "an unknown tag is refused");
    }

    #[test]
    fn the_sweep_keeps_named_files_and_removes_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let s = Spill::open(dir.path().join("v")).unwrap();
        let big = vec![1u8; SPILL_MIN + 1];
        let (keep, k) = s.store(&big).unwrap();
        let (_, gone) = s.store(&big).unwrap();
        fs::write(s.dir.join("00").join("not-a-value"), b"x").unwrap_or_default();
        let removed = s.sweep(&HashSet::from([k.unwrap()])).unwrap();
        assert!(removed >= 1);
        assert!(!s.path(gone.unwrap()).exists());
        assert_eq!(s.load(&keep).unwrap(), big);
        assert_eq!(s.bytes(), big.len() as u64);
    }
}

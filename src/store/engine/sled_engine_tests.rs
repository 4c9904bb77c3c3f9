//! The sled engine's own tests (group commit, large values in files).

use super::*;
use std::sync::Arc;

/// sled-only by nature: sled's group commit over `flush_async` (PostgreSQL commits
/// durably statement by statement and has nothing to group).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_share_flushes_and_all_return() {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new()
        .path(dir.path())
        .flush_every_ms(None)
        .open()
        .unwrap();
    let gc = Arc::new(GroupCommit::new(db.clone()));
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let (gc, db) = (gc.clone(), db.clone());
        tasks.push(tokio::spawn(async move {
            db.insert(i.to_be_bytes(), b"v").unwrap();
            gc.flush().await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let s = gc.lock();
    assert_eq!(s.completed, 200);
    assert!(!s.in_flight);
}

fn open(path: &std::path::Path, large: &'static [&'static str]) -> SledEngine {
    SledEngine::open(
        &SledOptions {
            path: path.join("db"),
            cache_capacity: 1 << 20,
            flush_every_ms: None,
            large_values: large,
        },
        &["small", "big"],
    )
    .unwrap()
}

fn files(path: &std::path::Path) -> usize {
    std::fs::read_dir(path.join("db.values"))
        .map(|d| {
            d.flatten()
                .map(|sub| std::fs::read_dir(sub.path()).unwrap().count())
                .sum()
        })
        .unwrap_or(0)
}

/// A store from before large values had files is moved over on open; replaced and
/// removed values' files go after the next commit, never before; a transaction that
/// aborts or is retried leaves no file; a file nothing names is removed on open.
#[test]
fn large_values_live_in_files_that_follow_their_entries() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (vec![1u8; 70_000], vec![2u8; 9_000], vec![3u8; 20_000]);
    {
        let e = open(dir.path(), &[]);
        e.insert(1, b"a", &a).unwrap();
        e.insert(1, b"s", b"small").unwrap();
        e.flush_blocking().unwrap();
    }
    let e = open(dir.path(), &["big"]);
    assert!(!e.db.tree_names().iter().any(|n| n == b"big"), "moved");
    assert_eq!(e.get(1, b"a").unwrap(), Some(a.clone()));
    assert_eq!(e.get(1, b"s").unwrap().as_deref(), Some(&b"small"[..]));
    assert_eq!(files(dir.path()), 1, "only the large value has a file");
    // Replacing keeps the old file until the replacement is durable.
    e.insert(1, b"a", &b).unwrap();
    assert_eq!(files(dir.path()), 2);
    e.flush_blocking().unwrap();
    assert_eq!(files(dir.path()), 1);
    assert_eq!(e.get(1, b"a").unwrap(), Some(b.clone()));
    // An aborted transaction's file goes at once.
    let r: Result<(), TxOutcome<&str>> = e.transaction(&[0, 1], |t| {
        t.insert(1, b"c", &c)?;
        Err(TxError::Abort("no"))
    });
    assert!(matches!(r, Err(TxOutcome::Abort("no"))));
    assert_eq!(files(dir.path()), 1);
    // A committed one: its reads see the value; `take` returns the old one.
    e.transaction(&[0, 1], |t| -> Result<(), TxError<()>> {
        t.insert(1, b"c", &c)?;
        assert_eq!(t.get(1, b"c")?, Some(c.clone()));
        assert_eq!(t.take(1, b"a")?, Some(b.clone()));
        t.insert(0, b"n", b"1")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(e.get(1, b"a").unwrap(), None);
    let scanned: Vec<_> = e.scan(1, Range::all(), 10).map(Result::unwrap).collect();
    assert_eq!(
        scanned,
        vec![
            (b"c".to_vec(), c.clone()),
            (b"s".to_vec(), b"small".to_vec())
        ]
    );
    e.remove(1, b"c").unwrap();
    assert_eq!(files(dir.path()), 2, "until durable");
    drop(e);
    // The removal was never made durable here; whatever sled kept, every
    // remaining pointer names a file and the rest are gone on open.
    std::fs::create_dir_all(dir.path().join("db.values/aa")).unwrap();
    std::fs::write(dir.path().join("db.values/aa/00000000000000aa"), b"stray").unwrap();
    let e = open(dir.path(), &["big"]);
    let kept = e.get(1, b"c").unwrap();
    assert!(kept.is_none() || kept == Some(c.clone()));
    assert_eq!(files(dir.path()), usize::from(kept.is_some()));
}

//! What every engine must do, as one test run against an open engine: the sled engine
//! and the PostgreSQL engine both pass `run`.

use super::{Engine, Range, TxError, TxOutcome};
use std::ops::Bound;

/// The keyspaces `run` needs, in `Ks` order.
pub(crate) const KEYSPACES: &[&str] = &["contract_a", "contract_b", "contract_counter"];
const A: usize = 0;
const B: usize = 1;
const COUNTER: usize = 2;

fn keys(e: &Engine, ks: usize, range: Range) -> Vec<Vec<u8>> {
    e.scan(ks, range, 10)
        .map(|r| r.map(|(k, _)| k))
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Runs every check on an engine whose contract keyspaces are empty.
pub(crate) fn run(e: &Engine) {
    point_operations(e);
    keys_sort_bytewise_and_scan_both_ways(e);
    transactions_commit_whole_or_not_at_all(e);
    conflicting_transactions_are_retried_not_lost(e);
}

fn point_operations(e: &Engine) {
    assert_eq!(e.get(A, b"k").unwrap(), None);
    e.insert(A, b"k", b"v1").unwrap();
    e.insert(A, b"k", b"v2").unwrap();
    assert_eq!(e.get(A, b"k").unwrap().as_deref(), Some(&b"v2"[..]));
    assert_eq!(e.get(B, b"k").unwrap(), None, "keyspaces are separate");
    let big = vec![7u8; 64 * 1024];
    e.insert(B, b"big", &big).unwrap();
    assert_eq!(e.get(B, b"big").unwrap().as_deref(), Some(&big[..]));
    // Batch reads answer in the order asked, missing keys as None, repeats included.
    assert_eq!(
        e.get_many(A, &[b"nope", b"k", b"k"]).unwrap(),
        vec![None, Some(b"v2".to_vec()), Some(b"v2".to_vec())]
    );
    assert_eq!(e.get_many(B, &[]).unwrap(), Vec::<Option<Vec<u8>>>::new());
    e.insert(A, b"", b"empty key").unwrap();
    e.insert(A, b"empty value", b"").unwrap();
    assert_eq!(e.get(A, b"").unwrap().as_deref(), Some(&b"empty key"[..]));
    assert_eq!(e.get(A, b"empty value").unwrap().as_deref(), Some(&b""[..]));
    for k in [&b"k"[..], b"", b"empty value"] {
        e.remove(A, k).unwrap();
        assert_eq!(e.get(A, k).unwrap(), None);
    }
    e.remove(A, b"never there").unwrap();
    e.remove(B, b"big").unwrap();
    assert_eq!(e.count(A).unwrap(), 0);
}

fn keys_sort_bytewise_and_scan_both_ways(e: &Engine) {
    let ks: Vec<Vec<u8>> = vec![
        vec![0x00],
        vec![0x01],
        vec![0x01, 0x00],
        vec![0x01, 0xff],
        vec![0x02],
        vec![0x7f],
        vec![0x80],
        vec![0xff],
        vec![0xff, 0xff],
    ];
    // Inserted out of order; read back in bytewise order.
    for k in ks.iter().rev() {
        e.insert(A, k, k).unwrap();
    }
    assert_eq!(keys(e, A, Range::all()), ks);
    let mut back = ks.clone();
    back.reverse();
    assert_eq!(keys(e, A, Range::all().rev()), back);
    assert_eq!(keys(e, A, Range::prefix(&[0x01])), ks[1..4].to_vec());
    assert_eq!(keys(e, A, Range::prefix(&[0xff])), ks[7..].to_vec());
    assert_eq!(
        keys(e, A, Range::between(&[0x01, 0x00], &[0x7f])),
        ks[2..5].to_vec()
    );
    assert_eq!(keys(e, A, Range::from(&[0x80])), ks[6..].to_vec());
    let excl = Range {
        start: Bound::Excluded(vec![0x01]),
        end: Bound::Included(vec![0x02]),
        reverse: true,
    };
    assert_eq!(
        keys(e, A, excl),
        vec![vec![0x02], vec![0x01, 0xff], vec![0x01, 0x00]]
    );
    // A long scan is read whole, whatever the page size.
    for i in 0..1000u32 {
        e.insert(B, &i.to_be_bytes(), b"x").unwrap();
    }
    let all = keys(e, B, Range::all().rev());
    assert_eq!(all.len(), 1000);
    assert_eq!(all[0], 999u32.to_be_bytes().to_vec());
    assert_eq!(e.scan(B, Range::all(), 3).take(3).count(), 3);
    assert_eq!(e.count(B).unwrap(), 1000);
    for k in &ks {
        e.remove(A, k).unwrap();
    }
    for i in 0..1000u32 {
        e.remove(B, &i.to_be_bytes()).unwrap();
    }
}

fn transactions_commit_whole_or_not_at_all(e: &Engine) {
    let r: Result<u32, TxOutcome<&str>> = e.transaction(&[A, B], |tx| {
        assert_eq!(tx.replace(A, b"x", b"1")?, None);
        assert_eq!(tx.replace(A, b"x", b"2")?.as_deref(), Some(&b"1"[..]));
        tx.insert(B, b"y", b"3")?;
        // Written, removed and written again in one transaction: the last one counts,
        // and reads (single and batched) see each step.
        tx.insert(B, b"w", b"first")?;
        tx.remove(B, b"w")?;
        assert_eq!(tx.get(B, b"w")?, None);
        assert_eq!(tx.take(B, b"w")?, None);
        tx.insert(B, b"w", b"second")?;
        assert_eq!(
            tx.get_many(B, &[b"w", b"y", b"nope"])?,
            vec![Some(b"second".to_vec()), Some(b"3".to_vec()), None]
        );
        assert_eq!(
            tx.get(A, b"x")?.as_deref(),
            Some(&b"2"[..]),
            "reads its writes"
        );
        Ok(5)
    });
    assert_eq!(r.unwrap(), 5);
    assert_eq!(e.get(A, b"x").unwrap().as_deref(), Some(&b"2"[..]));
    assert_eq!(e.get(B, b"w").unwrap().as_deref(), Some(&b"second"[..]));
    let r: Result<Option<Vec<u8>>, TxOutcome<()>> = e.transaction(&[B], |tx| Ok(tx.take(B, b"w")?));
    assert_eq!(r.unwrap().as_deref(), Some(&b"second"[..]));
    assert_eq!(e.get(B, b"w").unwrap(), None);
    let got = e
        .transaction::<_, ()>(&[A, B], |tx| Ok(tx.get_many(A, &[b"x", b"nope"])?))
        .unwrap();
    assert_eq!(got, vec![Some(b"2".to_vec()), None]);
    // An abort leaves nothing behind and comes back as it was.
    let r: Result<(), TxOutcome<&str>> = e.transaction(&[A, B], |tx| {
        tx.insert(A, b"x", b"lost")?;
        tx.remove(B, b"y")?;
        tx.insert(B, b"z", b"lost")?;
        Err(TxError::Abort("refused"))
    });
    assert!(matches!(r, Err(TxOutcome::Abort("refused"))));
    assert_eq!(e.get(A, b"x").unwrap().as_deref(), Some(&b"2"[..]));
    assert_eq!(e.get(B, b"y").unwrap().as_deref(), Some(&b"3"[..]));
    assert_eq!(e.get(B, b"z").unwrap(), None);
    let r: Result<Option<Vec<u8>>, TxOutcome<()>> = e.transaction(&[A, B], |tx| {
        let old = tx.take(B, b"y")?;
        Ok(old)
    });
    assert_eq!(r.unwrap().as_deref(), Some(&b"3"[..]));
    e.remove(A, b"x").unwrap();
}

fn conflicting_transactions_are_retried_not_lost(e: &Engine) {
    let read = |v: Option<Vec<u8>>| {
        v.map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])))
            .unwrap_or(0)
    };
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    e.transaction::<_, ()>(&[COUNTER], |tx| {
                        let n = read(tx.get(COUNTER, b"n")?);
                        tx.insert(COUNTER, b"n", &(n + 1).to_be_bytes())?;
                        Ok(())
                    })
                    .unwrap();
                }
            });
        }
    });
    assert_eq!(read(e.get(COUNTER, b"n").unwrap()), 200);
    e.remove(COUNTER, b"n").unwrap();
}

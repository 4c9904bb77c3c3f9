//! Serializable transactions on PostgreSQL, retried on serialization failures.
//!
//! The closure runs on the caller's thread; each of its reads is one statement sent to
//! the engine's runtime on the connection the attempt holds. Writes are kept in the
//! attempt (its reads see them) and sent together, pipelined, just before `COMMIT`:
//! an ingest that touches 17 keyspaces pays one round trip for its writes, not one
//! per write.

use super::super::{Inner, Ks, Tx, TxEngineError, TxError, TxImpl, TxOutcome};
use super::{PgEngine, Shared, Table, detail};
use crate::store::engine::EngineError;
use deadpool_postgres::Object;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

/// Attempts before a transaction that keeps conflicting is reported as failed.
const MAX_ATTEMPTS: u32 = 100;
/// The longest pause between attempts.
const MAX_BACKOFF_MS: u64 = 100;

/// Why a statement inside a transaction failed.
#[derive(Debug, Clone)]
pub(in crate::store::engine) enum PgTxError {
    /// The server gave the transaction up to keep it serializable: run it again.
    Conflict,
    /// Anything else: the transaction fails with this message.
    Failed(String),
}

impl From<PgTxError> for TxEngineError {
    fn from(e: PgTxError) -> Self {
        TxEngineError(Inner::Postgres(e))
    }
}

/// One read of a transaction.
enum Op {
    Get(Vec<u8>),
    GetMany(Vec<Vec<u8>>),
}

/// The writes of an attempt not yet sent: the last value per key (`None`: removed).
type Writes = BTreeMap<(Ks, Vec<u8>), Option<Vec<u8>>>;

/// One attempt of a transaction.
pub(in crate::store::engine) struct PgTx<'a> {
    engine: &'a PgEngine,
    keyspaces: &'a [Ks],
    /// Out while a statement runs on the engine's runtime; `None` once lost.
    conn: Mutex<Option<Object>>,
    /// The first statement failure of this attempt. It decides the attempt's end even
    /// if the closure swallows the error: after a failed statement PostgreSQL rejects
    /// everything up to the rollback, and turns a `COMMIT` into a silent rollback.
    trouble: Mutex<Option<PgTxError>>,
    /// Writes kept until the commit.
    writes: Mutex<Writes>,
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        // Still here only if the closure panicked: the session is mid-transaction, so
        // close it (the server rolls back) instead of returning it to the pool.
        if let Some(c) = lock(&self.conn).take() {
            drop(Object::take(c));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn run<R, A>(
    engine: &PgEngine,
    keyspaces: &[Ks],
    f: impl Fn(&Tx<'_>) -> Result<R, TxError<A>>,
) -> Result<R, TxOutcome<A>> {
    for &ks in keyspaces {
        engine.shared.table(ks).map_err(TxOutcome::Failed)?;
    }
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            backoff(attempt);
        }
        let s = engine.shared.clone();
        let conn = engine
            .run(async move {
                let c = s.conn().await?;
                match c.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE").await {
                    Ok(()) => Ok(c),
                    Err(e) => Err(s.failed("cannot begin a transaction", &e)),
                }
            })
            .and_then(|r| r)
            .map_err(TxOutcome::Failed)?;
        let tx = PgTx {
            engine,
            keyspaces,
            conn: Mutex::new(Some(conn)),
            trouble: Mutex::new(None),
            writes: Mutex::new(BTreeMap::new()),
        };
        let r = f(&Tx(TxImpl::Postgres(&tx)));
        let trouble = lock(&tx.trouble).take();
        let conn = lock(&tx.conn).take();
        let writes = std::mem::take(&mut *lock(&tx.writes));
        let r = match (r, trouble) {
            (Ok(v), None) => match commit(engine, conn, writes) {
                Ok(()) => return Ok(v),
                Err(PgTxError::Conflict) => continue,
                Err(PgTxError::Failed(m)) => return Err(TxOutcome::Failed(EngineError::Failed(m))),
            },
            (Err(TxError::Abort(a)), None) => Err(TxOutcome::Abort(a)),
            (_, Some(PgTxError::Conflict)) => {
                rollback(engine, conn);
                continue;
            }
            (_, Some(PgTxError::Failed(m))) => Err(TxOutcome::Failed(EngineError::Failed(m))),
            // A refused call that never reached the server (a keyspace not listed).
            (Err(TxError::Engine(TxEngineError(Inner::Postgres(PgTxError::Failed(m))))), None) => {
                Err(TxOutcome::Failed(EngineError::Failed(m)))
            }
            // Statement failures all set `trouble`; anything else is not ours to retry.
            (Err(TxError::Engine(e)), None) => Err(TxOutcome::Failed(EngineError::Failed(
                format!("transaction failed: {e:?}"),
            ))),
        };
        rollback(engine, conn);
        return r;
    }
    Err(TxOutcome::Failed(EngineError::Failed(format!(
        "PostgreSQL transaction still conflicting after {MAX_ATTEMPTS} attempts"
    ))))
}

/// A pause of random length, growing with the attempt, so that transactions that just
/// conflicted do not meet again at once.
fn backoff(attempt: u32) {
    let cap_ms = (1u64 << attempt.min(7)).min(MAX_BACKOFF_MS);
    let micros = rand::random_range(0..=cap_ms * 1000);
    std::thread::sleep(Duration::from_micros(micros));
}

/// Sends the attempt's writes, then `COMMIT`.
fn commit(engine: &PgEngine, conn: Option<Object>, writes: Writes) -> Result<(), PgTxError> {
    let Some(c) = conn else {
        return Err(PgTxError::Failed("PostgreSQL connection lost".into()));
    };
    let s = engine.shared.clone();
    let r = engine.run(async move {
        if let Err(e) = flush(&s, &c, writes).await {
            // The transaction is aborted on the server; end it before the pool reuses
            // the connection, or drop the connection.
            if c.batch_execute("ROLLBACK").await.is_err() {
                drop(Object::take(c));
            }
            return Err(e);
        }
        match c.batch_execute("COMMIT").await {
            Ok(()) => Ok(()),
            Err(e) => {
                let e = classify(&s, &e, "commit failed, it may or may not have applied");
                if matches!(e, PgTxError::Failed(_)) {
                    // The session's state is unknown: never hand it to another caller.
                    drop(Object::take(c));
                }
                Err(e)
            }
        }
    });
    r.map_err(|e| PgTxError::Failed(e.to_string()))?
}

/// The writes, pipelined on the attempt's connection (tokio-postgres sends concurrent
/// queries on one connection back to back and reads the answers in order).
async fn flush(s: &Shared, c: &Object, writes: Writes) -> Result<(), PgTxError> {
    if writes.is_empty() {
        return Ok(());
    }
    let mut statements = Vec::with_capacity(writes.len());
    for ((ks, _), v) in &writes {
        let t = s.table(*ks).map_err(|e| PgTxError::Failed(e.to_string()))?;
        let sql = if v.is_some() { &t.upsert } else { &t.delete };
        let st = c
            .prepare_cached(sql)
            .await
            .map_err(|e| classify(s, &e, "statement failed"))?;
        statements.push(st);
    }
    let sends = writes
        .iter()
        .zip(&statements)
        .map(|(((_, k), v), st)| async move {
            match v {
                Some(v) => c.execute(st, &[k, v]).await,
                None => c.execute(st, &[k]).await,
            }
        });
    futures_util::future::try_join_all(sends)
        .await
        .map_err(|e| classify(s, &e, "write failed"))?;
    Ok(())
}

/// Ends the attempt; the connection goes back to the pool only if that worked.
fn rollback(engine: &PgEngine, conn: Option<Object>) {
    let Some(c) = conn else { return };
    // Failure needs no report: the transaction's outcome is already decided, and the
    // connection is dropped rather than reused.
    let _ = engine.run(async move {
        if c.batch_execute("ROLLBACK").await.is_err() {
            drop(Object::take(c));
        }
    });
}

fn classify(s: &Shared, e: &tokio_postgres::Error, what: &str) -> PgTxError {
    let retry = [
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
    ];
    match e.code() {
        Some(c) if retry.contains(c) => PgTxError::Conflict,
        _ => PgTxError::Failed(format!("PostgreSQL at {}: {what}: {}", s.target, detail(e))),
    }
}

/// The reads.
async fn exec(
    c: &Object,
    t: &Table,
    op: Op,
) -> Result<Vec<Option<Vec<u8>>>, tokio_postgres::Error> {
    let value = |row: Option<tokio_postgres::Row>| row.map(|r| r.try_get(0)).transpose();
    match op {
        Op::Get(k) => {
            let st = c.prepare_cached(&t.get).await?;
            Ok(vec![value(c.query_opt(&st, &[&k]).await?)?])
        }
        Op::GetMany(keys) => {
            let st = c.prepare_cached(&t.get).await?;
            // Sent together (tokio-postgres pipelines concurrent queries on one
            // connection): one round trip instead of one per key.
            let params: Vec<[&(dyn ToSql + Sync); 1]> = keys.iter().map(|k| [k as _]).collect();
            let rows =
                futures_util::future::try_join_all(params.iter().map(|p| c.query_opt(&st, p)))
                    .await?;
            rows.into_iter().map(value).collect()
        }
    }
}

impl PgTx<'_> {
    /// Runs one statement on this attempt's connection.
    fn call(&self, ks: Ks, op: Op) -> Result<Vec<Option<Vec<u8>>>, TxEngineError> {
        if let Some(t) = lock(&self.trouble).clone() {
            return Err(t.into());
        }
        if !self.keyspaces.contains(&ks) {
            return Err(PgTxError::Failed(format!(
                "keyspace number {ks} is not part of this transaction"
            ))
            .into());
        }
        let r = self.statement(ks, op);
        if let Err(e) = &r {
            *lock(&self.trouble) = Some(e.clone());
        }
        r.map_err(TxEngineError::from)
    }

    fn statement(&self, ks: Ks, op: Op) -> Result<Vec<Option<Vec<u8>>>, PgTxError> {
        let c = lock(&self.conn)
            .take()
            .ok_or_else(|| PgTxError::Failed("PostgreSQL connection lost".into()))?;
        let s: Arc<Shared> = self.engine.shared.clone();
        let (c, r) = self
            .engine
            .run(async move {
                let r = match s.table(ks) {
                    Ok(t) => exec(&c, t, op)
                        .await
                        .map_err(|e| classify(&s, &e, "statement failed")),
                    Err(e) => Err(PgTxError::Failed(e.to_string())),
                };
                (c, r)
            })
            .map_err(|e| PgTxError::Failed(e.to_string()))?;
        *lock(&self.conn) = Some(c);
        r
    }

    pub(in crate::store::engine) fn get(
        &self,
        ks: Ks,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, TxEngineError> {
        if let Some(v) = lock(&self.writes).get(&(ks, key.to_vec())) {
            return Ok(v.clone());
        }
        Ok(self.call(ks, Op::Get(key.to_vec()))?.pop().flatten())
    }

    pub(in crate::store::engine) fn get_many(
        &self,
        ks: Ks,
        keys: &[&[u8]],
    ) -> Result<Vec<Option<Vec<u8>>>, TxEngineError> {
        let mut out: Vec<Option<Option<Vec<u8>>>> = {
            let w = lock(&self.writes);
            keys.iter()
                .map(|k| w.get(&(ks, k.to_vec())).cloned())
                .collect()
        };
        let missing: Vec<Vec<u8>> = keys
            .iter()
            .zip(&out)
            .filter(|(_, o)| o.is_none())
            .map(|(k, _)| k.to_vec())
            .collect();
        if !missing.is_empty() {
            let mut read = self.call(ks, Op::GetMany(missing))?.into_iter();
            for slot in out.iter_mut().filter(|o| o.is_none()) {
                *slot = Some(read.next().flatten());
            }
        }
        Ok(out.into_iter().map(Option::flatten).collect())
    }

    /// Keeps a write (`None`: a removal) until the commit.
    pub(in crate::store::engine) fn put(
        &self,
        ks: Ks,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), TxEngineError> {
        if let Some(t) = lock(&self.trouble).clone() {
            return Err(t.into());
        }
        if !self.keyspaces.contains(&ks) {
            return Err(PgTxError::Failed(format!(
                "keyspace number {ks} is not part of this transaction"
            ))
            .into());
        }
        lock(&self.writes).insert((ks, key.to_vec()), value.map(<[u8]>::to_vec));
        Ok(())
    }
}

//! The PostgreSQL engine, for installations that outgrow one machine. The only file that
//! names tokio-postgres.
//!
//! - Layout: one table per keyspace, `charla_kv_<name> (k BYTEA PRIMARY KEY, v BYTEA NOT
//!   NULL)`, created on open. Tables are found by the keyspace's name, like sled's
//!   trees, so reordering the keyspace list never moves data; a table per keyspace also
//!   keeps the keyspace out of every row and index entry, makes `count` and
//!   `size_on_disk` per-table facts, and gives a distributed database one range (and
//!   split points) per keyspace. `bytea` has no collation and compares bytewise (memcmp,
//!   then length), so `ORDER BY k` is sled's order.
//! - Portability: only SQL that CockroachDB and YugabyteDB also accept (`ON CONFLICT`,
//!   `RETURNING`, placeholders in `LIMIT`); `size_on_disk` is PostgreSQL's alone. On
//!   YugabyteDB the key is declared `PRIMARY KEY (k ASC)` (range-sharded, so scans stay
//!   range scans); PostgreSQL refuses that `ASC`, so only there.
//! - Scans: keyset pages (`k > $last ORDER BY k LIMIT $n`, `<` and `DESC` backwards),
//!   each page its own statement, read only when the caller gets that far.
//! - Transactions: `BEGIN ISOLATION LEVEL SERIALIZABLE` on one pooled connection, every
//!   read and write a statement on the server, then `COMMIT`; a serialization failure or
//!   deadlock (40001, 40P01) at any statement or at commit rolls back and runs the
//!   closure again after a short random backoff.
//! - Threads: the `Engine` API is synchronous and is called from plain threads and from
//!   inside tokio runtimes (actix's current-thread workers, where blocking on another
//!   runtime panics). So the engine owns a small runtime of its own that drives the
//!   connections; each call sends a future to it and waits on a std channel, which is
//!   allowed from any thread.
//! - Connections: a deadpool pool, so broken connections are dropped and replaced.
//! - TLS: rustls, with libpq's `sslmode` (`disable`, `prefer` (the default), `require`,
//!   `verify-ca`, `verify-full`) and `sslrootcert` from the URL; see `tls`.

mod tls;
mod tx;

pub(super) use tx::{PgTx, PgTxError};

use super::{EngineError, Ks, Pair, Range, Scan, Tx, TxError, TxOutcome};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::{Arc, mpsc};
use std::time::Duration;
use tokio_postgres::types::ToSql;

/// Every keyspace table is named with this prefix, so the engine can share a database.
const TABLE_PREFIX: &str = "charla_kv_";
/// PostgreSQL truncates identifiers past 63 bytes; two keyspaces must never collide.
const MAX_IDENT: usize = 63;
/// The first page of a scan reads at least this many rows (a round trip costs more
/// than a few extra rows), later pages grow up to `MAX_PAGE`.
const MIN_PAGE: usize = 16;
const MAX_PAGE: usize = 1000;

/// A keyspace's table and its statements, built once on open.
struct Table {
    name: String,
    get: String,
    upsert: String,
    delete: String,
}

impl Table {
    fn new(keyspace: &str) -> Result<Table, EngineError> {
        // Keyspace names come from the store's schema, but they are spliced into SQL:
        // allow only what needs no quoting and cannot be truncated into another name.
        let ok = !keyspace.is_empty()
            && TABLE_PREFIX.len() + keyspace.len() <= MAX_IDENT
            && keyspace
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(EngineError::Failed(format!(
                "keyspace name {keyspace:?} cannot be a PostgreSQL table name \
                 (lowercase letters, digits and _, at most {} bytes)",
                MAX_IDENT - TABLE_PREFIX.len()
            )));
        }
        let t = format!("{TABLE_PREFIX}{keyspace}");
        Ok(Table {
            get: format!("SELECT v FROM {t} WHERE k = $1"),
            upsert: format!(
                "INSERT INTO {t} (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
            ),
            delete: format!("DELETE FROM {t} WHERE k = $1"),
            name: t,
        })
    }
}

/// What every call on the engine's runtime needs; shared with the futures it runs.
struct Shared {
    pool: Pool,
    tables: Vec<Table>,
    /// Where the server is, for messages (never the password).
    target: String,
}

impl Shared {
    fn table(&self, ks: Ks) -> Result<&Table, EngineError> {
        self.tables
            .get(ks)
            .ok_or_else(|| EngineError::Failed(format!("no keyspace number {ks}")))
    }

    async fn conn(&self) -> Result<Object, EngineError> {
        self.pool.get().await.map_err(|e| {
            let why = match e {
                PoolError::Backend(e) => detail(&e),
                PoolError::Timeout(_) => "timed out (server unreachable, or every pooled \
                                          connection busy)"
                    .to_string(),
                other => other.to_string(),
            };
            EngineError::Failed(format!(
                "cannot connect to PostgreSQL at {}: {why}",
                self.target
            ))
        })
    }

    fn failed(&self, what: &str, e: &tokio_postgres::Error) -> EngineError {
        EngineError::Failed(format!(
            "PostgreSQL at {}: {what}: {}",
            self.target,
            detail(e)
        ))
    }
}

pub struct PgEngine {
    shared: Arc<Shared>,
    /// Taken on drop: the runtime is shut down without blocking, as the last handle may
    /// be dropped inside another runtime, where a blocking shutdown panics.
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
}

impl Drop for PgEngine {
    fn drop(&mut self) {
        self.shared.pool.close();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl PgEngine {
    pub(super) fn open(
        url: &str,
        keyspaces: &[&str],
        pool_size: usize,
    ) -> Result<PgEngine, EngineError> {
        let (url, tls_opts) = tls::split_url(url)?;
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| url_error(&e))?;
        let (tls, mode) = tls::MakeRustls::new(&tls_opts, config.get_ssl_mode())?;
        config.ssl_mode(mode.driver());
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("charla");
        }
        let target = describe_target(&config);
        let tables = keyspaces
            .iter()
            .map(|n| Table::new(n))
            .collect::<Result<Vec<_>, _>>()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("charla-postgres")
            .enable_all()
            .build()
            .map_err(|e| {
                EngineError::Failed(format!("cannot start the PostgreSQL runtime: {e}"))
            })?;
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            // Bounded waits: a caller that holds every connection (a scan inside a
            // transaction, a stuck server) gets an error instead of hanging for ever.
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(15)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| EngineError::Failed(format!("cannot build the PostgreSQL pool: {e}")))?;
        let engine = PgEngine {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            shared: Arc::new(Shared {
                pool,
                tables,
                target,
            }),
        };
        let shared = engine.shared.clone();
        engine.run(async move { create_tables(&shared).await })??;
        Ok(engine)
    }

    /// Runs `fut` on the engine's runtime and waits for it: the one bridge from the
    /// synchronous API to the connections, usable from any thread or runtime.
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, EngineError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle.spawn(async move {
            // The receiver is gone only if the caller's thread died; nothing to tell.
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .map_err(|_| EngineError::Failed("the PostgreSQL engine has shut down".into()))
    }

    pub(super) fn get(&self, ks: Ks, key: &[u8]) -> Result<Option<Vec<u8>>, EngineError> {
        let (s, key) = (self.shared.clone(), key.to_vec());
        self.run(async move {
            let t = s.table(ks)?;
            let c = s.conn().await?;
            let row = async {
                let st = c.prepare_cached(&t.get).await?;
                c.query_opt(&st, &[&key])
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()
            };
            row.await.map_err(|e| s.failed("read failed", &e))
        })?
    }

    pub(super) fn get_many(
        &self,
        ks: Ks,
        keys: &[&[u8]],
    ) -> Result<Vec<Option<Vec<u8>>>, EngineError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let (s, keys) = (
            self.shared.clone(),
            keys.iter().map(|k| k.to_vec()).collect::<Vec<_>>(),
        );
        self.run(async move {
            let t = s.table(ks)?;
            let c = s.conn().await?;
            let rows = async {
                let st = c.prepare_cached(&t.get).await?;
                // Pipelined on one connection: one round trip for the lot.
                let params: Vec<[&(dyn ToSql + Sync); 1]> = keys.iter().map(|k| [k as _]).collect();
                let rows =
                    futures_util::future::try_join_all(params.iter().map(|p| c.query_opt(&st, p)))
                        .await?;
                rows.into_iter()
                    .map(|r| r.map(|r| r.try_get(0)).transpose())
                    .collect::<Result<Vec<_>, _>>()
            };
            rows.await.map_err(|e| s.failed("read failed", &e))
        })?
    }

    pub(super) fn insert(&self, ks: Ks, key: &[u8], value: &[u8]) -> Result<(), EngineError> {
        let (s, key, value) = (self.shared.clone(), key.to_vec(), value.to_vec());
        self.run(async move {
            let t = s.table(ks)?;
            let c = s.conn().await?;
            let write = async {
                let st = c.prepare_cached(&t.upsert).await?;
                c.execute(&st, &[&key, &value]).await
            };
            write.await.map_err(|e| s.failed("write failed", &e))?;
            Ok(())
        })?
    }

    pub(super) fn remove(&self, ks: Ks, key: &[u8]) -> Result<(), EngineError> {
        let (s, key) = (self.shared.clone(), key.to_vec());
        self.run(async move {
            let t = s.table(ks)?;
            let c = s.conn().await?;
            let write = async {
                let st = c.prepare_cached(&t.delete).await?;
                c.execute(&st, &[&key]).await
            };
            write.await.map_err(|e| s.failed("delete failed", &e))?;
            Ok(())
        })?
    }

    pub(super) fn scan(&self, ks: Ks, range: Range, limit: usize) -> Scan<'_> {
        Box::new(PgScan {
            engine: self,
            ks,
            start: range.start,
            end: range.end,
            reverse: range.reverse,
            page: limit.clamp(MIN_PAGE, MAX_PAGE),
            buf: VecDeque::new(),
            done: false,
        })
    }

    /// One page of a scan: up to `page` pairs within the bounds, in scan order.
    fn read_page(
        &self,
        ks: Ks,
        start: &Bound<Vec<u8>>,
        end: &Bound<Vec<u8>>,
        reverse: bool,
        page: usize,
    ) -> Result<Vec<Pair>, EngineError> {
        let s = self.shared.clone();
        let name = s.table(ks)?.name.clone();
        let (sql, bounds) = page_query(&name, start, end, reverse);
        let limit = i64::try_from(page).unwrap_or(i64::MAX);
        self.run(async move {
            let c = s.conn().await?;
            let rows = async {
                let st = c.prepare_cached(&sql).await?;
                let mut params: Vec<&(dyn ToSql + Sync)> =
                    bounds.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
                params.push(&limit);
                c.query(&st, &params)
                    .await?
                    .iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<Result<Vec<Pair>, tokio_postgres::Error>>()
            };
            rows.await.map_err(|e| s.failed("scan failed", &e))
        })?
    }

    pub(super) fn count(&self, ks: Ks) -> Result<u64, EngineError> {
        let s = self.shared.clone();
        let sql = format!("SELECT count(*) FROM {}", s.table(ks)?.name);
        self.run(async move {
            let c = s.conn().await?;
            let n: i64 = async { c.query_one(&sql, &[]).await?.try_get(0) }
                .await
                .map_err(|e| s.failed("count failed", &e))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })?
    }

    pub(super) fn transaction<R, A>(
        &self,
        keyspaces: &[Ks],
        f: impl Fn(&Tx<'_>) -> Result<R, TxError<A>>,
    ) -> Result<R, TxOutcome<A>> {
        tx::run(self, keyspaces, f)
    }

    /// Every commit the engine makes (autocommit or `COMMIT`) has returned only once
    /// the server made it durable (`synchronous_commit` is on by default), so there is
    /// nothing left to wait for. An administrator who turns it off trades that away.
    pub(super) async fn durable(&self) -> Result<(), EngineError> {
        Ok(())
    }

    /// As `durable`: nothing is buffered on this side.
    pub(super) fn flush_blocking(&self) -> Result<(), EngineError> {
        Ok(())
    }

    /// Tables, indexes and TOAST of every keyspace (PostgreSQL only: distributed
    /// databases report this elsewhere, and then this is an error).
    pub(super) fn size_on_disk(&self) -> Result<u64, EngineError> {
        let s = self.shared.clone();
        let names: Vec<String> = s.tables.iter().map(|t| t.name.clone()).collect();
        self.run(async move {
            let c = s.conn().await?;
            let n: i64 = async {
                c.query_one(
                    "SELECT COALESCE(SUM(pg_total_relation_size(to_regclass(t))), 0)::INT8 \
                     FROM unnest($1::TEXT[]) AS t",
                    &[&names],
                )
                .await?
                .try_get(0)
            }
            .await
            .map_err(|e| s.failed("size query failed", &e))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })?
    }
}

async fn create_tables(s: &Shared) -> Result<(), EngineError> {
    let c = s.conn().await?;
    let version: String = async { c.query_one("SELECT version()", &[]).await?.try_get(0) }
        .await
        .map_err(|e| s.failed("cannot read the server's version", &e))?;
    let ordered_key = needs_ordered_key(&version);
    for t in &s.tables {
        let sql = create_table(&t.name, ordered_key);
        // Two nodes starting at once can race on the catalog even with IF NOT EXISTS
        // (PostgreSQL reports a duplicate type or table); the second try sees the table.
        let mut tries = 0;
        loop {
            match c.batch_execute(&sql).await {
                Ok(()) => break,
                Err(e) if tries < 3 && is_create_race(&e) => tries += 1,
                Err(e) => return Err(s.failed(&format!("cannot create {}", t.name), &e)),
            }
        }
    }
    Ok(())
}

/// YugabyteDB shards a primary key by its hash unless it is declared `ASC`, and then
/// every range scan reads the whole table; its `version()` reads `PostgreSQL 11.2-YB-…`.
/// PostgreSQL refuses `ASC` in a primary key, CockroachDB orders keys anyway.
fn needs_ordered_key(version: &str) -> bool {
    version.contains("-YB-")
}

/// The table of one keyspace: a bytewise-ordered `bytea` key (range-sharded where the
/// database would otherwise hash it) and a `bytea` value.
fn create_table(name: &str, ordered_key: bool) -> String {
    let key = if ordered_key { "k ASC" } else { "k" };
    format!(
        "CREATE TABLE IF NOT EXISTS {name} (k BYTEA NOT NULL, v BYTEA NOT NULL, PRIMARY KEY ({key}))"
    )
}

fn is_create_race(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    let codes = [
        SqlState::UNIQUE_VIOLATION,
        SqlState::DUPLICATE_TABLE,
        SqlState::T_R_SERIALIZATION_FAILURE,
    ];
    e.code().is_some_and(|c| codes.contains(c))
}

/// The statement for one page, and its bound parameters (the limit comes last).
fn page_query(
    table: &str,
    start: &Bound<Vec<u8>>,
    end: &Bound<Vec<u8>>,
    reverse: bool,
) -> (String, Vec<Vec<u8>>) {
    let mut conds = Vec::new();
    let mut params = Vec::new();
    for (bound, incl, excl) in [(start, ">=", ">"), (end, "<=", "<")] {
        let (op, key) = match bound {
            Bound::Included(k) => (incl, k),
            Bound::Excluded(k) => (excl, k),
            Bound::Unbounded => continue,
        };
        params.push(key.clone());
        conds.push(format!("k {op} ${}", params.len()));
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    let order = if reverse { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT k, v FROM {table}{filter} ORDER BY k {order} LIMIT ${}",
        params.len() + 1
    );
    (sql, params)
}

/// A lazy scan: pages are read as the caller iterates, each after the last key seen.
struct PgScan<'a> {
    engine: &'a PgEngine,
    ks: Ks,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    reverse: bool,
    page: usize,
    buf: VecDeque<Pair>,
    done: bool,
}

impl Iterator for PgScan<'_> {
    type Item = Result<Pair, EngineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(p) = self.buf.pop_front() {
            return Some(Ok(p));
        }
        if self.done {
            return None;
        }
        let rows = self
            .engine
            .read_page(self.ks, &self.start, &self.end, self.reverse, self.page);
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        self.done = rows.len() < self.page;
        if let Some((last, _)) = rows.last() {
            let after = Bound::Excluded(last.clone());
            if self.reverse {
                self.end = after;
            } else {
                self.start = after;
            }
        }
        // A caller that reads past the first page reads the whole range, most likely.
        self.page = (self.page * 4).min(MAX_PAGE);
        self.buf = rows.into();
        self.buf.pop_front().map(Ok)
    }
}

/// A driver error with its cause: tokio-postgres's own text is only the kind of error
/// ("db error"), the server's message and SQLSTATE are in its source.
fn detail(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A bad URL, without echoing any of it: the URL may carry a password.
fn url_error(e: &tokio_postgres::Error) -> EngineError {
    // Option errors name the option only; other parse errors may quote URL characters.
    let why = std::error::Error::source(e)
        .map(|s| s.to_string())
        .filter(|s| s.starts_with("invalid value for option") || s.starts_with("unknown option"))
        .unwrap_or_else(|| "expected postgres://user[:password]@host[:port]/database".into());
    EngineError::Failed(format!("invalid PostgreSQL URL: {why}"))
}

/// `host:port[,host:port]/database as user`, for messages.
fn describe_target(c: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let ports = c.get_ports();
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match h {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(dir) => format!("{}:{port}", dir.display()),
            }
        })
        .collect();
    let user = c.get_user().unwrap_or("?");
    let db = c.get_dbname().unwrap_or(user);
    format!("{}/{db} as {user}", hosts.join(","))
}

#[cfg(test)]
mod tests;

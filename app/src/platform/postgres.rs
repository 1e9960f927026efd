//! PostgreSQL connections for `Db::Postgres`: sqlx's pool for transactions, and a lender of
//! connections of our own for the statements run on their own, which are most of them.
//!
//! Why a lender: sqlx's pool pings every connection it takes back (one round trip to the server
//! after each statement, always; no option turns it off), so a statement taken from the pool
//! costs the server two round trips. The lender lends a connection for one statement and takes
//! it back as it is, unless the statement was abandoned midway (a timeout, a client gone), which
//! leaves the connection's protocol state unknown: such a connection is closed, never lent again.
//! Transactions stay on sqlx's pool, whose release rolls an abandoned one back.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use sqlx::postgres::{
    PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgQueryResult, PgRow, PgStatement, PgTypeInfo,
};
use sqlx::{Connection, Either, Executor, Postgres};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections each side may hold open: 16 per server process in all, as when sqlx's pool served
/// everything. On two cores more sessions at work only contend, and PostgreSQL's default limit
/// is 100 connections for every process of a deployment (three servers at 32 each found it).
const CONNECTIONS: usize = 8;

/// How long a statement or transaction waits for a connection before it is refused.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection may sit unused before it is pinged on its next use: one in use a moment
/// ago is alive; one idle for a while (the server may have restarted) is checked, and dropped
/// when it fails.
const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct PostgresPool {
    lender: Arc<Lender>,
    transactions: PgPool,
}

impl PostgresPool {
    pub async fn connect(url: &str) -> Result<PostgresPool, sqlx::Error> {
        // sqlx's own check before each use is a ping round trip: only after a quiet spell here.
        let transactions = PgPoolOptions::new()
            .max_connections(CONNECTIONS as u32)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_AFTER_IDLE {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await?;
        let lender = Lender {
            options: PgConnectOptions::from_str(url)?,
            idle: Mutex::new(Vec::new()),
            open: AtomicU64::new(0),
            turns: Arc::new(Semaphore::new(CONNECTIONS)),
        };
        Ok(PostgresPool { lender: Arc::new(lender), transactions })
    }

    /// A transaction on a connection of sqlx's pool.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        self.transactions.begin().await
    }

    /// A connection of sqlx's pool for a while, e.g. to hold a session-level advisory lock.
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<Postgres>, sqlx::Error> {
        self.transactions.acquire().await
    }

    /// sqlx's pool, for what runs its own transactions on a pool (migrations).
    pub(crate) fn transactions(&self) -> &PgPool {
        &self.transactions
    }

    /// Refuses further statements, closes the idle connections and sqlx's pool; a connection
    /// still lent is closed when its statement ends.
    pub async fn close(&self) {
        self.lender.turns.close();
        let idle = std::mem::take(&mut *self.lender.idle.lock().expect("idle connections"));
        for (connection, _) in idle {
            self.lender.open.fetch_sub(1, SeqCst);
            let _ = connection.close().await;
        }
        self.transactions.close().await;
    }

    /// The lender's connections open now, lent or idle (for tests).
    pub fn lent_connections_open(&self) -> u64 {
        self.lender.open.load(SeqCst)
    }
}

struct Lender {
    options: PgConnectOptions,
    /// The most recently returned last: a busy spell reuses the same few connections.
    idle: Mutex<Vec<(PgConnection, Instant)>>,
    open: AtomicU64,
    /// One permit per connection that may be lent at once.
    turns: Arc<Semaphore>,
}

impl fmt::Debug for Lender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lender").field("open", &self.open.load(SeqCst)).finish_non_exhaustive()
    }
}

impl Lender {
    async fn lend(self: Arc<Self>) -> Result<Lease, sqlx::Error> {
        let turn = match tokio::time::timeout(ACQUIRE_TIMEOUT, self.turns.clone().acquire_owned()).await {
            Err(_) => return Err(sqlx::Error::PoolTimedOut),
            Ok(Err(_)) => return Err(sqlx::Error::PoolClosed),
            Ok(Ok(turn)) => turn,
        };
        // Idle connections are only taken with a turn, and at most one per turn is out, so at
        // most CONNECTIONS are ever open.
        loop {
            let returned = self.idle.lock().expect("idle connections").pop();
            let connection = match returned {
                Some((mut connection, since)) => {
                    if since.elapsed() > PING_AFTER_IDLE && connection.ping().await.is_err() {
                        self.open.fetch_sub(1, SeqCst);
                        continue;
                    }
                    connection
                }
                None => {
                    let connection = PgConnection::connect_with(&self.options).await?;
                    self.open.fetch_add(1, SeqCst);
                    connection
                }
            };
            return Ok(Lease { connection: Some(connection), lender: self, in_doubt: false, _turn: turn });
        }
    }
}

/// A connection lent for one statement. Dropped, it goes back to the lender, unless its
/// statement did not finish.
struct Lease {
    connection: Option<PgConnection>,
    lender: Arc<Lender>,
    in_doubt: bool,
    // Released after the connection is back (fields drop after `Drop::drop`).
    _turn: OwnedSemaphorePermit,
}

impl Lease {
    /// The connection, for a statement that counts as abandoned until `finished` sees its answer.
    fn statement(&mut self) -> &mut PgConnection {
        self.in_doubt = true;
        self.connection.as_mut().expect("a lease holds its connection until dropped")
    }

    /// The statement's answer arrived: a refusal by the server (a constraint, a syntax error)
    /// leaves the connection ready for the next one; an I/O or protocol error does not.
    fn finished(&mut self, failure: Option<&sqlx::Error>) {
        self.in_doubt = failure.is_some_and(|err| !matches!(err, sqlx::Error::Database(_)));
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else { return };
        if self.in_doubt || self.lender.turns.is_closed() {
            // Dropping it closes the socket; the server ends the session (and anything it was
            // running for it).
            self.lender.open.fetch_sub(1, SeqCst);
            drop(connection);
        } else {
            self.lender.idle.lock().expect("idle connections").push((connection, Instant::now()));
        }
    }
}

impl<'p> Executor<'p> for &'_ PostgresPool {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        E: 'q + sqlx::Execute<'q, Postgres>,
    {
        let lender = self.lender.clone();
        // The whole answer is read before the first row is handed on: the lease must not outlive
        // the statement in a stream the caller might leave half read.
        let answer = async move {
            let mut lease = match lender.lend().await {
                Ok(lease) => lease,
                Err(err) => return vec![Err(err)],
            };
            let steps: Vec<_> = lease.statement().fetch_many(query).collect().await;
            lease.finished(steps.iter().find_map(|step| step.as_ref().err()));
            steps
        };
        Box::pin(stream::once(answer).flat_map(stream::iter))
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        E: 'q + sqlx::Execute<'q, Postgres>,
    {
        let lender = self.lender.clone();
        Box::pin(async move {
            let mut lease = lender.lend().await?;
            let answer = lease.statement().fetch_optional(query).await;
            lease.finished(answer.as_ref().err());
            answer
        })
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement, sqlx::Error>>
    where
        'p: 'e,
    {
        let lender = self.lender.clone();
        Box::pin(async move {
            let mut lease = lender.lend().await?;
            let answer = lease.statement().prepare_with(sql, parameters).await;
            lease.finished(answer.as_ref().err());
            answer
        })
    }

    // Required while sqlx's `macros` feature is on (it enables `offline`); the application
    // itself never describes a statement at run time.
    fn describe<'e>(self, sql: sqlx::SqlStr) -> BoxFuture<'e, Result<sqlx::Describe<Postgres>, sqlx::Error>> {
        let lender = self.lender.clone();
        Box::pin(async move {
            let mut lease = lender.lend().await?;
            let answer = lease.statement().describe(sql).await;
            lease.finished(answer.as_ref().err());
            answer
        })
    }
}

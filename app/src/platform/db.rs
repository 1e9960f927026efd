//! One store, two backends. `Db` holds either a SQLite or a PostgreSQL pool; `db_run!` expands
//! the same query code once per backend, so every query is written once with `$N` placeholders
//! and portable SQL. Dialect differences stay in the two migration sets.

use std::collections::HashMap;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::error::AppError;
use crate::platform::postgres::PostgresPool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PostgresPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool. The body is compiled once per backend,
/// so it must be generic SQL code.
///
/// The second form is the sanctioned fork for the rare statement that must differ by dialect:
/// `db_run!(db, sqlite: |pool| …, postgres: |pool| …)`. Say in a comment why it forks.
#[macro_export]
macro_rules! db_run {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::platform::db::Db::Sqlite($pool) => $body,
            $crate::platform::db::Db::Postgres($pool) => $body,
        }
    };
    ($db:expr, sqlite: |$sqlite:ident| $on_sqlite:expr, postgres: |$postgres:ident| $on_postgres:expr $(,)?) => {
        match $db {
            $crate::platform::db::Db::Sqlite($sqlite) => $on_sqlite,
            $crate::platform::db::Db::Postgres($postgres) => $on_postgres,
        }
    };
}

/// A write transaction on either backend, as a value: helpers that must run inside the caller's
/// transaction are plain `async fn(tx: &mut Tx, …)`, and run their statements with `tx_run!`.
/// Dropping it without `commit` rolls back.
pub enum Tx {
    Sqlite(WriteTx<sqlx::Sqlite>),
    Postgres(WriteTx<sqlx::Postgres>),
}

/// Runs `$body` with `$conn` bound to the connection of the transaction `$tx` (a `&mut Tx`).
/// Each statement takes `&mut *$conn`. Like `db_run!`, the body is compiled once per backend.
#[macro_export]
macro_rules! tx_run {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::platform::db::Tx::Sqlite(tx) => {
                let $conn: &mut sqlx::SqliteConnection = &mut **tx;
                $body
            }
            $crate::platform::db::Tx::Postgres(tx) => {
                let $conn: &mut sqlx::PgConnection = &mut **tx;
                $body
            }
        }
    };
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Stores an enum of the domain as its text code on both backends (the column is TEXT), so a
/// status or role is bound as a value, never written into SQL as a string literal. The type
/// needs `fn code(self) -> &'static str` and `fn parse(&str) -> Option<Self>` (or names its
/// own: `stored_as_text!(Role, as_str)`).
#[macro_export]
macro_rules! stored_as_text {
    ($type:ty) => {
        $crate::stored_as_text!($type, code);
    };
    ($type:ty, $code:ident) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $type
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }
        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $type
        where
            String: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, DB>>::encode(self.$code().to_string(), buf)
            }
        }
        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $type
        where
            String: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let code = <String as sqlx::Decode<'r, DB>>::decode(value)?;
                <$type>::parse(&code).ok_or_else(|| format!("unknown {} code `{code}`", stringify!($type)).into())
            }
        }
    };
}

/// A unique (or check) constraint, named once for both backends: PostgreSQL reports the
/// constraint's name, SQLite only the columns of a unique index (or a named check's name) in
/// its message. `or_invalid` turns a violation into the field error a person understands.
#[derive(Clone, Copy, Debug)]
pub struct Constraint {
    pub postgres: &'static str,
    pub sqlite: &'static str,
}

impl Constraint {
    /// Whether the database error is a violation of this constraint.
    pub fn violated_by(&self, err: &sqlx::Error) -> bool {
        use sqlx::error::ErrorKind;
        match err {
            sqlx::Error::Database(db) => {
                db.constraint() == Some(self.postgres)
                    || (matches!(db.kind(), ErrorKind::UniqueViolation | ErrorKind::CheckViolation)
                        && db.message().contains(self.sqlite))
            }
            _ => false,
        }
    }

    /// The statement's result, with this constraint's violation as `refusal()` and any other
    /// database error as `Internal` (logged).
    pub fn or_else<T>(
        &self,
        result: Result<T, sqlx::Error>,
        refusal: impl FnOnce() -> AppError,
    ) -> Result<T, AppError> {
        match result {
            Err(err) if self.violated_by(&err) => Err(refusal()),
            other => Ok(other?),
        }
    }

    /// The statement's result, with this constraint's violation as a field error.
    pub fn or_invalid<T>(&self, result: Result<T, sqlx::Error>, field: &str, message: &str) -> Result<T, AppError> {
        self.or_else(result, || AppError::invalid(field, message))
    }
}

/// A transaction that will write: statements take `&mut *tx` (its connection), as with sqlx's
/// own transactions. On SQLite it holds its database's write gate until it ends, and its commit
/// returns once the write-ahead log is on disk (see `WalFlush`).
pub struct WriteTx<DB: sqlx::Database> {
    // Declared first, so dropped first: an abandoned transaction is rolled back before the
    // gate opens for the next writer.
    tx: sqlx::Transaction<'static, DB>,
    gate: Option<OwnedMutexGuard<()>>,
    flush: Option<Arc<WalFlush>>,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let WriteTx { tx, gate, flush } = self;
        tx.commit().await?;
        // The next writer may go on while this one waits for the disk, and one flush then
        // serves every commit made before it started.
        drop(gate);
        match flush {
            Some(flush) => flush.committed().await,
            None => Ok(()),
        }
    }
}

/// Group commit for SQLite's write transactions. They run on the file's writer connection
/// (`synchronous = NORMAL`): its commit appends to the write-ahead log without waiting for the
/// disk, and the write gate opens at once. The commit is acknowledged after the log is flushed
/// (`fdatasync`), which makes it exactly as durable as a `FULL` commit; but a flush covers every
/// commit made before it started, so in a rush one flush serves many, and none of them holds
/// the gate while the disk works. SQLite syncs the log itself before each checkpoint, so a
/// checkpoint never moves an unflushed commit into the database file.
pub struct WalFlush {
    log: PathBuf,
    /// Commits made so far, and how many of them a finished flush covered.
    commits: AtomicU64,
    flushed: AtomicU64,
    /// One flush at a time: the commits that wait meanwhile are covered by the next.
    turn: AsyncMutex<()>,
}

impl WalFlush {
    fn new(database: &std::path::Path) -> WalFlush {
        let mut log = database.as_os_str().to_owned();
        log.push("-wal");
        WalFlush { log: log.into(), commits: Default::default(), flushed: Default::default(), turn: Default::default() }
    }

    /// Returns once the commit just made is on disk.
    async fn committed(&self) -> Result<(), sqlx::Error> {
        let mine = self.commits.fetch_add(1, SeqCst) + 1;
        let _turn = self.turn.lock().await;
        if self.flushed.load(SeqCst) >= mine {
            return Ok(());
        }
        // Every commit counted by now has written its frames to the log.
        let covered = self.commits.load(SeqCst);
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || match std::fs::File::open(&log) {
            Ok(file) => file.sync_data(),
            // No log: the last connection closed and checkpointed it into the database, which
            // SQLite synced.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(err),
        })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)??;
        self.flushed.store(covered, SeqCst);
        Ok(())
    }
}

impl<DB: sqlx::Database> Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later fails with
/// "database is locked" when another writer got in between, and no busy timeout can save it.
/// PostgreSQL's row locks need no such care. This is one of the few marked dialect differences.
///
/// SQLite has one writer at a time, and a connection that finds the lock taken does not queue
/// for it: its busy handler sleeps and tries again, sleeping longer each time (1, 2, 5, 10 … 100
/// ms). Under a rush of registrations or scans those sleeps were the slow tail (p99 over 140 ms
/// where a commit takes well under one). So this process's writers of one database first queue,
/// in order, at its write gate, and only the one at the front asks SQLite for the lock; other
/// processes' writers still meet the busy timeout, as before.
pub trait WriteTransaction {
    type Database: sqlx::Database;
    fn begin_write(&self) -> impl Future<Output = Result<WriteTx<Self::Database>, sqlx::Error>> + Send;
}

impl WriteTransaction for SqlitePool {
    type Database = sqlx::Sqlite;
    fn begin_write(&self) -> impl Future<Output = Result<WriteTx<sqlx::Sqlite>, sqlx::Error>> + Send {
        let gate = write_gate(self);
        let (pool, flush) = writer(self);
        async move {
            let gate = gate.lock_owned().await;
            let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            Ok(WriteTx { tx, gate: Some(gate), flush: Some(flush) })
        }
    }
}

impl WriteTransaction for PostgresPool {
    type Database = sqlx::Postgres;
    fn begin_write(&self) -> impl Future<Output = Result<WriteTx<sqlx::Postgres>, sqlx::Error>> + Send {
        let pool = self.clone();
        async move { Ok(WriteTx { tx: pool.begin().await?, gate: None, flush: None }) }
    }
}

/// Statements joined into one batch for SQLite, which runs a batch in one call to its
/// connection's thread (a round trip each is what a write transaction mostly waits for, while
/// this process's other writers wait at the gate). Each statement is written with its own
/// `$1`, `$2`, …, given here with how many it has; they are renumbered past those of the
/// statements before, so the arguments are bound in the statements' order. A batch stops at
/// its first error. PostgreSQL prepares one statement at a time: see `postgres_batch`.
pub fn sqlite_batch(statements: &[(&str, usize)]) -> String {
    renumbered(statements).iter().map(|sql| format!("{sql};\n")).collect()
}

/// The same batch as one statement for PostgreSQL: every statement but the one at `answering`
/// becomes a data-modifying `with` clause of that one, whose rows are the batch's answer. One
/// round trip where there were as many as statements. They run on one snapshot, so none of
/// them may read what another writes (in `register`: the draft, the seat and the mail are
/// three tables), and all of them run, or none.
pub fn postgres_batch(statements: &[(&str, usize)], answering: usize) -> String {
    let statements = renumbered(statements);
    let clauses: Vec<String> = statements
        .iter()
        .enumerate()
        .filter(|(n, _)| *n != answering)
        .map(|(n, sql)| format!("batched_{n} as ({sql})"))
        .collect();
    if clauses.is_empty() {
        return statements[answering].clone();
    }
    format!("with {}\n{}", clauses.join(",\n"), statements[answering])
}

/// Each statement with its `$N` moved past the parameters of the statements before it.
fn renumbered(statements: &[(&str, usize)]) -> Vec<String> {
    let mut before = 0;
    statements
        .iter()
        .map(|(sql, parameters)| {
            let mut renumbered = String::with_capacity(sql.len() + 8);
            let mut rest = *sql;
            while let Some(at) = rest.find('$') {
                renumbered.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                if let Ok(number) = rest[..digits].parse::<usize>() {
                    renumbered.push_str(&(number + before).to_string());
                    rest = &rest[digits..];
                }
            }
            renumbered.push_str(rest);
            before += parameters;
            renumbered
        })
        .collect()
}

/// The write gate of a SQLite database file, shared by every pool of this process that opens it.
fn write_gate(pool: &SqlitePool) -> Arc<AsyncMutex<()>> {
    static GATES: OnceLock<Mutex<HashMap<PathBuf, Arc<AsyncMutex<()>>>>> = OnceLock::new();
    let mut gates = GATES.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    gates.entry(database_file(pool)).or_default().clone()
}

fn database_file(pool: &SqlitePool) -> PathBuf {
    pool.connect_options().get_filename().to_path_buf()
}

/// A database file's writer connection and the flushes of its log.
type Writer = (SqlitePool, Arc<WalFlush>);

/// The writer connections (see `WalFlush` and `Db::scratch`), one per database file, opened on
/// first use.
fn writers() -> std::sync::MutexGuard<'static, HashMap<PathBuf, Writer>> {
    static WRITERS: OnceLock<Mutex<HashMap<PathBuf, Writer>>> = OnceLock::new();
    WRITERS.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn writer(pool: &SqlitePool) -> Writer {
    let file = database_file(pool);
    let mut writers = writers();
    // Closed with a `Db` of the same file (two server instances in one test): opened again.
    if let Some(found) = writers.get(&file).filter(|(writer, _)| !writer.is_closed()) {
        return found.clone();
    }
    // A database in memory is opened with a shared cache under its generated name: a second
    // pool of the same options reaches the same database there too. One connection is enough:
    // its writes queue at the write gate anyway.
    let writer =
        SqlitePoolOptions::new().max_connections(1).test_before_acquire(false).connect_lazy_with(writer_options(pool));
    let made = (writer, Arc::new(WalFlush::new(pool.connect_options().get_filename())));
    writers.insert(file, made.clone());
    made
}

/// A connection of its own to the writer side of a SQLite file (`synchronous = NORMAL`, see
/// `WalFlush`), for a task that writes all the time (the check-in writer). sqlx pings a pooled
/// connection each time it goes back to its pool, one more round trip to the connection's thread
/// per statement; a connection held by its task is never released. It still takes its turns at
/// the write gate (`Db::write_turn`) like the writer pool's.
pub async fn sqlite_writer_of_its_own(pool: &SqlitePool) -> Result<sqlx::SqliteConnection, sqlx::Error> {
    sqlx::ConnectOptions::connect(&writer_options(pool)).await
}

/// The options of the writer side of the pool's file: the pool's own, with commits that do not
/// wait for the disk (see `WalFlush`).
fn writer_options(pool: &SqlitePool) -> SqliteConnectOptions {
    pool.connect_options().as_ref().clone().synchronous(SqliteSynchronous::Normal)
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL must start with sqlite: or postgres:// (got a URL with scheme `{0}`)")]
    UnknownScheme(String),
    #[error("could not open the database: {0}")]
    Open(#[from] sqlx::Error),
    #[error("could not apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not create the folder for the SQLite file: {0}")]
    Folder(#[from] std::io::Error),
}

impl Db {
    /// Starts a write transaction (see `WriteTransaction` for SQLite's `BEGIN IMMEDIATE`).
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_write().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin_write().await?),
        })
    }

    /// A turn at the write gate for one write statement run on its own, which commits by itself:
    /// one round trip to the connection instead of three (BEGIN IMMEDIATE, the statement,
    /// COMMIT). Held while the statement runs, it keeps this process's SQLite writers in their
    /// queue (see `WriteTransaction`); PostgreSQL needs no turn.
    pub async fn write_turn(&self) -> Option<OwnedMutexGuard<()>> {
        match self {
            Db::Sqlite(pool) => Some(write_gate(pool).lock_owned().await),
            Db::Postgres(_) => None,
        }
    }

    /// Where a write goes that may be lost in a power cut but not in a crash of the process: a
    /// registration form's draft, which the person fills in again if it is gone. On SQLite that is
    /// the file's writer connection (`synchronous = NORMAL`) without waiting for a flush of the
    /// log (see `WalFlush`): the next acknowledged commit flushes it along, so what is confirmed
    /// stays durable, in order. Its writes still take their turn at the write gate
    /// (`write_turn`). PostgreSQL: the same pool (the server syncs its log in groups).
    pub fn scratch(&self) -> Db {
        match self {
            Db::Sqlite(pool) => Db::Sqlite(writer(pool).0),
            Db::Postgres(_) => self.clone(),
        }
    }

    /// Returns once what this process committed on the writer connection so far without waiting
    /// (`scratch` writes) is on disk: the check-in writer's batches are acknowledged after it,
    /// and one flush covers the batches committed meanwhile. Immediate on PostgreSQL, whose
    /// commits are durable when they return.
    pub async fn flush_commits(&self) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(pool) => writer(pool).1.committed().await,
            Db::Postgres(_) => Ok(()),
        }
    }

    /// On SQLite, the write transactions committed so far and how many of them a finished flush
    /// of the log covers (equal whenever no commit is waiting for the disk); `None` on
    /// PostgreSQL.
    pub fn commits_flushed(&self) -> Option<(u64, u64)> {
        match self {
            Db::Sqlite(pool) => {
                let (_, flush) = writer(pool);
                Some((flush.commits.load(SeqCst), flush.flushed.load(SeqCst)))
            }
            Db::Postgres(_) => None,
        }
    }

    /// Opens the database the URL names and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Db, ConnectError> {
        let scheme = url.split(':').next().unwrap_or_default();
        let db = match scheme {
            "sqlite" => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    // WAL lets readers run beside the one writer. FULL sync: a commit that was
                    // acknowledged (a check-in, a payment) survives a power loss too, at the cost of
                    // an fsync per commit (NORMAL would only survive a crash of the process). The
                    // busy timeout queues writers instead of failing them.
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                if let Some(parent) = options.get_filename().parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent)?;
                    }
                }
                // No liveness ping before each use: a SQLite connection is a file handle in this
                // process that cannot drop, and the ping is one more round trip to the
                // connection's thread for every statement taken from the pool (about a tenth of
                // the CPU of a registration).
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .test_before_acquire(false)
                    .connect_with(options)
                    .await?;
                Db::Sqlite(pool)
            }
            "postgres" | "postgresql" => Db::Postgres(PostgresPool::connect(url).await?),
            other => return Err(ConnectError::UnknownScheme(other.to_string())),
        };
        db.migrate().await?;
        Ok(db)
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool.transactions()).await,
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// A trivial round trip, for `/health`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        db_run!(self, |pool| sqlx::query("select 1").execute(pool).await.map(|_| ()))
    }

    pub async fn close(&self) {
        if let Db::Sqlite(pool) = self {
            let writer = writers().remove(&database_file(pool));
            if let Some((writer, _)) = writer {
                writer.close().await;
            }
        }
        db_run!(self, |pool| pool.close().await)
    }
}

#[cfg(test)]
mod tests {
    use super::{postgres_batch, sqlite_batch, Db};

    #[tokio::test]
    async fn sqlite_is_built_with_plans_that_do_not_depend_on_bound_values() {
        // Set in .cargo/config.toml (LIBSQLITE3_FLAGS): without it the door's statements are
        // compiled again at every scan.
        let db = Db::connect("sqlite::memory:").await.unwrap();
        let Db::Sqlite(pool) = &db else { unreachable!() };
        let built_with: i64 =
            sqlx::query_scalar("select sqlite_compileoption_used('ENABLE_QPSG')").fetch_one(pool).await.unwrap();
        assert_eq!(built_with, 1, "the bundled SQLite lacks SQLITE_ENABLE_QPSG");
        db.close().await;
    }

    #[test]
    fn a_batch_numbers_each_statements_parameters_after_those_before() {
        let batch = sqlite_batch(&[
            ("delete from drafts where user_id = $1 and event_id = $2", 2),
            ("update seats set taken = taken + 1 where id = $1 and price <> '$'", 1),
            ("insert into outbox values ($1, $2, $2)", 2),
        ]);
        assert_eq!(
            batch,
            "delete from drafts where user_id = $1 and event_id = $2;\n\
             update seats set taken = taken + 1 where id = $3 and price <> '$';\n\
             insert into outbox values ($4, $5, $5);\n"
        );
    }

    #[test]
    fn a_postgres_batch_is_one_statement_answered_by_the_chosen_one() {
        let batch = postgres_batch(
            &[
                ("delete from drafts where user_id = $1 and event_id = $2", 2),
                ("update seats set taken = taken + 1 where id = $1 returning taken", 1),
                ("insert into outbox values ($1, $2, $2)", 2),
            ],
            1,
        );
        assert_eq!(
            batch,
            "with batched_0 as (delete from drafts where user_id = $1 and event_id = $2),\n\
             batched_2 as (insert into outbox values ($4, $5, $5))\n\
             update seats set taken = taken + 1 where id = $3 returning taken"
        );
    }
}

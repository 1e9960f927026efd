//! One store, two backends. `Db` holds either a SQLite or a PostgreSQL pool; `db_run!` expands
//! the same query code once per backend, so every query is written once with `$N` placeholders
//! and portable SQL. Dialect differences stay in the two migration sets.

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool (or anything else the arm yields).
/// The body is compiled once per backend, so it must be generic SQL code.
#[macro_export]
macro_rules! db_run {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::platform::db::Db::Sqlite($pool) => $body,
            $crate::platform::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later fails with
/// "database is locked" when another writer got in between, and no busy timeout can save it.
/// PostgreSQL's row locks need no such care. This is one of the few marked dialect differences.
pub trait WriteTransaction {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>> + Send;
}

impl WriteTransaction for SqlitePool {
    type Database = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl WriteTransaction for PgPool {
    type Database = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>> + Send {
        self.begin()
    }
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
    /// Opens the database the URL names and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Db, ConnectError> {
        let scheme = url.split(':').next().unwrap_or_default();
        let db = match scheme {
            "sqlite" => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    // WAL lets readers run beside the one writer; NORMAL sync is durable in WAL
                    // mode except on power loss; the busy timeout queues writers instead of
                    // failing them.
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                if let Some(parent) = options.get_filename().parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent)?;
                    }
                }
                let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
                Db::Sqlite(pool)
            }
            "postgres" | "postgresql" => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Db::Postgres(pool)
            }
            other => return Err(ConnectError::UnknownScheme(other.to_string())),
        };
        db.migrate().await?;
        Ok(db)
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await,
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
        db_run!(self, |pool| pool.close().await)
    }
}

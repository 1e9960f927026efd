//! The demo series, assembled: each capability seeds its own part, in the order their rows
//! depend on each other. Loaded into an empty database at start-up and by `server seed-demo`;
//! loading twice changes nothing.

use crate::db_run;
use crate::error::AppError;
use crate::platform::Db;

pub use crate::accounts::demo::DEMO_PASSWORD;

/// Where every demo account's address ends (the guests' and the crowd's too).
const DEMO_DOMAIN: &str = "eventxchange.test";

/// Tells the seeding processes of one PostgreSQL database apart from other advisory locks.
const SEED_LOCK: i64 = 0x0045_5858_4445_4d4f; // "EXXDEMO"

/// Loads the demo series unless the database already has clusters. Servers that start at once
/// on an empty PostgreSQL database take turns: the second waits until the first has loaded the
/// whole series (and then loads nothing), so it never serves a half-loaded series.
pub async fn seed_if_empty(db: &Db) -> Result<bool, AppError> {
    db_run!(db,
        // One SQLite file is opened by one server process in practice; nothing to take turns on.
        sqlite: |_pool| seed_unless_clusters(db).await,
        postgres: |pool| {
            // A session-level advisory lock on one connection, held while the pool seeds; it is
            // released with the connection if this process dies meanwhile.
            let mut lock = pool.acquire().await?;
            sqlx::query("select pg_advisory_lock($1)").bind(SEED_LOCK).execute(&mut *lock).await?;
            let seeded = seed_unless_clusters(db).await;
            sqlx::query("select pg_advisory_unlock($1)").bind(SEED_LOCK).execute(&mut *lock).await?;
            seeded
        },
    )
}

async fn seed_unless_clusters(db: &Db) -> Result<bool, AppError> {
    let clusters: i64 = db_run!(db, |pool| sqlx::query_scalar("select count(*) from clusters").fetch_one(pool).await)?;
    if clusters > 0 {
        return Ok(false);
    }
    seed(db).await?;
    Ok(true)
}

/// `server seed-demo`: refuses a database that has accounts of real people unless forced, since
/// the demo accounts (admin included) share a published password.
pub async fn seed_checked(db: &Db, force: bool) -> Result<(), String> {
    let pattern = format!("%{DEMO_DOMAIN}");
    let others: i64 = db_run!(db, |pool| sqlx::query_scalar("select count(*) from users where email not like $1")
        .bind(&pattern)
        .fetch_one(pool)
        .await)
    .map_err(|e| e.to_string())?;
    if others > 0 && !force {
        return Err(format!(
            "this database has {others} accounts that are not demo accounts; the demo series would add accounts \
             with a published password (an admin among them). Use --force to load it anyway"
        ));
    }
    seed(db).await.map_err(|e| e.to_string())
}

/// Loads whatever part of the demo series is missing.
pub async fn seed(db: &Db) -> Result<(), AppError> {
    crate::events::demo::seed(db).await?;
    crate::accounts::demo::seed(db).await?;
    crate::agenda::demo::seed(db).await?;
    crate::tickets::demo::seed(db).await?;
    crate::checkin::demo::seed(db).await?;
    crate::meetings::demo::seed(db).await?;
    crate::grants::demo::seed(db).await?;
    tracing::info!("demo series loaded");
    Ok(())
}

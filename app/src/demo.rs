//! The demo series, assembled: each capability seeds its own part, in the order their rows
//! depend on each other. Loaded into an empty database at start-up and by `server seed-demo`;
//! loading twice changes nothing.

use crate::db_run;
use crate::error::AppError;
use crate::platform::Db;

pub use crate::accounts::demo::DEMO_PASSWORD;

/// Loads the demo series unless the database already has clusters.
pub async fn seed_if_empty(db: &Db) -> Result<bool, AppError> {
    let clusters: i64 = db_run!(db, |pool| sqlx::query_scalar("select count(*) from clusters").fetch_one(pool).await)?;
    if clusters > 0 {
        return Ok(false);
    }
    seed(db).await?;
    Ok(true)
}

/// Loads whatever part of the demo series is missing.
pub async fn seed(db: &Db) -> Result<(), AppError> {
    crate::events::demo::seed(db).await?;
    crate::accounts::demo::seed(db).await?;
    crate::agenda::demo::seed(db).await?;
    crate::tickets::demo::seed(db).await?;
    crate::checkin::demo::seed(db).await?;
    tracing::info!("demo series loaded");
    Ok(())
}

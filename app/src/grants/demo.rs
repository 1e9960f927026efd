//! The demo's grant programme: the published defaults, a budget of €20,000, open for applications
//! from now until the end of 2027.

use super::rules::Programme;
use super::store;
use crate::error::AppError;
use crate::platform::{now, Db};

pub async fn seed(db: &Db) -> Result<(), AppError> {
    if store::current(db).await?.is_some() {
        return Ok(());
    }
    let closes = jiff::civil::date(2028, 1, 1).to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp().as_second());
    let closes = closes.map_err(|e| crate::platform::error::internal("demo programme", e))?;
    store::create(db, "ClusterXchange 2027", &Programme::default(), 2_000_000, (now() - 86_400, closes)).await?;
    Ok(())
}

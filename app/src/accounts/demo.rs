//! The demo series' accounts: one for every role, all with the published demo password.
//! Seeding twice changes nothing.

use super::{password, Role};
use crate::db_run;
use crate::error::AppError;
use crate::platform::{now, Db};

/// The password of every demo account (listed in the README).
pub const DEMO_PASSWORD: &str = "eventxchange-demo";

struct DemoAccount {
    email: &'static str,
    name: &'static str,
    role: Role,
    cluster: Option<&'static str>,
    event: Option<&'static str>,
}

const ACCOUNTS: [DemoAccount; 10] = [
    DemoAccount {
        email: "admin@eventxchange.test",
        name: "Paula Partnership",
        role: Role::Admin,
        cluster: None,
        event: None,
    },
    DemoAccount {
        email: "organiser.biorn@eventxchange.test",
        name: "Jonas Weber",
        role: Role::Organiser,
        cluster: Some("biorn"),
        event: None,
    },
    DemoAccount {
        email: "organiser.smarthub@eventxchange.test",
        name: "Lotte Peeters",
        role: Role::Organiser,
        cluster: Some("smarthub"),
        event: None,
    },
    DemoAccount {
        email: "organiser.biopeople@eventxchange.test",
        name: "Freja Nielsen",
        role: Role::Organiser,
        cluster: Some("biopeople"),
        event: None,
    },
    DemoAccount {
        email: "organiser.tartu@eventxchange.test",
        name: "Mart Tamm",
        role: Role::Organiser,
        cluster: Some("tartu"),
        event: None,
    },
    DemoAccount {
        email: "scanner.heidelberg@eventxchange.test",
        name: "Door Heidelberg",
        role: Role::Scanner,
        cluster: None,
        event: Some("heidelberg-2027"),
    },
    DemoAccount {
        email: "scanner.leuven@eventxchange.test",
        name: "Door Leuven",
        role: Role::Scanner,
        cluster: None,
        event: Some("leuven-2027"),
    },
    DemoAccount {
        email: "attendee@eventxchange.test",
        name: "Ana Müller",
        role: Role::Attendee,
        cluster: Some("biorn"),
        event: None,
    },
    DemoAccount {
        email: "attendee.tartu@eventxchange.test",
        name: "Kadri Kask",
        role: Role::Attendee,
        cluster: Some("tartu"),
        event: None,
    },
    // Already met a Tartu member at the Leuven event (verified): eligible for a grant.
    DemoAccount {
        email: "member.eligible@eventxchange.test",
        name: "Lotte Janssens",
        role: Role::Attendee,
        cluster: Some("smarthub"),
        event: None,
    },
];

/// Loads whichever demo accounts are missing (after the clusters and events they belong to).
pub async fn seed(db: &Db) -> Result<(), AppError> {
    // One hash for every demo account: they share the published demo password.
    let hash = password::hash(DEMO_PASSWORD.to_string()).await?;
    for a in &ACCOUNTS {
        db_run!(db, |pool| {
            sqlx::query(
            "insert into users (email, display_name, password_hash, role, cluster_id, event_id, created_at)
             values ($1, $2, $3, $4, (select id from clusters where code = $5), (select id from events where slug = $6), $7)
             on conflict (email) do nothing"
        )
        .bind(a.email)
        .bind(a.name)
        .bind(&hash)
        .bind(a.role.as_str())
        .bind(a.cluster)
        .bind(a.event)
        .bind(now())
        .execute(pool).await.map(|done| done.rows_affected())
        })?;
    }
    Ok(())
}

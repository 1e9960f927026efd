//! Demo check-in: for each demo event, the entrance, a session room, the B2B area and a
//! speakers' lounge (speaker and staff tickets only), and a few confirmed guests so the scanner
//! has badges to scan straight away.

use super::rules::ListKind;
use super::store::{self, ListDraft};
use crate::db_run;
use crate::error::AppError;
use crate::platform::{now, Db};
use crate::tickets::demo::{guest_ticket, DemoGuest};

/// (name, organisation, organisation type, ticket type)
const GUESTS: [(&str, &str, &str, &str); 5] = [
    ("Lena Hoffmann", "Neckar Proteomics GmbH", "sme", "Member ticket"),
    ("Pieter Claes", "KU Leuven Biosensors Lab", "research", "Member ticket"),
    ("Mette Sørensen", "Nordic Omics ApS", "sme", "Member ticket"),
    ("Andres Kuusk", "Tartu Diagnostics OÜ", "sme", "Member ticket"),
    ("Dr. Sara Lind", "Karolinska Institutet", "research", "Speaker ticket"),
];

pub async fn seed(db: &Db) -> Result<(), AppError> {
    let events: Vec<(i64, String, String)> = db_run!(db, |pool| sqlx::query_as(
        "select e.id, e.slug, c.code from events e join clusters c on c.id = e.cluster_id order by e.id"
    )
    .fetch_all(pool)
    .await)?;
    for (event_id, slug, cluster_code) in events {
        if !store::lists(db, event_id).await?.is_empty() {
            continue;
        }
        let types = crate::tickets::store::ticket_types(db, event_id).await?;
        let type_id = |name: &str| types.iter().find(|t| t.name == name).map(|t| t.id);
        let invited: Vec<i64> = ["Speaker ticket", "Staff ticket"].into_iter().filter_map(type_id).collect();
        let lists = [
            ("Main entrance", ListKind::Entrance, false, Vec::new()),
            ("Plenary hall", ListKind::Session, true, Vec::new()),
            ("B2B meeting area", ListKind::B2b, true, Vec::new()),
            ("Speakers' lounge", ListKind::Session, false, invited),
        ];
        for (name, kind, multi_entry, ticket_types) in lists {
            let draft = ListDraft { name: name.into(), kind, multi_entry, ticket_types };
            store::save_list(db, event_id, None, &draft).await?;
        }
        let city = slug.split('-').next().unwrap_or(&slug).to_string();
        for (n, (name, organisation, organisation_type, ticket_type)) in GUESTS.iter().enumerate() {
            let Some(ticket_type_id) = type_id(ticket_type) else { continue };
            let email = format!("guest{}.{city}@eventxchange.test", n + 1);
            let guest = DemoGuest {
                event_id,
                ticket_type_id,
                cluster_code: &cluster_code,
                email: &email,
                name,
                organisation,
                organisation_type,
                themes: "biomarkers,multiomics",
                offers: "Assay development",
                seeks: "Clinical partners",
            };
            guest_ticket(db, &guest).await?;
        }
    }
    Ok(())
}

/// A crowd for load tests and the check-in benchmark: a hidden ticket type of `count` seats
/// and a confirmed ticket for each of `count` made-up guests. Returns the ticket ids.
pub async fn crowd(db: &Db, event_id: i64, label: &str, count: i64) -> Result<Vec<i64>, AppError> {
    use crate::tickets::rules::{Eligibility, Visibility};
    let at = now();
    let draft = crate::tickets::store::TicketTypeDraft {
        name: format!("{label} ticket"),
        description: "Made-up guests for load tests.".into(),
        price_cents: 0,
        capacity: count,
        sales_start: at - 86_400,
        sales_end: at + 86_400,
        visibility: Visibility::Hidden,
        eligibility: Eligibility::Invited,
    };
    let ticket_type_id = crate::tickets::store::save_ticket_type(db, event_id, None, &draft).await?;
    let mut ids = Vec::with_capacity(count as usize);
    // Batches keep each transaction short on both backends.
    for start in (0..count).step_by(1000) {
        let end = (start + 1000).min(count);
        let batch: Vec<i64> = db_run!(db, |pool| {
            async {
            use crate::platform::db::WriteTransaction;
            let mut tx = pool.begin_write().await?;
            let mut batch = Vec::with_capacity((end - start) as usize);
            for n in start..end {
                let email = format!("{}.{n}@crowd.eventxchange.test", label.to_lowercase());
                let name = format!("{label} Guest {n}");
                let user_id: i64 = sqlx::query_scalar(
                    "insert into users (email, display_name, password_hash, role, created_at)
                     values ($1, $2, $3, 'attendee', $4) returning id",
                )
                .bind(&email)
                .bind(&name)
                .bind(crate::accounts::password::DECOY_HASH)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                let ticket_id: i64 = sqlx::query_scalar(
                    "insert into tickets (event_id, ticket_type_id, user_id, status, price_cents, currency, attendee_name,
                                          email, organisation, organisation_type, country, job_role, themes, offers,
                                          seeks, directory_consent, terms_accepted_at, created_at, confirmed_at,
                                          badge_issued_at)
                     values ($1, $2, $3, 'confirmed', 0, 'EUR', $4, $5, 'Crowd Labs', 'sme', 'DE', 'Researcher', '',
                             '', '', $6, $7, $7, $7, $7) returning id",
                )
                .bind(event_id)
                .bind(ticket_type_id)
                .bind(user_id)
                .bind(&name)
                .bind(&email)
                .bind(false)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                batch.push(ticket_id);
            }
            sqlx::query("update ticket_types set seats_taken = seats_taken + $1 where id = $2")
                .bind(end - start)
                .bind(ticket_type_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<Vec<i64>, sqlx::Error>(batch)
        }
        .await
        })?;
        ids.extend(batch);
    }
    Ok(ids)
}

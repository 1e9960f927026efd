//! Demo B2B sessions: each demo event gets a grid (two windows on its first afternoon, 20-minute
//! slots, 20 tables in the B2B area), 36 participants from the four clusters with varied
//! profiles, and meetings in every state, so every page has something to show.

use super::rules::GridSetup;
use super::store::{self, Desk};
use crate::db_run;
use crate::error::AppError;
use crate::platform::{now, Db};
use crate::tickets::demo::{guest_ticket, DemoGuest};

const CLUSTERS: [&str; 4] = ["biorn", "smarthub", "biopeople", "tartu"];
const FIRST_NAMES: [&str; 12] =
    ["Anna", "Bram", "Camille", "Dag", "Elin", "Felix", "Greta", "Henrik", "Ilse", "Jaan", "Katrin", "Lars"];
const LAST_NAMES: [&str; 9] = ["Berg", "Claes", "Dahl", "Engel", "Fischer", "Kask", "Lund", "Peeters", "Tamm"];
/// (organisation, kind, themes, offers, seeks)
const PROFILES: [(&str, &str, &str, &str, &str); 6] = [
    (
        "Proteomics Core",
        "research",
        "biomarkers,multiomics",
        "Proteomics assays and biobank samples",
        "Biomarker validation and clinical partners",
    ),
    (
        "Clinical Validation Lab",
        "sme",
        "biomarkers,companion-diagnostics",
        "Clinical biomarker validation and trial design",
        "Biobank samples and assay developers",
    ),
    (
        "Sensor Foundry",
        "large-company",
        "micro-nano-electronics,digitalisation",
        "Biosensor chips and microfluidics prototyping",
        "Diagnostics partners and clinical pilots",
    ),
    (
        "Data Health",
        "sme",
        "digitalisation,multiomics",
        "Health data platforms and machine learning",
        "Multiomics datasets and biosensor data",
    ),
    (
        "Diagnostics Hub",
        "cluster",
        "companion-diagnostics,biomarkers",
        "Diagnostics pilots and regulatory guidance",
        "Biosensor chips and clinical validation",
    ),
    (
        "Regional Health Agency",
        "public-body",
        "digitalisation",
        "Clinical pilots and health data access",
        "Machine learning and diagnostics innovation",
    ),
];

pub async fn seed(db: &Db) -> Result<(), AppError> {
    let events: Vec<String> =
        db_run!(db, |pool| sqlx::query_scalar("select slug from events order by id").fetch_all(pool).await)?;
    for slug in events {
        let event = crate::events::store::load(db, &slug).await?;
        if store::session(db, event.id).await?.is_some() {
            continue;
        }
        let tz = &event.window.zone;
        let day = crate::events::when::form_minute(event.window.starts_at, tz);
        let day = day.split(' ').next().unwrap_or_default().to_string();
        let form = super::GridForm {
            slot_minutes: "20".into(),
            windows: format!("{day} 14:00-15:40\n{day} 16:00-17:20"),
            tables: "1-20 B2B area".into(),
            max_meetings: "8".into(),
            max_pending: "20".into(),
            request_deadline: format!("{day} 12:00"),
        };
        let setup = GridSetup::parse(&form, tz, (event.window.starts_at, event.window.ends_at))?;
        store::save_grid(db, &event, &setup).await?;
        let city = slug.split('-').next().unwrap_or(&slug).to_string();
        let types = crate::tickets::store::ticket_types(db, event.id).await?;
        let Some(member) = types.iter().find(|t| t.name == "Member ticket").map(|t| t.id) else { continue };
        for n in 0..36 {
            let name = format!("{} {}", FIRST_NAMES[n % 12], LAST_NAMES[(n / 4) % 9]);
            let cluster = CLUSTERS[n % 4];
            let (organisation, kind, themes, offers, seeks) = PROFILES[n % 6];
            let email = format!("b2b{}.{city}@eventxchange.test", n + 1);
            let guest = DemoGuest {
                event_id: event.id,
                ticket_type_id: member,
                cluster_code: cluster,
                email: &email,
                name: &name,
                organisation: &format!("{organisation} {}", n + 1),
                organisation_type: kind,
                themes,
                offers,
                seeks,
            };
            guest_ticket(db, &guest).await?;
        }
        meetings(db, &event).await?;
    }
    Ok(())
}

/// Meetings among the demo participants: accepted, requested, declined, cancelled, and (set
/// directly, as the demo cannot be at the table) held and reported as missed.
async fn meetings(db: &Db, event: &crate::events::Event) -> Result<(), AppError> {
    let session = store::session_of(db, event).await?;
    let people = store::directory(db, event.id).await?;
    // In the order they were made: b2b1 meets b2b2, b2b3 meets b2b4, … (b2b25 on are free).
    let mut demo: Vec<_> = people.into_iter().filter(|p| p.email.starts_with("b2b")).collect();
    demo.sort_by_key(|p| p.ticket_id);
    let slots = store::slots(db, event.id).await?;
    if demo.len() < 24 || slots.len() < 8 {
        return Ok(());
    }
    // Not announced, so nobody is the sender.
    let sender = crate::calendar::Person::default();
    let desk = Desk { db, event, session: &session, public_url: "", sender, now: now(), notify: false };
    let mut ids = Vec::new();
    for pair in 0..12 {
        let (a, b) = (&demo[pair * 2], &demo[pair * 2 + 1]);
        ids.push((
            desk.request(a, b.ticket_id, slots[pair % slots.len()].id, "Shall we meet?").await?,
            b.clone(),
            a.clone(),
        ));
    }
    for (n, (id, recipient, requester)) in ids.iter().enumerate() {
        match n % 6 {
            0 | 1 | 4 | 5 => desk.accept(*id, recipient).await?,
            2 => desk.decline(*id, recipient, "Fully booked that afternoon").await?,
            _ if n == 3 => desk.cancel(*id, requester, "Plans changed").await?,
            _ => {}
        }
    }
    // Two of the agreed meetings took place (one disputed), one was missed.
    let held = [ids[0].0, ids[4].0];
    for id in held {
        db_run!(db, |pool| sqlx::query(
            "update meetings set held_confirmed_at = $1, held_confirmed_by = requester_ticket_id where id = $2"
        )
        .bind(now())
        .bind(id)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
    }
    for id in [ids[4].0, ids[5].0] {
        db_run!(db, |pool| sqlx::query(
            "update meetings set no_show_reported_at = $1, no_show_reported_by = recipient_ticket_id where id = $2"
        )
        .bind(now())
        .bind(id)
        .execute(pool)
        .await
        .map(|d| d.rows_affected()))?;
    }
    Ok(())
}

//! The demo's grant programme (the published defaults, a budget of €20,000, open from now until
//! the end of 2027) and a member who can apply at once: Lotte Janssens of Smart Hub (Belgium)
//! met a Tartu member at the Leuven event, confirmed at the table, both checked in.

use super::rules::Programme;
use super::store;
use crate::db_run;
use crate::error::AppError;
use crate::meetings::store::{self as meetings, Desk};
use crate::platform::{now, Db};
use crate::tickets::demo::{guest_ticket, DemoGuest};

const ELIGIBLE_MEMBER: &str = "member.eligible@eventxchange.test";
const EVENT: &str = "leuven-2027";
/// A free demo participant of the Leuven event from the Tartu cluster.
const PARTNER: &str = "b2b28.leuven@eventxchange.test";

pub async fn seed(db: &Db) -> Result<(), AppError> {
    if store::current(db).await?.is_none() {
        let closes = jiff::civil::date(2028, 1, 1)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_second())
            .map_err(|e| crate::platform::error::internal("demo programme", e))?;
        store::create(db, "ClusterXchange 2027", &Programme::default(), 2_000_000, (now() - 86_400, closes)).await?;
    }
    eligible_member(db).await
}

async fn eligible_member(db: &Db) -> Result<(), AppError> {
    let event = crate::events::store::load(db, EVENT).await?;
    let user: Option<i64> = db_run!(db, |pool| sqlx::query_scalar("select id from users where email = $1")
        .bind(ELIGIBLE_MEMBER)
        .fetch_optional(pool)
        .await)?;
    let Some(user) = user else { return Ok(()) };
    if meetings::me(db, event.id, user).await?.is_some() {
        return Ok(());
    }
    let types = crate::tickets::store::ticket_types(db, event.id).await?;
    let Some(member_ticket) = types.iter().find(|t| t.name == "Member ticket").map(|t| t.id) else { return Ok(()) };
    let guest = DemoGuest {
        event_id: event.id,
        ticket_type_id: member_ticket,
        cluster_code: "smarthub",
        email: ELIGIBLE_MEMBER,
        name: "Lotte Janssens",
        organisation: "Leuven Biosensors BV",
        organisation_type: "sme",
        themes: "biomarkers,micro-nano-electronics",
        offers: "Biosensor prototyping",
        seeks: "Clinical validation partners",
    };
    guest_ticket(db, &guest).await?;
    let (Some(me), Some(partner)) = (
        meetings::me(db, event.id, user).await?,
        meetings::directory(db, event.id).await?.into_iter().find(|p| p.email == PARTNER),
    ) else {
        return Ok(());
    };
    let session = meetings::session_of(db, &event).await?;
    let Some(slot) = meetings::slots(db, event.id).await?.last().map(|s| s.id) else { return Ok(()) };
    let sender = crate::calendar::Person::default();
    let desk = Desk { db, event: &event, session: &session, public_url: "", sender, now: now(), notify: false };
    let meeting = desk.request(&me, partner.ticket_id, slot, "Biosensors for your validation studies?").await?;
    desk.accept(meeting, &partner).await?;
    // The demo cannot be at the table or the door: the confirmation and both entries are set.
    let at = now();
    db_run!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("update meetings set held_confirmed_at = $1, held_confirmed_by = $2 where id = $3")
            .bind(at)
            .bind(me.ticket_id)
            .bind(meeting)
            .execute(&mut *tx)
            .await?;
        for ticket in [me.ticket_id, partner.ticket_id] {
            sqlx::query(
                "insert into checkins (list_id, ticket_id, direction, single_entry, device, idempotency_key, scanned_at,
                                       recorded_at, offline)
                 select id, $1, 'entry', true, 'demo door', $2, $3, $3, false from checkin_lists
                  where event_id = $4 and name = 'Main entrance'",
            )
            .bind(ticket)
            .bind(format!("demo-grant-{ticket}"))
            .bind(at)
            .bind(event.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    })?;
    Ok(())
}

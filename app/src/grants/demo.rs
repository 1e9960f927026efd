//! The demo's grant programme (the published defaults, a budget of €20,000, open from now until
//! the end of 2027), a member who can apply at once (Lotte Janssens of Smart Hub, Belgium, met a
//! Tartu member at the Leuven event, confirmed at the table, both checked in), and one
//! application of the Heidelberg event's participants in each state of the flow, taken through
//! the same steps as real ones (without mail).

use super::flow::{self, Step};
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
    eligible_member(db).await?;
    applications(db).await
}

/// (participant of the Heidelberg event, host organisation — another participant's —, host
/// city, first and last day, the steps after submission). Visits still to come are in 2027;
/// those done were in October 2026.
type DemoApplication = (u32, &'static str, &'static str, (&'static str, &'static str), &'static [Step]);

const APPLICATIONS: [DemoApplication; 9] = [
    (5, "Clinical Validation Lab 2", "Leuven", ("2027-03-08", "2027-03-12"), &[]),
    (6, "Sensor Foundry 3", "Copenhagen", ("2027-03-15", "2027-03-19"), &[Step::ConfirmHost]),
    (7, "Data Health 4", "Tartu", ("2027-04-05", "2027-04-09"), &[Step::ConfirmHost, Step::Approve]),
    (8, "Proteomics Core 1", "Heidelberg", ("2027-04-12", "2027-04-14"), &[Step::ConfirmHost, Step::Reject]),
    (
        13,
        "Sensor Foundry 3",
        "Copenhagen",
        ("2026-10-05", "2026-10-09"),
        &[Step::ConfirmHost, Step::Approve, Step::VisitDone],
    ),
    (
        14,
        "Data Health 4",
        "Tartu",
        ("2026-10-12", "2026-10-16"),
        &[Step::ConfirmHost, Step::Approve, Step::VisitDone, Step::Report],
    ),
    (
        15,
        "Proteomics Core 1",
        "Heidelberg",
        ("2026-10-19", "2026-10-21"),
        &[Step::ConfirmHost, Step::Approve, Step::VisitDone, Step::Report, Step::Pay],
    ),
    (
        16,
        "Clinical Validation Lab 2",
        "Leuven",
        ("2026-10-05", "2026-10-23"),
        &[Step::ConfirmHost, Step::Approve, Step::VisitDone, Step::Report, Step::Pay, Step::Close],
    ),
    (17, "Data Health 4", "Tartu", ("2027-05-03", "2027-05-07"), &[Step::Withdraw]),
];

/// The smallest document the evidence check accepts as a PDF: a header, one object and the
/// end-of-file marker.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn applications(db: &Db) -> Result<(), AppError> {
    let Some(programme) = store::current(db).await? else { return Ok(()) };
    if !store::applications(db, programme.id, None).await?.is_empty() {
        return Ok(());
    }
    for (n, host, host_city, (first, last), steps) in APPLICATIONS {
        let email = format!("b2b{n}.heidelberg@eventxchange.test");
        let person: Option<(i64, String, i64, String, String)> = db_run!(db, |pool| sqlx::query_as(
            "select u.id, t.organisation, c.id, c.country, c.city from users u join tickets t on t.user_id = u.id
               join clusters c on c.id = u.cluster_id where u.email = $1 and t.status = 'confirmed'"
        )
        .bind(&email)
        .fetch_optional(pool)
        .await)?;
        let Some((user, organisation, cluster, country, home)) = person else { continue };
        let (Ok(first_day), Ok(last_day)) = (first.parse::<jiff::civil::Date>(), last.parse::<jiff::civil::Date>())
        else {
            continue;
        };
        let plan = super::Plan {
            organisation,
            cluster_id: cluster,
            country,
            visitor_city: &home,
            host_organisation: host.to_string(),
            host_city,
            days: (first_day, last_day),
            goals: "Start a joint validation study with the host's lab.".into(),
            agenda: "Day 1: lab tour and planning. Following days: joint measurements and a seminar.".into(),
            verdict: "[]".into(),
        };
        let Ok(submission) = plan.priced(&programme.rules) else { continue };
        let id = store::submit(db, programme.id, user, &submission, None, now()).await?;
        let reviewer: i64 = db_run!(db, |pool| sqlx::query_scalar(
            "select id from users where role = 'organiser' and cluster_id = $1 order by id limit 1"
        )
        .bind(cluster)
        .fetch_one(pool)
        .await)?;
        let evidence = [super::evidence::EvidenceFile {
            name: "visit-report.pdf".into(),
            content_type: "application/pdf",
            body: DEMO_PDF.to_vec(),
        }];
        for step in steps.iter().copied() {
            let actor = if matches!(step, Step::Report | Step::Withdraw) { user } else { reviewer };
            let pack = match step {
                Step::Approve => {
                    let row = store::application(db, id).await?.ok_or_else(|| AppError::NotFound("demo".into()))?;
                    let mut pack = super::evidence::take(db, &programme.rules, &row, now()).await?;
                    pack.at_approval = true;
                    Some(serde_json::to_string(&pack).unwrap_or_default())
                }
                _ => None,
            };
            let details = flow::Details {
                reason: match step {
                    Step::Reject => "The goals do not describe a joint activity with the host.",
                    Step::Withdraw => "The visit moved to next year.",
                    _ => "",
                },
                evidence: pack.as_deref(),
                report: (step == Step::Report)
                    .then_some(("We agreed a joint study and exchanged protocols.", evidence.as_slice())),
                quiet: true,
            };
            flow::advance(db, "", id, step, actor, details, now()).await?;
        }
    }
    Ok(())
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

//! Queries of ClusterXchange grants (server only): the programme's configuration and the
//! meetings that eligibility looks at.

use sqlx::FromRow;

use super::rules::{CountedMeeting, Programme};
use crate::db_run;
use crate::error::AppError;
use crate::platform::Db;

#[derive(Clone, Debug, FromRow)]
struct ProgrammeRow {
    id: i64,
    name: String,
    eligible_countries: String,
    min_meetings: i64,
    require_verified: bool,
    min_days: i64,
    max_days: i64,
    full_rate_days: i64,
    full_rate_km: i64,
    max_per_visitor: i64,
    currency: String,
    budget: i64,
    committed: i64,
    opens_at: i64,
    closes_at: i64,
}

/// The current programme: its id, name, rules, currency, budget, what is committed, and the
/// application window.
#[derive(Clone, Debug)]
pub struct CurrentProgramme {
    pub id: i64,
    pub name: String,
    pub rules: Programme,
    pub currency: String,
    pub budget: i64,
    pub committed: i64,
    pub opens_at: i64,
    pub closes_at: i64,
}

/// The newest programme, if the partnership has set one up.
pub async fn current(db: &Db) -> Result<Option<CurrentProgramme>, AppError> {
    let row: Option<ProgrammeRow> = db_run!(db, |pool| sqlx::query_as(
        "select id, name, eligible_countries, min_meetings, require_verified, min_days, max_days, full_rate_days,
                full_rate_km, max_per_visitor, currency, budget, committed, opens_at, closes_at
           from grant_programmes order by id desc limit 1"
    )
    .fetch_optional(pool)
    .await)?;
    let Some(row) = row else { return Ok(None) };
    let lump_sums: Vec<(String, i64)> = db_run!(db, |pool| sqlx::query_as(
        "select country, cents from grant_lump_sums where programme_id = $1 order by country"
    )
    .bind(row.id)
    .fetch_all(pool)
    .await)?;
    let count = |n: i64| u32::try_from(n).unwrap_or(0);
    Ok(Some(CurrentProgramme {
        id: row.id,
        name: row.name,
        rules: Programme {
            eligible_countries: row.eligible_countries.split(',').map(|c| c.trim().to_string()).collect(),
            min_meetings: count(row.min_meetings),
            require_verified: row.require_verified,
            min_days: count(row.min_days),
            max_days: count(row.max_days),
            lump_sums,
            full_rate_days: count(row.full_rate_days),
            full_rate_km: row.full_rate_km as f64,
            max_per_visitor: row.max_per_visitor,
        },
        currency: row.currency,
        budget: row.budget,
        committed: row.committed,
        opens_at: row.opens_at,
        closes_at: row.closes_at,
    }))
}

/// Sets up a programme with these rules (the demo's; the admin page will edit them).
pub async fn create(db: &Db, name: &str, rules: &Programme, budget: i64, window: (i64, i64)) -> Result<i64, AppError> {
    db_run!(db, |pool| {
        use crate::platform::db::WriteTransaction;
        let mut tx = pool.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "insert into grant_programmes (name, eligible_countries, min_meetings, require_verified, min_days, max_days,
                                           full_rate_days, full_rate_km, max_per_visitor, currency, budget, committed,
                                           paid, opens_at, closes_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'EUR', $10, 0, 0, $11, $12) returning id",
        )
        .bind(name)
        .bind(rules.eligible_countries.join(","))
        .bind(i64::from(rules.min_meetings))
        .bind(rules.require_verified)
        .bind(i64::from(rules.min_days))
        .bind(i64::from(rules.max_days))
        .bind(i64::from(rules.full_rate_days))
        .bind(rules.full_rate_km.round() as i64)
        .bind(rules.max_per_visitor)
        .bind(budget)
        .bind(window.0)
        .bind(window.1)
        .fetch_one(&mut *tx)
        .await?;
        for (country, cents) in &rules.lump_sums {
            sqlx::query("insert into grant_lump_sums (programme_id, country, cents) values ($1, $2, $3)")
                .bind(id)
                .bind(country)
                .bind(cents)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    })
    .map_err(AppError::from)
}

#[derive(FromRow)]
struct MeetingFacts {
    id: i64,
    partner_country: Option<String>,
    partner_organisation: String,
    partner_name: String,
    event_title: String,
    starts_at: i64,
    held_confirmed_at: Option<i64>,
    no_show_reported_at: Option<i64>,
    dispute_decision: Option<String>,
    my_entries: i64,
    partner_entries: i64,
}

/// An agreed meeting of the person, as eligibility counts it, with what the page shows of it.
#[derive(Clone, Debug)]
pub struct MemberMeeting {
    pub counted: CountedMeeting,
    pub partner_name: String,
    pub event_title: String,
    pub starts_at: i64,
}

/// The person's agreed meetings across all events of the series, with the country of the
/// partner's cluster and whether each was verified as held.
pub async fn member_meetings(db: &Db, user_id: i64) -> Result<Vec<MemberMeeting>, AppError> {
    let rows: Vec<MeetingFacts> = db_run!(db, |pool| sqlx::query_as(
        "select m.id, pc.country as partner_country, p.organisation as partner_organisation,
                p.attendee_name as partner_name, e.title as event_title, s.starts_at,
                m.held_confirmed_at, m.no_show_reported_at, m.dispute_decision,
                (select count(*) from checkins c
                  where c.ticket_id = mine.id and c.direction = 'entry' and c.undone_at is null) as my_entries,
                (select count(*) from checkins c
                  where c.ticket_id = p.id and c.direction = 'entry' and c.undone_at is null) as partner_entries
           from meetings m
           join tickets mine on mine.id in (m.requester_ticket_id, m.recipient_ticket_id) and mine.user_id = $1
           join tickets p on p.id = case when m.requester_ticket_id = mine.id
                                         then m.recipient_ticket_id else m.requester_ticket_id end
           left join clusters pc on pc.id = p.cluster_id
           join events e on e.id = m.event_id join b2b_slots s on s.id = m.slot_id
          where m.status = 'accepted'
          order by s.starts_at, m.id"
    )
    .bind(user_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| MemberMeeting {
            counted: CountedMeeting {
                id: r.id,
                partner_country: r.partner_country,
                partner_organisation: r.partner_organisation,
                agreed: true,
                verified_held: crate::meetings::rules::verified_held(
                    r.held_confirmed_at.is_some(),
                    r.no_show_reported_at.is_some(),
                    r.dispute_decision.as_deref(),
                    r.my_entries > 0 && r.partner_entries > 0,
                ),
            },
            partner_name: r.partner_name,
            event_title: r.event_title,
            starts_at: r.starts_at,
        })
        .collect())
}

/// The country of the person's cluster, if they belong to one.
pub async fn member_country(db: &Db, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_scalar(
        "select c.country from users u join clusters c on c.id = u.cluster_id where u.id = $1"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?)
}

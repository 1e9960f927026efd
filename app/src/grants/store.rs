//! Queries of ClusterXchange grants (server only): the programme's configuration and the
//! meetings that eligibility looks at.

use sqlx::FromRow;

use super::rules::{CountedMeeting, Programme};
use crate::error::AppError;
use crate::platform::db::Tx;
use crate::platform::Db;
use crate::{db_run, tx_run};

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
    paid: i64,
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
    pub paid: i64,
    pub opens_at: i64,
    pub closes_at: i64,
}

/// The newest programme, if the partnership has set one up.
pub async fn current(db: &Db) -> Result<Option<CurrentProgramme>, AppError> {
    let row: Option<ProgrammeRow> = db_run!(db, |pool| sqlx::query_as(
        "select id, name, eligible_countries, min_meetings, require_verified, min_days, max_days, full_rate_days,
                full_rate_km, max_per_visitor, currency, budget, committed, paid, opens_at, closes_at
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
        paid: row.paid,
        opens_at: row.opens_at,
        closes_at: row.closes_at,
    }))
}

/// Sets up a programme with these rules (the demo's; the partnership edits them at
/// `/admin/grants`): a row with nothing committed, then the rules as `update` writes them.
pub async fn create(db: &Db, name: &str, rules: &Programme, budget: i64, window: (i64, i64)) -> Result<i64, AppError> {
    let mut tx = db.begin_write().await?;
    let id: i64 = tx_run!(&mut tx, |conn| {
        sqlx::query_scalar(
        "insert into grant_programmes (name, eligible_countries, min_meetings, require_verified, min_days, max_days,
                                       full_rate_days, full_rate_km, max_per_visitor, currency, budget, committed,
                                       paid, opens_at, closes_at)
         values ($1, '', 0, true, 1, 1, 0, 0, 0, 'EUR', 0, 0, 0, 0, 0) returning id"
    )
    .bind(name)
    .fetch_one(&mut *conn)
    .await
    })?;
    write_rules(&mut tx, id, name, rules, budget, window).await?;
    tx.commit().await?;
    Ok(id)
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
    let rows: Vec<MeetingFacts> = db_run!(db, |pool| {
        sqlx::query_as(
        // Each side of a meeting through its own index (a join on "either ticket" made
        // SQLite read every meeting of the series).
        "with mine as (select id from tickets where user_id = $1),
              sides as (select m.id, m.requester_ticket_id as my_ticket, m.recipient_ticket_id as partner_ticket
                          from meetings m where m.requester_ticket_id in (select id from mine) and m.status = 'accepted'
                        union all
                        select m.id, m.recipient_ticket_id, m.requester_ticket_id
                          from meetings m where m.recipient_ticket_id in (select id from mine) and m.status = 'accepted')
         select m.id, pc.country as partner_country, p.organisation as partner_organisation,
                p.attendee_name as partner_name, e.title as event_title, s.starts_at,
                m.held_confirmed_at, m.no_show_reported_at, m.dispute_decision,
                (select count(*) from checkins c
                  where c.ticket_id = sides.my_ticket and c.direction = 'entry' and c.undone_at is null) as my_entries,
                (select count(*) from checkins c
                  where c.ticket_id = p.id and c.direction = 'entry' and c.undone_at is null) as partner_entries
           from sides join meetings m on m.id = sides.id
           join tickets p on p.id = sides.partner_ticket
           left join clusters pc on pc.id = p.cluster_id
           join events e on e.id = m.event_id join b2b_slots s on s.id = m.slot_id
          order by s.starts_at, m.id"
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    })?;
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

/// The person's cluster and its country, if they belong to one.
pub async fn member_cluster(db: &Db, user_id: i64) -> Result<Option<(i64, String)>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select c.id, c.country from users u join clusters c on c.id = u.cluster_id where u.id = $1"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?)
}

/// The states of an application whose amount is reserved or paid (the funded-once index's).
pub const FUNDED_STATES: [&str; 5] = ["approved", "visit done", "reported", "paid", "closed"];

/// Funded once per programme.
pub(super) const FUNDED_ONCE: crate::platform::db::Constraint = crate::platform::db::Constraint {
    postgres: "grant_applications_funded_once",
    sqlite: "grant_applications.programme_id, grant_applications.organisation_key",
};

/// An application as submitted, its amount already computed by the rules.
#[derive(Clone, Debug)]
pub struct Submission {
    pub organisation: String,
    pub cluster_id: i64,
    pub country: String,
    pub visitor_city: String,
    pub host_organisation: String,
    pub host_city: String,
    pub host_country: String,
    pub distance_km: i64,
    pub first_day: String,
    pub last_day: String,
    pub working_days: i64,
    pub goals: String,
    pub agenda: String,
    pub amount: i64,
    pub amount_lines: String,
    pub verdict: String,
}

/// Who the member is as an applicant: the organisation on their newest confirmed ticket.
pub async fn applicant_organisation(db: &Db, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_scalar(
        "select organisation from tickets where user_id = $1 and status = 'confirmed' and organisation <> ''
          order by confirmed_at desc, id desc limit 1"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?)
}

/// Records a submitted application, with its first audit line. Refused while the same
/// organisation has an application under way or funded in this programme.
pub async fn submit(
    db: &Db,
    programme_id: i64,
    user_id: i64,
    s: &Submission,
    receipt: Option<&crate::platform::mail::OutgoingMail>,
    now: i64,
) -> Result<i64, AppError> {
    let key = s.organisation.trim().to_lowercase();
    let under_way: i64 = db_run!(db, |pool| sqlx::query_scalar(
        "select count(*) from grant_applications
          where programme_id = $1 and organisation_key = $2 and status not in ('rejected', 'withdrawn')"
    )
    .bind(programme_id)
    .bind(&key)
    .fetch_one(pool)
    .await)?;
    if under_way > 0 {
        return Err(AppError::invalid(
            "host_organisation",
            format!("{} has an application in this programme already; an organisation is funded once.", s.organisation),
        ));
    }
    let mut tx = db.begin_write().await?;
    let id: i64 = tx_run!(&mut tx, |conn| {
        sqlx::query_scalar(
        "insert into grant_applications (programme_id, applicant_user_id, organisation, organisation_key, cluster_id,
                                         country, visitor_city, host_organisation, host_city, host_country,
                                         distance_km, first_day, last_day, working_days, goals, agenda, amount,
                                         amount_lines, verdict, status, reason, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                 'submitted', '', $20, $20) returning id"
    )
    .bind(programme_id)
    .bind(user_id)
    .bind(s.organisation.trim())
    .bind(&key)
    .bind(s.cluster_id)
    .bind(&s.country)
    .bind(&s.visitor_city)
    .bind(&s.host_organisation)
    .bind(&s.host_city)
    .bind(&s.host_country)
    .bind(s.distance_km)
    .bind(&s.first_day)
    .bind(&s.last_day)
    .bind(s.working_days)
    .bind(&s.goals)
    .bind(&s.agenda)
    .bind(s.amount)
    .bind(&s.amount_lines)
    .bind(&s.verdict)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    })?;
    audit(&mut tx, id, now, user_id, ("draft", "submitted"), (0, s.amount), "").await?;
    if let Some(receipt) = receipt {
        // The receipt links to the application, whose number is known only now.
        let receipt = crate::platform::mail::OutgoingMail {
            body_text: receipt.body_text.replace("{application}", &id.to_string()),
            ..receipt.clone()
        };
        crate::platform::mail::enqueue_in(&mut tx, &receipt).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Appends one line to the audit log, inside the step's transaction. The code only ever
/// inserts into it.
pub(super) async fn audit(
    tx: &mut Tx,
    application: i64,
    at: i64,
    actor: i64,
    (from, to): (&str, &str),
    (before, after): (i64, i64),
    reason: &str,
) -> Result<(), AppError> {
    tx_run!(tx, |conn| sqlx::query(
        "insert into grant_audit (application_id, at, actor_user_id, from_status, to_status, amount_before,
                                  amount_after, reason) values ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(application)
    .bind(at)
    .bind(actor)
    .bind(from)
    .bind(to)
    .bind(before)
    .bind(after)
    .bind(reason)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// An application as reviewers and applicants see it.
#[derive(Clone, Debug, FromRow)]
pub struct ApplicationRow {
    pub id: i64,
    pub applicant_user_id: i64,
    pub organisation: String,
    pub cluster_id: i64,
    pub country: String,
    pub visitor_city: String,
    pub host_organisation: String,
    pub host_city: String,
    pub host_country: String,
    pub distance_km: i64,
    pub first_day: String,
    pub last_day: String,
    pub working_days: i64,
    pub goals: String,
    pub amount: i64,
    pub amount_lines: String,
    pub status: String,
    pub reason: String,
    pub agenda: String,
    pub report: String,
    pub applicant_name: String,
    pub created_at: i64,
}

impl ApplicationRow {
    /// The host organisation as organisations are matched: trimmed, lower-cased.
    pub fn host_key(&self) -> String {
        self.host_organisation.trim().to_lowercase()
    }
}

const APPLICATION_SELECT: &str = "select g.id, g.applicant_user_id, g.organisation, g.cluster_id, g.country,
        g.visitor_city, g.host_organisation, g.host_city, g.host_country, g.distance_km, g.first_day, g.last_day,
        g.working_days, g.goals, g.amount, g.amount_lines, g.status, g.reason, g.agenda, g.report,
        u.display_name as applicant_name, g.created_at
   from grant_applications g join users u on u.id = g.applicant_user_id";

/// Applications of the programme, those of one cluster's members when `cluster` is given.
pub async fn applications(db: &Db, programme_id: i64, cluster: Option<i64>) -> Result<Vec<ApplicationRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{APPLICATION_SELECT} where g.programme_id = $1 and ($2 is null or g.cluster_id = $2) order by g.id"
    )))
    .bind(programme_id)
    .bind(cluster)
    .fetch_all(pool)
    .await)?)
}

/// The member's own applications.
pub async fn applications_of(db: &Db, user_id: i64) -> Result<Vec<ApplicationRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{APPLICATION_SELECT} where g.applicant_user_id = $1 order by g.id"
    )))
    .bind(user_id)
    .fetch_all(pool)
    .await)?)
}

pub async fn application(db: &Db, id: i64) -> Result<Option<ApplicationRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!("{APPLICATION_SELECT} where g.id = $1")))
        .bind(id)
        .fetch_optional(pool)
        .await)?)
}

/// "1,100.00" for 110000 cents.
pub fn euros(cents: i64) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{grouped}.{:02}", cents % 100)
}

/// One line of an application's audit log, for its page.
#[derive(Clone, Debug, FromRow)]
pub struct AuditRow {
    pub application_id: i64,
    pub at: i64,
    pub actor: String,
    pub from_status: String,
    pub to_status: String,
    pub amount_before: i64,
    pub amount_after: i64,
    pub reason: String,
    pub organisation: String,
}

/// Which audit lines to read: all of the programme, narrowed by the given filters.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// The visitors' cluster (an organiser sees their own cluster's only).
    pub cluster: Option<i64>,
    pub applicant: Option<i64>,
    /// Lines that moved an application into this state.
    pub to_status: Option<String>,
    /// Organisation or actor name containing this text (any case).
    pub text: Option<String>,
}

/// The audit lines of the programme's applications that pass the filter, oldest first.
pub async fn audit_lines(db: &Db, programme_id: i64, filter: &AuditFilter) -> Result<Vec<AuditRow>, AppError> {
    let text = filter.text.as_deref().map(|t| format!("%{}%", t.trim().to_lowercase()));
    Ok(db_run!(db, |pool| {
        sqlx::query_as(
        "select a.application_id, a.at, u.display_name as actor, a.from_status, a.to_status, a.amount_before,
                a.amount_after, a.reason, g.organisation
           from grant_audit a join grant_applications g on g.id = a.application_id join users u on u.id = a.actor_user_id
          where g.programme_id = $1 and ($2 is null or g.cluster_id = $2) and ($3 is null or g.applicant_user_id = $3)
            and ($4 is null or a.to_status = $4)
            and ($5 is null or lower(g.organisation) like $5 or lower(u.display_name) like $5)
          order by a.id"
    )
    .bind(programme_id)
    .bind(filter.cluster)
    .bind(filter.applicant)
    .bind(filter.to_status.as_deref())
    .bind(text.as_deref())
    .fetch_all(pool)
    .await
    })?)
}

/// The organisations a person registered with (their confirmed tickets'), as matched: trimmed,
/// lower-cased. A member of the host organisation confirms that it receives the visitor.
pub async fn organisations_of(db: &Db, user_id: i64) -> Result<Vec<String>, AppError> {
    let names: Vec<String> = db_run!(db, |pool| {
        sqlx::query_scalar(
        "select distinct organisation from tickets where user_id = $1 and status = 'confirmed' and organisation <> ''"
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    })?;
    Ok(names.into_iter().map(|n| n.trim().to_lowercase()).collect())
}

/// Applications of the programme waiting for the person's organisation to confirm it hosts.
pub async fn to_host(db: &Db, programme_id: i64, user_id: i64) -> Result<Vec<ApplicationRow>, AppError> {
    let mine = organisations_of(db, user_id).await?;
    let waiting: Vec<ApplicationRow> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{APPLICATION_SELECT} where g.programme_id = $1 and g.status = 'submitted' and g.applicant_user_id <> $2
          order by g.id"
    )))
    .bind(programme_id)
    .bind(user_id)
    .fetch_all(pool)
    .await)?;
    Ok(waiting.into_iter().filter(|row| mine.contains(&row.host_key())).collect())
}

/// An evidence file of a closing report, without its content.
#[derive(Clone, Debug, FromRow)]
pub struct EvidenceFileRow {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

pub async fn evidence_files(db: &Db, application: i64) -> Result<Vec<EvidenceFileRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select id, file_name, content_type, size from grant_evidence_files where application_id = $1 order by id"
    )
    .bind(application)
    .fetch_all(pool)
    .await)?)
}

/// One evidence file with its content: (name, type, bytes).
pub async fn evidence_file(db: &Db, application: i64, id: i64) -> Result<Option<(String, String, Vec<u8>)>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select file_name, content_type, body from grant_evidence_files where application_id = $1 and id = $2"
    )
    .bind(application)
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// The evidence kept at approval (JSON), empty before.
pub async fn kept_evidence(db: &Db, application: i64) -> Result<String, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_scalar("select evidence from grant_applications where id = $1")
        .bind(application)
        .fetch_one(pool)
        .await)?)
}

/// What eligibility rests on for one person, and its verdict under the programme's rules: their
/// cluster and its country, their agreed meetings, and the verdict.
pub struct MemberVerdict {
    pub member: Option<(i64, String)>,
    pub meetings: Vec<MemberMeeting>,
    pub verdict: super::rules::Verdict,
}

pub async fn verdict_of(db: &Db, programme: &Programme, user_id: i64) -> Result<MemberVerdict, AppError> {
    let member = member_cluster(db, user_id).await?;
    let meetings = member_meetings(db, user_id).await?;
    let counted: Vec<CountedMeeting> = meetings.iter().map(|m| m.counted.clone()).collect();
    let verdict = super::rules::eligibility(programme, member.as_ref().map(|m| m.1.as_str()), &counted);
    Ok(MemberVerdict { member, meetings, verdict })
}

/// One member's standing for the partnership's and the organisers' overviews.
#[derive(Clone, Debug)]
pub struct MemberStanding {
    pub user_id: i64,
    pub name: String,
    /// The organisation on their newest confirmed ticket, empty without one.
    pub organisation: String,
    pub cluster_id: i64,
    pub country: String,
    pub verdict: super::rules::Verdict,
}

#[derive(FromRow)]
struct BothSides {
    id: i64,
    requester_ticket_id: i64,
    recipient_ticket_id: i64,
    requester_user_id: Option<i64>,
    recipient_user_id: Option<i64>,
    requester_country: Option<String>,
    recipient_country: Option<String>,
    requester_organisation: String,
    recipient_organisation: String,
    held_confirmed_at: Option<i64>,
    no_show_reported_at: Option<i64>,
    dispute_decision: Option<String>,
}

/// The verdict of every member of the partnership's clusters (of one cluster when `cluster` is
/// given), by the same rules as one member's, from three reads of the whole series: the members,
/// the tickets checked in, and the agreed meetings seen from both sides.
pub async fn standings(db: &Db, programme: &Programme, cluster: Option<i64>) -> Result<Vec<MemberStanding>, AppError> {
    use std::collections::{HashMap, HashSet};
    let members: Vec<(i64, String, i64, String)> = db_run!(db, |pool| sqlx::query_as(
        "select u.id, u.display_name, c.id, c.country from users u join clusters c on c.id = u.cluster_id
          where ($1 is null or u.cluster_id = $1) order by u.id"
    )
    .bind(cluster)
    .fetch_all(pool)
    .await)?;
    let organisations: Vec<(i64, String)> = db_run!(db, |pool| sqlx::query_as(
        "select user_id, organisation from tickets
          where status = 'confirmed' and user_id is not null and organisation <> '' order by confirmed_at, id"
    )
    .fetch_all(pool)
    .await)?;
    // The newest ticket's organisation wins: later rows overwrite earlier ones.
    let organisations: HashMap<i64, String> = organisations.into_iter().collect();
    let entered: HashSet<i64> = db_run!(db, |pool| sqlx::query_scalar(
        "select distinct ticket_id from checkins where direction = 'entry' and undone_at is null"
    )
    .fetch_all(pool)
    .await)?
    .into_iter()
    .collect();
    let meetings: Vec<BothSides> = db_run!(db, |pool| sqlx::query_as(
        "select m.id, m.requester_ticket_id, m.recipient_ticket_id, tr.user_id as requester_user_id,
                tq.user_id as recipient_user_id, cr.country as requester_country, cq.country as recipient_country,
                tr.organisation as requester_organisation, tq.organisation as recipient_organisation,
                m.held_confirmed_at, m.no_show_reported_at, m.dispute_decision
           from meetings m
           join tickets tr on tr.id = m.requester_ticket_id join tickets tq on tq.id = m.recipient_ticket_id
           left join clusters cr on cr.id = tr.cluster_id left join clusters cq on cq.id = tq.cluster_id
          where m.status = 'accepted'"
    )
    .fetch_all(pool)
    .await)?;
    let wanted: HashSet<i64> = members.iter().map(|m| m.0).collect();
    let mut by_member: HashMap<i64, Vec<CountedMeeting>> = HashMap::new();
    for m in meetings {
        let both_in = entered.contains(&m.requester_ticket_id) && entered.contains(&m.recipient_ticket_id);
        let verified_held = crate::meetings::rules::verified_held(
            m.held_confirmed_at.is_some(),
            m.no_show_reported_at.is_some(),
            m.dispute_decision.as_deref(),
            both_in,
        );
        let sides = [
            (m.requester_user_id, m.recipient_country, m.recipient_organisation),
            (m.recipient_user_id, m.requester_country, m.requester_organisation),
        ];
        for (user, partner_country, partner_organisation) in sides {
            let Some(user) = user.filter(|u| wanted.contains(u)) else { continue };
            by_member.entry(user).or_default().push(CountedMeeting {
                id: m.id,
                partner_country,
                partner_organisation,
                agreed: true,
                verified_held,
            });
        }
    }
    Ok(members
        .into_iter()
        .map(|(user_id, name, cluster_id, country)| {
            let meetings = by_member.remove(&user_id).unwrap_or_default();
            let verdict = super::rules::eligibility(programme, Some(&country), &meetings);
            MemberStanding {
                user_id,
                name,
                organisation: organisations.get(&user_id).cloned().unwrap_or_default(),
                cluster_id,
                country,
                verdict,
            }
        })
        .collect())
}

/// Changes the current programme's configuration. Approved amounts are kept on their
/// applications, so no change here alters them; the budget cannot go below what is committed
/// (a check constraint).
pub async fn update(
    db: &Db,
    programme_id: i64,
    name: &str,
    rules: &Programme,
    budget: i64,
    window: (i64, i64),
) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    write_rules(&mut tx, programme_id, name, rules, budget, window).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes a programme's name, rules, budget and window, and replaces its lump sums, in the
/// caller's transaction. The budget cannot go below what is committed (a check constraint).
async fn write_rules(
    tx: &mut Tx,
    programme_id: i64,
    name: &str,
    rules: &Programme,
    budget: i64,
    window: (i64, i64),
) -> Result<(), AppError> {
    const BUDGET: crate::platform::db::Constraint = crate::platform::db::Constraint {
        postgres: "grant_programmes_budget_check",
        sqlite: "grant_programmes_budget_check",
    };
    let updated = tx_run!(tx, |conn| sqlx::query(
        "update grant_programmes
            set name = $1, eligible_countries = $2, min_meetings = $3, require_verified = $4, min_days = $5,
                max_days = $6, full_rate_days = $7, full_rate_km = $8, max_per_visitor = $9, budget = $10,
                opens_at = $11, closes_at = $12
          where id = $13"
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
    .bind(programme_id)
    .execute(&mut *conn)
    .await
    .map(|_| ()));
    BUDGET.or_invalid(updated, "budget", "The budget cannot be less than what is already committed.")?;
    tx_run!(tx, |conn| sqlx::query("delete from grant_lump_sums where programme_id = $1")
        .bind(programme_id)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    for (country, cents) in &rules.lump_sums {
        tx_run!(tx, |conn| sqlx::query(
            "insert into grant_lump_sums (programme_id, country, cents) values ($1, $2, $3)"
        )
        .bind(programme_id)
        .bind(country)
        .bind(cents)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

//! Queries of clusters and events (server only).

use std::sync::{Arc, RwLock};

use sqlx::FromRow;

use super::when::{self, EventWindow};
use super::{EventCard, EventDetail, Theme};
use crate::db_run;
use crate::error::AppError;
use crate::platform::{error::internal, Db};

#[derive(FromRow)]
struct EventRow {
    slug: String,
    title: String,
    theme: String,
    summary: String,
    description: String,
    venue_name: String,
    venue_address: String,
    city: String,
    country: String,
    time_zone: String,
    starts_at: i64,
    ends_at: i64,
    languages: String,
    cluster_name: String,
}

/// `select <every EventRow column> from events … <tail>`, as one static query string.
macro_rules! select_events {
    ($tail:literal) => {
        concat!(
            "select e.slug, e.title, e.theme, e.summary, e.description, e.venue_name,
                    e.venue_address, e.city, e.country, e.time_zone, e.starts_at, e.ends_at, e.languages,
                    c.name as cluster_name
               from events e join clusters c on c.id = e.cluster_id ",
            $tail
        )
    };
}

impl EventRow {
    fn card(&self) -> Result<EventCard, AppError> {
        let tz = when::zone(&self.time_zone).ok_or_else(|| internal("event time zone", &self.time_zone))?;
        let theme = Theme::parse(&self.theme).ok_or_else(|| internal("event theme", &self.theme))?;
        Ok(EventCard {
            slug: self.slug.clone(),
            title: self.title.clone(),
            theme,
            summary: self.summary.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
            cluster_name: self.cluster_name.clone(),
            dates: when::date_range(self.starts_at, self.ends_at, &tz),
            starts_at: self.starts_at,
        })
    }

    fn detail(self) -> Result<EventDetail, AppError> {
        let card = self.card()?;
        let tz = when::zone(&self.time_zone).ok_or_else(|| internal("event time zone", &self.time_zone))?;
        let query = crate::components::url_encode(&format!("{}, {}", self.venue_name, self.venue_address));
        Ok(EventDetail {
            card,
            schedule: format!(
                "{} – {}",
                when::day_and_time(self.starts_at, &tz),
                when::day_and_time(self.ends_at, &tz)
            ),
            description: self.description,
            venue_name: self.venue_name,
            venue_address: self.venue_address,
            time_zone: self.time_zone,
            languages: self.languages.split(',').map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect(),
            map_link: format!("https://www.openstreetmap.org/search?query={query}"),
            programme: Default::default(),
        })
    }
}

pub async fn event_cards(db: &Db) -> Result<Vec<EventCard>, AppError> {
    let rows: Vec<EventRow> =
        db_run!(db, |pool| sqlx::query_as(select_events!("order by e.starts_at")).fetch_all(pool).await)?;
    rows.iter().map(EventRow::card).collect()
}

pub async fn event_detail(db: &Db, slug: &str) -> Result<EventDetail, AppError> {
    let row: Option<EventRow> =
        db_run!(db, |pool| sqlx::query_as(select_events!("where e.slug = $1")).bind(slug).fetch_optional(pool).await)?;
    row.ok_or_else(|| AppError::NotFound("This event".into()))?.detail()
}

/// An event as every capability sees it: who runs it (its cluster), where it lives in
/// addresses, and when it runs in its own zone. The one way to load an event is `load`.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: i64,
    pub cluster_id: i64,
    pub slug: String,
    pub title: String,
    /// The one-line summary and the venue, for what is sent about the event (its calendar file).
    pub summary: String,
    pub venue_name: String,
    pub venue_address: String,
    pub window: EventWindow,
    /// Bumped by every change of the agenda (see `agenda::store`).
    pub agenda_version: i64,
}

#[derive(FromRow)]
struct LoadedEventRow {
    id: i64,
    cluster_id: i64,
    slug: String,
    title: String,
    summary: String,
    venue_name: String,
    venue_address: String,
    time_zone: String,
    starts_at: i64,
    ends_at: i64,
    agenda_version: i64,
}

/// The event with this slug, or `NotFound`.
pub async fn load(db: &Db, slug: &str) -> Result<Event, AppError> {
    let row: Option<LoadedEventRow> = db_run!(db, |pool| sqlx::query_as(
        "select id, cluster_id, slug, title, summary, venue_name, venue_address, time_zone, starts_at, ends_at,
                agenda_version
           from events where slug = $1"
    )
    .bind(slug)
    .fetch_optional(pool)
    .await)?;
    let row = row.ok_or_else(|| AppError::NotFound("This event".into()))?;
    tracing::Span::current().record("event", row.slug.as_str());
    let zone = when::zone(&row.time_zone).ok_or_else(|| internal("event time zone", &row.time_zone))?;
    Ok(Event {
        id: row.id,
        cluster_id: row.cluster_id,
        slug: row.slug,
        title: row.title,
        summary: row.summary,
        venue_name: row.venue_name,
        venue_address: row.venue_address,
        window: EventWindow { starts_at: row.starts_at, ends_at: row.ends_at, zone },
        agenda_version: row.agenda_version,
    })
}

/// Event details as the organiser's form shows them.
#[derive(Clone, Debug)]
pub struct EventDetailsDraft {
    pub title: String,
    pub summary: String,
    pub description: String,
    pub venue_name: String,
    pub venue_address: String,
    pub languages: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// Changes an event's details. Its sessions must stay inside the new dates; the check and the
/// change happen under the event's agenda lock, so a session added meanwhile cannot slip out.
pub async fn update_event_details(db: &Db, slug: &str, draft: &EventDetailsDraft) -> Result<(), AppError> {
    use crate::platform::db::WriteTransaction;
    db_run!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let id: Option<i64> =
            sqlx::query_scalar("update events set agenda_version = agenda_version + 1 where slug = $1 returning id")
                .bind(slug)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(id) = id else { return Err(AppError::NotFound("This event".into())) };
        let outside: i64 = sqlx::query_scalar(
            "select count(*) from agenda_sessions where event_id = $1 and (starts_at < $2 or ends_at > $3)",
        )
        .bind(id)
        .bind(draft.starts_at)
        .bind(draft.ends_at)
        .fetch_one(&mut *tx)
        .await?;
        if outside > 0 {
            return Err(AppError::invalid(
                "first_day",
                format!("{outside} sessions of the agenda would fall outside these dates. Move them first."),
            ));
        }
        sqlx::query(
            "update events set title = $1, summary = $2, description = $3, venue_name = $4, venue_address = $5,
                    languages = $6, starts_at = $7, ends_at = $8
              where id = $9",
        )
        .bind(&draft.title)
        .bind(&draft.summary)
        .bind(&draft.description)
        .bind(&draft.venue_name)
        .bind(&draft.venue_address)
        .bind(&draft.languages)
        .bind(draft.starts_at)
        .bind(draft.ends_at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Clusters as (code, name), by name.
pub type Clusters = Arc<Vec<(String, String)>>;

/// The partnership's clusters as (code, name), by name, kept in memory after the first read.
/// They are reference data, written when the platform is set up and not edited here, and every
/// registration form checks its cluster against them: kept, that is one statement less per
/// form post. A code the kept list lacks is looked up afresh before it is refused, so a cluster
/// added later is found without a restart.
#[derive(Debug, Default)]
pub struct ClusterList {
    kept: RwLock<Option<Clusters>>,
}

impl ClusterList {
    pub async fn all(&self, db: &Db) -> Result<Clusters, AppError> {
        let kept = self.kept.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        match kept {
            Some(list) => Ok(list),
            None => self.reload(db).await,
        }
    }

    /// The list, read afresh when it does not hold `code` (an empty code is "no cluster").
    pub async fn including(&self, db: &Db, code: &str) -> Result<Clusters, AppError> {
        let list = self.all(db).await?;
        if code.is_empty() || list.iter().any(|(known, _)| known == code) {
            return Ok(list);
        }
        self.reload(db).await
    }

    async fn reload(&self, db: &Db) -> Result<Clusters, AppError> {
        let rows: Vec<(String, String)> =
            db_run!(db, |pool| sqlx::query_as("select code, name from clusters order by name").fetch_all(pool).await)?;
        let list = Arc::new(rows);
        // Not kept while there are none yet (a database still being set up).
        if !list.is_empty() {
            *self.kept.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(list.clone());
        }
        Ok(list)
    }
}

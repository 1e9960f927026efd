//! Queries of agendas (server only). Every agenda change of an event runs in a transaction that
//! first bumps `events.agenda_version`: that row lock serialises the event's agenda edits across
//! processes, so the room and speaker clash checks inside the transaction cannot race.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::FromRow;

use super::rules::{self, Booked, SessionDraft};
use super::{SessionCard, SpeakerRef};
use crate::error::AppError;
use crate::events::{when, Event, Theme};
use crate::tickets::rules::TicketStatus;
use crate::{db_run, tx_run};

/// Names are unique per event, for tracks, rooms and speakers alike.
const TRACK_NAME: Constraint = Constraint { postgres: "tracks_event_name_key", sqlite: "tracks.event_id, tracks.name" };
const ROOM_NAME: Constraint = Constraint { postgres: "rooms_event_name_key", sqlite: "rooms.event_id, rooms.name" };
const SPEAKER_NAME: Constraint =
    Constraint { postgres: "speakers_event_name_key", sqlite: "speakers.event_id, speakers.name" };
use crate::platform::db::{Constraint, Tx, WriteTransaction};
use crate::platform::{now, Db};

/// The sessions of each event as pages show them, kept with the agenda version they were read
/// at. Public agenda pages are read far more often than agendas change; a changed version (any
/// instance may have changed it) makes the next reader load afresh. Seat counts change with
/// every personal-agenda choice, so they are not cached but read on each request.
#[derive(Debug, Default)]
pub struct AgendaCache {
    /// Event id → (agenda version, its sessions).
    events: Mutex<HashMap<i64, CachedAgenda>>,
    /// The agenda pages anonymous visitors are served.
    pub pages: super::page_cache::PageCache,
}

type CachedAgenda = (i64, Arc<Vec<StoredSession>>);

/// Every session of the event, as `sessions` returns them, through the cache.
pub async fn sessions_cached(db: &Db, cache: &AgendaCache, event: &Event) -> Result<Arc<Vec<StoredSession>>, AppError> {
    let hit = cache.events.lock().ok().and_then(|events| {
        events.get(&event.id).filter(|(version, _)| *version == event.agenda_version).map(|(_, s)| s.clone())
    });
    let sessions = match hit {
        Some(sessions) => sessions,
        None => {
            let fresh = Arc::new(sessions(db, event).await?);
            if let Ok(mut events) = cache.events.lock() {
                events.insert(event.id, (event.agenda_version, fresh.clone()));
            }
            fresh
        }
    };
    let seats: Vec<(i64, i64)> = db_run!(db, |pool| sqlx::query_as(
        "select id, seats_taken from agenda_sessions where event_id = $1 and capacity is not null"
    )
    .bind(event.id)
    .fetch_all(pool)
    .await)?;
    if seats.iter().all(|(id, taken)| sessions.iter().any(|s| s.card.id == *id && s.card.seats_taken == *taken)) {
        return Ok(sessions);
    }
    let mut updated = (*sessions).clone();
    for s in &mut updated {
        if let Some((_, taken)) = seats.iter().find(|(id, _)| *id == s.card.id) {
            s.card.seats_taken = *taken;
        }
    }
    Ok(Arc::new(updated))
}

#[derive(FromRow, Clone)]
struct SessionRow {
    id: i64,
    title: String,
    abstract_text: String,
    theme: Option<String>,
    starts_at: i64,
    ends_at: i64,
    capacity: Option<i64>,
    seats_taken: i64,
    revision: i64,
    track: Option<String>,
    room: Option<String>,
}

/// A session with everything pages and calendar files show.
#[derive(Clone, Debug)]
pub struct StoredSession {
    pub card: SessionCard,
    pub abstract_text: String,
    /// How often the session was changed (the calendar entry's SEQUENCE).
    pub revision: i64,
}

const SESSION_SELECT: &str = "select s.id, s.title, s.abstract as abstract_text, s.theme, s.starts_at, s.ends_at,
        s.capacity, s.seats_taken, s.revision, t.name as track, r.name as room
   from agenda_sessions s left join tracks t on t.id = s.track_id left join rooms r on r.id = s.room_id";

/// Every session of the event, in time order, with speakers.
pub async fn sessions(db: &Db, event: &Event) -> Result<Vec<StoredSession>, AppError> {
    let rows: Vec<SessionRow> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SESSION_SELECT} where s.event_id = $1 order by s.starts_at, t.position, t.name, s.title"
    )))
    .bind(event.id)
    .fetch_all(pool)
    .await)?;
    let speakers = speakers_by_session(db, event.id, None).await?;
    Ok(rows.into_iter().map(|row| stored(row, &speakers, event)).collect())
}

pub async fn session(db: &Db, event: &Event, session_id: i64) -> Result<StoredSession, AppError> {
    let row: Option<SessionRow> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SESSION_SELECT} where s.event_id = $1 and s.id = $2"
    )))
    .bind(event.id)
    .bind(session_id)
    .fetch_optional(pool)
    .await)?;
    let row = row.ok_or_else(|| AppError::NotFound("This session".into()))?;
    let speakers = speakers_by_session(db, event.id, Some(session_id)).await?;
    Ok(stored(row, &speakers, event))
}

async fn speakers_by_session(
    db: &Db,
    event_id: i64,
    only: Option<i64>,
) -> Result<HashMap<i64, Vec<SpeakerRef>>, AppError> {
    let rows: Vec<(i64, i64, String, String)> = db_run!(db, |pool| sqlx::query_as(
        "select ss.session_id, sp.id, sp.name, sp.organisation
           from session_speakers ss join speakers sp on sp.id = ss.speaker_id
          where sp.event_id = $1 and ($2 is null or ss.session_id = $2)
          order by ss.session_id, ss.position, sp.name"
    )
    .bind(event_id)
    .bind(only)
    .fetch_all(pool)
    .await)?;
    let mut map: HashMap<i64, Vec<SpeakerRef>> = HashMap::new();
    for (session_id, id, name, organisation) in rows {
        map.entry(session_id).or_default().push(SpeakerRef { id, name, organisation });
    }
    Ok(map)
}

fn stored(row: SessionRow, speakers: &HashMap<i64, Vec<SpeakerRef>>, event: &Event) -> StoredSession {
    let zone = &event.window.zone;
    let day_start =
        jiff::Timestamp::from_second(row.starts_at).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(zone.clone());
    StoredSession {
        card: SessionCard {
            id: row.id,
            title: row.title,
            track: row.track,
            room: row.room,
            theme: row.theme.as_deref().and_then(Theme::parse),
            speakers: speakers.get(&row.id).cloned().unwrap_or_default(),
            day: day_start.date().to_string(),
            day_label: day_start.strftime("%A %-d %B").to_string(),
            times: format!("{}–{}", day_start.strftime("%H:%M"), when::time_of_day(row.ends_at, zone)),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            capacity: row.capacity,
            seats_taken: row.seats_taken,
        },
        abstract_text: row.abstract_text,
        revision: row.revision,
    }
}

/// Sessions in a person's agenda (ids), for one event or all.
pub async fn personal_agenda_ids(db: &Db, user_id: i64, event_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_scalar(
        "select p.session_id from personal_agenda p join agenda_sessions s on s.id = p.session_id
          where p.user_id = $1 and s.event_id = $2"
    )
    .bind(user_id)
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

/// Slugs of the events in which the person has chosen sessions, in time order.
pub async fn events_in_personal_agenda(db: &Db, user_id: i64) -> Result<Vec<String>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_scalar(
        "select e.slug from events e
          where exists (select 1 from personal_agenda p join agenda_sessions s on s.id = p.session_id
                         where p.user_id = $1 and s.event_id = e.id)
          order by e.starts_at"
    )
    .bind(user_id)
    .fetch_all(pool)
    .await)?)
}

/// Adds a session to a personal agenda, taking a seat when the session has a capacity.
/// Adding twice keeps one entry and one seat.
pub async fn add_to_personal_agenda(db: &Db, user_id: i64, event: &Event, session_id: i64) -> Result<(), AppError> {
    let at = now();
    db_run!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let session: Option<(i64, Option<i64>)> =
            sqlx::query_as("select id, capacity from agenda_sessions where id = $1 and event_id = $2")
                .bind(session_id)
                .bind(event.id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((_, capacity)) = session else { return Err(AppError::NotFound("This session".into())) };
        if capacity.is_some() {
            // A limited seat is part of what a ticket buys: without a confirmed ticket for the
            // event, nobody takes one.
            let holds: i64 =
                sqlx::query_scalar("select count(*) from tickets where user_id = $1 and event_id = $2 and status = $3")
                    .bind(user_id)
                    .bind(event.id)
                    .bind(TicketStatus::Confirmed)
                    .fetch_one(&mut *tx)
                    .await?;
            if holds == 0 {
                return Err(AppError::invalid(
                    "session",
                    "Seats of this session are for ticket holders: register for the event first.",
                ));
            }
        }
        let added = sqlx::query(
            "insert into personal_agenda (user_id, session_id, added_at) values ($1, $2, $3) on conflict do nothing",
        )
        .bind(user_id)
        .bind(session_id)
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 0 {
            return Ok(());
        }
        // The seat is taken by a conditional update, so two last-seat requests cannot both win.
        let seated = sqlx::query(
            "update agenda_sessions set seats_taken = seats_taken + 1
              where id = $1 and (capacity is null or seats_taken < capacity)",
        )
        .bind(session_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if seated == 0 {
            return Err(AppError::invalid("session", "This session is full: every seat of the room is taken."));
        }
        tx.commit().await?;
        Ok(())
    })
}

pub async fn remove_from_personal_agenda(db: &Db, user_id: i64, session_id: i64) -> Result<(), AppError> {
    db_run!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let removed = sqlx::query("delete from personal_agenda where user_id = $1 and session_id = $2")
            .bind(user_id)
            .bind(session_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed == 1 {
            sqlx::query("update agenda_sessions set seats_taken = seats_taken - 1 where id = $1")
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    })
}

/// Gives back the limited seats a person took at an event, inside the caller's transaction:
/// their ticket ended, and with it their claim to a seat. Unlimited sessions stay on their
/// personal agenda (a plan, not a seat).
pub async fn free_seats_of(tx: &mut Tx, user_id: i64, event_id: i64) -> Result<u64, sqlx::Error> {
    tx_run!(tx, |conn| {
        let limited: Vec<i64> = sqlx::query_scalar(
            "select p.session_id from personal_agenda p join agenda_sessions s on s.id = p.session_id
              where p.user_id = $1 and s.event_id = $2 and s.capacity is not null",
        )
        .bind(user_id)
        .bind(event_id)
        .fetch_all(&mut *conn)
        .await?;
        for session_id in &limited {
            sqlx::query("delete from personal_agenda where user_id = $1 and session_id = $2")
                .bind(user_id)
                .bind(session_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("update agenda_sessions set seats_taken = seats_taken - 1 where id = $1 and seats_taken > 0")
                .bind(session_id)
                .execute(&mut *conn)
                .await?;
        }
        Ok(limited.len() as u64)
    })
}

/// Names of the event's tracks, rooms and speakers, for editor forms.
#[derive(Clone, Debug, Default)]
pub struct AgendaVocabulary {
    pub tracks: Vec<String>,
    pub rooms: Vec<(String, Option<i64>)>,
    pub speakers: Vec<SpeakerRow>,
}

pub async fn vocabulary(db: &Db, event_id: i64) -> Result<AgendaVocabulary, AppError> {
    let tracks =
        db_run!(db, |pool| sqlx::query_scalar("select name from tracks where event_id = $1 order by position, name")
            .bind(event_id)
            .fetch_all(pool)
            .await)?;
    let rooms =
        db_run!(db, |pool| sqlx::query_as("select name, capacity from rooms where event_id = $1 order by name")
            .bind(event_id)
            .fetch_all(pool)
            .await)?;
    let speakers = db_run!(db, |pool| {
        sqlx::query_as(
        "select id, name, organisation, bio, photo is not null as has_photo from speakers where event_id = $1 order by name"
    )
    .bind(event_id)
    .fetch_all(pool)
    .await
    })?;
    Ok(AgendaVocabulary { tracks, rooms, speakers })
}

#[derive(Clone, Debug, FromRow)]
pub struct SpeakerRow {
    pub id: i64,
    pub name: String,
    pub organisation: String,
    pub bio: String,
    pub has_photo: bool,
}

pub async fn speaker(db: &Db, event_id: i64, speaker_id: i64) -> Result<SpeakerRow, AppError> {
    let row: Option<SpeakerRow> = db_run!(db, |pool| {
        sqlx::query_as(
        "select id, name, organisation, bio, photo is not null as has_photo from speakers where event_id = $1 and id = $2"
    )
    .bind(event_id)
    .bind(speaker_id)
    .fetch_optional(pool)
    .await
    })?;
    row.ok_or_else(|| AppError::NotFound("This speaker".into()))
}

/// What to write: a session to create (`None`) or change (`Some(id)`).
#[derive(Clone, Debug)]
pub struct SessionWrite {
    pub id: Option<i64>,
    pub draft: SessionDraft,
}

/// How names in drafts are resolved to tracks, rooms and speakers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NamePolicy {
    /// Unknown names are refused (the editor offers only existing ones).
    MustExist,
    /// Unknown names are created (a CSV import brings its own tracks, rooms and speakers).
    CreateMissing,
}

/// Writes sessions in one transaction: all of them, or none when any is refused. Every write is
/// checked (against the agenda and the writes before it), so the caller gets the problems of all
/// rows at once, each with the index of its write.
pub async fn write_sessions(
    db: &Db,
    event: &Event,
    writes: &[SessionWrite],
    names: NamePolicy,
) -> Result<Vec<i64>, Vec<(usize, AppError)>> {
    let whole = |e: sqlx::Error| vec![(0usize, AppError::from(e))];
    let mut tx = db.begin_write().await.map_err(whole)?;
    let (opens, closes) = lock_agenda(&mut tx, event.id).await.map_err(whole)?;
    let mut booked = booked_sessions(&mut tx, event.id).await.map_err(whole)?;
    let mut ids = Vec::with_capacity(writes.len());
    let mut problems = Vec::new();
    for (i, write) in writes.iter().enumerate() {
        let draft = &write.draft;
        let outcome = async {
            if let Some(id) = write.id {
                if !booked.iter().any(|b| b.session_id == id) {
                    return Err(AppError::invalid("id", format!("There is no session {id} in this event.")));
                }
            }
            if draft.starts_at < opens || draft.ends_at > closes {
                return Err(AppError::invalid("start", "The event's dates have changed: this is outside them now."));
            }
            rules::check_clashes(draft, write.id, &booked, &event.window.zone)?;
            write_one(&mut tx, event.id, write, names).await
        }
        .await;
        match outcome {
            Ok(session_id) => {
                // Later writes of the same batch are checked against this one too.
                booked.retain(|b| b.session_id != session_id);
                booked.push(Booked {
                    session_id,
                    title: draft.title.clone(),
                    room: draft.room.clone(),
                    speakers: draft.speakers.clone(),
                    starts_at: draft.starts_at,
                    ends_at: draft.ends_at,
                });
                ids.push(session_id);
            }
            Err(problem) => problems.push((i, problem)),
        }
    }
    if !problems.is_empty() {
        // Dropping the transaction rolls every write of the batch back.
        return Err(problems);
    }
    tx.commit().await.map_err(whole)?;
    Ok(ids)
}

/// Takes the event's agenda lock (see the module documentation) and returns the event's dates
/// as they are now: they may have changed since the drafts were parsed.
async fn lock_agenda(tx: &mut Tx, event_id: i64) -> Result<(i64, i64), sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query_as(
        "update events set agenda_version = agenda_version + 1 where id = $1 returning starts_at, ends_at",
    )
    .bind(event_id)
    .fetch_one(&mut *conn)
    .await)
}

/// A session already on the agenda: id, title, room, start, end.
type BookedRow = (i64, String, Option<String>, i64, i64);

/// Everything already on the agenda, as the clash check needs it.
async fn booked_sessions(tx: &mut Tx, event_id: i64) -> Result<Vec<Booked>, sqlx::Error> {
    let (rows, speakers): (Vec<BookedRow>, Vec<(i64, String)>) = tx_run!(tx, |conn| {
        let rows = sqlx::query_as(
            "select s.id, s.title, r.name, s.starts_at, s.ends_at
               from agenda_sessions s left join rooms r on r.id = s.room_id where s.event_id = $1",
        )
        .bind(event_id)
        .fetch_all(&mut *conn)
        .await?;
        let speakers = sqlx::query_as(
            "select ss.session_id, sp.name from session_speakers ss join speakers sp on sp.id = ss.speaker_id
              where sp.event_id = $1",
        )
        .bind(event_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok::<_, sqlx::Error>((rows, speakers))
    })?;
    Ok(rows
        .into_iter()
        .map(|(session_id, title, room, starts_at, ends_at)| Booked {
            session_id,
            title,
            room,
            speakers: speakers.iter().filter(|(s, _)| *s == session_id).map(|(_, n)| n.clone()).collect(),
            starts_at,
            ends_at,
        })
        .collect())
}

/// The named things a session refers to: found by name within the event, or created.
#[derive(Clone, Copy)]
enum AgendaName {
    Track,
    Room,
    Speaker,
}

impl AgendaName {
    fn find_sql(self) -> &'static str {
        match self {
            AgendaName::Track => "select id from tracks where event_id = $1 and name = $2",
            AgendaName::Room => "select id from rooms where event_id = $1 and name = $2",
            AgendaName::Speaker => "select id from speakers where event_id = $1 and name = $2",
        }
    }

    fn create_sql(self) -> &'static str {
        match self {
            // New tracks go last in the agenda's order.
            AgendaName::Track => {
                "insert into tracks (event_id, name, position)
                 values ($1, $2, (select count(*) from tracks where event_id = $1)) returning id"
            }
            AgendaName::Room => "insert into rooms (event_id, name) values ($1, $2) returning id",
            AgendaName::Speaker => "insert into speakers (event_id, name) values ($1, $2) returning id",
        }
    }

    fn missing(self, name: &str) -> AppError {
        match self {
            AgendaName::Track => AppError::invalid("track", format!("There is no track “{name}”; add it first.")),
            AgendaName::Room => AppError::invalid("room", format!("There is no room “{name}”; add it first.")),
            AgendaName::Speaker => {
                AppError::invalid("speakers", format!("There is no speaker “{name}”; add them under Speakers first."))
            }
        }
    }
}

/// The id of a track, room or speaker of the event by name; created when the policy allows.
async fn resolve(tx: &mut Tx, event_id: i64, kind: AgendaName, name: &str, names: NamePolicy) -> Result<i64, AppError> {
    let found: Option<i64> = tx_run!(tx, |conn| sqlx::query_scalar(kind.find_sql())
        .bind(event_id)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await)?;
    match (found, names) {
        (Some(id), _) => Ok(id),
        (None, NamePolicy::CreateMissing) => Ok(tx_run!(tx, |conn| sqlx::query_scalar(kind.create_sql())
            .bind(event_id)
            .bind(name)
            .fetch_one(&mut *conn)
            .await)?),
        (None, NamePolicy::MustExist) => Err(kind.missing(name)),
    }
}

/// Writes one session of a batch (its names resolved, then the session and its speakers).
async fn write_one(tx: &mut Tx, event_id: i64, write: &SessionWrite, names: NamePolicy) -> Result<i64, AppError> {
    let draft = &write.draft;
    let track_id = match &draft.track {
        Some(name) => Some(resolve(tx, event_id, AgendaName::Track, name, names).await?),
        None => None,
    };
    let room_id = match &draft.room {
        Some(name) => Some(resolve(tx, event_id, AgendaName::Room, name, names).await?),
        None => None,
    };
    let mut speaker_ids = Vec::with_capacity(draft.speakers.len());
    for name in &draft.speakers {
        speaker_ids.push(resolve(tx, event_id, AgendaName::Speaker, name, names).await?);
    }
    let session_id = match write.id {
        None => insert_session(tx, event_id, draft, track_id, room_id).await?,
        Some(id) => {
            update_session(tx, id, draft, track_id, room_id).await?;
            id
        }
    };
    tx_run!(tx, |conn| {
        for (position, speaker_id) in speaker_ids.iter().enumerate() {
            sqlx::query("insert into session_speakers (session_id, speaker_id, position) values ($1, $2, $3)")
                .bind(session_id)
                .bind(speaker_id)
                .bind(position as i64)
                .execute(&mut *conn)
                .await?;
        }
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(session_id)
}

async fn insert_session(
    tx: &mut Tx,
    event_id: i64,
    draft: &SessionDraft,
    track_id: Option<i64>,
    room_id: Option<i64>,
) -> Result<i64, sqlx::Error> {
    tx_run!(tx, |conn| {
        sqlx::query_scalar(
        "insert into agenda_sessions (event_id, track_id, room_id, title, abstract, theme, starts_at, ends_at, capacity)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
    )
    .bind(event_id)
    .bind(track_id)
    .bind(room_id)
    .bind(&draft.title)
    .bind(&draft.abstract_text)
    .bind(draft.theme)
    .bind(draft.starts_at)
    .bind(draft.ends_at)
    .bind(draft.capacity)
    .fetch_one(&mut *conn)
    .await
    })
}

/// Changes a session and drops its speakers (the caller adds the new list). Its capacity cannot
/// go below the seats already chosen.
async fn update_session(
    tx: &mut Tx,
    id: i64,
    draft: &SessionDraft,
    track_id: Option<i64>,
    room_id: Option<i64>,
) -> Result<(), AppError> {
    let taken: i64 = tx_run!(tx, |conn| sqlx::query_scalar("select seats_taken from agenda_sessions where id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await)?;
    if let Some(capacity) = draft.capacity.filter(|c| *c < taken) {
        return Err(AppError::invalid(
            "capacity",
            format!(
                "{taken} people already chose this session; the capacity cannot go below that (asked: {capacity})."
            ),
        ));
    }
    // The seat condition repeats the check above inside the update, for a seat taken meanwhile.
    let changed = tx_run!(tx, |conn| {
        let changed = sqlx::query(
            "update agenda_sessions set track_id = $1, room_id = $2, title = $3, abstract = $4, theme = $5,
                    starts_at = $6, ends_at = $7, capacity = $8, revision = revision + 1
              where id = $9 and ($8 is null or seats_taken <= $8)",
        )
        .bind(track_id)
        .bind(room_id)
        .bind(&draft.title)
        .bind(&draft.abstract_text)
        .bind(draft.theme)
        .bind(draft.starts_at)
        .bind(draft.ends_at)
        .bind(draft.capacity)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if changed == 1 {
            sqlx::query("delete from session_speakers where session_id = $1").bind(id).execute(&mut *conn).await?;
        }
        Ok::<u64, sqlx::Error>(changed)
    })?;
    if changed == 0 {
        return Err(AppError::invalid(
            "capacity",
            "More people have chosen this session meanwhile than the new capacity allows.",
        ));
    }
    Ok(())
}

pub async fn delete_session(db: &Db, event: &Event, session_id: i64) -> Result<(), AppError> {
    db_run!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        sqlx::query("update events set agenda_version = agenda_version + 1 where id = $1")
            .bind(event.id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("delete from agenda_sessions where id = $1 and event_id = $2")
            .bind(session_id)
            .bind(event.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(AppError::NotFound("This session".into()));
        }
        tx.commit().await?;
        Ok(())
    })
}

/// Adds a track, a room or a speaker; a second one with the same name is refused.
pub async fn add_track(db: &Db, event_id: i64, name: &str) -> Result<(), AppError> {
    let result = db_run!(db, |pool| {
        sqlx::query(
        "insert into tracks (event_id, name, position) values ($1, $2, (select count(*) from tracks where event_id = $1))"
    )
    .bind(event_id)
    .bind(name)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    });
    TRACK_NAME.or_invalid(result, "track_name", "This event already has a track with that name.").map(|_| ())
}

pub async fn add_room(db: &Db, event_id: i64, name: &str, capacity: Option<i64>) -> Result<(), AppError> {
    let result = db_run!(db, |pool| sqlx::query("insert into rooms (event_id, name, capacity) values ($1, $2, $3)")
        .bind(event_id)
        .bind(name)
        .bind(capacity)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()));
    ROOM_NAME.or_invalid(result, "room_name", "This event already has a room with that name.").map(|_| ())
}

pub async fn add_speaker(db: &Db, event_id: i64, name: &str, organisation: &str, bio: &str) -> Result<(), AppError> {
    let result = db_run!(db, |pool| sqlx::query(
        "insert into speakers (event_id, name, organisation, bio) values ($1, $2, $3, $4)"
    )
    .bind(event_id)
    .bind(name)
    .bind(organisation)
    .bind(bio)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()));
    SPEAKER_NAME.or_invalid(result, "speaker_name", "This event already has a speaker with that name.").map(|_| ())
}

/// Stores a speaker's (already normalised) photo.
pub async fn set_speaker_photo(db: &Db, event_id: i64, speaker_id: i64, jpeg: &[u8]) -> Result<(), AppError> {
    let changed = db_run!(db, |pool| sqlx::query("update speakers set photo = $1 where event_id = $2 and id = $3")
        .bind(jpeg)
        .bind(event_id)
        .bind(speaker_id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    if changed == 0 {
        return Err(AppError::NotFound("This speaker".into()));
    }
    Ok(())
}

pub async fn speaker_photo(db: &Db, event_id: i64, speaker_id: i64) -> Result<Option<Vec<u8>>, AppError> {
    let photo: Option<Option<Vec<u8>>> =
        db_run!(db, |pool| sqlx::query_scalar("select photo from speakers where event_id = $1 and id = $2")
            .bind(event_id)
            .bind(speaker_id)
            .fetch_optional(pool)
            .await)?;
    Ok(photo.flatten())
}

/// Changes a speaker's name, organisation and biography.
pub async fn update_speaker(
    db: &Db,
    event_id: i64,
    speaker_id: i64,
    name: &str,
    organisation: &str,
    bio: &str,
) -> Result<(), AppError> {
    let result: Result<u64, sqlx::Error> = db_run!(db, |pool| async {
        let mut tx = pool.begin_write().await?;
        // Session cards show speaker names: the cached agenda must be read afresh.
        sqlx::query("update events set agenda_version = agenda_version + 1 where id = $1")
            .bind(event_id)
            .execute(&mut *tx)
            .await?;
        let changed =
            sqlx::query("update speakers set name = $1, organisation = $2, bio = $3 where event_id = $4 and id = $5")
                .bind(name)
                .bind(organisation)
                .bind(bio)
                .bind(event_id)
                .bind(speaker_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok(changed)
    }
    .await);
    match result {
        Ok(0) => Err(AppError::NotFound("This speaker".into())),
        other => SPEAKER_NAME
            .or_invalid(other, "speaker_name", "This event already has a speaker with that name.")
            .map(|_| ()),
    }
}

/// What an organiser can remove from an agenda besides sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgendaItem {
    /// Its sessions stay, without a track.
    Track,
    /// Its sessions stay, without a room.
    Room,
    /// Its sessions stay, without this speaker.
    Speaker,
}

/// Removes a track, room or speaker of the event, by name.
pub async fn remove_item(db: &Db, event_id: i64, item: AgendaItem, name: &str) -> Result<(), AppError> {
    let sql = match item {
        AgendaItem::Track => "delete from tracks where event_id = $1 and name = $2",
        AgendaItem::Room => "delete from rooms where event_id = $1 and name = $2",
        AgendaItem::Speaker => "delete from speakers where event_id = $1 and name = $2",
    };
    let removed: u64 = db_run!(db, |pool| async {
        let mut tx = pool.begin_write().await?;
        sqlx::query("update events set agenda_version = agenda_version + 1 where id = $1")
            .bind(event_id)
            .execute(&mut *tx)
            .await?;
        let removed = sqlx::query(sql).bind(event_id).bind(name).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok::<u64, sqlx::Error>(removed)
    }
    .await)?;
    if removed == 0 {
        return Err(AppError::NotFound(format!("“{name}”")));
    }
    Ok(())
}

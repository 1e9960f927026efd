//! Personal calendars: the agenda file of one event (chosen sessions and agreed meetings), a
//! meeting's invitation as a download, and the private feed of all of a person's events at
//! `/calendar/{secret}.ics`, which calendar clients poll (ETag and `If-None-Match`, so an
//! unchanged feed costs them a 304).

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use sqlx::FromRow;

use super::files::{self, MeetingFacts, MeetingPerson, SessionFacts};
use super::{publish, CalendarEntry, Person};
use crate::accounts::access::SignedIn;
use crate::db_run;
use crate::error::AppError;
use crate::platform::{now, random_token, token_hash, Db, Settings};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/meetings/calendar.ics", get(event_agenda))
        .route("/meetings/{id}/invite.ics", get(meeting_invite))
        .route("/calendar/{file}", get(feed))
}

#[derive(FromRow)]
struct ChosenSession {
    id: i64,
    title: String,
    abstract_text: String,
    starts_at: i64,
    ends_at: i64,
    revision: i64,
    added_at: i64,
    room: Option<String>,
    slug: String,
    venue_name: String,
}

#[derive(FromRow)]
struct AgreedMeeting {
    id: i64,
    sequence: i64,
    status: crate::meetings::MeetingStatus,
    updated_at: i64,
    starts_at: i64,
    ends_at: i64,
    table_number: Option<i64>,
    table_location: String,
    slug: String,
    title: String,
    venue_name: String,
    cluster_id: i64,
    a_user: i64,
    b_user: i64,
    a_name: String,
    a_email: String,
    a_organisation: String,
    b_name: String,
    b_email: String,
    b_organisation: String,
}

impl AgreedMeeting {
    fn facts(&self) -> MeetingFacts<'_> {
        MeetingFacts {
            id: self.id,
            sequence: self.sequence,
            cancelled: self.status == crate::meetings::MeetingStatus::Cancelled,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            changed_at: self.updated_at,
            table: self.table_number.map(|n| crate::meetings::store::table_label(n, &self.table_location)),
            event_slug: &self.slug,
            event_title: &self.title,
            venue_name: &self.venue_name,
            people: [
                MeetingPerson { name: &self.a_name, email: &self.a_email, organisation: &self.a_organisation },
                MeetingPerson { name: &self.b_name, email: &self.b_email, organisation: &self.b_organisation },
            ],
        }
    }
}

const MEETING_SELECT: &str = "select m.id, m.sequence, m.status, m.updated_at, s.starts_at, s.ends_at,
        t.number as table_number, coalesce(t.location, '') as table_location, e.slug, e.title, e.venue_name,
        e.cluster_id, a.user_id as a_user, b.user_id as b_user, a.attendee_name as a_name, a.email as a_email, a.organisation as a_organisation,
        b.attendee_name as b_name, b.email as b_email, b.organisation as b_organisation
   from meetings m join b2b_slots s on s.id = m.slot_id left join b2b_tables t on t.id = m.table_id
   join events e on e.id = m.event_id
   join tickets a on a.id = m.requester_ticket_id join tickets b on b.id = m.recipient_ticket_id";

/// A person's chosen sessions and agreed meetings (of one event, or of all), as calendar
/// entries, and the latest change among them. Meetings cancelled after they were agreed stay,
/// marked cancelled, until their event is over, so that subscribed calendars drop them.
pub async fn personal_entries(
    db: &Db,
    settings: &Settings,
    user_id: i64,
    event_id: Option<i64>,
) -> Result<(Vec<CalendarEntry>, i64), AppError> {
    let sessions: Vec<ChosenSession> = db_run!(db, |pool| sqlx::query_as(
        "select s.id, s.title, s.abstract as abstract_text, s.starts_at, s.ends_at, s.revision, p.added_at,
                r.name as room, e.slug, e.venue_name
           from personal_agenda p join agenda_sessions s on s.id = p.session_id join events e on e.id = s.event_id
           left join rooms r on r.id = s.room_id
          where p.user_id = $1 and ($2 is null or e.id = $2)
          order by s.starts_at, s.id"
    )
    .bind(user_id)
    .bind(event_id)
    .fetch_all(pool)
    .await)?;
    // A meeting with a table was agreed at some point; requests never had one.
    let meetings: Vec<AgreedMeeting> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEETING_SELECT}
          where (a.user_id = $1 or b.user_id = $1) and ($2 is null or e.id = $2) and m.table_id is not null
            and (m.status = 'accepted' or (m.status = 'cancelled' and e.ends_at > $3))
          order by s.starts_at, m.id"
    )))
    .bind(user_id)
    .bind(event_id)
    .bind(now())
    .fetch_all(pool)
    .await)?;
    let mut entries = Vec::with_capacity(sessions.len() + meetings.len());
    let mut latest = 0;
    for s in &sessions {
        let facts = SessionFacts {
            id: s.id,
            title: &s.title,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            room: s.room.as_deref(),
            speakers: Vec::new(),
            abstract_text: &s.abstract_text,
            revision: s.revision,
        };
        latest = latest.max(s.added_at);
        entries.push(files::session_entry(&settings.public_url, &s.slug, &s.venue_name, &facts, s.added_at));
    }
    for m in &meetings {
        let viewer = if m.a_user == user_id { 0 } else { 1 };
        let mut entry = files::meeting_entry(&settings.public_url, &Person::sender(settings), &m.facts(), Some(viewer));
        // A published calendar names no attendees (RFC 5546); the description names the partner.
        entry.attendees.clear();
        latest = latest.max(m.updated_at);
        entries.push(entry);
    }
    entries.sort_by_key(|e| (e.starts_at, e.uid.clone()));
    Ok((entries, latest))
}

/// `/events/{slug}/meetings/calendar.ics`: the signed-in person's agenda of one event.
async fn event_agenda(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let event = crate::events::store::load(&state.db, &slug).await?;
    let (entries, _) = personal_entries(&state.db, &state.settings, principal.user_id, Some(event.id)).await?;
    Ok(files::download(&format!("{slug}-my-agenda"), publish(&format!("My agenda: {}", event.title), &entries)))
}

/// `/meetings/{id}/invite.ics`: for the two people and the event's organisers; anyone else, and
/// a request that was never agreed, get 404.
async fn meeting_invite(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let missing = || AppError::NotFound("This meeting".into());
    let id: i64 = id.parse().map_err(|_| missing())?;
    let meeting: Option<AgreedMeeting> = db_run!(&state.db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEETING_SELECT} where m.id = $1 and m.table_id is not null and m.status in ('accepted', 'cancelled')"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    let meeting = meeting.ok_or_else(missing)?;
    let viewer = if principal.user_id == meeting.a_user {
        Some(0)
    } else if principal.user_id == meeting.b_user {
        Some(1)
    } else if principal.may_organise(meeting.cluster_id) {
        None
    } else {
        return Err(missing());
    };
    let (_, body) = files::meeting_invitation(
        &state.settings.public_url,
        &Person::sender(&state.settings),
        &meeting.facts(),
        viewer,
    );
    Ok(files::download(&format!("meeting-{id}"), body))
}

/// A new secret feed address for the person, replacing (and so killing) the old one. Only the
/// hash is stored: the address is shown once, when it is made.
pub async fn rotate_secret(db: &Db, user_id: i64) -> Result<String, AppError> {
    let secret = random_token();
    db_run!(db, |pool| sqlx::query(
        "insert into calendar_feeds (user_id, secret_hash, created_at) values ($1, $2, $3)
         on conflict (user_id) do update set secret_hash = excluded.secret_hash, created_at = excluded.created_at"
    )
    .bind(user_id)
    .bind(token_hash(&secret))
    .bind(now())
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(secret)
}

/// When the person's current feed address was made, if they have one.
pub async fn feed_made_at(db: &Db, user_id: i64) -> Result<Option<i64>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_scalar("select created_at from calendar_feeds where user_id = $1")
        .bind(user_id)
        .fetch_optional(pool)
        .await)?)
}

/// `/calendar/{secret}.ics`: no session needed (calendar clients have none), the secret is the
/// key. Unknown or rotated secrets get 404.
async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let missing = || AppError::NotFound("This calendar".into());
    let secret = file.strip_suffix(".ics").ok_or_else(missing)?;
    let user: Option<i64> =
        db_run!(&state.db, |pool| sqlx::query_scalar("select user_id from calendar_feeds where secret_hash = $1")
            .bind(token_hash(secret))
            .fetch_optional(pool)
            .await)?;
    let user = user.ok_or_else(missing)?;
    let (entries, latest) = personal_entries(&state.db, &state.settings, user, None).await?;
    let body = publish("EventXchange", &entries);
    // The body has no "now" in it (every DTSTAMP is a change time), so equal bodies are
    // equal versions.
    let etag = format!("\"{}\"", &token_hash(&body)[..32]);
    let modified = jiff::Timestamp::from_second(latest)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let unchanged = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| matches!(tag.trim(), t if t == etag || t == "*" || t.strip_prefix("W/") == Some(etag.as_str())));
    let common = [
        (header::ETAG, etag),
        (header::LAST_MODIFIED, modified),
        (header::CACHE_CONTROL, "private, no-cache".to_string()),
    ];
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string())], common, body)
        .into_response())
}

//! The calendar files people download or receive: an event, and a session of its agenda. They
//! live here, beside the writer, so that every capability (tickets attach the event's file to
//! confirmations; the agenda offers session files) reaches them in one place.

use axum::{
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use super::{publish, CalendarEntry};
use crate::error::AppError;
use crate::events::{self, Event};
use crate::platform::{now, Db};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/events/{slug}/calendar.ics", get(event_calendar))
}

/// A calendar file as a download named `{name}.ics`.
pub fn download(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.ics\"")),
        ],
        body,
    )
        .into_response()
}

async fn event_calendar(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, AppError> {
    Ok(download(&slug, event_ics(&state.db, &state.settings.public_url, &slug).await?))
}

/// The event as a calendar file: the download, and the attachment of ticket confirmations.
pub async fn event_ics(db: &Db, public_url: &str, slug: &str) -> Result<String, AppError> {
    let detail = events::store::event_detail(db, slug).await?;
    let event = events::store::load(db, slug).await?;
    let url = format!("{public_url}/events/{slug}");
    let entry = CalendarEntry {
        uid: format!("event-{slug}@eventxchange.celis"),
        starts_at: event.window.starts_at,
        ends_at: event.window.ends_at,
        summary: event.title.clone(),
        description: format!("{}\n\nProgramme: {url}/agenda", detail.card.summary),
        location: format!("{}, {}", detail.venue_name, detail.venue_address),
        url,
        sequence: 0,
        stamped_at: now(),
    };
    Ok(publish(&event.title, &[entry]))
}

/// What a session's calendar entry is made of (the agenda supplies it).
pub struct SessionFacts<'a> {
    pub id: i64,
    pub title: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub room: Option<&'a str>,
    /// "Name (Organisation)" per speaker.
    pub speakers: Vec<String>,
    pub abstract_text: &'a str,
    /// Bumped by each change of the session, so calendars update their copy.
    pub revision: i64,
}

/// One agenda session as a calendar file.
pub fn session_ics(public_url: &str, event: &Event, session: &SessionFacts<'_>) -> String {
    let url = format!("{public_url}/events/{}/sessions/{}", event.slug, session.id);
    let mut description = session.abstract_text.to_string();
    if !session.speakers.is_empty() {
        description = format!("Speakers: {}\n\n{description}", session.speakers.join(", "));
    }
    let location = match session.room {
        Some(room) => format!("{room}, {}", event.venue_name),
        None => event.venue_name.clone(),
    };
    let entry = CalendarEntry {
        uid: format!("session-{}@eventxchange.celis", session.id),
        starts_at: session.starts_at,
        ends_at: session.ends_at,
        summary: session.title.to_string(),
        description,
        location,
        url,
        sequence: u32::try_from(session.revision).unwrap_or(0),
        stamped_at: now(),
    };
    publish(&event.title, &[entry])
}

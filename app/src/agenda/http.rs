//! Agenda files that are not pages: calendar files for an event and a session, and the
//! organiser's CSV export.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use super::{csv_io, store};
use crate::backend::{auth, now, AppState};
use crate::calendar::{self, CalendarEntry};
use crate::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/calendar.ics", get(event_calendar))
        .route("/events/{slug}/sessions/{id}/calendar.ics", get(session_calendar))
        .route("/organise/{slug}/agenda.csv", get(agenda_csv))
}

fn calendar_file(name: &str, body: String) -> Response {
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
    let detail = crate::events::store::event_detail(&state.db, &slug).await?;
    let event = store::event_context(&state.db, &slug).await?;
    let url = format!("{}/events/{slug}", state.settings.public_url);
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
    Ok(calendar_file(&slug, calendar::publish(&event.title, &[entry])))
}

async fn session_calendar(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("This session".into()))?;
    let event = store::event_context(&state.db, &slug).await?;
    let session = store::session(&state.db, &event, id).await?;
    let url = format!("{}/events/{slug}/sessions/{id}", state.settings.public_url);
    let speakers: Vec<String> =
        session.card.speakers.iter().map(|s| format!("{} ({})", s.name, s.organisation)).collect();
    let mut description = session.abstract_text.clone();
    if !speakers.is_empty() {
        description = format!("Speakers: {}\n\n{description}", speakers.join(", "));
    }
    let location = match &session.card.room {
        Some(room) => format!("{room}, {}", event.venue_name),
        None => event.venue_name.clone(),
    };
    let entry = CalendarEntry {
        uid: format!("session-{id}@eventxchange.celis"),
        starts_at: session.card.starts_at,
        ends_at: session.card.ends_at,
        summary: session.card.title.clone(),
        description,
        location,
        url,
        sequence: u32::try_from(session.revision).unwrap_or(0),
        stamped_at: now(),
    };
    Ok(calendar_file(&format!("{slug}-session-{id}"), calendar::publish(&event.title, &[entry])))
}

async fn agenda_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let principal = match auth::cookie_value(&headers, auth::SESSION_COOKIE) {
        Some(token) => auth::principal_for_token(&state.db, &token).await?,
        None => None,
    }
    .ok_or(AppError::SignInRequired)?;
    let event = store::event_context(&state.db, &slug).await?;
    if !principal.may_organise(event.cluster_id) {
        return Err(AppError::Forbidden);
    }
    let sessions = store::sessions(&state.db, &event).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{slug}-agenda.csv\"")),
        ],
        csv_io::export(&sessions, &event.window.zone),
    )
        .into_response())
}

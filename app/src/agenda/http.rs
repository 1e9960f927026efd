//! Agenda files that are not pages: calendar files for an event and a session, and the
//! organiser's CSV export.

use axum::{
    extract::{DefaultBodyLimit, Multipart, Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};

use super::{csv_io, photos, store};
use crate::backend::{auth, now, AppState};
use crate::calendar::{self, CalendarEntry};
use crate::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/calendar.ics", get(event_calendar))
        .route("/events/{slug}/sessions/{id}/calendar.ics", get(session_calendar))
        .route("/organise/{slug}/agenda.csv", get(agenda_csv))
        .route("/events/{slug}/speakers/{id}/photo.jpg", get(speaker_photo))
        .route(
            "/organise/{slug}/speakers/{id}/photo",
            // Room for the multipart framing around a photo of the largest accepted size.
            post(upload_speaker_photo).layer(DefaultBodyLimit::max(photos::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
}

/// The organiser signed in with this request's cookie, for one event (plain HTTP routes; server
/// functions use `organise::organiser_event`).
pub async fn organiser_of(state: &AppState, headers: &HeaderMap, slug: &str) -> Result<store::EventContext, AppError> {
    let principal = match auth::cookie_value(headers, auth::SESSION_COOKIE) {
        Some(token) => auth::principal_for_token(&state.db, &token).await?,
        None => None,
    }
    .ok_or(AppError::SignInRequired)?;
    let event = store::event_context(&state.db, slug).await?;
    if !principal.may_organise(event.cluster_id) {
        return Err(AppError::Forbidden);
    }
    Ok(event)
}

async fn speaker_photo(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("This photo".into()))?;
    let event = store::event_context(&state.db, &slug).await?;
    let photo =
        store::speaker_photo(&state.db, event.id, id).await?.ok_or_else(|| AppError::NotFound("This photo".into()))?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "public, max-age=300")], photo).into_response())
}

/// A plain multipart form post (`csrf` and `photo` fields), so it works without JavaScript.
/// Browsers are sent back to the editor with the outcome; other clients get a status.
async fn upload_speaker_photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("This speaker".into()))?;
    let event = organiser_of(&state, &headers, &slug).await?;
    let mut csrf = String::new();
    let mut upload = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| AppError::invalid("photo", "The upload was interrupted or too large (at most 5 MB)."))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("photo") => {
                upload = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::invalid("photo", "The upload was interrupted or too large (at most 5 MB)."))?
                    .to_vec()
            }
            _ => {}
        }
    }
    if !auth::csrf_matches(&headers, &csrf) {
        return Err(AppError::FormExpired);
    }
    let outcome = match tokio::task::spawn_blocking(move || photos::normalise(&upload)).await? {
        Ok(jpeg) => store::set_speaker_photo(&state.db, event.id, id, &jpeg).await.map(|_| "saved".to_string()),
        Err(e) => Err(e),
    };
    let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    match (outcome, wants_html) {
        (Ok(_), true) => Ok(Redirect::to(&format!("/organise/{slug}/agenda?photo=saved#speakers")).into_response()),
        (Ok(_), false) => Ok(StatusCode::NO_CONTENT.into_response()),
        (Err(AppError::Invalid { message, .. }), true) => {
            let message = crate::components::url_encode(&message);
            Ok(Redirect::to(&format!("/organise/{slug}/agenda?photo_error={message}#speakers")).into_response())
        }
        (Err(e), _) => Err(e),
    }
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
    Ok(calendar_file(&slug, event_ics(&state.db, &state.settings.public_url, &slug).await?))
}

/// The event as a calendar file: the download, and the attachment of ticket confirmations.
pub async fn event_ics(db: &crate::backend::Db, public_url: &str, slug: &str) -> Result<String, AppError> {
    let detail = crate::events::store::event_detail(db, slug).await?;
    let event = store::event_context(db, slug).await?;
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
    Ok(calendar::publish(&event.title, &[entry]))
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
    let event = organiser_of(&state, &headers, &slug).await?;
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

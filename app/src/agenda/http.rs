//! Agenda routes that are not pages: a session's calendar file, speaker photos, and the
//! organiser's CSV export.

use axum::{
    extract::{DefaultBodyLimit, Multipart, Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};

use super::{csv_io, photos, store};
use crate::accounts::access::{self, SignedIn};
use crate::calendar::files::{self, SessionFacts};
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/sessions/{id}/calendar.ics", get(session_calendar))
        .route("/organise/{slug}/agenda.csv", get(agenda_csv))
        .route("/events/{slug}/speakers/{id}/photo.jpg", get(speaker_photo))
        .route(
            "/organise/{slug}/speakers/{id}/photo",
            // Room for the multipart framing around a photo of the largest accepted size.
            post(upload_speaker_photo).layer(DefaultBodyLimit::max(photos::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
}

async fn speaker_photo(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("This photo".into()))?;
    let event = crate::events::store::load(&state.db, &slug).await?;
    let photo =
        store::speaker_photo(&state.db, event.id, id).await?.ok_or_else(|| AppError::NotFound("This photo".into()))?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "public, max-age=300")], photo).into_response())
}

/// A plain multipart form post (`csrf` and `photo` fields), so it works without JavaScript.
/// Browsers are sent back to the editor with the outcome; other clients get a status.
async fn upload_speaker_photo(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("This speaker".into()))?;
    let event = access::organiser_of(&state.db, &principal, &slug).await?;
    let mut upload = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| AppError::invalid("photo", "The upload was interrupted or too large (at most 5 MB)."))?
    {
        if field.name() == Some("photo") {
            upload = field
                .bytes()
                .await
                .map_err(|_| AppError::invalid("photo", "The upload was interrupted or too large (at most 5 MB)."))?
                .to_vec()
        }
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

async fn session_calendar(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("This session".into()))?;
    let event = crate::events::store::load(&state.db, &slug).await?;
    let session = store::session(&state.db, &event, id).await?;
    let facts = SessionFacts {
        id,
        title: &session.card.title,
        starts_at: session.card.starts_at,
        ends_at: session.card.ends_at,
        room: session.card.room.as_deref(),
        speakers: session.card.speakers.iter().map(|s| format!("{} ({})", s.name, s.organisation)).collect(),
        abstract_text: &session.abstract_text,
        revision: session.revision,
    };
    let body = files::session_ics(&state.settings.public_url, &event, &facts);
    Ok(files::download(&format!("{slug}-session-{id}"), body))
}

async fn agenda_csv(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let event = access::organiser_of(&state.db, &principal, &slug).await?;
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

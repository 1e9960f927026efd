//! `/tickets/{id}/badge.png`: the badge code as an image, for the holder and the event's organisers.

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use super::{render, store};
use crate::accounts::access::{self, SignedIn};
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/tickets/{id}/badge.png", get(badge_png))
}

async fn badge_png(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("This ticket".into()))?;
    let ticket = crate::tickets::store::ticket(&state.db, id).await?;
    let event = crate::events::store::load(&state.db, &ticket.event_slug).await?;
    access::holder_or_organiser(&principal, ticket.user_id, &event, "This ticket")?;
    let code = store::current_code(&state.db, &state.badge_keys, id)
        .await?
        .ok_or_else(|| AppError::invalid("ticket", "Only a confirmed ticket has a badge."))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "image/png".to_string()),
            // The code changes when the badge is re-issued or the ticket cancelled.
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"badge-{id}.png\"")),
        ],
        render::png(&code)?,
    )
        .into_response())
}

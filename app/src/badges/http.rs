//! `/tickets/{id}/badge.png`: the badge code as an image, for the holder and the event's organisers.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use super::{render, store};
use crate::backend::{auth, AppState};
use crate::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new().route("/tickets/{id}/badge.png", get(badge_png))
}

async fn badge_png(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("This ticket".into()))?;
    let principal = match auth::cookie_value(&headers, auth::SESSION_COOKIE) {
        Some(token) => auth::principal_for_token(&state.db, &token).await?,
        None => None,
    }
    .ok_or(AppError::SignInRequired)?;
    let ticket = crate::tickets::store::ticket(&state.db, id).await?;
    if ticket.user_id != principal.user_id {
        let event = crate::agenda::store::event_context(&state.db, &ticket.event_slug).await?;
        if !principal.may_organise(event.cluster_id) {
            return Err(AppError::NotFound("This ticket".into()));
        }
    }
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

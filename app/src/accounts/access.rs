//! Who may act: the one place that turns a request into the signed-in principal and decides
//! whether that principal may act on an event or a ticket. Server functions call the async
//! functions below; plain HTTP handlers take the `SignedIn` extractor and the same checks.
//! (CSRF is not checked here but in front of every route, by `platform::web::guard`.)

use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;
use leptos::prelude::use_context;

use super::session::principal_for_request;
use super::Principal;
use crate::error::AppError;
use crate::events::{self, Event};
use crate::platform::{Db, Settings};
use crate::state::{app_state, AppState};
use std::sync::Arc;

/// The signed-in person of the current server-function call or page render, if any.
pub async fn principal() -> Result<Option<Principal>, AppError> {
    let Some(parts) = use_context::<Parts>() else { return Ok(None) };
    let state = app_state()?;
    let principal = principal_for_request(&state.db, &parts.headers, state.settings.secure_cookies).await?;
    record(principal.as_ref());
    Ok(principal)
}

/// Names the principal in the request's log span (its user id, never a token or an address).
fn record(principal: Option<&Principal>) {
    if let Some(principal) = principal {
        tracing::Span::current().record("principal", principal.user_id);
    }
}

/// The signed-in person, or `SignInRequired`.
pub async fn signed_in() -> Result<Principal, AppError> {
    principal().await?.ok_or(AppError::SignInRequired)
}

/// Extractor for plain handlers: the signed-in person, or a 401 `SignInRequired` answer.
pub struct SignedIn(pub Principal);

impl<S> FromRequestParts<S> for SignedIn
where
    Db: FromRef<S>,
    Arc<Settings>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let db = Db::from_ref(state);
        let secure = Arc::<Settings>::from_ref(state).secure_cookies;
        let principal = principal_for_request(&db, &parts.headers, secure).await?;
        record(principal.as_ref());
        principal.map(SignedIn).ok_or(AppError::SignInRequired)
    }
}

/// The event, when the principal may organise it (its cluster's organisers and admins).
pub async fn organiser_of(db: &Db, principal: &Principal, slug: &str) -> Result<Event, AppError> {
    let event = events::store::load(db, slug).await?;
    if !principal.may_organise(event.cluster_id) {
        return Err(AppError::Forbidden);
    }
    Ok(event)
}

/// The event, when the principal may scan badges at its doors.
pub async fn scanner_of(db: &Db, principal: &Principal, slug: &str) -> Result<Event, AppError> {
    let event = events::store::load(db, slug).await?;
    if !principal.may_scan(event.id, event.cluster_id) {
        return Err(AppError::Forbidden);
    }
    Ok(event)
}

/// Whether the principal may see something a person holds at an event (a ticket, a badge): its
/// holder and the event's organisers may. Anyone else is told it does not exist, so ids cannot
/// be probed.
pub fn holder_or_organiser(principal: &Principal, holder_id: i64, event: &Event, what: &str) -> Result<(), AppError> {
    if holder_id == principal.user_id || principal.may_organise(event.cluster_id) {
        Ok(())
    } else {
        Err(AppError::NotFound(what.to_string()))
    }
}

/// For organiser server functions: the application state and the event, when the signed-in
/// person may organise it.
pub async fn organiser(slug: &str) -> Result<(AppState, Event), AppError> {
    let principal = signed_in().await?;
    let state = app_state()?;
    let event = organiser_of(&state.db, &principal, slug).await?;
    Ok((state, event))
}

/// For door server functions: the application state, the person and the event, when the
/// signed-in person may scan at it.
pub async fn scanner(slug: &str) -> Result<(AppState, Principal, Event), AppError> {
    let principal = signed_in().await?;
    let state = app_state()?;
    let event = scanner_of(&state.db, &principal, slug).await?;
    Ok((state, principal, event))
}

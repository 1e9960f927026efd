//! The composition root: what every request handler and server function can reach. It sits
//! at the top of the crate because it holds parts of several capabilities.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;

use crate::error::AppError;
use crate::platform::{error::internal, Db, Settings};

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub settings: Arc<Settings>,
    /// Rendered agenda data per event, checked against the event's agenda version.
    pub agendas: Arc<crate::agenda::store::AgendaCache>,
    /// The partnership's clusters, read once (see `ClusterList`).
    pub clusters: Arc<crate::events::store::ClusterList>,
    /// The events' badge signing keys, cached (every scan needs one).
    pub badge_keys: Arc<crate::badges::keys::BadgeKeys>,
    /// The one writer of check-ins, committing the scans waiting at a moment together.
    pub checkins: Arc<crate::checkin::writer::CheckinWriter>,
    /// Stripe, when configured; without it paid tickets are shown as unavailable.
    pub payments: Option<Arc<crate::payments::Payments>>,
    /// Per-client allowances for account forms and voucher codes.
    pub limits: Arc<crate::platform::limits::RateLimits>,
}

/// The application state inside a server function or a page rendered on the server.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| internal("state", "AppState missing from context"))
}

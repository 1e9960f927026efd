//! What every request handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;

use super::Db;
use crate::error::AppError;

/// Settings the application reads at run time (the server binary builds them from its
/// configuration). No secrets here: this is cloned into every request.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The address people use to reach the site, without a trailing slash; links in mail use it.
    pub public_url: String,
    /// Mark cookies `Secure` (on when the public URL is https).
    pub secure_cookies: bool,
}

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub settings: Arc<Settings>,
    /// Rendered agenda data per event, checked against the event's agenda version.
    pub agendas: Arc<crate::agenda::store::AgendaCache>,
    /// The events' badge signing keys, cached (every scan needs one).
    pub badge_keys: Arc<crate::badges::keys::BadgeKeys>,
    /// Stripe, when configured; without it paid tickets are shown as unavailable.
    pub payments: Option<Arc<crate::payments::Payments>>,
}

/// The application state inside a server function or a page rendered on the server.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| super::error::internal("state", "AppState missing from context"))
}

//! The door staff's scanning station of one event. Scanners reach only the event they were
//! given; its organisers and partnership admins may scan too.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::await_view;
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScannerStation {
    pub slug: String,
    pub title: String,
}

#[server(endpoint = "scanner_station")]
pub async fn open_scanner_station(slug: String) -> Result<ScannerStation, AppError> {
    use crate::backend::{auth, error::reply, state::app_state};
    use crate::events::store as events;
    reply(
        async move {
            let principal = auth::require_principal().await?;
            let state = app_state()?;
            let scope = events::event_scope(&state.db, &slug).await?;
            if !principal.may_scan(scope.event_id, scope.cluster_id) {
                return Err(AppError::Forbidden);
            }
            let title = events::event_title(&state.db, &slug).await?;
            Ok(ScannerStation { slug, title })
        }
        .await,
    )
}

/// `/scan/{slug}`
#[component]
pub fn ScannerPage() -> impl IntoView {
    let params = use_params_map();
    let station = Resource::new(move || params.read().get("slug").unwrap_or_default(), open_scanner_station);
    await_view!(station, |station| view! {
        <Title text=format!("Scan: {}", station.title) />
        <section class="scanner">
            <p class="eyebrow">"Badge scanning"</p>
            <h1>{station.title.clone()}</h1>
            <p class="alert">"Badge check-in opens on this page once tickets and check-in lists exist for the event."</p>
        </section>
    })
}

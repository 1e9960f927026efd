//! Door check-in: check-in lists per event (entrance, session rooms, the B2B area; single or
//! multiple entry; which ticket types they admit), the scanner page `/scan/{slug}` with offline
//! scanning, the device API under `/api/v1/events/{slug}/checkin-lists`, and live counts for
//! organisers (`/organise/{slug}/checkin`).

pub mod camera;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod http;
mod organiser;
pub mod rules;
mod scanner;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod writer;

pub use organiser::*;
pub use scanner::*;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use rules::{OfflineBundle, ScanOutcome};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListSummary {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub multi_entry: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScannerStation {
    pub slug: String,
    pub title: String,
    pub lists: Vec<ListSummary>,
    /// Who is scanning, for the device name check-ins are recorded with.
    pub scanner: String,
}

#[cfg(feature = "ssr")]
mod server {
    use crate::accounts::Principal;

    /// "Door A (Jonas Becker)": the station's name and the person, as the check-in records it.
    pub fn device_label(station: &str, principal: &Principal) -> String {
        let station: String = station.trim().chars().filter(|c| !c.is_control()).take(40).collect();
        if station.is_empty() {
            format!("Web scanner ({})", principal.display_name)
        } else {
            format!("{station} ({})", principal.display_name)
        }
    }
}

#[server(endpoint = "scanner_station", input = leptos::server_fn::codec::GetUrl)]
pub async fn open_scanner_station(slug: String) -> Result<ScannerStation, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, principal, event) = crate::accounts::access::scanner(&slug).await?;
            let lists = store::lists(&state.db, event.id)
                .await?
                .into_iter()
                .map(|list| ListSummary {
                    id: list.row.id,
                    name: list.row.name,
                    kind: list.row.kind,
                    multi_entry: list.row.multi_entry,
                })
                .collect();
            Ok(ScannerStation { slug, title: event.title, lists, scanner: principal.display_name })
        }
        .await,
    )
}

/// The list's offline data for the scanner page: all of it, or the changes since the version
/// the device holds (`since`).
#[server(endpoint = "scanner_offline_bundle", input = leptos::server_fn::codec::GetUrl)]
pub async fn fetch_offline_bundle(slug: String, list: i64, since: Option<i64>) -> Result<OfflineBundle, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event) = crate::accounts::access::scanner(&slug).await?;
            let event_id = event.id;
            let list = store::scan_list(&state.db, event_id, list).await?;
            store::offline_bundle(&state, &list, since).await
        }
        .await,
    )
}

/// One scan from the scanner page: a scanned `code`, or a `ticket` picked by name search.
#[server(endpoint = "scan_badge")]
pub async fn scan_badge(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    list: i64,
    code: String,
    ticket: Option<i64>,
    key: String,
    direction: String,
    station: String,
    scanned_at: Option<i64>,
    offline: bool,
) -> Result<ScanOutcome, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, principal, event) = crate::accounts::access::scanner(&slug).await?;
            let event_id = event.id;
            let list = store::scan_list(&state.db, event_id, list).await?;
            let code = Some(code).filter(|c| !c.trim().is_empty());
            let scan = store::Scan::parse(code, ticket, &key, &direction, scanned_at, offline)?;
            store::redeem(&state, &list, &scan, &server::device_label(&station, &principal), None).await
        }
        .await,
    )
}

#[server(endpoint = "undo_checkin")]
pub async fn undo_checkin(#[server(rename = "csrf")] _csrf: String, slug: String, id: i64) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event) = crate::accounts::access::scanner(&slug).await?;
            let event_id = event.id;
            store::undo(&state.db, event_id, id).await
        }
        .await,
    )
}

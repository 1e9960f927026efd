//! The EventXchange series: the four regional events and their public pages.

#[cfg(feature = "ssr")]
pub mod demo;
mod pages;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod when;

pub use pages::{EventPage, SeriesPage};

/// "Germany" for "DE": the partnership's countries and their neighbours by name, any other
/// code as it is.
pub fn country_name(code: &str) -> &str {
    match code {
        "DE" => "Germany",
        "BE" => "Belgium",
        "DK" => "Denmark",
        "EE" => "Estonia",
        "NL" => "the Netherlands",
        "FR" => "France",
        "SE" => "Sweden",
        "FI" => "Finland",
        other => other,
    }
}
#[cfg(feature = "ssr")]
pub use store::Event;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The themes the series draws from (DESIGN §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    Digitalisation,
    Biomarkers,
    CompanionDiagnostics,
    MicroNanoElectronics,
    Multiomics,
}

impl Theme {
    pub const ALL: [Theme; 5] = [
        Theme::Digitalisation,
        Theme::Biomarkers,
        Theme::CompanionDiagnostics,
        Theme::MicroNanoElectronics,
        Theme::Multiomics,
    ];

    /// The code stored in the database and used in addresses.
    pub fn code(self) -> &'static str {
        match self {
            Theme::Digitalisation => "digitalisation",
            Theme::Biomarkers => "biomarkers",
            Theme::CompanionDiagnostics => "companion-diagnostics",
            Theme::MicroNanoElectronics => "micro-nano-electronics",
            Theme::Multiomics => "multiomics",
        }
    }

    pub fn parse(code: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::Digitalisation => "Digitalisation",
            Theme::Biomarkers => "Clinically useful biomarkers",
            Theme::CompanionDiagnostics => "Companion diagnostics",
            Theme::MicroNanoElectronics => "Micro- and nanoelectronics",
            Theme::Multiomics => "Multiomics",
        }
    }
}

/// One event as the series page lists it. Dates are formatted on the server, in the event's
/// own time zone, so the browser needs no time-zone database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventCard {
    pub slug: String,
    pub title: String,
    pub theme: Theme,
    pub summary: String,
    pub city: String,
    pub country: String,
    pub cluster_name: String,
    /// e.g. "16–17 March 2027"
    pub dates: String,
    pub starts_at: i64,
}

/// One event in full.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventDetail {
    pub card: EventCard,
    pub description: String,
    pub venue_name: String,
    pub venue_address: String,
    /// e.g. "Tuesday 16 March 2027, 09:00 CET – Wednesday 17 March 2027, 17:30 CET"
    pub schedule: String,
    /// IANA zone, e.g. "Europe/Berlin"
    pub time_zone: String,
    pub languages: Vec<String>,
    pub map_link: String,
    /// The programme at a glance: number of sessions and speakers, and the tracks.
    pub programme: Programme,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Programme {
    pub sessions: usize,
    pub speakers: usize,
    pub tracks: Vec<String>,
}

#[server(endpoint = "list_events", input = leptos::server_fn::codec::GetUrl)]
pub async fn list_events() -> Result<Vec<EventCard>, AppError> {
    let state = crate::state::app_state()?;
    store::event_cards(&state.db).await
}

#[server(endpoint = "event_detail", input = leptos::server_fn::codec::GetUrl)]
pub async fn fetch_event(slug: String) -> Result<EventDetail, AppError> {
    let state = crate::state::app_state()?;
    crate::platform::error::reply(
        async {
            let mut detail = store::event_detail(&state.db, &slug).await?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            let sessions = crate::agenda::store::sessions_cached(&state.db, &state.agendas, &event).await?;
            let mut tracks: Vec<String> = sessions.iter().filter_map(|s| s.card.track.clone()).collect();
            tracks.sort();
            tracks.dedup();
            let mut speakers: Vec<i64> = sessions.iter().flat_map(|s| s.card.speakers.iter().map(|sp| sp.id)).collect();
            speakers.sort_unstable();
            speakers.dedup();
            detail.programme = Programme { sessions: sessions.len(), speakers: speakers.len(), tracks };
            Ok(detail)
        }
        .await,
    )
}

// Stored as their text codes (see `platform::db::stored_as_text`).
#[cfg(feature = "ssr")]
crate::stored_as_text!(Theme);

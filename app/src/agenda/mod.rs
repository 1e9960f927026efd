//! Agendas: sessions with tracks, rooms and speakers; the public agenda, session and speaker
//! pages; each attendee's personal agenda; and the organiser's editor.

#[cfg(feature = "ssr")]
pub mod csv_io;
#[cfg(feature = "ssr")]
pub mod demo;
// Server functions take one argument per field of their form (plain form posts need that).
#[allow(clippy::too_many_arguments)]
mod editor;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod page_cache;
mod pages;
#[cfg(feature = "ssr")]
pub mod photos;
#[cfg(feature = "ssr")]
pub mod rules;
#[cfg(feature = "ssr")]
pub mod store;

pub use editor::AgendaEditorPage;
pub use pages::{AgendaPage, MyAgenda, SessionPage, SpeakerPage};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::events::Theme;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeakerRef {
    pub id: i64,
    pub name: String,
    pub organisation: String,
}

/// One session as lists show it. Times are formatted on the server in the event's zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionCard {
    pub id: i64,
    pub title: String,
    pub track: Option<String>,
    pub room: Option<String>,
    pub theme: Option<Theme>,
    pub speakers: Vec<SpeakerRef>,
    /// `2027-03-16`, in the event's zone
    pub day: String,
    /// `Tuesday 16 March`
    pub day_label: String,
    /// `14:00–15:30 CET`
    pub times: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: Option<i64>,
    pub seats_taken: i64,
}

impl SessionCard {
    pub fn is_full(&self) -> bool {
        self.capacity.is_some_and(|c| self.seats_taken >= c)
    }
}

/// What the agenda page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgendaView {
    pub slug: String,
    pub title: String,
    pub time_zone: String,
    /// (day, label) of every day with sessions
    pub days: Vec<(String, String)>,
    pub tracks: Vec<String>,
    pub themes: Vec<Theme>,
    pub sessions: Vec<SessionCard>,
    /// Sessions in the signed-in person's agenda.
    pub mine: Vec<i64>,
    pub signed_in: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionDetail {
    pub slug: String,
    pub event_title: String,
    pub time_zone: String,
    pub card: SessionCard,
    pub abstract_text: String,
    pub speakers: Vec<SpeakerProfile>,
    pub in_my_agenda: bool,
    pub signed_in: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeakerProfile {
    pub id: i64,
    pub name: String,
    pub organisation: String,
    pub bio: String,
    pub has_photo: bool,
}

#[cfg(feature = "ssr")]
impl From<store::SpeakerRow> for SpeakerProfile {
    fn from(row: store::SpeakerRow) -> Self {
        SpeakerProfile {
            id: row.id,
            name: row.name,
            organisation: row.organisation,
            bio: row.bio,
            has_photo: row.has_photo,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeakerDetail {
    pub slug: String,
    pub event_title: String,
    pub speaker: SpeakerProfile,
    pub sessions: Vec<SessionCard>,
}

/// One event's part of a person's agenda.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonalAgenda {
    pub slug: String,
    pub event_title: String,
    pub sessions: Vec<SessionCard>,
    /// Sessions that overlap another chosen one.
    pub clashing: Vec<i64>,
}

#[server(endpoint = "agenda", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_agenda(slug: String) -> Result<AgendaView, AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let state = app_state()?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            let sessions: Vec<SessionCard> = store::sessions_cached(&state.db, &state.agendas, &event)
                .await?
                .iter()
                .map(|s| s.card.clone())
                .collect();
            let principal = crate::accounts::access::principal().await?;
            let mine = match &principal {
                Some(p) => store::personal_agenda_ids(&state.db, p.user_id, event.id).await?,
                None => Vec::new(),
            };
            let mut days: Vec<(String, String)> = Vec::new();
            let mut tracks: Vec<String> = Vec::new();
            let mut themes: Vec<Theme> = Vec::new();
            for s in &sessions {
                if !days.iter().any(|(d, _)| *d == s.day) {
                    days.push((s.day.clone(), s.day_label.clone()));
                }
                if let Some(t) = s.track.as_ref().filter(|t| !tracks.contains(t)) {
                    tracks.push(t.clone());
                }
                if let Some(t) = s.theme.filter(|t| !themes.contains(t)) {
                    themes.push(t);
                }
            }
            tracks.sort();
            Ok(AgendaView {
                slug: event.slug,
                title: event.title,
                time_zone: event.window.zone.iana_name().unwrap_or_default().to_string(),
                days,
                tracks,
                themes,
                sessions,
                mine,
                signed_in: principal.is_some(),
            })
        }
        .await,
    )
}

#[server(endpoint = "agenda_session", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_session(slug: String, id: i64) -> Result<SessionDetail, AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let state = app_state()?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            let session = store::session(&state.db, &event, id).await?;
            let mut speakers = Vec::new();
            for s in &session.card.speakers {
                let row = store::speaker(&state.db, event.id, s.id).await?;
                speakers.push(row.into());
            }
            let principal = crate::accounts::access::principal().await?;
            let in_my_agenda = match &principal {
                Some(p) => store::personal_agenda_ids(&state.db, p.user_id, event.id).await?.contains(&id),
                None => false,
            };
            Ok(SessionDetail {
                slug: event.slug,
                event_title: event.title,
                time_zone: event.window.zone.iana_name().unwrap_or_default().to_string(),
                card: session.card,
                abstract_text: session.abstract_text,
                speakers,
                in_my_agenda,
                signed_in: principal.is_some(),
            })
        }
        .await,
    )
}

#[server(endpoint = "agenda_speaker", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_speaker(slug: String, id: i64) -> Result<SpeakerDetail, AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let state = app_state()?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            let row = store::speaker(&state.db, event.id, id).await?;
            let sessions = store::sessions_cached(&state.db, &state.agendas, &event)
                .await?
                .iter()
                .map(|s| s.card.clone())
                .filter(|c| c.speakers.iter().any(|s| s.id == id))
                .collect();
            Ok(SpeakerDetail { slug: event.slug, event_title: event.title, speaker: row.into(), sessions })
        }
        .await,
    )
}

/// Adds a session to the signed-in person's agenda (or removes it, with `remove=true`).
#[server(endpoint = "personal_agenda")]
pub async fn change_personal_agenda(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    session_id: i64,
    remove: bool,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = app_state()?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            if remove {
                store::remove_from_personal_agenda(&state.db, principal.user_id, session_id).await
            } else {
                store::add_to_personal_agenda(&state.db, principal.user_id, &event, session_id).await
            }
        }
        .await,
    )
}

#[server(endpoint = "my_agenda", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_my_agenda() -> Result<Vec<PersonalAgenda>, AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = app_state()?;
            let mut result = Vec::new();
            for slug in store::events_in_personal_agenda(&state.db, principal.user_id).await? {
                let event = crate::events::store::load(&state.db, &slug).await?;
                let mine = store::personal_agenda_ids(&state.db, principal.user_id, event.id).await?;
                let sessions: Vec<SessionCard> = store::sessions_cached(&state.db, &state.agendas, &event)
                    .await?
                    .iter()
                    .map(|s| s.card.clone())
                    .filter(|c| mine.contains(&c.id))
                    .collect();
                let spans: Vec<(i64, i64, i64)> = sessions.iter().map(|c| (c.id, c.starts_at, c.ends_at)).collect();
                result.push(PersonalAgenda {
                    slug: event.slug,
                    event_title: event.title,
                    clashing: rules::overlapping(&spans),
                    sessions,
                });
            }
            Ok(result)
        }
        .await,
    )
}

//! The calendar files people download or receive: an event, a session of its agenda, and a B2B
//! meeting's invitation. They
//! live here, beside the writer, so that every capability (tickets attach the event's file to
//! confirmations; the agenda offers session files) reaches them in one place.

use axum::{
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use super::{calendar, publish, CalendarEntry, EntryStatus, Method, Person};
use crate::error::AppError;
use crate::events::{self, Event};
use crate::platform::now;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/events/{slug}/calendar.ics", get(event_calendar))
}

/// A calendar file as a download named `{name}.ics`.
pub fn download(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.ics\"")),
        ],
        body,
    )
        .into_response()
}

async fn event_calendar(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, AppError> {
    let event = events::store::load(&state.db, &slug).await?;
    Ok(download(&slug, event_ics(&state.settings.public_url, &event)))
}

/// The event as a calendar file: the download, and the attachment of ticket confirmations.
/// Made from the loaded event alone, so a registration that has it reads nothing more.
pub fn event_ics(public_url: &str, event: &Event) -> String {
    let slug = &event.slug;
    let url = format!("{public_url}/events/{slug}");
    let entry = CalendarEntry {
        uid: format!("event-{slug}@eventxchange.celis"),
        starts_at: event.window.starts_at,
        ends_at: event.window.ends_at,
        summary: event.title.clone(),
        description: format!("{}\n\nProgramme: {url}/agenda", event.summary),
        location: format!("{}, {}", event.venue_name, event.venue_address),
        url,
        sequence: 0,
        stamped_at: now(),
        ..CalendarEntry::default()
    };
    publish(&event.title, &[entry])
}

/// What a session's calendar entry is made of (the agenda supplies it).
pub struct SessionFacts<'a> {
    pub id: i64,
    pub title: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub room: Option<&'a str>,
    /// "Name (Organisation)" per speaker.
    pub speakers: Vec<String>,
    pub abstract_text: &'a str,
    /// Bumped by each change of the session, so calendars update their copy.
    pub revision: i64,
}

/// One agenda session as a calendar file.
pub fn session_ics(public_url: &str, event: &Event, session: &SessionFacts<'_>) -> String {
    publish(&event.title, &[session_entry(public_url, &event.slug, &event.venue_name, session, now())])
}

/// One agenda session as a calendar entry, stamped `stamped_at`.
pub fn session_entry(
    public_url: &str,
    event_slug: &str,
    venue_name: &str,
    session: &SessionFacts<'_>,
    stamped_at: i64,
) -> CalendarEntry {
    let url = format!("{public_url}/events/{event_slug}/sessions/{}", session.id);
    let mut description = session.abstract_text.to_string();
    if !session.speakers.is_empty() {
        description = format!("Speakers: {}\n\n{description}", session.speakers.join(", "));
    }
    let location = match session.room {
        Some(room) => format!("{room}, {venue_name}"),
        None => venue_name.to_string(),
    };
    CalendarEntry {
        uid: format!("session-{}@eventxchange.celis", session.id),
        starts_at: session.starts_at,
        ends_at: session.ends_at,
        summary: session.title.to_string(),
        description,
        location,
        url,
        sequence: u32::try_from(session.revision).unwrap_or(0),
        stamped_at,
        ..CalendarEntry::default()
    }
}

/// One of the two people of a meeting.
pub struct MeetingPerson<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub organisation: &'a str,
}

/// What a B2B meeting's calendar entry is made of (matchmaking supplies it).
pub struct MeetingFacts<'a> {
    pub id: i64,
    /// Bumped by every change of slot or table, and by the cancellation.
    pub sequence: i64,
    pub cancelled: bool,
    pub starts_at: i64,
    pub ends_at: i64,
    /// The last change (DTSTAMP), so that an unchanged meeting gives the same file.
    pub changed_at: i64,
    /// "Table 3 (B2B area)"
    pub table: Option<String>,
    pub event_slug: &'a str,
    pub event_title: &'a str,
    pub venue_name: &'a str,
    pub people: [MeetingPerson<'a>; 2],
}

/// A meeting as a calendar entry, as `viewer` (0 or 1 of `people`) sees it, or as organisers
/// see it (`None`). One UID per meeting, whoever looks.
pub fn meeting_entry(
    public_url: &str,
    sender: &Person,
    meeting: &MeetingFacts<'_>,
    viewer: Option<usize>,
) -> CalendarEntry {
    let [first, second] = &meeting.people;
    let (summary, description) = match viewer {
        Some(me) => {
            let partner = &meeting.people[1 - me.min(1)];
            (
                format!("B2B meeting with {} ({})", partner.name, partner.organisation),
                format!(
                    "Your B2B meeting at {} with {} of {}.",
                    meeting.event_title, partner.name, partner.organisation
                ),
            )
        }
        None => (
            format!("B2B meeting: {} & {}", first.name, second.name),
            format!(
                "B2B meeting at {}: {} ({}) and {} ({}).",
                meeting.event_title, first.name, first.organisation, second.name, second.organisation
            ),
        ),
    };
    let url = format!("{public_url}/events/{}/meetings", meeting.event_slug);
    CalendarEntry {
        uid: format!("meeting-{}@eventxchange.celis", meeting.id),
        starts_at: meeting.starts_at,
        ends_at: meeting.ends_at,
        summary,
        description: format!("{description}\n\nThe meeting: {url}"),
        location: match &meeting.table {
            Some(table) => format!("{table}, {}", meeting.venue_name),
            None => meeting.venue_name.to_string(),
        },
        url,
        sequence: u32::try_from(meeting.sequence).unwrap_or(0),
        stamped_at: meeting.changed_at,
        status: if meeting.cancelled { EntryStatus::Cancelled } else { EntryStatus::Confirmed },
        organizer: Some(sender.clone()),
        attendees: meeting
            .people
            .iter()
            .map(|p| Person { name: p.name.to_string(), email: p.email.to_string() })
            .collect(),
    }
}

/// The invitation file of a meeting: `METHOD:REQUEST` while it is agreed (also after a move:
/// same UID, higher SEQUENCE), `METHOD:CANCEL` once it is cancelled.
pub fn meeting_invitation(
    public_url: &str,
    sender: &Person,
    meeting: &MeetingFacts<'_>,
    viewer: Option<usize>,
) -> (Method, String) {
    let method = if meeting.cancelled { Method::Cancel } else { Method::Request };
    (method, calendar(method, meeting.event_title, &[meeting_entry(public_url, sender, meeting, viewer)]))
}

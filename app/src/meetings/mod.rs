//! B2B matchmaking: the participant directory, meeting requests in fixed slots at numbered
//! tables (never double-booked), suggestions of whom to meet, the proof that a meeting was
//! held, and the organisers' set-up of the session.

// Server functions take one argument per field of their form (plain form posts need that).
#![allow(clippy::too_many_arguments)]

#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod http;
mod pages;
#[cfg(feature = "ssr")]
pub mod rules;
#[cfg(feature = "ssr")]
pub mod store;

pub use pages::{AccountDirectory, B2bSetupPage, MeetingsDeskPage, MeetingsPage, ParticipantPage, ParticipantsPage};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::events::Theme;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MeetingStatus {
    /// Waiting for an answer (from the recipient, or from the requester after a proposal).
    Requested,
    Accepted,
    Declined,
    Cancelled,
    /// Not answered before the request deadline.
    Expired,
}

impl MeetingStatus {
    pub fn code(self) -> &'static str {
        match self {
            MeetingStatus::Requested => "requested",
            MeetingStatus::Accepted => "accepted",
            MeetingStatus::Declined => "declined",
            MeetingStatus::Cancelled => "cancelled",
            MeetingStatus::Expired => "expired",
        }
    }

    pub fn parse(code: &str) -> Option<MeetingStatus> {
        [
            MeetingStatus::Requested,
            MeetingStatus::Accepted,
            MeetingStatus::Declined,
            MeetingStatus::Cancelled,
            MeetingStatus::Expired,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            MeetingStatus::Requested => "Requested",
            MeetingStatus::Accepted => "Accepted",
            MeetingStatus::Declined => "Declined",
            MeetingStatus::Cancelled => "Cancelled",
            MeetingStatus::Expired => "Expired",
        }
    }
}

/// The set-up form's fields, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridForm {
    pub slot_minutes: String,
    /// One window per line: `2027-03-16 14:00-17:30`.
    pub windows: String,
    /// One line per table or run of tables: `1-12 Hall B`, `13 Terrace`.
    pub tables: String,
    pub max_meetings: String,
    pub max_pending: String,
    /// `2027-03-16 12:00`
    pub request_deadline: String,
}

/// A participant as the directory lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParticipantCard {
    pub ticket_id: i64,
    pub name: String,
    pub organisation: String,
    pub kind: String,
    pub kind_code: String,
    pub cluster: Option<String>,
    pub cluster_code: Option<String>,
    pub country: String,
    pub themes: Vec<Theme>,
    pub offers: String,
    pub seeks: String,
}

/// The other person of a meeting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartnerRef {
    pub ticket_id: i64,
    pub name: String,
    pub organisation: String,
    pub cluster: Option<String>,
    pub country: String,
}

/// One meeting as its participants see it; times in the event's zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeetingCard {
    pub id: i64,
    pub status: MeetingStatus,
    pub partner: PartnerRef,
    /// "Tuesday 16 March, 14:00–14:20 CET"
    pub when: String,
    pub starts_at: i64,
    pub table: Option<String>,
    pub message: String,
    pub reason: String,
    pub i_requested: bool,
    /// A request that waits for this person's answer.
    pub awaiting_me: bool,
    pub held_confirmed: bool,
    /// Confirmed at the table, both people checked in at the event, and no undecided no-show
    /// report against it.
    pub verified_held: bool,
    /// Confirmed at the table and reported as missed: the organisers decide.
    pub disputed: bool,
    pub no_show_reported: bool,
    pub may_confirm_held: bool,
}

/// A slot one can choose, with a warning when a chosen agenda session overlaps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlotChoice {
    pub id: i64,
    pub label: String,
    pub warning: Option<String>,
}

/// Someone to meet, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuggestionCard {
    pub participant: ParticipantCard,
    pub reasons: Vec<String>,
}

/// `/events/{slug}/participants`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectoryView {
    pub slug: String,
    pub title: String,
    pub participants: Vec<ParticipantCard>,
    /// Listed before the filters were applied.
    pub total: usize,
    /// Filter choices: (code, label).
    pub clusters: Vec<(String, String)>,
    pub countries: Vec<String>,
    pub kinds: Vec<(String, String)>,
    /// The viewer's own ticket, when they have one (to tell them apart in the list).
    pub my_ticket: Option<i64>,
}

/// `/events/{slug}/participants/{id}`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParticipantView {
    pub slug: String,
    pub title: String,
    pub participant: ParticipantCard,
    pub is_me: bool,
    /// Why a request cannot be made now, if it cannot.
    pub closed: Option<String>,
    /// Slots in which both are free.
    pub common_slots: Vec<SlotChoice>,
    /// A request or meeting the two have already.
    pub existing: Option<MeetingCard>,
    pub reasons: Vec<String>,
}

/// `/events/{slug}/meetings`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeetingsView {
    pub slug: String,
    pub title: String,
    pub meetings: Vec<MeetingCard>,
    pub suggestions: Vec<SuggestionCard>,
    /// The viewer's free slots, to propose another time.
    pub free_slots: Vec<SlotChoice>,
    /// Slots the viewer keeps free of meetings.
    pub blocked_slots: Vec<SlotChoice>,
    pub deadline: String,
    pub max_meetings: i64,
    pub listed: bool,
}

/// `/organise/{slug}/b2b`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct B2bOverview {
    pub slug: String,
    pub title: String,
    pub form: GridForm,
    pub configured: bool,
    /// (label, count)
    pub counts: Vec<(String, i64)>,
    /// Slot labels, table numbers, and who meets whom: (slot index, table index, names).
    pub slots: Vec<String>,
    pub tables: Vec<i64>,
    pub meetings: Vec<(usize, usize, String)>,
    /// Agreed and held meetings per pair of clusters: (cluster, cluster, agreed, held).
    pub cluster_pairs: Vec<(String, String, i64, i64)>,
}

/// An agreed meeting on the organisers' meetings desk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeskMeeting {
    pub id: i64,
    pub slot_id: i64,
    pub table_id: Option<i64>,
    /// "Tuesday 16 March, 14:00–14:20 CET · Table 3"
    pub place: String,
    pub people: String,
    /// Confirmed at the table: moving it is no longer possible.
    pub held: bool,
    /// "Confirmed by Anna Berg at 14:05; reported as missed by Bram Claes at 14:30"
    pub dispute: Option<String>,
    /// The organisers' decision, once made.
    pub decision: Option<String>,
}

/// `/organise/{slug}/b2b/meetings`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeetingsDesk {
    pub slug: String,
    pub title: String,
    /// Ticket holders: (ticket id, "name · organisation").
    pub people: Vec<(i64, String)>,
    /// Slots that have not started: (id, label).
    pub slots: Vec<(i64, String)>,
    /// (id, "Table 3 (Hall B)")
    pub tables: Vec<(i64, String)>,
    pub agreed: Vec<DeskMeeting>,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::accounts::Principal;
    use crate::events::Event;
    use crate::meetings::store::{self, Desk, ParticipantRow, SessionRow};
    use crate::state::{app_state, AppState};

    /// The event, its session, and the signed-in person's ticket for it (required).
    pub async fn attendee(slug: &str) -> Result<(AppState, Principal, Event, SessionRow, ParticipantRow), AppError> {
        let principal = crate::accounts::access::signed_in().await?;
        let state = app_state()?;
        let event = crate::events::store::load(&state.db, slug).await?;
        let session = store::session_of(&state.db, &event).await?;
        let me = store::me(&state.db, event.id, principal.user_id).await?.ok_or_else(|| {
            AppError::invalid(
                "ticket",
                format!("B2B meetings are for ticket holders of {}; register first.", event.title),
            )
        })?;
        Ok((state, principal, event, session, me))
    }

    /// The organiser, the event and its session, for the organisers' steps on meetings.
    pub async fn organiser(slug: &str) -> Result<(AppState, Principal, Event, SessionRow), AppError> {
        let principal = crate::accounts::access::signed_in().await?;
        let state = app_state()?;
        let event = crate::accounts::access::organiser_of(&state.db, &principal, slug).await?;
        let session = store::session_of(&state.db, &event).await?;
        Ok((state, principal, event, session))
    }

    /// "Tuesday 16 March, 14:00–14:20 CET"
    pub fn slot_label(slot: (i64, i64), tz: &jiff::tz::TimeZone) -> String {
        format!("{}, {}", crate::events::when::day_label(slot.0, tz), rules::slot_times(slot, tz))
    }

    pub fn desk<'a>(state: &'a AppState, event: &'a Event, session: &'a SessionRow) -> Desk<'a> {
        Desk {
            db: &state.db,
            event,
            session,
            public_url: &state.settings.public_url,
            sender: crate::calendar::Person::sender(&state.settings),
            now: crate::platform::now(),
            notify: true,
        }
    }

    /// Slots in which both `me` and (if given) `them` are free, not started, with a warning
    /// where a session of `me`'s agenda overlaps.
    pub async fn free_slots(
        state: &AppState,
        event: &Event,
        me: &ParticipantRow,
        them: Option<&ParticipantRow>,
    ) -> Result<Vec<SlotChoice>, AppError> {
        Ok(slot_choices(state, event, me, them).await?.0)
    }

    /// The free slots (as `free_slots`), and the ones `me` keeps free of meetings, from one
    /// reading of the grid.
    pub async fn slot_choices(
        state: &AppState,
        event: &Event,
        me: &ParticipantRow,
        them: Option<&ParticipantRow>,
    ) -> Result<(Vec<SlotChoice>, Vec<SlotChoice>), AppError> {
        let now = crate::platform::now();
        let (mut busy, kept_free) = store::busy_slots(&state.db, me.ticket_id).await?;
        busy.extend(&kept_free);
        if let Some(them) = them {
            let (meetings, blocked) = store::busy_slots(&state.db, them.ticket_id).await?;
            busy.extend(meetings);
            busy.extend(blocked);
        }
        let agenda = store::agenda_times(&state.db, event.id, me.user_id).await?;
        let tz = &event.window.zone;
        let slots = store::slots(&state.db, event.id).await?;
        let choice = |s: &store::SlotRow, warning: Option<String>| SlotChoice {
            id: s.id,
            label: slot_label((s.starts_at, s.ends_at), tz),
            warning,
        };
        let free = slots
            .iter()
            .filter(|s| s.starts_at > now && !busy.contains(&s.id))
            .map(|s| {
                let overlap = agenda
                    .iter()
                    .find(|(start, end, _)| *start < s.ends_at && s.starts_at < *end)
                    .map(|(_, _, title)| format!("overlaps “{title}” in your agenda"));
                choice(s, overlap)
            })
            .collect();
        let blocked = slots.iter().filter(|s| kept_free.contains(&s.id)).map(|s| choice(s, None)).collect();
        Ok((free, blocked))
    }
}

/// The directory, filtered by the query's `cluster`, `country`, `theme`, `kind` and `q`.
#[server(endpoint = "b2b_directory", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_directory(
    slug: String,
    cluster: Option<String>,
    country: Option<String>,
    theme: Option<String>,
    kind: Option<String>,
    q: Option<String>,
) -> Result<DirectoryView, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            let me = store::me(&state.db, event.id, principal.user_id).await?;
            if me.is_none() && !principal.may_organise(event.cluster_id) {
                return Err(AppError::invalid(
                    "ticket",
                    format!("The participant directory is for ticket holders of {}; register first.", event.title),
                ));
            }
            let everyone = store::directory(&state.db, event.id).await?;
            let mut clusters: Vec<(String, String)> =
                everyone.iter().filter_map(|p| Some((p.cluster_code.clone()?, p.cluster_name.clone()?))).collect();
            clusters.sort();
            clusters.dedup();
            let mut countries: Vec<String> = everyone.iter().map(|p| p.country.clone()).collect();
            countries.sort();
            countries.dedup();
            let kinds = crate::tickets::rules::OrganisationType::ALL
                .iter()
                .map(|k| (k.code().to_string(), k.label().to_string()))
                .collect();
            let wanted = |value: &Option<String>| {
                value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_lowercase)
            };
            let (cluster, country, theme, kind, q) =
                (wanted(&cluster), wanted(&country), wanted(&theme), wanted(&kind), wanted(&q));
            let total = everyone.len();
            let participants = everyone
                .iter()
                .filter(|p| {
                    cluster
                        .as_ref()
                        .is_none_or(|c| p.cluster_code.as_deref().map(str::to_lowercase).as_ref() == Some(c))
                })
                .filter(|p| country.as_ref().is_none_or(|c| p.country.to_lowercase() == *c))
                .filter(|p| theme.as_ref().is_none_or(|t| p.themes().iter().any(|own| own.code() == t)))
                .filter(|p| kind.as_ref().is_none_or(|k| p.organisation_type.to_lowercase() == *k))
                .filter(|p| {
                    q.as_ref().is_none_or(|q| {
                        [&p.attendee_name, &p.organisation, &p.offers, &p.seeks]
                            .iter()
                            .any(|f| f.to_lowercase().contains(q))
                    })
                })
                .map(|p| p.card())
                .collect();
            Ok(DirectoryView {
                slug: event.slug,
                title: event.title,
                participants,
                total,
                clusters,
                countries,
                kinds,
                my_ticket: me.map(|m| m.ticket_id),
            })
        }
        .await,
    )
}

#[server(endpoint = "b2b_participant", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_participant(slug: String, id: i64) -> Result<ParticipantView, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event, session, me) = server::attendee(&slug).await?;
            let them = store::participant(&state.db, event.id, id)
                .await?
                .filter(|p| p.directory_consent || p.ticket_id == me.ticket_id)
                .ok_or_else(|| AppError::NotFound("This participant".into()))?;
            let desk = server::desk(&state, &event, &session);
            let existing = desk.meetings_of(&me).await?.into_iter().find(|m| {
                m.partner.ticket_id == them.ticket_id
                    && matches!(m.status, MeetingStatus::Requested | MeetingStatus::Accepted)
            });
            let closed = (crate::platform::now() > session.request_deadline).then(|| {
                format!(
                    "Meeting requests closed on {}.",
                    crate::events::when::day_and_time(session.request_deadline, &event.window.zone)
                )
            });
            let common_slots = server::free_slots(&state, &event, &me, Some(&them)).await?;
            let reasons =
                rules::suggest(&me.match_profile(), &them.match_profile()).map(|s| s.reasons).unwrap_or_default();
            Ok(ParticipantView {
                slug: event.slug.clone(),
                title: event.title.clone(),
                is_me: them.ticket_id == me.ticket_id,
                participant: them.card(),
                closed,
                common_slots,
                existing,
                reasons,
            })
        }
        .await,
    )
}

/// Asks a participant for a meeting in a slot (`slot` = `first`: the first slot both have free).
#[server(endpoint = "request_meeting")]
pub async fn request_meeting(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    participant: i64,
    slot: String,
    message: Option<String>,
) -> Result<i64, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event, session, me) = server::attendee(&slug).await?;
            let them = store::participant(&state.db, event.id, participant).await?;
            let slot_id = match slot.trim() {
                "first" => {
                    let them = them.ok_or_else(|| {
                        AppError::invalid("participant", "This person is not in the participant directory.")
                    })?;
                    let common = server::free_slots(&state, &event, &me, Some(&them)).await?;
                    common.first().map(|s| s.id).ok_or_else(|| {
                        AppError::invalid(
                            "slot",
                            format!("You and {} have no free slot in common.", them.attendee_name),
                        )
                    })?
                }
                other => {
                    other.parse::<i64>().map_err(|_| AppError::invalid("slot", "Choose one of the session's slots."))?
                }
            };
            let id = server::desk(&state, &event, &session)
                .request(&me, participant, slot_id, message.as_deref().unwrap_or_default())
                .await?;
            leptos_axum::redirect(&format!("/events/{slug}/meetings"));
            Ok(id)
        }
        .await,
    )
}

/// Answers a request waiting for the signed-in person: `accept`, `decline` (with an optional
/// `reason`) or `propose` (another `slot`).
#[server(endpoint = "answer_meeting")]
pub async fn answer_meeting(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    meeting: i64,
    answer: String,
    slot: Option<i64>,
    reason: Option<String>,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event, session, me) = server::attendee(&slug).await?;
            let desk = server::desk(&state, &event, &session);
            match answer.as_str() {
                "accept" => desk.accept(meeting, &me).await,
                "decline" => desk.decline(meeting, &me, reason.as_deref().unwrap_or_default()).await,
                "propose" => {
                    let slot = slot.ok_or_else(|| AppError::invalid("slot", "Choose the slot you propose."))?;
                    desk.propose(meeting, &me, slot).await
                }
                _ => Err(AppError::invalid("answer", "Answer with accept, decline or propose.")),
            }
        }
        .await,
    )
}

#[server(endpoint = "cancel_meeting")]
pub async fn cancel_meeting(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    meeting: i64,
    reason: Option<String>,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event, session, me) = server::attendee(&slug).await?;
            server::desk(&state, &event, &session).cancel(meeting, &me, reason.as_deref().unwrap_or_default()).await
        }
        .await,
    )
}

/// At the table: the partner's badge code, scanned or typed, confirms the meeting took place.
#[server(endpoint = "confirm_meeting_held")]
pub async fn confirm_meeting_held(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    meeting: i64,
    code: String,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event, session, me) = server::attendee(&slug).await?;
            server::desk(&state, &event, &session).confirm_held(&state.badge_keys, meeting, &me, &code).await
        }
        .await,
    )
}

#[server(endpoint = "report_no_show")]
pub async fn report_no_show(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    meeting: i64,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event, session, me) = server::attendee(&slug).await?;
            server::desk(&state, &event, &session).report_no_show(meeting, &me).await
        }
        .await,
    )
}

#[server(endpoint = "my_meetings", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_meetings(slug: String) -> Result<MeetingsView, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event, session, me) = server::attendee(&slug).await?;
            let desk = server::desk(&state, &event, &session);
            let meetings = desk.meetings_of(&me).await?;
            let partners: Vec<i64> = meetings
                .iter()
                .filter(|m| matches!(m.status, MeetingStatus::Requested | MeetingStatus::Accepted))
                .map(|m| m.partner.ticket_id)
                .collect();
            let (free_slots, blocked_slots) = server::slot_choices(&state, &event, &me, None).await?;
            let mine = me.match_profile();
            let mut suggestions: Vec<(i64, SuggestionCard)> = store::directory(&state.db, event.id)
                .await?
                .into_iter()
                .filter(|p| p.ticket_id != me.ticket_id && !partners.contains(&p.ticket_id))
                .filter_map(|p| {
                    rules::suggest(&mine, &p.match_profile())
                        .map(|s| (s.score, SuggestionCard { participant: p.card(), reasons: s.reasons }))
                })
                .collect();
            suggestions.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.participant.name.cmp(&b.1.participant.name)));
            Ok(MeetingsView {
                slug: event.slug.clone(),
                title: event.title.clone(),
                meetings,
                suggestions: suggestions.into_iter().take(10).map(|(_, s)| s).collect(),
                free_slots,
                blocked_slots,
                deadline: crate::events::when::day_and_time(session.request_deadline, &event.window.zone),
                max_meetings: session.max_meetings,
                listed: me.directory_consent,
            })
        }
        .await,
    )
}

/// Keeps one of the signed-in person's slots free of meetings (`blocked`), or opens it again.
#[server(endpoint = "block_meeting_slot")]
pub async fn block_meeting_slot(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    slot: i64,
    blocked: bool,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event, _, me) = server::attendee(&slug).await?;
            if !store::slots(&state.db, event.id).await?.iter().any(|s| s.id == slot) {
                return Err(AppError::invalid("slot", "Choose one of the session's slots."));
            }
            store::block_slot(&state.db, me.ticket_id, slot, blocked).await
        }
        .await,
    )
}

/// Lists or unlists the signed-in person in the participant directories (on all their tickets).
#[server(endpoint = "directory_consent")]
pub async fn change_directory_consent(#[server(rename = "csrf")] _csrf: String, listed: bool) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            store::set_directory_consent(&state.db, principal.user_id, listed).await
        }
        .await,
    )
}

/// Whether the signed-in person is listed in the directories (`None`: they hold no ticket).
#[server(endpoint = "directory_listing", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_directory_listing() -> Result<Option<bool>, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            store::directory_listing(&state.db, principal.user_id).await
        }
        .await,
    )
}

#[server(endpoint = "b2b_overview", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_b2b_overview(slug: String) -> Result<B2bOverview, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let tz = &event.window.zone;
            let session = store::session(&state.db, event.id).await?;
            let slots = store::slots(&state.db, event.id).await?;
            let tables = store::tables(&state.db, event.id).await?;
            let minute = |at| crate::events::when::form_minute(at, tz);
            let form = match &session {
                Some(s) => GridForm {
                    slot_minutes: s.slot_minutes.to_string(),
                    windows: store::windows(&state.db, event.id)
                        .await?
                        .into_iter()
                        .map(|(start, end)| {
                            let end_clock = minute(end).split(' ').nth(1).unwrap_or_default().to_string();
                            format!("{}-{end_clock}", minute(start))
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                    tables: tables
                        .iter()
                        .map(|t| format!("{} {}", t.number, t.location).trim().to_string())
                        .collect::<Vec<_>>()
                        .join("\n"),
                    max_meetings: s.max_meetings.to_string(),
                    max_pending: s.max_pending.to_string(),
                    request_deadline: minute(s.request_deadline),
                },
                None => GridForm {
                    slot_minutes: "20".into(),
                    max_meetings: "8".into(),
                    max_pending: rules::DEFAULT_MAX_PENDING.to_string(),
                    ..GridForm::default()
                },
            };
            let counts = store::counts(&state.db, event.id).await?;
            let grid = store::grid(&state.db, event.id).await?;
            let meetings = grid
                .into_iter()
                .filter_map(|(slot, table, a, b)| {
                    let row = slots.iter().position(|s| s.id == slot)?;
                    let column = tables.iter().position(|t| t.number == table)?;
                    Some((row, column, format!("{a} & {b}")))
                })
                .collect();
            Ok(B2bOverview {
                slug: event.slug.clone(),
                title: event.title.clone(),
                form,
                configured: session.is_some(),
                counts: vec![
                    ("Requested".into(), counts.requested),
                    ("Accepted".into(), counts.accepted),
                    ("Confirmed held".into(), counts.held),
                    ("Declined".into(), counts.declined),
                    ("Cancelled".into(), counts.cancelled),
                    ("No-show reports".into(), counts.no_shows),
                    ("Disputed, to decide".into(), counts.disputed),
                ],
                slots: slots
                    .iter()
                    .map(|s| {
                        format!(
                            "{}, {}",
                            crate::events::when::day_label(s.starts_at, tz),
                            rules::slot_times((s.starts_at, s.ends_at), tz)
                        )
                    })
                    .collect(),
                tables: tables.iter().map(|t| t.number).collect(),
                meetings,
                cluster_pairs: store::cluster_pairs(&state.db, event.id).await?,
            })
        }
        .await,
    )
}

#[server(endpoint = "save_b2b_setup")]
pub async fn save_b2b_setup(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    slot_minutes: String,
    windows: String,
    tables: String,
    max_meetings: String,
    max_pending: String,
    request_deadline: String,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let form = GridForm { slot_minutes, windows, tables, max_meetings, max_pending, request_deadline };
            let setup =
                rules::GridSetup::parse(&form, &event.window.zone, (event.window.starts_at, event.window.ends_at))?;
            store::save_grid(&state.db, &event, &setup).await
        }
        .await,
    )
}

#[server(endpoint = "b2b_meetings_desk", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_meetings_desk(slug: String) -> Result<MeetingsDesk, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, event, _) = server::organiser(&slug).await?;
            let tz = &event.window.zone;
            let now = crate::platform::now();
            let clock = |at: i64| crate::events::when::day_and_time(at, tz);
            let agreed = store::agreed(&state.db, event.id)
                .await?
                .into_iter()
                .map(|m| DeskMeeting {
                    id: m.id,
                    slot_id: m.slot_id,
                    table_id: m.table_id,
                    place: format!(
                        "{} · Table {}",
                        server::slot_label((m.starts_at, m.ends_at), tz),
                        m.table_number.unwrap_or_default()
                    ),
                    people: format!("{} & {}", m.requester, m.recipient),
                    held: m.held_confirmed_at.is_some(),
                    dispute: m.held_confirmed_at.zip(m.no_show_reported_at).map(|(held, missed)| {
                        format!(
                            "Confirmed at the table by {} on {}; reported as missed by {} on {}",
                            m.confirmed_by.clone().unwrap_or_default(),
                            clock(held),
                            m.reported_by.clone().unwrap_or_default(),
                            clock(missed)
                        )
                    }),
                    decision: m.dispute_decision,
                })
                .collect();
            Ok(MeetingsDesk {
                slug: event.slug.clone(),
                title: event.title.clone(),
                people: store::ticket_holders(&state.db, event.id)
                    .await?
                    .into_iter()
                    .map(|p| (p.ticket_id, format!("{} · {}", p.attendee_name, p.organisation)))
                    .collect(),
                slots: store::slots(&state.db, event.id)
                    .await?
                    .into_iter()
                    .filter(|s| s.starts_at > now)
                    .map(|s| (s.id, server::slot_label((s.starts_at, s.ends_at), tz)))
                    .collect(),
                tables: store::tables(&state.db, event.id)
                    .await?
                    .into_iter()
                    .map(|t| {
                        let label = if t.location.is_empty() {
                            format!("Table {}", t.number)
                        } else {
                            format!("Table {} ({})", t.number, t.location)
                        };
                        (t.id, label)
                    })
                    .collect(),
                agreed,
            })
        }
        .await,
    )
}

/// An empty table field means "the first free table".
#[cfg(feature = "ssr")]
fn chosen_table(table: &str) -> Result<Option<i64>, AppError> {
    match table.trim() {
        "" => Ok(None),
        id => id.parse().map(Some).map_err(|_| AppError::invalid("table", "Choose one of the tables.")),
    }
}

/// Organisers book a meeting for two ticket holders.
#[server(endpoint = "book_meeting")]
pub async fn book_meeting(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    first: i64,
    second: i64,
    slot: i64,
    table: String,
) -> Result<i64, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, principal, event, session) = server::organiser(&slug).await?;
            let table = chosen_table(&table)?;
            server::desk(&state, &event, &session).book(principal.user_id, first, second, slot, table).await
        }
        .await,
    )
}

/// Organisers move an agreed meeting to another slot or table.
#[server(endpoint = "move_meeting")]
pub async fn move_meeting(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    meeting: i64,
    slot: i64,
    table: String,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, principal, event, session) = server::organiser(&slug).await?;
            let table = chosen_table(&table)?;
            server::desk(&state, &event, &session).relocate(principal.user_id, meeting, slot, table).await
        }
        .await,
    )
}

/// Organisers decide a no-show report made against a confirmation at the table.
#[server(endpoint = "decide_no_show")]
pub async fn decide_no_show(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    meeting: i64,
    held: bool,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, principal, event, session) = server::organiser(&slug).await?;
            server::desk(&state, &event, &session).decide_dispute(principal.user_id, meeting, held).await
        }
        .await,
    )
}

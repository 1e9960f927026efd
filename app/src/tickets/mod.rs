//! Registration and tickets: ticket types and vouchers, the registration form with its review
//! step, free tickets confirmed at once and paid ones through Stripe Checkout (see `payments`),
//! the holder's ticket page, and the organiser's registration list.

#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod payment_events;
// Server functions take one argument per field of their form (plain form posts need that).
#[allow(clippy::too_many_arguments)]
mod organiser;
mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod store;

pub use organiser::{RegistrationsPage, TicketSetupPage};
pub use pages::{MyTickets, RegisterPage, ReviewPage, TicketOffers, TicketPage};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use rules::{Eligibility, ProfileForm, TicketStatus};

/// A ticket type as the event and registration pages offer it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketOffer {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub price: String,
    pub price_cents: i64,
    pub eligibility: Eligibility,
    /// Whether it can be chosen now; otherwise `note` says why not.
    pub available: bool,
    pub note: Option<String>,
    pub seats_left: i64,
}

/// What the registration form needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistrationStart {
    pub slug: String,
    pub title: String,
    pub dates: String,
    /// The account's address: tickets go to the account that registers.
    pub email: Option<String>,
    pub offers: Vec<TicketOffer>,
    /// (code, name) of the partnership's clusters.
    pub clusters: Vec<(String, String)>,
    pub form: ProfileForm,
    pub chosen: Option<i64>,
    pub voucher: String,
    /// The live ticket this person already has for the event.
    pub existing_ticket: Option<i64>,
    pub verified_member: bool,
}

/// The review step: everything the attendee is about to confirm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistrationReview {
    pub slug: String,
    pub title: String,
    pub ticket_name: String,
    pub list_price: String,
    pub total: String,
    pub total_cents: i64,
    pub voucher: Option<String>,
    pub email: String,
    /// (label, value) lines of the profile.
    pub profile: Vec<(String, String)>,
}

/// What confirming did: where to go next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistrationOutcome {
    pub ticket_id: i64,
    pub status: TicketStatus,
    /// Stripe's payment page, for a paid ticket.
    pub checkout_url: Option<String>,
}

/// A ticket as its holder (or the event's organisers) see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketView {
    pub id: i64,
    pub event_slug: String,
    pub event_title: String,
    pub ticket_type: String,
    pub status: TicketStatus,
    pub price: String,
    pub attendee_name: String,
    pub email: String,
    /// (label, value) lines of the profile.
    pub profile: Vec<(String, String)>,
    pub checkout_url: Option<String>,
    pub may_cancel: bool,
    pub refund_requested: bool,
    /// Why the last refund failed, while the ticket stays valid.
    pub refund_failure: Option<String>,
}

/// One line of the holder's ticket list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyTicket {
    pub id: i64,
    pub event_title: String,
    pub ticket_type: String,
    pub status: TicketStatus,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use super::*;
    use crate::accounts::Principal;
    use crate::events::when;
    use crate::state::AppState;
    use rules::{format_money, AttendeeProfile};
    use store::TicketRow;

    pub fn profile_lines(profile: &AttendeeProfile, cluster_name: Option<String>) -> Vec<(String, String)> {
        let themes = profile.themes.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ");
        vec![
            ("Name on the badge".into(), profile.attendee_name.clone()),
            ("Organisation".into(), profile.organisation.clone()),
            ("Kind of organisation".into(), profile.organisation_type.label().into()),
            ("Cluster".into(), cluster_name.unwrap_or_else(|| "None".into())),
            ("Country".into(), profile.country.clone()),
            ("Role".into(), profile.job_role.clone()),
            ("Themes of interest".into(), if themes.is_empty() { "None chosen".into() } else { themes }),
            ("What I offer".into(), profile.offers.clone()),
            ("What I seek".into(), profile.seeks.clone()),
            ("Participant directory".into(), if profile.directory_consent { "Listed" } else { "Not listed" }.into()),
        ]
    }

    /// The offers of an event for this person now. Hidden types appear only with the voucher
    /// that unlocks them; paid types are unavailable while online payment is not configured.
    pub async fn offers(
        state: &AppState,
        event_id: i64,
        voucher: Option<&store::VoucherRow>,
        verified_member: bool,
    ) -> Result<Vec<TicketOffer>, AppError> {
        // Seats held by checkouts that ended long ago are back on sale before they are counted.
        store::release_expired_holds(&state.db, Some(event_id)).await?;
        offers_as_counted(state, event_id, voucher, verified_member).await
    }

    /// The offers with the seats as counted now, held seats of ended checkouts included (the
    /// sweeper takes those back every minute).
    pub async fn offers_as_counted(
        state: &AppState,
        event_id: i64,
        voucher: Option<&store::VoucherRow>,
        verified_member: bool,
    ) -> Result<Vec<TicketOffer>, AppError> {
        let at = crate::platform::now();
        let payments = state.payments.is_some();
        let facts = voucher.map(|v| v.facts());
        Ok(store::ticket_types(&state.db, event_id)
            .await?
            .into_iter()
            .filter(|t| {
                t.visibility() == rules::Visibility::Public
                    || voucher.is_some_and(|v| v.ticket_type_id == Some(t.id) && v.effect == "unlock")
            })
            .map(|t| {
                // A voucher for another type does not make this one unavailable.
                let applicable = facts.as_ref().filter(|v| v.ticket_type_id.is_none_or(|id| id == t.id));
                let verdict = rules::admit(&t.facts(), applicable, verified_member, at);
                let (available, note, price_cents) = match verdict {
                    Ok(price) if price > 0 && !payments => (
                        false,
                        Some("Paid tickets cannot be bought at the moment: online payment is not set up.".to_string()),
                        price,
                    ),
                    Ok(price) => (true, None, price),
                    Err(err) => (false, Some(err.to_string()), t.price_cents),
                };
                TicketOffer {
                    id: t.id,
                    price: format_money(price_cents, &t.currency),
                    price_cents,
                    eligibility: t.eligibility(),
                    available,
                    note,
                    seats_left: (t.capacity - t.seats_taken).max(0),
                    name: t.name,
                    description: t.description,
                }
            })
            .collect())
    }

    pub fn ticket_view(ticket: &TicketRow, viewer: &Principal) -> TicketView {
        let status = ticket.status();
        let started = crate::platform::now() >= ticket.event_starts_at;
        TicketView {
            id: ticket.id,
            event_slug: ticket.event_slug.clone(),
            event_title: ticket.event_title.clone(),
            ticket_type: ticket.ticket_type.clone(),
            status,
            price: format_money(ticket.price_cents, &ticket.currency),
            attendee_name: ticket.attendee_name.clone(),
            email: ticket.email.clone(),
            profile: profile_lines(&ticket.profile(), ticket.cluster_name.clone()),
            checkout_url: ticket.checkout_url.clone().filter(|_| status == TicketStatus::Pending),
            // Free tickets can be given back until the event starts; paid ones are refunded by
            // the organisers, who can return the money.
            may_cancel: viewer.user_id == ticket.user_id
                && status == TicketStatus::Confirmed
                && ticket.price_cents == 0
                && !started,
            refund_requested: ticket.refund_requested_at.is_some() && status == TicketStatus::Confirmed,
            refund_failure: ticket.refund_failure.clone().filter(|_| status == TicketStatus::Confirmed),
        }
    }

    /// Takes one try from the client's allowance of voucher codes, so codes cannot be guessed
    /// by brute force.
    pub fn try_code(state: &AppState) -> Result<(), AppError> {
        let client = crate::platform::web::client_address();
        state.limits.take("voucher", crate::platform::limits::VOUCHER_CODES, client)
    }

    /// The ticket, when the signed-in person holds it or organises its event.
    pub async fn visible_ticket(id: i64) -> Result<(AppState, Principal, TicketRow), AppError> {
        let principal = crate::accounts::access::signed_in().await?;
        let state = crate::state::app_state()?;
        let ticket = store::ticket(&state.db, id).await?;
        let event = crate::events::store::load(&state.db, &ticket.event_slug).await?;
        crate::accounts::access::holder_or_organiser(&principal, ticket.user_id, &event, "This ticket")?;
        Ok((state, principal, ticket))
    }

    pub fn event_dates(starts_at: i64, ends_at: i64, zone: &jiff::tz::TimeZone) -> String {
        when::date_range(starts_at, ends_at, zone)
    }
}

#[cfg(feature = "ssr")]
pub use server::{offers, profile_lines};

/// The ticket types on an event's page.
#[server(endpoint = "ticket_offers", input = leptos::server_fn::codec::GetUrl)]
pub async fn ticket_offers(slug: String) -> Result<Vec<TicketOffer>, AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let state = app_state()?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            let member = crate::accounts::access::principal().await?.is_some_and(|p| p.cluster_id.is_some());
            offers(&state, event.id, None, member).await
        }
        .await,
    )
}

#[server(endpoint = "registration_start", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_registration_start(slug: String, voucher: Option<String>) -> Result<RegistrationStart, AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let state = app_state()?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            let principal = crate::accounts::access::principal().await?;
            let member = principal.as_ref().is_some_and(|p| p.cluster_id.is_some());
            let (draft, last, existing) = match &principal {
                Some(p) => (
                    store::draft(&state.db, p.user_id, event.id).await?,
                    store::last_profile(&state.db, p.user_id).await?,
                    store::live_ticket_of(&state.db, p.user_id, event.id).await?,
                ),
                None => (None, None, None),
            };
            let voucher_code = voucher
                .filter(|v| !v.trim().is_empty())
                .or_else(|| draft.as_ref().and_then(|d| d.voucher_code.clone()))
                .unwrap_or_default();
            let found = if voucher_code.is_empty() {
                None
            } else {
                server::try_code(&state)?;
                store::voucher(&state.db, event.id, &voucher_code).await?
            };
            let mut form = draft
                .as_ref()
                .map(|d| d.profile.to_form())
                .or_else(|| last.map(|p| ProfileForm { terms_consent: false, ..p.to_form() }))
                .unwrap_or_default();
            if form.attendee_name.is_empty() {
                form.attendee_name = principal.as_ref().map(|p| p.display_name.clone()).unwrap_or_default();
            }
            Ok(RegistrationStart {
                offers: offers(&state, event.id, found.as_ref(), member).await?,
                clusters: state.clusters.all(&state.db).await?.to_vec(),
                dates: server::event_dates(event.window.starts_at, event.window.ends_at, &event.window.zone),
                slug: event.slug,
                title: event.title,
                email: principal.as_ref().map(|p| p.email.clone()),
                form,
                chosen: draft.as_ref().map(|d| d.ticket_type_id),
                voucher: voucher_code,
                existing_ticket: existing,
                verified_member: member,
            })
        }
        .await,
    )
}

/// Checks the form and keeps it as a draft, then sends the person to the review step.
#[server(endpoint = "prepare_registration")]
#[allow(clippy::too_many_arguments)]
pub async fn prepare_registration(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    ticket_type: Option<String>,
    voucher: Option<String>,
    attendee_name: String,
    organisation: String,
    organisation_type: Option<String>,
    cluster: Option<String>,
    country: String,
    job_role: String,
    theme_digitalisation: Option<String>,
    theme_biomarkers: Option<String>,
    theme_companion_diagnostics: Option<String>,
    theme_micro_nano_electronics: Option<String>,
    theme_multiomics: Option<String>,
    offers: Option<String>,
    seeks: Option<String>,
    directory_consent: Option<String>,
    terms_consent: Option<String>,
) -> Result<(), AppError> {
    use crate::events::Theme;
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = app_state()?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            let ticket_type_id: i64 = ticket_type
                .as_deref()
                .and_then(|t| t.trim().parse().ok())
                .ok_or_else(|| AppError::invalid("ticket_type", "Choose a ticket."))?;
            let ticked = [
                (theme_digitalisation, Theme::Digitalisation),
                (theme_biomarkers, Theme::Biomarkers),
                (theme_companion_diagnostics, Theme::CompanionDiagnostics),
                (theme_micro_nano_electronics, Theme::MicroNanoElectronics),
                (theme_multiomics, Theme::Multiomics),
            ];
            let form = ProfileForm {
                attendee_name,
                organisation,
                organisation_type: organisation_type.unwrap_or_default(),
                cluster: cluster.unwrap_or_default(),
                country,
                job_role,
                themes: ticked
                    .into_iter()
                    .filter(|(on, _)| on.is_some())
                    .map(|(_, t)| t.code())
                    .collect::<Vec<_>>()
                    .join(","),
                offers: offers.unwrap_or_default(),
                seeks: seeks.unwrap_or_default(),
                directory_consent: directory_consent.is_some(),
                terms_consent: terms_consent.is_some(),
            };
            let clusters = state.clusters.including(&state.db, form.cluster.trim()).await?;
            let codes: Vec<String> = clusters.iter().map(|(code, _)| code.clone()).collect();
            let profile = rules::AttendeeProfile::parse(&form, &codes)?;
            let voucher_code = voucher.map(|v| rules::normalise_code(&v)).filter(|v| !v.is_empty());
            if voucher_code.is_some() {
                server::try_code(&state)?;
            }
            let found = match &voucher_code {
                Some(code) => Some(
                    store::voucher(&state.db, event.id, code)
                        .await?
                        .ok_or_else(|| AppError::invalid("voucher", "This code is not known for this event."))?,
                ),
                None => None,
            };
            let member = principal.cluster_id.is_some();
            let chosen = |offers: Vec<TicketOffer>| {
                offers
                    .into_iter()
                    .find(|o| o.id == ticket_type_id)
                    .ok_or_else(|| AppError::invalid("ticket_type", "Choose one of the tickets on offer."))
            };
            let mut offer = chosen(server::offers_as_counted(&state, event.id, found.as_ref(), member).await?)?;
            // Held seats of checkouts that ended long ago are taken back here only when they could
            // decide (the chosen ticket looks unavailable): a statement less on every other post.
            if !offer.available && store::release_expired_holds(&state.db, Some(event.id)).await? > 0 {
                offer = chosen(server::offers_as_counted(&state, event.id, found.as_ref(), member).await?)?;
            }
            if !offer.available {
                let message = offer.note.unwrap_or_else(|| "This ticket cannot be chosen now.".into());
                let field = if message.contains("code") && found.is_some() { "voucher" } else { "ticket_type" };
                return Err(AppError::invalid(field, message));
            }
            // A code for another ticket type (a discount, say) is not carried to this one.
            let applies = found.as_ref().is_some_and(|v| v.ticket_type_id.is_none_or(|id| id == ticket_type_id));
            let voucher_code = voucher_code.filter(|_| applies);
            let draft = store::Draft { ticket_type_id, voucher_code, profile };
            // Refused here, by the same statement, when the person holds a ticket already.
            store::save_draft(&state.db, principal.user_id, event.id, &draft).await?;
            leptos_axum::redirect(&format!("/events/{slug}/register/review"));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "registration_review", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_registration_review(slug: String) -> Result<Option<RegistrationReview>, AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = app_state()?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            let Some((draft, ticket_type)) = store::draft_and_type(&state.db, principal.user_id, event.id).await?
            else {
                return Ok(None);
            };
            let voucher = match &draft.voucher_code {
                Some(code) => store::voucher(&state.db, event.id, code).await?,
                None => None,
            };
            let total = match rules::admit(
                &ticket_type.facts(),
                voucher.as_ref().map(|v| v.facts()).as_ref(),
                principal.cluster_id.is_some(),
                crate::platform::now(),
            ) {
                Ok(total) => total,
                Err(_) => ticket_type.price_cents,
            };
            let cluster_name = match &draft.profile.cluster {
                Some(code) => state
                    .clusters
                    .including(&state.db, code)
                    .await?
                    .iter()
                    .find(|(c, _)| c == code)
                    .map(|(_, n)| n.clone()),
                None => None,
            };
            Ok(Some(RegistrationReview {
                slug: event.slug,
                title: event.title,
                ticket_name: ticket_type.name,
                list_price: rules::format_money(ticket_type.price_cents, &ticket_type.currency),
                total: rules::format_money(total, &ticket_type.currency),
                total_cents: total,
                voucher: draft.voucher_code.clone(),
                email: principal.email.clone(),
                profile: profile_lines(&draft.profile, cluster_name),
            }))
        }
        .await,
    )
}

/// Turns the reviewed draft into a ticket: confirmed at once when free; otherwise a held seat
/// and a Stripe Checkout Session, to which the person is sent. `reviewed_total` is the price the
/// review step showed: if it is not the price now, nothing is registered and the person reviews
/// again.
#[server(endpoint = "confirm_registration")]
pub async fn confirm_registration(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    reviewed_total: i64,
) -> Result<RegistrationOutcome, AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = app_state()?;
            let event = crate::events::store::load(&state.db, &slug).await?;
            let (draft, ticket_type) =
                store::draft_and_type(&state.db, principal.user_id, event.id).await?.ok_or_else(|| {
                    AppError::invalid("form", "Your registration was not found: fill in the registration form again.")
                })?;
            let ics = crate::calendar::files::event_ics(&state.settings.public_url, &event);
            let public_url = state.settings.public_url.clone();
            let confirmation = move |row: &store::TicketRow| mail::confirmation(&public_url, row, &ics);
            // Refuse a paid ticket before taking a seat when payment is not set up.
            let registered = store::register(
                &state.db,
                store::Registration {
                    event: &event,
                    user_id: principal.user_id,
                    email: &principal.email,
                    verified_member: principal.cluster_id.is_some(),
                    draft: &draft,
                    ticket_type: &ticket_type,
                    reviewed_total,
                    confirmation: &confirmation,
                },
            )
            .await?;
            let mut outcome =
                RegistrationOutcome { ticket_id: registered.ticket_id, status: registered.status, checkout_url: None };
            if registered.status == TicketStatus::Pending {
                let started = match &state.payments {
                    Some(payments) => {
                        let ticket = store::ticket(&state.db, registered.ticket_id).await?;
                        payments.start_checkout(&state.settings.public_url, &ticket).await
                    }
                    None => Err(AppError::invalid(
                        "ticket_type",
                        "Paid tickets cannot be bought at the moment: online payment is not set up.",
                    )),
                };
                match started {
                    Ok(checkout) => {
                        store::attach_checkout(
                            &state.db,
                            registered.ticket_id,
                            &checkout.session_id,
                            &checkout.url,
                            checkout.expires_at,
                        )
                        .await?;
                        outcome.checkout_url = Some(checkout.url);
                    }
                    Err(err) => {
                        store::abandon_hold(&state.db, registered.ticket_id).await?;
                        return Err(err);
                    }
                }
            }
            let next = outcome.checkout_url.clone().unwrap_or_else(|| format!("/tickets/{}", outcome.ticket_id));
            leptos_axum::redirect(&next);
            Ok(outcome)
        }
        .await,
    )
}

#[server(endpoint = "ticket", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_ticket(id: i64) -> Result<TicketView, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (_, principal, ticket) = server::visible_ticket(id).await?;
            Ok(server::ticket_view(&ticket, &principal))
        }
        .await,
    )
}

/// The holder gives a free ticket back.
#[server(endpoint = "cancel_ticket")]
pub async fn cancel_ticket(#[server(rename = "csrf")] _csrf: String, id: i64) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, principal, ticket) = server::visible_ticket(id).await?;
            if !server::ticket_view(&ticket, &principal).may_cancel {
                return Err(AppError::invalid(
                    "ticket",
                    "This ticket cannot be cancelled here. For a paid ticket, ask the organisers for a refund.",
                ));
            }
            let cancellation = mail::cancellation(&state.settings.public_url, &ticket);
            store::cancel(&state.db, id, &[rules::TicketStatus::Confirmed], &cancellation).await?;
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "my_tickets", input = leptos::server_fn::codec::GetUrl)]
pub async fn my_tickets() -> Result<Vec<MyTicket>, AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = app_state()?;
            Ok(store::tickets_of(&state.db, principal.user_id)
                .await?
                .into_iter()
                .map(|t| MyTicket {
                    id: t.id,
                    status: t.status(),
                    event_title: t.event_title,
                    ticket_type: t.ticket_type,
                })
                .collect())
        }
        .await,
    )
}

//! Public pages of the series and of each event.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::{components::A, hooks::use_params_map};

use super::{fetch_event, list_events, EventCard};
use crate::await_view;

/// `/`: the four regional events.
#[component]
pub fn SeriesPage() -> impl IntoView {
    let events = Resource::new(|| (), |_| list_events());
    view! {
        <Title text="" />
        <Meta name="description" content="EventXchange: four life-science events of the CELIS cluster partnership, with B2B matchmaking across Germany, Belgium, Denmark and Estonia." />
        <section class="hero">
            <h1>"EventXchange"</h1>
            <p class="lead">
                "Four regional life-science events of the CELIS cluster partnership. Meet peers from "
                "Rhine-Neckar, Flemish Brabant, Denmark and Tartu, book one-to-one B2B meetings, "
                "and qualify for a ClusterXchange exchange grant."
            </p>
        </section>
        <section aria-labelledby="events-heading">
            <h2 id="events-heading">"The 2027 series"</h2>
            {await_view!(events, |events| view! {
                <ul class="event-grid">
                    {events.into_iter().map(|event| view! { <EventCardView event /> }).collect_view()}
                </ul>
            })}
        </section>
    }
}

#[component]
fn EventCardView(event: EventCard) -> impl IntoView {
    let href = format!("/events/{}", event.slug);
    view! {
        <li class="event-card" data-theme=event.theme.code()>
            <p class="theme-tag">{event.theme.label()}</p>
            <h3><A href=href>{event.title}</A></h3>
            <p class="when-where">
                <span class="dates">{event.dates}</span>
                " · "
                <span class="city">{format!("{}, {}", event.city, super::country_name(&event.country))}</span>
            </p>
            <p>{event.summary}</p>
            <p class="organiser">"Organised by " {event.cluster_name}</p>
        </li>
    }
}

/// `/events/{slug}`
#[component]
pub fn EventPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let event = Resource::new(slug, fetch_event);
    await_view!(event, |event| {
        let card = event.card;
        view! {
            <Title text=card.title.clone() />
            <Meta name="description" content=card.summary.clone() />
            <article class="event">
                <header class="event-header" data-theme=card.theme.code()>
                    <p class="theme-tag">{card.theme.label()}</p>
                    <h1>{card.title.clone()}</h1>
                    <p class="lead">{card.summary}</p>
                    <p class="organiser">"Organised by " {card.cluster_name}</p>
                </header>
                <dl class="facts">
                    <dt>"When"</dt>
                    <dd>
                        {card.dates}
                        <br />
                        <span class="schedule">{event.schedule}</span>
                        <br />
                        <small>"Times in the event's local time (" {event.time_zone} ")."</small>
                    </dd>
                    <dt>"Where"</dt>
                    <dd>
                        {event.venue_name}
                        <br />
                        {event.venue_address}
                        <br />
                        <a href=event.map_link rel="noopener">"Show on a map"</a>
                    </dd>
                    <dt>"Languages"</dt>
                    <dd>{event.languages.iter().map(|l| language_name(l)).collect::<Vec<_>>().join(", ")}</dd>
                </dl>
                {(event.programme.sessions > 0).then(|| view! {
                    <section class="programme" aria-labelledby="programme-heading">
                        <h2 id="programme-heading">"Programme"</h2>
                        <p>
                            {format!(
                                "{} sessions with {} speakers in {} tracks: {}.",
                                event.programme.sessions,
                                event.programme.speakers,
                                event.programme.tracks.len(),
                                event.programme.tracks.join(", ")
                            )}
                        </p>
                    </section>
                })}
                <p class="actions">
                    <A href=format!("/events/{}/agenda", card.slug) attr:class="button">"See the agenda"</A>
                    " "
                    <a class="button secondary" href=format!("/events/{}/calendar.ics", card.slug)>"Add to calendar (.ics)"</a>
                    " "
                    <A href=format!("/events/{}/meetings", card.slug) attr:class="button secondary">"B2B meetings"</A>
                </p>
                <crate::tickets::TicketOffers slug=card.slug.clone() />
                <section class="description">
                    {event.description.split("\n\n").map(|p| view! { <p>{p.to_string()}</p> }).collect_view()}
                </section>
            </article>
        }
    })
}

fn language_name(code: &str) -> &str {
    match code {
        "en" => "English",
        "de" => "German",
        "nl" => "Dutch",
        "fr" => "French",
        "da" => "Danish",
        "et" => "Estonian",
        other => other,
    }
}

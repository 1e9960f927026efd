//! Public agenda pages and the personal agenda. Filters are links (`?day=`, `?track=`,
//! `?theme=`, `?by=track`), and adding a session is a plain form, so everything works without
//! JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use super::{load_agenda, load_my_agenda, load_session, load_speaker, ChangePersonalAgenda, SessionCard};
use crate::await_view;
use crate::components::{action_error, url_encode, CsrfField, FormAlert};
use crate::events::Theme;

fn slug_param() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get("slug").unwrap_or_default()
}

fn id_param() -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get("id").and_then(|id| id.parse().ok()).unwrap_or(-1)
}

/// A query string for the agenda with one parameter changed.
fn agenda_href(slug: &str, day: &str, track: &str, theme: &str, by: &str) -> String {
    let pairs: Vec<String> = [("day", day), ("track", track), ("theme", theme), ("by", by)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect();
    if pairs.is_empty() {
        format!("/events/{slug}/agenda")
    } else {
        format!("/events/{slug}/agenda?{}", pairs.join("&"))
    }
}

/// `/events/{slug}/agenda`
#[component]
pub fn AgendaPage() -> impl IntoView {
    let slug = slug_param();
    let query = use_query_map();
    let q = move |key: &str| query.read().get(key).unwrap_or_default();
    let change = ServerAction::<ChangePersonalAgenda>::new();
    let agenda = Resource::new(move || (slug(), change.version().get()), |(slug, _)| load_agenda(slug));
    let error = action_error(change);
    view! {
        {await_view!(agenda, |agenda| {
            let (day, track, theme, by) = (q("day"), q("track"), q("theme"), q("by"));
            let slug = agenda.slug.clone();
            let link = {
                let slug = slug.clone();
                move |d: &str, t: &str, th: &str, b: &str| agenda_href(&slug, d, t, th, b)
            };
            let shown: Vec<SessionCard> = agenda
                .sessions
                .iter()
                .filter(|s| day.is_empty() || s.day == day)
                .filter(|s| track.is_empty() || s.track.as_deref() == Some(track.as_str()))
                .filter(|s| theme.is_empty() || s.theme.map(Theme::code) == Some(theme.as_str()))
                .cloned()
                .collect();
            // Sessions grouped by day (default) or by track.
            let mut groups: Vec<(String, Vec<SessionCard>)> = Vec::new();
            for s in shown {
                let key = if by == "track" { s.track.clone().unwrap_or_else(|| "Plenary".into()) } else { s.day_label.clone() };
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, list)) => list.push(s),
                    None => groups.push((key, vec![s])),
                }
            }
            let count: usize = groups.iter().map(|(_, l)| l.len()).sum();
            let mine = agenda.mine.clone();
            let signed_in = agenda.signed_in;
            view! {
                <Title text=format!("Agenda: {}", agenda.title) />
                <nav class="breadcrumbs" aria-label="Breadcrumb">
                    <A href=format!("/events/{slug}")>{agenda.title.clone()}</A>
                </nav>
                <h1>"Agenda"</h1>
                <p class="hint">
                    {format!("All times in the event's local time ({}). ", agenda.time_zone)}
                    <a href=format!("/events/{slug}/calendar.ics")>"Add the whole event to your calendar"</a>
                </p>
                <div class="filters" role="group" aria-label="Filter the agenda">
                    <p>
                        <strong>"Day: "</strong>
                        <a href=link("", &track, &theme, &by) aria-current=day.is_empty().then_some("true")>"All"</a>
                        {agenda.days.iter().map(|(d, label)| view! {
                            " · "
                            <a href=link(d, &track, &theme, &by) aria-current=(day == *d).then_some("true")>{label.clone()}</a>
                        }).collect_view()}
                    </p>
                    <p>
                        <strong>"Track: "</strong>
                        <a href=link(&day, "", &theme, &by) aria-current=track.is_empty().then_some("true")>"All"</a>
                        {agenda.tracks.iter().map(|t| view! {
                            " · "
                            <a href=link(&day, t, &theme, &by) aria-current=(track == *t).then_some("true")>{t.clone()}</a>
                        }).collect_view()}
                    </p>
                    <p>
                        <strong>"Theme: "</strong>
                        <a href=link(&day, &track, "", &by) aria-current=theme.is_empty().then_some("true")>"All"</a>
                        {agenda.themes.iter().map(|t| view! {
                            " · "
                            <a href=link(&day, &track, t.code(), &by) aria-current=(theme == t.code()).then_some("true")>{t.label()}</a>
                        }).collect_view()}
                    </p>
                    <p>
                        <strong>"Show: "</strong>
                        <a href=link(&day, &track, &theme, "") aria-current=(by != "track").then_some("true")>"by day"</a>
                        " · "
                        <a href=link(&day, &track, &theme, "track") aria-current=(by == "track").then_some("true")>"by track"</a>
                    </p>
                </div>
                <FormAlert error />
                <p class="hint" role="status">{format!("{count} sessions")}</p>
                {groups.into_iter().map(|(heading, sessions)| {
                    let slug = slug.clone();
                    let mine = mine.clone();
                    view! {
                        <section class="agenda-group">
                            <h2>{heading}</h2>
                            <ol class="sessions">
                                {sessions.into_iter().map(|s| {
                                    let chosen = mine.contains(&s.id);
                                    view! { <SessionItem slug=slug.clone() session=s chosen signed_in change /> }
                                }).collect_view()}
                            </ol>
                        </section>
                    }
                }).collect_view()}
            }
        })}
    }
}

#[component]
fn SessionItem(
    slug: String,
    session: SessionCard,
    chosen: bool,
    signed_in: bool,
    change: ServerAction<ChangePersonalAgenda>,
) -> impl IntoView {
    let href = format!("/events/{slug}/sessions/{}", session.id);
    let full = session.is_full();
    view! {
        <li class="session" class:chosen=chosen data-session=session.id>
            <p class="session-time">
                <span>{session.times.clone()}</span>
                {session.room.clone().map(|r| view! { <span class="room">{r}</span> })}
                {session.track.clone().map(|t| view! { <span class="track">{t}</span> })}
            </p>
            // A plain link: the router still navigates client-side, and a page of hundreds of
            // sessions renders noticeably faster without a component per link.
            <h3><a href=href>{session.title.clone()}</a></h3>
            {(!session.speakers.is_empty()).then(|| view! {
                <p class="speakers">
                    {session.speakers.iter().map(|s| format!("{} ({})", s.name, s.organisation)).collect::<Vec<_>>().join(", ")}
                </p>
            })}
            {session.capacity.map(|c| view! { <p class="hint">{format!("{} of {c} seats taken", session.seats_taken)}</p> })}
            {signed_in.then(|| view! { <AgendaToggle slug session_id=session.id chosen full change /> })}
        </li>
    }
}

/// The add/remove button of a session; a plain form, enhanced when hydrated.
#[component]
fn AgendaToggle(
    slug: String,
    session_id: i64,
    chosen: bool,
    full: bool,
    change: ServerAction<ChangePersonalAgenda>,
) -> impl IntoView {
    if full && !chosen {
        return view! { <p class="hint">"Full"</p> }.into_any();
    }
    view! {
        <ActionForm action=change attr:class="inline-form">
            <CsrfField />
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="session_id" value=session_id />
            <input type="hidden" name="remove" value=chosen.to_string() />
            <button type="submit" class=if chosen { "secondary small" } else { "small" }>
                {if chosen { "Remove from my agenda" } else { "Add to my agenda" }}
            </button>
        </ActionForm>
    }
    .into_any()
}

/// `/events/{slug}/sessions/{id}`
#[component]
pub fn SessionPage() -> impl IntoView {
    let (slug, id) = (slug_param(), id_param());
    let change = ServerAction::<ChangePersonalAgenda>::new();
    let session = Resource::new(move || (slug(), id(), change.version().get()), |(slug, id, _)| load_session(slug, id));
    let error = action_error(change);
    await_view!(session, |detail| {
        let card = detail.card.clone();
        let slug = detail.slug.clone();
        view! {
            <Title text=card.title.clone() />
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <A href=format!("/events/{slug}")>{detail.event_title.clone()}</A>
                " › "
                <A href=format!("/events/{slug}/agenda")>"Agenda"</A>
            </nav>
            <article class="session-detail">
                <p class="eyebrow">{card.track.clone().unwrap_or_else(|| "Plenary".into())}</p>
                <h1>{card.title.clone()}</h1>
                <dl class="facts">
                    <dt>"When"</dt>
                    <dd>{format!("{}, {}", card.day_label, card.times)} <br /><small>{format!("Local time of the event ({})", detail.time_zone)}</small></dd>
                    {card.room.clone().map(|r| view! { <dt>"Room"</dt><dd>{r}</dd> })}
                    {card.theme.map(|t| view! { <dt>"Theme"</dt><dd>{t.label()}</dd> })}
                    {card.capacity.map(|c| view! { <dt>"Seats"</dt><dd>{format!("{} of {c} taken", card.seats_taken)}</dd> })}
                </dl>
                <FormAlert error />
                <p class="actions">
                    {detail.signed_in.then(|| view! {
                        <AgendaToggle slug=slug.clone() session_id=card.id chosen=detail.in_my_agenda full=card.is_full() change />
                    })}
                    {(!detail.signed_in).then(|| view! {
                        <a href=format!("/signin?next=/events/{slug}/sessions/{}", card.id)>"Sign in to add it to your agenda"</a>
                    })}
                    " "
                    <a class="button secondary small" href=format!("/events/{slug}/sessions/{}/calendar.ics", card.id)>"Add to calendar (.ics)"</a>
                </p>
                <section class="abstract">
                    {detail.abstract_text.split("\n\n").map(|p| view! { <p>{p.to_string()}</p> }).collect_view()}
                </section>
                {(!detail.speakers.is_empty()).then(|| {
                    let speakers = detail.speakers.clone();
                    let slug = slug.clone();
                    view! {
                        <h2>"Speakers"</h2>
                        <ul class="speaker-list">
                            {speakers.into_iter().map(|s| view! {
                                <li>
                                    <A href=format!("/events/{slug}/speakers/{}", s.id)>{s.name}</A>
                                    {format!(", {}", s.organisation)}
                                </li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </article>
        }
    })
}

/// `/events/{slug}/speakers/{id}`
#[component]
pub fn SpeakerPage() -> impl IntoView {
    let (slug, id) = (slug_param(), id_param());
    let speaker = Resource::new(move || (slug(), id()), |(slug, id)| load_speaker(slug, id));
    await_view!(speaker, |detail| {
        let slug = detail.slug.clone();
        view! {
            <Title text=detail.speaker.name.clone() />
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <A href=format!("/events/{slug}")>{detail.event_title.clone()}</A>
                " › "
                <A href=format!("/events/{slug}/agenda")>"Agenda"</A>
            </nav>
            <article class="speaker">
                {detail.speaker.has_photo.then(|| view! {
                    <img class="speaker-photo" src=format!("/events/{slug}/speakers/{}/photo.jpg", detail.speaker.id)
                        alt=format!("Photo of {}", detail.speaker.name) width="200" />
                })}
                <h1>{detail.speaker.name.clone()}</h1>
                <p class="lead">{detail.speaker.organisation.clone()}</p>
                <p>{detail.speaker.bio.clone()}</p>
                <h2>"Sessions"</h2>
                <ul>
                    {detail.sessions.clone().into_iter().map(|s| view! {
                        <li>
                            <A href=format!("/events/{slug}/sessions/{}", s.id)>{s.title}</A>
                            {format!(" — {}, {}", s.day_label, s.times)}
                        </li>
                    }).collect_view()}
                </ul>
            </article>
        }
    })
}

/// The personal agenda on the attendee's page, with overlapping choices flagged.
#[component]
pub fn MyAgenda() -> impl IntoView {
    let agendas = Resource::new(|| (), |_| load_my_agenda());
    await_view!(agendas, |agendas| view! {
        <h2>"My agenda"</h2>
        {agendas.is_empty().then(|| view! {
            <p>"You have not chosen any sessions yet. Open an event's agenda and add the sessions you want to attend."</p>
        })}
        {agendas.into_iter().map(|a| {
            let slug = a.slug.clone();
            view! {
                <section class="my-agenda" data-event=a.slug.clone()>
                    <h3><A href=format!("/events/{slug}/agenda")>{a.event_title.clone()}</A></h3>
                    <ol class="sessions">
                        {a.sessions.into_iter().map(|s| {
                            let clash = a.clashing.contains(&s.id);
                            view! {
                                <li class="session" class:clash=clash>
                                    <p class="session-time">{format!("{}, {}", s.day_label, s.times)}</p>
                                    <A href=format!("/events/{slug}/sessions/{}", s.id)>{s.title}</A>
                                    {clash.then(|| view! { <p class="clash-note" role="note">"Overlaps another session you chose."</p> })}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                </section>
            }
        }).collect_view()}
    })
}

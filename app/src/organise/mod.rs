//! The organiser's area of one event. Organisers reach only their own cluster's events;
//! partnership admins reach all of them.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};
use serde::{Deserialize, Serialize};

use crate::await_view;
use crate::components::{action_error, field_message, CsrfField, Field, FormAlert};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamMember {
    pub name: String,
    pub email: String,
    pub role: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganiserOverview {
    pub slug: String,
    pub title: String,
    pub team: Vec<TeamMember>,
    pub details: EventForm,
}

/// An event's editable details, as the form shows them (days and times in the event's zone).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventForm {
    pub title: String,
    pub summary: String,
    pub description: String,
    pub venue_name: String,
    pub venue_address: String,
    pub languages: String,
    pub first_day: String,
    pub opens: String,
    pub last_day: String,
    pub closes: String,
    pub time_zone: String,
}

/// Changes the event's details (organisers of its cluster and admins).
#[server(endpoint = "save_event_details")]
pub async fn save_event_details(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    title: String,
    summary: String,
    description: String,
    venue_name: String,
    venue_address: String,
    languages: String,
    first_day: String,
    opens: String,
    last_day: String,
    closes: String,
) -> Result<(), AppError> {
    use crate::events::{store as events, when};
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let zone = event.window.zone.clone();
            let text = |field: &str, value: &str, max: usize, required: bool| {
                let value = value.trim().replace("\r\n", "\n");
                if required && value.is_empty() {
                    return Err(AppError::invalid(field, "This cannot be empty."));
                }
                if value.chars().count() > max {
                    return Err(AppError::invalid(field, format!("At most {max} characters.")));
                }
                Ok(value)
            };
            let instant = |day_field: &str, day: &str, time_field: &str, time: &str| {
                let date: jiff::civil::Date =
                    day.trim().parse().map_err(|_| AppError::invalid(day_field, "Give the day as YYYY-MM-DD."))?;
                let (h, m) = time
                    .trim()
                    .split_once(':')
                    .and_then(|(h, m)| Some((h.parse::<i8>().ok()?, m.parse::<i8>().ok()?)))
                    .filter(|(h, m)| (0..24).contains(h) && (0..60).contains(m))
                    .ok_or_else(|| AppError::invalid(time_field, "Give the time as HH:MM."))?;
                when::instant(date, h, m, &zone)
                    .ok_or_else(|| AppError::invalid(time_field, "This time does not exist."))
            };
            let languages =
                languages.split(',').map(|l| l.trim().to_lowercase()).filter(|l| !l.is_empty()).collect::<Vec<_>>();
            if languages.is_empty()
                || languages.iter().any(|l| l.len() != 2 || !l.chars().all(|c| c.is_ascii_lowercase()))
            {
                return Err(AppError::invalid(
                    "languages",
                    "Give two-letter language codes separated by commas, e.g. en, de.",
                ));
            }
            let draft = events::EventDetailsDraft {
                title: text("title", &title, 200, true)?,
                summary: text("summary", &summary, 300, true)?,
                description: text("description", &description, 10_000, false)?,
                venue_name: text("venue_name", &venue_name, 200, true)?,
                venue_address: text("venue_address", &venue_address, 300, true)?,
                languages: languages.join(","),
                starts_at: instant("first_day", &first_day, "opens", &opens)?,
                ends_at: instant("last_day", &last_day, "closes", &closes)?,
            };
            if draft.ends_at <= draft.starts_at {
                return Err(AppError::invalid("closes", "The event must end after it opens."));
            }
            events::update_event_details(&state.db, &slug, &draft).await
        }
        .await,
    )
}

#[server(endpoint = "organiser_overview", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_organiser_overview(slug: String) -> Result<OrganiserOverview, AppError> {
    use crate::accounts::{store as accounts, Role};
    use crate::events::store as events;
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, context) = crate::accounts::access::organiser(&slug).await?;
            let detail = events::event_detail(&state.db, &slug).await?;
            let local = |t: i64| {
                jiff::Timestamp::from_second(t)
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
                    .to_zoned(context.window.zone.clone())
            };
            let (opens, closes) = (local(context.window.starts_at), local(context.window.ends_at));
            let details = EventForm {
                title: detail.card.title.clone(),
                summary: detail.card.summary.clone(),
                description: detail.description.clone(),
                venue_name: detail.venue_name.clone(),
                venue_address: detail.venue_address.clone(),
                languages: detail.languages.join(", "),
                first_day: opens.date().to_string(),
                opens: opens.strftime("%H:%M").to_string(),
                last_day: closes.date().to_string(),
                closes: closes.strftime("%H:%M").to_string(),
                time_zone: detail.time_zone.clone(),
            };
            let title = detail.card.title;
            let team = accounts::event_team(&state.db, context.cluster_id, context.id)
                .await?
                .into_iter()
                .map(|row| TeamMember {
                    name: row.display_name,
                    email: row.email,
                    role: Role::parse(&row.role).map(Role::label).unwrap_or("Unknown").to_string(),
                })
                .collect();
            Ok(OrganiserOverview { slug, title, team, details })
        }
        .await,
    )
}

/// `/organise/{slug}`
#[component]
pub fn OrganiserHomePage() -> impl IntoView {
    let params = use_params_map();
    let save = ServerAction::<SaveEventDetails>::new();
    let overview = Resource::new(
        move || (params.read().get("slug").unwrap_or_default(), save.version().get()),
        |(slug, _)| load_organiser_overview(slug),
    );
    let error = action_error(save);
    await_view!(overview, |overview| {
        let d = overview.details.clone();
        let field = move |name: &'static str| field_message(error, name);
        view! {
        <Title text=format!("Organise: {}", overview.title) />
        <section class="organise">
            <p class="eyebrow">"Organiser area"</p>
            <h1>{overview.title.clone()}</h1>
            <p>
                <A href=format!("/organise/{}/agenda", overview.slug) attr:class="button">"Edit the agenda"</A>
                " "
                <A href=format!("/organise/{}/registrations", overview.slug) attr:class="button">"Registrations"</A>
                " "
                <A href=format!("/organise/{}/tickets", overview.slug) attr:class="button secondary">"Ticket types and vouchers"</A>
                " "
                <A href=format!("/organise/{}/checkin", overview.slug) attr:class="button secondary">"Check-in and badges"</A>
                " "
                <A href=format!("/organise/{}/b2b", overview.slug) attr:class="button secondary">"B2B matchmaking"</A>
                " "
                <A href=format!("/events/{}", overview.slug)>"See the public event page"</A>
            </p>
            <h2>"Event team"</h2>
            <table class="data">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th></tr></thead>
                <tbody>
                    {overview.team.into_iter().map(|m| view! {
                        <tr><td>{m.name}</td><td>{m.email}</td><td>{m.role}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2>"Event details"</h2>
            {move || save.value().get().and_then(Result::ok).map(|_| view! { <p class="alert success" role="status">"Event details saved."</p> })}
            <ActionForm action=save attr:class="stacked" attr:novalidate=true>
                <CsrfField />
                <input type="hidden" name="slug" value=overview.slug.clone() />
                <FormAlert error fields=&["title", "summary", "description", "venue_name", "venue_address", "languages", "first_day", "opens", "last_day", "closes"] />
                <Field label="Title" name="title" value=d.title error=field("title") />
                <Field label="Summary (one sentence)" name="summary" value=d.summary error=field("summary") />
                <div class="field">
                    <label for="field-description">"Description"</label>
                    <textarea id="field-description" name="description" rows="6">{d.description}</textarea>
                    {move || field("description").get().map(|e| view! { <p class="field-error">{e}</p> })}
                </div>
                <Field label="Venue" name="venue_name" value=d.venue_name error=field("venue_name") />
                <Field label="Venue address" name="venue_address" value=d.venue_address error=field("venue_address") />
                <Field label="Languages (codes, comma-separated)" name="languages" value=d.languages error=field("languages") />
                <p class="hint">{format!("Days and times are in the event's time zone ({}).", d.time_zone)}</p>
                <div class="field-row">
                    <Field label="First day (YYYY-MM-DD)" name="first_day" value=d.first_day error=field("first_day") />
                    <Field label="Doors open (HH:MM)" name="opens" value=d.opens error=field("opens") />
                </div>
                <div class="field-row">
                    <Field label="Last day (YYYY-MM-DD)" name="last_day" value=d.last_day error=field("last_day") />
                    <Field label="Programme ends (HH:MM)" name="closes" value=d.closes error=field("closes") />
                </div>
                <button type="submit">"Save event details"</button>
            </ActionForm>
        </section>
        }
    })
}

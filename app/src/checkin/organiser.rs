//! The organisers' check-in desk, `/organise/{slug}/checkin`: live counts per list, arrivals per
//! ten minutes, the lists themselves, and the scanning devices with their tokens.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};
use serde::{Deserialize, Serialize};

use super::rules::ListKind;
use crate::await_view;
use crate::components::{action_error, CsrfField, FormAlert};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListLine {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub kind_code: String,
    pub multi_entry: bool,
    pub admits: String,
    pub inside: i64,
    /// `None`: every ticket type.
    pub admitted: Option<Vec<i64>>,
    pub checked_in: i64,
    pub expected: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceLine {
    pub id: i64,
    pub label: String,
    pub created: String,
    pub revoked: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckinOverview {
    pub slug: String,
    pub title: String,
    pub lists: Vec<ListLine>,
    /// ("14:00", arrivals) per ten minutes, in the event's time zone.
    pub arrivals: Vec<(String, i64)>,
    pub devices: Vec<DeviceLine>,
    pub ticket_types: Vec<(i64, String)>,
}

#[server(endpoint = "checkin_overview", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_checkin_overview(slug: String) -> Result<CheckinOverview, AppError> {
    use super::store;
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let db = &state.db;
            let ticket_types: Vec<(i64, String)> =
                crate::tickets::store::ticket_types(db, event.id).await?.into_iter().map(|t| (t.id, t.name)).collect();
            let lists = store::lists(db, event.id).await?;
            let counts = store::counts(db, event.id).await?;
            let lists = counts
                .into_iter()
                .map(|count| {
                    let admitted = lists.iter().find(|l| l.row.id == count.id).and_then(|l| l.admitted.clone());
                    let admits = match &admitted {
                        None => "All ticket types".to_string(),
                        Some(types) => ticket_types
                            .iter()
                            .filter(|(id, _)| types.contains(id))
                            .map(|(_, name)| name.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                    };
                    ListLine {
                        id: count.id,
                        name: count.name,
                        kind: ListKind::parse(&count.kind).map(ListKind::label).unwrap_or("").to_string(),
                        kind_code: count.kind,
                        multi_entry: count.multi_entry,
                        admits,
                        inside: count.inside,
                        admitted,
                        checked_in: count.checked_in,
                        expected: count.expected,
                    }
                })
                .collect();
            let zone = event.window.zone.clone();
            let clock = |at: i64| {
                jiff::Timestamp::from_second(at)
                    .map(|t| t.to_zoned(zone.clone()).strftime("%a %H:%M").to_string())
                    .unwrap_or_default()
            };
            let arrivals = store::arrivals(db, event.id).await?;
            // The last six hours with arrivals are what the desk looks at.
            let skip = arrivals.len().saturating_sub(36);
            let arrivals = arrivals.into_iter().skip(skip).map(|(slot, n)| (clock(slot), n)).collect();
            let devices = store::devices(db, event.id)
                .await?
                .into_iter()
                .map(|d| DeviceLine {
                    id: d.id,
                    label: d.label,
                    created: clock(d.created_at),
                    revoked: d.revoked_at.is_some(),
                })
                .collect();
            Ok(CheckinOverview { slug, title: event.title, lists, arrivals, devices, ticket_types })
        }
        .await,
    )
}

/// Removes a list that nobody was checked in on (one with check-ins stays, for the record).
#[server(endpoint = "remove_checkin_list")]
pub async fn remove_checkin_list(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    id: i64,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            super::store::remove_list(&state.db, event.id, id).await
        }
        .await,
    )
}

/// Registers a scanning device; the answer is its token, shown once.
#[server(endpoint = "create_scanner_device")]
pub async fn create_scanner_device(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    label: String,
) -> Result<String, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let principal = crate::accounts::access::signed_in().await?;
            super::store::create_device(&state.db, event.id, &label, principal.user_id).await
        }
        .await,
    )
}

#[server(endpoint = "revoke_scanner_device")]
pub async fn revoke_scanner_device(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    id: i64,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            super::store::revoke_device(&state.db, event.id, id).await
        }
        .await,
    )
}

/// `/organise/{slug}/checkin`
#[component]
pub fn CheckinDeskPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let create_device = ServerAction::<CreateScannerDevice>::new();
    let revoke_device = ServerAction::<RevokeScannerDevice>::new();
    let remove_list = ServerAction::<RemoveCheckinList>::new();
    let overview = Resource::new(
        move || {
            (
                params.read().get("slug").unwrap_or_default(),
                create_device.version().get(),
                revoke_device.version().get(),
                remove_list.version().get(),
            )
        },
        |(slug, _, _, _)| load_checkin_overview(slug),
    );
    // The counts refresh by themselves while the page is open, without touching the forms.
    let tick = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Ok(timer) = set_interval_with_handle(
            move || {
                tick.try_update(|t| *t = t.wrapping_add(1));
            },
            std::time::Duration::from_secs(15),
        ) {
            on_cleanup(move || timer.clear());
        }
    });
    let live = Resource::new(
        move || (params.read().get("slug").unwrap_or_default(), tick.get()),
        |(slug, _)| load_checkin_overview(slug),
    );
    let remove_error = action_error(remove_list);
    let list_error = move || query.read().get("error");
    await_view!(overview, |overview| {
        let slug = overview.slug.clone();
        view! {
            <Title text=format!("Check-in: {}", overview.title) />
            <section class="checkin-desk">
                <p class="eyebrow"><A href=format!("/organise/{slug}")>{overview.title.clone()}</A></p>
                <h1>"Check-in"</h1>
                <p>
                    <A href=format!("/scan/{slug}") attr:class="button">"Open the scanner"</A>
                    " "
                    <A href=format!("/organise/{slug}/badges") attr:class="button secondary">"Print badges"</A>
                </p>
                <h2>"Live counts"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match live.await {
                            Ok(live) => live_counts(live.lists, live.arrivals).into_any(),
                            Err(error) => crate::components::problem_view(error),
                        }
                    })}
                </Transition>
                <h2>"Check-in lists"</h2>
                {move || list_error().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
                <FormAlert error=remove_error />
                {overview.lists.iter().map(|list| {
                    let id = list.id;
                    let slug = slug.clone();
                    let ticket_types = overview.ticket_types.clone();
                    view! {
                        <details class="list-editor">
                            <summary>{format!("Change \u{201c}{}\u{201d}", list.name)}</summary>
                            <ListForm slug=slug.clone() ticket_types list=Some(list.clone()) />
                            <ActionForm action=remove_list attr:class="inline-form">
                                <CsrfField />
                                <input type="hidden" name="slug" value=slug />
                                <input type="hidden" name="id" value=id.to_string() />
                                <button type="submit" class="secondary danger">"Remove this list"</button>
                            </ActionForm>
                        </details>
                    }
                }).collect_view()}
                <h3>"Add a check-in list"</h3>
                <ListForm slug=slug.clone() ticket_types=overview.ticket_types.clone() list=None />
                <ScanningDevices slug=slug.clone() devices=overview.devices.clone() create_device revoke_device />
            </section>
        }
    })
}

/// The event's scanning devices: their tokens are made and revoked here.
#[component]
fn ScanningDevices(
    slug: String,
    devices: Vec<DeviceLine>,
    create_device: ServerAction<CreateScannerDevice>,
    revoke_device: ServerAction<RevokeScannerDevice>,
) -> impl IntoView {
    let device_error = action_error(create_device);
    let revoke_error = action_error(revoke_device);
    let new_token = move || create_device.value().get().and_then(Result::ok);
    view! {
        <h2>"Scanning devices"</h2>
        <p>"Handhelds and apps use the device API with a token; scanner accounts can use the scanner page instead."</p>
        <table class="data">
            <thead><tr><th>"Device"</th><th>"Added"</th><th></th></tr></thead>
            <tbody>
                {devices.iter().map(|d| {
                    let id = d.id;
                    let slug = slug.clone();
                    view! {
                        <tr>
                            <td>{d.label.clone()}</td>
                            <td>{d.created.clone()}</td>
                            <td>
                                {if d.revoked {
                                    view! { <span>"Revoked"</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=revoke_device attr:class="inline-form">
                                            <CsrfField />
                                            <input type="hidden" name="slug" value=slug />
                                            <input type="hidden" name="id" value=id.to_string() />
                                            <button type="submit" class="secondary danger">"Revoke"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <FormAlert error=revoke_error />
        <ActionForm action=create_device attr:class="inline-form">
            <CsrfField />
            <input type="hidden" name="slug" value=slug.clone() />
            <label>"Device name " <input type="text" name="label" required placeholder="Door A handheld" /></label>
            <FormAlert error=device_error />
            <button type="submit">"Add a device"</button>
        </ActionForm>
        {move || new_token().map(|token| view! {
            <p class="alert info">
                "The device's token (shown only now; put it into the device): "
                <code class="device-token">{token}</code>
            </p>
        })}
    }
}

/// The counts table and the arrivals chart.
fn live_counts(lists: Vec<ListLine>, arrivals: Vec<(String, i64)>) -> impl IntoView {
    let peak = arrivals.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    view! {
                <table class="data checkin-counts">
                    <thead><tr><th>"List"</th><th>"Kind"</th><th>"Entry"</th><th>"Admits"</th><th>"Checked in"</th><th>"Inside now"</th><th>"Expected"</th></tr></thead>
                    <tbody>
                        {lists.iter().map(|l| view! {
                            <tr data-list=l.id>
                                <td>{l.name.clone()}</td>
                                <td>{l.kind.clone()}</td>
                                <td>{if l.multi_entry { "Multiple (with exits)" } else { "Single" }}</td>
                                <td>{l.admits.clone()}</td>
                                <td class="count-checked-in">{l.checked_in}</td>
                                <td class="count-inside">{l.inside}</td>
                                <td>{l.expected}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <h2>"Arrivals per 10 minutes"</h2>
                {if arrivals.is_empty() {
                    view! { <p>"No arrivals through an entrance yet."</p> }.into_any()
                } else {
                    view! {
                        <ol class="arrivals-chart" aria-label="Arrivals per 10 minutes">
                            {arrivals.iter().map(|(slot, n)| {
                                let width = format!("width: {}%", (*n * 100 / peak).max(1));
                                view! {
                                    <li>
                                        <span class="slot">{slot.clone()}</span>
                                        <span class="bar" style=width></span>
                                        <span class="n">{*n}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
    }
}

/// Adds a list, or changes `list`: a plain form post, since the admitted ticket types are
/// repeated fields.
#[component]
fn ListForm(slug: String, ticket_types: Vec<(i64, String)>, list: Option<ListLine>) -> impl IntoView {
    let id = list.as_ref().map(|l| l.id.to_string()).unwrap_or_default();
    let name = list.as_ref().map(|l| l.name.clone()).unwrap_or_default();
    let kind = list.as_ref().map(|l| l.kind_code.clone()).unwrap_or_default();
    let multi_entry = list.as_ref().is_some_and(|l| l.multi_entry);
    let admitted = list.as_ref().and_then(|l| l.admitted.clone()).unwrap_or_default();
    let button = if list.is_some() { "Save the list" } else { "Add the list" };
    view! {
        <form method="post" action=format!("/organise/{slug}/checkin/lists") class="stacked">
            <CsrfField />
            <input type="hidden" name="id" value=id />
            <label>"Name " <input type="text" name="name" required placeholder="e.g. Plenary hall" value=name /></label>
            <label>
                "Kind "
                <select name="kind">
                    {ListKind::ALL.into_iter().map(|k| view! { <option value=k.code() selected=k.code() == kind>{k.label()}</option> }).collect_view()}
                </select>
            </label>
            <label><input type="checkbox" name="multi_entry" value="on" checked=multi_entry />" Multiple entry (people leave and come back; exits are scanned)"</label>
            <fieldset>
                <legend>"Admits (none ticked: every ticket type)"</legend>
                {ticket_types.into_iter().map(|(id, name)| view! {
                    <label><input type="checkbox" name="admits" value=id.to_string() checked=admitted.contains(&id) />" "{name}</label>
                }).collect_view()}
            </fieldset>
            <button type="submit">{button}</button>
        </form>
    }
}

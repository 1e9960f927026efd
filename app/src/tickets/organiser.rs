//! The organiser's side of tickets: ticket types and vouchers of an event, the registration list
//! with search, CSV export (`/organise/{slug}/registrations.csv`) and refunds through Stripe.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};
use serde::{Deserialize, Serialize};

use super::rules::{Eligibility, TicketStatus};
use crate::await_view;
use crate::components::{action_error, field_message, CsrfField, Field, FormAlert, PageLinks};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketTypeSummary {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub price: String,
    /// As the form shows it: euros with two decimals.
    pub price_input: String,
    pub capacity: i64,
    pub seats_taken: i64,
    pub confirmed: i64,
    pub sales_start: String,
    pub sales_end: String,
    pub visibility: String,
    pub eligibility: Eligibility,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoucherLine {
    pub code: String,
    pub effect: String,
    pub ticket_type: Option<String>,
    pub percent_off: i64,
    pub uses: String,
    pub valid_until: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistrationLine {
    pub id: i64,
    pub status: TicketStatus,
    pub name: String,
    pub email: String,
    pub organisation: String,
    pub country: String,
    pub cluster: String,
    pub ticket_type: String,
    pub price: String,
    pub registered: String,
    pub may_refund: bool,
    /// A ticket nobody paid for (free, or a hold): organisers may cancel it outright.
    pub may_cancel: bool,
    pub refund_requested: bool,
    /// Why the last refund failed, while the ticket stays valid.
    pub refund_failure: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistrationsView {
    pub slug: String,
    pub title: String,
    pub types: Vec<TicketTypeSummary>,
    /// The registrations of this page (at most `PAGE_SIZE`) of `total`.
    pub rows: Vec<RegistrationLine>,
    pub total: usize,
    pub page: i64,
    pub pages: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketSetup {
    pub slug: String,
    pub title: String,
    pub time_zone: String,
    pub types: Vec<TicketTypeSummary>,
    pub vouchers: Vec<VoucherLine>,
}

#[cfg(feature = "ssr")]
async fn summaries(db: &crate::platform::Db, event: &crate::events::Event) -> Result<Vec<TicketTypeSummary>, AppError> {
    use super::{rules::format_money, store};
    let confirmed = store::confirmed_counts(db, event.id).await?;
    let minute = |t: i64| crate::events::when::form_minute(t, &event.window.zone);
    Ok(store::ticket_types(db, event.id)
        .await?
        .into_iter()
        .map(|t| TicketTypeSummary {
            id: t.id,
            price: format_money(t.price_cents, &t.currency),
            price_input: format!("{}.{:02}", t.price_cents / 100, t.price_cents % 100),
            capacity: t.capacity,
            seats_taken: t.seats_taken,
            confirmed: confirmed.iter().find(|(id, _)| *id == t.id).map_or(0, |(_, n)| *n),
            // To the minute, so that a form saved unchanged changes nothing.
            sales_start: minute(t.sales_start),
            sales_end: minute(t.sales_end),
            visibility: t.visibility.clone(),
            eligibility: t.eligibility(),
            name: t.name,
            description: t.description,
        })
        .collect())
}

#[server(endpoint = "registrations", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_registrations(
    slug: String,
    q: Option<String>,
    status: Option<String>,
    page: Option<i64>,
) -> Result<RegistrationsView, AppError> {
    use super::{rules::format_money, store};
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let status = status.as_deref().and_then(TicketStatus::parse);
            let mut rows = store::registrations(&state.db, event.id, q.as_deref().unwrap_or(""), status).await?;
            let total = rows.len();
            let (window, page, pages) = crate::components::page_window(total, page, crate::components::PAGE_SIZE);
            let rows: Vec<_> = rows.drain(window).collect();
            let zone = event.window.zone.clone();
            Ok(RegistrationsView {
                types: summaries(&state.db, &event).await?,
                rows: rows
                    .into_iter()
                    .map(|t| {
                        let status = t.status();
                        RegistrationLine {
                            id: t.id,
                            status,
                            may_refund: status == TicketStatus::Confirmed
                                && t.payment_intent_id.is_some()
                                && t.refund_requested_at.is_none(),
                            may_cancel: matches!(status, TicketStatus::Confirmed | TicketStatus::Pending)
                                && t.payment_intent_id.is_none(),
                            refund_requested: t.refund_requested_at.is_some() && status == TicketStatus::Confirmed,
                            refund_failure: t.refund_failure.clone().filter(|_| status == TicketStatus::Confirmed),
                            email: t.email,
                            organisation: t.organisation,
                            country: t.country,
                            cluster: t.cluster_name.unwrap_or_default(),
                            price: format_money(t.price_cents, &t.currency),
                            registered: jiff::Timestamp::from_second(t.created_at)
                                .unwrap_or_default()
                                .to_zoned(zone.clone())
                                .strftime("%Y-%m-%d %H:%M")
                                .to_string(),
                            name: t.attendee_name,
                            ticket_type: t.ticket_type,
                        }
                    })
                    .collect(),
                total,
                page,
                pages,
                slug: event.slug,
                title: event.title,
            })
        }
        .await,
    )
}

/// Starts a refund of a paid ticket through Stripe. The ticket is cancelled when Stripe reports
/// the refund (`charge.refunded`), so a refund that fails at Stripe leaves the ticket valid.
#[server(endpoint = "refund_ticket")]
pub async fn refund_ticket(#[server(rename = "csrf")] _csrf: String, slug: String, id: i64) -> Result<(), AppError> {
    use super::store;
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, ticket) = ticket_of_event(&slug, id).await?;
            if ticket.status() != TicketStatus::Confirmed || ticket.payment_intent_id.is_none() {
                return Err(AppError::invalid("ticket", "Only confirmed, paid tickets can be refunded."));
            }
            let payments = state.payments.as_ref().ok_or_else(|| {
                AppError::invalid("ticket", "Online payment is not set up, so refunds cannot be made here.")
            })?;
            payments.refund(&ticket).await?;
            store::mark_refund_requested(&state.db, id).await
        }
        .await,
    )
}

/// For organiser server functions about one ticket: the state and the ticket, when the signed-in
/// person organises the event and the ticket belongs to it (another event's is "not found").
#[cfg(feature = "ssr")]
async fn ticket_of_event(slug: &str, id: i64) -> Result<(crate::state::AppState, super::store::TicketRow), AppError> {
    let (state, event) = crate::accounts::access::organiser(slug).await?;
    let ticket = super::store::ticket(&state.db, id).await?;
    if ticket.event_id != event.id {
        return Err(AppError::NotFound("This ticket".into()));
    }
    Ok((state, ticket))
}

/// Cancels a ticket of the event that nobody paid for (a free ticket, or a seat held for a
/// checkout): the seat, a voucher use and the holder's limited session seats go back, and the
/// holder gets the cancellation mail. Paid tickets are refunded instead.
#[server(endpoint = "cancel_registration")]
pub async fn cancel_registration(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    id: i64,
) -> Result<(), AppError> {
    use super::{mail, store};
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, ticket) = ticket_of_event(&slug, id).await?;
            if ticket.payment_intent_id.is_some() {
                return Err(AppError::invalid("ticket", "This ticket was paid for: refund it instead."));
            }
            let cancellation = mail::cancellation(&state.settings.public_url, &ticket);
            let unpaid = [TicketStatus::Confirmed, TicketStatus::Pending];
            if !store::cancel(&state.db, id, &unpaid, &cancellation).await? {
                return Err(AppError::invalid("ticket", "This ticket is not live any more."));
            }
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "ticket_setup", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_ticket_setup(slug: String) -> Result<TicketSetup, AppError> {
    use super::store;
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let types = summaries(&state.db, &event).await?;
            let zone = event.window.zone.clone();
            let vouchers = store::vouchers(&state.db, event.id)
                .await?
                .into_iter()
                .map(|v| VoucherLine {
                    ticket_type: types.iter().find(|t| Some(t.id) == v.ticket_type_id).map(|t| t.name.clone()),
                    uses: format!("{} of {}", v.times_used, v.max_uses),
                    valid_until: jiff::Timestamp::from_second(v.valid_until - 1)
                        .unwrap_or_default()
                        .to_zoned(zone.clone())
                        .date()
                        .to_string(),
                    code: v.code,
                    effect: v.effect,
                    percent_off: v.percent_off,
                })
                .collect();
            Ok(TicketSetup {
                slug: event.slug,
                title: event.title,
                time_zone: event.window.zone.iana_name().unwrap_or("UTC").to_string(),
                types,
                vouchers,
            })
        }
        .await,
    )
}

/// An instant of a sales window in the event's zone, from `YYYY-MM-DD HH:MM`; a day alone
/// means its first minute, or (`day_only_means_end`) the moment it is over.
#[cfg(feature = "ssr")]
fn sales_instant(
    field: &str,
    text: &str,
    zone: &jiff::tz::TimeZone,
    day_only_means_end: bool,
) -> Result<i64, AppError> {
    use crate::events::when;
    if let Some(at) = when::parse_form_minute(text, zone) {
        return Ok(at);
    }
    // A day alone: sales start at its first minute, or end when it is over.
    let date: jiff::civil::Date = text
        .trim()
        .parse()
        .map_err(|_| AppError::invalid(field, "Give the day and time as YYYY-MM-DD HH:MM (the event's time zone)."))?;
    let date = if day_only_means_end {
        date.tomorrow().map_err(|_| AppError::invalid(field, "This day is out of range."))?
    } else {
        date
    };
    when::instant(date, 0, 0, zone).ok_or_else(|| AppError::invalid(field, "This day does not exist."))
}

#[server(endpoint = "save_ticket_type")]
pub async fn save_ticket_type(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    id: Option<String>,
    name: String,
    description: Option<String>,
    price: String,
    capacity: String,
    sales_start: String,
    sales_end: String,
    visibility: String,
    eligibility: String,
) -> Result<(), AppError> {
    use super::{rules, store};
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let id =
                id.filter(|i| !i.trim().is_empty()).map(|i| i.trim().parse::<i64>()).transpose().map_err(|_| {
                    AppError::invalid("form", "The ticket type to change was not understood; reload the page.")
                })?;
            let name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 80 {
                return Err(AppError::invalid("name", "Give the ticket type a name of at most 80 characters."));
            }
            let description = description.unwrap_or_default().trim().to_string();
            if description.chars().count() > 500 {
                return Err(AppError::invalid("description", "At most 500 characters."));
            }
            let capacity: i64 = capacity
                .trim()
                .parse()
                .ok()
                .filter(|c| (0..=100_000).contains(c))
                .ok_or_else(|| AppError::invalid("capacity", "Give the number of tickets, from 0 to 100000."))?;
            let zone = event.window.zone.clone();
            // The form shows times to the minute: a time sent back as shown keeps the stored
            // instant (which may carry seconds), so a form saved unchanged changes nothing.
            let stored = match id {
                Some(id) => store::ticket_types(&state.db, event.id).await?.into_iter().find(|t| t.id == id),
                None => None,
            };
            let keep = |text: &str, stored: Option<i64>| {
                stored.filter(|at| crate::events::when::form_minute(*at, &zone) == text.trim())
            };
            let kept_start = keep(&sales_start, stored.as_ref().map(|t| t.sales_start));
            let kept_end = keep(&sales_end, stored.as_ref().map(|t| t.sales_end));
            let draft = store::TicketTypeDraft {
                name,
                description,
                price_cents: rules::parse_price("price", &price)?,
                capacity,
                sales_start: match kept_start {
                    Some(at) => at,
                    None => sales_instant("sales_start", &sales_start, &zone, false)?,
                },
                sales_end: match kept_end {
                    Some(at) => at,
                    None => sales_instant("sales_end", &sales_end, &zone, true)?.min(event.window.ends_at),
                },
                visibility: rules::Visibility::parse(&visibility)
                    .ok_or_else(|| AppError::invalid("visibility", "Choose listed or hidden."))?,
                eligibility: rules::Eligibility::parse(&eligibility)
                    .ok_or_else(|| AppError::invalid("eligibility", "Choose who may buy this ticket."))?,
            };
            if draft.sales_end <= draft.sales_start {
                return Err(AppError::invalid(
                    "sales_end",
                    "Sales must end after they start (and before the event ends).",
                ));
            }
            store::save_ticket_type(&state.db, event.id, id, &draft).await.map(|_| ())
        }
        .await,
    )
}

#[server(endpoint = "create_voucher")]
pub async fn create_voucher(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    code: String,
    effect: String,
    ticket_type: Option<String>,
    percent_off: Option<String>,
    max_uses: String,
    valid_until: String,
    note: Option<String>,
) -> Result<(), AppError> {
    use super::{rules, store};
    use crate::platform::{error::reply, now};
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let code = rules::normalise_code(&code);
            if code.len() < 4 || code.len() > 40 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(AppError::invalid("code", "Use 4 to 40 letters, digits and hyphens."));
            }
            let effect = rules::VoucherEffect::parse(&effect)
                .ok_or_else(|| AppError::invalid("effect", "Choose a discount or an unlock."))?;
            let ticket_type_id = ticket_type
                .filter(|t| !t.trim().is_empty())
                .map(|t| t.trim().parse::<i64>())
                .transpose()
                .map_err(|_| AppError::invalid("ticket_type", "Choose one of the ticket types."))?;
            if effect == rules::VoucherEffect::Unlock && ticket_type_id.is_none() {
                return Err(AppError::invalid("ticket_type", "An unlock code opens one ticket type: choose it."));
            }
            let percent_off = match effect {
                rules::VoucherEffect::Discount => percent_off
                    .as_deref()
                    .and_then(|p| p.trim().trim_end_matches('%').parse::<i64>().ok())
                    .filter(|p| (1..=100).contains(p))
                    .ok_or_else(|| AppError::invalid("percent_off", "Give a discount from 1 to 100 percent."))?,
                rules::VoucherEffect::Unlock => 0,
            };
            let max_uses: i64 =
                max_uses.trim().parse().ok().filter(|m| (1..=100_000).contains(m)).ok_or_else(|| {
                    AppError::invalid("max_uses", "Give how often the code can be used, from 1 to 100000.")
                })?;
            let valid_from = now();
            let valid_until = sales_instant("valid_until", &valid_until, &event.window.zone, true)?;
            if valid_until <= valid_from {
                return Err(AppError::invalid("valid_until", "The last valid day must not be in the past."));
            }
            let draft = store::VoucherDraft {
                code,
                effect,
                ticket_type_id,
                percent_off,
                max_uses,
                valid_from,
                valid_until,
                note: note.unwrap_or_default().trim().chars().take(200).collect(),
            };
            store::create_voucher(&state.db, event.id, &draft).await
        }
        .await,
    )
}

/// `/organise/{slug}/registrations`
#[component]
pub fn RegistrationsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let refund = ServerAction::<RefundTicket>::new();
    let cancel = ServerAction::<CancelRegistration>::new();
    let view_data = Resource::new(
        move || {
            (
                params.read().get("slug").unwrap_or_default(),
                query.read().get("q"),
                query.read().get("status"),
                query.read().get("page").and_then(|p| p.parse::<i64>().ok()),
                refund.version().get() + cancel.version().get(),
            )
        },
        |(slug, q, status, page, _)| load_registrations(slug, q, status, page),
    );
    let error = action_error(refund);
    let cancel_error = action_error(cancel);
    await_view!(view_data, |data| {
        let slug = data.slug.clone();
        let q = query.read_untracked().get("q").unwrap_or_default();
        let status = query.read_untracked().get("status").unwrap_or_default();
        let count = data.total;
        let link = {
            let (slug, q, status) = (slug.clone(), q.clone(), status.clone());
            Callback::new(move |page: i64| {
                format!(
                    "/organise/{slug}/registrations?q={}&status={}&page={page}",
                    crate::components::url_encode(&q),
                    crate::components::url_encode(&status)
                )
            })
        };
        view! {
            <Title text=format!("Registrations: {}", data.title) />
            <section class="organise registrations">
                <p class="eyebrow"><A href=format!("/organise/{slug}")>"Organiser area"</A></p>
                <h1>{format!("Registrations: {}", data.title)}</h1>
                <p>
                    <A href=format!("/organise/{slug}/tickets")>"Ticket types and vouchers"</A>
                    " · "
                    <a href=format!("/organise/{slug}/registrations.csv")>"Download all as CSV"</a>
                </p>
                <table class="data">
                    <thead><tr><th scope="col">"Ticket type"</th><th scope="col">"Price"</th><th scope="col">"Confirmed"</th><th scope="col">"Held or sold"</th><th scope="col">"Capacity"</th></tr></thead>
                    <tbody>
                        {data.types.clone().into_iter().map(|t| view! {
                            <tr data-ticket-type=t.id><td>{t.name}</td><td>{t.price}</td><td>{t.confirmed}</td><td>{t.seats_taken}</td><td>{t.capacity}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <form method="get" class="search-form" role="search">
                    <label for="search-q">"Search name, email or organisation"</label>
                    <input id="search-q" name="q" value=q />
                    <label for="search-status">"Status"</label>
                    <select id="search-status" name="status">
                        <option value="">"Any"</option>
                        {TicketStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.code() selected=status == s.code()>{s.label()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="secondary">"Search"</button>
                </form>
                <FormAlert error />
                <FormAlert error=cancel_error />
                <p class="hint">{format!("{count} registrations")}</p>
                <PageLinks page=data.page pages=data.pages link />
                <table class="data">
                    <thead><tr>
                        <th scope="col">"#"</th><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Organisation"</th>
                        <th scope="col">"Cluster"</th><th scope="col">"Ticket"</th><th scope="col">"Price"</th><th scope="col">"Status"</th><th scope="col">"Registered"</th><th scope="col"></th>
                    </tr></thead>
                    <tbody>
                        {data.rows.into_iter().map(|r| {
                            let slug = slug.clone();
                            let refund_slug = slug.clone();
                            view! {
                                <tr data-ticket=r.id data-status=r.status.code()>
                                    <td><A href=format!("/tickets/{}", r.id)>{r.id}</A></td>
                                    <td>{r.name}</td><td>{r.email}</td><td>{r.organisation}</td><td>{r.cluster}</td>
                                    <td>{r.ticket_type}</td><td>{r.price}</td>
                                    <td>
                                        {r.status.label()}{r.refund_requested.then_some(" (refund started)")}
                                        {r.refund_failure.clone().map(|why| view! { <span class="refund-failed">{format!(" (refund failed: {why})")}</span> })}
                                    </td>
                                    <td>{r.registered}</td>
                                    <td>{r.may_refund.then(|| view! {
                                        <ActionForm action=refund attr:class="inline-form">
                                            <CsrfField />
                                            <input type="hidden" name="slug" value=refund_slug />
                                            <input type="hidden" name="id" value=r.id.to_string() />
                                            <button type="submit" class="secondary small">"Refund"</button>
                                        </ActionForm>
                                    })}{r.may_cancel.then(|| view! {
                                        <ActionForm action=cancel attr:class="inline-form">
                                            <CsrfField />
                                            <input type="hidden" name="slug" value=slug.clone() />
                                            <input type="hidden" name="id" value=r.id.to_string() />
                                            <button type="submit" class="secondary small danger">"Cancel"</button>
                                        </ActionForm>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        }
    })
}

/// `/organise/{slug}/tickets`: ticket types and vouchers.
#[component]
pub fn TicketSetupPage() -> impl IntoView {
    let params = use_params_map();
    let save = ServerAction::<SaveTicketType>::new();
    let voucher = ServerAction::<CreateVoucher>::new();
    let setup = Resource::new(
        move || (params.read().get("slug").unwrap_or_default(), save.version().get(), voucher.version().get()),
        |(slug, _, _)| load_ticket_setup(slug),
    );
    let save_error = action_error(save);
    let voucher_error = action_error(voucher);
    await_view!(setup, |setup| {
        let slug = setup.slug.clone();
        let types = setup.types.clone();
        let field = move |name: &'static str| field_message(save_error, name);
        let vfield = move |name: &'static str| field_message(voucher_error, name);
        view! {
            <Title text=format!("Tickets: {}", setup.title) />
            <section class="organise ticket-setup">
                <p class="eyebrow"><A href=format!("/organise/{slug}")>"Organiser area"</A></p>
                <h1>{format!("Ticket types and vouchers: {}", setup.title)}</h1>
                <p><A href=format!("/organise/{slug}/registrations")>"See the registrations"</A></p>
                <p class="hint">{format!("Days are in the event's time zone ({}). Sales run from the start of the first day to the end of the last.", setup.time_zone)}</p>
                <FormAlert error=save_error fields=&["name", "description", "price", "capacity", "sales_start", "sales_end", "visibility", "eligibility"] />
                {setup.types.into_iter().map(|t| {
                    let slug = slug.clone();
                    view! {
                        <details class="ticket-type-edit" data-ticket-type=t.id>
                            <summary>{format!("{} · {} · {} of {} taken", t.name, t.price, t.seats_taken, t.capacity)}</summary>
                            <TicketTypeForm action=save slug id=Some(t.id) t=Some(t.clone()) field />
                        </details>
                    }
                }).collect_view()}
                <h2>"New ticket type"</h2>
                <TicketTypeForm action=save slug=slug.clone() id=None t=None field />
                <h2>"Vouchers and codes"</h2>
                <table class="data">
                    <thead><tr><th scope="col">"Code"</th><th scope="col">"Does"</th><th scope="col">"Ticket type"</th><th scope="col">"Used"</th><th scope="col">"Valid until"</th></tr></thead>
                    <tbody>
                        {setup.vouchers.into_iter().map(|v| view! {
                            <tr>
                                <td><code>{v.code}</code></td>
                                <td>{if v.effect == "unlock" { "Unlocks the ticket type".to_string() } else { format!("{} % off", v.percent_off) }}</td>
                                <td>{v.ticket_type.unwrap_or_else(|| "Any".into())}</td>
                                <td>{v.uses}</td>
                                <td>{v.valid_until}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <h3>"New voucher"</h3>
                <ActionForm action=voucher attr:class="stacked" attr:novalidate=true>
                    <CsrfField />
                    <input type="hidden" name="slug" value=slug.clone() />
                    <FormAlert error=voucher_error fields=&["code", "effect", "ticket_type", "percent_off", "max_uses", "valid_until"] />
                    <Field label="Code" name="code" error=vfield("code") />
                    <div class="field">
                        <label for="field-effect">"What it does"</label>
                        <select id="field-effect" name="effect">
                            <option value="unlock">"Unlocks a ticket type (membership or invitation code)"</option>
                            <option value="discount">"Takes a percentage off"</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="field-voucher-type">"Ticket type"</label>
                        <select id="field-voucher-type" name="ticket_type">
                            <option value="">"Any (discounts only)"</option>
                            {types.into_iter().map(|t| view! { <option value=t.id.to_string()>{t.name}</option> }).collect_view()}
                        </select>
                        {move || vfield("ticket_type").get().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <Field label="Percent off (discounts)" name="percent_off" required=false error=vfield("percent_off") />
                    <Field label="Number of uses" name="max_uses" value="1".to_string() error=vfield("max_uses") />
                    <Field label="Last valid day (YYYY-MM-DD)" name="valid_until" error=vfield("valid_until") />
                    <Field label="Note (for organisers)" name="note" required=false error=vfield("note") />
                    <button type="submit">"Create voucher"</button>
                </ActionForm>
            </section>
        }
    })
}

#[component]
fn TicketTypeForm(
    action: ServerAction<SaveTicketType>,
    slug: String,
    id: Option<i64>,
    t: Option<TicketTypeSummary>,
    field: impl Fn(&'static str) -> Signal<Option<String>> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let value = |f: fn(&TicketTypeSummary) -> String| t.as_ref().map(f).unwrap_or_default();
    let (name, description, price, capacity, sales_start, sales_end) = (
        value(|t| t.name.clone()),
        value(|t| t.description.clone()),
        value(|t| t.price_input.clone()),
        value(|t| t.capacity.to_string()),
        value(|t| t.sales_start.clone()),
        value(|t| t.sales_end.clone()),
    );
    let visibility = value(|t| t.visibility.clone());
    let eligibility = t.as_ref().map(|t| t.eligibility).unwrap_or(Eligibility::Anyone);
    view! {
        <ActionForm action attr:class="stacked" attr:novalidate=true>
            <CsrfField />
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="id" value=id.map(|i| i.to_string()).unwrap_or_default() />
            <Field label="Name" name="name" value=name error=field("name") />
            <Field label="Description" name="description" required=false value=description error=field("description") />
            <div class="field-row">
                <Field label="Price in euros (0 for free)" name="price" value=price error=field("price") />
                <Field label="Capacity" name="capacity" kind="number" value=capacity error=field("capacity") />
            </div>
            <div class="field-row">
                <Field label="Sales start (YYYY-MM-DD HH:MM, the event's time)" name="sales_start" value=sales_start error=field("sales_start") />
                <Field label="Sales end (YYYY-MM-DD HH:MM, the event's time)" name="sales_end" value=sales_end error=field("sales_end") />
            </div>
            <div class="field-row">
                <div class="field">
                    <label>"Listed"
                        <select name="visibility">
                            <option value="public" selected=visibility != "hidden">"On the event page"</option>
                            <option value="hidden" selected=visibility == "hidden">"Hidden (only with its code)"</option>
                        </select>
                    </label>
                </div>
                <div class="field">
                    <label>"Who may buy"
                        <select name="eligibility">
                            {Eligibility::ALL.into_iter().map(|e| view! {
                                <option value=e.code() selected=e == eligibility>{e.label()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </div>
            </div>
            <button type="submit">{if id.is_some() { "Save ticket type" } else { "Add ticket type" }}</button>
        </ActionForm>
    }
}

//! Badges: the signed QR code of a ticket, the printable A6 badge (`/tickets/{id}/badge`), the
//! PNG (`/tickets/{id}/badge.png`) and batch printing for organisers
//! (`/organise/{slug}/badges`).

pub mod code;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod keys;
#[cfg(feature = "ssr")]
pub mod render;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};
use serde::{Deserialize, Serialize};

use crate::await_view;
use crate::components::{action_error, CsrfField, FormAlert, PageLinks};
use crate::error::AppError;

/// One badge as printed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Badge {
    pub ticket_id: i64,
    pub event_title: String,
    pub name: String,
    pub organisation: String,
    pub cluster: Option<String>,
    pub country: String,
    pub ticket_type: String,
    pub code: String,
    /// The QR symbol as an `<svg>` element, rendered on the server.
    pub qr_svg: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BadgeSheet {
    pub badge: Badge,
    pub event_slug: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BadgeBatch {
    pub slug: String,
    pub title: String,
    pub ticket_types: Vec<(i64, String)>,
    /// The badges of this page (at most `BADGES_PER_PAGE`) of `total`.
    pub badges: Vec<Badge>,
    pub total: usize,
    pub page: i64,
    pub pages: i64,
}

#[cfg(feature = "ssr")]
fn badge_of(ticket: &crate::tickets::store::TicketRow, code: String) -> Result<Badge, AppError> {
    Ok(Badge {
        ticket_id: ticket.id,
        event_title: ticket.event_title.clone(),
        name: ticket.attendee_name.clone(),
        organisation: ticket.organisation.clone(),
        cluster: ticket.cluster_name.clone(),
        country: ticket.country.clone(),
        ticket_type: ticket.ticket_type.clone(),
        qr_svg: render::svg(&code)?,
        code,
    })
}

#[server(endpoint = "ticket_badge", input = leptos::server_fn::codec::GetUrl)]
pub async fn ticket_badge(id: i64) -> Result<BadgeSheet, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, ticket) = crate::tickets::server::visible_ticket(id).await?;
            let code = store::current_code(&state.db, &state.badge_keys, id)
                .await?
                .ok_or_else(|| AppError::invalid("ticket", "Only a confirmed ticket has a badge."))?;
            Ok(BadgeSheet { badge: badge_of(&ticket, code)?, event_slug: ticket.event_slug.clone() })
        }
        .await,
    )
}

/// Replaces a lost badge: the old code is refused from now on.
#[server(endpoint = "reissue_badge")]
pub async fn reissue_badge(#[server(rename = "csrf")] _csrf: String, id: i64) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let (state, _, _) = crate::tickets::server::visible_ticket(id).await?;
            store::reissue(&state.db, id).await
        }
        .await,
    )
}

#[server(endpoint = "badge_batch", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_badge_batch(
    slug: String,
    ticket_type: Option<i64>,
    q: String,
    page: Option<i64>,
) -> Result<BadgeBatch, AppError> {
    use crate::platform::error::reply;
    use crate::tickets::{rules::TicketStatus, store as tickets};
    reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            store::issue_missing(&state.db, event.id).await?;
            let rows: Vec<_> = tickets::registrations(&state.db, event.id, &q, Some(TicketStatus::Confirmed))
                .await?
                .into_iter()
                .filter(|t| ticket_type.is_none_or(|wanted| t.ticket_type_id == wanted))
                .collect();
            // A page at a time: thousands of badges (each a QR code, sent once as markup and once
            // as the page's hydration data) would make one huge page.
            let total = rows.len();
            let (window, page, pages) = crate::components::page_window(total, page, BADGES_PER_PAGE);
            let rows = &rows[window];
            let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
            let codes = store::codes_of(&state.db, &state.badge_keys, event.id, &ids).await?;
            let mut badges = Vec::with_capacity(rows.len());
            for ticket in rows {
                if let Some((_, code)) = codes.iter().find(|(id, _)| *id == ticket.id) {
                    badges.push(badge_of(ticket, code.clone())?);
                }
            }
            let ticket_types =
                tickets::ticket_types(&state.db, event.id).await?.into_iter().map(|t| (t.id, t.name)).collect();
            Ok(BadgeBatch { slug, title: event.title, ticket_types, badges, total, page, pages })
        }
        .await,
    )
}

/// Badges per page of batch printing (about 30 KB each, counting the QR code twice).
pub const BADGES_PER_PAGE: usize = 50;

/// Opens the browser's print dialogue (once the page is hydrated).
fn print_page() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().print();
    }
}

/// One printed badge; the print style sheet makes it an A6 page.
#[component]
fn BadgeCard(badge: Badge) -> impl IntoView {
    let cluster_line = [badge.cluster.clone().unwrap_or_default(), badge.country.clone()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <article class="badge" data-ticket=badge.ticket_id>
            <p class="badge-event">{badge.event_title}</p>
            <h2 class="badge-name">{badge.name}</h2>
            <p class="badge-organisation">{badge.organisation}</p>
            <p class="badge-cluster">{cluster_line}</p>
            <div class="badge-qr" role="img" aria-label="Check-in code" inner_html=badge.qr_svg></div>
            <p class="badge-type">{badge.ticket_type}</p>
            <p class="badge-code"><code>{badge.code}</code></p>
        </article>
    }
}

/// `/tickets/{id}/badge`
#[component]
pub fn BadgePage() -> impl IntoView {
    let params = use_params_map();
    let reissue = ServerAction::<ReissueBadge>::new();
    let sheet = Resource::new(
        move || (params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0), reissue.version().get()),
        |(id, _)| ticket_badge(id),
    );
    let error = action_error(reissue);
    await_view!(sheet, |sheet| {
        let id = sheet.badge.ticket_id;
        view! {
            <Title text=format!("Badge {id}") />
            <section class="badge-sheet">
                <div class="no-print">
                    <p class="eyebrow"><A href=format!("/tickets/{id}")>"Back to the ticket"</A></p>
                    <p>
                        "Print this page on A6 (or A4, folded), or show the code on your phone at the door. "
                        <a href=format!("/tickets/{id}/badge.png") download>"Download the code as an image"</a>
                    </p>
                </div>
                <BadgeCard badge=sheet.badge.clone() />
                <div class="no-print">
                    <ActionForm action=reissue attr:class="inline-form">
                        <CsrfField />
                        <input type="hidden" name="id" value=id.to_string() />
                        <FormAlert error />
                        <button type="submit" class="secondary">"Re-issue this badge (the old one stops working)"</button>
                    </ActionForm>
                </div>
            </section>
        }
    })
}

/// `/organise/{slug}/badges?ticket_type=…&q=…`: every confirmed ticket's badge, one per page.
#[component]
pub fn BadgeBatchPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let batch = Resource::new(
        move || {
            let query = query.read();
            (
                params.read().get("slug").unwrap_or_default(),
                query.get("ticket_type").and_then(|t| t.parse::<i64>().ok()),
                query.get("q").unwrap_or_default(),
                query.get("page").and_then(|p| p.parse::<i64>().ok()),
            )
        },
        |(slug, ticket_type, q, page)| load_badge_batch(slug, ticket_type, q, page),
    );
    await_view!(batch, |batch| {
        let count = batch.total;
        let selected = query.read_untracked().get("ticket_type").unwrap_or_default();
        let q = query.read_untracked().get("q").unwrap_or_default();
        let link = {
            let (slug, selected, q) = (batch.slug.clone(), selected.clone(), q.clone());
            Callback::new(move |page: i64| {
                format!(
                    "/organise/{slug}/badges?ticket_type={}&q={}&page={page}",
                    crate::components::url_encode(&selected),
                    crate::components::url_encode(&q)
                )
            })
        };
        view! {
            <Title text=format!("Badges: {}", batch.title) />
            <section class="badge-sheet">
                <div class="no-print">
                    <p class="eyebrow"><A href=format!("/organise/{}", batch.slug)>{batch.title.clone()}</A></p>
                    <h1>"Print badges"</h1>
                    <form method="get" class="filters">
                        <label>
                            "Ticket type "
                            <select name="ticket_type">
                                <option value="">"All"</option>
                                {batch.ticket_types.iter().map(|(id, name)| {
                                    let id = id.to_string();
                                    view! { <option value=id.clone() selected=id == selected>{name.clone()}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <label>"Name, email or organisation " <input type="search" name="q" value=q /></label>
                        <button type="submit">"Filter"</button>
                    </form>
                    <p>
                        {format!("{count} badge(s). ")}
                        // No inline handler (the page's CSP allows none): the hydrated page prints.
                        <button type="button" on:click=move |_| print_page()>"Print this page"</button>
                    </p>
                    <PageLinks page=batch.page pages=batch.pages link />
                </div>
                {batch.badges.into_iter().map(|badge| view! { <BadgeCard badge /> }).collect_view()}
            </section>
        }
    })
}

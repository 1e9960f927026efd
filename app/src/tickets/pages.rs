//! Attendee pages: the ticket list of an event page, registration with its review step, the
//! ticket page and the account's ticket list. Every form is a plain POST (or GET) that works
//! without JavaScript and is enhanced once the page hydrates.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use super::rules::{Eligibility, OrganisationType, ProfileForm, TicketStatus};
use super::{
    load_registration_review, load_registration_start, load_ticket, my_tickets, ticket_offers, CancelTicket,
    ConfirmRegistration, PrepareRegistration, RegistrationStart, TicketOffer,
};
use crate::await_view;
use crate::components::{action_error, field_message, CsrfField, Field, FormAlert};
use crate::error::AppError;
use crate::events::Theme;

/// The ticket types on an event's page, with the way to register.
#[component]
pub fn TicketOffers(slug: String) -> impl IntoView {
    let offers = Resource::new(
        {
            let slug = slug.clone();
            move || slug.clone()
        },
        ticket_offers,
    );
    let register = StoredValue::new(format!("/events/{slug}/register"));
    await_view!(offers, |offers| {
        // Shown even when nothing is available to this visitor yet: signing in or a code may
        // change that, and the registration page explains both.
        let open = !offers.is_empty();
        view! {
            <section class="tickets" aria-labelledby="tickets-heading">
                <h2 id="tickets-heading">"Tickets"</h2>
                {offers.is_empty().then(|| view! { <p>"Tickets are not on sale yet."</p> })}
                <ul class="offers">
                    {offers.into_iter().map(|o| view! { <OfferLine offer=o /> }).collect_view()}
                </ul>
                {open.then(|| view! { <p><a class="button" href=register.get_value()>"Register"</a></p> })}
            </section>
        }
    })
}

#[component]
fn OfferLine(offer: TicketOffer) -> impl IntoView {
    let who = match offer.eligibility {
        Eligibility::Anyone => None,
        other => Some(other.label()),
    };
    view! {
        <li class="offer" class:unavailable=!offer.available data-ticket-type=offer.id>
            <span class="offer-name">{offer.name}</span>
            " "
            <span class="price">{offer.price}</span>
            {who.map(|w| view! { <span class="eligibility">{format!(" · {w}")}</span> })}
            {(!offer.description.is_empty()).then(|| view! { <p class="hint">{offer.description}</p> })}
            {offer.note.map(|n| view! { <p class="offer-note">{n}</p> })}
        </li>
    }
}

/// `/events/{slug}/register`: choose a ticket, fill the attendee profile.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let prepare = ServerAction::<PrepareRegistration>::new();
    let start = Resource::new(
        move || (params.read().get("slug").unwrap_or_default(), query.read().get("voucher")),
        |(slug, voucher)| load_registration_start(slug, voucher),
    );
    await_view!(start, |start| {
        let slug = start.slug.clone();
        let here = format!("/events/{slug}/register");
        let body = if start.email.is_none() {
            view! {
                <p>"Tickets belong to an account, so that you can find them again, build your agenda and book B2B meetings."</p>
                <p>
                    <a class="button" href=format!("/signin?next={here}")>"Sign in to register"</a>
                    " or "
                    <a href="/signup">"create an account"</a>
                </p>
            }
            .into_any()
        } else if let Some(ticket) = start.existing_ticket {
            view! {
                <p class="alert info" role="status">
                    "You already have a ticket for this event. "
                    <A href=format!("/tickets/{ticket}")>"See your ticket"</A>
                </p>
            }
            .into_any()
        } else {
            view! { <RegistrationForm start=start.clone() prepare /> }.into_any()
        };
        view! {
            <Title text=format!("Register: {}", start.title) />
            <section class="form-page wide">
                <p class="eyebrow"><A href=format!("/events/{}", start.slug)>{start.title.clone()}</A> " · " {start.dates.clone()}</p>
                <h1>"Register"</h1>
                {body}
            </section>
        }
    })
}

/// The registration form: a code to apply, the ticket, and the attendee profile.
#[component]
fn RegistrationForm(start: RegistrationStart, prepare: ServerAction<PrepareRegistration>) -> impl IntoView {
    let error = action_error(prepare);
    let field = move |name: &'static str| field_message(error, name);
    let slug = start.slug.clone();
    let here = format!("/events/{slug}/register");
    let form = start.form.clone();
    let chosen = start.chosen;
    let clusters = start.clusters.clone();
    view! {
        <form method="get" action=here.clone() class="voucher-form">
            <div class="field">
                <label for="field-voucher-code">"Voucher, invitation or membership code"</label>
                <div class="field-row">
                    <input id="field-voucher-code" name="voucher" value=start.voucher.clone() autocomplete="off" />
                    <button type="submit" class="secondary">"Apply code"</button>
                </div>
                {move || field("voucher").get().map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
        </form>
        <ActionForm action=prepare attr:class="stacked registration" attr:novalidate=true>
            <CsrfField />
            <input type="hidden" name="slug" value=slug.clone() />
            <input type="hidden" name="voucher" value=start.voucher.clone() />
            <FormAlert error fields=&["ticket_type", "attendee_name", "organisation", "organisation_type", "cluster", "country", "job_role", "themes", "offers", "seeks", "terms_consent", "voucher"] />
            <fieldset class="ticket-choice">
                <legend>"Ticket"</legend>
                {start.offers.clone().into_iter().map(|o| {
                    let id = format!("ticket-{}", o.id);
                    view! {
                        <div class="choice" class:unavailable=!o.available>
                            <input type="radio" id=id.clone() name="ticket_type" value=o.id.to_string()
                                disabled=!o.available checked=chosen == Some(o.id) || (chosen.is_none() && o.available && o.price_cents == 0) />
                            <label for=id>
                                <strong>{o.name}</strong> " " <span class="price">{o.price}</span>
                                {o.note.map(|n| view! { <span class="offer-note">{format!(" · {n}")}</span> })}
                            </label>
                        </div>
                    }
                }).collect_view()}
                {move || field("ticket_type").get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </fieldset>
            <p class="hint">{format!("Your ticket and its mails go to {}.", start.email.clone().unwrap_or_default())}</p>
            <Field label="Name on the badge" name="attendee_name" autocomplete="name" value=form.attendee_name.clone() error=field("attendee_name") />
            <Field label="Organisation" name="organisation" autocomplete="organization" value=form.organisation.clone() error=field("organisation") />
            <ProfileFields form=form.clone() clusters error />
            <button type="submit">"Review my registration"</button>
        </ActionForm>
    }
}

/// The attendee profile of a registration: who they are, their cluster, what they offer and seek,
/// and their consents.
#[component]
fn ProfileFields(form: ProfileForm, clusters: Vec<(String, String)>, error: Signal<Option<AppError>>) -> impl IntoView {
    let field = move |name: &'static str| field_message(error, name);
    let themes: Vec<String> = form.themes.split(',').map(str::to_string).collect();
    let cluster = form.cluster.clone();
    let org_type = form.organisation_type.clone();
    view! {
        <div class="field">
            <label for="field-organisation_type">"Kind of organisation"</label>
            <select id="field-organisation_type" name="organisation_type" required=true>
                <option value="">"Choose…"</option>
                {OrganisationType::ALL.into_iter().map(|t| view! {
                    <option value=t.code() selected=org_type == t.code()>{t.label()}</option>
                }).collect_view()}
            </select>
            {move || field("organisation_type").get().map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
        <div class="field">
            <label for="field-cluster">"Your cluster"</label>
            <select id="field-cluster" name="cluster">
                <option value="none">"None of these"</option>
                {clusters.into_iter().map(|(code, name)| view! {
                    <option value=code.clone() selected=cluster == code>{name}</option>
                }).collect_view()}
            </select>
            {move || field("cluster").get().map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
        <Field label="Country" name="country" autocomplete="country-name" value=form.country.clone() error=field("country") />
        <Field label="Your role" name="job_role" autocomplete="organization-title" value=form.job_role.clone() error=field("job_role") />
        <fieldset class="themes">
            <legend>"Themes of interest"</legend>
            {Theme::ALL.into_iter().map(|t| {
                let name = format!("theme_{}", t.code().replace('-', "_"));
                let id = format!("field-{name}");
                view! {
                    <div class="choice">
                        <input type="checkbox" id=id.clone() name=name value="on" checked=themes.iter().any(|c| c == t.code()) />
                        <label for=id>{t.label()}</label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
        <div class="field">
            <label for="field-offers">"What you offer (for B2B matchmaking)"</label>
            <textarea id="field-offers" name="offers" rows="3">{form.offers.clone()}</textarea>
            {move || field("offers").get().map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
        <div class="field">
            <label for="field-seeks">"What you are looking for"</label>
            <textarea id="field-seeks" name="seeks" rows="3">{form.seeks.clone()}</textarea>
            {move || field("seeks").get().map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
        <div class="choice">
            <input type="checkbox" id="field-directory_consent" name="directory_consent" value="on" checked=form.directory_consent />
            <label for="field-directory_consent">"List me in the event's participant directory, so that others can ask me for B2B meetings."</label>
        </div>
        <div class="choice" class:has-error=move || field("terms_consent").get().is_some()>
            <input type="checkbox" id="field-terms_consent" name="terms_consent" value="on" checked=form.terms_consent />
            <label for="field-terms_consent">"I accept the terms of participation and the processing of my registration data by the organising clusters."</label>
            {move || field("terms_consent").get().map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
    }
}

/// `/events/{slug}/register/review`: check everything, then confirm (and pay).
#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let confirm = ServerAction::<ConfirmRegistration>::new();
    // Read again after a refused confirmation: a changed price shows at once.
    let review = Resource::new(move || (slug(), confirm.version().get()), |(slug, _)| load_registration_review(slug));
    let error = action_error(confirm);
    await_view!(review, |review| match review {
        None => view! {
            <Title text="Registration" />
            <section class="form-page">
                <h1>"Nothing to review"</h1>
                <p>"Your registration form was not found (or you have registered already)."</p>
                <p><a class="button" href=format!("/events/{}/register", slug())>"Go to the registration form"</a></p>
            </section>
        }
        .into_any(),
        Some(review) => {
            let pay = review.total_cents > 0;
            let change = format!("/events/{}/register", review.slug);
            view! {
                <Title text=format!("Review: {}", review.title) />
                <section class="form-page wide review">
                    <p class="eyebrow">{review.title.clone()}</p>
                    <h1>"Check your registration"</h1>
                    <dl class="facts">
                        <dt>"Ticket"</dt>
                        <dd>{review.ticket_name.clone()}</dd>
                        {review.voucher.clone().map(|v| view! { <dt>"Code"</dt><dd>{v}</dd> })}
                        <dt>"Price"</dt>
                        <dd>
                            {(review.list_price != review.total).then(|| view! { <s>{review.list_price.clone()}</s> " " })}
                            <strong class="total">{review.total.clone()}</strong>
                        </dd>
                        <dt>"Email"</dt>
                        <dd>{review.email.clone()}</dd>
                        {review.profile.clone().into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
                    </dl>
                    <FormAlert error />
                    <ActionForm action=confirm attr:class="stacked">
                        <CsrfField />
                        <input type="hidden" name="slug" value=review.slug.clone() />
                        <input type="hidden" name="reviewed_total" value=review.total_cents />
                        <button type="submit">
                            {if pay { format!("Confirm and pay {}", review.total) } else { "Confirm registration".to_string() }}
                        </button>
                    </ActionForm>
                    {pay.then(|| view! { <p class="hint">"You will pay on Stripe's secure payment page. Your seat is held while you pay."</p> })}
                    <p><a href=change>"Change something"</a></p>
                </section>
            }
            .into_any()
        }
    })
}

/// `/tickets/{id}`: the holder's ticket.
#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let cancel = ServerAction::<CancelTicket>::new();
    let ticket = Resource::new(
        move || (params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0), cancel.version().get()),
        |(id, _)| load_ticket(id),
    );
    let error = action_error(cancel);
    await_view!(ticket, |ticket| {
        let status_class = format!("status status-{}", ticket.status.code());
        view! {
            <Title text=format!("Ticket {}", ticket.id) />
            <section class="ticket-page" data-status=ticket.status.code()>
                <p class="eyebrow"><A href=format!("/events/{}", ticket.event_slug)>{ticket.event_title.clone()}</A></p>
                <h1>{format!("{} ticket", ticket.ticket_type)}</h1>
                <p class=status_class role="status">{ticket.status.label()}</p>
                {(ticket.status == TicketStatus::Pending).then(|| view! {
                    <p class="alert info">
                        "Your seat is held while you pay. This page shows the ticket as confirmed as soon as Stripe tells us the payment went through. "
                        {ticket.checkout_url.clone().map(|url| view! { <a href=url>"Continue to payment"</a> })}
                    </p>
                })}
                {ticket.refund_requested.then(|| view! { <p class="alert info">"A refund has been started; the ticket is cancelled once Stripe confirms it."</p> })}
                {ticket.refund_failure.clone().map(|why| view! {
                    <p class="alert error" role="alert">{format!("The refund could not be made ({why}). Your ticket stays valid; please contact the organisers.")}</p>
                })}
                <dl class="facts">
                    <dt>"Ticket number"</dt>
                    <dd>{ticket.id}</dd>
                    <dt>"Price"</dt>
                    <dd>{ticket.price.clone()}</dd>
                    <dt>"Email"</dt>
                    <dd>{ticket.email.clone()}</dd>
                    {ticket.profile.clone().into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
                </dl>
                <p>
                    <a href=format!("/events/{}/calendar.ics", ticket.event_slug)>"Add the event to your calendar"</a>
                    " · "
                    <A href=format!("/events/{}/agenda", ticket.event_slug)>"Build your agenda"</A>
                </p>
                {(ticket.status == TicketStatus::Confirmed).then(|| view! {
                    <p><A href=format!("/tickets/{}/badge", ticket.id) attr:class="button">"Your badge and check-in code"</A></p>
                })}
                {ticket.may_cancel.then(|| view! {
                    <ActionForm action=cancel attr:class="inline-form">
                        <CsrfField />
                        <input type="hidden" name="id" value=ticket.id.to_string() />
                        <FormAlert error />
                        <button type="submit" class="secondary danger">"Cancel my ticket"</button>
                    </ActionForm>
                })}
            </section>
        }
    })
}

/// The signed-in person's tickets, on the account page.
#[component]
pub fn MyTickets() -> impl IntoView {
    let tickets = Resource::new(|| (), |_| my_tickets());
    await_view!(tickets, |tickets| view! {
        <h2>"Your tickets"</h2>
        {tickets.is_empty().then(|| view! { <p>"You have no tickets yet. Choose an event to register."</p> })}
        <ul class="my-tickets">
            {tickets.into_iter().map(|t| view! {
                <li data-status=t.status.code()>
                    <A href=format!("/tickets/{}", t.id)>{format!("{}: {}", t.event_title, t.ticket_type)}</A>
                    " · " <span class="status">{t.status.label()}</span>
                </li>
            }).collect_view()}
        </ul>
    })
}

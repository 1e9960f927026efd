//! ClusterXchange grants: a member who met peers from another country's cluster, at meetings
//! verified as held, may apply for an exchange visit. So far: the programme's configuration,
//! the pure rules (eligibility, the length of a stay, distances, the amount), and the verdict a
//! member sees at `/grants`, every rule with pass or fail.

// Server functions take one argument per field of their form (plain form posts need that).
#![allow(clippy::too_many_arguments)]

#[cfg(feature = "ssr")]
pub mod cities;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod rules;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::await_view;
use crate::components::{action_error, field_message, CsrfField, FormAlert};
use crate::error::AppError;

/// One rule of the verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleLine {
    pub rule: String,
    pub passed: bool,
    pub detail: String,
}

/// An agreed meeting on the verdict page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerdictMeeting {
    pub id: i64,
    /// "Kadri Kask, Tartu Omics OÜ (Estonia)"
    pub partner: String,
    /// "Heidelberg 2027, Tuesday 16 March"
    pub when: String,
    pub verified_held: bool,
    pub counts: bool,
}

/// `/grants`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrantVerdict {
    pub programme: Option<String>,
    pub eligible: bool,
    pub rules: Vec<RuleLine>,
    pub missing: Option<String>,
    pub meetings: Vec<VerdictMeeting>,
}

#[server(endpoint = "grant_verdict", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_grant_verdict() -> Result<GrantVerdict, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            let Some(programme) = store::current(&state.db).await? else {
                return Ok(GrantVerdict {
                    programme: None,
                    eligible: false,
                    rules: Vec::new(),
                    missing: None,
                    meetings: Vec::new(),
                });
            };
            let store::MemberVerdict { meetings, verdict, .. } =
                store::verdict_of(&state.db, &programme.rules, principal.user_id).await?;
            let day = |at: i64| {
                jiff::Timestamp::from_second(at)
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
                    .strftime("%A %-d %B %Y")
                    .to_string()
            };
            Ok(GrantVerdict {
                programme: Some(programme.name),
                eligible: verdict.eligible,
                rules: verdict
                    .checks
                    .into_iter()
                    .map(|c| RuleLine { rule: c.rule, passed: c.passed, detail: c.detail })
                    .collect(),
                missing: verdict.missing,
                meetings: meetings
                    .into_iter()
                    .map(|m| VerdictMeeting {
                        id: m.counted.id,
                        partner: format!(
                            "{}, {} ({})",
                            m.partner_name,
                            m.counted.partner_organisation,
                            m.counted
                                .partner_country
                                .as_deref()
                                .map(crate::events::country_name)
                                .unwrap_or("no cluster")
                        ),
                        when: format!("{}, {}", m.event_title, day(m.starts_at)),
                        verified_held: m.counted.verified_held,
                        counts: verdict.counted.contains(&m.counted.id),
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// `/grants`: the member's eligibility for an exchange grant, every rule with pass or fail, and
/// the meetings it rests on.
#[component]
pub fn GrantsPage() -> impl IntoView {
    let verdict = Resource::new(|| (), |_| load_grant_verdict());
    await_view!(verdict, |view| {
        let Some(programme) = view.programme.clone() else {
            return view! {
                <Title text="ClusterXchange grants" />
                <section class="grants">
                    <h1>"ClusterXchange grants"</h1>
                    <p>"The partnership has not opened a grant programme yet."</p>
                </section>
            }
            .into_any();
        };
        view! {
            <Title text="ClusterXchange grants" />
            <section class="grants">
                <p class="eyebrow">{programme}</p>
                <h1>"ClusterXchange grants"</h1>
                <p class=if view.eligible { "verdict eligible" } else { "verdict not-eligible" } role="status">
                    {if view.eligible { "You are eligible to apply for an exchange grant." } else { "You are not eligible yet." }}
                </p>
                {view.eligible.then(|| view! { <p><A href="/grants/apply" attr:class="button">"Apply for an exchange grant"</A></p> })}
                {view.missing.clone().map(|m| view! { <p class="missing">{format!("Still needed: {m}")}</p> })}
                <h2>"The rules"</h2>
                <ul class="rules">
                    {view.rules.iter().map(|r| view! {
                        <li class=if r.passed { "rule passed" } else { "rule failed" }>
                            <span class="mark">{if r.passed { "✓ Passed: " } else { "✗ Not yet: " }}</span>
                            <strong>{r.rule.clone()}</strong>
                            {format!(" — {}", r.detail)}
                        </li>
                    }).collect_view()}
                </ul>
                <h2>"Your agreed B2B meetings"</h2>
                {if view.meetings.is_empty() {
                    view! { <p>"None yet. " <A href="/">"Find an event"</A> " and book meetings with members of other clusters."</p> }.into_any()
                } else {
                    view! {
                        <ul class="meeting-list">
                            {view.meetings.iter().map(|m| view! {
                                <li class="meeting" data-meeting=m.id>
                                    <strong>{m.partner.clone()}</strong>
                                    {format!(" · {}", m.when)}
                                    <p class="meeting-state">
                                        {match (m.counts, m.verified_held) {
                                            (true, _) => "Counts towards the grant",
                                            (false, true) => "Verified as held, but does not count (same country or no cluster)",
                                            (false, false) => "Not verified as held (confirm it at the table and check in)",
                                        }}
                                    </p>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        }
        .into_any()
    })
}

/// An application as its applicant and its reviewers see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationCard {
    pub id: i64,
    pub organisation: String,
    /// "Tartu Omics OÜ, Tartu (Estonia)"
    pub host: String,
    /// "2027-11-08 to 2027-11-12, 5 working days, 1,524 km"
    pub stay: String,
    pub goals: String,
    /// The amount, line by line: (explanation, "780.00")
    pub amount_lines: Vec<(String, String)>,
    pub amount: String,
    pub status: String,
    pub reason: String,
    /// The audit log: "30 Nov 2026 07:40 UTC · Lotte Janssens · submitted → approved · €780.00"
    pub history: Vec<String>,
}

/// `/grants/apply`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplyView {
    pub programme: Option<String>,
    pub eligible: bool,
    pub missing: Option<String>,
    /// Partners of the meetings that count: the hosts offered first.
    pub hosts: Vec<String>,
    pub cities: Vec<String>,
    pub applications: Vec<ApplicationCard>,
}

/// `/organise/grants`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    pub programme: String,
    /// "€3,120.00 of €20,000.00 committed"
    pub budget: String,
    pub applications: Vec<ApplicationCard>,
}

/// The cards of the applications, each with its audit lines.
#[cfg(feature = "ssr")]
fn cards(rows: Vec<store::ApplicationRow>, audit: &[store::AuditRow]) -> Vec<ApplicationCard> {
    rows.into_iter()
        .map(|row| {
            let history = audit
                .iter()
                .filter(|a| a.application_id == row.id)
                .map(|a| {
                    let at = jiff::Timestamp::from_second(a.at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                    let amount = if a.amount_before == a.amount_after {
                        format!("€{}", store::euros(a.amount_after))
                    } else {
                        format!("€{} → €{}", store::euros(a.amount_before), store::euros(a.amount_after))
                    };
                    let why = if a.reason.is_empty() { String::new() } else { format!(" · {}", a.reason) };
                    format!(
                        "{} UTC · {} · {} → {} · {amount}{why}",
                        at.strftime("%-d %b %Y %H:%M"),
                        a.actor,
                        a.from_status,
                        a.to_status
                    )
                })
                .collect();
            ApplicationCard { history, ..card(row) }
        })
        .collect()
}

#[cfg(feature = "ssr")]
fn card(row: store::ApplicationRow) -> ApplicationCard {
    let lines: Vec<(String, i64)> = serde_json::from_str(&row.amount_lines).unwrap_or_default();
    ApplicationCard {
        id: row.id,
        organisation: row.organisation,
        host: format!(
            "{}, {} ({})",
            row.host_organisation,
            row.host_city,
            crate::events::country_name(&row.host_country)
        ),
        stay: format!(
            "{} to {}, {} working days, {} km from {}",
            row.first_day, row.last_day, row.working_days, row.distance_km, row.visitor_city
        ),
        goals: row.goals,
        amount_lines: lines.into_iter().map(|(why, cents)| (why, store::euros(cents))).collect(),
        amount: store::euros(row.amount),
        status: row.status,
        reason: row.reason,
        history: Vec::new(),
    }
}

#[server(endpoint = "grant_apply_form", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_apply_view() -> Result<ApplyView, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            let programme = store::current(&state.db).await?;
            let mine = store::applications_of(&state.db, principal.user_id).await?;
            let audit = match &programme {
                Some(programme) => store::audit_lines(&state.db, programme.id, None, Some(principal.user_id)).await?,
                None => Vec::new(),
            };
            let applications = cards(mine, &audit);
            let cities = cities::CITIES.iter().map(|(name, ..)| name.to_string()).collect();
            let Some(programme) = programme else {
                return Ok(ApplyView {
                    programme: None,
                    eligible: false,
                    missing: None,
                    hosts: Vec::new(),
                    cities,
                    applications,
                });
            };
            let store::MemberVerdict { meetings, verdict, .. } =
                store::verdict_of(&state.db, &programme.rules, principal.user_id).await?;
            let mut hosts: Vec<String> = meetings
                .iter()
                .filter(|m| verdict.counted.contains(&m.counted.id))
                .map(|m| m.counted.partner_organisation.clone())
                .collect();
            hosts.sort();
            hosts.dedup();
            Ok(ApplyView {
                programme: Some(programme.name),
                eligible: verdict.eligible,
                missing: verdict.missing,
                hosts,
                cities,
                applications,
            })
        }
        .await,
    )
}

/// Submits an application: refused (with the field) unless the member is eligible, the host is
/// in another country of the programme, the cities are on the list, and the stay lasts the
/// programme's working days; the amount is computed by the rules and kept with its explanation
/// and the verdict as it stood.
#[server(endpoint = "submit_grant_application")]
pub async fn submit_grant_application(
    #[server(rename = "csrf")] _csrf: String,
    host_organisation: String,
    host_city: String,
    visitor_city: String,
    first_day: String,
    last_day: String,
    goals: String,
    agenda: String,
) -> Result<i64, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            let programme = store::current(&state.db)
                .await?
                .ok_or_else(|| AppError::invalid("host_organisation", "No grant programme is open."))?;
            let now = crate::platform::now();
            if now < programme.opens_at || now > programme.closes_at {
                return Err(AppError::invalid("host_organisation", "Applications are closed."));
            }
            let store::MemberVerdict { member, verdict, .. } =
                store::verdict_of(&state.db, &programme.rules, principal.user_id).await?;
            let (Some((cluster_id, country)), true) = (member, verdict.eligible) else {
                return Err(AppError::invalid(
                    "host_organisation",
                    format!("You are not eligible yet: {}", verdict.missing.unwrap_or_default()),
                ));
            };
            let organisation = store::applicant_organisation(&state.db, principal.user_id).await?.ok_or_else(|| {
                AppError::invalid("host_organisation", "Your organisation is not known: register for an event first.")
            })?;
            let host_organisation = host_organisation.trim().to_string();
            if host_organisation.is_empty() || host_organisation.chars().count() > 200 {
                return Err(AppError::invalid("host_organisation", "Name the host organisation."));
            }
            let (host_city, host_country, host_at) = cities::find(host_city.trim())
                .ok_or_else(|| AppError::invalid("host_city", "Choose the host's city from the list."))?;
            let (visitor_city, _, visitor_at) = cities::find(visitor_city.trim())
                .ok_or_else(|| AppError::invalid("visitor_city", "Choose your organisation's city from the list."))?;
            if host_country == country {
                return Err(AppError::invalid(
                    "host_city",
                    format!("The host must be in another country than {}.", crate::events::country_name(&country)),
                ));
            }
            if !programme.rules.eligible_countries.iter().any(|c| c == host_country) {
                return Err(AppError::invalid(
                    "host_city",
                    format!("{} is not a country of the programme.", crate::events::country_name(host_country)),
                ));
            }
            let day = |field: &str, text: &str| {
                text.trim()
                    .parse::<jiff::civil::Date>()
                    .map_err(|_| AppError::invalid(field, "Give the day as YYYY-MM-DD."))
            };
            let (first, last) = (day("first_day", &first_day)?, day("last_day", &last_day)?);
            if last < first {
                return Err(AppError::invalid("last_day", "The stay must end on or after its first day."));
            }
            let working_days = rules::working_days(first, last);
            let km = rules::distance_km(visitor_at, host_at);
            let amount = rules::amount(&programme.rules, host_country, working_days, km)
                .map_err(|message| AppError::invalid("last_day", message))?;
            let text = |field: &str, value: &str, max: usize| {
                let value = value.trim().to_string();
                if value.is_empty() || value.chars().count() > max {
                    return Err(AppError::invalid(field, format!("Write between 1 and {max} characters.")));
                }
                Ok(value)
            };
            let submission = store::Submission {
                organisation,
                cluster_id,
                country,
                visitor_city: visitor_city.to_string(),
                host_organisation,
                host_city: host_city.to_string(),
                host_country: host_country.to_string(),
                distance_km: km.round() as i64,
                first_day: first.to_string(),
                last_day: last.to_string(),
                working_days: i64::from(working_days),
                goals: text("goals", &goals, 4_000)?,
                agenda: text("agenda", &agenda, 4_000)?,
                amount: amount.total,
                amount_lines: serde_json::to_string(&amount.lines).unwrap_or_default(),
                verdict: serde_json::to_string(
                    &verdict.checks.iter().map(|c| (&c.rule, c.passed, &c.detail)).collect::<Vec<_>>(),
                )
                .unwrap_or_default(),
            };
            store::submit(&state.db, programme.id, principal.user_id, &submission, now).await
        }
        .await,
    )
}

#[server(endpoint = "grant_reviews", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_reviews() -> Result<ReviewView, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            let scope = reviewer_scope(&principal)?;
            let programme =
                store::current(&state.db).await?.ok_or_else(|| AppError::NotFound("The programme".into()))?;
            Ok(ReviewView {
                budget: format!(
                    "€{} of €{} committed",
                    store::euros(programme.committed),
                    store::euros(programme.budget)
                ),
                applications: cards(
                    store::applications(&state.db, programme.id, scope).await?,
                    &store::audit_lines(&state.db, programme.id, scope, None).await?,
                ),
                programme: programme.name,
            })
        }
        .await,
    )
}

/// Which cluster's applications a reviewer sees: organisers their own, admins all (None).
#[cfg(feature = "ssr")]
fn reviewer_scope(principal: &crate::accounts::Principal) -> Result<Option<i64>, AppError> {
    use crate::accounts::Role;
    match principal.role {
        Role::Admin => Ok(None),
        Role::Organiser => principal.cluster_id.map(Some).ok_or(AppError::Forbidden),
        _ => Err(AppError::Forbidden),
    }
}

/// An organiser of the visitor's cluster approves (reserving the amount from the budget) or
/// rejects (with a reason) a submitted application.
#[server(endpoint = "decide_grant_application")]
pub async fn decide_grant_application(
    #[server(rename = "csrf")] _csrf: String,
    application: i64,
    approve: bool,
    reason: String,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            let scope = reviewer_scope(&principal)?;
            let row = store::application(&state.db, application)
                .await?
                .filter(|row| scope.is_none_or(|cluster| cluster == row.cluster_id))
                .ok_or_else(|| AppError::NotFound("This application".into()))?;
            let programme =
                store::current(&state.db).await?.ok_or_else(|| AppError::NotFound("The programme".into()))?;
            let now = crate::platform::now();
            if approve {
                store::approve(&state.db, programme.id, row.id, principal.user_id, now).await
            } else {
                store::reject(&state.db, row.id, principal.user_id, &reason, now).await
            }
        }
        .await,
    )
}

#[component]
fn ApplicationItem(card: ApplicationCard, #[prop(optional)] review: Option<RwSignal<u64>>) -> impl IntoView {
    view! {
        <li class="application" data-application=card.id data-status=card.status.clone()>
            <p><strong>{card.organisation.clone()}</strong>{format!(" → {}", card.host)}</p>
            <p class="hint">{card.stay.clone()}</p>
            <p class="hint">{format!("Goals: {}", card.goals)}</p>
            <table class="amount">
                <tbody>
                    {card.amount_lines.iter().map(|(why, euros)| view! { <tr><td>{why.clone()}</td><td>{format!("€{euros}")}</td></tr> }).collect_view()}
                </tbody>
            </table>
            <p class="meeting-state">{format!("{} · €{}", card.status, card.amount)}</p>
            {(!card.reason.is_empty()).then(|| view! { <p class="hint">{format!("Reason: {}", card.reason)}</p> })}
            <details class="history">
                <summary>"History"</summary>
                <ol>{card.history.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ol>
            </details>
            {review.filter(|_| card.status == "submitted").map(|changed| view! { <Decide id=card.id changed /> }.into_any())}
        </li>
    }
}

#[component]
fn Decide(id: i64, changed: RwSignal<u64>) -> impl IntoView {
    let decide = ServerAction::<DecideGrantApplication>::new();
    Effect::new(move |_| {
        if decide.version().get() > 0 {
            changed.update(|n| *n += 1);
        }
    });
    let error = action_error(decide);
    view! {
        <FormAlert error />
        <div class="meeting-actions">
            <ActionForm action=decide attr:class="inline-form">
                <CsrfField />
                <input type="hidden" name="application" value=id />
                <input type="hidden" name="approve" value="true" />
                <input type="hidden" name="reason" value="" />
                <button type="submit" class="small">"Approve"</button>
            </ActionForm>
            <ActionForm action=decide attr:class="inline-form">
                <CsrfField />
                <input type="hidden" name="application" value=id />
                <input type="hidden" name="approve" value="false" />
                <label>"Reason " <input name="reason" maxlength="500" /></label>
                <button type="submit" class="small secondary">"Reject"</button>
            </ActionForm>
        </div>
    }
}

fn city_options(cities: &[String]) -> impl IntoView {
    cities.iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()
}

/// `/grants/apply`: the application form, for eligible members, and their applications.
#[component]
pub fn ApplyPage() -> impl IntoView {
    let submit = ServerAction::<SubmitGrantApplication>::new();
    // Reloaded after a successful submission only: a refused one keeps what was typed and chosen.
    let view_data = Resource::new(move || submit.value().get().and_then(Result::ok), |_| load_apply_view());
    let error = action_error(submit);
    await_view!(view_data, |view| {
        let message = move |field: &'static str| {
            move || field_message(error, field).get().map(|e| view! { <p class="field-error">{e}</p> })
        };
        view! {
            <Title text="Apply for an exchange grant" />
            <section class="grants">
                <p class="eyebrow"><A href="/grants">{view.programme.clone().unwrap_or_else(|| "ClusterXchange".into())}</A></p>
                <h1>"Apply for an exchange grant"</h1>
                {(!view.eligible).then(|| view! {
                    <p class="alert">{format!("You are not eligible yet. Still needed: {}", view.missing.clone().unwrap_or_default())}</p>
                })}
                {view.eligible.then(|| view! {
                    <ActionForm action=submit attr:class="stacked">
                        <CsrfField />
                        <FormAlert error fields=&["host_organisation", "host_city", "visitor_city", "first_day", "last_day", "goals", "agenda"] />
                        <div class="field">
                            <label for="field-host_organisation">"Host organisation"</label>
                            <input id="field-host_organisation" name="host_organisation" list="hosts" />
                            <datalist id="hosts">{view.hosts.iter().map(|h| view! { <option value=h.clone()></option> }).collect_view()}</datalist>
                            <p class="hint">"Offered: the organisations you met; any member organisation in another country of the programme may host."</p>
                            {message("host_organisation")}
                        </div>
                        <div class="field">
                            <label for="field-host_city">"Host's city"</label>
                            <select id="field-host_city" name="host_city">{city_options(&view.cities)}</select>
                            {message("host_city")}
                        </div>
                        <div class="field">
                            <label for="field-visitor_city">"Your organisation's city"</label>
                            <select id="field-visitor_city" name="visitor_city">{city_options(&view.cities)}</select>
                            {message("visitor_city")}
                        </div>
                        <div class="field-row">
                            <div class="field">
                                <label for="field-first_day">"First day (YYYY-MM-DD)"</label>
                                <input id="field-first_day" name="first_day" />
                                {message("first_day")}
                            </div>
                            <div class="field">
                                <label for="field-last_day">"Last day (YYYY-MM-DD)"</label>
                                <input id="field-last_day" name="last_day" />
                                {message("last_day")}
                            </div>
                        </div>
                        <div class="field">
                            <label for="field-goals">"Goals of the exchange"</label>
                            <textarea id="field-goals" name="goals" rows="3"></textarea>
                            {message("goals")}
                        </div>
                        <div class="field">
                            <label for="field-agenda">"Agenda"</label>
                            <textarea id="field-agenda" name="agenda" rows="3"></textarea>
                            {message("agenda")}
                        </div>
                        <button type="submit">"Submit the application"</button>
                    </ActionForm>
                }.into_any())}
                {(!view.applications.is_empty()).then(|| view! {
                    <h2>"Your applications"</h2>
                    <ul class="applications">
                        {view.applications.clone().into_iter().map(|card| view! { <ApplicationItem card /> }).collect_view()}
                    </ul>
                }.into_any())}
            </section>
        }
        .into_any()
    })
}

/// `/organise/grants`: organisers review their cluster's applications (admins all of them).
#[component]
pub fn ReviewPage() -> impl IntoView {
    let changed = RwSignal::new(0u64);
    let reviews = Resource::new(move || changed.get(), |_| load_reviews());
    await_view!(reviews, |view| {
        view! {
            <Title text="Grant applications" />
            <section class="grants">
                <p class="eyebrow">{view.programme.clone()}</p>
                <h1>"Grant applications"</h1>
                <p class="budget" role="status">{view.budget.clone()}</p>
                {if view.applications.is_empty() {
                    view! { <p>"No applications yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="applications">
                            {view.applications.clone().into_iter().map(|card| view! { <ApplicationItem card review=changed /> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        }
        .into_any()
    })
}

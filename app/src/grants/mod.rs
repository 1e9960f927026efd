//! ClusterXchange grants: a member who met peers from another country's cluster, at meetings
//! verified as held, may apply for an exchange visit. The pure rules (eligibility, the length of
//! a stay, distances, the amount) live in `rules`; the member's verdict (`/grants`), the
//! application form (`/grants/apply`) and the organisers' review (`/organise/grants`) here; one
//! application's page and steps in `application`, their transactions in `flow`, the evidence
//! pack and closing reports in `evidence`, the partnership's dashboard and configuration in
//! `dashboard`.

// Server functions take one argument per field of their form (plain form posts need that).
#![allow(clippy::too_many_arguments)]

pub mod application;
#[cfg(feature = "ssr")]
pub mod cities;
pub mod dashboard;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod evidence;
#[cfg(feature = "ssr")]
pub mod flow;
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
    /// Applications asking the member's organisation to host a visitor.
    pub to_host: Vec<ApplicationCard>,
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
                    to_host: Vec::new(),
                });
            };
            let store::MemberVerdict { meetings, verdict, .. } =
                store::verdict_of(&state.db, &programme.rules, principal.user_id).await?;
            let to_host =
                store::to_host(&state.db, programme.id, principal.user_id).await?.into_iter().map(card).collect();
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
                to_host,
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
                {(!view.to_host.is_empty()).then(|| view! {
                    <h2>"Requests to host a visitor"</h2>
                    <p class="hint">"Members of other clusters ask your organisation to receive them. Open a request to confirm."</p>
                    <ul class="applications to-host">
                        {view.to_host.clone().into_iter().map(|card| view! { <ApplicationItem card /> }).collect_view()}
                    </ul>
                }.into_any())}
                <p><A href="/grants/apply">"Your applications"</A></p>
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
    /// The organiser's cluster's members with their eligibility (empty for admins, who read the
    /// partnership's dashboard).
    pub members: Vec<MemberLine>,
    /// "12 of 140 members eligible"
    pub members_summary: String,
}

/// A member in the organisers' overview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberLine {
    pub name: String,
    pub organisation: String,
    pub eligible: bool,
    /// "1 of 1 verified meetings…" or what is missing.
    pub detail: String,
}

/// The most members listed on the organisers' page; the rest are counted.
#[cfg(feature = "ssr")]
const MEMBERS_LISTED: usize = 500;

/// The cards of the applications, each with its audit lines.
#[cfg(feature = "ssr")]
pub(crate) fn cards(rows: Vec<store::ApplicationRow>, audit: &[store::AuditRow]) -> Vec<ApplicationCard> {
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
                Some(programme) => {
                    store::audit_lines(
                        &state.db,
                        programme.id,
                        &store::AuditFilter { applicant: Some(principal.user_id), ..Default::default() },
                    )
                    .await?
                }
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
            let day = |field: &str, text: &str| {
                text.trim()
                    .parse::<jiff::civil::Date>()
                    .map_err(|_| AppError::invalid(field, "Give the day as YYYY-MM-DD."))
            };
            let (first, last) = (day("first_day", &first_day)?, day("last_day", &last_day)?);
            let today = jiff::Timestamp::from_second(now).unwrap_or_default().to_zoned(jiff::tz::TimeZone::UTC).date();
            if first <= today {
                return Err(AppError::invalid("first_day", "The stay must start after today."));
            }
            if last < first {
                return Err(AppError::invalid("last_day", "The stay must end on or after its first day."));
            }
            let text = |field: &str, value: &str, max: usize| {
                let value = value.trim().to_string();
                if value.is_empty() || value.chars().count() > max {
                    return Err(AppError::invalid(field, format!("Write between 1 and {max} characters.")));
                }
                Ok(value)
            };
            let plan = Plan {
                organisation,
                cluster_id,
                country,
                visitor_city: visitor_city.trim(),
                host_organisation,
                host_city: host_city.trim(),
                days: (first, last),
                goals: text("goals", &goals, 4_000)?,
                agenda: text("agenda", &agenda, 4_000)?,
                verdict: serde_json::to_string(
                    &verdict.checks.iter().map(|c| (&c.rule, c.passed, &c.detail)).collect::<Vec<_>>(),
                )
                .unwrap_or_default(),
            };
            let submission = plan.priced(&programme.rules)?;
            let receipt = crate::platform::mail::OutgoingMail {
                recipient: principal.email.clone(),
                subject: "Your ClusterXchange application is submitted".into(),
                body_text: format!(
                    "Hello {},\n\nYour application for an exchange visit to {} ({} to {}, €{} by the rules) is submitted. \
                     The host organisation confirms it next, then your cluster's organisers decide.\n\n\
                     The application: {}/grants/applications/{{application}}\n",
                    principal.display_name,
                    submission.host_organisation,
                    submission.first_day,
                    submission.last_day,
                    store::euros(submission.amount),
                    state.settings.public_url
                ),
                attachment: None,
            };
            store::submit(&state.db, programme.id, principal.user_id, &submission, Some(&receipt), now).await
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
            let standings = match scope {
                Some(cluster) => store::standings(&state.db, &programme.rules, Some(cluster)).await?,
                None => Vec::new(),
            };
            let eligible = standings.iter().filter(|m| m.verdict.eligible).count();
            let members_summary = format!("{eligible} of {} members eligible", standings.len());
            let mut members: Vec<MemberLine> = standings
                .into_iter()
                .map(|m| MemberLine {
                    name: m.name,
                    organisation: m.organisation,
                    eligible: m.verdict.eligible,
                    detail: m
                        .verdict
                        .missing
                        .unwrap_or_else(|| m.verdict.checks.last().map(|c| c.detail.clone()).unwrap_or_default()),
                })
                .collect();
            // Eligible members first, then by name.
            members.sort_by(|a, b| b.eligible.cmp(&a.eligible).then_with(|| a.name.cmp(&b.name)));
            members.truncate(MEMBERS_LISTED);
            Ok(ReviewView {
                members,
                members_summary,
                budget: format!(
                    "€{} of €{} committed, €{} paid",
                    store::euros(programme.committed),
                    store::euros(programme.budget),
                    store::euros(programme.paid)
                ),
                applications: cards(
                    store::applications(&state.db, programme.id, scope).await?,
                    &store::audit_lines(
                        &state.db,
                        programme.id,
                        &store::AuditFilter { cluster: scope, ..Default::default() },
                    )
                    .await?,
                ),
                programme: programme.name,
            })
        }
        .await,
    )
}

/// What an application is made of before the rules price it: who applies, where to, when, why.
#[cfg(feature = "ssr")]
pub(crate) struct Plan<'a> {
    pub organisation: String,
    pub cluster_id: i64,
    /// The visitor's country.
    pub country: String,
    pub visitor_city: &'a str,
    pub host_organisation: String,
    pub host_city: &'a str,
    pub days: (jiff::civil::Date, jiff::civil::Date),
    pub goals: String,
    pub agenda: String,
    /// The eligibility verdict as it stands (JSON).
    pub verdict: String,
}

#[cfg(feature = "ssr")]
impl Plan<'_> {
    /// The application with its amount computed by the programme's rules, explained line by
    /// line. Refused, naming the field, for a city not on the list, a host in the visitor's own
    /// country or outside the programme, and a stay of the wrong length.
    pub(crate) fn priced(self, programme: &rules::Programme) -> Result<store::Submission, AppError> {
        let (host_city, host_country, host_at) = cities::find(self.host_city)
            .ok_or_else(|| AppError::invalid("host_city", "Choose the host's city from the list."))?;
        let (visitor_city, _, visitor_at) = cities::find(self.visitor_city)
            .ok_or_else(|| AppError::invalid("visitor_city", "Choose your organisation's city from the list."))?;
        if host_country == self.country {
            return Err(AppError::invalid(
                "host_city",
                format!("The host must be in another country than {}.", crate::events::country_name(&self.country)),
            ));
        }
        if !programme.eligible_countries.iter().any(|c| c == host_country) {
            return Err(AppError::invalid(
                "host_city",
                format!("{} is not a country of the programme.", crate::events::country_name(host_country)),
            ));
        }
        let (first, last) = self.days;
        let working_days = rules::working_days(first, last);
        let km = rules::distance_km(visitor_at, host_at);
        let amount = rules::amount(programme, host_country, working_days, km)
            .map_err(|message| AppError::invalid("last_day", message))?;
        Ok(store::Submission {
            organisation: self.organisation,
            cluster_id: self.cluster_id,
            country: self.country,
            visitor_city: visitor_city.to_string(),
            host_organisation: self.host_organisation,
            host_city: host_city.to_string(),
            host_country: host_country.to_string(),
            distance_km: km.round() as i64,
            first_day: first.to_string(),
            last_day: last.to_string(),
            working_days: i64::from(working_days),
            goals: self.goals,
            agenda: self.agenda,
            amount: amount.total,
            amount_lines: serde_json::to_string(&amount.lines).unwrap_or_default(),
            verdict: self.verdict,
        })
    }
}

/// The grants' routes that are not pages: evidence packs, evidence files, closing reports and
/// the partnership's CSV export.
#[cfg(feature = "ssr")]
pub fn router() -> axum::Router<crate::state::AppState> {
    evidence::router().route("/admin/grants/applications.csv", axum::routing::get(dashboard::applications_csv))
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

/// An application in a list: what, where, how much, its state, and a link to its page (where
/// its history and its next steps are).
#[component]
fn ApplicationItem(card: ApplicationCard) -> impl IntoView {
    view! {
        <li class="application" data-application=card.id data-status=card.status.clone()>
            <p><strong>{card.organisation.clone()}</strong>{format!(" → {}", card.host)}</p>
            <p class="hint">{card.stay.clone()}</p>
            <p class="meeting-state">{format!("{} · €{}", card.status, card.amount)}</p>
            {(!card.reason.is_empty()).then(|| view! { <p class="hint">{format!("Reason: {}", card.reason)}</p> })}
            <p><A href=format!("/grants/applications/{}", card.id)>{format!("Open application {}", card.id)}</A></p>
        </li>
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
                            {view.applications.clone().into_iter().map(|card| view! { <ApplicationItem card /> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                {(!view.members.is_empty()).then(|| view! {
                    <h2>"Your cluster's members"</h2>
                    <p class="members-summary">{view.members_summary.clone()}</p>
                    <table class="data members">
                        <thead><tr><th scope="col">"Member"</th><th scope="col">"Organisation"</th><th scope="col">"Eligible"</th><th scope="col">"Meetings, or what is missing"</th></tr></thead>
                        <tbody>
                            {view.members.iter().map(|m| view! {
                                <tr class=if m.eligible { "eligible" } else { "not-eligible" }>
                                    <td>{m.name.clone()}</td>
                                    <td>{m.organisation.clone()}</td>
                                    <td>{if m.eligible { "Yes" } else { "Not yet" }}</td>
                                    <td>{m.detail.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any())}
            </section>
        }
        .into_any()
    })
}

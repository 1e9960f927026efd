//! `/admin/grants`: the partnership's view of ClusterXchange — the programme's configuration
//! (every figure of the rules), eligible members per cluster, applications by state, what is
//! committed and paid against the budget, exchanges by country pair (an SVG chart with a table
//! as its text alternative), the audit log with filters, and a formula-safe CSV export.

#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::await_view;
use crate::components::{action_error, field_message, successes, CsrfField, Field, FormAlert};
use crate::error::AppError;

/// The configuration as the form shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeForm {
    pub name: String,
    pub countries: String,
    pub min_meetings: String,
    pub require_verified: bool,
    pub min_days: String,
    pub max_days: String,
    pub full_rate_days: String,
    pub full_rate_km: String,
    pub max_per_visitor: String,
    /// "DE 780.00, BE 780.00"
    pub lump_sums: String,
    pub budget: String,
    pub opens: String,
    pub closes: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterLine {
    pub id: i64,
    pub cluster: String,
    pub members: usize,
    pub eligible: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub form: ProgrammeForm,
    /// "€3,120.00 of €20,000.00 committed, €780.00 paid, €16,880.00 free"
    pub money: String,
    pub clusters: Vec<ClusterLine>,
    /// (state, applications, "€1,560.00")
    pub by_state: Vec<(String, i64, String)>,
    /// ("Germany → Belgium", exchanges) of approved applications and later.
    pub pairs: Vec<(String, i64)>,
    /// The audit lines passing the filters, newest first.
    pub audit: Vec<String>,
}

/// The states an application passes, in order, for the overview.
const STATES: [&str; 10] = [
    "draft",
    "submitted",
    "host confirmed",
    "approved",
    "rejected",
    "visit done",
    "reported",
    "paid",
    "closed",
    "withdrawn",
];

#[cfg(feature = "ssr")]
fn day(at: i64) -> String {
    jiff::Timestamp::from_second(at).unwrap_or_default().to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

#[server(endpoint = "grant_dashboard", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_dashboard(
    cluster: Option<i64>,
    status: Option<String>,
    q: Option<String>,
) -> Result<Dashboard, AppError> {
    use super::store;
    use crate::platform::error::reply;
    reply(
        async move {
            let state = crate::admin::require_admin().await?;
            let programme =
                store::current(&state.db).await?.ok_or_else(|| AppError::NotFound("The programme".into()))?;
            let rules = &programme.rules;
            let euros = |cents: i64| store::euros(cents);
            let form = ProgrammeForm {
                name: programme.name.clone(),
                countries: rules.eligible_countries.join(", "),
                min_meetings: rules.min_meetings.to_string(),
                require_verified: rules.require_verified,
                min_days: rules.min_days.to_string(),
                max_days: rules.max_days.to_string(),
                full_rate_days: rules.full_rate_days.to_string(),
                full_rate_km: format!("{}", rules.full_rate_km.round() as i64),
                max_per_visitor: euros(rules.max_per_visitor).replace(',', ""),
                lump_sums: rules
                    .lump_sums
                    .iter()
                    .map(|(c, cents)| format!("{c} {}", euros(*cents).replace(',', "")))
                    .collect::<Vec<_>>()
                    .join(", "),
                budget: euros(programme.budget).replace(',', ""),
                opens: day(programme.opens_at),
                closes: day(programme.closes_at),
            };
            let standings = store::standings(&state.db, rules, None).await?;
            let clusters: Vec<(i64, String, String)> = crate::db_run!(&state.db, |pool| sqlx::query_as(
                "select id, name, country from clusters order by country, name"
            )
            .fetch_all(pool)
            .await)?;
            let clusters = clusters
                .into_iter()
                .map(|(id, name, country)| {
                    let of: Vec<_> = standings.iter().filter(|m| m.cluster_id == id).collect();
                    ClusterLine {
                        id,
                        cluster: format!("{name} ({})", crate::events::country_name(&country)),
                        members: of.len(),
                        eligible: of.iter().filter(|m| m.verdict.eligible).count(),
                    }
                })
                .collect();
            let applications = store::applications(&state.db, programme.id, None).await?;
            let by_state = STATES
                .iter()
                .map(|s| {
                    let of: Vec<_> = applications.iter().filter(|a| a.status == *s).collect();
                    (s.to_string(), of.len() as i64, euros(of.iter().map(|a| a.amount).sum()))
                })
                .filter(|(_, n, _)| *n > 0)
                .collect();
            let mut pairs: Vec<(String, i64)> = Vec::new();
            for a in applications.iter().filter(|a| store::FUNDED_STATES.contains(&a.status.as_str())) {
                let pair = format!(
                    "{} → {}",
                    crate::events::country_name(&a.country),
                    crate::events::country_name(&a.host_country)
                );
                match pairs.iter_mut().find(|(p, _)| *p == pair) {
                    Some((_, n)) => *n += 1,
                    None => pairs.push((pair, 1)),
                }
            }
            pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let filter = store::AuditFilter {
                cluster,
                applicant: None,
                to_status: status.filter(|s| !s.is_empty()),
                text: q.filter(|q| !q.trim().is_empty()),
            };
            let mut audit: Vec<String> = store::audit_lines(&state.db, programme.id, &filter)
                .await?
                .into_iter()
                .map(|a| {
                    let at = jiff::Timestamp::from_second(a.at).unwrap_or_default();
                    let why = if a.reason.is_empty() { String::new() } else { format!(" · {}", a.reason) };
                    format!(
                        "{} UTC · application {} ({}) · {} · {} → {} · €{} → €{}{why}",
                        at.strftime("%-d %b %Y %H:%M"),
                        a.application_id,
                        a.organisation,
                        a.actor,
                        a.from_status,
                        a.to_status,
                        euros(a.amount_before),
                        euros(a.amount_after)
                    )
                })
                .collect();
            audit.reverse();
            Ok(Dashboard {
                form,
                money: format!(
                    "€{} of €{} committed, €{} paid, €{} free",
                    euros(programme.committed),
                    euros(programme.budget),
                    euros(programme.paid),
                    euros(programme.budget - programme.committed)
                ),
                clusters,
                by_state,
                pairs,
                audit,
            })
        }
        .await,
    )
}

/// Euros as typed ("1100", "780.50", "1,100.00") in cents.
#[cfg(feature = "ssr")]
fn cents(field: &str, text: &str) -> Result<i64, AppError> {
    let bad = || AppError::invalid(field, "Give an amount in euros, e.g. 780 or 780.50.");
    let text = text.trim().replace(',', "");
    let (whole, part) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() || part.len() > 2 || !whole.chars().chain(part.chars()).all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let part: i64 = if part.is_empty() { 0 } else { format!("{part:0<2}").parse().map_err(|_| bad())? };
    whole.checked_mul(100).and_then(|c| c.checked_add(part)).ok_or_else(bad)
}

/// Changes the programme's configuration. Every field is checked and named when wrong; nothing
/// is written then. Approved amounts stay as approved: they are kept on their applications.
#[server(endpoint = "save_grant_programme")]
pub async fn save_programme(
    #[server(rename = "csrf")] _csrf: String,
    name: String,
    countries: String,
    min_meetings: String,
    require_verified: String,
    min_days: String,
    max_days: String,
    full_rate_days: String,
    full_rate_km: String,
    max_per_visitor: String,
    lump_sums: String,
    budget: String,
    opens: String,
    closes: String,
) -> Result<String, AppError> {
    use super::rules::Programme;
    use super::store;
    use crate::platform::error::reply;
    reply(
        async move {
            let state = crate::admin::require_admin().await?;
            let programme =
                store::current(&state.db).await?.ok_or_else(|| AppError::NotFound("The programme".into()))?;
            let number = |field: &str, text: &str, range: std::ops::RangeInclusive<u32>| {
                text.trim().parse::<u32>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                    AppError::invalid(field, format!("Give a whole number from {} to {}.", range.start(), range.end()))
                })
            };
            let name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 120 {
                return Err(AppError::invalid("name", "Name the programme (at most 120 characters)."));
            }
            let known: Vec<String> =
                crate::db_run!(&state.db, |pool| sqlx::query_scalar("select distinct country from clusters")
                    .fetch_all(pool)
                    .await)?;
            let mut eligible_countries = Vec::new();
            for code in countries.split(',').map(|c| c.trim().to_uppercase()).filter(|c| !c.is_empty()) {
                if !known.contains(&code) {
                    return Err(AppError::invalid(
                        "countries",
                        format!("{code} is not the country of a cluster of the partnership ({}).", known.join(", ")),
                    ));
                }
                if !eligible_countries.contains(&code) {
                    eligible_countries.push(code);
                }
            }
            if eligible_countries.len() < 2 {
                return Err(AppError::invalid("countries", "An exchange needs at least two countries."));
            }
            let mut sums = Vec::new();
            for entry in lump_sums.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let (code, amount) = entry.split_once(' ').ok_or_else(|| {
                    AppError::invalid(
                        "lump_sums",
                        format!("Write each as a country and euros, e.g. \"DE 780\"; not \"{entry}\"."),
                    )
                })?;
                let code = code.trim().to_uppercase();
                if !eligible_countries.contains(&code) {
                    return Err(AppError::invalid(
                        "lump_sums",
                        format!("{code} is not one of the programme's countries."),
                    ));
                }
                sums.push((code, cents("lump_sums", amount)?));
            }
            let min_days = number("min_days", &min_days, 1..=60)?;
            let max_days = number("max_days", &max_days, 1..=60)?;
            if max_days < min_days {
                return Err(AppError::invalid("max_days", "The longest stay cannot be shorter than the shortest."));
            }
            let rules = Programme {
                eligible_countries,
                min_meetings: number("min_meetings", &min_meetings, 0..=50)?,
                require_verified: require_verified == "yes",
                min_days,
                max_days,
                lump_sums: sums,
                full_rate_days: number("full_rate_days", &full_rate_days, 0..=60)?,
                full_rate_km: f64::from(number("full_rate_km", &full_rate_km, 0..=5_000)?),
                max_per_visitor: cents("max_per_visitor", &max_per_visitor)?,
            };
            let budget = cents("budget", &budget)?;
            let instant = |field: &str, text: &str, end_of_day: bool| {
                text.trim()
                    .parse::<jiff::civil::Date>()
                    .ok()
                    .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
                    .map(|z| z.timestamp().as_second() + if end_of_day { 86_399 } else { 0 })
                    .ok_or_else(|| AppError::invalid(field, "Give the day as YYYY-MM-DD."))
            };
            let window = (instant("opens", &opens, false)?, instant("closes", &closes, true)?);
            if window.1 <= window.0 {
                return Err(AppError::invalid("closes", "Applications must close after they open."));
            }
            store::update(&state.db, programme.id, &name, &rules, budget, window).await?;
            Ok("Saved. Approved amounts stay as they were approved.".to_string())
        }
        .await,
    )
}

/// Exchanges by country pair as horizontal bars; the table after it says the same in text.
fn pairs_chart(pairs: &[(String, i64)]) -> impl IntoView {
    let most = pairs.iter().map(|p| p.1).max().unwrap_or(1).max(1);
    let row_height = 28;
    let height = (pairs.len() as i64 * row_height).max(row_height);
    view! {
        <svg class="pairs-chart" role="img" aria-labelledby="pairs-title pairs-desc" width="560" height=height
            viewBox=format!("0 0 560 {height}") xmlns="http://www.w3.org/2000/svg">
            <title id="pairs-title">"Exchanges by country pair"</title>
            <desc id="pairs-desc">{pairs.iter().map(|(p, n)| format!("{p}: {n}")).collect::<Vec<_>>().join("; ")}</desc>
            {pairs.iter().enumerate().map(|(i, (pair, n))| {
                let y = i as i64 * row_height;
                let width = 300 * n / most;
                view! {
                    <g>
                        <text x="0" y=y + 18 font-size="13">{pair.clone()}</text>
                        <rect x="220" y=y + 5 width=width.max(2) height="18" fill="#2f6f8f"></rect>
                        <text x=230 + width y=y + 18 font-size="13">{n.to_string()}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// `/admin/grants`
#[component]
pub fn GrantsDashboardPage() -> impl IntoView {
    let query = use_query_map();
    let save = ServerAction::<SaveProgramme>::new();
    let filters = move || {
        let q = query.read();
        (q.get("cluster").and_then(|c| c.parse::<i64>().ok()), q.get("status"), q.get("q"))
    };
    let saved = successes(save);
    let dashboard =
        Resource::new(move || (filters(), saved.get()), |((cluster, status, q), _)| load_dashboard(cluster, status, q));
    let error = action_error(save);
    await_view!(dashboard, |view| {
        let f = view.form.clone();
        let (cluster, status, q) = filters();
        view! {
            <Title text="ClusterXchange dashboard" />
            <section class="grants dashboard">
                <p class="eyebrow"><a href="/admin">"Partnership admin"</a></p>
                <h1>{format!("{} dashboard", f.name)}</h1>
                <p class="money" role="status">{view.money.clone()}</p>
                <p class="downloads"><a href="/admin/grants/applications.csv" rel="external">"All applications (CSV)"</a></p>

                <h2>"Eligible members per cluster"</h2>
                <table class="data clusters">
                    <thead><tr><th scope="col">"Cluster"</th><th scope="col">"Members"</th><th scope="col">"Eligible"</th></tr></thead>
                    <tbody>{view.clusters.iter().map(|c| view! {
                        <tr data-cluster=c.id><td>{c.cluster.clone()}</td><td>{c.members}</td><td>{c.eligible}</td></tr>
                    }).collect_view()}</tbody>
                </table>

                <h2>"Applications by state"</h2>
                <table class="data states">
                    <thead><tr><th scope="col">"State"</th><th scope="col">"Applications"</th><th scope="col">"Amount"</th></tr></thead>
                    <tbody>{view.by_state.iter().map(|(s, n, amount)| view! {
                        <tr data-state=s.clone()><td>{s.clone()}</td><td>{*n}</td><td>{format!("€{amount}")}</td></tr>
                    }).collect_view()}</tbody>
                </table>

                <h2>"Exchanges by country pair"</h2>
                {if view.pairs.is_empty() {
                    view! { <p>"No approved exchanges yet."</p> }.into_any()
                } else {
                    view! {
                        {pairs_chart(&view.pairs)}
                        <table class="data pairs">
                            <caption>"The chart's figures"</caption>
                            <thead><tr><th scope="col">"Visitor → host"</th><th scope="col">"Exchanges"</th></tr></thead>
                            <tbody>{view.pairs.iter().map(|(p, n)| view! { <tr><td>{p.clone()}</td><td>{*n}</td></tr> }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }}

                <h2>"Configuration"</h2>
                <p class="hint">"Changing the configuration never changes an approved amount: each application keeps the amount it was approved with."</p>
                <ActionForm action=save attr:class="stacked programme-form" attr:novalidate=true>
                    <CsrfField />
                    <FormAlert error fields=&["name", "countries", "min_meetings", "min_days", "max_days", "full_rate_days", "full_rate_km", "max_per_visitor", "lump_sums", "budget", "opens", "closes"] />
                    {move || save.value().get().and_then(Result::ok).map(|m| view! { <p class="alert success" role="status">{m}</p> })}
                    <Field label="Programme name" name="name" value=f.name.clone() error=field_message(error, "name") />
                    <Field label="Countries (ISO codes, comma-separated)" name="countries" value=f.countries.clone() error=field_message(error, "countries") />
                    <Field label="Cross-border meetings needed" name="min_meetings" value=f.min_meetings.clone() error=field_message(error, "min_meetings") />
                    <div class="field">
                        <label for="field-require_verified">"Meetings must be verified as held"</label>
                        <select id="field-require_verified" name="require_verified">
                            <option value="yes" selected=f.require_verified>"Yes"</option>
                            <option value="no" selected=!f.require_verified>"No, agreed is enough"</option>
                        </select>
                    </div>
                    <Field label="Shortest stay (working days)" name="min_days" value=f.min_days.clone() error=field_message(error, "min_days") />
                    <Field label="Longest stay (working days)" name="max_days" value=f.max_days.clone() error=field_message(error, "max_days") />
                    <Field label="Full rate from (working days)" name="full_rate_days" value=f.full_rate_days.clone() error=field_message(error, "full_rate_days") />
                    <Field label="Full rate from (km apart)" name="full_rate_km" value=f.full_rate_km.clone() error=field_message(error, "full_rate_km") />
                    <Field label="Most per visitor (€)" name="max_per_visitor" value=f.max_per_visitor.clone() error=field_message(error, "max_per_visitor") />
                    <Field label="Lump sum per host country (e.g. DE 780, BE 780)" name="lump_sums" value=f.lump_sums.clone() error=field_message(error, "lump_sums") />
                    <Field label="Total budget (€)" name="budget" value=f.budget.clone() error=field_message(error, "budget") />
                    <Field label="Applications open (YYYY-MM-DD)" name="opens" value=f.opens.clone() error=field_message(error, "opens") />
                    <Field label="Applications close (YYYY-MM-DD)" name="closes" value=f.closes.clone() error=field_message(error, "closes") />
                    <button type="submit">"Save the configuration"</button>
                </ActionForm>

                <h2 id="audit">"Audit log"</h2>
                <form method="get" action="/admin/grants#audit" class="inline-form audit-filters">
                    <label>"Cluster "
                        <select name="cluster">
                            <option value="">"All"</option>
                            {view.clusters.iter().map(|c| view! { <option value=c.id selected=cluster == Some(c.id)>{c.cluster.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Moved to "
                        <select name="status">
                            <option value="">"Any state"</option>
                            {STATES.iter().map(|s| view! { <option value=*s selected=status.as_deref() == Some(*s)>{*s}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Organisation or person " <input name="q" value=q.clone().unwrap_or_default() /></label>
                    <button type="submit" class="small">"Filter"</button>
                </form>
                {if view.audit.is_empty() {
                    view! { <p>"No lines match."</p> }.into_any()
                } else {
                    view! { <ol class="audit">{view.audit.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ol> }.into_any()
                }}
            </section>
        }
        .into_any()
    })
}

/// Every application of the programme, for the partnership's spreadsheets. Text typed by people
/// is formula-safe.
#[cfg(feature = "ssr")]
pub async fn applications_csv(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    crate::accounts::access::SignedIn(principal): crate::accounts::access::SignedIn,
) -> Result<axum::response::Response, AppError> {
    use super::store;
    use crate::platform::spreadsheet_safe;
    use axum::response::IntoResponse;
    if !principal.is_admin() {
        return Err(AppError::Forbidden);
    }
    let programme = store::current(&state.db).await?.ok_or_else(|| AppError::NotFound("The programme".into()))?;
    let rows = store::applications(&state.db, programme.id, None).await?;
    let fail = |e: csv::Error| crate::platform::error::internal("grants csv", e);
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "application",
        "status",
        "organisation",
        "applicant",
        "country",
        "visitor_city",
        "host_organisation",
        "host_city",
        "host_country",
        "distance_km",
        "first_day",
        "last_day",
        "working_days",
        "amount_eur",
        "reason",
    ])
    .map_err(fail)?;
    for r in rows {
        out.write_record([
            r.id.to_string(),
            r.status.clone(),
            spreadsheet_safe(&r.organisation),
            spreadsheet_safe(&r.applicant_name),
            r.country.clone(),
            r.visitor_city.clone(),
            spreadsheet_safe(&r.host_organisation),
            r.host_city.clone(),
            r.host_country.clone(),
            r.distance_km.to_string(),
            r.first_day.clone(),
            r.last_day.clone(),
            r.working_days.to_string(),
            format!("{}.{:02}", r.amount / 100, r.amount % 100),
            spreadsheet_safe(&r.reason),
        ])
        .map_err(fail)?;
    }
    let body = out.into_inner().map_err(|e| crate::platform::error::internal("grants csv", e))?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"clusterxchange-applications.csv\""),
        ],
        body,
    )
        .into_response())
}

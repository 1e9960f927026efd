//! ClusterXchange grants: a member who met peers from another country's cluster, at meetings
//! verified as held, may apply for an exchange visit. So far: the programme's configuration,
//! the pure rules (eligibility, the length of a stay, distances, the amount), and the verdict a
//! member sees at `/grants`, every rule with pass or fail.

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
            let country = store::member_country(&state.db, principal.user_id).await?;
            let meetings = store::member_meetings(&state.db, principal.user_id).await?;
            let counted: Vec<rules::CountedMeeting> = meetings.iter().map(|m| m.counted.clone()).collect();
            let verdict = rules::eligibility(&programme.rules, country.as_deref(), &counted);
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

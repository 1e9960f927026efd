//! `/grants/applications/{id}`: one application, its state, its history, and the steps the
//! signed-in person may take on it — the host confirms, the visitor's cluster organisers decide,
//! pay and close, the applicant reports the visit (with evidence files) or withdraws.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use super::ApplicationCard;
use crate::await_view;
use crate::components::{action_error, field_message, successes, CsrfField, FormAlert};
use crate::error::AppError;

/// The page's view of one application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub card: ApplicationCard,
    pub agenda: String,
    pub report: String,
    /// (id, name, "application/pdf", "12 KB")
    pub files: Vec<(i64, String, String, String)>,
    /// Step codes the viewer may take now ("confirm_host", "approve", …).
    pub steps: Vec<String>,
    /// Whether the evidence pack links are shown (organisers and admins).
    pub reviewer: bool,
    /// For reviewers: the applicant's eligibility now, in words.
    pub eligible_now: Option<String>,
}

#[server(endpoint = "grant_application", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_application(id: i64) -> Result<ApplicationView, AppError> {
    use super::flow::{Step, Viewer};
    use super::store;
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            let missing = || AppError::NotFound("This application".into());
            let row = store::application(&state.db, id).await?.ok_or_else(missing)?;
            let viewer = Viewer::of(&state.db, &principal, &row).await?;
            if !viewer.sees() {
                return Err(missing());
            }
            let programme =
                store::current(&state.db).await?.ok_or_else(|| AppError::NotFound("The programme".into()))?;
            let steps = ["confirm_host", "approve", "reject", "visit_done", "pay", "close", "withdraw", "report"]
                .into_iter()
                .filter(|code| {
                    let step = Step::parse(code).expect("a known step");
                    viewer.may(step) && step.from().contains(&row.status.as_str())
                })
                .map(String::from)
                .collect();
            let eligible_now = if viewer.reviewer {
                let store::MemberVerdict { verdict, .. } =
                    store::verdict_of(&state.db, &programme.rules, row.applicant_user_id).await?;
                Some(match verdict.missing {
                    None => "Eligible now.".to_string(),
                    Some(missing) => format!("Not eligible now: {missing}"),
                })
            } else {
                None
            };
            // Applicants and reviewers see the history; a host sees the request only.
            let audit = if viewer.applicant || viewer.reviewer {
                let filter = store::AuditFilter { applicant: Some(row.applicant_user_id), ..Default::default() };
                store::audit_lines(&state.db, programme.id, &filter).await?
            } else {
                Vec::new()
            };
            let files = if viewer.applicant || viewer.reviewer {
                store::evidence_files(&state.db, row.id)
                    .await?
                    .into_iter()
                    .map(|f| (f.id, f.file_name, f.content_type, format!("{} KB", (f.size + 1023) / 1024)))
                    .collect()
            } else {
                Vec::new()
            };
            let (agenda, report) = (row.agenda.clone(), row.report.clone());
            let card = super::cards(vec![row], &audit).pop().ok_or_else(missing)?;
            Ok(ApplicationView { card, agenda, report, files, steps, reviewer: viewer.reviewer, eligible_now })
        }
        .await,
    )
}

/// Takes one step on an application, if the signed-in person may take it now. An approval keeps
/// the evidence pack as it stands (the verdict and the counted meetings) with the application.
#[server(endpoint = "advance_grant_application")]
pub async fn advance_grant_application(
    #[server(rename = "csrf")] _csrf: String,
    application: i64,
    step: String,
    reason: String,
) -> Result<(), AppError> {
    use super::flow::{self, Step, Viewer};
    use super::store;
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            let missing = || AppError::NotFound("This application".into());
            let row = store::application(&state.db, application).await?.ok_or_else(missing)?;
            let viewer = Viewer::of(&state.db, &principal, &row).await?;
            if !viewer.sees() {
                return Err(missing());
            }
            let step = Step::parse(&step).ok_or_else(|| AppError::invalid("step", "Unknown step."))?;
            if step == Step::Report {
                return Err(AppError::invalid("step", "Send the closing report with its form."));
            }
            if !viewer.may(step) {
                return Err(AppError::Forbidden);
            }
            let now = crate::platform::now();
            let today = jiff::Timestamp::from_second(now).unwrap_or_default().to_zoned(jiff::tz::TimeZone::UTC).date();
            if step == Step::VisitDone && row.last_day > today.to_string() {
                return Err(AppError::invalid(
                    "step",
                    format!("The visit ends on {}: mark it done from that day on.", row.last_day),
                ));
            }
            let programme =
                store::current(&state.db).await?.ok_or_else(|| AppError::NotFound("The programme".into()))?;
            let evidence = if step == Step::Approve {
                let mut pack = super::evidence::take(&state.db, &programme.rules, &row, now).await?;
                pack.at_approval = true;
                Some(serde_json::to_string(&pack).map_err(|e| crate::platform::error::internal("evidence", e))?)
            } else {
                None
            };
            let details = flow::Details { reason: &reason, evidence: evidence.as_deref(), ..Default::default() };
            flow::advance(&state.db, &state.settings.public_url, row.id, step, principal.user_id, details, now).await
        }
        .await,
    )
}

/// A button for one step, with a reason field where the step takes one.
#[component]
fn StepButton(id: i64, code: String, action: ServerAction<AdvanceGrantApplication>) -> impl IntoView {
    let (label, reason, secondary) = match code.as_str() {
        "confirm_host" => ("Confirm the host receives the visitor", None, false),
        "approve" => ("Approve", None, false),
        "reject" => ("Reject", Some("Reason (the applicant reads it)"), true),
        "visit_done" => ("The visit is done", None, false),
        "pay" => ("Mark as paid", None, false),
        "close" => ("Close", None, false),
        _ => ("Withdraw the application", Some("Reason (optional)"), true),
    };
    view! {
        <ActionForm action attr:class="inline-form">
            <CsrfField />
            <input type="hidden" name="application" value=id />
            <input type="hidden" name="step" value=code.clone() />
            {match reason {
                Some(text) => view! { <label>{format!("{text} ")}<input name="reason" maxlength="1000" /></label> }.into_any(),
                None => view! { <input type="hidden" name="reason" value="" /> }.into_any(),
            }}
            <button type="submit" class=if secondary { "small secondary" } else { "small" } data-step=code>{label}</button>
        </ActionForm>
    }
}

#[component]
pub fn ApplicationPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0));
    let advance = ServerAction::<AdvanceGrantApplication>::new();
    // Reloaded after a step succeeds only, so a refusal stays on screen.
    let done = successes(advance);
    let page = Resource::new(move || (id.get(), done.get()), |(id, _)| load_application(id));
    let error = action_error(advance);
    await_view!(page, |view| {
        let card = view.card.clone();
        let id = card.id;
        let sent = query.read_untracked().get("report").is_some();
        let report_error = query.read_untracked().get("report_error");
        view! {
            <Title text=format!("Grant application {id}") />
            <section class="grants application" data-application=id data-status=card.status.clone()>
                <p class="eyebrow"><A href="/grants">"ClusterXchange grants"</A></p>
                <h1>{format!("{} → {}", card.organisation, card.host)}</h1>
                <p class="status" role="status">{format!("Status: {}", card.status)}</p>
                {view.eligible_now.clone().map(|e| view! { <p class="hint eligible-now">{e}</p> })}
                <p>{card.stay.clone()}</p>
                <h2>"Amount"</h2>
                <table class="amount">
                    <tbody>
                        {card.amount_lines.iter().map(|(why, euros)| view! { <tr><td>{why.clone()}</td><td>{format!("€{euros}")}</td></tr> }).collect_view()}
                        <tr><th scope="row">"Total"</th><td>{format!("€{}", card.amount)}</td></tr>
                    </tbody>
                </table>
                <h2>"Goals"</h2>
                <p>{card.goals.clone()}</p>
                <h2>"Agenda"</h2>
                <p>{view.agenda.clone()}</p>
                {(!card.reason.is_empty()).then(|| view! { <p class="hint">{format!("Reason: {}", card.reason)}</p> })}
                <FormAlert error fields=&["reason"] />
                {move || field_message(error, "reason").get().map(|e| view! { <p class="field-error">{e}</p> })}
                {(!view.steps.is_empty()).then(|| view! {
                    <div class="meeting-actions steps">
                        {view.steps.iter().filter(|s| *s != "report").map(|code| view! { <StepButton id code=code.clone() action=advance /> }).collect_view()}
                    </div>
                })}
                {sent.then(|| view! { <p class="alert success" role="status">"Closing report sent."</p> })}
                {report_error.map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
                {view.steps.iter().any(|s| s == "report").then(|| view! {
                    <form method="post" action=format!("/grants/applications/{id}/report") enctype="multipart/form-data" class="stacked">
                        <h2>"Closing report"</h2>
                        <CsrfField />
                        <div class="field">
                            <label for="field-report">"What the visit achieved"</label>
                            <textarea id="field-report" name="report" rows="5" required=true maxlength="10000"></textarea>
                        </div>
                        <div class="field">
                            <label for="field-evidence">"Evidence (PDF or images, up to five files of 5 MB)"</label>
                            <input id="field-evidence" type="file" name="evidence" multiple=true required=true
                                accept="application/pdf,image/png,image/jpeg,image/webp" />
                        </div>
                        <button type="submit">"Send the closing report"</button>
                    </form>
                })}
                {(!view.report.is_empty()).then(|| view! { <h2>"Closing report"</h2><p class="report">{view.report.clone()}</p> })}
                {(!view.files.is_empty()).then(|| view! {
                    <ul class="evidence-files">
                        {view.files.iter().map(|(file, name, kind, size)| view! {
                            <li><a href=format!("/grants/applications/{id}/files/{file}")>{name.clone()}</a>{format!(" ({kind}, {size})")}</li>
                        }).collect_view()}
                    </ul>
                })}
                {view.reviewer.then(|| view! {
                    <p class="downloads">
                        "Evidence pack: "
                        <a href=format!("/grants/applications/{id}/evidence.csv") rel="external">"CSV"</a>
                        " · "
                        <a href=format!("/grants/applications/{id}/evidence.json") rel="external">"JSON"</a>
                    </p>
                })}
                {(!card.history.is_empty()).then(|| view! {
                    <h2>"History"</h2>
                    <ol class="history">{card.history.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ol>
                })}
            </section>
        }
        .into_any()
    })
}

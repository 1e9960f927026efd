//! The partnership admin's area: accounts and roles, and the mail outbox.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::accounts::Role;
use crate::await_view;
use crate::components::{action_error, field_message, CsrfField, Field, FormAlert};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The cluster (organisers) or event (scanners) the role is limited to.
    pub scope: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub queued: String,
    pub sent: bool,
    /// Sent, or why not yet.
    pub delivery: String,
    pub attachment: Option<String>,
}

#[cfg(feature = "ssr")]
pub(crate) async fn require_admin() -> Result<crate::state::AppState, AppError> {
    let principal = crate::accounts::access::signed_in().await?;
    if !principal.is_admin() {
        return Err(AppError::Forbidden);
    }
    crate::state::app_state()
}

#[server(endpoint = "admin_accounts", input = leptos::server_fn::codec::GetUrl)]
pub async fn admin_accounts() -> Result<Vec<AccountSummary>, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let state = require_admin().await?;
            let rows = crate::accounts::store::staff_and_recent(&state.db, 200).await?;
            Ok(rows
                .into_iter()
                .filter_map(|row| {
                    Some(AccountSummary {
                        role: Role::parse(&row.role)?,
                        scope: row.cluster_name.or(row.event_title),
                        name: row.display_name,
                        email: row.email,
                    })
                })
                .collect())
        }
        .await,
    )
}

/// Gives an account a role. `scope` is a cluster code for organisers (e.g. `biorn`) and an
/// event address name for scanners (e.g. `heidelberg-2027`); it is ignored for other roles.
#[server(endpoint = "assign_role")]
pub async fn assign_role(
    #[server(rename = "csrf")] _csrf: String,
    email: String,
    role: String,
    scope: String,
) -> Result<String, AppError> {
    use crate::accounts::{store as accounts, EmailAddress};
    use crate::platform::error::reply;
    reply(
        async move {
            let state = require_admin().await?;
            let email = EmailAddress::parse(&email)?;
            let role =
                Role::parse(&role).ok_or_else(|| AppError::invalid("role", "Choose one of the listed roles."))?;
            let scope = scope.trim();
            let (cluster_id, event_id) = match role {
                Role::Organiser => {
                    let id = accounts::cluster_id_by_code(&state.db, scope).await?.ok_or_else(|| {
                        AppError::invalid(
                            "scope",
                            "Organisers need a cluster code: biorn, smarthub, biopeople or tartu.",
                        )
                    })?;
                    (Some(id), None)
                }
                Role::Scanner => {
                    let event = crate::events::store::load(&state.db, scope).await.map_err(|_| {
                        AppError::invalid("scope", "Scanners need the address name of an event, e.g. heidelberg-2027.")
                    })?;
                    (None, Some(event.id))
                }
                Role::Attendee | Role::Admin => (None, None),
            };
            if !accounts::assign_role(&state.db, &email, role, cluster_id, event_id).await? {
                return Err(AppError::invalid(
                    "email",
                    "No account has this email address. Ask the person to create one first.",
                ));
            }
            Ok(format!("{email} is now: {}.", role.label()))
        }
        .await,
    )
}

#[server(endpoint = "admin_outbox", input = leptos::server_fn::codec::GetUrl)]
pub async fn admin_outbox() -> Result<Vec<OutboxMessage>, AppError> {
    use crate::platform::{error::reply, mail};
    reply(
        async move {
            let state = require_admin().await?;
            let utc = jiff::tz::TimeZone::UTC;
            Ok(mail::recent(&state.db, 100)
                .await?
                .into_iter()
                .map(|m| OutboxMessage {
                    id: m.id,
                    recipient: m.recipient,
                    subject: m.subject,
                    // A reset link in a mail is a key to an account: admins see that it was sent,
                    // not the link.
                    body_text: mail::redact_links(&m.body_text),
                    queued: crate::events::when::day_and_time(m.created_at, &utc),
                    sent: m.sent_at.is_some(),
                    delivery: match (m.sent_at, m.attempts, m.last_error) {
                        (Some(_), attempts, _) => format!("sent (attempt {attempts})"),
                        (None, 0, _) => "not sent".to_string(),
                        (None, attempts, error) => {
                            format!("not sent yet: {attempts} attempts, last error: {}", error.unwrap_or_default())
                        }
                    },
                    attachment: m.attachment_name,
                })
                .collect())
        }
        .await,
    )
}

/// `/admin`
#[component]
pub fn AdminHomePage() -> impl IntoView {
    let assign = ServerAction::<AssignRole>::new();
    let accounts = Resource::new(move || assign.version().get(), |_| admin_accounts());
    let error = action_error(assign);
    view! {
        <Title text="Partnership admin" />
        <section class="admin">
            <p class="eyebrow">"Partnership admin"</p>
            <h1>"Accounts and roles"</h1>
            <p><a href="/admin/outbox">"Mail outbox"</a></p>
            <p><a href="/admin/grants">"ClusterXchange grants: dashboard and configuration"</a></p>
            <h2>"Give an account a role"</h2>
            {move || assign.value().get().and_then(Result::ok).map(|m| view! { <p class="alert success" role="status">{m}</p> })}
            <ActionForm action=assign attr:class="stacked" attr:novalidate=true>
                <CsrfField />
                <FormAlert error fields=&["email", "role", "scope"] />
                <Field label="Email address" name="email" kind="email" error=field_message(error, "email") />
                <div class="field">
                    <label for="field-role">"Role"</label>
                    <select id="field-role" name="role">
                        {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                    {move || field_message(error, "role").get().map(|e| view! { <p class="field-error">{e}</p> })}
                </div>
                <Field
                    label="Scope"
                    name="scope"
                    required=false
                    hint="Organisers: cluster code (biorn, smarthub, biopeople, tartu). Scanners: event address name (e.g. leuven-2027)."
                    error=field_message(error, "scope")
                />
                <button type="submit">"Save role"</button>
            </ActionForm>
            <h2>"Accounts"</h2>
            {await_view!(accounts, |accounts| view! {
                <table class="data">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Scope"</th></tr></thead>
                    <tbody>
                        {accounts.into_iter().map(|a| view! {
                            <tr><td>{a.name}</td><td>{a.email}</td><td>{a.role.label()}</td><td>{a.scope.unwrap_or_default()}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

/// `/admin/outbox`: mail the platform has queued (the development mailbox).
#[component]
pub fn OutboxPage() -> impl IntoView {
    let messages = Resource::new(|| (), |_| admin_outbox());
    view! {
        <Title text="Mail outbox" />
        <section class="admin">
            <p class="eyebrow">"Partnership admin"</p>
            <h1>"Mail outbox"</h1>
            {await_view!(messages, |messages| view! {
                <ol class="outbox">
                    {messages.into_iter().map(|m| view! {
                        <li class="mail" data-recipient=m.recipient.clone()>
                            <p><strong>{m.subject}</strong></p>
                            <p class="hint">{format!("To {} · queued {} · {}", m.recipient, m.queued, m.delivery)}</p>
                            {m.attachment.map(|a| view! { <p class="hint">{format!("Attached: {a}")}</p> })}
                            <pre>{m.body_text}</pre>
                        </li>
                    }).collect_view()}
                </ol>
            })}
        </section>
    }
}

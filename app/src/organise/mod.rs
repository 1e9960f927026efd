//! The organiser's area of one event. Organisers reach only their own cluster's events;
//! partnership admins reach all of them.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};
use serde::{Deserialize, Serialize};

use crate::await_view;
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamMember {
    pub name: String,
    pub email: String,
    pub role: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrganiserOverview {
    pub slug: String,
    pub title: String,
    pub team: Vec<TeamMember>,
}

#[server(endpoint = "organiser_overview")]
pub async fn load_organiser_overview(slug: String) -> Result<OrganiserOverview, AppError> {
    use crate::accounts::{store as accounts, Role};
    use crate::backend::{auth, error::reply, state::app_state};
    use crate::events::store as events;
    reply(
        async move {
            let principal = auth::require_principal().await?;
            let state = app_state()?;
            let scope = events::event_scope(&state.db, &slug).await?;
            if !principal.may_organise(scope.cluster_id) {
                return Err(AppError::Forbidden);
            }
            let title = events::event_title(&state.db, &slug).await?;
            let team = accounts::event_team(&state.db, scope.cluster_id, scope.event_id)
                .await?
                .into_iter()
                .map(|row| TeamMember {
                    name: row.display_name,
                    email: row.email,
                    role: Role::parse(&row.role).map(Role::label).unwrap_or("Unknown").to_string(),
                })
                .collect();
            Ok(OrganiserOverview { slug, title, team })
        }
        .await,
    )
}

/// `/organise/{slug}`
#[component]
pub fn OrganiserHomePage() -> impl IntoView {
    let params = use_params_map();
    let overview = Resource::new(move || params.read().get("slug").unwrap_or_default(), load_organiser_overview);
    await_view!(overview, |overview| view! {
        <Title text=format!("Organise: {}", overview.title) />
        <section class="organise">
            <p class="eyebrow">"Organiser area"</p>
            <h1>{overview.title.clone()}</h1>
            <p>
                <A href=format!("/organise/{}/agenda", overview.slug) attr:class="button">"Edit the agenda"</A>
                " "
                <A href=format!("/events/{}", overview.slug)>"See the public event page"</A>
            </p>
            <h2>"Event team"</h2>
            <table class="data">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th></tr></thead>
                <tbody>
                    {overview.team.into_iter().map(|m| view! {
                        <tr><td>{m.name}</td><td>{m.email}</td><td>{m.role}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    })
}

//! The private calendar feed on the account page: made (or replaced) on request, shown once as a
//! `webcal://` and an `https://` address with a copy button, because only its hash is kept.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{action_error, CsrfField, FormAlert};
use crate::error::AppError;

/// A fresh feed address, in the two forms calendar apps take.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedAddress {
    pub https: String,
    pub webcal: String,
}

/// When the signed-in person's feed address was made ("30 November 2026"), if they have one.
#[server(endpoint = "calendar_feed", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_calendar_feed() -> Result<Option<String>, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            let made = crate::calendar::feed::feed_made_at(&state.db, principal.user_id).await?;
            Ok(made.map(|at| {
                jiff::Timestamp::from_second(at)
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
                    .strftime("%-d %B %Y")
                    .to_string()
            }))
        }
        .await,
    )
}

/// Makes a new feed address; the old one (if any) stops working at once.
#[server(endpoint = "new_calendar_feed")]
pub async fn new_calendar_feed(#[server(rename = "csrf")] _csrf: String) -> Result<FeedAddress, AppError> {
    use crate::platform::error::reply;
    reply(
        async move {
            let principal = crate::accounts::access::signed_in().await?;
            let state = crate::state::app_state()?;
            let secret = crate::calendar::feed::rotate_secret(&state.db, principal.user_id).await?;
            let https = format!("{}/calendar/{secret}.ics", state.settings.public_url);
            let webcal = format!("webcal://{}", https.trim_start_matches("https://").trim_start_matches("http://"));
            Ok(FeedAddress { https, webcal })
        }
        .await,
    )
}

#[component]
pub fn AccountCalendarFeed() -> impl IntoView {
    let make = ServerAction::<NewCalendarFeed>::new();
    let status = Resource::new(move || make.version().get(), |_| load_calendar_feed());
    let error = action_error(make);
    let fresh = move || make.value().get().and_then(Result::ok);
    view! {
        <h2>"Calendar feed"</h2>
        <p class="hint">
            "Subscribe to your chosen sessions and B2B meetings of every event in Outlook, Google Calendar or Apple Calendar; "
            "moved and cancelled meetings update there by themselves."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let made = status.await.ok().flatten();
                let has_one = made.is_some();
                view! {
                    {move || match fresh() {
                        Some(address) => view! { <FeedLinks address /> }.into_any(),
                        None => match made.clone() {
                            Some(day) => view! {
                                <p>{format!("You made your feed address on {day}. It is shown only when it is made; if you lost it, make a new one.")}</p>
                            }.into_any(),
                            None => ().into_any(),
                        },
                    }}
                    <ActionForm action=make attr:class="inline-form">
                        <CsrfField />
                        <FormAlert error />
                        <button type="submit" class="small secondary">
                            {if has_one { "Make a new address (the old one stops working)" } else { "Make my feed address" }}
                        </button>
                    </ActionForm>
                }
            })}
        </Suspense>
    }
}

#[component]
fn FeedLinks(address: FeedAddress) -> impl IntoView {
    let copied = RwSignal::new(false);
    let https = address.https.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&https);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &https;
    };
    view! {
        <div class="feed-address" role="status">
            <p>"Your private feed address (keep it to yourself: anyone with it can read your calendar). It is shown only now."</p>
            <p><a href=address.webcal.clone()>"Subscribe in your calendar app"</a></p>
            <label>"Feed address " <input readonly=true class="feed-url" value=address.https.clone() /></label>
            " "
            <button type="button" class="small" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
        </div>
    }
}

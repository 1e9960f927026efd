//! The EventXchange application: every page, component and server function, plus (behind the
//! `ssr` feature) the persistence and plumbing that only the server runs.
//!
//! Code is grouped by capability (`events`, `accounts`, …). Each capability keeps its types,
//! pages and `#[server]` functions together; its queries sit in a `store` module compiled only
//! for the server.

pub mod accounts;
pub mod admin;
pub mod agenda;
pub mod badges;
// Server functions take one argument per field of their form (plain form posts need that).
#[allow(clippy::too_many_arguments)]
pub mod checkin;
pub mod components;
pub mod error;
pub mod events;
pub mod grants;
pub mod meetings;
// Server functions take one argument per field of their form (plain form posts need that).
#[allow(clippy::too_many_arguments)]
pub mod organise;
#[allow(clippy::too_many_arguments)]
pub mod tickets;

// Server-only: the plumbing every capability builds on, the calendar files, the Stripe adapter,
// and the composition root (state and demo series) on top.
#[cfg(feature = "ssr")]
pub mod calendar;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod payments;
#[cfg(feature = "ssr")]
pub mod platform;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

use crate::components::{Layout, NotFound};

/// The HTML document around the application, rendered once per page on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <AutoReload options=options.clone() />
                <link rel="stylesheet" id="leptos" href=stylesheet_href() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Gives the page a fresh nonce and a Content-Security-Policy that allows this site's own files,
/// the WASM bundle, and of inline scripts only the ones leptos marks with the nonce (hydration
/// and the data it carries). Inline style attributes are allowed (a chart's bar widths); style
/// elements and sheets must come from the site.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    leptos::nonce::provide_nonce();
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        &*nonce
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The content hashes of a release build's bundle files (`js: …`, `wasm: …`, `css: …` lines of
/// hash.txt beside the server binary, as leptos reads them), read once; None in development.
#[cfg(feature = "ssr")]
pub fn bundle_hashes() -> Option<&'static [(String, String)]> {
    static HASHES: std::sync::OnceLock<Option<Vec<(String, String)>>> = std::sync::OnceLock::new();
    HASHES
        .get_or_init(|| {
            let exe = std::env::current_exe().ok()?;
            let text = std::fs::read_to_string(exe.parent()?.join("hash.txt")).ok()?;
            let pairs: Vec<(String, String)> = text
                .lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(file, hash)| (file.trim().to_string(), hash.trim().to_string()))
                .collect();
            (!pairs.is_empty()).then_some(pairs)
        })
        .as_deref()
}

/// The stylesheet's address: hashed in a release build. Linked from the shell (rendered on the
/// server only), so the browser bundle need not know the hash.
fn stylesheet_href() -> String {
    #[cfg(feature = "ssr")]
    if let Some((_, hash)) = bundle_hashes().and_then(|h| h.iter().find(|(file, _)| file == "css")) {
        return format!("/pkg/app.{hash}.css");
    }
    "/pkg/app.css".to_string()
}

/// Declares, for each page behind it, a route whose view is compiled into a WASM chunk of its
/// own and fetched when the route is first shown (or hydrated): a visitor opening the series,
/// an event or its agenda (where links, newsletters and QR posters lead) downloads only those
/// pages' code, and each further page fetches its own part when first shown: a session, a
/// speaker, the registration form, the sign-in, and later the scanner's camera decoder, the
/// organiser desks, meetings, grants and admin.
macro_rules! lazy_pages {
    ($($route:ident => $($page:ident)::+,)*) => {$(
        struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$($page)::+ /> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    SessionRoute => agenda::SessionPage,
    SpeakerRoute => agenda::SpeakerPage,
    RegisterRoute => tickets::RegisterPage,
    SignInRoute => accounts::SignInPage,
    TicketReviewRoute => tickets::ReviewPage,
    TicketRoute => tickets::TicketPage,
    BadgeRoute => badges::BadgePage,
    BadgeBatchRoute => badges::BadgeBatchPage,
    CheckinDeskRoute => checkin::CheckinDeskPage,
    AgendaEditorRoute => agenda::AgendaEditorPage,
    RegistrationsRoute => tickets::RegistrationsPage,
    TicketSetupRoute => tickets::TicketSetupPage,
    B2bSetupRoute => meetings::B2bSetupPage,
    MeetingsDeskRoute => meetings::MeetingsDeskPage,
    ParticipantsRoute => meetings::ParticipantsPage,
    ParticipantRoute => meetings::ParticipantPage,
    MeetingsRoute => meetings::MeetingsPage,
    SignUpRoute => accounts::SignUpPage,
    ConfirmSignUpRoute => accounts::ConfirmSignUpPage,
    ForgotPasswordRoute => accounts::ForgotPasswordPage,
    ResetPasswordRoute => accounts::ResetPasswordPage,
    AccountRoute => accounts::AccountPage,
    GrantsRoute => grants::GrantsPage,
    ApplyRoute => grants::ApplyPage,
    ApplicationRoute => grants::application::ApplicationPage,
    GrantReviewRoute => grants::ReviewPage,
    OrganiserHomeRoute => organise::OrganiserHomePage,
    ScannerRoute => checkin::ScannerPage,
    AdminHomeRoute => admin::AdminHomePage,
    OutboxRoute => admin::OutboxPage,
    GrantsDashboardRoute => grants::dashboard::GrantsDashboardPage,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    accounts::provide_session();
    // Pages are rendered whole before the first byte is sent (`SsrMode::Async`), so a page
    // whose data says "not found" or "not allowed" can still answer with 404 or 403.

    view! {
        <Title formatter=|text: String| {
            if text.is_empty() { "EventXchange".to_string() } else { format!("{text} · EventXchange") }
        } />
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("") view=events::SeriesPage ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug") view=events::EventPage ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/agenda") view=agenda::AgendaPage ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/sessions/:id") view={Lazy::<SessionRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/speakers/:id") view={Lazy::<SpeakerRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/register") view={Lazy::<RegisterRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/register/review") view={Lazy::<TicketReviewRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tickets/:id") view={Lazy::<TicketRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tickets/:id/badge") view={Lazy::<BadgeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/badges") view={Lazy::<BadgeBatchRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/checkin") view={Lazy::<CheckinDeskRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/agenda") view={Lazy::<AgendaEditorRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/registrations") view={Lazy::<RegistrationsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/tickets") view={Lazy::<TicketSetupRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/b2b") view={Lazy::<B2bSetupRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/b2b/meetings") view={Lazy::<MeetingsDeskRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/participants") view={Lazy::<ParticipantsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/participants/:id") view={Lazy::<ParticipantRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/meetings") view={Lazy::<MeetingsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signin") view={Lazy::<SignInRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signup") view={Lazy::<SignUpRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signup/confirm") view={Lazy::<ConfirmSignUpRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/password/forgot") view={Lazy::<ForgotPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/password/reset") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/grants") view={Lazy::<GrantsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/grants/apply") view={Lazy::<ApplyRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/grants/applications/:id") view={Lazy::<ApplicationRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/organise/grants") view={Lazy::<GrantReviewRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug") view={Lazy::<OrganiserHomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/scan/:slug") view={Lazy::<ScannerRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin") view={Lazy::<AdminHomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/outbox") view={Lazy::<OutboxRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/grants") view={Lazy::<GrantsDashboardRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}

/// Entry point of the browser bundle: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // As `leptos::mount::hydrate_lazy`: hydration waits for the chunk of a lazily loaded page.
    // Once the whole page has taken over, the body says so; the end-to-end tests wait for it.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else { return };
        leptos::mount::hydrate_from_async(body.clone(), App).await.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}

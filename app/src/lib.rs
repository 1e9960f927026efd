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
    path, SsrMode,
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
                    <Route path=path!("/events/:slug/sessions/:id") view=agenda::SessionPage ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/speakers/:id") view=agenda::SpeakerPage ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/register") view=tickets::RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/register/review") view=tickets::ReviewPage ssr=SsrMode::Async />
                    <Route path=path!("/tickets/:id") view=tickets::TicketPage ssr=SsrMode::Async />
                    <Route path=path!("/tickets/:id/badge") view=badges::BadgePage ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/badges") view=badges::BadgeBatchPage ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/checkin") view=checkin::CheckinDeskPage ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/agenda") view=agenda::AgendaEditorPage ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/registrations") view=tickets::RegistrationsPage ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/tickets") view=tickets::TicketSetupPage ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/b2b") view=meetings::B2bSetupPage ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug/b2b/meetings") view=meetings::MeetingsDeskPage ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/participants") view=meetings::ParticipantsPage ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/participants/:id") view=meetings::ParticipantPage ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug/meetings") view=meetings::MeetingsPage ssr=SsrMode::Async />
                    <Route path=path!("/signin") view=accounts::SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=accounts::SignUpPage ssr=SsrMode::Async />
                    <Route path=path!("/signup/confirm") view=accounts::ConfirmSignUpPage ssr=SsrMode::Async />
                    <Route path=path!("/password/forgot") view=accounts::ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/password/reset") view=accounts::ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=accounts::AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/grants") view=grants::GrantsPage ssr=SsrMode::Async />
                    <Route path=path!("/grants/apply") view=grants::ApplyPage ssr=SsrMode::Async />
                    <Route path=path!("/grants/applications/:id") view=grants::application::ApplicationPage ssr=SsrMode::Async />
                    <Route path=path!("/organise/grants") view=grants::ReviewPage ssr=SsrMode::Async />
                    <Route path=path!("/organise/:slug") view=organise::OrganiserHomePage ssr=SsrMode::Async />
                    <Route path=path!("/scan/:slug") view=checkin::ScannerPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=admin::AdminHomePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/outbox") view=admin::OutboxPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/grants") view=grants::dashboard::GrantsDashboardPage ssr=SsrMode::Async />
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
    leptos::mount::hydrate_body(App);
}

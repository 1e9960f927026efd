//! The EventXchange server: builds the application state and the axum router. `main.rs` only
//! parses the command line; tests start the same router on a free port.

pub mod config;
mod health;

use std::sync::{Arc, OnceLock};

use app::demo;
use app::platform::{mail, web, Db, Settings};
use app::state::AppState;
use app::{shell, App};
use axum::{middleware, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::{compression::CompressionLayer, limit::RequestBodyLimitLayer, trace::TraceLayer};

/// The largest request body a server function accepts.
pub const SERVER_FN_BODY_LIMIT: usize = 3 * 1024 * 1024;

pub use config::{Cli, Command, Config};

/// Opens the database (applying migrations) and loads the demo series if configured.
pub async fn build_state(config: &Config) -> Result<AppState, StartError> {
    if !config.demo && config.badge_key_secret.is_none() {
        if !config.allow_unwrapped_badge_keys {
            return Err(StartError::Settings(
                "BADGE_KEY_SECRET is not set: the badge signing keys would be stored unwrapped, and anyone who \
                 reads the database could forge badges. Set it (any long random string), or set \
                 EXX_ALLOW_UNWRAPPED_BADGE_KEYS=true on a server that is not in production"
                    .to_string(),
            ));
        }
        tracing::warn!(
            "!!! BADGE_KEY_SECRET is not set: badge signing keys are stored unwrapped. Never run production like this. !!!"
        );
    }
    let db = Db::connect(&config.database_url).await?;
    if config.demo && demo::seed_if_empty(&db).await.map_err(StartError::Demo)? {
        tracing::info!("the database was empty: loaded the demo series");
    }
    app::tickets::store::spawn_hold_sweeper(db.clone());
    let leptos_options = LeptosOptions::builder()
        .output_name(std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "app".into()))
        .site_root(config.site_root.clone())
        .site_pkg_dir(config.site_pkg_dir.clone())
        .site_addr(config.site_addr)
        // A release build names its bundle files by their content's hash and lists the hashes
        // in hash.txt beside the server binary (scripts/build-site.sh --release).
        .hash_files(app::bundle_hashes().is_some())
        .build();
    let public_url = config.public_url();
    let payments = match (&config.stripe_secret_key, &config.stripe_webhook_secret) {
        (Some(key), Some(secret)) => Some(Arc::new(
            app::payments::Payments::new(key, secret, config.stripe_api_base.as_deref())
                .map_err(StartError::Settings)?,
        )),
        (None, None) => None,
        _ => {
            return Err(StartError::Settings(
                "set both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or neither".to_string(),
            ))
        }
    };
    let from: mail::Mailbox =
        config.mail_from.parse().map_err(|e| StartError::Settings(format!("MAIL_FROM is not a mail address: {e}")))?;
    let (sender_name, sender_email) =
        (from.name.clone().unwrap_or_else(|| "EventXchange".to_string()), from.email.to_string());
    if let Some(smtp_url) = &config.smtp_url {
        let settings = mail::MailSettings {
            smtp_url: smtp_url.clone(),
            from,
            retry_base: std::time::Duration::from_secs(config.mail_retry_seconds.max(1)),
            poll_every: std::time::Duration::from_millis(500),
        };
        mail::spawn_delivery(db.clone(), Arc::new(settings)).map_err(StartError::Settings)?;
    } else {
        tracing::info!("no SMTP_URL: mail stays in the outbox (/admin/outbox)");
    }
    Ok(AppState {
        leptos_options,
        db,
        settings: Arc::new(Settings {
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            sender_name,
            sender_email,
        }),
        agendas: Arc::default(),
        clusters: Arc::default(),
        badge_keys: Arc::new(app::badges::keys::BadgeKeys::new(config.badge_key_secret.as_deref())),
        checkins: Arc::default(),
        payments,
        limits: Arc::default(),
    })
}

/// Every route: Leptos pages and server functions, plain HTTP routes, static files.
pub fn router(state: AppState) -> Router {
    // Generated once per process: while leptos renders the app to list its routes it sets a
    // process-wide flag that parks every resource starting at that moment, so a second server
    // in the same process (tests, or several routers) must not generate it again while the
    // first is serving pages (leptos-rs/leptos#4773).
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let context_state = state.clone();
    let fn_state = state.clone();
    Router::new()
        .route("/health", get(health::health))
        .route("/favicon.ico", get(favicon))
        .merge(app::calendar::files::router())
        .merge(app::calendar::feed::router())
        .merge(app::agenda::http::router())
        .merge(app::tickets::http::router())
        .merge(app::badges::http::router())
        .merge(app::checkin::http::router())
        .merge(app::meetings::http::router())
        .merge(app::grants::router())
        .leptos_routes_with_context(&state, routes, move || provide_context(context_state.clone()), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .route(
            "/api/{*fn_name}",
            axum::routing::post(move |req| {
                let state = fn_state.clone();
                leptos_axum::handle_server_fns_with_context(move || provide_context(state.clone()), req)
            })
            // Server functions read their whole body into memory: cap it (the largest form is
            // an agenda CSV of at most 2 MB).
            .layer(RequestBodyLimitLayer::new(SERVER_FN_BODY_LIMIT)),
        )
        .fallback(site_file_or_not_found(&state))
        .layer(middleware::from_fn_with_state(web::ServerFnLimit(SERVER_FN_BODY_LIMIT), web::server_fn_answers))
        // Inside the CSRF guard: a stored agenda page is given the visitor's own token.
        .layer(middleware::from_fn_with_state(state.clone(), app::agenda::page_cache::serve))
        // Every route reads at most this much (axum's own default is 2 MiB); the speaker photo
        // upload sets its own, larger limit.
        .layer(axum::extract::DefaultBodyLimit::max(SERVER_FN_BODY_LIMIT))
        .layer(middleware::from_fn_with_state(csrf_policy(&state), web::guard))
        .layer(middleware::from_fn_with_state(state.settings.secure_cookies, web::security_headers))
        .layer(middleware::from_fn(web::asset_caching))
        // Pages, JSON (the scanners' offline data above all, on venue Wi-Fi) and the bundle go
        // out gzip-compressed to clients that accept it; images and tiny answers as they are.
        .layer(CompressionLayer::new().gzip(true))
        .layer(TraceLayer::new_for_http().make_span_with(request_span).on_response(log_answer))
        .with_state(state)
}

/// The site's files (the bundle, its chunks, the stylesheet, public assets), or else the
/// "not found" page. Files are served here rather than by leptos' `file_and_error_handler`:
/// that one answers a file inside a reactive owner it makes a child of whatever owner the
/// worker thread last had current, which can be a page being rendered at that moment on the
/// same thread; it then moves that page's response headers (its Content-Security-Policy, a
/// cookie) onto the file's answer, and the page goes out without them.
fn site_file_or_not_found(
    state: &AppState,
) -> impl Fn(
    axum::extract::State<AppState>,
    axum::extract::Request,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>
       + Clone
       + Send
       + 'static {
    use axum::response::IntoResponse;
    use tower::ServiceExt;
    // A release build leaves brotli and gzip copies beside the bundle's files (build-site.sh).
    let files = tower_http::services::ServeDir::new(state.leptos_options.site_root.as_ref())
        .precompressed_br()
        .precompressed_gzip();
    let not_found = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        {
            let state = state.clone();
            move || provide_context(state.clone())
        },
        shell,
    );
    move |axum::extract::State(state): axum::extract::State<AppState>, request: axum::extract::Request| {
        let files = files.clone();
        let not_found = not_found.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            if matches!(parts.method, http::Method::GET | http::Method::HEAD) {
                let probe = http::Request::from_parts(parts.clone(), axum::body::Body::empty());
                let Ok(answer) = files.oneshot(probe).await;
                if answer.status() != http::StatusCode::NOT_FOUND {
                    return answer.into_response();
                }
            }
            let uri = parts.uri.clone();
            not_found(uri, axum::extract::State(state), http::Request::from_parts(parts, body)).await
        })
    }
}

/// One line per request at the default level: method, matched route (not the raw path, which
/// may carry ids or tokens), status and time. The span's `principal` and `event` fields are
/// filled in by the access layer and the event loader as the request finds them out.
fn request_span(request: &http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "(unmatched)".to_string());
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route,
        principal = tracing::field::Empty,
        event = tracing::field::Empty,
    )
}

fn log_answer(response: &http::Response<axum::body::Body>, latency: std::time::Duration, _span: &tracing::Span) {
    tracing::info!(status = response.status().as_u16(), ms = latency.as_secs_f64() * 1000.0, "answered");
}

/// Browsers ask for it on every first visit; it is built into the binary, so it is there even
/// before the site's static files are.
async fn favicon() -> impl axum::response::IntoResponse {
    (
        [(http::header::CONTENT_TYPE, "image/x-icon"), (http::header::CACHE_CONTROL, "public, max-age=604800")],
        &include_bytes!("../../public/favicon.ico")[..],
    )
}

/// The CSRF guard in front of every route. The Stripe webhook is exempt: Stripe signs it, and
/// it carries no browser cookies.
fn csrf_policy(state: &AppState) -> web::CsrfPolicy {
    web::CsrfPolicy {
        secure_cookies: state.settings.secure_cookies,
        exempt_paths: vec![app::payments::webhook::PATH],
        cookie_free_prefixes: vec!["/api/v1/"],
        // The largest form is a speaker photo upload (5 MB and its multipart framing).
        max_form_bytes: 6 * 1024 * 1024,
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] app::platform::db::ConnectError),
    #[error("could not load the demo series: {0}")]
    Demo(app::error::AppError),
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Settings(String),
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// Listens on the configured address and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: &Config) -> Result<(), StartError> {
    let state = build_state(config).await?;
    let db = state.db.clone();
    let listener = tokio::net::TcpListener::bind(config.site_addr)
        .await
        .map_err(|source| StartError::Listen { addr: config.site_addr, source })?;
    tracing::info!(address = %config.site_addr, backend = db.backend_name(), "EventXchange is listening on http://{}", config.site_addr);
    let service = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown_signal()).await.map_err(StartError::Serve)?;
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

//! Benchmark (not a test): free registrations per second over HTTP.
//!
//!     make bench-registration    (builds the server and bench_registration, then runs it)
//!
//! Runs the release server in its own process on a free port (see `ServerProcess`), once on a fresh
//! SQLite file and once on a fresh PostgreSQL database (created on BENCH_POSTGRES_URL, default the
//! local server, and dropped afterwards; skipped with a message when unreachable). Each backend
//! gets the demo series, a free ticket type with room for everyone, and enough attendee accounts;
//! then CLIENTS (default 16) concurrent clients register one attendee after another for SECONDS
//! (default 10): the form post (`prepare_registration`) and the confirmation
//! (`confirm_registration`), each a full server-function round trip with session, CSRF check and
//! transaction. Prints registrations/s and the p50/p99 of a whole registration. Clients and server
//! share the cores; each client is one keep-alive connection of a minimal HTTP/1.1 client, all on
//! one thread (`bench_support::http1`, `bench_support::runtime`).

mod bench_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_support::http1::Connection;
use bench_support::{env_number, quantile_ms, signed_in_people};

const SLUG: &str = "heidelberg-2027";
/// Any 64 hex digits: the double-submit check compares the form field with the cookie.
const CSRF: &str = "b3c1a9e0d4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1";

fn main() {
    let clients = env_number("CLIENTS", 16) as usize;
    let seconds = env_number("SECONDS", 10);
    let people = env_number("PEOPLE", 30_000) as usize;
    bench_support::runtime()
        .block_on(bench_support::on_both_backends("bench_registration", |url| bench(url, clients, seconds, people)));
}

async fn bench(database_url: String, clients: usize, seconds: u64, people: usize) {
    let mut config = server::Cli::from_environment();
    config.database_url = database_url.clone();
    config.demo = true;
    config.smtp_url = None;
    let state = server::build_state(&config).await.expect("start the server");
    let db = state.db.clone();

    // A free ticket type for everyone, and the attendees with their sessions, made directly in
    // the database (the benchmark is about registering, not signing in).
    let tokens: Vec<String> = (0..people).map(|_| app::platform::random_token()).collect();
    let ticket_type: i64 = app::db_run!(&db, |pool| {
        let mut tx = pool.begin().await.expect("begin");
        let id: i64 = sqlx::query_scalar(
            "insert into ticket_types (event_id, name, price_cents, capacity, sales_start, sales_end, visibility, eligibility)
             select id, 'Benchmark day', 0, 1000000, 0, starts_at, 'public', 'anyone' from events where slug = $1
             returning id",
        )
        .bind(SLUG)
        .fetch_one(&mut *tx)
        .await
        .expect("ticket type");
        tx.commit().await.expect("commit");
        id
    });
    signed_in_people(&db, "bench", "Bench Attendee", &tokens).await;

    // The server in its own process, on the prepared database (see `ServerProcess`).
    let served = bench_support::ServerProcess::start(&database_url, state.clone()).await;
    let base = served.base.clone();

    let tokens = Arc::new(tokens);
    let next = Arc::new(AtomicUsize::new(0));
    // Warm-up, then the measured run.
    run(&base, ticket_type, &tokens, &next, clients, Duration::from_secs(1)).await;
    let (started, cpu_at_start) = (Instant::now(), bench_support::cpu_seconds());
    let mut latencies = run(&base, ticket_type, &tokens, &next, clients, Duration::from_secs(seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let confirmed: i64 = app::db_run!(&db, |pool| sqlx::query_scalar(
        "select count(*) from tickets where ticket_type_id = $1 and status = 'confirmed'"
    )
    .bind(ticket_type)
    .fetch_one(pool)
    .await
    .expect("count"));
    assert_eq!(confirmed as usize, next.load(Ordering::SeqCst).min(people), "every registration is confirmed");
    latencies.sort_unstable();
    bench_support::record(bench_support::Figure {
        operation: "free registration (form post + confirmation)",
        backend: db.backend_name(),
        clients,
        elapsed: started.elapsed(),
        latencies: &latencies,
        cpu_at_start,
    });
    println!(
        "free registrations over HTTP ({} backend): {clients} clients, {} registrations in {elapsed:.1} s",
        db.backend_name(),
        latencies.len(),
    );
    println!(
        "registrations/s: {:.0}   p50: {:.1} ms   p99: {:.1} ms   (each = form post + confirmation)",
        latencies.len() as f64 / elapsed,
        quantile_ms(&latencies, 0.50),
        quantile_ms(&latencies, 0.99),
    );
    db.close().await;
}

/// `clients` loops registering the next attendee until `duration` has passed (or everyone is
/// registered), each on its own keep-alive connection; returns the latency of every registration.
async fn run(
    base: &str,
    ticket_type: i64,
    tokens: &Arc<Vec<String>>,
    next: &Arc<AtomicUsize>,
    clients: usize,
    duration: Duration,
) -> Vec<Duration> {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (base, tokens, next) = (base.to_string(), tokens.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(&base).await;
            let mut latencies = Vec::new();
            let ticket_type = ticket_type.to_string();
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::SeqCst);
                let Some(token) = tokens.get(n) else { break };
                let cookie = format!("exx_session={token}; exx_csrf={CSRF}");
                let name = format!("Bench Attendee {n}");
                let headers = [
                    ("cookie", cookie.as_str()),
                    ("accept", "application/json"),
                    ("content-type", "application/x-www-form-urlencoded"),
                ];
                let filled = form(&[
                    ("csrf", CSRF),
                    ("slug", SLUG),
                    ("ticket_type", &ticket_type),
                    ("voucher", ""),
                    ("attendee_name", &name),
                    ("organisation", "Benchmark Labs"),
                    ("organisation_type", "research"),
                    ("cluster", "biorn"),
                    ("country", "Germany"),
                    ("job_role", "Researcher"),
                    ("theme_biomarkers", "on"),
                    ("offers", "Assays"),
                    ("seeks", "Partners"),
                    ("terms_consent", "on"),
                ]);
                let start = Instant::now();
                let prepared = connection.send("POST", "/api/prepare_registration", &headers, filled.as_bytes()).await;
                assert_eq!(prepared.status, 200, "{}", prepared.text());
                let review = form(&[("csrf", CSRF), ("slug", SLUG), ("reviewed_total", "0")]);
                let confirmed = connection.send("POST", "/api/confirm_registration", &headers, review.as_bytes()).await;
                assert_eq!(confirmed.status, 200, "{}", confirmed.text());
                latencies.push(start.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client task"));
    }
    all
}

/// A form body, `application/x-www-form-urlencoded`.
fn form(fields: &[(&str, &str)]) -> String {
    use app::components::url_encode;
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", url_encode(name), url_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

//! Benchmark (not a test): server-side rendering of an agenda of 300 sessions.
//!
//!     make bench-agenda    (builds the server and bench_agenda, then runs it)
//!
//! Runs the release server in its own process on a free port (see `ServerProcess`), once on a fresh
//! SQLite file and once on a fresh PostgreSQL database (skipped with a message when none answers),
//! loads the demo series plus enough sessions for the Heidelberg event to have 300, then runs
//! CLIENTS (default 16) concurrent HTTP clients for SECONDS (default 10) against
//! `/events/heidelberg-2027/agenda` and prints requests/s and the p50/p99 latency. Clients and
//! server share the machine's cores, as on a small host; each client is one keep-alive
//! connection of a minimal HTTP/1.1 client, all on one thread (`bench_support::http1`).

mod bench_support;

use std::time::{Duration, Instant};

use app::agenda::rules::{SessionDraft, SessionInput};
use app::agenda::store::{self, NamePolicy, SessionWrite};
use bench_support::http1::Connection;
use bench_support::{env_number, quantile_ms};

const SLUG: &str = "heidelberg-2027";
const TARGET_SESSIONS: usize = 300;

fn main() {
    let clients = env_number("CLIENTS", 16) as usize;
    let seconds = env_number("SECONDS", 10);
    bench_support::runtime()
        .block_on(bench_support::on_both_backends("bench_agenda", |url| bench(url, clients, seconds)));
}

async fn bench(database_url: String, clients: usize, seconds: u64) {
    let mut config = server::Cli::from_environment();
    config.database_url = database_url.clone();
    config.demo = true;
    let state = server::build_state(&config).await.expect("start the server");

    // Fill the agenda up to 300 sessions: 45-minute slots in extra rooms, so nothing clashes.
    let event = app::events::store::load(&state.db, SLUG).await.expect("demo event");
    let existing = store::sessions(&state.db, &event).await.expect("sessions").len();
    let mut writes = Vec::new();
    let days = ["2027-03-16", "2027-03-17"];
    let mut n = 0;
    'fill: for room in 1.. {
        for day in days {
            for slot in 0..10 {
                if existing + writes.len() >= TARGET_SESSIONS {
                    break 'fill;
                }
                n += 1;
                let start = format!("{:02}:{:02}", 9 + (slot * 45) / 60, (slot * 45) % 60);
                let end_minutes = slot * 45 + 40;
                let end = format!("{:02}:{:02}", 9 + end_minutes / 60, end_minutes % 60);
                let title = format!("Parallel session {n}: results from partner laboratories");
                let room_name = format!("Breakout {room}");
                let speaker = format!("Bench Speaker {n}");
                let abstract_text = "An abstract of a few sentences, as real sessions have. ".repeat(4);
                let input = SessionInput {
                    title: &title,
                    abstract_text: &abstract_text,
                    day,
                    start: &start,
                    end: &end,
                    track: "Discovery & validation",
                    room: &room_name,
                    speakers: &speaker,
                    capacity: "",
                    theme: "biomarkers",
                };
                let draft = SessionDraft::parse(&input, &event.window).expect("valid bench session");
                writes.push(SessionWrite { id: None, draft });
            }
        }
    }
    if !writes.is_empty() {
        store::write_sessions(&state.db, &event, &writes, NamePolicy::CreateMissing).await.expect("fill the agenda");
    }
    let total = store::sessions(&state.db, &event).await.expect("sessions").len();

    // The server in its own process, on the prepared database (see `ServerProcess`).
    let served = bench_support::ServerProcess::start(&database_url, state.clone()).await;
    let base = served.base.clone();
    let path = format!("/events/{SLUG}/agenda");
    let first = Connection::open(&base).await.send("GET", &path, &[], b"").await;
    assert_eq!(first.status, 200);
    let page = first.text().into_owned();
    assert_eq!(page.matches("data-session=").count(), total, "the page shows every session");

    // Warm-up, then the measured run. BENCH_API=1 measures the agenda's data alone (the server
    // function, JSON), without rendering.
    let path = if std::env::var("BENCH_API").is_ok() { "/api/agenda".to_string() } else { path };
    run(&base, &path, clients, Duration::from_secs(1)).await;
    let (started, cpu_at_start) = (Instant::now(), bench_support::cpu_seconds());
    let mut latencies = run(&base, &path, clients, Duration::from_secs(seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    bench_support::record(bench_support::Figure {
        operation: &format!("agenda page, {total} sessions (SSR)"),
        backend: state.db.backend_name(),
        clients,
        elapsed: started.elapsed(),
        latencies: &latencies,
        cpu_at_start,
    });
    println!(
        "agenda SSR ({} sessions, {} KB page, {} backend): {} clients, {} requests in {:.1} s",
        total,
        page.len() / 1024,
        state.db.backend_name(),
        clients,
        latencies.len(),
        elapsed
    );
    println!(
        "requests/s: {:.0}   p50: {:.1} ms   p99: {:.1} ms   max: {:.1} ms",
        latencies.len() as f64 / elapsed,
        quantile_ms(&latencies, 0.50),
        quantile_ms(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    state.db.close().await;
}

/// `clients` loops requesting `path`, each on its own keep-alive connection, until `duration`
/// has passed; returns every latency.
async fn run(base: &str, path: &str, clients: usize, duration: Duration) -> Vec<Duration> {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (base, path) = (base.to_string(), path.to_string());
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(&base).await;
            let form = format!("slug={SLUG}");
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let start = Instant::now();
                let answer = if path.starts_with("/api/") {
                    let headers = [("content-type", "application/x-www-form-urlencoded")];
                    connection.send("POST", &path, &headers, form.as_bytes()).await
                } else {
                    connection.send("GET", &path, &[], b"").await
                };
                assert_eq!(answer.status, 200);
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

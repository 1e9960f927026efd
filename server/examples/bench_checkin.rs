//! Benchmark (not a test): badge redeems per second over HTTP through the device API.
//!
//!     make bench-checkin    (builds the server and bench_checkin, then runs it)
//!
//! Runs the release server in its own process on a free port (see `ServerProcess`), once on a fresh
//! SQLite file and once on a fresh PostgreSQL database (created on BENCH_POSTGRES_URL, default the
//! local server, and dropped afterwards; skipped with a message when unreachable). Each backend
//! gets the demo series plus TICKETS (default 20,000) confirmed tickets with signed badge codes,
//! and a device token. Then 1 and SCANNERS (default 16) concurrent scanners post redeems to the
//! demo's single-entry "Main entrance" list: valid codes (each ticket's first entry, which verifies
//! the signature and writes the check-in), duplicates (codes already checked in) and unknown codes
//! (tampered signatures). Prints redeems/s with p50 and p99 latency per case. Clients and server
//! share the machine's cores: each scanner is one keep-alive connection of a minimal HTTP/1.1
//! client, all on one thread (`bench_support::http1`, `bench_support::runtime`).

mod bench_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_support::http1::Connection;
use bench_support::{env_number, quantile_ms};

const SLUG: &str = "heidelberg-2027";

fn main() {
    let tickets = env_number("TICKETS", 20_000) as usize;
    let scanners = env_number("SCANNERS", 16) as usize;
    bench_support::runtime()
        .block_on(bench_support::on_both_backends("bench_checkin", |url| bench(url, tickets, scanners)));
}

async fn bench(database_url: String, tickets: usize, scanners: usize) {
    let mut config = server::Cli::from_environment();
    config.database_url = database_url.clone();
    config.demo = true;
    config.smtp_url = None;
    let state = server::build_state(&config).await.expect("start the server");
    let db = state.db.clone();

    let prepared = Instant::now();
    let event_id: i64 = app::db_run!(&db, |pool| sqlx::query_scalar("select id from events where slug = $1")
        .bind(SLUG)
        .fetch_one(pool)
        .await
        .expect("event"));
    let crowd = app::checkin::demo::crowd(&db, event_id, "Bench", tickets as i64).await.expect("crowd");
    let codes: Vec<String> = app::badges::store::codes_of(&db, &state.badge_keys, event_id, &crowd)
        .await
        .expect("codes")
        .into_iter()
        .map(|(_, code)| code)
        .collect();
    // Forgeries: the right shape, a signature that does not match.
    let forged: Vec<String> = codes.iter().map(|code| tamper(code)).collect();
    let organiser: i64 = app::db_run!(&db, |pool| sqlx::query_scalar(
        "select id from users where email = 'organiser.biorn@eventxchange.test'"
    )
    .fetch_one(pool)
    .await
    .expect("organiser"));
    let token =
        app::checkin::store::create_device(&db, event_id, "Benchmark turnstile", organiser).await.expect("device");
    let list: i64 = app::db_run!(&db, |pool| sqlx::query_scalar(
        "select id from checkin_lists where event_id = $1 and name = 'Main entrance'"
    )
    .bind(event_id)
    .fetch_one(pool)
    .await
    .expect("list"));
    println!(
        "check-in redeems over HTTP ({} backend), {} tickets; prepared in {:.1} s",
        db.backend_name(),
        codes.len(),
        prepared.elapsed().as_secs_f64()
    );

    // The server in its own process, on the prepared database (see `ServerProcess`).
    let served = bench_support::ServerProcess::start(&database_url, state.clone()).await;
    let base = served.base.clone();
    let path = Arc::new(format!("/api/v1/events/{SLUG}/checkin-lists/{list}/redeem"));
    let target = Target { base: Arc::new(base), path, authorization: Arc::new(format!("Bearer {token}")) };

    // Warm-up: connections, caches, the key.
    target.run(&forged[..200.min(forged.len())], 4, "unknown").await;

    // Each ticket's first entry happens once, so the valid runs take disjoint slices.
    let single = (tickets / 10).clamp(1, 2_000);
    let many = (tickets - single).min(single * 4);
    let (first, rest) = codes.split_at(single);
    let rest = &rest[..many];
    println!("{:>9}  {:<10} {:>9} {:>11} {:>8} {:>8}", "scanners", "codes", "redeems", "redeems/s", "p50 ms", "p99 ms");
    let cases: [(usize, &str, &[String]); 6] = [
        (1, "valid", first),
        (scanners, "valid", rest),
        (1, "duplicate", first),
        (scanners, "duplicate", rest),
        (1, "unknown", &forged[..single]),
        (scanners, "unknown", &forged[..many]),
    ];
    for (concurrency, kind, slice) in cases {
        let cpu_at_start = bench_support::cpu_seconds();
        let (elapsed, mut latencies) = target.run(slice, concurrency, kind).await;
        latencies.sort_unstable();
        bench_support::record(bench_support::Figure {
            operation: &format!("check-in redeem, {kind}"),
            backend: db.backend_name(),
            clients: concurrency,
            elapsed,
            latencies: &latencies,
            cpu_at_start,
        });
        println!(
            "{concurrency:>9}  {kind:<10} {:>9} {:>11.0} {:>8.2} {:>8.2}",
            latencies.len(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            quantile_ms(&latencies, 0.50),
            quantile_ms(&latencies, 0.99),
        );
    }
    let entries: i64 = app::db_run!(&db, |pool| sqlx::query_scalar(
        "select count(*) from checkins where list_id = $1 and undone_at is null"
    )
    .bind(list)
    .fetch_one(pool)
    .await
    .expect("count"));
    assert_eq!(entries as usize, single + many, "every valid redeem left exactly one entry");
    db.close().await;
}

/// Flips one character of the signature.
fn tamper(code: &str) -> String {
    let mut bytes = code.as_bytes().to_vec();
    let at = bytes.len() - 5;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ascii")
}

#[derive(Clone)]
struct Target {
    base: Arc<String>,
    path: Arc<String>,
    authorization: Arc<String>,
}

impl Target {
    /// Redeems every code once with `concurrency` scanners; checks each verdict is `expected`.
    async fn run(&self, codes: &[String], concurrency: usize, expected: &str) -> (Duration, Vec<Duration>) {
        let codes = Arc::new(codes.to_vec());
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for scanner in 0..concurrency {
            let (target, codes, next, expected) = (self.clone(), codes.clone(), next.clone(), expected.to_string());
            tasks.push(tokio::spawn(async move {
                // One keep-alive connection per scanner, as a handheld keeps its own.
                let mut connection = Connection::open(&target.base).await;
                let mut latencies = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(code) = codes.get(n) else { break };
                    let body = format!(
                        r#"{{"code":"{code}","idempotency_key":"bench-{expected}-{concurrency}-{scanner}-{n}-{}"}}"#,
                        codes.len()
                    );
                    let start = Instant::now();
                    let headers =
                        [("authorization", target.authorization.as_str()), ("content-type", "application/json")];
                    let answer = connection.send("POST", &target.path, &headers, body.as_bytes()).await;
                    latencies.push(start.elapsed());
                    let text = answer.text();
                    assert_eq!(answer.status, 200, "{text}");
                    let wanted = if expected == "duplicate" { "already_checked_in" } else { expected.as_str() };
                    assert!(text.contains(&format!(r#""verdict":"{wanted}""#)), "expected {wanted}: {text}");
                }
                latencies
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("scanner task"));
        }
        (started.elapsed(), all)
    }
}

//! Benchmark (not a test): a private calendar feed polled by calendar clients.
//!
//!     make bench-feed    (builds the server and bench_feed, then runs it)
//!
//! Runs the release server in its own process on a free port (see `ServerProcess`), once on a fresh
//! SQLite file and once on a fresh PostgreSQL database (BENCH_POSTGRES_URL, as the other
//! benchmarks; skipped with a message when unreachable). One attendee of the demo's Heidelberg
//! event gets 40 chosen sessions and 20 agreed meetings (written directly: the benchmark reads, it
//! does not book), and a feed address made the way the account page makes it. Then CLIENTS (default
//! 16) clients fetch the feed for SECONDS (default 5), first in full, then with `If-None-Match` as
//! polling clients do. Prints requests/s, p50 and p99 of each, and checks the answers (200 with the
//! 60 entries, then 304).

mod bench_support;

use std::time::{Duration, Instant};

use bench_support::{env_number, quantile_ms};

const SLUG: &str = "heidelberg-2027";

// The load generator on one thread (`bench_support::runtime`); its client is reqwest.
fn main() {
    let clients = env_number("CLIENTS", 16) as usize;
    let seconds = env_number("SECONDS", 5);
    bench_support::runtime()
        .block_on(bench_support::on_both_backends("bench_feed", |url| bench(url, clients, seconds)));
}

async fn bench(database_url: String, clients: usize, seconds: u64) {
    let mut config = server::Cli::from_environment();
    config.database_url = database_url.clone();
    config.demo = true;
    config.smtp_url = None;
    let state = server::build_state(&config).await.expect("start the server");
    let db = state.db.clone();
    let event = app::events::store::load(&db, SLUG).await.expect("the demo event");

    // The attendee (the demo's first B2B participant) and 20 partners among the others.
    let people: Vec<(i64, i64)> = app::db_run!(&db, |pool| sqlx::query_as(
        "select id, user_id from tickets where event_id = $1 and email like 'b2b%' order by id"
    )
    .bind(event.id)
    .fetch_all(pool)
    .await
    .expect("participants"));
    let (me_ticket, me_user) = people[0];
    app::db_run!(&db, |pool| {
        let mut tx = pool.begin().await.expect("begin");
        let now = app::platform::now();
        for sql in
            ["delete from meeting_seats", "delete from b2b_people", "delete from meeting_log", "delete from meetings"]
        {
            sqlx::query(sql).execute(&mut *tx).await.expect(sql);
        }
        let tables: Vec<i64> = sqlx::query_scalar("select id from b2b_tables where event_id = $1 order by number")
            .bind(event.id)
            .fetch_all(&mut *tx)
            .await
            .expect("tables");
        let slots: Vec<i64> = sqlx::query_scalar("select id from b2b_slots where event_id = $1 order by starts_at")
            .bind(event.id)
            .fetch_all(&mut *tx)
            .await
            .expect("slots");
        for n in 0..40_i64 {
            let session: i64 = sqlx::query_scalar(
                "insert into agenda_sessions (event_id, title, abstract, starts_at, ends_at)
                 values ($1, $2, 'A session of the benchmark, with an abstract of some length to fold.', $3, $4)
                 returning id",
            )
            .bind(event.id)
            .bind(format!("Benchmark session {n}"))
            .bind(event.window.starts_at + n * 1800)
            .bind(event.window.starts_at + n * 1800 + 1500)
            .fetch_one(&mut *tx)
            .await
            .expect("session");
            sqlx::query("insert into personal_agenda (user_id, session_id, added_at) values ($1, $2, $3)")
                .bind(me_user)
                .bind(session)
                .bind(now)
                .execute(&mut *tx)
                .await
                .expect("chosen");
        }
        for n in 0..20 {
            sqlx::query(
                "insert into meetings (event_id, slot_id, table_id, requester_ticket_id, recipient_ticket_id, status,
                                       message, reason, created_at, updated_at, sequence)
                 values ($1, $2, $3, $4, $5, 'accepted', '', '', $6, $6, 1)",
            )
            .bind(event.id)
            .bind(slots[n % slots.len()])
            .bind(tables[n % tables.len()])
            .bind(me_ticket)
            .bind(people[n + 1].0)
            .bind(now)
            .execute(&mut *tx)
            .await
            .expect("meeting");
        }
        tx.commit().await.expect("commit");
        Ok::<_, sqlx::Error>(())
    })
    .expect("the attendee's agenda");
    let secret = app::calendar::feed::rotate_secret(&db, me_user).await.expect("feed");
    let path = format!("/calendar/{secret}.ics");

    // The server in its own process, on the prepared database (see `ServerProcess`).
    let served = bench_support::ServerProcess::start(&database_url, state.clone()).await;
    let base = served.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build().expect("client");

    let first = client.get(format!("{base}{path}")).send().await.expect("feed");
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("etag").to_string();
    let body = first.text().await.expect("body");
    assert_eq!(body.matches("BEGIN:VEVENT").count(), 60, "40 sessions and 20 meetings");
    println!(
        "calendar feed over HTTP ({} backend): 40 sessions + 20 meetings, {} bytes, {clients} clients, {seconds} s each",
        db.backend_name(),
        body.len()
    );
    for (label, tag, status) in [("full feed (200)", None, 200), ("unchanged (If-None-Match, 304)", Some(etag), 304)] {
        run(&client, &base, &path, tag.clone(), status, clients, Duration::from_secs(1)).await;
        let (started, cpu_at_start) = (Instant::now(), bench_support::cpu_seconds());
        let mut latencies = run(&client, &base, &path, tag, status, clients, Duration::from_secs(seconds)).await;
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort_unstable();
        bench_support::record(bench_support::Figure {
            operation: &format!("calendar feed, {label}"),
            backend: db.backend_name(),
            clients,
            elapsed: started.elapsed(),
            latencies: &latencies,
            cpu_at_start,
        });
        println!(
            "{label:<32} requests/s: {:>6.0}   p50: {:.2} ms   p99: {:.2} ms",
            latencies.len() as f64 / elapsed,
            quantile_ms(&latencies, 0.50),
            quantile_ms(&latencies, 0.99),
        );
    }
    db.close().await;
}

/// `clients` loops fetching the feed until `duration` has passed; every answer must have
/// `status`. Returns the latency of every request.
async fn run(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    etag: Option<String>,
    status: u16,
    clients: usize,
    duration: Duration,
) -> Vec<Duration> {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, url, etag) = (client.clone(), format!("{base}{path}"), etag.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let start = Instant::now();
                let mut request = client.get(&url);
                if let Some(tag) = &etag {
                    request = request.header("if-none-match", tag);
                }
                let response = request.send().await.expect("feed");
                assert_eq!(response.status(), status);
                response.bytes().await.expect("body");
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

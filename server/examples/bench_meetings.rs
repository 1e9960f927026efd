//! Benchmark (not a test): a B2B booking storm over HTTP.
//!
//!     make bench-meetings    (builds the server and bench_meetings, then runs it)
//!
//! Runs the release server in its own process (see `ServerProcess`), once on a fresh SQLite file
//! and once on a fresh PostgreSQL database (skipped with a message when none answers). Each gets
//! the demo series and a B2B session of 12 slots and 40 tables (480 meetings at most), PEOPLE
//! (default 2,000) listed participants with sessions, and REQUESTS (default 6,000) pending meeting
//! requests between them, made directly in the database. Then CLIENTS (default 16) concurrent
//! clients accept them as their recipients (`answer_meeting`, a full server-function round trip),
//! until every request was answered. Prints answers/s, accepted bookings/s, p50/p99 of an answer,
//! checks that nobody and no table is double-booked, and times the suggestions of one participant
//! among all (`my_meetings`).

mod bench_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_support::{env_number, quantile_ms, signed_in_people};

const SLUG: &str = "heidelberg-2027";
/// Any 64 hex digits: the double-submit check compares the form field with the cookie.
const CSRF: &str = "b3c1a9e0d4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1";

// The load generator on one thread (`bench_support::runtime`); its client is reqwest.
fn main() {
    let clients = env_number("CLIENTS", 16) as usize;
    let people = env_number("PEOPLE", 2_000) as usize;
    let requests = env_number("REQUESTS", 6_000) as usize;
    bench_support::runtime()
        .block_on(bench_support::on_both_backends("bench_meetings", |url| bench(url, clients, people, requests)));
}

async fn bench(database_url: String, clients: usize, people: usize, requests: usize) {
    let mut config = server::Cli::from_environment();
    config.database_url = database_url.clone();
    config.demo = true;
    config.smtp_url = None;
    let state = server::build_state(&config).await.expect("start the server");
    let db = state.db.clone();
    let event = app::events::store::load(&db, SLUG).await.expect("the demo event");

    // The grid: 14:00-18:00 on the first day in 20-minute slots, 40 tables, 12 meetings each.
    let tz = &event.window.zone;
    let day = app::events::when::form_minute(event.window.starts_at, tz);
    let day = day.split(' ').next().unwrap_or_default().to_string();
    let form = app::meetings::GridForm {
        slot_minutes: "20".into(),
        windows: format!("{day} 14:00-18:00"),
        tables: "1-40 B2B area".into(),
        max_meetings: "12".into(),
        max_pending: "50".into(),
        request_deadline: format!("{day} 12:00"),
    };
    let setup = app::meetings::rules::GridSetup::parse(&form, tz, (event.window.starts_at, event.window.ends_at))
        .expect("the grid");
    // The demo's own meetings sit in the old windows: cancelled first, so the grid may change.
    app::db_run!(&db, |pool| {
        for sql in
            ["delete from meeting_seats", "delete from b2b_people", "delete from meeting_log", "delete from meetings"]
        {
            sqlx::query(sql).execute(pool).await.expect(sql);
        }
        Ok::<_, sqlx::Error>(())
    })
    .expect("clear");
    app::meetings::store::save_grid(&db, &event, &setup).await.expect("save the grid");
    let slots = app::meetings::store::slots(&db, event.id).await.expect("slots");
    assert_eq!(slots.len(), 12);

    // The participants with their sessions, then their tickets and the requests in one transaction.
    let tokens: Vec<String> = (0..people).map(|_| app::platform::random_token()).collect();
    let users = signed_in_people(&db, "meet", "Bench Participant", &tokens).await;
    let pending: Vec<(i64, usize)> = app::db_run!(&db, |pool| {
        let mut tx = pool.begin().await.expect("begin");
        let now = app::platform::now();
        let ticket_type: i64 =
            sqlx::query_scalar("select id from ticket_types where event_id = $1 and name = 'Member ticket'")
                .bind(event.id)
                .fetch_one(&mut *tx)
                .await
                .expect("ticket type");
        let mut tickets = Vec::with_capacity(people);
        for (n, user) in users.iter().enumerate() {
            let ticket: i64 = sqlx::query_scalar(
                "insert into tickets (event_id, ticket_type_id, user_id, status, price_cents, currency, attendee_name,
                                      email, organisation, organisation_type, country, job_role, themes, offers, seeks,
                                      directory_consent, terms_accepted_at, created_at, confirmed_at)
                 values ($1, $2, $3, 'confirmed', 0, 'EUR', $4, $5, 'Bench Labs', 'research', 'DE', 'Researcher',
                         'biomarkers', 'Assays', 'Partners', $6, $7, $7, $7) returning id",
            )
            .bind(event.id)
            .bind(ticket_type)
            .bind(user)
            .bind(format!("Bench Participant {n}"))
            .bind(format!("meet{n}@example.org"))
            .bind(true)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .expect("ticket");
            tickets.push(ticket);
        }
        // Each request: participant n asks n + 1 + k, in a slot that spreads them over all 12.
        let mut pending = Vec::with_capacity(requests);
        for r in 0..requests {
            let requester = r % people;
            let recipient = (requester + 1 + r / people) % people;
            let slot = slots[(r * 7 + r / people) % slots.len()].id;
            let id: i64 = sqlx::query_scalar(
                "insert into meetings (event_id, slot_id, requester_ticket_id, recipient_ticket_id, status, message, reason,
                                       awaiting_ticket_id, created_at, updated_at, sequence)
                 values ($1, $2, $3, $4, 'requested', '', '', $4, $5, $5, 0) returning id",
            )
            .bind(event.id)
            .bind(slot)
            .bind(tickets[requester])
            .bind(tickets[recipient])
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .expect("request");
            pending.push((id, recipient));
        }
        tx.commit().await.expect("commit");
        pending
    });

    // The server in its own process, on the prepared database (see `ServerProcess`).
    let served = bench_support::ServerProcess::start(&database_url, state.clone()).await;
    let base = served.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build().expect("client");

    let pending = Arc::new(pending);
    let tokens = Arc::new(tokens);
    let next = Arc::new(AtomicUsize::new(0));
    let (started, cpu_at_start) = (Instant::now(), bench_support::cpu_seconds());
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, pending, tokens, next) =
            (client.clone(), base.clone(), pending.clone(), tokens.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                let Some((meeting, recipient)) = pending.get(n) else { break };
                let cookie = format!("exx_session={}; exx_csrf={CSRF}", tokens[*recipient]);
                let start = Instant::now();
                let reply = client
                    .post(format!("{base}/api/answer_meeting"))
                    .header("cookie", &cookie)
                    .header("accept", "application/json")
                    .form(&[("csrf", CSRF), ("slug", SLUG), ("meeting", &meeting.to_string()), ("answer", "accept")])
                    .send()
                    .await
                    .expect("answer");
                let status = reply.status().as_u16();
                let body = reply.text().await.unwrap_or_default();
                // A refusal (slot or tables taken, maximum reached) is an answer too; anything
                // else is a fault.
                assert!(status == 200 || status == 422, "{status}: {body}");
                answers.push((start.elapsed(), status == 200));
            }
            answers
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await.expect("client task"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let accepted = answers.iter().filter(|(_, ok)| *ok).count();
    let mut latencies: Vec<Duration> = answers.iter().map(|(d, _)| *d).collect();
    latencies.sort_unstable();
    bench_support::record(bench_support::Figure {
        operation: "B2B meeting answer (accept or refuse)",
        backend: db.backend_name(),
        clients,
        elapsed: started.elapsed(),
        latencies: &latencies,
        cpu_at_start,
    });

    // Nobody and no table double-booked, and every accepted answer is one meeting.
    let (stored, table_clashes, person_clashes): (i64, i64, i64) = app::db_run!(&db, |pool| {
        sqlx::query_as(
        "select (select count(*) from meetings where status = 'accepted'),
                (select count(*) from (select slot_id, table_id from meetings where status = 'accepted'
                                        group by slot_id, table_id having count(*) > 1) t),
                (select count(*) from (select slot_id, person from
                                         (select slot_id, requester_ticket_id as person from meetings where status = 'accepted'
                                          union all
                                          select slot_id, recipient_ticket_id from meetings where status = 'accepted') p
                                        group by slot_id, person having count(*) > 1) c)"
    )
    .fetch_one(pool)
    .await
    .expect("check")
    });
    assert_eq!(stored as usize, accepted);
    assert_eq!((table_clashes, person_clashes), (0, 0), "double-booked");

    // Suggestions for one participant among all of them.
    let cookie = format!("exx_session={}; exx_csrf={CSRF}", tokens[0]);
    let mut suggestion_times = Vec::new();
    let (suggesting, cpu_at_start) = (Instant::now(), bench_support::cpu_seconds());
    for _ in 0..20 {
        let start = Instant::now();
        let reply = client
            .get(format!("{base}/api/my_meetings?slug={SLUG}"))
            .header("cookie", &cookie)
            .header("accept", "application/json")
            .send()
            .await
            .expect("my meetings");
        assert_eq!(reply.status(), 200);
        reply.bytes().await.expect("body");
        suggestion_times.push(start.elapsed());
    }
    suggestion_times.sort_unstable();
    bench_support::record(bench_support::Figure {
        operation: &format!("my meetings + suggestions among {people}"),
        backend: db.backend_name(),
        clients: 1,
        elapsed: suggesting.elapsed(),
        latencies: &suggestion_times,
        cpu_at_start,
    });

    println!(
        "B2B booking storm over HTTP ({} backend): {people} participants, 12 slots, 40 tables, {clients} clients",
        db.backend_name()
    );
    println!(
        "answers/s: {:.0}   accepted bookings: {accepted} ({:.0}/s)   refused: {}   p50: {:.1} ms   p99: {:.1} ms   double-booked: 0",
        answers.len() as f64 / elapsed,
        accepted as f64 / elapsed,
        answers.len() - accepted,
        quantile_ms(&latencies, 0.50),
        quantile_ms(&latencies, 0.99),
    );
    println!(
        "suggestions and meetings of one participant among {people}: p50 {:.1} ms, p99 {:.1} ms",
        quantile_ms(&suggestion_times, 0.50),
        quantile_ms(&suggestion_times, 0.99),
    );
    db.close().await;
}

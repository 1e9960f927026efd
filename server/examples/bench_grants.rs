//! Benchmark (not a test): ClusterXchange grant eligibility of every member, and of one.
//!
//!     make bench-grants    (= cargo run --release -p server --example bench_grants)
//!
//! Starts the server state with the demo series (its four clusters DE, BE, DK, EE, four events
//! and the "ClusterXchange 2027" programme), once on a fresh SQLite file and once on a fresh
//! PostgreSQL database (BENCH_POSTGRES_URL, as the other benchmarks; skipped with a message when
//! unreachable). Seeds directly in the database, in one transaction: ATTENDEES (default 20,000)
//! members spread over the four clusters, each with a confirmed ticket at one of the four
//! events, MEETINGS (default 100,000) agreed meetings between attendees of the same event (four
//! in five cross-border, seven in ten confirmed at the table), and door entries for four in five
//! tickets. Then times the eligibility of every member (`grants::store::standings`, 3 runs; goal
//! ≤ 2 s) and one member's verdict (`grants::store::verdict_of` for SAMPLES, default 500,
//! members; p50, p99, max; goal ≤ 10 ms), and checks that both agree for the sampled members.

mod bench_support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use app::platform::Db;
use bench_support::{env_number, quantile_ms};

/// Rows per multi-row insert: 500 rows of at most 11 bound values stay far under SQLite's limit
/// of 32,766 bound parameters per statement.
const CHUNK: usize = 500;
/// 20-minute slots added to each event's grid beside the demo's own, so that an attendee's ten
/// or so meetings spread over a day.
const SLOTS: usize = 24;

#[tokio::main]
async fn main() {
    let attendees = env_number("ATTENDEES", 20_000) as usize;
    let meetings = env_number("MEETINGS", 100_000) as usize;
    let samples = env_number("SAMPLES", 500) as usize;
    bench_support::on_both_backends("bench_grants", |url| bench(url, attendees, meetings, samples)).await;
}

async fn bench(database_url: String, attendees: usize, meetings: usize, samples: usize) {
    let mut config = server::Cli::from_environment();
    config.database_url = database_url;
    config.demo = true;
    config.smtp_url = None;
    let state = server::build_state(&config).await.expect("start the server");
    let db = state.db.clone();

    let started = Instant::now();
    let members = seed(&db, attendees, meetings).await;
    println!(
        "ClusterXchange eligibility ({} backend): {attendees} attendees, {meetings} agreed meetings, seeded in {:.1} s",
        db.backend_name(),
        started.elapsed().as_secs_f64()
    );
    measure(&db, &members, samples).await;
    db.close().await;
}

/// Returns the user ids of the seeded members, in the order they were made.
async fn seed(db: &Db, attendees: usize, meetings: usize) -> Vec<i64> {
    let now = app::platform::now();
    let email = |n: usize| format!("member{n}@grants.bench.example.org");
    // `$` in a row pattern are numbered on from one row to the next: `($, 'x', $)` for two rows
    // gives `($1, 'x', $2), ($3, 'x', $4)`, so constants stay literals and the rest is bound.
    let rows = |pattern: &str, count: usize| {
        let mut sql = String::new();
        let mut bound = 0;
        for row in 0..count {
            if row > 0 {
                sql.push_str(", ");
            }
            for ch in pattern.chars() {
                sql.push(ch);
                if ch == '$' {
                    bound += 1;
                    sql.push_str(&bound.to_string());
                }
            }
        }
        sql
    };
    app::db_run!(db, |pool| {
        let clusters: Vec<(i64, String)> =
            sqlx::query_as("select id, country from clusters order by id").fetch_all(pool).await.expect("clusters");
        // Each demo event with its member ticket type, its main entrance (single entry) and opening.
        let events: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "select e.id, t.id, l.id, e.starts_at from events e
               join ticket_types t on t.event_id = e.id and t.name = 'Member ticket'
               join checkin_lists l on l.event_id = e.id and l.name = 'Main entrance'
              order by e.id",
        )
        .fetch_all(pool)
        .await
        .expect("the demo events");
        let taken: HashSet<(i64, i64)> = sqlx::query_as::<_, (i64, i64)>("select event_id, starts_at from b2b_slots")
            .fetch_all(pool)
            .await
            .expect("the demo slots")
            .into_iter()
            .collect();
        // Member n belongs to cluster n % 4 and attends event (n / 4) % 4: every event has
        // members of every cluster, so meetings there can be cross-border or not.
        let event_of = |n: usize| (n / clusters.len()) % events.len();

        let mut tx = pool.begin().await.expect("begin");
        let mut grids = Vec::new();
        for &(event, _, _, opens) in &events {
            let starts: Vec<i64> =
                (0_i64..).map(|k| opens + k * 1200).filter(|s| !taken.contains(&(event, *s))).take(SLOTS).collect();
            let mut grid = Vec::new();
            for start in starts {
                let slot: i64 = sqlx::query_scalar(
                    "insert into b2b_slots (event_id, starts_at, ends_at, active)
                     values ($1, $2, $3, true) returning id",
                )
                .bind(event)
                .bind(start)
                .bind(start + 1200)
                .fetch_one(&mut *tx)
                .await
                .expect("slot");
                grid.push(slot);
            }
            grids.push(grid);
        }

        // Members, their tickets and their entries at the door, chunk by chunk.
        let (mut users, mut tickets) = (Vec::with_capacity(attendees), Vec::with_capacity(attendees));
        for start in (0..attendees).step_by(CHUNK) {
            let chunk = start..(start + CHUNK).min(attendees);
            let sql = format!(
                "insert into users (email, display_name, password_hash, role, cluster_id, created_at)
                 values {} returning id, email",
                rows("($, $, 'benchmark', 'attendee', $, $)", chunk.len())
            );
            let mut insert = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
            for n in chunk.clone() {
                insert = insert
                    .bind(email(n))
                    .bind(format!("Bench Member {n}"))
                    .bind(clusters[n % clusters.len()].0)
                    .bind(now);
            }
            // The order of RETURNING rows is not promised: matched by email.
            let made: HashMap<String, i64> =
                insert.fetch_all(&mut *tx).await.expect("members").into_iter().map(|(id, e)| (e, id)).collect();
            users.extend(chunk.clone().map(|n| made[&email(n)]));

            let sql = format!(
                "insert into tickets (event_id, ticket_type_id, user_id, status, price_cents, currency, attendee_name,
                                      email, organisation, organisation_type, cluster_id, country, job_role, themes,
                                      offers, seeks, directory_consent, terms_accepted_at, created_at, confirmed_at)
                 values {} returning id, user_id",
                rows(
                    "($, $, $, 'confirmed', 0, 'EUR', $, $, $, 'sme', $, $, 'Researcher', 'biomarkers', 'Assays',
                      'Partners', true, $, $, $)",
                    chunk.len()
                )
            );
            let mut insert = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
            for n in chunk.clone() {
                let (event, ticket_type, _, _) = events[event_of(n)];
                let (cluster, country) = &clusters[n % clusters.len()];
                insert = insert
                    .bind(event)
                    .bind(ticket_type)
                    .bind(users[n])
                    .bind(format!("Bench Member {n}"))
                    .bind(email(n))
                    .bind(format!("Bench Org {n}"))
                    .bind(*cluster)
                    .bind(country.clone())
                    .bind(now)
                    .bind(now)
                    .bind(now);
            }
            let made: HashMap<i64, i64> =
                insert.fetch_all(&mut *tx).await.expect("tickets").into_iter().map(|(id, user)| (user, id)).collect();
            tickets.extend(chunk.clone().map(|n| made[&users[n]]));

            // One in five never reached the door, so their meetings cannot be verified as held.
            let entered: Vec<usize> = chunk.filter(|n| n % 5 != 0).collect();
            if entered.is_empty() {
                continue;
            }
            let sql = format!(
                "insert into checkins (list_id, ticket_id, direction, single_entry, device, idempotency_key, scanned_at,
                                       recorded_at, offline)
                 values {}",
                rows("($, $, 'entry', true, 'bench door', $, $, $, false)", entered.len())
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for n in entered {
                insert = insert
                    .bind(events[event_of(n)].2)
                    .bind(tickets[n])
                    .bind(format!("bench-{}", tickets[n]))
                    .bind(now)
                    .bind(now);
            }
            insert.execute(&mut *tx).await.expect("entries");
        }

        // Agreed meetings between attendees of the same event. Round after round, each attendee
        // asks the one 1, 2, 3, 4, 5, … places further in the event's list; members of one
        // cluster are 4 places apart, so one round in five is same-country. The seats per slot
        // (meeting_seats) and tables are left out: eligibility does not read them.
        let mut attending = vec![Vec::new(); events.len()];
        for (n, ticket) in tickets.iter().enumerate() {
            attending[event_of(n)].push(*ticket);
        }
        assert!(meetings == 0 || attending.iter().all(|people| people.len() >= 2), "too few ATTENDEES to meet");
        for start in (0..meetings).step_by(CHUNK) {
            let chunk = start..(start + CHUNK).min(meetings);
            let sql = format!(
                "insert into meetings (event_id, slot_id, requester_ticket_id, recipient_ticket_id, status, message,
                                       reason, created_at, updated_at, sequence, held_confirmed_at, held_confirmed_by)
                 values {}",
                rows("($, $, $, $, 'accepted', '', '', $, $, 0, $, $)", chunk.len())
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for m in chunk {
                let e = m % events.len();
                let (people, grid) = (&attending[e], &grids[e]);
                let turn = m / events.len();
                let (me, round) = (turn % people.len(), turn / people.len());
                let partner = (me + 1 + round % (people.len() - 1)) % people.len();
                // Seven in ten confirmed at the table (by the requester).
                let held = m % 10 < 7;
                insert = insert
                    .bind(events[e].0)
                    .bind(grid[(me + round) % grid.len()])
                    .bind(people[me])
                    .bind(people[partner])
                    .bind(now)
                    .bind(now)
                    .bind(held.then_some(now))
                    .bind(held.then_some(people[me]));
            }
            insert.execute(&mut *tx).await.expect("meetings");
        }
        tx.commit().await.expect("commit");
        users
    })
}

async fn measure(db: &Db, members: &[i64], samples: usize) {
    let programme = app::grants::store::current(db).await.expect("programme").expect("the demo programme");

    // Every member's eligibility, as the partnership's overview lists it; the first run is cold.
    let mut standings = Vec::new();
    let mut runs = Vec::new();
    let (overall, cpu_at_start) = (Instant::now(), bench_support::cpu_seconds());
    for run in 1..=3 {
        let start = Instant::now();
        standings = app::grants::store::standings(db, &programme.rules, None).await.expect("standings");
        let took = start.elapsed();
        runs.push(took);
        let eligible = standings.iter().filter(|s| s.verdict.eligible).count();
        println!(
            "eligibility of every member, run {run}: {:.0} ms (goal ≤ 2 s)   members: {}   eligible: {eligible}",
            took.as_secs_f64() * 1000.0,
            standings.len()
        );
    }
    runs.sort_unstable();
    bench_support::record(bench_support::Figure {
        operation: &format!("eligibility of every member ({} members)", standings.len()),
        backend: db.backend_name(),
        clients: 1,
        elapsed: overall.elapsed(),
        latencies: &runs,
        cpu_at_start,
    });
    let overview: HashMap<i64, &app::grants::rules::Verdict> =
        standings.iter().map(|s| (s.user_id, &s.verdict)).collect();

    // One member's verdict, as their own page asks for it. A prime stride spreads the sample over
    // clusters, events, and people with and without an entry at the door.
    let sample: Vec<i64> = (0..samples.min(members.len())).map(|k| members[(k * 7_919) % members.len()]).collect();
    let sorted = |ids: &[i64]| {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids
    };
    let mut times: Vec<Duration> = Vec::with_capacity(sample.len());
    let (sampling, cpu_at_start) = (Instant::now(), bench_support::cpu_seconds());
    for user in sample {
        let start = Instant::now();
        let own = app::grants::store::verdict_of(db, &programme.rules, user).await.expect("verdict");
        times.push(start.elapsed());
        // The overview and the member's own page must tell the same.
        let listed = overview.get(&user).expect("every seeded member is listed");
        assert_eq!(listed.eligible, own.verdict.eligible, "member {user}");
        assert_eq!(sorted(&listed.counted), sorted(&own.verdict.counted), "member {user}");
    }
    times.sort_unstable();
    // The time includes the check against the overview above: a few microseconds per member.
    bench_support::record(bench_support::Figure {
        operation: "one member's grant verdict",
        backend: db.backend_name(),
        clients: 1,
        elapsed: sampling.elapsed(),
        latencies: &times,
        cpu_at_start,
    });
    println!(
        "one member's verdict ({} members): p50 {:.1} ms   p99 {:.1} ms   max {:.1} ms (goal ≤ 10 ms)",
        times.len(),
        quantile_ms(&times, 0.50),
        quantile_ms(&times, 0.99),
        quantile_ms(&times, 1.0),
    );
}

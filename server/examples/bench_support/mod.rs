//! What the benchmarks share: settings from the environment, a fresh database per backend, and
//! percentiles.

use std::future::Future;
use std::time::Duration;

use sqlx::{Connection, Executor};

/// A number from the environment (`CLIENTS=32`), or the default.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs `bench` on a fresh SQLite file, then on a fresh PostgreSQL database created on
/// BENCH_POSTGRES_URL (default the local server) and dropped afterwards; PostgreSQL is skipped
/// with a message when unreachable.
#[allow(dead_code)]
pub async fn on_both_backends<F, Fut>(name: &str, bench: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()>,
{
    // BENCH_LOG=sqlx::query=debug prints every statement, to count what one operation costs.
    if let Ok(filter) = std::env::var("BENCH_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let scratch = std::env::temp_dir().join(format!("exx_{name}_{}", std::process::id()));
    reset_peak_rss();
    bench(format!("sqlite:{}/bench.db", scratch.display())).await;
    let _ = std::fs::remove_dir_all(&scratch);

    let admin_url =
        std::env::var("BENCH_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    match sqlx::PgConnection::connect(&admin_url).await {
        Ok(mut admin) => {
            let database = format!("exx_{name}_{}", std::process::id());
            admin.execute(sqlx::AssertSqlSafe(format!("create database {database}"))).await.expect("create database");
            let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url);
            reset_peak_rss();
            bench(format!("{base}/{database}")).await;
            let _ =
                admin.execute(sqlx::AssertSqlSafe(format!("drop database if exists {database} with (force)"))).await;
        }
        Err(err) => println!("PostgreSQL skipped: {admin_url} is not reachable ({err})"),
    }
}

/// The `p` quantile (0.5 = median) of sorted latencies, in milliseconds.
pub fn quantile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1).min(sorted.len() - 1);
    sorted[index].as_secs_f64() * 1000.0
}

/// `tokens.len()` people, each with a signed-in session whose cookie value is their token,
/// made directly in the database in one transaction (the benchmarks are not about signing in).
/// Returns the user ids in the order of the tokens; emails are `{prefix}{n}@example.org`.
#[allow(dead_code)]
pub async fn signed_in_people(db: &app::platform::Db, prefix: &str, name: &str, tokens: &[String]) -> Vec<i64> {
    app::db_run!(db, |pool| {
        let mut tx = pool.begin().await.expect("begin");
        let now = app::platform::now();
        let mut users = Vec::with_capacity(tokens.len());
        for (n, token) in tokens.iter().enumerate() {
            let user: i64 = sqlx::query_scalar(
                "insert into users (email, display_name, password_hash, role, created_at)
                 values ($1, $2, 'benchmark', 'attendee', $3) returning id",
            )
            .bind(format!("{prefix}{n}@example.org"))
            .bind(format!("{name} {n}"))
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .expect("user");
            sqlx::query("insert into sessions (token_hash, user_id, created_at, expires_at) values ($1, $2, $3, $4)")
                .bind(app::platform::token_hash(token))
                .bind(user)
                .bind(now)
                .bind(now + 86_400)
                .execute(&mut *tx)
                .await
                .expect("session");
            users.push(user);
        }
        tx.commit().await.expect("commit");
        users
    })
}

/// The process's CPU time so far (user + system), in seconds, from `/proc/self/stat`; 0 where
/// there is no /proc. The benchmarks run the server and its clients in one process, so this is
/// the CPU of both.
#[allow(dead_code)]
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which may hold spaces) end with ')'.
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; in clock
    // ticks, which Linux fixes at 100 per second for this interface.
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Starts the peak-memory count afresh (Linux: writing 5 to clear_refs), so each backend's run
/// reports its own peak.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident memory so far, in MiB (`VmHWM`); 0 where there is no /proc.
#[allow(dead_code)]
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

/// One figure of a benchmark run: what was done, on which backend, by how many clients, and
/// the latencies of each operation (sorted).
#[allow(dead_code)]
pub struct Figure<'a> {
    pub operation: &'a str,
    pub backend: &'a str,
    pub clients: usize,
    pub elapsed: Duration,
    pub latencies: &'a [Duration],
    /// `cpu_seconds()` when the measured run started.
    pub cpu_at_start: f64,
}

/// Appends the figure as one JSON line to the file named by BENCH_JSON, when set: `make bench`
/// gathers every benchmark's figures into one table that way.
#[allow(dead_code)]
pub fn record(figure: Figure<'_>) {
    let Ok(path) = std::env::var("BENCH_JSON") else { return };
    let operations = figure.latencies.len();
    let cpu_ms_per_op =
        if operations == 0 { 0.0 } else { (cpu_seconds() - figure.cpu_at_start) * 1000.0 / operations as f64 };
    let line = serde_json::json!({
        "operation": figure.operation,
        "backend": figure.backend,
        "clients": figure.clients,
        "operations": operations,
        "per_second": operations as f64 / figure.elapsed.as_secs_f64().max(1e-9),
        "p50_ms": quantile_ms(figure.latencies, 0.50),
        "p99_ms": quantile_ms(figure.latencies, 0.99),
        "cpu_ms_per_op": cpu_ms_per_op,
        "peak_rss_mib": peak_rss_mib(),
    });
    use std::io::Write;
    let written =
        std::fs::OpenOptions::new().create(true).append(true).open(&path).and_then(|mut file| writeln!(file, "{line}"));
    if let Err(err) = written {
        eprintln!("BENCH_JSON {path}: {err}");
    }
}

//! What the benchmarks share: settings from the environment, a fresh database per backend, and
//! percentiles.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};

#[allow(dead_code)]
pub mod http1;

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

/// The server under measurement when a benchmark started it as its own process (see
/// `ServerProcess`); 0 while the benchmark serves from its own process.
static SERVER_PID: AtomicU32 = AtomicU32::new(0);

/// `/proc/<pid>` of the server under measurement: its own process when the benchmark started
/// one, else this process (a benchmark that calls the application's functions directly).
fn server_proc(file: &str) -> String {
    match SERVER_PID.load(Ordering::SeqCst) {
        0 => format!("/proc/self/{file}"),
        pid => format!("/proc/{pid}/{file}"),
    }
}

/// The server's CPU time so far (user + system), in seconds, from `/proc/<pid>/stat`; 0 where
/// there is no /proc. With the server in its own process, the load generator's CPU is not in it.
#[allow(dead_code)]
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string(server_proc("stat")) else { return 0.0 };
    // Fields after the command name (which may hold spaces) end with ')'.
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; in clock
    // ticks, which Linux fixes at 100 per second for this interface.
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Starts the peak-memory count afresh (Linux: writing 5 to clear_refs), so each backend's run
/// reports its own peak. (A server in its own process is a new process per backend anyway.)
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The server's peak resident memory so far, in MiB (`VmHWM`); 0 where there is no /proc.
#[allow(dead_code)]
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string(server_proc("status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

/// Whether the server runs in the benchmark's own process (BENCH_INLINE=1), see `ServerProcess`.
pub fn inline() -> bool {
    std::env::var_os("BENCH_INLINE").is_some()
}

/// The benchmark's runtime. With the server in its own process the load generator runs on one
/// thread, as a load generator on a machine of its own would leave the server the cores: on 2
/// cores, a second worker of the generator's only competes with the server's. Inline, where the
/// server runs on this runtime too, it has a worker per core.
#[allow(dead_code)]
pub fn runtime() -> tokio::runtime::Runtime {
    let mut builder = if inline() {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().expect("the benchmark's runtime")
}

/// The server under measurement: the release `server` binary, run as its own process on the
/// prepared database, so that what is measured of it (CPU, peak memory) is the server's alone
/// and not its load generator's, and it runs as in production: its own runtime, allocator and
/// connection pool. The benchmark keeps its own connection to the database for preparing and
/// counting, idle while it measures. Killed when dropped.
///
/// BENCH_INLINE=1 serves from the benchmark's own process instead (the router on the
/// benchmark's state, as the benchmarks did before): clients and server then share one runtime,
/// which on 2 cores costs fewer context switches, and the CPU and memory columns are of both.
#[allow(dead_code)]
pub struct ServerProcess {
    child: Option<std::process::Child>,
    /// `http://127.0.0.1:<port>`
    pub base: String,
}

#[allow(dead_code)]
impl ServerProcess {
    /// Starts `server serve` on `database_url` and a free loopback port, and waits until its
    /// `/health` answers. The binary is the one built beside this benchmark
    /// (`target/release/server`), or BENCH_SERVER_BIN. It logs warnings only: the per-request
    /// info line of production is left out of the figures, as a benchmark's own output.
    pub async fn start(database_url: &str, state: app::state::AppState) -> ServerProcess {
        if inline() {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let base = format!("http://{}", listener.local_addr().expect("address"));
            tokio::spawn(async move { axum::serve(listener, server::router(state)).await.expect("serve") });
            return ServerProcess { child: None, base };
        }
        let binary = match std::env::var_os("BENCH_SERVER_BIN") {
            Some(path) => std::path::PathBuf::from(path),
            None => {
                let me = std::env::current_exe().expect("this benchmark's path");
                // target/release/examples/bench_x -> target/release/server
                me.parent().and_then(|examples| examples.parent()).expect("the build folder").join("server")
            }
        };
        assert!(
            binary.exists(),
            "{} is missing: build it first (cargo build --release -p server --bins --examples)",
            binary.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let child = std::process::Command::new(&binary)
            .args(["--database-url", database_url, "--site-addr", &format!("127.0.0.1:{port}")])
            // The benchmark loaded the demo series; `--demo` only lets the server start with the
            // demo's unwrapped badge keys, as the benchmark's own state did.
            .args(["--demo", "true", "--log", "warn"])
            .env_remove("SMTP_URL")
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("start {}: {err}", binary.display()));
        let mut child = child;
        let health = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("the server's status") {
                panic!("the server exited before answering: {status}");
            }
            let answered = health.get(format!("{base}/health")).send().await;
            if answered.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            assert!(Instant::now() < deadline, "the server did not answer /health within 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        SERVER_PID.store(child.id(), Ordering::SeqCst);
        ServerProcess { child: Some(child), base }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            SERVER_PID.store(0, Ordering::SeqCst);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
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

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
    let scratch = std::env::temp_dir().join(format!("exx_{name}_{}", std::process::id()));
    bench(format!("sqlite:{}/bench.db", scratch.display())).await;
    let _ = std::fs::remove_dir_all(&scratch);

    let admin_url =
        std::env::var("BENCH_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    match sqlx::PgConnection::connect(&admin_url).await {
        Ok(mut admin) => {
            let database = format!("exx_{name}_{}", std::process::id());
            admin.execute(sqlx::AssertSqlSafe(format!("create database {database}"))).await.expect("create database");
            let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url);
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

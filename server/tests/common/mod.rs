//! Test harness: starts the real application on a free port against a fresh database of the
//! chosen backend, and drives it over HTTP like a browser would (cookies included).
#![allow(dead_code)]

pub mod b2b;
pub mod smtp;
pub mod stripe;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use app::platform::Db;
use app::state::AppState;
use reqwest::cookie::{CookieStore, Jar};
use serde_json::Value;
use server::Config;
use sqlx::{Connection, Executor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for each listed async test function. A test that
/// has not finished after `TEST_DEADLINE` fails instead of stalling the whole run.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::common::within_deadline(super::$name($crate::common::Backend::Sqlite)).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::common::within_deadline(super::$name($crate::common::Backend::Postgres)).await
            })*
        }
    };
}

/// Starts a test's application, or ends the test early when its backend is skipped on purpose
/// (`EXX_SKIP_POSTGRES=1`; see `TestDatabase::create`). Takes a `Backend`, or any future of an
/// `Option<TestApp>` such as `TestApp::spawn_configured(…)`.
#[macro_export]
macro_rules! app_or_skip {
    ($spawn:expr) => {
        match $crate::common::SpawnApp::spawn_app($spawn).await {
            Some(app) => app,
            None => return,
        }
    };
}

/// What `app_or_skip!` accepts.
pub trait SpawnApp {
    fn spawn_app(self) -> impl std::future::Future<Output = Option<TestApp>>;
}

impl SpawnApp for Backend {
    fn spawn_app(self) -> impl std::future::Future<Output = Option<TestApp>> {
        TestApp::spawn(self)
    }
}

impl<F: std::future::Future<Output = Option<TestApp>>> SpawnApp for F {
    fn spawn_app(self) -> impl std::future::Future<Output = Option<TestApp>> {
        self
    }
}

pub const TEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

pub async fn within_deadline(test: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(TEST_DEADLINE, test).await.is_err() {
        panic!("the test did not finish within {TEST_DEADLINE:?}");
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database made for one test and removed when the test ends (even when it fails).
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// `None` when PostgreSQL is asked for, not reachable, and `EXX_SKIP_POSTGRES=1` says that
    /// is expected (the test then skips, loudly, and `make test` repeats it in its summary).
    /// Without that setting a missing PostgreSQL fails the test: nothing is skipped in silence.
    pub async fn create(backend: Backend) -> Option<TestDatabase> {
        let unique = format!(
            "{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            &app::platform::random_token()[..8]
        );
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("exx_test_{unique}.db"));
                Some(TestDatabase { url: format!("sqlite:{}", path.display()), cleanup: Cleanup::File(path) })
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
                let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
                    Ok(conn) => conn,
                    Err(err) if std::env::var("EXX_SKIP_POSTGRES").as_deref() == Ok("1") => {
                        eprintln!("\n!!! SKIPPED (EXX_SKIP_POSTGRES=1): PostgreSQL is not reachable at {admin_url} ({err}) !!!\n");
                        return None;
                    }
                    Err(err) => panic!(
                        "PostgreSQL is not reachable at {admin_url}: {err}. Start it, set TEST_POSTGRES_URL, \
                         or set EXX_SKIP_POSTGRES=1 to skip the PostgreSQL half on purpose"
                    ),
                };
                let name = format!("exx_test_{unique}");
                admin
                    .execute(sqlx::AssertSqlSafe(format!("create database {name}")))
                    .await
                    .expect("create the test database");
                let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url);
                Some(TestDatabase { url: format!("{base}/{name}"), cleanup: Cleanup::Postgres { admin_url, name } })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs outside async code; a short-lived runtime on its own thread does
                // the asynchronous clean-up.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    runtime.block_on(async {
                        if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                            let _ = admin
                                .execute(sqlx::AssertSqlSafe(format!("drop database if exists {name} with (force)")))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub fn config_for(url: &str) -> Config {
    Config {
        database_url: url.to_string(),
        site_addr: "127.0.0.1:0".parse().unwrap(),
        site_root: "target/site".into(),
        site_pkg_dir: "pkg".into(),
        public_url: Some("http://eventxchange.test".into()),
        demo: true,
        stripe_secret_key: None,
        stripe_webhook_secret: None,
        stripe_api_base: None,
        smtp_url: None,
        badge_key_secret: None,
        allow_unwrapped_badge_keys: false,
        mail_from: "EventXchange <no-reply@eventxchange.test>".into(),
        mail_retry_seconds: 1,
        log: "warn".into(),
    }
}

/// One running server instance.
pub struct TestServer {
    pub base: String,
    pub state: AppState,
}

impl TestServer {
    pub async fn start(database_url: &str) -> TestServer {
        TestServer::start_with(config_for(database_url)).await
    }

    pub async fn start_with(config: Config) -> TestServer {
        let state = server::build_state(&config).await.expect("build state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = server::router(state.clone());
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await.expect("serve") });
        TestServer { base, state }
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }
}

/// A running server with its own fresh database.
pub struct TestApp {
    pub server: TestServer,
    pub database: TestDatabase,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let database = TestDatabase::create(backend).await?;
        let server = TestServer::start(&database.url).await;
        Some(TestApp { server, database })
    }

    /// A server whose configuration the test adjusts (Stripe, SMTP, …).
    pub async fn spawn_configured(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let database = TestDatabase::create(backend).await?;
        let mut config = config_for(&database.url);
        adjust(&mut config);
        let server = TestServer::start_with(config).await;
        Some(TestApp { server, database })
    }

    pub fn base(&self) -> &str {
        &self.server.base
    }

    /// A browser signed in as this user, by a session made directly in the database (no
    /// password hashing: tests that need hundreds of people stay fast).
    pub async fn browser_as(&self, user_id: i64) -> Browser {
        let token = app::platform::random_token();
        let now = app::platform::now();
        app::db_run!(self.db(), |pool| sqlx::query(
            "insert into sessions (token_hash, user_id, created_at, expires_at) values ($1, $2, $3, $4)"
        )
        .bind(app::platform::token_hash(&token))
        .bind(user_id)
        .bind(now)
        .bind(now + 3600)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .expect("session"));
        let browser = self.browser();
        let url = reqwest::Url::parse(&browser.base).unwrap();
        browser.jar.add_cookie_str(&format!("exx_session={token}; Path=/"), &url);
        browser
    }

    /// A browser signed in through the sign-in form, as a person would (password and all).
    pub async fn signed_in(&self, email: &str) -> Browser {
        let browser = self.browser();
        let reply = browser.sign_in(email, DEMO_PASSWORD).await;
        assert!(reply.ok(), "{email}: {reply:?}");
        browser
    }

    /// Creates an attendee with a confirmed free ticket (the event's member ticket) directly in
    /// the database, and a browser signed in as them, ready before any race starts.
    pub async fn ticket_holder(&self, email: &str, name: &str, slug: &str) -> (i64, Browser) {
        let user_id = self.attendee(email, name).await;
        let now = app::platform::now();
        app::db_run!(self.db(), |pool| {
            sqlx::query(
            "insert into tickets (event_id, ticket_type_id, user_id, status, price_cents, currency, attendee_name, email,
                                  organisation, organisation_type, country, job_role, themes, offers, seeks,
                                  directory_consent, terms_accepted_at, created_at, confirmed_at)
             select e.id, t.id, $1, 'confirmed', 0, t.currency, $2, $3, 'Test Org', 'company', 'DE', 'Tester', '', '', '',
                    false, $4, $4, $4
               from events e join ticket_types t on t.event_id = e.id and t.name = 'Member ticket'
              where e.slug = $5"
        )
        .bind(user_id)
        .bind(name)
        .bind(email)
        .bind(now)
        .bind(slug)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .expect("a confirmed ticket")
        });
        (user_id, self.browser_as(user_id).await)
    }

    /// The newest mail queued for the address, as (subject, body).
    pub async fn last_mail_to(&self, recipient: &str) -> Option<(String, String)> {
        app::db_run!(self.db(), |pool| sqlx::query_as(
            "select subject, body_text from outbox where recipient = $1 order by id desc limit 1"
        )
        .bind(recipient)
        .fetch_optional(pool)
        .await
        .expect("outbox"))
    }

    /// How many mails were queued for the address.
    pub async fn mails_to(&self, recipient: &str) -> i64 {
        app::db_run!(self.db(), |pool| sqlx::query_scalar("select count(*) from outbox where recipient = $1")
            .bind(recipient)
            .fetch_one(pool)
            .await
            .expect("outbox"))
    }

    /// Signs up through the two forms, as a person would: the address, then the password on the
    /// page the mailed link opens. Returns the browser, signed in.
    pub async fn sign_up(&self, name: &str, email: &str, password: &str) -> Browser {
        let browser = self.browser();
        let reply = browser.submit("sign_up", &[("display_name", name), ("email", email)]).await;
        assert!(reply.ok(), "{reply:?}");
        let (_, body) = self.last_mail_to(&email.to_lowercase()).await.expect("a sign-up mail");
        let token = token_in(&body, "/signup/confirm?token=").expect("a sign-up link");
        let reply = browser.submit("confirm_sign_up", &[("token", &token), ("password", password)]).await;
        assert!(reply.ok(), "{reply:?}");
        browser
    }

    /// Creates an attendee account directly in the database; returns its id.
    pub async fn attendee(&self, email: &str, name: &str) -> i64 {
        app::db_run!(self.db(), |pool| sqlx::query_scalar(
            "insert into users (email, display_name, password_hash, role, created_at)
             values ($1, $2, 'no password: signed in by the tests', 'attendee', $3) returning id"
        )
        .bind(email)
        .bind(name)
        .bind(app::platform::now())
        .fetch_one(pool)
        .await
        .expect("attendee"))
    }

    pub fn db(&self) -> &Db {
        self.server.db()
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.server.base)
    }
}

/// A cookie-keeping HTTP client that calls pages and server functions like a browser.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    jar: Arc<Jar>,
}

/// A server function's answer: HTTP status and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `AppError` variant name of an error reply (`"Forbidden"`, `"Invalid"`, …).
    pub fn error_kind(&self) -> Option<String> {
        match &self.body {
            Value::String(s) if !self.ok() => Some(s.clone()),
            Value::Object(map) if !self.ok() => map.keys().next().cloned(),
            _ => None,
        }
    }

    /// The field an `Invalid` error names.
    pub fn error_field(&self) -> Option<String> {
        self.body.get("Invalid")?.get("field")?.as_str().map(str::to_string)
    }
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            // A request the server never answers fails the test instead of stalling it.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("client");
        Browser { base: base.to_string(), client, jar }
    }

    /// The same cookies, talking to another server instance.
    pub fn pointed_at(&self, base: &str) -> Browser {
        let url = reqwest::Url::parse(base).unwrap();
        let old = reqwest::Url::parse(&self.base).unwrap();
        if let Some(cookies) = self.jar.cookies(&old) {
            for cookie in cookies.to_str().unwrap().split("; ") {
                self.jar.add_cookie_str(cookie, &url);
            }
        }
        Browser { base: base.to_string(), client: self.client.clone(), jar: self.jar.clone() }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = reqwest::Url::parse(&self.base).unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .filter_map(|c| c.split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }

    /// GET a page; returns status and HTML.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response =
            self.client.get(format!("{}{path}", self.base)).header("accept", "text/html").send().await.expect("GET");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// The CSRF token a form on this site would carry (visiting a page first if needed).
    pub async fn csrf(&self) -> String {
        if self.cookie("exx_csrf").is_none() {
            self.page("/signin").await;
        }
        self.cookie("exx_csrf").expect("the site sets a CSRF cookie")
    }

    /// Calls a server function as the hydrated page does (JSON answer), with form fields.
    pub async fn call(&self, name: &str, fields: &[(&str, &str)]) -> Reply {
        let response = self
            .client
            .post(format!("{}/api/{name}", self.base))
            .header("accept", "application/json")
            .form(fields)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    /// Calls a read-only server function (declared `GET`), its arguments in the query string.
    pub async fn fetch(&self, name: &str, fields: &[(&str, &str)]) -> Reply {
        let response = self
            .client
            .get(reqwest::Url::parse_with_params(&format!("{}/api/{name}", self.base), fields).expect("URL"))
            .header("accept", "application/json")
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    /// Calls a state-changing server function with this browser's CSRF token.
    pub async fn submit(&self, name: &str, fields: &[(&str, &str)]) -> Reply {
        let csrf = self.csrf().await;
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.call(name, &all).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Reply {
        self.submit("sign_in", &[("email", email), ("password", password), ("next", "")]).await
    }

    /// The display name of the signed-in user, per the server.
    pub async fn who(&self) -> Option<String> {
        let reply = self.fetch("current_user", &[]).await;
        assert!(reply.ok(), "current_user failed: {reply:?}");
        reply.body.get("display_name").and_then(Value::as_str).map(str::to_string)
    }
}

/// The form of a server-rendered page that contains `marker` (e.g. `name="session_id" value="7"`):
/// its action and the name/value pairs of its inputs, as a browser without JavaScript would send.
pub fn form_containing(html: &str, marker: &str) -> Option<(String, Vec<(String, String)>)> {
    let at = html.find(marker)?;
    let start = html[..at].rfind("<form")?;
    let end = start + html[start..].find("</form>")?;
    let form = &html[start..end];
    let attribute = |tag: &str, name: &str| {
        let key = format!(" {name}=\"");
        let from = tag.find(&key)? + key.len();
        Some(tag[from..from + tag[from..].find('"')?].replace("&amp;", "&"))
    };
    let action = attribute(&form[..form.find('>')?], "action")?;
    let fields = form
        .split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            Some((attribute(tag, "name")?, attribute(tag, "value").unwrap_or_default()))
        })
        .collect();
    Some((action, fields))
}

/// The token of the first link in a mail that starts with `prefix` (e.g. `/signup/confirm?token=`).
pub fn token_in(body: &str, prefix: &str) -> Option<String> {
    let start = body.find(prefix)? + prefix.len();
    Some(body[start..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect())
}

/// The path of one of the project's independent checkers.
pub fn checker(tool: &str) -> String {
    format!("{}/../checkers/{tool}", env!("CARGO_MANIFEST_DIR"))
}

pub const DEMO_PASSWORD: &str = app::demo::DEMO_PASSWORD;

/// Runs one of the project's independent checkers (`checkers/` at the repository root) on a
/// temporary file holding `content`, with `args` after the file.
/// Panics with what the checker printed when it finds a problem.
pub fn independent_check(tool: &str, file_name: &str, content: &[u8], args: &[&str]) {
    let path = std::env::temp_dir().join(format!(
        "exx_{}_{}_{file_name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&path, content).expect("write the file to check");
    let output = std::process::Command::new("python3")
        .arg(checker(tool))
        .arg(&path)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("could not run {tool}: {err}"));
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "{tool} refused {file_name}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The server binary in its own process, so it can be killed without warning.
pub struct ServerProcess {
    child: std::process::Child,
    pub base: String,
}

impl ServerProcess {
    pub async fn start(database_url: &str) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("EXX_DEMO", "true")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the server binary");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while client.get(format!("{base}/health")).send().await.is_err() {
            assert!(std::time::Instant::now() < deadline, "the server did not start within 30 s");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ServerProcess { child, base }
    }

    pub fn kill_9(&mut self) {
        // `Child::kill` is SIGKILL on Unix: no shutdown, no flushing.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

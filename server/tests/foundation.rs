//! The foundation, end to end over HTTP, on SQLite and on PostgreSQL: pages, health, accounts,
//! sessions shared between instances, CSRF, rate limiting, password reset, and roles.

mod common;

use common::{Backend, Browser, TestApp, TestServer, DEMO_PASSWORD};

/// Without demo data a server needs BADGE_KEY_SECRET (or an explicit, loud exception), and
/// `seed-demo` refuses a database with accounts of real people unless forced.
async fn production_settings_are_checked(backend: Backend) {
    let app = app_or_skip!(backend);
    let mut config = common::config_for(&app.database.url);
    config.demo = false;
    let refused = server::build_state(&config).await.expect_err("refused without BADGE_KEY_SECRET");
    assert!(refused.to_string().contains("BADGE_KEY_SECRET"), "{refused}");
    config.allow_unwrapped_badge_keys = true;
    assert!(server::build_state(&config).await.is_ok());
    config.allow_unwrapped_badge_keys = false;
    config.badge_key_secret = Some("a long random secret for the badge keys".into());
    assert!(server::build_state(&config).await.is_ok());

    // The demo series alone: seeding it again is fine.
    app::demo::seed_checked(app.db(), false).await.expect("a demo-only database");
    app.attendee("real.person@example.org", "Real Person").await;
    let refusal = app::demo::seed_checked(app.db(), false).await.unwrap_err();
    assert!(refusal.contains("1 accounts that are not demo accounts"), "{refusal}");
    app::demo::seed_checked(app.db(), true).await.expect("forced");
}

/// Two servers starting at once on an empty PostgreSQL database: neither answers before the
/// whole demo series is there. Each checks the series the moment its start-up returns. (A
/// SQLite file is served by one process; the servers of a shared deployment use PostgreSQL.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_starting_together_on_postgres_wait_for_the_demo_series() {
    let Some(database) = common::TestDatabase::create(Backend::Postgres).await else { return };
    let start = |url: String| async move {
        let server = TestServer::start(&url).await;
        let counts: (i64, i64, i64) = app::db_run!(server.db(), |pool| {
            sqlx::query_as(
            "select (select count(*) from events), (select count(*) from agenda_sessions), (select count(*) from tickets)"
        )
        .fetch_one(pool)
        .await
        .unwrap()
        });
        counts
    };
    let (first, second) = tokio::join!(start(database.url.clone()), start(database.url.clone()));
    assert_eq!(first, second, "both servers saw the whole series");
    assert_eq!(first.0, 4);
    // Five guests and 36 B2B participants per event, and the grant-eligible member at Leuven.
    assert_eq!(first.2, 4 * (5 + 36) + 1);
}

/// Every answer carries the security headers; a page's CSP names the nonce its inline scripts
/// carry, and nothing else inline may run.
async fn answers_carry_security_headers(backend: Backend) {
    let app = app_or_skip!(backend);
    let response = reqwest::get(format!("{}/events/heidelberg-2027", app.base())).await.unwrap();
    let headers = response.headers().clone();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(headers.get("strict-transport-security").is_none(), "no HSTS over plain http");
    let policy = headers["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("'wasm-unsafe-eval'"), "{policy}");
    assert!(!policy.contains("script-src 'self' 'unsafe-inline'"), "{policy}");
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce").to_string();
    let html = response.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "every inline script carries the nonce");
    let second = reqwest::get(format!("{}/events/heidelberg-2027", app.base())).await.unwrap();
    assert_ne!(second.headers()["content-security-policy"].to_str().unwrap(), policy, "a fresh nonce per page");
    let api = reqwest::get(format!("{}/health", app.base())).await.unwrap();
    assert!(api.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
}

/// Pages rendered while the site's files are answered at the same moment keep their own
/// Content-Security-Policy, and a file never carries a page's. (Leptos' own file handler moved a
/// page's response headers onto a file answered on the same worker thread; the browser then
/// refused the page's scripts.) Many pages and files at once, so that they share the threads.
async fn pages_keep_their_policy_while_files_are_served(backend: Backend) {
    let site = std::env::temp_dir().join(format!("exx-site-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/chunk_1.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let root = site.to_string_lossy().to_string();
    let app = app_or_skip!(TestApp::spawn_configured(backend, |c| c.site_root = root));
    let client = reqwest::Client::new();
    let file = client.get(format!("{}/pkg/chunk_1.wasm", app.base())).send().await.unwrap();
    assert_eq!(file.status(), 200, "the site's files are served");
    let mut rounds = Vec::new();
    for round in 0..16 {
        let (client, base) = (client.clone(), app.base().to_string());
        rounds.push(tokio::spawn(async move {
            let mut wrong = Vec::new();
            for _ in 0..12 {
                let page = tokio::spawn(client.get(format!("{base}/events/heidelberg-2027/register")).send());
                let files: Vec<_> =
                    (0..4).map(|_| tokio::spawn(client.get(format!("{base}/pkg/chunk_1.wasm")).send())).collect();
                let policy =
                    page.await.unwrap().unwrap().headers()["content-security-policy"].to_str().unwrap().to_string();
                if !policy.contains("'nonce-") {
                    wrong.push(format!("round {round}: a page went out with {policy}"));
                }
                for file in files {
                    let policy =
                        file.await.unwrap().unwrap().headers()["content-security-policy"].to_str().unwrap().to_string();
                    if policy.contains("'nonce-") {
                        wrong.push(format!("round {round}: a file went out with a page's policy"));
                    }
                }
            }
            wrong
        }));
    }
    let mut wrong = Vec::new();
    for round in rounds {
        wrong.extend(round.await.unwrap());
    }
    let _ = std::fs::remove_dir_all(&site);
    assert!(
        wrong.is_empty(),
        "{} of 960 answers had the wrong policy: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    // A file that is not there is the site's "not found" page, with a page's policy.
    let missing = client.get(format!("{}/pkg/no-such-file.wasm", app.base())).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers()["content-security-policy"].to_str().unwrap().contains("'nonce-"));
}

/// A release build leaves brotli and gzip copies beside the bundle's files: a browser that
/// accepts brotli gets the .br copy, one that accepts only gzip the .gz one, anyone else the file
/// itself; each with the year-long cache policy of a content-hashed name.
async fn precompressed_bundle_files_go_to_browsers_that_accept_them(backend: Backend) {
    let site = std::env::temp_dir().join(format!("exx-site-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let name = "pkg/app.0123456789abcdef.wasm";
    std::fs::write(site.join(name), b"the bundle itself").unwrap();
    std::fs::write(site.join(format!("{name}.br")), b"the brotli copy").unwrap();
    std::fs::write(site.join(format!("{name}.gz")), b"the gzip copy").unwrap();
    let root = site.to_string_lossy().to_string();
    let app = app_or_skip!(TestApp::spawn_configured(backend, |c| c.site_root = root));
    let client = reqwest::Client::new();
    for (accepts, encoding, body) in [
        ("gzip, deflate, br", Some("br"), "the brotli copy"),
        ("gzip", Some("gzip"), "the gzip copy"),
        ("identity", None, "the bundle itself"),
    ] {
        let answer =
            client.get(format!("{}/{name}", app.base())).header("accept-encoding", accepts).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.headers().get("content-encoding").map(|v| v.to_str().unwrap()), encoding, "{accepts}");
        assert_eq!(answer.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(answer.text().await.unwrap(), body);
    }
    let _ = std::fs::remove_dir_all(&site);
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// Served over https, the cookies are `Secure` and `__Host-` prefixed, and only the prefixed
/// ones count: a cookie planted without the prefix (by a neighbouring subdomain, say) neither
/// signs anyone in nor satisfies the CSRF check.
async fn https_cookies_are_host_prefixed(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn_configured(backend, |c| {
        c.public_url = Some("https://eventxchange.test".into());
    }));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{}/signin", app.base())).send().await.unwrap();
    assert!(page.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
    let set: Vec<String> =
        page.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let csrf_cookie = set.iter().find(|c| c.starts_with("__Host-exx_csrf=")).expect("a prefixed CSRF cookie");
    assert!(csrf_cookie.contains("Secure") && csrf_cookie.contains("Path=/") && !csrf_cookie.contains("Domain"));
    let csrf = csrf_cookie.split(';').next().unwrap().trim_start_matches("__Host-exx_csrf=").to_string();

    let sign_in = |cookie: String| {
        let (client, url) = (client.clone(), format!("{}/api/sign_in", app.base()));
        let form = [
            ("csrf", csrf.clone()),
            ("email", "attendee@eventxchange.test".into()),
            ("password", DEMO_PASSWORD.into()),
            ("next", String::new()),
        ];
        async move {
            client
                .post(url)
                .header("accept", "application/json")
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let planted = sign_in(format!("exx_csrf={csrf}")).await;
    assert_eq!(planted.status().as_u16(), 403, "an unprefixed CSRF cookie does not count");
    let signed_in = sign_in(format!("__Host-exx_csrf={csrf}")).await;
    assert!(signed_in.status().is_success() || signed_in.status().is_redirection(), "{:?}", signed_in.status());
    let session_cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("__Host-exx_session="))
        .expect("a prefixed session cookie");
    assert!(session_cookie.contains("Secure") && session_cookie.contains("HttpOnly"), "{session_cookie}");
    let session = session_cookie.split(';').next().unwrap().trim_start_matches("__Host-exx_session=").to_string();
    let who = |cookie: String| {
        let (client, url) = (client.clone(), format!("{}/api/current_user", app.base()));
        async move {
            client
                .get(url)
                .header("accept", "application/json")
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert!(who(format!("__Host-exx_session={session}")).await.contains("Ana"), "the prefixed session counts");
    assert_eq!(who(format!("exx_session={session}")).await, "null", "an unprefixed one does not");
}

async fn the_favicon_is_served(backend: Backend) {
    let app = app_or_skip!(backend);
    let response = reqwest::get(format!("{}/favicon.ico", app.base())).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/x-icon");
    // An ICO file: reserved 0, type 1 (icon), at least one image.
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..4], &[0, 0, 1, 0]);
    assert!(bytes[4] >= 1);
}

async fn health_checks_the_database(backend: Backend) {
    let app = app_or_skip!(backend);
    let body: serde_json::Value = reqwest::get(format!("{}/health", app.base())).await.unwrap().json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], if backend == Backend::Sqlite { "sqlite" } else { "postgres" });
}

async fn home_page_lists_the_four_demo_events(backend: Backend) {
    let app = app_or_skip!(backend);
    let (status, html) = app.browser().page("/").await;
    assert_eq!(status, 200);
    for title in [
        "Clinically Useful Biomarkers",
        "Micro- and Nanoelectronics for Health",
        "Multiomics",
        "Digitalisation of Health",
    ] {
        assert!(html.contains(title), "home page lacks {title}");
    }
    // Dates are shown in each event's own time zone.
    assert!(html.contains("16–17 March 2027"), "Heidelberg dates missing");
    // The page loads the browser bundle to hydrate.
    assert!(html.contains("/pkg/app.js") && html.contains("/pkg/app.wasm"), "hydration scripts missing");
}

async fn event_page_shows_times_with_their_zone(backend: Backend) {
    let app = app_or_skip!(backend);
    let (status, html) = app.browser().page("/events/tartu-2027").await;
    assert_eq!(status, 200);
    assert!(html.contains("Tuesday 5 October 2027, 09:00 EEST"), "start time in Tallinn summer time");
    assert!(html.contains("Wednesday 6 October 2027, 17:30 EEST"));
    assert!(html.contains("Europe/Tallinn"));
}

async fn unknown_addresses_answer_404(backend: Backend) {
    let app = app_or_skip!(backend);
    let browser = app.browser();
    let (status, html) = browser.page("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
    let (status, html) = browser.page("/events/atlantis-2027").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
}

async fn sign_up_sign_out_and_sign_in(backend: Backend) {
    let app = app_or_skip!(backend);
    let browser = app.browser();
    assert_eq!(browser.who().await, None);
    let reply = browser.submit("sign_up", &[("display_name", "  Jana   Novak "), ("email", "Jana@Example.org")]).await;
    assert!(reply.ok(), "{reply:?}");
    // Nothing exists until the address is confirmed: no account, no session.
    assert_eq!(browser.who().await, None);
    assert_eq!(accounts_for(&app, "jana@example.org").await, 0);
    assert_eq!(app.mails_to("jana@example.org").await, 1);
    let (subject, body) = app.last_mail_to("jana@example.org").await.unwrap();
    assert!(subject.contains("Confirm your address"), "{subject}");
    let token = common::token_in(&body, "http://eventxchange.test/signup/confirm?token=").expect("the link");
    let (status, page) = browser.page(&format!("/signup/confirm?token={token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("jana@example.org") && page.contains("Jana Novak"), "the page names who is confirmed");

    let weak = browser.submit("confirm_sign_up", &[("token", &token), ("password", "short")]).await;
    assert_eq!(weak.error_field().as_deref(), Some("password"), "{weak:?}");
    assert!(browser.submit("confirm_sign_up", &[("token", &token), ("password", "a long passphrase")]).await.ok());
    assert_eq!(browser.who().await.as_deref(), Some("Jana Novak"));
    let cookie = browser.cookie("exx_session").expect("session cookie");
    assert_eq!(cookie.len(), 64);
    // The link works once.
    let again = app.browser().submit("confirm_sign_up", &[("token", &token), ("password", "another passphrase")]).await;
    assert_eq!(again.error_field().as_deref(), Some("token"), "{again:?}");
    let (_, dead) = app.browser().page(&format!("/signup/confirm?token={token}")).await;
    assert!(dead.contains("not valid any more"), "{dead}");

    assert!(browser.submit("sign_out", &[]).await.ok());
    assert_eq!(browser.who().await, None);
    // The old session token is dead on the server, not only forgotten by the browser.
    let replay = Browser::new(app.base());
    let reply = replay
        .client
        .get(format!("{}/api/current_user", app.base()))
        .header("accept", "application/json")
        .header("cookie", format!("exx_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.text().await.unwrap(), "null");

    // Email is matched case-insensitively.
    assert!(browser.sign_in("JANA@example.org", "a long passphrase").await.ok());
    assert_eq!(browser.who().await.as_deref(), Some("Jana Novak"));
}

async fn accounts_for(app: &TestApp, email: &str) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from users where email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap())
}

async fn sign_up_refuses_bad_input_with_field_messages(backend: Backend) {
    let app = app_or_skip!(backend);
    let browser = app.browser();
    let cases = [(("", "x@example.org"), "display_name"), (("Jana", "not-an-email"), "email")];
    for ((name, email), field) in cases {
        let reply = browser.submit("sign_up", &[("display_name", name), ("email", email)]).await;
        assert_eq!(reply.status, 422, "{reply:?}");
        assert_eq!(reply.error_field().as_deref(), Some(field), "{reply:?}");
    }
    assert_eq!(app.mails_to("x@example.org").await, 0, "a refused sign-up sends nothing");
    let made_up = browser.submit("confirm_sign_up", &[("token", "0123abcd"), ("password", "a long passphrase")]).await;
    assert_eq!(made_up.error_field().as_deref(), Some("token"), "{made_up:?}");
    assert_eq!(browser.who().await, None, "a refused sign-up signs nobody in");
}

/// The answer to a sign-up is the same whether or not the address has an account; only the
/// mailbox learns which (an account's owner is told they have one), and one address gets at most
/// one such mail in a while however often the form is sent.
async fn sign_up_does_not_tell_whether_an_address_has_an_account(backend: Backend) {
    let app = app_or_skip!(backend);
    let known = "attendee@eventxchange.test";
    let unknown = "newcomer@example.org";
    let mails_before = app.mails_to(known).await;
    let mut answers = Vec::new();
    for email in [known, unknown] {
        // A plain form post, as without JavaScript: the answer is a redirect.
        let browser = app.browser();
        let csrf = browser.csrf().await;
        let response = browser
            .client
            .post(format!("{}/api/sign_up", app.base()))
            .header("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
            .header("referer", format!("{}/signup", app.base()))
            .form(&[("csrf", csrf.as_str()), ("display_name", "Eve"), ("email", email)])
            .send()
            .await
            .unwrap();
        answers.push((response.status().as_u16(), response.headers().get("location").cloned()));
    }
    let browser_known = app.browser();
    let browser_unknown = app.browser();
    let a = browser_known.submit("sign_up", &[("display_name", "Eve"), ("email", known)]).await;
    let b = browser_unknown.submit("sign_up", &[("display_name", "Eve"), ("email", unknown)]).await;
    assert_eq!((a.status, &a.body), (b.status, &b.body), "the same answer either way");
    assert!(a.ok(), "{a:?}");
    assert_eq!(answers[0], answers[1], "{answers:?}");
    assert!((300..400).contains(&answers[0].0), "{answers:?}");

    // The owner of the known address hears that they have an account; nothing is created.
    assert_eq!(app.mails_to(known).await, mails_before + 1, "one mail, however often asked");
    let (subject, body) = app.last_mail_to(known).await.unwrap();
    assert!(subject.contains("already have"), "{subject}");
    assert!(!body.contains("/signup/confirm"), "no link that would make a second account: {body}");
    assert_eq!(accounts_for(&app, known).await, 1);
    assert_eq!(app.mails_to(unknown).await, 1, "one mail, however often asked");
    assert_eq!(accounts_for(&app, unknown).await, 0);
}

async fn concurrent_confirmations_of_one_link_create_one_account(backend: Backend) {
    let app = app_or_skip!(backend);
    assert!(app.browser().submit("sign_up", &[("display_name", "Twin"), ("email", "twin@example.org")]).await.ok());
    let (_, body) = app.last_mail_to("twin@example.org").await.unwrap();
    let token = common::token_in(&body, "/signup/confirm?token=").unwrap();
    let mut racers = Vec::new();
    for _ in 0..8 {
        let browser = app.browser();
        browser.csrf().await;
        racers.push(browser);
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(racers.len()));
    let mut attempts = Vec::new();
    for browser in racers {
        let (barrier, token) = (barrier.clone(), token.clone());
        attempts.push(tokio::spawn(async move {
            barrier.wait().await;
            browser.submit("confirm_sign_up", &[("token", &token), ("password", "a long passphrase")]).await
        }));
    }
    let mut created = 0;
    for attempt in attempts {
        let reply = attempt.await.unwrap();
        if reply.ok() {
            created += 1;
        } else {
            assert_eq!(reply.error_field().as_deref(), Some("token"), "{reply:?}");
        }
    }
    assert_eq!(created, 1);
    assert_eq!(accounts_for(&app, "twin@example.org").await, 1);
}

async fn forms_without_the_csrf_token_change_nothing(backend: Backend) {
    let app = app_or_skip!(backend);
    let browser = app.browser();
    browser.csrf().await;
    let forged = browser
        .call(
            "sign_in",
            &[("csrf", "0000"), ("email", "attendee@eventxchange.test"), ("password", DEMO_PASSWORD), ("next", "")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(forged.error_kind().as_deref(), Some("FormExpired"));
    let missing = browser.call("sign_up", &[("csrf", ""), ("display_name", "Eve"), ("email", "eve@example.org")]).await;
    assert_eq!(missing.status, 403);
    assert_eq!(browser.who().await, None);
    let eve: i64 =
        app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from users where email = 'eve@example.org'")
            .fetch_one(pool)
            .await
            .unwrap());
    assert_eq!(eve, 0);
}

async fn repeated_wrong_passwords_lock_the_address_for_a_while(backend: Backend) {
    let app = app_or_skip!(backend);
    let browser = app.browser();
    for _ in 0..app::accounts::store::MAX_FAILED_SIGN_INS {
        let reply = browser.sign_in("attendee@eventxchange.test", "not the password").await;
        assert_eq!(reply.status, 422);
        assert_eq!(reply.error_field().as_deref(), Some("password"));
    }
    let reply = browser.sign_in("attendee@eventxchange.test", DEMO_PASSWORD).await;
    assert_eq!(reply.status, 429, "{reply:?}");
    assert_eq!(browser.who().await, None);
    // Other addresses are not affected.
    assert!(browser.sign_in("attendee.tartu@eventxchange.test", DEMO_PASSWORD).await.ok());
}

async fn recorded_failures(db: &app::platform::Db) -> i64 {
    app::db_run!(db, |pool| sqlx::query_scalar(
        "select count(*) from sign_in_failures where email = 'attendee@eventxchange.test'"
    )
    .fetch_one(pool)
    .await
    .unwrap())
}

/// A lock-out ends: attempts refused while locked are not counted (one guess every two minutes
/// used to keep an account locked for ever), the window passes, and a password reset clears it.
/// One client cannot try more than its allowance of addresses either.
async fn a_lock_out_ends_and_a_reset_clears_it(backend: Backend) {
    let app = app_or_skip!(backend);
    let browser = app.browser();
    let address = "attendee@eventxchange.test";
    for _ in 0..app::accounts::store::MAX_FAILED_SIGN_INS {
        assert_eq!(browser.sign_in(address, "not the password").await.status, 422);
    }
    for _ in 0..3 {
        assert_eq!(browser.sign_in(address, "still guessing").await.status, 429);
    }
    assert_eq!(
        recorded_failures(app.db()).await,
        app::accounts::store::MAX_FAILED_SIGN_INS,
        "refused attempts are not kept"
    );
    // The window passes (the rows are moved back in time instead of waiting 15 minutes).
    app::db_run!(app.db(), |pool| sqlx::query("update sign_in_failures set at = at - 16 * 60")
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .unwrap());
    assert!(browser.sign_in(address, DEMO_PASSWORD).await.ok(), "the lock-out ended");
    assert_eq!(recorded_failures(app.db()).await, 0, "a sign-in clears the record");

    // Locked again, then a password reset: the new password works at once.
    let other = app.browser();
    for _ in 0..=app::accounts::store::MAX_FAILED_SIGN_INS {
        other.sign_in(address, "not the password").await;
    }
    assert_eq!(other.sign_in(address, DEMO_PASSWORD).await.status, 429);
    assert!(other.submit("request_password_reset", &[("email", address)]).await.ok());
    let body: String = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select body_text from outbox where recipient = 'attendee@eventxchange.test' order by id desc limit 1"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    let token = body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    assert!(other.submit("reset_password", &[("token", &token), ("password", "a brand new passphrase")]).await.ok());
    assert!(other.sign_in(address, "a brand new passphrase").await.ok(), "a reset ends the lock-out");

    // One client, many addresses: its allowance of failures runs out too (the store is called
    // directly, past the per-process limiter of the forms).
    let client = Some("192.0.2.7");
    for n in 0..app::accounts::store::MAX_FAILED_SIGN_INS_PER_CLIENT {
        let refused =
            app::accounts::store::authenticate(app.db(), &format!("probe{n}@example.org"), "guess", client).await;
        assert!(matches!(refused, Err(app::error::AppError::Invalid { .. })), "{refused:?}");
    }
    let last = app::accounts::store::authenticate(app.db(), "probe.last@example.org", "guess", client).await;
    assert_eq!(last, Err(app::error::AppError::TooManyAttempts));
    let elsewhere =
        app::accounts::store::authenticate(app.db(), "probe.last@example.org", "guess", Some("192.0.2.8")).await;
    assert!(matches!(elsewhere, Err(app::error::AppError::Invalid { .. })), "another client is not affected");
}

/// Forms that hash are cheap to refuse: made-up reset tokens are refused before any hashing,
/// and a burst of account forms from one client runs out of its allowance (429).
async fn bogus_account_forms_are_refused_cheaply(backend: Backend) {
    let app = app_or_skip!(backend);
    let browser = app.browser();
    // The browser's CSRF cookie first, so the racing forms share it.
    browser.csrf().await;
    let mut replies = Vec::new();
    for n in 0..30 {
        let browser = browser.clone();
        replies.push(tokio::spawn(async move {
            let token = format!("{n:064x}");
            browser.submit("reset_password", &[("token", &token), ("password", "a long passphrase")]).await.status
        }));
    }
    let mut statuses = Vec::new();
    for reply in replies {
        statuses.push(reply.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 422 || *s == 429), "{statuses:?}");
    assert!(statuses.contains(&429), "the allowance ran out: {statuses:?}");
    assert!(!statuses.contains(&503), "nothing waited for hashing: {statuses:?}");
}

async fn password_reset_by_emailed_link(backend: Backend) {
    let app = app_or_skip!(backend);
    let old_session = app.browser();
    assert!(old_session.sign_in("attendee@eventxchange.test", DEMO_PASSWORD).await.ok());

    let browser = app.browser();
    let reply = browser.submit("request_password_reset", &[("email", "attendee@eventxchange.test")]).await;
    assert!(reply.ok(), "{reply:?}");
    // The same answer for an address without an account, and no mail for it.
    let unknown = browser.submit("request_password_reset", &[("email", "nobody@example.org")]).await;
    assert!(unknown.ok());
    assert!(unknown.body.as_str().unwrap().contains("If an account exists"));

    let mails: Vec<(String, String)> =
        app::db_run!(app.db(), |pool| sqlx::query_as("select recipient, body_text from outbox")
            .fetch_all(pool)
            .await
            .unwrap());
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].0, "attendee@eventxchange.test");
    let link = mails[0]
        .1
        .lines()
        .find(|l| l.starts_with("http://eventxchange.test/password/reset?token="))
        .expect("link in mail");
    let token = link.rsplit_once("token=").unwrap().1;

    let weak = browser.submit("reset_password", &[("token", token), ("password", "short")]).await;
    assert_eq!(weak.error_field().as_deref(), Some("password"));
    let forged = browser.submit("reset_password", &[("token", "f00d"), ("password", "a brand new passphrase")]).await;
    assert_eq!(forged.error_field().as_deref(), Some("token"));

    assert!(browser.submit("reset_password", &[("token", token), ("password", "a brand new passphrase")]).await.ok());
    let again = browser.submit("reset_password", &[("token", token), ("password", "yet another passphrase")]).await;
    assert_eq!(again.error_field().as_deref(), Some("token"), "a link works once");

    assert_eq!(old_session.who().await, None, "sessions end when the password changes");
    assert_eq!(browser.sign_in("attendee@eventxchange.test", DEMO_PASSWORD).await.status, 422);
    assert!(browser.sign_in("attendee@eventxchange.test", "a brand new passphrase").await.ok());

    // The database keeps no raw token, the admin's outbox shows none, and a new request purges
    // the used link.
    let raw: i64 =
        app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from password_resets where token_hash = $1")
            .bind(token)
            .fetch_one(pool)
            .await
            .unwrap());
    assert_eq!(raw, 0);
    let admin = app.signed_in("admin@eventxchange.test").await;
    let outbox = admin.fetch("admin_outbox", &[]).await;
    assert!(outbox.ok(), "{outbox:?}");
    let shown = outbox.body.to_string();
    assert!(shown.contains("password/reset?token=[hidden]"), "{shown}");
    assert!(!shown.contains(token), "the admin sees no live reset link");
    assert!(browser.submit("request_password_reset", &[("email", "attendee@eventxchange.test")]).await.ok());
    let (used, live): (i64, i64) = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select (select count(*) from password_resets where used_at is not null),
                (select count(*) from password_resets where used_at is null)"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!((used, live), (0, 1), "used links are purged");
}

async fn sessions_are_shared_by_server_instances(backend: Backend) {
    let app = app_or_skip!(backend);
    let second = TestServer::start(&app.database.url).await;
    let browser = app.browser();
    assert!(browser.sign_in("organiser.smarthub@eventxchange.test", DEMO_PASSWORD).await.ok());
    let elsewhere = browser.pointed_at(&second.base);
    assert_eq!(elsewhere.who().await.as_deref(), Some("Lotte Peeters"));
    assert!(elsewhere.submit("sign_out", &[]).await.ok());
    assert_eq!(browser.who().await, None, "signing out on one instance ends the session on all");
}

/// Who may reach what: (account, server function, event, expected outcome).
async fn roles_are_refused_outside_their_scope(backend: Backend) {
    let app = app_or_skip!(backend);
    let anonymous = app.browser();
    let reply = anonymous.fetch("organiser_overview", &[("slug", "heidelberg-2027")]).await;
    assert_eq!((reply.status, reply.error_kind().as_deref()), (401, Some("SignInRequired")));

    let cases: &[(&str, &str, &str, bool)] = &[
        ("organiser.biorn@eventxchange.test", "organiser_overview", "heidelberg-2027", true),
        ("organiser.biorn@eventxchange.test", "organiser_overview", "leuven-2027", false),
        ("organiser.biorn@eventxchange.test", "scanner_station", "heidelberg-2027", true),
        ("organiser.biorn@eventxchange.test", "scanner_station", "tartu-2027", false),
        ("scanner.heidelberg@eventxchange.test", "scanner_station", "heidelberg-2027", true),
        ("scanner.heidelberg@eventxchange.test", "scanner_station", "leuven-2027", false),
        ("scanner.heidelberg@eventxchange.test", "organiser_overview", "heidelberg-2027", false),
        ("attendee@eventxchange.test", "organiser_overview", "heidelberg-2027", false),
        ("attendee@eventxchange.test", "scanner_station", "heidelberg-2027", false),
        ("admin@eventxchange.test", "organiser_overview", "tartu-2027", true),
        ("admin@eventxchange.test", "scanner_station", "copenhagen-2027", true),
    ];
    let mut signed_in = std::collections::HashMap::new();
    for (email, function, slug, allowed) in cases {
        let browser = match signed_in.get(email) {
            Some(b) => Browser::clone(b),
            None => {
                let b = app.browser();
                assert!(b.sign_in(email, DEMO_PASSWORD).await.ok());
                signed_in.insert(*email, b.clone());
                b
            }
        };
        let reply = browser.fetch(function, &[("slug", slug)]).await;
        if *allowed {
            assert!(reply.ok(), "{email} should reach {function} of {slug}: {reply:?}");
        } else {
            assert_eq!(reply.status, 403, "{email} must not reach {function} of {slug}: {reply:?}");
            assert_eq!(reply.error_kind().as_deref(), Some("Forbidden"));
        }
    }

    // Admin-only functions.
    for email in ["organiser.biorn@eventxchange.test", "scanner.leuven@eventxchange.test", "attendee@eventxchange.test"]
    {
        let browser = app.browser();
        assert!(browser.sign_in(email, DEMO_PASSWORD).await.ok());
        assert_eq!(browser.fetch("admin_accounts", &[]).await.status, 403, "{email}");
        assert_eq!(browser.fetch("admin_outbox", &[]).await.status, 403, "{email}");
        let promote = browser.submit("assign_role", &[("email", email), ("role", "admin"), ("scope", "")]).await;
        assert_eq!(promote.status, 403, "{email} cannot make itself an admin");
        assert_eq!(browser.fetch("organiser_overview", &[("slug", "copenhagen-2027")]).await.status, 403);
    }
    // The pages answer with the same refusal.
    let organiser = signed_in.get("organiser.biorn@eventxchange.test").unwrap();
    let (status, html) = organiser.page("/organise/leuven-2027").await;
    assert_eq!(status, 403);
    assert!(html.contains("Not allowed"));
    let (status, html) = organiser.page("/organise/heidelberg-2027").await;
    assert_eq!(status, 200);
    assert!(html.contains("Door Heidelberg"), "the event team lists its scanner");
}

async fn admins_assign_scoped_roles(backend: Backend) {
    let app = app_or_skip!(backend);
    let member = app.sign_up("Sofie Jensen", "sofie@example.org", "a long passphrase").await;
    assert_eq!(member.fetch("organiser_overview", &[("slug", "copenhagen-2027")]).await.status, 403);

    let admin = app.browser();
    assert!(admin.sign_in("admin@eventxchange.test", DEMO_PASSWORD).await.ok());
    let missing_scope =
        admin.submit("assign_role", &[("email", "sofie@example.org"), ("role", "organiser"), ("scope", "")]).await;
    assert_eq!(missing_scope.error_field().as_deref(), Some("scope"));
    let unknown = admin
        .submit("assign_role", &[("email", "ghost@example.org"), ("role", "scanner"), ("scope", "leuven-2027")])
        .await;
    assert_eq!(unknown.error_field().as_deref(), Some("email"));
    let bad_role =
        admin.submit("assign_role", &[("email", "sofie@example.org"), ("role", "emperor"), ("scope", "")]).await;
    assert_eq!(bad_role.error_field().as_deref(), Some("role"));

    assert!(admin
        .submit("assign_role", &[("email", "sofie@example.org"), ("role", "organiser"), ("scope", "biopeople")])
        .await
        .ok());
    assert!(member.fetch("organiser_overview", &[("slug", "copenhagen-2027")]).await.ok());
    assert_eq!(member.fetch("organiser_overview", &[("slug", "tartu-2027")]).await.status, 403);
}

async fn demo_series_loads_once(backend: Backend) {
    let app = app_or_skip!(backend);
    app::demo::seed(app.db()).await.unwrap();
    let counts: (i64, i64, i64, i64) = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select (select count(*) from clusters), (select count(*) from events),
                (select count(*) from users where email not like 'guest%' and email not like 'b2b%'),
                (select count(*) from tickets)"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    // Ten accounts to sign in with; five demo guests and 36 B2B participants with a ticket at
    // each event, and the grant-eligible member's ticket at Leuven.
    assert_eq!(counts, (4, 4, 10, 4 * (5 + 36) + 1));
}

/// The plain HTTP handlers that change state, as (path, content type). Server functions are
/// listed by the server itself (`server_fn_paths`).
const STATE_CHANGING_HANDLERS: [(&str, &str); 4] = [
    ("/organise/heidelberg-2027/speakers/1/photo", "multipart/form-data; boundary=exx"),
    ("/organise/heidelberg-2027/checkin/lists", "application/x-www-form-urlencoded"),
    ("/api/v1/events/heidelberg-2027/checkin-lists/1/redeem", "application/json"),
    ("/api/v1/events/heidelberg-2027/checkins/1/undo", "application/json"),
];

/// A body of the given type that carries `csrf` (if any) and nothing else a handler could use.
fn body_with(content_type: &str, csrf: Option<&str>) -> String {
    match (content_type, csrf) {
        (t, Some(token)) if t.starts_with("multipart") => {
            format!("--exx\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--exx--\r\n")
        }
        (t, None) if t.starts_with("multipart") => "--exx--\r\n".to_string(),
        ("application/json", _) => "{}".to_string(),
        (_, Some(token)) => format!("csrf={token}"),
        (_, None) => String::new(),
    }
}

/// Whether an answer is the CSRF refusal (server functions name the error, HTTP handlers say it).
fn refused_for_the_token(body: &str) -> bool {
    body.contains("FormExpired") || body.contains("This form has expired")
}

/// Every state-changing server function and handler refuses a request without the CSRF token,
/// even from a signed-in admin (who could otherwise do everything). With the token the same
/// request gets past the guard (it may still fail for want of real arguments), which shows the
/// refusal comes from the missing token.
async fn every_state_changing_call_needs_the_csrf_token(backend: Backend) {
    let app = app_or_skip!(backend);
    let admin_id: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select id from users where email = 'admin@eventxchange.test'"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    let admin = app.browser_as(admin_id).await;
    let token = admin.csrf().await;
    let session = admin.cookie("exx_session").expect("a session");
    let mut targets: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(_, method)| method != http::Method::GET)
        .map(|(path, _)| (path.to_string(), "application/x-www-form-urlencoded".to_string()))
        .collect();
    assert!(targets.len() >= 26, "expected every state-changing server function, found {}", targets.len());
    targets.extend(STATE_CHANGING_HANDLERS.iter().map(|(p, t)| (p.to_string(), t.to_string())));
    for (path, content_type) in &targets {
        let url = format!("{}{path}", app.base());
        let send = |csrf: Option<&str>, cookie_value: &str| {
            let mut request = admin
                .client
                .post(&url)
                .header("content-type", content_type.as_str())
                .header("accept", "application/json")
                .header("cookie", format!("exx_session={session}; exx_csrf={cookie_value}"))
                .body(body_with(content_type, csrf));
            // Scripts send the token in a header; JSON bodies have no form field for it.
            if let (Some(token), "application/json") = (csrf, content_type.as_str()) {
                request = request.header("x-csrf-token", token);
            }
            request.send()
        };
        let without = send(None, &token).await.unwrap();
        assert_eq!(without.status().as_u16(), 403, "{path} without a token");
        assert!(refused_for_the_token(&without.text().await.unwrap()), "{path} refused for the token");
        let wrong = send(Some("0000"), &token).await.unwrap();
        assert_eq!(wrong.status().as_u16(), 403, "{path} with a wrong token");
        // A cookie the server did not issue cannot be matched by planting the same value.
        let planted = send(Some("x"), "x").await.unwrap();
        assert_eq!(planted.status().as_u16(), 403, "{path} with a planted cookie");
        let with = send(Some(&token), &token).await.unwrap();
        let status = with.status().as_u16();
        let text = with.text().await.unwrap();
        assert!(!(status == 403 && refused_for_the_token(&text)), "{path} with the token: {status} {text}");
    }
    // The webhook is the one exemption: Stripe signs it instead (without a signature: 4xx, not 403).
    let webhook = admin.client.post(format!("{}/api/v1/stripe/webhook", app.base())).body("{}").send().await.unwrap();
    assert_ne!(webhook.status().as_u16(), 403);
}

/// Server functions answer bad input with a 4xx and a message, never 500: arguments that do not
/// parse or are missing (422), a body over the limit (413, also on each function's own route),
/// and a large but allowed body reaches the function's own check (an agenda CSV of 2.1 MB, 2.2
/// MB once form-encoded, is refused by the editor with its size message). Before, all of these
/// were answered 500.
async fn server_functions_answer_bad_requests_with_4xx(backend: Backend) {
    let app = app_or_skip!(backend);
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let reply = organiser.submit("delete_session", &[("slug", "heidelberg-2027"), ("session_id", "abc")]).await;
    assert_eq!(reply.status, 422, "{reply:?}");
    let reply = organiser.submit("delete_session", &[("slug", "heidelberg-2027")]).await;
    assert_eq!(reply.status, 422, "{reply:?}");
    let reply = organiser.fetch("ticket", &[("id", "abc")]).await;
    assert_eq!(reply.status, 422, "{reply:?}");
    let big_csv = "x".repeat(2_100_000);
    let reply = organiser.submit("import_agenda", &[("slug", "heidelberg-2027"), ("csv", &big_csv)]).await;
    assert_eq!(reply.status, 422, "{reply:?}");
    assert_eq!(reply.error_field().as_deref(), Some("csv"));
    let huge_csv = "x".repeat(4_000_000);
    let reply = organiser.submit("import_agenda", &[("slug", "heidelberg-2027"), ("csv", &huge_csv)]).await;
    assert_eq!(reply.status, 413, "{reply:?}");
}

on_both_backends!(
    health_checks_the_database,
    https_cookies_are_host_prefixed,
    the_favicon_is_served,
    answers_carry_security_headers,
    pages_keep_their_policy_while_files_are_served,
    precompressed_bundle_files_go_to_browsers_that_accept_them,
    production_settings_are_checked,
    server_functions_answer_bad_requests_with_4xx,
    every_state_changing_call_needs_the_csrf_token,
    home_page_lists_the_four_demo_events,
    event_page_shows_times_with_their_zone,
    unknown_addresses_answer_404,
    sign_up_sign_out_and_sign_in,
    sign_up_refuses_bad_input_with_field_messages,
    sign_up_does_not_tell_whether_an_address_has_an_account,
    concurrent_confirmations_of_one_link_create_one_account,
    forms_without_the_csrf_token_change_nothing,
    repeated_wrong_passwords_lock_the_address_for_a_while,
    a_lock_out_ends_and_a_reset_clears_it,
    bogus_account_forms_are_refused_cheaply,
    password_reset_by_emailed_link,
    sessions_are_shared_by_server_instances,
    roles_are_refused_outside_their_scope,
    admins_assign_scoped_roles,
    demo_series_loads_once,
);

/// Acknowledged writes survive a power loss: SQLite commits with a full sync.
#[tokio::test]
async fn sqlite_commits_are_durable() {
    let database = common::TestDatabase::create(Backend::Sqlite).await.expect("a SQLite file");
    let db = app::platform::Db::connect(&database.url).await.unwrap();
    let app::platform::Db::Sqlite(pool) = &db else { panic!("a SQLite pool") };
    let (journal, synchronous): (String, i64) =
        sqlx::query_as("select journal_mode, synchronous from pragma_journal_mode(), pragma_synchronous()")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!((journal.as_str(), synchronous), ("wal", 2), "WAL with synchronous=FULL");

    // Drafts go through the scratch pool: the same file, without the fsync, and what it writes
    // is read by the durable pool at once.
    let scratch = db.scratch();
    let app::platform::Db::Sqlite(scratch_pool) = &scratch else { panic!("a SQLite pool") };
    let (journal, synchronous): (String, i64) =
        sqlx::query_as("select journal_mode, synchronous from pragma_journal_mode(), pragma_synchronous()")
            .fetch_one(scratch_pool)
            .await
            .unwrap();
    assert_eq!((journal.as_str(), synchronous), ("wal", 1), "the scratch pool: WAL with synchronous=NORMAL");
    sqlx::query("create table scratch_probe (n integer)").execute(scratch_pool).await.unwrap();
    sqlx::query("insert into scratch_probe values (7)").execute(scratch_pool).await.unwrap();
    let n: i64 = sqlx::query_scalar("select n from scratch_probe").fetch_one(pool).await.unwrap();
    assert_eq!(n, 7, "a scratch write is the same database's");

    // Write transactions commit on the writer connection and return only once a flush of the
    // log covers them: after sixteen at once, every commit is flushed.
    let (before, _) = db.commits_flushed().expect("SQLite counts its commits");
    let writers: Vec<_> = (0..16)
        .map(|n| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin_write().await.unwrap();
                app::tx_run!(&mut tx, |conn| sqlx::query("insert into scratch_probe values ($1)")
                    .bind(n)
                    .execute(&mut *conn)
                    .await
                    .map(|_| ())
                    .unwrap());
                tx.commit().await.unwrap();
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let (commits, flushed) = db.commits_flushed().unwrap();
    assert_eq!((commits - before, flushed), (16, commits), "every acknowledged commit is flushed");
    let rows: i64 = sqlx::query_scalar("select count(*) from scratch_probe").fetch_one(pool).await.unwrap();
    assert_eq!(rows, 17);
    db.close().await;
}

/// On PostgreSQL a statement run on its own borrows a connection and gives it back as it is
/// (sqlx's pool would ping it on the way back): the next statement gets the same session, a
/// refusal by the server keeps it, a statement abandoned midway closes it, and a crowd of
/// statements never opens more than the lender's share of connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_are_lent_again_unless_a_statement_was_abandoned() {
    let Some(database) = common::TestDatabase::create(Backend::Postgres).await else { return };
    let db = app::platform::Db::connect(&database.url).await.unwrap();
    let app::platform::Db::Postgres(pool) = &db else { panic!("a PostgreSQL pool") };
    let session = || async { sqlx::query_scalar::<_, i32>("select pg_backend_pid()").fetch_one(pool).await.unwrap() };

    let first = session().await;
    assert_eq!(session().await, first, "a finished statement's connection is lent again");
    let refused = sqlx::query("select 1 / 0").execute(pool).await.unwrap_err();
    assert!(matches!(refused, sqlx::Error::Database(_)), "{refused}");
    assert_eq!(session().await, first, "a refusal by the server leaves the connection usable");

    let abandoned =
        tokio::time::timeout(std::time::Duration::from_millis(300), sqlx::query("select pg_sleep(3)").execute(pool))
            .await;
    assert!(abandoned.is_err(), "the statement was cut off");
    let after = session().await;
    assert_ne!(after, first, "the abandoned statement's connection is not lent again");
    assert_eq!(pool.lent_connections_open(), 1, "it was closed");

    let crowd: Vec<_> = (0..40)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                sqlx::query_scalar::<_, i32>("select pg_backend_pid() from pg_sleep(0.05)")
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut sessions = std::collections::HashSet::new();
    for statement in crowd {
        sessions.insert(statement.await.unwrap());
    }
    assert!((2..=8).contains(&sessions.len()), "{} sessions served 40 statements", sessions.len());
    assert!(pool.lent_connections_open() <= 8, "{} open", pool.lent_connections_open());
    db.close().await;
    assert_eq!(pool.lent_connections_open(), 0, "closing closes the idle connections");
}

#[tokio::test]
async fn an_unknown_database_scheme_stops_start_up() {
    let err = app::platform::Db::connect("mysql://localhost/exx").await.unwrap_err();
    assert!(err.to_string().contains("sqlite: or postgres://"), "{err}");
}

/// The two migration sets say the same thing: the same files, and in each the same statements
/// once the words that name a backend's types are taken out (SQLite's `integer primary key
/// autoincrement` is PostgreSQL's `bigint generated by default as identity primary key`).
#[test]
fn the_two_migration_sets_are_aligned() {
    const TYPE_WORDS: [&str; 9] = [
        "generated by default as identity",
        "autoincrement",
        "double precision",
        "bigint",
        "integer",
        "blob",
        "bytea",
        "boolean",
        "real",
    ];
    // Triggers are written in each backend's own language: what follows this line in a file
    // is not compared (both files of a migration must have it, or neither).
    const OWN_LANGUAGE_BELOW: &str = "-- each backend in its own language below";
    fn statements(path: &std::path::Path) -> Vec<String> {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let text = text.to_lowercase();
        let text = match text.split_once(OWN_LANGUAGE_BELOW) {
            // A statement of its own, so a file with the line and one without do not compare equal.
            Some((compared, _)) => format!("{compared};\nown language below;"),
            None => text,
        };
        let mut text: String = text
            .to_lowercase()
            .lines()
            .map(|line| line.split("--").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ");
        for word in TYPE_WORDS {
            // Whole words only: `integer` must not eat part of a column name.
            let mut out = String::new();
            let mut rest = text.as_str();
            while let Some(at) = rest.find(word) {
                let before = rest[..at].chars().last();
                let after = rest[at + word.len()..].chars().next();
                let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                out.push_str(&rest[..at]);
                out.push_str(if boundary(before) && boundary(after) { " " } else { word });
                rest = &rest[at + word.len()..];
            }
            out.push_str(rest);
            text = out;
        }
        let spaced = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut tight = spaced;
        for mark in ["(", ")", ",", ";"] {
            tight = tight.replace(&format!(" {mark}"), mark).replace(&format!("{mark} "), mark);
        }
        tight.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let names = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(backend))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        names.sort();
        names
    };
    let (sqlite, postgres) = (names("sqlite"), names("postgres"));
    assert_eq!(sqlite, postgres, "the migration sets have different files");
    assert!(!sqlite.is_empty());
    for name in &sqlite {
        let a = statements(&root.join("sqlite").join(name));
        let b = statements(&root.join("postgres").join(name));
        assert_eq!(a.len(), b.len(), "{name}: a different number of statements");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "{name}: the backends' statements differ beyond their type words");
        }
    }
}

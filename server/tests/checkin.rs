//! Badges and door check-in against a running server, on SQLite and PostgreSQL: badge codes an
//! independent decoder reads, every verdict of the device API, the one-entry rule under eight
//! concurrent devices, offline judging with the bundle a scanner downloads, and check-ins that
//! survive `kill -9` of the server.

mod common;

use std::time::Duration;

use app::badges::{code, keys::BadgeKeys, store as badges};
use app::checkin::rules::{judge_offline, Direction, OfflineBundle, Verdict};
use common::{Backend, Browser, ServerProcess, TestApp};
use serde_json::{json, Value};

on_both_backends!(
    one_batch_of_check_ins_keeps_every_rule,
    badges_carry_a_signed_code_an_independent_decoder_reads,
    door_scans_get_the_right_verdicts,
    the_device_api_refuses_strangers_and_bad_requests,
    eight_devices_scanning_one_ticket_admit_it_once,
    offline_scanners_judge_with_the_downloaded_bundle,
    offline_data_is_minimal_and_comes_as_changes,
    organisers_set_up_lists_and_watch_the_counts,
    acknowledged_check_ins_survive_kill_9,
    badge_keys_are_wrapped_with_the_server_secret,
);

const HEIDELBERG: &str = "heidelberg-2027";
const LEUVEN: &str = "leuven-2027";

async fn user_id(app: &TestApp, email: &str) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .expect(email))
}

async fn as_user(app: &TestApp, email: &str) -> Browser {
    let id = user_id(app, email).await;
    app.browser_as(id).await
}

async fn event_id(app: &TestApp, slug: &str) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar("select id from events where slug = $1")
        .bind(slug)
        .fetch_one(pool)
        .await
        .unwrap())
}

/// The demo guest's ticket at an event (guests are numbered from 1; guest 5 holds a speaker
/// ticket).
async fn guest_ticket(app: &TestApp, slug: &str, guest: u32) -> i64 {
    let city = slug.split('-').next().unwrap();
    app::db_run!(app.db(), |pool| sqlx::query_scalar("select id from tickets where email = $1")
        .bind(format!("guest{guest}.{city}@eventxchange.test"))
        .fetch_one(pool)
        .await
        .unwrap())
}

async fn code_of(app: &TestApp, ticket: i64) -> String {
    badges::current_code(app.db(), &app.server.state.badge_keys, ticket).await.unwrap().expect("a confirmed ticket")
}

async fn list_id(app: &TestApp, slug: &str, name: &str) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select l.id from checkin_lists l join events e on e.id = l.event_id where e.slug = $1 and l.name = $2"
    )
    .bind(slug)
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap())
}

/// A device token for the event, made by its organisers through their page's server function.
async fn device_token(app: &TestApp, slug: &str, organiser: &str, label: &str) -> String {
    let organiser = as_user(app, organiser).await;
    let reply = organiser.submit("create_scanner_device", &[("slug", slug), ("label", label)]).await;
    assert!(reply.ok(), "{reply:?}");
    reply.body.as_str().expect("the token").to_string()
}

struct Device {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Device {
    fn new(app: &TestApp, token: &str) -> Device {
        Device { client: reqwest::Client::new(), base: app.base().to_string(), token: token.to_string() }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn redeem(&self, slug: &str, list: i64, body: Value) -> (u16, Value) {
        self.post(&format!("/api/v1/events/{slug}/checkin-lists/{list}/redeem"), body).await
    }

    /// Scans a code with a fresh idempotency key; returns the verdict's JSON.
    async fn scan(&self, slug: &str, list: i64, code: &str) -> Value {
        let (status, body) = self.redeem(slug, list, json!({ "code": code, "idempotency_key": fresh_key() })).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response =
            self.client.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn fresh_key() -> String {
    format!("test-{}", app::platform::random_token())
}

fn verdict(body: &Value) -> &str {
    body["verdict"].as_str().unwrap_or_default()
}

async fn live_entries(app: &TestApp, list: i64, ticket: i64) -> i64 {
    app::db_run!(app.db(), |pool| {
        sqlx::query_scalar(
        "select count(*) from checkins where list_id = $1 and ticket_id = $2 and direction = 'entry' and undone_at is null"
    )
    .bind(list)
    .bind(ticket)
    .fetch_one(pool)
    .await
    .unwrap()
    })
}

async fn badges_carry_a_signed_code_an_independent_decoder_reads(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let ticket = guest_ticket(&app, HEIDELBERG, 1).await;
    let holder = as_user(&app, "guest1.heidelberg@eventxchange.test").await;

    let (status, html) = holder.page(&format!("/tickets/{ticket}/badge")).await;
    assert_eq!(status, 200, "{html}");
    for shown in ["Lena Hoffmann", "Neckar Proteomics GmbH", "BioRN Life Science Cluster", "Member ticket", "<svg"] {
        assert!(html.contains(shown), "the badge shows {shown}");
    }
    let code = html.split("<code>").nth(1).and_then(|rest| rest.split("</code>").next()).expect("the code").to_string();
    assert_eq!(code, code_of(&app, ticket).await, "the badge shows the current code");
    assert!(code.is_ascii() && code.starts_with("EXX1."), "{code}");
    assert!(app::badges::render::version(&code).unwrap() <= 7, "fits a version 7 symbol at level M");

    // The PNG, read back by an independent decoder.
    let response = holder.client.get(format!("{}/tickets/{ticket}/badge.png", app.base())).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    let png = response.bytes().await.unwrap();
    common::independent_check("decode_qr.py", "badge.png", &png, &["--expect", &code]);

    // Other attendees see nothing; the event's organisers may print it.
    let stranger = as_user(&app, "attendee.tartu@eventxchange.test").await;
    assert_eq!(stranger.page(&format!("/tickets/{ticket}/badge")).await.0, 404);
    assert_eq!(stranger.page(&format!("/tickets/{ticket}/badge.png")).await.0, 404);
    assert_eq!(app.browser().page(&format!("/tickets/{ticket}/badge.png")).await.0, 401);
    let organiser = as_user(&app, "organiser.biorn@eventxchange.test").await;
    let (status, batch) = organiser.page(&format!("/organise/{HEIDELBERG}/badges")).await;
    assert_eq!(status, 200);
    assert!(batch.contains(&code) && batch.contains("Dr. Sara Lind"), "batch printing has every badge");
    let speaker_type: i64 =
        app::db_run!(app.db(), |pool| sqlx::query_scalar("select ticket_type_id from tickets where id = $1")
            .bind(guest_ticket(&app, HEIDELBERG, 5).await)
            .fetch_one(pool)
            .await
            .unwrap());
    let (_, speakers) = organiser.page(&format!("/organise/{HEIDELBERG}/badges?ticket_type={speaker_type}")).await;
    assert!(speakers.contains("Dr. Sara Lind") && !speakers.contains("Lena Hoffmann"), "filtered by ticket type");
    assert_eq!(stranger.page(&format!("/organise/{HEIDELBERG}/badges")).await.0, 403);

    // Re-issuing revokes the old code.
    let reply = holder.submit("reissue_badge", &[("id", &ticket.to_string())]).await;
    assert!(reply.ok(), "{reply:?}");
    let renewed = code_of(&app, ticket).await;
    assert_ne!(renewed, code);
    let token = device_token(&app, HEIDELBERG, "organiser.biorn@eventxchange.test", "Door A").await;
    let device = Device::new(&app, &token);
    let entrance = list_id(&app, HEIDELBERG, "Main entrance").await;
    let old = device.scan(HEIDELBERG, entrance, &code).await;
    assert_eq!(verdict(&old), "cancelled", "{old}");
    assert!(old["message"].as_str().unwrap().contains("replaced"), "{old}");
    assert_eq!(verdict(&device.scan(HEIDELBERG, entrance, &renewed).await), "valid");
}

async fn door_scans_get_the_right_verdicts(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let token = device_token(&app, HEIDELBERG, "organiser.biorn@eventxchange.test", "Door A handheld").await;
    let device = Device::new(&app, &token);
    let entrance = list_id(&app, HEIDELBERG, "Main entrance").await;
    let lounge = list_id(&app, HEIDELBERG, "Speakers' lounge").await;
    let plenary = list_id(&app, HEIDELBERG, "Plenary hall").await;
    let lena = guest_ticket(&app, HEIDELBERG, 1).await;
    let code = code_of(&app, lena).await;

    // VALID, then ALREADY CHECKED IN with when, where and which device.
    let first = device.scan(HEIDELBERG, entrance, &code).await;
    assert_eq!(verdict(&first), "valid", "{first}");
    assert_eq!(first["attendee"], "Lena Hoffmann");
    assert_eq!(first["ticket_type"], "Member ticket");
    let second = device.scan(HEIDELBERG, entrance, &code).await;
    assert_eq!(verdict(&second), "already_checked_in", "{second}");
    assert_eq!(second["earlier"]["list"], "Main entrance");
    assert_eq!(second["earlier"]["device"], "Door A handheld");
    assert!(second["earlier"]["at"].as_i64().unwrap() > 0);
    assert_eq!(live_entries(&app, entrance, lena).await, 1);
    // Leaving through the entrance is recorded as an exit, not refused as a second entry, though
    // the device's look-up found the ticket inside.
    let (status, left) = device
        .redeem(HEIDELBERG, entrance, json!({ "code": code, "idempotency_key": fresh_key(), "direction": "exit" }))
        .await;
    assert_eq!((status, verdict(&left)), (200, "valid"), "{left}");
    assert_eq!(left["direction"], "exit");
    assert_eq!(live_entries(&app, entrance, lena).await, 1);

    // A retry with the same idempotency key gets the first answer and records nothing new.
    let pieter = guest_ticket(&app, HEIDELBERG, 2).await;
    let pieter_code = code_of(&app, pieter).await;
    let key = fresh_key();
    let (_, once) = device.redeem(HEIDELBERG, entrance, json!({ "code": pieter_code, "idempotency_key": key })).await;
    let (_, again) = device.redeem(HEIDELBERG, entrance, json!({ "code": pieter_code, "idempotency_key": key })).await;
    assert_eq!(verdict(&once), "valid");
    assert_eq!(verdict(&again), "valid", "a retried request is not a duplicate");
    assert_eq!(once["checkin_id"], again["checkin_id"]);
    assert_eq!(live_entries(&app, entrance, pieter).await, 1);

    // Undo the mistaken scan: the ticket may enter again.
    let undo_path = format!("/api/v1/events/{HEIDELBERG}/checkins/{}/undo", once["checkin_id"]);
    assert_eq!(device.post(&undo_path, json!({})).await.0, 204);
    assert_eq!(device.post(&undo_path, json!({})).await.0, 404, "undone once only");
    assert_eq!(verdict(&device.scan(HEIDELBERG, entrance, &pieter_code).await), "valid");

    // Tampered, foreign and junk codes.
    let tampered = code.replacen(&format!(".{lena}."), &format!(".{pieter}."), 1);
    assert_eq!(verdict(&device.scan(HEIDELBERG, entrance, &tampered).await), "unknown");
    assert_eq!(verdict(&device.scan(HEIDELBERG, entrance, "https://example.org/ticket/1").await), "unknown");
    let leuven_code = code_of(&app, guest_ticket(&app, LEUVEN, 1).await).await;
    let wrong = device.scan(HEIDELBERG, entrance, &leuven_code).await;
    assert_eq!(verdict(&wrong), "wrong_event", "{wrong}");
    assert!(wrong["message"].as_str().unwrap().contains("Leuven"), "{wrong}");
    // Leuven's id with a signature of Heidelberg's key is a forgery, not a wrong event.
    let heidelberg_keys =
        app.server.state.badge_keys.for_event(app.db(), event_id(&app, HEIDELBERG).await).await.unwrap();
    let read = code::read(&leuven_code).unwrap();
    let forged = heidelberg_keys.sign(code::BadgeCode { event_id: read.code.event_id, ..read.code });
    assert_eq!(verdict(&device.scan(HEIDELBERG, entrance, &forged).await), "unknown");

    // The speakers' lounge admits speaker and staff tickets only.
    let refused = device.scan(HEIDELBERG, lounge, &code).await;
    assert_eq!(verdict(&refused), "not_admitted", "{refused}");
    let sara = code_of(&app, guest_ticket(&app, HEIDELBERG, 5).await).await;
    assert_eq!(verdict(&device.scan(HEIDELBERG, lounge, &sara).await), "valid");

    // Multiple entry: in, out, in again.
    for direction in ["entry", "exit", "entry"] {
        let (status, body) = device
            .redeem(
                HEIDELBERG,
                plenary,
                json!({ "code": code, "idempotency_key": fresh_key(), "direction": direction }),
            )
            .await;
        assert_eq!((status, verdict(&body)), (200, "valid"), "{body}");
        assert_eq!(body["direction"], direction);
        // The desk's "inside now" follows the latest scan.
        let inside = app::checkin::store::counts(app.db(), event_id(&app, HEIDELBERG).await)
            .await
            .unwrap()
            .into_iter()
            .find(|count| count.id == plenary)
            .unwrap()
            .inside;
        assert_eq!(inside, i64::from(direction == "entry"), "after an {direction}");
    }

    // A cancelled ticket is refused.
    let mette = guest_ticket(&app, HEIDELBERG, 3).await;
    let mette_code = code_of(&app, mette).await;
    let holder = as_user(&app, "guest3.heidelberg@eventxchange.test").await;
    let cancelled = holder.submit("cancel_ticket", &[("id", &mette.to_string())]).await;
    assert!(cancelled.ok(), "{cancelled:?}");
    assert_eq!(verdict(&device.scan(HEIDELBERG, entrance, &mette_code).await), "cancelled");
    assert_eq!(live_entries(&app, entrance, mette).await, 0);

    // Door staff may check in a ticket found by name.
    let andres = guest_ticket(&app, HEIDELBERG, 4).await;
    let (_, by_name) =
        device.redeem(HEIDELBERG, entrance, json!({ "ticket_id": andres, "idempotency_key": fresh_key() })).await;
    assert_eq!(verdict(&by_name), "valid", "{by_name}");
    // Another event's ticket cannot be picked by id.
    let leuven_ticket = guest_ticket(&app, LEUVEN, 2).await;
    let (_, foreign) = device
        .redeem(HEIDELBERG, entrance, json!({ "ticket_id": leuven_ticket, "idempotency_key": fresh_key() }))
        .await;
    assert_eq!(verdict(&foreign), "unknown", "{foreign}");
}

async fn the_device_api_refuses_strangers_and_bad_requests(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let entrance = list_id(&app, HEIDELBERG, "Main entrance").await;
    let code = code_of(&app, guest_ticket(&app, HEIDELBERG, 1).await).await;
    let body = json!({ "code": code, "idempotency_key": fresh_key() });
    // The demo's own entries (its grant-eligible member) are there before.
    let count = || async {
        let n: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from checkins")
            .fetch_one(pool)
            .await
            .unwrap());
        n
    };
    let before = count().await;

    assert_eq!(Device::new(&app, "").redeem(HEIDELBERG, entrance, body.clone()).await.0, 401);
    assert_eq!(Device::new(&app, "exd_forged").redeem(HEIDELBERG, entrance, body.clone()).await.0, 401);
    let leuven_token = device_token(&app, LEUVEN, "organiser.smarthub@eventxchange.test", "Leuven door").await;
    assert_eq!(Device::new(&app, &leuven_token).redeem(HEIDELBERG, entrance, body.clone()).await.0, 403);
    // Organisers of other clusters cannot make devices for this event.
    let other = as_user(&app, "organiser.tartu@eventxchange.test").await;
    let reply = other.submit("create_scanner_device", &[("slug", HEIDELBERG), ("label", "Sneaky")]).await;
    assert_eq!(reply.status, 403);

    let token = device_token(&app, HEIDELBERG, "organiser.biorn@eventxchange.test", "Door B").await;
    let device = Device::new(&app, &token);
    let leuven_list = list_id(&app, LEUVEN, "Main entrance").await;
    assert_eq!(device.redeem(HEIDELBERG, leuven_list, body.clone()).await.0, 404, "another event's list");
    assert_eq!(device.redeem(HEIDELBERG, 999_999, body.clone()).await.0, 404);
    let (status, problem) = device.redeem(HEIDELBERG, entrance, json!({ "code": code })).await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("idempotency_key")), "{problem}");
    let (status, problem) = device
        .redeem(HEIDELBERG, entrance, json!({ "code": code, "ticket_id": 1, "idempotency_key": fresh_key() }))
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("code")), "{problem}");
    let (status, problem) = device
        .redeem(HEIDELBERG, entrance, json!({ "code": code, "idempotency_key": fresh_key(), "direction": "sideways" }))
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("direction")), "{problem}");
    let (status, problem) = device
        .redeem(HEIDELBERG, entrance, json!({ "code": code, "idempotency_key": fresh_key(), "scanned_at": 5 }))
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("scanned_at")), "{problem}");
    let response = device
        .client
        .post(format!("{}/api/v1/events/{HEIDELBERG}/checkin-lists/{entrance}/redeem", app.base()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(count().await, before, "refused requests change nothing");

    // A revoked device is locked out at once.
    let organiser = as_user(&app, "organiser.biorn@eventxchange.test").await;
    let device_id: i64 =
        app::db_run!(app.db(), |pool| sqlx::query_scalar("select id from scanner_devices where label = 'Door B'")
            .fetch_one(pool)
            .await
            .unwrap());
    let reply =
        organiser.submit("revoke_scanner_device", &[("slug", HEIDELBERG), ("id", &device_id.to_string())]).await;
    assert!(reply.ok(), "{reply:?}");
    assert_eq!(device.redeem(HEIDELBERG, entrance, body.clone()).await.0, 401);

    // A scanner's browser session works, with its CSRF token.
    let scanner = as_user(&app, "scanner.heidelberg@eventxchange.test").await;
    let csrf = scanner.csrf().await;
    let url = format!("{}/api/v1/events/{HEIDELBERG}/checkin-lists/{entrance}/redeem", app.base());
    let without = scanner.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(without.status().as_u16(), 403, "no CSRF token, no write");
    let with = scanner.client.post(&url).header("x-csrf-token", csrf).json(&body).send().await.unwrap();
    assert_eq!(with.status().as_u16(), 200);
    let answer: Value = with.json().await.unwrap();
    assert_eq!(verdict(&answer), "valid");
    let leuven_scanner = as_user(&app, "scanner.leuven@eventxchange.test").await;
    let csrf = leuven_scanner.csrf().await;
    let refused = leuven_scanner.client.post(&url).header("x-csrf-token", csrf).json(&body).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    // The API describes itself.
    let (status, spec) = device.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/v1/events/{slug}/checkin-lists/{list}/redeem"]["post"].is_object());
}

/// The writer's batches: however the scans fall into transactions, a ticket enters once, a
/// device's retry gets the first answer, and a key used for two tickets is refused.
async fn one_batch_of_check_ins_keeps_every_rule(backend: Backend) {
    use app::checkin::writer::{Entry, Recorded};
    let app = app_or_skip!(TestApp::spawn(backend));
    let entrance = list_id(&app, HEIDELBERG, "Main entrance").await;
    let event = event_id(&app, HEIDELBERG).await;
    let crowd = app::checkin::demo::crowd(app.db(), event, "Batch", 3).await.unwrap();
    let entry = |ticket: i64, key: &str| Entry {
        list_id: entrance,
        ticket_id: ticket,
        direction: Direction::Entry,
        single_entry: true,
        device: "Batch door".into(),
        idempotency_key: key.into(),
        scanned_at: app::platform::now(),
        offline: false,
    };
    let (a, b, c) = (crowd[0], crowd[1], crowd[2]);
    let scans = [
        entry(a, "batch-a-one"),
        entry(a, "batch-a-two"),
        entry(b, "batch-b"),
        entry(b, "batch-b"),
        entry(c, "batch-b"),
    ];
    // Queued together, so that the writer finds them waiting at once.
    let queued: Vec<_> = scans
        .iter()
        .map(|scan| {
            let (writer, db, scan) = (app.server.state.checkins.clone(), app.db().clone(), scan.clone());
            tokio::spawn(async move { writer.record(&db, scan).await })
        })
        .collect();
    let mut answers: Vec<Recorded> = Vec::new();
    for answer in queued {
        answers.push(answer.await.unwrap().unwrap());
    }
    let id = |answer: &Recorded| match answer {
        Recorded::New(id) | Recorded::Replayed(id) => Some(*id),
        _ => None,
    };
    let a_in: Vec<_> = answers[..2].iter().filter_map(id).collect();
    assert_eq!(a_in.len(), 1, "one of two scans of a ticket enters: {answers:?}");
    assert!(
        answers[..2]
            .iter()
            .any(|answer| matches!(answer, Recorded::Duplicate(Some(earlier)) if earlier.device == "Batch door")),
        "the other is told where it entered: {answers:?}"
    );
    // One key, three scans: whichever ticket it reached first enters (B's retry gets B's first
    // answer), and the key is refused for the other ticket.
    let (b_twice, c_once) = ((id(&answers[2]), id(&answers[3])), id(&answers[4]));
    let b_entered = b_twice.0.is_some();
    if b_entered {
        assert_eq!(b_twice.0, b_twice.1, "a retry gets the first answer: {answers:?}");
        assert!(matches!(answers[4], Recorded::KeyReused), "a key is one scan's: {answers:?}");
    } else {
        assert!(c_once.is_some(), "{answers:?}");
        assert!(answers[2..4].iter().all(|answer| matches!(answer, Recorded::KeyReused)), "{answers:?}");
    }
    for (ticket, live) in [(a, 1), (b, i64::from(b_entered)), (c, i64::from(!b_entered))] {
        assert_eq!(live_entries(&app, entrance, ticket).await, live);
    }
}

async fn eight_devices_scanning_one_ticket_admit_it_once(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let entrance = list_id(&app, HEIDELBERG, "Main entrance").await;
    let mut devices = Vec::new();
    for n in 0..8 {
        let token = device_token(&app, HEIDELBERG, "organiser.biorn@eventxchange.test", &format!("Door {n}")).await;
        devices.push(std::sync::Arc::new(Device::new(&app, &token)));
    }
    let event = event_id(&app, HEIDELBERG).await;
    let crowd = app::checkin::demo::crowd(app.db(), event, "Race", 10).await.unwrap();
    for ticket in crowd {
        let code = code_of(&app, ticket).await;
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(devices.len()));
        let scans: Vec<_> = devices
            .iter()
            .map(|device| {
                let (device, code, barrier) = (device.clone(), code.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    device.scan(HEIDELBERG, entrance, &code).await
                })
            })
            .collect();
        let mut verdicts = Vec::new();
        for scan in scans {
            verdicts.push(verdict(&scan.await.unwrap()).to_string());
        }
        assert_eq!(verdicts.iter().filter(|v| *v == "valid").count(), 1, "{verdicts:?}");
        assert_eq!(verdicts.iter().filter(|v| *v == "already_checked_in").count(), 7, "{verdicts:?}");
        assert_eq!(live_entries(&app, entrance, ticket).await, 1);
    }
}

async fn offline_scanners_judge_with_the_downloaded_bundle(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let token = device_token(&app, HEIDELBERG, "organiser.biorn@eventxchange.test", "Offline door").await;
    let device = Device::new(&app, &token);
    let entrance = list_id(&app, HEIDELBERG, "Main entrance").await;
    let lena = guest_ticket(&app, HEIDELBERG, 1).await;
    let pieter = guest_ticket(&app, HEIDELBERG, 2).await;
    let mette = guest_ticket(&app, HEIDELBERG, 3).await;
    let lena_code = code_of(&app, lena).await;
    let pieter_code = code_of(&app, pieter).await;
    let mette_code = code_of(&app, mette).await;
    let leuven_code = code_of(&app, guest_ticket(&app, LEUVEN, 1).await).await;
    assert_eq!(verdict(&device.scan(HEIDELBERG, entrance, &lena_code).await), "valid");
    // Mette gives her ticket back, so her code is revoked.
    let holder = as_user(&app, "guest3.heidelberg@eventxchange.test").await;
    assert!(holder.submit("cancel_ticket", &[("id", &mette.to_string())]).await.ok());

    let (status, bundle) = device.get(&format!("/api/v1/events/{HEIDELBERG}/checkin-lists/{entrance}/offline")).await;
    assert_eq!(status, 200, "{bundle}");
    let bundle: OfflineBundle = serde_json::from_value(bundle).unwrap();
    assert!(bundle.checked_in.contains(&lena));
    assert!(bundle.keys.len() >= 2, "other events' keys tell a wrong event from a forgery");

    let offline = |text: &str, local: &[i64]| judge_offline(&bundle, Some(text), None, Direction::Entry, local).verdict;
    assert_eq!(offline(&pieter_code, &[]), Verdict::Valid);
    assert_eq!(offline(&pieter_code, &[pieter]), Verdict::AlreadyCheckedIn, "scanned before on this device");
    assert_eq!(offline(&lena_code, &[]), Verdict::AlreadyCheckedIn, "checked in before the download");
    assert_eq!(offline(&mette_code, &[]), Verdict::Cancelled);
    assert_eq!(offline(&leuven_code, &[]), Verdict::WrongEvent);
    let tampered = pieter_code.replacen(&format!(".{pieter}."), &format!(".{lena}."), 1);
    assert_eq!(offline(&tampered, &[]), Verdict::Unknown);

    // Two offline devices both let Pieter in; when they sync, one entry is recorded and the
    // other is told it was a duplicate. Both scans are kept by the server's answer, none lost.
    let second =
        Device::new(&app, &device_token(&app, HEIDELBERG, "organiser.biorn@eventxchange.test", "Door 2").await);
    let scanned_at = app::platform::now() - 120;
    let body =
        || json!({ "code": pieter_code, "idempotency_key": fresh_key(), "scanned_at": scanned_at, "offline": true });
    let (a, b) = tokio::join!(device.redeem(HEIDELBERG, entrance, body()), second.redeem(HEIDELBERG, entrance, body()));
    let mut verdicts = [verdict(&a.1).to_string(), verdict(&b.1).to_string()];
    verdicts.sort();
    assert_eq!(verdicts, ["already_checked_in".to_string(), "valid".to_string()]);
    let stored: (i64, bool) = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select scanned_at, offline from checkins where ticket_id = $1 and list_id = $2"
    )
    .bind(pieter)
    .bind(entrance)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(stored, (scanned_at, true), "the offline scan keeps its own time");
}

/// What a scanner device is sent holds the least a verdict needs (no names of people who may
/// not enter), and after the first download only what changed since, compressed.
async fn offline_data_is_minimal_and_comes_as_changes(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let token = device_token(&app, HEIDELBERG, "organiser.biorn@eventxchange.test", "Privacy door").await;
    let device = Device::new(&app, &token);
    let entrance = list_id(&app, HEIDELBERG, "Main entrance").await;
    let path = format!("/api/v1/events/{HEIDELBERG}/checkin-lists/{entrance}/offline");
    let (lena, pieter, mette, jonas) = (
        guest_ticket(&app, HEIDELBERG, 1).await,
        guest_ticket(&app, HEIDELBERG, 2).await,
        guest_ticket(&app, HEIDELBERG, 3).await,
        guest_ticket(&app, HEIDELBERG, 4).await,
    );
    let lena_entry = device.scan(HEIDELBERG, entrance, &code_of(&app, lena).await).await;
    let pieter_code = code_of(&app, pieter).await;
    let holder = as_user(&app, "guest3.heidelberg@eventxchange.test").await;
    assert!(holder.submit("cancel_ticket", &[("id", &mette.to_string())]).await.ok());

    let (status, raw) = device.get(&path).await;
    assert_eq!(status, 200, "{raw}");
    let entry = |raw: &Value, id: i64| raw["tickets"].as_array().unwrap().iter().find(|t| t["id"] == id).cloned();
    let cancelled = entry(&raw, mette).expect("a cancelled ticket is listed, so it can be refused");
    assert_eq!(cancelled["confirmed"], false);
    assert!(cancelled.get("name").is_none() && cancelled.get("organisation").is_none(), "{cancelled}");
    let name: String =
        app::db_run!(app.db(), |pool| sqlx::query_scalar("select attendee_name from tickets where id = $1")
            .bind(mette)
            .fetch_one(pool)
            .await
            .unwrap());
    assert!(!raw.to_string().contains(&name), "no trace of {name}");
    assert!(entry(&raw, pieter).unwrap()["name"].as_str().is_some_and(|n| !n.is_empty()));
    let mut kept: OfflineBundle = serde_json::from_value(raw.clone()).unwrap();
    let ends_at: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar("select ends_at from events where slug = $1")
        .bind(HEIDELBERG)
        .fetch_one(pool)
        .await
        .unwrap());
    assert!(kept.keep_until > ends_at && !kept.expired(app::platform::now()), "kept until the event is over");
    assert!(kept.expired(ends_at + 24 * 3600));

    // Compressed for clients that accept it.
    let zipped = reqwest::Client::new()
        .get(format!("{}{path}", app.base()))
        .bearer_auth(&token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    let zipped_len = zipped.bytes().await.unwrap().len();
    assert!(zipped_len * 2 < raw.to_string().len(), "{zipped_len} bytes zipped");

    // Everything so far happened long ago (as far as the delta can tell).
    for sql in
        ["update tickets set changed_at = changed_at - 3600", "update checkins set recorded_at = recorded_at - 3600"]
    {
        app::db_run!(app.db(), |pool| sqlx::query(sql).execute(pool).await.map(|d| d.rows_affected()).unwrap());
    }
    let since = kept.made_at;
    let (status, quiet) = device.get(&format!("{path}?since={since}")).await;
    assert_eq!(status, 200, "{quiet}");
    assert_eq!(quiet["changes_since"], since);
    assert_eq!(quiet["tickets"], json!([]), "nothing changed: nothing sent");
    assert_eq!((quiet["checked_in"].clone(), quiet["not_checked_in"].clone()), (json!([]), json!([])));

    // Now: Pieter enters, Lena's entry is undone, Jonas cancels.
    device.scan(HEIDELBERG, entrance, &pieter_code).await;
    let undo = format!("/api/v1/events/{HEIDELBERG}/checkins/{}/undo", lena_entry["checkin_id"]);
    let undone = device.client.post(format!("{}{undo}", app.base())).bearer_auth(&token).send().await.unwrap();
    assert_eq!(undone.status().as_u16(), 204);
    let jonas_holder = as_user(&app, "guest4.heidelberg@eventxchange.test").await;
    assert!(jonas_holder.submit("cancel_ticket", &[("id", &jonas.to_string())]).await.ok());

    let (_, delta) = device.get(&format!("{path}?since={since}")).await;
    let changed: Vec<i64> = delta["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert_eq!(changed, vec![jonas], "{delta}");
    assert!(delta["tickets"][0].get("name").is_none(), "cancelled: sent without a name");
    assert_eq!(delta["checked_in"], json!([pieter]));
    assert_eq!(delta["not_checked_in"], json!([lena]));
    // The kept copy with the delta applied is what a full download gives now.
    let delta: OfflineBundle = serde_json::from_value(delta).unwrap();
    assert!(kept.apply(delta));
    let (_, now_full) = device.get(&path).await;
    let full: OfflineBundle = serde_json::from_value(now_full).unwrap();
    assert_eq!(kept.tickets, full.tickets);
    assert_eq!(kept.checked_in, full.checked_in);

    let (status, bad) = device.get(&format!("{path}?since=yesterday")).await;
    assert_eq!(status, 422, "{bad}");
}

async fn organisers_set_up_lists_and_watch_the_counts(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    // The scanner page for the event's scanner; others are refused.
    let scanner = as_user(&app, "scanner.heidelberg@eventxchange.test").await;
    let (status, html) = scanner.page(&format!("/scan/{HEIDELBERG}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Main entrance") && html.contains("Scan or type a badge code"), "{html}");
    assert_eq!(
        as_user(&app, "scanner.leuven@eventxchange.test").await.page(&format!("/scan/{HEIDELBERG}")).await.0,
        403
    );

    // A scan from the page.
    let entrance = list_id(&app, HEIDELBERG, "Main entrance").await;
    let code = code_of(&app, guest_ticket(&app, HEIDELBERG, 1).await).await;
    let key = fresh_key();
    let fields = [
        ("slug", HEIDELBERG),
        ("list", &entrance.to_string()),
        ("code", code.as_str()),
        ("key", key.as_str()),
        ("direction", "entry"),
        ("station", "Door A"),
        ("offline", "false"),
    ];
    let reply = scanner.submit("scan_badge", &fields).await;
    assert!(reply.ok(), "{reply:?}");
    assert_eq!(reply.body["verdict"], "valid");
    let another_key = fresh_key();
    let again: Vec<(&str, &str)> = fields
        .iter()
        .map(|&(name, value)| if name == "key" { (name, another_key.as_str()) } else { (name, value) })
        .collect();
    let reply = scanner.submit("scan_badge", &again).await;
    assert_eq!(reply.body["verdict"], "already_checked_in", "{reply:?}");
    assert_eq!(reply.body["earlier"]["device"], "Door A (Door Heidelberg)");

    // Live counts: one of the 41 confirmed demo tickets (5 guests, 36 B2B participants) is in.
    let organiser = as_user(&app, "organiser.biorn@eventxchange.test").await;
    let reply = organiser.fetch("checkin_overview", &[("slug", HEIDELBERG)]).await;
    assert!(reply.ok(), "{reply:?}");
    let lists = reply.body["lists"].as_array().unwrap();
    let main = lists.iter().find(|l| l["name"] == "Main entrance").unwrap();
    assert_eq!((main["checked_in"].as_i64(), main["expected"].as_i64()), (Some(1), Some(41)));
    assert_eq!(main["inside"].as_i64(), Some(1));
    let lounge = lists.iter().find(|l| l["name"] == "Speakers' lounge").unwrap();
    assert_eq!(lounge["expected"].as_i64(), Some(1), "only the speaker is expected there");
    assert_eq!(reply.body["arrivals"].as_array().unwrap().iter().map(|a| a[1].as_i64().unwrap()).sum::<i64>(), 1);
    let (status, desk) = organiser.page(&format!("/organise/{HEIDELBERG}/checkin")).await;
    assert_eq!(status, 200);
    assert!(desk.contains("Arrivals per 10 minutes"));

    // A new list through the plain form, admitting two ticket types.
    let types: Vec<i64> = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select tt.id from ticket_types tt join events e on e.id = tt.event_id
          where e.slug = $1 and tt.name in ('Member ticket', 'Staff ticket') order by tt.id"
    )
    .bind(HEIDELBERG)
    .fetch_all(pool)
    .await
    .unwrap());
    let csrf = organiser.csrf().await;
    let post = |fields: Vec<(&'static str, String)>| {
        let client = organiser.client.clone();
        let url = format!("{}/organise/{HEIDELBERG}/checkin/lists", app.base());
        async move {
            let response = client.post(url).form(&fields).send().await.unwrap();
            (response.status().as_u16(), response.headers().get("location").map(|l| l.to_str().unwrap().to_string()))
        }
    };
    let (status, location) = post(vec![
        ("csrf", csrf.clone()),
        ("name", "Workshop room".into()),
        ("kind", "session".into()),
        ("multi_entry", "on".into()),
        ("admits", types[0].to_string()),
        ("admits", types[1].to_string()),
    ])
    .await;
    assert_eq!((status, location.as_deref()), (303, Some(&*format!("/organise/{HEIDELBERG}/checkin"))));
    let workshop = list_id(&app, HEIDELBERG, "Workshop room").await;
    let admitted: Vec<i64> = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select ticket_type_id from checkin_list_ticket_types where list_id = $1 order by ticket_type_id"
    )
    .bind(workshop)
    .fetch_all(pool)
    .await
    .unwrap());
    assert_eq!(admitted, types);
    // Bad input is named and changes nothing.
    let lists_before: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from checkin_lists")
        .fetch_one(pool)
        .await
        .unwrap());
    let (_, location) =
        post(vec![("csrf", csrf.clone()), ("name", "Workshop room".into()), ("kind", "session".into())]).await;
    assert!(location.unwrap().contains("error=This%20event%20already%20has%20a%20list"));
    let (_, location) = post(vec![("csrf", csrf.clone()), ("name", " ".into()), ("kind", "session".into())]).await;
    assert!(location.unwrap().contains("error=Give%20the%20list%20a%20name"));
    let (_, location) = post(vec![("csrf", csrf.clone()), ("name", "Odd".into()), ("kind", "garden".into())]).await;
    assert!(location.unwrap().contains("error=Choose%20entrance"));
    let (status, _) =
        post(vec![("csrf", "forged".into()), ("name", "Forged".into()), ("kind", "session".into())]).await;
    assert_eq!(status, 403);
    let lists_after: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from checkin_lists")
        .fetch_one(pool)
        .await
        .unwrap());
    assert_eq!(lists_before, lists_after);

    // Changing a list: the same form with its id.
    let (status, _) = post(vec![
        ("csrf", csrf.clone()),
        ("id", workshop.to_string()),
        ("name", "Workshop room A".into()),
        ("kind", "b2b".into()),
        ("admits", types[1].to_string()),
    ])
    .await;
    assert_eq!(status, 303);
    let changed: (String, String, bool, bool) = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select name, kind, multi_entry, all_ticket_types from checkin_lists where id = $1"
    )
    .bind(workshop)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(changed, ("Workshop room A".to_string(), "b2b".to_string(), false, false));
    // Another event's list cannot be changed from here.
    let leuven = list_id(&app, LEUVEN, "Main entrance").await;
    let (status, _) = post(vec![
        ("csrf", csrf.clone()),
        ("id", leuven.to_string()),
        ("name", "Hijacked".into()),
        ("kind", "session".into()),
    ])
    .await;
    assert_eq!(status, 404);
    assert_eq!(list_id(&app, LEUVEN, "Main entrance").await, leuven, "unchanged");

    // A list with check-ins stays; an unused one can be removed.
    let kept = organiser.submit("remove_checkin_list", &[("slug", HEIDELBERG), ("id", &entrance.to_string())]).await;
    assert_eq!((kept.status, kept.error_field().as_deref()), (422, Some("list")), "{kept:?}");
    let removed = organiser.submit("remove_checkin_list", &[("slug", HEIDELBERG), ("id", &workshop.to_string())]).await;
    assert!(removed.ok(), "{removed:?}");
    let left: i64 =
        app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from checkin_lists where id = $1")
            .bind(workshop)
            .fetch_one(pool)
            .await
            .unwrap());
    assert_eq!(left, 0);
}

async fn acknowledged_check_ins_survive_kill_9(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let event = event_id(&app, HEIDELBERG).await;
    let crowd = app::checkin::demo::crowd(app.db(), event, "Durable", 3000).await.unwrap();
    let codes = badges::codes_of(app.db(), &app.server.state.badge_keys, event, &crowd).await.unwrap();
    assert_eq!(codes.len(), crowd.len());
    let entrance = list_id(&app, HEIDELBERG, "Main entrance").await;
    let token = device_token(&app, HEIDELBERG, "organiser.biorn@eventxchange.test", "Turnstile").await;

    let mut process = ServerProcess::start(&app.database.url).await;
    let codes = std::sync::Arc::new(codes);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(i64, i64)>::new()));
    // Every answer that is not a valid entry: each code is scanned once, so there must be none.
    let failed = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    // Told when 200 check-ins are acknowledged: the moment to kill the server.
    let under_load = std::sync::Arc::new(tokio::sync::Notify::new());
    let mut scanners = Vec::new();
    for _ in 0..16 {
        let (codes, next, acknowledged, failed, under_load) =
            (codes.clone(), next.clone(), acknowledged.clone(), failed.clone(), under_load.clone());
        let device = Device { client: reqwest::Client::new(), base: process.base.clone(), token: token.clone() };
        scanners.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((ticket, code)) = codes.get(n) else { return };
                let body = json!({ "code": code, "idempotency_key": fresh_key() });
                // Once the server is gone, requests fail: the scanner stops.
                let Ok(response) = device
                    .client
                    .post(format!("{}/api/v1/events/{HEIDELBERG}/checkin-lists/{entrance}/redeem", device.base))
                    .bearer_auth(&device.token)
                    .json(&body)
                    .send()
                    .await
                else {
                    return;
                };
                let status = response.status().as_u16();
                let Ok(answer) = response.json::<Value>().await else { return };
                if status != 200 || verdict(&answer) != "valid" {
                    failed.lock().unwrap().push(format!("{status}: {answer}"));
                } else {
                    let mut acknowledged = acknowledged.lock().unwrap();
                    acknowledged.push((*ticket, answer["checkin_id"].as_i64().unwrap()));
                    if acknowledged.len() == 200 {
                        under_load.notify_one();
                    }
                }
            }
        }));
    }
    // Kill the server in the middle of the load.
    tokio::time::timeout(Duration::from_secs(60), under_load.notified()).await.expect("the load did not get going");
    process.kill_9();
    for scanner in scanners {
        scanner.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() < crowd.len(), "the kill came before the load was done");
    let failed = failed.lock().unwrap().clone();
    assert!(
        failed.is_empty(),
        "{} scans answered with a failure before the kill: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );

    // After a restart, every acknowledged check-in is there, and still counts.
    let process = ServerProcess::start(&app.database.url).await;
    let stored: Vec<(i64, i64)> = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select ticket_id, id from checkins where list_id = $1 and undone_at is null"
    )
    .bind(entrance)
    .fetch_all(pool)
    .await
    .unwrap());
    for entry in &acknowledged {
        assert!(stored.contains(entry), "acknowledged check-in {entry:?} was lost");
    }
    // Beyond those, at most the scans in flight at the kill (one per scanner) may have committed
    // without their answer arriving.
    assert!(stored.len() <= acknowledged.len() + 16, "{} stored, {} acknowledged", stored.len(), acknowledged.len());
    let device = Device { client: reqwest::Client::new(), base: process.base.clone(), token };
    let (ticket, _) = acknowledged[0];
    let code = &codes.iter().find(|(t, _)| *t == ticket).unwrap().1;
    assert_eq!(verdict(&device.scan(HEIDELBERG, entrance, code).await), "already_checked_in");
}

async fn badge_keys_are_wrapped_with_the_server_secret(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn_configured(backend, |c| {
        c.badge_key_secret = Some("correct horse battery staple, but longer".into());
    }));
    let lena = guest_ticket(&app, HEIDELBERG, 1).await;
    let code = code_of(&app, lena).await;
    let event = event_id(&app, HEIDELBERG).await;
    let stored: String = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select secret_key from event_badge_keys where event_id = $1"
    )
    .bind(event)
    .fetch_one(pool)
    .await
    .unwrap());
    assert!(stored.starts_with("v1:"), "the stored key is wrapped: {stored}");
    let token = device_token(&app, HEIDELBERG, "organiser.biorn@eventxchange.test", "Door A").await;
    let entrance = list_id(&app, HEIDELBERG, "Main entrance").await;
    assert_eq!(verdict(&Device::new(&app, &token).scan(HEIDELBERG, entrance, &code).await), "valid");
    // Without the secret, or with another one, the database alone signs nothing.
    assert!(BadgeKeys::new(None).for_event(app.db(), event).await.is_err());
    assert!(BadgeKeys::new(Some("a guess")).for_event(app.db(), event).await.is_err());
}

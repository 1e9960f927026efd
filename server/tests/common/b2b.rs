//! What the B2B matchmaking and calendar tests share: the demo's Heidelberg participants, its
//! slots, and the request and answer steps as a browser makes them.

use app::platform::now;

use super::{Browser, Reply, TestApp};

pub const HEIDELBERG: &str = "heidelberg-2027";

pub async fn scalar(app: &TestApp, sql: &'static str, id: i64) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar(sql).bind(id).fetch_one(pool).await.expect(sql))
}

/// The demo's B2B participant `n` (1…36) of Heidelberg: (ticket id, user id).
pub async fn demo_participant(app: &TestApp, n: usize) -> (i64, i64) {
    app::db_run!(app.db(), |pool| sqlx::query_as("select id, user_id from tickets where email = $1")
        .bind(format!("b2b{n}.heidelberg@eventxchange.test"))
        .fetch_one(pool)
        .await
        .unwrap())
}

/// A browser signed in as demo participant `n`, and their ticket id.
pub async fn as_participant(app: &TestApp, n: usize) -> (i64, Browser) {
    let (ticket, user) = demo_participant(app, n).await;
    (ticket, app.browser_as(user).await)
}

pub async fn event_id(app: &TestApp) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar("select id from events where slug = $1")
        .bind(HEIDELBERG)
        .fetch_one(pool)
        .await
        .unwrap())
}

pub async fn slot_ids(app: &TestApp) -> Vec<i64> {
    let event = event_id(app).await;
    app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select id from b2b_slots where event_id = $1 and active order by starts_at"
    )
    .bind(event)
    .fetch_all(pool)
    .await
    .unwrap())
}

pub async fn request(browser: &Browser, participant: i64, slot: &str) -> Reply {
    browser
        .submit(
            "request_meeting",
            &[("slug", HEIDELBERG), ("participant", &participant.to_string()), ("slot", slot), ("message", "Hello")],
        )
        .await
}

pub async fn answer(browser: &Browser, meeting: i64, answer: &str) -> Reply {
    browser
        .submit("answer_meeting", &[("slug", HEIDELBERG), ("meeting", &meeting.to_string()), ("answer", answer)])
        .await
}

pub fn field(reply: &Reply) -> String {
    assert_eq!(reply.error_kind().as_deref(), Some("Invalid"), "{reply:?}");
    reply.error_field().unwrap_or_default()
}

/// An entry at the Heidelberg main entrance for the ticket, as a door scan records it.
pub async fn check_in(app: &TestApp, ticket: i64) {
    let event = event_id(app).await;
    app::db_run!(app.db(), |pool| sqlx::query(
        "insert into checkins (list_id, ticket_id, direction, single_entry, device, idempotency_key, scanned_at,
                               recorded_at, offline)
         select id, $1, 'entry', true, 'test door', $2, $3, $3, false from checkin_lists
          where event_id = $4 and name = 'Main entrance'"
    )
    .bind(ticket)
    .bind(format!("held-{ticket}"))
    .bind(now())
    .bind(event)
    .execute(pool)
    .await
    .map(|d| d.rows_affected())
    .unwrap());
}

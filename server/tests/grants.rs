//! ClusterXchange eligibility against a running server, on SQLite and PostgreSQL: a demo member's
//! cross-border meeting confirmed at the table counts only once both were checked in, a no-show
//! report against it holds it back until the organisers decide, and the verdict names every
//! rule and what is missing.

mod common;

use common::b2b::{check_in, demo_participant, HEIDELBERG};
use common::{Backend, Browser, Reply, TestApp};

on_both_backends!(eligibility_follows_verified_cross_border_meetings);

/// The demo's meeting (an agreed one, confirmed at the table) of participant `n` as requester.
async fn confirmed_meeting_of(app: &TestApp, n: usize) -> (i64, i64) {
    let (ticket, _) = demo_participant(app, n).await;
    app::db_run!(app.db(), |pool| sqlx::query_as(
        "select id, recipient_ticket_id from meetings
          where requester_ticket_id = $1 and status = 'accepted' and held_confirmed_at is not null"
    )
    .bind(ticket)
    .fetch_one(pool)
    .await
    .unwrap())
}

async fn verdict(browser: &Browser) -> Reply {
    let reply = browser.fetch("grant_verdict", &[]).await;
    assert!(reply.ok(), "{reply:?}");
    reply
}

async fn eligibility_follows_verified_cross_border_meetings(backend: Backend) {
    let app = app_or_skip!(backend);
    // Participant 1 (BioRN, Germany) met participant 2 (Smart Hub, Belgium); the demo confirmed
    // it at the table, but nobody was checked in.
    let (ticket, user) = demo_participant(&app, 1).await;
    let member = app.browser_as(user).await;
    let (meeting, partner) = confirmed_meeting_of(&app, 1).await;
    let reply = verdict(&member).await;
    assert_eq!(reply.body["eligible"], false);
    assert_eq!(reply.body["missing"], "1 more verified meeting with a cluster outside Germany");
    let rules = reply.body["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(rules[0]["passed"], true);
    assert_eq!(rules[1]["passed"], false);
    assert!(rules[1]["detail"].as_str().unwrap().contains("1 agreed but not verified as held"), "{rules:?}");
    let listed = reply.body["meetings"].as_array().unwrap();
    let row = listed.iter().find(|m| m["id"] == meeting).expect("the meeting is listed");
    assert_eq!((row["verified_held"].clone(), row["counts"].clone()), (false.into(), false.into()));
    assert!(row["partner"].as_str().unwrap().ends_with("(Belgium)"), "{row:?}");

    // One of them checked in: still not. Both: eligible, and the meeting counts.
    check_in(&app, ticket).await;
    assert_eq!(verdict(&member).await.body["eligible"], false);
    check_in(&app, partner).await;
    let reply = verdict(&member).await;
    assert_eq!(reply.body["eligible"], true, "{reply:?}");
    assert_eq!(reply.body["missing"], serde_json::Value::Null);
    let row = reply.body["meetings"].as_array().unwrap().iter().find(|m| m["id"] == meeting).cloned().unwrap();
    assert_eq!(row["counts"], true);
    let (status, html) = member.page("/grants").await;
    assert_eq!(status, 200);
    assert!(html.contains("You are eligible to apply") && html.contains("ClusterXchange 2027"), "the page");

    // The demo's disputed meeting (participant 9 met 10, confirmed and reported as missed):
    // both checked in, it still does not count until the organisers decide it was held.
    let (ticket9, user9) = demo_participant(&app, 9).await;
    let disputed_member = app.browser_as(user9).await;
    let (disputed, partner9) = confirmed_meeting_of(&app, 9).await;
    check_in(&app, ticket9).await;
    check_in(&app, partner9).await;
    assert_eq!(verdict(&disputed_member).await.body["eligible"], false, "an open dispute holds it back");
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let decided = organiser
        .submit("decide_no_show", &[("slug", HEIDELBERG), ("meeting", &disputed.to_string()), ("held", "true")])
        .await;
    assert!(decided.ok(), "{decided:?}");
    assert_eq!(verdict(&disputed_member).await.body["eligible"], true, "decided: held");

    // Signed out: no verdict.
    let anonymous = app.browser();
    assert_eq!(anonymous.fetch("grant_verdict", &[]).await.status, 401);
}

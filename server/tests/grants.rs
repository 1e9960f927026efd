//! ClusterXchange eligibility against a running server, on SQLite and PostgreSQL: a demo member's
//! cross-border meeting confirmed at the table counts only once both were checked in, a no-show
//! report against it holds it back until the organisers decide, and the verdict names every
//! rule and what is missing; applications refused on bad input, and concurrent approvals that
//! never over-commit the budget nor fund an organisation twice.

mod common;

use common::b2b::{check_in, demo_participant, HEIDELBERG};
use common::{Backend, Browser, Reply, ServerProcess, TestApp};

on_both_backends!(
    eligibility_follows_verified_cross_border_meetings,
    applications_are_checked_and_approvals_never_over_commit,
    approvals_through_three_server_processes_never_over_commit,
);

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

async fn scalar(app: &TestApp, sql: &'static str, id: i64) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar(sql).bind(id).fetch_one(pool).await.expect(sql))
}

async fn apply(browser: &Browser, host_city: &str, first: &str, last: &str) -> Reply {
    browser
        .submit(
            "submit_grant_application",
            &[
                ("host_organisation", "Smart Hub Partner 2"),
                ("host_city", host_city),
                ("visitor_city", "Heidelberg"),
                ("first_day", first),
                ("last_day", last),
                ("goals", "Validate our assay with a Flemish lab."),
                ("agenda", "Day 1 lab tour; days 2-5 joint experiments."),
            ],
        )
        .await
}

/// A submitted €390 application of `organisation` (its key `key`), written directly: the
/// approval is what is under test.
async fn submitted_application(
    app: &TestApp,
    (programme, cluster, user): (i64, i64, i64),
    organisation: impl ToString,
    key: impl ToString,
) -> i64 {
    let (organisation, key) = (organisation.to_string(), key.to_string());
    app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "insert into grant_applications (programme_id, applicant_user_id, organisation, organisation_key, cluster_id,
                                         country, visitor_city, host_organisation, host_city, host_country,
                                         distance_km, first_day, last_day, working_days, goals, agenda, amount,
                                         amount_lines, verdict, status, reason, created_at, updated_at)
         values ($1, $2, $3, $4, $5, 'DE', 'Heidelberg', 'Host', 'Leuven', 'BE', 380, '2027-11-08', '2027-11-10',
                 3, 'Goals', 'Agenda', 39000, '[]', '[]', 'submitted', '', 0, 0) returning id"
    )
    .bind(programme)
    .bind(user)
    .bind(&organisation)
    .bind(&key)
    .bind(cluster)
    .fetch_one(pool)
    .await
    .unwrap())
}

fn field(reply: &Reply) -> String {
    assert_eq!(reply.error_kind().as_deref(), Some("Invalid"), "{reply:?}");
    reply.error_field().unwrap_or_default()
}

async fn applications_are_checked_and_approvals_never_over_commit(backend: Backend) {
    let app = app_or_skip!(backend);
    let (ticket, user) = demo_participant(&app, 1).await;
    let member = app.browser_as(user).await;
    // Not eligible yet: refused with what is missing.
    let refused = apply(&member, "Leuven", "2027-11-08", "2027-11-12").await;
    assert_eq!(field(&refused), "host_organisation");
    assert!(refused.body.to_string().contains("1 more verified meeting"), "{refused:?}");
    let (_, partner) = confirmed_meeting_of(&app, 1).await;
    check_in(&app, ticket).await;
    check_in(&app, partner).await;

    // Bad input writes nothing.
    let count = || scalar(&app, "select count(*) from grant_applications where id > $1", 0);
    assert_eq!(field(&apply(&member, "Atlantis", "2027-11-08", "2027-11-12").await), "host_city");
    assert_eq!(field(&apply(&member, "Mannheim", "2027-11-08", "2027-11-12").await), "host_city", "same country");
    assert_eq!(field(&apply(&member, "Leuven", "2027-11-08", "2027-11-09").await), "last_day", "2 working days");
    assert_eq!(field(&apply(&member, "Leuven", "8 Nov", "2027-11-12").await), "first_day");
    assert_eq!(count().await, 0);

    // Monday to Friday, over 300 km: the full lump sum, explained.
    let submitted = apply(&member, "Leuven", "2027-11-08", "2027-11-12").await;
    assert!(submitted.ok(), "{submitted:?}");
    let first = submitted.body.as_i64().unwrap();
    assert_eq!(scalar(&app, "select amount from grant_applications where id = $1", first).await, 78_000);
    assert_eq!(scalar(&app, "select working_days from grant_applications where id = $1", first).await, 5);
    // A second application of the same organisation: refused.
    assert_eq!(field(&apply(&member, "Leuven", "2027-11-15", "2027-11-19").await), "host_organisation");

    // Applicants and other clusters' organisers cannot decide it.
    let decide = |browser: Browser, id: i64| async move {
        browser
            .submit(
                "decide_grant_application",
                &[("application", &id.to_string()), ("approve", "true"), ("reason", "")],
            )
            .await
    };
    assert_eq!(decide(member.clone(), first).await.status, 403);
    let tartu = app.signed_in("organiser.tartu@eventxchange.test").await;
    assert_eq!(decide(tartu.clone(), first).await.status, 404);
    let listed = tartu.fetch("grant_reviews", &[]).await;
    assert!(listed.body["applications"].as_array().unwrap().is_empty(), "{listed:?}");

    // 19 more submitted applications of BioRN members, all €390, and a budget with room for 7.
    let (programme, cluster): (i64, i64) = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select programme_id, cluster_id from grant_applications where id = $1"
    )
    .bind(first)
    .fetch_one(pool)
    .await
    .unwrap());
    let mut ids = vec![first];
    for n in 0..19 {
        let id: i64 =
            submitted_application(&app, (programme, cluster, user), format!("Visitor {n}"), format!("visitor {n}"))
                .await;
        ids.push(id);
    }
    app::db_run!(app.db(), |pool| {
        sqlx::query("update grant_applications set amount = 39000 where id = $1")
            .bind(first)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("update grant_programmes set budget = 273000 where id = $1")
            .bind(programme)
            .execute(pool)
            .await
            .unwrap();
    });
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let storm: Vec<_> = ids
        .iter()
        .map(|id| {
            let (organiser, id) = (organiser.clone(), *id);
            tokio::spawn(async move {
                organiser
                    .submit(
                        "decide_grant_application",
                        &[("application", &id.to_string()), ("approve", "true"), ("reason", "")],
                    )
                    .await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in storm {
        replies.push(task.await.unwrap());
    }
    let approved = replies.iter().filter(|r| r.ok()).count();
    assert_eq!(approved, 7, "exactly the budget's room: {replies:?}");
    for reply in replies.iter().filter(|r| !r.ok()) {
        assert_eq!(field(reply), "application");
        assert!(reply.body.to_string().contains("The budget has no room"), "{reply:?}");
    }
    assert_eq!(scalar(&app, "select committed from grant_programmes where id = $1", programme).await, 273_000);
    assert_eq!(
        scalar(
            &app,
            "select count(*) from grant_applications where programme_id = $1 and status = 'approved'",
            programme
        )
        .await,
        7
    );

    // Funded once: another application of an approved organisation cannot be approved, even
    // with room in the budget.
    app::db_run!(app.db(), |pool| {
        sqlx::query("update grant_programmes set budget = 1000000 where id = $1")
            .bind(programme)
            .execute(pool)
            .await
            .unwrap();
    });
    let funded: String = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select organisation_key from grant_applications where programme_id = $1 and status = 'approved' limit 1"
    )
    .bind(programme)
    .fetch_one(pool)
    .await
    .unwrap());
    let again: i64 = submitted_application(&app, (programme, cluster, user), "Again", &funded).await;
    let twice = decide(organiser.clone(), again).await;
    assert!(twice.body.to_string().contains("funded once"), "{twice:?}");
    assert_eq!(scalar(&app, "select committed from grant_programmes where id = $1", programme).await, 273_000);

    // Rejecting needs a reason; every step is in the audit log with who.
    let pending = *ids.iter().find(|id| !replies[ids.iter().position(|x| x == *id).unwrap()].ok()).unwrap();
    let no_reason = organiser
        .submit(
            "decide_grant_application",
            &[("application", &pending.to_string()), ("approve", "false"), ("reason", " ")],
        )
        .await;
    assert_eq!(field(&no_reason), "reason");
    let rejected = organiser
        .submit(
            "decide_grant_application",
            &[("application", &pending.to_string()), ("approve", "false"), ("reason", "The budget is spent.")],
        )
        .await;
    assert!(rejected.ok(), "{rejected:?}");
    let steps: Vec<(String, String, i64)> = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select from_status, to_status, actor_user_id from grant_audit where application_id = $1 order by id"
    )
    .bind(first)
    .fetch_all(pool)
    .await
    .unwrap());
    assert_eq!(steps[0].0, "draft");
    assert_eq!(steps[0].1, "submitted");
    assert_eq!(steps[0].2, user, "the applicant submitted");
    // The applicant reads the history on their page.
    let mine = member.fetch("grant_apply_form", &[]).await;
    let history = mine.body["applications"][0]["history"].as_array().unwrap();
    assert!(history[0].as_str().unwrap().contains("draft → submitted · €0.00 → €780.00"), "{history:?}");
    // The reviewers read it too, with who approved.
    let reviews = organiser.fetch("grant_reviews", &[]).await;
    let approved = reviews.body["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "approved")
        .expect("an approved application");
    let lines = approved["history"].as_array().unwrap();
    assert!(lines.iter().any(|l| l.as_str().unwrap().contains("Jonas Weber · submitted → approved")), "{lines:?}");
}

/// 20 submitted applications of different BioRN organisations, €390 each, and a budget with
/// room for 7; the organiser approves all at once through three server processes (the real
/// binary twice beside the test server) sharing the database.
async fn approvals_through_three_server_processes_never_over_commit(backend: Backend) {
    let app = app_or_skip!(backend);
    let one = ServerProcess::start(&app.database.url).await;
    let two = ServerProcess::start(&app.database.url).await;
    let (_, user) = demo_participant(&app, 1).await;
    let (programme, cluster): (i64, i64) = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select p.id, c.id from grant_programmes p, clusters c where c.code = 'biorn' order by p.id desc limit 1"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    let mut ids = Vec::new();
    for n in 0..20 {
        let id: i64 = submitted_application(
            &app,
            (programme, cluster, user),
            format!("Storm Visitor {n}"),
            format!("storm visitor {n}"),
        )
        .await;
        ids.push(id);
    }
    app::db_run!(app.db(), |pool| {
        sqlx::query("update grant_programmes set budget = 273000, committed = 0 where id = $1")
            .bind(programme)
            .execute(pool)
            .await
            .unwrap();
    });
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    organiser.csrf().await;
    let servers = [app.base().to_string(), one.base.clone(), two.base.clone()];
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(ids.len()));
    let storm: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            let (browser, id, barrier) = (organiser.pointed_at(&servers[n % servers.len()]), *id, barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                browser
                    .submit(
                        "decide_grant_application",
                        &[("application", &id.to_string()), ("approve", "true"), ("reason", "")],
                    )
                    .await
            })
        })
        .collect();
    let mut approved = 0;
    for task in storm {
        let reply = task.await.unwrap();
        if reply.ok() {
            approved += 1;
        } else {
            assert_eq!(field(&reply), "application");
            assert!(reply.body.to_string().contains("The budget has no room"), "{reply:?}");
        }
    }
    assert_eq!(approved, 7);
    assert_eq!(scalar(&app, "select committed from grant_programmes where id = $1", programme).await, 273_000);
    assert_eq!(
        scalar(&app, "select count(*) from grant_audit where to_status = 'approved' and application_id >= $1", ids[0])
            .await,
        7,
        "one audit line per approval"
    );
}

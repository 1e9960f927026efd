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
    an_application_goes_from_its_host_to_payment_with_checked_evidence,
    the_partnership_configures_the_programme_and_reads_its_dashboard,
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

/// An application of `organisation` (its key `key`) for €390 whose host confirmed, written
/// directly: the approval is what is under test.
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
                 3, 'Goals', 'Agenda', 39000, '[]', '[]', 'host confirmed', '', 0, 0) returning id"
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

/// Takes a step on an application as `browser`.
async fn step(browser: &Browser, id: i64, code: &str, reason: &str) -> Reply {
    browser
        .submit("advance_grant_application", &[("application", &id.to_string()), ("step", code), ("reason", reason)])
        .await
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
    let count = || scalar(&app, "select count(*) from grant_applications where applicant_user_id = $1", user);
    assert_eq!(field(&apply(&member, "Atlantis", "2027-11-08", "2027-11-12").await), "host_city");
    assert_eq!(field(&apply(&member, "Mannheim", "2027-11-08", "2027-11-12").await), "host_city", "same country");
    assert_eq!(field(&apply(&member, "Leuven", "2027-11-08", "2027-11-09").await), "last_day", "2 working days");
    assert_eq!(field(&apply(&member, "Leuven", "8 Nov", "2027-11-12").await), "first_day");
    assert_eq!(field(&apply(&member, "Leuven", "2020-03-02", "2020-03-06").await), "first_day", "in the past");
    assert_eq!(count().await, 0);

    // Monday to Friday, over 300 km: the full lump sum, explained.
    let submitted = apply(&member, "Leuven", "2027-11-08", "2027-11-12").await;
    assert!(submitted.ok(), "{submitted:?}");
    let first = submitted.body.as_i64().unwrap();
    assert_eq!(scalar(&app, "select amount from grant_applications where id = $1", first).await, 78_000);
    assert_eq!(scalar(&app, "select working_days from grant_applications where id = $1", first).await, 5);
    // A second application of the same organisation: refused.
    assert_eq!(field(&apply(&member, "Leuven", "2027-11-15", "2027-11-19").await), "host_organisation");

    // Applicants and other clusters' organisers cannot decide it; it waits for its host first.
    let decide = |browser: Browser, id: i64| async move { step(&browser, id, "approve", "").await };
    assert_eq!(decide(member.clone(), first).await.status, 403);
    let tartu = app.signed_in("organiser.tartu@eventxchange.test").await;
    assert_eq!(decide(tartu.clone(), first).await.status, 404);
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    assert!(decide(organiser.clone(), first).await.body.to_string().contains("cannot be approved now"));
    assert!(step(&organiser, first, "confirm_host", "").await.ok(), "the organiser records the host's answer");
    let listed = tartu.fetch("grant_reviews", &[]).await;
    let theirs = listed.body["applications"].as_array().unwrap();
    assert!(!theirs.is_empty() && theirs.iter().all(|a| a["id"] != first), "only their cluster's: {listed:?}");

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
        sqlx::query("update grant_programmes set budget = 273000, committed = 0, paid = 0 where id = $1")
            .bind(programme)
            .execute(pool)
            .await
            .unwrap();
    });
    let storm: Vec<_> = ids
        .iter()
        .map(|id| {
            let (organiser, id) = (organiser.clone(), *id);
            tokio::spawn(async move { step(&organiser, id, "approve", "").await })
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
        scalar(&app, "select count(*) from grant_applications where id >= $1 and status = 'approved'", first).await,
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
    assert_eq!(field(&step(&organiser, pending, "reject", " ").await), "reason");
    let rejected = step(&organiser, pending, "reject", "The budget is spent.").await;
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
    assert!(lines.iter().any(|l| l.as_str().unwrap().contains("Jonas Weber · host confirmed → approved")), "{lines:?}");
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
        sqlx::query("update grant_programmes set budget = 273000, committed = 0, paid = 0 where id = $1")
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
                step(&browser, id, "approve", "").await
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

/// A small PNG, made by an independent encoder.
fn png() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(40, 30, image::Rgb([200, 40, 40])))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Posts the closing report form as a script would (no `accept: text/html`): 204 or an error.
async fn report(browser: &Browser, id: i64, text: &str, files: Vec<(&str, Vec<u8>)>) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new().text("csrf", browser.csrf().await).text("report", text.to_string());
    for (name, bytes) in files {
        form = form.part("evidence", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    }
    let response = browser
        .client
        .post(format!("{}/grants/applications/{id}/report", browser.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

async fn get(browser: &Browser, path: &str) -> (u16, Vec<u8>, String) {
    let response = browser.client.get(format!("{}{path}", browser.base)).send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, response.bytes().await.unwrap().to_vec(), kind)
}

async fn an_application_goes_from_its_host_to_payment_with_checked_evidence(backend: Backend) {
    let app = app_or_skip!(backend);
    // Participant 1 (BioRN, Germany) met participant 2 (Clinical Validation Lab 2, Belgium),
    // confirmed at the table; both checked in: eligible.
    let (ticket, user) = demo_participant(&app, 1).await;
    let member = app.browser_as(user).await;
    let (meeting, partner) = confirmed_meeting_of(&app, 1).await;
    check_in(&app, ticket).await;
    check_in(&app, partner).await;
    let submitted = member
        .submit(
            "submit_grant_application",
            &[
                ("host_organisation", "Clinical Validation Lab 2"),
                ("host_city", "Leuven"),
                ("visitor_city", "Heidelberg"),
                ("first_day", "2027-11-08"),
                ("last_day", "2027-11-12"),
                ("goals", "Validate our assay with a Flemish lab."),
                ("agenda", "Day 1 lab tour; days 2-5 joint experiments."),
            ],
        )
        .await;
    assert!(submitted.ok(), "{submitted:?}");
    let id = submitted.body.as_i64().unwrap();
    let applicant_email: String =
        app::db_run!(app.db(), |pool| sqlx::query_scalar("select email from users where id = $1")
            .bind(user)
            .fetch_one(pool)
            .await
            .unwrap());
    let (subject, body) = app.last_mail_to(&applicant_email).await.expect("a receipt");
    assert!(subject.contains("submitted") && body.contains(&format!("/grants/applications/{id}")), "{body}");

    // The applicant cannot confirm their own host, approve or pay; nobody can report before
    // the visit; another cluster's organiser cannot even see it.
    for code in ["confirm_host", "approve", "pay", "close"] {
        assert_eq!(step(&member, id, code, "").await.status, 403, "{code}");
    }
    let tartu = app.signed_in("organiser.tartu@eventxchange.test").await;
    assert_eq!(tartu.fetch("grant_application", &[("id", &id.to_string())]).await.status, 404);
    assert_eq!(step(&tartu, id, "approve", "").await.status, 404);
    assert_eq!(get(&tartu, &format!("/grants/applications/{id}/evidence.csv")).await.0, 404);

    // The host: participant 2, whose ticket names the host organisation, sees the request and
    // confirms; the BioRN organisers are told it waits for them.
    let (_, host_user) = demo_participant(&app, 2).await;
    let host = app.browser_as(host_user).await;
    let verdict = host.fetch("grant_verdict", &[]).await;
    assert!(verdict.body["to_host"].as_array().unwrap().iter().any(|a| a["id"] == id), "{verdict:?}");
    let seen = host.fetch("grant_application", &[("id", &id.to_string())]).await;
    assert_eq!(seen.body["steps"], serde_json::json!(["confirm_host"]), "{seen:?}");
    assert!(seen.body["card"]["history"].as_array().unwrap().is_empty(), "a host does not read the history");
    assert_eq!(step(&host, id, "approve", "").await.status, 403);
    assert!(step(&host, id, "confirm_host", "").await.ok());
    assert!(step(&host, id, "confirm_host", "").await.body.to_string().contains("cannot be host confirmed now"));
    let (subject, _) = app.last_mail_to("organiser.biorn@eventxchange.test").await.expect("the organisers hear");
    assert!(subject.contains("ready for your decision"), "{subject}");

    // Approved: the evidence pack keeps the verdict and the meeting as they were.
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let committed = || {
        scalar(&app, "select committed from grant_programmes where id = (select programme_id from grant_applications where id = $1)", id)
    };
    let before = committed().await;
    assert!(step(&organiser, id, "approve", "").await.ok());
    assert_eq!(committed().await, before + 78_000);
    let (status, json, _) = get(&organiser, &format!("/grants/applications/{id}/evidence.json")).await;
    assert_eq!(status, 200);
    let pack: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!((pack["at_approval"].clone(), pack["eligible"].clone()), (true.into(), true.into()), "{pack}");
    let counted = &pack["meetings"][0];
    assert_eq!(counted["meeting"], meeting);
    assert!(counted["requester_checked_in_at"].is_i64() && counted["recipient_checked_in_at"].is_i64(), "{pack}");
    assert!(counted["held_confirmed_at"].is_i64() && counted["held_confirmed_by"].is_string(), "{pack}");
    let (status, csv, kind) = get(&organiser, &format!("/grants/applications/{id}/evidence.csv")).await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("meeting,event,slot_start_utc") && csv.contains(&format!("\n{meeting},")), "{csv}");
    assert!(csv.contains("verdict at approval") && csv.contains("eligible"), "{csv}");
    assert_eq!(
        get(&member, &format!("/grants/applications/{id}/evidence.csv")).await.0,
        404,
        "organisers and admins only"
    );
    // A later dispute does not rewrite the pack kept at approval.
    app::db_run!(app.db(), |pool| {
        sqlx::query("update meetings set dispute_decision = 'not held' where id = $1")
            .bind(meeting)
            .execute(pool)
            .await
            .unwrap();
    });
    let (_, again, _) = get(&organiser, &format!("/grants/applications/{id}/evidence.json")).await;
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&again).unwrap(), pack);

    // The visit cannot be done before its last day, nor reported before it is done.
    assert_eq!(field(&step(&member, id, "visit_done", "").await), "step");
    let (status, body) = report(&member, id, "Too early", vec![("a.pdf", PDF.to_vec())]).await;
    assert!(status == 422 && body.contains("cannot be reported now"), "{body}");
    app::db_run!(app.db(), |pool| {
        sqlx::query("update grant_applications set first_day = '2026-01-05', last_day = '2026-01-09' where id = $1")
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
    });
    assert!(step(&member, id, "visit_done", "").await.ok());

    // Evidence that is not a PDF or an image, a damaged image, or too large: refused, nothing kept.
    let files = || scalar(&app, "select count(*) from grant_evidence_files where application_id = $1", id);
    let mut truncated = png();
    truncated.truncate(truncated.len() / 2);
    let mut large = PDF.to_vec();
    large.splice(9..9, std::iter::repeat_n(b' ', 5 * 1024 * 1024));
    for (name, bytes, why) in [
        ("notes.pdf", b"just some text, named like a PDF".to_vec(), "neither a PDF"),
        ("cut.pdf", PDF[..40].to_vec(), "not a complete PDF"),
        ("photo.png", truncated, "neither a PDF"),
        ("big.pdf", large, "larger than 5 MB"),
    ] {
        let (status, body) =
            report(&member, id, "The visit went well.", vec![("fine.png", png()), (name, bytes)]).await;
        assert_eq!(status, 422, "{name}: {body}");
        assert!(body.contains(why), "{name}: {body}");
    }
    let (status, body) = report(&member, id, " ", vec![("a.pdf", PDF.to_vec())]).await;
    assert!(status == 422 && body.contains("Write the report"), "{body}");
    assert_eq!(files().await, 0);
    assert_eq!(
        scalar(&app, "select count(*) from grant_applications where id = $1 and status = 'visit done'", id).await,
        1
    );

    // A PDF and a photo: reported; the files come back as sent, to the applicant only.
    let (status, body) =
        report(&member, id, "We agreed a joint study.", vec![("../report.pdf", PDF.to_vec()), ("lab.png", png())])
            .await;
    assert_eq!(status, 204, "{body}");
    let page = member.fetch("grant_application", &[("id", &id.to_string())]).await;
    assert_eq!(page.body["card"]["status"], "reported");
    let listed = page.body["files"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!((listed[0][1].as_str(), listed[0][2].as_str()), (Some("report.pdf"), Some("application/pdf")));
    assert_eq!(listed[1][2], "image/png");
    let file = listed[0][0].as_i64().unwrap();
    let (status, bytes, kind) = get(&member, &format!("/grants/applications/{id}/files/{file}")).await;
    assert_eq!((status, bytes.as_slice(), kind.as_str()), (200, PDF, "application/pdf"));
    assert_eq!(get(&host, &format!("/grants/applications/{id}/files/{file}")).await.0, 404);

    // Paid and closed by the organisers; the applicant cannot.
    assert_eq!(step(&member, id, "pay", "").await.status, 403);
    let paid = || {
        scalar(
            &app,
            "select paid from grant_programmes where id = (select programme_id from grant_applications where id = $1)",
            id,
        )
    };
    let paid_before = paid().await;
    assert!(step(&organiser, id, "pay", "").await.ok());
    assert_eq!(paid().await, paid_before + 78_000);
    assert!(step(&organiser, id, "close", "").await.ok());
    let steps: Vec<(String, String)> = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select from_status, to_status from grant_audit where application_id = $1 order by id"
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap());
    let path: Vec<&str> = steps.iter().map(|(_, to)| to.as_str()).collect();
    assert_eq!(path, ["submitted", "host confirmed", "approved", "visit done", "reported", "paid", "closed"]);
    assert!(app.mails_to(&applicant_email).await >= 7, "a mail for every step");

    // Withdrawing an approved application gives its amount back to the budget.
    let (programme, cluster): (i64, i64) = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select programme_id, cluster_id from grant_applications where id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap());
    let other = submitted_application(&app, (programme, cluster, user), "Second Visitor", "second visitor").await;
    assert!(step(&organiser, other, "approve", "").await.ok());
    let with_it = committed().await;
    assert!(step(&member, other, "withdraw", "Plans changed").await.ok());
    assert_eq!(committed().await, with_it - 39_000);
}

async fn the_partnership_configures_the_programme_and_reads_its_dashboard(backend: Backend) {
    let app = app_or_skip!(backend);
    let admin = app.signed_in("admin@eventxchange.test").await;
    let dashboard = admin.fetch("grant_dashboard", &[]).await;
    assert!(dashboard.ok(), "{dashboard:?}");
    let body = &dashboard.body;
    // The demo has an application in every state but draft.
    let states: Vec<&str> = body["by_state"].as_array().unwrap().iter().map(|s| s[0].as_str().unwrap()).collect();
    assert_eq!(
        states,
        [
            "submitted",
            "host confirmed",
            "approved",
            "rejected",
            "visit done",
            "reported",
            "paid",
            "closed",
            "withdrawn"
        ]
    );
    assert_eq!(body["clusters"].as_array().unwrap().len(), 4);
    assert!(body["clusters"].as_array().unwrap().iter().any(|c| c["eligible"].as_i64().unwrap() > 0), "{body}");
    assert!(!body["pairs"].as_array().unwrap().is_empty());
    assert!(body["audit"].as_array().unwrap().len() > 20);
    let filtered = admin.fetch("grant_dashboard", &[("status", "paid")]).await;
    let lines = filtered.body["audit"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "the paid and then closed ones: {lines:?}");
    assert!(lines.iter().all(|l| l.as_str().unwrap().contains("reported → paid")));
    let (_, html) = admin.page("/admin/grants").await;
    assert!(html.contains("<svg") && html.contains("Exchanges by country pair") && html.contains("<desc"), "the chart");
    assert_eq!(
        app.signed_in("organiser.biorn@eventxchange.test").await.fetch("grant_dashboard", &[]).await.status,
        403
    );

    // The configuration: bad fields are named and change nothing; a change keeps approved amounts.
    let form = body["form"].clone();
    let mut fields: Vec<(String, String)> = [
        "name",
        "countries",
        "min_meetings",
        "min_days",
        "max_days",
        "full_rate_days",
        "full_rate_km",
        "max_per_visitor",
        "lump_sums",
        "budget",
        "opens",
        "closes",
    ]
    .iter()
    .map(|k| (k.to_string(), form[*k].as_str().unwrap().to_string()))
    .collect();
    fields.push(("require_verified".into(), "yes".into()));
    let save = |changes: Vec<(&'static str, &'static str)>| {
        let mut fields = fields.clone();
        for (k, v) in changes {
            fields.iter_mut().find(|(name, _)| name == k).unwrap().1 = v.to_string();
        }
        let admin = admin.clone();
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            admin.submit("save_grant_programme", &pairs).await
        }
    };
    let programme: i64 = scalar(&app, "select max(id) from grant_programmes where id > $1", 0).await;
    let amounts = || {
        scalar(&app, "select cast(sum(amount) as bigint) from grant_applications where programme_id = $1", programme)
    };
    let before = amounts().await;
    assert_eq!(field(&save(vec![("budget", "10")]).await), "budget", "below what is committed");
    assert_eq!(field(&save(vec![("countries", "DE, XX")]).await), "countries");
    assert_eq!(field(&save(vec![("lump_sums", "DE 780, FR 500")]).await), "lump_sums");
    assert_eq!(field(&save(vec![("max_days", "2")]).await), "max_days");
    assert_eq!(field(&save(vec![("max_per_visitor", "lots")]).await), "max_per_visitor");
    assert_eq!(scalar(&app, "select budget from grant_programmes where id = $1", programme).await, 2_000_000);
    let saved = save(vec![("lump_sums", "DE 500, BE 500, DK 500, EE 500"), ("budget", "25000")]).await;
    assert!(saved.ok(), "{saved:?}");
    assert_eq!(scalar(&app, "select budget from grant_programmes where id = $1", programme).await, 2_500_000);
    assert_eq!(
        scalar(&app, "select cents from grant_lump_sums where programme_id = $1 and country = 'DE'", programme).await,
        50_000
    );
    assert_eq!(amounts().await, before, "approved amounts stay");

    // The export: every application, text typed by people formula-safe.
    app::db_run!(app.db(), |pool| {
        sqlx::query(
        "update grant_applications set organisation = '=HYPERLINK(\"http://x\")' where id = (select min(id) from grant_applications)"
    )
    .execute(pool)
    .await
    .unwrap();
    });
    let (status, csv, _) = get(&admin, "/admin/grants/applications.csv").await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("'=HYPERLINK") && !csv.contains(",=HYPERLINK"), "{csv}");
    assert_eq!(csv.lines().count(), 10, "a header and the 9 demo applications");
    assert_eq!(
        get(&app.signed_in("organiser.biorn@eventxchange.test").await, "/admin/grants/applications.csv").await.0,
        403
    );
}

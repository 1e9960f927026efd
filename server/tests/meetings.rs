//! B2B matchmaking against a running server, on SQLite and PostgreSQL: the directory and its
//! filters, a request answered with a table, bad requests that write nothing, a storm of
//! concurrent acceptances that never double-books a person or a table, and the proof at the
//! table that a meeting was held, and the organisers booking, moving and deciding meetings.

mod common;

use app::platform::now;
use common::b2b::{
    answer, as_participant, check_in, demo_participant, event_id, field, request, scalar, slot_ids, HEIDELBERG,
};
use common::{Backend, Browser, Reply, ServerProcess, TestApp};
use serde_json::Value;

on_both_backends!(
    the_demo_session_has_participants_and_meetings,
    a_request_is_answered_and_gets_a_table,
    bad_requests_are_refused_and_write_nothing,
    a_storm_of_acceptances_never_double_books,
    a_storm_through_three_server_processes_never_double_books,
    a_meeting_is_proven_held_by_the_partners_badge,
    organisers_set_up_the_grid_without_orphaning_meetings,
    organisers_book_move_and_decide_meetings,
);

async fn meetings_count(app: &TestApp) -> i64 {
    scalar(app, "select count(*) from meetings where id > $1", 0).await
}

async fn the_demo_session_has_participants_and_meetings(backend: Backend) {
    let app = app_or_skip!(backend);
    let (_, anna) = as_participant(&app, 1).await;
    let all = anna.fetch("b2b_directory", &[("slug", HEIDELBERG)]).await;
    assert!(all.ok(), "{all:?}");
    assert!(all.body["participants"].as_array().unwrap().len() >= 36, "{}", all.body["total"]);
    // Filters narrow the list; every one listed matches.
    let tartu = anna.fetch("b2b_directory", &[("slug", HEIDELBERG), ("cluster", "tartu")]).await;
    let listed = tartu.body["participants"].as_array().unwrap();
    assert!(!listed.is_empty() && listed.len() < all.body["participants"].as_array().unwrap().len());
    assert!(listed.iter().all(|p| p["cluster_code"] == "tartu"), "{listed:?}");
    let sensors = anna.fetch("b2b_directory", &[("slug", HEIDELBERG), ("q", "biosensor chips")]).await;
    assert!(sensors.body["participants"].as_array().unwrap().iter().all(|p| p["offers"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("biosensor chips")
        || p["seeks"].as_str().unwrap().to_lowercase().contains("biosensor chips")));
    // The pages render without JavaScript, filters as links.
    let (status, html) = anna.page(&format!("/events/{HEIDELBERG}/participants?cluster=tartu")).await;
    assert_eq!(status, 200);
    assert!(html.contains("cluster=biorn"), "filter links");
    let (status, html) = anna.page(&format!("/events/{HEIDELBERG}/meetings")).await;
    assert_eq!(status, 200);
    assert!(html.contains("People you should meet") && html.contains("which you seek"), "suggestions with reasons");
    // Meetings in every state.
    for status in ["requested", "accepted", "declined", "cancelled"] {
        let n: i64 = app::db_run!(app.db(), |pool| {
            sqlx::query_scalar(
            "select count(*) from meetings m join events e on e.id = m.event_id where e.slug = $1 and m.status = $2"
        )
        .bind(HEIDELBERG)
        .bind(status)
        .fetch_one(pool)
        .await
        .unwrap()
        });
        assert!(n > 0, "no {status} meeting in the demo");
    }
    // Only ticket holders see the directory.
    let stranger = app.browser_as(app.attendee("nobody@example.org", "Nobody").await).await;
    let refused = stranger.fetch("b2b_directory", &[("slug", HEIDELBERG)]).await;
    assert_eq!(field(&refused), "ticket");
    assert_eq!(app.browser().fetch("b2b_directory", &[("slug", HEIDELBERG)]).await.status, 401);
}

async fn a_request_is_answered_and_gets_a_table(backend: Backend) {
    let app = app_or_skip!(backend);
    // 25 and 26 have no demo meetings.
    let (a_ticket, a) = as_participant(&app, 25).await;
    let (b_ticket, b) = as_participant(&app, 26).await;
    let b_email = "b2b26.heidelberg@eventxchange.test";
    let mails = app.mails_to(b_email).await;
    let reply = request(&a, b_ticket, "first").await;
    assert!(reply.ok(), "{reply:?}");
    let meeting = reply.body.as_i64().unwrap();
    assert_eq!(app.mails_to(b_email).await, mails + 1, "the recipient is told");
    let first_slot = slot_ids(&app).await[0];
    assert_eq!(scalar(&app, "select slot_id from meetings where id = $1", meeting).await, first_slot);
    // A second request between the two is refused.
    assert_eq!(field(&request(&a, b_ticket, "first").await), "participant");
    // Only the recipient answers.
    assert_eq!(field(&answer(&a, meeting, "accept").await), "meeting");
    let reply = answer(&b, meeting, "accept").await;
    assert!(reply.ok(), "{reply:?}");
    assert_eq!(app.mails_to(b_email).await, mails + 2);
    let table = scalar(&app, "select table_id from meetings where id = $1", meeting).await;
    assert!(table > 0);
    let mine = a.fetch("my_meetings", &[("slug", HEIDELBERG)]).await;
    let card = mine.body["meetings"].as_array().unwrap().iter().find(|m| m["id"] == meeting).cloned().unwrap();
    assert_eq!(card["status"], "Accepted");
    assert!(card["table"].as_str().unwrap().starts_with("Table "), "{card}");
    assert!(card["when"].as_str().unwrap().contains("CET") || card["when"].as_str().unwrap().contains("CEST"));
    let theirs = b.fetch("my_meetings", &[("slug", HEIDELBERG)]).await;
    assert!(theirs.body["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == meeting && m["table"] == card["table"]));
    // The agreed slot is no longer free for either of them.
    let view = a.fetch("b2b_participant", &[("slug", HEIDELBERG), ("id", &b_ticket.to_string())]).await;
    assert!(view.body["common_slots"].as_array().unwrap().iter().all(|s| s["id"] != first_slot));
    // A slot kept free is offered to nobody, and cannot be booked; opened again, it can.
    let second_slot = slot_ids(&app).await[1];
    let keep = |free: bool| {
        let b = b.clone();
        async move {
            b.submit(
                "block_meeting_slot",
                &[
                    ("slug", HEIDELBERG),
                    ("slot", &second_slot.to_string()),
                    ("blocked", if free { "true" } else { "false" }),
                ],
            )
            .await
        }
    };
    assert!(keep(true).await.ok());
    let view = a.fetch("b2b_participant", &[("slug", HEIDELBERG), ("id", &b_ticket.to_string())]).await;
    assert!(view.body["common_slots"].as_array().unwrap().iter().all(|s| s["id"] != second_slot));
    let (_, c) = as_participant(&app, 34).await;
    assert_eq!(field(&request(&c, b_ticket, &second_slot.to_string()).await), "slot", "kept free");
    let mine = b.fetch("my_meetings", &[("slug", HEIDELBERG)]).await;
    assert!(mine.body["blocked_slots"].as_array().unwrap().iter().any(|s| s["id"] == second_slot));
    assert!(keep(false).await.ok());
    assert!(request(&c, b_ticket, &second_slot.to_string()).await.ok(), "open again");

    // Cancelling frees the slot and the table, and both counts.
    let reply = b
        .submit("cancel_meeting", &[("slug", HEIDELBERG), ("meeting", &meeting.to_string()), ("reason", "Sorry")])
        .await;
    assert!(reply.ok(), "{reply:?}");
    assert_eq!(scalar(&app, "select count(*) from meeting_seats where meeting_id = $1", meeting).await, 0);
    assert_eq!(
        scalar(&app, "select coalesce(max(accepted), 0) from b2b_people where ticket_id = $1", a_ticket).await,
        0
    );
    // Proposing another slot: the requester then answers.
    let reply = request(&a, b_ticket, &first_slot.to_string()).await;
    let again = reply.body.as_i64().unwrap();
    let later = slot_ids(&app).await[3];
    let reply = b
        .submit(
            "answer_meeting",
            &[
                ("slug", HEIDELBERG),
                ("meeting", &again.to_string()),
                ("answer", "propose"),
                ("slot", &later.to_string()),
            ],
        )
        .await;
    assert!(reply.ok(), "{reply:?}");
    assert_eq!(field(&answer(&b, again, "accept").await), "meeting", "now the requester answers");
    assert!(answer(&a, again, "accept").await.ok());
    assert_eq!(scalar(&app, "select slot_id from meetings where id = $1", again).await, later);
}

async fn bad_requests_are_refused_and_write_nothing(backend: Backend) {
    let app = app_or_skip!(backend);
    let (me, a) = as_participant(&app, 27).await;
    let (other, _) = as_participant(&app, 28).await;
    let slots = slot_ids(&app).await;
    let before = meetings_count(&app).await;
    assert_eq!(field(&request(&a, other, "999999").await), "slot", "unknown slot");
    assert_eq!(field(&request(&a, other, "soon").await), "slot", "not a slot");
    assert_eq!(field(&request(&a, me, "first").await), "participant", "oneself");
    let outsider = app.attendee("guest@example.org", "Not Listed").await;
    let (listed_off, _) = as_participant(&app, 29).await;
    app::db_run!(app.db(), |pool| sqlx::query("update tickets set directory_consent = false where id = $1")
        .bind(listed_off)
        .execute(pool)
        .await
        .map(|d| d.rows_affected())
        .unwrap());
    assert_eq!(field(&request(&a, listed_off, "first").await), "participant", "not in the directory");
    assert_eq!(field(&request(&a, outsider, "first").await), "participant", "no ticket here");
    let long = "x".repeat(501);
    let reply = a
        .submit(
            "request_meeting",
            &[("slug", HEIDELBERG), ("participant", &other.to_string()), ("slot", "first"), ("message", &long)],
        )
        .await;
    assert_eq!(field(&reply), "message");
    // A slot that has started.
    app::db_run!(app.db(), |pool| sqlx::query("update b2b_slots set starts_at = $1 where id = $2")
        .bind(now() - 60)
        .bind(slots[1])
        .execute(pool)
        .await
        .map(|d| d.rows_affected())
        .unwrap());
    assert_eq!(field(&request(&a, other, &slots[1].to_string()).await), "slot", "a slot in the past");
    // After the deadline.
    app::db_run!(app.db(), |pool| sqlx::query("update b2b_sessions set request_deadline = $1")
        .bind(now() - 1)
        .execute(pool)
        .await
        .map(|d| d.rows_affected())
        .unwrap());
    let late = request(&a, other, "first").await;
    assert_eq!(field(&late), "slot", "{late:?}");
    assert!(late.body["Invalid"]["message"].as_str().unwrap().contains("closed"));
    assert_eq!(meetings_count(&app).await, before, "nothing was written");
    // Without a ticket for the event there is no B2B for you.
    let stranger = app.browser_as(outsider).await;
    assert_eq!(field(&request(&stranger, other, "first").await), "ticket");
}

/// 540 acceptances at once, aimed at six recipients, three tables and three slots, with at most
/// two meetings per person: nobody and no table is ever double-booked, the maximum holds, and
/// every refusal says why.
async fn a_storm_of_acceptances_never_double_books(backend: Backend) {
    let app = app_or_skip!(backend);
    storm(&app, &[app.base().to_string()]).await;
}

/// The same storm through two more server processes (the real binary) sharing the database,
/// the acceptances spread over all three: the database, not a process, keeps the invariants.
async fn a_storm_through_three_server_processes_never_double_books(backend: Backend) {
    let app = app_or_skip!(backend);
    let one = ServerProcess::start(&app.database.url).await;
    let two = ServerProcess::start(&app.database.url).await;
    storm(&app, &[app.base().to_string(), one.base.clone(), two.base.clone()]).await;
}

async fn storm(app: &TestApp, servers: &[String]) {
    let event = event_id(app).await;
    // A small grid: three tables, and requests in the first three slots.
    app::db_run!(app.db(), |pool| sqlx::query("update b2b_tables set active = (number <= 3) where event_id = $1")
        .bind(event)
        .execute(pool)
        .await
        .map(|d| d.rows_affected())
        .unwrap());
    app::db_run!(app.db(), |pool| sqlx::query("update b2b_sessions set max_meetings = 2 where event_id = $1")
        .bind(event)
        .execute(pool)
        .await
        .map(|d| d.rows_affected())
        .unwrap());
    let slots = slot_ids(app).await;
    // Free the demo's own meetings, so the count starts from nothing.
    for sql in
        ["delete from meeting_seats", "delete from b2b_people", "delete from meeting_log", "delete from meetings"]
    {
        app::db_run!(app.db(), |pool| sqlx::query(sql).execute(pool).await.map(|d| d.rows_affected()).unwrap());
    }
    let mut recipients = Vec::new();
    for n in 1..=6 {
        recipients.push(as_participant(app, n).await);
    }
    let mut requests = Vec::new();
    for n in 7..=36 {
        let (_, requester) = as_participant(app, n).await;
        for (r, (recipient, _)) in recipients.iter().enumerate() {
            let slot = slots[(n + r) % 3];
            let reply = request(&requester, *recipient, &slot.to_string()).await;
            assert!(reply.ok(), "{reply:?}");
            requests.push((r, reply.body.as_i64().unwrap()));
        }
    }
    assert_eq!(requests.len(), 180);
    for (_, browser) in &recipients {
        browser.csrf().await;
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len() * 3));
    let mut storm = Vec::new();
    for round in 0..3 {
        for (n, (r, meeting)) in requests.iter().enumerate() {
            let browser = recipients[*r].1.pointed_at(&servers[(round + n) % servers.len()]);
            let (barrier, meeting) = (barrier.clone(), *meeting);
            storm.push(tokio::spawn(async move {
                barrier.wait().await;
                answer(&browser, meeting, "accept").await
            }));
        }
    }
    let mut accepted = 0;
    for attempt in storm {
        let reply = attempt.await.unwrap();
        if reply.ok() {
            accepted += 1;
        } else {
            assert_eq!(reply.status, 422, "{reply:?}");
            assert_eq!(reply.error_field().as_deref(), Some("meeting"), "{reply:?}");
            assert!(!reply.body["Invalid"]["message"].as_str().unwrap_or_default().is_empty());
        }
    }
    let rows: Vec<(i64, i64, i64, i64)> = app::db_run!(app.db(), |pool| {
        sqlx::query_as(
        "select slot_id, table_id, requester_ticket_id, recipient_ticket_id from meetings where status = 'accepted'"
    )
    .fetch_all(pool)
    .await
    .unwrap()
    });
    assert_eq!(rows.len(), accepted, "each accepted reply is one accepted meeting, no more");
    assert!(accepted > 0);
    let mut tables = std::collections::HashSet::new();
    let mut seats = std::collections::HashSet::new();
    let mut per_person = std::collections::HashMap::<i64, i64>::new();
    for (slot, table, a, b) in &rows {
        assert!(tables.insert((slot, table)), "table {table} double-booked in slot {slot}");
        for person in [a, b] {
            assert!(seats.insert((slot, person)), "ticket {person} double-booked in slot {slot}");
            *per_person.entry(*person).or_default() += 1;
        }
    }
    assert!(per_person.values().all(|n| *n <= 2), "the maximum of 2 holds: {per_person:?}");
    // Three slots with three tables: at most nine meetings; six recipients with at most two each.
    assert!(accepted <= 9, "{accepted}");
    for (person, n) in per_person {
        assert_eq!(scalar(app, "select accepted from b2b_people where ticket_id = $1", person).await, n);
    }
}

async fn code_of(app: &TestApp, ticket: i64) -> String {
    app::badges::store::current_code(app.db(), &app.server.state.badge_keys, ticket).await.unwrap().unwrap()
}

async fn a_meeting_is_proven_held_by_the_partners_badge(backend: Backend) {
    let app = app_or_skip!(backend);
    let (a_ticket, a) = as_participant(&app, 30).await;
    let (b_ticket, b) = as_participant(&app, 31).await;
    let (c_ticket, _) = as_participant(&app, 32).await;
    let meeting = request(&a, b_ticket, "first").await.body.as_i64().unwrap();
    assert!(answer(&b, meeting, "accept").await.ok());
    let confirm = |browser: Browser, code: String| async move {
        browser
            .submit("confirm_meeting_held", &[("slug", HEIDELBERG), ("meeting", &meeting.to_string()), ("code", &code)])
            .await
    };
    let b_code = code_of(&app, b_ticket).await;
    // Before the slot: too early.
    assert_eq!(field(&confirm(a.clone(), b_code.clone()).await), "code");
    // The slot is now.
    let slot = scalar(&app, "select slot_id from meetings where id = $1", meeting).await;
    let move_slot = |start: i64| {
        let app = &app;
        async move {
            app::db_run!(app.db(), |pool| sqlx::query(
                "update b2b_slots set starts_at = $1, ends_at = $2 where id = $3"
            )
            .bind(start)
            .bind(start + 1200)
            .bind(slot)
            .execute(pool)
            .await
            .map(|d| d.rows_affected())
            .unwrap());
        }
    };
    move_slot(now() - 300).await;
    let leuven_ticket: i64 = app::db_run!(app.db(), |pool| {
        sqlx::query_scalar(
        "select t.id from tickets t join events e on e.id = t.event_id where e.slug = 'leuven-2027' and t.status = 'confirmed' limit 1"
    )
    .fetch_one(pool)
    .await
    .unwrap()
    });
    let refused = [
        b_code[..b_code.len() - 4].to_string() + if b_code.ends_with("AAAA") { "BBBB" } else { "AAAA" },
        code_of(&app, leuven_ticket).await,
        code_of(&app, c_ticket).await,
        code_of(&app, a_ticket).await,
        "not a badge".to_string(),
    ];
    for code in refused {
        let reply = confirm(a.clone(), code.clone()).await;
        assert_eq!(field(&reply), "code", "{code}: {reply:?}");
    }
    assert_eq!(
        scalar(&app, "select count(*) from meetings where id = $1 and held_confirmed_at is not null", meeting).await,
        0
    );
    // Out of the window after the slot.
    move_slot(now() - 3 * 3600).await;
    assert_eq!(field(&confirm(a.clone(), b_code.clone()).await), "code");
    move_slot(now() - 300).await;
    let reply = confirm(a.clone(), b_code.clone()).await;
    assert!(reply.ok(), "{reply:?}");
    let card =
        |reply: Reply| reply.body["meetings"].as_array().unwrap().iter().find(|m| m["id"] == meeting).cloned().unwrap();
    let seen = card(a.fetch("my_meetings", &[("slug", HEIDELBERG)]).await);
    assert_eq!((seen["held_confirmed"].clone(), seen["verified_held"].clone()), (true.into(), false.into()));
    // Verified once both are checked in.
    check_in(&app, a_ticket).await;
    check_in(&app, b_ticket).await;
    let seen = card(b.fetch("my_meetings", &[("slug", HEIDELBERG)]).await);
    assert_eq!(seen["verified_held"], Value::Bool(true));
    // Every step is in the log, with who.
    let steps: Vec<(String, Option<i64>)> = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select action, actor_user_id from meeting_log where meeting_id = $1 order by id"
    )
    .bind(meeting)
    .fetch_all(pool)
    .await
    .unwrap());
    let actions: Vec<&str> = steps.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, vec!["requested", "accepted", "held"]);
    assert!(steps.iter().all(|(_, who)| who.is_some()));
}

async fn organisers_set_up_the_grid_without_orphaning_meetings(backend: Backend) {
    let app = app_or_skip!(backend);
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let overview = organiser.fetch("b2b_overview", &[("slug", HEIDELBERG)]).await;
    assert!(overview.ok(), "{overview:?}");
    let form = overview.body["form"].clone();
    let text = |key: &str| form[key].as_str().unwrap().to_string();
    let save = |windows: String, tables: String| {
        let organiser = organiser.clone();
        let (slots, max, pending, deadline) =
            (text("slot_minutes"), text("max_meetings"), text("max_pending"), text("request_deadline"));
        async move {
            organiser
                .submit(
                    "save_b2b_setup",
                    &[
                        ("slug", HEIDELBERG),
                        ("slot_minutes", &slots),
                        ("windows", &windows),
                        ("tables", &tables),
                        ("max_meetings", &max),
                        ("max_pending", &pending),
                        ("request_deadline", &deadline),
                    ],
                )
                .await
        }
    };
    // Saved unchanged: nothing changes.
    let slots_before = slot_ids(&app).await;
    assert!(save(text("windows"), text("tables")).await.ok());
    assert_eq!(slot_ids(&app).await, slots_before);
    // Dropping the second window would orphan the demo's meetings there: refused, with them named.
    let first_window = text("windows").lines().next().unwrap().to_string();
    let refused = save(first_window, text("tables")).await;
    assert_eq!(field(&refused), "windows");
    assert!(refused.body["Invalid"]["message"].as_str().unwrap().contains("Move or cancel them first"), "{refused:?}");
    assert_eq!(slot_ids(&app).await, slots_before, "nothing changed");
    // Fewer tables than in use: refused too.
    assert_eq!(field(&save(text("windows"), "1 Hall".into()).await), "windows");
    // More tables: fine.
    assert!(save(text("windows"), "1-30 B2B area".into()).await.ok());
    // Attendees cannot.
    let (_, attendee) = as_participant(&app, 1).await;
    assert_eq!(attendee.fetch("b2b_overview", &[("slug", HEIDELBERG)]).await.status, 403);
    let (status, html) = organiser.page(&format!("/organise/{HEIDELBERG}/b2b")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Who meets whom") && html.contains("Table 1"));
    // The cluster matrix: a drawing, and its figures as a table.
    assert!(html.contains("Meetings between clusters") && html.contains("<svg"), "the heat map");
    assert!(html.contains("Agreed and held meetings per pair of clusters"), "its text alternative");

    // The export: every meeting, names formula-safe.
    let (first, _) = demo_participant(&app, 1).await;
    app::db_run!(app.db(), |pool| sqlx::query("update tickets set organisation = '=HYPERLINK(\"x\")' where id = $1")
        .bind(first)
        .execute(pool)
        .await
        .map(|d| d.rows_affected())
        .unwrap());
    let response =
        organiser.client.get(format!("{}/organise/{HEIDELBERG}/b2b/meetings.csv", app.base())).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let event = event_id(&app).await;
    let meetings = scalar(&app, "select count(*) from meetings where event_id = $1", event).await;
    assert_eq!(csv.lines().count() as i64, meetings + 1, "a header and one line per meeting");
    assert!(csv.lines().next().unwrap().starts_with("meeting,status,slot_start_utc"));
    assert!(csv.contains("'=HYPERLINK"), "a typed formula is defused");
    assert_eq!(
        attendee
            .client
            .get(format!("{}/organise/{HEIDELBERG}/b2b/meetings.csv", app.base()))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
}

async fn organisers_book_move_and_decide_meetings(backend: Backend) {
    let app = app_or_skip!(backend);
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let slots = slot_ids(&app).await;
    let person = |n: usize| {
        let app = &app;
        async move { demo_participant(app, n).await.0 }
    };
    let (p26, p27, p28, p29) = (person(26).await, person(27).await, person(28).await, person(29).await);
    let book = |first: i64, second: i64, slot: i64, table: String| {
        let organiser = organiser.clone();
        async move {
            organiser
                .submit(
                    "book_meeting",
                    &[
                        ("slug", HEIDELBERG),
                        ("first", &first.to_string()),
                        ("second", &second.to_string()),
                        ("slot", &slot.to_string()),
                        ("table", &table),
                    ],
                )
                .await
        }
    };
    let relocate = |meeting: i64, slot: i64, table: String| {
        let organiser = organiser.clone();
        async move {
            organiser
                .submit(
                    "move_meeting",
                    &[
                        ("slug", HEIDELBERG),
                        ("meeting", &meeting.to_string()),
                        ("slot", &slot.to_string()),
                        ("table", &table),
                    ],
                )
                .await
        }
    };
    let seats_of = |meeting: i64| {
        let app = &app;
        async move {
            let seats: Vec<(i64, i64)> = app::db_run!(app.db(), |pool| sqlx::query_as(
                "select slot_id, ticket_id from meeting_seats where meeting_id = $1 order by ticket_id"
            )
            .bind(meeting)
            .fetch_all(pool)
            .await
            .unwrap());
            seats
        }
    };

    // Booked for two people: agreed at once, at the first free table, both told.
    let booked = book(p26, p27, slots[0], String::new()).await;
    assert!(booked.ok(), "{booked:?}");
    let meeting = booked.body.as_i64().unwrap();
    assert_eq!(seats_of(meeting).await, vec![(slots[0], p26), (slots[0], p27)]);
    let (subject, body) = app.last_mail_to("b2b27.heidelberg@eventxchange.test").await.unwrap();
    assert!(subject.contains("table") && body.contains("booked a meeting for you"), "{subject} {body}");
    let table: i64 = scalar(&app, "select table_id from meetings where id = $1", meeting).await;

    // Refused, writing nothing: the same pair again, a person who is busy in the slot, a table
    // that is taken, one person twice, someone without a ticket for the event.
    let before = meetings_count(&app).await;
    assert_eq!(field(&book(p27, p26, slots[1], String::new()).await), "second");
    let busy = book(p26, p28, slots[0], String::new()).await;
    assert_eq!(field(&busy), "slot");
    assert!(busy.body.to_string().contains("has another meeting in this slot"), "{busy:?}");
    let taken = book(p28, p29, slots[0], table.to_string()).await;
    assert_eq!(field(&taken), "slot");
    assert!(taken.body.to_string().contains("That table is taken"), "{taken:?}");
    assert_eq!(field(&book(p28, p28, slots[0], String::new()).await), "second");
    let leuven: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select t.id from tickets t join events e on e.id = t.event_id where e.slug = 'leuven-2027' limit 1"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(field(&book(p28, leuven, slots[0], String::new()).await), "second");
    assert_eq!(field(&book(p28, p29, slots[0], "table nine".into()).await), "table");
    assert_eq!(meetings_count(&app).await, before, "nothing written");

    // Moved to another slot and a chosen table: the seats follow, the calendar sequence rises,
    // both are told.
    let sequence = scalar(&app, "select sequence from meetings where id = $1", meeting).await;
    let table = scalar(&app, "select max(id) from b2b_tables where event_id = $1", event_id(&app).await).await;
    let moved = relocate(meeting, slots[1], table.to_string()).await;
    assert!(moved.ok(), "{moved:?}");
    assert_eq!(seats_of(meeting).await, vec![(slots[1], p26), (slots[1], p27)]);
    assert_eq!(scalar(&app, "select sequence from meetings where id = $1", meeting).await, sequence + 1);
    assert_eq!(scalar(&app, "select table_id from meetings where id = $1", meeting).await, table);
    let (subject, _) = app.last_mail_to("b2b26.heidelberg@eventxchange.test").await.unwrap();
    assert!(subject.contains("moved"), "{subject}");
    // Not into a slot where one of them meets someone else: refused, nothing changes.
    assert!(book(p26, p28, slots[2], String::new()).await.ok());
    let clash = relocate(meeting, slots[2], String::new()).await;
    assert_eq!(field(&clash), "slot");
    assert_eq!(seats_of(meeting).await, vec![(slots[1], p26), (slots[1], p27)]);
    assert_eq!(scalar(&app, "select slot_id from meetings where id = $1", meeting).await, slots[1]);
    // Nor onto itself.
    assert_eq!(field(&relocate(meeting, slots[1], table.to_string()).await), "slot");
    // Attendees cannot book or move.
    let (_, attendee) = as_participant(&app, 28).await;
    let reply = attendee
        .submit(
            "book_meeting",
            &[
                ("slug", HEIDELBERG),
                ("first", &p28.to_string()),
                ("second", &p29.to_string()),
                ("slot", &slots[3].to_string()),
                ("table", ""),
            ],
        )
        .await;
    assert_eq!(reply.status, 403);

    // The demo's disputed meeting: confirmed at the table and reported as missed. It does not
    // count as held until the organisers decide; they decide once.
    let disputed: (i64, i64) = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select m.id, t.user_id from meetings m join tickets t on t.id = m.requester_ticket_id
          where m.event_id = $1 and m.held_confirmed_at is not null and m.no_show_reported_at is not null"
    )
    .bind(event_id(&app).await)
    .fetch_one(pool)
    .await
    .unwrap());
    let requester = app.browser_as(disputed.1).await;
    let card = |reply: Reply| {
        reply.body["meetings"].as_array().unwrap().iter().find(|m| m["id"] == disputed.0).cloned().unwrap()
    };
    let seen = card(requester.fetch("my_meetings", &[("slug", HEIDELBERG)]).await);
    assert_eq!((seen["disputed"].clone(), seen["verified_held"].clone()), (true.into(), false.into()));
    let decide = |meeting: i64, held: bool| {
        let organiser = organiser.clone();
        async move {
            organiser
                .submit(
                    "decide_no_show",
                    &[("slug", HEIDELBERG), ("meeting", &meeting.to_string()), ("held", &held.to_string())],
                )
                .await
        }
    };
    assert_eq!(field(&decide(meeting, true).await), "meeting", "no dispute on a booked meeting");
    assert!(decide(disputed.0, false).await.ok());
    assert_eq!(field(&decide(disputed.0, true).await), "meeting", "decided once");
    let seen = card(requester.fetch("my_meetings", &[("slug", HEIDELBERG)]).await);
    assert_eq!((seen["disputed"].clone(), seen["held_confirmed"].clone()), (false.into(), false.into()));
    let decided: (Option<String>, Option<i64>) = app::db_run!(app.db(), |pool| sqlx::query_as(
        "select dispute_decision, dispute_decided_by from meetings where id = $1"
    )
    .bind(disputed.0)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(decided.0.as_deref(), Some("not held"));
    assert!(decided.1.is_some(), "who decided is kept");
    // The desk page shows it all.
    let (status, html) = organiser.page(&format!("/organise/{HEIDELBERG}/b2b/meetings")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Book a meeting for two people") && html.contains("Decided: not held"), "the desk");
}

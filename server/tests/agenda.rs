//! Agendas over HTTP, on SQLite and PostgreSQL: public pages and filters, calendar files checked
//! by an independent validator, the personal agenda with seat limits under concurrency, the
//! organiser's editor with its clash rules, and CSV import/export.

mod common;

use common::{Backend, Browser, TestApp};
use serde_json::Value;

const HEIDELBERG: &str = "heidelberg-2027";

async fn agenda(browser: &Browser, slug: &str) -> Value {
    let reply = browser.fetch("agenda", &[("slug", slug)]).await;
    assert!(reply.ok(), "{reply:?}");
    reply.body
}

fn session_id_titled(agenda: &Value, title: &str) -> i64 {
    agenda["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"].as_str().unwrap().contains(title))
        .unwrap_or_else(|| panic!("no session titled {title}"))["id"]
        .as_i64()
        .unwrap()
}

async fn session_count(app: &TestApp) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from agenda_sessions")
        .fetch_one(pool)
        .await
        .unwrap())
}

async fn the_demo_agendas_are_realistic(backend: Backend) {
    let app = app_or_skip!(backend);
    let browser = app.browser();
    for slug in ["heidelberg-2027", "leuven-2027", "copenhagen-2027", "tartu-2027"] {
        let agenda = agenda(&browser, slug).await;
        let sessions = agenda["sessions"].as_array().unwrap();
        assert!(sessions.len() >= 20, "{slug}: {} sessions", sessions.len());
        assert_eq!(agenda["tracks"].as_array().unwrap().len(), 3, "{slug}");
        let speakers: std::collections::HashSet<i64> = sessions
            .iter()
            .flat_map(|s| s["speakers"].as_array().unwrap().iter().map(|sp| sp["id"].as_i64().unwrap()))
            .collect();
        assert!(speakers.len() >= 10, "{slug}: {} speakers", speakers.len());
    }
}

async fn agenda_pages_filter_and_show_local_times(backend: Backend) {
    let app = app_or_skip!(backend);
    let browser = app.browser();
    let (_, html) = browser.page("/events/heidelberg-2027").await;
    assert!(html.contains("24 sessions with 12 speakers in 3 tracks"), "the event page summarises its programme");
    let (status, html) = browser.page("/events/heidelberg-2027/agenda").await;
    assert_eq!(status, 200);
    let all = html.matches("data-session=").count();
    assert!(all >= 20, "{all}");
    assert!(html.contains("09:30–10:15 CET"), "times carry the zone");
    let (_, html) = browser.page("/events/heidelberg-2027/agenda?track=Clinical%20translation").await;
    assert_eq!(html.matches("data-session=").count(), 6);
    // The theme filter shows exactly the sessions of that theme, as the agenda data says (and
    // none for a theme the event has no session of).
    let data = agenda(&browser, HEIDELBERG).await;
    let mut counts = Vec::new();
    for (code, name) in
        [("biomarkers", "Biomarkers"), ("companion-diagnostics", "CompanionDiagnostics"), ("multiomics", "Multiomics")]
    {
        let themed = data["sessions"].as_array().unwrap().iter().filter(|s| s["theme"] == name).count();
        let (_, html) = browser.page(&format!("/events/heidelberg-2027/agenda?theme={code}")).await;
        assert_eq!(html.matches("data-session=").count(), themed, "?theme={code}");
        counts.push(themed);
    }
    assert!(counts.iter().any(|n| *n > 0) && counts.iter().any(|n| *n < all), "{counts:?} of {all}");
    let (_, html) = browser.page("/events/heidelberg-2027/agenda?day=2027-03-17&by=track").await;
    let day_two = html.matches("data-session=").count();
    assert!(day_two > 0 && day_two < all);
    // Leuven's event is in May: summer time.
    let (_, html) = browser.page("/events/leuven-2027/agenda").await;
    assert!(html.contains("CEST"));

    let agenda = agenda(&browser, HEIDELBERG).await;
    let id = session_id_titled(&agenda, "Liquid biopsy");
    let (status, html) = browser.page(&format!("/events/heidelberg-2027/sessions/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Liquid biopsy beyond ctDNA") && html.contains("Hall Rhine"));
    let speaker = agenda["sessions"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()["speakers"][0]["id"]
        .as_i64()
        .unwrap();
    let (status, html) = browser.page(&format!("/events/heidelberg-2027/speakers/{speaker}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Liquid biopsy beyond ctDNA"));
    assert_eq!(browser.page("/events/heidelberg-2027/sessions/999999").await.0, 404);
    assert_eq!(browser.page(&format!("/events/leuven-2027/sessions/{id}")).await.0, 404);
}

/// Runs the independent RFC 5545 validator on a calendar file.
fn validate_ics(name: &str, body: &str) {
    common::independent_check("validate_ics.py", &format!("{name}.ics"), body.as_bytes(), &["--strict-folding"]);
}

async fn calendar_files_are_valid_and_stable(backend: Backend) {
    let app = app_or_skip!(backend);
    let browser = app.browser();
    let response = reqwest::get(format!("{}/events/copenhagen-2027/calendar.ics", app.base())).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
    let event_ics = response.text().await.unwrap();
    validate_ics("event", &event_ics);
    // Every event's file, each in its own zone.
    for slug in ["heidelberg-2027", "leuven-2027", "copenhagen-2027", "tartu-2027"] {
        let body =
            reqwest::get(format!("{}/events/{slug}/calendar.ics", app.base())).await.unwrap().text().await.unwrap();
        validate_ics(slug, &body);
    }
    assert!(event_ics.contains("UID:event-copenhagen-2027@eventxchange.celis\r\n"));
    // 09:00 in Copenhagen on 14 September 2027 is 07:00 UTC (summer time).
    assert!(event_ics.contains("DTSTART:20270914T070000Z\r\n"), "{event_ics}");

    let agenda = agenda(&browser, "copenhagen-2027").await;
    for session in agenda["sessions"].as_array().unwrap() {
        let id = session["id"].as_i64().unwrap();
        let ics = reqwest::get(format!("{}/events/copenhagen-2027/sessions/{id}/calendar.ics", app.base()))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        validate_ics(&format!("session-{id}"), &ics);
        assert!(ics.contains(&format!("UID:session-{id}@eventxchange.celis\r\n")));
    }
    assert_eq!(
        reqwest::get(format!("{}/events/copenhagen-2027/sessions/0/calendar.ics", app.base())).await.unwrap().status(),
        404
    );
}

async fn personal_agenda_flags_overlaps(backend: Backend) {
    let app = app_or_skip!(backend);
    let anonymous = app.browser();
    let agenda_view = agenda(&anonymous, HEIDELBERG).await;
    let liquid = session_id_titled(&agenda_view, "Liquid biopsy");
    let design = session_id_titled(&agenda_view, "Designing biomarker-stratified trials");
    let keynote = session_id_titled(&agenda_view, "Keynote: Biomarkers that changed");
    let refused = anonymous
        .submit("personal_agenda", &[("slug", HEIDELBERG), ("session_id", &liquid.to_string()), ("remove", "false")])
        .await;
    assert_eq!(refused.status, 401);

    let attendee = app.signed_in("attendee@eventxchange.test").await;
    for id in [liquid, design, keynote, keynote] {
        let reply = attendee
            .submit("personal_agenda", &[("slug", HEIDELBERG), ("session_id", &id.to_string()), ("remove", "false")])
            .await;
        assert!(reply.ok(), "{reply:?}");
    }
    let mine = attendee.fetch("my_agenda", &[]).await.body;
    let heidelberg = &mine[0];
    assert_eq!(heidelberg["slug"], HEIDELBERG);
    assert_eq!(heidelberg["sessions"].as_array().unwrap().len(), 3, "adding twice keeps one entry");
    let mut clashing: Vec<i64> =
        heidelberg["clashing"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    clashing.sort();
    let mut expected = vec![liquid, design];
    expected.sort();
    assert_eq!(clashing, expected, "two parallel sessions clash, the keynote does not");
    let (_, html) = attendee.page("/account").await;
    assert!(html.contains("Overlaps another session you chose."));

    let reply = attendee
        .submit("personal_agenda", &[("slug", HEIDELBERG), ("session_id", &design.to_string()), ("remove", "true")])
        .await;
    assert!(reply.ok());
    let mine = attendee.fetch("my_agenda", &[]).await.body;
    assert!(mine[0]["clashing"].as_array().unwrap().is_empty());
}

/// The personal agenda works without JavaScript: the agenda page's own form, posted as a plain
/// form, adds the session and comes back to the page, which then offers to remove it.
async fn personal_agenda_works_without_javascript(backend: Backend) {
    let app = app_or_skip!(backend);
    let attendee = app.signed_in("attendee@eventxchange.test").await;
    let agenda_view = agenda(&attendee, HEIDELBERG).await;
    let keynote = session_id_titled(&agenda_view, "Keynote: Biomarkers that changed");
    let page = format!("/events/{HEIDELBERG}/agenda");
    let (status, html) = attendee.page(&page).await;
    assert_eq!(status, 200);
    let marker = format!("name=\"session_id\" value=\"{keynote}\"");
    let (action, fields) = common::form_containing(&html, &marker).expect("the session's form is in the page");
    assert!(fields.iter().any(|(name, value)| name == "remove" && value == "false"), "{fields:?}");
    // As a browser without JavaScript sends it: url-encoded, with the page as Referer.
    let response = attendee
        .client
        .post(format!("{}{action}", app.base()))
        .header("referer", format!("{}{page}", app.base()))
        .header("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let back = response.headers()["location"].to_str().unwrap().to_string();
    assert!(back.trim_end_matches('?').ends_with(&page), "back to the agenda: {back}");
    let (_, html) = attendee.page(&page).await;
    let (_, fields) = common::form_containing(&html, &marker).unwrap();
    assert!(fields.iter().any(|(name, value)| name == "remove" && value == "true"), "now offered for removal");
    let mine = attendee.fetch("my_agenda", &[]).await.body;
    assert!(mine.to_string().contains(&format!("\"id\":{keynote}")), "{mine}");
}

async fn limited_seats_are_never_overbooked(backend: Backend) {
    let app = app_or_skip!(backend);
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let created = organiser
        .submit(
            "save_session",
            &[
                ("slug", HEIDELBERG),
                ("session_id", ""),
                ("title", "Hands-on: assay design clinic"),
                ("abstract_text", ""),
                ("day", "2027-03-17"),
                ("start", "16:00"),
                ("end", "17:00"),
                ("track", ""),
                ("room", "Hall Neckar"),
                ("speakers", ""),
                ("capacity", "5"),
                ("theme", ""),
            ],
        )
        .await;
    assert!(created.ok(), "{created:?}");
    let session_id = created.body.as_i64().unwrap().to_string();

    // Someone without a ticket for the event takes no seat.
    let visitor = app.browser_as(app.attendee("visitor@example.org", "Vera Visitor").await).await;
    let refused = visitor
        .submit("personal_agenda", &[("slug", HEIDELBERG), ("session_id", &session_id), ("remove", "false")])
        .await;
    assert_eq!(refused.error_field().as_deref(), Some("session"), "{refused:?}");

    // Twelve ticket holders, signed in before the race starts, for five seats.
    let mut racers = Vec::new();
    for i in 0..12 {
        let (_, browser) = app.ticket_holder(&format!("seat{i}@example.org"), "Seat Seeker", HEIDELBERG).await;
        browser.csrf().await;
        racers.push(browser);
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(racers.len()));
    let mut attempts = Vec::new();
    for browser in racers {
        let session_id = session_id.clone();
        let start = start.clone();
        attempts.push(tokio::spawn(async move {
            start.wait().await;
            browser
                .submit("personal_agenda", &[("slug", HEIDELBERG), ("session_id", &session_id), ("remove", "false")])
                .await
        }));
    }
    let mut seated = 0;
    for attempt in attempts {
        let reply = attempt.await.unwrap();
        if reply.ok() {
            seated += 1;
        } else {
            assert_eq!(reply.error_field().as_deref(), Some("session"), "{reply:?}");
        }
    }
    assert_eq!(seated, 5);
    let (taken, chosen): (i64, i64) = app::db_run!(app.db(), |pool| {
        sqlx::query_as(
        "select s.seats_taken, (select count(*) from personal_agenda p where p.session_id = s.id) from agenda_sessions s where s.id = $1"
    )
    .bind(session_id.parse::<i64>().unwrap())
    .fetch_one(pool)
    .await
    .unwrap()
    });
    assert_eq!((taken, chosen), (5, 5));
}

/// Anonymous visitors' agenda pages come from the page store while the agenda is unchanged:
/// each visitor still gets their own CSRF token and a script nonce never served before, and a
/// new session or a taken seat shows at once; signed-in visitors get their own page.
async fn stored_agenda_pages_stay_personal_and_current(backend: Backend) {
    let app = app_or_skip!(backend);
    let page = format!("/events/{HEIDELBERG}/agenda");
    let visit = |browser: Browser| {
        let url = format!("{}{page}", app.base());
        async move {
            let response = browser.client.get(url).header("accept", "text/html").send().await.unwrap();
            assert_eq!(response.status(), 200);
            let policy = response.headers()["content-security-policy"].to_str().unwrap().to_string();
            let nonce = policy.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
            let html = response.text().await.unwrap();
            (browser.cookie("exx_csrf").expect("a CSRF cookie"), nonce, html)
        }
    };
    let mut nonces = std::collections::HashSet::new();
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let (token, nonce, html) = visit(Browser::new(app.base())).await;
        assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the header's nonce");
        assert!(nonces.insert(nonce), "a nonce was served twice");
        for earlier in &tokens {
            assert!(!html.contains(earlier), "another visitor's CSRF token is in the page");
        }
        tokens.push(token);
    }

    // A new session with seats is on the next anonymous page, and so is a taken seat.
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let mut fields = session_form("", "Stored-page clinic", "2027-03-17", "16:00", "17:00", "Hall Neckar", "");
    fields.iter_mut().find(|(name, _)| *name == "capacity").unwrap().1 = "3";
    let created = organiser.submit("save_session", &fields).await;
    assert!(created.ok(), "{created:?}");
    let session_id = created.body.as_i64().unwrap().to_string();
    let (_, _, html) = visit(Browser::new(app.base())).await;
    assert!(html.contains("Stored-page clinic") && html.contains("0 of 3 seats taken"), "the new session shows");
    let (_, holder) = app.ticket_holder("stored.page@example.org", "Page Reader", HEIDELBERG).await;
    let taken = holder
        .submit("personal_agenda", &[("slug", HEIDELBERG), ("session_id", &session_id), ("remove", "false")])
        .await;
    assert!(taken.ok(), "{taken:?}");
    let (_, _, html) = visit(Browser::new(app.base())).await;
    assert!(html.contains("1 of 3 seats taken"), "the taken seat shows");

    // The signed-in holder's own page offers to remove the session: not the anonymous page.
    let (_, _, html) = visit(holder).await;
    assert!(html.contains("Remove from my agenda"), "a signed-in visitor gets a page of their own");
}

fn session_form<'a>(
    id: &'a str,
    title: &'a str,
    day: &'a str,
    start: &'a str,
    end: &'a str,
    room: &'a str,
    speakers: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("slug", HEIDELBERG),
        ("session_id", id),
        ("title", title),
        ("abstract_text", "About it."),
        ("day", day),
        ("start", start),
        ("end", end),
        ("track", "Clinical translation"),
        ("room", room),
        ("speakers", speakers),
        ("capacity", ""),
        ("theme", "biomarkers"),
    ]
}

async fn organisers_edit_sessions_within_the_rules(backend: Backend) {
    let app = app_or_skip!(backend);
    let before = session_count(&app).await;
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;

    // "Liquid biopsy beyond ctDNA" is in Hall Rhine on 16 March, 10:45–11:45.
    let clash = organiser
        .submit("save_session", &session_form("", "Extra talk", "2027-03-16", "11:00", "11:30", "Hall Rhine", ""))
        .await;
    assert_eq!(clash.status, 422);
    assert_eq!(clash.error_field().as_deref(), Some("room"));
    let message = clash.body["Invalid"]["message"].as_str().unwrap();
    assert!(message.contains("Hall Rhine already holds “Liquid biopsy beyond ctDNA”"), "{message}");

    let speaker_clash = organiser
        .submit("save_session", &session_form("", "Extra talk", "2027-03-16", "11:00", "11:30", "", "Jan de Wit"))
        .await;
    assert_eq!(speaker_clash.error_field().as_deref(), Some("speakers"), "{speaker_clash:?}");

    let outside =
        organiser.submit("save_session", &session_form("", "Late talk", "2027-03-17", "17:00", "18:00", "", "")).await;
    assert_eq!(outside.error_field().as_deref(), Some("start"));
    let backwards =
        organiser.submit("save_session", &session_form("", "Odd talk", "2027-03-17", "12:00", "11:00", "", "")).await;
    assert_eq!(backwards.error_field().as_deref(), Some("end"));
    let unknown = organiser
        .submit("save_session", &session_form("", "Odd talk", "2027-03-17", "16:00", "16:30", "", "Nobody Known"))
        .await;
    assert_eq!(unknown.error_field().as_deref(), Some("speakers"));
    assert_eq!(session_count(&app).await, before, "refused edits change nothing");

    // Moving a session within its own slot is fine; a new session in a free room too.
    let agenda = agenda(&organiser, HEIDELBERG).await;
    let liquid = session_id_titled(&agenda, "Liquid biopsy").to_string();
    let moved = organiser
        .submit(
            "save_session",
            &session_form(
                &liquid,
                "Liquid biopsy beyond ctDNA",
                "2027-03-16",
                "10:45",
                "11:30",
                "Hall Rhine",
                "Jan de Wit",
            ),
        )
        .await;
    assert!(moved.ok(), "{moved:?}");
    let added = organiser
        .submit("save_session", &session_form("", "Extra talk", "2027-03-16", "11:30", "11:45", "Hall Rhine", ""))
        .await;
    assert!(added.ok(), "{added:?}");
    assert_eq!(session_count(&app).await, before + 1);
    let deleted =
        organiser.submit("delete_session", &[("slug", HEIDELBERG), ("session_id", &added.body.to_string())]).await;
    assert!(deleted.ok(), "{deleted:?}");
    assert_eq!(session_count(&app).await, before);

    // Other clusters' organisers, scanners and attendees may not edit.
    for email in
        ["organiser.tartu@eventxchange.test", "scanner.heidelberg@eventxchange.test", "attendee@eventxchange.test"]
    {
        let other = app.signed_in(email).await;
        let refused =
            other.submit("save_session", &session_form("", "Sneaky", "2027-03-17", "16:00", "16:30", "", "")).await;
        assert_eq!(refused.status, 403, "{email}");
        assert_eq!(other.fetch("agenda_editor", &[("slug", HEIDELBERG)]).await.status, 403, "{email}");
        let csv = other.client.get(format!("{}/organise/{HEIDELBERG}/agenda.csv", app.base())).send().await.unwrap();
        assert_eq!(csv.status(), 403, "{email}");
    }
    assert_eq!(session_count(&app).await, before);
}

async fn concurrent_edits_never_double_book_a_room(backend: Backend) {
    let app = app_or_skip!(backend);
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let admin = app.signed_in("admin@eventxchange.test").await;
    let mut attempts = Vec::new();
    for (i, browser) in
        [organiser.clone(), admin.clone(), organiser.clone(), admin.clone(), organiser, admin].into_iter().enumerate()
    {
        attempts.push(tokio::spawn(async move {
            let title = format!("Late-breaking talk {i}");
            browser
                .submit("save_session", &session_form("", &title, "2027-03-17", "16:00", "17:00", "Hall Neckar", ""))
                .await
        }));
    }
    let mut ok = 0;
    for attempt in attempts {
        let reply = attempt.await.unwrap();
        if reply.ok() {
            ok += 1;
        } else {
            assert_eq!(reply.error_field().as_deref(), Some("room"), "{reply:?}");
        }
    }
    assert_eq!(ok, 1, "exactly one of the simultaneous bookings of Hall Neckar wins");
}

async fn csv_export_imports_back_and_bad_files_change_nothing(backend: Backend) {
    let app = app_or_skip!(backend);
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let response =
        organiser.client.get(format!("{}/organise/{HEIDELBERG}/agenda.csv", app.base())).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();
    assert!(csv.starts_with("id,day,start,end,title,track,room,speakers,theme,capacity,abstract"));
    let before = session_count(&app).await;

    let reply = organiser.submit("import_agenda", &[("slug", HEIDELBERG), ("csv", &csv)]).await;
    assert!(reply.ok(), "{reply:?}");
    assert!(reply.body.as_str().unwrap().contains("(0 new, 24 changed)"), "{reply:?}");
    assert_eq!(session_count(&app).await, before);

    let with_new = format!("{csv},2027-03-17,16:00,17:00,Fresh session,New track,New room,New Speaker,,,\n");
    let reply = organiser.submit("import_agenda", &[("slug", HEIDELBERG), ("csv", &with_new)]).await;
    assert!(reply.ok(), "{reply:?}");
    assert_eq!(session_count(&app).await, before + 1);

    let bad = "id,day,start,end,title,room\n\
               ,2027-03-17,16:00,16:30,Fine row,Hall Rhine\n\
               ,2027-03-17,16:00,15:00,Backwards,\n\
               ,2027-03-16,11:00,11:30,Clashing,Hall Rhine\n\
               ,2027-04-01,10:00,11:00,Wrong day,\n";
    let reply = organiser.submit("import_agenda", &[("slug", HEIDELBERG), ("csv", bad)]).await;
    assert_eq!(reply.error_field().as_deref(), Some("csv"));
    let report = reply.body["Invalid"]["message"].as_str().unwrap();
    assert!(report.contains("Line 3 (end)"), "{report}");
    assert!(report.contains("Line 5 (start)"), "{report}");
    assert_eq!(session_count(&app).await, before + 1, "nothing of a bad file is imported");

    // Rows that parse but clash are reported too, and still nothing is written.
    let clashing = "id,day,start,end,title,room\n,2027-03-17,16:00,16:30,Fine row,Hall Rhine\n,2027-03-16,11:00,11:30,Clashing,Hall Rhine\n";
    let reply = organiser.submit("import_agenda", &[("slug", HEIDELBERG), ("csv", clashing)]).await;
    let report = reply.body["Invalid"]["message"].as_str().unwrap();
    assert!(report.contains("Line 3 (room)"), "{report}");
    assert_eq!(session_count(&app).await, before + 1);
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(width, height, image::Rgb([30, 90, 160])))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn upload_photo(browser: &Browser, speaker: i64, bytes: Vec<u8>, csrf: &str, accept: &str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .part("photo", reqwest::multipart::Part::bytes(bytes).file_name("photo.png"));
    browser
        .client
        .post(format!("{}/organise/{HEIDELBERG}/speakers/{speaker}/photo", browser.base))
        .header("accept", accept)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn speaker_photos_are_checked_resized_and_served(backend: Backend) {
    let app = app_or_skip!(backend);
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let csrf = organiser.csrf().await;
    let editor = organiser.fetch("agenda_editor", &[("slug", HEIDELBERG)]).await.body;
    let speaker = editor["speakers"][0]["id"].as_i64().unwrap();
    let photo_url = format!("{}/events/{HEIDELBERG}/speakers/{speaker}/photo.jpg", app.base());
    assert_eq!(reqwest::get(&photo_url).await.unwrap().status(), 404, "no photo yet");

    let refused =
        upload_photo(&organiser, speaker, b"GIF89a? no, a text file".to_vec(), &csrf, "application/json").await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["field"], "photo");
    assert!(body["error"].as_str().unwrap().contains("not a PNG, JPEG or WebP"), "{body}");
    // A large upload (over axum's default 2 MiB) still reaches the photo check with its token.
    let large = upload_photo(&organiser, speaker, vec![7u8; 3_000_000], &csrf, "application/json").await;
    assert_eq!(large.status(), 422, "the CSRF guard read the token of a 3 MB form");
    assert_eq!(reqwest::get(&photo_url).await.unwrap().status(), 404, "a refused upload stores nothing");

    let forged = upload_photo(&organiser, speaker, png(50, 50), "not-the-token", "application/json").await;
    assert_eq!(forged.status(), 403);
    let other = app.signed_in("organiser.tartu@eventxchange.test").await;
    let other_csrf = other.csrf().await;
    assert_eq!(upload_photo(&other, speaker, png(50, 50), &other_csrf, "application/json").await.status(), 403);

    // A browser's plain form post is sent back to the editor.
    let saved = upload_photo(&organiser, speaker, png(1600, 1200), &csrf, "text/html").await;
    assert_eq!(saved.status(), 303);
    assert!(saved.headers()["location"].to_str().unwrap().contains("photo=saved"));
    let served = reqwest::get(&photo_url).await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    let stored = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!((stored.width(), stored.height()), (400, 300));
    let (_, html) = organiser.page(&format!("/events/{HEIDELBERG}/speakers/{speaker}")).await;
    assert!(html.contains("photo.jpg"), "the speaker page shows the photo");
}

fn event_form<'a>(title: &'a str, first_day: &'a str, last_day: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("slug", HEIDELBERG),
        ("title", title),
        ("summary", "Biomarkers that reach the clinic."),
        ("description", "Two days.\n\nWith B2B meetings."),
        ("venue_name", "Heidelberg Congress Centre"),
        ("venue_address", "Neckarstaden 24, 69117 Heidelberg, Germany"),
        ("languages", "en, de"),
        ("first_day", first_day),
        ("opens", "09:00"),
        ("last_day", last_day),
        ("closes", "17:30"),
    ]
}

async fn organisers_edit_event_details(backend: Backend) {
    let app = app_or_skip!(backend);
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let saved = organiser
        .submit("save_event_details", &event_form("Biomarker Days Heidelberg", "2027-03-16", "2027-03-17"))
        .await;
    assert!(saved.ok(), "{saved:?}");
    let (_, html) = organiser.page("/events/heidelberg-2027").await;
    assert!(html.contains("Biomarker Days Heidelberg") && html.contains("Neckarstaden 24"));

    // One day shorter would leave the second day's sessions outside the event.
    let shorter = organiser.submit("save_event_details", &event_form("Short", "2027-03-16", "2027-03-16")).await;
    assert_eq!(shorter.error_field().as_deref(), Some("first_day"), "{shorter:?}");
    let backwards = organiser.submit("save_event_details", &event_form("Odd", "2027-03-17", "2027-03-16")).await;
    assert_eq!(backwards.error_field().as_deref(), Some("closes"));
    let mut no_title = event_form("", "2027-03-16", "2027-03-17");
    no_title[1].1 = " ";
    assert_eq!(organiser.submit("save_event_details", &no_title).await.error_field().as_deref(), Some("title"));
    let (_, html) = organiser.page("/events/heidelberg-2027").await;
    assert!(html.contains("Biomarker Days Heidelberg"), "refused changes change nothing");

    let other = app.signed_in("organiser.smarthub@eventxchange.test").await;
    assert_eq!(
        other.submit("save_event_details", &event_form("Hijacked", "2027-03-16", "2027-03-17")).await.status,
        403
    );
}

async fn organisers_rename_and_remove_speakers_rooms_and_tracks(backend: Backend) {
    let app = app_or_skip!(backend);
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let before = session_count(&app).await;
    let view = agenda(&organiser, HEIDELBERG).await; // fills the agenda cache
    let liquid = session_id_titled(&view, "Liquid biopsy");
    let editor = organiser.fetch("agenda_editor", &[("slug", HEIDELBERG)]).await.body;
    let jan = editor["speakers"].as_array().unwrap().iter().find(|s| s["name"] == "Jan de Wit").unwrap()["id"]
        .as_i64()
        .unwrap();
    let other = editor["speakers"].as_array().unwrap().iter().find(|s| s["name"] != "Jan de Wit").unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    let id = jan.to_string();

    let taken = organiser
        .submit(
            "update_speaker",
            &[("slug", HEIDELBERG), ("speaker_id", &id), ("name", &other), ("organisation", ""), ("bio", "")],
        )
        .await;
    assert_eq!(taken.error_field().as_deref(), Some("speaker_name"), "{taken:?}");
    let renamed = organiser
        .submit(
            "update_speaker",
            &[
                ("slug", HEIDELBERG),
                ("speaker_id", &id),
                ("name", "Jan De Wit-Peeters"),
                ("organisation", "KU Leuven"),
                ("bio", "Biomarker scientist."),
            ],
        )
        .await;
    assert!(renamed.ok(), "{renamed:?}");
    let view = agenda(&organiser, HEIDELBERG).await;
    let card = view["sessions"].as_array().unwrap().iter().find(|s| s["id"] == liquid).unwrap();
    assert_eq!(card["speakers"][0]["name"], "Jan De Wit-Peeters", "pages show the change at once");

    let removed =
        organiser.submit("remove_agenda_item", &[("slug", HEIDELBERG), ("kind", "room"), ("name", "Hall Rhine")]).await;
    assert!(removed.ok(), "{removed:?}");
    let view = agenda(&organiser, HEIDELBERG).await;
    let card = view["sessions"].as_array().unwrap().iter().find(|s| s["id"] == liquid).unwrap();
    assert!(card["room"].is_null(), "the session stays, without its room");
    let gone =
        organiser.submit("remove_agenda_item", &[("slug", HEIDELBERG), ("kind", "room"), ("name", "Hall Rhine")]).await;
    assert_eq!(gone.status, 404);
    assert_eq!(session_count(&app).await, before);
    let attendee = app.signed_in("attendee@eventxchange.test").await;
    let refused = attendee
        .submit("remove_agenda_item", &[("slug", HEIDELBERG), ("kind", "track"), ("name", "Clinical translation")])
        .await;
    assert_eq!(refused.status, 403);
}

on_both_backends!(
    stored_agenda_pages_stay_personal_and_current,
    organisers_rename_and_remove_speakers_rooms_and_tracks,
    organisers_edit_event_details,
    speaker_photos_are_checked_resized_and_served,
    the_demo_agendas_are_realistic,
    agenda_pages_filter_and_show_local_times,
    calendar_files_are_valid_and_stable,
    personal_agenda_flags_overlaps,
    personal_agenda_works_without_javascript,
    limited_seats_are_never_overbooked,
    organisers_edit_sessions_within_the_rules,
    concurrent_edits_never_double_book_a_room,
    csv_export_imports_back_and_bad_files_change_nothing,
);

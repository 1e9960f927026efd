//! Calendar invitations and feeds, on SQLite and PostgreSQL: a meeting's invitation mailed on
//! acceptance (through a real SMTP listener, with the `text/calendar; method=REQUEST` part
//! intact), updated with the same UID and a higher SEQUENCE when it moves, cancelled with
//! METHOD:CANCEL; the downloads only for the two people and the organisers; the private feed
//! with its ETag, the cancelled meeting in it, and a rotated secret that kills the old address.
//! Every file passes the independent validator.

mod common;

use std::time::Duration;

use common::b2b::{answer, as_participant, demo_participant, request, scalar, slot_ids, HEIDELBERG};
use common::{smtp, Backend, Browser, TestApp};

on_both_backends!(
    a_meeting_invitation_is_mailed_updated_and_cancelled,
    downloads_are_for_the_two_people_and_the_organisers,
    the_feed_follows_changes_answers_304_and_dies_when_rotated,
);

fn validate(name: &str, ics: &str) {
    common::independent_check("validate_ics.py", &format!("{name}.ics"), ics.as_bytes(), &["--strict-folding"]);
}

/// The newest queued mail to the address with its attachment: (subject, content type, file).
async fn invitation_to(app: &TestApp, email: &str) -> (String, String, String) {
    app::db_run!(app.db(), |pool| sqlx::query_as(
        "select subject, attachment_type, attachment_body from outbox
          where recipient = $1 and attachment_type is not null order by id desc limit 1"
    )
    .bind(email)
    .fetch_one(pool)
    .await
    .expect("an invitation"))
}

fn property(ics: &str, name: &str) -> String {
    let unfolded = ics.replace("\r\n ", "");
    unfolded
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")).map(|v| v.trim_end().to_string()))
        .unwrap_or_else(|| panic!("no {name} in\n{ics}"))
}

/// Participants 26 and 27 (free in the demo) agree a meeting; 26 is renamed "Müller, Alice"
/// first, to see the quoted CN. Returns the meeting and both browsers.
async fn agreed_meeting(app: &TestApp) -> (i64, Browser, Browser) {
    let (a_ticket, a) = as_participant(app, 26).await;
    let (b_ticket, b) = as_participant(app, 27).await;
    app::db_run!(app.db(), |pool| sqlx::query("update tickets set attendee_name = 'Müller, Alice' where id = $1")
        .bind(a_ticket)
        .execute(pool)
        .await
        .map(|d| d.rows_affected())
        .unwrap());
    let meeting = request(&a, b_ticket, "first").await.body.as_i64().expect("requested");
    let accepted = answer(&b, meeting, "accept").await;
    assert!(accepted.ok(), "{accepted:?}");
    (meeting, a, b)
}

async fn a_meeting_invitation_is_mailed_updated_and_cancelled(backend: Backend) {
    let listener = smtp::start();
    let port = listener.port;
    let app = app_or_skip!(TestApp::spawn_configured(backend, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    }));
    let (meeting, a, _) = agreed_meeting(&app).await;
    let uid = format!("meeting-{meeting}@eventxchange.celis");
    let (a_mail, b_mail) = ("b2b26.heidelberg@eventxchange.test", "b2b27.heidelberg@eventxchange.test");

    // Both get the invitation: organised by the platform's sender, both people attending.
    let mut starts = Vec::new();
    for email in [a_mail, b_mail] {
        let (_, kind, ics) = invitation_to(&app, email).await;
        assert_eq!(kind, "text/calendar; charset=utf-8; method=REQUEST");
        validate("invitation", &ics);
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("METHOD:REQUEST\r\n"));
        assert_eq!(property(&ics, "UID"), uid);
        assert_eq!(property(&ics, "SEQUENCE"), "1");
        assert!(unfolded.contains("ORGANIZER;CN=EventXchange:mailto:no-reply@eventxchange.test\r\n"), "{ics}");
        assert!(
            unfolded.contains(&format!(
                "ATTENDEE;CN=\"Müller, Alice\";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:{a_mail}"
            )),
            "{ics}"
        );
        assert!(unfolded.contains(&format!(":mailto:{b_mail}\r\n")));
        assert!(property(&ics, "LOCATION").starts_with("Table "), "{ics}");
        starts.push(property(&ics, "DTSTART"));
    }
    let slot: i64 = scalar(&app, "select slot_id from meetings where id = $1", meeting).await;
    let slot_start: i64 = scalar(&app, "select starts_at from b2b_slots where id = $1", slot).await;
    assert_eq!(starts[0], app::calendar::utc(slot_start), "the slot's instant, in UTC");

    // The mail itself, as the SMTP listener received it: the invitation is an alternative of the
    // text with its method intact, and attached as a file too.
    // The request, then the two invitations.
    let mails = listener.wait_for_messages(3, Duration::from_secs(30)).await;
    let mail = mails
        .iter()
        .find(|m| m.to.contains(b_mail) && m.subject.starts_with("Meeting with"))
        .expect("the recipient's invitation");
    let (content_type, inline) =
        mail.inline_part("text/calendar").unwrap_or_else(|| panic!("no inline calendar part:\n{}", mail.raw));
    assert!(content_type.contains("method=REQUEST"), "{content_type}");
    assert!(inline.contains(&format!("UID:{uid}")), "{inline}");
    assert_eq!(mail.attachment_names(), vec!["meeting.ics".to_string()]);
    assert!(mail.body_text().contains("is agreed"));

    // Moved by the organisers: same UID, higher SEQUENCE, the new time.
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let later = *slot_ids(&app).await.iter().rev().find(|s| **s != slot).unwrap();
    let moved = organiser
        .submit(
            "move_meeting",
            &[("slug", HEIDELBERG), ("meeting", &meeting.to_string()), ("slot", &later.to_string()), ("table", "")],
        )
        .await;
    assert!(moved.ok(), "{moved:?}");
    let later_start: i64 = scalar(&app, "select starts_at from b2b_slots where id = $1", later).await;
    for email in [a_mail, b_mail] {
        let (subject, kind, ics) = invitation_to(&app, email).await;
        assert!(subject.contains("moved"), "{subject}");
        assert!(kind.ends_with("method=REQUEST"));
        validate("update", &ics);
        assert_eq!(property(&ics, "UID"), uid);
        assert_eq!(property(&ics, "SEQUENCE"), "2");
        assert_eq!(property(&ics, "DTSTART"), app::calendar::utc(later_start));
    }

    // Cancelled by one of them: both calendars get METHOD:CANCEL.
    let cancelled =
        a.submit("cancel_meeting", &[("slug", HEIDELBERG), ("meeting", &meeting.to_string()), ("reason", "")]).await;
    assert!(cancelled.ok(), "{cancelled:?}");
    for email in [a_mail, b_mail] {
        let (_, kind, ics) = invitation_to(&app, email).await;
        assert!(kind.ends_with("method=CANCEL"), "{kind}");
        validate("cancel", &ics);
        assert!(ics.contains("METHOD:CANCEL\r\n") && ics.contains("STATUS:CANCELLED\r\n"));
        assert_eq!(property(&ics, "UID"), uid);
        assert_eq!(property(&ics, "SEQUENCE"), "3");
    }
    let mails = listener.wait_for_messages(7, Duration::from_secs(30)).await;
    let cancel = mails.iter().rev().find(|m| m.to.contains(b_mail)).unwrap();
    assert!(cancel.inline_part("text/calendar").unwrap().0.contains("method=CANCEL"));
}

async fn downloads_are_for_the_two_people_and_the_organisers(backend: Backend) {
    let app = app_or_skip!(backend);
    let (meeting, a, b) = agreed_meeting(&app).await;
    let path = format!("/meetings/{meeting}/invite.ics");
    let base = app.base().to_string();
    let get = |browser: Browser, path: String| {
        let base = base.clone();
        async move {
            let response = browser.client.get(format!("{base}{path}")).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    for (who, browser) in [("requester", a.clone()), ("recipient", b.clone()), ("organiser", organiser)] {
        let (status, ics) = get(browser, path.clone()).await;
        assert_eq!(status, 200, "{who}");
        validate(who, &ics);
        assert!(ics.contains(&format!("UID:meeting-{meeting}@eventxchange.celis")));
    }
    // Each sees it from their side.
    let (_, mine) = get(b.clone(), path.clone()).await;
    assert!(mine.replace("\r\n ", "").contains("SUMMARY:B2B meeting with Müller\\, Alice"), "{mine}");
    // A stranger, another event's organiser, and a request never agreed: 404.
    let (_, stranger) = as_participant(&app, 28).await;
    assert_eq!(get(stranger.clone(), path.clone()).await.0, 404);
    let other_organiser = app.signed_in("organiser.tartu@eventxchange.test").await;
    assert_eq!(get(other_organiser, path.clone()).await.0, 404);
    let (p30, _) = demo_participant(&app, 30).await;
    let pending = request(&stranger, p30, "first").await.body.as_i64().unwrap();
    assert_eq!(get(stranger.clone(), format!("/meetings/{pending}/invite.ics")).await.0, 404);
    assert_eq!(get(stranger.clone(), "/meetings/not-a-number/invite.ics".into()).await.0, 404);

    // The personal agenda of the event: the meeting, a chosen session, nothing of others.
    let (status, agenda) = get(a.clone(), format!("/events/{HEIDELBERG}/meetings/calendar.ics")).await;
    assert_eq!(status, 200);
    validate("agenda", &agenda);
    assert!(agenda.contains(&format!("UID:meeting-{meeting}@eventxchange.celis")));
    assert!(!agenda.contains("ATTENDEE"), "a published file names no attendees");
    let (_, theirs) = get(stranger, format!("/events/{HEIDELBERG}/meetings/calendar.ics")).await;
    assert!(!theirs.contains(&format!("UID:meeting-{meeting}@")), "not in a stranger's agenda");
}

async fn the_feed_follows_changes_answers_304_and_dies_when_rotated(backend: Backend) {
    let app = app_or_skip!(backend);
    let (meeting, a, _) = agreed_meeting(&app).await;
    let made = a.submit("new_calendar_feed", &[]).await;
    assert!(made.ok(), "{made:?}");
    let https = made.body["https"].as_str().unwrap().to_string();
    assert!(made.body["webcal"].as_str().unwrap().starts_with("webcal://"), "{made:?}");
    let path = https.split_once("/calendar/").map(|(_, rest)| format!("/calendar/{rest}")).unwrap();
    let secret = path.trim_start_matches("/calendar/").trim_end_matches(".ics").to_string();
    assert!(secret.len() >= 64, "long and random");
    let stored: i64 =
        app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from calendar_feeds where secret_hash = $1")
            .bind(&secret)
            .fetch_one(pool)
            .await
            .unwrap());
    assert_eq!(stored, 0, "only a hash of the secret is stored");

    // Calendar clients have no session: the secret alone opens it.
    let client = reqwest::Client::new();
    let base = app.base().to_string();
    let fetch = |tag: Option<String>, path: String| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let mut request = client.get(format!("{base}{path}"));
            if let Some(tag) = tag {
                request = request.header("If-None-Match", tag);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let etag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
            let modified = response.headers().get("last-modified").is_some();
            (status, etag, modified, response.text().await.unwrap())
        }
    };
    let (status, etag, modified, feed) = fetch(None, path.clone()).await;
    assert_eq!(status, 200);
    assert!(modified, "Last-Modified");
    validate("feed", &feed);
    assert!(feed.contains(&format!("UID:meeting-{meeting}@eventxchange.celis")));
    let etag = etag.expect("an ETag");
    // Unchanged: 304, with nothing in the body.
    let (status, _, _, body) = fetch(Some(etag.clone()), path.clone()).await;
    assert_eq!((status, body.as_str()), (304, ""));

    // Cancelled: the feed changes, and keeps the meeting as cancelled (the event is not over).
    let cancelled =
        a.submit("cancel_meeting", &[("slug", HEIDELBERG), ("meeting", &meeting.to_string()), ("reason", "")]).await;
    assert!(cancelled.ok());
    let (status, new_etag, _, feed) = fetch(Some(etag.clone()), path.clone()).await;
    assert_eq!(status, 200, "changed since that ETag");
    assert_ne!(new_etag.unwrap(), etag);
    validate("feed-cancelled", &feed);
    let unfolded = feed.replace("\r\n ", "");
    let entry = unfolded.split("BEGIN:VEVENT").find(|e| e.contains(&format!("UID:meeting-{meeting}@"))).unwrap();
    assert!(entry.contains("STATUS:CANCELLED"), "{entry}");

    // Rotated: the old address is gone, the new one works; a made-up one never did.
    let rotated = a.submit("new_calendar_feed", &[]).await;
    let new_path = rotated.body["https"]
        .as_str()
        .unwrap()
        .split_once("/calendar/")
        .map(|(_, r)| format!("/calendar/{r}"))
        .unwrap();
    assert_eq!(fetch(None, path).await.0, 404);
    assert_eq!(fetch(None, new_path).await.0, 200);
    assert_eq!(fetch(None, format!("/calendar/{}.ics", "0".repeat(64))).await.0, 404);
    assert_eq!(fetch(None, "/calendar/whatever".into()).await.0, 404);
}

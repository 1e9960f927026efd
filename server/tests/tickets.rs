//! Registration, tickets and payments over HTTP, on SQLite and PostgreSQL: free tickets with
//! their confirmation mail through a real SMTP listener, capacity under 200 concurrent
//! registrations, paid tickets through the real async-stripe client against a fake Stripe,
//! signed webhooks (forged, stale, repeated, concurrent, out of order), refunds, the mail
//! queue's retries, and the organiser's list and export.

mod common;

use std::time::Duration;

use common::{smtp, stripe, Backend, Browser, Reply, TestApp};
use serde_json::Value;

const HEIDELBERG: &str = "heidelberg-2027";
const WEBHOOK_SECRET: &str = "whsec_test_eventxchange";

async fn ticket_type_id(app: &TestApp, slug: &str, name: &str) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select t.id from ticket_types t join events e on e.id = t.event_id where e.slug = $1 and t.name = $2"
    )
    .bind(slug)
    .bind(name)
    .fetch_one(pool)
    .await
    .expect("ticket type"))
}

async fn scalar(app: &TestApp, sql: &'static str, id: i64) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar(sql).bind(id).fetch_one(pool).await.expect(sql))
}

async fn ticket_status(app: &TestApp, ticket_id: i64) -> String {
    app::db_run!(app.db(), |pool| sqlx::query_scalar("select status from tickets where id = $1")
        .bind(ticket_id)
        .fetch_one(pool)
        .await
        .expect("ticket"))
}

async fn seats_taken(app: &TestApp, ticket_type: i64) -> i64 {
    scalar(app, "select seats_taken from ticket_types where id = $1", ticket_type).await
}

async fn mails_with_subject(app: &TestApp, subject_start: &str) -> i64 {
    app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from outbox where subject like $1")
        .bind(format!("{subject_start}%"))
        .fetch_one(pool)
        .await
        .expect("outbox"))
}

fn profile(ticket_type: i64, voucher: &str, name: &str) -> Vec<(String, String)> {
    [
        ("slug", HEIDELBERG),
        ("ticket_type", &ticket_type.to_string()),
        ("voucher", voucher),
        ("attendee_name", name),
        ("organisation", "Neckar Proteomics GmbH"),
        ("organisation_type", "sme"),
        ("cluster", "biorn"),
        ("country", "Germany"),
        ("job_role", "Head of R&D"),
        ("theme_biomarkers", "on"),
        ("theme_multiomics", "on"),
        ("offers", "Mass-spectrometry proteomics"),
        ("seeks", "Clinical validation partners"),
        ("directory_consent", "on"),
        ("terms_consent", "on"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn prepare(browser: &Browser, fields: &[(String, String)]) -> Reply {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.submit("prepare_registration", &borrowed).await
}

/// Fills the form and confirms; the reply of the step that decided.
async fn sales_window(app: &TestApp, ticket_type: i64) -> (i64, i64) {
    app::db_run!(app.db(), |pool| sqlx::query_as("select sales_start, sales_end from ticket_types where id = $1")
        .bind(ticket_type)
        .fetch_one(pool)
        .await
        .unwrap())
}

async fn register(browser: &Browser, ticket_type: i64, voucher: &str, name: &str) -> Reply {
    let prepared = prepare(browser, &profile(ticket_type, voucher, name)).await;
    if !prepared.ok() {
        return prepared;
    }
    confirm(browser).await
}

/// Confirms the registration at the price the review step shows, as the review page does.
async fn confirm(browser: &Browser) -> Reply {
    let review = browser.fetch("registration_review", &[("slug", HEIDELBERG)]).await;
    let total = review.body.get("total_cents").and_then(serde_json::Value::as_i64).unwrap_or(0).to_string();
    browser.submit("confirm_registration", &[("slug", HEIDELBERG), ("reviewed_total", &total)]).await
}

fn invalid_field(reply: &Reply) -> String {
    assert_eq!(reply.error_kind().as_deref(), Some("Invalid"), "{reply:?}");
    reply.error_field().unwrap_or_default()
}

fn message(reply: &Reply) -> String {
    reply.body["Invalid"]["message"].as_str().unwrap_or_default().to_string()
}

fn with_stripe(fake: &stripe::FakeStripe) -> impl FnOnce(&mut server::Config) + '_ {
    move |config| {
        config.stripe_secret_key = Some("sk_test_eventxchange".into());
        config.stripe_webhook_secret = Some(WEBHOOK_SECRET.into());
        config.stripe_api_base = Some(fake.base.clone());
    }
}

/// Posts a webhook body with a signature made at `timestamp` by the independent signer.
async fn deliver(app: &TestApp, body: &str, timestamp: i64) -> u16 {
    let header = stripe::signature_header(body, WEBHOOK_SECRET, timestamp);
    deliver_with(app, body, &header).await
}

async fn deliver_with(app: &TestApp, body: &str, header: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/api/v1/stripe/webhook", app.base()))
        .header("stripe-signature", header)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("webhook")
        .status()
        .as_u16()
}

fn now() -> i64 {
    app::platform::now()
}

async fn free_tickets_confirm_at_once_with_a_mailed_calendar(backend: Backend) {
    let mut listener = smtp::start();
    let port = listener.port;
    let app = app_or_skip!(TestApp::spawn_configured(backend, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    }));
    // Ana is a verified member of BioRN: the member ticket is hers without a code.
    let ana = app.signed_in("attendee@eventxchange.test").await;
    let member = ticket_type_id(&app, HEIDELBERG, "Member ticket").await;
    // The demo's guests hold member tickets already.
    let guests = seats_taken(&app, member).await;
    let reply = register(&ana, member, "", "Ana Müller").await;
    assert!(reply.ok(), "{reply:?}");
    assert_eq!(reply.body["status"], "Confirmed");
    let ticket = reply.body["ticket_id"].as_i64().unwrap();
    assert_eq!(ticket_status(&app, ticket).await, "confirmed");
    assert_eq!(seats_taken(&app, member).await, guests + 1);

    let (status, html) = ana.page(&format!("/tickets/{ticket}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Confirmed") && html.contains("Neckar Proteomics GmbH"), "{html}");
    let (_, account) = ana.page("/account").await;
    assert!(account.contains(&format!("/tickets/{ticket}")), "the account lists the ticket");

    // The confirmation went through SMTP, with the event as a valid calendar file.
    let mails = listener.wait_for_messages(1, Duration::from_secs(30)).await;
    let mail = &mails[0];
    assert_eq!(mail.to, "attendee@eventxchange.test");
    assert!(mail.subject.contains("Your ticket for"), "{}", mail.subject);
    assert!(mail.body_text().contains(&format!("http://eventxchange.test/tickets/{ticket}")));
    let ics = mail.attachment("heidelberg-2027.ics").expect("the event's calendar file is attached");
    let ics = ics.replace('\n', "\r\n").replace("\r\r\n", "\r\n");
    common::independent_check("validate_ics.py", "ticket.ics", ics.as_bytes(), &[]);

    // One ticket per person per event.
    let again = register(&ana, member, "", "Ana Müller").await;
    assert_eq!(invalid_field(&again), "ticket_type");
    assert!(message(&again).contains("already have a ticket"), "{again:?}");

    // Another person's ticket is not shown to her.
    let kadri = app.signed_in("attendee.tartu@eventxchange.test").await;
    let (status, _) = kadri.page(&format!("/tickets/{ticket}")).await;
    assert_eq!(status, 404);

    // Cancelling gives the seat back and sends the cancellation.
    let cancelled = ana.submit("cancel_ticket", &[("id", &ticket.to_string())]).await;
    assert!(cancelled.ok(), "{cancelled:?}");
    assert_eq!(ticket_status(&app, ticket).await, "cancelled");
    assert_eq!(seats_taken(&app, member).await, guests);
    let mails = listener.wait_for_messages(2, Duration::from_secs(30)).await;
    assert!(mails[1].subject.contains("cancelled"), "{}", mails[1].subject);
    // Exactly these two were sent: once the outbox has nothing left to send, no third (and no
    // duplicate of either) can come. The listener stores a mail before the server reads its
    // reply and marks the row sent, so no fixed wait is needed.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while scalar(&app, "select count(*) from outbox where sent_at is null and id > $1", 0).await > 0 {
        assert!(std::time::Instant::now() < deadline, "the outbox did not empty");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = listener.messages();
    assert_eq!(sent.len(), 2, "{:?}", sent.iter().map(|m| &m.subject).collect::<Vec<_>>());
    assert!(sent.iter().all(|m| m.to == "attendee@eventxchange.test"));
    listener.stop();
}

async fn bad_registrations_are_refused_and_change_nothing(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let id = app.attendee("newcomer@example.org", "Nora Newcomer").await;
    let nora = app.browser_as(id).await;
    let member = ticket_type_id(&app, HEIDELBERG, "Member ticket").await;
    let paid = ticket_type_id(&app, HEIDELBERG, "Non-member ticket").await;
    let speaker = ticket_type_id(&app, HEIDELBERG, "Speaker ticket").await;
    // The demo's guests hold tickets already; nothing below may add one.
    let demo_tickets = scalar(&app, "select count(*) from tickets where id > $1", 0).await;
    let guests = seats_taken(&app, member).await;

    // Not a member: the member ticket needs a membership code.
    let reply = register(&nora, member, "", "Nora").await;
    assert_eq!(invalid_field(&reply), "ticket_type");
    assert!(message(&reply).contains("membership code"), "{reply:?}");
    // The speaker ticket needs its invitation.
    assert_eq!(invalid_field(&register(&nora, speaker, "", "Nora").await), "ticket_type");
    // A made-up code is named as the problem.
    assert_eq!(invalid_field(&register(&nora, member, "NOT-A-CODE", "Nora").await), "voucher");
    // No Stripe configured: paid tickets are unavailable, with the reason.
    let reply = register(&nora, paid, "", "Nora").await;
    assert_eq!(invalid_field(&reply), "ticket_type");
    assert!(message(&reply).contains("online payment is not set up"), "{reply:?}");
    let (_, html) = nora.page(&format!("/events/{HEIDELBERG}")).await;
    assert!(html.contains("online payment is not set up"), "the event page says why");

    // Each field is checked and named.
    for (field, value) in
        [("attendee_name", ""), ("organisation_type", "pirates"), ("cluster", "atlantis"), ("terms_consent", "")]
    {
        let mut fields = profile(member, "BIORN-MEMBER", "Nora");
        if value.is_empty() && field == "terms_consent" {
            fields.retain(|(k, _)| k != "terms_consent");
        } else {
            fields.iter_mut().filter(|(k, _)| k == field).for_each(|(_, v)| *v = value.to_string());
        }
        let reply = prepare(&nora, &fields).await;
        assert_eq!(invalid_field(&reply), field, "{reply:?}");
    }
    // Confirming without a reviewed form is refused too.
    let reply = confirm(&nora).await;
    assert_eq!(invalid_field(&reply), "form");
    // Without a sign-in nothing is registered, and the form is protected against forgery.
    let stranger = app.browser();
    let reply = stranger.submit("confirm_registration", &[("slug", HEIDELBERG), ("reviewed_total", "0")]).await;
    assert_eq!(reply.status, 401);
    let reply =
        nora.call("confirm_registration", &[("csrf", "forged"), ("slug", HEIDELBERG), ("reviewed_total", "0")]).await;
    assert_eq!(reply.status, 403);

    let tickets: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar("select count(*) from tickets")
        .fetch_one(pool)
        .await
        .unwrap());
    assert_eq!(tickets, demo_tickets);
    assert_eq!(seats_taken(&app, member).await + seats_taken(&app, paid).await, guests);

    // A cluster added while the server runs is known at once: the server keeps the list of
    // clusters, and reads it afresh before it refuses a code it does not hold.
    app::db_run!(app.db(), |pool| sqlx::query(
        "insert into clusters (code, name, region, city, country, time_zone)
         values ('atlantis', 'Atlantis Bio Cluster', 'Atlantic', 'Ponta Delgada', 'PT', 'Atlantic/Azores')"
    )
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    .unwrap());
    let mut fields = profile(member, "BIORN-MEMBER", "Nora");
    fields.iter_mut().filter(|(k, _)| k == "cluster").for_each(|(_, v)| *v = "atlantis".to_string());
    let reply = prepare(&nora, &fields).await;
    assert!(reply.ok(), "{reply:?}");
    let review = nora.fetch("registration_review", &[("slug", HEIDELBERG)]).await;
    assert!(review.body.to_string().contains("Atlantis Bio Cluster"), "{review:?}");
    // With the membership code, the member ticket is hers; the code's use is counted.
    let reply = register(&nora, member, "biorn-member", "Nora").await;
    assert!(reply.ok(), "{reply:?}");
    let used: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select times_used from vouchers where code = 'BIORN-MEMBER'"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(used, 1);
}

async fn set_price(app: &TestApp, ticket_type: i64, cents: i64) {
    app::db_run!(app.db(), |pool| sqlx::query("update ticket_types set price_cents = $1 where id = $2")
        .bind(cents)
        .bind(ticket_type)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .unwrap());
}

/// The price agreed on the review step is the price booked: a change in between (an organiser
/// edits the ticket type) refuses the confirmation, books nothing, and the review shows the new
/// price.
async fn a_price_changed_after_the_review_needs_a_new_review(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let ana = app.signed_in("attendee@eventxchange.test").await;
    let member = ticket_type_id(&app, HEIDELBERG, "Member ticket").await;
    let guests = seats_taken(&app, member).await;
    assert!(prepare(&ana, &profile(member, "", "Ana Müller")).await.ok());
    let review = ana.fetch("registration_review", &[("slug", HEIDELBERG)]).await;
    assert_eq!(review.body["total_cents"], 0, "{review:?}");
    set_price(&app, member, 1_500).await;
    let reply = ana.submit("confirm_registration", &[("slug", HEIDELBERG), ("reviewed_total", "0")]).await;
    assert_eq!(invalid_field(&reply), "price");
    assert!(message(&reply).contains("15.00"), "{reply:?}");
    assert_eq!(seats_taken(&app, member).await, guests, "nothing was booked");
    let review = ana.fetch("registration_review", &[("slug", HEIDELBERG)]).await;
    assert_eq!(review.body["total_cents"], 1_500, "the review shows the new price");
    // Back to free, and confirmed at the price reviewed.
    set_price(&app, member, 0).await;
    let reply = confirm(&ana).await;
    assert!(reply.ok(), "{reply:?}");
    assert_eq!(seats_taken(&app, member).await, guests + 1);
}

async fn two_hundred_people_race_for_fifty_seats(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let event: i64 = scalar(&app, "select id from events where id = $1", 1).await;
    let limited: i64 = app::db_run!(app.db(), |pool| {
        sqlx::query_scalar(
        "insert into ticket_types (event_id, name, price_cents, capacity, sales_start, sales_end, visibility, eligibility)
         values ($1, 'Workshop day', 0, 50, 0, 4000000000, 'public', 'anyone') returning id"
    )
    .bind(event)
    .fetch_one(pool)
    .await
    .unwrap()
    });
    let slug: String = app::db_run!(app.db(), |pool| sqlx::query_scalar("select slug from events where id = $1")
        .bind(event)
        .fetch_one(pool)
        .await
        .unwrap());
    assert_eq!(slug, HEIDELBERG);
    let mut people = Vec::new();
    for n in 0..200 {
        let id = app.attendee(&format!("racer{n}@example.org"), &format!("Racer {n}")).await;
        let browser = app.browser_as(id).await;
        let prepared = prepare(&browser, &profile(limited, "", &format!("Racer {n}"))).await;
        assert!(prepared.ok(), "{prepared:?}");
        people.push(browser);
    }
    let replies = futures_join(people.into_iter().map(|b| async move { confirm(&b).await })).await;
    let confirmed = replies.iter().filter(|r| r.ok()).count();
    let sold_out = replies.iter().filter(|r| !r.ok() && message(r).contains("sold out")).count();
    assert_eq!(confirmed, 50, "{:?}", replies.iter().find(|r| !r.ok() && !message(r).contains("sold out")));
    assert_eq!(sold_out, 150);
    assert_eq!(seats_taken(&app, limited).await, 50);
    let live =
        scalar(&app, "select count(*) from tickets where ticket_type_id = $1 and status = 'confirmed'", limited).await;
    assert_eq!(live, 50);
    assert_eq!(mails_with_subject(&app, "Your ticket").await, 50);
}

/// Runs futures concurrently (reqwest requests are independent; tokio drives them together).
async fn futures_join<F: std::future::Future<Output = Reply> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<Reply> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("request task"));
    }
    out
}

/// A signed-in non-member with a held, paid ticket and its open Checkout Session.
async fn paid_checkout(
    app: &TestApp,
    fake: &stripe::FakeStripe,
    email: &str,
) -> (Browser, i64, stripe::CreatedSession) {
    let id = app.attendee(email, "Paula Payer").await;
    let browser = app.browser_as(id).await;
    let paid = ticket_type_id(app, HEIDELBERG, "Non-member ticket").await;
    let reply = register(&browser, paid, "", "Paula Payer").await;
    assert!(reply.ok(), "{reply:?}");
    assert_eq!(reply.body["status"], "Pending");
    let ticket = reply.body["ticket_id"].as_i64().unwrap();
    let url = reply.body["checkout_url"].as_str().unwrap().to_string();
    let session = fake.sessions().into_iter().find(|s| url.ends_with(&s.id)).expect("the fake saw the session");
    (browser, ticket, session)
}

async fn paid_tickets_are_confirmed_only_by_a_verified_webhook(backend: Backend) {
    let fake = stripe::start().await;
    let app = app_or_skip!(TestApp::spawn_configured(backend, with_stripe(&fake)));
    let paid = ticket_type_id(&app, HEIDELBERG, "Non-member ticket").await;
    let (browser, ticket, session) = paid_checkout(&app, &fake, "payer@example.org").await;
    // The real client sent what Stripe needs: amount, our reference, the idempotency key.
    assert_eq!(session.amount_total, 29_000);
    assert_eq!(session.client_reference_id.as_deref(), Some(ticket.to_string().as_str()));
    assert!(session.idempotency_key.as_deref().is_some_and(|k| k.contains(&ticket.to_string())));
    assert_eq!(ticket_status(&app, ticket).await, "pending");
    assert_eq!(seats_taken(&app, paid).await, 1, "the seat is held while the checkout is open");
    let (_, html) = browser.page(&format!("/tickets/{ticket}")).await;
    assert!(html.contains("Continue to payment"), "a held ticket links back to the payment page");

    // The attendee pays on the (fake) Stripe page; Stripe then reports it.
    let completed = stripe::event("evt_paid_1", "checkout.session.completed", fake.complete(&session, "pi_test_paid"));
    // Forged (wrong secret), stale (older than 300 s) and unsigned deliveries change nothing.
    let forged = format!("t={},v1={}", now(), "ab".repeat(32));
    assert_eq!(deliver_with(&app, &completed, &forged).await, 400);
    assert_eq!(deliver(&app, &completed, now() - 301).await, 400);
    assert_eq!(deliver_with(&app, &completed, "").await, 400);
    let tampered = completed.replace("29000", "100");
    let header = stripe::signature_header(&completed, WEBHOOK_SECRET, now());
    assert_eq!(deliver_with(&app, &tampered, &header).await, 400);
    assert_eq!(ticket_status(&app, ticket).await, "pending");

    // Delivered five times at once: confirmed once, one mail. Each delivery is signed (the
    // signer is a separate process) before a barrier releases all five together.
    let statuses = {
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(5));
        let mut handles = Vec::new();
        for _ in 0..5 {
            let (base, body) = (app.base().to_string(), completed.clone());
            let header = stripe::signature_header(&body, WEBHOOK_SECRET, app::platform::now());
            let start = start.clone();
            handles.push(tokio::spawn(async move {
                start.wait().await;
                reqwest::Client::new()
                    .post(format!("{base}/api/v1/stripe/webhook"))
                    .header("stripe-signature", header)
                    .body(body)
                    .send()
                    .await
                    .expect("webhook")
                    .status()
                    .as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for h in handles {
            statuses.push(h.await.unwrap());
        }
        statuses
    };
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(ticket_status(&app, ticket).await, "confirmed");
    assert_eq!(mails_with_subject(&app, "Your ticket").await, 1);
    assert_eq!(seats_taken(&app, paid).await, 1);
    // Later, again: still one.
    assert_eq!(deliver(&app, &completed, now()).await, 200);
    assert_eq!(mails_with_subject(&app, "Your ticket").await, 1);

    // The organiser refunds through Stripe; the ticket ends when Stripe reports the refund.
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let reply = organiser.submit("refund_ticket", &[("slug", HEIDELBERG), ("id", &ticket.to_string())]).await;
    assert!(reply.ok(), "{reply:?}");
    let refunds = fake.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].payment_intent, "pi_test_paid");
    assert_eq!(ticket_status(&app, ticket).await, "confirmed");
    let keys = &app.server.state.badge_keys;
    let badge = app::badges::store::current_code(app.db(), keys, ticket).await.unwrap();
    assert!(badge.is_some(), "a confirmed ticket has a badge");
    // The bank refuses the refund: the ticket stays valid, the failure shows to organisers and
    // to the holder, and the organiser may try again (a new refund, not the failed one replayed).
    let failed =
        stripe::event("evt_refund_failed", "refund.failed", fake.fail_refund(&refunds[0], "expired_or_canceled_card"));
    assert_eq!(deliver(&app, &failed, now()).await, 200);
    assert_eq!(ticket_status(&app, ticket).await, "confirmed");
    let (_, registrations) = organiser.page(&format!("/organise/{HEIDELBERG}/registrations")).await;
    assert!(registrations.contains("refund failed: expired or canceled card"), "the organisers see it");
    let (_, own) = browser.page(&format!("/tickets/{ticket}")).await;
    assert!(own.contains("The refund could not be made (expired or canceled card)"), "the holder sees it");
    let reply = organiser.submit("refund_ticket", &[("slug", HEIDELBERG), ("id", &ticket.to_string())]).await;
    assert!(reply.ok(), "{reply:?}");
    assert_eq!(fake.refunds().len(), 2, "a second attempt is a second refund");
    let (_, registrations) = organiser.page(&format!("/organise/{HEIDELBERG}/registrations")).await;
    assert!(!registrations.contains("refund failed") && registrations.contains("refund started"));
    let refunded = stripe::event("evt_refund_1", "charge.refunded", stripe::refunded_charge("pi_test_paid", 29_000));
    assert_eq!(deliver(&app, &refunded, now()).await, 200);
    assert_eq!(deliver(&app, &refunded, now()).await, 200);
    assert_eq!(ticket_status(&app, ticket).await, "refunded");
    // The refund revokes the badge: no code any more, and its PNG is refused.
    assert_eq!(app::badges::store::current_code(app.db(), keys, ticket).await.unwrap(), None);
    let png = browser.client.get(format!("{}/tickets/{ticket}/badge.png", app.base())).send().await.unwrap();
    assert_eq!(png.status().as_u16(), 422);
    assert_eq!(seats_taken(&app, paid).await, 0);
    assert_eq!(mails_with_subject(&app, "Refund of your ticket").await, 1);
    // A refunded ticket cannot be confirmed again by a late or replayed completion.
    let replayed = stripe::event(
        "evt_paid_again",
        "checkout.session.completed",
        stripe::completed_session(&session, "pi_test_paid"),
    );
    assert_eq!(deliver(&app, &replayed, now()).await, 200);
    assert_eq!(ticket_status(&app, ticket).await, "refunded");
}

async fn expired_checkouts_release_their_seats_and_events_may_come_out_of_order(backend: Backend) {
    let fake = stripe::start().await;
    let app = app_or_skip!(TestApp::spawn_configured(backend, with_stripe(&fake)));
    let paid = ticket_type_id(&app, HEIDELBERG, "Non-member ticket").await;

    let (_, ticket, session) = paid_checkout(&app, &fake, "slow@example.org").await;
    let expired = stripe::event("evt_exp_1", "checkout.session.expired", stripe::expired_session(&session));
    assert_eq!(deliver(&app, &expired, now()).await, 200);
    assert_eq!(ticket_status(&app, ticket).await, "expired");
    assert_eq!(seats_taken(&app, paid).await, 0);
    assert_eq!(deliver(&app, &expired, now()).await, 200);
    assert_eq!(seats_taken(&app, paid).await, 0, "a repeated expiry releases nothing twice");

    // A refund reported before the payment's confirmation is not applicable yet: Stripe is told
    // to deliver it again, and it applies once the payment is known.
    let (_, second, session) = paid_checkout(&app, &fake, "early@example.org").await;
    let refunded =
        stripe::event("evt_refund_early", "charge.refunded", stripe::refunded_charge("pi_test_early", 29_000));
    assert_eq!(deliver(&app, &refunded, now()).await, 409);
    assert_eq!(ticket_status(&app, second).await, "pending");
    let completed = stripe::event(
        "evt_paid_early",
        "checkout.session.completed",
        stripe::completed_session(&session, "pi_test_early"),
    );
    assert_eq!(deliver(&app, &completed, now()).await, 200);
    assert_eq!(ticket_status(&app, second).await, "confirmed");
    assert_eq!(deliver(&app, &refunded, now()).await, 200);
    assert_eq!(ticket_status(&app, second).await, "refunded");
    assert_eq!(seats_taken(&app, paid).await, 0);

    // A failing Stripe API leaves no held seat behind.
    fake.fail_next_with(500);
    let id = app.attendee("unlucky@example.org", "Una Lucky").await;
    let browser = app.browser_as(id).await;
    let reply = register(&browser, paid, "", "Una Lucky").await;
    assert_eq!(invalid_field(&reply), "payment");
    assert_eq!(seats_taken(&app, paid).await, 0);
    // And trying again works.
    let reply = confirm(&browser).await;
    assert_eq!(invalid_field(&reply), "form", "the draft was used up by the failed attempt");
    let reply = register(&browser, paid, "", "Una Lucky").await;
    assert!(reply.ok(), "{reply:?}");
}

/// A payment that completes after its hold expired, when the person has meanwhile started a
/// new registration: the late payment cannot revive the old ticket (one live ticket per person
/// per event), so it is recorded for a refund, answered 200 (Stripe stops redelivering), and
/// takes no seat. Before the fix the violated unique index aborted PostgreSQL's transaction (a
/// 500 for every redelivery) and, on SQLite, a seat stayed taken by nobody.
async fn a_payment_after_expiry_does_not_collide_with_a_new_registration(backend: Backend) {
    let fake = stripe::start().await;
    let app = app_or_skip!(TestApp::spawn_configured(backend, with_stripe(&fake)));
    let paid = ticket_type_id(&app, HEIDELBERG, "Non-member ticket").await;
    let (browser, old, old_session) = paid_checkout(&app, &fake, "twice@example.org").await;
    let expired = stripe::event("evt_exp_twice", "checkout.session.expired", stripe::expired_session(&old_session));
    assert_eq!(deliver(&app, &expired, now()).await, 200);
    assert_eq!(ticket_status(&app, old).await, "expired");
    let reply = register(&browser, paid, "", "Paula Payer").await;
    assert!(reply.ok(), "{reply:?}");
    let new = reply.body["ticket_id"].as_i64().unwrap();
    assert_eq!(seats_taken(&app, paid).await, 1);
    let late = stripe::event(
        "evt_paid_late",
        "checkout.session.completed",
        stripe::completed_session(&old_session, "pi_test_late"),
    );
    assert_eq!(deliver(&app, &late, now()).await, 200);
    assert_eq!(deliver(&app, &late, now()).await, 200, "a redelivery is a duplicate");
    assert_eq!(ticket_status(&app, old).await, "expired");
    assert_eq!(ticket_status(&app, new).await, "pending");
    assert_eq!(seats_taken(&app, paid).await, 1, "the late payment took no seat");
    let outcome: String = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select outcome from stripe_events where id = 'evt_paid_late'"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert!(outcome.contains("refund"), "{outcome}");
}

/// The payment state machine refuses what does not fit the ticket: a failed delayed payment
/// ends the hold like an expiry; a payment in another currency or through another checkout
/// session confirms nothing; a refund of a payment no ticket knows is answered 409 while its
/// payment may still be confirmed, and recorded (200) once it is older than the wait.
async fn payments_that_do_not_fit_the_ticket_change_nothing(backend: Backend) {
    let fake = stripe::start().await;
    let app = app_or_skip!(TestApp::spawn_configured(backend, with_stripe(&fake)));
    let paid = ticket_type_id(&app, HEIDELBERG, "Non-member ticket").await;

    let (_, failing, session) = paid_checkout(&app, &fake, "delayed@example.org").await;
    assert_eq!(seats_taken(&app, paid).await, 1);
    let failed =
        stripe::event("evt_async_failed", "checkout.session.async_payment_failed", stripe::expired_session(&session));
    assert_eq!(deliver(&app, &failed, now()).await, 200);
    assert_eq!(ticket_status(&app, failing).await, "expired");
    assert_eq!(seats_taken(&app, paid).await, 0);

    let (_, ticket, session) = paid_checkout(&app, &fake, "currency@example.org").await;
    let mut in_dollars = stripe::completed_session(&session, "pi_test_usd");
    in_dollars["currency"] = "usd".into();
    assert_eq!(deliver(&app, &stripe::event("evt_usd", "checkout.session.completed", in_dollars), now()).await, 200);
    assert_eq!(ticket_status(&app, ticket).await, "pending");
    let mut elsewhere = stripe::completed_session(&session, "pi_test_other");
    elsewhere["id"] = "cs_test_not_this_ticket".into();
    assert_eq!(deliver(&app, &stripe::event("evt_other", "checkout.session.completed", elsewhere), now()).await, 200);
    assert_eq!(ticket_status(&app, ticket).await, "pending");
    let right = stripe::completed_session(&session, "pi_test_right");
    assert_eq!(deliver(&app, &stripe::event("evt_right", "checkout.session.completed", right), now()).await, 200);
    assert_eq!(ticket_status(&app, ticket).await, "confirmed");

    let unknown =
        stripe::event("evt_refund_unknown", "charge.refunded", stripe::refunded_charge("pi_never_seen", 29_000));
    assert_eq!(deliver(&app, &unknown, now()).await, 409);
    let mut old: Value = serde_json::from_str(&unknown).unwrap();
    old["created"] = (now() - 3 * 24 * 3600).into();
    assert_eq!(deliver(&app, &old.to_string(), now()).await, 200);
    assert_eq!(deliver(&app, &old.to_string(), now()).await, 200, "recorded once, a duplicate after");
}

/// Makes the ticket's checkout one that ended an hour ago.
async fn expire_hold(app: &TestApp, ticket: i64) {
    app::db_run!(app.db(), |pool| sqlx::query("update tickets set hold_expires_at = $1 where id = $2")
        .bind(now() - 3600)
        .bind(ticket)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .unwrap());
}

/// A held seat whose checkout ended long ago goes back on sale even when Stripe's notification
/// never comes (on reading the offers, and by the sweeper); a cancelled ticket gives back the
/// limited session seats its holder took.
async fn seats_are_not_held_without_a_sale(backend: Backend) {
    let fake = stripe::start().await;
    let app = app_or_skip!(TestApp::spawn_configured(backend, with_stripe(&fake)));
    let paid = ticket_type_id(&app, HEIDELBERG, "Non-member ticket").await;
    let (browser, held, _) = paid_checkout(&app, &fake, "silent@example.org").await;
    assert_eq!(seats_taken(&app, paid).await, 1);
    // The checkout ended an hour ago and no webhook came.
    expire_hold(&app, held).await;
    assert!(browser.fetch("ticket_offers", &[("slug", HEIDELBERG)]).await.ok());
    assert_eq!(ticket_status(&app, held).await, "expired");
    assert_eq!(seats_taken(&app, paid).await, 0);

    // The registration form takes such a seat back too when it decides: here the last seat.
    let (_, held_last, _) = paid_checkout(&app, &fake, "last.seat@example.org").await;
    app::db_run!(app.db(), |pool| sqlx::query("update ticket_types set capacity = seats_taken where id = $1")
        .bind(paid)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .unwrap());
    let late = app.browser_as(app.attendee("late@example.org", "Lena Late").await).await;
    let reply = prepare(&late, &profile(paid, "", "Lena Late")).await;
    assert_eq!(invalid_field(&reply), "ticket_type", "sold out while the checkout may still be paid: {reply:?}");
    expire_hold(&app, held_last).await;
    let reply = prepare(&late, &profile(paid, "", "Lena Late")).await;
    assert!(reply.ok(), "the ended checkout's seat is hers to take: {reply:?}");
    assert_eq!(ticket_status(&app, held_last).await, "expired");
    assert_eq!(seats_taken(&app, paid).await, 0);

    // A ticket holder takes the last seat of a limited session, then cancels the ticket.
    let session: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "update agenda_sessions set capacity = 1
          where id = (select min(s.id) from agenda_sessions s join events e on e.id = s.event_id where e.slug = $1)
          returning id"
    )
    .bind(HEIDELBERG)
    .fetch_one(pool)
    .await
    .unwrap());
    let (holder, holder_browser) = app.ticket_holder("keen@example.org", "Keen Listener", HEIDELBERG).await;
    let chosen = holder_browser
        .submit("personal_agenda", &[("slug", HEIDELBERG), ("session_id", &session.to_string()), ("remove", "false")])
        .await;
    assert!(chosen.ok(), "{chosen:?}");
    let ticket: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar("select id from tickets where user_id = $1")
        .bind(holder)
        .fetch_one(pool)
        .await
        .unwrap());
    assert!(holder_browser.submit("cancel_ticket", &[("id", &ticket.to_string())]).await.ok());
    let (taken, chosen): (i64, i64) = app::db_run!(app.db(), |pool| {
        sqlx::query_as(
        "select seats_taken, (select count(*) from personal_agenda where session_id = $1) from agenda_sessions where id = $1"
    )
    .bind(session)
    .fetch_one(pool)
    .await
    .unwrap()
    });
    assert_eq!((taken, chosen), (0, 0), "the session seat went back with the ticket");

    // Organisers cancel any unpaid ticket of their event (its session seats go back too); the
    // organisers of another cluster cannot.
    let (guest, guest_browser) = app.ticket_holder("guest.cancel@example.org", "Gina Guest", HEIDELBERG).await;
    let chosen = guest_browser
        .submit("personal_agenda", &[("slug", HEIDELBERG), ("session_id", &session.to_string()), ("remove", "false")])
        .await;
    assert!(chosen.ok(), "{chosen:?}");
    let guest_ticket: i64 =
        app::db_run!(app.db(), |pool| sqlx::query_scalar("select id from tickets where user_id = $1")
            .bind(guest)
            .fetch_one(pool)
            .await
            .unwrap());
    let stranger = app.signed_in("organiser.tartu@eventxchange.test").await;
    let refused =
        stranger.submit("cancel_registration", &[("slug", HEIDELBERG), ("id", &guest_ticket.to_string())]).await;
    assert_eq!(refused.status, 403, "{refused:?}");
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let elsewhere =
        organiser.submit("cancel_registration", &[("slug", "leuven-2027"), ("id", &guest_ticket.to_string())]).await;
    assert_eq!(elsewhere.status, 403, "not an organiser of that event either");
    let cancelled =
        organiser.submit("cancel_registration", &[("slug", HEIDELBERG), ("id", &guest_ticket.to_string())]).await;
    assert!(cancelled.ok(), "{cancelled:?}");
    assert_eq!(ticket_status(&app, guest_ticket).await, "cancelled");
    let again =
        organiser.submit("cancel_registration", &[("slug", HEIDELBERG), ("id", &guest_ticket.to_string())]).await;
    assert_eq!(invalid_field(&again), "ticket");
    let taken: i64 =
        app::db_run!(app.db(), |pool| sqlx::query_scalar("select seats_taken from agenda_sessions where id = $1")
            .bind(session)
            .fetch_one(pool)
            .await
            .unwrap());
    assert_eq!(taken, 0);
    let mailed: i64 = app::db_run!(app.db(), |pool| sqlx::query_scalar(
        "select count(*) from outbox where recipient = 'guest.cancel@example.org' and subject like '%is cancelled'"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(mailed, 1, "the holder is told once");
}

/// Long lists come a page at a time: batch badge printing and the registrations list show at
/// most 100 rows, with the total and links to the other pages (thousands of badges, each a QR
/// code, made pages of hundreds of megabytes).
async fn long_lists_are_paginated(backend: Backend) {
    let app = app_or_skip!(backend);
    for n in 0..120 {
        app.ticket_holder(&format!("crowd{n}@example.org"), &format!("Crowd {n}"), HEIDELBERG).await;
    }
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let first = organiser.fetch("badge_batch", &[("slug", HEIDELBERG), ("q", ""), ("page", "1")]).await;
    assert!(first.ok(), "{first:?}");
    let total = first.body["total"].as_u64().unwrap() as usize;
    assert!(total >= 120, "{total}");
    let per_page = app::badges::BADGES_PER_PAGE;
    assert_eq!(first.body["badges"].as_array().unwrap().len(), per_page);
    let pages = total.div_ceil(per_page);
    assert_eq!(first.body["pages"], pages);
    let last = organiser.fetch("badge_batch", &[("slug", HEIDELBERG), ("q", ""), ("page", &pages.to_string())]).await;
    assert_eq!(last.body["badges"].as_array().unwrap().len(), total - (pages - 1) * per_page);
    let beyond = organiser.fetch("badge_batch", &[("slug", HEIDELBERG), ("q", ""), ("page", "99")]).await;
    assert_eq!(beyond.body["page"], pages, "a page past the end shows the last one");

    let listed = organiser.fetch("registrations", &[("slug", HEIDELBERG)]).await;
    assert!(listed.ok(), "{listed:?}");
    assert_eq!(listed.body["rows"].as_array().unwrap().len(), 100);
    assert!(listed.body["total"].as_u64().unwrap() >= 120);
    let (status, html) = organiser.page(&format!("/organise/{HEIDELBERG}/badges")).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("class=\"badge\"").count(), per_page);
    assert!(html.contains(&format!("Page 1 of {pages}")) && html.contains("page=2"), "links to the next page");
}

async fn mail_waits_for_the_smtp_server_and_is_never_lost(backend: Backend) {
    // A broken SMTP server: it accepts connections and hangs up at once. Holding the port (rather
    // than leaving it closed) keeps concurrent tests from taking it for their own listeners.
    let broken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = broken.local_addr().unwrap().port();
    let hanging_up = tokio::spawn(async move {
        while let Ok((connection, _)) = broken.accept().await {
            drop(connection);
        }
    });
    let app = app_or_skip!(TestApp::spawn_configured(backend, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    }));
    let ana = app.signed_in("attendee@eventxchange.test").await;
    let member = ticket_type_id(&app, HEIDELBERG, "Member ticket").await;
    assert!(register(&ana, member, "", "Ana Müller").await.ok());
    // Wait until delivery has failed at least once and a retry is scheduled.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (attempts, error): (i64, Option<String>) = app::db_run!(app.db(), |pool| sqlx::query_as(
            "select attempts, last_error from outbox where subject like 'Your ticket%'"
        )
        .fetch_one(pool)
        .await
        .unwrap());
        if attempts >= 1 {
            assert!(error.is_some(), "the failure is recorded");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no delivery attempt within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The server comes back on the same port.
    hanging_up.abort();
    let _ = hanging_up.await;
    let listener = smtp::start_on(port);
    let mails = listener.wait_for_messages(1, Duration::from_secs(60)).await;
    assert!(mails[0].subject.starts_with("Your ticket"));
    // The listener stores the mail before the application has read its reply, so the outbox
    // row is marked sent a moment later.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let sent: Option<i64> = app::db_run!(app.db(), |pool| sqlx::query_scalar(
            "select sent_at from outbox where subject like 'Your ticket%'"
        )
        .fetch_one(pool)
        .await
        .unwrap());
        if sent.is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the delivered mail is never marked sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn organisers_search_and_export_registrations(backend: Backend) {
    let app = app_or_skip!(TestApp::spawn(backend));
    let member = ticket_type_id(&app, HEIDELBERG, "Member ticket").await;
    for (email, name) in [("eva@example.org", "Eva Evidence"), ("olaf@example.org", "=Olaf Omics")] {
        let id = app.attendee(email, name).await;
        let browser = app.browser_as(id).await;
        assert!(register(&browser, member, "BIORN-MEMBER", name).await.ok());
    }
    let organiser = app.signed_in("organiser.biorn@eventxchange.test").await;
    let (status, html) = organiser.page(&format!("/organise/{HEIDELBERG}/registrations?q=eva")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Eva Evidence") && !html.contains("Olaf"), "search narrows the list");
    let (status, csv) = organiser.page(&format!("/organise/{HEIDELBERG}/registrations.csv")).await;
    assert_eq!(status, 200);
    assert!(csv.starts_with("ticket,status,ticket_type"), "{csv}");
    assert!(csv.contains("Eva Evidence") && csv.contains("'=Olaf Omics"), "formulas are defused: {csv}");
    // Other clusters' organisers and attendees see nothing.
    let other = app.signed_in("organiser.tartu@eventxchange.test").await;
    assert_eq!(other.page(&format!("/organise/{HEIDELBERG}/registrations.csv")).await.0, 403);
    assert_eq!(other.page(&format!("/organise/{HEIDELBERG}/registrations")).await.0, 403);
    let attendee = app.signed_in("attendee@eventxchange.test").await;
    assert_eq!(attendee.page(&format!("/organise/{HEIDELBERG}/registrations.csv")).await.0, 403);

    // Organisers add ticket types and codes; bad values are named.
    let reply = organiser
        .submit(
            "save_ticket_type",
            &[
                ("slug", HEIDELBERG),
                ("id", ""),
                ("name", "Student ticket"),
                ("description", ""),
                ("price", "49.50"),
                ("capacity", "30"),
                ("sales_start", "2026-01-01"),
                ("sales_end", "2027-03-01"),
                ("visibility", "public"),
                ("eligibility", "anyone"),
            ],
        )
        .await;
    assert!(reply.ok(), "{reply:?}");
    let student = ticket_type_id(&app, HEIDELBERG, "Student ticket").await;
    assert_eq!(scalar(&app, "select price_cents from ticket_types where id = $1", student).await, 4_950);
    let lower = organiser
        .submit(
            "save_ticket_type",
            &[
                ("slug", HEIDELBERG),
                ("id", &member.to_string()),
                ("name", "Member ticket"),
                ("price", "0"),
                ("capacity", "1"),
                ("sales_start", "2026-01-01"),
                ("sales_end", "2027-03-01"),
                ("visibility", "public"),
                ("eligibility", "members"),
            ],
        )
        .await;
    assert_eq!(invalid_field(&lower), "capacity", "capacity below the two seats taken");

    // The form saved as it is shown changes nothing: sales start and end keep their time of day
    // (the member ticket's sales end when the doors open, at 09:00 on the first day).
    let setup = organiser.fetch("ticket_setup", &[("slug", HEIDELBERG)]).await;
    assert!(setup.ok(), "{setup:?}");
    let shown = setup.body["types"].as_array().unwrap().iter().find(|t| t["name"] == "Member ticket").unwrap().clone();
    let before = sales_window(&app, member).await;
    assert!(shown["sales_end"].as_str().unwrap().ends_with(" 09:00"), "{shown}");
    let field = |name: &str| shown[name].as_str().map(str::to_string).unwrap_or_else(|| shown[name].to_string());
    let unchanged = organiser
        .submit(
            "save_ticket_type",
            &[
                ("slug", HEIDELBERG),
                ("id", &member.to_string()),
                ("name", &field("name")),
                ("description", &field("description")),
                ("price", &field("price_input")),
                ("capacity", &field("capacity")),
                ("sales_start", &field("sales_start")),
                ("sales_end", &field("sales_end")),
                ("visibility", &field("visibility")),
                ("eligibility", "members"),
            ],
        )
        .await;
    assert!(unchanged.ok(), "{unchanged:?}");
    assert_eq!(sales_window(&app, member).await, before, "a form saved unchanged changes nothing");
    let reply = organiser
        .submit(
            "create_voucher",
            &[
                ("slug", HEIDELBERG),
                ("code", "x"),
                ("effect", "discount"),
                ("percent_off", "10"),
                ("max_uses", "5"),
                ("valid_until", "2027-03-01"),
            ],
        )
        .await;
    assert_eq!(invalid_field(&reply), "code");
}

/// A free ticket's confirmation is made from what the registration has just written, not read
/// back inside its transaction: the row it is made from must be the ticket as `ticket` reads it
/// afterwards, the cluster and the code included. And the code's use is counted once.
async fn the_confirmation_is_made_from_the_ticket_as_stored(backend: Backend) {
    use app::tickets::rules::{AttendeeProfile, ProfileForm, VoucherEffect};
    use app::tickets::store;
    let app = app_or_skip!(TestApp::spawn(backend));
    let db = app.db();
    let event = app::events::store::load(db, HEIDELBERG).await.unwrap();
    let full_price = ticket_type_id(&app, HEIDELBERG, "Non-member ticket").await;
    let code = app::tickets::store::VoucherDraft {
        code: "SPEAKER-FREE".into(),
        effect: VoucherEffect::Discount,
        ticket_type_id: Some(full_price),
        percent_off: 100,
        max_uses: 3,
        valid_from: now() - 60,
        valid_until: now() + 86_400,
        note: String::new(),
    };
    store::create_voucher(db, event.id, &code).await.unwrap();
    let user: i64 = app::db_run!(db, |pool| sqlx::query_scalar("select id from users where email = $1")
        .bind("attendee@eventxchange.test")
        .fetch_one(pool)
        .await
        .unwrap());
    let form = ProfileForm {
        attendee_name: "Ana Müller".into(),
        organisation: "Neckar Proteomics GmbH".into(),
        organisation_type: "sme".into(),
        cluster: "biorn".into(),
        country: "Germany".into(),
        job_role: "Head of assay development".into(),
        themes: "biomarkers,multiomics".into(),
        offers: "Assays".into(),
        seeks: "Partners".into(),
        directory_consent: true,
        terms_consent: true,
    };
    let codes = ["biorn", "smarthub", "biopeople", "tartu"].map(String::from);
    let draft = store::Draft {
        ticket_type_id: full_price,
        voucher_code: Some("speaker-free".into()),
        profile: AttendeeProfile::parse(&form, &codes).unwrap(),
    };
    // Kept as the form post keeps it, and read back with its ticket type as the confirmation reads it.
    store::save_draft(db, user, event.id, &draft).await.unwrap();
    let (kept, ticket_type) = store::draft_and_type(db, user, event.id).await.unwrap().expect("the draft just saved");
    assert_eq!(
        (kept.ticket_type_id, ticket_type.id, &kept.voucher_code),
        (full_price, full_price, &draft.voucher_code)
    );
    assert_eq!(kept.profile, draft.profile);
    let mailed = std::sync::Mutex::new(None);
    let confirmation = |row: &store::TicketRow| {
        *mailed.lock().unwrap() = Some(row.clone());
        app::tickets::mail::confirmation("http://eventxchange.test", row, "")
    };
    let registered = store::register(
        db,
        store::Registration {
            event: &event,
            user_id: user,
            email: "attendee@eventxchange.test",
            verified_member: true,
            draft: &draft,
            ticket_type: &ticket_type,
            reviewed_total: 0,
            confirmation: &confirmation,
        },
    )
    .await
    .unwrap();
    let stored = store::ticket(db, registered.ticket_id).await.unwrap();
    let mailed = mailed.lock().unwrap().take().expect("a free ticket is confirmed by mail");
    assert_eq!(format!("{mailed:?}"), format!("{stored:?}"));
    assert_eq!(stored.voucher_code.as_deref(), Some("SPEAKER-FREE"));
    assert_eq!(stored.cluster_name.as_deref(), Some("BioRN Life Science Cluster"), "{stored:?}");
    let used = store::voucher(db, event.id, "SPEAKER-FREE").await.unwrap().unwrap();
    assert_eq!(used.times_used, 1);
    assert!(
        store::draft_and_type(db, user, event.id).await.unwrap().is_none(),
        "the draft is gone with the registration"
    );
    let again = store::save_draft(db, user, event.id, &draft).await.unwrap_err();
    assert!(again.to_string().contains("already have a ticket"), "{again}");
}

async fn our_signatures_match_the_independent_signer(_backend: Backend) {
    let body = r#"{"id":"evt_x","type":"checkout.session.completed","data":{"object":{}}}"#;
    let ours = app::payments::signature::sign(body.as_bytes(), WEBHOOK_SECRET, 1_800_000_000);
    assert_eq!(stripe::signature_header(body, WEBHOOK_SECRET, 1_800_000_000), ours);
    let value: Value = serde_json::from_str(body).unwrap();
    assert_eq!(value["id"], "evt_x");
}

on_both_backends!(
    free_tickets_confirm_at_once_with_a_mailed_calendar,
    bad_registrations_are_refused_and_change_nothing,
    a_price_changed_after_the_review_needs_a_new_review,
    two_hundred_people_race_for_fifty_seats,
    paid_tickets_are_confirmed_only_by_a_verified_webhook,
    expired_checkouts_release_their_seats_and_events_may_come_out_of_order,
    a_payment_after_expiry_does_not_collide_with_a_new_registration,
    payments_that_do_not_fit_the_ticket_change_nothing,
    seats_are_not_held_without_a_sale,
    long_lists_are_paginated,
    mail_waits_for_the_smtp_server_and_is_never_lost,
    organisers_search_and_export_registrations,
    the_confirmation_is_made_from_the_ticket_as_stored,
    our_signatures_match_the_independent_signer,
);

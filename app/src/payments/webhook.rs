//! `POST /api/v1/stripe/webhook`: Stripe's notifications about Checkout Sessions and charges.
//! A delivery is applied only when its signature verifies (see `signature`), exactly once: the
//! event id is recorded in the transaction that applies it, so repeated and concurrent
//! deliveries find it there and change nothing. Each change is conditional on the ticket's
//! current status, so events that arrive out of order cannot undo a later state; an event that
//! comes too early (a refund of a payment not yet confirmed) is answered with 409, which makes
//! Stripe deliver it again later.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::signature;
use crate::platform::db::WriteTransaction;
use crate::platform::now;
use crate::state::AppState;
use crate::tickets::rules::TicketStatus;
use crate::tickets::{mail, store};
use crate::{db_run, enqueue_mail, release_ticket};

/// What became of one delivery (recorded with the event id, and logged).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied(&'static str),
    Duplicate,
    Ignored(&'static str),
    /// Not applicable yet; Stripe retries later.
    TooEarly(&'static str),
}

fn answer(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "message": message }))).into_response()
}

/// Where Stripe delivers its notifications.
pub const PATH: &str = "/api/v1/stripe/webhook";

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(payments) = state.payments.clone() else {
        return answer(StatusCode::NOT_FOUND, "online payment is not set up");
    };
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    if let Err(problem) = signature::verify(header, &body, payments.webhook_secret(), now()) {
        tracing::warn!(%problem, "refused a Stripe webhook");
        return answer(StatusCode::BAD_REQUEST, &problem.to_string());
    }
    let event: Value = match serde_json::from_slice(&body) {
        Ok(event) => event,
        Err(_) => return answer(StatusCode::BAD_REQUEST, "the body is not a JSON event"),
    };
    let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return answer(StatusCode::BAD_REQUEST, "the event has no id or type");
    };
    match apply(&state, id, kind, &event["data"]["object"]).await {
        Ok(outcome) => {
            tracing::info!(event = id, kind, ?outcome, "Stripe webhook");
            match outcome {
                Outcome::TooEarly(why) => answer(StatusCode::CONFLICT, why),
                _ => answer(StatusCode::OK, "received"),
            }
        }
        // Not recorded: Stripe delivers it again.
        Err(err) => {
            tracing::error!(event = id, kind, error = %err, "Stripe webhook failed");
            answer(StatusCode::INTERNAL_SERVER_ERROR, "could not apply the event; deliver it again")
        }
    }
}

/// The ticket an object refers to (our id travels as the Checkout Session's
/// `client_reference_id` and in its metadata).
fn ticket_id_of(object: &Value) -> Option<i64> {
    object["client_reference_id"]
        .as_str()
        .or_else(|| object["metadata"]["ticket_id"].as_str())
        .and_then(|id| id.parse().ok())
}

async fn apply(state: &AppState, id: &str, kind: &str, object: &Value) -> Result<Outcome, crate::error::AppError> {
    let public_url = state.settings.public_url.clone();
    // Everything a mail needs that is not in the transaction is read before it starts.
    let (ticket, ics) = match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" | "checkout.session.expired" => {
            let Some(ticket_id) = ticket_id_of(object) else {
                return record(state, id, kind, Outcome::Ignored("no ticket reference")).await;
            };
            let Ok(ticket) = store::ticket(&state.db, ticket_id).await else {
                return record(state, id, kind, Outcome::Ignored("unknown ticket")).await;
            };
            let ics = crate::calendar::files::event_ics(&state.db, &public_url, &ticket.event_slug).await?;
            (ticket, ics)
        }
        "charge.refunded" => {
            let Some(intent) = object["payment_intent"].as_str() else {
                return record(state, id, kind, Outcome::Ignored("no payment intent")).await;
            };
            let found: Option<i64> =
                db_run!(&state.db, |pool| sqlx::query_scalar("select id from tickets where payment_intent_id = $1")
                    .bind(intent)
                    .fetch_optional(pool)
                    .await)?;
            match found {
                Some(ticket_id) => (store::ticket(&state.db, ticket_id).await?, String::new()),
                // The payment's confirmation may not have arrived yet.
                None => return Ok(Outcome::TooEarly("no ticket is paid by this payment (yet)")),
            }
        }
        _ => return record(state, id, kind, Outcome::Ignored("not an event this site uses")).await,
    };
    let at = now();
    db_run!(&state.db, |pool| {
        let mut tx = pool.begin_write().await?;
        let fresh = sqlx::query(
            "insert into stripe_events (id, kind, received_at, outcome) values ($1, $2, $3, 'applying')
             on conflict (id) do nothing",
        )
        .bind(id)
        .bind(kind)
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if fresh == 0 {
            return Ok(Outcome::Duplicate);
        }
        let outcome = match kind {
            "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
                let paid = matches!(object["payment_status"].as_str(), Some("paid") | Some("no_payment_required"));
                let amount = object["amount_total"].as_i64();
                if !paid {
                    // Delayed payment methods report completion first and payment later.
                    Outcome::Ignored("completed but not paid yet")
                } else if amount.is_some_and(|a| a != ticket.price_cents) {
                    tracing::error!(ticket = ticket.id, ?amount, expected = ticket.price_cents, "paid amount differs");
                    Outcome::Ignored("the amount paid differs from the ticket's price")
                } else {
                    let intent = object["payment_intent"].as_str();
                    let confirmed = sqlx::query(
                        "update tickets set status = 'confirmed', confirmed_at = $1,
                                payment_intent_id = coalesce($2, payment_intent_id),
                                checkout_session_id = coalesce(checkout_session_id, $3)
                          where id = $4 and status = 'pending'",
                    )
                    .bind(at)
                    .bind(intent)
                    .bind(object["id"].as_str())
                    .bind(ticket.id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    let mut outcome = Outcome::Applied("confirmed");
                    if confirmed == 0 {
                        // Paid after the hold was released: take a seat again if one is free.
                        let status: String = sqlx::query_scalar("select status from tickets where id = $1")
                            .bind(ticket.id)
                            .fetch_one(&mut *tx)
                            .await?;
                        // The person may hold another live ticket for the event by now (one per
                        // person, a unique index): reviving this one would violate it, and on
                        // PostgreSQL a failed statement aborts the whole transaction. Ask first.
                        let other_live: i64 = sqlx::query_scalar(
                            "select count(*) from tickets
                              where user_id = $1 and event_id = $2 and id <> $3 and status in ('pending', 'confirmed')",
                        )
                        .bind(ticket.user_id)
                        .bind(ticket.event_id)
                        .bind(ticket.id)
                        .fetch_one(&mut *tx)
                        .await?;
                        outcome = if status == TicketStatus::Expired.code() && other_live > 0 {
                            tracing::error!(
                                ticket = ticket.id,
                                "paid after the hold expired; a newer ticket exists: refund it"
                            );
                            Outcome::Ignored("paid after expiry while another ticket is live: needs a refund")
                        } else if status == TicketStatus::Expired.code() {
                            let seated = sqlx::query(
                                "update ticket_types set seats_taken = seats_taken + 1 where id = $1 and seats_taken < capacity",
                            )
                            .bind(ticket.ticket_type_id)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                            let revived = if seated == 1 {
                                sqlx::query(
                                    "update tickets set status = 'confirmed', confirmed_at = $1, payment_intent_id = $2
                                      where id = $3 and status = 'expired'",
                                )
                                .bind(at)
                                .bind(intent)
                                .bind(ticket.id)
                                .execute(&mut *tx)
                                .await?
                                .rows_affected()
                            } else {
                                0
                            };
                            if revived == 1 {
                                Outcome::Applied("confirmed after its hold had expired")
                            } else {
                                tracing::error!(
                                    ticket = ticket.id,
                                    "paid after the hold expired and no seat is left: refund it"
                                );
                                Outcome::Ignored("paid after expiry without a seat: needs a refund")
                            }
                        } else {
                            Outcome::Ignored("the ticket was not awaiting payment")
                        };
                    }
                    if matches!(outcome, Outcome::Applied(_)) {
                        let row = crate::ticket_in_tx!(&mut *tx, ticket.id).await?;
                        enqueue_mail!(&mut *tx, &mail::confirmation(&public_url, &row, &ics)).await?;
                    }
                    outcome
                }
            }
            "checkout.session.expired" => {
                let released = release_ticket!(tx, ticket.id, &["pending"], TicketStatus::Expired.code(), at).await?;
                if released {
                    Outcome::Applied("hold released")
                } else {
                    Outcome::Ignored("the ticket held no seat")
                }
            }
            "charge.refunded" => {
                let full = object["refunded"].as_bool() == Some(true)
                    || object["amount_refunded"].as_i64().is_some_and(|r| r >= ticket.price_cents);
                if !full {
                    Outcome::Ignored("partial refund: the ticket stays valid")
                } else {
                    let released =
                        release_ticket!(tx, ticket.id, &["confirmed", "pending"], TicketStatus::Refunded.code(), at)
                            .await?;
                    if released {
                        enqueue_mail!(&mut *tx, &mail::refund(&public_url, &ticket)).await?;
                        Outcome::Applied("refunded")
                    } else {
                        Outcome::Ignored("the ticket was not live")
                    }
                }
            }
            _ => Outcome::Ignored("not an event this site uses"),
        };
        sqlx::query("update stripe_events set outcome = $1 where id = $2")
            .bind(format!("{outcome:?}"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(outcome)
    })
}

/// Records an event that changes nothing, so a repeat is recognised too.
async fn record(state: &AppState, id: &str, kind: &str, outcome: Outcome) -> Result<Outcome, crate::error::AppError> {
    let fresh = db_run!(&state.db, |pool| {
        sqlx::query(
        "insert into stripe_events (id, kind, received_at, outcome) values ($1, $2, $3, $4) on conflict (id) do nothing"
    )
    .bind(id)
    .bind(kind)
    .bind(now())
    .bind(format!("{outcome:?}"))
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(if fresh == 0 { Outcome::Duplicate } else { outcome })
}

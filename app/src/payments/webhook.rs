//! `POST /api/v1/stripe/webhook`: the Stripe adapter's inbound side. A delivery is applied only
//! when its signature verifies (see `signature`); it is translated into a typed
//! `PaymentEvent` and handed to `tickets::payment_events`, which owns every ticket state
//! change. Exactly once: the event id is recorded in the transaction that applies it, so
//! repeated and concurrent deliveries find it there and change nothing; an event that comes
//! too early (a refund of a payment not yet confirmed) is answered with 409, which makes Stripe
//! deliver it again later.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::signature;
use crate::error::AppError;
use crate::platform::db::Tx;
use crate::platform::{now, Db};
use crate::state::AppState;
use crate::tickets::payment_events::{self, Outcome, PaymentEvent};
use crate::{db_run, tx_run};

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
    let reported_at = event["created"].as_i64().unwrap_or_else(now);
    match apply(&state, id, kind, reported_at, &event["data"]["object"]).await {
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

/// Stripe's event in the platform's terms, or why it means nothing here.
fn translate(kind: &str, reported_at: i64, object: &Value) -> Result<PaymentEvent, &'static str> {
    match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            let ticket_id = ticket_id_of(object).ok_or("no ticket reference")?;
            // Delayed payment methods report completion first and payment later.
            if matches!(object["payment_status"].as_str(), Some("paid") | Some("no_payment_required")) {
                Ok(PaymentEvent::CheckoutPaid {
                    ticket_id,
                    session_id: object["id"].as_str().map(str::to_string),
                    payment_intent: object["payment_intent"].as_str().map(str::to_string),
                    amount: object["amount_total"].as_i64(),
                    currency: object["currency"].as_str().map(str::to_string),
                })
            } else {
                Ok(PaymentEvent::CheckoutAwaitingPayment { ticket_id })
            }
        }
        // A delayed payment that failed ends the hold as an expiry does: the seat goes back on sale.
        "checkout.session.expired" | "checkout.session.async_payment_failed" => {
            Ok(PaymentEvent::CheckoutExpired { ticket_id: ticket_id_of(object).ok_or("no ticket reference")? })
        }
        "charge.refunded" => {
            let payment_intent = object["payment_intent"].as_str().ok_or("no payment intent")?.to_string();
            let amount_refunded = object["amount_refunded"].as_i64();
            // Whether the whole price came back is for tickets to judge against the price; Stripe's
            // own `refunded` flag says the charge was refunded in full.
            let in_full = object["refunded"].as_bool() == Some(true);
            Ok(PaymentEvent::Refunded { payment_intent, amount_refunded, in_full, reported_at })
        }
        // Stripe reports a refund that could not be made as an update of the refund object
        // (`refund.failed` with newer API versions, `charge.refund.updated` / `refund.updated`
        // with older ones); other updates are a refund still on its way.
        "refund.failed" | "refund.updated" | "charge.refund.updated" => {
            if object["status"].as_str() != Some("failed") {
                return Err("a refund still on its way");
            }
            let payment_intent = object["payment_intent"].as_str().ok_or("no payment intent")?.to_string();
            let reason = object["failure_reason"].as_str().unwrap_or("unknown").replace('_', " ");
            Ok(PaymentEvent::RefundFailed { payment_intent, reason, reported_at })
        }
        _ => Err("not an event this site uses"),
    }
}

async fn apply(state: &AppState, id: &str, kind: &str, reported_at: i64, object: &Value) -> Result<Outcome, AppError> {
    let event = match translate(kind, reported_at, object) {
        Ok(event) => event,
        Err(why) => return record(&state.db, id, kind, Outcome::Ignored(why)).await,
    };
    let public_url = state.settings.public_url.clone();
    // Everything the change needs that is not in the transaction is read before it starts.
    let at = now();
    let prepared = match payment_events::prepare(&state.db, &public_url, &event, at).await? {
        Ok(prepared) => prepared,
        // Too early: not recorded, so the redelivery is applied.
        Err(outcome @ Outcome::TooEarly(_)) => return Ok(outcome),
        Err(outcome) => return record(&state.db, id, kind, outcome).await,
    };
    let mut tx = state.db.begin_write().await?;
    if !record_in(&mut tx, id, kind, at).await? {
        return Ok(Outcome::Duplicate);
    }
    let outcome = payment_events::apply_in(&mut tx, &public_url, &event, &prepared, at).await?;
    tx_run!(&mut tx, |conn| sqlx::query("update stripe_events set outcome = $1 where id = $2")
        .bind(format!("{outcome:?}"))
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    tx.commit().await?;
    Ok(outcome)
}

/// Records the delivery in the transaction that applies it; false when it was recorded before.
async fn record_in(tx: &mut Tx, id: &str, kind: &str, at: i64) -> Result<bool, sqlx::Error> {
    let fresh = tx_run!(tx, |conn| {
        sqlx::query(
        "insert into stripe_events (id, kind, received_at, outcome) values ($1, $2, $3, $4) on conflict (id) do nothing"
    )
    .bind(id)
    .bind(kind)
    .bind(at)
    .bind("applying")
    .execute(&mut *conn)
    .await?
    .rows_affected()
    });
    Ok(fresh == 1)
}

/// Records an event that changes nothing, so a repeat is recognised too.
async fn record(db: &Db, id: &str, kind: &str, outcome: Outcome) -> Result<Outcome, AppError> {
    let fresh = db_run!(db, |pool| {
        sqlx::query(
            "insert into stripe_events (id, kind, received_at, outcome) values ($1, $2, $3, $4) on conflict (id) do nothing",
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

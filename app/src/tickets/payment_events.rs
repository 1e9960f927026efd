//! What payments mean for tickets. The Stripe adapter (`payments::webhook`) verifies and
//! translates each notification into a `PaymentEvent`; this module owns every ticket state
//! change a payment causes (confirm a paid hold, release an ended one, refund), each
//! conditional on the ticket's current status, so events that arrive twice or out of order
//! cannot undo a later state. The changes run inside the adapter's transaction, which also
//! records the notification, so each is applied exactly once.

use super::mail;
use super::rules::TicketStatus;
use super::store::{self, release, ticket_in, TicketRow};
use crate::error::AppError;
use crate::platform::db::Tx;
use crate::platform::mail::enqueue_in;
use crate::platform::Db;
use crate::{db_run, tx_run};

/// A payment notification in the platform's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentEvent {
    /// The Checkout Session of a held ticket reports payment (or that none is needed).
    CheckoutPaid {
        ticket_id: i64,
        session_id: Option<String>,
        payment_intent: Option<String>,
        amount: Option<i64>,
        /// ISO 4217, as the provider writes it (Stripe: lower case).
        currency: Option<String>,
    },
    /// The session completed, but a delayed payment method has not paid yet.
    CheckoutAwaitingPayment { ticket_id: i64 },
    /// The session expired unpaid: the hold ends and the seat goes back on sale.
    CheckoutExpired { ticket_id: i64 },
    /// A charge was refunded: `amount_refunded` so far, `in_full` when the provider says the
    /// whole charge came back.
    Refunded { payment_intent: String, amount_refunded: Option<i64>, in_full: bool, reported_at: i64 },
    /// A refund could not be made (the card was closed, …): the ticket stays valid, and the
    /// organisers see why and may try again.
    RefundFailed { payment_intent: String, reason: String, reported_at: i64 },
}

/// What became of one notification (recorded with it, and logged).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied(&'static str),
    Duplicate,
    Ignored(&'static str),
    /// Not applicable yet; the payment provider retries later.
    TooEarly(&'static str),
}

/// What applying an event needs that is read before its transaction starts: the ticket, and
/// the event's calendar file for a confirmation mail.
pub struct Prepared {
    ticket: TicketRow,
    event_ics: String,
}

/// How long a refund of a payment not known (yet) is sent back for redelivery: its payment's
/// confirmation may be late, but a refund of a payment this site never took must not be
/// answered 409 for ever.
pub const UNKNOWN_PAYMENT_WAIT_SECONDS: i64 = 2 * 24 * 3600;

/// Finds the ticket an event is about. `Err(outcome)` when there is nothing to apply it to.
pub async fn prepare(
    db: &Db,
    public_url: &str,
    event: &PaymentEvent,
    at: i64,
) -> Result<Result<Prepared, Outcome>, AppError> {
    let ticket_id = match event {
        PaymentEvent::CheckoutPaid { ticket_id, .. }
        | PaymentEvent::CheckoutAwaitingPayment { ticket_id }
        | PaymentEvent::CheckoutExpired { ticket_id } => *ticket_id,
        PaymentEvent::Refunded { payment_intent, reported_at, .. }
        | PaymentEvent::RefundFailed { payment_intent, reported_at, .. } => {
            let found: Option<i64> =
                db_run!(db, |pool| sqlx::query_scalar("select id from tickets where payment_intent_id = $1")
                    .bind(payment_intent)
                    .fetch_optional(pool)
                    .await)?;
            match found {
                Some(id) => id,
                None if at - reported_at > UNKNOWN_PAYMENT_WAIT_SECONDS => {
                    tracing::error!(%payment_intent, "a refund of a payment no ticket knows");
                    return Ok(Err(Outcome::Ignored("a refund of a payment this site does not know")));
                }
                // The payment's confirmation may not have arrived yet.
                None => return Ok(Err(Outcome::TooEarly("no ticket is paid by this payment (yet)"))),
            }
        }
    };
    let Ok(ticket) = store::ticket(db, ticket_id).await else {
        return Ok(Err(Outcome::Ignored("unknown ticket")));
    };
    let event_ics = match event {
        PaymentEvent::CheckoutPaid { .. } => {
            let event = crate::events::store::load(db, &ticket.event_slug).await?;
            crate::calendar::files::event_ics(public_url, &event)
        }
        _ => String::new(),
    };
    Ok(Ok(Prepared { ticket, event_ics }))
}

/// Applies the event to its ticket inside the caller's transaction.
pub async fn apply_in(
    tx: &mut Tx,
    public_url: &str,
    event: &PaymentEvent,
    prepared: &Prepared,
    at: i64,
) -> Result<Outcome, sqlx::Error> {
    let ticket = &prepared.ticket;
    match event {
        PaymentEvent::CheckoutAwaitingPayment { .. } => Ok(Outcome::Ignored("completed but not paid yet")),
        PaymentEvent::CheckoutPaid { currency: Some(currency), .. }
            if !currency.eq_ignore_ascii_case(&ticket.currency) =>
        {
            tracing::error!(ticket = ticket.id, %currency, expected = %ticket.currency, "paid in another currency");
            Ok(Outcome::Ignored("paid in another currency than the ticket's: needs a refund"))
        }
        PaymentEvent::CheckoutPaid { session_id: Some(session), .. }
            if ticket.checkout_session_id.as_deref().is_some_and(|own| own != session) =>
        {
            tracing::error!(ticket = ticket.id, %session, "paid through a checkout session that is not the ticket's");
            Ok(Outcome::Ignored("not the ticket's checkout session: needs a refund"))
        }
        PaymentEvent::CheckoutPaid { amount: Some(amount), .. } if *amount != ticket.price_cents => {
            tracing::error!(ticket = ticket.id, amount, expected = ticket.price_cents, "paid amount differs");
            Ok(Outcome::Ignored("the amount paid differs from the ticket's price"))
        }
        PaymentEvent::CheckoutPaid { session_id, payment_intent, .. } => {
            let outcome = confirm_paid(tx, ticket, session_id.as_deref(), payment_intent.as_deref(), at).await?;
            if matches!(outcome, Outcome::Applied(_)) {
                let row = ticket_in(tx, ticket.id).await?;
                enqueue_in(tx, &mail::confirmation(public_url, &row, &prepared.event_ics)).await?;
            }
            Ok(outcome)
        }
        PaymentEvent::CheckoutExpired { .. } => {
            Ok(if release(tx, ticket.id, &[TicketStatus::Pending], TicketStatus::Expired, at).await? {
                Outcome::Applied("hold released")
            } else {
                Outcome::Ignored("the ticket held no seat")
            })
        }
        PaymentEvent::Refunded { amount_refunded, in_full, .. }
            if !*in_full && !amount_refunded.is_some_and(|r| r >= ticket.price_cents) =>
        {
            Ok(Outcome::Ignored("partial refund: the ticket stays valid"))
        }
        PaymentEvent::RefundFailed { reason, .. } => {
            let marked = tx_run!(tx, |conn| sqlx::query(
                "update tickets set refund_requested_at = null, refund_failed_at = $1, refund_failure = $2
                  where id = $3 and status = $4 and refund_requested_at is not null",
            )
            .bind(at)
            .bind(reason)
            .bind(ticket.id)
            .bind(TicketStatus::Confirmed)
            .execute(&mut *conn)
            .await?
            .rows_affected());
            Ok(if marked == 1 {
                tracing::warn!(ticket = ticket.id, %reason, "a refund failed");
                Outcome::Applied("refund failed")
            } else {
                Outcome::Ignored("no refund of this ticket was under way")
            })
        }
        PaymentEvent::Refunded { .. } => {
            let live = [TicketStatus::Confirmed, TicketStatus::Pending];
            if release(tx, ticket.id, &live, TicketStatus::Refunded, at).await? {
                enqueue_in(tx, &mail::refund(public_url, ticket)).await?;
                Ok(Outcome::Applied("refunded"))
            } else {
                Ok(Outcome::Ignored("the ticket was not live"))
            }
        }
    }
}

/// Confirms a held ticket whose payment arrived; a payment that arrives after the hold ended
/// takes a seat again if one is free and the person holds no other live ticket for the event.
async fn confirm_paid(
    tx: &mut Tx,
    ticket: &TicketRow,
    session_id: Option<&str>,
    intent: Option<&str>,
    at: i64,
) -> Result<Outcome, sqlx::Error> {
    let confirmed = tx_run!(tx, |conn| sqlx::query(
        "update tickets set status = $1, confirmed_at = $2,
                payment_intent_id = coalesce($3, payment_intent_id),
                checkout_session_id = coalesce(checkout_session_id, $4)
          where id = $5 and status = $6",
    )
    .bind(TicketStatus::Confirmed)
    .bind(at)
    .bind(intent)
    .bind(session_id)
    .bind(ticket.id)
    .bind(TicketStatus::Pending)
    .execute(&mut *conn)
    .await?
    .rows_affected());
    if confirmed == 1 {
        return Ok(Outcome::Applied("confirmed"));
    }
    // Paid after the hold was released. The person may hold another live ticket for the event by
    // now (one per person, a unique index): reviving this one would violate it, and on
    // PostgreSQL a failed statement aborts the whole transaction. So ask first.
    let (status, other_live): (TicketStatus, i64) = tx_run!(tx, |conn| sqlx::query_as(
        "select t.status, (select count(*) from tickets o
                            where o.user_id = t.user_id and o.event_id = t.event_id and o.id <> t.id
                              and o.status in ($2, $3))
           from tickets t where t.id = $1",
    )
    .bind(ticket.id)
    .bind(TicketStatus::Pending)
    .bind(TicketStatus::Confirmed)
    .fetch_one(&mut *conn)
    .await?);
    if status != TicketStatus::Expired {
        return Ok(Outcome::Ignored("the ticket was not awaiting payment"));
    }
    if other_live > 0 {
        tracing::error!(ticket = ticket.id, "paid after the hold expired; a newer ticket exists: refund it");
        return Ok(Outcome::Ignored("paid after expiry while another ticket is live: needs a refund"));
    }
    // The ticket first (conditional on its status), then a seat if one is free; without a seat
    // the ticket goes back to expired, keeping the payment's id for the refund.
    let revived = tx_run!(tx, |conn| {
        let revived = sqlx::query(
            "update tickets set status = $1, confirmed_at = $2, payment_intent_id = $3 where id = $4 and status = $5",
        )
        .bind(TicketStatus::Confirmed)
        .bind(at)
        .bind(intent)
        .bind(ticket.id)
        .bind(TicketStatus::Expired)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        // (No early `return` in here: it would leave the whole function.)
        let seated = if revived == 0 {
            0
        } else {
            sqlx::query(
                "update ticket_types set seats_taken = seats_taken + 1 where id = $1 and seats_taken < capacity",
            )
            .bind(ticket.ticket_type_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        };
        if revived == 1 && seated == 0 {
            sqlx::query("update tickets set status = $1, confirmed_at = null where id = $2")
                .bind(TicketStatus::Expired)
                .bind(ticket.id)
                .execute(&mut *conn)
                .await?;
        }
        Ok::<bool, sqlx::Error>(seated == 1)
    })?;
    Ok(if revived {
        Outcome::Applied("confirmed after its hold had expired")
    } else {
        tracing::error!(ticket = ticket.id, "paid after the hold expired and no seat is left: refund it");
        Outcome::Ignored("paid after expiry without a seat: needs a refund")
    })
}

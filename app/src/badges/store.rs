//! Issuing badge codes. A ticket's badge is issued the first time it is shown (the issue
//! second goes into `tickets.badge_issued_at` and into the signed code); re-issuing stores a
//! later second, which revokes every code issued before.

use super::code::BadgeCode;
use super::keys::BadgeKeys;
use crate::db_run;
use crate::error::AppError;
use crate::platform::{now, Db};
use crate::tickets::rules::TicketStatus;

/// The current code of a confirmed ticket, issuing its first badge if needed. `None` for a
/// ticket that is not confirmed (it has no valid badge).
pub async fn current_code(db: &Db, keys: &BadgeKeys, ticket_id: i64) -> Result<Option<String>, AppError> {
    db_run!(db, |pool| sqlx::query(
        "update tickets set badge_issued_at = $1 where id = $2 and status = $3 and badge_issued_at is null"
    )
    .bind(now())
    .bind(ticket_id)
    .bind(TicketStatus::Confirmed)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    let row: Option<(i64, Option<i64>, TicketStatus)> =
        db_run!(db, |pool| sqlx::query_as("select event_id, badge_issued_at, status from tickets where id = $1")
            .bind(ticket_id)
            .fetch_optional(pool)
            .await)?;
    match row {
        Some((event_id, Some(issued_at), TicketStatus::Confirmed)) => {
            let code = BadgeCode { event_id, ticket_id, issued_at };
            Ok(Some(keys.for_event(db, event_id).await?.sign(code)))
        }
        _ => Ok(None),
    }
}

/// Issues the first badge of every confirmed ticket of the event that has none (batch printing).
pub async fn issue_missing(db: &Db, event_id: i64) -> Result<(), AppError> {
    db_run!(db, |pool| {
        sqlx::query(
            "update tickets set badge_issued_at = $1 where event_id = $2 and status = $3 and badge_issued_at is null",
        )
        .bind(now())
        .bind(event_id)
        .bind(TicketStatus::Confirmed)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// The codes of the given tickets as already issued (after `issue_missing`).
pub async fn codes_of(
    db: &Db,
    keys: &BadgeKeys,
    event_id: i64,
    ticket_ids: &[i64],
) -> Result<Vec<(i64, String)>, AppError> {
    let signer = keys.for_event(db, event_id).await?;
    let issued: Vec<(i64, Option<i64>)> = db_run!(db, |pool| sqlx::query_as(
        "select id, badge_issued_at from tickets where event_id = $1 and status = $2"
    )
    .bind(event_id)
    .bind(TicketStatus::Confirmed)
    .fetch_all(pool)
    .await)?;
    let wanted: std::collections::HashSet<i64> = ticket_ids.iter().copied().collect();
    Ok(issued
        .into_iter()
        .filter(|(id, _)| wanted.contains(id))
        .filter_map(|(ticket_id, issued_at)| {
            issued_at.map(|issued_at| (ticket_id, signer.sign(BadgeCode { event_id, ticket_id, issued_at })))
        })
        .collect())
}

/// Replaces the badge of a confirmed ticket: the new issue second is later than the old one
/// (even within the same second), so the old code stops being valid everywhere, including on
/// scanners that fetch the ticket list again.
pub async fn reissue(db: &Db, ticket_id: i64) -> Result<(), AppError> {
    let changed = db_run!(db, |pool| sqlx::query(
        "update tickets
            set badge_issued_at = case when badge_issued_at >= $1 then badge_issued_at + 1 else $1 end
          where id = $2 and status = $3"
    )
    .bind(now())
    .bind(ticket_id)
    .bind(TicketStatus::Confirmed)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if changed == 0 {
        return Err(AppError::invalid("ticket", "Only a confirmed ticket has a badge to re-issue."));
    }
    Ok(())
}

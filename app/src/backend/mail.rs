//! The mail outbox: every message is first written to the database, so nothing is lost when
//! delivery fails. Until SMTP delivery is added, partnership admins read the outbox at
//! `/admin/outbox` (the development mailbox).

use sqlx::FromRow;

use super::{now, Db};
use crate::db_run;
use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct OutgoingMail {
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
}

#[derive(Clone, Debug, FromRow)]
pub struct QueuedMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

pub async fn enqueue(db: &Db, mail: &OutgoingMail) -> Result<(), AppError> {
    let at = now();
    db_run!(db, |pool| sqlx::query(
        "insert into outbox (recipient, subject, body_text, created_at, next_attempt_at, attempts)
         values ($1, $2, $3, $4, $4, 0)"
    )
    .bind(&mail.recipient)
    .bind(&mail.subject)
    .bind(&mail.body_text)
    .bind(at)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    tracing::info!(subject = %mail.subject, "mail queued");
    Ok(())
}

/// The newest messages, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<QueuedMail>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select id, recipient, subject, body_text, created_at, sent_at from outbox order by id desc limit $1"
    )
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

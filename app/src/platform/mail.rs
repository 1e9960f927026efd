//! The mail queue. Every message is first written to the `outbox` table, in the same
//! transaction as the change it reports, so a confirmed ticket never lacks its mail and a
//! rolled-back change never sends one. A delivery task hands due messages to SMTP (`lettre`),
//! retrying with exponential back-off while the server is unreachable; nothing is deleted, so
//! nothing is lost. Without an SMTP server configured (development), messages stay in the
//! outbox, which partnership admins read at `/admin/outbox`.

use std::sync::Arc;
use std::time::Duration;

pub use lettre::message::Mailbox;
use lettre::message::{header::ContentType, Attachment, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::FromRow;

use super::db::Tx;
use super::{now, Db};
use crate::error::AppError;
use crate::{db_run, tx_run};

#[derive(Clone, Debug, Default)]
pub struct OutgoingMail {
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub attachment: Option<MailAttachment>,
}

#[derive(Clone, Debug)]
pub struct MailAttachment {
    pub filename: String,
    /// A MIME type, e.g. `text/calendar; charset=utf-8; method=PUBLISH`.
    pub content_type: String,
    pub body: String,
}

/// The text with the value of every `token=` in it hidden (links that act on an account).
pub fn redact_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("token=") {
        out.push_str(&rest[..at + "token=".len()]);
        rest = &rest[at + "token=".len()..];
        let end = rest.find(|c: char| c.is_whitespace() || c == '&').unwrap_or(rest.len());
        out.push_str("[hidden]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The outbox row of a mail, with `OUTBOX_PARAMETERS` parameters bound by `bind_outgoing_mail!`:
/// shared by `enqueue_in` and by writers that send it in one batch with other statements
/// (`db::sqlite_batch`, `db::postgres_batch`).
pub const OUTBOX_INSERT: &str =
    "insert into outbox (recipient, subject, body_text, created_at, next_attempt_at, attempts,
                             attachment_name, attachment_type, attachment_body)
         values ($1, $2, $3, $4, $4, 0, $5, $6, $7)";
pub const OUTBOX_PARAMETERS: usize = 7;

/// Binds a mail's values to `OUTBOX_INSERT`'s parameters, in their order (a macro, so that it
/// serves any query type of either backend).
#[macro_export]
macro_rules! bind_outgoing_mail {
    ($query:expr, $mail:expr) => {{
        let mail: &$crate::platform::mail::OutgoingMail = $mail;
        let attachment = mail.attachment.as_ref();
        $query
            .bind(&mail.recipient)
            .bind(&mail.subject)
            .bind(&mail.body_text)
            .bind($crate::platform::now())
            .bind(attachment.map(|a| a.filename.clone()))
            .bind(attachment.map(|a| a.content_type.clone()))
            .bind(attachment.map(|a| a.body.clone()))
    }};
}

/// Queues a mail inside the caller's transaction, so it is sent if and only if the change it
/// reports is committed.
pub async fn enqueue_in(tx: &mut Tx, mail: &OutgoingMail) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| crate::bind_outgoing_mail!(sqlx::query(OUTBOX_INSERT), mail)
        .execute(&mut *conn)
        .await
        .map(|_| ()))
}

/// Queues a mail on its own.
pub async fn enqueue(db: &Db, mail: &OutgoingMail) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    enqueue_in(&mut tx, mail).await?;
    tx.commit().await?;
    tracing::info!(subject = %mail.subject, "mail queued");
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct QueuedMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub attachment_name: Option<String>,
}

/// The newest messages, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<QueuedMail>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select id, recipient, subject, body_text, created_at, sent_at, attempts, last_error, attachment_name
           from outbox order by id desc limit $1"
    )
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// How the delivery task reaches the SMTP server.
#[derive(Clone)]
pub struct MailSettings {
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required`, `smtps://host` (lettre's
    /// connection URLs).
    pub smtp_url: String,
    pub from: Mailbox,
    /// The first retry waits this long; each further one twice as long, up to an hour.
    pub retry_base: Duration,
    /// How often the queue is looked at.
    pub poll_every: Duration,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold the SMTP password.
        f.debug_struct("MailSettings").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

/// The wait before retry number `attempts` (1 = the first retry).
pub fn backoff(base: Duration, attempts: i64) -> Duration {
    let factor = 2u32.saturating_pow(attempts.clamp(1, 20) as u32 - 1);
    base.saturating_mul(factor).min(Duration::from_secs(3600))
}

#[derive(FromRow)]
struct DueMail {
    id: i64,
    recipient: String,
    subject: String,
    body_text: String,
    attempts: i64,
    next_attempt_at: i64,
    attachment_name: Option<String>,
    attachment_type: Option<String>,
    attachment_body: Option<String>,
}

/// A message is claimed for this long while it is being sent, so another server instance does
/// not send it too; if this one dies mid-send, the message is tried again after the lease.
const CLAIM_SECONDS: i64 = 120;

fn compose(from: &Mailbox, mail: &DueMail) -> Result<Message, String> {
    let to: Mailbox = mail.recipient.parse().map_err(|e| format!("recipient: {e}"))?;
    let builder = Message::builder().from(from.clone()).to(to).subject(mail.subject.clone());
    let message = match (&mail.attachment_name, &mail.attachment_type, &mail.attachment_body) {
        // A calendar invitation (`method=REQUEST` or `CANCEL`) is also an alternative of the text,
        // which is where Outlook, Gmail and Apple Mail look for the buttons and the update; the
        // same file is attached for clients that only offer attachments.
        (Some(name), Some(kind), Some(body))
            if kind.starts_with("text/calendar")
                && (kind.contains("method=REQUEST") || kind.contains("method=CANCEL")) =>
        {
            let kind = ContentType::parse(kind).map_err(|e| format!("attachment type: {e}"))?;
            builder.multipart(
                MultiPart::mixed()
                    .multipart(
                        MultiPart::alternative()
                            .singlepart(SinglePart::plain(mail.body_text.clone()))
                            .singlepart(SinglePart::builder().header(kind.clone()).body(body.clone())),
                    )
                    .singlepart(Attachment::new(name.clone()).body(body.clone(), kind)),
            )
        }
        (Some(name), Some(kind), Some(body)) => {
            let kind = ContentType::parse(kind).map_err(|e| format!("attachment type: {e}"))?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(mail.body_text.clone()))
                    .singlepart(Attachment::new(name.clone()).body(body.clone(), kind)),
            )
        }
        _ => builder.header(ContentType::TEXT_PLAIN).body(mail.body_text.clone()),
    };
    message.map_err(|e| format!("message: {e}"))
}

/// Sends what is due, once. Returns how many messages were delivered.
pub async fn deliver_due(
    db: &Db,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    settings: &MailSettings,
) -> Result<usize, AppError> {
    let at = now();
    let due: Vec<DueMail> = db_run!(db, |pool| sqlx::query_as(
        "select id, recipient, subject, body_text, attempts, next_attempt_at, attachment_name, attachment_type,
                attachment_body
           from outbox where sent_at is null and next_attempt_at <= $1 order by next_attempt_at, id limit 20"
    )
    .bind(at)
    .fetch_all(pool)
    .await)?;
    let mut delivered = 0;
    for mail in due {
        let claimed = db_run!(db, |pool| sqlx::query(
            "update outbox set next_attempt_at = $1 where id = $2 and sent_at is null and next_attempt_at = $3"
        )
        .bind(at + CLAIM_SECONDS)
        .bind(mail.id)
        .bind(mail.next_attempt_at)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        if claimed == 0 {
            continue;
        }
        let outcome = match compose(&settings.from, &mail) {
            Ok(message) => transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Err(problem) => Err(problem),
        };
        let attempts = mail.attempts + 1;
        match outcome {
            Ok(()) => {
                // A delivered mail's links (sign-up, password reset) have done their job in the
                // mailbox; the copy kept here is redacted so the database holds no live one.
                db_run!(db, |pool| sqlx::query(
                    "update outbox set sent_at = $1, attempts = $2, last_error = null, body_text = $3 where id = $4"
                )
                .bind(now())
                .bind(attempts)
                .bind(redact_links(&mail.body_text))
                .bind(mail.id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))?;
                delivered += 1;
                tracing::info!(id = mail.id, subject = %mail.subject, "mail delivered");
            }
            Err(problem) => {
                let wait = backoff(settings.retry_base, attempts).as_secs().max(1) as i64;
                db_run!(db, |pool| sqlx::query(
                    "update outbox set attempts = $1, next_attempt_at = $2, last_error = $3 where id = $4"
                )
                .bind(attempts)
                .bind(now() + wait)
                .bind(&problem)
                .bind(mail.id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))?;
                tracing::warn!(id = mail.id, attempts, retry_in_seconds = wait, error = %problem, "mail not delivered");
            }
        }
    }
    Ok(delivered)
}

/// Starts the delivery task. It runs until the process ends; a failing round is logged and the
/// next one tries again.
pub fn spawn_delivery(db: Db, settings: Arc<MailSettings>) -> Result<tokio::task::JoinHandle<()>, String> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
        .map_err(|e| format!("SMTP_URL is not a usable SMTP address: {e}"))?
        .timeout(Some(Duration::from_secs(20)))
        .build();
    Ok(tokio::spawn(async move {
        loop {
            if let Err(err) = deliver_due(&db, &transport, &settings).await {
                tracing::warn!(error = %err, "mail delivery round failed");
            }
            tokio::time::sleep(settings.poll_every).await;
        }
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reset_links_are_redacted() {
        let text = "Choose a new password:\nhttps://x.test/password/reset?token=abc123&x=1\nThanks";
        assert_eq!(
            super::redact_links(text),
            "Choose a new password:\nhttps://x.test/password/reset?token=[hidden]&x=1\nThanks"
        );
        assert_eq!(super::redact_links("no links"), "no links");
    }

    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 12), Duration::from_secs(3600));
        assert_eq!(backoff(base, 10_000), Duration::from_secs(3600));
    }
}

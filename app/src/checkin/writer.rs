//! Group commit for check-ins. Every acknowledged check-in must survive a power loss, and on
//! SQLite (`synchronous = FULL`) that is one fsync per commit: sixteen scanners each committing
//! their own insert queue on the write lock, one fsync after another. Here one writer task takes
//! the check-ins waiting at that moment, records them all in one statement, which commits by
//! itself, and only then answers each scan. A rush of scans costs one fsync per batch instead of
//! one per scan; a lone scan is committed at once, as before (nothing waits for a batch to fill).
//! On SQLite the fsync is not the statement's own: a batch's answers wait for a flush of the log
//! (`Db::flush_commits`) while the writer takes the next batch, so the disk and the inserts
//! overlap, and one flush may cover several batches.
//!
//! Only the insert runs on the writer: the badge's signature and the ticket were checked by the
//! request before it queued its check-in (and a ticket found inside already was answered there).
//! A batch is one multi-row insert, with no transaction around it: a statement on its own is
//! atomic and durable once it returns (and is flushed), and it is one round trip to the database where BEGIN,
//! insert and COMMIT were three. The one-entry rule stays in the database (the partial unique
//! index `checkins_one_entry`): the insert leaves out a row that meets it, also when the row it
//! meets comes earlier in the same batch. Only the entries left out are looked at again, one by
//! one, after the commit; what they meet was committed before them.
//!
//! On SQLite the writer holds a connection of its own to the writer side of the file
//! (`db::sqlite_writer_of_its_own`): a pooled one would be pinged each time it went back to its
//! pool, one more round trip per batch on the path every scan waits for.

use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

use super::rules::{Direction, EarlierCheckin};
use super::store::LIVE_ENTRY;
use crate::db_run;
use crate::platform::db::{self, Db};
use crate::platform::now;

/// At most this many check-ins per batch (one statement): a batch stays a few milliseconds of work, so
/// the scans behind it do not wait long for theirs.
const MOST_PER_BATCH: usize = 128;
/// Scans queued beyond this wait for room (back-pressure instead of unbounded memory).
const QUEUE: usize = 1024;

/// The writer's own SQLite connection, opened on first use and again after a fault (unused on
/// PostgreSQL). A scan recorded without the writer (its runtime ended) passes an empty one.
type OwnConnection = Option<sqlx::SqliteConnection>;

/// A check-in a scan asks to record.
#[derive(Clone, Debug)]
pub struct Entry {
    pub list_id: i64,
    pub ticket_id: i64,
    pub direction: Direction,
    pub single_entry: bool,
    pub device: String,
    pub idempotency_key: String,
    pub scanned_at: i64,
    pub offline: bool,
}

/// What became of an entry.
#[derive(Clone, Debug)]
pub enum Recorded {
    New(i64),
    /// The same idempotency key was recorded before, for this ticket: the first answer stands.
    Replayed(i64),
    /// The same idempotency key was recorded before, for another ticket.
    KeyReused,
    /// The ticket is inside already on this single-entry list (`None`: the earlier entry was
    /// undone between the insert and the look-up; decide again).
    Duplicate(Option<EarlierCheckin>),
}

struct Queued {
    entry: Entry,
    answer: oneshot::Sender<Result<Recorded, sqlx::Error>>,
}

/// The writer of one database; it starts on first use, on the runtime that uses it, and stops
/// when the last handle to it is dropped.
#[derive(Debug, Default)]
pub struct CheckinWriter {
    inbox: OnceLock<mpsc::Sender<Queued>>,
}

impl CheckinWriter {
    /// Records `entry`, answering once the statement it went into has committed.
    pub async fn record(&self, db: &Db, entry: Entry) -> Result<Recorded, sqlx::Error> {
        let inbox = self.inbox.get_or_init(|| {
            let (inbox, queue) = mpsc::channel(QUEUE);
            tokio::spawn(run(db.clone(), queue));
            inbox
        });
        let (answer, answered) = oneshot::channel();
        let queued = Queued { entry, answer };
        match inbox.send(queued).await {
            Ok(()) => match answered.await {
                Ok(result) => result,
                // The writer went away with the entry (its runtime shut down), maybe before and
                // maybe after the commit: the scan fails unacknowledged, and the device's retry
                // with the same idempotency key finds whichever it was.
                Err(_) => Err(sqlx::Error::WorkerCrashed),
            },
            // The writer stopped before taking it (a runtime that ended): record it alone.
            Err(mpsc::error::SendError(queued)) => record_alone(db, &mut None, &queued.entry).await,
        }
    }
}

async fn run(db: Db, mut queue: mpsc::Receiver<Queued>) {
    let mut batch = Vec::with_capacity(MOST_PER_BATCH);
    let mut own: OwnConnection = None;
    // Waits for one entry, then takes whatever else is waiting at that moment.
    while queue.recv_many(&mut batch, MOST_PER_BATCH).await > 0 {
        let entries: Vec<&Entry> = batch.iter().map(|queued| &queued.entry).collect();
        match record_batch(&db, &mut own, &entries).await {
            Ok(answers) => {
                // Answered once the batch is on disk. Meanwhile the next batch goes in, and one
                // flush of SQLite's log may cover both (see `Db::flush_commits`).
                let answered = std::mem::replace(&mut batch, Vec::with_capacity(MOST_PER_BATCH));
                let db = db.clone();
                tokio::spawn(async move {
                    let flushed = db.flush_commits().await.map_err(|err| err.to_string());
                    for (queued, answer) in answered.into_iter().zip(answers) {
                        let answer = match &flushed {
                            Ok(()) => Ok(answer),
                            Err(err) => Err(sqlx::Error::Io(std::io::Error::other(format!(
                                "the check-in was written but could not be flushed to disk: {err}"
                            )))),
                        };
                        let _ = queued.answer.send(answer);
                    }
                });
            }
            Err(error) => {
                // The insert failed as a whole (a statement is atomic), or a look-up after it did.
                // Each entry is recorded again on its own, so one entry's fault (or a passing one
                // of the database's) is only its own answer; an entry the batch did commit finds
                // its row by its idempotency key and is answered with it.
                tracing::warn!("a batch of {} check-ins failed ({error}); recording them one by one", batch.len());
                for queued in batch.drain(..) {
                    let answer = record_alone(&db, &mut own, &queued.entry).await;
                    let _ = queued.answer.send(answer);
                }
            }
        }
    }
}

async fn record_batch(db: &Db, own: &mut OwnConnection, entries: &[&Entry]) -> Result<Vec<Recorded>, sqlx::Error> {
    let inserted = insert_all(db, own, entries, now()).await?;
    let mut answers = Vec::with_capacity(entries.len());
    for entry in entries {
        // A row's (list, idempotency key) is unique: it names the entry that inserted it (or an
        // entry of the same batch that repeats that scan).
        let row =
            inserted.iter().find(|row| row.list_id == entry.list_id && row.idempotency_key == entry.idempotency_key);
        answers.push(match row {
            Some(row) if row.ticket_id == entry.ticket_id => Recorded::New(row.id),
            Some(_) => Recorded::KeyReused,
            // Not inserted: the ticket is inside already, or the key was used before.
            None => left_out(db, entry).await?,
        });
    }
    Ok(answers)
}

#[derive(sqlx::FromRow)]
struct Inserted {
    id: i64,
    list_id: i64,
    idempotency_key: String,
    ticket_id: i64,
}

/// Inserts every entry in one statement, which commits by itself (a round trip per batch, not
/// per scan); the ones that meet the one-entry rule or a used key are left out, to be looked at
/// one by one. On SQLite it runs on `own` (opened here when it is not yet).
async fn insert_all(
    db: &Db,
    own: &mut OwnConnection,
    entries: &[&Entry],
    recorded_at: i64,
) -> Result<Vec<Inserted>, sqlx::Error> {
    const COLUMNS: usize = 9;
    let rows: Vec<String> = (0..entries.len())
        .map(|n| {
            let first = n * COLUMNS + 1;
            let places: Vec<String> = (first..first + COLUMNS).map(|p| format!("${p}")).collect();
            format!("({})", places.join(", "))
        })
        .collect();
    let sql = format!(
        "insert into checkins (list_id, ticket_id, direction, single_entry, device, idempotency_key, scanned_at,
                               recorded_at, offline)
         values {}
         on conflict do nothing
         returning id, list_id, idempotency_key, ticket_id",
        rows.join(", ")
    );
    // This process's SQLite writers take turns (see `Db::write_turn`). The statement commits on
    // SQLite's writer connection without waiting for the disk: its answers wait for
    // `Db::flush_commits` instead, outside the turn.
    let _turn = db.write_turn().await;
    // The same statement and binds for either backend's query type.
    macro_rules! bound {
        () => {{
            let mut insert = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for entry in entries {
                insert = insert
                    .bind(entry.list_id)
                    .bind(entry.ticket_id)
                    .bind(entry.direction.as_str())
                    .bind(entry.single_entry)
                    .bind(&entry.device)
                    .bind(&entry.idempotency_key)
                    .bind(entry.scanned_at)
                    .bind(recorded_at)
                    .bind(entry.offline);
            }
            insert
        }};
    }
    match db {
        Db::Sqlite(pool) => {
            if own.is_none() {
                *own = Some(db::sqlite_writer_of_its_own(pool).await?);
            }
            let conn = own.as_mut().expect("opened just above");
            let inserted = bound!().fetch_all(&mut *conn).await;
            if inserted.is_err() {
                // Whatever went wrong, the next batch starts on a fresh connection.
                *own = None;
            }
            inserted
        }
        Db::Postgres(pool) => bound!().fetch_all(pool).await,
    }
}

async fn record_alone(db: &Db, own: &mut OwnConnection, entry: &Entry) -> Result<Recorded, sqlx::Error> {
    let inserted = insert_all(db, own, &[entry], now()).await?;
    db.flush_commits().await?;
    Ok(match inserted.first() {
        Some(row) => Recorded::New(row.id),
        None => left_out(db, entry).await?,
    })
}

/// Why an entry's insert was left out: its key was used before (by this scan or another), or
/// the ticket is inside already on this single-entry list. Read after the insert committed: the
/// row it met was committed before it (and stays, unless an undo takes it back in between, which
/// `Duplicate(None)` reports).
async fn left_out(db: &Db, entry: &Entry) -> Result<Recorded, sqlx::Error> {
    let same_key: Option<(i64, i64)> = db_run!(db, |pool| sqlx::query_as(
        "select id, ticket_id from checkins where list_id = $1 and idempotency_key = $2"
    )
    .bind(entry.list_id)
    .bind(&entry.idempotency_key)
    .fetch_optional(pool)
    .await)?;
    if let Some((id, earlier_ticket)) = same_key {
        return Ok(if earlier_ticket == entry.ticket_id { Recorded::Replayed(id) } else { Recorded::KeyReused });
    }
    let earlier: Option<(i64, String, String)> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select c.scanned_at, l.name, c.device from checkins c join checkin_lists l on l.id = c.list_id
          where c.list_id = $1 and c.ticket_id = $2 and {LIVE_ENTRY}"
    )))
    .bind(entry.list_id)
    .bind(entry.ticket_id)
    .fetch_optional(pool)
    .await)?;
    Ok(Recorded::Duplicate(earlier.map(|(at, list, device)| EarlierCheckin { at, list, device })))
}

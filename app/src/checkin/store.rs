//! Check-in lists, scanning devices and check-ins. The one-entry rule of single-entry lists is
//! the partial unique index `checkins_one_entry`: however many devices scan a ticket at once,
//! one insert wins and the others find the winner's row.

use sqlx::FromRow;

use super::rules::{
    self, BundleTicket, Direction, EarlierCheckin, EventKey, ListKind, OfflineBundle, ScanOutcome, Verdict,
};
use super::writer::{Entry, Recorded};
use crate::badges::code;
use crate::db_run;
use crate::error::AppError;
use crate::platform::db::Constraint;
use crate::platform::{now, random_token, token_hash, Db};
use crate::state::AppState;
use crate::tickets::rules::TicketStatus;

/// One list of a name per event.
const LIST_NAME: Constraint =
    Constraint { postgres: "checkin_lists_name_key", sqlite: "checkin_lists.event_id, checkin_lists.name" };

#[derive(Clone, Debug, FromRow)]
pub struct ListRow {
    pub id: i64,
    pub event_id: i64,
    pub name: String,
    pub kind: String,
    pub multi_entry: bool,
    pub all_ticket_types: bool,
}

/// A list as scanning needs it.
#[derive(Clone, Debug)]
pub struct ScanList {
    pub row: ListRow,
    /// `None`: every ticket type.
    pub admitted: Option<Vec<i64>>,
}

const LIST_COLUMNS: &str = "l.id, l.event_id, l.name, l.kind, l.multi_entry, l.all_ticket_types";

pub async fn lists(db: &Db, event_id: i64) -> Result<Vec<ScanList>, AppError> {
    let rows: Vec<ListRow> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {LIST_COLUMNS} from checkin_lists l where l.event_id = $1 order by l.id"
    )))
    .bind(event_id)
    .fetch_all(pool)
    .await)?;
    let mut lists = Vec::with_capacity(rows.len());
    for row in rows {
        let admitted = admitted(db, &row).await?;
        lists.push(ScanList { row, admitted });
    }
    Ok(lists)
}

async fn admitted(db: &Db, row: &ListRow) -> Result<Option<Vec<i64>>, AppError> {
    if row.all_ticket_types {
        return Ok(None);
    }
    let types: Vec<i64> = db_run!(db, |pool| sqlx::query_scalar(
        "select ticket_type_id from checkin_list_ticket_types where list_id = $1 order by ticket_type_id"
    )
    .bind(row.id)
    .fetch_all(pool)
    .await)?;
    Ok(Some(types))
}

/// The list `list_id` of the event (a list of another event is not found).
pub async fn scan_list(db: &Db, event_id: i64, list_id: i64) -> Result<ScanList, AppError> {
    let row: Option<ListRow> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {LIST_COLUMNS} from checkin_lists l where l.event_id = $1 and l.id = $2"
    )))
    .bind(event_id)
    .bind(list_id)
    .fetch_optional(pool)
    .await)?;
    let row = row.ok_or_else(|| AppError::NotFound("This check-in list".into()))?;
    let admitted = admitted(db, &row).await?;
    Ok(ScanList { row, admitted })
}

/// A list as organisers set it up.
pub struct ListDraft {
    pub name: String,
    pub kind: ListKind,
    pub multi_entry: bool,
    /// Empty: every ticket type.
    pub ticket_types: Vec<i64>,
}

impl ListDraft {
    pub fn parse(name: &str, kind: &str, multi_entry: bool, mut ticket_types: Vec<i64>) -> Result<ListDraft, AppError> {
        ticket_types.sort_unstable();
        ticket_types.dedup();
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::invalid("name", "Give the list a name, e.g. \"Main entrance\"."));
        }
        if name.chars().count() > 80 {
            return Err(AppError::invalid("name", "Keep the name under 80 characters."));
        }
        let kind = ListKind::parse(kind)
            .ok_or_else(|| AppError::invalid("kind", "Choose entrance, session room or B2B area."))?;
        Ok(ListDraft { name: name.to_string(), kind, multi_entry, ticket_types })
    }
}

/// Creates a list, or changes list `id`. Ticket types must belong to the event.
pub async fn save_list(db: &Db, event_id: i64, id: Option<i64>, draft: &ListDraft) -> Result<i64, AppError> {
    let own: Vec<i64> = crate::tickets::store::ticket_types(db, event_id).await?.into_iter().map(|t| t.id).collect();
    if let Some(stranger) = draft.ticket_types.iter().find(|t| !own.contains(t)) {
        return Err(AppError::invalid("ticket_types", format!("Ticket type {stranger} is not one of this event's.")));
    }
    let all = draft.ticket_types.is_empty();
    let saved = db_run!(db, |pool| async {
        use crate::platform::db::WriteTransaction;
        let mut tx = pool.begin_write().await?;
        let list_id: Option<i64> = match id {
            None => {
                sqlx::query_scalar(
                    "insert into checkin_lists (event_id, name, kind, multi_entry, all_ticket_types, created_at)
                 values ($1, $2, $3, $4, $5, $6) returning id",
                )
                .bind(event_id)
                .bind(&draft.name)
                .bind(draft.kind.code())
                .bind(draft.multi_entry)
                .bind(all)
                .bind(now())
                .fetch_optional(&mut *tx)
                .await?
            }
            Some(id) => {
                sqlx::query_scalar(
                    "update checkin_lists set name = $1, kind = $2, multi_entry = $3, all_ticket_types = $4
                  where id = $5 and event_id = $6 returning id",
                )
                .bind(&draft.name)
                .bind(draft.kind.code())
                .bind(draft.multi_entry)
                .bind(all)
                .bind(id)
                .bind(event_id)
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        let Some(list_id) = list_id else { return Ok::<Option<i64>, sqlx::Error>(None) };
        sqlx::query("delete from checkin_list_ticket_types where list_id = $1").bind(list_id).execute(&mut *tx).await?;
        for ticket_type in &draft.ticket_types {
            sqlx::query("insert into checkin_list_ticket_types (list_id, ticket_type_id) values ($1, $2)")
                .bind(list_id)
                .bind(ticket_type)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(list_id))
    }
    .await);
    match LIST_NAME.or_invalid(saved, "name", "This event already has a list of that name.")? {
        Some(list_id) => Ok(list_id),
        None => Err(AppError::NotFound("This check-in list".into())),
    }
}

/// Removes a list without check-ins; a list that has any stays (they are the record of who came).
pub async fn remove_list(db: &Db, event_id: i64, list_id: i64) -> Result<(), AppError> {
    let removed = db_run!(db, |pool| sqlx::query(
        "delete from checkin_lists where id = $1 and event_id = $2
            and not exists (select 1 from checkins c where c.list_id = checkin_lists.id)"
    )
    .bind(list_id)
    .bind(event_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if removed == 1 {
        return Ok(());
    }
    scan_list(db, event_id, list_id).await?;
    Err(AppError::invalid("list", "People were checked in on this list, so it stays as the record of who came."))
}

/// One ticket of the event as a scan sees it.
pub async fn ticket_for_scan(db: &Db, event_id: i64, ticket_id: i64) -> Result<Option<BundleTicket>, AppError> {
    let row: Option<TicketForScan> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TICKET_FOR_SCAN} where t.id = $1 and t.event_id = $2"
    )))
    .bind(ticket_id)
    .bind(event_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(TicketForScan::into_bundle))
}

/// The live entry of a ticket on a single-entry list.
#[derive(FromRow)]
struct LiveEntry {
    id: i64,
    idempotency_key: String,
    scanned_at: i64,
    device: String,
}

/// A live entry's columns as a left join gives them (all null when there is none).
#[derive(FromRow)]
struct EntryColumns {
    entry_id: Option<i64>,
    entry_key: Option<String>,
    entry_scanned_at: Option<i64>,
    entry_device: Option<String>,
}

impl LiveEntry {
    fn from_columns(columns: EntryColumns) -> Option<LiveEntry> {
        match (columns.entry_id, columns.entry_key, columns.entry_scanned_at, columns.entry_device) {
            (Some(id), Some(idempotency_key), Some(scanned_at), Some(device)) => {
                Some(LiveEntry { id, idempotency_key, scanned_at, device })
            }
            _ => None,
        }
    }
}

#[derive(FromRow)]
struct TicketAtList {
    #[sqlx(flatten)]
    ticket: TicketForScan,
    #[sqlx(flatten)]
    entry: EntryColumns,
}

/// A live entry on a single-entry list, as the partial unique index `checkins_one_entry` states
/// it (alias `c`), written out rather than bound. SQLite uses a partial index only where it can
/// prove the index's condition from the statement's text; with a bound value it could do so only
/// by planning again for each value (compiling the statement at every execution, about 30 µs for
/// one table, far more for the door's six-table look-up), which the build turns off
/// (`SQLITE_ENABLE_QPSG`, see .cargo/config.toml). Written with the literal, the index applies
/// to the one plan made when the statement is prepared. `Direction::Entry` is `entry` (a test
/// checks).
pub(crate) const LIVE_ENTRY: &str = "c.single_entry and c.direction = 'entry' and c.undone_at is null";

/// A ticket of the event as a scan sees it, with its live entry when the scan is an entry on a
/// single-entry list and the ticket is inside already: one round trip for the door's question.
async fn ticket_at_list(
    db: &Db,
    event_id: i64,
    ticket_id: i64,
    list: &ScanList,
    direction: Direction,
) -> Result<Option<(BundleTicket, Option<LiveEntry>)>, AppError> {
    let single_entry = !list.row.multi_entry && direction == Direction::Entry;
    let row: Option<TicketAtList> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select t.id, t.attendee_name, t.organisation, t.ticket_type_id, tt.name as ticket_type, t.status,
                t.badge_issued_at, c.id as entry_id, c.idempotency_key as entry_key,
                c.scanned_at as entry_scanned_at, c.device as entry_device
           from tickets t join ticket_types tt on tt.id = t.ticket_type_id
           left join checkins c on $3 and c.list_id = $4 and c.ticket_id = t.id and {LIVE_ENTRY}
          where t.id = $1 and t.event_id = $2"
    )))
    .bind(ticket_id)
    .bind(event_id)
    .bind(single_entry)
    .bind(list.row.id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|row| (row.ticket.into_bundle(), LiveEntry::from_columns(row.entry))))
}

const TICKET_FOR_SCAN: &str = "select t.id, t.attendee_name, t.organisation, t.ticket_type_id, tt.name as ticket_type,
        t.status, t.badge_issued_at
   from tickets t join ticket_types tt on tt.id = t.ticket_type_id";

#[derive(FromRow)]
struct TicketForScan {
    id: i64,
    attendee_name: String,
    organisation: String,
    ticket_type_id: i64,
    ticket_type: String,
    status: String,
    badge_issued_at: Option<i64>,
}

impl TicketForScan {
    fn into_bundle(self) -> BundleTicket {
        BundleTicket {
            id: self.id,
            name: self.attendee_name,
            organisation: self.organisation,
            ticket_type_id: self.ticket_type_id,
            ticket_type: self.ticket_type,
            confirmed: self.status == "confirmed",
            badge_issued_at: self.badge_issued_at,
        }
    }
}

/// One scan as a device sends it.
#[derive(Clone, Debug)]
pub struct Scan {
    /// The scanned text, or `None` when door staff picked the ticket by name.
    pub code: Option<String>,
    pub ticket_id: Option<i64>,
    pub idempotency_key: String,
    pub direction: Direction,
    /// When the device scanned; offline scans arrive later.
    pub scanned_at: i64,
    pub offline: bool,
}

/// How far back an offline scan may be dated, and how far ahead a device clock may run.
const OLDEST_SCAN_SECONDS: i64 = 14 * 86_400;
const CLOCK_SKEW_SECONDS: i64 = 300;

impl Scan {
    pub fn parse(
        code: Option<String>,
        ticket_id: Option<i64>,
        idempotency_key: &str,
        direction: &str,
        scanned_at: Option<i64>,
        offline: bool,
    ) -> Result<Scan, AppError> {
        let code = code.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        match (&code, ticket_id) {
            (None, None) => return Err(AppError::invalid("code", "Send the scanned code (or a ticket id).")),
            (Some(_), Some(_)) => {
                return Err(AppError::invalid("code", "Send either a code or a ticket id, not both."))
            }
            (Some(code), None) if code.len() > 512 => {
                return Err(AppError::invalid("code", "The scanned text is too long to be a badge code."))
            }
            _ => {}
        }
        let key = idempotency_key.trim();
        if key.len() < 8
            || key.len() > 100
            || !key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        {
            return Err(AppError::invalid(
                "idempotency_key",
                "The idempotency key must be 8 to 100 letters, digits, '-', '_', '.' or ':'.",
            ));
        }
        let direction = Direction::parse(direction)
            .ok_or_else(|| AppError::invalid("direction", "The direction must be \"entry\" or \"exit\"."))?;
        let now = now();
        let mut scanned_at = scanned_at.unwrap_or(now);
        // An offline scan already happened: a device clock running fast must not lose it.
        if offline && scanned_at > now {
            scanned_at = now;
        }
        if scanned_at < now - OLDEST_SCAN_SECONDS || scanned_at > now + CLOCK_SKEW_SECONDS {
            return Err(AppError::invalid(
                "scanned_at",
                "The scan time is more than two weeks old or in the future; check the device's clock.",
            ));
        }
        Ok(Scan { code, ticket_id, idempotency_key: key.to_string(), direction, scanned_at, offline })
    }
}

/// Decides a scan on `list` and records the check-in when it is valid. `device` names the
/// scanner for "already checked in … by which device". `looked_up`: the ticket as the device's
/// station look-up found it, used only when it is the ticket the verified code names.
pub async fn redeem(
    state: &AppState,
    list: &ScanList,
    scan: &Scan,
    device: &str,
    looked_up: Option<TicketLookedUp>,
) -> Result<ScanOutcome, AppError> {
    let db = &state.db;
    let event_id = list.row.event_id;
    let (ticket_id, issued) = match (&scan.code, scan.ticket_id) {
        (Some(text), _) => {
            let read = match code::read(text) {
                Ok(read) => read,
                Err(problem) => return Ok(rules::code_refusal(problem, |_| None)),
            };
            let claimed = read.code.event_id;
            let key = state.badge_keys.existing(db, claimed).await?.map(|keys| keys.public);
            match code::verify(text, event_id, |id| if id == claimed { key } else { None }) {
                Ok(code) => (code.ticket_id, Some(code.issued_at)),
                Err(problem) => {
                    let title: Option<String> =
                        db_run!(db, |pool| sqlx::query_scalar("select title from events where id = $1")
                            .bind(claimed)
                            .fetch_optional(pool)
                            .await)?;
                    return Ok(rules::code_refusal(problem, |_| title.clone()));
                }
            }
        }
        (None, Some(id)) => (id, None),
        (None, None) => return Ok(ScanOutcome::refused(Verdict::Unknown, "Nothing was scanned.")),
    };
    let found = match looked_up {
        // The station's look-up joins the live entry of single-entry lists whatever the
        // direction; only an entry meets it.
        Some(looked_up) if looked_up.ticket_id == ticket_id => {
            looked_up.found.map(|(ticket, inside)| (ticket, inside.filter(|_| scan.direction == Direction::Entry)))
        }
        _ => ticket_at_list(db, event_id, ticket_id, list, scan.direction).await?,
    };
    let Some((ticket, inside)) = found else {
        return Ok(ScanOutcome::refused(Verdict::Unknown, "No such ticket for this event."));
    };
    // Already inside: answered here, without the writer; unless it is this very scan again (a
    // device retrying), which gets the first answer back.
    let inside = match inside {
        Some(entry) if entry.idempotency_key == scan.idempotency_key => {
            let mut outcome = rules::judge_ticket(
                &ticket,
                issued,
                list.row.multi_entry,
                list.admitted.as_deref(),
                scan.direction,
                None,
            );
            if outcome.verdict == Verdict::Valid {
                outcome.checkin_id = Some(entry.id);
            }
            return Ok(outcome);
        }
        Some(entry) => Some(EarlierCheckin { at: entry.scanned_at, list: list.row.name.clone(), device: entry.device }),
        None => None,
    };
    let judged =
        rules::judge_ticket(&ticket, issued, list.row.multi_entry, list.admitted.as_deref(), scan.direction, inside);
    if judged.verdict != Verdict::Valid {
        return Ok(judged);
    }
    let entry = Entry {
        list_id: list.row.id,
        ticket_id: ticket.id,
        direction: scan.direction,
        single_entry: !list.row.multi_entry,
        device: device.to_string(),
        idempotency_key: scan.idempotency_key.clone(),
        scanned_at: scan.scanned_at,
        offline: scan.offline,
    };
    // A lost race with an undo can leave neither a row nor a winner: decide again, once.
    for _ in 0..2 {
        match state.checkins.record(db, entry.clone()).await? {
            Recorded::New(id) | Recorded::Replayed(id) => {
                let mut outcome = judged.clone();
                outcome.checkin_id = Some(id);
                return Ok(outcome);
            }
            Recorded::KeyReused => {
                return Err(AppError::invalid(
                    "idempotency_key",
                    "This idempotency key was already used for another ticket; make a new key for every scan.",
                ))
            }
            Recorded::Duplicate(Some(earlier)) => {
                return Ok(rules::judge_ticket(
                    &ticket,
                    issued,
                    list.row.multi_entry,
                    list.admitted.as_deref(),
                    scan.direction,
                    Some(earlier),
                ))
            }
            Recorded::Duplicate(None) => continue,
        }
    }
    Err(crate::platform::error::internal("check-in", "entry conflicted twice without a winner"))
}

/// Takes back a check-in (a mistaken scan); the ticket may enter again.
pub async fn undo(db: &Db, event_id: i64, checkin_id: i64) -> Result<(), AppError> {
    let changed = db_run!(db, |pool| sqlx::query(
        "update checkins set undone_at = $1
          where id = $2 and undone_at is null
            and list_id in (select id from checkin_lists where event_id = $3)"
    )
    .bind(now())
    .bind(checkin_id)
    .bind(event_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if changed == 0 {
        return Err(AppError::NotFound("This check-in (or it was undone already)".into()));
    }
    Ok(())
}

/// How far before a device's version a delta reaches back. A change is stamped when it is
/// written but seen only once committed, and the database's and this server's clocks may differ
/// a little; the overlap makes sure no change falls between two versions. Sending a ticket twice
/// does no harm: the device replaces what it has.
const DELTA_OVERLAP_SECONDS: i64 = 60;
/// How long after the event's end a device may keep the list.
const KEEP_AFTER_EVENT_SECONDS: i64 = 6 * 3600;

/// Everything a scanner needs to keep going without the network, or (`since` = the version of
/// the device's copy) only what changed since. Cancelled and refunded tickets come without name
/// or organisation: a scanner needs to know they may not enter, not who they are.
pub async fn offline_bundle(state: &AppState, list: &ScanList, since: Option<i64>) -> Result<OfflineBundle, AppError> {
    let db = &state.db;
    let event_id = list.row.event_id;
    let made_at = now();
    // Make sure this event's key exists before listing keys.
    state.badge_keys.for_event(db, event_id).await?;
    let keys: Vec<(i64, String, String)> = db_run!(db, |pool| sqlx::query_as(
        "select k.event_id, e.title, k.public_key from event_badge_keys k join events e on e.id = k.event_id
          order by k.event_id"
    )
    .fetch_all(pool)
    .await)?;
    let ends_at: i64 = db_run!(db, |pool| sqlx::query_scalar("select ends_at from events where id = $1")
        .bind(event_id)
        .fetch_one(pool)
        .await)?;
    // A version from the future (a device clock, a forged request) is no version: all is sent.
    let changed_from = since.filter(|v| *v <= made_at).map(|v| v - DELTA_OVERLAP_SECONDS);
    let tickets: Vec<TicketForScan> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TICKET_FOR_SCAN} where t.event_id = $1 and t.status in ($2, $3, $4) and t.changed_at >= $5 order by t.id"
    )))
    .bind(event_id)
    .bind(TicketStatus::Confirmed)
    .bind(TicketStatus::Cancelled)
    .bind(TicketStatus::Refunded)
    .bind(changed_from.unwrap_or(i64::MIN))
    .fetch_all(pool)
    .await)?;
    // Tickets with a live entry on the list; on a delta, of those whose entries changed since.
    let (checked_in, not_checked_in) = match changed_from {
        None => {
            let inside: Vec<i64> = db_run!(db, |pool| {
                sqlx::query_scalar(
                "select distinct ticket_id from checkins where list_id = $1 and direction = $2 and undone_at is null
                  order by ticket_id"
            )
            .bind(list.row.id)
            .bind(Direction::Entry)
            .fetch_all(pool)
            .await
            })?;
            (inside, Vec::new())
        }
        Some(from) => {
            let touched: Vec<(i64, bool)> = db_run!(db, |pool| sqlx::query_as(
                "select ticket_id,
                        max(case when direction = $2 and undone_at is null then 1 else 0 end) = 1
                   from checkins
                  where list_id = $1
                    and ticket_id in (select ticket_id from checkins
                                       where list_id = $1 and (recorded_at >= $3 or undone_at >= $3))
                  group by ticket_id
                  order by ticket_id"
            )
            .bind(list.row.id)
            .bind(Direction::Entry)
            .bind(from)
            .fetch_all(pool)
            .await)?;
            let (inside, outside): (Vec<_>, Vec<_>) = touched.into_iter().partition(|(_, inside)| *inside);
            (inside.into_iter().map(|(id, _)| id).collect(), outside.into_iter().map(|(id, _)| id).collect())
        }
    };
    Ok(OfflineBundle {
        event_id,
        list_id: list.row.id,
        list_name: list.row.name.clone(),
        multi_entry: list.row.multi_entry,
        admitted_ticket_types: list.admitted.clone(),
        keys: keys.into_iter().map(|(event_id, title, public_key)| EventKey { event_id, title, public_key }).collect(),
        tickets: tickets.into_iter().map(|t| t.into_bundle().for_device()).collect(),
        checked_in,
        made_at,
        changes_since: changed_from.and(since),
        not_checked_in,
        keep_until: ends_at + KEEP_AFTER_EVENT_SECONDS,
    })
}

/// Checked in, inside now and expected per list.
#[derive(Clone, Debug, FromRow)]
pub struct ListCount {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub multi_entry: bool,
    pub checked_in: i64,
    /// Tickets whose latest scan here is an entry (on a single-entry list: everyone checked in).
    pub inside: i64,
    pub expected: i64,
}

pub async fn counts(db: &Db, event_id: i64) -> Result<Vec<ListCount>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select l.id, l.name, l.kind, l.multi_entry,
                (select count(distinct c.ticket_id) from checkins c
                  where c.list_id = l.id and c.direction = $2 and c.undone_at is null) as checked_in,
                (select count(*) from checkins c
                  where c.list_id = l.id and c.direction = $2 and c.undone_at is null
                    and not exists (select 1 from checkins later
                                     where later.list_id = c.list_id and later.ticket_id = c.ticket_id
                                       and later.undone_at is null
                                       and (later.scanned_at > c.scanned_at
                                            or (later.scanned_at = c.scanned_at and later.id > c.id)))) as inside,
                (select count(*) from tickets t
                  where t.event_id = l.event_id and t.status = $3
                    and (l.all_ticket_types or t.ticket_type_id in
                         (select x.ticket_type_id from checkin_list_ticket_types x where x.list_id = l.id))) as expected
           from checkin_lists l where l.event_id = $1 order by l.id"
    )
    .bind(event_id)
    .bind(Direction::Entry)
    .bind(TicketStatus::Confirmed)
    .fetch_all(pool)
    .await)?)
}

/// Arrivals per ten minutes: each ticket's first entry through any of the event's entrance
/// lists, so re-entries and second doors are not counted twice. (slot start, count).
pub async fn arrivals(db: &Db, event_id: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select (f.arrived / 600) * 600 as slot, count(*) as arrivals
           from (select c.ticket_id, min(c.scanned_at) as arrived
                   from checkins c join checkin_lists l on l.id = c.list_id
                  where l.event_id = $1 and l.kind = $2 and c.direction = $3 and c.undone_at is null
                  group by c.ticket_id) f
          group by slot order by slot"
    )
    .bind(event_id)
    .bind(ListKind::Entrance)
    .bind(Direction::Entry)
    .fetch_all(pool)
    .await)?)
}

#[derive(Clone, Debug, FromRow)]
pub struct Device {
    pub id: i64,
    pub event_id: i64,
    pub label: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Registers a scanning device and returns its token, which is shown once and stored hashed.
pub async fn create_device(db: &Db, event_id: i64, label: &str, created_by: i64) -> Result<String, AppError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 60 {
        return Err(AppError::invalid("label", "Name the device in 1 to 60 characters, e.g. \"Door A handheld\"."));
    }
    let token = format!("exd_{}", random_token());
    db_run!(db, |pool| sqlx::query(
        "insert into scanner_devices (event_id, label, token_hash, created_by, created_at) values ($1, $2, $3, $4, $5)"
    )
    .bind(event_id)
    .bind(label)
    .bind(token_hash(&token))
    .bind(created_by)
    .bind(now())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(token)
}

pub async fn devices(db: &Db, event_id: i64) -> Result<Vec<Device>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select id, event_id, label, created_at, revoked_at from scanner_devices where event_id = $1 order by id"
    )
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

pub async fn revoke_device(db: &Db, event_id: i64, device_id: i64) -> Result<(), AppError> {
    let changed = db_run!(db, |pool| sqlx::query(
        "update scanner_devices set revoked_at = $1 where id = $2 and event_id = $3 and revoked_at is null"
    )
    .bind(now())
    .bind(device_id)
    .bind(event_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if changed == 0 {
        return Err(AppError::NotFound("This device".into()));
    }
    Ok(())
}

/// A device's scan on one of its event's lists, in one round trip: the live device the bearer
/// token belongs to, its event named by `slug`, the list, and the ticket the scan names
/// (`ticket_id`, read from the code before its signature is checked) with its live entry on a
/// single-entry list. The door's hot path is then one read before the check-in's write. `None`
/// when the device, event or list does not hold; the caller then finds out which, for the answer
/// (the rare path may take longer).
pub async fn device_station(
    db: &Db,
    token: &str,
    slug: &str,
    list_id: i64,
    ticket_id: Option<i64>,
) -> Result<Option<Station>, AppError> {
    let row: Option<DeviceStation> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select d.id as device_id, d.label, d.created_at, {LIST_COLUMNS},
                t.id as ticket_id, t.attendee_name, t.organisation, t.ticket_type_id, tt.name as ticket_type,
                t.status, t.badge_issued_at, c.id as entry_id, c.idempotency_key as entry_key,
                c.scanned_at as entry_scanned_at, c.device as entry_device
           from scanner_devices d
           join events e on e.id = d.event_id
           join checkin_lists l on l.event_id = e.id
           left join tickets t on t.id = $4 and t.event_id = e.id
           left join ticket_types tt on tt.id = t.ticket_type_id
           left join checkins c on not l.multi_entry and c.list_id = l.id and c.ticket_id = t.id and {LIVE_ENTRY}
          where d.token_hash = $1 and d.revoked_at is null and e.slug = $2 and l.id = $3"
    )))
    .bind(token_hash(token))
    .bind(slug)
    .bind(list_id)
    .bind(ticket_id)
    .fetch_optional(pool)
    .await)?;
    let Some(row) = row else { return Ok(None) };
    let device = Device {
        id: row.device_id,
        event_id: row.list.event_id,
        label: row.label,
        created_at: row.created_at,
        revoked_at: None,
    };
    let admitted = admitted(db, &row.list).await?;
    let ticket =
        match (row.ticket_id, row.attendee_name, row.organisation, row.ticket_type_id, row.ticket_type, row.status) {
            (
                Some(id),
                Some(attendee_name),
                Some(organisation),
                Some(ticket_type_id),
                Some(ticket_type),
                Some(status),
            ) => {
                let ticket = TicketForScan {
                    id,
                    attendee_name,
                    organisation,
                    ticket_type_id,
                    ticket_type,
                    status,
                    badge_issued_at: row.badge_issued_at,
                };
                Some((ticket.into_bundle(), LiveEntry::from_columns(row.entry)))
            }
            _ => None,
        };
    Ok(Some(Station {
        device,
        list: ScanList { row: row.list, admitted },
        ticket: ticket_id.map(|ticket_id| TicketLookedUp { ticket_id, found: ticket }),
    }))
}

/// A registered device at its list, and the ticket its scan names as already looked up.
pub struct Station {
    pub device: Device,
    pub list: ScanList,
    pub ticket: Option<TicketLookedUp>,
}

/// A ticket looked up by id before the scan was judged, and what was found.
pub struct TicketLookedUp {
    ticket_id: i64,
    found: Option<(BundleTicket, Option<LiveEntry>)>,
}

#[derive(FromRow)]
struct DeviceStation {
    device_id: i64,
    label: String,
    created_at: i64,
    #[sqlx(flatten)]
    list: ListRow,
    ticket_id: Option<i64>,
    attendee_name: Option<String>,
    organisation: Option<String>,
    ticket_type_id: Option<i64>,
    ticket_type: Option<String>,
    status: Option<String>,
    badge_issued_at: Option<i64>,
    #[sqlx(flatten)]
    entry: EntryColumns,
}

/// The live device a bearer token belongs to.
pub async fn device_for_token(db: &Db, token: &str) -> Result<Option<Device>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select id, event_id, label, created_at, revoked_at from scanner_devices
          where token_hash = $1 and revoked_at is null"
    )
    .bind(token_hash(token))
    .fetch_optional(pool)
    .await)?)
}

#[cfg(test)]
mod tests {
    use super::LIVE_ENTRY;
    use crate::checkin::rules::Direction;

    #[test]
    fn the_live_entry_condition_is_the_one_entry_index_s() {
        assert_eq!(Direction::Entry.as_str(), "entry");
        for migration in [
            include_str!("../../../migrations/sqlite/0004_checkin.sql"),
            include_str!("../../../migrations/postgres/0004_checkin.sql"),
        ] {
            let index = migration.split("create unique index checkins_one_entry").nth(1).expect("the index");
            let condition = index.split(';').next().unwrap().split(" where ").nth(1).expect("its condition");
            assert_eq!(LIVE_ENTRY.replace("c.", ""), condition.trim());
        }
    }
}

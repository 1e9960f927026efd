//! Queries of registration and tickets (server only). The invariants live here and in the
//! schema: a seat is taken by `seats_taken = seats_taken + 1 … where seats_taken < capacity` and a
//! voucher use by the same pattern, both inside the transaction that inserts the ticket, and the
//! partial unique index `tickets_one_per_person` refuses a second live ticket. Whatever fails,
//! the transaction is dropped and nothing of the registration remains.

use sqlx::FromRow;

use super::rules::{
    self, AttendeeProfile, Eligibility, TicketStatus, TicketTypeFacts, Visibility, VoucherEffect, VoucherFacts,
};
use crate::error::AppError;
use crate::platform::db::Constraint;
use crate::platform::db::Tx;
use crate::platform::db::{postgres_batch, sqlite_batch};
use crate::platform::error::internal;
use crate::platform::mail::{enqueue_in, OutgoingMail, OUTBOX_INSERT, OUTBOX_PARAMETERS};
use crate::platform::{now, Db};
use crate::{db_run, tx_run};

/// One live (held or confirmed) ticket per person per event: a partial unique index.
pub const ONE_LIVE_TICKET_PER_PERSON: Constraint =
    Constraint { postgres: "tickets_one_per_person", sqlite: "tickets.event_id, tickets.user_id" };
/// One ticket type of a name per event.
const TICKET_TYPE_NAME: Constraint =
    Constraint { postgres: "ticket_types_event_name_key", sqlite: "ticket_types.event_id, ticket_types.name" };
/// Never more seats taken than the capacity, nor fewer than none.
const SEATS_WITHIN_CAPACITY: Constraint =
    Constraint { postgres: "ticket_types_seats_check", sqlite: "ticket_types_seats_check" };
/// One voucher of a code per event.
const VOUCHER_CODE: Constraint =
    Constraint { postgres: "vouchers_event_code_key", sqlite: "vouchers.event_id, vouchers.code" };

#[derive(Clone, Debug, FromRow)]
pub struct TicketTypeRow {
    pub id: i64,
    pub event_id: i64,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub capacity: i64,
    pub seats_taken: i64,
    pub sales_start: i64,
    pub sales_end: i64,
    pub visibility: String,
    pub eligibility: String,
    pub position: i64,
}

impl TicketTypeRow {
    pub fn visibility(&self) -> Visibility {
        Visibility::parse(&self.visibility).unwrap_or(Visibility::Hidden)
    }

    pub fn eligibility(&self) -> Eligibility {
        Eligibility::parse(&self.eligibility).unwrap_or(Eligibility::Invited)
    }

    pub fn facts(&self) -> TicketTypeFacts {
        TicketTypeFacts {
            id: self.id,
            price_cents: self.price_cents,
            capacity: self.capacity,
            seats_taken: self.seats_taken,
            sales_start: self.sales_start,
            sales_end: self.sales_end,
            visibility: self.visibility(),
            eligibility: self.eligibility(),
        }
    }
}

/// A registration ends its draft (a batch statement of `register`, with 2 parameters).
const DROP_DRAFT: &str = "delete from registration_drafts where user_id = $1 and event_id = $2";

const TICKET_TYPE_COLUMNS: &str = "id, event_id, name, description, price_cents, currency, capacity, seats_taken,
     sales_start, sales_end, visibility, eligibility, position";

pub async fn ticket_types(db: &Db, event_id: i64) -> Result<Vec<TicketTypeRow>, AppError> {
    let sql = format!("select {TICKET_TYPE_COLUMNS} from ticket_types where event_id = $1 order by position, id");
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(event_id).fetch_all(pool).await)?)
}

#[derive(Clone, Debug, FromRow)]
pub struct VoucherRow {
    pub id: i64,
    pub event_id: i64,
    pub code: String,
    pub effect: String,
    pub ticket_type_id: Option<i64>,
    pub percent_off: i64,
    pub max_uses: i64,
    pub times_used: i64,
    pub valid_from: i64,
    pub valid_until: i64,
    pub note: String,
}

impl VoucherRow {
    pub fn facts(&self) -> VoucherFacts {
        VoucherFacts {
            effect: VoucherEffect::parse(&self.effect).unwrap_or(VoucherEffect::Discount),
            ticket_type_id: self.ticket_type_id,
            percent_off: self.percent_off,
            max_uses: self.max_uses,
            times_used: self.times_used,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
        }
    }
}

const VOUCHER_COLUMNS: &str =
    "id, event_id, code, effect, ticket_type_id, percent_off, max_uses, times_used, valid_from, valid_until, note";

pub async fn voucher(db: &Db, event_id: i64, code: &str) -> Result<Option<VoucherRow>, AppError> {
    let sql = format!("select {VOUCHER_COLUMNS} from vouchers where event_id = $1 and code = $2");
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(event_id)
        .bind(rules::normalise_code(code))
        .fetch_optional(pool)
        .await)?)
}

pub async fn vouchers(db: &Db, event_id: i64) -> Result<Vec<VoucherRow>, AppError> {
    let sql = format!("select {VOUCHER_COLUMNS} from vouchers where event_id = $1 order by code");
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(event_id).fetch_all(pool).await)?)
}

/// What a person filled in before reviewing.
#[derive(Clone, Debug)]
pub struct Draft {
    pub ticket_type_id: i64,
    pub voucher_code: Option<String>,
    pub profile: AttendeeProfile,
}

/// A live ticket (pending or confirmed), as the partial unique index `tickets_one_per_person`
/// states it, written out rather than bound: only then can SQLite's one plan per statement use
/// that index (see `checkin::store::LIVE_ENTRY`). The codes are `TicketStatus`'s (a test checks).
const LIVE_TICKET: &str = "status in ('pending', 'confirmed')";

/// Keeps the form as the person's draft for the event; refused (`already_registered`) when they
/// hold a live ticket for it, checked by the same statement.
pub async fn save_draft(db: &Db, user_id: i64, event_id: i64, draft: &Draft) -> Result<(), AppError> {
    let profile = serde_json::to_string(&draft.profile).map_err(|e| internal("draft", e))?;
    // One statement, at the write gate: in a registration rush, drafts are written as often as
    // tickets (see `Db::write_turn`). A draft is not a registration: it may be lost in a power
    // cut, so it skips the fsync (`Db::scratch`). The `where` also gives SQLite's parser the
    // clause it needs to read an upsert on `insert … select`.
    let db = &db.scratch();
    let _turn = db.write_turn().await;
    let saved = db_run!(db, |pool| sqlx::query(sqlx::AssertSqlSafe(format!(
        "insert into registration_drafts (user_id, event_id, ticket_type_id, voucher_code, profile, updated_at)
         select $1, $2, $3, $4, $5, $6
          where not exists (select 1 from tickets where user_id = $1 and event_id = $2 and {LIVE_TICKET})
         on conflict (user_id, event_id) do update set ticket_type_id = excluded.ticket_type_id,
            voucher_code = excluded.voucher_code, profile = excluded.profile, updated_at = excluded.updated_at"
    )))
    .bind(user_id)
    .bind(event_id)
    .bind(draft.ticket_type_id)
    .bind(&draft.voucher_code)
    .bind(&profile)
    .bind(now())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if saved == 0 {
        return Err(rules::already_registered());
    }
    Ok(())
}

pub async fn draft(db: &Db, user_id: i64, event_id: i64) -> Result<Option<Draft>, AppError> {
    let row: Option<(i64, Option<String>, String)> = db_run!(db, |pool| {
        sqlx::query_as(
        "select ticket_type_id, voucher_code, profile from registration_drafts where user_id = $1 and event_id = $2"
    )
    .bind(user_id)
    .bind(event_id)
    .fetch_optional(pool)
    .await
    })?;
    row.map(|(ticket_type_id, voucher_code, profile)| {
        let profile = serde_json::from_str(&profile).map_err(|e| internal("draft profile", e))?;
        Ok(Draft { ticket_type_id, voucher_code, profile })
    })
    .transpose()
}

/// The person's draft for the event with its ticket type as it is now, in one read (the review
/// and the confirmation need both); `None` without a draft, or when its type is gone.
pub async fn draft_and_type(db: &Db, user_id: i64, event_id: i64) -> Result<Option<(Draft, TicketTypeRow)>, AppError> {
    #[derive(FromRow)]
    struct Joined {
        draft_voucher_code: Option<String>,
        draft_profile: String,
        #[sqlx(flatten)]
        ticket_type: TicketTypeRow,
    }
    // The draft's columns are renamed in a derived table, so that the type's own columns (its
    // `event_id`, say) stay unambiguous.
    let sql = format!(
        "select {TICKET_TYPE_COLUMNS}, draft_voucher_code, draft_profile
           from ticket_types
           join (select ticket_type_id as draft_type, voucher_code as draft_voucher_code, profile as draft_profile
                   from registration_drafts where user_id = $1 and event_id = $2) d on d.draft_type = ticket_types.id"
    );
    let row: Option<Joined> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(user_id)
        .bind(event_id)
        .fetch_optional(pool)
        .await)?;
    row.map(|row| {
        let profile = serde_json::from_str(&row.draft_profile).map_err(|e| internal("draft profile", e))?;
        let draft = Draft { ticket_type_id: row.ticket_type.id, voucher_code: row.draft_voucher_code, profile };
        Ok((draft, row.ticket_type))
    })
    .transpose()
}

/// The most recent profile someone registered with, to fill the next registration form.
pub async fn last_profile(db: &Db, user_id: i64) -> Result<Option<AttendeeProfile>, AppError> {
    let row: Option<TicketRow> = db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TICKET_SELECT} where t.user_id = $1 order by t.id desc limit 1"
    )))
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|r| r.profile()))
}

/// Who is registering, for what.
pub struct Registration<'a> {
    pub event: &'a crate::events::store::Event,
    pub user_id: i64,
    pub email: &'a str,
    pub verified_member: bool,
    pub draft: &'a Draft,
    /// The draft's ticket type, as read with it (`draft_and_type`).
    pub ticket_type: &'a TicketTypeRow,
    /// The total (cents) the person saw on the review step and agreed to.
    pub reviewed_total: i64,
    /// The confirmation mail, for a ticket that is confirmed at once (free).
    pub confirmation: &'a (dyn Fn(&TicketRow) -> OutgoingMail + Send + Sync),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registered {
    pub ticket_id: i64,
    pub price_cents: i64,
    pub currency: String,
    pub status: TicketStatus,
}

/// Takes a seat (and a voucher use) and creates the ticket, all or nothing. A free ticket is
/// confirmed at once and its confirmation queued in the same transaction; a paid one is held
/// (`pending`) until the payment is confirmed.
///
/// The ticket type (read with the draft) and the code are read before the transaction, and the
/// price decided from them; the seat update at its end returns the type (and the code's update the code) as they
/// are at that moment, under the row's lock, and the price is decided again from those. So a
/// change in between (a closed sale, a new price, the last seat) rolls the registration back,
/// while the transaction holds only the writes: on SQLite it holds the one write lock of the
/// database from `BEGIN IMMEDIATE` to `COMMIT`, and each statement in it is a round trip to
/// the connection's thread that every other writer waits for.
pub async fn register(db: &Db, r: Registration<'_>) -> Result<Registered, AppError> {
    let at = now();
    let event = r.event;
    let profile = &r.draft.profile;
    let ticket_type = r.ticket_type;
    let voucher = match &r.draft.voucher_code {
        Some(code) => Some(
            voucher(db, event.id, code)
                .await?
                .ok_or_else(|| AppError::invalid("voucher", "This code is not known for this event."))?,
        ),
        None => None,
    };
    let priced = |ticket_type: &TicketTypeRow, voucher: Option<&VoucherRow>| -> Result<i64, AppError> {
        let price = rules::admit(&ticket_type.facts(), voucher.map(|v| v.facts()).as_ref(), r.verified_member, at)?;
        if price != r.reviewed_total {
            return Err(AppError::invalid(
                "price",
                format!(
                    "The price changed since you checked it: it is {} now. Nothing was booked; check the new price and confirm again.",
                    rules::format_money(price, &ticket_type.currency)
                ),
            ));
        }
        Ok(price)
    };
    let price = priced(ticket_type, voucher.as_ref())?;
    let status = if price == 0 { TicketStatus::Confirmed } else { TicketStatus::Pending };
    let confirmed_at = (status == TicketStatus::Confirmed).then_some(at);

    let mut tx = db.begin_write().await?;
    let (ticket_id, cluster_code, cluster_name) = tx_run!(&mut tx, |conn| {
        let inserted: Result<(i64, Option<String>, Option<String>), sqlx::Error> = sqlx::query_as(
            "insert into tickets (event_id, ticket_type_id, user_id, voucher_id, status, price_cents, currency,
                                  attendee_name, email, organisation, organisation_type, cluster_id, country, job_role,
                                  themes, offers, seeks, directory_consent, terms_accepted_at, created_at, confirmed_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                     (select id from clusters where code = $12), $13, $14, $15, $16, $17, $18, $19, $19, $20)
             returning id, (select code from clusters c where c.id = tickets.cluster_id),
                       (select name from clusters c where c.id = tickets.cluster_id)",
        )
        .bind(event.id)
        .bind(ticket_type.id)
        .bind(r.user_id)
        .bind(voucher.as_ref().map(|v| v.id))
        .bind(status)
        .bind(price)
        .bind(&ticket_type.currency)
        .bind(&profile.attendee_name)
        .bind(r.email)
        .bind(&profile.organisation)
        .bind(profile.organisation_type.code())
        .bind(&profile.cluster)
        .bind(&profile.country)
        .bind(&profile.job_role)
        .bind(profile.theme_codes())
        .bind(&profile.offers)
        .bind(&profile.seeks)
        .bind(profile.directory_consent)
        .bind(at)
        .bind(confirmed_at)
        .fetch_one(&mut *conn)
        .await;
        ONE_LIVE_TICKET_PER_PERSON.or_else(inserted, rules::already_registered)
    })?;
    // The confirmation mail, made from the row as `ticket` would read it back: one round trip
    // less inside the transaction.
    let mail = (status == TicketStatus::Confirmed).then(|| {
        let row = TicketRow {
            id: ticket_id,
            event_id: event.id,
            event_slug: event.slug.clone(),
            event_title: event.title.clone(),
            event_starts_at: event.window.starts_at,
            ticket_type_id: ticket_type.id,
            ticket_type: ticket_type.name.clone(),
            user_id: r.user_id,
            status: status.code().to_string(),
            price_cents: price,
            currency: ticket_type.currency.clone(),
            attendee_name: profile.attendee_name.clone(),
            email: r.email.to_string(),
            organisation: profile.organisation.clone(),
            organisation_type: profile.organisation_type.code().to_string(),
            cluster_code,
            cluster_name,
            country: profile.country.clone(),
            job_role: profile.job_role.clone(),
            themes: profile.theme_codes(),
            offers: profile.offers.clone(),
            seeks: profile.seeks.clone(),
            directory_consent: profile.directory_consent,
            checkout_url: None,
            checkout_session_id: None,
            payment_intent_id: None,
            hold_expires_at: None,
            created_at: at,
            confirmed_at,
            cancelled_at: None,
            refund_requested_at: None,
            refund_failed_at: None,
            refund_failure: None,
            voucher_code: voucher.as_ref().map(|v| v.code.clone()),
        };
        (r.confirmation)(&row)
    });
    // The seat (and the code's use) is taken last, just before the commit: on PostgreSQL every
    // registration for a ticket type updates its one row, and its lock is held from that update
    // to the commit, so the shorter that stretch, the less the rush queues on it. Sold out, or a
    // price that is not the one decided above, rolls back the ticket and mail written above.
    let take_seat = format!(
        "update ticket_types set seats_taken = seats_taken + 1 where id = $1 and seats_taken < capacity
         returning {TICKET_TYPE_COLUMNS}"
    );
    // The draft's removal, the seat and the mail go to the database as one batch: one round trip
    // where there were three. On SQLite, one call to the connection's thread while this
    // process's other writers wait at the gate; on PostgreSQL, one statement, the seat's update
    // with the other two as its `with` clauses, so the type's row stays locked only for that
    // statement and the commit.
    let mut statements = vec![(take_seat.as_str(), 1), (DROP_DRAFT, 2)];
    if mail.is_some() {
        statements.push((OUTBOX_INSERT, OUTBOX_PARAMETERS));
    }
    let batch = match &tx {
        Tx::Sqlite(_) => sqlite_batch(&statements),
        Tx::Postgres(_) => postgres_batch(&statements, 0),
    };
    let seated: Option<TicketTypeRow> = tx_run!(&mut tx, |conn| {
        let batch =
            sqlx::query_as(sqlx::AssertSqlSafe(batch.clone())).bind(ticket_type.id).bind(r.user_id).bind(event.id);
        let batch = match &mail {
            Some(mail) => crate::bind_outgoing_mail!(batch, mail),
            None => batch,
        };
        batch.fetch_all(&mut *conn).await.map(|rows| rows.into_iter().next())
    })?;
    let mut now_type = seated.ok_or_else(rules::sold_out)?;
    // As it was before this registration's seat.
    now_type.seats_taken -= 1;
    tx_run!(&mut tx, |conn| {
        let now_voucher = match &voucher {
            Some(voucher) => {
                let used: Option<VoucherRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "update vouchers set times_used = times_used + 1 where id = $1 and times_used < max_uses
                     returning {VOUCHER_COLUMNS}"
                )))
                .bind(voucher.id)
                .fetch_optional(&mut *conn)
                .await?;
                let mut used = used.ok_or_else(|| AppError::invalid("voucher", "This code has been used up."))?;
                used.times_used -= 1;
                Some(used)
            }
            None => None,
        };
        // Decided again on the type and code as they are now: the same price, or nothing.
        priced(&now_type, now_voucher.as_ref()).map(|_| ())
    })?;
    tx.commit().await?;
    Ok(Registered { ticket_id, price_cents: price, currency: ticket_type.currency.clone(), status })
}

/// Records the open Checkout Session of a held ticket.
pub async fn attach_checkout(
    db: &Db,
    ticket_id: i64,
    session_id: &str,
    url: &str,
    expires_at: i64,
) -> Result<(), AppError> {
    db_run!(db, |pool| sqlx::query(
        "update tickets set checkout_session_id = $1, checkout_url = $2, hold_expires_at = $3
          where id = $4 and status = $5"
    )
    .bind(session_id)
    .bind(url)
    .bind(expires_at)
    .bind(ticket_id)
    .bind(TicketStatus::Pending)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Ends a live ticket (held or confirmed) and gives its seat and voucher use back, inside the
/// caller's transaction. Returns false when the ticket was not in one of `from` any more, so a
/// repeated or late request changes nothing.
pub async fn release(
    tx: &mut Tx,
    ticket_id: i64,
    from: &[TicketStatus],
    to: TicketStatus,
    at: i64,
) -> Result<bool, sqlx::Error> {
    // One placeholder per status the ticket may be leaving ($4, $5, …).
    let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "update tickets set status = $1, cancelled_at = $2 where id = $3 and status in ({})
         returning ticket_type_id, voucher_id, user_id, event_id",
        placeholders.join(", ")
    );
    let holder = tx_run!(tx, |conn| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(to).bind(at).bind(ticket_id);
        for status in from {
            query = query.bind(*status);
        }
        let released: Option<(i64, Option<i64>, i64, i64)> = query.fetch_optional(&mut *conn).await?;
        match released {
            None => Ok::<Option<(i64, i64)>, sqlx::Error>(None),
            Some((ticket_type_id, voucher_id, user_id, event_id)) => {
                sqlx::query("update ticket_types set seats_taken = seats_taken - 1 where id = $1")
                    .bind(ticket_type_id)
                    .execute(&mut *conn)
                    .await?;
                if let Some(voucher_id) = voucher_id {
                    sqlx::query("update vouchers set times_used = times_used - 1 where id = $1 and times_used > 0")
                        .bind(voucher_id)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(Some((user_id, event_id)))
            }
        }
    })?;
    let Some((user_id, event_id)) = holder else { return Ok(false) };
    // The seats of limited sessions the holder took go back too.
    crate::agenda::store::free_seats_of(tx, user_id, event_id).await?;
    Ok(true)
}

/// How long after its Checkout Session expired a held seat is taken back without Stripe's word:
/// the `checkout.session.expired` notification normally does it; this is the backstop for one
/// that never comes. The grace leaves a payment made at the last second time to arrive.
pub const HOLD_GRACE_SECONDS: i64 = 5 * 60;

/// Releases the held seats whose checkout ended more than the grace ago (of one event, or of
/// all): run on reading an event's offers and every minute by the sweeper. Returns how many.
pub async fn release_expired_holds(db: &Db, event_id: Option<i64>) -> Result<u64, AppError> {
    let at = now();
    // One event's through the (event_id, status) index: an `or` over both cases would have
    // SQLite read every ticket of every event on each registration form post.
    let scope = if event_id.is_some() { "event_id = $3" } else { "$3 is null" };
    let expired: Vec<i64> = db_run!(db, |pool| sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select id from tickets
          where {scope} and status = $1 and hold_expires_at is not null and hold_expires_at < $2"
    )))
    .bind(TicketStatus::Pending)
    .bind(at - HOLD_GRACE_SECONDS)
    .bind(event_id)
    .fetch_all(pool)
    .await)?;
    let mut released = 0;
    for ticket_id in expired {
        let mut tx = db.begin_write().await?;
        if release(&mut tx, ticket_id, &[TicketStatus::Pending], TicketStatus::Expired, at).await? {
            released += 1;
        }
        tx.commit().await?;
    }
    if released > 0 {
        tracing::info!(released, "released held seats whose checkout ended");
    }
    Ok(released)
}

/// Runs `release_expired_holds` every minute for the life of the process.
pub fn spawn_hold_sweeper(db: Db) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(error) = release_expired_holds(&db, None).await {
                tracing::warn!(?error, "the hold sweeper failed; it tries again in a minute");
            }
        }
    });
}

/// Gives a held seat back when its checkout could not even be started.
pub async fn abandon_hold(db: &Db, ticket_id: i64) -> Result<(), AppError> {
    let at = now();
    let mut tx = db.begin_write().await?;
    release(&mut tx, ticket_id, &[TicketStatus::Pending], TicketStatus::Expired, at).await?;
    tx.commit().await?;
    Ok(())
}

/// Cancels a ticket that is in one of `from` (the holder: a confirmed free ticket; organisers:
/// any ticket nobody paid for); the cancellation mail is queued with it. False when the ticket
/// was not in one of them any more.
pub async fn cancel(db: &Db, ticket_id: i64, from: &[TicketStatus], mail: &OutgoingMail) -> Result<bool, AppError> {
    let at = now();
    let mut tx = db.begin_write().await?;
    let done = release(&mut tx, ticket_id, from, TicketStatus::Cancelled, at).await?;
    if done {
        enqueue_in(&mut tx, mail).await?;
    }
    tx.commit().await?;
    Ok(done)
}

pub async fn mark_refund_requested(db: &Db, ticket_id: i64) -> Result<(), AppError> {
    db_run!(db, |pool| sqlx::query(
        "update tickets set refund_requested_at = $1, refund_failed_at = null, refund_failure = null where id = $2"
    )
    .bind(now())
    .bind(ticket_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct TicketRow {
    pub id: i64,
    pub event_id: i64,
    pub event_slug: String,
    pub event_title: String,
    pub event_starts_at: i64,
    pub ticket_type_id: i64,
    pub ticket_type: String,
    pub user_id: i64,
    pub status: String,
    pub price_cents: i64,
    pub currency: String,
    pub attendee_name: String,
    pub email: String,
    pub organisation: String,
    pub organisation_type: String,
    pub cluster_code: Option<String>,
    pub cluster_name: Option<String>,
    pub country: String,
    pub job_role: String,
    pub themes: String,
    pub offers: String,
    pub seeks: String,
    pub directory_consent: bool,
    pub checkout_url: Option<String>,
    pub checkout_session_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub hold_expires_at: Option<i64>,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub refund_requested_at: Option<i64>,
    /// The last refund attempt failed at the payment provider: when, and why.
    pub refund_failed_at: Option<i64>,
    pub refund_failure: Option<String>,
    pub voucher_code: Option<String>,
}

impl TicketRow {
    pub fn status(&self) -> TicketStatus {
        TicketStatus::parse(&self.status).unwrap_or(TicketStatus::Cancelled)
    }

    pub fn profile(&self) -> AttendeeProfile {
        AttendeeProfile {
            attendee_name: self.attendee_name.clone(),
            organisation: self.organisation.clone(),
            organisation_type: rules::OrganisationType::parse(&self.organisation_type)
                .unwrap_or(rules::OrganisationType::Sme),
            cluster: self.cluster_code.clone(),
            country: self.country.clone(),
            job_role: self.job_role.clone(),
            themes: self.themes.split(',').filter_map(crate::events::Theme::parse).collect(),
            offers: self.offers.clone(),
            seeks: self.seeks.clone(),
            directory_consent: self.directory_consent,
        }
    }
}

pub const TICKET_SELECT: &str = "select t.id, t.event_id, e.slug as event_slug, e.title as event_title,
            e.starts_at as event_starts_at, t.ticket_type_id, tt.name as ticket_type, t.user_id, t.status,
            t.price_cents, t.currency, t.attendee_name, t.email, t.organisation, t.organisation_type,
            c.code as cluster_code, c.name as cluster_name, t.country, t.job_role, t.themes, t.offers, t.seeks,
            t.directory_consent, t.checkout_url, t.checkout_session_id, t.payment_intent_id, t.hold_expires_at, t.created_at,
            t.confirmed_at, t.cancelled_at, t.refund_requested_at, t.refund_failed_at, t.refund_failure,
            v.code as voucher_code
       from tickets t
       join events e on e.id = t.event_id
       join ticket_types tt on tt.id = t.ticket_type_id
       left join clusters c on c.id = t.cluster_id
       left join vouchers v on v.id = t.voucher_id";

/// Reads one ticket inside the caller's transaction (it sees the transaction's own changes).
pub async fn ticket_in(tx: &mut Tx, ticket_id: i64) -> Result<TicketRow, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query_as(sqlx::AssertSqlSafe(format!("{TICKET_SELECT} where t.id = $1")))
        .bind(ticket_id)
        .fetch_one(&mut *conn)
        .await)
}

pub async fn ticket(db: &Db, ticket_id: i64) -> Result<TicketRow, AppError> {
    let row: Option<TicketRow> =
        db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!("{TICKET_SELECT} where t.id = $1")))
            .bind(ticket_id)
            .fetch_optional(pool)
            .await)?;
    row.ok_or_else(|| AppError::NotFound("This ticket".into()))
}

/// The person's live ticket for an event, if any.
pub async fn live_ticket_of(db: &Db, user_id: i64, event_id: i64) -> Result<Option<i64>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_scalar(
        "select id from tickets where user_id = $1 and event_id = $2 and status in ($3, $4)"
    )
    .bind(user_id)
    .bind(event_id)
    .bind(TicketStatus::Pending)
    .bind(TicketStatus::Confirmed)
    .fetch_optional(pool)
    .await)?)
}

pub async fn tickets_of(db: &Db, user_id: i64) -> Result<Vec<TicketRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TICKET_SELECT} where t.user_id = $1 order by e.starts_at, t.id"
    )))
    .bind(user_id)
    .fetch_all(pool)
    .await)?)
}

/// An event's registrations, optionally narrowed by a search over name, email and organisation
/// and by status.
pub async fn registrations(
    db: &Db,
    event_id: i64,
    search: &str,
    status: Option<TicketStatus>,
) -> Result<Vec<TicketRow>, AppError> {
    let pattern = format!("%{}%", search.trim().to_lowercase().replace(['\\', '%', '_'], ""));
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TICKET_SELECT} where t.event_id = $1
            and (lower(t.attendee_name) like $2 or lower(t.email) like $2 or lower(t.organisation) like $2)
            and ($3 = '' or t.status = $3)
          order by t.id"
    )))
    .bind(event_id)
    .bind(&pattern)
    .bind(status.map(|s| s.code()).unwrap_or(""))
    .fetch_all(pool)
    .await)?)
}

/// Confirmed tickets per ticket type of an event.
pub async fn confirmed_counts(db: &Db, event_id: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(db_run!(db, |pool| {
        sqlx::query_as(
            "select ticket_type_id, count(*) from tickets where event_id = $1 and status = $2 group by ticket_type_id",
        )
        .bind(event_id)
        .bind(TicketStatus::Confirmed)
        .fetch_all(pool)
        .await
    })?)
}

/// A ticket type as the organiser saves it.
#[derive(Clone, Debug)]
pub struct TicketTypeDraft {
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub capacity: i64,
    pub sales_start: i64,
    pub sales_end: i64,
    pub visibility: Visibility,
    pub eligibility: Eligibility,
}

/// Creates a ticket type, or changes one. Capacity can never drop below the seats already taken
/// (the check constraint refuses it, and this turns that into a message).
pub async fn save_ticket_type(
    db: &Db,
    event_id: i64,
    id: Option<i64>,
    draft: &TicketTypeDraft,
) -> Result<i64, AppError> {
    let result: Result<Option<i64>, sqlx::Error> = db_run!(db, |pool| match id {
        None =>
            sqlx::query_scalar(
                "insert into ticket_types (event_id, name, description, price_cents, capacity, sales_start, sales_end,
                                       visibility, eligibility, position)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                     (select coalesce(max(position), 0) + 1 from ticket_types where event_id = $1))
             returning id",
            )
            .bind(event_id)
            .bind(&draft.name)
            .bind(&draft.description)
            .bind(draft.price_cents)
            .bind(draft.capacity)
            .bind(draft.sales_start)
            .bind(draft.sales_end)
            .bind(draft.visibility.code())
            .bind(draft.eligibility.code())
            .fetch_optional(pool)
            .await,
        Some(id) => sqlx::query_scalar(
            "update ticket_types set name = $1, description = $2, price_cents = $3, capacity = $4, sales_start = $5,
                    sales_end = $6, visibility = $7, eligibility = $8
              where id = $9 and event_id = $10 returning id",
        )
        .bind(&draft.name)
        .bind(&draft.description)
        .bind(draft.price_cents)
        .bind(draft.capacity)
        .bind(draft.sales_start)
        .bind(draft.sales_end)
        .bind(draft.visibility.code())
        .bind(draft.eligibility.code())
        .bind(id)
        .bind(event_id)
        .fetch_optional(pool)
        .await,
    });
    // Two constraints can refuse this statement; each names its own field.
    let result = match result {
        Err(err) if TICKET_TYPE_NAME.violated_by(&err) => {
            Err(AppError::invalid("name", "This event already has a ticket type with this name."))
        }
        other => SEATS_WITHIN_CAPACITY.or_invalid(
            other,
            "capacity",
            "The capacity cannot be lower than the seats already taken.",
        ),
    };
    result?.ok_or_else(|| AppError::NotFound("This ticket type".into()))
}

#[derive(Clone, Debug)]
pub struct VoucherDraft {
    pub code: String,
    pub effect: VoucherEffect,
    pub ticket_type_id: Option<i64>,
    pub percent_off: i64,
    pub max_uses: i64,
    pub valid_from: i64,
    pub valid_until: i64,
    pub note: String,
}

pub async fn create_voucher(db: &Db, event_id: i64, draft: &VoucherDraft) -> Result<(), AppError> {
    if let Some(type_id) = draft.ticket_type_id {
        if !ticket_types(db, event_id).await?.iter().any(|t| t.id == type_id) {
            return Err(AppError::invalid("ticket_type", "Choose one of this event's ticket types."));
        }
    }
    let result = db_run!(db, |pool| {
        sqlx::query(
        "insert into vouchers (event_id, code, effect, ticket_type_id, percent_off, max_uses, valid_from, valid_until, note)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(event_id)
    .bind(&draft.code)
    .bind(draft.effect.code())
    .bind(draft.ticket_type_id)
    .bind(draft.percent_off)
    .bind(draft.max_uses)
    .bind(draft.valid_from)
    .bind(draft.valid_until)
    .bind(&draft.note)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    });
    VOUCHER_CODE.or_invalid(result, "code", "This event already has a voucher with this code.").map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::LIVE_TICKET;
    use crate::tickets::rules::TicketStatus;

    #[test]
    fn the_live_ticket_condition_is_the_one_per_person_index_s() {
        let codes = format!("status in ('{}', '{}')", TicketStatus::Pending.code(), TicketStatus::Confirmed.code());
        assert_eq!(LIVE_TICKET, codes);
        let migration = include_str!("../../../migrations/sqlite/0003_tickets.sql");
        assert!(
            migration.contains(&format!("tickets_one_per_person on tickets (event_id, user_id) where {LIVE_TICKET};"))
        );
    }
}

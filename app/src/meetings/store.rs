//! Queries of B2B matchmaking (server only). The invariants are the database's: one accepted
//! meeting per person and slot (`meeting_seats`), one per table and slot (a partial unique
//! index), and the per-person maximum (a counter raised only under the maximum), all changed in
//! one transaction per step, so they hold across server processes.

use jiff::tz::TimeZone;
use sqlx::FromRow;

use super::rules::{self, GridSetup, MatchProfile};
use super::{MeetingCard, MeetingStatus, ParticipantCard, PartnerRef};
use crate::error::AppError;
use crate::events::{Event, Theme};
use crate::platform::db::{Constraint, Tx};
use crate::platform::mail::{self, OutgoingMail};
use crate::platform::Db;
use crate::tickets::rules::OrganisationType;
use crate::{db_run, tx_run};

/// Nobody has two meetings in one slot.
const ONE_MEETING_PER_SLOT: Constraint =
    Constraint { postgres: "meeting_seats_one_per_slot", sqlite: "meeting_seats.slot_id, meeting_seats.ticket_id" };
/// No table hosts two meetings in one slot.
const ONE_MEETING_PER_TABLE: Constraint =
    Constraint { postgres: "meetings_one_per_table", sqlite: "meetings.slot_id, meetings.table_id" };
/// How often accepting retries when a simultaneous acceptance took the table it picked.
const TABLE_ATTEMPTS: usize = 12;
/// A meeting that holds its table (alias `m`), as the partial unique index
/// `meetings_one_per_table` states it, written out rather than bound: SQLite makes one plan per
/// statement (see .cargo/config.toml), and only with the literal can that plan use the index.
/// `MeetingStatus::Accepted` is `accepted` (a test checks).
const SEATED: &str = "m.status = 'accepted'";

crate::stored_as_text!(MeetingStatus);

#[derive(Clone, Debug, FromRow)]
pub struct SessionRow {
    pub event_id: i64,
    pub slot_minutes: i64,
    pub max_meetings: i64,
    pub max_pending: i64,
    pub request_deadline: i64,
}

#[derive(Clone, Debug, FromRow)]
pub struct SlotRow {
    pub id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Clone, Debug, FromRow)]
pub struct TableRow {
    pub id: i64,
    pub number: i64,
    pub location: String,
}

pub async fn session(db: &Db, event_id: i64) -> Result<Option<SessionRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select event_id, slot_minutes, max_meetings, max_pending, request_deadline from b2b_sessions
          where event_id = $1"
    )
    .bind(event_id)
    .fetch_optional(pool)
    .await)?)
}

/// The session, or the answer that the event has none.
pub async fn session_of(db: &Db, event: &Event) -> Result<SessionRow, AppError> {
    session(db, event.id).await?.ok_or_else(|| AppError::NotFound(format!("A B2B session of {}", event.title)))
}

/// The event's current slots, in order.
pub async fn slots(db: &Db, event_id: i64) -> Result<Vec<SlotRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select id, starts_at, ends_at from b2b_slots where event_id = $1 and active order by starts_at"
    )
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

pub async fn tables(db: &Db, event_id: i64) -> Result<Vec<TableRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select id, number, location from b2b_tables where event_id = $1 and active order by number"
    )
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

/// The windows as the set-up form shows them, one per line.
pub async fn windows(db: &Db, event_id: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select starts_at, ends_at from b2b_windows where event_id = $1 order by starts_at"
    )
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

/// Saves the grid. A change that would leave a live meeting (requested or accepted) without its
/// slot, or an accepted one without its table, is refused with those meetings named.
pub async fn save_grid(db: &Db, event: &Event, setup: &GridSetup) -> Result<(), AppError> {
    let slots = setup.slots();
    let mut tx = db.begin_write().await?;
    let live: Vec<(i64, i64, i64, Option<i64>, MeetingStatus)> = tx_run!(&mut tx, |conn| sqlx::query_as(
        "select m.id, s.starts_at, s.ends_at, t.number, m.status
           from meetings m join b2b_slots s on s.id = m.slot_id left join b2b_tables t on t.id = m.table_id
          where m.event_id = $1 and m.status in ($2, $3)
          order by s.starts_at, t.number"
    )
    .bind(event.id)
    .bind(MeetingStatus::Requested)
    .bind(MeetingStatus::Accepted)
    .fetch_all(&mut *conn)
    .await)?;
    let orphaned: Vec<String> = live
        .iter()
        .filter(|(_, start, end, table, status)| {
            !slots.contains(&(*start, *end))
                || (*status == MeetingStatus::Accepted
                    && !table.is_some_and(|n| setup.tables.iter().any(|(t, _)| *t == n)))
        })
        .map(|(id, start, end, table, _)| {
            let at = rules::slot_times((*start, *end), &event.window.zone);
            match table {
                Some(n) => format!("meeting {id} ({at}, table {n})"),
                None => format!("meeting {id} ({at})"),
            }
        })
        .collect();
    if !orphaned.is_empty() {
        return Err(AppError::invalid(
            "windows",
            format!(
                "This change would leave {} without its slot or table: {}. Move or cancel them first.",
                if orphaned.len() == 1 { "1 meeting".to_string() } else { format!("{} meetings", orphaned.len()) },
                orphaned.join("; ")
            ),
        ));
    }
    tx_run!(&mut tx, |conn| sqlx::query(
        "insert into b2b_sessions (event_id, slot_minutes, max_meetings, max_pending, request_deadline)
         values ($1, $2, $3, $4, $5)
         on conflict (event_id) do update
            set slot_minutes = excluded.slot_minutes, max_meetings = excluded.max_meetings,
                max_pending = excluded.max_pending, request_deadline = excluded.request_deadline"
    )
    .bind(event.id)
    .bind(setup.slot_minutes)
    .bind(setup.max_meetings)
    .bind(setup.max_pending)
    .bind(setup.request_deadline)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    tx_run!(&mut tx, |conn| sqlx::query("delete from b2b_windows where event_id = $1")
        .bind(event.id)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    for (start, end) in &setup.windows {
        tx_run!(&mut tx, |conn| sqlx::query(
            "insert into b2b_windows (event_id, starts_at, ends_at) values ($1, $2, $3)"
        )
        .bind(event.id)
        .bind(start)
        .bind(end)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    }
    // Slots and tables that go stay as rows (past meetings name them), switched off.
    for sql in [
        "update b2b_slots set active = false where event_id = $1",
        "update b2b_tables set active = false where event_id = $1",
    ] {
        tx_run!(&mut tx, |conn| sqlx::query(sql).bind(event.id).execute(&mut *conn).await.map(|_| ()))?;
    }
    for (start, end) in &slots {
        tx_run!(&mut tx, |conn| sqlx::query(
            "insert into b2b_slots (event_id, starts_at, ends_at, active) values ($1, $2, $3, true)
             on conflict (event_id, starts_at) do update set ends_at = excluded.ends_at, active = true"
        )
        .bind(event.id)
        .bind(start)
        .bind(end)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    }
    for (number, location) in &setup.tables {
        tx_run!(&mut tx, |conn| sqlx::query(
            "insert into b2b_tables (event_id, number, location, active) values ($1, $2, $3, true)
             on conflict (event_id, number) do update set location = excluded.location, active = true"
        )
        .bind(event.id)
        .bind(number)
        .bind(location)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    }
    tx.commit().await?;
    Ok(())
}

/// A participant as the directory and the meetings read them from their ticket.
#[derive(Clone, Debug, FromRow)]
pub struct ParticipantRow {
    pub ticket_id: i64,
    pub user_id: i64,
    pub attendee_name: String,
    pub email: String,
    pub organisation: String,
    pub organisation_type: String,
    pub cluster_code: Option<String>,
    pub cluster_name: Option<String>,
    pub country: String,
    pub themes: String,
    pub offers: String,
    pub seeks: String,
    pub directory_consent: bool,
}

const PARTICIPANT_SELECT: &str = "select t.id as ticket_id, t.user_id, t.attendee_name, t.email, t.organisation,
        t.organisation_type, c.code as cluster_code, c.name as cluster_name, t.country, t.themes, t.offers, t.seeks,
        t.directory_consent
   from tickets t left join clusters c on c.id = t.cluster_id";

impl ParticipantRow {
    pub fn themes(&self) -> Vec<Theme> {
        self.themes.split(',').filter_map(Theme::parse).collect()
    }

    pub fn kind(&self) -> Option<OrganisationType> {
        OrganisationType::parse(&self.organisation_type)
    }

    pub fn card(&self) -> ParticipantCard {
        ParticipantCard {
            ticket_id: self.ticket_id,
            name: self.attendee_name.clone(),
            organisation: self.organisation.clone(),
            kind: self.kind().map(|k| k.label().to_string()).unwrap_or_default(),
            kind_code: self.organisation_type.clone(),
            cluster: self.cluster_name.clone(),
            cluster_code: self.cluster_code.clone(),
            country: self.country.clone(),
            themes: self.themes(),
            offers: self.offers.clone(),
            seeks: self.seeks.clone(),
        }
    }

    pub fn match_profile(&self) -> MatchProfile {
        MatchProfile {
            cluster: self.cluster_code.clone(),
            country: self.country.clone(),
            themes: self.themes(),
            offers: self.offers.clone(),
            seeks: self.seeks.clone(),
        }
    }

    fn partner(&self) -> PartnerRef {
        PartnerRef {
            ticket_id: self.ticket_id,
            name: self.attendee_name.clone(),
            organisation: self.organisation.clone(),
            cluster: self.cluster_name.clone(),
            country: self.country.clone(),
        }
    }
}

/// Confirmed ticket holders of the event who agreed to be listed, by name.
pub async fn directory(db: &Db, event_id: i64) -> Result<Vec<ParticipantRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PARTICIPANT_SELECT} where t.event_id = $1 and t.status = 'confirmed' and t.directory_consent
          order by lower(t.attendee_name), t.id"
    )))
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

/// A confirmed participant of the event, listed in the directory or not.
pub async fn participant(db: &Db, event_id: i64, ticket_id: i64) -> Result<Option<ParticipantRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PARTICIPANT_SELECT} where t.event_id = $1 and t.id = $2 and t.status = 'confirmed'"
    )))
    .bind(event_id)
    .bind(ticket_id)
    .fetch_optional(pool)
    .await)?)
}

/// The signed-in person's confirmed ticket for the event: who they are in its B2B session.
pub async fn me(db: &Db, event_id: i64, user_id: i64) -> Result<Option<ParticipantRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PARTICIPANT_SELECT} where t.event_id = $1 and t.user_id = $2 and t.status = 'confirmed'"
    )))
    .bind(event_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await)?)
}

/// Withdraws (or gives) a person's consent to be listed, on all their tickets: the directory
/// reads it at once; meetings already agreed stay.
pub async fn set_directory_consent(db: &Db, user_id: i64, consent: bool) -> Result<(), AppError> {
    db_run!(db, |pool| sqlx::query("update tickets set directory_consent = $1 where user_id = $2")
        .bind(consent)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Whether the person is listed (`None`: they hold no confirmed ticket).
pub async fn directory_listing(db: &Db, user_id: i64) -> Result<Option<bool>, AppError> {
    let consents: Vec<bool> = db_run!(db, |pool| sqlx::query_scalar(
        "select directory_consent from tickets where user_id = $1 and status = 'confirmed'"
    )
    .bind(user_id)
    .fetch_all(pool)
    .await)?;
    Ok((!consents.is_empty()).then(|| consents.iter().any(|c| *c)))
}

/// Slots in which the person has an accepted meeting, and slots they keep free.
pub async fn busy_slots(db: &Db, ticket_id: i64) -> Result<(Vec<i64>, Vec<i64>), AppError> {
    let meetings: Vec<i64> =
        db_run!(db, |pool| sqlx::query_scalar("select slot_id from meeting_seats where ticket_id = $1")
            .bind(ticket_id)
            .fetch_all(pool)
            .await)?;
    let blocked: Vec<i64> =
        db_run!(db, |pool| sqlx::query_scalar("select slot_id from b2b_blocked_slots where ticket_id = $1")
            .bind(ticket_id)
            .fetch_all(pool)
            .await)?;
    Ok((meetings, blocked))
}

/// Keeps a slot free of meetings (or frees it again). A slot with a meeting cannot be blocked.
pub async fn block_slot(db: &Db, ticket_id: i64, slot_id: i64, blocked: bool) -> Result<(), AppError> {
    if blocked {
        let (meetings, _) = busy_slots(db, ticket_id).await?;
        if meetings.contains(&slot_id) {
            return Err(AppError::invalid("slot", "You have a meeting in this slot; cancel it first."));
        }
        db_run!(db, |pool| sqlx::query(
            "insert into b2b_blocked_slots (ticket_id, slot_id) values ($1, $2) on conflict do nothing"
        )
        .bind(ticket_id)
        .bind(slot_id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    } else {
        db_run!(db, |pool| sqlx::query("delete from b2b_blocked_slots where ticket_id = $1 and slot_id = $2")
            .bind(ticket_id)
            .bind(slot_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
    }
    Ok(())
}

/// Sessions of the person's personal agenda: (start, end, title), to warn of overlaps.
pub async fn agenda_times(db: &Db, event_id: i64, user_id: i64) -> Result<Vec<(i64, i64, String)>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select s.starts_at, s.ends_at, s.title from personal_agenda p join agenda_sessions s on s.id = p.session_id
          where p.user_id = $1 and s.event_id = $2"
    )
    .bind(user_id)
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

/// Requests whose answer did not come before the deadline are expired.
async fn expire_overdue(db: &Db, session: &SessionRow, now: i64) -> Result<(), AppError> {
    if now <= session.request_deadline {
        return Ok(());
    }
    db_run!(db, |pool| sqlx::query(
        "update meetings set status = $1, awaiting_ticket_id = null, updated_at = $2
          where event_id = $3 and status = $4"
    )
    .bind(MeetingStatus::Expired)
    .bind(now)
    .bind(session.event_id)
    .bind(MeetingStatus::Requested)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// One step of a meeting, recorded for good.
async fn log(tx: &mut Tx, meeting_id: i64, at: i64, actor: i64, action: &str, detail: &str) -> Result<(), AppError> {
    tx_run!(tx, |conn| sqlx::query(
        "insert into meeting_log (meeting_id, at, actor_user_id, action, detail) values ($1, $2, $3, $4, $5)"
    )
    .bind(meeting_id)
    .bind(at)
    .bind(actor)
    .bind(action)
    .bind(detail)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The context every meeting step needs: the event, its session, and where links point.
pub struct Desk<'a> {
    pub db: &'a Db,
    pub event: &'a Event,
    pub session: &'a SessionRow,
    pub public_url: &'a str,
    /// The platform's sender: the organiser of meeting invitations.
    pub sender: crate::calendar::Person,
    pub now: i64,
    /// Mail the people concerned (the demo seed's own meetings are not announced).
    pub notify: bool,
}

impl Desk<'_> {
    fn zone(&self) -> &TimeZone {
        &self.event.window.zone
    }

    fn link(&self) -> String {
        format!("{}/events/{}/meetings", self.public_url, self.event.slug)
    }

    fn open_for_requests(&self) -> Result<(), AppError> {
        if self.now > self.session.request_deadline {
            return Err(AppError::invalid(
                "slot",
                format!(
                    "Meeting requests closed on {}.",
                    crate::events::when::day_and_time(self.session.request_deadline, self.zone())
                ),
            ));
        }
        Ok(())
    }

    async fn slot(&self, slot_id: i64) -> Result<SlotRow, AppError> {
        let slot: Option<SlotRow> = db_run!(self.db, |pool| sqlx::query_as(
            "select id, starts_at, ends_at from b2b_slots where id = $1 and event_id = $2 and active"
        )
        .bind(slot_id)
        .bind(self.event.id)
        .fetch_optional(pool)
        .await)?;
        let slot = slot.ok_or_else(|| AppError::invalid("slot", "Choose one of the session's slots."))?;
        if slot.starts_at <= self.now {
            return Err(AppError::invalid("slot", "This slot has started already; choose a later one."));
        }
        Ok(slot)
    }

    /// Refuses a slot in which either person already has a meeting or keeps free.
    async fn both_free(&self, slot: &SlotRow, me: &ParticipantRow, them: &ParticipantRow) -> Result<(), AppError> {
        for (person, whose) in [(me, None), (them, Some(&them.attendee_name))] {
            let (meetings, blocked) = busy_slots(self.db, person.ticket_id).await?;
            if meetings.contains(&slot.id) || blocked.contains(&slot.id) {
                return Err(AppError::invalid(
                    "slot",
                    match whose {
                        None => "You are not free in this slot; choose another.".to_string(),
                        Some(name) => format!("{name} is not free in this slot; choose another."),
                    },
                ));
            }
        }
        Ok(())
    }

    fn mail(&self, to: &ParticipantRow, subject: String, body: String) -> OutgoingMail {
        OutgoingMail {
            recipient: to.email.clone(),
            subject,
            body_text: format!("Hello {},\n\n{body}\n\nYour meetings: {}\n", to.attendee_name, self.link()),
            attachment: None,
        }
    }

    /// Asks `them` for a meeting in a slot. Refused (with the field that is wrong, nothing
    /// written) after the deadline, for oneself, for someone not in the directory, for a slot
    /// that has started or in which either is not free, beyond the pending-request limit, and
    /// when the two already have a request or meeting.
    pub async fn request(
        &self,
        me: &ParticipantRow,
        them_ticket: i64,
        slot_id: i64,
        message: &str,
    ) -> Result<i64, AppError> {
        self.open_for_requests()?;
        if them_ticket == me.ticket_id {
            return Err(AppError::invalid("participant", "You cannot ask yourself for a meeting."));
        }
        let them = participant(self.db, self.event.id, them_ticket)
            .await?
            .filter(|p| p.directory_consent)
            .ok_or_else(|| AppError::invalid("participant", "This person is not in the participant directory."))?;
        let message = message.trim();
        if message.chars().count() > 500 {
            return Err(AppError::invalid("message", "Keep the message under 500 characters."));
        }
        let slot = self.slot(slot_id).await?;
        self.both_free(&slot, me, &them).await?;
        let pending: i64 = db_run!(self.db, |pool| sqlx::query_scalar(
            "select count(*) from meetings where requester_ticket_id = $1 and status = $2"
        )
        .bind(me.ticket_id)
        .bind(MeetingStatus::Requested)
        .fetch_one(pool)
        .await)?;
        let between = planned_between(self.db, me.ticket_id, them.ticket_id).await?;
        if between > 0 {
            return Err(AppError::invalid(
                "participant",
                format!("You already have a request or a meeting with {}.", them.attendee_name),
            ));
        }
        if pending >= self.session.max_pending {
            return Err(AppError::invalid(
                "participant",
                format!(
                    "You have {pending} requests waiting for an answer, the most allowed; wait for answers or withdraw one first."
                ),
            ));
        }
        let mut tx = self.db.begin_write().await?;
        let id: i64 = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
            "insert into meetings (event_id, slot_id, requester_ticket_id, recipient_ticket_id, status, message, reason,
                                   awaiting_ticket_id, created_at, updated_at, sequence)
             values ($1, $2, $3, $4, $5, $6, '', $4, $7, $7, 0) returning id"
        )
        .bind(self.event.id)
        .bind(slot.id)
        .bind(me.ticket_id)
        .bind(them.ticket_id)
        .bind(MeetingStatus::Requested)
        .bind(message)
        .bind(self.now)
        .fetch_one(&mut *conn)
        .await
        })?;
        log(&mut tx, id, self.now, me.user_id, "requested", &format!("slot {}", slot.id)).await?;
        let when = crate::events::when::day_and_time(slot.starts_at, self.zone());
        let note = if message.is_empty() { String::new() } else { format!("\n\nTheir message: {message}") };
        let mail = self.mail(
            &them,
            format!("{} asks to meet you at {}", me.attendee_name, self.event.title),
            format!(
                "{} ({}) asks to meet you on {when} in the B2B session of {}.{note}\n\nAccept, decline or propose another slot here:",
                me.attendee_name, me.organisation, self.event.title
            ),
        );
        self.enqueue(&mut tx, &mail).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The meeting, when `me` takes part in it.
    async fn meeting_of(&self, meeting_id: i64, me: &ParticipantRow) -> Result<MeetingRow, AppError> {
        let meeting = self.meeting_in_event(meeting_id).await?;
        if meeting.requester_ticket_id == me.ticket_id || meeting.recipient_ticket_id == me.ticket_id {
            Ok(meeting)
        } else {
            Err(AppError::NotFound("This meeting".into()))
        }
    }

    async fn other_side(&self, meeting: &MeetingRow, me: &ParticipantRow) -> Result<ParticipantRow, AppError> {
        let other = if meeting.requester_ticket_id == me.ticket_id {
            meeting.recipient_ticket_id
        } else {
            meeting.requester_ticket_id
        };
        // The partner's ticket may have been cancelled since: the meeting is still theirs.
        let row: Option<ParticipantRow> = db_run!(self.db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PARTICIPANT_SELECT} where t.id = $1"
        )))
        .bind(other)
        .fetch_optional(pool)
        .await)?;
        row.ok_or_else(|| AppError::NotFound("The other participant".into()))
    }

    fn awaiting(meeting: &MeetingRow, me: &ParticipantRow) -> Result<(), AppError> {
        if meeting.status != MeetingStatus::Requested || meeting.awaiting_ticket_id != Some(me.ticket_id) {
            return Err(AppError::invalid("meeting", "This request is not waiting for your answer any more."));
        }
        Ok(())
    }

    /// Accepts a request: a free table in its slot is assigned at once. Refused, changing
    /// nothing, when either person has meanwhile got a meeting in the slot, the slot has no free
    /// table, or either has reached the maximum of meetings.
    pub async fn accept(&self, meeting_id: i64, me: &ParticipantRow) -> Result<(), AppError> {
        self.open_for_requests().map_err(|e| AppError::invalid("meeting", e.to_string()))?;
        let meeting = self.meeting_of(meeting_id, me).await?;
        Self::awaiting(&meeting, me)?;
        let other = self.other_side(&meeting, me).await?;
        let slot = self.slot(meeting.slot_id).await.map_err(|e| AppError::invalid("meeting", e.to_string()))?;
        let seating = Seating { field: "meeting", people: [me, &other], viewer: Some(me.ticket_id), table: None };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(done) = settle(attempt, self.try_accept(&meeting, &slot, me, &other, &seating).await) {
                return done;
            }
        }
    }

    /// One attempt at accepting, in one transaction.
    async fn try_accept(
        &self,
        meeting: &MeetingRow,
        slot: &SlotRow,
        me: &ParticipantRow,
        other: &ParticipantRow,
        seating: &Seating<'_>,
    ) -> Result<(), Retry> {
        let mut tx = self.db.begin_write().await?;
        let table = self.seat(&mut tx, meeting.id, MeetingStatus::Requested, slot, seating).await?;
        log(&mut tx, meeting.id, self.now, me.user_id, "accepted", &format!("table {}", table.id)).await?;
        let when = crate::events::when::day_and_time(slot.starts_at, self.zone());
        let texts = self.about_partner([me, other], |partner| {
            (
                format!("Meeting with {} at {}: table {}", partner.attendee_name, self.event.title, table.number),
                format!(
                    "your meeting with {} ({}) is agreed: {when}, table {}, {}.",
                    partner.attendee_name, partner.organisation, table.number, self.event.venue_name
                ),
            )
        });
        self.mail_invitations(&mut tx, meeting.id, [me, other], texts).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One attempt at booking, in one transaction.
    async fn try_book(
        &self,
        organiser: i64,
        first: &ParticipantRow,
        second: &ParticipantRow,
        slot: &SlotRow,
        seating: &Seating<'_>,
    ) -> Result<i64, Retry> {
        let mut tx = self.db.begin_write().await?;
        let id: i64 = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
            "insert into meetings (event_id, slot_id, requester_ticket_id, recipient_ticket_id, status, message, reason,
                                   awaiting_ticket_id, created_at, updated_at, sequence)
             values ($1, $2, $3, $4, $5, '', '', null, $6, $6, 0) returning id"
        )
        .bind(self.event.id)
        .bind(slot.id)
        .bind(first.ticket_id)
        .bind(second.ticket_id)
        .bind(MeetingStatus::Requested)
        .bind(self.now)
        .fetch_one(&mut *conn)
        .await
        })?;
        let table = self.seat(&mut tx, id, MeetingStatus::Requested, slot, seating).await?;
        log(
            &mut tx,
            id,
            self.now,
            organiser,
            "booked by the organisers",
            &format!("slot {} table {}", slot.id, table.id),
        )
        .await?;
        let when = crate::events::when::day_and_time(slot.starts_at, self.zone());
        let texts = self.about_partner([first, second], |partner| {
            (
                format!("Meeting with {} at {}: table {}", partner.attendee_name, self.event.title, table.number),
                format!(
                    "the organisers of {} booked a meeting for you with {} ({}): {when}, table {}, {}.",
                    self.event.title, partner.attendee_name, partner.organisation, table.number, self.event.venue_name
                ),
            )
        });
        self.mail_invitations(&mut tx, id, [first, second], texts).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One attempt at moving, in one transaction: the old seats are freed and new ones taken.
    async fn try_relocate(
        &self,
        organiser: i64,
        meeting: &MeetingRow,
        requester: &ParticipantRow,
        recipient: &ParticipantRow,
        slot: &SlotRow,
        seating: &Seating<'_>,
    ) -> Result<(), Retry> {
        let mut tx = self.db.begin_write().await?;
        release_seats(&mut tx, meeting.id).await?;
        let table = self.seat(&mut tx, meeting.id, MeetingStatus::Accepted, slot, seating).await?;
        log(&mut tx, meeting.id, self.now, organiser, "moved", &format!("slot {} table {}", slot.id, table.id)).await?;
        let when = crate::events::when::day_and_time(slot.starts_at, self.zone());
        let texts = self.about_partner([requester, recipient], |partner| {
            (
                format!("Your meeting with {} moved: {when}, table {}", partner.attendee_name, table.number),
                format!(
                    "the organisers of {} moved your meeting with {} ({}) to {when}, table {}, {}.",
                    self.event.title, partner.attendee_name, partner.organisation, table.number, self.event.venue_name
                ),
            )
        });
        self.mail_invitations(&mut tx, meeting.id, [requester, recipient], texts).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mails both people (in `people` order: `texts[i]` is `people[i]`'s subject and text) with
    /// the meeting's invitation attached as it stands in this transaction: a REQUEST while it is
    /// agreed (its SEQUENCE raised by every move), a CANCEL once cancelled.
    async fn mail_invitations(
        &self,
        tx: &mut Tx,
        meeting_id: i64,
        people: [&ParticipantRow; 2],
        texts: [(String, String); 2],
    ) -> Result<(), AppError> {
        if !self.notify {
            return Ok(());
        }
        let facts = meeting_facts_in(tx, meeting_id).await?;
        let meeting = crate::calendar::files::MeetingFacts {
            id: meeting_id,
            sequence: facts.sequence,
            cancelled: facts.status == MeetingStatus::Cancelled,
            starts_at: facts.starts_at,
            ends_at: facts.ends_at,
            changed_at: facts.updated_at,
            table: facts.table_number.map(|n| table_label(n, &facts.table_location)),
            event_slug: &self.event.slug,
            event_title: &self.event.title,
            venue_name: &self.event.venue_name,
            people: people.map(|p| crate::calendar::files::MeetingPerson {
                name: &p.attendee_name,
                email: &p.email,
                organisation: &p.organisation,
            }),
        };
        for (viewer, (person, (subject, body))) in people.into_iter().zip(texts).enumerate() {
            let (method, file) =
                crate::calendar::files::meeting_invitation(self.public_url, &self.sender, &meeting, Some(viewer));
            let mut mail = self.mail(person, subject, body);
            mail.attachment = Some(mail::MailAttachment {
                filename: "meeting.ics".into(),
                content_type: format!("text/calendar; charset=utf-8; method={}", method.code()),
                body: file,
            });
            mail::enqueue_in(tx, &mail).await?;
        }
        Ok(())
    }

    /// Each of the two people's subject and text, written about the other one.
    fn about_partner(
        &self,
        people: [&ParticipantRow; 2],
        text: impl Fn(&ParticipantRow) -> (String, String),
    ) -> [(String, String); 2] {
        [text(people[1]), text(people[0])]
    }

    async fn enqueue(&self, tx: &mut Tx, mail: &OutgoingMail) -> Result<(), AppError> {
        if self.notify {
            mail::enqueue_in(tx, mail).await?;
        }
        Ok(())
    }

    /// Makes the meeting (in state `expected`) an accepted one in `slot`, at the chosen table or
    /// the first free one, and takes the slot and one of the allowed meetings of both people.
    /// Every invariant is the database's: a simultaneous step that took a person's slot, the
    /// table, or the last allowed meeting makes this one fail, with the reason in words.
    async fn seat(
        &self,
        tx: &mut Tx,
        meeting_id: i64,
        expected: MeetingStatus,
        slot: &SlotRow,
        seating: &Seating<'_>,
    ) -> Result<TableRow, Retry> {
        let refused = |message: String| Retry::Refused(AppError::invalid(seating.field, message));
        let taken_slot = |person: &ParticipantRow| {
            refused(if Some(person.ticket_id) == seating.viewer {
                "You have another meeting in this slot by now; propose another slot instead.".to_string()
            } else {
                format!("{} has another meeting in this slot by now; choose another slot.", person.attendee_name)
            })
        };
        let [first, second] = seating.people;
        let busy: Vec<i64> = tx_run!(tx, |conn| sqlx::query_scalar(
            "select ticket_id from meeting_seats where slot_id = $1 and ticket_id in ($2, $3)"
        )
        .bind(slot.id)
        .bind(first.ticket_id)
        .bind(second.ticket_id)
        .fetch_all(&mut *conn)
        .await)?;
        if let Some(person) = seating.people.into_iter().find(|p| busy.contains(&p.ticket_id)) {
            return Err(taken_slot(person));
        }
        let table: Option<TableRow> = tx_run!(tx, |conn| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "select t.id, t.number, t.location from b2b_tables t
              where t.event_id = $1 and t.active and ($3 is null or t.id = $3)
                and not exists (select 1 from meetings m
                                 where m.slot_id = $2 and m.table_id = t.id and {SEATED} and m.id <> $4)
              order by t.number limit 1"
        )))
        .bind(self.event.id)
        .bind(slot.id)
        .bind(seating.table)
        .bind(meeting_id)
        .fetch_optional(&mut *conn)
        .await)?;
        let Some(table) = table else {
            return Err(refused(match seating.table {
                Some(_) => "That table is taken in this slot; choose another table or slot.".to_string(),
                None => "Every table is taken in this slot; propose another slot instead.".to_string(),
            }));
        };
        let seated = tx_run!(tx, |conn| {
            sqlx::query(
            "update meetings set status = $1, slot_id = $2, table_id = $3, awaiting_ticket_id = null, updated_at = $4,
                    sequence = sequence + 1
              where id = $5 and status = $6"
        )
        .bind(MeetingStatus::Accepted)
        .bind(slot.id)
        .bind(table.id)
        .bind(self.now)
        .bind(meeting_id)
        .bind(expected)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        });
        match seated {
            // A chosen table taken meanwhile is an answer; a picked one is picked again.
            Err(error) if ONE_MEETING_PER_TABLE.violated_by(&error) && seating.table.is_none() => {
                return Err(Retry::TableTaken)
            }
            Err(error) if ONE_MEETING_PER_TABLE.violated_by(&error) => {
                return Err(refused("That table is taken in this slot; choose another table or slot.".into()))
            }
            Err(error) => return Err(Retry::Refused(error.into())),
            Ok(0) => return Err(refused("This meeting changed meanwhile; look at it again.".into())),
            Ok(_) => {}
        }
        for person in seating.people {
            let taken = tx_run!(tx, |conn| sqlx::query(
                "insert into meeting_seats (meeting_id, slot_id, ticket_id) values ($1, $2, $3)"
            )
            .bind(meeting_id)
            .bind(slot.id)
            .bind(person.ticket_id)
            .execute(&mut *conn)
            .await
            .map(|_| ()));
            if let Err(error) = taken {
                return Err(if ONE_MEETING_PER_SLOT.violated_by(&error) {
                    taken_slot(person)
                } else {
                    Retry::Refused(error.into())
                });
            }
            tx_run!(tx, |conn| {
                sqlx::query(
                "insert into b2b_people (ticket_id, event_id, accepted) values ($1, $2, 0) on conflict (ticket_id) do nothing"
            )
            .bind(person.ticket_id)
            .bind(self.event.id)
            .execute(&mut *conn)
            .await
            .map(|_| ())
            })?;
            let counted = tx_run!(tx, |conn| sqlx::query(
                "update b2b_people set accepted = accepted + 1 where ticket_id = $1 and accepted < $2"
            )
            .bind(person.ticket_id)
            .bind(self.session.max_meetings)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected()))?;
            if counted == 0 {
                let max = self.session.max_meetings;
                return Err(refused(if Some(person.ticket_id) == seating.viewer {
                    format!("You have reached the maximum of {max} meetings; cancel one first.")
                } else {
                    format!("{} has reached the maximum of {max} meetings.", person.attendee_name)
                }));
            }
        }
        Ok(table)
    }

    /// Declines a request waiting for `me`, with an optional reason.
    pub async fn decline(&self, meeting_id: i64, me: &ParticipantRow, reason: &str) -> Result<(), AppError> {
        let meeting = self.meeting_of(meeting_id, me).await?;
        Self::awaiting(&meeting, me)?;
        let other = self.other_side(&meeting, me).await?;
        let reason: String = reason.trim().chars().take(300).collect();
        let mut tx = self.db.begin_write().await?;
        let done = tx_run!(&mut tx, |conn| sqlx::query(
            "update meetings set status = $1, reason = $2, awaiting_ticket_id = null, updated_at = $3
              where id = $4 and status = $5 and awaiting_ticket_id = $6"
        )
        .bind(MeetingStatus::Declined)
        .bind(&reason)
        .bind(self.now)
        .bind(meeting.id)
        .bind(MeetingStatus::Requested)
        .bind(me.ticket_id)
        .execute(&mut *conn)
        .await
        .map(|d| d.rows_affected()))?;
        if done == 0 {
            return Err(AppError::invalid("meeting", "This request is not waiting for your answer any more."));
        }
        log(&mut tx, meeting.id, self.now, me.user_id, "declined", &reason).await?;
        let why = if reason.is_empty() { String::new() } else { format!(" Their reason: {reason}") };
        let mail = self.mail(
            &other,
            format!("{} declined the meeting at {}", me.attendee_name, self.event.title),
            format!("{} cannot meet you in that slot.{why}", me.attendee_name),
        );
        self.enqueue(&mut tx, &mail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Answers a request with another slot: the other side then accepts or declines it.
    pub async fn propose(&self, meeting_id: i64, me: &ParticipantRow, slot_id: i64) -> Result<(), AppError> {
        self.open_for_requests()?;
        let meeting = self.meeting_of(meeting_id, me).await?;
        Self::awaiting(&meeting, me)?;
        let other = self.other_side(&meeting, me).await?;
        let slot = self.slot(slot_id).await?;
        self.both_free(&slot, me, &other).await?;
        let mut tx = self.db.begin_write().await?;
        let done = tx_run!(&mut tx, |conn| sqlx::query(
            "update meetings set slot_id = $1, awaiting_ticket_id = $2, updated_at = $3
              where id = $4 and status = $5 and awaiting_ticket_id = $6"
        )
        .bind(slot.id)
        .bind(other.ticket_id)
        .bind(self.now)
        .bind(meeting.id)
        .bind(MeetingStatus::Requested)
        .bind(me.ticket_id)
        .execute(&mut *conn)
        .await
        .map(|d| d.rows_affected()))?;
        if done == 0 {
            return Err(AppError::invalid("meeting", "This request is not waiting for your answer any more."));
        }
        log(&mut tx, meeting.id, self.now, me.user_id, "proposed", &format!("slot {}", slot.id)).await?;
        let when = crate::events::when::day_and_time(slot.starts_at, self.zone());
        let mail = self.mail(
            &other,
            format!("{} proposes another time at {}", me.attendee_name, self.event.title),
            format!("{} would rather meet you on {when}. Accept or decline here:", me.attendee_name),
        );
        self.enqueue(&mut tx, &mail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cancels a request or an agreed meeting (either side); its slot and table are free again.
    pub async fn cancel(&self, meeting_id: i64, me: &ParticipantRow, reason: &str) -> Result<(), AppError> {
        let meeting = self.meeting_of(meeting_id, me).await?;
        if !matches!(meeting.status, MeetingStatus::Requested | MeetingStatus::Accepted) {
            return Err(AppError::invalid("meeting", "This meeting is not planned any more."));
        }
        let other = self.other_side(&meeting, me).await?;
        let reason: String = reason.trim().chars().take(300).collect();
        let mut tx = self.db.begin_write().await?;
        let done = tx_run!(&mut tx, |conn| sqlx::query(
            "update meetings set status = $1, reason = $2, awaiting_ticket_id = null, updated_at = $3,
                    sequence = sequence + 1
              where id = $4 and status = $5"
        )
        .bind(MeetingStatus::Cancelled)
        .bind(&reason)
        .bind(self.now)
        .bind(meeting.id)
        .bind(meeting.status)
        .execute(&mut *conn)
        .await
        .map(|d| d.rows_affected()))?;
        if done == 0 {
            return Err(AppError::invalid("meeting", "This meeting changed meanwhile; look at it again."));
        }
        if meeting.status == MeetingStatus::Accepted {
            release_seats(&mut tx, meeting.id).await?;
        }
        log(&mut tx, meeting.id, self.now, me.user_id, "cancelled", &reason).await?;
        let why = if reason.is_empty() { String::new() } else { format!(" Their reason: {reason}") };
        let told = (
            format!("{} cancelled your meeting at {}", me.attendee_name, self.event.title),
            format!("{} cancelled the meeting.{why}", me.attendee_name),
        );
        if meeting.status == MeetingStatus::Accepted {
            // Both calendars hold the invitation: both get its cancellation.
            let mine = (
                format!("You cancelled your meeting with {} at {}", other.attendee_name, self.event.title),
                format!("your meeting with {} is cancelled.", other.attendee_name),
            );
            self.mail_invitations(&mut tx, meeting.id, [&other, me], [told, mine]).await?;
        } else {
            let mail = self.mail(&other, told.0, told.1);
            self.enqueue(&mut tx, &mail).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Confirms at the table that an agreed meeting takes place: `code` must be the partner's
    /// current badge for this event, scanned or typed around the meeting's slot.
    pub async fn confirm_held(
        &self,
        keys: &crate::badges::keys::BadgeKeys,
        meeting_id: i64,
        me: &ParticipantRow,
        code: &str,
    ) -> Result<(), AppError> {
        use crate::badges::code;
        let meeting = self.meeting_of(meeting_id, me).await?;
        if meeting.status != MeetingStatus::Accepted {
            return Err(AppError::invalid("code", "Only an agreed meeting can be confirmed as held."));
        }
        rules::may_confirm_held((meeting.starts_at, meeting.ends_at), self.now)?;
        let other = self.other_side(&meeting, me).await?;
        let refused = |why: &str| AppError::invalid("code", why.to_string());
        let read = code::read(code.trim()).map_err(|_| refused("This is not an EventXchange badge code."))?;
        if read.code.event_id != self.event.id {
            return Err(refused("This badge is for another event."));
        }
        let key = keys.existing(self.db, self.event.id).await?.map(|k| k.public);
        let verified = code::verify(code.trim(), self.event.id, |id| if id == self.event.id { key } else { None })
            .map_err(|_| refused("The code's signature does not match: the badge is forged or damaged."))?;
        if verified.ticket_id != other.ticket_id {
            return Err(refused(&format!("This is not the badge of {}.", other.attendee_name)));
        }
        let current: Option<i64> = db_run!(self.db, |pool| sqlx::query_scalar(
            "select badge_issued_at from tickets where id = $1 and status = 'confirmed'"
        )
        .bind(other.ticket_id)
        .fetch_optional(pool)
        .await)?
        .flatten();
        if current != Some(verified.issued_at) {
            return Err(refused("This badge was replaced by a newer one, or the ticket is not valid any more."));
        }
        let mut tx = self.db.begin_write().await?;
        tx_run!(&mut tx, |conn| sqlx::query(
            "update meetings set held_confirmed_at = coalesce(held_confirmed_at, $1),
                    held_confirmed_by = coalesce(held_confirmed_by, $2)
              where id = $3 and status = $4"
        )
        .bind(self.now)
        .bind(me.ticket_id)
        .bind(meeting.id)
        .bind(MeetingStatus::Accepted)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
        log(
            &mut tx,
            meeting.id,
            self.now,
            me.user_id,
            "held",
            &format!("scanned the badge of ticket {}", other.ticket_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reports that the partner did not come. Against a confirmation at the table, the report is
    /// flagged for the organisers, who decide.
    pub async fn report_no_show(&self, meeting_id: i64, me: &ParticipantRow) -> Result<(), AppError> {
        let meeting = self.meeting_of(meeting_id, me).await?;
        if meeting.status != MeetingStatus::Accepted {
            return Err(AppError::invalid("meeting", "Only an agreed meeting can be reported as missed."));
        }
        if self.now < meeting.starts_at {
            return Err(AppError::invalid("meeting", "The meeting has not started yet."));
        }
        let mut tx = self.db.begin_write().await?;
        tx_run!(&mut tx, |conn| sqlx::query(
            "update meetings set no_show_reported_at = $1, no_show_reported_by = $2 where id = $3"
        )
        .bind(self.now)
        .bind(me.ticket_id)
        .bind(meeting.id)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
        log(&mut tx, meeting.id, self.now, me.user_id, "no-show reported", "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// A meeting of this event, whoever takes part in it.
    async fn meeting_in_event(&self, meeting_id: i64) -> Result<MeetingRow, AppError> {
        let row: Option<MeetingRow> = db_run!(self.db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{MEETING_SELECT} where m.id = $1 and m.event_id = $2"
        )))
        .bind(meeting_id)
        .bind(self.event.id)
        .fetch_optional(pool)
        .await)?;
        row.ok_or_else(|| AppError::NotFound("This meeting".into()))
    }

    async fn ticket_holder(&self, field: &'static str, ticket_id: i64) -> Result<ParticipantRow, AppError> {
        participant(self.db, self.event.id, ticket_id)
            .await?
            .ok_or_else(|| AppError::invalid(field, "Choose a participant with a valid ticket for this event."))
    }

    /// An organiser books a meeting for two ticket holders (listed in the directory or not):
    /// agreed at once, at the chosen table or the first free one, under the same invariants as
    /// an accepted request. The deadline for requests does not bind organisers.
    pub async fn book(
        &self,
        organiser: i64,
        first: i64,
        second: i64,
        slot_id: i64,
        table: Option<i64>,
    ) -> Result<i64, AppError> {
        if first == second {
            return Err(AppError::invalid("second", "Choose two different people."));
        }
        let first = self.ticket_holder("first", first).await?;
        let second = self.ticket_holder("second", second).await?;
        let slot = self.slot(slot_id).await?;
        let planned = planned_between(self.db, first.ticket_id, second.ticket_id).await?;
        if planned > 0 {
            return Err(AppError::invalid(
                "second",
                format!(
                    "{} and {} already have a request or a meeting; move that one instead.",
                    first.attendee_name, second.attendee_name
                ),
            ));
        }
        let seating = Seating { field: "slot", people: [&first, &second], viewer: None, table };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(done) = settle(attempt, self.try_book(organiser, &first, &second, &slot, &seating).await) {
                return done;
            }
        }
    }

    /// An organiser moves an agreed meeting to another slot or table (or both); both people are
    /// told. Refused, changing nothing, when either is not free in the new slot or the table is
    /// taken. A meeting confirmed as held stays where it took place.
    pub async fn relocate(
        &self,
        organiser: i64,
        meeting_id: i64,
        slot_id: i64,
        table: Option<i64>,
    ) -> Result<(), AppError> {
        let meeting = self.meeting_in_event(meeting_id).await?;
        if meeting.status != MeetingStatus::Accepted {
            return Err(AppError::invalid("meeting", "Only an agreed meeting can be moved."));
        }
        if meeting.held_confirmed_at.is_some() {
            return Err(AppError::invalid(
                "meeting",
                "This meeting was confirmed as held; it stays where it took place.",
            ));
        }
        if meeting.slot_id == slot_id && (table.is_none() || table == meeting.table_id) {
            return Err(AppError::invalid("slot", "The meeting is there already; choose another slot or table."));
        }
        let slot = self.slot(slot_id).await?;
        let requester = self.ticket_holder("meeting", meeting.requester_ticket_id).await?;
        let recipient = self.ticket_holder("meeting", meeting.recipient_ticket_id).await?;
        let seating = Seating { field: "slot", people: [&requester, &recipient], viewer: None, table };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(done) =
                settle(attempt, self.try_relocate(organiser, &meeting, &requester, &recipient, &slot, &seating).await)
            {
                return done;
            }
        }
    }

    /// An organiser decides a no-show report made against a confirmation at the table: the
    /// meeting was held (the confirmation stands) or not (it does not count). Decided once.
    pub async fn decide_dispute(&self, organiser: i64, meeting_id: i64, held: bool) -> Result<(), AppError> {
        let meeting = self.meeting_in_event(meeting_id).await?;
        if meeting.held_confirmed_at.is_none() || meeting.no_show_reported_at.is_none() {
            return Err(AppError::invalid("meeting", "Only a no-show report against a confirmed meeting is decided."));
        }
        let decision = if held { "held" } else { "not held" };
        let mut tx = self.db.begin_write().await?;
        let done = tx_run!(&mut tx, |conn| sqlx::query(
            "update meetings set dispute_decision = $1, dispute_decided_at = $2, dispute_decided_by = $3
              where id = $4 and dispute_decision is null"
        )
        .bind(decision)
        .bind(self.now)
        .bind(organiser)
        .bind(meeting.id)
        .execute(&mut *conn)
        .await
        .map(|d| d.rows_affected()))?;
        if done == 0 {
            return Err(AppError::invalid("meeting", "This report was decided already."));
        }
        log(&mut tx, meeting.id, self.now, organiser, "dispute decided", decision).await?;
        for ticket in [meeting.requester_ticket_id, meeting.recipient_ticket_id] {
            let person = self.ticket_holder("meeting", ticket).await?;
            let mail = self.mail(
                &person,
                format!("The organisers decided on your meeting at {}", self.event.title),
                format!(
                    "a no-show was reported for a meeting that was confirmed at the table ({}). The organisers decided: {}.",
                    crate::events::when::day_and_time(meeting.starts_at, self.zone()),
                    if held { "it was held" } else { "it was not held, and does not count" }
                ),
            );
            self.enqueue(&mut tx, &mail).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The person's meetings of the event, newest slot last, as the meetings page shows them
    /// (three queries, however many meetings).
    pub async fn meetings_of(&self, me: &ParticipantRow) -> Result<Vec<MeetingCard>, AppError> {
        expire_overdue(self.db, self.session, self.now).await?;
        let rows: Vec<MeetingRow> = db_run!(self.db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{MEETING_SELECT} where m.event_id = $1 and (m.requester_ticket_id = $2 or m.recipient_ticket_id = $2)
              order by s.starts_at, m.id"
        )))
        .bind(self.event.id)
        .bind(me.ticket_id)
        .fetch_all(pool)
        .await)?;
        // The partners (their tickets may have been cancelled since: the meetings stay theirs).
        let partners: Vec<ParticipantRow> = db_run!(self.db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PARTICIPANT_SELECT} where t.id in (
                 select case when m.requester_ticket_id = $2 then m.recipient_ticket_id else m.requester_ticket_id end
                   from meetings m
                  where m.event_id = $1 and (m.requester_ticket_id = $2 or m.recipient_ticket_id = $2))"
        )))
        .bind(self.event.id)
        .bind(me.ticket_id)
        .fetch_all(pool)
        .await)?;
        let arrived: Vec<i64> = db_run!(self.db, |pool| {
            sqlx::query_scalar(
            "select distinct c.ticket_id from checkins c join tickets t on t.id = c.ticket_id
              where t.event_id = $1 and c.direction = 'entry' and c.undone_at is null
                and (c.ticket_id = $2 or c.ticket_id in (
                     select case when m.requester_ticket_id = $2 then m.recipient_ticket_id else m.requester_ticket_id end
                       from meetings m
                      where m.event_id = $1 and (m.requester_ticket_id = $2 or m.recipient_ticket_id = $2)))"
        )
        .bind(self.event.id)
        .bind(me.ticket_id)
        .fetch_all(pool)
        .await
        })?;
        let mut cards = Vec::with_capacity(rows.len());
        for row in rows {
            let other =
                if row.requester_ticket_id == me.ticket_id { row.recipient_ticket_id } else { row.requester_ticket_id };
            let partner = partners
                .iter()
                .find(|p| p.ticket_id == other)
                .ok_or_else(|| AppError::NotFound("The other participant".into()))?;
            let both_arrived = arrived.contains(&me.ticket_id) && arrived.contains(&other);
            cards.push(row.card(me.ticket_id, partner.partner(), both_arrived, self.zone(), self.now));
        }
        Ok(cards)
    }
}

/// How many requests or agreed meetings the two people have with each other (either way round).
async fn planned_between(db: &Db, a: i64, b: i64) -> Result<i64, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_scalar(
        "select count(*) from meetings
          where status in ($3, $4)
            and ((requester_ticket_id = $1 and recipient_ticket_id = $2)
              or (requester_ticket_id = $2 and recipient_ticket_id = $1))"
    )
    .bind(a)
    .bind(b)
    .bind(MeetingStatus::Requested)
    .bind(MeetingStatus::Accepted)
    .fetch_one(pool)
    .await)?)
}

/// "Table 3 (B2B area)"
pub fn table_label(number: i64, location: &str) -> String {
    if location.is_empty() {
        format!("Table {number}")
    } else {
        format!("Table {number} ({location})")
    }
}

#[derive(FromRow)]
struct InvitationRow {
    sequence: i64,
    updated_at: i64,
    status: MeetingStatus,
    starts_at: i64,
    ends_at: i64,
    table_number: Option<i64>,
    table_location: String,
}

/// The meeting's time, place, state and calendar sequence as this transaction sees them.
async fn meeting_facts_in(tx: &mut Tx, meeting_id: i64) -> Result<InvitationRow, AppError> {
    Ok(tx_run!(tx, |conn| sqlx::query_as(
        "select m.sequence, m.updated_at, m.status, s.starts_at, s.ends_at, t.number as table_number,
                coalesce(t.location, '') as table_location
           from meetings m join b2b_slots s on s.id = m.slot_id left join b2b_tables t on t.id = m.table_id
          where m.id = $1"
    )
    .bind(meeting_id)
    .fetch_one(&mut *conn)
    .await)?)
}

/// Frees the slot of an accepted meeting for both people, and their count of meetings.
async fn release_seats(tx: &mut Tx, meeting_id: i64) -> Result<(), AppError> {
    let seated: Vec<i64> =
        tx_run!(tx, |conn| sqlx::query_scalar("delete from meeting_seats where meeting_id = $1 returning ticket_id")
            .bind(meeting_id)
            .fetch_all(&mut *conn)
            .await)?;
    for ticket in seated {
        tx_run!(tx, |conn| sqlx::query(
            "update b2b_people set accepted = accepted - 1 where ticket_id = $1 and accepted > 0"
        )
        .bind(ticket)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

/// Who sits where: the two people, whose point of view refusals take ("you"), and the table
/// chosen by an organiser (or the first free one).
struct Seating<'p> {
    field: &'static str,
    people: [&'p ParticipantRow; 2],
    viewer: Option<i64>,
    table: Option<i64>,
}

/// What a seating attempt came to: done or refused (`Some`), or, when a simultaneous step took
/// the table it picked and attempts remain, `None`: try again.
fn settle<T>(attempt: usize, result: Result<T, Retry>) -> Option<Result<T, AppError>> {
    match result {
        Err(Retry::TableTaken) if attempt < TABLE_ATTEMPTS => None,
        Err(Retry::TableTaken) => {
            Some(Err(AppError::invalid("meeting", "The tables of this slot are being booked; try again.")))
        }
        Err(Retry::Refused(error)) => Some(Err(error)),
        Ok(done) => Some(Ok(done)),
    }
}

enum Retry {
    /// A simultaneous acceptance took the table this one picked: pick again.
    TableTaken,
    Refused(AppError),
}

impl From<sqlx::Error> for Retry {
    fn from(error: sqlx::Error) -> Retry {
        Retry::Refused(error.into())
    }
}

impl From<AppError> for Retry {
    fn from(error: AppError) -> Retry {
        Retry::Refused(error)
    }
}

#[derive(Clone, Debug, FromRow)]
pub struct MeetingRow {
    pub id: i64,
    pub slot_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub table_id: Option<i64>,
    pub table_number: Option<i64>,
    pub table_location: Option<String>,
    pub requester_ticket_id: i64,
    pub recipient_ticket_id: i64,
    pub status: MeetingStatus,
    pub message: String,
    pub reason: String,
    pub awaiting_ticket_id: Option<i64>,
    pub held_confirmed_at: Option<i64>,
    pub no_show_reported_at: Option<i64>,
    pub dispute_decision: Option<String>,
}

const MEETING_SELECT: &str = "select m.id, m.slot_id, s.starts_at, s.ends_at, m.table_id, t.number as table_number,
        t.location as table_location, m.requester_ticket_id, m.recipient_ticket_id, m.status, m.message, m.reason,
        m.awaiting_ticket_id, m.held_confirmed_at, m.no_show_reported_at, m.dispute_decision
   from meetings m join b2b_slots s on s.id = m.slot_id left join b2b_tables t on t.id = m.table_id";

impl MeetingRow {
    /// Confirmed at the table, and not ruled out by the organisers.
    fn held(&self) -> bool {
        self.held_confirmed_at.is_some() && self.dispute_decision.as_deref() != Some("not held")
    }

    /// Confirmed at the table and reported as missed, and not decided yet.
    fn disputed(&self) -> bool {
        self.held_confirmed_at.is_some() && self.no_show_reported_at.is_some() && self.dispute_decision.is_none()
    }

    fn card(&self, me: i64, partner: PartnerRef, both_checked_in: bool, tz: &TimeZone, now: i64) -> MeetingCard {
        let slot = (self.starts_at, self.ends_at);
        MeetingCard {
            id: self.id,
            status: self.status,
            partner,
            when: format!("{}, {}", crate::events::when::day_label(self.starts_at, tz), rules::slot_times(slot, tz)),
            starts_at: self.starts_at,
            table: self.table_number.map(|n| match self.table_location.as_deref() {
                Some(place) if !place.is_empty() => format!("Table {n} ({place})"),
                _ => format!("Table {n}"),
            }),
            message: self.message.clone(),
            reason: self.reason.clone(),
            i_requested: self.requester_ticket_id == me,
            awaiting_me: self.status == MeetingStatus::Requested && self.awaiting_ticket_id == Some(me),
            held_confirmed: self.held(),
            verified_held: rules::verified_held(
                self.held_confirmed_at.is_some(),
                self.no_show_reported_at.is_some(),
                self.dispute_decision.as_deref(),
                both_checked_in,
            ),
            disputed: self.disputed(),
            no_show_reported: self.no_show_reported_at.is_some(),
            may_confirm_held: self.status == MeetingStatus::Accepted
                && self.held_confirmed_at.is_none()
                && rules::may_confirm_held(slot, now).is_ok(),
        }
    }
}

/// Counts for the organisers: meetings per state, held, no-shows reported.
#[derive(Clone, Debug, Default, FromRow)]
pub struct MeetingCounts {
    pub requested: i64,
    pub accepted: i64,
    pub declined: i64,
    pub cancelled: i64,
    pub held: i64,
    pub no_shows: i64,
    /// No-show reports against a confirmation, waiting for the organisers' decision.
    pub disputed: i64,
}

pub async fn counts(db: &Db, event_id: i64) -> Result<MeetingCounts, AppError> {
    Ok(db_run!(db, |pool| {
        sqlx::query_as(
        "select coalesce(sum(case when status = 'requested' then 1 else 0 end), 0) as requested,
                coalesce(sum(case when status = 'accepted' then 1 else 0 end), 0) as accepted,
                coalesce(sum(case when status = 'declined' then 1 else 0 end), 0) as declined,
                coalesce(sum(case when status = 'cancelled' then 1 else 0 end), 0) as cancelled,
                coalesce(sum(case when status = 'accepted' and held_confirmed_at is not null
                                   and (dispute_decision is null or dispute_decision = 'held') then 1 else 0 end), 0) as held,
                coalesce(sum(case when no_show_reported_at is not null then 1 else 0 end), 0) as no_shows,
                coalesce(sum(case when held_confirmed_at is not null and no_show_reported_at is not null
                                   and dispute_decision is null then 1 else 0 end), 0) as disputed
           from meetings where event_id = $1"
    )
    .bind(event_id)
    .fetch_one(pool)
    .await
    })?)
}

/// Who meets whom: (slot id, table number, the two names) of every accepted meeting.
pub async fn grid(db: &Db, event_id: i64) -> Result<Vec<(i64, i64, String, String)>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select m.slot_id, t.number, a.attendee_name, b.attendee_name
           from meetings m join b2b_tables t on t.id = m.table_id
           join tickets a on a.id = m.requester_ticket_id join tickets b on b.id = m.recipient_ticket_id
          where m.event_id = $1 and m.status = 'accepted'
          order by m.slot_id, t.number"
    )
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

/// One meeting as the organisers' export lists it.
#[derive(Clone, Debug, FromRow)]
pub struct ExportRow {
    pub id: i64,
    pub status: MeetingStatus,
    pub starts_at: i64,
    pub ends_at: i64,
    pub table_number: Option<i64>,
    pub requester_ticket_id: i64,
    pub requester: String,
    pub requester_organisation: String,
    pub requester_cluster: Option<String>,
    pub requester_country: String,
    pub recipient_ticket_id: i64,
    pub recipient: String,
    pub recipient_organisation: String,
    pub recipient_cluster: Option<String>,
    pub recipient_country: String,
    pub held_confirmed_at: Option<i64>,
    pub no_show_reported_at: Option<i64>,
    pub dispute_decision: Option<String>,
}

pub async fn export(db: &Db, event_id: i64) -> Result<Vec<ExportRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select m.id, m.status, s.starts_at, s.ends_at, t.number as table_number,
                a.id as requester_ticket_id, a.attendee_name as requester, a.organisation as requester_organisation,
                ca.name as requester_cluster, a.country as requester_country,
                b.id as recipient_ticket_id, b.attendee_name as recipient, b.organisation as recipient_organisation,
                cb.name as recipient_cluster, b.country as recipient_country,
                m.held_confirmed_at, m.no_show_reported_at, m.dispute_decision
           from meetings m join b2b_slots s on s.id = m.slot_id left join b2b_tables t on t.id = m.table_id
           join tickets a on a.id = m.requester_ticket_id left join clusters ca on ca.id = a.cluster_id
           join tickets b on b.id = m.recipient_ticket_id left join clusters cb on cb.id = b.cluster_id
          where m.event_id = $1
          order by s.starts_at, t.number, m.id"
    )
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

/// Agreed and held meetings between the clusters of their two people, each pair once
/// (alphabetical), with people outside the clusters under "none".
pub async fn cluster_pairs(db: &Db, event_id: i64) -> Result<Vec<(String, String, i64, i64)>, AppError> {
    let rows: Vec<(Option<String>, Option<String>, Option<i64>)> = db_run!(db, |pool| sqlx::query_as(
        "select ca.name, cb.name,
                case when m.dispute_decision = 'not held' then null else m.held_confirmed_at end
           from meetings m
           join tickets a on a.id = m.requester_ticket_id left join clusters ca on ca.id = a.cluster_id
           join tickets b on b.id = m.recipient_ticket_id left join clusters cb on cb.id = b.cluster_id
          where m.event_id = $1 and m.status = 'accepted'"
    )
    .bind(event_id)
    .fetch_all(pool)
    .await)?;
    let mut pairs: Vec<(String, String, i64, i64)> = Vec::new();
    for (a, b, held) in rows {
        let (a, b) = (a.unwrap_or_else(|| "none".into()), b.unwrap_or_else(|| "none".into()));
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        match pairs.iter_mut().find(|(x, y, _, _)| *x == a && *y == b) {
            Some(pair) => {
                pair.2 += 1;
                pair.3 += i64::from(held.is_some());
            }
            None => pairs.push((a, b, 1, i64::from(held.is_some()))),
        }
    }
    pairs.sort();
    Ok(pairs)
}

/// An agreed meeting as the organisers' meetings desk lists it.
#[derive(Clone, Debug, FromRow)]
pub struct DeskRow {
    pub id: i64,
    pub slot_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub table_id: Option<i64>,
    pub table_number: Option<i64>,
    pub requester: String,
    pub recipient: String,
    pub held_confirmed_at: Option<i64>,
    pub confirmed_by: Option<String>,
    pub no_show_reported_at: Option<i64>,
    pub reported_by: Option<String>,
    pub dispute_decision: Option<String>,
}

/// Every agreed meeting of the event, in slot and table order.
pub async fn agreed(db: &Db, event_id: i64) -> Result<Vec<DeskRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(
        "select m.id, m.slot_id, s.starts_at, s.ends_at, m.table_id, t.number as table_number,
                a.attendee_name as requester, b.attendee_name as recipient,
                m.held_confirmed_at, hc.attendee_name as confirmed_by,
                m.no_show_reported_at, ns.attendee_name as reported_by, m.dispute_decision
           from meetings m join b2b_slots s on s.id = m.slot_id left join b2b_tables t on t.id = m.table_id
           join tickets a on a.id = m.requester_ticket_id join tickets b on b.id = m.recipient_ticket_id
           left join tickets hc on hc.id = m.held_confirmed_by left join tickets ns on ns.id = m.no_show_reported_by
          where m.event_id = $1 and m.status = 'accepted'
          order by s.starts_at, t.number, m.id"
    )
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

/// Confirmed ticket holders of the event, listed or not, for organisers booking meetings.
pub async fn ticket_holders(db: &Db, event_id: i64) -> Result<Vec<ParticipantRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PARTICIPANT_SELECT} where t.event_id = $1 and t.status = 'confirmed' order by lower(t.attendee_name), t.id"
    )))
    .bind(event_id)
    .fetch_all(pool)
    .await)?)
}

#[cfg(test)]
mod tests {
    use super::{MeetingStatus, SEATED};

    #[test]
    fn the_seated_condition_is_the_one_per_table_index_s() {
        assert_eq!(MeetingStatus::Accepted.code(), "accepted");
        let condition = SEATED.replace("m.", "");
        for backend in ["sqlite", "postgres"] {
            let path = format!("{}/../migrations/{backend}/0009_meetings.sql", env!("CARGO_MANIFEST_DIR"));
            let migration = std::fs::read_to_string(&path).unwrap();
            let index = migration
                .lines()
                .find(|line| line.contains("index meetings_one_per_table"))
                .unwrap_or_else(|| panic!("{path} has no meetings_one_per_table"));
            assert!(index.trim_end().ends_with(&format!("where {condition};")), "{path}: {index}");
        }
    }
}

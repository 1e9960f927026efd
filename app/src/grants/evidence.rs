//! What a grant rests on (server only): the evidence pack of an application (each counted
//! meeting with both participants, both check-in times, the held confirmation, and the verdict
//! as it was at approval) as CSV and JSON, and the closing report with its evidence files, each
//! checked by its content and size.

use axum::{
    extract::{DefaultBodyLimit, Multipart, Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use super::flow::{self, Step, Viewer};
use super::store;
use crate::accounts::access::SignedIn;
use crate::db_run;
use crate::error::AppError;
use crate::platform::{spreadsheet_safe, Db};
use crate::state::AppState;

/// The largest evidence file accepted, and the most files one report carries.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_FILES: usize = 5;

/// An evidence file whose content was checked.
#[derive(Clone, Debug)]
pub struct EvidenceFile {
    pub name: String,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Accepts a PDF document or a PNG, JPEG or WebP image, recognised by what the file holds (not
/// its name or the browser's word for it), of at most 5 MB: a PDF must start with its header
/// and end with its end-of-file marker; an image must decode.
pub fn check_file(name: &str, body: Vec<u8>) -> Result<EvidenceFile, AppError> {
    let name = clean_name(name);
    let refuse = |why: String| Err(AppError::invalid("evidence", why));
    if body.is_empty() {
        return refuse(format!("{name} is empty."));
    }
    if body.len() > MAX_FILE_BYTES {
        return refuse(format!("{name} is larger than 5 MB."));
    }
    if body.starts_with(b"%PDF-") {
        let tail = &body[body.len().saturating_sub(2048)..];
        if !tail.windows(5).any(|w| w == b"%%EOF") {
            return refuse(format!("{name} is not a complete PDF document."));
        }
        return Ok(EvidenceFile { name, content_type: "application/pdf", body });
    }
    match crate::agenda::photos::decode_image(&body, "evidence") {
        Ok((format, _)) => Ok(EvidenceFile { name, content_type: format.to_mime_type(), body }),
        Err(_) => refuse(format!("{name} is neither a PDF document nor a PNG, JPEG or WebP image.")),
    }
}

/// The file's own name without any folder, quotes or control characters, at most 100 characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | ';')).take(100).collect::<String>();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() {
        "evidence".to_string()
    } else {
        cleaned
    }
}

/// One counted meeting, as the pack shows it. Instants are seconds since the epoch (UTC).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, FromRow)]
pub struct PackMeeting {
    pub meeting: i64,
    pub event: String,
    pub slot_starts_at: i64,
    pub table_number: Option<i64>,
    pub requester: String,
    pub requester_organisation: String,
    pub requester_country: Option<String>,
    pub requester_checked_in_at: Option<i64>,
    pub recipient: String,
    pub recipient_organisation: String,
    pub recipient_country: Option<String>,
    pub recipient_checked_in_at: Option<i64>,
    pub held_confirmed_at: Option<i64>,
    /// Who scanned the other's badge at the table.
    pub held_confirmed_by: Option<String>,
}

/// The evidence pack of an application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pack {
    pub application: i64,
    pub organisation: String,
    pub applicant: String,
    pub amount_cents: i64,
    /// When the verdict was taken: at approval, or (before one) when the pack was read.
    pub verdict_at: i64,
    pub at_approval: bool,
    pub eligible: bool,
    /// Every rule: (rule, passed, detail).
    pub rules: Vec<(String, bool, String)>,
    pub meetings: Vec<PackMeeting>,
}

/// The pack as it stands now: the applicant's verdict under the programme's rules, and the facts
/// of each meeting that counts.
pub async fn take(
    db: &Db,
    programme: &super::rules::Programme,
    row: &store::ApplicationRow,
    now: i64,
) -> Result<Pack, AppError> {
    let store::MemberVerdict { verdict, .. } = store::verdict_of(db, programme, row.applicant_user_id).await?;
    let mut meetings = Vec::with_capacity(verdict.counted.len());
    for id in &verdict.counted {
        let facts: Option<PackMeeting> = db_run!(db, |pool| sqlx::query_as(
            "select m.id as meeting, e.title as event, s.starts_at as slot_starts_at, t.number as table_number,
                    tr.attendee_name as requester, tr.organisation as requester_organisation,
                    cr.country as requester_country,
                    (select min(c.scanned_at) from checkins c where c.ticket_id = tr.id and c.direction = 'entry'
                        and c.undone_at is null) as requester_checked_in_at,
                    tq.attendee_name as recipient, tq.organisation as recipient_organisation,
                    cq.country as recipient_country,
                    (select min(c.scanned_at) from checkins c where c.ticket_id = tq.id and c.direction = 'entry'
                        and c.undone_at is null) as recipient_checked_in_at,
                    m.held_confirmed_at, tb.attendee_name as held_confirmed_by
               from meetings m join events e on e.id = m.event_id join b2b_slots s on s.id = m.slot_id
               left join b2b_tables t on t.id = m.table_id
               join tickets tr on tr.id = m.requester_ticket_id join tickets tq on tq.id = m.recipient_ticket_id
               left join clusters cr on cr.id = tr.cluster_id left join clusters cq on cq.id = tq.cluster_id
               left join tickets tb on tb.id = m.held_confirmed_by
              where m.id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        meetings.extend(facts);
    }
    Ok(Pack {
        application: row.id,
        organisation: row.organisation.clone(),
        applicant: row.applicant_name.clone(),
        amount_cents: row.amount,
        verdict_at: now,
        at_approval: false,
        eligible: verdict.eligible,
        rules: verdict.checks.into_iter().map(|c| (c.rule, c.passed, c.detail)).collect(),
        meetings,
    })
}

/// The pack kept at approval, or (before one) the pack as it stands now.
pub async fn pack(db: &Db, programme: &super::rules::Programme, row: &store::ApplicationRow) -> Result<Pack, AppError> {
    let kept = store::kept_evidence(db, row.id).await?;
    match serde_json::from_str::<Pack>(&kept) {
        Ok(pack) => Ok(pack),
        Err(_) => take(db, programme, row, crate::platform::now()).await,
    }
}

/// The pack as a spreadsheet: one row per counted meeting, the verdict's rules after them.
/// Names and organisations are typed by people: formula-safe.
pub fn pack_csv(pack: &Pack) -> Result<String, AppError> {
    let fail = |e: csv::Error| crate::platform::error::internal("evidence csv", e);
    let utc = |at: Option<i64>| {
        at.and_then(|at| jiff::Timestamp::from_second(at).ok()).map(|t| t.to_string()).unwrap_or_default()
    };
    // The verdict's lines after the meetings are shorter rows.
    let mut out = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    out.write_record([
        "meeting",
        "event",
        "slot_start_utc",
        "table",
        "requester",
        "requester_organisation",
        "requester_country",
        "requester_checked_in_utc",
        "recipient",
        "recipient_organisation",
        "recipient_country",
        "recipient_checked_in_utc",
        "held_confirmed_utc",
        "held_confirmed_by",
    ])
    .map_err(fail)?;
    for m in &pack.meetings {
        out.write_record([
            m.meeting.to_string(),
            spreadsheet_safe(&m.event),
            utc(Some(m.slot_starts_at)),
            m.table_number.map(|n| n.to_string()).unwrap_or_default(),
            spreadsheet_safe(&m.requester),
            spreadsheet_safe(&m.requester_organisation),
            m.requester_country.clone().unwrap_or_default(),
            utc(m.requester_checked_in_at),
            spreadsheet_safe(&m.recipient),
            spreadsheet_safe(&m.recipient_organisation),
            m.recipient_country.clone().unwrap_or_default(),
            utc(m.recipient_checked_in_at),
            utc(m.held_confirmed_at),
            spreadsheet_safe(m.held_confirmed_by.as_deref().unwrap_or_default()),
        ])
        .map_err(fail)?;
    }
    let when = if pack.at_approval { "at approval" } else { "now (not approved yet)" };
    out.write_record([
        format!("verdict {when}"),
        utc(Some(pack.verdict_at)),
        if pack.eligible { "eligible" } else { "not eligible" }.into(),
    ])
    .map_err(fail)?;
    for (rule, passed, detail) in &pack.rules {
        out.write_record([
            if *passed { "passed" } else { "failed" }.to_string(),
            spreadsheet_safe(rule),
            spreadsheet_safe(detail),
        ])
        .map_err(fail)?;
    }
    out.flush().map_err(|e| crate::platform::error::internal("evidence csv", e))?;
    String::from_utf8(out.into_inner().map_err(|e| crate::platform::error::internal("evidence csv", e))?)
        .map_err(|e| crate::platform::error::internal("evidence csv", e))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/grants/applications/{id}/evidence.csv", get(pack_csv_download))
        .route("/grants/applications/{id}/evidence.json", get(pack_json_download))
        .route("/grants/applications/{id}/files/{file}", get(file_download))
        .route(
            "/grants/applications/{id}/report",
            // Room for the multipart framing around the most and largest files accepted.
            post(upload_report).layer(DefaultBodyLimit::max(MAX_FILES * MAX_FILE_BYTES + 256 * 1024)),
        )
}

/// The application with what the signed-in person is to it; 404 for anyone who may not see it.
async fn seen(
    state: &AppState,
    principal: &crate::accounts::Principal,
    id: &str,
) -> Result<(store::ApplicationRow, Viewer), AppError> {
    let missing = || AppError::NotFound("This application".into());
    let id: i64 = id.parse().map_err(|_| missing())?;
    let row = store::application(&state.db, id).await?.ok_or_else(missing)?;
    let viewer = Viewer::of(&state.db, principal, &row).await?;
    if !viewer.sees() {
        return Err(missing());
    }
    Ok((row, viewer))
}

/// The evidence pack is for the visitor's cluster organisers and the partnership's admins.
async fn reviewed(
    state: &AppState,
    principal: &crate::accounts::Principal,
    id: &str,
) -> Result<(store::ApplicationRow, Pack), AppError> {
    let (row, viewer) = seen(state, principal, id).await?;
    if !viewer.reviewer {
        return Err(AppError::NotFound("This application".into()));
    }
    let programme = store::current(&state.db).await?.ok_or_else(|| AppError::NotFound("The programme".into()))?;
    let pack = pack(&state.db, &programme.rules, &row).await?;
    Ok((row, pack))
}

async fn pack_csv_download(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (row, pack) = reviewed(&state, &principal, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"grant-{}-evidence.csv\"", row.id)),
        ],
        pack_csv(&pack)?,
    )
        .into_response())
}

async fn pack_json_download(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (row, pack) = reviewed(&state, &principal, &id).await?;
    Ok((
        [(header::CONTENT_DISPOSITION, format!("attachment; filename=\"grant-{}-evidence.json\"", row.id))],
        axum::Json(pack),
    )
        .into_response())
}

/// An evidence file, for the applicant and the reviewers, always as a download of the type its
/// content was recognised as.
async fn file_download(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (row, viewer) = seen(&state, &principal, &id).await?;
    let missing = || AppError::NotFound("This file".into());
    if !(viewer.applicant || viewer.reviewer) {
        return Err(missing());
    }
    let file: i64 = file.parse().map_err(|_| missing())?;
    let (name, content_type, body) = store::evidence_file(&state.db, row.id, file).await?.ok_or_else(missing)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        body,
    )
        .into_response())
}

/// The closing report: a plain multipart form post (`csrf`, `report`, and up to five `evidence`
/// files) so it works without JavaScript. Every file is checked before anything is written;
/// one bad file refuses the whole report. Browsers are sent back to the application's page with
/// the outcome; other clients get a status.
async fn upload_report(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let (row, viewer) = seen(&state, &principal, &id).await?;
    let outcome = async {
        if !viewer.may(Step::Report) {
            return Err(AppError::Forbidden);
        }
        let too_large =
            || AppError::invalid("evidence", "The upload was interrupted or too large (at most five files of 5 MB).");
        let mut report = String::new();
        let mut uploads = Vec::new();
        while let Some(field) = form.next_field().await.map_err(|_| too_large())? {
            match field.name() {
                Some("report") => report = field.text().await.map_err(|_| too_large())?,
                Some("evidence") => {
                    let name = field.file_name().unwrap_or_default().to_string();
                    let body = field.bytes().await.map_err(|_| too_large())?.to_vec();
                    // A file input left empty still sends a part, with no name and no bytes.
                    if !(name.is_empty() && body.is_empty()) {
                        uploads.push((name, body));
                    }
                }
                _ => {}
            }
        }
        let report = report.trim().to_string();
        if report.is_empty() || report.chars().count() > 10_000 {
            return Err(AppError::invalid("report", "Write the report (at most 10,000 characters)."));
        }
        if uploads.is_empty() || uploads.len() > MAX_FILES {
            return Err(AppError::invalid("evidence", "Attach between one and five evidence files (PDF or images)."));
        }
        let files = tokio::task::spawn_blocking(move || {
            uploads.into_iter().map(|(name, body)| check_file(&name, body)).collect::<Result<Vec<_>, _>>()
        })
        .await??;
        let details = flow::Details { report: Some((&report, &files)), ..Default::default() };
        flow::advance(
            &state.db,
            &state.settings.public_url,
            row.id,
            Step::Report,
            principal.user_id,
            details,
            crate::platform::now(),
        )
        .await
    }
    .await;
    let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    let page = format!("/grants/applications/{}", row.id);
    match (outcome, wants_html) {
        (Ok(()), true) => Ok(Redirect::to(&format!("{page}?report=sent")).into_response()),
        (Ok(()), false) => Ok(StatusCode::NO_CONTENT.into_response()),
        (Err(AppError::Invalid { message, .. }), true) => {
            Ok(Redirect::to(&format!("{page}?report_error={}", crate::components::url_encode(&message)))
                .into_response())
        }
        (Err(e), _) => Err(e),
    }
}

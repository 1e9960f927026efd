//! B2B routes that are not pages: the organisers' export of all meetings of their event.

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use super::store;
use crate::accounts::access::{self, SignedIn};
use crate::error::AppError;
use crate::platform::spreadsheet_safe;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/organise/{slug}/b2b/meetings.csv", get(meetings_csv))
}

/// Every meeting of the event with both people, slot (UTC and the event's zone), table and the
/// held confirmation. Names and organisations are typed by people: formula-safe.
async fn meetings_csv(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let event = access::organiser_of(&state.db, &principal, &slug).await?;
    let rows = store::export(&state.db, event.id).await?;
    let tz = &event.window.zone;
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| crate::platform::error::internal("meetings csv", e);
    out.write_record([
        "meeting",
        "status",
        "slot_start_utc",
        "slot_local",
        "table",
        "requester_ticket",
        "requester",
        "requester_organisation",
        "requester_cluster",
        "requester_country",
        "recipient_ticket",
        "recipient",
        "recipient_organisation",
        "recipient_cluster",
        "recipient_country",
        "held_confirmed_at_utc",
        "no_show_reported",
        "organisers_decision",
    ])
    .map_err(fail)?;
    let utc = |at: i64| jiff::Timestamp::from_second(at).unwrap_or_default().to_string();
    for m in rows {
        out.write_record([
            m.id.to_string(),
            m.status.code().to_string(),
            utc(m.starts_at),
            format!(
                "{}, {}",
                crate::events::when::day_label(m.starts_at, tz),
                super::rules::slot_times((m.starts_at, m.ends_at), tz)
            ),
            m.table_number.map(|n| n.to_string()).unwrap_or_default(),
            m.requester_ticket_id.to_string(),
            spreadsheet_safe(&m.requester),
            spreadsheet_safe(&m.requester_organisation),
            m.requester_cluster.unwrap_or_default(),
            spreadsheet_safe(&m.requester_country),
            m.recipient_ticket_id.to_string(),
            spreadsheet_safe(&m.recipient),
            spreadsheet_safe(&m.recipient_organisation),
            m.recipient_cluster.unwrap_or_default(),
            spreadsheet_safe(&m.recipient_country),
            m.held_confirmed_at.map(utc).unwrap_or_default(),
            if m.no_show_reported_at.is_some() { "yes" } else { "no" }.to_string(),
            m.dispute_decision.unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    let body = out.into_inner().map_err(|e| crate::platform::error::internal("meetings csv", e))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{slug}-meetings.csv\"")),
        ],
        body,
    )
        .into_response())
}

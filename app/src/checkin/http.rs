//! The check-in routes that are not pages: the device API (bearer tokens of registered devices,
//! or a scanner's signed-in session with its CSRF token in `X-CSRF-Token`), its OpenAPI
//! description, and the organisers' list form (a plain form post, since it sends a set of
//! ticket types as repeated fields).

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Json, Router,
};
use serde::Deserialize;

use super::rules::ScanOutcome;
use super::store::{self, ListDraft, Scan};
use crate::accounts::access::{self, SignedIn};
use crate::accounts::session::principal_for_request;
use crate::badges::code;
use crate::components::url_encode;
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/events/{slug}/checkin-lists", get(lists))
        .route("/api/v1/events/{slug}/checkin-lists/{list}/offline", get(offline))
        .route("/api/v1/events/{slug}/checkin-lists/{list}/redeem", post(redeem))
        .route("/api/v1/events/{slug}/checkins/{id}/undo", post(undo))
        .route("/organise/{slug}/checkin/lists", post(save_list))
}

/// Who is calling the device API.
struct Scanner {
    event_id: i64,
    device: String,
}

/// A device's bearer token, or a scanner's session (whose writes carry the CSRF token, checked
/// in front of every route by `platform::web::guard`).
async fn scanner(state: &AppState, headers: &HeaderMap, slug: &str) -> Result<Scanner, AppError> {
    if let Some(token) = bearer(headers) {
        let event = crate::events::store::load(&state.db, slug).await?;
        let device = store::device_for_token(&state.db, token).await?.ok_or(AppError::SignInRequired)?;
        if device.event_id != event.id {
            return Err(AppError::Forbidden);
        }
        return Ok(Scanner { event_id: event.id, device: device.label });
    }
    let principal = principal_for_request(&state.db, headers, state.settings.secure_cookies)
        .await?
        .ok_or(AppError::SignInRequired)?;
    let event = access::scanner_of(&state.db, &principal, slug).await?;
    Ok(Scanner { event_id: event.id, device: format!("API ({})", principal.display_name) })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

fn list_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::NotFound("This check-in list".into()))
}

async fn lists(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let scanner = scanner(&state, &headers, &slug).await?;
    let lists = store::lists(&state.db, scanner.event_id).await?;
    let body: Vec<serde_json::Value> = lists
        .into_iter()
        .map(|l| {
            serde_json::json!({
                "id": l.row.id,
                "name": l.row.name,
                "kind": l.row.kind,
                "multi_entry": l.row.multi_entry,
                "admitted_ticket_types": l.admitted,
            })
        })
        .collect();
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
struct OfflineQuery {
    /// The `made_at` of the copy the device holds: only what changed since is sent.
    since: Option<i64>,
}

async fn offline(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((slug, list)): Path<(String, String)>,
    query: Result<Query<OfflineQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let scanner = scanner(&state, &headers, &slug).await?;
    let Query(query) = query.map_err(|_| AppError::invalid("since", "`since` must be a whole number of seconds."))?;
    let list = store::scan_list(&state.db, scanner.event_id, list_id(&list)?).await?;
    Ok(Json(store::offline_bundle(&state, &list, query.since).await?).into_response())
}

#[derive(Deserialize)]
struct RedeemBody {
    code: Option<String>,
    ticket_id: Option<i64>,
    idempotency_key: Option<String>,
    direction: Option<String>,
    scanned_at: Option<i64>,
    #[serde(default)]
    offline: bool,
}

async fn redeem(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((slug, list)): Path<(String, String)>,
    body: Result<Json<RedeemBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ScanOutcome>, AppError> {
    let list_id = list_id(&list)?;
    // The door's hot path: a registered device scanning its own event's list, and the ticket
    // the scan names, are one query. The code's signature is checked after, before anything
    // looked up is used.
    let named_ticket = body.as_ref().ok().and_then(|Json(body)| match &body.code {
        Some(text) => code::read(text).ok().map(|read| read.code.ticket_id),
        None => body.ticket_id,
    });
    let station = match bearer(&headers) {
        Some(token) => store::device_station(&state.db, token, &slug, list_id, named_ticket).await?,
        None => None,
    };
    let (device, list, looked_up) = match station {
        Some(station) => (station.device.label, station.list, station.ticket),
        None => {
            let scanner = scanner(&state, &headers, &slug).await?;
            (scanner.device, store::scan_list(&state.db, scanner.event_id, list_id).await?, None)
        }
    };
    let Json(body) = body.map_err(|rejection| {
        AppError::invalid(
            "body",
            format!("The request body must be JSON as the API describes: {}", rejection.body_text()),
        )
    })?;
    let scan = Scan::parse(
        body.code,
        body.ticket_id,
        body.idempotency_key.as_deref().unwrap_or_default(),
        body.direction.as_deref().unwrap_or_default(),
        body.scanned_at,
        body.offline,
    )?;
    Ok(Json(store::redeem(&state, &list, &scan, &device, looked_up).await?))
}

async fn undo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let scanner = scanner(&state, &headers, &slug).await?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound("This check-in".into()))?;
    store::undo(&state.db, scanner.event_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisers' "add a list" form: repeated `admits` fields carry the ticket types.
async fn save_list(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Path(slug): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let event = access::organiser_of(&state.db, &principal, &slug).await?;
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let mut admits = Vec::new();
    for (_, value) in fields.iter().filter(|(k, _)| k == "admits") {
        admits.push(value.parse::<i64>().map_err(|_| AppError::invalid("admits", "Unknown ticket type."))?);
    }
    let back = format!("/organise/{slug}/checkin");
    let id = match field("id") {
        "" => None,
        id => Some(id.parse::<i64>().map_err(|_| AppError::NotFound("This check-in list".into()))?),
    };
    let saved = match ListDraft::parse(field("name"), field("kind"), field("multi_entry") == "on", admits) {
        Ok(draft) => store::save_list(&state.db, event.id, id, &draft).await,
        Err(error) => Err(error),
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(error @ AppError::Invalid { .. }) => {
            Ok(Redirect::to(&format!("{back}?error={}", url_encode(&error.to_string()))).into_response())
        }
        Err(error) => Err(error),
    }
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Written by hand, next to the handlers it describes; a test checks it parses and names them.
const OPENAPI: &str = include_str!("openapi.json");

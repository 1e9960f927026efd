//! Ticket routes that are not pages: the organiser's registration export and Stripe's webhook.

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};

use super::{rules::format_money, store};
use crate::accounts::access::{self, SignedIn};
use crate::error::AppError;
use crate::platform::spreadsheet_safe;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organise/{slug}/registrations.csv", get(registrations_csv))
        .route(crate::payments::webhook::PATH, post(crate::payments::webhook::receive))
}

async fn registrations_csv(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let event = access::organiser_of(&state.db, &principal, &slug).await?;
    let rows = store::registrations(&state.db, event.id, "", None).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, record: &[String]| {
        out.write_record(record).map_err(|e| crate::platform::error::internal("registrations csv", e))
    };
    write(
        &mut out,
        &[
            "ticket",
            "status",
            "ticket_type",
            "price",
            "name",
            "email",
            "organisation",
            "organisation_type",
            "cluster",
            "country",
            "role",
            "themes",
            "offers",
            "seeks",
            "directory",
            "registered_at",
            "voucher",
        ]
        .map(String::from),
    )?;
    for t in rows {
        let registered = jiff::Timestamp::from_second(t.created_at).unwrap_or_default().to_string();
        write(
            &mut out,
            &[
                t.id.to_string(),
                t.status.clone(),
                t.ticket_type.clone(),
                format_money(t.price_cents, &t.currency),
                spreadsheet_safe(&t.attendee_name),
                spreadsheet_safe(&t.email),
                spreadsheet_safe(&t.organisation),
                t.organisation_type.clone(),
                t.cluster_name.clone().unwrap_or_default(),
                spreadsheet_safe(&t.country),
                spreadsheet_safe(&t.job_role),
                t.themes.clone(),
                spreadsheet_safe(&t.offers),
                spreadsheet_safe(&t.seeks),
                if t.directory_consent { "yes" } else { "no" }.to_string(),
                registered,
                t.voucher_code.clone().unwrap_or_default(),
            ],
        )?;
    }
    let body = out.into_inner().map_err(|e| crate::platform::error::internal("registrations csv", e))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{slug}-registrations.csv\"")),
        ],
        body,
    )
        .into_response())
}

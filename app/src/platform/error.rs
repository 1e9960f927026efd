//! How server-side failures become an `AppError`: the detail is logged here, the person sees
//! only the safe message. Plain HTTP handlers answer with the same type as JSON.

use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::error::AppError;

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(err: tokio::task::JoinError) -> Self {
        tracing::error!(error = %err, "background task failed");
        AppError::Internal
    }
}

/// Logs an unexpected failure and turns it into the safe `Internal` error.
pub fn internal(context: &str, err: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %err, "{context}");
    AppError::Internal
}

/// Ends a server function: on error, answers programmatic callers with the error's status.
/// Plain form posts (which accept HTML) keep leptos' redirect back to the form, where the
/// error is shown.
pub fn reply<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        let accepts_html = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::ACCEPT).cloned())
            .and_then(|v| v.to_str().ok().map(|v| v.contains("text/html")))
            .unwrap_or(false);
        if !accepts_html {
            if let (Some(options), Ok(status)) =
                (leptos::prelude::use_context::<leptos_axum::ResponseOptions>(), StatusCode::from_u16(err.status()))
            {
                options.set_status(status);
            }
        }
    }
    result
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let field = match &self {
            AppError::Invalid { field, .. } => Some(field.clone()),
            _ => None,
        };
        let body = match field {
            Some(field) => serde_json::json!({ "error": self.to_string(), "field": field }),
            None => serde_json::json!({ "error": self.to_string() }),
        };
        (status, axum::Json(body)).into_response()
    }
}

impl AppError {
    /// The error's JSON answer with another status than its own.
    pub fn into_response_with(self, status: StatusCode) -> Response {
        let mut response = self.into_response();
        *response.status_mut() = status;
        response
    }
}

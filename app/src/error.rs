//! The one error type every server function returns. It crosses to the browser, so it carries
//! only what a person may see: a field name and a message, never SQL, paths or stack traces.
//! Server-side details are logged where the error is made (see `platform::error`).

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input that was refused: `field` names the form field, `message` says what is wrong.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("Please sign in first.")]
    SignInRequired,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("Too many attempts. Wait a few minutes and try again.")]
    TooManyAttempts,
    #[error("This form has expired. Reload the page and send it again.")]
    FormExpired,
    /// The server is at capacity for this kind of work; nothing was done.
    #[error("The server is busy. Please try again in a moment.")]
    Busy,
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The request never reached the server function, or its answer could not be read.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.to_string(), message: message.into() }
    }

    /// The message for one form field, if this error is about that field.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }

    /// A fault of the server or of the way to it (not a refusal of the request): the request
    /// may well succeed later, so a device keeps what it sent (the door scanner judges and
    /// queues the scan) instead of dropping it.
    pub fn is_server_fault(&self) -> bool {
        matches!(self, AppError::Internal | AppError::Busy | AppError::Transport(_))
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid { .. } => 422,
            AppError::SignInRequired => 401,
            AppError::Forbidden | AppError::FormExpired => 403,
            AppError::NotFound(_) => 404,
            AppError::TooManyAttempts => 429,
            AppError::Busy => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not parse are bad input from the form, not a server fault.
            ServerFnErrorErr::Args(detail) => AppError::invalid("form", format!("The form was incomplete: {detail}")),
            ServerFnErrorErr::Request(detail) | ServerFnErrorErr::Response(detail) => AppError::Transport(detail),
            other => AppError::Transport(other.to_string()),
        }
    }
}

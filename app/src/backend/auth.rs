//! Sessions, the signed-in principal, and CSRF protection.
//!
//! Sessions live in the database (so several server instances share them); the browser holds
//! a random token in an HttpOnly, SameSite=Lax cookie and the database only its SHA-256.
//! CSRF uses a double-submit token: a middleware gives every browser an `exx_csrf` cookie, forms
//! carry the same value in a hidden `csrf` field, and state-changing server functions compare
//! the two. A cross-site form cannot read the cookie, so it cannot send a matching field.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use cookie::{Cookie, SameSite};
use http::{
    header::{COOKIE, SET_COOKIE},
    request::Parts,
    HeaderMap, HeaderValue,
};
use leptos::prelude::*;
use sqlx::FromRow;

use super::{now, random_token, token_hash, AppState, Db};
use crate::accounts::{Principal, Role};
use crate::db_run;
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "exx_session";
pub const CSRF_COOKIE: &str = "exx_csrf";
/// How long a sign-in lasts.
pub const SESSION_SECONDS: i64 = 30 * 24 * 3600;

/// The CSRF token of the current request, put into the request extensions by `csrf_cookie`.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// Middleware: makes sure the browser has a CSRF cookie, and exposes its value to the page
/// being rendered (so forms can embed it even on the very first visit).
pub async fn csrf_cookie(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let existing = cookie_value(request.headers(), CSRF_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
    let (token, fresh) = match existing {
        Some(token) => (token, false),
        None => (random_token(), true),
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if fresh {
        // Not HttpOnly: the hydrated page reads it to fill the forms it renders itself.
        let cookie = Cookie::build((CSRF_COOKIE, token))
            .path("/")
            .same_site(SameSite::Strict)
            .secure(state.settings.secure_cookies)
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// The CSRF token to embed in forms rendered for this request.
pub fn csrf_token_for_render() -> String {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<CsrfToken>().map(|t| t.0.clone()))
        .unwrap_or_default()
}

/// Refuses a state-changing request whose form token does not match the browser's cookie.
pub fn check_csrf(submitted: &str) -> Result<(), AppError> {
    let parts = use_context::<Parts>().ok_or(AppError::FormExpired)?;
    if !csrf_matches(&parts.headers, submitted) {
        return Err(AppError::FormExpired);
    }
    Ok(())
}

/// Whether a submitted form token matches the CSRF cookie of the request.
pub fn csrf_matches(headers: &HeaderMap, submitted: &str) -> bool {
    let expected = cookie_value(headers, CSRF_COOKIE).unwrap_or_default();
    !expected.is_empty() && constant_time_eq(expected.as_bytes(), submitted.as_bytes())
}

/// The value of the named cookie in a request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(FromRow)]
struct PrincipalRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    cluster_id: Option<i64>,
    event_id: Option<i64>,
}

impl PrincipalRow {
    fn into_principal(self) -> Result<Principal, AppError> {
        let role = Role::parse(&self.role)
            .ok_or_else(|| super::error::internal("role", format!("unknown role {}", self.role)))?;
        Ok(Principal {
            user_id: self.id,
            email: self.email,
            display_name: self.display_name,
            role,
            cluster_id: self.cluster_id,
            event_id: self.event_id,
        })
    }
}

/// The signed-in person for a session token, if the session exists and has not expired.
pub async fn principal_for_token(db: &Db, token: &str) -> Result<Option<Principal>, AppError> {
    let hash = token_hash(token);
    let row: Option<PrincipalRow> = db_run!(db, |pool| sqlx::query_as(
        "select u.id, u.email, u.display_name, u.role, u.cluster_id, u.event_id
           from sessions s join users u on u.id = s.user_id
          where s.token_hash = $1 and s.expires_at > $2"
    )
    .bind(&hash)
    .bind(now())
    .fetch_optional(pool)
    .await)?;
    row.map(PrincipalRow::into_principal).transpose()
}

fn session_token_from(parts: &Parts) -> Option<String> {
    cookie_value(&parts.headers, SESSION_COOKIE)
}

/// The signed-in person of the current request, if any.
pub async fn current_principal() -> Result<Option<Principal>, AppError> {
    let Some(parts) = use_context::<Parts>() else { return Ok(None) };
    let Some(token) = session_token_from(&parts) else { return Ok(None) };
    let state = super::state::app_state()?;
    principal_for_token(&state.db, &token).await
}

/// The signed-in person, or `SignInRequired`.
pub async fn require_principal() -> Result<Principal, AppError> {
    current_principal().await?.ok_or(AppError::SignInRequired)
}

/// Starts a session for the user and returns the cookie to set.
pub async fn start_session(db: &Db, user_id: i64, secure: bool) -> Result<Cookie<'static>, AppError> {
    let token = random_token();
    let created = now();
    db_run!(db, |pool| sqlx::query(
        "insert into sessions (token_hash, user_id, created_at, expires_at) values ($1, $2, $3, $4)"
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(created)
    .bind(created + SESSION_SECONDS)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time_duration(SESSION_SECONDS))
        .build())
}

/// Ends the current request's session (if any) and returns the cookie that clears it.
pub async fn end_session(db: &Db) -> Result<Cookie<'static>, AppError> {
    if let Some(token) = use_context::<Parts>().as_ref().and_then(session_token_from) {
        db_run!(db, |pool| sqlx::query("delete from sessions where token_hash = $1")
            .bind(token_hash(&token))
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
    }
    Ok(Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time_duration(0))
        .build())
}

fn time_duration(seconds: i64) -> cookie::time::Duration {
    cookie::time::Duration::seconds(seconds)
}

/// Adds a `Set-Cookie` header to the response of the current server function.
pub fn set_cookie(cookie: &Cookie<'_>) {
    if let (Some(options), Ok(value)) =
        (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie.to_string()))
    {
        options.append_header(SET_COOKIE, value);
    }
}

//! Sessions: the browser holds a random token in an HttpOnly, SameSite=Lax cookie and the
//! database only its SHA-256, so several server instances share sessions and a database leak
//! hands out none.

use cookie::{Cookie, SameSite};
use http::HeaderMap;
use sqlx::FromRow;

use super::{Principal, Role};
use crate::db_run;
use crate::error::AppError;
use crate::platform::web::{cookie_name, cookie_value};
use crate::platform::{error::internal, now, random_token, token_hash, Db};

pub const SESSION_COOKIE: &str = "exx_session";
/// How long a sign-in lasts.
pub const SESSION_SECONDS: i64 = 30 * 24 * 3600;

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
        let role = Role::parse(&self.role).ok_or_else(|| internal("role", format!("unknown role {}", self.role)))?;
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

/// The session token a request's cookies carry, if any (`secure`: the site is served over https,
/// where only the `__Host-` prefixed cookie counts).
pub fn session_token(headers: &HeaderMap, secure: bool) -> Option<String> {
    cookie_value(headers, &cookie_name(SESSION_COOKIE, secure))
}

/// The signed-in person of a request, from its session cookie.
pub async fn principal_for_request(db: &Db, headers: &HeaderMap, secure: bool) -> Result<Option<Principal>, AppError> {
    match session_token(headers, secure) {
        Some(token) => principal_for_token(db, &token).await,
        None => Ok(None),
    }
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
    Ok(Cookie::build((cookie_name(SESSION_COOKIE, secure), token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time_duration(SESSION_SECONDS))
        .build())
}

/// Starts a session for the user and sets its cookie on the current server function's answer.
pub async fn sign_in_response(state: &crate::state::AppState, user_id: i64) -> Result<(), AppError> {
    let cookie = start_session(&state.db, user_id, state.settings.secure_cookies).await?;
    crate::platform::web::set_cookie(&cookie);
    Ok(())
}

/// Ends the request's session (if any) and returns the cookie that clears it.
pub async fn end_session(db: &Db, headers: &HeaderMap, secure: bool) -> Result<Cookie<'static>, AppError> {
    if let Some(token) = session_token(headers, secure) {
        db_run!(db, |pool| sqlx::query("delete from sessions where token_hash = $1")
            .bind(token_hash(&token))
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
    }
    Ok(Cookie::build((cookie_name(SESSION_COOKIE, secure), ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time_duration(0))
        .build())
}

fn time_duration(seconds: i64) -> cookie::time::Duration {
    cookie::time::Duration::seconds(seconds)
}

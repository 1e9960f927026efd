//! Queries of accounts, sessions and password resets (server only).

use sqlx::FromRow;

use super::{password, DisplayName, EmailAddress, NewPassword, Principal, Role, SignedInUser};
use crate::error::AppError;
use crate::platform::db::{Constraint, WriteTransaction};
use crate::platform::{mail, now, random_token, token_hash, Db};
use crate::{db_run, tx_run};

/// One account per address.
const ONE_ACCOUNT_PER_ADDRESS: Constraint = Constraint { postgres: "users_email_key", sqlite: "users.email" };

/// Failed sign-ins for one address within `WINDOW_SECONDS` before further tries are refused.
pub const MAX_FAILED_SIGN_INS: i64 = 5;
const WINDOW_SECONDS: i64 = 15 * 60;
const RESET_SECONDS: i64 = 3600;

#[derive(FromRow)]
struct Credentials {
    id: i64,
    password_hash: String,
}

/// Failed sign-ins allowed per client address (a machine) in the window, across accounts.
pub const MAX_FAILED_SIGN_INS_PER_CLIENT: i64 = 30;

/// Checks an email and password; refuses after too many recent failed attempts for the address,
/// or from the client. Each attempt is recorded before the password is checked, so simultaneous
/// guesses count against the limit too. An attempt refused for the limit is not kept, so a
/// lock-out ends `WINDOW_SECONDS` after the last counted attempt whatever follows; a successful
/// sign-in (or password reset) clears the address's record; rows older than the window go.
pub async fn authenticate(db: &Db, email: &str, password: &str, client: Option<&str>) -> Result<i64, AppError> {
    let email = EmailAddress::parse(email)?;
    let at = now();
    let (attempt, for_address, from_client): (i64, i64, i64) = db_run!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        sqlx::query("delete from sign_in_failures where at <= $1").bind(at - WINDOW_SECONDS).execute(&mut *tx).await?;
        let attempt: i64 =
            sqlx::query_scalar("insert into sign_in_failures (email, client, at) values ($1, $2, $3) returning id")
                .bind(email.as_str())
                .bind(client)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
        let counts: (i64, i64) = sqlx::query_as(
            "select (select count(*) from sign_in_failures where email = $1),
                    (select count(*) from sign_in_failures where client = $2)",
        )
        .bind(email.as_str())
        .bind(client)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>((attempt, counts.0, counts.1))
    })?;
    if for_address > MAX_FAILED_SIGN_INS || from_client > MAX_FAILED_SIGN_INS_PER_CLIENT {
        db_run!(db, |pool| sqlx::query("delete from sign_in_failures where id = $1")
            .bind(attempt)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        return Err(AppError::TooManyAttempts);
    }
    let found: Option<Credentials> =
        db_run!(db, |pool| sqlx::query_as("select id, password_hash from users where email = $1")
            .bind(email.as_str())
            .fetch_optional(pool)
            .await)?;
    let ok = password::verify(password.to_string(), found.as_ref().map(|c| c.password_hash.clone())).await?;
    match found {
        Some(credentials) if ok => {
            clear_failures(db, email.as_str()).await?;
            Ok(credentials.id)
        }
        _ => Err(AppError::invalid("password", "The email address or the password is not right.")),
    }
}

/// Forgets the failed sign-ins of an address (after a sign-in or a password reset).
async fn clear_failures(db: &Db, email: &str) -> Result<(), AppError> {
    db_run!(db, |pool| sqlx::query("delete from sign_in_failures where email = $1")
        .bind(email)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

fn address_taken() -> AppError {
    AppError::invalid("token", "This email address has an account already. Sign in, or reset its password.")
}

/// How long a sign-up link works.
const SIGN_UP_SECONDS: i64 = 24 * 3600;
/// At most one sign-up mail per address in this many seconds, whoever asks: the form cannot be
/// used to fill someone's inbox.
pub const SIGN_UP_MAIL_GAP_SECONDS: i64 = 120;

/// Starts a sign-up: mails the address a link that creates the account once opened. An address
/// that has an account already is mailed that instead (with the ways back in), and the caller
/// answers the same either way, so the form does not tell who is registered. No password is
/// asked here (it is chosen on the link's page), so nothing costly runs for a made-up address.
pub async fn start_sign_up(
    db: &Db,
    public_url: &str,
    name: &DisplayName,
    email: &EmailAddress,
) -> Result<(), AppError> {
    let token = random_token();
    let at = now();
    let name = name.as_str().to_string();
    let address = email.as_str().to_string();
    let mut tx = db.begin_write().await?;
    tx_run!(&mut tx, |conn| sqlx::query(
        "delete from sign_up_requests where expires_at < $1 or (used_at is not null and created_at < $2)"
    )
    .bind(at)
    .bind(at - SIGN_UP_MAIL_GAP_SECONDS)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    let recent: i64 = tx_run!(&mut tx, |conn| sqlx::query_scalar(
        "select count(*) from sign_up_requests where email = $1 and created_at > $2"
    )
    .bind(&address)
    .bind(at - SIGN_UP_MAIL_GAP_SECONDS)
    .fetch_one(&mut *conn)
    .await)?;
    if recent > 0 {
        tracing::info!("sign-up mail for this address sent moments ago; not sending another");
        return Ok(());
    }
    let existing: Option<String> =
        tx_run!(&mut tx, |conn| sqlx::query_scalar("select display_name from users where email = $1")
            .bind(&address)
            .fetch_optional(&mut *conn)
            .await)?;
    tx_run!(&mut tx, |conn| sqlx::query(
        "insert into sign_up_requests (token_hash, email, display_name, created_at, expires_at)
         values ($1, $2, $3, $4, $5)"
    )
    .bind(token_hash(&token))
    .bind(&address)
    .bind(&name)
    .bind(at)
    .bind(at + SIGN_UP_SECONDS)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    let mail = match existing {
        None => mail::OutgoingMail {
            recipient: address.clone(),
            subject: "Confirm your address to create your EventXchange account".to_string(),
            body_text: format!(
                "Hello {name},\n\nto create your EventXchange account, open this link within 24 hours and choose \
                 a password:\n\n{public_url}/signup/confirm?token={token}\n\n\
                 If you did not ask for an account, ignore this message: without the link, none is created.\n"
            ),
            attachment: None,
        },
        Some(account_name) => mail::OutgoingMail {
            recipient: address.clone(),
            subject: "You already have an EventXchange account".to_string(),
            body_text: format!(
                "Hello {account_name},\n\nsomeone (hopefully you) tried to create an EventXchange account with \
                 this address. You have one already. Sign in here:\n\n{public_url}/signin\n\n\
                 Forgot the password? Choose a new one here:\n\n{public_url}/password/forgot\n\n\
                 If this was not you, ignore this message; nothing has changed.\n"
            ),
            attachment: None,
        },
    };
    mail::enqueue_in(&mut tx, &mail).await?;
    tx.commit().await?;
    Ok(())
}

fn sign_up_link_dead() -> AppError {
    AppError::invalid(
        "token",
        "This sign-up link is not valid any more (it works once, for 24 hours). Sign up again for a new one.",
    )
}

/// The name and address a live sign-up link is for.
pub async fn sign_up_request(db: &Db, token: &str) -> Result<(String, String), AppError> {
    let found: Option<(String, String)> = db_run!(db, |pool| {
        sqlx::query_as(
        "select display_name, email from sign_up_requests where token_hash = $1 and used_at is null and expires_at > $2"
    )
    .bind(token_hash(token))
    .bind(now())
    .fetch_optional(pool)
    .await
    })?;
    found.ok_or_else(sign_up_link_dead)
}

/// Finishes a sign-up from its link: the address is confirmed, so the account is created with
/// the chosen password. The link works once; a second account for the address is refused.
pub async fn finish_sign_up(db: &Db, token: &str, password: &NewPassword) -> Result<i64, AppError> {
    // The cheap check first: a made-up token costs no hashing. The claim below decides.
    sign_up_request(db, token).await?;
    let hash = password::hash(password.expose().to_string()).await?;
    let at = now();
    db_run!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let claimed: Option<(String, String)> = sqlx::query_as(
            "update sign_up_requests set used_at = $1
              where token_hash = $2 and used_at is null and expires_at > $1
              returning email, display_name",
        )
        .bind(at)
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((email, name)) = claimed else { return Err(sign_up_link_dead()) };
        let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
            "insert into users (email, display_name, password_hash, role, created_at)
             values ($1, $2, $3, $4, $5) returning id",
        )
        .bind(&email)
        .bind(&name)
        .bind(&hash)
        .bind(Role::Attendee.as_str())
        .bind(at)
        .fetch_one(&mut *tx)
        .await;
        let user_id = ONE_ACCOUNT_PER_ADDRESS.or_else(inserted, address_taken)?;
        // The other links sent to the address are of no use now.
        sqlx::query("delete from sign_up_requests where email = $1 and used_at is null")
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user_id)
    })
}

#[derive(FromRow)]
struct EventRef {
    slug: String,
    title: String,
}

/// What the browser is told about a signed-in person, with the events their role reaches.
pub async fn signed_in_user(db: &Db, principal: Principal) -> Result<SignedInUser, AppError> {
    let cluster_name: Option<String> = match principal.cluster_id {
        Some(id) => db_run!(db, |pool| sqlx::query_scalar("select name from clusters where id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await)?,
        None => None,
    };
    let all_events: Vec<(EventRef, i64, i64)> = db_run!(db, |pool| sqlx::query_as::<_, (String, String, i64, i64)>(
        "select slug, title, id, cluster_id from events order by starts_at"
    )
    .fetch_all(pool)
    .await)?
    .into_iter()
    .map(|(slug, title, id, cluster_id)| (EventRef { slug, title }, id, cluster_id))
    .collect();
    let pick = |allowed: &dyn Fn(i64, i64) -> bool| {
        all_events
            .iter()
            .filter(|(_, id, cluster)| allowed(*id, *cluster))
            .map(|(e, _, _)| (e.slug.clone(), e.title.clone()))
            .collect::<Vec<_>>()
    };
    let organises = pick(&|_, cluster| principal.may_organise(cluster));
    let scans = pick(&|id, cluster| principal.may_scan(id, cluster));
    Ok(SignedInUser {
        display_name: principal.display_name,
        email: principal.email,
        role: principal.role,
        cluster_name,
        organises,
        scans,
    })
}

/// Records a reset token and queues the mail with the link. Unknown addresses get no mail.
pub async fn start_password_reset(db: &Db, public_url: &str, email: &EmailAddress) -> Result<(), AppError> {
    let user: Option<(i64, String)> =
        db_run!(db, |pool| sqlx::query_as("select id, display_name from users where email = $1")
            .bind(email.as_str())
            .fetch_optional(pool)
            .await)?;
    let Some((user_id, name)) = user else {
        tracing::info!("password reset asked for an address without an account");
        return Ok(());
    };
    let token = random_token();
    let created = now();
    // Used and expired links are of no use to anyone: they go, so the table holds live ones only.
    db_run!(db, |pool| sqlx::query("delete from password_resets where used_at is not null or expires_at < $1")
        .bind(created)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    db_run!(db, |pool| sqlx::query(
        "insert into password_resets (token_hash, user_id, created_at, expires_at) values ($1, $2, $3, $4)"
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(created)
    .bind(created + RESET_SECONDS)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    let link = format!("{public_url}/password/reset?token={token}");
    mail::enqueue(
        db,
        &mail::OutgoingMail {
            recipient: email.as_str().to_string(),
            subject: "Choose a new EventXchange password".to_string(),
            body_text: format!(
                "Hello {name},\n\nsomeone (hopefully you) asked to reset the password of your EventXchange account.\n\
                 Choose a new password here within the next hour:\n\n{link}\n\n\
                 If you did not ask for this, ignore this message; your password stays as it is.\n"
            ),
            attachment: None,
        },
    )
    .await
}

/// Uses a reset token once: sets the new password and signs the account out everywhere.
pub async fn finish_password_reset(db: &Db, token: &str, password: &NewPassword) -> Result<(), AppError> {
    let at = now();
    let expired = || AppError::invalid("token", "This reset link is not valid any more. Ask for a new one.");
    // The cheap check first: a made-up token costs no hashing. The claim below decides.
    let live: i64 = db_run!(db, |pool| sqlx::query_scalar(
        "select count(*) from password_resets where token_hash = $1 and used_at is null and expires_at > $2"
    )
    .bind(token_hash(token))
    .bind(at)
    .fetch_one(pool)
    .await)?;
    if live == 0 {
        return Err(expired());
    }
    let hash = password::hash(password.expose().to_string()).await?;
    db_run!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        // Claiming the token and changing the password happen together or not at all; the
        // conditional update lets only one of two simultaneous uses through.
        let user_id: Option<i64> = sqlx::query_scalar(
            "update password_resets set used_at = $1
              where token_hash = $2 and used_at is null and expires_at > $1
              returning user_id",
        )
        .bind(at)
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user_id) = user_id else { return Err(expired()) };
        sqlx::query("update users set password_hash = $1 where id = $2")
            .bind(&hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("delete from sessions where user_id = $1").bind(user_id).execute(&mut *tx).await?;
        // A lock-out of the address ends with the new password.
        sqlx::query("delete from sign_in_failures where email = (select email from users where id = $1)")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // Other links sent to the same person stop working too.
        sqlx::query("update password_resets set used_at = $1 where user_id = $2 and used_at is null")
            .bind(at)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Creates the account or changes an existing one to the given role and password.
pub async fn upsert_staff(
    db: &Db,
    name: &DisplayName,
    email: &EmailAddress,
    password: &NewPassword,
    role: Role,
    cluster_id: Option<i64>,
    event_id: Option<i64>,
) -> Result<i64, AppError> {
    let hash = password::hash(password.expose().to_string()).await?;
    let id: i64 = db_run!(db, |pool| sqlx::query_scalar(
        "insert into users (email, display_name, password_hash, role, cluster_id, event_id, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (email) do update
            set password_hash = excluded.password_hash, role = excluded.role,
                cluster_id = excluded.cluster_id, event_id = excluded.event_id
         returning id"
    )
    .bind(email.as_str())
    .bind(name.as_str())
    .bind(&hash)
    .bind(role.as_str())
    .bind(cluster_id)
    .bind(event_id)
    .bind(now())
    .fetch_one(pool)
    .await)?;
    Ok(id)
}

/// One account as staff lists show it.
#[derive(Clone, Debug, FromRow)]
pub struct AccountRow {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub cluster_name: Option<String>,
    pub event_title: Option<String>,
}

const ACCOUNT_ROWS: &str = "select u.email, u.display_name, u.role, c.name as cluster_name, e.title as event_title
      from users u left join clusters c on c.id = u.cluster_id left join events e on e.id = u.event_id";

/// The organisers of a cluster and the scanners of one of its events.
pub async fn event_team(db: &Db, cluster_id: i64, event_id: i64) -> Result<Vec<AccountRow>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ACCOUNT_ROWS} where (u.role = $3 and u.cluster_id = $1) or (u.role = $4 and u.event_id = $2)
         order by u.role, u.display_name"
    )))
    .bind(cluster_id)
    .bind(event_id)
    .bind(Role::Organiser)
    .bind(Role::Scanner)
    .fetch_all(pool)
    .await)?)
}

/// Every account with a staff role, then the newest attendees.
pub async fn staff_and_recent(db: &Db, limit: i64) -> Result<Vec<AccountRow>, AppError> {
    Ok(db_run!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{ACCOUNT_ROWS} order by case u.role when $2 then 0 when $3 then 1 when $4 then 2 else 3 end, u.id desc
         limit $1"
        )))
        .bind(limit)
        .bind(Role::Admin)
        .bind(Role::Organiser)
        .bind(Role::Scanner)
        .fetch_all(pool)
        .await
    })?)
}

/// Gives an existing account a role with its scope. Returns false when no account has the address.
pub async fn assign_role(
    db: &Db,
    email: &EmailAddress,
    role: Role,
    cluster_id: Option<i64>,
    event_id: Option<i64>,
) -> Result<bool, AppError> {
    let changed =
        db_run!(db, |pool| sqlx::query("update users set role = $1, cluster_id = $2, event_id = $3 where email = $4")
            .bind(role.as_str())
            .bind(cluster_id)
            .bind(event_id)
            .bind(email.as_str())
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
    Ok(changed == 1)
}

pub async fn cluster_id_by_code(db: &Db, code: &str) -> Result<Option<i64>, AppError> {
    Ok(db_run!(db, |pool| sqlx::query_scalar("select id from clusters where code = $1")
        .bind(code)
        .fetch_optional(pool)
        .await)?)
}

//! Accounts and roles: sign-up, sign-in, sign-out, password reset, and who may do what.

#[cfg(feature = "ssr")]
pub mod access;
mod calendar_feed;
#[cfg(feature = "ssr")]
pub mod demo;
mod pages;
#[cfg(feature = "ssr")]
pub(crate) mod password;
mod rules;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod store;

pub use calendar_feed::AccountCalendarFeed;
pub use pages::{AccountPage, ConfirmSignUpPage, ForgotPasswordPage, ResetPasswordPage, SignInPage, SignUpPage};
pub use rules::{safe_next_path, DisplayName, EmailAddress, NewPassword, Principal, Role};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What the browser is told about the signed-in person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub display_name: String,
    pub email: String,
    pub role: Role,
    /// For organisers: the cluster whose events they run.
    pub cluster_name: Option<String>,
    /// Events this person may organise (slug, title).
    pub organises: Vec<(String, String)>,
    /// Events this person may scan badges for (slug, title).
    pub scans: Vec<(String, String)>,
}

/// The current session as pages see it. Provided once by `App`.
#[derive(Clone, Copy)]
pub struct SessionContext {
    pub user: Resource<Result<Option<SignedInUser>, AppError>>,
    pub sign_out: ServerAction<SignOut>,
    changed: RwSignal<u64>,
}

impl SessionContext {
    /// Refetches the user whenever the given action (sign-in, sign-up, …) completes. Those
    /// actions are created by their pages, inside the router, where a plain form post's error
    /// (carried back in the URL) reaches them.
    pub fn follow<A>(&self, action: ServerAction<A>)
    where
        A: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        A::Output: Clone + Send + Sync + 'static,
    {
        let changed = self.changed;
        Effect::new(move |_| {
            if action.version().get() > 0 {
                changed.update(|n| *n += 1);
            }
        });
    }
}

/// Sets up the session context.
pub fn provide_session() {
    let sign_out = ServerAction::<SignOut>::new();
    let changed = RwSignal::new(0u64);
    let user = Resource::new(move || (changed.get(), sign_out.version().get()), |_| current_user());
    // Scanner data kept in this browser (names of attendees) does not outlive the session that
    // fetched it, nor the event: gone once nobody is signed in here, however the session ended.
    // Effects run in the browser only.
    Effect::new(move |_| match user.get() {
        Some(Ok(None)) => crate::checkin::forget_offline_data(true),
        Some(Ok(Some(_))) => crate::checkin::forget_offline_data(false),
        _ => {}
    });
    provide_context(SessionContext { user, sign_out, changed });
}

pub fn use_session() -> SessionContext {
    expect_context::<SessionContext>()
}

#[server(endpoint = "current_user", input = leptos::server_fn::codec::GetUrl)]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    use crate::state::app_state;
    let Some(principal) = crate::accounts::access::principal().await? else {
        return Ok(None);
    };
    let state = app_state()?;
    store::signed_in_user(&state.db, principal).await.map(Some)
}

#[server(endpoint = "sign_in")]
pub async fn sign_in(
    #[server(rename = "csrf")] _csrf: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let state = app_state()?;
            let client = crate::platform::web::client_address();
            state.limits.take("sign-in", crate::platform::limits::ACCOUNT_FORMS, client)?;
            let client = client.map(|c| c.to_string());
            let user_id = store::authenticate(&state.db, &email, &password, client.as_deref()).await?;
            session::sign_in_response(&state, user_id).await?;
            leptos_axum::redirect(&safe_next_path(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Step one of a sign-up: mails the address a link. Answers the same whether or not the address
/// has an account, so the form cannot be used to find out who is registered.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    #[server(rename = "csrf")] _csrf: String,
    display_name: String,
    email: String,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let name = DisplayName::parse(&display_name)?;
            let email = EmailAddress::parse(&email)?;
            let state = app_state()?;
            let client = crate::platform::web::client_address();
            state.limits.take("sign-up", crate::platform::limits::ACCOUNT_FORMS, client)?;
            store::start_sign_up(&state.db, &state.settings.public_url, &name, &email).await?;
            // A redirect rather than a returned message, so the answer shows without JavaScript
            // too; the address stays out of the URL (and out of logs).
            leptos_axum::redirect("/signup?sent=1");
            Ok(())
        }
        .await,
    )
}

/// The person a sign-up link was mailed to, for the page the link opens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingSignUp {
    pub display_name: String,
    pub email: String,
}

#[server(endpoint = "sign_up_link", input = leptos::server_fn::codec::GetUrl)]
pub async fn sign_up_link(token: String) -> Result<PendingSignUp, AppError> {
    use crate::state::app_state;
    let state = app_state()?;
    let (display_name, email) = store::sign_up_request(&state.db, &token).await?;
    Ok(PendingSignUp { display_name, email })
}

/// Step two: the link was opened, so the address is confirmed; the account is created with the
/// chosen password and signed in.
#[server(endpoint = "confirm_sign_up")]
pub async fn confirm_sign_up(
    #[server(rename = "csrf")] _csrf: String,
    token: String,
    password: String,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let password = NewPassword::parse(&password)?;
            let state = app_state()?;
            let client = crate::platform::web::client_address();
            state.limits.take("sign-up", crate::platform::limits::ACCOUNT_FORMS, client)?;
            let user_id = store::finish_sign_up(&state.db, &token, &password).await?;
            session::sign_in_response(&state, user_id).await?;
            leptos_axum::redirect("/account");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "sign_out")]
pub async fn sign_out(#[server(rename = "csrf")] _csrf: String) -> Result<(), AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let state = app_state()?;
            let headers = use_context::<http::request::Parts>().map(|parts| parts.headers).unwrap_or_default();
            let cookie = session::end_session(&state.db, &headers, state.settings.secure_cookies).await?;
            crate::platform::web::set_cookie(&cookie);
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// Always answers the same way, whether or not the address has an account, so the form cannot
/// be used to find out who is registered.
#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(
    #[server(rename = "csrf")] _csrf: String,
    email: String,
) -> Result<String, AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let email = EmailAddress::parse(&email)?;
            let state = app_state()?;
            let client = crate::platform::web::client_address();
            state.limits.take("password-reset", crate::platform::limits::ACCOUNT_FORMS, client)?;
            store::start_password_reset(&state.db, &state.settings.public_url, &email).await?;
            Ok(format!(
                "If an account exists for {email}, we have sent it a link to choose a new password. The link works for one hour."
            ))
        }
        .await,
    )
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(
    #[server(rename = "csrf")] _csrf: String,
    token: String,
    password: String,
) -> Result<(), AppError> {
    use crate::platform::error::reply;
    use crate::state::app_state;
    reply(
        async move {
            let password = NewPassword::parse(&password)?;
            let state = app_state()?;
            let client = crate::platform::web::client_address();
            state.limits.take("password-reset", crate::platform::limits::ACCOUNT_FORMS, client)?;
            store::finish_password_reset(&state.db, &token, &password).await?;
            leptos_axum::redirect("/signin?reset=done");
            Ok(())
        }
        .await,
    )
}

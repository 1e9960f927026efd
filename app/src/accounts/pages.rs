//! Sign-in, sign-up, password reset and account pages. Every form works without JavaScript
//! (a plain POST to the server function) and is enhanced once the page hydrates.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::{
    sign_up_link, use_session, ConfirmSignUp, NewPassword, RequestPasswordReset, ResetPassword, SignIn, SignUp,
};
use crate::await_view;
use crate::components::{action_error, field_message, use_hydrated, CsrfField, Field, FormAlert};

/// A password input with a show/hide switch that appears once the page is interactive.
#[component]
fn PasswordField(
    label: &'static str,
    #[prop(default = "password")] name: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let hydrated = use_hydrated();
    let id = format!("field-{name}");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <div class="password-row">
                <input
                    id=id
                    name=name
                    type=move || if shown.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required=true
                    aria-invalid=move || error.get().is_some().then_some("true")
                />
                <Show when=move || hydrated.get()>
                    <button
                        type="button"
                        class="secondary small show-password"
                        aria-pressed=move || shown.get().to_string()
                        on:click=move |_| shown.update(|s| *s = !*s)
                    >
                        {move || if shown.get() { "Hide" } else { "Show" }}
                    </button>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
    }
}

/// `/signin`
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    use_session().follow(action);
    let query = use_query_map();
    let error = action_error(action);
    let next = move || query.read().get("next").unwrap_or_default();
    let reset_done = move || query.read().get("reset").as_deref() == Some("done");
    view! {
        <Title text="Sign in" />
        <section class="form-page">
            <h1>"Sign in"</h1>
            <Show when=reset_done>
                <p class="alert success" role="status">"Your password has been changed. Sign in with the new one."</p>
            </Show>
            <ActionForm action attr:class="stacked" attr:novalidate=true>
                <CsrfField />
                <input type="hidden" name="next" value=next />
                <FormAlert error fields=&["email", "password"] />
                <Field label="Email address" name="email" kind="email" autocomplete="email" error=field_message(error, "email") />
                <PasswordField label="Password" autocomplete="current-password" error=field_message(error, "password") />
                <button type="submit">"Sign in"</button>
            </ActionForm>
            <p><A href="/password/forgot">"Forgot your password?"</A></p>
            <p>"New here? " <A href="/signup">"Create an account"</A></p>
        </section>
    }
}

/// `/signup`: name and address; the account is made from the link mailed to the address.
#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some();
    view! {
        <Title text="Create an account" />
        <section class="form-page">
            <h1>"Create an account"</h1>
            <Show
                when=sent
                fallback=move || view! {
                    <p>"With an account you can register for events, build your agenda and book B2B meetings."</p>
                    <ActionForm action attr:class="stacked" attr:novalidate=true>
                        <CsrfField />
                        <FormAlert error fields=&["display_name", "email"] />
                        <Field label="Your name" name="display_name" autocomplete="name" error=field_message(error, "display_name") />
                        <Field label="Email address" name="email" kind="email" autocomplete="email" error=field_message(error, "email") />
                        <p class="hint">"We send a link to this address. Opening it confirms the address; there you choose your password."</p>
                        <button type="submit">"Send me the link"</button>
                    </ActionForm>
                }
            >
                <p class="alert success" role="status">
                    "Check your inbox: we have sent a link to the address you gave. Open it within 24 hours to choose \
                     your password and finish. Nothing arrived after a few minutes? Look in the spam folder, or "
                    <A href="/signup">"try again"</A>"."
                </p>
            </Show>
            <p>"Already registered? " <A href="/signin">"Sign in"</A></p>
        </section>
    }
}

/// `/signup/confirm?token=…`: the page the sign-up link opens.
#[component]
pub fn ConfirmSignUpPage() -> impl IntoView {
    let action = ServerAction::<ConfirmSignUp>::new();
    use_session().follow(action);
    let error = action_error(action);
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let pending = Resource::new(token, sign_up_link);
    view! {
        <Title text="Finish your account" />
        <section class="form-page">
            <h1>"Finish your account"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(pending) => view! {
                            <p>{format!("Hello {}. Your address {} is confirmed; choose a password to finish.", pending.display_name, pending.email)}</p>
                            <ActionForm action attr:class="stacked" attr:novalidate=true>
                                <CsrfField />
                                <input type="hidden" name="token" value=token />
                                <FormAlert error fields=&["password"] />
                                {move || error.get().and_then(|e| e.for_field("token")).map(|_| view! {
                                    <p><A href="/signin">"Sign in"</A>" · "<A href="/signup">"Sign up again"</A></p>
                                })}
                                <PasswordField label="Password" autocomplete="new-password" hint=PASSWORD_HINT error=field_message(error, "password") />
                                <button type="submit">"Create my account"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(error) => view! {
                            <p class="alert error" role="alert">{error.to_string()}</p>
                            <p><A href="/signup">"Sign up again"</A>" · "<A href="/signin">"Sign in"</A></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

const PASSWORD_HINT: &str = "At least 10 characters. A few unrelated words make a good one.";

/// `/password/forgot`
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = action_error(action);
    let sent = move || action.value().get().and_then(Result::ok);
    view! {
        <Title text="Reset your password" />
        <section class="form-page">
            <h1>"Reset your password"</h1>
            {move || sent().map(|message| view! { <p class="alert success" role="status">{message}</p> })}
            <ActionForm action attr:class="stacked" attr:novalidate=true>
                <CsrfField />
                <FormAlert error fields=&["email"] />
                <Field label="Email address of your account" name="email" kind="email" autocomplete="email" error=field_message(error, "email") />
                <button type="submit">"Send me a link"</button>
            </ActionForm>
        </section>
    }
}

/// `/password/reset?token=…`: the page the emailed link opens.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action);
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Title text="Choose a new password" />
        <section class="form-page">
            <h1>"Choose a new password"</h1>
            <ActionForm action attr:class="stacked" attr:novalidate=true>
                <CsrfField />
                <input type="hidden" name="token" value=token />
                <FormAlert error fields=&["password"] />
                {move || error.get().and_then(|e| e.for_field("token")).map(|_| view! {
                    <p><A href="/password/forgot">"Ask for a new link"</A></p>
                })}
                <PasswordField label="New password" autocomplete="new-password" hint=PASSWORD_HINT error=field_message(error, "password") />
                <button type="submit">"Save the new password"</button>
            </ActionForm>
            <p class="hint">{format!("Passwords have {} to {} characters.", NewPassword::MIN_CHARS, NewPassword::MAX_CHARS)}</p>
        </section>
    }
}

/// `/account`: who is signed in, and what their role lets them do.
#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    await_view!(session.user, |user| match user {
        None => crate::components::problem_view(crate::error::AppError::SignInRequired),
        Some(user) => {
            let organises = user.organises.clone();
            let scans = user.scans.clone();
            view! {
            <Title text="Your account" />
            <section class="account">
                <h1>"Hello, " {user.display_name.clone()}</h1>
                <dl class="facts">
                    <dt>"Email"</dt>
                    <dd>{user.email.clone()}</dd>
                    <dt>"Role"</dt>
                    <dd class="role">{user.role.label()}</dd>
                    {user.cluster_name.clone().map(|name| view! { <dt>"Cluster"</dt><dd>{name}</dd> })}
                </dl>
                {(!organises.is_empty()).then(move || view! {
                    <h2>"Events you organise"</h2>
                    <ul>{organises.into_iter().map(|(slug, title)| view! {
                        <li><A href=format!("/organise/{slug}")>{title}</A></li>
                    }).collect_view()}</ul>
                })}
                {(!scans.is_empty()).then(move || view! {
                    <h2>"Badge scanning"</h2>
                    <ul>{scans.into_iter().map(|(slug, title)| view! {
                        <li><A href=format!("/scan/{slug}")>{format!("Scanner for {title}")}</A></li>
                    }).collect_view()}</ul>
                })}
                <crate::tickets::MyTickets />
                <crate::agenda::MyAgenda />
                <crate::meetings::AccountDirectory />
                <super::AccountCalendarFeed />
                <p><A href="/grants">"ClusterXchange exchange grants: are you eligible?"</A></p>
                <p><A href="/">"Browse the EventXchange events"</A></p>
            </section>
            }
            .into_any()
        }
    })
}

//! Building blocks every page uses: the layout, error and not-found views, form helpers.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_location};

use crate::accounts::{use_session, Role};
use crate::error::AppError;

/// Header with navigation, the page, and a footer.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <nav aria-label="Main">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"X"</span>
                    "EventXchange"
                </A>
                <SessionNav />
            </nav>
        </header>
        <main id="main" tabindex="-1">{children()}</main>
        <footer class="site-footer">
            <p>
                "EventXchange is the event series of the CELIS life-science cluster partnership: "
                "BioRN (Rhine-Neckar), Smart Hub Flemish Brabant, Biopeople (Denmark) and Tartu Biotechnology Park."
            </p>
        </footer>
    }
}

/// Whether the calling component has been taken over by the browser bundle: false during
/// server rendering and while it hydrates, true from its first effect on (effects run only in
/// the browser). Controls that need JavaScript render only once it is true. Made per caller,
/// not once for the page: a lazily loaded page hydrates after the layout, once its chunk has
/// arrived, and a page-wide flag would already be true then, so the page would render such a
/// control while hydrating HTML that has none (a release build stops there).
pub fn use_hydrated() -> ReadSignal<bool> {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    hydrated.read_only()
}

#[component]
fn SessionNav() -> impl IntoView {
    let session = use_session();
    view! {
        <Transition fallback=|| view! { <ul class="nav-links"></ul> }>
            {move || Suspend::new(async move {
                let user = session.user.await.ok().flatten();
                match user {
                    None => view! {
                        <ul class="nav-links">
                            <li><A href="/signin">"Sign in"</A></li>
                            <li><A href="/signup" attr:class="button small">"Create account"</A></li>
                        </ul>
                    }.into_any(),
                    Some(user) => {
                        let organise = user.organises.first().map(|(slug, _)| format!("/organise/{slug}"));
                        let scan = (user.role == Role::Scanner).then(|| user.scans.first().map(|(slug, _)| format!("/scan/{slug}"))).flatten();
                        let admin = user.role == Role::Admin;
                        view! {
                            <ul class="nav-links">
                                {admin.then(|| view! { <li><A href="/admin">"Admin"</A></li> })}
                                {organise.filter(|_| !admin).map(|href| view! { <li><A href=href>"Organise"</A></li> })}
                                {scan.map(|href| view! { <li><A href=href>"Scan badges"</A></li> })}
                                <li><A href="/account" attr:class="who">{user.display_name}</A></li>
                                <li>
                                    <ActionForm action=session.sign_out attr:class="inline-form">
                                        <CsrfField />
                                        <button type="submit" class="link-button">"Sign out"</button>
                                    </ActionForm>
                                </li>
                            </ul>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Hidden field with the browser's CSRF token (see `platform::web`). Every state-changing form
/// carries one.
#[component]
pub fn CsrfField() -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=csrf_token() /> }
}

pub fn csrf_token() -> String {
    #[cfg(feature = "ssr")]
    {
        crate::platform::web::csrf_token_for_render()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use wasm_bindgen::JsCast;
        document()
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
            .and_then(|d| d.cookie().ok())
            .and_then(|cookies| {
                cookies
                    .split(';')
                    .filter_map(|c| c.trim().split_once('='))
                    // `__Host-exx_csrf` when the site is served over https.
                    .find(|(name, _)| name.strip_prefix("__Host-").unwrap_or(name) == "exx_csrf")
                    .map(|(_, value)| value.to_string())
            })
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        String::new()
    }
}

/// A labelled input with its error message, tied together for screen readers.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into, optional)] value: Signal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = move || {
        let mut ids = Vec::new();
        if hint.is_some() {
            ids.push(hint_id.clone());
        }
        if error.get().is_some() {
            ids.push(error_id.clone());
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=format!("field-{name}-hint")>{h}</p> })}
            <input
                id=id.clone()
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                value=move || value.get()
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described
            />
            {move || error.get().map(|e| view! { <p class="field-error" id=format!("field-{name}-error")>{e}</p> })}
        </div>
    }
}

/// The error of a server action, if it failed.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// How many times the action succeeded. A resource keyed on it reloads after each success only,
/// also when two successes return the same value, and never after a refusal (which would reset
/// what the form holds).
pub fn successes<I, O>(action: ServerAction<I>) -> ReadSignal<u32>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    let count = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            count.update(|n| *n += 1);
        }
    });
    count.read_only()
}

/// The message for one field from an action's error.
pub fn field_message(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.for_field(field)))
}

/// An error that belongs to no single field of the form (shown above the fields).
#[component]
pub fn FormAlert(error: Signal<Option<AppError>>, #[prop(optional)] fields: &'static [&'static str]) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Invalid { field, .. } if fields.contains(&field.as_str())))
            .map(|e| view! { <p class="alert error" role="alert">{e.to_string()}</p> })
    }
}

/// What a page shows when its data could not be loaded, with the right HTTP status.
#[component]
pub fn Problem(error: AppError) -> impl IntoView {
    set_status(error.status());
    let location = use_location();
    match error {
        AppError::NotFound(_) => view! { <NotFound /> }.into_any(),
        AppError::SignInRequired => {
            let next = location.pathname.get_untracked();
            view! {
                <Title text="Sign in required" />
                <section class="problem">
                    <h1>"Please sign in"</h1>
                    <p>"This page is for signed-in members."</p>
                    <p><a class="button" href=format!("/signin?next={next}")>"Sign in"</a></p>
                </section>
            }
            .into_any()
        }
        other => {
            let title = if other == AppError::Forbidden { "Not allowed" } else { "Something went wrong" };
            view! {
                <Title text=title />
                <section class="problem">
                    <h1>{title}</h1>
                    <p>{other.to_string()}</p>
                    <p><A href="/">"Back to the EventXchange series"</A></p>
                </section>
            }
            .into_any()
        }
    }
}

/// The 404 page.
#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Page not found" />
        <section class="problem">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
            <p><A href="/">"See the four EventXchange events"</A></p>
        </section>
    }
}

/// Shown by error boundaries when a part of a page fails to render.
#[component]
pub fn ErrorNotice(errors: ArcRwSignal<leptos::error::Errors>) -> impl IntoView {
    view! {
        <div class="alert error" role="alert">
            <p>"This part of the page could not be shown:"</p>
            <ul>{move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}</ul>
        </div>
    }
}

/// Sets the HTTP status of the page being rendered on the server (no effect in the browser).
pub fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(status)) =
        (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(_code))
    {
        options.set_status(status);
    }
}

/// Renders a loading resource: a placeholder while it loads, `Problem` if it failed.
#[macro_export]
macro_rules! await_view {
    ($resource:expr, |$value:ident| $body:expr) => {
        view! {
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match $resource.await {
                        Ok($value) => $body.into_any(),
                        Err(error) => $crate::components::problem_view(error),
                    }
                })}
            </Suspense>
        }
    };
}

/// `Problem` as a type-erased view, for `await_view!`.
pub fn problem_view(error: AppError) -> AnyView {
    view! { <Problem error /> }.into_any()
}

/// Percent-encodes every byte that is not an unreserved URL character (RFC 3986), for query
/// values built into links.
/// How many rows a list page shows at most; longer lists are split into pages.
pub const PAGE_SIZE: usize = 100;

/// Which rows of `total` make page `page` (counted from 1, kept in range), and how many pages
/// there are.
pub fn page_window(total: usize, page: Option<i64>, size: usize) -> (std::ops::Range<usize>, i64, i64) {
    let pages = total.div_ceil(size).max(1) as i64;
    let page = page.unwrap_or(1).clamp(1, pages);
    let start = (page as usize - 1) * size;
    (start..(start + size).min(total), page, pages)
}

/// "Page 2 of 7" with links to the previous and next pages; `link(n)` makes page n's address.
#[component]
pub fn PageLinks(page: i64, pages: i64, link: Callback<i64, String>) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="page-links" aria-label="Pages">
                {(page > 1).then(|| view! { <a rel="prev" href=link.run(page - 1)>"← Previous"</a> " " })}
                <span>{format!("Page {page} of {pages}")}</span>
                {(page < pages).then(|| view! { " " <a rel="next" href=link.run(page + 1)>"Next →"</a> })}
            </nav>
        }
    })
}

pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn url_values_are_percent_encoded_as_utf8() {
        assert_eq!(super::url_encode("Kurfürsten-Anlage 52"), "Kurf%C3%BCrsten-Anlage%2052");
    }
}

//! The public agenda page as anonymous visitors see it, rendered once per state of the agenda.
//! Before an event, its agenda page is the most read page of the site, mostly by people who are
//! not signed in, and rendering 300 sessions costs milliseconds each time. For a visitor without
//! a session the page depends only on the URL and on what the fingerprint below reads (the
//! agenda version, which every agenda change bumps, the event's title, zone and dates, and the
//! seats taken of the sessions with a capacity); the stored page is served while these are
//! unchanged, in this process or any other (they are read from the database on every request).
//!
//! Two parts of a page are the visitor's own: the CSRF token that forms embed and the nonce of
//! the inline scripts (and the Content-Security-Policy that names it). A stored page carries
//! those of the visitor it was rendered for, and each later visitor gets the page with their own
//! token and a fresh nonce put in their place: a nonce must never be served twice.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

use crate::accounts::session::SESSION_COOKIE;
use crate::db_run;
use crate::platform::web::{cookie_name, cookie_value, CsrfToken};
use crate::platform::{random_token, Db};
use crate::state::AppState;

/// What all stored pages may take together; a full store starts over (pages are remade on the
/// next visit, and the query string, which anyone can vary, cannot grow it without bound).
const MOST_BYTES: usize = 16 << 20;
/// The largest page that is stored.
const LARGEST_PAGE: usize = 4 << 20;

#[derive(Debug, Default)]
pub struct PageCache {
    pages: Mutex<Pages>,
}

#[derive(Debug, Default)]
struct Pages {
    by_url: HashMap<String, Arc<StoredPage>>,
    bytes: usize,
}

#[derive(Debug)]
struct StoredPage {
    fingerprint: u64,
    /// The CSRF token and script nonce of the visitor the page was rendered for.
    csrf: String,
    nonce: String,
    headers: HeaderMap,
    body: Bytes,
}

/// Middleware in front of the pages: serves `/events/{slug}/agenda` to visitors without a
/// session from the store, and stores what the renderer answers them.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(slug) = agenda_slug(&request, state.settings.secure_cookies) else { return next.run(request).await };
    let Some(csrf) = request.extensions().get::<CsrfToken>().map(|t| t.0.clone()) else {
        return next.run(request).await;
    };
    let fingerprint = match fingerprint(&state.db, &slug).await {
        Ok(Some(fingerprint)) => fingerprint,
        // No such event (the page answers 404), or the database failed: render as usual.
        _ => return next.run(request).await,
    };
    let url = request.uri().to_string();
    let cache = &state.agendas.pages;
    let stored = cache.pages.lock().ok().and_then(|pages| pages.by_url.get(&url).cloned());
    if let Some(page) = stored.filter(|page| page.fingerprint == fingerprint) {
        return page.for_visitor(&csrf);
    }
    let response = next.run(request).await;
    match StoredPage::from_response(response, fingerprint, csrf.clone()).await {
        Ok(page) => {
            let page = Arc::new(page);
            cache.store(url, page.clone());
            // The visitor it was rendered for gets it as it was made.
            page.as_rendered()
        }
        Err(response) => response,
    }
}

/// The event's slug when the request is a GET of its agenda page by a visitor without a session.
fn agenda_slug(request: &Request, secure_cookies: bool) -> Option<String> {
    if request.method() != Method::GET {
        return None;
    }
    let slug = request.uri().path().strip_prefix("/events/")?.strip_suffix("/agenda")?;
    if slug.is_empty() || slug.contains('/') {
        return None;
    }
    if cookie_value(request.headers(), &cookie_name(SESSION_COOKIE, secure_cookies)).is_some() {
        return None;
    }
    Some(slug.to_string())
}

/// Agenda version, title, zone, start, end; a limited session's id and seats taken.
type FingerprintRow = (i64, String, String, i64, i64, Option<i64>, Option<i64>);

/// Everything the anonymous agenda page shows that can change, as one number; `None` when
/// there is no such event.
async fn fingerprint(db: &Db, slug: &str) -> Result<Option<u64>, sqlx::Error> {
    // One round trip: the event's row, once per limited session (or once, without one).
    let rows: Vec<FingerprintRow> = db_run!(db, |pool| sqlx::query_as(
        "select e.agenda_version, e.title, e.time_zone, e.starts_at, e.ends_at, s.id, s.seats_taken
           from events e
           left join agenda_sessions s on s.event_id = e.id and s.capacity is not null
          where e.slug = $1
          order by s.id"
    )
    .bind(slug)
    .fetch_all(pool)
    .await)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut hasher = DefaultHasher::new();
    rows.hash(&mut hasher);
    Ok(Some(hasher.finish()))
}

impl PageCache {
    fn store(&self, url: String, page: Arc<StoredPage>) {
        let Ok(mut pages) = self.pages.lock() else { return };
        if pages.bytes + page.body.len() > MOST_BYTES {
            pages.by_url.clear();
            pages.bytes = 0;
        }
        pages.bytes += page.body.len();
        if let Some(replaced) = pages.by_url.insert(url, page) {
            pages.bytes -= replaced.body.len();
        }
    }
}

impl StoredPage {
    /// Keeps a rendered page, or gives the response back when it is not one to keep (not a
    /// complete 200 page with a script nonce).
    async fn from_response(response: Response, fingerprint: u64, csrf: String) -> Result<StoredPage, Response> {
        let nonce = response
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .and_then(script_nonce)
            .map(str::to_string);
        let (Some(nonce), StatusCode::OK) = (nonce, response.status()) else { return Err(response) };
        let (parts, body) = response.into_parts();
        let body = match axum::body::to_bytes(body, LARGEST_PAGE).await {
            Ok(body) => body,
            // Too large, or the render failed midway: what was read is lost, so answer 500 as
            // the renderer's own failure would.
            Err(_) => return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        };
        Ok(StoredPage { fingerprint, csrf, nonce, headers: parts.headers, body })
    }

    fn as_rendered(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.headers_mut() = self.headers.clone();
        response
    }

    /// The page with this visitor's CSRF token and a fresh script nonce.
    fn for_visitor(&self, csrf: &str) -> Response {
        let nonce = random_token()[..self.nonce.len().min(64)].to_string();
        let html = String::from_utf8_lossy(&self.body).replace(&self.csrf, csrf).replace(&self.nonce, &nonce);
        let mut response = Response::new(Body::from(html));
        let mut headers = self.headers.clone();
        if let Some(policy) = headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()) {
            if let Ok(value) = HeaderValue::from_str(&policy.replace(&self.nonce, &nonce)) {
                headers.insert(header::CONTENT_SECURITY_POLICY, value);
            }
        }
        headers.remove(header::CONTENT_LENGTH);
        *response.headers_mut() = headers;
        response
    }
}

/// The nonce a Content-Security-Policy allows inline scripts by.
fn script_nonce(policy: &str) -> Option<&str> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let length = policy[start..].find('\'')?;
    Some(&policy[start..start + length]).filter(|nonce| nonce.len() >= 16)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_nonce_is_read_from_the_policy() {
        let policy = "default-src 'self'; script-src 'self' 'nonce-q1W2e3R4t5Y6u7I8o9P0aa==' 'wasm-unsafe-eval'";
        assert_eq!(super::script_nonce(policy), Some("q1W2e3R4t5Y6u7I8o9P0aa=="));
        assert_eq!(super::script_nonce("default-src 'none'"), None);
        assert_eq!(super::script_nonce("script-src 'nonce-short'"), None, "too short to be a real nonce");
    }
}

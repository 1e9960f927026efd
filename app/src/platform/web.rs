//! HTTP plumbing: cookies, and CSRF protection for every route in one place.
//!
//! CSRF uses a double-submit token: `guard` gives every browser an `exx_csrf` cookie, and every
//! request that may change state (any method but GET, HEAD and OPTIONS) must send the same value
//! back: in an `X-CSRF-Token` header (scripts), or in a `csrf` form field (url-encoded or
//! multipart forms, which work without JavaScript). A cross-site page cannot read the cookie, so
//! it cannot send a matching value. Because the check sits in front of every route, a new
//! state-changing server function or handler cannot forget it; read-only server functions are
//! declared `GET` (`input = GetUrl`), which is also what lets the guard tell them apart.
//!
//! Requests without an ambient credential pass without the token: those with an
//! `Authorization: Bearer` header (devices; the handler checks the token), cookie-less requests
//! to the HTTP API, and the paths the composition root exempts because they authenticate
//! otherwise (the Stripe webhook's signature). Server functions always need it, sign-in
//! included (a forged sign-in would sign a victim into someone else's account).

use axum::{
    body::Body,
    extract::{Request, State},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use cookie::{Cookie, SameSite};
use http::{
    header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE},
    request::Parts,
    HeaderMap, HeaderValue, Method, StatusCode,
};
use leptos::prelude::*;

use super::random_token;
use crate::error::AppError;

pub const CSRF_COOKIE: &str = "exx_csrf";

/// A cookie's name: as given over http (development, tests), and `__Host-` prefixed when the
/// site is served over https. Browsers accept a `__Host-` cookie only from the site itself
/// (Secure, `Path=/`, no `Domain`), so a neighbouring subdomain cannot plant one to fix a
/// session or to satisfy the CSRF check.
pub fn cookie_name(plain: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{plain}")
    } else {
        plain.to_string()
    }
}
/// The form field that carries the token.
pub const CSRF_FIELD: &str = "csrf";
/// The header that carries the token for scripts.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the guard is set up by the composition root.
#[derive(Clone, Debug)]
pub struct CsrfPolicy {
    /// Mark the cookie `Secure` (when the public URL is https).
    pub secure_cookies: bool,
    /// Paths that authenticate their callers otherwise and take no browser cookies.
    pub exempt_paths: Vec<&'static str>,
    /// Path prefixes of the HTTP API, where a request that carries no cookies at all passes (it
    /// has no ambient credential to abuse; the handler then answers 401 without a bearer token).
    pub cookie_free_prefixes: Vec<&'static str>,
    /// The largest form body the guard reads to find the token; larger ones are refused with 413.
    pub max_form_bytes: usize,
}

/// The CSRF token of the current request, put into the request extensions by `guard`.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// Middleware: gives the browser a CSRF cookie (exposing its value to the page being rendered,
/// so forms can embed it even on the first visit) and refuses state-changing requests whose
/// token does not match it.
pub async fn guard(State(policy): State<CsrfPolicy>, request: Request, next: Next) -> Response {
    let name = cookie_name(CSRF_COOKIE, policy.secure_cookies);
    let existing = cookie_value(request.headers(), &name).filter(|v| is_issued_form(v));
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(random_token);
    let mut request = if needs_token(&policy, &request) {
        match token_sent(&policy, request).await {
            Ok((request, Some(sent))) if !fresh && constant_time_eq(sent.as_bytes(), token.as_bytes()) => request,
            Ok((request, _)) => return refusal(&request),
            Err(response) => return response,
        }
    } else {
        request
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if fresh {
        // Not HttpOnly: the hydrated page reads it to fill the forms it renders itself.
        let cookie =
            Cookie::build((name, token)).path("/").same_site(SameSite::Strict).secure(policy.secure_cookies).build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// Whether a cookie value has the form of the tokens `random_token` issues (64 hex digits).
fn is_issued_form(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

fn needs_token(policy: &CsrfPolicy, request: &Request) -> bool {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let bearer =
        request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("Bearer "));
    let path = request.uri().path();
    let cookie_free =
        !request.headers().contains_key(COOKIE) && policy.cookie_free_prefixes.iter().any(|p| path.starts_with(p));
    !bearer && !cookie_free && !policy.exempt_paths.contains(&path)
}

/// The token the request sent, from the header or its form body. Reading the body consumes it,
/// so the request is rebuilt around the bytes read.
async fn token_sent(policy: &CsrfPolicy, request: Request) -> Result<(Request, Option<String>), Response> {
    if let Some(sent) = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        let sent = sent.to_string();
        return Ok((request, Some(sent)));
    }
    let content_type =
        request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let urlencoded = content_type.starts_with("application/x-www-form-urlencoded");
    let multipart = content_type.starts_with("multipart/form-data");
    if !urlencoded && !multipart {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, policy.max_form_bytes).await.map_err(|_| {
        AppError::invalid("form", "The form is larger than this server accepts.")
            .into_response_with(StatusCode::PAYLOAD_TOO_LARGE)
    })?;
    // Read straight from the bytes: axum's extractors would apply their own (smaller) body limit
    // to a copy of the request. A token is 64 hex digits, so it needs no percent-decoding.
    let sent = if urlencoded { form_field(&bytes) } else { multipart_field(&bytes) };
    Ok((Request::from_parts(parts, Body::from(bytes)), sent))
}

/// The `csrf` field of a url-encoded form body.
fn form_field(body: &[u8]) -> Option<String> {
    let prefix = format!("{CSRF_FIELD}=");
    body.split(|b| *b == b'&')
        .find_map(|pair| pair.strip_prefix(prefix.as_bytes()))
        .and_then(|value| String::from_utf8(value.to_vec()).ok())
}

/// The `csrf` part of a multipart form body: the text after its headers, up to the line break
/// before the next boundary.
fn multipart_field(body: &[u8]) -> Option<String> {
    let marker = format!("name=\"{CSRF_FIELD}\"");
    let at = find(body, marker.as_bytes())?;
    let rest = &body[at..];
    let start = find(rest, b"\r\n\r\n")? + 4;
    let value = &rest[start..];
    let end = find(value, b"\r\n").unwrap_or(value.len());
    String::from_utf8(value[..end].to_vec()).ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The answer to a request without a matching token, in the shape its caller reads: a page for
/// a browser's plain form post, the server-function error encoding for server functions, the
/// JSON error of the HTTP API otherwise.
fn refusal(request: &Request) -> Response {
    let error = AppError::FormExpired;
    let accepts_html =
        request.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    let path = request.uri().path();
    if accepts_html {
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Form expired · EventXchange</title></head>\
             <body><main><h1>This form has expired</h1><p>{error}</p><p><a href=\"/\">EventXchange</a></p></main></body></html>"
        );
        (StatusCode::FORBIDDEN, Html(page)).into_response()
    } else if path.starts_with("/api/") && !path.starts_with("/api/v1/") {
        let body = serde_json::to_string(&error).unwrap_or_default();
        (StatusCode::FORBIDDEN, [(CONTENT_TYPE, "application/json")], body).into_response()
    } else {
        error.into_response()
    }
}

/// The CSRF token to embed in forms rendered for this request.
pub fn csrf_token_for_render() -> String {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<CsrfToken>().map(|t| t.0.clone()))
        .unwrap_or_default()
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

/// Adds a `Set-Cookie` header to the response of the current server function.
pub fn set_cookie(cookie: &Cookie<'_>) {
    if let (Some(options), Ok(value)) =
        (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie.to_string()))
    {
        options.append_header(SET_COOKIE, value);
    }
}

/// How `server_fn_answers` knows the largest body a server function takes.
#[derive(Clone, Copy, Debug)]
pub struct ServerFnLimit(pub usize);

/// Middleware for server functions (`/api/…` but not the `/api/v1/` HTTP API): a body larger
/// than the limit is answered 413 with a message before anything reads it, and an error that
/// leptos answered 500 (it answers every failure so, including arguments that do not parse,
/// before the function body runs) gets the status its `AppError` names, e.g. 422 for bad input.
/// Only `Internal` stays a 500.
pub async fn server_fn_answers(State(limit): State<ServerFnLimit>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/api/") || path.starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit.0) {
        let megabytes = limit.0 / (1024 * 1024);
        return AppError::invalid("form", format!("The form is larger than {megabytes} MB; send less at once."))
            .into_response_with(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are a few hundred bytes; anything larger is passed on untouched.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        let status = match &error {
            // A body cut off by the size limit while being read.
            AppError::Transport(detail) if detail.contains("length limit") => StatusCode::PAYLOAD_TOO_LARGE,
            other => StatusCode::from_u16(other.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        };
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Middleware: the headers every answer carries. Pages set their own Content-Security-Policy
/// (with the nonce of their inline scripts); anything else gets one that allows nothing to run.
/// HSTS only when the site is served over https (`secure`), or a plain-http development server
/// would make browsers refuse it.
pub async fn security_headers(State(secure): State<bool>, request: Request, next: Next) -> Response {
    use http::header;
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'none'"),
        );
    }
    if secure {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// How long browsers keep the site's own files: a bundle file whose name carries the hash of
/// its content (`/pkg/app.3f2a9c0d1e4b5a67.wasm`, from a release build) never changes, so it is
/// kept for a year without asking again; other files under `/pkg/` (a development build's
/// `app.wasm`) are asked for again each time, answered 304 while unchanged.
pub fn asset_cache_control(path: &str) -> Option<&'static str> {
    let name = path.strip_prefix("/pkg/")?;
    let hashed = name.split('.').any(|part| part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit()));
    Some(if hashed { "public, max-age=31536000, immutable" } else { "no-cache" })
}

/// Adds `asset_cache_control` to successful answers for the site's files.
pub async fn asset_caching(request: Request, next: Next) -> Response {
    let policy = asset_cache_control(request.uri().path());
    let mut response = next.run(request).await;
    if let (Some(policy), true) = (policy, response.status().is_success()) {
        response.headers_mut().insert(http::header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// The address of the client of the current server-function call or page render (the TCP peer;
/// a server behind a proxy sees the proxy).
pub fn client_address() -> Option<std::net::IpAddr> {
    use_context::<Parts>()?.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_content_hashed_bundle_files_are_kept_for_a_year() {
        let year = Some("public, max-age=31536000, immutable");
        assert_eq!(super::asset_cache_control("/pkg/app.3f2a9c0d1e4b5a67.wasm"), year);
        assert_eq!(super::asset_cache_control("/pkg/app.3F2A9C0D1E4B5A67.css"), year);
        assert_eq!(super::asset_cache_control("/pkg/app.wasm"), Some("no-cache"));
        assert_eq!(super::asset_cache_control("/pkg/app.3f2a9c0d.js"), Some("no-cache"), "too short for a hash");
        assert_eq!(super::asset_cache_control("/events/3f2a9c0d1e4b5a67"), None, "pages are not assets");
    }

    #[test]
    fn the_token_is_found_in_either_kind_of_form() {
        assert_eq!(super::form_field(b"slug=x&csrf=abc123&csv=a%26b").as_deref(), Some("abc123"));
        assert_eq!(super::form_field(b"xcsrf=no&slug=x"), None);
        let multipart = b"--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n--b\r\n\
Content-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\n\r\n\x89PNG\r\n--b--\r\n";
        assert_eq!(super::multipart_field(multipart).as_deref(), Some("abc123"));
        assert_eq!(super::multipart_field(b"--b--\r\n"), None);
    }
}

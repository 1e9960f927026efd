//! A fake Stripe API owned by the tests, plus helpers that build signed webhook deliveries.
//!
//! The application talks to it exactly as it would talk to `https://api.stripe.com/`: point the
//! Stripe client's base URL at [`FakeStripe::base`] and use any `sk_test_…` key (for example
//! [`SECRET_KEY`]). The fake answers with JSON shaped like Stripe's (every field the
//! `async-stripe` response types require is present) and records what it was asked, so a test
//! can assert on amounts, metadata and idempotency keys.
//!
//! Endpoints:
//! - `POST /v1/checkout/sessions` (mode=payment with `price_data` line items only)
//! - `GET  /v1/checkout/sessions/{id}`
//! - `POST /v1/checkout/sessions/{id}/expire`
//! - `POST /v1/refunds` (by `payment_intent`; the payment must be known, see below)
//! - anything else: 404 with Stripe's "Unrecognized request URL" error
//!
//! Stripe behaviour that is reproduced because the application must cope with it:
//! - `Authorization: Bearer sk_test_…` is required (401 otherwise);
//! - an `Idempotency-Key` seen before on the same endpoint replays the first answer (with an
//!   `Idempotent-Replayed: true` header), and the same key with other parameters is a 400
//!   `idempotency_error`;
//! - `expires_at` must lie 30 minutes to 24 hours after creation, a EUR total must be at least
//!   50 cents, metadata keys/values are limited to 40/500 characters;
//! - a refund cannot exceed what is left of the payment (`amount_too_large`,
//!   `charge_already_refunded`), and an unknown payment intent is `resource_missing`.
//!
//! Payments only exist once a test says a customer paid: [`FakeStripe::complete`] (which also
//! returns the `checkout.session.completed` object for the webhook) or
//! [`FakeStripe::register_payment`]. Nothing here sends webhooks; tests post
//! [`event`] bodies with a [`signature_header`] to the application themselves.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

/// A secret key the fake accepts (any `sk_test_…` key is accepted).
pub const SECRET_KEY: &str = "sk_test_eventxchange_fake";

/// A webhook endpoint secret for tests to configure in the app and sign deliveries with.
pub const WEBHOOK_SECRET: &str = "whsec_test_eventxchange_fake";

/// The API version async-stripe 1.0.0-rc.10 sends (`stripe_shared::version::VERSION`); events
/// carry it as Stripe stamps events with the endpoint's version.
pub const API_VERSION: &str = "2026-09-30.endive";

/// The independent webhook signer (Python standard library only). Resolved from this crate's
/// manifest directory at compile time, so it does not depend on the tests' working directory.
const SIGNER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../checkers/stripe_sign.py");

/// Stripe's limits on `expires_at`, relative to the session's creation.
const MIN_EXPIRY_SECONDS: i64 = 30 * 60;
const MAX_EXPIRY_SECONDS: i64 = 24 * 60 * 60;
/// The client computes `expires_at` a moment before the fake sees the request; a minute of slack
/// keeps "exactly 30 minutes" or "exactly 24 hours" from failing on a clock tick.
const EXPIRY_SLACK_SECONDS: i64 = 60;

/// Decoded `key=value` pairs of a form body, in the order the client sent them. Keys keep
/// Stripe's bracket notation, e.g. `line_items[0][price_data][unit_amount]`.
pub type FormPairs = Vec<(String, String)>;

/// One line item of a created Checkout Session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineItem {
    /// `price_data[product_data][name]` (None when an existing `price_data[product]` was named).
    pub name: Option<String>,
    pub unit_amount: i64,
    pub quantity: i64,
    pub currency: String,
}

/// A Checkout Session the application created.
#[derive(Clone, Debug)]
pub struct CreatedSession {
    pub id: String,
    /// The hosted payment page (`https://checkout.stripe.test/c/pay/<id>`).
    pub url: String,
    /// Every form pair of the create request.
    pub form: FormPairs,
    pub line_items: Vec<LineItem>,
    /// Sum of unit_amount × quantity over the line items, in cents.
    pub amount_total: i64,
    pub currency: String,
    pub client_reference_id: Option<String>,
    pub customer_email: Option<String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    /// `metadata[…]` of the session.
    pub metadata: BTreeMap<String, String>,
    /// `metadata[ticket_id]`, the application's link from a session back to a ticket.
    pub ticket_id: Option<String>,
    /// `payment_intent_data[metadata][…]`, copied by Stripe onto the payment intent.
    pub payment_intent_metadata: BTreeMap<String, String>,
    pub created: i64,
    pub expires_at: i64,
    pub idempotency_key: Option<String>,
    /// `open`, `complete` or `expired`: [`FakeStripe::complete`], [`FakeStripe::expire`] and the
    /// expire endpoint change it in the fake's records (not in copies a test already holds).
    pub status: String,
    pub payment_intent: Option<String>,
}

impl CreatedSession {
    /// The (last) value the create request sent for `key`, e.g. `"line_items[0][quantity]"`.
    pub fn field(&self, key: &str) -> Option<&str> {
        field(&self.form, key)
    }
}

/// A refund the application created.
#[derive(Clone, Debug)]
pub struct CreatedRefund {
    pub id: String,
    pub form: FormPairs,
    pub payment_intent: String,
    /// The amount refunded, in cents (the whole remaining amount when the request named none).
    pub amount: i64,
    /// Whether the request named an amount itself.
    pub amount_requested: bool,
    pub currency: String,
    pub charge: String,
    pub metadata: BTreeMap<String, String>,
    /// `metadata[ticket_id]`.
    pub ticket_id: Option<String>,
    pub created: i64,
    pub idempotency_key: Option<String>,
}

/// One request the fake answered, successful or not, in arrival order.
#[derive(Clone, Debug)]
pub struct ApiCall {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub status: u16,
    /// The answer was an idempotent replay of an earlier one.
    pub replayed: bool,
}

/// A payment a test declared made, so refunds against it can be checked.
#[derive(Clone, Debug)]
struct Payment {
    amount: i64,
    refunded: i64,
    currency: String,
    charge: String,
}

#[derive(Default)]
struct FakeState {
    sessions: Vec<CreatedSession>,
    refunds: Vec<CreatedRefund>,
    calls: Vec<ApiCall>,
    /// Set by `fail_next_with`: the next API call answers with this status.
    fail_next: Option<StatusCode>,
    /// First successful answer per (path, Idempotency-Key), with the request's form pairs sorted
    /// (the client serialises metadata from a HashMap, so a retry may list pairs in another order).
    idempotent: HashMap<(String, String), (FormPairs, Value)>,
    /// Paid payment intents by id.
    payments: HashMap<String, Payment>,
}

type Shared = Arc<Mutex<FakeState>>;

/// The running fake; cheap to clone, all clones share the same records.
#[derive(Clone)]
pub struct FakeStripe {
    /// e.g. `http://127.0.0.1:1234` (no trailing slash; async-stripe appends `/v1/…` either way).
    pub base: String,
    state: Shared,
}

/// Starts a fake Stripe on a free loopback port. It runs until the test's runtime shuts down.
pub async fn start() -> FakeStripe {
    let state: Shared = Arc::new(Mutex::new(FakeState::default()));
    let router = Router::new()
        .route("/v1/checkout/sessions", post(create_session))
        .route("/v1/checkout/sessions/{id}", get(retrieve_session))
        .route("/v1/checkout/sessions/{id}/expire", post(expire_session_endpoint))
        .route("/v1/refunds", post(create_refund))
        // Stripe answers a wrong method like an unknown path; must follow the routes it covers.
        .method_not_allowed_fallback(unknown_endpoint)
        .fallback(unknown_endpoint)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake Stripe");
    let base = format!("http://{}", listener.local_addr().expect("the fake Stripe's address"));
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve the fake Stripe") });
    FakeStripe { base, state }
}

impl FakeStripe {
    /// Makes the next API call (any endpoint) answer `{"error":{"type":"api_error",…}}` with
    /// this status instead of doing anything. The failure is not stored under the request's
    /// idempotency key, so a retry with the same key then succeeds. async-stripe's `Once` and
    /// `Idempotent` strategies give up after it; `Retry(n)` retries 409/424/429/5xx.
    pub fn fail_next_with(&self, status: u16) {
        let status = StatusCode::from_u16(status)
            .unwrap_or_else(|_| panic!("fail_next_with needs an HTTP status code, not {status}"));
        lock(&self.state).fail_next = Some(status);
    }

    /// Every Checkout Session created so far (idempotent replays are not repeated here).
    pub fn sessions(&self) -> Vec<CreatedSession> {
        lock(&self.state).sessions.clone()
    }

    /// The session with this id, in its current state.
    pub fn session(&self, id: &str) -> Option<CreatedSession> {
        lock(&self.state).sessions.iter().find(|s| s.id == id).cloned()
    }

    /// Every refund created so far (idempotent replays are not repeated here).
    pub fn refunds(&self) -> Vec<CreatedRefund> {
        lock(&self.state).refunds.clone()
    }

    /// Every request answered so far, including failures and replays.
    pub fn calls(&self) -> Vec<ApiCall> {
        lock(&self.state).calls.clone()
    }

    /// Records that the customer paid `session` with `payment_intent` (so the session reads as
    /// complete and the payment can be refunded), and returns the `checkout.session.completed`
    /// object to wrap with [`event`].
    pub fn complete(&self, session: &CreatedSession, payment_intent: &str) -> Value {
        let mut state = lock(&self.state);
        let stored = state
            .sessions
            .iter_mut()
            .find(|s| s.id == session.id)
            .unwrap_or_else(|| panic!("the fake Stripe never created session {}", session.id));
        stored.status = "complete".to_string();
        stored.payment_intent = Some(payment_intent.to_string());
        let paid = stored.clone();
        state.payments.insert(
            payment_intent.to_string(),
            Payment { amount: paid.amount_total, refunded: 0, currency: paid.currency.clone(), charge: new_id("ch") },
        );
        completed_session(&paid, payment_intent)
    }

    /// Records that the bank refused `refund` (its amount is the payment's again, so it may be
    /// refunded anew) and returns the refund object as `refund.failed` carries it.
    pub fn fail_refund(&self, refund: &CreatedRefund, failure_reason: &str) -> Value {
        let mut state = lock(&self.state);
        let payment = state
            .payments
            .get_mut(&refund.payment_intent)
            .unwrap_or_else(|| panic!("the fake Stripe knows no payment {}", refund.payment_intent));
        payment.refunded -= refund.amount;
        let mut failed = refund_object(refund);
        failed["status"] = json!("failed");
        failed["failure_reason"] = json!(failure_reason);
        failed
    }

    /// Records that `session` expired unpaid and returns the `checkout.session.expired` object.
    pub fn expire(&self, session: &CreatedSession) -> Value {
        let mut state = lock(&self.state);
        let stored = state
            .sessions
            .iter_mut()
            .find(|s| s.id == session.id)
            .unwrap_or_else(|| panic!("the fake Stripe never created session {}", session.id));
        stored.status = "expired".to_string();
        expired_session(stored)
    }

    /// Declares a payment of `amount` cents (EUR) made outside a session, so it can be refunded.
    pub fn register_payment(&self, payment_intent: &str, amount: i64) {
        lock(&self.state).payments.insert(
            payment_intent.to_string(),
            Payment { amount, refunded: 0, currency: "eur".to_string(), charge: new_id("ch") },
        );
    }
}

// ----------------------------------------------------------------------------------------------
// Webhook helpers (pure builders; posting them to the app is the test's business).
// ----------------------------------------------------------------------------------------------

/// The `Stripe-Signature` header Stripe would send for `body`, computed by the independent
/// Python signer rather than by the application's own code, so a bug in the app's HMAC cannot
/// hide itself.
pub fn signature_header(body: &str, secret: &str, timestamp: i64) -> String {
    let timestamp_arg = timestamp.to_string();
    let mut child = Command::new("python3")
        .arg(SIGNER)
        .args(["--secret", secret, "--timestamp", timestamp_arg.as_str(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run python3 {SIGNER}: {err}"));
    // The body goes through standard input ("-") so the signer sees exactly these bytes; dropping
    // the handle closes the pipe so the signer's read ends.
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(body.as_bytes())
            .unwrap_or_else(|err| panic!("cannot hand the webhook body to the signer: {err}"));
    }
    let output = child.wait_with_output().unwrap_or_else(|err| panic!("the webhook signer did not finish: {err}"));
    assert!(
        output.status.success(),
        "the webhook signer failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let header = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(header.starts_with(&format!("t={timestamp},v1=")), "unexpected signer output: {header:?}");
    header
}

/// A Stripe event envelope around `object`, serialised compactly. Sign and post exactly this
/// string: re-serialising it would change the bytes the signature covers.
pub fn event(id: &str, kind: &str, object: Value) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": unix_now(),
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind
    })
    .to_string()
}

/// A fresh event id (`evt_test_…`).
pub fn event_id() -> String {
    new_id("evt")
}

/// The session as `checkout.session.completed` carries it once the customer paid. Pure builder:
/// use [`FakeStripe::complete`] when the payment should also be refundable through the fake.
pub fn completed_session(session: &CreatedSession, payment_intent: &str) -> Value {
    let mut paid = session.clone();
    paid.status = "complete".to_string();
    paid.payment_intent = Some(payment_intent.to_string());
    session_object(&paid)
}

/// The session as `checkout.session.expired` carries it.
pub fn expired_session(session: &CreatedSession) -> Value {
    let mut expired = session.clone();
    expired.status = "expired".to_string();
    session_object(&expired)
}

/// A fully refunded charge, as `charge.refunded` carries it.
pub fn refunded_charge(payment_intent: &str, amount: i64) -> Value {
    object([
        ("id", json!(new_id("ch"))),
        ("object", json!("charge")),
        ("amount", json!(amount)),
        ("amount_captured", json!(amount)),
        ("amount_refunded", json!(amount)),
        ("captured", json!(true)),
        ("created", json!(unix_now())),
        ("currency", json!("eur")),
        ("disputed", json!(false)),
        ("livemode", json!(false)),
        ("metadata", json!({})),
        ("paid", json!(true)),
        ("payment_intent", json!(payment_intent)),
        ("refunded", json!(true)),
        ("status", json!("succeeded")),
    ])
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

// ----------------------------------------------------------------------------------------------
// The HTTP side.
// ----------------------------------------------------------------------------------------------

async fn create_session(
    State(state): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let request = Request {
        method: "POST",
        path: "/v1/checkout/sessions".to_string(),
        headers: &headers,
        form: read_form(form),
        idempotent: true,
    };
    answer(&state, &request, new_session)
}

async fn retrieve_session(State(state): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    // Stripe ignores idempotency keys on GET.
    let request = Request {
        method: "GET",
        path: format!("/v1/checkout/sessions/{id}"),
        headers: &headers,
        form: Ok(Vec::new()),
        idempotent: false,
    };
    answer(&state, &request, |state, _form, _key| {
        let session = find_session(state, &id)?;
        Ok(session_object(session))
    })
}

async fn expire_session_endpoint(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let request = Request {
        method: "POST",
        path: format!("/v1/checkout/sessions/{id}/expire"),
        headers: &headers,
        form: read_form(form),
        idempotent: true,
    };
    answer(&state, &request, |state, _form, _key| {
        let session = find_session_mut(state, &id)?;
        if session.status != "open" {
            return Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                None,
                None,
                format!(
                    "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of \"{}\".",
                    session.status
                ),
            ));
        }
        session.status = "expired".to_string();
        Ok(session_object(session))
    })
}

async fn create_refund(
    State(state): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<FormPairs>, FormRejection>,
) -> Response {
    let request = Request {
        method: "POST",
        path: "/v1/refunds".to_string(),
        headers: &headers,
        form: read_form(form),
        idempotent: true,
    };
    answer(&state, &request, new_refund)
}

async fn unknown_endpoint(State(state): State<Shared>, method: Method, uri: Uri) -> Response {
    // Recorded too: a call to a path the fake does not serve is usually the bug being hunted.
    let reply = Reply::error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        None,
        None,
        format!("Unrecognized request URL ({method}: {}). (The fake Stripe does not serve it.)", uri.path()),
    );
    lock(&state).calls.push(ApiCall {
        method: method.to_string(),
        path: uri.path().to_string(),
        idempotency_key: None,
        status: reply.status.as_u16(),
        replayed: false,
    });
    (reply.status, Json(reply.body)).into_response()
}

/// What every endpoint needs to know about its request.
struct Request<'a> {
    method: &'static str,
    path: String,
    headers: &'a HeaderMap,
    /// The decoded form, or why it could not be read.
    form: Result<FormPairs, String>,
    /// Whether `Idempotency-Key` applies (POST only, as at Stripe).
    idempotent: bool,
}

/// An API answer before it becomes an HTTP response.
struct Reply {
    status: StatusCode,
    body: Value,
}

impl Reply {
    /// Stripe's error shape: `{"error": {"type", "code", "param", "message"}}`.
    fn error(
        status: StatusCode,
        kind: &str,
        code: Option<&str>,
        param: Option<&str>,
        message: impl Into<String>,
    ) -> Reply {
        let message = message.into();
        Reply { status, body: json!({ "error": { "type": kind, "code": code, "param": param, "message": message } }) }
    }

    fn missing(param: &str) -> Reply {
        Reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("parameter_missing"),
            Some(param),
            format!("Missing required param: {param}."),
        )
    }

    fn invalid(param: &str, message: impl Into<String>) -> Reply {
        Reply::error(StatusCode::BAD_REQUEST, "invalid_request_error", Some("parameter_invalid"), Some(param), message)
    }
}

fn read_form(form: Result<Form<FormPairs>, FormRejection>) -> Result<FormPairs, String> {
    form.map(|Form(pairs)| pairs).map_err(|rejection| rejection.body_text())
}

/// Runs one API call: the checks every endpoint shares, then `endpoint`, then the bookkeeping.
fn answer(
    state: &Shared,
    request: &Request<'_>,
    endpoint: impl FnOnce(&mut FakeState, &FormPairs, Option<&str>) -> Result<Value, Reply>,
) -> Response {
    let key = if request.idempotent { idempotency_key(request.headers) } else { None };
    let (reply, replayed) = {
        let mut state = lock(state);
        let (reply, replayed) = decide(&mut state, request, key.as_deref(), endpoint);
        state.calls.push(ApiCall {
            method: request.method.to_string(),
            path: request.path.clone(),
            idempotency_key: key.clone(),
            status: reply.status.as_u16(),
            replayed,
        });
        (reply, replayed)
    };
    let mut response = (reply.status, Json(reply.body)).into_response();
    if replayed {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    // Stripe echoes the key it used.
    if let Some(value) = key.as_deref().and_then(|key| HeaderValue::from_str(key).ok()) {
        response.headers_mut().insert("idempotency-key", value);
    }
    response
}

/// The answer to one call, and whether it is an idempotent replay.
fn decide(
    state: &mut FakeState,
    request: &Request<'_>,
    key: Option<&str>,
    endpoint: impl FnOnce(&mut FakeState, &FormPairs, Option<&str>) -> Result<Value, Reply>,
) -> (Reply, bool) {
    // Authentication comes first, as at Stripe: a bad key is a configuration bug, and it must
    // not consume an injected failure meant for a real call.
    if let Err(message) = authenticate(request.headers) {
        return (Reply::error(StatusCode::UNAUTHORIZED, "invalid_request_error", None, None, message), false);
    }
    if let Some(status) = state.fail_next.take() {
        let message = format!("Injected failure with status {} (FakeStripe::fail_next_with).", status.as_u16());
        return (Reply::error(status, "api_error", None, None, message), false);
    }
    let form = match &request.form {
        Ok(form) => form,
        Err(why) => {
            let message = format!("The fake Stripe could not read the form body: {why}");
            return (Reply::error(StatusCode::BAD_REQUEST, "invalid_request_error", None, None, message), false);
        }
    };
    let sorted_form = {
        let mut sorted = form.clone();
        sorted.sort();
        sorted
    };
    if let Some(key) = key {
        if let Some((first_form, first_body)) = state.idempotent.get(&(request.path.clone(), key.to_string())) {
            if *first_form == sorted_form {
                return (Reply { status: StatusCode::OK, body: first_body.clone() }, true);
            }
            let message = format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. \
                 Try using a key other than '{key}' if you meant to execute a different request."
            );
            return (Reply::error(StatusCode::BAD_REQUEST, "idempotency_error", None, None, message), false);
        }
    }
    // Explicit reborrow: `state` is needed again below.
    match endpoint(&mut *state, form, key) {
        Ok(body) => {
            // Only successes are remembered: Stripe does not save requests that failed validation,
            // so a corrected retry with the same key goes through.
            if let Some(key) = key {
                state.idempotent.insert((request.path.clone(), key.to_string()), (sorted_form, body.clone()));
            }
            (Reply { status: StatusCode::OK, body }, false)
        }
        Err(reply) => (reply, false),
    }
}

fn authenticate(headers: &HeaderMap) -> Result<(), String> {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(
            "You did not provide an API key. Provide it in the Authorization header as 'Bearer sk_test_…'.".to_string()
        );
    };
    match value.strip_prefix("Bearer ") {
        Some(key) if key.starts_with("sk_test_") && key.len() > "sk_test_".len() => Ok(()),
        Some(key) => Err(format!("Invalid API Key provided: {}", redact(key))),
        None => Err("Invalid authorization header: expected 'Bearer <secret key>'.".to_string()),
    }
}

/// Like Stripe, never echo a whole key back.
fn redact(key: &str) -> String {
    let tail = key.char_indices().rev().nth(3).map_or(key, |(start, _)| &key[start..]);
    format!("****{tail}")
}

fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string)
}

// ----------------------------------------------------------------------------------------------
// Endpoint logic.
// ----------------------------------------------------------------------------------------------

fn new_session(state: &mut FakeState, form: &FormPairs, key: Option<&str>) -> Result<Value, Reply> {
    let mode = field(form, "mode").ok_or_else(|| Reply::missing("mode"))?;
    if mode != "payment" {
        return Err(Reply::invalid("mode", format!("The fake Stripe only implements mode=payment, not {mode:?}.")));
    }
    let line_items = parse_line_items(form)?;
    let Some(first) = line_items.first() else {
        return Err(Reply::missing("line_items"));
    };
    let currency = first.currency.clone();
    if line_items.iter().any(|item| item.currency != currency) {
        return Err(Reply::invalid("line_items", "All line items must use the same currency."));
    }
    let mut amount_total: i64 = 0;
    for item in &line_items {
        amount_total = item
            .unit_amount
            .checked_mul(item.quantity)
            .and_then(|line| amount_total.checked_add(line))
            .ok_or_else(|| Reply::invalid("line_items", "The total amount is too large."))?;
    }
    // Stripe's minimum charge for EUR.
    if currency == "eur" && amount_total < 50 {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            None,
            "The Checkout Session's total amount due must add up to at least €0.50 eur",
        ));
    }

    let created = unix_now();
    let expires_at = match integer(form, "expires_at")? {
        Some(expires_at) => {
            let earliest = created + MIN_EXPIRY_SECONDS - EXPIRY_SLACK_SECONDS;
            let latest = created + MAX_EXPIRY_SECONDS + EXPIRY_SLACK_SECONDS;
            if !(earliest..=latest).contains(&expires_at) {
                return Err(Reply::invalid(
                    "expires_at",
                    format!(
                        "expires_at must be between 30 minutes and 24 hours after the session is created \
                         (got {expires_at}, {} s from now).",
                        expires_at - created
                    ),
                ));
            }
            expires_at
        }
        None => created + MAX_EXPIRY_SECONDS,
    };

    let metadata = metadata_under(form, "metadata")?;
    let payment_intent_metadata = metadata_under(form, "payment_intent_data[metadata]")?;
    let id = new_id("cs");
    let session = CreatedSession {
        url: format!("https://checkout.stripe.test/c/pay/{id}"),
        id,
        form: form.clone(),
        line_items,
        amount_total,
        currency,
        client_reference_id: field(form, "client_reference_id").map(str::to_string),
        customer_email: field(form, "customer_email").map(str::to_string),
        success_url: field(form, "success_url").map(str::to_string),
        cancel_url: field(form, "cancel_url").map(str::to_string),
        ticket_id: metadata.get("ticket_id").cloned(),
        metadata,
        payment_intent_metadata,
        created,
        expires_at,
        idempotency_key: key.map(str::to_string),
        status: "open".to_string(),
        payment_intent: None,
    };
    let body = session_object(&session);
    state.sessions.push(session);
    Ok(body)
}

fn new_refund(state: &mut FakeState, form: &FormPairs, key: Option<&str>) -> Result<Value, Reply> {
    let Some(payment_intent) = field(form, "payment_intent") else {
        if field(form, "charge").is_some() {
            return Err(Reply::invalid("charge", "The fake Stripe only refunds by payment_intent."));
        }
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("parameter_missing"),
            Some("payment_intent"),
            "One of `charge` or `payment_intent` is required.",
        ));
    };
    let requested = integer(form, "amount")?;
    if requested.is_some_and(|amount| amount <= 0) {
        return Err(Reply::invalid("amount", "Refund amounts must be positive."));
    }
    let metadata = metadata_under(form, "metadata")?;
    let Some(payment) = state.payments.get_mut(payment_intent) else {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("resource_missing"),
            Some("payment_intent"),
            format!(
                "No such payment_intent: '{payment_intent}' (the fake Stripe knows only payment intents passed to \
                 FakeStripe::complete or FakeStripe::register_payment)"
            ),
        ));
    };
    let remaining = payment.amount - payment.refunded;
    if remaining <= 0 {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("charge_already_refunded"),
            None,
            format!("Charge {} has already been refunded.", payment.charge),
        ));
    }
    let amount = requested.unwrap_or(remaining);
    if amount > remaining {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("amount_too_large"),
            Some("amount"),
            format!("Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"),
        ));
    }
    payment.refunded += amount;
    let refund = CreatedRefund {
        id: new_id("re"),
        form: form.clone(),
        payment_intent: payment_intent.to_string(),
        amount,
        amount_requested: requested.is_some(),
        currency: payment.currency.clone(),
        charge: payment.charge.clone(),
        ticket_id: metadata.get("ticket_id").cloned(),
        metadata,
        created: unix_now(),
        idempotency_key: key.map(str::to_string),
    };
    let body = refund_object(&refund);
    state.refunds.push(refund);
    Ok(body)
}

fn find_session<'a>(state: &'a FakeState, id: &str) -> Result<&'a CreatedSession, Reply> {
    state.sessions.iter().find(|s| s.id == id).ok_or_else(|| no_such_session(id))
}

fn find_session_mut<'a>(state: &'a mut FakeState, id: &str) -> Result<&'a mut CreatedSession, Reply> {
    state.sessions.iter_mut().find(|s| s.id == id).ok_or_else(|| no_such_session(id))
}

fn no_such_session(id: &str) -> Reply {
    Reply::error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("resource_missing"),
        Some("id"),
        format!("No such checkout.session: '{id}'"),
    )
}

// ----------------------------------------------------------------------------------------------
// Reading Stripe's bracketed form keys.
// ----------------------------------------------------------------------------------------------

/// The last value for `key` (the last one wins, as with Stripe's own parser).
fn field<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn integer(form: &[(String, String)], key: &str) -> Result<Option<i64>, Reply> {
    match field(form, key) {
        None => Ok(None),
        Some(raw) => raw.parse::<i64>().map(Some).map_err(|_| {
            Reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("parameter_invalid_integer"),
                Some(key),
                format!("Invalid integer: {raw}"),
            )
        }),
    }
}

/// `line_items[i][…]` for i = 0, 1, … until an index is absent.
fn parse_line_items(form: &[(String, String)]) -> Result<Vec<LineItem>, Reply> {
    let mut items = Vec::new();
    for index in 0usize.. {
        let prefix = format!("line_items[{index}]");
        // The trailing '[' keeps line_items[1] from matching line_items[10].
        let opened = format!("{prefix}[");
        if !form.iter().any(|(k, _)| k.starts_with(&opened)) {
            break;
        }
        if field(form, &format!("{prefix}[price]")).is_some() {
            return Err(Reply::invalid(
                &format!("{prefix}[price]"),
                "The fake Stripe knows no Price objects; send price_data instead.",
            ));
        }
        let amount_key = format!("{prefix}[price_data][unit_amount]");
        let unit_amount = integer(form, &amount_key)?.ok_or_else(|| Reply::missing(&amount_key))?;
        if unit_amount < 0 {
            return Err(Reply::invalid(&amount_key, "unit_amount must be at least 0."));
        }
        let currency_key = format!("{prefix}[price_data][currency]");
        let currency = field(form, &currency_key).ok_or_else(|| Reply::missing(&currency_key))?.to_lowercase();
        let name = field(form, &format!("{prefix}[price_data][product_data][name]")).map(str::to_string);
        if name.is_none() && field(form, &format!("{prefix}[price_data][product]")).is_none() {
            return Err(Reply::missing(&format!("{prefix}[price_data][product_data][name]")));
        }
        let quantity_key = format!("{prefix}[quantity]");
        let quantity = integer(form, &quantity_key)?.ok_or_else(|| Reply::missing(&quantity_key))?;
        if quantity < 1 {
            return Err(Reply::invalid(&quantity_key, "quantity must be at least 1."));
        }
        items.push(LineItem { name, unit_amount, quantity, currency });
    }
    Ok(items)
}

/// The direct children of `prefix[…]`, e.g. `metadata[ticket_id]` → `ticket_id`, with Stripe's
/// metadata limits.
fn metadata_under(form: &[(String, String)], prefix: &str) -> Result<BTreeMap<String, String>, Reply> {
    let mut map = BTreeMap::new();
    for (key, value) in form {
        let Some(name) =
            key.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('[')).and_then(|rest| rest.strip_suffix(']'))
        else {
            continue;
        };
        if name.contains(['[', ']']) {
            // Deeper nesting is some other parameter, not a metadata entry.
            continue;
        }
        if name.chars().count() > 40 {
            return Err(Reply::invalid(key, "Metadata keys can have up to 40 characters."));
        }
        if value.chars().count() > 500 {
            return Err(Reply::invalid(key, "Metadata values can have up to 500 characters."));
        }
        map.insert(name.to_string(), value.clone());
    }
    if map.len() > 50 {
        return Err(Reply::invalid(prefix, "Metadata can have up to 50 keys."));
    }
    Ok(map)
}

// ----------------------------------------------------------------------------------------------
// Stripe-shaped JSON.
// ----------------------------------------------------------------------------------------------

/// Builds an object from pairs (a long `json!` literal would exceed the macro recursion limit).
fn object<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    let mut map = Map::new();
    for (key, value) in pairs {
        map.insert(key.to_string(), value);
    }
    Value::Object(map)
}

/// A Checkout Session as the API and webhooks show it. Carries every field async-stripe's
/// `CheckoutSession` requires (automatic_tax.enabled, created, custom_fields, custom_text,
/// expires_at, id, livemode, mode, payment_method_types, payment_status, shipping_options); the
/// rest mirrors what Stripe sends for a hosted, card-only payment session.
fn session_object(session: &CreatedSession) -> Value {
    let paid = session.status == "complete";
    let payment_status = if paid { "paid" } else { "unpaid" };
    // Stripe only shows the payment page's URL while the session is open.
    let url = if session.status == "open" { json!(session.url) } else { Value::Null };
    let customer_details = if paid {
        json!({
            "address": null,
            "email": session.customer_email.clone().unwrap_or_else(|| "buyer@example.test".to_string()),
            "name": "Test Buyer",
            "phone": null,
            "tax_exempt": "none",
            "tax_ids": []
        })
    } else {
        Value::Null
    };
    object([
        ("id", json!(session.id)),
        ("object", json!("checkout.session")),
        ("adaptive_pricing", Value::Null),
        ("after_expiration", Value::Null),
        ("allow_promotion_codes", Value::Null),
        ("amount_subtotal", json!(session.amount_total)),
        ("amount_total", json!(session.amount_total)),
        ("automatic_tax", json!({ "enabled": false, "liability": null, "provider": null, "status": null })),
        ("billing_address_collection", Value::Null),
        ("cancel_url", json!(session.cancel_url)),
        ("client_reference_id", json!(session.client_reference_id)),
        ("client_secret", Value::Null),
        ("collected_information", Value::Null),
        ("consent", Value::Null),
        ("consent_collection", Value::Null),
        ("created", json!(session.created)),
        ("currency", json!(session.currency)),
        ("currency_conversion", Value::Null),
        ("custom_fields", json!([])),
        (
            "custom_text",
            json!({ "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null }),
        ),
        ("customer", Value::Null),
        ("customer_creation", json!("if_required")),
        ("customer_details", customer_details),
        ("customer_email", json!(session.customer_email)),
        ("discounts", json!([])),
        ("expires_at", json!(session.expires_at)),
        ("invoice", Value::Null),
        ("invoice_creation", Value::Null),
        ("livemode", json!(false)),
        ("locale", Value::Null),
        ("metadata", json!(session.metadata)),
        ("mode", json!("payment")),
        ("payment_intent", json!(session.payment_intent)),
        ("payment_link", Value::Null),
        ("payment_method_collection", json!("if_required")),
        ("payment_method_configuration_details", Value::Null),
        ("payment_method_options", Value::Null),
        ("payment_method_types", json!(["card"])),
        ("payment_status", json!(payment_status)),
        ("phone_number_collection", json!({ "enabled": false })),
        ("recovered_from", Value::Null),
        ("saved_payment_method_options", Value::Null),
        ("setup_intent", Value::Null),
        ("shipping_address_collection", Value::Null),
        ("shipping_cost", Value::Null),
        ("shipping_options", json!([])),
        ("status", json!(session.status)),
        ("submit_type", Value::Null),
        ("subscription", Value::Null),
        ("success_url", json!(session.success_url)),
        ("total_details", json!({ "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 })),
        ("ui_mode", json!("hosted_page")),
        ("url", url),
        ("wallet_options", Value::Null),
    ])
}

/// A refund as the API shows it. Carries async-stripe's required `Refund` fields (id, amount,
/// created, currency); a card refund succeeds at once in test mode.
fn refund_object(refund: &CreatedRefund) -> Value {
    object([
        ("id", json!(refund.id)),
        ("object", json!("refund")),
        ("amount", json!(refund.amount)),
        ("balance_transaction", json!(new_id("txn"))),
        ("charge", json!(refund.charge)),
        ("created", json!(refund.created)),
        ("currency", json!(refund.currency)),
        ("description", Value::Null),
        ("destination_details", Value::Null),
        ("metadata", json!(refund.metadata)),
        ("payment_intent", json!(refund.payment_intent)),
        ("reason", Value::Null),
        ("receipt_number", Value::Null),
        ("source_transfer_reversal", Value::Null),
        ("status", json!("succeeded")),
        ("transfer_reversal", Value::Null),
    ])
}

// ----------------------------------------------------------------------------------------------
// Small utilities.
// ----------------------------------------------------------------------------------------------

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// `<prefix>_test_<pid><counter>` in fixed-width hex: unique within the process (counter) and
/// across test processes (pid), with no `rand` dependency.
fn new_id(prefix: &str) -> String {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_test_{:08x}{n:08x}", std::process::id())
}

fn lock(state: &Mutex<FakeState>) -> MutexGuard<'_, FakeState> {
    // A test that panicked while holding the lock must not take every later call down with it.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

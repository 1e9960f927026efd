//! Payments through Stripe (server only): Checkout Sessions for paid tickets, refunds, and the
//! webhook that confirms both. The API is called with `async-stripe` (the maintained successor
//! of stripe-rust); its base URL is configurable so the tests run the real client against a
//! fake Stripe of their own.

pub mod signature;
pub mod webhook;

use std::collections::HashMap;
use std::time::Duration;

use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ProductData,
};
use stripe_checkout::{CheckoutSession, CheckoutSessionMode};
use stripe_core::refund::CreateRefund;

use crate::error::AppError;
use crate::platform::now;
use crate::tickets::store::TicketRow;

/// A seat is held while its Checkout Session is open; Stripe accepts 30 minutes to 24 hours.
pub const CHECKOUT_MINUTES: i64 = 30;

/// The configured Stripe account.
pub struct Payments {
    client: stripe::Client,
    webhook_secret: String,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the API key nor the webhook secret is ever printed.
        f.debug_struct("Payments").finish_non_exhaustive()
    }
}

pub struct CheckoutStarted {
    pub session_id: String,
    pub url: String,
    pub expires_at: i64,
}

fn describe(err: &stripe::StripeError) -> String {
    match err {
        stripe::StripeError::Stripe(api, status) => {
            format!("Stripe answered {status}: {} {}", api.type_, api.message.as_deref().unwrap_or("(no message)"))
        }
        other => other.to_string(),
    }
}

fn unavailable(context: &str, err: &stripe::StripeError) -> AppError {
    tracing::error!(error = %describe(err), "{context}");
    AppError::invalid(
        "payment",
        "The payment service did not answer as expected. Nothing was charged; please try again.",
    )
}

impl Payments {
    /// `api_base` replaces `https://api.stripe.com/` (tests point it at their fake).
    pub fn new(secret_key: &str, webhook_secret: &str, api_base: Option<&str>) -> Result<Payments, String> {
        let mut builder = stripe::ClientBuilder::new(secret_key).timeout(Duration::from_secs(20));
        if let Some(base) = api_base {
            builder = builder.url(base);
        }
        let client = builder.build().map_err(|e| format!("the Stripe settings are not usable: {}", describe(&e)))?;
        Ok(Payments { client, webhook_secret: webhook_secret.to_string() })
    }

    pub fn webhook_secret(&self) -> &str {
        &self.webhook_secret
    }

    /// Opens a Checkout Session for a held ticket. The idempotency key is the ticket's, so a
    /// retried request cannot open a second session (or charge twice).
    pub async fn start_checkout(&self, public_url: &str, ticket: &TicketRow) -> Result<CheckoutStarted, AppError> {
        let ticket_id = ticket.id.to_string();
        let metadata = HashMap::from([("ticket_id".to_string(), ticket_id.clone())]);
        let price_data = CreateCheckoutSessionLineItemsPriceData {
            currency: ticket.currency.to_lowercase().parse().unwrap_or_else(|never| match never {}),
            product: None,
            product_data: Some(ProductData::new(format!("{}: {}", ticket.event_title, ticket.ticket_type))),
            recurring: None,
            tax_behavior: None,
            unit_amount: Some(ticket.price_cents),
            unit_amount_decimal: None,
        };
        let line_item = CreateCheckoutSessionLineItems {
            price_data: Some(price_data),
            quantity: Some(1),
            ..CreateCheckoutSessionLineItems::new()
        };
        let payment_intent_data = CreateCheckoutSessionPaymentIntentData {
            metadata: Some(metadata.clone()),
            ..CreateCheckoutSessionPaymentIntentData::new()
        };
        let ticket_page = format!("{public_url}/tickets/{}", ticket.id);
        let request = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Payment)
            .line_items(vec![line_item])
            .success_url(format!("{ticket_page}?paid=1"))
            .cancel_url(ticket_page)
            .client_reference_id(ticket_id.clone())
            .customer_email(ticket.email.clone())
            .expires_at(now() + CHECKOUT_MINUTES * 60)
            .metadata(metadata)
            .payment_intent_data(payment_intent_data);
        let key = IdempotencyKey::new(format!("exx-ticket-{ticket_id}-checkout"))
            .map_err(|e| crate::platform::error::internal("idempotency key", e))?;
        let session: CheckoutSession = request
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(|e| unavailable("could not open a Stripe Checkout Session", &e))?;
        let url = session.url.clone().ok_or_else(|| {
            tracing::error!(session = %session.id, "Stripe returned a Checkout Session without a URL");
            AppError::invalid("payment", "The payment page could not be opened. Nothing was charged; please try again.")
        })?;
        Ok(CheckoutStarted { session_id: session.id.as_str().to_string(), url, expires_at: session.expires_at })
    }

    /// Asks Stripe to refund a ticket's payment in full. The ticket changes when Stripe reports
    /// the refund through the webhook.
    pub async fn refund(&self, ticket: &TicketRow) -> Result<String, AppError> {
        let intent = ticket
            .payment_intent_id
            .as_deref()
            .ok_or_else(|| AppError::invalid("ticket", "This ticket has no payment to refund."))?;
        // A new attempt after a failed refund is a new refund, not the failed one again.
        let attempt = ticket.refund_failed_at.unwrap_or(0);
        let key = IdempotencyKey::new(format!("exx-ticket-{}-refund-{attempt}", ticket.id))
            .map_err(|e| crate::platform::error::internal("idempotency key", e))?;
        let refund = CreateRefund::new()
            .payment_intent(intent)
            .metadata(HashMap::from([("ticket_id".to_string(), ticket.id.to_string())]))
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(|e| unavailable("could not start a Stripe refund", &e))?;
        tracing::info!(ticket = ticket.id, refund = %refund.id, "refund started");
        Ok(refund.id.as_str().to_string())
    }
}

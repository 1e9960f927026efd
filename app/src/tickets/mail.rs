//! The mails of a ticket's life: confirmation (with the event's calendar file), cancellation and
//! refund. Plain text, built from the stored ticket, queued in the transaction that changes it.

use super::rules::format_money;
use super::store::TicketRow;
use crate::platform::mail::{MailAttachment, OutgoingMail};

fn ticket_link(public_url: &str, ticket: &TicketRow) -> String {
    format!("{public_url}/tickets/{}", ticket.id)
}

pub fn confirmation(public_url: &str, ticket: &TicketRow, event_ics: &str) -> OutgoingMail {
    let price = format_money(ticket.price_cents, &ticket.currency);
    OutgoingMail {
        recipient: ticket.email.clone(),
        subject: format!("Your ticket for {}", ticket.event_title),
        body_text: format!(
            "Hello {name},\n\nyou are registered for {event}.\n\n\
             Ticket: {kind} ({price})\nTicket number: {id}\n\n\
             Your ticket is here:\n{link}\n\n\
             Print your badge, or show its QR code at the door from your phone:\n{link}/badge\n\n\
             The event is attached as a calendar file. See the programme and build your agenda at\n\
             {public_url}/events/{slug}/agenda\n\nSee you there,\nthe EventXchange team\n",
            name = ticket.attendee_name,
            event = ticket.event_title,
            kind = ticket.ticket_type,
            id = ticket.id,
            link = ticket_link(public_url, ticket),
            slug = ticket.event_slug,
        ),
        attachment: Some(MailAttachment {
            filename: format!("{}.ics", ticket.event_slug),
            content_type: "text/calendar; charset=utf-8; method=PUBLISH".to_string(),
            body: event_ics.to_string(),
        }),
    }
}

pub fn cancellation(public_url: &str, ticket: &TicketRow) -> OutgoingMail {
    OutgoingMail {
        recipient: ticket.email.clone(),
        subject: format!("Your ticket for {} is cancelled", ticket.event_title),
        body_text: format!(
            "Hello {name},\n\nyour {kind} ticket (number {id}) for {event} is cancelled, and its badge no longer \
             opens the doors.\n\nIf this was a mistake, you can register again while tickets are on sale:\n\
             {public_url}/events/{slug}/register\n\nThe EventXchange team\n",
            name = ticket.attendee_name,
            kind = ticket.ticket_type,
            id = ticket.id,
            event = ticket.event_title,
            slug = ticket.event_slug,
        ),
        attachment: None,
    }
}

pub fn refund(public_url: &str, ticket: &TicketRow) -> OutgoingMail {
    OutgoingMail {
        recipient: ticket.email.clone(),
        subject: format!("Refund of your ticket for {}", ticket.event_title),
        body_text: format!(
            "Hello {name},\n\nwe have refunded {price} for your {kind} ticket (number {id}) for {event}. The ticket \
             is cancelled and its badge no longer opens the doors. Depending on your bank, the refund shows on \
             your statement within 5 to 10 days.\n\nYour ticket page: {link}\n\nThe EventXchange team\n",
            name = ticket.attendee_name,
            price = format_money(ticket.price_cents, &ticket.currency),
            kind = ticket.ticket_type,
            id = ticket.id,
            event = ticket.event_title,
            link = ticket_link(public_url, ticket),
        ),
        attachment: None,
    }
}

//! Demo tickets for each demo event: a free member ticket, a paid non-member ticket (unavailable
//! until Stripe is configured), hidden speaker and staff tickets, and the codes that open them.

use super::rules::{Eligibility, Visibility, VoucherEffect};
use super::store::{self, TicketTypeDraft, VoucherDraft};
use crate::error::AppError;
use crate::platform::{now, Db};

const SLUGS: [(&str, &str); 4] = [
    ("heidelberg-2027", "BIORN"),
    ("leuven-2027", "SMARTHUB"),
    ("copenhagen-2027", "BIOPEOPLE"),
    ("tartu-2027", "TARTU"),
];

pub async fn seed(db: &Db) -> Result<(), AppError> {
    let opened = now() - 86_400;
    for (slug, cluster) in SLUGS {
        let event = match crate::events::store::load(db, slug).await {
            Ok(event) => event,
            Err(AppError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        if !store::ticket_types(db, event.id).await?.is_empty() {
            continue;
        }
        let closes = event.window.starts_at;
        let kinds = [
            (
                "Member ticket",
                "For members of a partnership cluster: verified accounts, or with your cluster's membership code.",
                0,
                150,
                Visibility::Public,
                Eligibility::Members,
            ),
            (
                "Non-member ticket",
                "Full conference access including lunch and the B2B meetings.",
                29_000,
                100,
                Visibility::Public,
                Eligibility::Anyone,
            ),
            ("Speaker ticket", "For invited speakers.", 0, 40, Visibility::Hidden, Eligibility::Invited),
            (
                "Staff ticket",
                "For the organising team and volunteers.",
                0,
                20,
                Visibility::Hidden,
                Eligibility::Invited,
            ),
        ];
        let mut ids = Vec::new();
        for (name, description, price_cents, capacity, visibility, eligibility) in kinds {
            let draft = TicketTypeDraft {
                name: name.into(),
                description: description.into(),
                price_cents,
                capacity,
                sales_start: opened,
                sales_end: closes,
                visibility,
                eligibility,
            };
            ids.push(store::save_ticket_type(db, event.id, None, &draft).await?);
        }
        let city = slug.split('-').next().unwrap_or(slug).to_uppercase();
        let codes = [
            (
                format!("{cluster}-MEMBER"),
                VoucherEffect::Unlock,
                Some(ids[0]),
                0,
                1000,
                "Membership code of the cluster",
            ),
            (format!("SPEAKER-{city}"), VoucherEffect::Unlock, Some(ids[2]), 0, 50, "Invitation for speakers"),
            (format!("STAFF-{city}"), VoucherEffect::Unlock, Some(ids[3]), 0, 20, "Invitation for staff"),
            (
                "EARLYCAREER".to_string(),
                VoucherEffect::Discount,
                Some(ids[1]),
                50,
                25,
                "Half price for early-career researchers",
            ),
        ];
        for (code, effect, ticket_type_id, percent_off, max_uses, note) in codes {
            let draft = VoucherDraft {
                code,
                effect,
                ticket_type_id,
                percent_off,
                max_uses,
                valid_from: opened,
                valid_until: closes,
                note: note.into(),
            };
            store::create_voucher(db, event.id, &draft).await?;
        }
    }
    Ok(())
}

/// A made-up demo guest with a confirmed free ticket, listed in the directory.
pub struct DemoGuest<'a> {
    pub event_id: i64,
    pub ticket_type_id: i64,
    pub cluster_code: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub organisation: &'a str,
    pub organisation_type: &'a str,
    /// Comma-separated theme codes.
    pub themes: &'a str,
    pub offers: &'a str,
    pub seeks: &'a str,
}

/// Gives a demo guest an account (that cannot sign in: its password hash is the decoy that
/// never matches) and a confirmed free ticket, taking one seat of its type.
pub async fn guest_ticket(db: &Db, guest: &DemoGuest<'_>) -> Result<(), AppError> {
    let at = now();
    crate::db_run!(db, |pool| {
        use crate::platform::db::WriteTransaction;
        let mut tx = pool.begin_write().await?;
        sqlx::query(
            "insert into users (email, display_name, password_hash, role, cluster_id, created_at)
             select $1, $2, $3, 'attendee', c.id, $4 from clusters c where c.code = $5
             on conflict (email) do nothing",
        )
        .bind(guest.email)
        .bind(guest.name)
        .bind(crate::accounts::password::DECOY_HASH)
        .bind(at)
        .bind(guest.cluster_code)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "insert into tickets (event_id, ticket_type_id, user_id, status, price_cents, currency, attendee_name, email,
                                  organisation, organisation_type, cluster_id, country, job_role, themes, offers, seeks,
                                  directory_consent, terms_accepted_at, created_at, confirmed_at)
             select $1, $2, u.id, 'confirmed', 0, 'EUR', $3, $4, $5, $6, c.id, c.country, 'Business development',
                    $7, $8, $9, $10, $11, $11, $11
               from users u, clusters c where u.email = $4 and c.code = $12",
        )
        .bind(guest.event_id)
        .bind(guest.ticket_type_id)
        .bind(guest.name)
        .bind(guest.email)
        .bind(guest.organisation)
        .bind(guest.organisation_type)
        .bind(guest.themes)
        .bind(guest.offers)
        .bind(guest.seeks)
        .bind(true)
        .bind(at)
        .bind(guest.cluster_code)
        .execute(&mut *tx)
        .await?;
        sqlx::query("update ticket_types set seats_taken = seats_taken + 1 where id = $1")
            .bind(guest.ticket_type_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    })?;
    Ok(())
}

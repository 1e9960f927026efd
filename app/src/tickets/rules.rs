//! Pure rules of registration: the attendee profile, who may buy which ticket type and when,
//! what a voucher does to the price. No I/O; unit-tested. The store applies the verdicts inside
//! the registration transaction, where seats and voucher uses are taken by conditional updates.

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::events::Theme;

/// The kinds of organisation the partnership reports on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrganisationType {
    Sme,
    Research,
    ClusterOrganisation,
    LargeCompany,
    PublicBody,
}

impl OrganisationType {
    pub const ALL: [OrganisationType; 5] = [
        OrganisationType::Sme,
        OrganisationType::Research,
        OrganisationType::ClusterOrganisation,
        OrganisationType::LargeCompany,
        OrganisationType::PublicBody,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrganisationType::Sme => "sme",
            OrganisationType::Research => "research",
            OrganisationType::ClusterOrganisation => "cluster",
            OrganisationType::LargeCompany => "large-company",
            OrganisationType::PublicBody => "public-body",
        }
    }

    pub fn parse(code: &str) -> Option<OrganisationType> {
        OrganisationType::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrganisationType::Sme => "SME",
            OrganisationType::Research => "Research organisation or university",
            OrganisationType::ClusterOrganisation => "Cluster organisation",
            OrganisationType::LargeCompany => "Large company",
            OrganisationType::PublicBody => "Public body",
        }
    }
}

/// Whether a ticket type is listed on the event page, or only reachable with a voucher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visibility {
    Public,
    Hidden,
}

impl Visibility {
    pub fn code(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Hidden => "hidden",
        }
    }

    pub fn parse(code: &str) -> Option<Visibility> {
        [Visibility::Public, Visibility::Hidden].into_iter().find(|v| v.code() == code)
    }
}

/// Who may buy a ticket type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Eligibility {
    Anyone,
    /// A verified member of a partnership cluster, or whoever has a membership code.
    Members,
    /// Only with an invitation voucher (speakers, staff).
    Invited,
}

impl Eligibility {
    pub const ALL: [Eligibility; 3] = [Eligibility::Anyone, Eligibility::Members, Eligibility::Invited];

    pub fn code(self) -> &'static str {
        match self {
            Eligibility::Anyone => "anyone",
            Eligibility::Members => "members",
            Eligibility::Invited => "invited",
        }
    }

    pub fn parse(code: &str) -> Option<Eligibility> {
        Eligibility::ALL.into_iter().find(|e| e.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Eligibility::Anyone => "Anyone",
            Eligibility::Members => "Cluster members (or a membership code)",
            Eligibility::Invited => "By invitation only",
        }
    }
}

/// What a voucher does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VoucherEffect {
    /// Takes a percentage off the price (of one ticket type, or of any).
    Discount,
    /// Opens one ticket type that is hidden or restricted: membership codes and invitations.
    Unlock,
}

impl VoucherEffect {
    pub fn code(self) -> &'static str {
        match self {
            VoucherEffect::Discount => "discount",
            VoucherEffect::Unlock => "unlock",
        }
    }

    pub fn parse(code: &str) -> Option<VoucherEffect> {
        [VoucherEffect::Discount, VoucherEffect::Unlock].into_iter().find(|e| e.code() == code)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TicketStatus {
    /// A seat is held while the Checkout Session is open.
    Pending,
    Confirmed,
    Cancelled,
    Refunded,
    /// The checkout expired unpaid; the seat went back on sale.
    Expired,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 5] = [
        TicketStatus::Pending,
        TicketStatus::Confirmed,
        TicketStatus::Cancelled,
        TicketStatus::Refunded,
        TicketStatus::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TicketStatus::Pending => "pending",
            TicketStatus::Confirmed => "confirmed",
            TicketStatus::Cancelled => "cancelled",
            TicketStatus::Refunded => "refunded",
            TicketStatus::Expired => "expired",
        }
    }

    pub fn parse(code: &str) -> Option<TicketStatus> {
        TicketStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Pending => "Awaiting payment",
            TicketStatus::Confirmed => "Confirmed",
            TicketStatus::Cancelled => "Cancelled",
            TicketStatus::Refunded => "Refunded",
            TicketStatus::Expired => "Payment not completed",
        }
    }
}

/// An amount in cents of a currency, shown the way attendees read prices.
pub fn format_money(cents: i64, currency: &str) -> String {
    if cents == 0 {
        return "Free".to_string();
    }
    let symbol = match currency.to_ascii_uppercase().as_str() {
        "EUR" => "€".to_string(),
        other => format!("{other} "),
    };
    format!("{symbol}{}.{:02}", cents / 100, cents % 100)
}

/// A price typed by an organiser in euros ("290", "19.5", "19,50") as integer cents.
pub fn parse_price(field: &str, text: &str) -> Result<i64, AppError> {
    let text = text.trim().trim_start_matches('€').trim().replace(',', ".");
    let invalid = || AppError::invalid(field, "Give the price in euros, e.g. 290 or 19.50 (0 for free).");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() || fraction.len() > 2 || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    let euros: i64 = whole.parse().map_err(|_| invalid())?;
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
    euros.checked_mul(100).and_then(|c| c.checked_add(cents)).filter(|c| *c <= 10_000_000).ok_or_else(invalid)
}

/// The profile as typed into the registration form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileForm {
    pub attendee_name: String,
    pub organisation: String,
    pub organisation_type: String,
    pub cluster: String,
    pub country: String,
    pub job_role: String,
    /// Theme codes, comma-separated (a form sends one value per ticked box; they are joined).
    pub themes: String,
    pub offers: String,
    pub seeks: String,
    pub directory_consent: bool,
    pub terms_consent: bool,
}

/// A checked attendee profile: once built, every field is valid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttendeeProfile {
    pub attendee_name: String,
    pub organisation: String,
    pub organisation_type: OrganisationType,
    /// The cluster code, when the attendee belongs to one of the partnership's clusters.
    pub cluster: Option<String>,
    pub country: String,
    pub job_role: String,
    pub themes: Vec<Theme>,
    pub offers: String,
    pub seeks: String,
    pub directory_consent: bool,
}

impl AttendeeProfile {
    /// Checks every field; `clusters` are the codes of the partnership's clusters.
    pub fn parse(form: &ProfileForm, clusters: &[String]) -> Result<AttendeeProfile, AppError> {
        let text = |field: &str, value: &str, label: &str, max: usize| -> Result<String, AppError> {
            let value = value.trim();
            if value.is_empty() {
                return Err(AppError::invalid(field, format!("Enter {label}.")));
            }
            if value.chars().count() > max {
                return Err(AppError::invalid(field, format!("At most {max} characters.")));
            }
            Ok(value.to_string())
        };
        let optional = |field: &str, value: &str, max: usize| -> Result<String, AppError> {
            let value = value.trim().replace("\r\n", "\n");
            if value.chars().count() > max {
                return Err(AppError::invalid(field, format!("At most {max} characters.")));
            }
            Ok(value)
        };
        let attendee_name = text("attendee_name", &form.attendee_name, "your name as it goes on the badge", 100)?;
        let organisation = text("organisation", &form.organisation, "your organisation", 150)?;
        let organisation_type = OrganisationType::parse(form.organisation_type.trim())
            .ok_or_else(|| AppError::invalid("organisation_type", "Choose the kind of organisation."))?;
        let cluster = match form.cluster.trim() {
            "" | "none" => None,
            code if clusters.iter().any(|c| c == code) => Some(code.to_string()),
            _ => return Err(AppError::invalid("cluster", "Choose one of the listed clusters, or none.")),
        };
        let country = text("country", &form.country, "your country", 60)?;
        let job_role = text("job_role", &form.job_role, "your role", 100)?;
        let mut themes = Vec::new();
        for code in form.themes.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let theme = Theme::parse(code)
                .ok_or_else(|| AppError::invalid("themes", format!("“{code}” is not one of the themes.")))?;
            if !themes.contains(&theme) {
                themes.push(theme);
            }
        }
        let offers = optional("offers", &form.offers, 1000)?;
        let seeks = optional("seeks", &form.seeks, 1000)?;
        if !form.terms_consent {
            return Err(AppError::invalid("terms_consent", "Please accept the terms of participation to register."));
        }
        Ok(AttendeeProfile {
            attendee_name,
            organisation,
            organisation_type,
            cluster,
            country,
            job_role,
            themes,
            offers,
            seeks,
            directory_consent: form.directory_consent,
        })
    }

    pub fn theme_codes(&self) -> String {
        self.themes.iter().map(|t| t.code()).collect::<Vec<_>>().join(",")
    }

    /// Back to the form's shape, to fill the form again.
    pub fn to_form(&self) -> ProfileForm {
        ProfileForm {
            attendee_name: self.attendee_name.clone(),
            organisation: self.organisation.clone(),
            organisation_type: self.organisation_type.code().to_string(),
            cluster: self.cluster.clone().unwrap_or_default(),
            country: self.country.clone(),
            job_role: self.job_role.clone(),
            themes: self.theme_codes(),
            offers: self.offers.clone(),
            seeks: self.seeks.clone(),
            directory_consent: self.directory_consent,
            terms_consent: true,
        }
    }
}

/// A ticket type as the rules need it.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketTypeFacts {
    pub id: i64,
    pub price_cents: i64,
    pub capacity: i64,
    pub seats_taken: i64,
    pub sales_start: i64,
    pub sales_end: i64,
    pub visibility: Visibility,
    pub eligibility: Eligibility,
}

/// A voucher as the rules need it.
#[derive(Clone, Debug, PartialEq)]
pub struct VoucherFacts {
    pub effect: VoucherEffect,
    pub ticket_type_id: Option<i64>,
    pub percent_off: i64,
    pub max_uses: i64,
    pub times_used: i64,
    pub valid_from: i64,
    pub valid_until: i64,
}

impl VoucherFacts {
    fn unlocks(&self, ticket_type_id: i64) -> bool {
        self.effect == VoucherEffect::Unlock && self.ticket_type_id == Some(ticket_type_id)
    }
}

/// Decides whether this person may have this ticket type now, and at what price. Seats are
/// checked here for a clear message; the store's conditional update is what actually guarantees
/// them.
pub fn admit(
    ticket: &TicketTypeFacts,
    voucher: Option<&VoucherFacts>,
    verified_member: bool,
    now: i64,
) -> Result<i64, AppError> {
    if let Some(v) = voucher {
        if now < v.valid_from || now >= v.valid_until {
            return Err(AppError::invalid("voucher", "This code is not valid at this time."));
        }
        if v.times_used >= v.max_uses {
            return Err(AppError::invalid("voucher", "This code has been used up."));
        }
        if v.ticket_type_id.is_some_and(|id| id != ticket.id) {
            return Err(AppError::invalid("voucher", "This code is for another ticket type."));
        }
    }
    let unlocked = voucher.is_some_and(|v| v.unlocks(ticket.id));
    if ticket.visibility == Visibility::Hidden && !unlocked {
        return Err(AppError::invalid("ticket_type", "This ticket type needs an invitation code."));
    }
    match ticket.eligibility {
        Eligibility::Anyone => {}
        Eligibility::Members if verified_member || unlocked => {}
        Eligibility::Members => {
            return Err(AppError::invalid(
                "ticket_type",
                "Member tickets are for members of a partnership cluster: enter your membership code, or choose another ticket.",
            ))
        }
        Eligibility::Invited if unlocked => {}
        Eligibility::Invited => {
            return Err(AppError::invalid("ticket_type", "This ticket type needs an invitation code."))
        }
    }
    if now < ticket.sales_start {
        return Err(AppError::invalid("ticket_type", "Sales of this ticket type have not started yet."));
    }
    if now >= ticket.sales_end {
        return Err(AppError::invalid("ticket_type", "Sales of this ticket type have ended."));
    }
    if ticket.seats_taken >= ticket.capacity {
        return Err(sold_out());
    }
    let percent = voucher.filter(|v| v.effect == VoucherEffect::Discount).map_or(0, |v| v.percent_off.clamp(0, 100));
    Ok(discounted(ticket.price_cents, percent))
}

/// The price after a percentage off, rounded to the attendee's favour.
pub fn discounted(price_cents: i64, percent_off: i64) -> i64 {
    price_cents - (price_cents * percent_off + 99) / 100
}

pub fn sold_out() -> AppError {
    AppError::invalid("ticket_type", "Sorry, this ticket type is sold out.")
}

pub fn already_registered() -> AppError {
    AppError::invalid(
        "ticket_type",
        "You already have a ticket for this event. See it under “Your tickets” on your account page.",
    )
}

/// Voucher codes are typed by people: compare them without case or surrounding spaces.
pub fn normalise_code(code: &str) -> String {
    code.trim().to_uppercase()
}

// Stored as their text codes (see `platform::db::stored_as_text`).
#[cfg(feature = "ssr")]
crate::stored_as_text!(OrganisationType);
#[cfg(feature = "ssr")]
crate::stored_as_text!(Visibility);
#[cfg(feature = "ssr")]
crate::stored_as_text!(Eligibility);
#[cfg(feature = "ssr")]
crate::stored_as_text!(VoucherEffect);
#[cfg(feature = "ssr")]
crate::stored_as_text!(TicketStatus);

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> TicketTypeFacts {
        TicketTypeFacts {
            id: 7,
            price_cents: 29_000,
            capacity: 10,
            seats_taken: 0,
            sales_start: 100,
            sales_end: 200,
            visibility: Visibility::Public,
            eligibility: Eligibility::Anyone,
        }
    }

    fn voucher(effect: VoucherEffect) -> VoucherFacts {
        VoucherFacts {
            effect,
            ticket_type_id: Some(7),
            percent_off: 25,
            max_uses: 1,
            times_used: 0,
            valid_from: 0,
            valid_until: 1000,
        }
    }

    fn field(result: Result<i64, AppError>) -> String {
        match result {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn sales_window_and_seats_are_checked() {
        assert_eq!(admit(&ticket(), None, false, 150), Ok(29_000));
        assert_eq!(field(admit(&ticket(), None, false, 99)), "ticket_type");
        assert_eq!(field(admit(&ticket(), None, false, 200)), "ticket_type");
        let full = TicketTypeFacts { seats_taken: 10, ..ticket() };
        assert_eq!(admit(&full, None, false, 150), Err(sold_out()));
    }

    #[test]
    fn member_tickets_need_membership_or_a_code() {
        let member_ticket = TicketTypeFacts { eligibility: Eligibility::Members, price_cents: 0, ..ticket() };
        assert_eq!(field(admit(&member_ticket, None, false, 150)), "ticket_type");
        assert_eq!(admit(&member_ticket, None, true, 150), Ok(0));
        assert_eq!(admit(&member_ticket, Some(&voucher(VoucherEffect::Unlock)), false, 150), Ok(0));
        // A discount code is not a membership code.
        assert_eq!(field(admit(&member_ticket, Some(&voucher(VoucherEffect::Discount)), false, 150)), "ticket_type");
    }

    #[test]
    fn hidden_and_invitation_tickets_need_their_own_code() {
        let speaker = TicketTypeFacts { eligibility: Eligibility::Invited, visibility: Visibility::Hidden, ..ticket() };
        assert_eq!(field(admit(&speaker, None, true, 150)), "ticket_type");
        assert!(admit(&speaker, Some(&voucher(VoucherEffect::Unlock)), false, 150).is_ok());
        let other_type = VoucherFacts { ticket_type_id: Some(8), ..voucher(VoucherEffect::Unlock) };
        assert_eq!(field(admit(&speaker, Some(&other_type), false, 150)), "voucher");
    }

    #[test]
    fn vouchers_have_windows_and_uses() {
        let used_up = VoucherFacts { times_used: 1, ..voucher(VoucherEffect::Discount) };
        assert_eq!(field(admit(&ticket(), Some(&used_up), false, 150)), "voucher");
        let expired = VoucherFacts { valid_until: 150, ..voucher(VoucherEffect::Discount) };
        assert_eq!(field(admit(&ticket(), Some(&expired), false, 150)), "voucher");
        assert_eq!(admit(&ticket(), Some(&voucher(VoucherEffect::Discount)), false, 150), Ok(21_750));
    }

    #[test]
    fn discounts_round_in_the_attendees_favour() {
        assert_eq!(discounted(999, 10), 899);
        assert_eq!(discounted(1000, 100), 0);
        assert_eq!(discounted(1000, 0), 1000);
    }

    #[test]
    fn organisers_type_prices_in_euros() {
        assert_eq!(parse_price("price", "290"), Ok(29_000));
        assert_eq!(parse_price("price", " €19,5 "), Ok(1_950));
        assert_eq!(parse_price("price", "0"), Ok(0));
        for bad in ["", "-5", "1.234", "abc", "99999999"] {
            assert!(parse_price("price", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn money_reads_naturally() {
        assert_eq!(format_money(0, "EUR"), "Free");
        assert_eq!(format_money(29_000, "EUR"), "€290.00");
        assert_eq!(format_money(1_905, "eur"), "€19.05");
    }

    fn form() -> ProfileForm {
        ProfileForm {
            attendee_name: " Ana Müller ".into(),
            organisation: "Heidelberg Omics GmbH".into(),
            organisation_type: "sme".into(),
            cluster: "biorn".into(),
            country: "Germany".into(),
            job_role: "CTO".into(),
            themes: "multiomics,biomarkers,multiomics".into(),
            offers: "Proteomics platform".into(),
            seeks: "Clinical partners".into(),
            directory_consent: true,
            terms_consent: true,
        }
    }

    #[test]
    fn profiles_are_checked_field_by_field() {
        let clusters = vec!["biorn".to_string(), "tartu".to_string()];
        let profile = AttendeeProfile::parse(&form(), &clusters).unwrap();
        assert_eq!(profile.attendee_name, "Ana Müller");
        assert_eq!(profile.themes, vec![Theme::Multiomics, Theme::Biomarkers]);
        assert_eq!(AttendeeProfile::parse(&profile.to_form(), &clusters), Ok(profile));
        type Spoil = fn(&mut ProfileForm);
        let cases: [(Spoil, &str); 5] = [
            (|f| f.attendee_name = "  ".into(), "attendee_name"),
            (|f| f.organisation_type = "pirate".into(), "organisation_type"),
            (|f| f.cluster = "nowhere".into(), "cluster"),
            (|f| f.themes = "astrology".into(), "themes"),
            (|f| f.terms_consent = false, "terms_consent"),
        ];
        for (spoil, expected) in cases {
            let mut bad = form();
            spoil(&mut bad);
            match AttendeeProfile::parse(&bad, &clusters) {
                Err(AppError::Invalid { field, .. }) => assert_eq!(field, expected),
                other => panic!("{expected}: {other:?}"),
            }
        }
    }
}

//! Pure rules of accounts: input parsing and role-based access. No I/O, unit-tested.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Attendee,
    /// Runs the events of one cluster.
    Organiser,
    /// Scans badges at one event.
    Scanner,
    /// Partnership admin: sees and may change everything.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Attendee, Role::Organiser, Role::Scanner, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Attendee => "attendee",
            Role::Organiser => "organiser",
            Role::Scanner => "scanner",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Attendee => "Attendee",
            Role::Organiser => "Organiser",
            Role::Scanner => "Door staff (scanner)",
            Role::Admin => "Partnership admin",
        }
    }
}

/// The signed-in person and the scope of their role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The cluster an organiser works for.
    pub cluster_id: Option<i64>,
    /// The event a scanner works at.
    pub event_id: Option<i64>,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Organisers run the events of their own cluster; admins run every event.
    pub fn may_organise(&self, event_cluster_id: i64) -> bool {
        self.is_admin() || (self.role == Role::Organiser && self.cluster_id == Some(event_cluster_id))
    }

    /// Scanners work at their one event; whoever may organise an event may also scan at it.
    pub fn may_scan(&self, event_id: i64, event_cluster_id: i64) -> bool {
        self.may_organise(event_cluster_id) || (self.role == Role::Scanner && self.event_id == Some(event_id))
    }
}

/// An email address, trimmed and lower-cased; one account per address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let email = raw.trim().to_lowercase();
        let invalid = |msg: &str| Err(AppError::invalid("email", msg));
        if email.is_empty() {
            return invalid("Enter your email address.");
        }
        if email.len() > 254 {
            return invalid("This email address is too long (at most 254 characters).");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid("An email address needs an @, as in name@example.org.");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || !domain_ok || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid("This does not look like an email address (name@example.org).");
        }
        Ok(EmailAddress(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password someone chooses: long enough to resist guessing, short enough to hash quickly.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let count = raw.chars().count();
        if count < Self::MIN_CHARS {
            return Err(AppError::invalid(
                "password",
                format!("Choose a password of at least {} characters.", Self::MIN_CHARS),
            ));
        }
        if count > Self::MAX_CHARS {
            return Err(AppError::invalid(
                "password",
                format!("A password can have at most {} characters.", Self::MAX_CHARS),
            ));
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

// Never print a password, not even in debug logs.
impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// The name shown on the site and, later, on badges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(AppError::invalid("display_name", "Enter your name."));
        }
        if name.chars().count() > 100 {
            return Err(AppError::invalid("display_name", "A name can have at most 100 characters."));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::invalid("display_name", "A name cannot contain control characters."));
        }
        Ok(DisplayName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where to go after signing in: only a path on this site, so the link cannot send people to
/// another site ("open redirect").
pub fn safe_next_path(next: Option<&str>) -> String {
    match next.map(str::trim) {
        // Printable ASCII and spaces only: browsers drop tabs and newlines inside addresses, so
        // `/<TAB>/evil.example` would become `//evil.example`, and a newline cannot go into a
        // Location header at all. (Inner spaces are kept; browsers encode them.)
        Some(path)
            if path.starts_with('/')
                && path.bytes().all(|b| (0x20..=0x7e).contains(&b))
                && !path[1..].starts_with('/')
                && !path.contains('\\')
                && !path.contains("://") =>
        {
            path.to_string()
        }
        _ => "/account".to_string(),
    }
}

// Stored as their text codes (see `platform::db::stored_as_text`).
#[cfg(feature = "ssr")]
crate::stored_as_text!(Role, as_str);

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role, cluster_id: Option<i64>, event_id: Option<i64>) -> Principal {
        Principal { user_id: 1, email: "a@example.org".into(), display_name: "A".into(), role, cluster_id, event_id }
    }

    #[test]
    fn organisers_run_only_their_clusters_events() {
        let organiser = person(Role::Organiser, Some(2), None);
        assert!(organiser.may_organise(2));
        assert!(!organiser.may_organise(3));
        assert!(organiser.may_scan(10, 2));
        assert!(!organiser.may_scan(10, 3));
    }

    #[test]
    fn scanners_work_at_one_event_and_organise_nothing() {
        let scanner = person(Role::Scanner, None, Some(10));
        assert!(scanner.may_scan(10, 1));
        assert!(!scanner.may_scan(11, 1));
        assert!(!scanner.may_organise(1));
    }

    #[test]
    fn attendees_have_no_staff_rights_and_admins_have_all() {
        let attendee = person(Role::Attendee, Some(1), Some(10));
        assert!(!attendee.may_organise(1));
        assert!(!attendee.may_scan(10, 1));
        let admin = person(Role::Admin, None, None);
        assert!(admin.may_organise(4) && admin.may_scan(99, 4));
    }

    #[test]
    fn email_is_normalised_and_bad_ones_name_the_field() {
        assert_eq!(EmailAddress::parse("  Ana@Example.ORG ").unwrap().as_str(), "ana@example.org");
        for bad in ["", "ana", "ana@", "@example.org", "ana@example", "ana@exa mple.org", "ana@.org"] {
            let err = EmailAddress::parse(bad).unwrap_err();
            assert!(err.for_field("email").is_some(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough!").is_ok());
        assert_eq!(format!("{:?}", NewPassword::parse("secret-secret").unwrap()), "NewPassword(***)");
    }

    #[test]
    fn names_are_trimmed_and_required() {
        assert_eq!(DisplayName::parse("  Ana   Lopez ").unwrap().as_str(), "Ana Lopez");
        assert!(DisplayName::parse("   ").is_err());
    }

    #[test]
    fn next_path_stays_on_the_site() {
        assert_eq!(safe_next_path(Some("/events/heidelberg")), "/events/heidelberg");
        assert_eq!(safe_next_path(Some("//evil.example")), "/account");
        assert_eq!(safe_next_path(Some("https://evil.example")), "/account");
        assert_eq!(safe_next_path(Some("/\\evil.example")), "/account");
        assert_eq!(safe_next_path(None), "/account");
        assert_eq!(safe_next_path(Some("/\t/evil.example")), "/account");
        assert_eq!(safe_next_path(Some("/\nx")), "/account");
        assert_eq!(
            safe_next_path(Some("/events?day=2027-03-16&track=AI in health")),
            "/events?day=2027-03-16&track=AI in health"
        );
    }
}

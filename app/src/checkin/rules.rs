//! What a scan means, decided the same way on the server and (offline) in the scanner page.

use serde::{Deserialize, Serialize};

use crate::badges::code::{self, CodeProblem};

/// The answer a door scan gets, as the API and the scanner page name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Valid,
    AlreadyCheckedIn,
    WrongEvent,
    NotAdmitted,
    Cancelled,
    Unknown,
}

impl Verdict {
    /// The big word on the scanner's screen.
    pub fn headline(self) -> &'static str {
        match self {
            Verdict::Valid => "VALID",
            Verdict::AlreadyCheckedIn => "ALREADY CHECKED IN",
            Verdict::WrongEvent => "WRONG EVENT",
            Verdict::NotAdmitted => "NOT ADMITTED ON THIS LIST",
            Verdict::Cancelled => "CANCELLED",
            Verdict::Unknown => "UNKNOWN OR FORGED",
        }
    }

    /// Green for entry, amber for "look again", red for refusal.
    pub fn tone(self) -> &'static str {
        match self {
            Verdict::Valid => "go",
            Verdict::AlreadyCheckedIn => "warn",
            _ => "stop",
        }
    }
}

/// Where a list scans: the doors, a session room, or the B2B meeting area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Entrance,
    Session,
    B2b,
}

impl ListKind {
    pub const ALL: [ListKind; 3] = [ListKind::Entrance, ListKind::Session, ListKind::B2b];

    pub fn code(self) -> &'static str {
        match self {
            ListKind::Entrance => "entrance",
            ListKind::Session => "session",
            ListKind::B2b => "b2b",
        }
    }

    pub fn parse(raw: &str) -> Option<ListKind> {
        ListKind::ALL.into_iter().find(|kind| kind.code() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            ListKind::Entrance => "Entrance",
            ListKind::Session => "Session room",
            ListKind::B2b => "B2B area",
        }
    }
}

/// Entry or exit: multiple-entry lists count people in and out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Entry,
    Exit,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Entry => "entry",
            Direction::Exit => "exit",
        }
    }

    pub fn parse(raw: &str) -> Option<Direction> {
        match raw {
            "" | "entry" => Some(Direction::Entry),
            "exit" => Some(Direction::Exit),
            _ => None,
        }
    }
}

/// The earlier check-in a duplicate scan is told about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierCheckin {
    /// Unix seconds.
    pub at: i64,
    pub list: String,
    pub device: String,
}

/// The full answer to one scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanOutcome {
    pub verdict: Verdict,
    /// What happened, in a sentence for the door staff.
    pub message: String,
    pub ticket_id: Option<i64>,
    pub attendee: Option<String>,
    pub organisation: Option<String>,
    pub ticket_type: Option<String>,
    /// The check-in this scan recorded (for undo).
    pub checkin_id: Option<i64>,
    pub direction: Direction,
    pub earlier: Option<EarlierCheckin>,
}

impl ScanOutcome {
    pub fn refused(verdict: Verdict, message: impl Into<String>) -> ScanOutcome {
        ScanOutcome {
            verdict,
            message: message.into(),
            ticket_id: None,
            attendee: None,
            organisation: None,
            ticket_type: None,
            checkin_id: None,
            direction: Direction::Entry,
            earlier: None,
        }
    }

    pub fn for_ticket(mut self, ticket: &BundleTicket) -> ScanOutcome {
        self.ticket_id = Some(ticket.id);
        self.attendee = (!ticket.name.is_empty()).then(|| ticket.name.clone());
        self.organisation = (!ticket.organisation.is_empty()).then(|| ticket.organisation.clone());
        self.ticket_type = Some(ticket.ticket_type.clone());
        self
    }
}

/// What a scanner keeps to decide without the server: the event's and the partnership's public
/// keys, the list's rules, the event's tickets and the check-ins so far. It holds the least a
/// verdict needs: names and organisations of confirmed tickets only (to greet people and find a
/// lost badge by name), and of cancelled or refunded tickets nothing but their number and type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OfflineBundle {
    pub event_id: i64,
    pub list_id: i64,
    pub list_name: String,
    pub multi_entry: bool,
    /// `None`: every ticket type is admitted.
    pub admitted_ticket_types: Option<Vec<i64>>,
    /// Hex-encoded Ed25519 public keys of this and the other events: (event id, title, key).
    pub keys: Vec<EventKey>,
    pub tickets: Vec<BundleTicket>,
    /// Tickets with a (not undone) entry on this list when the bundle was made.
    pub checked_in: Vec<i64>,
    /// Unix seconds, for "data from 10:42"; a device asks for the changes since this version.
    pub made_at: i64,
    /// On a delta, the version it was asked from: `tickets` then holds only the tickets that
    /// changed since, `checked_in` and `not_checked_in` only the tickets whose entries changed.
    #[serde(default)]
    pub changes_since: Option<i64>,
    #[serde(default)]
    pub not_checked_in: Vec<i64>,
    /// Unix seconds after which the device deletes its copy: the event is over.
    #[serde(default)]
    pub keep_until: i64,
}

impl OfflineBundle {
    /// Brings a kept copy up to date with a delta made from its version. Returns false (and
    /// changes nothing) when the delta does not apply to this copy, e.g. another list's, so the
    /// caller fetches the whole list instead.
    pub fn apply(&mut self, delta: OfflineBundle) -> bool {
        let Some(since) = delta.changes_since else { return false };
        if delta.list_id != self.list_id || delta.event_id != self.event_id || since > self.made_at {
            return false;
        }
        for ticket in delta.tickets {
            match self.tickets.iter_mut().find(|t| t.id == ticket.id) {
                Some(kept) => *kept = ticket,
                None => self.tickets.push(ticket),
            }
        }
        self.tickets.sort_by_key(|t| t.id);
        self.checked_in.retain(|id| !delta.not_checked_in.contains(id));
        for id in delta.checked_in {
            if !self.checked_in.contains(&id) {
                self.checked_in.push(id);
            }
        }
        self.checked_in.sort_unstable();
        self.list_name = delta.list_name;
        self.multi_entry = delta.multi_entry;
        self.admitted_ticket_types = delta.admitted_ticket_types;
        self.keys = delta.keys;
        self.made_at = delta.made_at;
        self.keep_until = delta.keep_until;
        true
    }

    /// Whether a kept copy should be deleted at `now`.
    pub fn expired(&self, now: i64) -> bool {
        self.keep_until > 0 && now > self.keep_until
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventKey {
    pub event_id: i64,
    pub title: String,
    pub public_key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleTicket {
    pub id: i64,
    /// Empty (and not sent) for tickets that may not enter.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organisation: String,
    pub ticket_type_id: i64,
    pub ticket_type: String,
    /// Only confirmed tickets may enter; the others are listed so they can be named.
    pub confirmed: bool,
    /// The issue second of the current badge; `None` before a badge was issued.
    pub badge_issued_at: Option<i64>,
}

impl BundleTicket {
    /// The ticket as a scanner device keeps it: whoever may not enter stays nameless there.
    pub fn for_device(mut self) -> BundleTicket {
        if !self.confirmed {
            self.name.clear();
            self.organisation.clear();
        }
        self
    }
}

/// Parses a hex public key from the bundle.
pub fn key_from_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(key)
}

/// What the code of a ticket says about it once its signature holds: the decision shared by
/// the server and the offline scanner. `already_in` tells whether the ticket has an entry on
/// the list already (and where).
pub fn judge_ticket(
    ticket: &BundleTicket,
    code_issued_at: Option<i64>,
    multi_entry: bool,
    admitted: Option<&[i64]>,
    direction: Direction,
    already_in: Option<EarlierCheckin>,
) -> ScanOutcome {
    if !ticket.confirmed {
        return ScanOutcome::refused(
            Verdict::Cancelled,
            "This ticket is cancelled or not paid; send them to the desk.",
        )
        .for_ticket(ticket);
    }
    if let Some(issued) = code_issued_at {
        if ticket.badge_issued_at != Some(issued) {
            return ScanOutcome::refused(
                Verdict::Cancelled,
                "This badge was replaced by a newer one; only the newest badge is valid.",
            )
            .for_ticket(ticket);
        }
    }
    if admitted.is_some_and(|types| !types.contains(&ticket.ticket_type_id)) {
        return ScanOutcome::refused(
            Verdict::NotAdmitted,
            format!("A {} does not admit to this list.", ticket.ticket_type),
        )
        .for_ticket(ticket);
    }
    if !multi_entry && direction == Direction::Entry {
        if let Some(earlier) = already_in {
            let mut outcome =
                ScanOutcome::refused(Verdict::AlreadyCheckedIn, "This ticket was already checked in here.")
                    .for_ticket(ticket);
            outcome.earlier = Some(earlier);
            return outcome;
        }
    }
    let mut outcome = ScanOutcome::refused(
        Verdict::Valid,
        match direction {
            Direction::Entry => "Welcome!",
            Direction::Exit => "Exit recorded.",
        },
    )
    .for_ticket(ticket);
    outcome.direction = direction;
    outcome
}

/// The refusal for a code whose signature does not hold for this event.
pub fn code_refusal(problem: CodeProblem, title_of: impl Fn(i64) -> Option<String>) -> ScanOutcome {
    match problem {
        CodeProblem::Malformed => ScanOutcome::refused(Verdict::Unknown, "This is not an EventXchange badge code."),
        CodeProblem::Forged => ScanOutcome::refused(
            Verdict::Unknown,
            "The code's signature does not match: the badge is forged or damaged.",
        ),
        CodeProblem::OtherEvent { event_id } => ScanOutcome::refused(
            Verdict::WrongEvent,
            match title_of(event_id) {
                Some(title) => format!("This badge is for {title}."),
                None => "This badge is for another event.".to_string(),
            },
        ),
    }
}

/// How a scanner without network judges a scanned code (or a ticket chosen by name search,
/// `ticket_id`) against its bundle and the check-ins it made itself since (`local_entries`).
pub fn judge_offline(
    bundle: &OfflineBundle,
    scanned: Option<&str>,
    ticket_id: Option<i64>,
    direction: Direction,
    local_entries: &[i64],
) -> ScanOutcome {
    let keys: Vec<(i64, Option<[u8; 32]>, String)> =
        bundle.keys.iter().map(|k| (k.event_id, key_from_hex(&k.public_key), k.title.clone())).collect();
    let (ticket_id, issued) = match (scanned, ticket_id) {
        (Some(text), _) => {
            let key_of = |event: i64| keys.iter().find(|(id, _, _)| *id == event).and_then(|(_, key, _)| *key);
            match code::verify(text, bundle.event_id, key_of) {
                Ok(code) => (code.ticket_id, Some(code.issued_at)),
                Err(problem) => {
                    let title_of = |event: i64| keys.iter().find(|(id, _, _)| *id == event).map(|(_, _, t)| t.clone());
                    return code_refusal(problem, title_of);
                }
            }
        }
        (None, Some(id)) => (id, None),
        (None, None) => return ScanOutcome::refused(Verdict::Unknown, "Nothing was scanned."),
    };
    let Some(ticket) = bundle.tickets.iter().find(|t| t.id == ticket_id) else {
        return ScanOutcome::refused(Verdict::Unknown, "No such ticket for this event.");
    };
    let already = (bundle.checked_in.contains(&ticket.id) || local_entries.contains(&ticket.id)).then(|| {
        EarlierCheckin { at: bundle.made_at, list: bundle.list_name.clone(), device: "an earlier scan".to_string() }
    });
    judge_ticket(ticket, issued, bundle.multi_entry, bundle.admitted_ticket_types.as_deref(), direction, already)
}

// Stored as their text codes (see `platform::db::stored_as_text`).
#[cfg(feature = "ssr")]
crate::stored_as_text!(ListKind);
#[cfg(feature = "ssr")]
crate::stored_as_text!(Direction, as_str);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::badges::code::BadgeCode;
    use ed25519_dalek::{Signer, SigningKey};

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    struct Fixture {
        heidelberg: SigningKey,
        leuven: SigningKey,
        bundle: OfflineBundle,
    }

    fn fixture() -> Fixture {
        let heidelberg = SigningKey::from_bytes(&[1; 32]);
        let leuven = SigningKey::from_bytes(&[2; 32]);
        let ticket = |id: i64, type_id: i64, confirmed: bool| BundleTicket {
            id,
            name: format!("Guest {id}"),
            organisation: "Neckar Proteomics".into(),
            ticket_type_id: type_id,
            ticket_type: if type_id == 1 { "Member ticket" } else { "Speaker ticket" }.into(),
            confirmed,
            badge_issued_at: Some(1000),
        };
        let bundle = OfflineBundle {
            event_id: 1,
            list_id: 5,
            list_name: "Main entrance".into(),
            multi_entry: false,
            admitted_ticket_types: Some(vec![1]),
            keys: vec![
                EventKey {
                    event_id: 1,
                    title: "Heidelberg".into(),
                    public_key: hex(heidelberg.verifying_key().as_bytes()),
                },
                EventKey { event_id: 2, title: "Leuven".into(), public_key: hex(leuven.verifying_key().as_bytes()) },
            ],
            tickets: vec![ticket(10, 1, true), ticket(11, 1, false), ticket(12, 2, true), ticket(13, 1, true)],
            checked_in: vec![13],
            made_at: 2000,
            ..OfflineBundle::default()
        };
        Fixture { heidelberg, leuven, bundle }
    }

    fn code(signer: &SigningKey, event_id: i64, ticket_id: i64, issued_at: i64) -> String {
        let code = BadgeCode { event_id, ticket_id, issued_at };
        code.with_signature(&signer.sign(code.signed_text().as_bytes()).to_bytes())
    }

    #[test]
    fn offline_verdicts_match_the_rules() {
        let f = fixture();
        let judge =
            |text: &str, local: &[i64]| judge_offline(&f.bundle, Some(text), None, Direction::Entry, local).verdict;
        let valid = code(&f.heidelberg, 1, 10, 1000);
        assert_eq!(judge(&valid, &[]), Verdict::Valid);
        // Scanned earlier on this device, or before the bundle was made.
        assert_eq!(judge(&valid, &[10]), Verdict::AlreadyCheckedIn);
        assert_eq!(judge(&code(&f.heidelberg, 1, 13, 1000), &[]), Verdict::AlreadyCheckedIn);
        assert_eq!(judge(&code(&f.heidelberg, 1, 11, 1000), &[]), Verdict::Cancelled);
        // A re-issued badge revokes the old code.
        assert_eq!(judge(&code(&f.heidelberg, 1, 10, 999), &[]), Verdict::Cancelled);
        assert_eq!(judge(&code(&f.heidelberg, 1, 12, 1000), &[]), Verdict::NotAdmitted);
        assert_eq!(judge(&code(&f.leuven, 2, 10, 1000), &[]), Verdict::WrongEvent);
        assert_eq!(judge(&code(&f.leuven, 1, 10, 1000), &[]), Verdict::Unknown, "Leuven's key, Heidelberg's id");
        assert_eq!(judge(&valid.replacen(".10.", ".13.", 1), &[]), Verdict::Unknown, "tampered");
        assert_eq!(judge(&code(&f.heidelberg, 1, 99, 1000), &[]), Verdict::Unknown, "no such ticket");
        assert_eq!(judge("https://example.org", &[]), Verdict::Unknown);
    }

    #[test]
    fn name_search_and_multiple_entry() {
        let mut f = fixture();
        let by_name = judge_offline(&f.bundle, None, Some(10), Direction::Entry, &[]);
        assert_eq!((by_name.verdict, by_name.attendee.as_deref()), (Verdict::Valid, Some("Guest 10")));
        f.bundle.multi_entry = true;
        assert_eq!(judge_offline(&f.bundle, None, Some(13), Direction::Entry, &[]).verdict, Verdict::Valid);
        assert_eq!(judge_offline(&f.bundle, None, Some(13), Direction::Exit, &[]).direction, Direction::Exit);
    }

    #[test]
    fn hex_keys() {
        assert_eq!(key_from_hex(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(key_from_hex("abc"), None);
        assert_eq!(key_from_hex(&"zz".repeat(32)), None);
    }

    #[test]
    fn a_delta_brings_a_kept_copy_up_to_date() {
        let f = fixture();
        let mut kept = f.bundle.clone();
        let mut cancelled = kept.tickets[0].clone();
        cancelled.confirmed = false;
        cancelled.name.clear();
        cancelled.organisation.clear();
        let newcomer = BundleTicket { id: 14, ..kept.tickets[3].clone() };
        let delta = OfflineBundle {
            tickets: vec![cancelled.clone(), newcomer.clone()],
            checked_in: vec![12],
            not_checked_in: vec![13],
            made_at: 2100,
            changes_since: Some(2000),
            keep_until: 9000,
            ..f.bundle.clone()
        };
        assert!(kept.apply(delta.clone()));
        assert_eq!(kept.tickets.iter().map(|t| t.id).collect::<Vec<_>>(), vec![10, 11, 12, 13, 14]);
        assert_eq!(kept.tickets[0], cancelled, "the cancelled ticket lost its name with its right to enter");
        assert_eq!(kept.tickets[4], newcomer);
        assert_eq!(kept.checked_in, vec![12], "13's entry was undone, 12 entered");
        assert_eq!((kept.made_at, kept.keep_until), (2100, 9000));
        let outcome = judge_offline(&kept, None, Some(10), Direction::Entry, &[]);
        assert_eq!((outcome.verdict, outcome.attendee), (Verdict::Cancelled, None));

        // A delta from a version newer than the copy, of another list, or a whole list is not
        // applied: the copy stays as it was.
        let before = f.bundle.clone();
        for wrong in [
            OfflineBundle { changes_since: Some(2050), ..delta.clone() },
            OfflineBundle { list_id: 6, ..delta.clone() },
            OfflineBundle { changes_since: None, ..delta.clone() },
        ] {
            let mut copy = before.clone();
            assert!(!copy.apply(wrong));
            assert_eq!(copy, before);
        }
        assert!(!kept.expired(9000) && kept.expired(9001));
        assert!(!OfflineBundle::default().expired(i64::MAX), "no end known: kept");
    }
}

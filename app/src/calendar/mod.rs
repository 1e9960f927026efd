//! Calendar files (RFC 5545). Written by hand rather than with the `ics` or `icalendar` crates:
//! `ics` does not quote parameter values and folds at 76 octets, neither writes a VTIMEZONE,
//! and `icalendar` would add chrono beside jiff. What the platform needs is small: events with
//! UTC times (read correctly by every client, no VTIMEZONE needed), RFC 5545 text escaping,
//! quoted parameters, folding at 75 octets on UTF-8 boundaries, CRLF line ends, and the
//! scheduling properties of meeting invitations (RFC 5546: METHOD:REQUEST and CANCEL, ORGANIZER,
//! ATTENDEE, STATUS). Every file the tests produce is checked by an independent validator.

pub mod feed;
pub mod files;

/// Someone named in an entry: the organiser (the platform's sender address, so no client sends
/// "accepted" replies to a person) or an attendee.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

impl Person {
    /// The platform's sender, as the organiser of invitations.
    pub fn sender(settings: &crate::platform::Settings) -> Person {
        Person { name: settings.sender_name.clone(), email: settings.sender_email.clone() }
    }
}

/// STATUS of an entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EntryStatus {
    #[default]
    Confirmed,
    Cancelled,
}

/// What a calendar file asks of the client that opens it (RFC 5546).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// A download or feed: add or update these entries.
    Publish,
    /// An invitation, or its update (same UID, higher SEQUENCE).
    Request,
    /// The invitation is withdrawn.
    Cancel,
}

impl Method {
    pub fn code(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// One VEVENT. Times are UTC instants (seconds), written with a trailing `Z`.
#[derive(Clone, Debug, Default)]
pub struct CalendarEntry {
    /// Stable across downloads, so calendars update the entry instead of duplicating it.
    pub uid: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub url: String,
    /// Bumped on every change that attendees' calendars should pick up.
    pub sequence: u32,
    /// When this version of the entry was made (DTSTAMP).
    pub stamped_at: i64,
    pub status: EntryStatus,
    pub organizer: Option<Person>,
    /// Only in invitations (RFC 5546 leaves them out of PUBLISH).
    pub attendees: Vec<Person>,
}

/// A whole calendar file with `METHOD:PUBLISH` (a download or feed, not an invitation).
pub fn publish(calendar_name: &str, entries: &[CalendarEntry]) -> String {
    calendar(Method::Publish, calendar_name, entries)
}

/// A whole calendar file.
pub fn calendar(method: Method, calendar_name: &str, entries: &[CalendarEntry]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//CELIS//EventXchange//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("METHOD:{}", method.code()));
    line(&mut out, &format!("X-WR-CALNAME:{}", escape_text(calendar_name)));
    for entry in entries {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape_text(&entry.uid)));
        line(&mut out, &format!("DTSTAMP:{}", utc(entry.stamped_at)));
        line(&mut out, &format!("DTSTART:{}", utc(entry.starts_at)));
        line(&mut out, &format!("DTEND:{}", utc(entry.ends_at)));
        line(&mut out, &format!("SEQUENCE:{}", entry.sequence));
        let status = if method == Method::Cancel { EntryStatus::Cancelled } else { entry.status };
        line(
            &mut out,
            match status {
                EntryStatus::Confirmed => "STATUS:CONFIRMED",
                EntryStatus::Cancelled => "STATUS:CANCELLED",
            },
        );
        line(&mut out, &format!("SUMMARY:{}", escape_text(&entry.summary)));
        if !entry.description.is_empty() {
            line(&mut out, &format!("DESCRIPTION:{}", escape_text(&entry.description)));
        }
        if !entry.location.is_empty() {
            line(&mut out, &format!("LOCATION:{}", escape_text(&entry.location)));
        }
        if !entry.url.is_empty() {
            // URI values are not TEXT: no backslash escaping.
            line(&mut out, &format!("URL:{}", entry.url));
        }
        if let Some(organizer) = &entry.organizer {
            line(&mut out, &format!("ORGANIZER;CN={}:{}", param_value(&organizer.name), mailto(&organizer.email)));
        }
        if method != Method::Publish {
            for attendee in &entry.attendees {
                // The meeting is agreed already: nobody is asked to reply.
                line(
                    &mut out,
                    &format!(
                        "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:{}",
                        param_value(&attendee.name),
                        mailto(&attendee.email)
                    ),
                );
            }
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// `mailto:` and the address, without anything that would break the content line.
fn mailto(email: &str) -> String {
    let clean: String = email.chars().filter(|c| !c.is_control() && !matches!(c, ';' | ',' | '"' | ' ')).collect();
    format!("mailto:{clean}")
}

/// `20270316T080000Z`
pub fn utc(at: i64) -> String {
    jiff::Timestamp::from_second(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH).strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping (RFC 5545 3.3.11).
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (e.g. `CN=`), quoted when it holds `:`, `;` or `,` (RFC 5545 3.2).
/// Double quotes cannot appear inside a quoted value, so they become single quotes.
pub fn param_value(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).map(|c| if c == '"' { '\'' } else { c }).collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// Appends a content line, folded so that no physical line exceeds 75 octets, never inside a
/// UTF-8 character, ending with CRLF.
fn line(out: &mut String, content: &str) {
    let mut budget = 75;
    let mut used = 0;
    for c in content.chars() {
        let width = c.len_utf8();
        if used + width > budget {
            out.push_str("\r\n ");
            // The leading space of a continuation line counts towards its 75 octets.
            budget = 74;
            used = 0;
        }
        out.push(c);
        used += width;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> CalendarEntry {
        CalendarEntry {
            uid: "session-7@eventxchange".into(),
            starts_at: 1_805_184_000,
            ends_at: 1_805_187_600,
            summary: "Biomarkers, assays; and \"validation\"".into(),
            description: "Line one\nLine two with a backslash \\".into(),
            location: "Hörsaal 1, Print Media Academy".into(),
            url: "https://example.org/events/heidelberg-2027/sessions/7".into(),
            sequence: 0,
            stamped_at: 1_800_000_000,
            ..CalendarEntry::default()
        }
    }

    fn invitation() -> CalendarEntry {
        CalendarEntry {
            organizer: Some(Person { name: "EventXchange".into(), email: "no-reply@eventxchange.test".into() }),
            attendees: vec![
                Person { name: "Müller, Alice".into(), email: "alice@example.org".into() },
                Person { name: "Kadri Kask".into(), email: "kadri@example.org".into() },
            ],
            sequence: 2,
            ..entry()
        }
    }

    #[test]
    fn an_invitation_names_the_platform_as_organizer_and_both_people_as_attendees() {
        let ics = calendar(Method::Request, "Heidelberg", &[invitation()]);
        assert!(ics.contains("\r\nMETHOD:REQUEST\r\n"));
        assert!(ics.contains("ORGANIZER;CN=EventXchange:mailto:no-reply@eventxchange.test\r\n"));
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(
            "ATTENDEE;CN=\"Müller, Alice\";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:alice@example.org\r\n"
        ));
        assert!(unfolded.contains("ATTENDEE;CN=Kadri Kask;"));
        assert!(ics.contains("SEQUENCE:2\r\n") && ics.contains("STATUS:CONFIRMED\r\n"));
    }

    #[test]
    fn a_cancellation_is_cancelled_whatever_the_entry_says() {
        let ics = calendar(Method::Cancel, "Heidelberg", &[invitation()]);
        assert!(ics.contains("METHOD:CANCEL\r\n") && ics.contains("STATUS:CANCELLED\r\n"));
        assert!(!ics.contains("STATUS:CONFIRMED"));
    }

    #[test]
    fn a_published_file_names_no_attendees() {
        let ics = publish("Feed", &[CalendarEntry { status: EntryStatus::Cancelled, ..invitation() }]);
        assert!(ics.contains("METHOD:PUBLISH\r\n") && ics.contains("STATUS:CANCELLED\r\n"));
        assert!(ics.contains("ORGANIZER;") && !ics.contains("ATTENDEE"));
    }

    #[test]
    fn addresses_cannot_break_the_line() {
        let mut odd = invitation();
        odd.attendees[0].email = "eve@example.org;ROLE=CHAIR".into();
        let ics = calendar(Method::Request, "x", &[odd]);
        assert!(ics.replace("\r\n ", "").contains(":mailto:eve@example.orgROLE=CHAIR\r\n"));
    }

    #[test]
    fn text_is_escaped_and_times_are_utc() {
        let ics = publish("Heidelberg", &[entry()]);
        assert!(ics.contains("SUMMARY:Biomarkers\\, assays\\; and \"validation\"\r\n"));
        assert!(ics.contains("DESCRIPTION:Line one\\nLine two with a backslash \\\\\r\n"));
        assert!(ics.contains("DTSTART:20270316T080000Z\r\n"));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut long = entry();
        long.description = "Ä".repeat(100) + &"x".repeat(100);
        let ics = publish("Test", &[long]);
        for physical in ics.split("\r\n") {
            assert!(physical.len() <= 75, "{} octets: {physical}", physical.len());
        }
        // Unfolding gives the original line back.
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("DESCRIPTION:{}{}", "Ä".repeat(100), "x".repeat(100))));
    }

    #[test]
    fn parameter_values_with_separators_are_quoted() {
        assert_eq!(param_value("Müller, Alice"), "\"Müller, Alice\"");
        assert_eq!(param_value("Alice Müller"), "Alice Müller");
        assert_eq!(param_value("A \"quoted\": name"), "\"A 'quoted': name\"");
    }
}

//! Pure rules of agendas: parsing a session from organiser input, the event's time window,
//! room and speaker clashes, and overlaps in a personal agenda. No I/O; unit-tested.

use jiff::{civil::Date, civil::Time, tz::TimeZone};

use crate::error::AppError;
use crate::events::when::{self, EventWindow};
use crate::events::Theme;

/// A session as an organiser (or an imported CSV row) describes it, checked and resolved to
/// instants in the event's time zone. Track, room and speakers are named; the store resolves
/// the names.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionDraft {
    pub title: String,
    pub abstract_text: String,
    pub theme: Option<Theme>,
    pub track: Option<String>,
    pub room: Option<String>,
    pub speakers: Vec<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub capacity: Option<i64>,
}

/// The raw fields of a session form or CSV row.
#[derive(Clone, Debug, Default)]
pub struct SessionInput<'a> {
    pub title: &'a str,
    pub abstract_text: &'a str,
    pub day: &'a str,
    pub start: &'a str,
    pub end: &'a str,
    pub track: &'a str,
    pub room: &'a str,
    pub speakers: &'a str,
    pub capacity: &'a str,
    pub theme: &'a str,
}

fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl SessionDraft {
    pub fn parse(input: &SessionInput<'_>, window: &EventWindow) -> Result<SessionDraft, AppError> {
        let title = input.title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.is_empty() {
            return Err(AppError::invalid("title", "Give the session a title."));
        }
        if title.chars().count() > 200 {
            return Err(AppError::invalid("title", "A title can have at most 200 characters."));
        }
        let abstract_text = input.abstract_text.trim().replace("\r\n", "\n");
        if abstract_text.chars().count() > 5000 {
            return Err(AppError::invalid("abstract_text", "An abstract can have at most 5000 characters."));
        }
        let day: Date = input
            .day
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("day", "Give the day as YYYY-MM-DD, e.g. 2027-03-16."))?;
        let start = parse_time(input.start, "start")?;
        let end = parse_time(input.end, "end")?;
        let at = |t: Time, field: &str| {
            when::instant(day, t.hour(), t.minute(), &window.zone)
                .ok_or_else(|| AppError::invalid(field, "This time does not exist on that day."))
        };
        let (starts_at, ends_at) = (at(start, "start")?, at(end, "end")?);
        if ends_at <= starts_at {
            return Err(AppError::invalid("end", "The session must end after it starts."));
        }
        if starts_at < window.starts_at || ends_at > window.ends_at {
            return Err(AppError::invalid(
                "start",
                format!("Sessions must take place while the event runs: {}.", window.describe()),
            ));
        }
        let theme = match input.theme.trim() {
            "" => None,
            code => Some(Theme::parse(code).ok_or_else(|| {
                AppError::invalid(
                    "theme",
                    format!(
                        "Unknown theme `{code}`; use one of: {}.",
                        Theme::ALL.iter().map(|t| t.code()).collect::<Vec<_>>().join(", ")
                    ),
                )
            })?),
        };
        let capacity = match input.capacity.trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(n) if n > 0 && n <= 100_000 => Some(n),
                _ => {
                    return Err(AppError::invalid(
                        "capacity",
                        "Capacity is a whole number of seats (1 or more), or empty.",
                    ))
                }
            },
        };
        let mut speakers: Vec<String> = Vec::new();
        for name in input.speakers.split([',', ';']).map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")) {
            if !name.is_empty() && !speakers.contains(&name) {
                speakers.push(name);
            }
        }
        Ok(SessionDraft {
            title,
            abstract_text,
            theme,
            track: optional(input.track),
            room: optional(input.room),
            speakers,
            starts_at,
            ends_at,
            capacity,
        })
    }
}

fn parse_time(text: &str, field: &str) -> Result<Time, AppError> {
    let text = text.trim();
    let parsed = text.split_once(':').and_then(|(h, m)| {
        let (h, m) = (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?);
        Time::new(h, m, 0, 0).ok()
    });
    parsed.ok_or_else(|| AppError::invalid(field, "Give the time as HH:MM, e.g. 14:30."))
}

/// Half-open intervals: a session ending at 11:00 does not clash with one starting at 11:00.
pub fn overlaps(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// A session already on the agenda, as far as clashes are concerned.
#[derive(Clone, Debug)]
pub struct Booked {
    pub session_id: i64,
    pub title: String,
    pub room: Option<String>,
    pub speakers: Vec<String>,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// Refuses a draft that puts a room or a speaker in two sessions at once. `editing` is the
/// session being changed (it does not clash with itself).
pub fn check_clashes(
    draft: &SessionDraft,
    editing: Option<i64>,
    booked: &[Booked],
    zone: &TimeZone,
) -> Result<(), AppError> {
    let span = |b: &Booked| format!("{}–{}", when::time_of_day(b.starts_at, zone), when::time_of_day(b.ends_at, zone));
    for other in booked.iter().filter(|b| Some(b.session_id) != editing) {
        if !overlaps((draft.starts_at, draft.ends_at), (other.starts_at, other.ends_at)) {
            continue;
        }
        if let (Some(room), Some(other_room)) = (&draft.room, &other.room) {
            if room == other_room {
                return Err(AppError::invalid(
                    "room",
                    format!("{room} already holds “{}” at that time ({}).", other.title, span(other)),
                ));
            }
        }
        if let Some(name) = draft.speakers.iter().find(|s| other.speakers.contains(s)) {
            return Err(AppError::invalid(
                "speakers",
                format!("{name} already speaks in “{}” at that time ({}).", other.title, span(other)),
            ));
        }
    }
    Ok(())
}

/// The sessions of a personal agenda that overlap another one in it.
pub fn overlapping(sessions: &[(i64, i64, i64)]) -> Vec<i64> {
    sessions
        .iter()
        .filter(|(id, s, e)| sessions.iter().any(|(other, os, oe)| other != id && overlaps((*s, *e), (*os, *oe))))
        .map(|(id, _, _)| *id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn berlin_window() -> EventWindow {
        let zone = when::zone("Europe/Berlin").unwrap();
        EventWindow {
            starts_at: when::instant(date(2027, 3, 16), 9, 0, &zone).unwrap(),
            ends_at: when::instant(date(2027, 3, 17), 17, 30, &zone).unwrap(),
            zone,
        }
    }

    fn input<'a>(day: &'a str, start: &'a str, end: &'a str) -> SessionInput<'a> {
        SessionInput {
            title: "Assay validation",
            day,
            start,
            end,
            room: "Hall A",
            speakers: "Ana, Ben",
            ..Default::default()
        }
    }

    #[test]
    fn a_session_is_read_in_the_events_zone() {
        let draft = SessionDraft::parse(&input("2027-03-16", "14:00", "15:30"), &berlin_window()).unwrap();
        assert_eq!(draft.starts_at, 1_805_202_000); // 13:00 UTC: Berlin is on CET in March
        assert_eq!(draft.ends_at - draft.starts_at, 90 * 60);
        assert_eq!(draft.speakers, vec!["Ana".to_string(), "Ben".to_string()]);
        assert_eq!(draft.room.as_deref(), Some("Hall A"));
    }

    #[test]
    fn bad_times_name_their_field() {
        let w = berlin_window();
        let field = |i: SessionInput| SessionDraft::parse(&i, &w).unwrap_err();
        assert!(field(input("2027-03-16", "15:00", "14:00")).for_field("end").is_some());
        assert!(field(input("2027-03-16", "15:00", "15:00")).for_field("end").is_some());
        assert!(field(input("16.03.2027", "14:00", "15:00")).for_field("day").is_some());
        assert!(field(input("2027-03-16", "25:00", "26:00")).for_field("start").is_some());
        assert!(field(input("2027-03-16", "8:00", "9:30")).for_field("start").is_some(), "before doors open");
        assert!(field(input("2027-03-18", "10:00", "11:00")).for_field("start").is_some(), "after the event");
        let mut untitled = input("2027-03-16", "10:00", "11:00");
        untitled.title = "  ";
        assert!(field(untitled).for_field("title").is_some());
        let mut crowded = input("2027-03-16", "10:00", "11:00");
        crowded.capacity = "-3";
        assert!(field(crowded).for_field("capacity").is_some());
    }

    #[test]
    fn rooms_and_speakers_cannot_be_in_two_places_at_once() {
        let w = berlin_window();
        let booked = vec![Booked {
            session_id: 1,
            title: "Opening".into(),
            room: Some("Hall A".into()),
            speakers: vec!["Ben".into()],
            starts_at: SessionDraft::parse(&input("2027-03-16", "14:30", "15:00"), &w).unwrap().starts_at,
            ends_at: SessionDraft::parse(&input("2027-03-16", "14:30", "15:00"), &w).unwrap().ends_at,
        }];
        let draft = SessionDraft::parse(&input("2027-03-16", "14:00", "15:30"), &w).unwrap();
        let err = check_clashes(&draft, None, &booked, &w.zone).unwrap_err();
        assert_eq!(
            err.for_field("room").unwrap(),
            "Hall A already holds “Opening” at that time (14:30 CET–15:00 CET)."
        );

        let mut elsewhere = draft.clone();
        elsewhere.room = Some("Hall B".into());
        let err = check_clashes(&elsewhere, None, &booked, &w.zone).unwrap_err();
        assert!(err.for_field("speakers").unwrap().starts_with("Ben already speaks"));

        elsewhere.speakers = vec!["Ana".into()];
        assert!(check_clashes(&elsewhere, None, &booked, &w.zone).is_ok());
        // Editing the booked session itself is not a clash.
        assert!(check_clashes(&draft, Some(1), &booked, &w.zone).is_ok());
        // Back to back is fine.
        let after = SessionDraft::parse(&input("2027-03-16", "15:00", "16:00"), &w).unwrap();
        assert!(check_clashes(&after, None, &booked, &w.zone).is_ok());
    }

    #[test]
    fn overlapping_choices_are_flagged() {
        let picks = [(1, 0, 60), (2, 30, 90), (3, 90, 120), (4, 200, 260)];
        assert_eq!(overlapping(&picks), vec![1, 2]);
    }
}

//! The pure rules of B2B matchmaking: the grid (windows cut into slots, tables), the states of
//! a meeting, when a meeting can be confirmed as held, and who should meet whom (and why).

use super::GridForm;
use crate::error::AppError;
use crate::events::when::{parse_form_minute, time_of_day};
use crate::events::Theme;
use jiff::tz::TimeZone;

/// Slot lengths organisers may choose, in minutes.
pub const SLOT_LENGTHS: [i64; 3] = [15, 20, 30];
/// How long before a slot starts and after it ends a held meeting can be confirmed at the table.
pub const HELD_GRACE_SECONDS: i64 = 15 * 60;
/// Pending requests a person may have sent at once, unless the organisers say otherwise.
pub const DEFAULT_MAX_PENDING: i64 = 20;

/// The B2B session of an event as its organisers set it up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GridSetup {
    pub slot_minutes: i64,
    /// Meeting windows (start, end), in order and apart: a gap between two is a break.
    pub windows: Vec<(i64, i64)>,
    /// (number, location)
    pub tables: Vec<(i64, String)>,
    pub max_meetings: i64,
    pub max_pending: i64,
    pub request_deadline: i64,
}

fn whole(field: &str, text: &str, what: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, AppError> {
    match text.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(AppError::invalid(
            field,
            format!("{what} must be a whole number from {} to {}.", range.start(), range.end()),
        )),
    }
}

impl GridSetup {
    /// Checks the form against the event's time zone and dates (`event`: its start and end).
    pub fn parse(form: &GridForm, tz: &TimeZone, event: (i64, i64)) -> Result<GridSetup, AppError> {
        let slot_minutes = whole("slot_minutes", &form.slot_minutes, "The slot length", 15..=30)?;
        if !SLOT_LENGTHS.contains(&slot_minutes) {
            return Err(AppError::invalid("slot_minutes", "Slots last 15, 20 or 30 minutes."));
        }
        let mut windows = Vec::new();
        for (n, line) in form.windows.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            let bad = || {
                AppError::invalid(
                    "windows",
                    format!("Line {}: write a window as `2027-03-16 14:00-17:30` (date, start, end).", n + 1),
                )
            };
            let (day, times) = line.split_once(' ').ok_or_else(bad)?;
            let (from, to) = times.trim().split_once('-').ok_or_else(bad)?;
            let start = parse_form_minute(&format!("{day} {}", from.trim()), tz).ok_or_else(bad)?;
            let end = parse_form_minute(&format!("{day} {}", to.trim()), tz).ok_or_else(bad)?;
            if end <= start {
                return Err(AppError::invalid("windows", format!("Line {}: the window ends before it starts.", n + 1)));
            }
            if start < event.0 || end > event.1 {
                return Err(AppError::invalid(
                    "windows",
                    format!("Line {}: the window is outside the event's dates.", n + 1),
                ));
            }
            if end - start < slot_minutes * 60 {
                return Err(AppError::invalid(
                    "windows",
                    format!("Line {}: the window is shorter than one slot.", n + 1),
                ));
            }
            windows.push((start, end));
        }
        if windows.is_empty() {
            return Err(AppError::invalid("windows", "Give at least one meeting window."));
        }
        windows.sort_unstable();
        if windows.windows(2).any(|pair| pair[1].0 < pair[0].1) {
            return Err(AppError::invalid("windows", "Two windows overlap; a break is the gap between two windows."));
        }
        let mut tables: Vec<(i64, String)> = Vec::new();
        for (n, line) in form.tables.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            let (numbers, location) = match line.split_once(char::is_whitespace) {
                Some((numbers, location)) => (numbers, location.trim()),
                None => (line, ""),
            };
            let bad = || {
                AppError::invalid(
                    "tables",
                    format!("Line {}: write a table as `7 Terrace`, or a run of tables as `1-12 Hall B`.", n + 1),
                )
            };
            let (first, last) = match numbers.split_once('-') {
                Some((a, b)) => (a.parse::<i64>().map_err(|_| bad())?, b.parse::<i64>().map_err(|_| bad())?),
                None => {
                    let n = numbers.parse::<i64>().map_err(|_| bad())?;
                    (n, n)
                }
            };
            if first < 1 || last < first || last > 999 {
                return Err(bad());
            }
            for number in first..=last {
                if tables.iter().any(|(t, _)| *t == number) {
                    return Err(AppError::invalid("tables", format!("Table {number} is listed twice.")));
                }
                tables.push((number, location.chars().take(80).collect()));
            }
        }
        if tables.is_empty() {
            return Err(AppError::invalid("tables", "Give at least one table."));
        }
        tables.sort_by_key(|(n, _)| *n);
        let max_meetings = whole("max_meetings", &form.max_meetings, "The maximum of meetings per person", 1..=100)?;
        let max_pending = whole("max_pending", &form.max_pending, "The limit of pending requests", 1..=200)?;
        let request_deadline = parse_form_minute(form.request_deadline.trim(), tz).ok_or_else(|| {
            AppError::invalid("request_deadline", "Give the deadline as date and time, e.g. `2027-03-16 12:00`.")
        })?;
        if request_deadline > windows[windows.len() - 1].1 {
            return Err(AppError::invalid("request_deadline", "The deadline must not be after the last window ends."));
        }
        Ok(GridSetup { slot_minutes, windows, tables, max_meetings, max_pending, request_deadline })
    }

    /// The slots the windows are cut into: whole slots only, a remainder at a window's end
    /// stays unused.
    pub fn slots(&self) -> Vec<(i64, i64)> {
        let length = self.slot_minutes * 60;
        self.windows
            .iter()
            .flat_map(|&(start, end)| {
                (0..)
                    .map(move |n| start + n * length)
                    .take_while(move |at| at + length <= end)
                    .map(move |at| (at, at + length))
            })
            .collect()
    }
}

/// Whether the meeting of a slot can be confirmed as held at `now`.
pub fn may_confirm_held(slot: (i64, i64), now: i64) -> Result<(), AppError> {
    if now < slot.0 - HELD_GRACE_SECONDS {
        return Err(AppError::invalid("code", "This meeting has not started yet; confirm it at the table."));
    }
    if now > slot.1 + HELD_GRACE_SECONDS {
        return Err(AppError::invalid(
            "code",
            "This meeting's slot is over; it can be confirmed only up to 15 minutes after it ends.",
        ));
    }
    Ok(())
}

/// Whether a meeting counts as verified held (what grant eligibility counts): confirmed at the
/// table with the partner's badge, not ruled out by the organisers, no undecided no-show report
/// against it, and both people checked in at the event.
pub fn verified_held(confirmed: bool, no_show_reported: bool, decision: Option<&str>, both_arrived: bool) -> bool {
    let stands = match decision {
        Some(decision) => decision == "held",
        None => !no_show_reported,
    };
    confirmed && stands && both_arrived
}

/// "14:00–14:20 CET" for a slot.
pub fn slot_times(slot: (i64, i64), tz: &TimeZone) -> String {
    let start = time_of_day(slot.0, tz);
    let end = time_of_day(slot.1, tz);
    let start_clock = start.split(' ').next().unwrap_or_default();
    format!("{start_clock}–{end}")
}

/// What the suggestions compare of two participants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchProfile {
    pub cluster: Option<String>,
    pub country: String,
    pub themes: Vec<Theme>,
    pub offers: String,
    pub seeks: String,
}

/// Someone to meet, and why, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub score: i64,
    pub reasons: Vec<String>,
}

/// Words too common to tell two interests apart.
const COMMON_WORDS: [&str; 24] = [
    "and",
    "the",
    "for",
    "with",
    "from",
    "into",
    "our",
    "your",
    "their",
    "that",
    "this",
    "are",
    "new",
    "partners",
    "partner",
    "projects",
    "project",
    "services",
    "service",
    "support",
    "looking",
    "collaboration",
    "access",
    "all",
];

/// The meaningful words of a free-text field, lower case, in their order (each once).
fn words(text: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric() && c != '-').map(str::to_lowercase) {
        let word = word.trim_matches('-').to_string();
        if word.chars().count() >= 3 && !COMMON_WORDS.contains(&word.as_str()) && !seen.contains(&word) {
            seen.push(word);
        }
    }
    seen
}

/// The words of `offer` that `seek` also names (a plural `s` aside), in `offer`'s order.
fn shared_words(offer: &str, seek: &str) -> Vec<String> {
    let stem = |w: &str| w.strip_suffix('s').filter(|s| s.len() >= 3).unwrap_or(w).to_string();
    let wanted: Vec<String> = words(seek).iter().map(|w| stem(w)).collect();
    words(offer).into_iter().filter(|w| wanted.contains(&stem(w))).collect()
}

/// How well `them` suits `me`: what they offer that I seek (and the other way round) counts
/// most, then shared themes, then their being from another cluster and country (the point of
/// the partnership). `None` when nothing at all speaks for the meeting.
pub fn suggest(me: &MatchProfile, them: &MatchProfile) -> Option<Suggestion> {
    let mut score = 0;
    let mut reasons = Vec::new();
    let they_offer = shared_words(&them.offers, &me.seeks);
    if !they_offer.is_empty() {
        score += 10 * they_offer.len() as i64;
        reasons.push(format!("offers {}, which you seek", they_offer.join(", ")));
    }
    let they_seek = shared_words(&them.seeks, &me.offers);
    if !they_seek.is_empty() {
        score += 8 * they_seek.len() as i64;
        reasons.push(format!("seeks {}, which you offer", they_seek.join(", ")));
    }
    let themes: Vec<&str> = them.themes.iter().filter(|t| me.themes.contains(t)).map(|t| t.label()).collect();
    if !themes.is_empty() {
        score += 3 * themes.len() as i64;
        reasons.push(format!("shares your interest in {}", themes.join(", ")));
    }
    if score == 0 {
        return None;
    }
    if them.cluster.is_some() && them.cluster != me.cluster {
        score += 4;
        reasons.push("is in another cluster".to_string());
    }
    if !them.country.is_empty() && them.country != me.country {
        score += 4;
        reasons.push(format!("works in another country ({})", them.country));
    }
    Some(Suggestion { score, reasons })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::when::{instant, zone};
    use jiff::civil::date;

    fn form() -> GridForm {
        GridForm {
            slot_minutes: "20".into(),
            windows: "2027-03-16 14:00-15:00\n2027-03-16 15:30-16:10\n".into(),
            tables: "1-3 Hall B\n7 Terrace".into(),
            max_meetings: "8".into(),
            max_pending: "20".into(),
            request_deadline: "2027-03-16 12:00".into(),
        }
    }

    fn event() -> (TimeZone, (i64, i64)) {
        let tz = zone("Europe/Berlin").unwrap();
        let start = instant(date(2027, 3, 16), 9, 0, &tz).unwrap();
        let end = instant(date(2027, 3, 17), 17, 30, &tz).unwrap();
        (tz, (start, end))
    }

    #[test]
    fn windows_are_cut_into_whole_slots_with_breaks_between() {
        let (tz, dates) = event();
        let setup = GridSetup::parse(&form(), &tz, dates).unwrap();
        let slots = setup.slots();
        let at = |h, m| instant(date(2027, 3, 16), h, m, &tz).unwrap();
        assert_eq!(
            slots,
            vec![
                (at(14, 0), at(14, 20)),
                (at(14, 20), at(14, 40)),
                (at(14, 40), at(15, 0)),
                (at(15, 30), at(15, 50)),
                // 15:50-16:10 fits exactly; nothing is cut short.
                (at(15, 50), at(16, 10)),
            ]
        );
        assert_eq!(setup.tables.iter().map(|(n, _)| *n).collect::<Vec<_>>(), vec![1, 2, 3, 7]);
        assert_eq!(setup.tables[3].1, "Terrace");
        assert_eq!(slot_times(slots[0], &tz), "14:00–14:20 CET");
    }

    #[test]
    fn a_bad_grid_is_refused_with_the_field_that_is_wrong() {
        let (tz, dates) = event();
        type Change = fn(&mut GridForm);
        let cases: [(&str, Change); 9] = [
            ("slot_minutes", |f| f.slot_minutes = "25".into()),
            ("windows", |f| f.windows = "".into()),
            ("windows", |f| f.windows = "2027-03-16 15:00-14:00".into()),
            ("windows", |f| f.windows = "2027-03-16 14:00-15:00\n2027-03-16 14:30-16:00".into()),
            ("windows", |f| f.windows = "2027-04-01 14:00-15:00".into()),
            ("tables", |f| f.tables = "1-3\n2 Terrace".into()),
            ("tables", |f| f.tables = "table one".into()),
            ("max_meetings", |f| f.max_meetings = "0".into()),
            ("request_deadline", |f| f.request_deadline = "2027-03-18 12:00".into()),
        ];
        for (field, change) in cases {
            let mut form = form();
            change(&mut form);
            let error = GridSetup::parse(&form, &tz, dates).unwrap_err();
            assert!(error.for_field(field).is_some(), "{field}: {error:?}");
        }
    }

    #[test]
    fn a_held_meeting_is_confirmed_around_its_slot_only() {
        let slot = (10_000, 11_200);
        assert!(may_confirm_held(slot, 10_000 - HELD_GRACE_SECONDS).is_ok());
        assert!(may_confirm_held(slot, 11_200 + HELD_GRACE_SECONDS).is_ok());
        assert!(may_confirm_held(slot, 10_000 - HELD_GRACE_SECONDS - 1).is_err());
        assert!(may_confirm_held(slot, 11_200 + HELD_GRACE_SECONDS + 1).is_err());
    }

    #[test]
    fn suggestions_rank_complementary_people_from_elsewhere_first_and_say_why() {
        let me = MatchProfile {
            cluster: Some("BIORN".into()),
            country: "DE".into(),
            themes: vec![Theme::Biomarkers],
            offers: "Proteomics assays, biobank samples".into(),
            seeks: "Biomarker validation and clinical partners".into(),
        };
        let validator = MatchProfile {
            cluster: Some("TARTU".into()),
            country: "EE".into(),
            themes: vec![Theme::Biomarkers, Theme::Multiomics],
            offers: "Clinical biomarker validation".into(),
            seeks: "Biobank samples".into(),
        };
        let neighbour = MatchProfile { cluster: Some("BIORN".into()), country: "DE".into(), ..validator.clone() };
        let stranger = MatchProfile {
            cluster: Some("SMARTHUB".into()),
            country: "BE".into(),
            themes: vec![Theme::MicroNanoElectronics],
            offers: "Chip design".into(),
            seeks: "Foundries".into(),
        };
        let best = suggest(&me, &validator).unwrap();
        assert_eq!(
            best.reasons,
            vec![
                "offers clinical, biomarker, validation, which you seek".to_string(),
                "seeks biobank, samples, which you offer".to_string(),
                "shares your interest in Clinically useful biomarkers".to_string(),
                "is in another cluster".to_string(),
                "works in another country (EE)".to_string(),
            ]
        );
        let near = suggest(&me, &neighbour).unwrap();
        assert!(best.score > near.score, "other cluster and country first");
        assert_eq!(suggest(&me, &stranger), None, "nothing in common: not suggested");
    }

    #[test]
    fn verified_held_needs_the_confirmation_both_arrivals_and_no_open_dispute() {
        assert!(verified_held(true, false, None, true));
        assert!(!verified_held(true, false, None, false), "someone never arrived");
        assert!(!verified_held(false, false, None, true), "not confirmed at the table");
        assert!(!verified_held(true, true, None, true), "a no-show report waits for the organisers");
        assert!(verified_held(true, true, Some("held"), true), "decided: held");
        assert!(!verified_held(true, true, Some("not held"), true), "decided: not held");
    }
}

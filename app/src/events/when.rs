//! Formatting of instants in an event's own time zone. Every time shown carries its zone's
//! abbreviation, which also tells summer from winter time ("CET" / "CEST").

use jiff::{civil::Date, tz::TimeZone, Timestamp, Zoned};

/// The zone of an event; an unknown name is a data error, reported by the caller.
pub fn zone(name: &str) -> Option<TimeZone> {
    jiff::tz::db().get(name).ok()
}

fn zoned(at: i64, tz: &TimeZone) -> Zoned {
    Timestamp::from_second(at).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned(tz.clone())
}

/// "16–17 March 2027", "30 March – 1 April 2027" or "30 December 2027 – 2 January 2028".
pub fn date_range(starts_at: i64, ends_at: i64, tz: &TimeZone) -> String {
    let (a, b) = (zoned(starts_at, tz).date(), zoned(ends_at, tz).date());
    if a == b {
        a.strftime("%-d %B %Y").to_string()
    } else if a.year() == b.year() && a.month() == b.month() {
        format!("{}–{}", a.day(), b.strftime("%-d %B %Y"))
    } else if a.year() == b.year() {
        format!("{} – {}", a.strftime("%-d %B"), b.strftime("%-d %B %Y"))
    } else {
        format!("{} – {}", a.strftime("%-d %B %Y"), b.strftime("%-d %B %Y"))
    }
}

/// "Tuesday 16 March 2027, 09:00 CET"
pub fn day_and_time(at: i64, tz: &TimeZone) -> String {
    zoned(at, tz).strftime("%A %-d %B %Y, %H:%M %Z").to_string()
}

/// "Tuesday 16 March", the day of an instant in the zone.
pub fn day_label(at: i64, tz: &TimeZone) -> String {
    zoned(at, tz).strftime("%A %-d %B").to_string()
}

/// "14:00 CEST"
pub fn time_of_day(at: i64, tz: &TimeZone) -> String {
    zoned(at, tz).strftime("%H:%M %Z").to_string()
}

/// The instant of a wall-clock time on a date in the zone (for seeding and organiser input).
/// A time that does not exist (skipped by a spring-forward) is moved forward, as clocks do.
pub fn instant(date: Date, hour: i8, minute: i8, tz: &TimeZone) -> Option<i64> {
    let civil = date.at(hour, minute, 0, 0);
    tz.to_ambiguous_zoned(civil).compatible().ok().map(|z| z.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn times_carry_the_zone_and_follow_daylight_saving() {
        let berlin = zone("Europe/Berlin").unwrap();
        // Summer time in Europe ends on 31 October 2027 at 03:00 local time.
        let before = instant(date(2027, 10, 30), 14, 0, &berlin).unwrap();
        let after = instant(date(2027, 11, 1), 14, 0, &berlin).unwrap();
        assert_eq!(time_of_day(before, &berlin), "14:00 CEST");
        assert_eq!(time_of_day(after, &berlin), "14:00 CET");
        // Two days of wall-clock time, but 49 hours apart because an hour was repeated.
        assert_eq!(after - before, 49 * 3600);
        assert_eq!(before, 1_824_897_600); // 2027-10-30T12:00:00Z
    }

    #[test]
    fn the_same_instant_reads_differently_per_region() {
        let at = instant(date(2027, 3, 16), 9, 0, &zone("Europe/Berlin").unwrap()).unwrap();
        assert_eq!(time_of_day(at, &zone("Europe/Tallinn").unwrap()), "10:00 EET");
        assert_eq!(time_of_day(at, &zone("Europe/Copenhagen").unwrap()), "09:00 CET");
    }

    #[test]
    fn a_skipped_time_moves_forward() {
        let berlin = zone("Europe/Berlin").unwrap();
        // 02:30 does not exist on 28 March 2027 in Berlin.
        let at = instant(date(2027, 3, 28), 2, 30, &berlin).unwrap();
        assert_eq!(time_of_day(at, &berlin), "03:30 CEST");
    }

    #[test]
    fn date_ranges_read_naturally() {
        let tz = zone("Europe/Brussels").unwrap();
        let at = |y, m, d| instant(date(y, m, d), 9, 0, &tz).unwrap();
        assert_eq!(date_range(at(2027, 3, 16), at(2027, 3, 17), &tz), "16–17 March 2027");
        assert_eq!(date_range(at(2027, 3, 31), at(2027, 4, 1), &tz), "31 March – 1 April 2027");
        assert_eq!(date_range(at(2027, 12, 31), at(2028, 1, 1), &tz), "31 December 2027 – 1 January 2028");
        assert_eq!(day_and_time(at(2027, 3, 16), &tz), "Tuesday 16 March 2027, 09:00 CET");
    }

    #[test]
    fn unknown_zones_are_none() {
        assert!(zone("Mars/Olympus_Mons").is_none());
    }
}

/// "2027-03-16 09:00": an instant as a form shows it, to the minute, in the event's zone.
pub fn form_minute(at: i64, tz: &TimeZone) -> String {
    zoned(at, tz).strftime("%Y-%m-%d %H:%M").to_string()
}

/// Reads a form's "YYYY-MM-DD HH:MM" (or "YYYY-MM-DDTHH:MM") in the event's zone. `None` when it
/// does not parse or names a time that does not exist there (a gap of a DST change).
pub fn parse_form_minute(text: &str, tz: &TimeZone) -> Option<i64> {
    let text = text.trim().replacen('T', " ", 1);
    let (day, time) = text.split_once(' ')?;
    let date: Date = day.parse().ok()?;
    let (hour, minute) = time.trim().split_once(':')?;
    let (hour, minute): (i8, i8) = (hour.parse().ok()?, minute.parse().ok()?);
    if !(0..24).contains(&hour) || !(0..60).contains(&minute) {
        return None;
    }
    instant(date, hour, minute, tz)
}

/// When an event runs, in its own zone.
#[derive(Clone, Debug)]
pub struct EventWindow {
    pub starts_at: i64,
    pub ends_at: i64,
    pub zone: TimeZone,
}

impl EventWindow {
    /// "Tuesday 16 March 2027, 09:00 CET – Wednesday 17 March 2027, 17:30 CET"
    pub fn describe(&self) -> String {
        format!("{} – {}", day_and_time(self.starts_at, &self.zone), day_and_time(self.ends_at, &self.zone))
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;

    #[test]
    fn a_form_minute_reads_back_as_the_same_instant() {
        let berlin = zone("Europe/Berlin").unwrap();
        let at = instant(jiff::civil::date(2027, 3, 16), 9, 0, &berlin).unwrap();
        assert_eq!(form_minute(at, &berlin), "2027-03-16 09:00");
        assert_eq!(parse_form_minute("2027-03-16 09:00", &berlin), Some(at));
        assert_eq!(parse_form_minute("2027-03-16T09:00", &berlin), Some(at));
        assert_eq!(parse_form_minute("2027-03-16", &berlin), None);
        assert_eq!(parse_form_minute("2027-03-16 25:00", &berlin), None);
    }
}

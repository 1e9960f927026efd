//! The pure rules of ClusterXchange grants: eligibility from cross-border meetings, the length
//! of an exchange in working days, the great-circle distance between two organisations, and the
//! amount, each explained in words. Every figure comes from the programme's configuration
//! (`Programme`), none from code.

use jiff::civil::{Date, Weekday};

use crate::events::country_name;

/// A programme's rules, as the partnership configured them.
#[derive(Clone, Debug, PartialEq)]
pub struct Programme {
    /// ISO country codes whose clusters take part.
    pub eligible_countries: Vec<String>,
    /// Cross-border meetings a member needs before applying.
    pub min_meetings: u32,
    /// Whether only meetings verified as held count (otherwise agreed ones do).
    pub require_verified: bool,
    /// Working days an exchange lasts, at least and at most.
    pub min_days: u32,
    pub max_days: u32,
    /// The lump sum per host country, in cents.
    pub lump_sums: Vec<(String, i64)>,
    /// A stay shorter than this many working days is funded at half.
    pub full_rate_days: u32,
    /// Visitor and host closer than this are funded at half.
    pub full_rate_km: f64,
    /// The most one visitor receives, in cents.
    pub max_per_visitor: i64,
}

impl Default for Programme {
    /// The defaults of the EU ClusterXchange scheme as one partnership published them.
    fn default() -> Programme {
        Programme {
            eligible_countries: ["DE", "BE", "DK", "EE"].map(String::from).to_vec(),
            min_meetings: 1,
            require_verified: true,
            min_days: 3,
            max_days: 22,
            // €780 for a full stay, so €390 for a short (or near) one, as published.
            lump_sums: ["DE", "BE", "DK", "EE"].map(|c| (c.to_string(), 78_000)).to_vec(),
            full_rate_days: 5,
            full_rate_km: 200.0,
            max_per_visitor: 110_000,
        }
    }
}

/// A meeting of the member's organisation, as eligibility sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct CountedMeeting {
    pub id: i64,
    /// The country of the partner's cluster (None: the partner is in no cluster).
    pub partner_country: Option<String>,
    pub partner_organisation: String,
    pub agreed: bool,
    pub verified_held: bool,
}

/// One rule of a verdict, passed or not, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub rule: String,
    pub passed: bool,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub eligible: bool,
    pub checks: Vec<Check>,
    /// The meetings that count.
    pub counted: Vec<i64>,
    /// What is still missing, when something is ("1 more verified meeting with a cluster
    /// outside Germany").
    pub missing: Option<String>,
}

/// Whether a member organisation based in `country` (None: the person is in no cluster of the
/// partnership) may apply, and why (every rule with pass or fail).
pub fn eligibility(programme: &Programme, country: Option<&str>, meetings: &[CountedMeeting]) -> Verdict {
    let Some(country) = country else {
        return Verdict {
            eligible: false,
            checks: vec![Check {
                rule: "Your organisation is a member of a cluster of the partnership".into(),
                passed: false,
                detail: "your account belongs to no cluster".into(),
            }],
            counted: Vec::new(),
            missing: Some("Membership of one of the partnership's clusters.".into()),
        };
    };
    let home = country_name(country);
    let eligible_country = programme.eligible_countries.iter().any(|c| c == country);
    let mut checks = vec![Check {
        rule: "Your organisation is based in a country of the programme".into(),
        passed: eligible_country,
        detail: if eligible_country {
            format!("{home} takes part")
        } else {
            format!("{home} is not among the programme's countries")
        },
    }];
    let cross_border = |m: &&CountedMeeting| {
        m.partner_country
            .as_deref()
            .is_some_and(|c| c != country && programme.eligible_countries.iter().any(|e| e == c))
    };
    let counts = |m: &&CountedMeeting| m.agreed && (!programme.require_verified || m.verified_held);
    let counted: Vec<i64> = meetings.iter().filter(cross_border).filter(counts).map(|m| m.id).collect();
    let kind = if programme.require_verified { "verified" } else { "agreed" };
    let needed = programme.min_meetings as usize;
    let enough = counted.len() >= needed;
    let same_country = meetings.iter().filter(|m| m.partner_country.as_deref() == Some(country)).count();
    let not_held = meetings.iter().filter(cross_border).filter(|m| m.agreed && !counts(m)).count();
    let mut detail = format!("{} of {needed} {kind} meetings with a cluster outside {home}", counted.len());
    if not_held > 0 {
        detail.push_str(&format!("; {not_held} agreed but not verified as held"));
    }
    if same_country > 0 {
        detail.push_str(&format!("; {same_country} with partners in {home}, which do not count"));
    }
    checks.push(Check {
        rule: format!("At least {needed} {kind} meeting{} with a cluster in another country", plural(needed)),
        passed: enough,
        detail,
    });
    let missing = if !eligible_country {
        Some(format!("Organisations in {home} cannot take part in this programme."))
    } else if !enough {
        let more = needed - counted.len();
        Some(format!("{more} more {kind} meeting{} with a cluster outside {home}", plural(more)))
    } else {
        None
    };
    Verdict { eligible: eligible_country && enough, checks, counted, missing }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Monday to Friday from `first` to `last`, both included (weekends are not counted; holidays
/// differ per country and are the applicant's to leave out).
pub fn working_days(first: Date, last: Date) -> u32 {
    if last < first {
        return 0;
    }
    let mut days = 0;
    let mut day = first;
    while day <= last {
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            days += 1;
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    days
}

/// The great-circle distance in km between two points given as (latitude, longitude) in
/// degrees (haversine, mean Earth radius).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0088;
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let (dlat, dlon) = ((b.0 - a.0).to_radians(), (b.1 - a.1).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The amount of a grant, line by line.
#[derive(Clone, Debug, PartialEq)]
pub struct Amount {
    /// (explanation, cents after the step)
    pub lines: Vec<(String, i64)>,
    pub total: i64,
}

/// What an exchange of `days` working days to a host in `host_country`, `km` away, is worth;
/// refused (with the reason) for a stay outside the programme's length or a host country
/// without a lump sum.
pub fn amount(programme: &Programme, host_country: &str, days: u32, km: f64) -> Result<Amount, String> {
    if days < programme.min_days || days > programme.max_days {
        return Err(format!(
            "An exchange lasts {} to {} working days; this one has {days}.",
            programme.min_days, programme.max_days
        ));
    }
    let base = programme
        .lump_sums
        .iter()
        .find(|(c, _)| c == host_country)
        .map(|(_, cents)| *cents)
        .ok_or_else(|| format!("The programme has no lump sum for hosts in {}.", country_name(host_country)))?;
    let mut lines = vec![(format!("Lump sum for a host in {}", country_name(host_country)), base)];
    let mut total = base;
    let short = days < programme.full_rate_days;
    let near = km < programme.full_rate_km;
    if short || near {
        total /= 2;
        let why = match (short, near) {
            (true, true) => format!(
                "Halved: {days} working days (under {}) and {km:.0} km apart (under {:.0} km)",
                programme.full_rate_days, programme.full_rate_km
            ),
            (true, false) => format!("Halved: {days} working days, under {}", programme.full_rate_days),
            _ => format!("Halved: {km:.0} km apart, under {:.0} km", programme.full_rate_km),
        };
        lines.push((why, total));
    }
    if total > programme.max_per_visitor {
        total = programme.max_per_visitor;
        lines.push(("Capped at the most one visitor receives".into(), total));
    }
    Ok(Amount { lines, total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn meeting(id: i64, country: Option<&str>, agreed: bool, held: bool) -> CountedMeeting {
        CountedMeeting {
            id,
            partner_country: country.map(String::from),
            partner_organisation: format!("Partner {id}"),
            agreed,
            verified_held: held,
        }
    }

    #[test]
    fn a_verified_meeting_with_another_countrys_cluster_makes_a_member_eligible() {
        let programme = Programme::default();
        let verdict = eligibility(&programme, Some("DE"), &[meeting(1, Some("EE"), true, true)]);
        assert!(verdict.eligible);
        assert_eq!(verdict.counted, vec![1]);
        assert!(verdict.checks.iter().all(|c| c.passed));
        assert_eq!(verdict.missing, None);
    }

    #[test]
    fn agreed_but_not_held_and_same_country_meetings_do_not_count() {
        let programme = Programme::default();
        let verdict = eligibility(
            &programme,
            Some("DE"),
            &[meeting(1, Some("EE"), true, false), meeting(2, Some("DE"), true, true), meeting(3, None, true, true)],
        );
        assert!(!verdict.eligible);
        assert!(verdict.counted.is_empty());
        assert_eq!(verdict.missing.as_deref(), Some("1 more verified meeting with a cluster outside Germany"));
        let rule = &verdict.checks[1];
        assert!(!rule.passed);
        assert!(rule.detail.contains("1 agreed but not verified as held"), "{}", rule.detail);
        assert!(rule.detail.contains("1 with partners in Germany, which do not count"), "{}", rule.detail);
        // When agreed meetings are enough, the unverified one counts.
        let relaxed = Programme { require_verified: false, ..Programme::default() };
        assert!(eligibility(&relaxed, Some("DE"), &[meeting(1, Some("EE"), true, false)]).eligible);
    }

    #[test]
    fn a_member_outside_the_programme_is_told_so() {
        let verdict = eligibility(&Programme::default(), Some("FR"), &[meeting(1, Some("EE"), true, true)]);
        assert!(!verdict.eligible);
        assert!(!verdict.checks[0].passed);
        assert_eq!(verdict.missing.as_deref(), Some("Organisations in France cannot take part in this programme."));
        let outsider = eligibility(&Programme::default(), None, &[meeting(1, Some("EE"), true, true)]);
        assert!(!outsider.eligible && !outsider.checks[0].passed);
    }

    #[test]
    fn working_days_leave_out_weekends() {
        // Wednesday 3 to Friday 5 March 2027: exactly 3.
        assert_eq!(working_days(date(2027, 3, 3), date(2027, 3, 5)), 3);
        // Friday to Tuesday: 3 (Sat, Sun not counted).
        assert_eq!(working_days(date(2027, 3, 5), date(2027, 3, 9)), 3);
        assert_eq!(working_days(date(2027, 3, 6), date(2027, 3, 7)), 0, "a weekend");
        assert_eq!(working_days(date(2027, 3, 9), date(2027, 3, 5)), 0, "backwards");
    }

    #[test]
    fn distances_are_great_circle() {
        // London to Paris is about 343.5 km as the crow flies; one degree of the equator is
        // 2πR/360 = 111.195 km.
        let km = distance_km((51.5074, -0.1278), (48.8566, 2.3522));
        assert!((km - 343.5).abs() < 1.0, "{km}");
        assert!((distance_km((0.0, 0.0), (0.0, 1.0)) - 111.195).abs() < 0.01);
        assert_eq!(distance_km((49.3988, 8.6724), (49.3988, 8.6724)), 0.0);
    }

    #[test]
    fn the_amount_is_halved_for_short_or_near_stays_and_explained() {
        let programme = Programme::default();
        let full = amount(&programme, "EE", 5, 1_500.0).unwrap();
        assert_eq!(full.total, 78_000);
        assert_eq!(full.lines.len(), 1);
        // 4 vs 5 days.
        let short = amount(&programme, "EE", 4, 1_500.0).unwrap();
        assert_eq!(short.total, 39_000);
        assert!(short.lines[1].0.contains("4 working days, under 5"), "{:?}", short.lines);
        // 199 vs 201 km.
        assert_eq!(amount(&programme, "EE", 5, 199.0).unwrap().total, 39_000);
        assert_eq!(amount(&programme, "EE", 5, 201.0).unwrap().total, 78_000);
        // Both reasons halve once.
        let both = amount(&programme, "EE", 3, 100.0).unwrap();
        assert_eq!(both.total, 39_000);
        assert!(both.lines[1].0.contains("and 100 km apart"));
        // Outside the length, or a host country without a lump sum: refused with the reason.
        assert!(amount(&programme, "EE", 2, 1_500.0).unwrap_err().contains("3 to 22 working days"));
        assert!(amount(&programme, "EE", 23, 1_500.0).is_err());
        assert!(amount(&programme, "FR", 5, 1_500.0).unwrap_err().contains("France"));
        // The cap holds whatever the lump sum.
        let generous = Programme { lump_sums: vec![("EE".into(), 200_000)], ..Programme::default() };
        let capped = amount(&generous, "EE", 10, 1_500.0).unwrap();
        assert_eq!(capped.total, 110_000);
        assert_eq!(capped.lines.last().unwrap().0, "Capped at the most one visitor receives");
    }
}

//! A bundled list of European cities with their coordinates, so that the distance between a
//! visitor and a host can be computed without looking anything up online. Coordinates are the
//! city centres, to four decimals (about 10 m), which is far finer than the 200 km rule needs.

/// (name, ISO country code, latitude, longitude)
pub const CITIES: &[(&str, &str, f64, f64)] = &[
    ("Aachen", "DE", 50.7753, 6.0839),
    ("Berlin", "DE", 52.5200, 13.4050),
    ("Cologne", "DE", 50.9375, 6.9603),
    ("Frankfurt am Main", "DE", 50.1109, 8.6821),
    ("Hamburg", "DE", 53.5511, 9.9937),
    ("Heidelberg", "DE", 49.3988, 8.6724),
    ("Karlsruhe", "DE", 49.0069, 8.4037),
    ("Ludwigshafen", "DE", 49.4774, 8.4452),
    ("Mainz", "DE", 49.9929, 8.2473),
    ("Mannheim", "DE", 49.4875, 8.4660),
    ("Munich", "DE", 48.1351, 11.5820),
    ("Antwerp", "BE", 51.2194, 4.4025),
    ("Brussels", "BE", 50.8503, 4.3517),
    ("Ghent", "BE", 51.0543, 3.7174),
    ("Leuven", "BE", 50.8798, 4.7005),
    ("Liège", "BE", 50.6326, 5.5797),
    ("Aalborg", "DK", 57.0488, 9.9217),
    ("Aarhus", "DK", 56.1629, 10.2039),
    ("Copenhagen", "DK", 55.6761, 12.5683),
    ("Odense", "DK", 55.4038, 10.4024),
    ("Narva", "EE", 59.3772, 28.1903),
    ("Pärnu", "EE", 58.3859, 24.4971),
    ("Tallinn", "EE", 59.4370, 24.7536),
    ("Tartu", "EE", 58.3780, 26.7290),
    ("Amsterdam", "NL", 52.3676, 4.9041),
    ("Eindhoven", "NL", 51.4416, 5.4697),
    ("Maastricht", "NL", 50.8514, 5.6910),
    ("Lille", "FR", 50.6292, 3.0573),
    ("Paris", "FR", 48.8566, 2.3522),
    ("Strasbourg", "FR", 48.5734, 7.7521),
    ("Malmö", "SE", 55.6050, 13.0038),
    ("Stockholm", "SE", 59.3293, 18.0686),
    ("Helsinki", "FI", 60.1699, 24.9384),
    ("Riga", "LV", 56.9496, 24.1052),
];

/// The city of this name (as listed), with its country and coordinates.
pub fn find(name: &str) -> Option<(&'static str, &'static str, (f64, f64))> {
    CITIES.iter().find(|(n, ..)| *n == name).map(|(n, c, lat, lon)| (*n, *c, (*lat, *lon)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_coordinates_in_europe() {
        for (i, (name, country, lat, lon)) in CITIES.iter().enumerate() {
            assert!(CITIES[i + 1..].iter().all(|(other, ..)| other != name), "{name} twice");
            assert!((35.0..72.0).contains(lat) && (-11.0..32.0).contains(lon), "{name}");
            assert_eq!(country.len(), 2);
        }
        // Heidelberg to Mannheim is under 20 km; Heidelberg to Leuven over 300.
        let km = |a: &str, b: &str| super::super::rules::distance_km(find(a).unwrap().2, find(b).unwrap().2);
        assert!(km("Heidelberg", "Mannheim") < 20.0);
        assert!(km("Heidelberg", "Leuven") > 300.0);
    }
}

//! Server-only plumbing shared by every capability: the database, errors, cookies and CSRF (`web`),
//! the mail outbox. Gated once, here, behind the `ssr` feature.
//!
//! The rule of this layer: it imports nothing above it (no capability, no composition root),
//! so every capability can build on it. `tests::platform_imports_nothing_above_it` holds it.

pub mod db;
pub mod error;
pub mod limits;
pub mod mail;
pub mod postgres;
pub mod web;

pub use db::Db;

/// Settings the application reads at run time (the server binary builds them from its
/// configuration). No secrets here: this is cloned into every request.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The address people use to reach the site, without a trailing slash; links in mail use it.
    pub public_url: String,
    /// Mark cookies `Secure` (on when the public URL is https).
    pub secure_cookies: bool,
    /// The platform's sender (MAIL_FROM), name and address: the organiser of every calendar
    /// invitation, so that no client sends replies to a person.
    pub sender_name: String,
    pub sender_email: String,
}

/// Seconds since the Unix epoch: how every instant is stored, on both backends.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A fresh random token for cookies and links: 32 bytes, hex-encoded.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored in place of a token, so a database leak does not hand out live sessions.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    /// The names of the crate's modules that sit above the plumbing.
    const ABOVE: [&str; 12] = [
        "accounts",
        "admin",
        "agenda",
        "badges",
        "calendar",
        "checkin",
        "components",
        "demo",
        "events",
        "organise",
        "payments",
        "state",
    ];

    /// Every `crate::<module>` a source text names (including inside `use crate::{a, b}` groups).
    fn crate_modules_named(source: &str) -> Vec<String> {
        let mut named = Vec::new();
        for (at, _) in source.match_indices("crate::") {
            let rest = &source[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    named.push(name);
                }
            } else {
                named.push(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
            }
        }
        named
    }

    #[test]
    fn platform_imports_nothing_above_it() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/platform");
        let mut offences = Vec::new();
        let mut files = 0;
        for entry in std::fs::read_dir(&folder).expect("read src/platform") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            files += 1;
            let source = std::fs::read_to_string(&path).expect("read a platform file");
            // This file's own list of names is not an import.
            let source = source.split("#[cfg(test)]").next().unwrap_or_default();
            for name in crate_modules_named(source) {
                if ABOVE.contains(&name.as_str()) {
                    offences.push(format!("{} names crate::{name}", path.display()));
                }
            }
        }
        assert!(files >= 4, "expected the platform's files in {}", folder.display());
        assert!(offences.is_empty(), "the platform layer must import nothing above it:\n{}", offences.join("\n"));
    }

    #[test]
    fn the_import_scan_sees_groups_and_paths() {
        let names =
            crate_modules_named("use crate::{error::AppError, accounts::Role};\nlet x = crate::tickets::store::x();");
        assert_eq!(names, ["error", "accounts", "tickets"]);
    }
}

/// A value typed by people, for a CSV cell: a leading `=`, `+`, `-` or `@` would make a
/// spreadsheet run it as a formula, so such values get a leading apostrophe.
pub fn spreadsheet_safe(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod csv_tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(super::spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(super::spreadsheet_safe("Ana"), "Ana");
    }
}

//! CSV import and export of an agenda. The columns are those of the export, so an exported file
//! can be edited in a spreadsheet and imported back: rows with an `id` change that session, rows
//! without one add a session. Missing tracks, rooms and speakers are created by name.

use super::rules::{SessionDraft, SessionInput};
use super::store::{SessionWrite, StoredSession};
use crate::error::AppError;
use crate::events::when::EventWindow;

pub const COLUMNS: [&str; 11] =
    ["id", "day", "start", "end", "title", "track", "room", "speakers", "theme", "capacity", "abstract"];
const REQUIRED: [&str; 4] = ["day", "start", "end", "title"];

/// One problem of an import, for the row-by-row report.
#[derive(Clone, Debug, PartialEq)]
pub struct RowProblem {
    /// Line of the file (the header is line 1).
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Line {} ({}): {}", self.line, self.field, self.message)
    }
}

pub fn export(sessions: &[StoredSession], zone: &jiff::tz::TimeZone) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(COLUMNS);
    for s in sessions {
        let at = |t: i64| jiff::Timestamp::from_second(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(zone.clone());
        let (start, end) = (at(s.card.starts_at), at(s.card.ends_at));
        let speakers: Vec<&str> = s.card.speakers.iter().map(|sp| sp.name.as_str()).collect();
        let _ = writer.write_record([
            s.card.id.to_string(),
            start.date().to_string(),
            start.strftime("%H:%M").to_string(),
            end.strftime("%H:%M").to_string(),
            s.card.title.clone(),
            s.card.track.clone().unwrap_or_default(),
            s.card.room.clone().unwrap_or_default(),
            speakers.join(", "),
            s.card.theme.map(|t| t.code().to_string()).unwrap_or_default(),
            s.card.capacity.map(|c| c.to_string()).unwrap_or_default(),
            s.abstract_text.clone(),
        ]);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Reads every row; returns the writes, or every problem found (with their lines).
pub fn parse(text: &str, window: &EventWindow) -> Result<Vec<(usize, SessionWrite)>, Vec<RowProblem>> {
    let problem = |line: usize, field: &str, message: String| RowProblem { line, field: field.into(), message };
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_lowercase()).collect(),
        Err(e) => return Err(vec![problem(1, "header", format!("The file is not readable CSV: {e}"))]),
    };
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|c| !headers.iter().any(|h| h == c)).collect();
    if !missing.is_empty() {
        return Err(vec![problem(
            1,
            "header",
            format!(
                "The first line must name the columns; missing: {}. Columns: {}.",
                missing.join(", "),
                COLUMNS.join(",")
            ),
        )]);
    }
    if let Some(unknown) = headers.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(vec![problem(1, "header", format!("Unknown column `{unknown}`. Columns: {}.", COLUMNS.join(",")))]);
    }
    let mut writes = Vec::new();
    let mut problems = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(problem(line, "row", format!("Not readable: {e}")));
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |name: &str| headers.iter().position(|h| h == name).and_then(|i| record.get(i)).unwrap_or("");
        let id = match get("id") {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    problems.push(problem(line, "id", format!("`{text}` is not a session number.")));
                    continue;
                }
            },
        };
        let input = SessionInput {
            title: get("title"),
            abstract_text: get("abstract"),
            day: get("day"),
            start: get("start"),
            end: get("end"),
            track: get("track"),
            room: get("room"),
            speakers: get("speakers"),
            capacity: get("capacity"),
            theme: get("theme"),
        };
        match SessionDraft::parse(&input, window) {
            Ok(draft) => writes.push((line, SessionWrite { id, draft })),
            Err(AppError::Invalid { field, message }) => problems.push(problem(line, &field, message)),
            Err(other) => problems.push(problem(line, "row", other.to_string())),
        }
    }
    if problems.is_empty() {
        Ok(writes)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::when;
    use jiff::civil::date;

    fn window() -> EventWindow {
        let zone = when::zone("Europe/Copenhagen").unwrap();
        EventWindow {
            starts_at: when::instant(date(2027, 9, 14), 9, 0, &zone).unwrap(),
            ends_at: when::instant(date(2027, 9, 15), 17, 30, &zone).unwrap(),
            zone,
        }
    }

    #[test]
    fn rows_are_read_by_column_name() {
        let text = "title,day,start,end,room,speakers\n\"Single-cell, spatial\",2027-09-14,10:00,11:00,Auditorium,\"Freja, Ola\"\n";
        let writes = parse(text, &window()).unwrap();
        assert_eq!(writes.len(), 1);
        let (line, write) = &writes[0];
        assert_eq!(*line, 2);
        assert_eq!(write.draft.title, "Single-cell, spatial");
        assert_eq!(write.draft.speakers, vec!["Freja".to_string(), "Ola".to_string()]);
        assert_eq!(write.id, None);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let text = "id,day,start,end,title\n\
                    ,2027-09-14,10:00,11:00,Fine\n\
                    ,2027-09-14,12:00,11:00,Backwards\n\
                    x,2027-09-14,12:00,13:00,Bad id\n\
                    ,2027-09-20,10:00,11:00,After the event\n";
        let problems = parse(text, &window()).unwrap_err();
        let summary: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.field.as_str())).collect();
        assert_eq!(summary, vec![(3, "end"), (4, "id"), (5, "start")]);
    }

    #[test]
    fn a_header_without_required_columns_is_refused() {
        let problems = parse("name,when\nA,B\n", &window()).unwrap_err();
        assert_eq!(problems[0].line, 1);
        assert!(problems[0].message.contains("missing: day, start, end, title"), "{}", problems[0].message);
    }
}

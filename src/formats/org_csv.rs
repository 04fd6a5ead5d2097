//! The organization CSV files (import and move): reading the header and rows. What a row then
//! does to the directory is `server::org_csv`'s business.

use crate::domain::AppError;
use crate::domain::org::{CsvKind, MAX_CSV_BYTES};
use crate::formats::Lines;
use std::collections::HashMap;

/// Most rows in one file.
pub const MAX_CSV_ROWS: usize = 50_000;

pub const IMPORT_COLUMNS: [&str; 5] =
    ["username", "display_name", "email", "organization", "prevent_user_move"];
pub const MOVE_COLUMNS: [&str; 2] = ["username", "organization"];

/// A row of a file: its line and its values by column.
pub type Row = (u64, HashMap<&'static str, String>);

/// The columns a file of this kind has.
pub fn columns(kind: CsvKind) -> &'static [&'static str] {
    match kind {
        CsvKind::Import => &IMPORT_COLUMNS,
        CsvKind::Move => &MOVE_COLUMNS,
    }
}

/// The Prevent User Move cell: blank leaves it as it is; the three languages' yes and no.
pub(crate) fn yes_no(value: &str) -> Result<Option<bool>, ()> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "yes" | "true" | "1" | "oui" | "ja" => Ok(Some(true)),
        "no" | "false" | "0" | "non" | "nein" => Ok(Some(false)),
        _ => Err(()),
    }
}

/// A logon name (sAMAccountName) the import may create.
pub fn valid_username(name: &str) -> bool {
    (1..=64).contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Reads the file: its header must hold the kind's columns (any order, extra columns refused);
/// blank rows are skipped. A file that cannot be read whole is refused whole.
pub fn parse(bytes: &[u8], kind: CsvKind) -> Result<Vec<Row>, AppError> {
    if bytes.len() > MAX_CSV_BYTES {
        return Err(AppError::FileTooLarge { max_bytes: MAX_CSV_BYTES as u64 });
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| AppError::CsvMalformed { line: 1 })?;
    let mut reader =
        csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(text.as_bytes());
    let expected = columns(kind);
    // The csv crate counts only `\n` (a file from an old Mac, ending lines with `\r`, is all on
    // line 1) and places a record at the blank lines before it: the report needs the row's line.
    let mut lines = Lines::new(text);
    let mut line_of = |byte: u64| lines.of(lines.skip_line_ends(byte));
    let header = reader.headers().map_err(|_| AppError::CsvMalformed { line: 1 })?.clone();
    let mut positions = Vec::new();
    for column in expected {
        let at = header.iter().position(|h| h.eq_ignore_ascii_case(column)).ok_or(AppError::CsvHeader)?;
        positions.push((*column, at));
    }
    if header.len() != expected.len() {
        return Err(AppError::CsvHeader);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| AppError::CsvMalformed {
            line: e.position().map(|p| line_of(p.byte())).unwrap_or(0),
        })?;
        let line = record.position().map(|p| line_of(p.byte())).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() == MAX_CSV_ROWS {
            return Err(AppError::BatchTooLarge { max: MAX_CSV_ROWS as u64 });
        }
        let values =
            positions.iter().map(|(c, at)| (*c, record.get(*at).unwrap_or("").to_string())).collect();
        rows.push((line, values));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::checks;

    #[test]
    fn columns_in_any_order_blank_rows_skipped_values_trimmed() {
        let file = "\u{FEFF}Organization , USERNAME\n Test B , a.user \n,\n\n\"Test, C\",b.user\n";
        let rows = parse(file.as_bytes(), CsvKind::Move).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1["username"], "a.user");
        assert_eq!(rows[0].1["organization"], "Test B");
        assert_eq!((rows[1].0, rows[1].1["organization"].as_str()), (5, "Test, C"));
    }

    #[test]
    fn rows_are_on_the_lines_an_editor_shows() {
        let lines = |file: &str| -> Vec<u64> {
            parse(file.as_bytes(), CsvKind::Move).unwrap().iter().map(|(line, _)| *line).collect()
        };
        assert_eq!(lines("username,organization\r\na,b\r\n\r\n\r\nc,d\r\n"), [2, 5]);
        assert_eq!(lines("username,organization\ra,b\r\rc,d\r"), [2, 4]);
        assert_eq!(lines("username,organization\n\"a\nb\",c\n\ne,f"), [2, 5]);
        assert_eq!(
            parse(b"username,organization\r\ra,b\rc\r", CsvKind::Move).err(),
            Some(AppError::CsvMalformed { line: 4 })
        );
    }

    #[test]
    fn unreadable_files_are_refused_whole() {
        assert_eq!(parse(b"user,name\nx,y\n", CsvKind::Import).err(), Some(AppError::CsvHeader));
        assert_eq!(
            parse(b"username,organization,extra\nx,y,z\n", CsvKind::Move).err(),
            Some(AppError::CsvHeader)
        );
        assert_eq!(parse(b"username,username\nx,y\n", CsvKind::Move).err(), Some(AppError::CsvHeader));
        assert_eq!(parse(&[0xff, 0xfe, 0x00], CsvKind::Move).err(), Some(AppError::CsvMalformed { line: 1 }));
        assert!(matches!(
            parse(b"username,organization\nok,A\n\"broken,A\nx,y\n", CsvKind::Move),
            Err(AppError::CsvMalformed { .. })
        ));
        assert_eq!(
            parse(b"username,organization\na,b,c\n", CsvKind::Move).err(),
            Some(AppError::CsvMalformed { line: 2 })
        );
        let big = vec![b' '; MAX_CSV_BYTES + 1];
        assert_eq!(
            parse(&big, CsvKind::Move).err(),
            Some(AppError::FileTooLarge { max_bytes: MAX_CSV_BYTES as u64 })
        );
        let many = format!("username,organization\n{}", "a,b\n".repeat(MAX_CSV_ROWS + 1));
        assert_eq!(
            parse(many.as_bytes(), CsvKind::Move).err(),
            Some(AppError::BatchTooLarge { max: MAX_CSV_ROWS as u64 })
        );
    }

    #[test]
    fn cell_rules() {
        assert_eq!(yes_no(" Oui "), Ok(Some(true)));
        assert_eq!(yes_no("NEIN"), Ok(Some(false)));
        assert_eq!(yes_no(""), Ok(None));
        assert_eq!(yes_no("maybe"), Err(()));
        assert!(valid_username("jean.dupont_2-b"));
        assert!(!valid_username("jean dupont") && !valid_username("") && !valid_username("é"));
        assert!(!valid_username(&"a".repeat(65)));
    }

    /// Every input the fuzzer kept (`fuzz/regressions/org_csv/`), and hand-made tricky ones,
    /// go through the fuzz target's own checks.
    #[test]
    fn fuzz_regressions_replay() {
        for tricky in [
            &b"\xEF\xBB\xBF"[..],
            b"username,organization\n\"a\"\"b\",\"\r\n\"\r\n",
            b"username,organization\n\0,\xff\n",
            b"username,organization\r\r\r\ra,b\r\"",
            b"\"username\"x,organization\n",
            b"username,display_name,email,organization,prevent_user_move\n,,,,\n , , , , \na,,,,ja\n",
        ] {
            checks::org_csv(tricky);
        }
        checks::replay("org_csv", checks::org_csv);
    }
}

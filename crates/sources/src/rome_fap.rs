//! DARES' ROME v3 → FAP 2009 correspondence table read in its printed layout (sheet
//! `Table` of `rome_v3_fap2009_dares.xls`): two header rows, blank separator rows, domain
//! rows (a letter and its label), a FAP code only on the first row of its block (carried
//! down to the rows below), ROME codes in the fifth column with an optional qualification
//! condition (`Q_0123456`: the ROME qualification levels for which this FAP holds), and
//! notes at the end. One ROME can stand under several FAPs.

use std::path::Path;

use calamine::{Data, Reader};

use crate::error::{Error, Result};

/// One ROME under one FAP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RomeFapLink {
    /// ROME v3 code.
    pub rome: String,
    /// FAP 2009 code (5 characters, `A0Z40`).
    pub fap: String,
    /// Qualification levels (`0`–`9`) for which the link holds; empty when unconditional.
    pub qualification: String,
    /// Sheet row (1-based).
    pub row: u64,
}

/// What the table holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RomeFapTable {
    /// Every link, in table order.
    pub links: Vec<RomeFapLink>,
    /// FAP 2009 domains: (letter, label).
    pub domains: Vec<(String, String)>,
    /// FAP 2009 families: (5-character code, label).
    pub families: Vec<(String, String)>,
}

fn text(cell: Option<&Data>) -> String {
    match cell {
        Some(Data::String(text)) => text.trim().to_owned(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => other.to_string().trim().to_owned(),
    }
}

fn is_fap_2009(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 5
        && bytes[0].is_ascii_uppercase()
        && bytes[1].is_ascii_digit()
        && bytes[2].is_ascii_uppercase()
        && bytes[3..].iter().all(u8::is_ascii_digit)
}

fn is_rome_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 5 && bytes[0].is_ascii_uppercase() && bytes[1..].iter().all(u8::is_ascii_digit)
}

/// Reads the table (sheet `sheet`, `Table` in DARES' file).
pub fn read_rome_fap_table(path: &Path, sheet: &str) -> Result<RomeFapTable> {
    let workbook_error = |message: String| Error::Workbook { path: path.to_path_buf(), message };
    let mut workbook = calamine::open_workbook_auto(path)
        .map_err(|error| workbook_error(format!("not a readable workbook: {error}")))?;
    let names = workbook.sheet_names();
    if !names.iter().any(|name| name == sheet) {
        return Err(workbook_error(format!("no sheet `{sheet}` (its sheets: {})", names.join(", "))));
    }
    let range = workbook.worksheet_range(sheet).map_err(|error| workbook_error(format!("sheet {sheet}: {error}")))?;
    let first_row = range.start().map_or(0, |(row, _)| row) as u64;
    let mut rows = range.rows().enumerate();
    let header =
        rows.next().map(|(_, cells)| cells.iter().map(|cell| text(Some(cell))).collect::<Vec<_>>()).unwrap_or_default();
    if header.first().map(String::as_str) != Some("FAP") || header.get(4).map(String::as_str) != Some("ROME") {
        return Err(workbook_error(format!(
            "sheet {sheet}, row {}: not DARES' ROME → FAP table layout (columns 1 and 5 should be headed FAP and ROME; found: {})",
            first_row + 1,
            header.join(", ")
        )));
    }
    let mut table = RomeFapTable::default();
    let mut current: Option<String> = None;
    for (index, cells) in rows {
        let row = first_row + index as u64 + 1;
        let (code, label, rome, qualification) =
            (text(cells.first()), text(cells.get(1)), text(cells.get(4)), text(cells.get(5)));
        if is_fap_2009(&code) {
            table.families.push((code.clone(), label));
            current = Some(code);
        } else if code.len() == 1 && code.as_bytes()[0].is_ascii_uppercase() && !label.is_empty() {
            table.domains.push((code, label));
            current = None;
        }
        if rome.is_empty() {
            continue;
        }
        if !is_rome_code(&rome) {
            continue; // a note or a header repeated on a new page
        }
        let Some(fap) = &current else {
            return Err(workbook_error(format!(
                "sheet {sheet}, row {row}, column 5: ROME {rome} stands under no FAP code"
            )));
        };
        let levels = qualification.strip_prefix("Q_").unwrap_or("");
        if !qualification.is_empty() && (levels.is_empty() || !levels.bytes().all(|b| b.is_ascii_digit())) {
            return Err(workbook_error(format!(
                "sheet {sheet}, row {row}, column 6: `{qualification}` is not a qualification condition (Q_ and digits)"
            )));
        }
        table.links.push(RomeFapLink { rome, fap: fap.clone(), qualification: levels.to_owned(), row });
    }
    if table.links.is_empty() {
        return Err(workbook_error(format!("sheet {sheet}: no ROME code found in column 5")));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workbook in the printed layout, written with rust_xlsxwriter.
    fn printed(path: &Path, rows: &[[&str; 7]]) {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("Table").unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                if !value.is_empty() {
                    sheet.write_string(r as u32, c as u16, *value).unwrap();
                }
            }
        }
        book.save(path).unwrap();
    }

    #[test]
    fn fap_codes_are_carried_down_and_conditions_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.xlsx");
        printed(
            &path,
            &[
                ["FAP", "Familles professionnelles", "PCS", "Professions", "ROME", "Qualification", "Répertoire"],
                ["", " FAP-2009", "", " PCS 2003", "", "", "ROME version 3"],
                ["", "", "", "", "", "", ""],
                ["A", "Agriculture, marine, pêche", "", "", "", "", ""],
                [
                    "A0Z40",
                    "Agriculteurs salariés",
                    "691e",
                    "Ouvriers agricoles",
                    "A1416",
                    "Q_0123456",
                    "Polyculture, élevage",
                ],
                ["", "", "", "", "", "", ""],
                ["A0Z41", "Éleveurs salariés", "691b", "Ouvriers de l'élevage", "A1403", "", "Aide d'élevage"],
                ["", "", "", "", "A1407", "", "Élevage bovin ou équin"],
                ["A2Z70", "Techniciens et cadres de l'agriculture", "", "", "A1416", "Q_789", "Polyculture, élevage"],
                ["  * (FAP A0Z43) Une note de bas de tableau.", "", "", "", "", "", ""],
            ],
        );
        let table = read_rome_fap_table(&path, "Table").unwrap();
        let links: Vec<(&str, &str, &str, u64)> =
            table.links.iter().map(|l| (l.rome.as_str(), l.fap.as_str(), l.qualification.as_str(), l.row)).collect();
        assert_eq!(
            links,
            [
                ("A1416", "A0Z40", "0123456", 5),
                ("A1403", "A0Z41", "", 7),
                ("A1407", "A0Z41", "", 8),
                ("A1416", "A2Z70", "789", 9)
            ]
        );
        assert_eq!(table.domains, [("A".to_owned(), "Agriculture, marine, pêche".to_owned())]);
        assert_eq!(table.families.len(), 3);
    }

    #[test]
    fn another_layout_is_an_error_naming_sheet_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.xlsx");
        printed(&path, &[["code", "", "", "", "rome", "", ""]]);
        let message = read_rome_fap_table(&path, "Table").unwrap_err().to_string();
        assert!(
            message.contains("t.xlsx") && message.contains("sheet Table, row 1") && message.contains("not DARES"),
            "{message}"
        );
        let message = read_rome_fap_table(&path, "Tableau").unwrap_err().to_string();
        assert!(message.contains("no sheet `Tableau`") && message.contains("Table"), "{message}");
        printed(&path, &[["FAP", "", "", "", "ROME", "", ""], ["", "", "", "", "A1416", "", ""]]);
        let message = read_rome_fap_table(&path, "Table").unwrap_err().to_string();
        assert!(message.contains("row 2, column 5") && message.contains("A1416"), "{message}");
    }
}

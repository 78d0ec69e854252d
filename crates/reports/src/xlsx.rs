//! The XLSX workbook of a sheet: one worksheet per section, real numbers with French-style
//! formats (thousands separators, percentages, one decimal for shared counts), frozen
//! header rows, column widths, and a « Méthode » worksheet. Cells under statistical
//! secrecy hold their marker (« s ») as text.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::error::{Error, Result};
use crate::format::Kind;
use crate::sections::{Section, glossary};

fn number_format(kind: Kind) -> Format {
    Format::new().set_num_format(match kind {
        Kind::Count => "#,##0",
        Kind::Decimal => "#,##0.0",
        Kind::Share => "0.0%",
        Kind::Ratio => "0.00",
    })
}

/// Writes the workbook.
pub fn write(
    path: &Path,
    title: &str,
    sections: &[Section],
    notes: &[String],
    min_denom: f64,
    rounding_base: i64,
) -> Result<()> {
    let glossary = glossary(min_denom, rounding_base);
    let failure = |error: XlsxError| Error::Write { path: path.to_path_buf(), message: error.to_string() };
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("F0F0F7");
    for section in sections {
        let sheet = workbook.add_worksheet();
        sheet.set_name(section.sheet).map_err(failure)?;
        for (column, header) in section.headers.iter().enumerate() {
            sheet.write_string_with_format(0, column as u16, *header, &bold).map_err(failure)?;
            let widest = section
                .rows
                .iter()
                .filter_map(|r| r.get(column))
                .map(|c| c.text.chars().count())
                .chain([header.chars().count()])
                .max()
                .unwrap_or(10);
            sheet.set_column_width(column as u16, (widest as f64 + 2.0).min(60.0)).map_err(failure)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(failure)?;
        for (index, row) in section.rows.iter().enumerate() {
            let line = index as u32 + 1;
            for (column, cell) in row.iter().enumerate() {
                match (cell.number, cell.kind) {
                    (Some(value), Some(kind)) => sheet
                        .write_number_with_format(line, column as u16, value, &number_format(kind))
                        .map_err(failure)?,
                    _ => sheet.write_string(line, column as u16, &cell.text).map_err(failure)?,
                };
            }
        }
        if let Some(note) = &section.note {
            sheet.write_string(section.rows.len() as u32 + 2, 0, note).map_err(failure)?;
        }
    }
    let method = workbook.add_worksheet();
    method.set_name("Méthode").map_err(failure)?;
    method.write_string_with_format(0, 0, "Indicateur", &bold).map_err(failure)?;
    method.write_string_with_format(0, 1, "Définition", &bold).map_err(failure)?;
    method.set_column_width(0, 36).map_err(failure)?;
    method.set_column_width(1, 120).map_err(failure)?;
    method.set_freeze_panes(1, 0).map_err(failure)?;
    for (index, (term, definition)) in glossary.iter().enumerate() {
        method.write_string(index as u32 + 1, 0, *term).map_err(failure)?;
        method.write_string(index as u32 + 1, 1, definition).map_err(failure)?;
    }
    method.write_string(glossary.len() as u32 + 2, 0, title).map_err(failure)?;
    for (index, note) in notes.iter().enumerate() {
        method.write_string(glossary.len() as u32 + 4 + index as u32, 0, note).map_err(failure)?;
    }
    workbook.save(path).map_err(failure)?;
    Ok(())
}

//! The XLSX workbook of a sheet: one worksheet per section and a « Méthode » worksheet,
//! each opening with the sheet's header block (title, bassin and dates, data quality,
//! sources) above its table; real numbers with French-style formats (thousands
//! separators, « 58,0 % »; counts shared among métiers shown whole) and real date cells; frozen and
//! printed-on-every-page header rows, landscape A4 fitted to the page width, a footer with
//! the title and the page. Cells under statistical secrecy hold their marker (« s ») as text.

use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::error::{Error, Result};
use crate::format::Kind;
use crate::sections::{Section, glossary};

/// The row of every worksheet's table header, below the header block (0-based).
pub const TABLE_HEADER_ROW: u32 = 5;

/// A4, in Excel's paper sizes.
const A4: u8 = 9;

fn number_format(kind: Kind) -> Format {
    Format::new().set_num_format(match kind {
        Kind::Count => "#,##0",
        // The space before « % » is a literal: the value is still the share, shown × 100.
        Kind::Share => "0.0\\ %",
        Kind::Ratio => "0.00",
    })
}

/// What a sheet's header block says: its title, then three lines (dates, data quality,
/// sources).
pub struct Header<'a> {
    /// « Fiche bassin — Lille (0701) ».
    pub title: &'a str,
    /// The lines under it.
    pub lines: &'a [String],
}

/// Writes the header block, sets the print layout and writes the table header `headers`
/// at [`TABLE_HEADER_ROW`], frozen and repeated on every printed page.
fn start_sheet(sheet: &mut Worksheet, header: &Header<'_>, headers: &[&str]) -> std::result::Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(13);
    let bold = Format::new().set_bold().set_background_color("F0F0F7").set_text_wrap().set_align(FormatAlign::Top);
    sheet.write_string_with_format(0, 0, header.title, &title)?;
    for (index, line) in header.lines.iter().take(TABLE_HEADER_ROW as usize - 2).enumerate() {
        sheet.write_string(index as u32 + 1, 0, line)?;
    }
    for (column, text) in headers.iter().enumerate() {
        sheet.write_string_with_format(TABLE_HEADER_ROW, column as u16, *text, &bold)?;
    }
    sheet.set_freeze_panes(TABLE_HEADER_ROW + 1, 0)?;
    sheet.set_repeat_rows(TABLE_HEADER_ROW, TABLE_HEADER_ROW)?;
    sheet.set_landscape().set_paper_size(A4).set_print_fit_to_pages(1, 0);
    // `&` starts a header/footer code: a title's own is doubled.
    sheet.set_footer(format!("&L{}&RPage &P / &N", header.title.replace('&', "&&")));
    Ok(())
}

/// Writes the workbook.
pub fn write(
    path: &Path,
    header: &Header<'_>,
    sections: &[Section],
    notes: &[String],
    min_denom: f64,
    rounding_base: i64,
) -> Result<()> {
    let glossary = glossary(min_denom, rounding_base);
    let failure = |error: XlsxError| Error::Write { path: path.to_path_buf(), message: error.to_string() };
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let wrapped = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for section in sections {
        let sheet = workbook.add_worksheet();
        sheet.set_name(section.sheet).map_err(failure)?;
        start_sheet(sheet, header, &section.headers).map_err(failure)?;
        for (column, text) in section.headers.iter().enumerate() {
            let widest = section
                .rows
                .iter()
                .filter_map(|r| r.get(column))
                .map(|c| c.text.chars().count())
                .chain([text.chars().count()])
                .max()
                .unwrap_or(10);
            sheet.set_column_width(column as u16, (widest as f64 + 2.0).min(60.0)).map_err(failure)?;
        }
        for (index, row) in section.rows.iter().enumerate() {
            let line = TABLE_HEADER_ROW + 1 + index as u32;
            for (column, cell) in row.iter().enumerate() {
                let column = column as u16;
                match (cell.number, cell.kind, cell.date.and_then(excel_date)) {
                    (Some(value), Some(kind), _) => {
                        sheet.write_number_with_format(line, column, value, &number_format(kind)).map_err(failure)?
                    }
                    (_, _, Some(day)) => sheet.write_datetime_with_format(line, column, day, &date).map_err(failure)?,
                    _ => sheet.write_string(line, column, &cell.text).map_err(failure)?,
                };
            }
        }
        if let Some(note) = &section.note {
            sheet.write_string(TABLE_HEADER_ROW + section.rows.len() as u32 + 2, 0, note).map_err(failure)?;
        }
    }
    let method = workbook.add_worksheet();
    method.set_name("Méthode").map_err(failure)?;
    start_sheet(method, header, &["Indicateur", "Définition"]).map_err(failure)?;
    method.set_column_width(0, 36).map_err(failure)?;
    method.set_column_width(1, 100).map_err(failure)?;
    for (index, (term, definition)) in glossary.iter().enumerate() {
        let line = TABLE_HEADER_ROW + 1 + index as u32;
        method.write_string_with_format(line, 0, *term, &wrapped).map_err(failure)?;
        method.write_string_with_format(line, 1, definition, &wrapped).map_err(failure)?;
    }
    let after = TABLE_HEADER_ROW + glossary.len() as u32 + 2;
    for (index, note) in notes.iter().enumerate() {
        method.write_string_with_format(after + index as u32, 1, note, &wrapped).map_err(failure)?;
    }
    workbook.save(path).map_err(failure)?;
    Ok(())
}

/// The day as an Excel date (`None` outside Excel's calendar: the cell keeps its text).
fn excel_date(day: chrono::NaiveDate) -> Option<ExcelDateTime> {
    use chrono::Datelike;
    let year = u16::try_from(day.year()).ok()?;
    ExcelDateTime::from_ymd(year, u8::try_from(day.month()).ok()?, u8::try_from(day.day()).ok()?).ok()
}

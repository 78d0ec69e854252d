//! Every tabular input read as published: a CSV file in UTF-8 or a single-byte encoding
//! (any ASCII delimiter), or a sheet of an XLSX or XLS workbook, with rows to skip above
//! the header, a row filter on column values, and cells that Excel stored as numbers
//! turned back into the text they stand for (`3201.0` → `3201`). The output is string
//! columns named after the layout's canonical names, plus `source_file` and
//! `source_line` (the CSV line, or the sheet row). Empty cells are NULL; masks such as
//! `*` are kept for staging to interpret. A row that cannot be used (wrong number of
//! fields, an undecodable byte, an error cell) is a reject naming its line or row; a
//! missing column, sheet or filter column is an error naming file, sheet and row.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use calamine::{Data, Reader};

use crate::decoding::Decoding;
use crate::error::{Error, Result};
use crate::files::open_decompressed;
use crate::layouts::TableLayout;
use crate::rejects::RejectsBuilder;

/// How a tabular file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Delimited text.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
    /// Excel 97–2003 workbook.
    Xls,
}

/// How one input's files are read (from its pipeline settings).
#[derive(Debug, Clone)]
pub struct TableSettings {
    /// CSV or a workbook.
    pub format: TableFormat,
    /// The workbook's sheet (the first when `None`).
    pub sheet: Option<String>,
    /// Rows above the header.
    pub skip_rows: usize,
    /// Encoding of a CSV file (ASCII-compatible).
    pub encoding: &'static encoding_rs::Encoding,
    /// CSV delimiter.
    pub delimiter: u8,
    /// (header in the file, accepted values): rows holding none of the values are skipped.
    pub filter: Vec<(String, Vec<String>)>,
    /// (canonical column, header in the file) replacing the layout's default headers.
    pub headers: Vec<(String, String)>,
}

impl TableSettings {
    /// UTF-8 CSV with the given delimiter and the layout's headers.
    pub fn csv(delimiter: u8) -> Self {
        Self {
            format: TableFormat::Csv,
            sheet: None,
            skip_rows: 0,
            encoding: encoding_rs::UTF_8,
            delimiter,
            filter: Vec::new(),
            headers: Vec::new(),
        }
    }
}

/// What a read did besides its rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Data rows kept (rejects not included).
    pub rows: u64,
    /// Data rows outside the filter (neither kept nor rejected).
    pub filtered_out: u64,
}

/// The bronze schema of a layout: its canonical columns (Utf8), then provenance.
pub fn table_schema(layout: &TableLayout) -> SchemaRef {
    let mut fields: Vec<Field> =
        layout.columns.iter().map(|column| Field::new(column.name, DataType::Utf8, true)).collect();
    fields.push(Field::new("source_file", DataType::Utf8, false));
    fields.push(Field::new("source_line", DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

/// Whether a header matches a configured name, `PREFIX*` meaning `PREFIX` + two digits.
fn header_matches(header: &str, configured: &str) -> bool {
    match configured.strip_suffix('*') {
        Some(prefix) => {
            header.strip_prefix(prefix).is_some_and(|rest| rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_digit()))
        }
        None => header == configured,
    }
}

/// A number as the text it stands for: integers without a decimal part (a code that Excel
/// stored as a number), others in their shortest exact form.
fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{}", value as i64) } else { format!("{value}") }
}

/// An Excel date serial (days since 1899-12-30, the fraction the time of day) as ISO text.
fn excel_date_text(serial: f64) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|day| day.and_hms_opt(0, 0, 0));
    let seconds = (serial * 86_400.0).round();
    match epoch.and_then(|epoch| epoch.checked_add_signed(chrono::TimeDelta::try_seconds(seconds as i64)?)) {
        Some(moment) if moment.time() == chrono::NaiveTime::MIN => moment.date().to_string(),
        Some(moment) => moment.format("%Y-%m-%dT%H:%M:%S").to_string(),
        None => number_text(serial),
    }
}

/// One cell as text (`None` when empty); `Err` for an error cell.
fn cell_text(cell: &Data) -> std::result::Result<Option<String>, String> {
    let text = match cell {
        Data::Empty => return Ok(None),
        Data::String(text) => text.clone(),
        Data::Float(value) => number_text(*value),
        Data::Int(value) => value.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(value) => excel_date_text(value.as_f64()),
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(error) => return Err(format!("error cell {error:?}")),
    };
    let trimmed = text.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// The columns of a file, matched once on its header row.
struct Header {
    /// Position of each layout column in a row (`None`: an optional column absent).
    positions: Vec<Option<usize>>,
    /// (position, accepted values) of each filter column.
    filter: Vec<(usize, Vec<String>)>,
    /// Fields in the header row.
    width: usize,
}

/// Where a row is, for messages: `line 3` or `sheet BMO, row 3`.
fn place(sheet: Option<&str>, row: u64) -> String {
    match sheet {
        Some(sheet) => format!("sheet {sheet}, row {row}"),
        None => format!("line {row}"),
    }
}

fn match_header(
    layout: &TableLayout,
    settings: &TableSettings,
    cells: &[String],
    path: &Path,
    at: &str,
) -> Result<Header> {
    let header: Vec<String> = cells
        .iter()
        .enumerate()
        .map(|(index, text)| if index == 0 { text.trim_start_matches('\u{feff}').to_owned() } else { text.clone() })
        .collect();
    let found = || header.join(", ");
    let mut positions = Vec::with_capacity(layout.columns.len());
    for column in layout.columns {
        let wanted = settings
            .headers
            .iter()
            .find(|(name, _)| name == column.name)
            .map_or(column.header, |(_, header)| header.as_str());
        match header.iter().position(|h| header_matches(h, wanted)) {
            Some(position) => positions.push(Some(position)),
            None if column.required => {
                let shown =
                    if wanted == column.name { wanted.to_owned() } else { format!("{wanted} (for {})", column.name) };
                return Err(Error::MissingColumn {
                    path: path.to_path_buf(),
                    place: at.to_owned(),
                    column: shown,
                    found: found(),
                });
            }
            None => positions.push(None),
        }
    }
    let mut filter = Vec::new();
    for (column, values) in &settings.filter {
        match header.iter().position(|h| h == column) {
            Some(position) => filter.push((position, values.iter().map(|value| value.trim().to_owned()).collect())),
            None => {
                return Err(Error::MissingColumn {
                    path: path.to_path_buf(),
                    place: at.to_owned(),
                    column: format!("{column} (the row filter's)"),
                    found: found(),
                });
            }
        }
    }
    Ok(Header { positions, filter, width: header.len() })
}

/// Builds the batches of one file, row by row.
struct Rows<'a> {
    layout: &'a TableLayout,
    display_path: &'a str,
    path: &'a Path,
    schema: SchemaRef,
    builders: Vec<StringBuilder>,
    file: StringBuilder,
    line: Int64Builder,
    pending: usize,
    batches: Vec<RecordBatch>,
    stats: TableStats,
}

impl<'a> Rows<'a> {
    fn new(layout: &'a TableLayout, path: &'a Path, display_path: &'a str) -> Self {
        Self {
            layout,
            display_path,
            path,
            schema: table_schema(layout),
            builders: layout.columns.iter().map(|_| StringBuilder::new()).collect(),
            file: StringBuilder::new(),
            line: Int64Builder::new(),
            pending: 0,
            batches: Vec::new(),
            stats: TableStats::default(),
        }
    }

    /// One data row: filtered, checked, then kept or rejected.
    fn push(
        &mut self,
        header: &Header,
        cells: &[Option<String>],
        row: u64,
        at: &str,
        raw: impl Fn() -> String,
        rejects: &mut RejectsBuilder,
    ) -> Result<()> {
        if cells.iter().all(Option::is_none) {
            return Ok(()); // blank line or row
        }
        let outside = header.filter.iter().any(|(position, values)| {
            let value = cells.get(*position).and_then(Option::as_deref).unwrap_or("");
            !values.iter().any(|accepted| accepted == value)
        });
        if outside {
            self.stats.filtered_out += 1;
            return Ok(());
        }
        if cells.len() != header.width {
            let detail = format!("{} fields where the header has {}", cells.len(), header.width);
            rejects.push(self.layout.input, self.display_path, at, "bad_row", &detail, Some(&raw()));
            return Ok(());
        }
        for (builder, position) in self.builders.iter_mut().zip(&header.positions) {
            builder.append_option(position.and_then(|p| cells.get(p)).and_then(Option::as_deref));
        }
        self.file.append_value(self.display_path);
        self.line.append_value(row as i64);
        self.pending += 1;
        self.stats.rows += 1;
        if self.pending == crate::BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let mut columns: Vec<ArrayRef> = self.builders.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
        columns.push(Arc::new(self.file.finish()));
        columns.push(Arc::new(self.line.finish()));
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|source| Error::Arrow { path: self.path.to_path_buf(), source })?;
        self.batches.push(batch);
        self.pending = 0;
        Ok(())
    }

    fn finish(mut self) -> Result<(Vec<RecordBatch>, TableStats)> {
        if self.pending > 0 || self.batches.is_empty() {
            self.flush()?;
        }
        Ok((self.batches, self.stats))
    }
}

/// Reads a whole tabular file into batches of `layout`'s columns; unusable rows go to
/// `rejects`.
pub fn read_table(
    layout: &TableLayout,
    settings: &TableSettings,
    path: &Path,
    display_path: &str,
    rejects: &mut RejectsBuilder,
) -> Result<(Vec<RecordBatch>, TableStats)> {
    match settings.format {
        TableFormat::Csv => read_csv(layout, settings, path, display_path, rejects),
        TableFormat::Xlsx | TableFormat::Xls => read_sheet(layout, settings, path, display_path, rejects),
    }
}

fn read_csv(
    layout: &TableLayout,
    settings: &TableSettings,
    path: &Path,
    display_path: &str,
    rejects: &mut RejectsBuilder,
) -> Result<(Vec<RecordBatch>, TableStats)> {
    let io_error = |source| Error::Io { path: path.to_path_buf(), source };
    let mut input = open_decompressed(path)?;
    let start = std::io::BufRead::fill_buf(&mut input).map_err(io_error)?;
    let bom = if settings.encoding == encoding_rs::UTF_8 && start.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    std::io::BufRead::consume(&mut input, bom);
    let (mut decoding, positions) = Decoding::new(input, settings.encoding, bom as u64);
    // Lines above the header are consumed as lines (a title, blank lines, notes), so that
    // the CSV parser sees the header first; line numbers and offsets count them.
    let mut skipped_bytes = 0u64;
    let mut line_text = String::new();
    for _ in 0..settings.skip_rows {
        line_text.clear();
        skipped_bytes += std::io::BufRead::read_line(&mut decoding, &mut line_text).map_err(io_error)? as u64;
    }
    let first_line = settings.skip_rows as u64;
    let mut csv =
        csv::ReaderBuilder::new().delimiter(settings.delimiter).flexible(true).has_headers(false).from_reader(decoding);
    let encoding = settings.encoding.name();
    let mut record = csv::StringRecord::new();
    let mut rows = Rows::new(layout, path, display_path);
    let mut header: Option<Header> = None;
    loop {
        let line = first_line + csv.position().line();
        let more = match csv.read_record(&mut record) {
            Ok(more) => more,
            Err(error) => {
                let line = error.position().map_or(line, |position| first_line + position.line());
                if header.is_none() || matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    return Err(Error::Csv { path: path.to_path_buf(), line, message: error.to_string() });
                }
                rejects.push(layout.input, display_path, &format!("line {line}"), "bad_row", &error.to_string(), None);
                continue;
            }
        };
        if !more {
            break;
        }
        let line = record.position().map_or(line, |position| first_line + position.line());
        let end = skipped_bytes + csv.position().byte();
        let bad = positions.borrow_mut().take_bad_before(end);
        if let Some(first) = bad.first() {
            let detail = format!("byte {} is not valid {encoding}, the input's encoding", first.source);
            if header.is_none() {
                return Err(Error::Csv { path: path.to_path_buf(), line, message: detail });
            }
            rejects.push(
                layout.input,
                display_path,
                &format!("line {line}"),
                "bad_encoding",
                &detail,
                Some(&record.iter().collect::<Vec<_>>().join(",")),
            );
            continue;
        }
        positions.borrow_mut().forget_before(end);
        let Some(columns) = &header else {
            let cells: Vec<String> = record.iter().map(|field| field.trim().to_owned()).collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            header = Some(match_header(layout, settings, &cells, path, &format!("line {line}"))?);
            continue;
        };
        let cells: Vec<Option<String>> =
            record.iter().map(|field| Some(field.trim()).filter(|text| !text.is_empty()).map(str::to_owned)).collect();
        let delimiter = char::from(settings.delimiter).to_string();
        rows.push(
            columns,
            &cells,
            line,
            &format!("line {line}"),
            || record.iter().collect::<Vec<_>>().join(&delimiter),
            rejects,
        )?;
    }
    if header.is_none() {
        let message = if settings.skip_rows > 0 {
            format!("no header line after the {} skipped", settings.skip_rows)
        } else {
            "the file is empty (no header line)".to_owned()
        };
        return Err(Error::Csv { path: path.to_path_buf(), line: 1, message });
    }
    rows.finish()
}

fn read_sheet(
    layout: &TableLayout,
    settings: &TableSettings,
    path: &Path,
    display_path: &str,
    rejects: &mut RejectsBuilder,
) -> Result<(Vec<RecordBatch>, TableStats)> {
    let workbook_error = |message: String| Error::Workbook { path: path.to_path_buf(), message };
    let open = || match settings.format {
        TableFormat::Xls => sheet_range(
            calamine::open_workbook::<calamine::Xls<_>, _>(path)
                .map_err(|error| workbook_error(format!("not a readable XLS workbook: {error}")))?,
            settings,
            path,
        ),
        _ => sheet_range(
            calamine::open_workbook::<calamine::Xlsx<_>, _>(path)
                .map_err(|error| workbook_error(format!("not a readable XLSX workbook: {error}")))?,
            settings,
            path,
        ),
    };
    // calamine indexes a workbook's tables with the file's own numbers (a shared string
    // past the end panics, found by the robustness campaign): a panic there is the file's
    // fault, reported as such.
    let (sheet, range) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(open)).map_err(|_| {
        workbook_error(
            "a malformed workbook: its parts refer to entries that do not exist (e.g. a shared string past the end)"
                .to_owned(),
        )
    })??;
    let first_row = range.start().map_or(0, |(row, _)| row) as u64;
    let mut rows = Rows::new(layout, path, display_path);
    let mut header: Option<Header> = None;
    for (index, cells) in range.rows().enumerate() {
        let row = first_row + index as u64 + 1;
        let at = place(Some(&sheet), row);
        if row <= settings.skip_rows as u64 {
            continue;
        }
        let texts: Vec<std::result::Result<Option<String>, String>> = cells.iter().map(cell_text).collect();
        let Some(columns) = &header else {
            let cells: Vec<String> = texts.into_iter().map(|text| text.ok().flatten().unwrap_or_default()).collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            header = Some(match_header(layout, settings, &cells, path, &at)?);
            continue;
        };
        // A row of a sheet is as wide as the sheet: its trailing empty cells are not fields.
        let mut values = Vec::with_capacity(texts.len());
        let mut problem = None;
        for (column, text) in texts.into_iter().enumerate() {
            match text {
                Ok(value) => values.push(value),
                Err(error) => {
                    problem.get_or_insert(format!("column {}: {error}", column + 1));
                    values.push(None);
                }
            }
        }
        values.resize(columns.width.max(values.len()), None);
        values.truncate(columns.width.max(values.iter().rposition(Option::is_some).map_or(0, |last| last + 1)));
        let raw = || values.iter().map(|value| value.clone().unwrap_or_default()).collect::<Vec<_>>().join(";");
        if let Some(problem) = problem {
            rejects.push(layout.input, display_path, &at, "bad_cell", &problem, Some(&raw()));
            continue;
        }
        rows.push(columns, &values, row, &at, raw, rejects)?;
    }
    if header.is_none() {
        return Err(Error::Workbook {
            path: path.to_path_buf(),
            message: format!("sheet {sheet}: no header row after the {} skipped", settings.skip_rows),
        });
    }
    rows.finish()
}

/// The configured sheet (or the first) of a workbook, with its name.
fn sheet_range<R: Reader<std::io::BufReader<std::fs::File>>>(
    mut workbook: R,
    settings: &TableSettings,
    path: &Path,
) -> Result<(String, calamine::Range<Data>)>
where
    R::Error: std::fmt::Display,
{
    let names = workbook.sheet_names();
    let sheet = match &settings.sheet {
        Some(sheet) if names.contains(sheet) => sheet.clone(),
        Some(sheet) => {
            return Err(Error::Workbook {
                path: path.to_path_buf(),
                message: format!("no sheet `{sheet}` (its sheets: {})", names.join(", ")),
            });
        }
        None => names.first().cloned().ok_or_else(|| Error::Workbook {
            path: path.to_path_buf(),
            message: "the workbook has no sheet".to_owned(),
        })?,
    };
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|error| Error::Workbook { path: path.to_path_buf(), message: format!("sheet {sheet}: {error}") })?;
    Ok((sheet, range))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layouts::Column;
    use arrow::array::{Array, AsArray};

    const LAYOUT: TableLayout = TableLayout {
        input: "x",
        columns: &[
            Column { name: "b", header: "b", required: true },
            Column { name: "a", header: "a", required: true },
            Column { name: "c", header: "c", required: false },
        ],
    };

    fn read(
        bytes: &[u8],
        name: &str,
        settings: &TableSettings,
    ) -> (Result<(Vec<RecordBatch>, TableStats)>, RecordBatch) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut rejects = RejectsBuilder::default();
        let result = read_table(&LAYOUT, settings, &path, name, &mut rejects);
        (result, rejects.finish())
    }

    fn column(batch: &RecordBatch, index: usize) -> Vec<Option<String>> {
        batch.column(index).as_string::<i32>().iter().map(|v| v.map(str::to_owned)).collect()
    }

    #[test]
    fn excel_dates_become_iso_text() {
        assert_eq!(excel_date_text(46_357.0), "2026-12-01");
        assert_eq!(excel_date_text(46_357.5), "2026-12-01T12:00:00");
    }

    #[test]
    fn columns_are_found_by_name_empty_fields_are_null_and_lines_are_kept() {
        let (result, rejects) = read(b"\xef\xbb\xbfa,b,z\n1,2,3\n4,,6\n", "t.csv", &TableSettings::csv(b','));
        let (batches, stats) = result.unwrap();
        assert_eq!(rejects.num_rows(), 0);
        assert_eq!(stats, TableStats { rows: 2, filtered_out: 0 });
        let batch = &batches[0];
        assert_eq!(column(batch, 0), [Some("2".to_owned()), None]);
        assert_eq!(column(batch, 1), [Some("1".to_owned()), Some("4".to_owned())]);
        assert_eq!(batch.column(2).null_count(), 2, "optional column absent from the header");
        let lines = batch.column(4).as_primitive::<arrow::datatypes::Int64Type>();
        assert_eq!((lines.value(0), lines.value(1)), (2, 3));
    }

    #[test]
    fn a_missing_required_column_names_the_file_the_line_and_the_column() {
        let (result, _) = read(b"rome,label\nA,B\n", "t.csv", &TableSettings::csv(b','));
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("t.csv, line 1") && message.contains("`b`") && message.contains("rome, label"),
            "{message}"
        );
    }

    #[test]
    fn short_rows_and_bad_bytes_are_rejects_with_their_exact_byte_and_the_rest_loads() {
        let (result, rejects) = read(b"a;b\n1;2\n3\n\xff;4\n5;6\n", "t.csv", &TableSettings::csv(b';'));
        assert_eq!(result.unwrap().0[0].num_rows(), 2);
        let reasons: Vec<&str> = rejects.column(3).as_string::<i32>().iter().flatten().collect();
        assert_eq!(reasons, ["bad_row", "bad_encoding"]);
        let locations: Vec<&str> = rejects.column(2).as_string::<i32>().iter().flatten().collect();
        assert_eq!(locations, ["line 3", "line 4"]);
        let detail = rejects.column(4).as_string::<i32>().value(1);
        assert!(detail.contains("byte 10 is not valid UTF-8"), "{detail}");
    }

    #[test]
    fn single_byte_encodings_skipped_rows_and_filters() {
        let mut settings = TableSettings::csv(b';');
        settings.encoding = encoding_rs::WINDOWS_1252;
        settings.skip_rows = 2;
        settings.filter = vec![("REG".to_owned(), vec!["32".to_owned()])];
        settings.headers = vec![("c".to_owned(), "Libellé".to_owned())];
        let text = b"Titre du tableau\n\nb;a;REG;Libell\xe9\n1;x;32;\xc9lectricit\xe9\n2;y;11;Autre\n3;z;32;Caf\xe9\n";
        let (result, rejects) = read(text, "t.csv", &settings);
        let (batches, stats) = result.unwrap();
        assert_eq!(rejects.num_rows(), 0);
        assert_eq!(stats, TableStats { rows: 2, filtered_out: 1 });
        assert_eq!(column(&batches[0], 2), [Some("Électricité".to_owned()), Some("Café".to_owned())]);
        let lines = batches[0].column(4).as_primitive::<arrow::datatypes::Int64Type>();
        assert_eq!((lines.value(0), lines.value(1)), (4, 6));
        // A filter on a column the file lacks is an error naming it.
        settings.filter = vec![("REGION".to_owned(), vec!["32".to_owned()])];
        let message = read(text, "t.csv", &settings).0.unwrap_err().to_string();
        assert!(message.contains("t.csv, line 3") && message.contains("REGION"), "{message}");
    }

    fn workbook(path: &Path) {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("Notes").unwrap();
        sheet.write_string(0, 0, "notes").unwrap();
        let sheet = book.add_worksheet().set_name("Data").unwrap();
        sheet.write_string(0, 0, "Tableau 1").unwrap();
        for (column, header) in ["a", "b", "REG"].iter().enumerate() {
            sheet.write_string(2, column as u16, *header).unwrap();
        }
        // Codes stored as numbers, as Excel does: 3201.0, 32.
        sheet.write_number(3, 0, 3201.0).unwrap();
        sheet.write_string(3, 1, "*").unwrap();
        sheet.write_number(3, 2, 32.0).unwrap();
        sheet.write_number(4, 0, 101.0).unwrap();
        sheet.write_number(4, 1, 2.5).unwrap();
        sheet.write_string(4, 2, "01").unwrap();
        sheet.write_string(5, 0, "0724").unwrap();
        sheet.write_number(5, 1, 12.0).unwrap();
        sheet.write_number(5, 2, 32.0).unwrap();
        book.save(path).unwrap();
    }

    #[test]
    fn a_sheet_is_read_by_name_with_numbers_as_their_text_and_rows_numbered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.xlsx");
        workbook(&path);
        let mut settings = TableSettings {
            format: TableFormat::Xlsx,
            sheet: Some("Data".to_owned()),
            skip_rows: 2,
            ..TableSettings::csv(b',')
        };
        let mut rejects = RejectsBuilder::default();
        let (batches, stats) = read_table(&LAYOUT, &settings, &path, "t.xlsx", &mut rejects).unwrap();
        assert_eq!(stats, TableStats { rows: 3, filtered_out: 0 });
        assert_eq!(column(&batches[0], 1), [Some("3201".to_owned()), Some("101".to_owned()), Some("0724".to_owned())]);
        assert_eq!(column(&batches[0], 0), [Some("*".to_owned()), Some("2.5".to_owned()), Some("12".to_owned())]);
        let rows = batches[0].column(4).as_primitive::<arrow::datatypes::Int64Type>();
        assert_eq!((rows.value(0), rows.value(2)), (4, 6), "sheet rows, 1-based, as Excel shows them");
        // A numeric REG cell matches the filter's text.
        settings.filter = vec![("REG".to_owned(), vec!["32".to_owned()])];
        let (_, stats) = read_table(&LAYOUT, &settings, &path, "t.xlsx", &mut rejects).unwrap();
        assert_eq!(stats, TableStats { rows: 2, filtered_out: 1 });
        // A wrong sheet name lists the sheets; a missing header names sheet and row.
        settings.sheet = Some("BMO".to_owned());
        let message = read_table(&LAYOUT, &settings, &path, "t.xlsx", &mut rejects).unwrap_err().to_string();
        assert!(
            message.contains("t.xlsx") && message.contains("no sheet `BMO`") && message.contains("Notes, Data"),
            "{message}"
        );
        settings.sheet = Some("Data".to_owned());
        settings.skip_rows = 0;
        let message = read_table(&LAYOUT, &settings, &path, "t.xlsx", &mut rejects).unwrap_err().to_string();
        assert!(message.contains("sheet Data, row 1") && message.contains("`b`"), "{message}");
        // A file that is not a workbook is an error naming it.
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let message = read_table(&LAYOUT, &settings, &path, "t.xlsx", &mut rejects).unwrap_err().to_string();
        assert!(message.contains("t.xlsx") && message.contains("not a readable XLSX workbook"), "{message}");
    }

    #[test]
    fn a_workbook_whose_cells_point_past_its_shared_strings_is_an_error_not_a_panic() {
        // Found by the robustness campaign (crates/run/tests/robustness.rs): one byte of a
        // BMO-layout workbook changed so that a cell names a shared string that is not there.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shared_string_past_the_end.xlsx");
        let settings = TableSettings { format: TableFormat::Xlsx, ..TableSettings::csv(b',') };
        let mut rejects = RejectsBuilder::default();
        let layout = crate::layouts::table_layout("bmo").unwrap();
        let message = read_table(layout, &settings, &path, "bmo.xlsx", &mut rejects).unwrap_err().to_string();
        assert!(message.contains("bmo.xlsx") || message.contains("shared_string_past_the_end.xlsx"), "{message}");
        assert!(message.contains("malformed workbook"), "{message}");
    }
}

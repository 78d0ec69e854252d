//! A CSV reader producing string columns named after the canonical column names, plus
//! `source_file` and `source_line`. Empty fields are NULL; masks such as `*` are kept for
//! staging to interpret. A row with the wrong number of fields or invalid UTF-8 is a
//! reject; a missing required column is an error naming the file.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};
use crate::files::open_decompressed;
use crate::rejects::RejectsBuilder;

/// How to read one CSV input.
pub struct CsvTable<'a> {
    /// Input name, for rejects and errors.
    pub input: &'a str,
    /// Field delimiter.
    pub delimiter: u8,
    /// (canonical name, header in the file, required).
    pub columns: Vec<(&'a str, String, bool)>,
}

impl<'a> CsvTable<'a> {
    /// A table whose headers are the canonical names.
    pub fn new(input: &'a str, delimiter: u8, required: &[&'a str], optional: &[&'a str]) -> Self {
        let mut columns: Vec<(&str, String, bool)> = required.iter().map(|c| (*c, (*c).to_owned(), true)).collect();
        columns.extend(optional.iter().map(|c| (*c, (*c).to_owned(), false)));
        Self { input, delimiter, columns }
    }

    /// The output schema: the canonical columns (Utf8), then provenance.
    pub fn schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self.columns.iter().map(|(name, _, _)| Field::new(*name, DataType::Utf8, true)).collect();
        fields.push(Field::new("source_file", DataType::Utf8, false));
        fields.push(Field::new("source_line", DataType::Int64, false));
        Arc::new(Schema::new(fields))
    }
}

/// Reads a whole CSV file into batches; unusable rows go to `rejects`.
pub fn read_csv(table: &CsvTable<'_>, path: &Path, display_path: &str, rejects: &mut RejectsBuilder) -> Result<Vec<RecordBatch>> {
    let reader = open_decompressed(path)?;
    let mut csv = csv::ReaderBuilder::new().delimiter(table.delimiter).flexible(true).has_headers(false).from_reader(reader);
    let mut records = csv.byte_records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(error)) => return Err(Error::Csv { path: path.to_path_buf(), line: 1, message: error.to_string() }),
        None => return Err(Error::Csv { path: path.to_path_buf(), line: 1, message: "the file is empty (no header line)".to_owned() }),
    };
    let header: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let text = String::from_utf8_lossy(field).trim().to_owned();
            if index == 0 { text.trim_start_matches('\u{feff}').to_owned() } else { text }
        })
        .collect();
    let mut positions = Vec::with_capacity(table.columns.len());
    for (canonical, wanted, required) in &table.columns {
        match header.iter().position(|h| h == wanted) {
            Some(position) => positions.push(Some(position)),
            None if *required => {
                return Err(Error::MissingColumn {
                    path: path.to_path_buf(),
                    column: format!("{wanted}{}", if wanted == canonical { String::new() } else { format!(" (for {canonical})") }),
                    found: header.join(", "),
                });
            }
            None => positions.push(None),
        }
    }
    let schema = table.schema();
    let mut batches = Vec::new();
    let mut builders: Vec<StringBuilder> = table.columns.iter().map(|_| StringBuilder::new()).collect();
    let mut file_builder = StringBuilder::new();
    let mut line_builder = Int64Builder::new();
    let mut rows = 0;
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                rejects.push(table.input, display_path, &format!("line {line}"), "bad_row", &error.to_string(), None);
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let raw = || record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect::<Vec<_>>().join(&char::from(table.delimiter).to_string());
        if record.len() == 1 && record.get(0).is_some_and(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // blank line
        }
        if record.len() != header.len() {
            rejects.push(
                table.input,
                display_path,
                &format!("line {line}"),
                "bad_row",
                &format!("{} fields where the header has {}", record.len(), header.len()),
                Some(&raw()),
            );
            continue;
        }
        let mut values = Vec::with_capacity(positions.len());
        let mut bad_encoding = false;
        for position in &positions {
            match position.and_then(|p| record.get(p)) {
                Some(bytes) => match std::str::from_utf8(bytes) {
                    Ok(text) => {
                        let text = text.trim();
                        values.push((!text.is_empty()).then_some(text));
                    }
                    Err(_) => {
                        bad_encoding = true;
                        break;
                    }
                },
                None => values.push(None),
            }
        }
        if bad_encoding {
            rejects.push(table.input, display_path, &format!("line {line}"), "bad_encoding", "a field is not valid UTF-8", Some(&raw()));
            continue;
        }
        for (builder, value) in builders.iter_mut().zip(values) {
            builder.append_option(value);
        }
        file_builder.append_value(display_path);
        line_builder.append_value(line as i64);
        rows += 1;
        if rows == crate::BATCH_ROWS {
            batches.push(finish(&schema, &mut builders, &mut file_builder, &mut line_builder, path)?);
            rows = 0;
        }
    }
    if rows > 0 || batches.is_empty() {
        batches.push(finish(&schema, &mut builders, &mut file_builder, &mut line_builder, path)?);
    }
    Ok(batches)
}

fn finish(schema: &SchemaRef, builders: &mut [StringBuilder], file: &mut StringBuilder, line: &mut Int64Builder, path: &Path) -> Result<RecordBatch> {
    let mut columns: Vec<ArrayRef> = builders.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
    columns.push(Arc::new(file.finish()));
    columns.push(Arc::new(line.finish()));
    RecordBatch::try_new(schema.clone(), columns).map_err(|source| Error::Arrow { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};

    fn read(text: &[u8], table: &CsvTable<'_>) -> (Result<Vec<RecordBatch>>, RejectsBuilder) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        let mut rejects = RejectsBuilder::default();
        (read_csv(table, &path, "t.csv", &mut rejects), rejects)
    }

    #[test]
    fn columns_are_found_by_name_empty_fields_are_null_and_lines_are_kept() {
        let table = CsvTable::new("x", b',', &["b", "a"], &["c"]);
        let (batches, rejects) = read(b"\xef\xbb\xbfa,b,z\n1,2,3\n4,,6\n", &table);
        let batch = &batches.unwrap()[0];
        assert!(rejects.is_empty());
        assert_eq!(batch.num_rows(), 2);
        let b = batch.column(0).as_string::<i32>();
        assert_eq!(b.value(0), "2");
        assert!(b.is_null(1));
        assert_eq!(batch.column(1).as_string::<i32>().value(1), "4");
        assert_eq!(batch.column(2).null_count(), 2, "optional column absent from the header");
        let lines = batch.column(4).as_primitive::<arrow::datatypes::Int64Type>();
        assert_eq!((lines.value(0), lines.value(1)), (2, 3));
    }

    #[test]
    fn a_missing_required_column_names_the_file_and_the_column() {
        let table = CsvTable::new("x", b',', &["code_rome"], &[]);
        let (result, _) = read(b"rome,label\nA,B\n", &table);
        let message = result.unwrap_err().to_string();
        assert!(message.contains("t.csv") && message.contains("code_rome") && message.contains("rome, label"), "{message}");
    }

    #[test]
    fn short_rows_and_bad_bytes_are_rejects_and_the_rest_loads() {
        let table = CsvTable::new("x", b';', &["a", "b"], &[]);
        let (batches, mut rejects) = read(b"a;b\n1;2\n3\n\xff;4\n5;6\n", &table);
        assert_eq!(batches.unwrap()[0].num_rows(), 2);
        let rejects = rejects.finish();
        let reasons: Vec<&str> = rejects.column(3).as_string::<i32>().iter().flatten().collect();
        assert_eq!(reasons, ["bad_row", "bad_encoding"]);
        let locations: Vec<&str> = rejects.column(2).as_string::<i32>().iter().flatten().collect();
        assert_eq!(locations, ["line 3", "line 4"]);
    }
}

//! Reviewed expected tables: `expected/<name>.csv` beside this file, a header and one line
//! per row as [`render`] prints them (NULL as `∅`, floats to at most six decimals, lists as
//! `[a, b]`). The hand computation stays in the test's comments; the file holds its result
//! and is reviewed in the diff. `SKILLGAP_UPDATE_EXPECTED=1` rewrites each file from the
//! actual table instead of failing — then read `git diff` before committing.

use std::path::PathBuf;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use skillgap_run::QuerySession;

/// A query's result as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, one text per column.
    pub rows: Vec<Vec<String>>,
}

/// Runs `sql` and renders its rows.
pub async fn render(session: &QuerySession, sql: &str) -> Rendered {
    let batches = session.query(sql).await.unwrap();
    let columns = batches
        .first()
        .map(|batch| batch.schema().fields().iter().map(|field| field.name().clone()).collect())
        .unwrap_or_default();
    let mut rows = Vec::new();
    for batch in &batches {
        rows.extend(
            (0..batch.num_rows()).map(|row| (0..batch.num_columns()).map(|column| cell(batch, column, row)).collect()),
        );
    }
    Rendered { columns, rows }
}

fn cell(batch: &RecordBatch, column: usize, row: usize) -> String {
    let array = batch.column(column);
    if array.is_null(row) {
        return "∅".to_owned();
    }
    if array.data_type() == &DataType::Float64 {
        let text = format!("{:.6}", array.as_primitive::<Float64Type>().value(row));
        return text.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default()).unwrap().value(row).to_string()
}

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/end_to_end/expected").join(format!("{name}.csv"))
}

/// Checks `actual` against the reviewed file `expected/<name>.csv` (or rewrites it in update
/// mode), naming the first row and column that differ.
#[track_caller]
pub fn check(name: &str, actual: &Rendered) {
    let path = path(name);
    if std::env::var_os("SKILLGAP_UPDATE_EXPECTED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut writer = csv::Writer::from_path(&path).unwrap();
        writer.write_record(&actual.columns).unwrap();
        for row in &actual.rows {
            writer.write_record(row).unwrap();
        }
        writer.flush().unwrap();
        return;
    }
    let mut reader = csv::Reader::from_path(&path)
        .unwrap_or_else(|error| panic!("{}: {error} (SKILLGAP_UPDATE_EXPECTED=1 writes it)", path.display()));
    let columns: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows: Vec<Vec<String>> =
        reader.records().map(|record| record.unwrap().iter().map(str::to_owned).collect()).collect();
    compare(name, &Rendered { columns, rows }, actual);
}

/// Panics at the first difference between `wanted` and `actual`, naming its row and column.
#[track_caller]
fn compare(name: &str, wanted: &Rendered, actual: &Rendered) {
    let Rendered { columns, rows } = wanted;
    assert_eq!(&actual.columns, columns, "{name}: columns");
    for (index, (got, wanted)) in actual.rows.iter().zip(rows).enumerate() {
        for ((column, got), wanted) in columns.iter().zip(got).zip(wanted) {
            assert_eq!(got, wanted, "{name}, row {} ({}), column {column}", index + 1, wanted_key(&rows[index]));
        }
    }
    assert_eq!(actual.rows.len(), rows.len(), "{name}: row count\n{:#?}", actual.rows);
}

/// The first cells of a row, which name it in a message.
fn wanted_key(row: &[String]) -> String {
    row.iter().take(2).cloned().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_names_its_row_and_column() {
        let text = |cells: &[&str]| cells.iter().map(|cell| (*cell).to_owned()).collect::<Vec<_>>();
        let good = Rendered { columns: text(&["code", "value"]), rows: vec![text(&["a", "1"]), text(&["b", "∅"])] };
        compare("table", &good, &good.clone());
        let mut bad = good.clone();
        bad.rows[1][1] = "2".to_owned();
        let message = std::panic::catch_unwind(|| compare("table", &good, &bad)).unwrap_err();
        let message = message.downcast_ref::<String>().unwrap();
        assert!(message.contains("table, row 2 (b, ∅), column value"), "{message}");
        let mut short = good.clone();
        short.rows.pop();
        assert!(std::panic::catch_unwind(|| compare("table", &good, &short)).is_err());
    }
}

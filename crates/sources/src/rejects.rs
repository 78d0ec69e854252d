//! Reject rows: an input row that cannot be used, with where it was and why.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// Longest raw value kept in a reject row (longer ones are cut, with a mark).
pub const MAX_RAW_VALUE: usize = 2000;

/// The schema shared by reader-level and staging rejects.
pub fn rejects_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("input", DataType::Utf8, false),
        Field::new("source_file", DataType::Utf8, false),
        Field::new("location", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("detail", DataType::Utf8, true),
        Field::new("raw_value", DataType::Utf8, true),
    ]))
}

/// Accumulates reject rows.
#[derive(Default)]
pub struct RejectsBuilder {
    input: StringBuilder,
    source_file: StringBuilder,
    location: StringBuilder,
    reason: StringBuilder,
    detail: StringBuilder,
    raw_value: StringBuilder,
    len: usize,
}

/// Cuts a raw value to [`MAX_RAW_VALUE`] bytes on a character boundary.
pub fn truncate_raw(raw: &str) -> String {
    if raw.len() <= MAX_RAW_VALUE {
        return raw.to_owned();
    }
    let mut cut = MAX_RAW_VALUE;
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… [{} bytes in all]", &raw[..cut], raw.len())
}

impl RejectsBuilder {
    /// Records one reject.
    pub fn push(
        &mut self,
        input: &str,
        source_file: &str,
        location: &str,
        reason: &str,
        detail: &str,
        raw_value: Option<&str>,
    ) {
        self.input.append_value(input);
        self.source_file.append_value(source_file);
        self.location.append_value(location);
        self.reason.append_value(reason);
        self.detail.append_value(detail);
        self.raw_value.append_option(raw_value.map(truncate_raw));
        self.len += 1;
    }

    /// Appends the rows of a batch made by [`Self::finish`] (another reader's rejects).
    pub fn append(&mut self, batch: &RecordBatch) {
        use arrow::array::{Array, AsArray};
        if batch.num_columns() < 6 {
            return;
        }
        let column = |index: usize| batch.column(index).as_string_opt::<i32>().cloned();
        let (Some(input), Some(file), Some(location), Some(reason), Some(detail), Some(raw)) =
            (column(0), column(1), column(2), column(3), column(4), column(5))
        else {
            return;
        };
        for row in 0..batch.num_rows() {
            self.push(
                input.value(row),
                file.value(row),
                location.value(row),
                reason.value(row),
                detail.value(row),
                (!raw.is_null(row)).then(|| raw.value(row)),
            );
        }
    }

    /// Rejects recorded so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no reject was recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The rejects as one batch (empty when there are none).
    pub fn finish(&mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.input.finish()),
            Arc::new(self.source_file.finish()),
            Arc::new(self.location.finish()),
            Arc::new(self.reason.finish()),
            Arc::new(self.detail.finish()),
            Arc::new(self.raw_value.finish()),
        ];
        self.len = 0;
        // The columns match the schema by construction.
        RecordBatch::try_new(rejects_schema(), columns).unwrap_or_else(|_| RecordBatch::new_empty(rejects_schema()))
    }
}

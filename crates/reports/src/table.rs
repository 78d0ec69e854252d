//! A published table read back from its Parquet files, with typed access by column name.

use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Error, Result};

/// All rows of one table (a region's tables are small).
#[derive(Debug, Default)]
pub struct Table {
    batches: Vec<RecordBatch>,
}

/// One row.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    batch: &'a RecordBatch,
    index: usize,
}

impl Table {
    /// Reads every `*.parquet` of `dir` (an absent directory is an empty table).
    pub fn read(dir: &Path) -> Result<Self> {
        let error = |message: String| Error::Table { path: dir.to_path_buf(), message };
        let Ok(entries) = std::fs::read_dir(dir) else { return Ok(Self::default()) };
        let mut files: Vec<_> = entries
            .filter_map(std::result::Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect();
        files.sort();
        let mut batches = Vec::new();
        for file in files {
            let handle = std::fs::File::open(&file).map_err(|e| error(e.to_string()))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(handle)
                .and_then(|b| b.build())
                .map_err(|e| error(e.to_string()))?;
            for batch in reader {
                batches.push(batch.map_err(|e| error(e.to_string()))?);
            }
        }
        Ok(Self { batches })
    }

    /// Every row, in file order.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.batches.iter().flat_map(|batch| (0..batch.num_rows()).map(move |index| Row { batch, index }))
    }
}

impl Row<'_> {
    fn column(&self, name: &str) -> Option<&dyn Array> {
        self.batch.column_by_name(name).map(|c| c.as_ref()).filter(|c| !c.is_null(self.index))
    }

    /// A text value.
    pub fn text(&self, name: &str) -> Option<String> {
        self.column(name).and_then(|c| c.as_string_opt::<i32>()).map(|c| c.value(self.index).to_owned())
    }

    /// A number (integer or float columns).
    pub fn number(&self, name: &str) -> Option<f64> {
        let column = self.column(name)?;
        match column.data_type() {
            DataType::Int64 => Some(column.as_primitive::<Int64Type>().value(self.index) as f64),
            DataType::Int32 => Some(f64::from(column.as_primitive::<Int32Type>().value(self.index))),
            DataType::Float64 => Some(column.as_primitive::<Float64Type>().value(self.index)),
            _ => None,
        }
    }

    /// A boolean.
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.column(name).and_then(|c| c.as_boolean_opt()).map(|c| c.value(self.index))
    }

    /// A date (`date32`) as `JJ/MM/AAAA`.
    pub fn date(&self, name: &str) -> Option<chrono::NaiveDate> {
        let column = self.column(name)?;
        let days = column.as_primitive_opt::<arrow::datatypes::Date32Type>()?.value(self.index);
        chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(i64::from(days))))
    }

    /// A list of texts.
    pub fn texts(&self, name: &str) -> Vec<String> {
        let Some(list) = self.column(name).and_then(|c| c.as_list_opt::<i32>()) else { return Vec::new() };
        let values = list.value(self.index);
        values.as_string_opt::<i32>().map(|s| s.iter().flatten().map(str::to_owned).collect()).unwrap_or_default()
    }

    /// Whether `secret` lists `field` (public tables): suppressed, for whatever reason.
    pub fn secret(&self, field: &str) -> bool {
        self.text("secret").is_some_and(|listed| listed.split(',').any(|entry| entry.trim() == field))
    }
}

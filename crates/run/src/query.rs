//! Read-only SQL over a published run: every `<layer>/<table>` directory of the run is
//! registered as `layer.table` (and as plain `table` when the name is unique), and only
//! queries are accepted — no DDL, no DML, no `SET`, no `COPY`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use skillgap_sinks::Store;

use crate::error::{Error, Result};

/// How to print query results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header.
    Csv,
    /// One JSON object per line.
    Json,
}

/// A session over one published run.
pub struct QuerySession {
    context: SessionContext,
    /// The run queried.
    pub run_dir: PathBuf,
    /// Registered tables (`layer.table`).
    pub tables: Vec<String>,
}

const LAYERS: [&str; 4] = ["gold", "public", "silver", "bronze"];

impl QuerySession {
    /// Opens the current run of `output_dir` (or `run`, when given).
    pub async fn open(output_dir: &Path, run: Option<&str>) -> Result<Self> {
        let store = Store::new(output_dir);
        let run_dir = match run {
            Some(run) => store.run_dir(run)?,
            None => store.current_dir()?,
        };
        let context = skillgap_models::marts_context();
        let mut tables = Vec::new();
        let mut plain: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for layer in LAYERS {
            let directory = run_dir.join(layer);
            let Ok(entries) = std::fs::read_dir(&directory) else { continue };
            let mut names: Vec<String> =
                entries.filter_map(std::result::Result::ok).filter(|e| e.path().is_dir()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            for name in names {
                let qualified = format!("{layer}.{name}");
                let path = directory.join(&name);
                context.register_parquet(qualified.as_str(), path.display().to_string().as_str(), ParquetReadOptions::default()).await.map_err(Error::Query)?;
                plain.entry(name).or_default().push(qualified.clone());
                tables.push(qualified);
            }
        }
        // A plain name is the table of the first layer that has it: gold, public, silver, bronze.
        for (name, qualified) in plain {
            if let Some(first) = qualified.first() {
                let path = run_dir.join(first.replacen('.', "/", 1));
                context.register_parquet(name.as_str(), path.display().to_string().as_str(), ParquetReadOptions::default()).await.map_err(Error::Query)?;
            }
        }
        Ok(Self { context, run_dir, tables })
    }

    /// Runs one read-only statement.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let options = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
        let frame = self.context.sql_with_options(sql, options).await.map_err(Error::Query)?;
        frame.collect().await.map_err(Error::Query)
    }
}

/// Formats query results.
pub fn format_batches(batches: &[RecordBatch], format: OutputFormat) -> Result<String> {
    let arrow_error = |error: arrow::error::ArrowError| Error::Query(error.into());
    match format {
        OutputFormat::Table => Ok(arrow::util::pretty::pretty_format_batches(batches).map_err(arrow_error)?.to_string()),
        OutputFormat::Csv => {
            let mut buffer = Vec::new();
            {
                let mut writer = arrow::csv::WriterBuilder::new().with_header(true).build(&mut buffer);
                for batch in batches {
                    writer.write(batch).map_err(arrow_error)?;
                }
            }
            Ok(String::from_utf8_lossy(&buffer).into_owned())
        }
        OutputFormat::Json => {
            let mut buffer = Vec::new();
            {
                let mut writer = arrow::json::LineDelimitedWriter::new(&mut buffer);
                let references: Vec<&RecordBatch> = batches.iter().collect();
                writer.write_batches(&references).map_err(arrow_error)?;
                writer.finish().map_err(arrow_error)?;
            }
            Ok(String::from_utf8_lossy(&buffer).into_owned())
        }
    }
}

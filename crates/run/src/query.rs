//! Read-only SQL over a published run: every `<layer>/<table>` directory of the run is
//! registered as `layer.table` (and as plain `table` when the name is unique), and only
//! queries are accepted — no DDL, no DML, no `SET`, no `COPY`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use skillgap_sinks::Store;

use crate::error::{Error, Result};
use crate::output::PublishTarget;

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
    /// The run queried (its directory or URL).
    pub location: String,
    /// The run's directory, when it is local.
    pub run_dir: Option<PathBuf>,
    /// Registered tables (`layer.table`).
    pub tables: Vec<String>,
}

const LAYERS: [&str; 4] = ["gold", "public", "silver", "bronze"];

fn local_folders(directory: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(directory) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(std::result::Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

impl QuerySession {
    /// Opens the current run of a local `output_dir` (or `run`, when given).
    pub async fn open(output_dir: &Path, run: Option<&str>) -> Result<Self> {
        Self::open_output(&PublishTarget::Local(Store::new(output_dir)), run).await
    }

    /// Opens the current run (or `run`) of an output, local or on object storage.
    pub async fn open_output(output: &PublishTarget, run: Option<&str>) -> Result<Self> {
        let run = output.resolve_run(run).await?;
        let context = skillgap_models::marts_context(std::sync::Arc::default());
        let (location, run_dir) = match output {
            PublishTarget::Local(store) => {
                let directory = store.run_dir(&run)?;
                (format!("{}/", directory.display()), Some(directory))
            }
            PublishTarget::Remote { remote, .. } => {
                let url = ObjectStoreUrl::parse(remote.bucket_url()).map_err(Error::Query)?;
                context.register_object_store(url.as_ref(), remote.object_store());
                (remote.run_url(&run), None)
            }
        };
        let mut tables = Vec::new();
        let mut plain: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for layer in LAYERS {
            let names = match (output, &run_dir) {
                (PublishTarget::Remote { remote, .. }, _) => remote.folders(&run, layer).await?,
                (PublishTarget::Local(_), Some(directory)) => local_folders(&directory.join(layer)),
                (PublishTarget::Local(_), None) => Vec::new(),
            };
            for name in names {
                let qualified = format!("{layer}.{name}");
                plain.entry(name).or_default().push(qualified.clone());
                tables.push(qualified);
            }
        }
        // A plain name is the table of the first layer that has it: gold, public, silver, bronze.
        let registrations = tables.iter().map(|qualified| (qualified.clone(), qualified.clone())).chain(
            plain.into_iter().filter_map(|(name, qualified)| qualified.first().map(|first| (name, first.clone()))),
        );
        // Registering reads each table's Parquet footers: concurrently, since on object
        // storage each is a round trip.
        let context = &context;
        let location = &location;
        futures::future::try_join_all(registrations.map(|(name, qualified)| async move {
            let table_location = format!("{location}{}/", qualified.replacen('.', "/", 1));
            context
                .register_parquet(name.as_str(), table_location.as_str(), ParquetReadOptions::default())
                .await
                .map_err(Error::Query)
        }))
        .await?;
        let (context, location) = (context.clone(), location.clone());
        Ok(Self { context, location, run_dir, tables })
    }

    /// The session's context, every table of the run registered (read-only use only).
    pub(crate) fn context(&self) -> &SessionContext {
        &self.context
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
        OutputFormat::Table => {
            Ok(arrow::util::pretty::pretty_format_batches(batches).map_err(arrow_error)?.to_string())
        }
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

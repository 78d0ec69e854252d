//! Session contexts: parallel for staging, single-partition (hence bit-for-bit
//! deterministic floating-point sums) for marts, both with text kept as `Utf8` so that
//! outputs read the same in DuckDB, pyarrow and Polars. A context whose plans run in other
//! processes keeps the tables registered from memory as shared Parquet files instead.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::{MemorySchemaProvider, TableProvider};
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::session_state::SessionState;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::{Result, in_model};
use crate::functions;

/// Schemas every context has: `bronze`, `staging` (referentials), `silver`,
/// `intermediate` (views shared by several marts, never written), `gold`, and `previous`
/// (tables of the run this one follows, e.g. the semester snapshots it carries forward),
/// `public` (the export under statistical secrecy).
pub const SCHEMAS: [&str; 7] = ["bronze", "staging", "silver", "intermediate", "gold", "previous", "public"];

/// The runtimes of a run's two contexts (staging, marts), each with a memory pool of
/// `memory_limit_mib` — they never work at the same time, the marts starting once silver
/// is written. Staging's pool is shared fairly among its operators (every partition of a
/// query runs the same ones in parallel); the marts' single-partition plans take it first
/// come, first served (a fair split among every operator of a mart made them spill for
/// nothing). Sorts, aggregations and joins spill to temporary files beyond it.
pub fn bounded_runtimes(memory_limit_mib: usize) -> Result<(Arc<RuntimeEnv>, Arc<RuntimeEnv>)> {
    let bytes = memory_limit_mib.max(1) << 20;
    let staging = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(FairSpillPool::new(bytes)))
        .build_arc()
        .map_err(in_model("runtime"))?;
    let marts = RuntimeEnvBuilder::new().with_memory_limit(bytes, 1.0).build_arc().map_err(in_model("runtime"))?;
    Ok((staging, marts))
}

fn state(target_partitions: usize, runtime: Arc<RuntimeEnv>) -> SessionState {
    let config = SessionConfig::new()
        .with_target_partitions(target_partitions)
        .with_information_schema(true)
        // DataFusion's default schema is named `public`, which is a layer here: plain names
        // live in `main` instead (as in DuckDB).
        .with_default_catalog_and_schema("datafusion", "main")
        .set_bool("datafusion.sql_parser.map_string_types_to_utf8view", false)
        .set_bool("datafusion.execution.parquet.schema_force_view_types", false)
        // A hash join whose build side is empty in some partitions never completes with
        // dynamic filters on (apache/datafusion#21625, fixed after 55): seen here as
        // silver.sessions hanging on two catalogue files of one session each.
        .set_bool("datafusion.optimizer.enable_dynamic_filter_pushdown", false);
    SessionStateBuilder::new().with_config(config).with_runtime_env(runtime).with_default_features().build()
}

/// The session state of bronze → silver, using every core, on `runtime` (see
/// [`bounded_runtimes`]); a context made from it is ready once [`equip`] has run.
pub fn staging_state(runtime: Arc<RuntimeEnv>) -> SessionState {
    state(std::thread::available_parallelism().map_or(2, usize::from), runtime)
}

/// The session state of silver → gold on `runtime`: one partition, so that sums of
/// floating-point values always add in the same order and two runs give identical tables.
pub fn marts_state(runtime: Arc<RuntimeEnv>) -> SessionState {
    state(1, runtime)
}

/// Gives a context the layers' schemas ([`SCHEMAS`]), skillgap's functions and a geocoder
/// that places nothing (until [`crate::register_geocoder`] gives it the grid).
pub fn equip(context: &SessionContext) {
    if let Some(catalog) = context.catalog("datafusion") {
        for schema in SCHEMAS {
            let _ = catalog.register_schema(schema, Arc::new(MemorySchemaProvider::new()));
        }
    }
    functions::register(context);
    crate::geocoding::register_geocoder(context, Arc::default());
}

/// A local context for silver → gold (see [`marts_state`]).
pub fn marts_context(runtime: Arc<RuntimeEnv>) -> SessionContext {
    let context = SessionContext::new_with_state(marts_state(runtime));
    equip(&context);
    context
}

/// Where a context whose plans run in other processes keeps the tables
/// [`register_batches`] is given: one Parquet file per table under `dir`, a directory
/// every process reads at the same path (in-memory tables cannot travel in a plan).
#[derive(Debug, Clone)]
pub struct SharedTables {
    /// An absolute directory, shared by the driver and every executor.
    pub dir: PathBuf,
}

impl SharedTables {
    /// Writes `batches` to `<dir>/<name>/part-0.parquet` (replacing an earlier table of that
    /// name) and returns the table reading it.
    fn write(
        &self,
        name: &str,
        schema: SchemaRef,
        batches: &[RecordBatch],
    ) -> std::result::Result<Arc<dyn TableProvider>, DataFusionError> {
        let dir = self.dir.join(name);
        fresh_directory(&dir)?;
        let mut writer =
            ArrowWriter::try_new(std::fs::File::create(dir.join("part-0.parquet"))?, schema.clone(), None)?;
        for batch in batches {
            writer.write(batch)?;
        }
        writer.close()?;
        parquet_directory(&dir, schema)
    }
}

/// Makes `dir` an empty directory (removing an earlier table written there).
fn fresh_directory(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)
}

/// The table reading the Parquet files of `dir`, of `schema`.
fn parquet_directory(dir: &Path, schema: SchemaRef) -> std::result::Result<Arc<dyn TableProvider>, DataFusionError> {
    let url = ListingTableUrl::parse(format!("{}/", dir.display()))?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    Ok(Arc::new(ListingTable::try_new(ListingTableConfig::new(url).with_listing_options(options).with_schema(schema))?))
}

/// Makes `context` keep the tables it is given from memory in `shared` (see
/// [`SharedTables`]).
pub fn share_tables(context: &SessionContext, shared: SharedTables) {
    context.state_ref().write().config_mut().set_extension(Arc::new(shared));
}

/// Registers in-memory batches as `name` (for example `staging.rome`): a memory table, or
/// a shared Parquet file when the context's plans run elsewhere (see [`share_tables`]).
pub fn register_batches(
    context: &SessionContext,
    name: &str,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> Result<()> {
    let shared = context.state_ref().read().config().get_extension::<SharedTables>();
    let table: Arc<dyn TableProvider> = match shared {
        None => Arc::new(MemTable::try_new(schema, vec![batches]).map_err(in_model(name))?),
        Some(shared) => shared.write(name, schema, &batches).map_err(in_model(name))?,
    };
    let _ = context.deregister_table(name).map_err(in_model(name))?;
    context.register_table(name, table).map_err(in_model(name))?;
    Ok(())
}

/// Registers the result of `frame` as `name`, written batch by batch to
/// `<dir>/<name>/part-0.parquet` and read back from there: a table several models read,
/// never held whole in memory. When the context's plans run elsewhere, it is collected and
/// shared as [`register_batches`] does.
pub async fn register_on_disk(context: &SessionContext, name: &str, frame: DataFrame, dir: &Path) -> Result<()> {
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    if context.state_ref().read().config().get_extension::<SharedTables>().is_some() {
        let batches = frame.collect().await.map_err(in_model(name))?;
        return register_batches(context, name, schema, batches);
    }
    let table_dir = dir.join(name);
    fresh_directory(&table_dir).map_err(|error| in_model(name)(DataFusionError::IoError(error)))?;
    let file = table_dir.join("part-0.parquet");
    let options = DataFrameWriteOptions::new().with_single_file_output(true);
    frame.write_parquet(&file.display().to_string(), options, None).await.map_err(in_model(name))?;
    let table = parquet_directory(&table_dir, schema).map_err(in_model(name))?;
    let _ = context.deregister_table(name).map_err(in_model(name))?;
    context.register_table(name, table).map_err(in_model(name))?;
    Ok(())
}

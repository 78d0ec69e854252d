//! Session contexts: parallel for staging, single-partition (hence bit-for-bit
//! deterministic floating-point sums) for marts, both with text kept as `Utf8` so that
//! outputs read the same in DuckDB, pyarrow and Polars.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::MemorySchemaProvider;
use datafusion::datasource::MemTable;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
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
    let bytes = memory_limit_mib.max(64) << 20;
    let staging = RuntimeEnvBuilder::new().with_memory_pool(Arc::new(FairSpillPool::new(bytes))).build_arc().map_err(in_model("runtime"))?;
    let marts = RuntimeEnvBuilder::new().with_memory_limit(bytes, 1.0).build_arc().map_err(in_model("runtime"))?;
    Ok((staging, marts))
}

fn context(target_partitions: usize, runtime: Arc<RuntimeEnv>) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(target_partitions)
        .with_information_schema(true)
        // DataFusion's default schema is named `public`, which is a layer here: plain names
        // live in `main` instead (as in DuckDB).
        .with_default_catalog_and_schema("datafusion", "main")
        .set_bool("datafusion.sql_parser.map_string_types_to_utf8view", false)
        .set_bool("datafusion.execution.parquet.schema_force_view_types", false);
    let context = SessionContext::new_with_config_rt(config, runtime);
    if let Some(catalog) = context.catalog("datafusion") {
        for schema in SCHEMAS {
            let _ = catalog.register_schema(schema, Arc::new(MemorySchemaProvider::new()));
        }
    }
    functions::register(&context);
    crate::geocoding::register_geocoder(&context, Arc::default());
    context
}

/// A context for bronze → silver, using every core, on `runtime` (see [`bounded_runtimes`]).
pub fn staging_context(runtime: Arc<RuntimeEnv>) -> SessionContext {
    context(std::thread::available_parallelism().map_or(2, usize::from), runtime)
}

/// A context for silver → gold on `runtime`: one partition, so that sums of
/// floating-point values always add in the same order and two runs give identical tables.
pub fn marts_context(runtime: Arc<RuntimeEnv>) -> SessionContext {
    context(1, runtime)
}

/// Registers in-memory batches as `name` (for example `staging.rome`).
pub fn register_batches(context: &SessionContext, name: &str, schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<()> {
    let table = MemTable::try_new(schema, vec![batches]).map_err(in_model(name))?;
    let _ = context.deregister_table(name).map_err(in_model(name))?;
    context.register_table(name, Arc::new(table)).map_err(in_model(name))?;
    Ok(())
}

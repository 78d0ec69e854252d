//! The engine a run's staging and mart plans run on: DataFusion in this process, or Apache
//! Ballista (build feature `ballista`) — a cluster reached at its scheduler, or one started
//! in this process. The plans are the same; only where they run changes.

use std::path::Path;

use datafusion::execution::session_state::SessionState;
use datafusion::prelude::SessionContext;
use skillgap_config::Engine;
use skillgap_models::{SharedTables, equip, share_tables};

use crate::error::{Error, Result};

/// The directory of a run where a distributed run keeps the tables the driver holds in
/// memory (referentials, rejects, the marts' intermediate tables), for the executors to
/// read; removed once the run's tables are built.
pub(crate) const SHARED_TABLES_DIR: &str = "engine_tables";

/// The staging and marts contexts of a run in `run_dir` (absolute), each with a memory pool
/// of `memory_limit_mib` for what runs in this process.
pub(crate) async fn contexts(
    engine: &Engine,
    run_dir: &Path,
    memory_limit_mib: usize,
) -> Result<(SessionContext, SessionContext)> {
    let (staging_runtime, marts_runtime) = skillgap_models::bounded_runtimes(memory_limit_mib)?;
    let staging = context(engine, skillgap_models::staging_state(staging_runtime)).await?;
    let marts = context(engine, skillgap_models::marts_state(marts_runtime)).await?;
    for context in [&staging, &marts] {
        equip(context);
        if *engine != Engine::Local {
            share_tables(context, SharedTables { dir: run_dir.join(SHARED_TABLES_DIR) });
        }
    }
    Ok((staging, marts))
}

#[cfg(feature = "ballista")]
async fn context(engine: &Engine, state: SessionState) -> Result<SessionContext> {
    let unavailable =
        |source: skillgap_distributed::Error| Error::Engine { engine: engine.to_string(), message: source.to_string() };
    match engine {
        Engine::Local => Ok(SessionContext::new_with_state(state)),
        Engine::Standalone => skillgap_distributed::standalone_context(state).await.map_err(unavailable),
        Engine::Ballista(url) => skillgap_distributed::remote_context(url, state).await.map_err(unavailable),
    }
}

#[cfg(not(feature = "ballista"))]
async fn context(engine: &Engine, state: SessionState) -> Result<SessionContext> {
    match engine {
        Engine::Local => Ok(SessionContext::new_with_state(state)),
        other => Err(Error::EngineNotBuilt(other.to_string())),
    }
}

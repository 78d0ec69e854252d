//! The executor process: Ballista's, with skillgap's codecs, registered with a scheduler.

use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use datafusion::execution::SessionStateBuilder;

use crate::codec::{SkillgapLogicalCodec, SkillgapPhysicalCodec};
use crate::error::{Error, Result};
use crate::stage_runner::StageRunner;

/// How an executor joins the cluster.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's port.
    pub scheduler_port: u16,
    /// Address to bind (`0.0.0.0` to serve other machines).
    pub bind_host: String,
    /// Host name the other executors and the client reach this one by (default: the bind
    /// address).
    pub external_host: Option<String>,
    /// Port of the Arrow Flight service that serves shuffle data and results.
    pub flight_port: u16,
    /// Port of the gRPC service the scheduler talks to.
    pub grpc_port: u16,
    /// Tasks run at the same time (0: one per core).
    pub concurrent_tasks: usize,
    /// Where shuffle files are written (default: a temporary directory).
    pub work_dir: Option<PathBuf>,
    /// Memory pool of the executor's tasks in bytes, shared among them (default: Ballista's
    /// share of the machine's memory).
    pub memory_pool_bytes: Option<u64>,
}

/// Runs an executor until the process is stopped or the scheduler asks it to stop.
pub async fn serve_executor(options: ExecutorOptions) -> Result<()> {
    let config = ExecutorProcessConfig {
        scheduler_host: options.scheduler_host,
        scheduler_port: options.scheduler_port,
        bind_host: options.bind_host,
        external_host: options.external_host,
        port: options.flight_port,
        grpc_port: options.grpc_port,
        vcores: options.concurrent_tasks,
        work_dir: options.work_dir.map(|dir| dir.display().to_string()),
        memory_pool_size: options.memory_pool_bytes,
        // Wait for a scheduler that is still starting instead of failing at once.
        scheduler_connect_timeout_seconds: 30,
        print_thread_info: false,
        // Every function of DataFusion's default session (Ballista's own list lacks the
        // nested ones, such as array_length); skillgap's come with the plans (the codecs).
        override_function_registry: Some(Arc::new(BallistaFunctionRegistry::from(
            &SessionStateBuilder::new().with_default_features().build(),
        ))),
        override_execution_engine: Some(Arc::new(StageRunner::default())),
        override_logical_codec: Some(Arc::new(SkillgapLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(SkillgapPhysicalCodec::default())),
        ..ExecutorProcessConfig::default()
    };
    tracing::info!(flight_port = config.port, grpc_port = config.grpc_port, scheduler = %format!("{}:{}", config.scheduler_host, config.scheduler_port), "Ballista executor starting");
    start_executor_process(Arc::new(config)).await.map_err(|source| Error::Process { role: "executor", source })
}

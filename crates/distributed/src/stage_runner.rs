//! The executors' stage runner: Ballista's, reporting no operator metrics. Ballista 55
//! refuses the status of a task whose metric sets differ in number from the first task's
//! of the same stage — which happens whenever the tasks of a stage run different branches
//! of a union — and the job then waits forever. Without metrics the scheduler takes every
//! status (its per-operator metrics display is all that is lost).

use std::fmt;
use std::sync::Arc;

use ballista_core::JobId;
use ballista_core::serde::protobuf::{RuntimeStatsReport, ShuffleWritePartition, TaskColumnStats, WindowStateReport};
use ballista_executor::execution_engine::{DefaultExecutionEngine, ExecutionEngine, QueryStageExecutor};
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::prelude::SessionConfig;

/// Ballista's execution engine, its stages wrapped in [`WithoutMetrics`] (without
/// Ballista's pool of shuffle clients, which the crate keeps private: each shuffle fetch
/// opens its own connection).
#[derive(Default)]
pub(crate) struct StageRunner {
    inner: DefaultExecutionEngine,
}

impl ExecutionEngine for StageRunner {
    fn create_query_stage_exec(
        &self,
        job_id: JobId,
        stage_id: usize,
        task_id: usize,
        global_output_partition_ids: Vec<usize>,
        plan: Arc<dyn ExecutionPlan>,
        work_dir: &str,
        config: &SessionConfig,
    ) -> Result<Arc<dyn QueryStageExecutor>> {
        let inner = self.inner.create_query_stage_exec(
            job_id,
            stage_id,
            task_id,
            global_output_partition_ids,
            plan,
            work_dir,
            config,
        )?;
        Ok(Arc::new(WithoutMetrics { inner }))
    }
}

/// A stage that reports no operator metrics.
#[derive(Debug)]
struct WithoutMetrics {
    inner: Arc<dyn QueryStageExecutor>,
}

impl fmt::Display for WithoutMetrics {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, formatter)
    }
}

#[async_trait::async_trait]
impl QueryStageExecutor for WithoutMetrics {
    async fn execute_query_stage(
        &self,
        task_id: usize,
        context: Arc<TaskContext>,
    ) -> Result<Vec<ShuffleWritePartition>> {
        self.inner.execute_query_stage(task_id, context).await
    }
    fn collect_plan_metrics(&self) -> Vec<MetricsSet> {
        Vec::new()
    }
    fn collect_runtime_stats_reports(&self) -> Vec<RuntimeStatsReport> {
        self.inner.collect_runtime_stats_reports()
    }
    fn collect_window_state_reports(&self) -> Result<Vec<WindowStateReport>> {
        self.inner.collect_window_state_reports()
    }
    fn collect_column_stats(&self) -> Vec<TaskColumnStats> {
        self.inner.collect_column_stats()
    }
}

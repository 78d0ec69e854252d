//! The scheduler process: Ballista's, with skillgap's codecs and its cluster state in
//! memory (one scheduler; a restarted scheduler forgets running jobs, and the runs
//! submitted to it fail and leave the published outputs as they were).

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;

use crate::codec::{SkillgapLogicalCodec, SkillgapPhysicalCodec};
use crate::error::{Error, Result};

/// Where the scheduler listens.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Address to bind (`0.0.0.0:50050` to serve other machines).
    pub bind: SocketAddr,
    /// Host name the executors and clients reach this scheduler by.
    pub external_host: String,
}

/// Runs a scheduler until the process is stopped.
pub async fn serve_scheduler(options: SchedulerOptions) -> Result<()> {
    let process_error = |source| Error::Process { role: "scheduler", source };
    let mut config = SchedulerConfig::default().with_hostname(options.external_host).with_port(options.bind.port());
    config.bind_host = options.bind.ip().to_string();
    config.override_logical_codec = Some(Arc::new(SkillgapLogicalCodec::default()));
    config.override_physical_codec = Some(Arc::new(SkillgapPhysicalCodec::default()));
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(process_error)?;
    tracing::info!(address = %options.bind, "Ballista scheduler listening");
    start_server(cluster, options.bind, Arc::new(config)).await.map_err(process_error)
}

//! `skillgap cluster scheduler|executor`: the processes of a Ballista cluster that runs
//! skillgap's plans (arguments only; the processes are `skillgap-distributed`'s).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Subcommand;
use skillgap_distributed::{ExecutorOptions, SchedulerOptions};

#[derive(Subcommand)]
pub(crate) enum ClusterCommand {
    /// Run a scheduler: it plans each submitted query into stages and hands their tasks
    /// to the executors.
    Scheduler {
        /// Address to listen on (`0.0.0.0:50050` to serve other machines).
        #[arg(long, default_value = "127.0.0.1:50050")]
        bind: SocketAddr,
        /// Host name executors and clients reach this scheduler by.
        #[arg(long, default_value = "localhost")]
        external_host: String,
    },
    /// Run an executor: it registers with the scheduler and runs the tasks it is given,
    /// reading the run's files at the paths the client names.
    Executor {
        /// The scheduler, `HOST:PORT`.
        #[arg(long, default_value = "localhost:50050")]
        scheduler: String,
        /// Address to bind its services on.
        #[arg(long, default_value = "127.0.0.1")]
        bind_host: String,
        /// Host name the client and other executors reach this one by (default: the bind
        /// address).
        #[arg(long)]
        external_host: Option<String>,
        /// Port of its Arrow Flight service (shuffle data and results).
        #[arg(long, default_value_t = 50051)]
        flight_port: u16,
        /// Port of its gRPC service (the scheduler's calls).
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Tasks run at the same time (0: one per core).
        #[arg(long, default_value_t = 0)]
        concurrent_tasks: usize,
        /// Directory of its shuffle files (default: a temporary directory).
        #[arg(long)]
        work_dir: Option<PathBuf>,
        /// Memory its tasks may hold, in MiB, before sorts, joins and aggregations spill
        /// (default: Ballista's share of the machine's memory).
        #[arg(long)]
        memory_limit_mib: Option<u64>,
    },
}

pub(crate) async fn execute(command: ClusterCommand) -> anyhow::Result<()> {
    match command {
        ClusterCommand::Scheduler { bind, external_host } => {
            skillgap_distributed::serve_scheduler(SchedulerOptions { bind, external_host }).await?
        }
        ClusterCommand::Executor {
            scheduler,
            bind_host,
            external_host,
            flight_port,
            grpc_port,
            concurrent_tasks,
            work_dir,
            memory_limit_mib,
        } => {
            let (scheduler_host, scheduler_port) = skillgap_config::host_and_port(&scheduler)
                .map_err(|message| anyhow::anyhow!("--scheduler {message}"))?;
            let options = ExecutorOptions {
                scheduler_host: scheduler_host.to_owned(),
                scheduler_port,
                bind_host,
                external_host,
                flight_port,
                grpc_port,
                concurrent_tasks,
                work_dir,
                memory_pool_bytes: memory_limit_mib.map(|mib| mib.saturating_mul(1 << 20)),
            };
            skillgap_distributed::serve_executor(options).await?
        }
    }
    Ok(())
}

//! Session contexts whose plans run on a Ballista cluster, made from the local engine's
//! session state (same configuration, same memory runtime for what stays on the driver),
//! with skillgap's codecs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::config::BALLISTA_ADAPTIVE_PLANNER_ENABLED;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::session_state::SessionState;
use datafusion::prelude::SessionContext;
use tokio::sync::OnceCell;

use crate::codec::{SkillgapLogicalCodec, SkillgapPhysicalCodec};
use skillgap_config::scheduler_address;

use crate::error::{Error, Result};
use crate::executor::{ExecutorOptions, serve_executor};
use crate::scheduler::{SchedulerOptions, serve_scheduler};

/// `state` with skillgap's plan codecs, and without dynamic filters, which do not survive
/// Ballista 55's stages: its scheduler may swap a hash join's inputs once a stage's sizes
/// are known, which DataFusion refuses on a join that built a dynamic filter, and a
/// deserialized sort with a limit has no emitter for its filter (an executor panics).
/// Either way the job never finishes. Adaptive planning is off for the same reason: a stage
/// whose joins it re-plans reports one metric set fewer than its plan, the scheduler
/// refuses the tasks' statuses, and the job waits forever.
fn with_codecs(state: SessionState) -> SessionState {
    let config = state
        .config()
        .clone()
        .upgrade_for_ballista()
        .set_bool(BALLISTA_ADAPTIVE_PLANNER_ENABLED, false)
        .set_bool("datafusion.optimizer.enable_dynamic_filter_pushdown", false)
        .with_ballista_logical_extension_codec(Arc::new(SkillgapLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(SkillgapPhysicalCodec::default()));
    SessionStateBuilder::new_from_existing(state).with_config(config).build()
}

/// A context submitting its plans to the scheduler at `url` (`df://HOST:PORT`), once the
/// scheduler answers (10 s at most), so that an unreachable cluster fails the run before
/// anything is planned.
pub async fn remote_context(url: &str, state: SessionState) -> Result<SessionContext> {
    let (host, port) = scheduler_address(url).map_err(Error::Url)?;
    let unreachable = |message: String| Error::Unreachable { url: url.to_owned(), message };
    match tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => return Err(unreachable(error.to_string())),
        Err(_) => return Err(unreachable("no answer within 10 s".to_owned())),
    }
    Ok(SessionContext::remote_with_state(url, with_codecs(state)).await?)
}

/// A context running its plans on a scheduler and an executor started in this process on
/// loopback (the first call starts them; later ones share them): the distributed plans,
/// shuffles included, without a cluster to deploy.
pub async fn standalone_context(state: SessionState) -> Result<SessionContext> {
    static CLUSTER: OnceCell<String> = OnceCell::const_new();
    let url = CLUSTER.get_or_try_init(start_in_process).await?;
    remote_context(url, state).await
}

/// Starts a scheduler and an executor in this process; returns the scheduler's URL.
async fn start_in_process() -> Result<String> {
    let [scheduler_port, flight_port, grpc_port] = [free_port()?, free_port()?, free_port()?];
    let scheduler = SchedulerOptions {
        bind: SocketAddr::from(([127, 0, 0, 1], scheduler_port)),
        external_host: "127.0.0.1".to_owned(),
    };
    tokio::spawn(async move {
        if let Err(error) = serve_scheduler(scheduler).await {
            tracing::error!(%error, "the in-process scheduler stopped");
        }
    });
    wait_for_port(scheduler_port).await?;
    let executor = ExecutorOptions {
        scheduler_host: "127.0.0.1".to_owned(),
        scheduler_port,
        bind_host: "127.0.0.1".to_owned(),
        external_host: None,
        flight_port,
        grpc_port,
        concurrent_tasks: 0,
        work_dir: None,
        memory_pool_bytes: None,
    };
    tokio::spawn(async move {
        if let Err(error) = serve_executor(executor).await {
            tracing::error!(%error, "the in-process executor stopped");
        }
    });
    wait_for_port(grpc_port).await?;
    Ok(format!("df://127.0.0.1:{scheduler_port}"))
}

/// A loopback port free now.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(|error| Error::Standalone(format!("no free port on loopback: {error}")))?;
    listener.local_addr().map(|address| address.port()).map_err(|error| Error::Standalone(error.to_string()))
}

/// Waits until something listens on the loopback `port` (10 s at most).
async fn wait_for_port(port: u16) -> Result<()> {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(Error::Standalone(format!("nothing listens on 127.0.0.1:{port} after 10 s")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_scheduler_is_an_error_naming_it() {
        let port = free_port().unwrap();
        let url = format!("df://127.0.0.1:{port}");
        let error = remote_context(&url, SessionStateBuilder::new().build()).await.err().unwrap();
        assert!(matches!(&error, Error::Unreachable { .. }), "{error}");
        assert!(error.to_string().contains(&url), "{error}");
    }
}

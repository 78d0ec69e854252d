//! skillgap on Apache Ballista: the session contexts whose plans run on a cluster (a
//! remote scheduler, or one started in-process), the scheduler and executor processes that
//! make the cluster, and the plan codec that carries skillgap's SQL functions — the
//! geocoder with its grid — to them. The staging and mart plans are the local engine's.

mod codec;
mod context;
mod error;
mod executor;
mod scheduler;
mod stage_runner;

pub use codec::{SkillgapLogicalCodec, SkillgapPhysicalCodec};
pub use context::{remote_context, standalone_context};
pub use error::{Error, Result};
pub use executor::{ExecutorOptions, serve_executor};
pub use scheduler::{SchedulerOptions, serve_scheduler};

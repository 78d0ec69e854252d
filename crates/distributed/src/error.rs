//! The distributed engine's error type.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong when reaching or running a Ballista cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scheduler URL is not `df://HOST:PORT` (the message names it).
    #[error("invalid Ballista scheduler URL: {0}")]
    Url(String),
    /// Nothing answers at the scheduler's address.
    #[error("the Ballista scheduler {url} cannot be reached: {message}")]
    Unreachable {
        /// The scheduler's URL.
        url: String,
        /// What the connection said.
        message: String,
    },
    /// The cluster could not be set up.
    #[error("Ballista: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// The in-process cluster of `engine = "standalone"` could not start.
    #[error("standalone Ballista cluster: {0}")]
    Standalone(String),
    /// A scheduler or executor process failed.
    #[error("Ballista {role}: {source}")]
    Process {
        /// `scheduler` or `executor`.
        role: &'static str,
        /// Ballista's error.
        #[source]
        source: ballista_core::error::BallistaError,
    },
}

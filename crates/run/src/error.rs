//! The run's error type and the documented process exit codes.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Process exit codes (documented in `docs/operations.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// Success.
    Success = 0,
    /// An unexpected failure (a bug).
    Internal = 1,
    /// The pipeline file or the command line is invalid.
    BadConfiguration = 2,
    /// An input's share of rejected rows is over `max_reject_ratio`.
    RejectsOverThreshold = 3,
    /// An input is missing or unreadable (file absent, column missing, unparsable document).
    SourceUnavailable = 4,
    /// Writing or publishing the outputs failed.
    PublishFailed = 5,
    /// Another run holds the output's lock.
    Locked = 6,
    /// A table's tests failed: nothing was published.
    TestsFailed = 7,
    /// The distributed engine could not be reached or failed: nothing was published.
    EngineUnavailable = 8,
    /// The disclosure audit found a suppressed count that the public figures pin down:
    /// nothing was published.
    DisclosureRisk = 9,
    /// The query engine's memory pool could not hold an operator that cannot spill:
    /// nothing was published.
    MemoryExhausted = 10,
}

/// What can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pipeline file is invalid.
    #[error(transparent)]
    Config(#[from] skillgap_config::Error),
    /// A command-line value is invalid.
    #[error("{0}")]
    Argument(String),
    /// An input cannot be read.
    #[error("input {input}: {source}")]
    Source {
        /// The input name.
        input: String,
        /// The reader's error.
        #[source]
        source: skillgap_sources::Error,
    },
    /// An input is readable but unusable as a whole.
    #[error("input {input}: {message}")]
    Input {
        /// The input name.
        input: String,
        /// What is wrong.
        message: String,
    },
    /// A source refused the configured credentials (wrong client id or secret, a scope
    /// not granted): retrying later will not help.
    #[error(
        "input {input}: the credentials were refused: {message}; check the client id, secret and scope named in the pipeline's [fetch] section"
    )]
    CredentialsRefused {
        /// The input name.
        input: String,
        /// The source's answer (secrets removed).
        message: String,
    },
    /// The disclosure audit could not protect every suppressed count.
    #[error("the disclosure audit found {} suppressed count(s) that the published figures pin down; nothing was published: {}", cells.len(), cells.iter().take(10).map(ToString::to_string).collect::<Vec<_>>().join(" | "))]
    Disclosure {
        /// The cells at risk.
        cells: Vec<skillgap_models::audit::CellAtRisk>,
    },
    /// Too many rows of an input were rejected.
    #[error(
        "input {input}: {rejected} of {read} rows rejected ({ratio:.1} %), over the pipeline's max_reject_ratio of {max:.1} %; nothing was published. Reasons: {reasons}"
    )]
    TooManyRejects {
        /// The input.
        input: String,
        /// Rejected rows.
        rejected: u64,
        /// Rows read.
        read: u64,
        /// Percentage rejected.
        ratio: f64,
        /// Allowed percentage.
        max: f64,
        /// Reject counts by reason, with an example location each.
        reasons: String,
    },
    /// A model or a table test failed.
    #[error(transparent)]
    Model(#[from] skillgap_models::Error),
    /// Writing or publishing failed.
    #[error(transparent)]
    Sink(#[from] skillgap_sinks::Error),
    /// Writing the sheets failed.
    #[error(transparent)]
    Sheets(#[from] skillgap_reports::Error),
    /// Something that should not happen (a task panicked).
    #[error("internal error: {0}")]
    Internal(String),
    /// A query failed.
    #[error("query: {0}")]
    Query(#[source] datafusion::error::DataFusionError),
    /// The pipeline asks for the distributed engine, which this build lacks.
    #[error(
        "engine {0}: this skillgap was built without Apache Ballista; rebuild it with `cargo build --release -p skillgap-cli --features ballista`, or set engine = \"local\""
    )]
    EngineNotBuilt(String),
    /// The distributed engine could not be reached or set up.
    #[error("engine {engine}: {message}")]
    Engine {
        /// The engine as configured (`standalone` or the scheduler's URL).
        engine: String,
        /// What failed.
        message: String,
    },
    /// The query engine's memory pool could not hold an operator that cannot spill to disk.
    #[error(
        "the query engine ran out of memory in the {stage} stage, in {model} ({message}); nothing was published. Raise `memory_limit_mib` in the pipeline's [resources] section (now {limit_mib} MiB), on a machine that has that much memory to spare"
    )]
    MemoryExhausted {
        /// The run's stage (silver, gold, tests, public).
        stage: &'static str,
        /// The model or query that needed the memory.
        model: String,
        /// The configured pool, MiB.
        limit_mib: usize,
        /// DataFusion's account of the operator and its reservation.
        message: String,
    },
    /// The manifest could not be written.
    #[error("writing the manifest {path}: {message}")]
    Manifest {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
}

impl Error {
    /// This error, told as [`Error::MemoryExhausted`] when the query engine's memory pool is
    /// what stopped it in `stage` (a pool of `limit_mib`).
    pub(crate) fn in_stage(self, stage: &'static str, limit_mib: usize) -> Self {
        let (model, source) = match &self {
            Self::Model(skillgap_models::Error::DataFusion { model, source }) => (model.clone(), source),
            Self::Query(source) => ("a query".to_owned(), source),
            _ => return self,
        };
        match source.find_root() {
            datafusion::error::DataFusionError::ResourcesExhausted(message) => {
                Self::MemoryExhausted { stage, model, limit_mib, message: message.trim().to_owned() }
            }
            _ => self,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Config(_) | Self::Argument(_) | Self::EngineNotBuilt(_) | Self::CredentialsRefused { .. } => {
                ExitCode::BadConfiguration
            }
            Self::Engine { .. } => ExitCode::EngineUnavailable,
            Self::Source { .. } | Self::Input { .. } => ExitCode::SourceUnavailable,
            Self::TooManyRejects { .. } => ExitCode::RejectsOverThreshold,
            Self::Disclosure { .. } => ExitCode::DisclosureRisk,
            Self::MemoryExhausted { .. } => ExitCode::MemoryExhausted,
            Self::Model(skillgap_models::Error::TestsFailed { .. }) => ExitCode::TestsFailed,
            Self::Model(_) | Self::Query(_) | Self::Internal(_) => ExitCode::Internal,
            Self::Sink(skillgap_sinks::Error::Locked { .. }) => ExitCode::Locked,
            Self::Sink(
                skillgap_sinks::Error::NothingPublished { .. }
                | skillgap_sinks::Error::UnknownRun { .. }
                | skillgap_sinks::Error::IncompleteRun { .. },
            ) => ExitCode::BadConfiguration,
            Self::Sink(_) | Self::Manifest { .. } => ExitCode::PublishFailed,
            Self::Sheets(skillgap_reports::Error::UnknownBassin(_)) => ExitCode::BadConfiguration,
            Self::Sheets(skillgap_reports::Error::Table { .. }) => ExitCode::SourceUnavailable,
            Self::Sheets(skillgap_reports::Error::Write { .. }) => ExitCode::PublishFailed,
        }
    }
}

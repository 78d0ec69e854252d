//! The models' error type.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A DataFusion plan or execution error, with the model it happened in.
    #[error("model {model}: {source}")]
    DataFusion {
        /// The model (table) being built.
        model: String,
        /// DataFusion's error.
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// An embedded table specification is invalid (a bug caught by the tests).
    #[error("schemas/{table}.yml: {message}")]
    Specification {
        /// The table.
        table: String,
        /// What is wrong.
        message: String,
    },
    /// A model's SQL names a parameter that runs do not have.
    #[error("unknown SQL parameter ${name} (parameters: {known})")]
    Parameter {
        /// The name after `$`.
        name: String,
        /// The names a run binds.
        known: String,
    },
    /// A staging script holds something other than its views (a bug caught by the tests).
    #[error("crates/models/sql/staging/{script}.sql: {message}")]
    Script {
        /// The script's name.
        script: String,
        /// What is wrong.
        message: String,
    },
    /// A window of the reference date falls outside the calendar.
    #[error("reference date: {0}")]
    Date(String),
    /// The disclosure audit could not bound a cell (contradictory figures, a solver failure).
    #[error("disclosure audit: {0}")]
    Audit(String),
    /// A table's tests failed.
    #[error("table {table} fails {} test(s): {}", failures.len(), failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    TestsFailed {
        /// The table.
        table: String,
        /// Each failing test.
        failures: Vec<crate::quality::TestFailure>,
    },
}

/// Wraps a DataFusion error with the model's name.
pub(crate) fn in_model(model: &str) -> impl FnOnce(datafusion::error::DataFusionError) -> Error + '_ {
    move |source| Error::DataFusion { model: model.to_owned(), source }
}

//! The configuration error type.

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can be wrong with a pipeline file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pipeline file could not be read.
    #[error("cannot read pipeline file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The pipeline file is not valid TOML or does not match the format.
    #[error("invalid pipeline file {path}: {message}")]
    Parse {
        /// The file (or `<embedded demo>`).
        path: PathBuf,
        /// The parser's message, with line, column and field.
        message: String,
    },
    /// A semester that is not `YYYY-S1` or `YYYY-S2`.
    #[error("`{0}` is not a semester (expected YYYY-S1 or YYYY-S2)")]
    Semester(String),
    /// A value is syntactically valid but not acceptable.
    #[error("invalid pipeline file {path}: field `{field}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The dotted field name.
        field: String,
        /// What is wrong.
        message: String,
    },
}

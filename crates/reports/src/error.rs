//! The sheets' error type.

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can stop the sheets.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A published table cannot be read.
    #[error("reading {path}: {message}")]
    Table {
        /// The table directory or file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// Writing a sheet failed.
    #[error("writing {path}: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A requested bassin is not in the run.
    #[error("bassin {0} is not in this run")]
    UnknownBassin(String),
}

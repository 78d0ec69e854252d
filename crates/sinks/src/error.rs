//! The sinks' error type.

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while writing or publishing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file-system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Writing Parquet failed.
    #[error("writing Parquet {path}: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The Parquet error.
        source: parquet::errors::ParquetError,
    },
    /// Another run holds the output's lock.
    #[error("another skillgap run is using {path} (lock held); try again when it has finished")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// No run has been published yet.
    #[error("nothing has been published in {path} yet: run `skillgap run` first")]
    NothingPublished {
        /// The output directory.
        path: PathBuf,
    },
    /// A run id that is not one of this store's runs.
    #[error("no run `{run}` in {path}")]
    UnknownRun {
        /// The run id asked for.
        run: String,
        /// The output directory.
        path: PathBuf,
    },
}

pub(crate) fn io<'a>(action: &'static str, path: &'a std::path::Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io { action, path: path.to_path_buf(), source }
}

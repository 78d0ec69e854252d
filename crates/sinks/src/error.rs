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
    #[error("another skillgap run is using {location} (lock held{holder}); try again when it has finished")]
    Locked {
        /// The lock file or object.
        location: String,
        /// Who holds it, when known (`: run … on host …, until …`).
        holder: String,
    },
    /// No run has been published yet.
    #[error("nothing has been published in {location} yet: run `skillgap run` first")]
    NothingPublished {
        /// The output directory or URL.
        location: String,
    },
    /// A run id that is not one of this store's runs.
    #[error("no run `{run}` in {location}")]
    UnknownRun {
        /// The run id asked for.
        run: String,
        /// The output directory or URL.
        location: String,
    },
    /// A run's manifest could not be read or does not match its format.
    #[error("reading the manifest {path}: {message}")]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A run directory that is not a complete run (killed retention, damaged copy).
    #[error("run `{run}` in {location} is not complete ({problem}): it cannot be read or made current")]
    IncompleteRun {
        /// The run id.
        run: String,
        /// The output directory.
        location: String,
        /// What is missing.
        problem: String,
    },
    /// An object-storage request failed (after its retries).
    #[error("{action} {location}: {source}")]
    ObjectStore {
        /// What was being done.
        action: &'static str,
        /// The object or prefix (`s3://bucket/key`).
        location: String,
        /// The object store's error.
        source: object_store::Error,
    },
    /// An object of the store is not what skillgap wrote there.
    #[error("{location}: {message}")]
    Corrupt {
        /// The object.
        location: String,
        /// What is wrong.
        message: String,
    },
}

pub(crate) fn io<'a>(action: &'static str, path: &'a std::path::Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io { action, path: path.to_path_buf(), source }
}

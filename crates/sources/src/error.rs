//! The readers' error type: whole-file problems (a row-level problem is a reject, not an
//! error).

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A problem that makes a whole input unreadable.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An input path matches no file.
    #[error("input {input}: {path} does not exist")]
    Missing {
        /// The input name.
        input: String,
        /// The path.
        path: PathBuf,
    },
    /// A directory input holds a file that is not of the input's type.
    #[error(
        "input {input}: {path} is not a file of this input (expected {expected}, optionally gzip-compressed as .gz): move it out of the input's directory, or name the input's files in `paths`"
    )]
    UnexpectedFile {
        /// The input name.
        input: String,
        /// The file.
        path: PathBuf,
        /// The extensions expected.
        expected: String,
    },
    /// A table's header lacks a required column.
    #[error("{path}, {place}: column `{column}` is missing (the header has: {found})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The header's line, or sheet and row.
        place: String,
        /// The missing column.
        column: String,
        /// The header found.
        found: String,
    },
    /// A CSV file is unreadable as CSV (bad encoding of the header, for example).
    #[error("{path}, line {line}: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A workbook cannot be read: not a workbook, no such sheet, no header row.
    #[error("{path}: {message}")]
    Workbook {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A whole JSON document (an API page or array) cannot be parsed.
    #[error("{path}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A whole XML document cannot be read (refused DOCTYPE, undecodable bytes, broken
    /// structure outside any `<formation>`).
    #[error("{path}: {message}")]
    Xml {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A grid cannot be built from its tables (a commune in two bassins, an empty union).
    #[error("grid: {message}")]
    Grid {
        /// What is wrong, naming the files and rows.
        message: String,
    },
    /// Building an Arrow batch failed (a bug, reported instead of a panic).
    #[error("building Arrow data for {path}: {source}")]
    Arrow {
        /// The file.
        path: PathBuf,
        /// The Arrow error.
        source: arrow::error::ArrowError,
    },
}

//! Where skillgap's outputs go: Parquet files (zstd, statistics, column descriptions as
//! field metadata) written into a run's staging directory, then published atomically so
//! that readers of `<output>/current/<layer>/<table>/*.parquet` only ever see one whole run.

mod error;
mod parquet_file;
mod store;

pub use error::{Error, Result};
pub use parquet_file::{TableDocumentation, TableFile, WrittenTable};
pub use store::{CURRENT, KEEP_MARKER, RunDirectory, Store, StoreLock};

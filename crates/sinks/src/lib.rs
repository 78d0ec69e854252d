//! Where skillgap's outputs go: Parquet files (zstd, statistics, column descriptions as
//! field metadata) written into a run's staging directory, then published atomically so
//! that readers of `<output>/current/<layer>/<table>/*.parquet` only ever see one whole run —
//! on the local file system or on S3-compatible object storage (through `object_store`) —,
//! with the run's manifest.

mod error;
mod manifest;
mod parquet_file;
mod remote;
mod store;

pub use error::{Error, Result};
pub use manifest::{
    AuditSummary, InputFileReport, InputReport, MANIFEST_FILE, Manifest, OutputReport, StageReport, Thresholds,
    UnknownCodeReport,
};
pub use parquet_file::{TableDocumentation, TableFile, WrittenTable};
pub use remote::{RemoteLock, RemoteStore, S3Connection, Upload};
pub use store::{CURRENT, KEEP_MARKER, RunDirectory, Store, StoreLock};

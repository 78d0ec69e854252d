//! Readers of every skillgap input (offers JSON, CSV tables, bassin polygons) into Arrow
//! record batches: each row carries its source file and location, and rows that cannot be
//! read at all (unparsable JSON, a record without id, a short CSV row) become reject rows
//! with a reason code instead of being dropped. No DataFusion here: typing, validation
//! against referentials and deduplication happen in `skillgap-models`' staging.

mod bmo;
mod csv_table;
mod error;
mod files;
mod lheo;
mod offers;
pub mod offers_api;
mod rejects;
mod territories;

pub use bmo::{BMO_COLUMNS, read_bmo};
pub use csv_table::{CsvTable, read_csv};
pub use error::{Error, Result};
pub use files::{InputFile, describe_file, expand_paths, open_decompressed};
pub use lheo::{LheoStats, read_lheo, sessions_schema};
pub use offers::{OfferReader, first_record_order, offers_schema};
pub use rejects::{RejectsBuilder, rejects_schema};
pub use territories::{BassinProperties, BassinShape, read_bassins};

/// The tracing target of progress events (`task`, `done`, `total` — 0 when unknown —,
/// `unit`), drawn as progress bars by the CLI on a terminal.
pub const PROGRESS: &str = "skillgap::progress";

/// Rows per record batch produced by the readers.
pub const BATCH_ROWS: usize = 8192;

//! Readers of every skillgap input (offers JSON, LHEO XML, tables in CSV, XLSX or XLS,
//! bassin polygons, answers landed from France Travail's APIs) into Arrow record batches,
//! and the clients that fetch those answers. Each row carries its source file and
//! location, and rows that cannot be read at all (unparsable JSON, a record without id, a
//! short CSV row, an undecodable byte) become reject rows with a reason code instead of
//! being dropped. No DataFusion here: typing, validation against referentials and
//! deduplication happen in `skillgap-models`' staging.

mod decoding;
mod dissolve;
mod error;
mod files;
pub mod france_travail;
mod labour_market;
pub mod labour_market_api;
mod layouts;
mod lheo;
mod offers;
pub mod offers_api;
mod rejects;
mod rome_fap;
mod table;
mod territories;

pub use dissolve::{CommuneAssignment, Dissolved, commune_assignments, dissolve};
pub use error::{Error, Result};
pub use files::{InputFile, describe_file, expand_paths, open_decompressed};
pub use labour_market::{LabourMarketFigures, labour_market_jobseekers_schema, tension_schema};
pub use layouts::{Column, TABLE_LAYOUTS, TableLayout, table_layout};
pub use lheo::{LheoStats, read_lheo, sessions_schema};
pub use offers::{OfferReader, first_record_order, offers_schema};
pub use rejects::{RejectsBuilder, rejects_schema};
pub use rome_fap::{RomeFapLink, RomeFapTable, read_rome_fap_table};
pub use table::{TableFormat, TableSettings, TableStats, read_table, table_schema};
pub use territories::{BassinProperties, BassinShape, read_bassins};

/// The tracing target of progress events (`task`, `done`, `total` — 0 when unknown —,
/// `unit`), drawn as progress bars by the CLI on a terminal.
pub const PROGRESS: &str = "skillgap::progress";

/// Rows per record batch produced by the readers.
pub const BATCH_ROWS: usize = 8192;

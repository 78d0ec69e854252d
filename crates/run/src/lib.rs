//! One skillgap run from end to end — resolve the reference date, read every input into
//! bronze Parquet, stage silver tables with their rejects, build the gold marts, run every
//! table's tests, write the manifest and publish atomically — plus read-only SQL over
//! published runs, fetches from France Travail's APIs into the output's landing area, and the
//! referentials built from published files. The CLI only parses arguments and calls into
//! this crate.

mod engine;
mod error;
mod fetch;
mod ingest;
mod output;
mod pipeline_run;
mod public_export;
mod query;
mod reference_date;
pub mod referentials;
mod reject_gate;
mod reuse;
mod stage_clock;
mod transform;

pub use error::{Error, ExitCode, Result};
pub use fetch::{
    FetchOutcome, FetchRequest, LABOUR_MARKET_ANSWERS, LANDED_PAGES, LabourMarketOutcome, LabourMarketRequest,
    LabourMarketWatermark, Watermark, fetch, fetch_labour_market,
};
pub use output::PublishTarget;
pub use pipeline_run::{
    RunReport, RunRequest, SheetsCommand, model_sql, rollback, run, run_parameters, sheets_of_run as sheets,
};
pub use public_export::audit_run;
pub use query::{OutputFormat, QuerySession, format_batches};
pub use reference_date::resolve_reference_date;
pub use skillgap_config::Semester;
pub use skillgap_sinks::Store;
pub use skillgap_sinks::{InputReport, Manifest, OutputReport, StageReport, UnknownCodeReport};

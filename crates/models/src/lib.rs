//! skillgap's transformations on Apache DataFusion: `staging/` types, validates,
//! deduplicates and geocodes bronze rows into silver tables (and rejects) with one SQL script
//! of views per model (`sql/staging/<model>.sql`), `marts/` computes each gold table from
//! silver with one SQL file (`sql/marts/<table>.sql`, named parameters bound by [`sql`]),
//! and every table's YAML specification
//! (`schemas/*.yml`, embedded) drives its column documentation and the SQL tests that run
//! after each build, with the public export under secrecy and its disclosure audit
//! (`audit/`). No I/O here: tables are registered and collected by the caller.

pub mod audit;
mod context;
mod error;
mod functions;
mod geocoding;
pub mod marts;
mod parameters;
mod public;
mod quality;
mod schemas;
mod shipping;
pub mod sql;
pub mod staging;

pub use context::{
    SharedTables, bounded_runtimes, equip, marts_context, marts_state, register_batches, share_tables, staging_state,
};
pub use error::{Error, Result};
pub use geocoding::{BassinIndex, register_geocoder};
pub use parameters::Parameters;
pub use public::{SECRET_COLUMN, Secrecy, listed_in_secret, public_sql, public_table_spec, run_secrecy_checks};
pub use quality::{TestFailure, run_table_tests};
pub use schemas::{
    ColumnSpec, ColumnTest, PublicSpec, TableSpec, TestSpec, render_tables_markdown, table_spec, table_specs, type_name,
};
pub use shipping::{decode_function, encode_function};

/// The bassin of offers and sessions that could not be placed.
pub const HORS_BASSIN: &str = "HORS_BASSIN";

//! Silver → gold: one module per gold table, named after it. Each returns the table as a
//! DataFrame ordered by its grain, computed from silver (and staging referentials) only.

mod competence_gap;

use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

pub use competence_gap::competence_gap;

use crate::error::{Error, Result};
use crate::parameters::Parameters;

/// Gold tables built by this version, in build order.
pub const GOLD_TABLES: [&str; 1] = ["competence_gap"];

/// Builds the gold table `table` (one of [`GOLD_TABLES`]).
pub async fn build(context: &SessionContext, table: &str, parameters: &Parameters) -> Result<DataFrame> {
    match table {
        "competence_gap" => competence_gap(context, parameters).await,
        other => Err(Error::Specification { table: other.to_owned(), message: "not a gold table of this version".to_owned() }),
    }
}

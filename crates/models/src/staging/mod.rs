//! Bronze → silver: typing, validation against referentials, deduplication and
//! geocoding. Each model returns its kept rows and its rejects (same columns as the
//! readers' rejects: `input`, `source_file`, `location`, `reason`, `detail`, `raw_value`).

mod bmo;
mod jobseekers;
mod labour_market_tension;
mod layers;
mod offers;
mod projections;
mod referentials;
mod sessions;
mod unknown_codes;

use arrow::array::AsArray;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

use crate::error::{Result, in_model};

pub use bmo::bmo;
pub use jobseekers::{LABOUR_MARKET_LANDING, jobseekers};
pub use labour_market_tension::{TENSION_CODES, labour_market_tension};
pub use layers::{bassins, bassins_of_communes, bassins_without_communes, rejects};
pub use offers::{offers, offers_merged};
pub use projections::{IDENTITY_TOLERANCE, employment, projection_identity_errors, projection_regions, projections};
pub use referentials::{Referential, bmo_bassins, crosswalk_weight_errors};
pub use sessions::{session_outcomes, sessions};
pub use unknown_codes::{UnknownCode, unknown_codes};

/// Rows kept by a staging model and the rows it rejected.
pub struct Staged {
    /// Kept, typed rows.
    pub rows: DataFrame,
    /// Rejected rows, with their reason.
    pub rejects: DataFrame,
}

/// The texts of the first column of `sql`'s rows, in order (NULLs skipped): the messages
/// of a check that lists what fails.
async fn texts(context: &SessionContext, model: &str, sql: &str) -> Result<Vec<String>> {
    let batches = context.sql(sql).await.map_err(in_model(model))?.collect().await.map_err(in_model(model))?;
    Ok(batches
        .iter()
        .flat_map(|batch| batch.column(0).as_string::<i32>().iter().flatten().map(str::to_owned))
        .collect())
}

/// Runs the two queries of a staging model.
async fn staged(context: &SessionContext, model: &str, rows: &str, rejects: &str) -> Result<Staged> {
    let rows = context.sql(rows).await.map_err(in_model(model))?;
    let rejects = context.sql(rejects).await.map_err(in_model(model))?;
    Ok(Staged { rows, rejects })
}

/// One reject rule of a staging model: a row where `condition` holds, and no earlier
/// rule's, is rejected for `reason`, told by `detail` (an SQL text expression).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule<'a> {
    /// SQL condition over the classified row.
    pub condition: &'a str,
    /// The reject reason code (`bad_rome`, `missing_value`, …).
    pub reason: &'a str,
    /// SQL expression of the explanation.
    pub detail: &'a str,
}

/// The columns `reject_reason` and `reject_detail` of a model's rules, in order of
/// precedence (NULL when no rule holds): each rule written once, as data.
pub(crate) fn classification(rules: &[Rule<'_>]) -> String {
    let cases = |then: &dyn Fn(&Rule<'_>) -> String| {
        rules
            .iter()
            .map(|rule| format!("WHEN {} THEN {}", rule.condition, then(rule)))
            .collect::<Vec<_>>()
            .join("\n                   ")
    };
    format!(
        "CASE {} END AS reject_reason,\n              CASE {} END AS reject_detail",
        cases(&|rule| format!("'{}'", rule.reason)),
        cases(&|rule| rule.detail.to_owned())
    )
}

/// The SQL of a reject row of a CSV input: its line, reason, detail and raw fields.
fn csv_reject_columns(input: &str, fields: &[&str]) -> String {
    reject_columns(&format!("'{input}'"), fields)
}

/// The same, the input named by an SQL expression (a table fed by two inputs).
fn reject_columns(input: &str, fields: &[&str]) -> String {
    let raw: Vec<String> = fields.iter().map(|f| format!("COALESCE({f}, '')")).collect();
    format!(
        "{input} AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location, reject_reason AS reason, reject_detail AS detail, concat_ws(',', {}) AS raw_value",
        raw.join(", ")
    )
}

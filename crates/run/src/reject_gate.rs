//! The reject-ratio gate: a run whose share of rejected rows for one input exceeds the
//! pipeline's `max_reject_ratio` fails with the reasons and an example location of each,
//! before anything is published.

use std::collections::BTreeMap;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::ingest::IngestedInput;
use crate::transform::query;

/// Counts the rejects of `staging.all_rejects` per input and fails over the threshold;
/// returns the rejected rows per input.
pub async fn check_reject_ratios(
    context: &SessionContext,
    inputs: &[IngestedInput],
    max_reject_ratio: f64,
) -> Result<BTreeMap<String, u64>> {
    let counts = query(
        context,
        "silver.rejects",
        "SELECT input, reason, COUNT(*) AS n, MIN(source_file || ' ' || location) AS example FROM staging.all_rejects GROUP BY input, reason ORDER BY input, n DESC, reason",
    )
    .await?;
    let mut rejected: BTreeMap<String, u64> = BTreeMap::new();
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for batch in &counts {
        let (input, reason, count, example) = (
            batch.column(0).as_string::<i32>(),
            batch.column(1).as_string::<i32>(),
            batch.column(2).as_primitive::<Int64Type>(),
            batch.column(3).as_string::<i32>(),
        );
        for row in 0..batch.num_rows() {
            *rejected.entry(input.value(row).to_owned()).or_default() += count.value(row) as u64;
            reasons.entry(input.value(row).to_owned()).or_default().push(format!(
                "{} × {} (e.g. {})",
                count.value(row),
                reason.value(row),
                example.value(row)
            ));
        }
    }
    for input in inputs {
        let count = rejected.get(&input.name).copied().unwrap_or(0);
        if input.records > 0 && count as f64 / input.records as f64 > max_reject_ratio {
            return Err(Error::TooManyRejects {
                input: input.name.clone(),
                rejected: count,
                read: input.records,
                ratio: 100.0 * count as f64 / input.records as f64,
                max: 100.0 * max_reject_ratio,
                reasons: reasons.get(&input.name).map(|r| r.join(", ")).unwrap_or_default(),
            });
        }
    }
    Ok(rejected)
}

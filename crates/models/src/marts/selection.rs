//! The one jobseekers period and the one BMO year a run reads (`metrics.md` § Reference
//! dates, generalised to quarters in docs/metrics.md), as CTEs `selected_month (periode)`
//! and `selected_year (annee)`.

use crate::parameters::Parameters;

/// CTE `selected_month`: the latest period present among the months ≤ the month of D − 1
/// day and the quarters that end before D; a month and a quarter ending together: the
/// month (the finer figure).
pub fn selected_month(parameters: &Parameters) -> String {
    format!(
        "selected_month AS (
            SELECT periode FROM silver.jobseekers
            WHERE (type_periode = 'mois' AND periode <= '{month}') OR (type_periode = 'trimestre' AND periode_fin < DATE '{as_of}')
            ORDER BY periode_fin DESC, type_periode
            LIMIT 1
         )",
        month = parameters.jobseekers_month(),
        as_of = parameters.as_of,
    )
}

/// CTE `selected_year`: the latest BMO `annee` ≤ the year of D.
pub fn selected_year(parameters: &Parameters) -> String {
    format!("selected_year AS (SELECT MAX(annee) AS annee FROM silver.bmo WHERE annee <= {})", parameters.bmo_year())
}

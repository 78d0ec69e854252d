//! The one jobseekers month and the one BMO year a run reads (`metrics.md` § Reference
//! dates), as CTEs `selected_month (periode)` and `selected_year (annee)`.

use crate::parameters::Parameters;

/// CTE `selected_month`: the latest `periode` present that is ≤ the month of D − 1 day.
pub fn selected_month(parameters: &Parameters) -> String {
    format!("selected_month AS (SELECT MAX(periode) AS periode FROM silver.jobseekers WHERE periode <= '{}')", parameters.jobseekers_month())
}

/// CTE `selected_year`: the latest BMO `annee` ≤ the year of D.
pub fn selected_year(parameters: &Parameters) -> String {
    format!("selected_year AS (SELECT MAX(annee) AS annee FROM silver.bmo WHERE annee <= {})", parameters.bmo_year())
}

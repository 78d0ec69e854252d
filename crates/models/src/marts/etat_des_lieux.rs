//! `gold.etat_des_lieux` — grain (semestre, bassin, code_rome): the semester snapshots of
//! `competence_gap`. A semester run (`--semester 2026-S1`) adds its snapshot, with
//! `delta_<column>` against the previous semester's snapshot (NULL when there is none);
//! every run carries the snapshots of the run it follows (`previous.etat_des_lieux`)
//! unchanged, so a nightly run never overwrites one.

use crate::parameters::Parameters;

/// Columns compared with the previous semester (`delta_<column>`).
pub const DELTA_COLUMNS: [&str; 5] = ["postes", "de_a", "capacite_12m", "indice_tension", "ecart"];

/// The previous run's snapshots, when there is a previous run holding the table.
pub const PREVIOUS_SNAPSHOTS: &str = "previous.etat_des_lieux";

/// The SQL of the table; `has_previous` tells whether [`PREVIOUS_SNAPSHOTS`] is registered.
pub fn sql(parameters: &Parameters, has_previous: bool) -> String {
    let semester = parameters.semester.as_deref().unwrap_or("");
    let previous_semester = parameters.previous_semester.as_deref().unwrap_or("");
    let deltas = DELTA_COLUMNS
        .iter()
        .map(|column| format!("CAST(g.{column} AS DOUBLE) - CAST(p.{column} AS DOUBLE) AS delta_{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    let as_of = Parameters::sql_date(parameters.as_of);
    // Without a previous run the earlier snapshots are an empty relation of the same shape.
    let earlier = if has_previous {
        format!("SELECT * FROM {PREVIOUS_SNAPSHOTS}")
    } else {
        format!(
            "SELECT CAST(NULL AS VARCHAR) AS semestre, {as_of} AS date_reference, g.*, {} FROM gold.competence_gap g WHERE false",
            {
                DELTA_COLUMNS
                    .iter()
                    .map(|c| format!("CAST(NULL AS DOUBLE) AS delta_{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )
    };
    let snapshot = if parameters.semester.is_some() {
        format!(
            "UNION ALL
             SELECT '{semester}' AS semestre, {as_of} AS date_reference, g.*, {deltas}
             FROM gold.competence_gap g
             LEFT JOIN earlier p ON p.semestre = '{previous_semester}' AND p.code_bassin = g.code_bassin AND p.code_rome = g.code_rome"
        )
    } else {
        String::new()
    };
    format!(
        "WITH earlier AS ({earlier})
         SELECT * FROM (
            SELECT * FROM earlier WHERE semestre <> '{semester}'
            {snapshot}
         )
         ORDER BY semestre, code_bassin, code_rome"
    )
}

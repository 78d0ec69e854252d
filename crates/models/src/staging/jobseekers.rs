//! `silver.jobseekers`: counts typed (`*` and empty are NULL, never 0), each row placed in
//! its bassin (rows given by commune keep their commune and get its bassin).

use datafusion::prelude::SessionContext;

use super::{Staged, csv_reject_columns, staged};
use crate::error::Result;
use crate::geocoding::commune_of;

/// Builds `silver.jobseekers` and its rejects.
pub async fn jobseekers(context: &SessionContext) -> Result<Staged> {
    let counts = ["de_a", "de_abc", "sorties_abc_12m", "entrees_a_12m"];
    let bad_count = counts.iter().map(|c| format!("is_bad_count({c})")).collect::<Vec<_>>().join(" OR ");
    let bad_count_detail = counts.iter().map(|c| format!("CASE WHEN is_bad_count({c}) THEN '{c}=' || {c} END")).collect::<Vec<_>>().join(", ");
    let classified = format!(
        "WITH bassins AS (SELECT DISTINCT code_bassin FROM staging.communes),
         located AS (
            SELECT j.*,
              CASE WHEN j.type_territoire = 'bassin' THEN b.code_bassin WHEN j.type_territoire = 'commune' THEN c.code_bassin END AS resolved_bassin,
              r.code_rome AS known_rome
            FROM bronze.jobseekers j
            LEFT JOIN bassins b ON j.type_territoire = 'bassin' AND b.code_bassin = j.code_territoire
            LEFT JOIN staging.communes c ON j.type_territoire = 'commune' AND c.code_commune = {commune}
            LEFT JOIN staging.rome r ON r.code_rome = j.code_rome
         ), classified AS (
            SELECT *,
              CASE WHEN parse_year_month(periode) IS NULL THEN 'bad_date'
                   WHEN code_rome IS NULL OR known_rome IS NULL THEN 'bad_rome'
                   WHEN type_territoire IS NULL OR type_territoire NOT IN ('bassin', 'commune') THEN 'bad_territory'
                   WHEN resolved_bassin IS NULL THEN 'unknown_territory'
                   WHEN {bad_count} THEN 'bad_count' END AS reject_reason,
              CASE WHEN parse_year_month(periode) IS NULL THEN 'periode is not YYYY-MM: ' || COALESCE(periode, 'NULL')
                   WHEN code_rome IS NULL OR known_rome IS NULL THEN 'code_rome ' || COALESCE(code_rome, 'NULL') || ' is not in the ROME referential'
                   WHEN type_territoire IS NULL OR type_territoire NOT IN ('bassin', 'commune') THEN 'type_territoire must be bassin or commune'
                   WHEN resolved_bassin IS NULL THEN type_territoire || ' ' || COALESCE(code_territoire, 'NULL') || ' is not in the grid'
                   WHEN {bad_count} THEN 'not a count (a non-negative integer, * or empty): ' || concat_ws(', ', {bad_count_detail}) END AS reject_detail
            FROM located
         )",
        commune = commune_of("j.code_territoire"),
    );
    let rows = format!(
        "{classified}
         SELECT periode, parse_year_month(periode) AS periode_debut, type_territoire, code_territoire, resolved_bassin AS code_bassin, code_rome,
                parse_count(de_a) AS de_a, parse_count(de_abc) AS de_abc,
                parse_count(sorties_abc_12m) AS sorties_abc_12m, parse_count(entrees_a_12m) AS entrees_a_12m,
                source_file, source_line
         FROM classified WHERE reject_reason IS NULL
         ORDER BY periode, code_territoire, code_rome, source_file, source_line"
    );
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        csv_reject_columns("jobseekers", &["periode", "code_territoire", "type_territoire", "code_rome", "de_a", "de_abc", "sorties_abc_12m", "entrees_a_12m"])
    );
    staged(context, "silver.jobseekers", &rows, &rejects).await
}

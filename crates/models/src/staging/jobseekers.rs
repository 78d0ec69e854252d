//! `silver.jobseekers`: counts typed (`*` and empty are NULL, never 0), periods typed (a
//! month `YYYY-MM` or a quarter `YYYYTn`), each row placed in its bassin: rows given by
//! commune keep their commune and get its bassin; rows given by BMO bassin (the Marché du
//! travail API's `BASBMO`) are shared onto the grid by the BMO crosswalk's weights (weight
//! 1 when the grid is the BMO bassins), each share rounded to a whole person.

use datafusion::prelude::SessionContext;

use super::{Rule, Staged, classification, reject_columns, staged};
use crate::error::Result;
use crate::geocoding::commune_of;
use crate::parameters::Parameters;

/// Where `skillgap fetch labour-market` lands its answers, under the output directory: the
/// rows read from there are the `labour_market` input's (its rejects count against it).
pub const LABOUR_MARKET_LANDING: &str = "landing/labour_market/answers";

/// Builds `silver.jobseekers` and its rejects.
pub async fn jobseekers(context: &SessionContext, parameters: &Parameters) -> Result<Staged> {
    let counts = ["de_a", "de_abc", "sorties_abc_12m", "entrees_a_12m"];
    let bad_count = counts.iter().map(|c| format!("is_bad_count({c})")).collect::<Vec<_>>().join(" OR ");
    let bad_count_detail = counts
        .iter()
        .map(|c| format!("CASE WHEN is_bad_count({c}) THEN '{c}=' || {c} END"))
        .collect::<Vec<_>>()
        .join(", ");
    let crosswalk = if parameters.grid_is_bmo_bassins {
        "SELECT DISTINCT code_bassin AS code_bassin_bmo, code_bassin, CAST(1.0 AS DOUBLE) AS poids FROM staging.communes"
    } else {
        "SELECT code_bassin_bmo, code_bassin, poids FROM staging.bmo_bassins"
    };
    let bad_count_detail =
        format!("'not a count (a non-negative integer, * or empty): ' || concat_ws(', ', {bad_count_detail})");
    let rules = [
        Rule {
            condition: "period_start(periode) IS NULL",
            reason: "bad_period",
            detail: "'periode is neither a month YYYY-MM nor a quarter YYYYTn: ' || COALESCE(periode, 'NULL')",
        },
        Rule {
            condition: "code_rome IS NULL OR known_rome IS NULL",
            reason: "bad_rome",
            detail: "'code_rome ' || COALESCE(code_rome, 'NULL') || ' is not in the ROME referential'",
        },
        Rule {
            condition: "type_territoire IS NULL OR type_territoire NOT IN ('bassin', 'commune', 'bassin_bmo')",
            reason: "bad_territory",
            detail: "'type_territoire must be bassin, commune or bassin_bmo: ' || COALESCE(type_territoire, 'NULL')",
        },
        Rule {
            condition: "resolved_bassin IS NULL",
            reason: "unknown_territory",
            detail: "type_territoire || ' ' || COALESCE(code_territoire, 'NULL') || ' is not in the grid' || CASE WHEN type_territoire = 'bassin_bmo' THEN ' (or its BMO correspondence file)' ELSE '' END",
        },
        Rule { condition: &bad_count, reason: "bad_count", detail: &bad_count_detail },
    ];
    let classification = classification(&rules);
    let classified = format!(
        "WITH bassins AS (SELECT DISTINCT code_bassin FROM staging.communes),
         crosswalk AS ({crosswalk}),
         known_bmo AS (SELECT DISTINCT code_bassin_bmo FROM crosswalk),
         located AS (
            SELECT j.*,
              CASE WHEN j.type_territoire = 'bassin' THEN b.code_bassin
                   WHEN j.type_territoire = 'commune' THEN c.code_bassin
                   WHEN j.type_territoire = 'bassin_bmo' THEN k.code_bassin_bmo END AS resolved_bassin,
              r.code_rome AS known_rome
            FROM bronze.jobseekers j
            LEFT JOIN bassins b ON j.type_territoire = 'bassin' AND b.code_bassin = j.code_territoire
            LEFT JOIN staging.communes c ON j.type_territoire = 'commune' AND c.code_commune = {commune}
            LEFT JOIN known_bmo k ON j.type_territoire = 'bassin_bmo' AND k.code_bassin_bmo = lpad(j.code_territoire, 4, '0')
            LEFT JOIN staging.rome r ON r.code_rome = j.code_rome
         ), classified AS (
            SELECT *,
              {classification}
            FROM located
         )",
        commune = commune_of("j.code_territoire"),
    );
    // A BMO bassin's row becomes one row per grid bassin it covers, its counts times the weight.
    let share = |column: &str| {
        format!(
            "CASE WHEN x.poids IS NULL THEN parse_count({column}) ELSE CAST(round(parse_count({column}) * x.poids) AS BIGINT) END AS {column}"
        )
    };
    let rows = format!(
        "{classified}
         SELECT k.periode, period_start(k.periode) AS periode_debut, period_end(k.periode) AS periode_fin,
                CASE WHEN k.periode LIKE '%T%' THEN 'trimestre' ELSE 'mois' END AS type_periode,
                k.type_territoire, k.code_territoire, COALESCE(x.code_bassin, k.resolved_bassin) AS code_bassin, k.code_rome,
                {de_a}, {de_abc}, {sorties}, {entrees},
                k.source_file, k.source_line
         FROM classified k
         LEFT JOIN crosswalk x ON k.type_territoire = 'bassin_bmo' AND x.code_bassin_bmo = k.resolved_bassin
         WHERE k.reject_reason IS NULL
         ORDER BY periode, code_territoire, code_bassin, code_rome, source_file, source_line",
        de_a = share("de_a"),
        de_abc = share("de_abc"),
        sorties = share("sorties_abc_12m"),
        entrees = share("entrees_a_12m"),
    );
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        reject_columns(
            &format!(
                "CASE WHEN starts_with(source_file, '{LABOUR_MARKET_LANDING}/') THEN 'labour_market' ELSE 'jobseekers' END"
            ),
            &[
                "periode",
                "code_territoire",
                "type_territoire",
                "code_rome",
                "de_a",
                "de_abc",
                "sorties_abc_12m",
                "entrees_a_12m"
            ]
        )
    );
    staged(context, "silver.jobseekers", &rows, &rejects).await
}

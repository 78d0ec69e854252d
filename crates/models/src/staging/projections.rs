//! `silver.projections` (*Les métiers en 2030*, the region's rows) and `silver.employment`
//! (employment by bassin and FAP, communes summed into their bassin). Numbers are read
//! with a decimal comma or point; a FAP that no ROME of `rome.csv` belongs to is a reject
//! (`unknown_fap`); the file's identities are checked by [`projection_identity_errors`].

use datafusion::prelude::SessionContext;

use super::{Rule, Staged, classification, csv_reject_columns, staged, texts};
use crate::error::Result;

/// The number columns of the projections file (thousands over 2019–2030).
pub const PROJECTION_NUMBERS: [&str; 7] = [
    "emploi_2019",
    "creations_nettes",
    "departs_fin_carriere",
    "jeunes_debutants",
    "solde_mobilites",
    "desequilibre",
    "postes_a_pourvoir",
];

/// The rejects of an input that is not configured: none, with the rejects' columns.
const NO_REJECTS: &str = "SELECT CAST(NULL AS VARCHAR) AS input, CAST(NULL AS VARCHAR) AS source_file, CAST(NULL AS VARCHAR) AS location, CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR) AS detail, CAST(NULL AS VARCHAR) AS raw_value WHERE false";

/// Why an employment row is rejected, in order of precedence.
const EMPLOYMENT_REJECTS: [Rule<'static>; 4] = [
    Rule {
        condition: "code_fap IS NULL OR code_territoire IS NULL",
        reason: "missing_value",
        detail: "'code_territoire and code_fap are required'",
    },
    Rule {
        condition: "lower(trim(type_territoire)) NOT IN ('bassin', 'commune')",
        reason: "bad_territory",
        detail: "'type_territoire must be bassin or commune'",
    },
    Rule {
        condition: "emploi_n IS NULL OR emploi_n < 0",
        reason: "bad_count",
        detail: "'emploi is not a non-negative number'",
    },
    Rule {
        condition: "bassin IS NULL",
        reason: "unknown_territory",
        detail: "'territory ' || code_territoire || ' is not in the grid'",
    },
];

/// Tolerance of the identities: the file rounds each figure to a tenth.
pub const IDENTITY_TOLERANCE: f64 = 0.3;

fn number(column: &str) -> String {
    format!("try_cast(replace(trim({column}), ',', '.') AS DOUBLE)")
}

fn classified(region: Option<&str>) -> String {
    let typed: Vec<String> = PROJECTION_NUMBERS.iter().map(|c| format!("{} AS {c}_n", number(c))).collect();
    let unreadable: Vec<String> = PROJECTION_NUMBERS.iter().map(|c| format!("({c}_n IS NULL)")).collect();
    let in_region = region.map_or_else(|| "true".to_owned(), |r| format!("trim(region) = '{r}'"));
    let unreadable = unreadable.join(" OR ");
    let rules = [
        Rule {
            condition: "code_fap IS NULL OR trim(code_fap) = ''",
            reason: "missing_value",
            detail: "'code_fap is required'",
        },
        Rule { condition: &unreadable, reason: "bad_count", detail: "'a figure is not a number'" },
        Rule {
            condition: "known_fap IS NULL",
            reason: "unknown_fap",
            detail: "'FAP ' || code_fap || ' has no ROME in rome.csv (code_fap): its projections cannot reach a bassin'",
        },
    ];
    format!(
        "WITH typed AS (
            SELECT p.*, {typed}, {tension} AS niveau_tension_2019_n, f.code_fap AS known_fap
            FROM bronze.projections p
            LEFT JOIN (SELECT DISTINCT code_fap FROM staging.rome WHERE code_fap IS NOT NULL) f ON f.code_fap = upper(trim(p.code_fap))
            WHERE {in_region}
         ), classified AS (
            SELECT *,
              {classification}
            FROM typed
         )",
        typed = typed.join(", "),
        tension = "try_cast(trim(niveau_tension_2019) AS BIGINT)",
        classification = classification(&rules),
    )
}

/// `silver.projections`: the region's rows (`region` = `region_code` when given).
/// `configured` false gives the empty table.
pub async fn projections(context: &SessionContext, configured: bool, region: Option<&str>) -> Result<Staged> {
    if !configured {
        let columns =
            PROJECTION_NUMBERS.iter().map(|c| format!("CAST(NULL AS DOUBLE) AS {c}")).collect::<Vec<_>>().join(", ");
        let empty = format!(
            "SELECT CAST(NULL AS VARCHAR) AS code_fap, CAST(NULL AS VARCHAR) AS libelle_fap, CAST(NULL AS VARCHAR) AS region, {columns}, CAST(NULL AS BIGINT) AS niveau_tension_2019, CAST(NULL AS VARCHAR) AS source_file, CAST(NULL AS BIGINT) AS source_line WHERE false"
        );
        return staged(context, "silver.projections", &empty, NO_REJECTS).await;
    }
    let classified = classified(region);
    let numbers = PROJECTION_NUMBERS.iter().map(|c| format!("{c}_n AS {c}")).collect::<Vec<_>>().join(", ");
    let rows = format!(
        "{classified} SELECT upper(trim(code_fap)) AS code_fap, trim(libelle_fap) AS libelle_fap, trim(region) AS region, {numbers}, niveau_tension_2019_n AS niveau_tension_2019, source_file, CAST(source_line AS BIGINT) AS source_line
         FROM classified WHERE reject_reason IS NULL ORDER BY code_fap"
    );
    let mut raw = vec!["code_fap", "libelle_fap", "region"];
    raw.extend(PROJECTION_NUMBERS);
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        csv_reject_columns("projections", &raw)
    );
    staged(context, "silver.projections", &rows, &rejects).await
}

/// Rows of the projections that break the file's identities (postes à pourvoir =
/// créations nettes + départs; déséquilibre = postes − débutants − arrivées nettes, where
/// débutants are negative in the file and a negative mobility balance is net arrivals),
/// as « file, line N (FAP X): … » messages.
pub async fn projection_identity_errors(context: &SessionContext, region: Option<&str>) -> Result<Vec<String>> {
    let sql = format!(
        "{classified}
         SELECT source_file || ', line ' || CAST(source_line AS VARCHAR) || ' (FAP ' || code_fap || '): ' ||
                CASE WHEN abs(postes_a_pourvoir_n - creations_nettes_n - departs_fin_carriere_n) > {tolerance}
                     THEN 'postes à pourvoir ' || CAST(postes_a_pourvoir_n AS VARCHAR) || ' ≠ créations nettes ' || CAST(creations_nettes_n AS VARCHAR) || ' + départs en fin de carrière ' || CAST(departs_fin_carriere_n AS VARCHAR)
                     ELSE 'déséquilibre ' || CAST(desequilibre_n AS VARCHAR) || ' ≠ postes à pourvoir ' || CAST(postes_a_pourvoir_n AS VARCHAR) || ' + jeunes débutants ' || CAST(jeunes_debutants_n AS VARCHAR) || ' + solde des mobilités ' || CAST(solde_mobilites_n AS VARCHAR) END
         FROM classified
         WHERE reject_reason IS NULL
           AND (abs(postes_a_pourvoir_n - creations_nettes_n - departs_fin_carriere_n) > {tolerance}
                OR abs(desequilibre_n - (postes_a_pourvoir_n + jeunes_debutants_n + solde_mobilites_n)) > {tolerance})
         ORDER BY source_line",
        classified = classified(region),
        tolerance = IDENTITY_TOLERANCE,
    );
    texts(context, "silver.projections", &sql).await
}

/// The regions present in the projections file.
pub async fn projection_regions(context: &SessionContext) -> Result<Vec<String>> {
    let sql = "SELECT DISTINCT trim(region) FROM bronze.projections WHERE region IS NOT NULL ORDER BY 1";
    texts(context, "silver.projections", sql).await
}

/// `silver.employment`: employment by bassin and FAP (commune rows summed into their
/// bassin). `configured` false gives the empty table.
pub async fn employment(context: &SessionContext, configured: bool) -> Result<Staged> {
    if !configured {
        let empty = "SELECT CAST(NULL AS VARCHAR) AS code_bassin, CAST(NULL AS VARCHAR) AS code_fap, CAST(NULL AS DOUBLE) AS emploi WHERE false";
        return staged(context, "silver.employment", empty, NO_REJECTS).await;
    }
    let classified = format!(
        "WITH typed AS (
            SELECT e.*, {emploi} AS emploi_n,
                   CASE lower(trim(e.type_territoire)) WHEN 'bassin' THEN b.code_bassin WHEN 'commune' THEN c.code_bassin END AS bassin
            FROM bronze.employment e
            LEFT JOIN staging.bassins b ON lower(trim(e.type_territoire)) = 'bassin' AND b.code_bassin = trim(e.code_territoire)
            LEFT JOIN staging.communes c ON lower(trim(e.type_territoire)) = 'commune' AND c.code_commune = trim(e.code_territoire)
         ), classified AS (
            SELECT *,
              {classification}
            FROM typed
         )",
        emploi = number("emploi"),
        classification = classification(&EMPLOYMENT_REJECTS),
    );
    let rows = format!(
        "{classified} SELECT bassin AS code_bassin, upper(trim(code_fap)) AS code_fap, SUM(emploi_n) AS emploi FROM classified WHERE reject_reason IS NULL GROUP BY bassin, upper(trim(code_fap)) ORDER BY 1, 2"
    );
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        csv_reject_columns("employment", &["code_territoire", "type_territoire", "code_fap", "emploi"])
    );
    staged(context, "silver.employment", &rows, &rejects).await
}

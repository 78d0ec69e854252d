//! `silver.labour_market_tension`: France Travail's recruitment-difficulty figures
//! (PERSP_2, *Marché du travail* API) typed — the year, the rank 1–5 (`valeurPrincipaleNombre`,
//! else a numeric `valeurPrincipaleNom`, the field older clients read), the decimal score —
//! each placed in the grid bassins that take their figures from its BMO bassin (a rank
//! cannot be shared by weight: a grid bassin takes its BMO bassin of largest weight; on the
//! BMO grid, itself), with rejects for a year that does not parse, a ROME outside the
//! referential, a BMO bassin outside the grid's crosswalk, an unknown indicator code or a
//! rank outside 1–5.

use datafusion::prelude::SessionContext;

use super::{Rule, Staged, classification, staged};
use crate::error::Result;
use crate::parameters::Parameters;

/// PERSP_2's codes (`TYPE_TENSION`) and their French labels, in the sheets' order: the
/// main indicator first, then its causes.
pub const TENSION_CODES: [(&str, &str); 8] = [
    ("PERSPECTIVE", "tension (indicateur principal)"),
    ("MAIN_OEUVRE", "main-d'œuvre disponible"),
    ("INT_EMB", "intensité d'embauches"),
    ("COND_TRAVAIL", "conditions de travail"),
    ("DUR_EMPL", "durabilité de l'emploi"),
    ("MISMATCH_GEO", "inadéquation géographique"),
    ("SPECIF_FORM_EMPL", "lien formation-emploi"),
    ("ATTR_SALARIALE", "attractivité salariale"),
];

/// Builds `silver.labour_market_tension` and its rejects.
pub async fn labour_market_tension(context: &SessionContext, parameters: &Parameters) -> Result<Staged> {
    let crosswalk = if parameters.grid_is_bmo_bassins {
        "SELECT DISTINCT code_bassin, code_bassin AS code_bassin_bmo, CAST(1.0 AS DOUBLE) AS poids FROM staging.communes"
    } else {
        "SELECT code_bassin, code_bassin_bmo, poids FROM staging.bmo_bassins"
    };
    let codes = TENSION_CODES.iter().map(|(code, _)| format!("'{code}'")).collect::<Vec<_>>().join(", ");
    let unknown_code = format!("code_indicateur NOT IN ({codes})");
    let bad_rank = "'the rank is not a whole number from 1 to 5: ' || COALESCE(valeur_nombre, valeur_nom)";
    let rules = [
        Rule {
            condition: "annee_n IS NULL",
            reason: "bad_period",
            detail: "'codePeriode is not a year: ' || COALESCE(annee, 'NULL')",
        },
        Rule {
            condition: "known_rome IS NULL",
            reason: "bad_rome",
            detail: "'codeActivite ' || COALESCE(code_rome, 'NULL') || ' is not in the ROME referential'",
        },
        Rule {
            condition: "type_territoire IS DISTINCT FROM 'bassin_bmo'",
            reason: "bad_territory",
            detail: "'codeTypeTerritoire must be BASBMO: ' || COALESCE(type_territoire, 'NULL')",
        },
        Rule {
            condition: "known_bassin IS NULL",
            reason: "unknown_bassin",
            detail: "'BMO bassin ' || bassin_bmo || ' is not in the grid (or its correspondence file)'",
        },
        Rule {
            condition: &unknown_code,
            reason: "missing_value",
            detail: "'unknown TYPE_TENSION code ' || code_indicateur",
        },
        Rule {
            condition: "rang_n IS NOT NULL AND (rang_n < 1 OR rang_n > 5 OR rang_n <> round(rang_n))",
            reason: "bad_count",
            detail: bad_rank,
        },
        Rule {
            condition: "COALESCE(valeur_nombre, valeur_nom) IS NOT NULL AND rang_n IS NULL",
            reason: "bad_count",
            detail: bad_rank,
        },
    ];
    let classification = classification(&rules);
    let classified = format!(
        "WITH crosswalk AS ({crosswalk}),
         known_bmo AS (SELECT DISTINCT code_bassin_bmo FROM crosswalk),
         typed AS (
            SELECT t.*, lpad(trim(t.code_territoire), 4, '0') AS bassin_bmo,
                   CASE WHEN length(trim(t.annee)) = 4 THEN try_cast(trim(t.annee) AS INT) END AS annee_n,
                   try_cast(COALESCE(t.valeur_nombre, t.valeur_nom) AS DOUBLE) AS rang_n,
                   try_cast(t.valeur_decimale AS DOUBLE) AS score_n,
                   k.code_bassin_bmo AS known_bassin, r.code_rome AS known_rome
            FROM bronze.labour_market_tension t
            LEFT JOIN known_bmo k ON k.code_bassin_bmo = lpad(trim(t.code_territoire), 4, '0')
            LEFT JOIN staging.rome r ON r.code_rome = t.code_rome
         ), classified AS (
            SELECT *,
              {classification}
            FROM typed
         )"
    );
    let rows = format!(
        "{classified}, main_bmo AS (
            SELECT code_bassin, code_bassin_bmo FROM (
                SELECT code_bassin, code_bassin_bmo, ROW_NUMBER() OVER (PARTITION BY code_bassin ORDER BY poids DESC, code_bassin_bmo) AS position
                FROM crosswalk
            ) ranked WHERE position = 1
         )
         SELECT c.annee_n AS annee, c.bassin_bmo AS code_bassin_bmo, m.code_bassin, c.code_rome, c.code_indicateur, c.libelle_indicateur,
                CAST(c.rang_n AS BIGINT) AS rang, c.score_n AS score, c.date_maj, c.source_file, c.source_line
         FROM classified c LEFT JOIN main_bmo m ON m.code_bassin_bmo = c.bassin_bmo
         WHERE c.reject_reason IS NULL
         ORDER BY annee, code_bassin_bmo, code_bassin, code_rome, code_indicateur"
    );
    let rejects = format!(
        "{classified}
         SELECT 'labour_market' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location, reject_reason AS reason, reject_detail AS detail,
                concat_ws(',', COALESCE(annee, ''), COALESCE(code_territoire, ''), COALESCE(code_rome, ''), COALESCE(code_indicateur, ''), COALESCE(valeur_nombre, ''), COALESCE(valeur_decimale, '')) AS raw_value
         FROM classified WHERE reject_reason IS NOT NULL"
    );
    staged(context, "silver.labour_market_tension", &rows, &rejects).await
}

//! `silver.bmo`: the BMO survey with codes padded (`BE` to 4 characters, `REG` to 2),
//! masked values NULL, each row spread onto the grid with its weight (1 when the grid is
//! the BMO bassins, else from `bmo_bassins.csv`).

use datafusion::prelude::SessionContext;

use super::{Rule, Staged, classification, csv_reject_columns, staged};
use crate::error::Result;
use crate::parameters::Parameters;

/// Builds `silver.bmo` and its rejects.
pub async fn bmo(context: &SessionContext, parameters: &Parameters) -> Result<Staged> {
    let counts = ["met", "xmet", "smet"];
    let bad_count = counts.iter().map(|c| format!("is_bad_count({c})")).collect::<Vec<_>>().join(" OR ");
    let crosswalk = if parameters.grid_is_bmo_bassins {
        "SELECT DISTINCT code_bassin AS code_bassin_bmo, code_bassin, CAST(1.0 AS DOUBLE) AS poids FROM staging.communes"
    } else {
        "SELECT code_bassin_bmo, code_bassin, poids FROM staging.bmo_bassins"
    };
    let rules = [
        Rule {
            condition: "parse_count(annee) IS NULL",
            reason: "bad_date",
            detail: "'annee is not a year: ' || COALESCE(annee, 'NULL')",
        },
        Rule { condition: "code_metier_bmo IS NULL", reason: "missing_value", detail: "'code_metier_bmo is required'" },
        Rule {
            condition: "known_bassin IS NULL",
            reason: "unknown_bassin",
            detail: "'BMO bassin ' || COALESCE(bassin_bmo, 'NULL') || ' is not in the grid (or its correspondence file)'",
        },
        Rule {
            condition: &bad_count,
            reason: "bad_count",
            detail: "'met, xmet and smet must be non-negative integers or *'",
        },
    ];
    let classification = classification(&rules);
    let classified = format!(
        "WITH padded AS (
            SELECT *, lpad(code_bassin_bmo, 4, '0') AS bassin_bmo, lpad(code_region, 2, '0') AS region
            FROM bronze.bmo
         ), crosswalk AS ({crosswalk}),
         matched AS (
            SELECT p.*, k.known_bassin
            FROM padded p LEFT JOIN (SELECT DISTINCT code_bassin_bmo AS known_bassin FROM crosswalk) k ON k.known_bassin = p.bassin_bmo
         ), classified AS (
            SELECT *,
              {classification}
            FROM matched
         )"
    );
    let rows = format!(
        "{classified}
         SELECT CAST(parse_count(c.annee) AS INT) AS annee, c.code_metier_bmo, c.nom_metier_bmo, c.region AS code_region, c.code_departement,
                c.bassin_bmo AS code_bassin_bmo, c.nom_bassin_bmo, x.code_bassin, x.poids,
                parse_count(c.met) AS met, parse_count(c.xmet) AS xmet, parse_count(c.smet) AS smet,
                c.source_file, c.source_line
         FROM classified c JOIN crosswalk x ON x.code_bassin_bmo = c.bassin_bmo
         WHERE c.reject_reason IS NULL
         ORDER BY annee, code_bassin, code_metier_bmo, code_bassin_bmo"
    );
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        csv_reject_columns("bmo", &["annee", "code_metier_bmo", "code_bassin_bmo", "met", "xmet", "smet"])
    );
    staged(context, "silver.bmo", &rows, &rejects).await
}

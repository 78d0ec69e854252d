//! `gold.specialty_gap` — grain (bassin, code_nsf): the training supply of each specialty
//! (unweighted: a session counts once, under its specialty) beside the demand linked to
//! it, `postes_lies` = Σ over the bassin's ROME rows of postes × v(r, n), v(r, n) being
//! the share of the ROME's Formacodes (those with an NSF) whose NSF is n.

use super::supply::{Weighting, aggregates, exact_sum, rates};
use crate::parameters::Parameters;

/// The SQL of the table.
pub fn sql(parameters: &Parameters) -> String {
    let in_windows = format!(
        "{} OR {} OR {}",
        parameters.sql_in_w12("date_debut"),
        parameters.sql_in_f6("date_fin"),
        parameters.sql_in_observable("date_fin")
    );
    format!(
        "WITH supply AS (
            SELECT code_bassin, code_nsf, {supply}, COUNT(*) FILTER (WHERE {in_windows}) AS sessions_fenetres
            FROM silver.sessions GROUP BY code_bassin, code_nsf
         ), rome_nsf AS (
            SELECT code_rome, code_nsf, formacodes_nsf, SUM(formacodes_nsf) OVER (PARTITION BY code_rome) AS formacodes_avec_nsf
            FROM (
              SELECT rf.code_rome, f.code_nsf, COUNT(*) AS formacodes_nsf
              FROM staging.rome_formacode rf JOIN staging.formacode f ON f.formacode = rf.formacode
              WHERE f.code_nsf IS NOT NULL GROUP BY rf.code_rome, f.code_nsf
            )
         ), demand AS (
            SELECT g.code_bassin, v.code_nsf, {postes_lies} AS postes_lies
            FROM gold.competence_gap g JOIN rome_nsf v ON v.code_rome = g.code_rome
            GROUP BY g.code_bassin, v.code_nsf
         ), keys AS (
            SELECT code_bassin, code_nsf FROM supply WHERE sessions_fenetres > 0
            UNION SELECT code_bassin, code_nsf FROM demand WHERE postes_lies > 0
         ), joined AS (
            SELECT k.code_bassin, k.code_nsf, n.libelle_nsf, s.*, COALESCE(d.postes_lies, 0.0) AS postes_lies
            FROM keys k
            LEFT JOIN supply s ON s.code_bassin = k.code_bassin AND s.code_nsf = k.code_nsf
            LEFT JOIN demand d ON d.code_bassin = k.code_bassin AND d.code_nsf = k.code_nsf
            LEFT JOIN staging.nsf n ON n.code_nsf = k.code_nsf
         )
         SELECT code_bassin, code_nsf, libelle_nsf,
                COALESCE(sessions_12m, 0) AS sessions_12m, places_12m, entrees_12m, taux_remplissage,
                COALESCE(sessions_sous_80, 0) AS sessions_sous_80, part_prioritaires,
                sortants_prevus_6m, taux_emploi_6m, postes_lies,
                CASE WHEN postes_lies > 0 THEN places_12m / postes_lies END AS couverture
         FROM (SELECT *, {rates} FROM joined)
         ORDER BY code_bassin, code_nsf",
        supply = aggregates(parameters, Weighting::Unweighted),
        rates = rates(parameters),
        postes_lies = exact_sum("g.postes * v.formacodes_nsf", "v.formacodes_avec_nsf", "g.postes > 0"),
    )
}

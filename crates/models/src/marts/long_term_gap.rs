//! `gold.long_term_gap` — grain (bassin, code_fap): the region's 2019–2030 projections
//! (*Les métiers en 2030*) shared among its bassins by a key k(b, f) — the bassin's share
//! of the region's employment in FAP f when `employment.csv` is given, else its share of
//! the region's W12 positions in the ROMEs of f (NULL when the region has none) — as
//! yearly figures (× 1000 / 11), beside today's training capacity for those ROMEs.

use super::supply::exact_sum;
use crate::HORS_BASSIN;
use crate::parameters::Parameters;

/// Years of the projection period 2019–2030.
pub const PROJECTION_YEARS: f64 = 11.0;

/// The SQL of the table.
pub fn sql(parameters: &Parameters) -> String {
    let (key_table, source) = if parameters.employment_key {
        (
            "SELECT code_bassin, code_fap, emploi AS weight FROM silver.employment WHERE code_bassin <> 'HORS_BASSIN'",
            "emploi",
        )
    } else {
        ("SELECT code_bassin, code_fap, CAST(postes AS DOUBLE) AS weight FROM positions", "offres")
    };
    let yearly = |column: &str| format!("p.{column} * 1000.0 / {PROJECTION_YEARS:.1} * k.k");
    format!(
        "WITH bassins AS (
            SELECT code_bassin FROM staging.bassins WHERE code_bassin <> '{HORS_BASSIN}'
         ), fap_romes AS (
            SELECT code_rome, code_fap FROM staging.rome WHERE code_fap IS NOT NULL
         ), positions AS (
            SELECT g.code_bassin, f.code_fap, SUM(g.postes) AS postes,
                   {capacity} AS capacite_12m
            FROM gold.competence_gap g JOIN fap_romes f ON f.code_rome = g.code_rome
            WHERE g.code_bassin <> '{HORS_BASSIN}'
            GROUP BY g.code_bassin, f.code_fap
         ), weights AS ({key_table}
         ), region_totals AS (
            SELECT code_fap, SUM(weight) AS total FROM weights GROUP BY code_fap
         ), keys AS (
            SELECT b.code_bassin, p.code_fap,
                   CASE WHEN t.total > 0 THEN COALESCE(w.weight, 0.0) / t.total END AS k
            FROM bassins b CROSS JOIN (SELECT DISTINCT code_fap FROM silver.projections) p
            LEFT JOIN region_totals t ON t.code_fap = p.code_fap
            LEFT JOIN weights w ON w.code_bassin = b.code_bassin AND w.code_fap = p.code_fap
         ), shared AS (
            SELECT k.code_bassin, p.code_fap, p.libelle_fap,
                   {postes} AS postes_a_pourvoir_an,
                   {departs} AS departs_fin_carriere_an,
                   {creations} AS creations_nettes_an,
                   -({debutants}) AS jeunes_debutants_an,
                   {desequilibre} AS desequilibre_an,
                   c.capacite_12m, p.niveau_tension_2019, k.k AS cle_repartition
            FROM keys k
            JOIN silver.projections p ON p.code_fap = k.code_fap
            LEFT JOIN positions c ON c.code_bassin = k.code_bassin AND c.code_fap = k.code_fap
         )
         SELECT code_bassin, code_fap, libelle_fap, postes_a_pourvoir_an, departs_fin_carriere_an, creations_nettes_an,
                jeunes_debutants_an, desequilibre_an, capacite_12m,
                CASE WHEN postes_a_pourvoir_an > 0 THEN capacite_12m / postes_a_pourvoir_an END AS couverture_long_terme,
                niveau_tension_2019, cle_repartition, '{source}' AS source_cle
         FROM shared
         ORDER BY code_bassin, code_fap",
        capacity = exact_sum("g.capacite_12m", "1", "true"),
        postes = yearly("postes_a_pourvoir"),
        departs = yearly("departs_fin_carriere"),
        creations = yearly("creations_nettes"),
        debutants = yearly("jeunes_debutants"),
        desequilibre = yearly("desequilibre"),
    )
}

//! `gold.bassin_summary` — grain (bassin): the totals of the sheet header and the
//! regional index, as ratios of sums (never means of rates): demand and jobseekers summed
//! from `gold.competence_gap` (so the tables agree), BMO from the BMO table itself (a
//! métier counted once, not once per ROME), supply over every session of the bassin,
//! tension counts, data-quality shares, and each rate's rank among the run's bassins.
//! Every bassin of the grid has a row, and so has `HORS_BASSIN`.

use super::selection::selected_year;
use super::supply::{Weighting, aggregates, rates};
use crate::HORS_BASSIN;
use crate::parameters::Parameters;

/// The rates ranked (`rang_<rate>`): SQL RANK() descending, NULL for a NULL rate and for
/// `HORS_BASSIN`.
pub const RANKED_RATES: [&str; 4] =
    ["part_metiers_en_tension", "part_difficiles", "taux_remplissage", "taux_emploi_6m"];

/// The SQL of the table.
pub fn sql(parameters: &Parameters) -> String {
    let w12 = parameters.sql_in_w12("date_debut");
    let ranks = RANKED_RATES
        .iter()
        .map(|rate| {
            let ranked = format!("code_bassin <> '{HORS_BASSIN}' AND {rate} IS NOT NULL");
            format!("CASE WHEN {ranked} THEN CAST(RANK() OVER (PARTITION BY {ranked} ORDER BY {rate} DESC) AS BIGINT) END AS rang_{rate}")
        })
        .collect::<Vec<_>>()
        .join(",\n");
    format!(
        "WITH bassins AS (
            SELECT code_bassin, libelle_bassin, code_departement FROM staging.bassins WHERE code_bassin <> '{HORS_BASSIN}'
            UNION ALL SELECT '{HORS_BASSIN}', 'Hors bassin', CAST(NULL AS VARCHAR)
         ), gap AS (
            SELECT code_bassin, SUM(offres) AS offres, SUM(postes) AS postes, SUM(de_a) AS de_a,
                   COUNT(*) FILTER (WHERE en_tension) AS metiers_en_tension,
                   COUNT(*) FILTER (WHERE niveau_tension IS NOT NULL) AS metiers_evalues
            FROM gold.competence_gap GROUP BY code_bassin
         ), placement AS (
            SELECT code_bassin, COUNT(*) FILTER (WHERE geo_method = 'commune') AS offres_geo_commune, COUNT(*) AS offres_w12
            FROM silver.offers WHERE {offers_w12} GROUP BY code_bassin
         ), {selected_year}, bmo AS (
            SELECT b.code_bassin,
                   SUM(CAST(b.met AS DOUBLE) * b.poids) AS bmo_projets,
                   SUM(CAST(b.xmet AS DOUBLE) * b.poids) FILTER (WHERE b.met IS NOT NULL AND b.xmet IS NOT NULL) AS difficiles_connus,
                   SUM(CAST(b.met AS DOUBLE) * b.poids) FILTER (WHERE b.met IS NOT NULL AND b.xmet IS NOT NULL) AS projets_connus
            FROM silver.bmo b JOIN selected_year y ON b.annee = y.annee GROUP BY b.code_bassin
         ), with_metiers AS (SELECT DISTINCT session_id FROM intermediate.session_metiers
         ), supply AS (
            SELECT s.code_bassin, {supply},
                   COUNT(*) FILTER (WHERE {w12} AND s.places IS NOT NULL) AS sessions_places_connues,
                   COUNT(*) FILTER (WHERE {w12} AND s.entrees IS NOT NULL) AS sessions_resultats_connus,
                   COUNT(*) FILTER (WHERE {w12} AND m.session_id IS NULL) AS sessions_sans_metier,
                   COUNT(*) FILTER (WHERE {w12} AND m.session_id IS NULL AND s.formacodes IS NOT NULL) AS sessions_formacode_sans_metier
            FROM silver.sessions s LEFT JOIN with_metiers m ON m.session_id = s.session_id
            GROUP BY s.code_bassin
         ), supply_rated AS (SELECT *, {supply_rates} FROM supply
         ), joined AS (
            SELECT b.code_bassin, b.libelle_bassin, b.code_departement,
                   COALESCE(g.offres, 0) AS offres, COALESCE(g.postes, 0) AS postes, g.de_a,
                   {ratio_offres_de_a} AS ratio_offres_de_a,
                   x.bmo_projets, {part_difficiles} AS part_difficiles,
                   COALESCE(s.sessions_12m, 0) AS sessions_12m, s.places_12m, s.entrees_12m,
                   s.taux_remplissage, s.part_prioritaires, s.taux_emploi_6m,
                   COALESCE(s.sessions_sous_80, 0) AS sessions_sous_80, s.sortants_prevus_6m,
                   COALESCE(g.metiers_en_tension, 0) AS metiers_en_tension, COALESCE(g.metiers_evalues, 0) AS metiers_evalues,
                   CASE WHEN g.metiers_evalues > 0 THEN CAST(g.metiers_en_tension AS DOUBLE) / g.metiers_evalues END AS part_metiers_en_tension,
                   COALESCE(s.sessions_sans_metier, 0) AS sessions_sans_metier,
                   COALESCE(s.sessions_formacode_sans_metier, 0) AS sessions_formacode_sans_metier,
                   CASE WHEN b.code_bassin = '{HORS_BASSIN}' THEN COALESCE(g.offres, 0) END AS offres_hors_bassin,
                   CASE WHEN p.offres_w12 > 0 THEN CAST(p.offres_geo_commune AS DOUBLE) / p.offres_w12 END AS part_offres_geo_commune,
                   CASE WHEN s.sessions_12m > 0 THEN CAST(s.sessions_places_connues AS DOUBLE) / s.sessions_12m END AS part_sessions_places_connues,
                   CASE WHEN s.sessions_12m > 0 THEN CAST(s.sessions_resultats_connus AS DOUBLE) / s.sessions_12m END AS part_sessions_resultats_connus
            FROM bassins b
            LEFT JOIN gap g ON g.code_bassin = b.code_bassin
            LEFT JOIN placement p ON p.code_bassin = b.code_bassin
            LEFT JOIN bmo x ON x.code_bassin = b.code_bassin
            LEFT JOIN supply_rated s ON s.code_bassin = b.code_bassin
         )
         SELECT *, {ranks}
         FROM joined
         ORDER BY code_bassin",
        offers_w12 = parameters.sql_in_w12("date_offre"),
        selected_year = selected_year(parameters),
        supply = aggregates(parameters, Weighting::Unweighted),
        supply_rates = rates(parameters),
        part_difficiles = parameters.sql_rate("x.difficiles_connus", "x.projets_connus"),
        ratio_offres_de_a = parameters.sql_rate("COALESCE(g.offres, 0)", "g.de_a"),
    )
}

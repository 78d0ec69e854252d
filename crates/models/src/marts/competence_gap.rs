//! `gold.competence_gap` — grain (bassin, code_rome): demand over W12 (offers, positions,
//! durable offers), jobseekers of the selected month, BMO of the selected year, the
//! three tension components with their thresholds, the tension index (over the components
//! the run has, weights renormalised), level and label (`metrics.md` § Tension), the
//! training supply shared among each session's métiers, and the gap (`besoin_12m`,
//! `ecart`, `couverture`, competences, `priorite`).

use super::selection::{selected_month, selected_year};
use super::supply::{Weighting, aggregates, rates};
use crate::HORS_BASSIN;
use crate::parameters::Parameters;

/// Standard-normal quintile cut points.
pub const QUINTILE_CUTS: [f64; 4] = [-0.8416, -0.2533, 0.2533, 0.8416];

/// Weights of the three components (DARES).
pub const TENSION_WEIGHTS: [f64; 3] = [0.3, 0.2, 0.5];

/// A standard deviation at or below this is treated as 0 (z = 0): floating-point noise on
/// identical values must not become a tension signal.
pub const ZERO_STDDEV: f64 = 1e-12;

/// The SQL of the table.
pub fn sql(parameters: &Parameters) -> String {
    let in_w12 = parameters.sql_in_w12("date_offre");
    let [c1, c2, c3, c4] = QUINTILE_CUTS;
    let [w1, w2, w3] = TENSION_WEIGHTS;
    let z = |column: &str, mean: &str, deviation: &str| {
        format!("CASE WHEN {deviation} > {ZERO_STDDEV:e} THEN ({column} - {mean}) / {deviation} ELSE 0.0 END")
    };
    format!(
        "WITH offers_w12 AS (
            SELECT code_bassin, code_rome, COUNT(*) AS offres, SUM(postes) AS postes,
                   SUM(CASE WHEN offre_durable THEN 1 ELSE 0 END) AS offres_durables
            FROM silver.offers WHERE {in_w12}
            GROUP BY code_bassin, code_rome
         ), {selected_month}, jobseekers AS (
            SELECT j.code_bassin, j.code_rome, SUM(j.de_a) AS de_a, SUM(j.de_abc) AS de_abc,
                   SUM(j.sorties_abc_12m) AS sorties_abc_12m, SUM(j.entrees_a_12m) AS entrees_a_12m
            FROM silver.jobseekers j JOIN selected_month s ON j.periode = s.periode
            GROUP BY j.code_bassin, j.code_rome
         ), {selected_year}, bmo AS (
            SELECT b.code_bassin, r.code_rome,
                   SUM(CAST(b.met AS DOUBLE) * b.poids) AS bmo_projets,
                   SUM(CAST(b.xmet AS DOUBLE) * b.poids) AS bmo_difficiles,
                   SUM(CAST(b.smet AS DOUBLE) * b.poids) AS bmo_saisonniers
            FROM silver.bmo b
            JOIN selected_year y ON b.annee = y.annee
            JOIN staging.rome r ON r.code_metier_bmo = b.code_metier_bmo
            GROUP BY b.code_bassin, r.code_rome
         ), supply AS (
            SELECT s.code_bassin, m.code_rome, {supply}
            FROM silver.sessions s JOIN intermediate.session_metiers m ON m.session_id = s.session_id
            GROUP BY s.code_bassin, m.code_rome
         ), supply_rates AS (
            SELECT code_bassin, code_rome, places_12m AS capacite_12m, entrees_12m, sortants_prevus_6m, {supply_rates} FROM supply
         ), keys AS (
            SELECT code_bassin, code_rome FROM offers_w12
            UNION SELECT code_bassin, code_rome FROM jobseekers
            UNION SELECT code_bassin, code_rome FROM supply WHERE places_12m IS NOT NULL
         ), base AS (
            SELECT k.code_bassin, k.code_rome, r.libelle_rome, r.secteur,
                   COALESCE(o.offres, 0) AS offres, COALESCE(o.postes, 0) AS postes, COALESCE(o.offres_durables, 0) AS offres_durables,
                   j.de_a, j.de_abc, j.sorties_abc_12m, j.entrees_a_12m,
                   b.bmo_projets, b.bmo_difficiles, b.bmo_saisonniers,
                   t.capacite_12m, t.entrees_12m, t.taux_remplissage, t.sortants_prevus_6m, t.taux_emploi_6m
            FROM keys k
            LEFT JOIN staging.rome r ON r.code_rome = k.code_rome
            LEFT JOIN offers_w12 o ON o.code_bassin = k.code_bassin AND o.code_rome = k.code_rome
            LEFT JOIN jobseekers j ON j.code_bassin = k.code_bassin AND j.code_rome = k.code_rome
            LEFT JOIN bmo b ON b.code_bassin = k.code_bassin AND b.code_rome = k.code_rome
            LEFT JOIN supply_rates t ON t.code_bassin = k.code_bassin AND t.code_rome = k.code_rome
         ), rates AS (
            SELECT *,
              CASE WHEN offres > 0 THEN CAST(offres_durables AS DOUBLE) / offres END AS part_durables,
              {ratio_offres_de_a} AS ratio_offres_de_a,
              {ratio_offres_entrees_a} AS ratio_offres_entrees_a,
              {taux_ecoulement} AS taux_ecoulement,
              {part_difficiles} AS part_difficiles
            FROM base
         ), available AS (
            -- A component is available when some bassin row of the run has it: the index
            -- then uses the available ones, their weights renormalised (metrics.md § Tension).
            -- Window aggregates, not a join: a distributed plan must stay shallow to ship.
            SELECT *,
              COUNT(CASE WHEN code_bassin <> '{HORS_BASSIN}' THEN ratio_offres_entrees_a END) OVER () > 0 AS a1,
              COUNT(CASE WHEN code_bassin <> '{HORS_BASSIN}' THEN taux_ecoulement END) OVER () > 0 AS a2,
              COUNT(CASE WHEN code_bassin <> '{HORS_BASSIN}' THEN part_difficiles END) OVER () > 0 AS a3
            FROM rates
         ), flagged AS (
            SELECT *,
                   (code_bassin <> '{HORS_BASSIN}' AND (a1 OR a2 OR a3)
                    AND (NOT a1 OR ratio_offres_entrees_a IS NOT NULL)
                    AND (NOT a2 OR taux_ecoulement IS NOT NULL)
                    AND (NOT a3 OR part_difficiles IS NOT NULL)) AS eligible
            FROM available
         ), stats AS (
            -- Accumulated in key order (window over the sorted eligible rows), so that the
            -- floating-point sums never depend on the order rows arrive in.
            SELECT AVG(ratio_offres_entrees_a) OVER ordered AS m1, STDDEV_POP(ratio_offres_entrees_a) OVER ordered AS s1,
                   AVG(taux_ecoulement) OVER ordered AS m2, STDDEV_POP(taux_ecoulement) OVER ordered AS s2,
                   AVG(part_difficiles) OVER ordered AS m3, STDDEV_POP(part_difficiles) OVER ordered AS s3
            FROM flagged WHERE eligible
            WINDOW ordered AS (ORDER BY code_bassin, code_rome ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
            LIMIT 1
         ), scored AS (
            SELECT f.*,
              CASE WHEN f.eligible THEN
                (CASE WHEN f.a1 THEN {w1} * {z1} ELSE 0.0 END
                 + CASE WHEN f.a2 THEN {w2} * {z2} ELSE 0.0 END
                 + CASE WHEN f.a3 THEN {w3} * {z3} ELSE 0.0 END)
                / (CASE WHEN f.a1 THEN {w1} ELSE 0.0 END + CASE WHEN f.a2 THEN {w2} ELSE 0.0 END + CASE WHEN f.a3 THEN {w3} ELSE 0.0 END)
              END AS indice_tension,
              CASE WHEN f.eligible THEN
                concat_ws(',', CASE WHEN f.a1 THEN 'ratio_offres_entrees_a' END, CASE WHEN f.a2 THEN 'taux_ecoulement' END, CASE WHEN f.a3 THEN 'part_difficiles' END)
              END AS composantes_tension
            FROM flagged f LEFT JOIN stats s ON true
         ), levelled AS (
            SELECT *,
              CASE WHEN indice_tension IS NULL THEN NULL
                   WHEN indice_tension < {c1} THEN 1 WHEN indice_tension < {c2} THEN 2
                   WHEN indice_tension < {c3} THEN 3 WHEN indice_tension < {c4} THEN 4 ELSE 5 END AS niveau_tension
            FROM scored
         ), gap AS (
            SELECT *,
              postes - COALESCE(capacite_12m, 0.0) AS ecart,
              COALESCE(CAST(de_a AS DOUBLE), 0.0) + COALESCE(sortants_prevus_6m, 0.0) AS competences_disponibles
            FROM levelled
         )
         SELECT code_bassin, code_rome, libelle_rome, secteur,
                offres, postes, offres_durables, part_durables,
                de_a, de_abc, sorties_abc_12m, entrees_a_12m,
                ratio_offres_de_a, ratio_offres_entrees_a, taux_ecoulement,
                bmo_projets, bmo_difficiles, bmo_saisonniers, part_difficiles,
                indice_tension, composantes_tension, CAST(niveau_tension AS BIGINT) AS niveau_tension,
                CASE niveau_tension WHEN 1 THEN 'Pas de tension' WHEN 2 THEN 'Faible' WHEN 3 THEN 'Moyenne'
                     WHEN 4 THEN 'Tension' WHEN 5 THEN 'Tension élevée' ELSE 'Données insuffisantes' END AS libelle_tension,
                niveau_tension >= 4 AS en_tension,
                capacite_12m, entrees_12m, taux_remplissage, sortants_prevus_6m, taux_emploi_6m,
                postes AS besoin_12m, ecart,
                CASE WHEN postes > 0 THEN capacite_12m / postes END AS couverture,
                competences_disponibles,
                GREATEST(0.0, postes - competences_disponibles) AS competences_a_developper,
                CAST(ROW_NUMBER() OVER (PARTITION BY code_bassin ORDER BY CASE WHEN niveau_tension >= 4 THEN 0 ELSE 1 END, ecart DESC, code_rome) AS BIGINT) AS priorite
         FROM gap
         ORDER BY code_bassin, code_rome",
        selected_month = selected_month(parameters),
        selected_year = selected_year(parameters),
        ratio_offres_de_a = parameters.sql_rate("offres", "de_a"),
        ratio_offres_entrees_a = parameters.sql_rate("offres", "entrees_a_12m"),
        taux_ecoulement = parameters.sql_rate("sorties_abc_12m", "de_abc"),
        part_difficiles = parameters.sql_rate("bmo_difficiles", "bmo_projets"),
        supply = aggregates(parameters, Weighting::ByMetiers),
        supply_rates = rates(parameters),
        z1 = z("f.ratio_offres_entrees_a", "s.m1", "s.s1"),
        z2 = z("f.taux_ecoulement", "s.m2", "s.s2"),
        z3 = z("f.part_difficiles", "s.m3", "s.s3"),
    )
}

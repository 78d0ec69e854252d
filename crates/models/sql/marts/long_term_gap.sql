-- gold.long_term_gap — grain (code_bassin, code_fap). metrics.md § long_term_gap.
-- The region's 2019–2030 projections (Les métiers en 2030) shared among its bassins by a
-- key k(b, f): the bassin's share of the region's employment in FAP f when employment.csv
-- is given ($employment_key), else its share of the region's W12 positions in the ROMEs
-- of f (NULL when the region has none); as yearly figures (× 1000 / 11 years, 2019–2030),
-- beside today's training capacity for those ROMEs (an exact sum of capacities already
-- rounded to 9 decimals).
-- Parameters: $employment_key.
WITH bassins AS (
    SELECT code_bassin FROM staging.bassins WHERE code_bassin <> 'HORS_BASSIN'
), fap_romes AS (
    SELECT code_rome, code_fap FROM staging.rome WHERE code_fap IS NOT NULL
), positions AS (
    SELECT g.code_bassin, f.code_fap, SUM(g.postes) AS postes,
           CAST(ROUND(SUM(CAST(g.capacite_12m AS DECIMAL(24, 12))), 9) AS DOUBLE) AS capacite_12m
    FROM gold.competence_gap g JOIN fap_romes f ON f.code_rome = g.code_rome
    WHERE g.code_bassin <> 'HORS_BASSIN'
    GROUP BY g.code_bassin, f.code_fap
), weights AS (
    SELECT code_bassin, code_fap, emploi AS weight FROM silver.employment
    WHERE $employment_key AND code_bassin <> 'HORS_BASSIN'
    UNION ALL
    SELECT code_bassin, code_fap, CAST(postes AS DOUBLE) AS weight FROM positions
    WHERE $employment_key = false
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
           p.postes_a_pourvoir * 1000.0 / 11.0 * k.k AS postes_a_pourvoir_an,
           p.departs_fin_carriere * 1000.0 / 11.0 * k.k AS departs_fin_carriere_an,
           p.creations_nettes * 1000.0 / 11.0 * k.k AS creations_nettes_an,
           -(p.jeunes_debutants * 1000.0 / 11.0 * k.k) AS jeunes_debutants_an,
           p.desequilibre * 1000.0 / 11.0 * k.k AS desequilibre_an,
           c.capacite_12m, p.niveau_tension_2019, k.k AS cle_repartition
    FROM keys k
    JOIN silver.projections p ON p.code_fap = k.code_fap
    LEFT JOIN positions c ON c.code_bassin = k.code_bassin AND c.code_fap = k.code_fap
)
SELECT code_bassin, code_fap, libelle_fap, postes_a_pourvoir_an, departs_fin_carriere_an, creations_nettes_an,
       jeunes_debutants_an, desequilibre_an, capacite_12m,
       CASE WHEN postes_a_pourvoir_an > 0 THEN capacite_12m / postes_a_pourvoir_an END AS couverture_long_terme,
       niveau_tension_2019, cle_repartition,
       CASE WHEN $employment_key THEN 'emploi' ELSE 'offres' END AS source_cle
FROM shared
ORDER BY code_bassin, code_fap

-- gold.bassin_summary — grain (code_bassin). metrics.md § bassin_summary.
-- The totals of the sheet header and the regional index, as ratios of sums (never means
-- of rates): demand and jobseekers summed from gold.competence_gap (so the tables agree),
-- BMO from the BMO table itself (a métier counted once, not once per ROME), supply over
-- every session of the bassin (intermediate.supply_by_specialty added up), tension counts, data-quality
-- shares, and each rate's rank among the run's bassins (RANK() descending; NULL for a
-- NULL rate and for HORS_BASSIN). Every bassin of the grid has a row, and so has
-- HORS_BASSIN.
-- Parameters: $as_of (D), $w12_start, $bmo_year, $min_denom.
WITH bassins AS (
    SELECT code_bassin, libelle_bassin, code_departement FROM staging.bassins WHERE code_bassin <> 'HORS_BASSIN'
    UNION ALL SELECT 'HORS_BASSIN', 'Hors bassin', CAST(NULL AS VARCHAR)
), gap AS (
    SELECT code_bassin, SUM(offres) AS offres, SUM(postes) AS postes, SUM(de_a) AS de_a,
           COUNT(*) FILTER (WHERE en_tension) AS metiers_en_tension,
           COUNT(*) FILTER (WHERE niveau_tension IS NOT NULL) AS metiers_evalues
    FROM gold.competence_gap GROUP BY code_bassin
), placement AS (
    SELECT code_bassin, COUNT(*) FILTER (WHERE geo_method = 'commune') AS offres_geo_commune, COUNT(*) AS offres_w12
    FROM silver.offers
    WHERE date_offre >= $w12_start AND date_offre < $as_of
    GROUP BY code_bassin
), selected_year AS (
    SELECT MAX(annee) AS annee FROM silver.bmo WHERE annee <= $bmo_year
), bmo AS (
    SELECT b.code_bassin,
           SUM(CAST(b.met AS DOUBLE) * b.poids) AS bmo_projets,
           SUM(CAST(b.xmet AS DOUBLE) * b.poids) FILTER (WHERE b.met IS NOT NULL AND b.xmet IS NOT NULL) AS difficiles_connus,
           SUM(CAST(b.met AS DOUBLE) * b.poids) FILTER (WHERE b.met IS NOT NULL AND b.xmet IS NOT NULL) AS projets_connus
    FROM silver.bmo b JOIN selected_year y ON b.annee = y.annee GROUP BY b.code_bassin
), supply AS (
    -- Sums of integers: the same whatever the order the specialties add up in.
    SELECT code_bassin, SUM(sessions_12m) AS sessions_12m, SUM(places_12m) AS places_12m, SUM(entrees_12m) AS entrees_12m,
           SUM(remplissage_entrees) AS remplissage_entrees, SUM(remplissage_places) AS remplissage_places,
           SUM(sessions_sous_80) AS sessions_sous_80,
           SUM(prioritaires_entrees) AS prioritaires_entrees, SUM(prioritaires_total) AS prioritaires_total,
           SUM(sortants_prevus_6m) AS sortants_prevus_6m,
           SUM(emploi_en_emploi) AS emploi_en_emploi, SUM(emploi_sortants) AS emploi_sortants,
           SUM(sessions_places_connues) AS sessions_places_connues, SUM(sessions_resultats_connus) AS sessions_resultats_connus,
           SUM(sessions_sans_metier) AS sessions_sans_metier, SUM(sessions_formacode_sans_metier) AS sessions_formacode_sans_metier
    FROM intermediate.supply_by_specialty
    GROUP BY code_bassin
), supply_rated AS (
    -- A rate is NULL when its denominator is NULL or under MIN_DENOM (metrics.md § Thresholds).
    SELECT *,
           CASE WHEN remplissage_places >= $min_denom THEN CAST(remplissage_entrees AS DOUBLE) / remplissage_places END AS taux_remplissage,
           CASE WHEN prioritaires_total >= $min_denom THEN CAST(prioritaires_entrees AS DOUBLE) / prioritaires_total END AS part_prioritaires,
           CASE WHEN emploi_sortants >= $min_denom THEN CAST(emploi_en_emploi AS DOUBLE) / emploi_sortants END AS taux_emploi_6m
    FROM supply
), joined AS (
    SELECT b.code_bassin, b.libelle_bassin, b.code_departement,
           COALESCE(g.offres, 0) AS offres, COALESCE(g.postes, 0) AS postes, g.de_a,
           CASE WHEN g.de_a >= $min_denom THEN CAST(COALESCE(g.offres, 0) AS DOUBLE) / g.de_a END AS ratio_offres_de_a,
           x.bmo_projets,
           CASE WHEN x.projets_connus >= $min_denom THEN CAST(x.difficiles_connus AS DOUBLE) / x.projets_connus END AS part_difficiles,
           COALESCE(s.sessions_12m, 0) AS sessions_12m, s.places_12m, s.entrees_12m,
           s.taux_remplissage, s.part_prioritaires, s.taux_emploi_6m,
           COALESCE(s.sessions_sous_80, 0) AS sessions_sous_80, s.sortants_prevus_6m,
           COALESCE(g.metiers_en_tension, 0) AS metiers_en_tension, COALESCE(g.metiers_evalues, 0) AS metiers_evalues,
           CASE WHEN g.metiers_evalues > 0 THEN CAST(g.metiers_en_tension AS DOUBLE) / g.metiers_evalues END AS part_metiers_en_tension,
           COALESCE(s.sessions_sans_metier, 0) AS sessions_sans_metier,
           COALESCE(s.sessions_formacode_sans_metier, 0) AS sessions_formacode_sans_metier,
           CASE WHEN b.code_bassin = 'HORS_BASSIN' THEN COALESCE(g.offres, 0) END AS offres_hors_bassin,
           CASE WHEN p.offres_w12 > 0 THEN CAST(p.offres_geo_commune AS DOUBLE) / p.offres_w12 END AS part_offres_geo_commune,
           CASE WHEN s.sessions_12m > 0 THEN CAST(s.sessions_places_connues AS DOUBLE) / s.sessions_12m END AS part_sessions_places_connues,
           CASE WHEN s.sessions_12m > 0 THEN CAST(s.sessions_resultats_connus AS DOUBLE) / s.sessions_12m END AS part_sessions_resultats_connus
    FROM bassins b
    LEFT JOIN gap g ON g.code_bassin = b.code_bassin
    LEFT JOIN placement p ON p.code_bassin = b.code_bassin
    LEFT JOIN bmo x ON x.code_bassin = b.code_bassin
    LEFT JOIN supply_rated s ON s.code_bassin = b.code_bassin
)
SELECT *,
       CASE WHEN code_bassin <> 'HORS_BASSIN' AND part_metiers_en_tension IS NOT NULL
            THEN CAST(RANK() OVER (PARTITION BY code_bassin <> 'HORS_BASSIN' AND part_metiers_en_tension IS NOT NULL
                                   ORDER BY part_metiers_en_tension DESC) AS BIGINT) END AS rang_part_metiers_en_tension,
       CASE WHEN code_bassin <> 'HORS_BASSIN' AND part_difficiles IS NOT NULL
            THEN CAST(RANK() OVER (PARTITION BY code_bassin <> 'HORS_BASSIN' AND part_difficiles IS NOT NULL
                                   ORDER BY part_difficiles DESC) AS BIGINT) END AS rang_part_difficiles,
       CASE WHEN code_bassin <> 'HORS_BASSIN' AND taux_remplissage IS NOT NULL
            THEN CAST(RANK() OVER (PARTITION BY code_bassin <> 'HORS_BASSIN' AND taux_remplissage IS NOT NULL
                                   ORDER BY taux_remplissage DESC) AS BIGINT) END AS rang_taux_remplissage,
       CASE WHEN code_bassin <> 'HORS_BASSIN' AND taux_emploi_6m IS NOT NULL
            THEN CAST(RANK() OVER (PARTITION BY code_bassin <> 'HORS_BASSIN' AND taux_emploi_6m IS NOT NULL
                                   ORDER BY taux_emploi_6m DESC) AS BIGINT) END AS rang_taux_emploi_6m
FROM joined
ORDER BY code_bassin

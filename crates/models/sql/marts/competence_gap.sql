-- gold.competence_gap — grain (code_bassin, code_rome). metrics.md § competence_gap.
-- Demand over W12 (offers, positions, durable offers), jobseekers of the selected period,
-- BMO of the selected year, the three tension components, the tension index over the
-- components the run has (weights renormalised), its level and label, the training
-- supply shared among each session's métiers — w(s, r) = 1 / |M(s)|, added exactly in
-- DECIMAL(24, 12) and rounded to 9 decimals so that no sum depends on row order — and
-- the gap.
-- Parameters: $as_of (D), $w12_start, $f6_end, $observable_start, $observable_end,
-- $jobseekers_month, $bmo_year, $min_denom.
WITH offers_w12 AS (
    SELECT code_bassin, code_rome, COUNT(*) AS offres, SUM(postes) AS postes,
           SUM(CASE WHEN offre_durable THEN 1 ELSE 0 END) AS offres_durables
    FROM silver.offers
    WHERE date_offre >= $w12_start AND date_offre < $as_of
    GROUP BY code_bassin, code_rome
), selected_month AS (
    -- The latest period among the months <= the month of D - 1 day and the quarters that
    -- end before D; a month and a quarter ending together: the month (the finer figure).
    SELECT periode FROM silver.jobseekers
    WHERE (type_periode = 'mois' AND periode <= $jobseekers_month) OR (type_periode = 'trimestre' AND periode_fin < $as_of)
    ORDER BY periode_fin DESC, type_periode
    LIMIT 1
), jobseekers AS (
    SELECT j.code_bassin, j.code_rome, SUM(j.de_a) AS de_a, SUM(j.de_abc) AS de_abc,
           SUM(j.sorties_abc_12m) AS sorties_abc_12m, SUM(j.entrees_a_12m) AS entrees_a_12m
    FROM silver.jobseekers j JOIN selected_month s ON j.periode = s.periode
    GROUP BY j.code_bassin, j.code_rome
), selected_year AS (
    SELECT MAX(annee) AS annee FROM silver.bmo WHERE annee <= $bmo_year
), bmo AS (
    SELECT b.code_bassin, r.code_rome,
           SUM(CAST(b.met AS DOUBLE) * b.poids) AS bmo_projets,
           SUM(CAST(b.xmet AS DOUBLE) * b.poids) AS bmo_difficiles,
           SUM(CAST(b.smet AS DOUBLE) * b.poids) AS bmo_saisonniers
    FROM silver.bmo b
    JOIN selected_year y ON b.annee = y.annee
    JOIN staging.rome r ON r.code_metier_bmo = b.code_metier_bmo
    GROUP BY b.code_bassin, r.code_rome
), supply AS (
    SELECT s.code_bassin, m.code_rome,
           COUNT(*) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of) AS sessions_12m,
           CAST(ROUND(SUM(CAST(places AS DECIMAL(24, 12)) / CAST(metiers AS DECIMAL(10, 0)))
                FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of), 9) AS DOUBLE) AS places_12m,
           CAST(ROUND(SUM(CAST(entrees AS DECIMAL(24, 12)) / CAST(metiers AS DECIMAL(10, 0)))
                FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of), 9) AS DOUBLE) AS entrees_12m,
           CAST(ROUND(SUM(CAST(entrees AS DECIMAL(24, 12)) / CAST(metiers AS DECIMAL(10, 0)))
                FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND places IS NOT NULL AND entrees IS NOT NULL), 9) AS DOUBLE) AS remplissage_entrees,
           CAST(ROUND(SUM(CAST(places AS DECIMAL(24, 12)) / CAST(metiers AS DECIMAL(10, 0)))
                FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND places IS NOT NULL AND entrees IS NOT NULL), 9) AS DOUBLE) AS remplissage_places,
           -- entrees / places < 0.8 in integers (5 × entrees < 4 × places), places > 0.
           COUNT(*) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND places IS NOT NULL AND entrees IS NOT NULL
                            AND places > 0 AND 5 * entrees < 4 * places) AS sessions_sous_80,
           CAST(ROUND(SUM(CAST(entrees_prioritaires AS DECIMAL(24, 12)) / CAST(metiers AS DECIMAL(10, 0)))
                FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND entrees IS NOT NULL AND entrees_prioritaires IS NOT NULL), 9) AS DOUBLE) AS prioritaires_entrees,
           CAST(ROUND(SUM(CAST(entrees AS DECIMAL(24, 12)) / CAST(metiers AS DECIMAL(10, 0)))
                FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND entrees IS NOT NULL AND entrees_prioritaires IS NOT NULL), 9) AS DOUBLE) AS prioritaires_total,
           CAST(ROUND(SUM(CAST(COALESCE(entrees, places) AS DECIMAL(24, 12)) / CAST(metiers AS DECIMAL(10, 0)))
                FILTER (WHERE date_fin >= $as_of AND date_fin < $f6_end), 9) AS DOUBLE) AS sortants_prevus_6m,
           CAST(ROUND(SUM(CAST(en_emploi_6m AS DECIMAL(24, 12)) / CAST(metiers AS DECIMAL(10, 0)))
                FILTER (WHERE date_fin >= $observable_start AND date_fin < $observable_end AND sortants IS NOT NULL AND en_emploi_6m IS NOT NULL), 9) AS DOUBLE) AS emploi_en_emploi,
           CAST(ROUND(SUM(CAST(sortants AS DECIMAL(24, 12)) / CAST(metiers AS DECIMAL(10, 0)))
                FILTER (WHERE date_fin >= $observable_start AND date_fin < $observable_end AND sortants IS NOT NULL AND en_emploi_6m IS NOT NULL), 9) AS DOUBLE) AS emploi_sortants
    FROM silver.sessions s JOIN intermediate.session_metiers m ON m.session_id = s.session_id
    GROUP BY s.code_bassin, m.code_rome
), supply_rates AS (
    SELECT code_bassin, code_rome, places_12m AS capacite_12m, entrees_12m, sortants_prevus_6m,
           CASE WHEN remplissage_places >= $min_denom THEN CAST(remplissage_entrees AS DOUBLE) / remplissage_places END AS taux_remplissage,
           CASE WHEN prioritaires_total >= $min_denom THEN CAST(prioritaires_entrees AS DOUBLE) / prioritaires_total END AS part_prioritaires,
           CASE WHEN emploi_sortants >= $min_denom THEN CAST(emploi_en_emploi AS DOUBLE) / emploi_sortants END AS taux_emploi_6m
    FROM supply
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
    -- A rate is NULL when its denominator is NULL or under MIN_DENOM (metrics.md § Thresholds).
    SELECT *,
      CASE WHEN offres > 0 THEN CAST(offres_durables AS DOUBLE) / offres END AS part_durables,
      CASE WHEN de_a >= $min_denom THEN CAST(offres AS DOUBLE) / de_a END AS ratio_offres_de_a,
      CASE WHEN entrees_a_12m >= $min_denom THEN CAST(offres AS DOUBLE) / entrees_a_12m END AS ratio_offres_entrees_a,
      CASE WHEN de_abc >= $min_denom THEN CAST(sorties_abc_12m AS DOUBLE) / de_abc END AS taux_ecoulement,
      CASE WHEN bmo_projets >= $min_denom THEN CAST(bmo_difficiles AS DOUBLE) / bmo_projets END AS part_difficiles
    FROM base
), available AS (
    -- A component is available when some bassin row of the run has it: the index then
    -- uses the available ones, their weights renormalised (metrics.md § Tension).
    -- Window aggregates, not a join: a distributed plan must stay shallow to ship.
    SELECT *,
      COUNT(CASE WHEN code_bassin <> 'HORS_BASSIN' THEN ratio_offres_entrees_a END) OVER () > 0 AS a1,
      COUNT(CASE WHEN code_bassin <> 'HORS_BASSIN' THEN taux_ecoulement END) OVER () > 0 AS a2,
      COUNT(CASE WHEN code_bassin <> 'HORS_BASSIN' THEN part_difficiles END) OVER () > 0 AS a3
    FROM rates
), flagged AS (
    SELECT *,
           (code_bassin <> 'HORS_BASSIN' AND (a1 OR a2 OR a3)
            AND (NOT a1 OR ratio_offres_entrees_a IS NOT NULL)
            AND (NOT a2 OR taux_ecoulement IS NOT NULL)
            AND (NOT a3 OR part_difficiles IS NOT NULL)) AS eligible
    FROM available
), stats AS (
    -- Accumulated in key order (a window over the sorted eligible rows), so that the
    -- floating-point sums never depend on the order rows arrive in.
    SELECT AVG(ratio_offres_entrees_a) OVER ordered AS m1, STDDEV_POP(ratio_offres_entrees_a) OVER ordered AS s1,
           AVG(taux_ecoulement) OVER ordered AS m2, STDDEV_POP(taux_ecoulement) OVER ordered AS s2,
           AVG(part_difficiles) OVER ordered AS m3, STDDEV_POP(part_difficiles) OVER ordered AS s3
    FROM flagged WHERE eligible
    WINDOW ordered AS (ORDER BY code_bassin, code_rome ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    LIMIT 1
), scored AS (
    -- DARES weights 0.3, 0.2, 0.5 over the z-scores; a standard deviation at or below
    -- 1e-12 counts as 0 (z = 0): floating-point noise on equal values is no signal.
    SELECT f.*,
      CASE WHEN f.eligible THEN
        (CASE WHEN f.a1 THEN 0.3 * CASE WHEN s.s1 > 1e-12 THEN (f.ratio_offres_entrees_a - s.m1) / s.s1 ELSE 0.0 END ELSE 0.0 END
         + CASE WHEN f.a2 THEN 0.2 * CASE WHEN s.s2 > 1e-12 THEN (f.taux_ecoulement - s.m2) / s.s2 ELSE 0.0 END ELSE 0.0 END
         + CASE WHEN f.a3 THEN 0.5 * CASE WHEN s.s3 > 1e-12 THEN (f.part_difficiles - s.m3) / s.s3 ELSE 0.0 END ELSE 0.0 END)
        / (CASE WHEN f.a1 THEN 0.3 ELSE 0.0 END + CASE WHEN f.a2 THEN 0.2 ELSE 0.0 END + CASE WHEN f.a3 THEN 0.5 ELSE 0.0 END)
      END AS indice_tension,
      CASE WHEN f.eligible THEN
        concat_ws(',', CASE WHEN f.a1 THEN 'ratio_offres_entrees_a' END, CASE WHEN f.a2 THEN 'taux_ecoulement' END, CASE WHEN f.a3 THEN 'part_difficiles' END)
      END AS composantes_tension
    FROM flagged f LEFT JOIN stats s ON true
), levelled AS (
    -- Standard-normal quintiles.
    SELECT *,
      CASE WHEN indice_tension IS NULL THEN NULL
           WHEN indice_tension < -0.8416 THEN 1 WHEN indice_tension < -0.2533 THEN 2
           WHEN indice_tension < 0.2533 THEN 3 WHEN indice_tension < 0.8416 THEN 4 ELSE 5 END AS niveau_tension
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
ORDER BY code_bassin, code_rome

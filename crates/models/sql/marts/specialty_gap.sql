-- gold.specialty_gap — grain (code_bassin, code_nsf). metrics.md § specialty_gap.
-- The training supply of each specialty (a session counts once, under its specialty)
-- beside the demand linked to it: postes_lies = Σ over the bassin's ROME rows of
-- postes × v(r, n), v(r, n) being the share of the ROME's Formacodes (those with an NSF)
-- whose NSF is n, added exactly in DECIMAL(24, 12) and rounded to 9 decimals.
-- The supply is intermediate.supply_by_specialty's.
-- Parameters: $min_denom.
WITH supply AS (
    SELECT * FROM intermediate.supply_by_specialty
), rome_nsf AS (
    SELECT code_rome, code_nsf, formacodes_nsf, SUM(formacodes_nsf) OVER (PARTITION BY code_rome) AS formacodes_avec_nsf
    FROM (
      SELECT rf.code_rome, f.code_nsf, COUNT(*) AS formacodes_nsf
      FROM staging.rome_formacode rf JOIN staging.formacode f ON f.formacode = rf.formacode
      WHERE f.code_nsf IS NOT NULL GROUP BY rf.code_rome, f.code_nsf
    )
), demand AS (
    SELECT g.code_bassin, v.code_nsf,
           CAST(ROUND(SUM(CAST(g.postes * v.formacodes_nsf AS DECIMAL(24, 12)) / CAST(v.formacodes_avec_nsf AS DECIMAL(10, 0)))
                FILTER (WHERE g.postes > 0), 9) AS DOUBLE) AS postes_lies
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
), rated AS (
    -- A rate is NULL when its denominator is NULL or under MIN_DENOM (metrics.md § Thresholds).
    SELECT *,
           CASE WHEN remplissage_places >= $min_denom THEN CAST(remplissage_entrees AS DOUBLE) / remplissage_places END AS taux_remplissage,
           CASE WHEN prioritaires_total >= $min_denom THEN CAST(prioritaires_entrees AS DOUBLE) / prioritaires_total END AS part_prioritaires,
           CASE WHEN emploi_sortants >= $min_denom THEN CAST(emploi_en_emploi AS DOUBLE) / emploi_sortants END AS taux_emploi_6m
    FROM joined
)
SELECT code_bassin, code_nsf, libelle_nsf,
       COALESCE(sessions_12m, 0) AS sessions_12m, places_12m, entrees_12m, taux_remplissage,
       COALESCE(sessions_sous_80, 0) AS sessions_sous_80, part_prioritaires,
       sortants_prevus_6m, taux_emploi_6m, postes_lies,
       CASE WHEN postes_lies > 0 THEN places_12m / postes_lies END AS couverture
FROM rated
ORDER BY code_bassin, code_nsf

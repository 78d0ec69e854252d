-- gold.etat_des_lieux — grain (semestre, code_bassin, code_rome). metrics.md § etat_des_lieux.
-- The semester snapshots of competence_gap. A semester run ($semester, e.g. 2026-S1) adds
-- its snapshot, with delta_<column> against the previous semester's snapshot (NULL when
-- there is none); every run carries the snapshots of the run it follows
-- (previous.etat_des_lieux) unchanged, so that a nightly run never overwrites one. Without
-- a previous run, previous.etat_des_lieux is etat_des_lieux_first.sql: no row.
-- Parameters: $as_of (D), $semester and $previous_semester (NULL outside a semester run).
WITH earlier AS (
    SELECT * FROM previous.etat_des_lieux
)
SELECT * FROM (
    SELECT * FROM earlier WHERE semestre IS DISTINCT FROM $semester
    UNION ALL
    SELECT CAST($semester AS VARCHAR) AS semestre, CAST($as_of AS DATE) AS date_reference, g.*,
           CAST(g.postes AS DOUBLE) - CAST(p.postes AS DOUBLE) AS delta_postes,
           CAST(g.de_a AS DOUBLE) - CAST(p.de_a AS DOUBLE) AS delta_de_a,
           CAST(g.capacite_12m AS DOUBLE) - CAST(p.capacite_12m AS DOUBLE) AS delta_capacite_12m,
           CAST(g.indice_tension AS DOUBLE) - CAST(p.indice_tension AS DOUBLE) AS delta_indice_tension,
           CAST(g.ecart AS DOUBLE) - CAST(p.ecart AS DOUBLE) AS delta_ecart
    FROM gold.competence_gap g
    LEFT JOIN earlier p ON p.semestre = $previous_semester AND p.code_bassin = g.code_bassin AND p.code_rome = g.code_rome
    WHERE $semester IS NOT NULL
)
ORDER BY semestre, code_bassin, code_rome

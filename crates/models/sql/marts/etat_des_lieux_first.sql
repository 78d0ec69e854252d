-- previous.etat_des_lieux when the run follows no run holding gold.etat_des_lieux: no
-- snapshot, in the table's shape (read by etat_des_lieux.sql).
-- Parameters: $as_of (D).
SELECT CAST(NULL AS VARCHAR) AS semestre, CAST($as_of AS DATE) AS date_reference, g.*,
       CAST(NULL AS DOUBLE) AS delta_postes, CAST(NULL AS DOUBLE) AS delta_de_a, CAST(NULL AS DOUBLE) AS delta_capacite_12m,
       CAST(NULL AS DOUBLE) AS delta_indice_tension, CAST(NULL AS DOUBLE) AS delta_ecart
FROM gold.competence_gap g
WHERE false

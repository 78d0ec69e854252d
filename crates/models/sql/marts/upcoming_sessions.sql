-- gold.upcoming_sessions — grain (session_id). metrics.md § upcoming_sessions.
-- The sessions ending in F6 = [D, D + 6 months) (engagement #10: trainees soon available
-- to employers), with their métiers.
-- Parameters: $as_of (D), $f6_end.
WITH metiers AS (
    SELECT m.session_id, array_agg(m.code_rome ORDER BY m.code_rome) AS codes_rome,
           array_agg(COALESCE(r.libelle_rome, m.code_rome) ORDER BY m.code_rome) AS libelles_rome
    FROM intermediate.session_metiers m LEFT JOIN staging.rome r ON r.code_rome = m.code_rome
    GROUP BY m.session_id
)
SELECT s.code_bassin, s.session_id, s.formation_id, s.intitule_formation, s.organisme_nom,
       s.date_debut, s.date_fin, s.places, s.entrees, COALESCE(s.entrees, s.places) AS sortants_prevus,
       s.code_nsf, n.libelle_nsf, m.codes_rome, m.libelles_rome
FROM silver.sessions s
LEFT JOIN metiers m ON m.session_id = s.session_id
LEFT JOIN staging.nsf n ON n.code_nsf = s.code_nsf
WHERE s.date_fin >= $as_of AND s.date_fin < $f6_end
ORDER BY s.code_bassin, s.date_fin, s.session_id

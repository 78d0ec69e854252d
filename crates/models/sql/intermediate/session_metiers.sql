-- intermediate.session_metiers — grain (session_id, code_rome): the session → métiers
-- relation, with metiers = |M(s)|. M(s) is the set of ROME codes mapped from any of the
-- session's known Formacodes (rome_formacode.csv); a session with M(s) empty has no row.
-- Written once per run (four marts read it), sorted so that their sums add in one order.
-- |M(s)| is a grouped count joined back: a window over every pair would sort them all.
WITH pairs AS (
    SELECT DISTINCT s.session_id, rf.code_rome
    FROM (SELECT session_id, unnest(formacodes) AS formacode FROM silver.sessions WHERE formacodes IS NOT NULL) s
    JOIN staging.rome_formacode rf ON rf.formacode = s.formacode
)
SELECT p.session_id, p.code_rome, c.metiers
FROM pairs p
JOIN (SELECT session_id, COUNT(*) AS metiers FROM pairs GROUP BY session_id) c ON c.session_id = p.session_id
ORDER BY p.session_id, p.code_rome

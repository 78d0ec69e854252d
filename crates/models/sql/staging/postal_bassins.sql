-- staging.postal_bassins: the postal codes whose communes all lie in one bassin. An offer or
-- a session with such a postal code and no known commune is placed there (the second step
-- of the placement, after the commune and before the point: docs/metrics.md § Placement dans un bassin).

CREATE OR REPLACE VIEW staging.postal_bassins AS
SELECT code_postal, MIN(code_bassin) AS code_bassin
FROM staging.communes
WHERE code_postal IS NOT NULL
GROUP BY code_postal
HAVING COUNT(DISTINCT code_bassin) = 1;

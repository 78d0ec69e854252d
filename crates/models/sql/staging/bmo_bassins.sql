-- staging.bmo_bassins: BMO bassin (padded to 4 characters like the BMO file) → grid
-- bassin, with a weight in [0, 1]. The weights of one BMO bassin must sum to 1 (± 1e-6):
-- staging.bmo_bassins_weight_errors lists those that do not, which stop the run.

CREATE OR REPLACE VIEW staging.bmo_bassins_classified AS
WITH typed AS (
    SELECT x.*, lpad(x.code_bassin_bmo, 4, '0') AS bassin_bmo,
           try_cast(replace(x.poids, ',', '.') AS DOUBLE) AS weight, g.code_bassin AS known
    FROM bronze.bmo_bassins x
    LEFT JOIN staging.bassins g ON g.code_bassin = x.code_bassin
)
SELECT *,
       CASE
           WHEN code_bassin_bmo IS NULL OR code_bassin IS NULL
               THEN ['missing_value', 'code_bassin_bmo and code_bassin are required']
           WHEN weight IS NULL OR weight < 0 OR weight > 1
               THEN ['bad_count', 'poids must be a number between 0 and 1']
           WHEN known IS NULL
               THEN ['unknown_bassin', 'bassin ' || code_bassin || ' is not in the grid']
       END AS reject
FROM typed;

CREATE OR REPLACE VIEW staging.bmo_bassins_kept AS
SELECT bassin_bmo AS code_bassin_bmo, code_bassin, weight AS poids
FROM staging.bmo_bassins_classified
WHERE reject IS NULL;

CREATE OR REPLACE VIEW staging.bmo_bassins_rejects AS
SELECT 'bmo_bassins' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(code_bassin_bmo, ''), COALESCE(code_bassin, ''), COALESCE(poids, '')) AS raw_value
FROM staging.bmo_bassins_classified
WHERE reject IS NOT NULL;

CREATE OR REPLACE VIEW staging.bmo_bassins_weight_errors AS
SELECT code_bassin_bmo || ' sums to ' || CAST(SUM(poids) AS VARCHAR) AS message
FROM staging.bmo_bassins_kept
GROUP BY code_bassin_bmo
HAVING abs(SUM(poids) - 1.0) > 1e-6
ORDER BY code_bassin_bmo;

-- silver.employment: employment by bassin and FAP, the rows given by commune summed into
-- their bassin; numbers read with a decimal comma or point.

CREATE OR REPLACE VIEW staging.employment_classified AS
WITH typed AS (
    SELECT e.*, try_cast(replace(trim(emploi), ',', '.') AS DOUBLE) AS emploi_n,
           CASE lower(trim(e.type_territoire)) WHEN 'bassin' THEN b.code_bassin WHEN 'commune' THEN c.code_bassin END AS bassin
    FROM bronze.employment e
    LEFT JOIN staging.bassins b ON lower(trim(e.type_territoire)) = 'bassin' AND b.code_bassin = trim(e.code_territoire)
    LEFT JOIN staging.communes c ON lower(trim(e.type_territoire)) = 'commune' AND c.code_commune = trim(e.code_territoire)
)
SELECT *,
       CASE
           WHEN code_fap IS NULL OR code_territoire IS NULL
               THEN ['missing_value', 'code_territoire and code_fap are required']
           WHEN lower(trim(type_territoire)) NOT IN ('bassin', 'commune')
               THEN ['bad_territory', 'type_territoire must be bassin or commune']
           WHEN emploi_n IS NULL OR emploi_n < 0
               THEN ['bad_count', 'emploi is not a non-negative number']
           WHEN bassin IS NULL
               THEN ['unknown_territory', 'territory ' || code_territoire || ' is not in the grid']
       END AS reject
FROM typed;

CREATE OR REPLACE VIEW staging.employment_kept AS
SELECT bassin AS code_bassin, upper(trim(code_fap)) AS code_fap, SUM(emploi_n) AS emploi
FROM staging.employment_classified
WHERE reject IS NULL
GROUP BY bassin, upper(trim(code_fap))
ORDER BY 1, 2;

CREATE OR REPLACE VIEW staging.employment_rejects AS
SELECT 'employment' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(code_territoire, ''), COALESCE(type_territoire, ''), COALESCE(code_fap, ''), COALESCE(emploi, '')) AS raw_value
FROM staging.employment_classified
WHERE reject IS NOT NULL;

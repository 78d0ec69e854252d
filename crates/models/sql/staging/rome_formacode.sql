-- staging.rome_formacode (after staging.rome and staging.formacode): the ROME → Formacode
-- pairs of known codes, each pair once (the first occurrence in file order wins).

CREATE OR REPLACE VIEW staging.rome_formacode_classified AS
WITH numbered AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY code_rome, formacode ORDER BY source_file, source_line) AS occurrence
    FROM bronze.rome_formacode
)
SELECT n.*,
       CASE
           WHEN r.code_rome IS NULL
               THEN ['bad_rome', 'code_rome ' || COALESCE(n.code_rome, 'NULL') || ' is not in the ROME referential']
           WHEN f.formacode IS NULL
               THEN ['bad_formacode', 'formacode ' || COALESCE(n.formacode, 'NULL') || ' is not in formacode.csv']
           WHEN n.occurrence > 1
               THEN ['duplicate_key', 'the key is already defined earlier in the file']
       END AS reject
FROM numbered n
LEFT JOIN staging.rome r ON r.code_rome = n.code_rome
LEFT JOIN staging.formacode f ON f.formacode = n.formacode;

CREATE OR REPLACE VIEW staging.rome_formacode_kept AS
SELECT n.code_rome, n.formacode
FROM staging.rome_formacode_classified n
WHERE reject IS NULL
ORDER BY 1;

CREATE OR REPLACE VIEW staging.rome_formacode_rejects AS
SELECT 'rome_formacode' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(code_rome, ''), COALESCE(formacode, '')) AS raw_value
FROM staging.rome_formacode_classified
WHERE reject IS NOT NULL;

-- staging.nsf: the NSF specialties, one row per 3-character code. A malformed or repeated
-- code is a reject; the first occurrence in file order wins.

CREATE OR REPLACE VIEW staging.nsf_classified AS
WITH numbered AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY code_nsf ORDER BY source_file, source_line) AS occurrence
    FROM bronze.nsf
)
SELECT n.*,
       CASE
           WHEN n.code_nsf IS NULL OR char_length(n.code_nsf) <> 3
               THEN ['bad_nsf', 'code_nsf must have 3 characters']
           WHEN n.occurrence > 1
               THEN ['duplicate_key', 'the key is already defined earlier in the file']
       END AS reject
FROM numbered n;

CREATE OR REPLACE VIEW staging.nsf_kept AS
SELECT n.code_nsf, n.libelle_nsf
FROM staging.nsf_classified n
WHERE reject IS NULL
ORDER BY 1;

CREATE OR REPLACE VIEW staging.nsf_rejects AS
SELECT 'nsf' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(code_nsf, ''), COALESCE(libelle_nsf, '')) AS raw_value
FROM staging.nsf_classified
WHERE reject IS NOT NULL;

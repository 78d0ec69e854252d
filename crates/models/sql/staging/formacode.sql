-- staging.formacode (after staging.nsf): the Formacodes, one row per 5-digit code whose
-- NSF, when given, is known. A malformed or repeated code, or an unknown NSF, is a reject;
-- the first occurrence in file order wins.

CREATE OR REPLACE VIEW staging.formacode_classified AS
WITH numbered AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY formacode ORDER BY source_file, source_line) AS occurrence
    FROM bronze.formacode
)
SELECT n.*,
       CASE
           WHEN n.formacode IS NULL OR char_length(n.formacode) <> 5 OR try_cast(n.formacode AS INT) IS NULL
               THEN ['bad_formacode', 'formacode must be 5 digits']
           WHEN n.code_nsf IS NOT NULL AND s.code_nsf IS NULL
               THEN ['bad_nsf', 'code_nsf ' || n.code_nsf || ' is not in nsf.csv']
           WHEN n.occurrence > 1
               THEN ['duplicate_key', 'the key is already defined earlier in the file']
       END AS reject
FROM numbered n
LEFT JOIN staging.nsf s ON s.code_nsf = n.code_nsf;

CREATE OR REPLACE VIEW staging.formacode_kept AS
SELECT n.formacode, n.libelle, n.code_nsf
FROM staging.formacode_classified n
WHERE reject IS NULL
ORDER BY 1;

CREATE OR REPLACE VIEW staging.formacode_rejects AS
SELECT 'formacode' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(formacode, ''), COALESCE(libelle, ''), COALESCE(code_nsf, '')) AS raw_value
FROM staging.formacode_classified
WHERE reject IS NOT NULL;

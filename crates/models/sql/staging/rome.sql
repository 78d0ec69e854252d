-- staging.rome: the ROME referential (with its BMO métier, FAP family and sector), one row
-- per code. A code that is not a letter and four digits, or that the file repeats, is a
-- reject; the first occurrence in file order wins.

CREATE OR REPLACE VIEW staging.rome_classified AS
WITH numbered AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY code_rome ORDER BY source_file, source_line) AS occurrence
    FROM bronze.rome
)
SELECT n.*,
       -- The first rule a row breaks, in order of precedence, as [reason, detail] (NULL: kept).
       CASE
           WHEN n.code_rome IS NULL
                OR NOT (char_length(n.code_rome) = 5 AND upper(substr(n.code_rome, 1, 1)) BETWEEN 'A' AND 'Z'
                        AND try_cast(substr(n.code_rome, 2, 4) AS INT) IS NOT NULL AND substr(n.code_rome, 2, 4) NOT LIKE '%-%')
               THEN ['bad_rome', 'code_rome is not a ROME code (a letter and four digits)']
           WHEN n.occurrence > 1
               THEN ['duplicate_key', 'the key is already defined earlier in the file']
       END AS reject
FROM numbered n;

CREATE OR REPLACE VIEW staging.rome_kept AS
SELECT upper(n.code_rome) AS code_rome, n.libelle_rome, n.code_metier_bmo, n.code_fap, n.secteur
FROM staging.rome_classified n
WHERE reject IS NULL
ORDER BY 1;

CREATE OR REPLACE VIEW staging.rome_rejects AS
SELECT 'rome' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(code_rome, ''), COALESCE(libelle_rome, ''), COALESCE(code_metier_bmo, ''), COALESCE(code_fap, ''), COALESCE(secteur, '')) AS raw_value
FROM staging.rome_classified
WHERE reject IS NOT NULL;

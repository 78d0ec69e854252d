-- DuckDB translation of skillgap's referential staging (crates/models/src/staging/
-- referentials.rs) for `make bench`: from the run's bronze Parquet (the CSVs as read,
-- with source_file and source_line), the valid rows, the first occurrence of each key in
-- file order winning. `{run}` is replaced by the run directory.

CREATE SCHEMA IF NOT EXISTS staging;

CREATE OR REPLACE TABLE staging.rome AS
SELECT upper(code_rome) AS code_rome, libelle_rome, code_metier_bmo, code_fap, secteur
FROM read_parquet('{run}/bronze/rome/*.parquet')
WHERE char_length(code_rome) = 5 AND upper(substr(code_rome, 1, 1)) BETWEEN 'A' AND 'Z'
  AND try_cast(substr(code_rome, 2, 4) AS INT) IS NOT NULL AND substr(code_rome, 2, 4) NOT LIKE '%-%'
QUALIFY ROW_NUMBER() OVER (PARTITION BY code_rome ORDER BY source_file, source_line) = 1;

CREATE OR REPLACE TABLE staging.nsf AS
SELECT code_nsf, libelle_nsf
FROM read_parquet('{run}/bronze/nsf/*.parquet')
WHERE char_length(code_nsf) = 3
QUALIFY ROW_NUMBER() OVER (PARTITION BY code_nsf ORDER BY source_file, source_line) = 1;

CREATE OR REPLACE TABLE staging.formacode AS
SELECT f.formacode, f.libelle, f.code_nsf
FROM read_parquet('{run}/bronze/formacode/*.parquet') f
LEFT JOIN staging.nsf n ON n.code_nsf = f.code_nsf
WHERE char_length(f.formacode) = 5 AND try_cast(f.formacode AS INT) IS NOT NULL
  AND (f.code_nsf IS NULL OR n.code_nsf IS NOT NULL)
QUALIFY ROW_NUMBER() OVER (PARTITION BY f.formacode ORDER BY f.source_file, f.source_line) = 1;

CREATE OR REPLACE TABLE staging.rome_formacode AS
SELECT rf.code_rome, rf.formacode
FROM read_parquet('{run}/bronze/rome_formacode/*.parquet') rf
JOIN staging.rome r ON r.code_rome = rf.code_rome
JOIN staging.formacode f ON f.formacode = rf.formacode
QUALIFY ROW_NUMBER() OVER (PARTITION BY rf.code_rome, rf.formacode ORDER BY rf.source_file, rf.source_line) = 1;

-- The grid as published (silver.bassins is staging.bassins written out).
CREATE OR REPLACE TABLE staging.bassins AS
SELECT * FROM read_parquet('{run}/silver/bassins/*.parquet');

-- silver.bmo: the BMO survey with its codes padded (BE to 4 characters, REG to 2), masked
-- values NULL, each row spread onto the grid by staging.bmo_crosswalk (weight 1 when the
-- grid is the BMO bassins).

CREATE OR REPLACE VIEW staging.bmo_classified AS
WITH padded AS (
    SELECT *, lpad(code_bassin_bmo, 4, '0') AS bassin_bmo, lpad(code_region, 2, '0') AS region
    FROM bronze.bmo
), matched AS (
    SELECT p.*, k.known_bassin
    FROM padded p
    LEFT JOIN (SELECT DISTINCT code_bassin_bmo AS known_bassin FROM staging.bmo_crosswalk) k ON k.known_bassin = p.bassin_bmo
)
SELECT *,
       CASE
           WHEN parse_count(annee) IS NULL
               THEN ['bad_date', 'annee is not a year: ' || COALESCE(annee, 'NULL')]
           WHEN code_metier_bmo IS NULL
               THEN ['missing_value', 'code_metier_bmo is required']
           WHEN known_bassin IS NULL
               THEN ['unknown_bassin', 'BMO bassin ' || COALESCE(bassin_bmo, 'NULL') || ' is not in the grid (or its correspondence file)']
           WHEN is_bad_count(met) OR is_bad_count(xmet) OR is_bad_count(smet)
               THEN ['bad_count', 'met, xmet and smet must be non-negative integers or *']
       END AS reject
FROM matched;

CREATE OR REPLACE VIEW staging.bmo_kept AS
SELECT CAST(parse_count(c.annee) AS INT) AS annee, c.code_metier_bmo, c.nom_metier_bmo, c.region AS code_region, c.code_departement,
       c.bassin_bmo AS code_bassin_bmo, c.nom_bassin_bmo, x.code_bassin, x.poids,
       parse_count(c.met) AS met, parse_count(c.xmet) AS xmet, parse_count(c.smet) AS smet,
       c.source_file, c.source_line
FROM staging.bmo_classified c
JOIN staging.bmo_crosswalk x ON x.code_bassin_bmo = c.bassin_bmo
WHERE c.reject IS NULL
ORDER BY annee, code_bassin, code_metier_bmo, code_bassin_bmo;

CREATE OR REPLACE VIEW staging.bmo_rejects AS
SELECT 'bmo' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(annee, ''), COALESCE(code_metier_bmo, ''), COALESCE(code_bassin_bmo, ''), COALESCE(met, ''), COALESCE(xmet, ''), COALESCE(smet, '')) AS raw_value
FROM staging.bmo_classified
WHERE reject IS NOT NULL;

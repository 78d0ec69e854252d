-- staging.communes: commune → bassin. A commune listed twice is a reject (the first listing
-- wins), so that no commune is ever in two bassins; with a polygon grid ($grid_polygons,
-- staging.bassins holding the grid's bassins), a commune of a bassin the grid lacks is a
-- reject too.

CREATE OR REPLACE VIEW staging.communes_classified AS
WITH numbered AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY code_commune ORDER BY source_file, source_line) AS occurrence
    FROM bronze.communes
)
SELECT n.*,
       CASE
           WHEN n.code_commune IS NULL OR n.code_bassin IS NULL
               THEN ['missing_value', 'code_commune and code_bassin are required']
           WHEN n.occurrence > 1
               THEN ['duplicate_key', 'commune already assigned to a bassin earlier in the file']
           WHEN $grid_polygons AND g.code_bassin IS NULL
               THEN ['unknown_bassin', 'bassin ' || n.code_bassin || ' is not in the bassins GeoJSON']
       END AS reject
FROM numbered n
LEFT JOIN staging.bassins g ON g.code_bassin = n.code_bassin;

CREATE OR REPLACE VIEW staging.communes_kept AS
SELECT code_commune, libelle_commune, code_bassin, code_postal
FROM staging.communes_classified
WHERE reject IS NULL;

CREATE OR REPLACE VIEW staging.communes_rejects AS
SELECT 'communes' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(code_commune, ''), COALESCE(libelle_commune, ''), COALESCE(code_bassin, ''), COALESCE(code_postal, '')) AS raw_value
FROM staging.communes_classified
WHERE reject IS NOT NULL;

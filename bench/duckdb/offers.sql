-- DuckDB translation of skillgap's offers ingestion and staging (crates/sources/src/offers,
-- crates/models/src/staging/offers.rs) for `make bench`: the API pages (`resultats`) and
-- the NDJSON dumps as they are on disk, typed, validated against the ROME referential,
-- deduplicated (the latest dateActualisation wins) and placed by commune (arrondissements
-- folded), then by a postal code of a single bassin. DuckDB has no point-in-polygon here: offers skillgap placed by
-- their coordinates stay unplaced (HORS_BASSIN), and the check in bench/run.py excludes
-- them from the per-bassin comparison. `{data}` and `{target}` are replaced by the inputs'
-- directory and the Parquet file to write; staging.rome must exist.

CREATE OR REPLACE TABLE staging.communes AS
SELECT code_commune, code_bassin, code_postal
FROM read_csv('{data}/territories/communes.csv', header = true, all_varchar = true)
QUALIFY ROW_NUMBER() OVER (PARTITION BY code_commune) = 1;

COPY (
  WITH records AS (
    SELECT unnest(resultats, max_depth := 2)
    FROM read_json('{data}/offers/api/*.json.gz', format = 'auto', maximum_object_size = 134217728)
    UNION ALL BY NAME
    SELECT * FROM read_json('{data}/offers/ndjson/*.ndjson.gz', format = 'newline_delimited', ignore_errors = true)
  ), typed AS (
    SELECT r.*, TRY_CAST(r.dateCreation AS TIMESTAMPTZ) AS created_at, TRY_CAST(r.dateActualisation AS TIMESTAMPTZ) AS actualised_at
    FROM records r JOIN staging.rome k ON k.code_rome = r.romeCode
    WHERE r.id IS NOT NULL
  ), latest AS (
    SELECT * FROM typed
    WHERE created_at IS NOT NULL AND (dateActualisation IS NULL OR actualised_at IS NOT NULL)
    QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY COALESCE(actualised_at, created_at) DESC) = 1
  ), postal AS (
    SELECT code_postal, MIN(code_bassin) AS code_bassin FROM staging.communes WHERE code_postal IS NOT NULL
    GROUP BY code_postal HAVING COUNT(DISTINCT code_bassin) = 1
  )
  SELECT o.id AS offer_id, o.intitule, o.created_at, COALESCE(o.actualised_at, o.created_at) AS updated_at,
         CAST(o.created_at AS DATE) AS date_offre, o.romeCode AS code_rome, o.typeContrat AS type_contrat,
         TRY_CAST(regexp_extract(o.typeContratLibelle, ' - (\d+) Mois$', 1) AS BIGINT) AS duree_contrat_mois,
         CASE WHEN o.nombrePostes IS NULL OR o.nombrePostes <= 0 THEN 1 ELSE o.nombrePostes END AS postes,
         o.lieuTravail.commune AS code_commune, o.lieuTravail.codePostal AS code_postal,
         o.lieuTravail.latitude AS latitude, o.lieuTravail.longitude AS longitude,
         COALESCE(c.code_bassin, p.code_bassin, 'HORS_BASSIN') AS code_bassin,
         CASE WHEN c.code_bassin IS NOT NULL THEN 'commune' WHEN p.code_bassin IS NOT NULL THEN 'code_postal' ELSE 'none' END AS geo_method,
         o.competences, o.formations
  FROM latest o
  -- Municipal arrondissements (Paris, Lyon, Marseille) are placed as their commune.
  LEFT JOIN staging.communes c ON c.code_commune = CASE
      WHEN o.lieuTravail.commune BETWEEN '75101' AND '75120' THEN '75056'
      WHEN o.lieuTravail.commune BETWEEN '69381' AND '69389' THEN '69123'
      WHEN o.lieuTravail.commune BETWEEN '13201' AND '13216' THEN '13055'
      ELSE o.lieuTravail.commune END
  LEFT JOIN postal p ON p.code_postal = o.lieuTravail.codePostal
  ORDER BY offer_id
) TO '{target}' (FORMAT parquet, COMPRESSION zstd);

-- silver.offers: the offer records this run reads (bronze.new_offers: every record, or on a
-- nightly run those read after the previous run's) typed, checked against the ROME
-- referential, deduplicated and placed in a bassin (docs/metrics.md § Placement dans un
-- bassin). Per offer, the greatest `dateActualisation` (else `dateCreation`) wins, ties to
-- the record read last: two grouped aggregates and a join on the unique `record_order`
-- rather than a window over a million one-row partitions.

CREATE OR REPLACE VIEW staging.offers_classified AS
WITH typed AS (
    SELECT b.*,
           parse_api_timestamp(b.date_creation) AS created_at,
           parse_api_timestamp(b.date_actualisation) AS actualised_at,
           r.code_rome AS known_rome
    FROM bronze.new_offers b
    LEFT JOIN staging.rome r ON r.code_rome = b.rome_code
)
SELECT *,
       CASE
           WHEN rome_code IS NULL
               THEN ['bad_rome', 'the offer has no romeCode']
           WHEN known_rome IS NULL
               THEN ['bad_rome', 'romeCode ' || rome_code || ' is not in the ROME referential']
           WHEN created_at IS NULL
               THEN ['bad_date', 'dateCreation is missing or not a date: ' || COALESCE(date_creation, 'NULL')]
           WHEN date_actualisation IS NOT NULL AND actualised_at IS NULL
               THEN ['bad_date', 'dateActualisation is not a date: ' || date_actualisation]
       END AS reject
FROM typed;

CREATE OR REPLACE VIEW staging.offers_kept AS
WITH valid AS (
    SELECT id, COALESCE(actualised_at, created_at) AS version_at, record_order
    FROM staging.offers_classified
    WHERE reject IS NULL
), latest_version AS (
    SELECT id, MAX(version_at) AS version_at FROM valid GROUP BY id
), winners AS (
    SELECT v.id, MAX(v.record_order) AS record_order
    FROM valid v JOIN latest_version l ON v.id = l.id AND v.version_at = l.version_at
    GROUP BY v.id
), latest AS (
    SELECT c.* FROM staging.offers_classified c JOIN winners w ON c.record_order = w.record_order
)
SELECT
    o.id AS offer_id,
    o.intitule,
    o.created_at,
    COALESCE(o.actualised_at, o.created_at) AS updated_at,
    CAST(o.created_at AS DATE) AS date_offre,
    o.rome_code AS code_rome,
    o.appellation_libelle,
    o.type_contrat,
    o.type_contrat_libelle,
    contract_months(o.type_contrat_libelle) AS duree_contrat_mois,
    (o.type_contrat = 'CDI' OR (o.type_contrat = 'CDD' AND COALESCE(contract_months(o.type_contrat_libelle), 0) >= 6)) IS TRUE AS offre_durable,
    o.duree_travail_libelle_converti AS temps_travail,
    o.nombre_postes,
    CASE WHEN o.nombre_postes IS NULL OR o.nombre_postes <= 0 THEN CAST(1 AS BIGINT) ELSE o.nombre_postes END AS postes,
    o.alternance,
    o.lieu_commune AS code_commune,
    o.lieu_code_postal AS code_postal,
    o.lieu_latitude AS latitude,
    o.lieu_longitude AS longitude,
    o.lieu_libelle,
    -- Placement: commune (arrondissements folded), postal code of one bassin, point, HORS_BASSIN.
    COALESCE(c.code_bassin, p.code_bassin, bassin_at_point(o.lieu_longitude, o.lieu_latitude), 'HORS_BASSIN') AS code_bassin,
    CASE WHEN c.code_bassin IS NOT NULL THEN 'commune'
         WHEN p.code_bassin IS NOT NULL THEN 'code_postal'
         WHEN bassin_at_point(o.lieu_longitude, o.lieu_latitude) IS NOT NULL THEN 'point'
         ELSE 'none' END AS geo_method,
    o.secteur_activite,
    o.qualification_code,
    o.entreprise_nom,
    o.competences,
    o.formations,
    o.source_file,
    o.source_location
FROM latest o
LEFT JOIN staging.communes c ON c.code_commune = commune_of(o.lieu_commune)
LEFT JOIN staging.postal_bassins p ON p.code_postal = o.lieu_code_postal
ORDER BY offer_id;

CREATE OR REPLACE VIEW staging.offers_rejects AS
SELECT 'offers' AS input, source_file, source_location AS location, reject[1] AS reason, reject[2] AS detail, raw AS raw_value
FROM staging.offers_classified
WHERE reject IS NOT NULL;

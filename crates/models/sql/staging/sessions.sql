-- silver.sessions: one row per usable session of the LHEO catalogue (sessions_classified.sql)
-- with its places (the session's `nb-places`, else the action's funded places, else unknown:
-- NULL, not 0), the formation's known Formacodes in document order (an unknown one is a
-- `bad_formacode` reject; the session is kept), its specialty (first `code-NSF`, else the
-- NSF of its first known Formacode, else NSF_INCONNUE), its bassin (docs/metrics.md
-- § Placement dans un bassin) and its outcomes (staging.session_outcomes, empty without an
-- outcomes input).

CREATE OR REPLACE VIEW staging.sessions_positions AS
SELECT session_id, formacodes, source_file, source_location,
       unnest(range(1, CAST(array_length(formacodes) AS BIGINT) + 1)) AS position
FROM staging.sessions_classified
WHERE reject IS NULL AND array_length(formacodes) > 0;

CREATE OR REPLACE VIEW staging.sessions_kept AS
WITH codes AS (
    SELECT q.session_id, q.position, array_element(q.formacodes, q.position) AS formacode, f.formacode AS known, f.code_nsf
    FROM staging.sessions_positions q
    LEFT JOIN staging.formacode f ON f.formacode = array_element(q.formacodes, q.position)
), known AS (
    -- One narrow row per session with a known Formacode: the hash join below builds on it,
    -- never on the sessions' full rows (memory stays a fraction of the catalogue).
    SELECT session_id, array_agg(formacode ORDER BY position) AS formacodes, first_value(code_nsf ORDER BY position) AS code_nsf
    FROM codes
    WHERE known IS NOT NULL
    GROUP BY session_id
), usable AS (
    SELECT * FROM staging.sessions_classified WHERE reject IS NULL
)
SELECT v.session_id, v.formation_id, v.action_id, v.intitule_formation,
       k.formacodes, v.codes_nsf,
       COALESCE(array_element(v.codes_nsf, 1), k.code_nsf, 'NSF_INCONNUE') AS code_nsf,
       v.code_rncp, v.code_certifinfo, v.organisme_nom, v.organisme_siret, v.financeurs,
       v.date_debut, v.date_fin, v.debut AS debut_texte, v.fin AS fin_texte,
       v.places_session, v.places_financees, COALESCE(v.places_session, v.places_financees) AS places,
       v.lieu_code_commune AS code_commune, v.lieu_code_postal AS code_postal, v.lieu_latitude AS latitude, v.lieu_longitude AS longitude,
       -- Placement: commune (arrondissements folded), postal code of one bassin, point, HORS_BASSIN.
       COALESCE(c.code_bassin, p.code_bassin, bassin_at_point(v.lieu_longitude, v.lieu_latitude), 'HORS_BASSIN') AS code_bassin,
       CASE WHEN c.code_bassin IS NOT NULL THEN 'commune'
            WHEN p.code_bassin IS NOT NULL THEN 'code_postal'
            WHEN bassin_at_point(v.lieu_longitude, v.lieu_latitude) IS NOT NULL THEN 'point'
            ELSE 'none' END AS geo_method,
       r.entrees, r.entrees_prioritaires, r.sortants, r.en_emploi_6m, r.date_maj AS date_maj_resultats,
       v.source_file, v.source_location
FROM known k
RIGHT JOIN usable v ON k.session_id = v.session_id
LEFT JOIN staging.communes c ON c.code_commune = commune_of(v.lieu_code_commune)
LEFT JOIN staging.postal_bassins p ON p.code_postal = v.lieu_code_postal
LEFT JOIN staging.session_outcomes r ON r.session_id = v.session_id
ORDER BY v.session_id;

CREATE OR REPLACE VIEW staging.sessions_rejects AS
WITH unknown AS (
    SELECT DISTINCT q.source_file, q.source_location, array_element(q.formacodes, q.position) AS formacode
    FROM staging.sessions_positions q
    LEFT JOIN staging.formacode f ON f.formacode = array_element(q.formacodes, q.position)
    WHERE f.formacode IS NULL
)
SELECT 'lheo' AS input, source_file, source_location AS location, reject[1] AS reason, reject[2] AS detail, session_id AS raw_value
FROM staging.sessions_classified
WHERE reject IS NOT NULL
UNION ALL
SELECT 'lheo', source_file, source_location, 'bad_formacode', 'Formacode ' || formacode || ' is not in formacode.csv: ignored, the session is kept', formacode
FROM unknown;

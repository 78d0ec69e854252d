-- staging.session_outcomes: the outcomes of the catalogue's usable sessions, counts typed
-- (`*` and empty unknown) and checked for consistency; per session, the latest `date_maj`
-- wins, then the last line.

CREATE OR REPLACE VIEW staging.session_outcomes_classified AS
WITH ranked AS (
    SELECT o.*, s.session_id AS known,
           ROW_NUMBER() OVER (PARTITION BY o.session_id ORDER BY o.date_maj DESC NULLS LAST, o.source_line DESC) AS version_rank
    FROM bronze.session_outcomes o
    LEFT JOIN (SELECT session_id FROM staging.sessions_classified WHERE reject IS NULL) s ON s.session_id = o.session_id
)
SELECT *,
       CASE
           WHEN session_id IS NULL
               THEN ['missing_id', 'session_id is required']
           WHEN try_cast(entrees AS BIGINT) < 0 OR try_cast(entrees_prioritaires AS BIGINT) < 0
                OR try_cast(sortants AS BIGINT) < 0 OR try_cast(en_emploi_6m AS BIGINT) < 0
               THEN ['inconsistent_counts', 'a count is negative']
           WHEN is_bad_count(entrees) OR is_bad_count(entrees_prioritaires) OR is_bad_count(sortants) OR is_bad_count(en_emploi_6m)
               THEN ['bad_count', 'a count is not a non-negative integer']
           WHEN parse_count(entrees_prioritaires) > parse_count(entrees)
               THEN ['inconsistent_counts', 'entrees_prioritaires > entrees']
           WHEN parse_count(en_emploi_6m) > parse_count(sortants)
               THEN ['inconsistent_counts', 'en_emploi_6m > sortants']
           WHEN known IS NULL
               THEN ['unknown_session', 'session ' || session_id || ' is not among the catalogue''s usable sessions']
           WHEN version_rank > 1
               THEN ['duplicate_key', 'a later row updates this session']
       END AS reject
FROM ranked;

CREATE OR REPLACE VIEW staging.session_outcomes_kept AS
SELECT session_id, parse_count(entrees) AS entrees, parse_count(entrees_prioritaires) AS entrees_prioritaires,
       parse_count(sortants) AS sortants, parse_count(en_emploi_6m) AS en_emploi_6m, date_maj
FROM staging.session_outcomes_classified
WHERE reject IS NULL;

CREATE OR REPLACE VIEW staging.session_outcomes_rejects AS
SELECT 'session_outcomes' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(session_id, ''), COALESCE(entrees, ''), COALESCE(entrees_prioritaires, ''), COALESCE(sortants, ''), COALESCE(en_emploi_6m, ''), COALESCE(date_maj, '')) AS raw_value
FROM staging.session_outcomes_classified
WHERE reject IS NOT NULL;

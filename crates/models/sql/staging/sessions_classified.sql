-- staging.sessions_classified: every session of the LHEO catalogue with its dates (a `00`
-- day or month is the first for the start, the last for the end) and the first rule it
-- breaks (NULL: usable), shared by session_outcomes.sql and sessions.sql.

CREATE OR REPLACE VIEW staging.sessions_classified AS
WITH typed AS (
    SELECT b.*, parse_lheo_start(b.debut) AS date_debut, parse_lheo_end(b.fin) AS date_fin,
           ROW_NUMBER() OVER (PARTITION BY b.session_id ORDER BY b.source_file, b.source_location) AS occurrence
    FROM bronze.lheo b
)
SELECT *,
       CASE
           WHEN session_id IS NULL
               THEN ['missing_id', 'the session has no numero']
           WHEN date_debut IS NULL OR date_fin IS NULL
               THEN ['bad_period', 'the session has no usable dates: debut ' || COALESCE(debut, 'absent') || ', fin ' || COALESCE(fin, 'absent')]
           WHEN date_fin < date_debut
               THEN ['bad_period', 'the session ends (' || fin || ') before it starts (' || debut || ')']
           WHEN occurrence > 1
               THEN ['duplicate_key', 'session ' || session_id || ' already read']
       END AS reject
FROM typed;

-- silver.labour_market_tension: France Travail's recruitment-difficulty figures (PERSP_2,
-- Marché du travail API) typed — the year, the rank 1–5 (`valeurPrincipaleNombre`, else a
-- numeric `valeurPrincipaleNom`, the field older clients read), the decimal score — each
-- placed in the grid bassins that take their figures from its BMO bassin: a rank cannot be
-- shared by weight, so a grid bassin takes its BMO bassin of largest weight (on the BMO
-- grid, itself). The codes are TYPE_TENSION's (staging::TENSION_CODES).

CREATE OR REPLACE VIEW staging.labour_market_tension_classified AS
WITH known_bmo AS (
    SELECT DISTINCT code_bassin_bmo FROM staging.bmo_crosswalk
), typed AS (
    SELECT t.*, lpad(trim(t.code_territoire), 4, '0') AS bassin_bmo,
           CASE WHEN length(trim(t.annee)) = 4 THEN try_cast(trim(t.annee) AS INT) END AS annee_n,
           try_cast(COALESCE(t.valeur_nombre, t.valeur_nom) AS DOUBLE) AS rang_n,
           try_cast(t.valeur_decimale AS DOUBLE) AS score_n,
           k.code_bassin_bmo AS known_bassin, r.code_rome AS known_rome
    FROM bronze.labour_market_tension t
    LEFT JOIN known_bmo k ON k.code_bassin_bmo = lpad(trim(t.code_territoire), 4, '0')
    LEFT JOIN staging.rome r ON r.code_rome = t.code_rome
)
SELECT *,
       CASE
           WHEN annee_n IS NULL
               THEN ['bad_period', 'codePeriode is not a year: ' || COALESCE(annee, 'NULL')]
           WHEN known_rome IS NULL
               THEN ['bad_rome', 'codeActivite ' || COALESCE(code_rome, 'NULL') || ' is not in the ROME referential']
           WHEN type_territoire IS DISTINCT FROM 'bassin_bmo'
               THEN ['bad_territory', 'codeTypeTerritoire must be BASBMO: ' || COALESCE(type_territoire, 'NULL')]
           WHEN known_bassin IS NULL
               THEN ['unknown_bassin', 'BMO bassin ' || bassin_bmo || ' is not in the grid (or its correspondence file)']
           WHEN code_indicateur NOT IN ('PERSPECTIVE', 'MAIN_OEUVRE', 'INT_EMB', 'COND_TRAVAIL', 'DUR_EMPL', 'MISMATCH_GEO', 'SPECIF_FORM_EMPL', 'ATTR_SALARIALE')
               THEN ['missing_value', 'unknown TYPE_TENSION code ' || code_indicateur]
           WHEN (rang_n IS NOT NULL AND (rang_n < 1 OR rang_n > 5 OR rang_n <> round(rang_n)))
                OR (COALESCE(valeur_nombre, valeur_nom) IS NOT NULL AND rang_n IS NULL)
               THEN ['bad_count', 'the rank is not a whole number from 1 to 5: ' || COALESCE(valeur_nombre, valeur_nom)]
       END AS reject
FROM typed;

CREATE OR REPLACE VIEW staging.labour_market_tension_kept AS
WITH main_bmo AS (
    SELECT code_bassin, code_bassin_bmo
    FROM (
        SELECT code_bassin, code_bassin_bmo,
               ROW_NUMBER() OVER (PARTITION BY code_bassin ORDER BY poids DESC, code_bassin_bmo) AS position
        FROM staging.bmo_crosswalk
    ) ranked
    WHERE position = 1
)
SELECT c.annee_n AS annee, c.bassin_bmo AS code_bassin_bmo, m.code_bassin, c.code_rome, c.code_indicateur, c.libelle_indicateur,
       CAST(c.rang_n AS BIGINT) AS rang, c.score_n AS score, c.date_maj, c.source_file, c.source_line
FROM staging.labour_market_tension_classified c
LEFT JOIN main_bmo m ON m.code_bassin_bmo = c.bassin_bmo
WHERE c.reject IS NULL
ORDER BY annee, code_bassin_bmo, code_bassin, code_rome, code_indicateur;

CREATE OR REPLACE VIEW staging.labour_market_tension_rejects AS
SELECT 'labour_market' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(annee, ''), COALESCE(code_territoire, ''), COALESCE(code_rome, ''), COALESCE(code_indicateur, ''), COALESCE(valeur_nombre, ''), COALESCE(valeur_decimale, '')) AS raw_value
FROM staging.labour_market_tension_classified
WHERE reject IS NOT NULL;

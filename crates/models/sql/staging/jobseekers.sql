-- silver.jobseekers: counts typed (`*` and empty are NULL, never 0), periods typed (a month
-- `YYYY-MM` or a quarter `YYYYTn`), each row placed in its bassin: rows given by commune
-- keep their commune and get its bassin; rows given by BMO bassin (the Marché du travail
-- API's `BASBMO`) are shared onto the grid by staging.bmo_crosswalk's weights, each share
-- rounded to a whole person. The rows landed by `skillgap fetch labour-market` are the
-- `labour_market` input's (their rejects count against it).

CREATE OR REPLACE VIEW staging.jobseekers_classified AS
WITH bassins AS (
    SELECT DISTINCT code_bassin FROM staging.communes
), known_bmo AS (
    SELECT DISTINCT code_bassin_bmo FROM staging.bmo_crosswalk
), located AS (
    SELECT j.*,
           CASE WHEN j.type_territoire = 'bassin' THEN b.code_bassin
                WHEN j.type_territoire = 'commune' THEN c.code_bassin
                WHEN j.type_territoire = 'bassin_bmo' THEN k.code_bassin_bmo END AS resolved_bassin,
           r.code_rome AS known_rome
    FROM bronze.jobseekers j
    LEFT JOIN bassins b ON j.type_territoire = 'bassin' AND b.code_bassin = j.code_territoire
    LEFT JOIN staging.communes c ON j.type_territoire = 'commune' AND c.code_commune = commune_of(j.code_territoire)
    LEFT JOIN known_bmo k ON j.type_territoire = 'bassin_bmo' AND k.code_bassin_bmo = lpad(j.code_territoire, 4, '0')
    LEFT JOIN staging.rome r ON r.code_rome = j.code_rome
)
SELECT *,
       CASE
           WHEN period_start(periode) IS NULL
               THEN ['bad_period', 'periode is neither a month YYYY-MM nor a quarter YYYYTn: ' || COALESCE(periode, 'NULL')]
           WHEN code_rome IS NULL OR known_rome IS NULL
               THEN ['bad_rome', 'code_rome ' || COALESCE(code_rome, 'NULL') || ' is not in the ROME referential']
           WHEN type_territoire IS NULL OR type_territoire NOT IN ('bassin', 'commune', 'bassin_bmo')
               THEN ['bad_territory', 'type_territoire must be bassin, commune or bassin_bmo: ' || COALESCE(type_territoire, 'NULL')]
           WHEN resolved_bassin IS NULL
               THEN ['unknown_territory', type_territoire || ' ' || COALESCE(code_territoire, 'NULL') || ' is not in the grid'
                                  || CASE WHEN type_territoire = 'bassin_bmo' THEN ' (or its BMO correspondence file)' ELSE '' END]
           WHEN is_bad_count(de_a) OR is_bad_count(de_abc) OR is_bad_count(sorties_abc_12m) OR is_bad_count(entrees_a_12m)
               THEN ['bad_count', 'not a count (a non-negative integer, * or empty): ' || concat_ws(', ',
                        CASE WHEN is_bad_count(de_a) THEN 'de_a=' || de_a END,
                        CASE WHEN is_bad_count(de_abc) THEN 'de_abc=' || de_abc END,
                        CASE WHEN is_bad_count(sorties_abc_12m) THEN 'sorties_abc_12m=' || sorties_abc_12m END,
                        CASE WHEN is_bad_count(entrees_a_12m) THEN 'entrees_a_12m=' || entrees_a_12m END)]
       END AS reject
FROM located;

-- A BMO bassin's row becomes one row per grid bassin it covers, its counts times the weight.
CREATE OR REPLACE VIEW staging.jobseekers_kept AS
SELECT k.periode, period_start(k.periode) AS periode_debut, period_end(k.periode) AS periode_fin,
       CASE WHEN k.periode LIKE '%T%' THEN 'trimestre' ELSE 'mois' END AS type_periode,
       k.type_territoire, k.code_territoire, COALESCE(x.code_bassin, k.resolved_bassin) AS code_bassin, k.code_rome,
       CASE WHEN x.poids IS NULL THEN parse_count(de_a) ELSE CAST(round(parse_count(de_a) * x.poids) AS BIGINT) END AS de_a,
       CASE WHEN x.poids IS NULL THEN parse_count(de_abc) ELSE CAST(round(parse_count(de_abc) * x.poids) AS BIGINT) END AS de_abc,
       CASE WHEN x.poids IS NULL THEN parse_count(sorties_abc_12m) ELSE CAST(round(parse_count(sorties_abc_12m) * x.poids) AS BIGINT) END AS sorties_abc_12m,
       CASE WHEN x.poids IS NULL THEN parse_count(entrees_a_12m) ELSE CAST(round(parse_count(entrees_a_12m) * x.poids) AS BIGINT) END AS entrees_a_12m,
       k.source_file, k.source_line
FROM staging.jobseekers_classified k
LEFT JOIN staging.bmo_crosswalk x ON k.type_territoire = 'bassin_bmo' AND x.code_bassin_bmo = k.resolved_bassin
WHERE k.reject IS NULL
ORDER BY periode, code_territoire, code_bassin, code_rome, source_file, source_line;

CREATE OR REPLACE VIEW staging.jobseekers_rejects AS
SELECT CASE WHEN starts_with(source_file, 'landing/labour_market/answers/') THEN 'labour_market' ELSE 'jobseekers' END AS input,
       source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(periode, ''), COALESCE(code_territoire, ''), COALESCE(type_territoire, ''), COALESCE(code_rome, ''),
                 COALESCE(de_a, ''), COALESCE(de_abc, ''), COALESCE(sorties_abc_12m, ''), COALESCE(entrees_a_12m, '')) AS raw_value
FROM staging.jobseekers_classified
WHERE reject IS NOT NULL;

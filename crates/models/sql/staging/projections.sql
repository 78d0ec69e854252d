-- silver.projections: « Les métiers en 2030 », the rows of the region $region (every row
-- when NULL), numbers read with a decimal comma or point (thousands over 2019–2030). A FAP
-- that no ROME of rome.csv belongs to is a reject (its projections could reach no bassin).
-- staging.projections_identity_errors lists the rows that break the file's identities,
-- which stop the run.

CREATE OR REPLACE VIEW staging.projections_classified AS
WITH typed AS (
    SELECT p.*,
           try_cast(replace(trim(emploi_2019), ',', '.') AS DOUBLE) AS emploi_2019_n,
           try_cast(replace(trim(creations_nettes), ',', '.') AS DOUBLE) AS creations_nettes_n,
           try_cast(replace(trim(departs_fin_carriere), ',', '.') AS DOUBLE) AS departs_fin_carriere_n,
           try_cast(replace(trim(jeunes_debutants), ',', '.') AS DOUBLE) AS jeunes_debutants_n,
           try_cast(replace(trim(solde_mobilites), ',', '.') AS DOUBLE) AS solde_mobilites_n,
           try_cast(replace(trim(desequilibre), ',', '.') AS DOUBLE) AS desequilibre_n,
           try_cast(replace(trim(postes_a_pourvoir), ',', '.') AS DOUBLE) AS postes_a_pourvoir_n,
           try_cast(trim(niveau_tension_2019) AS BIGINT) AS niveau_tension_2019_n,
           f.code_fap AS known_fap
    FROM bronze.projections p
    LEFT JOIN (SELECT DISTINCT code_fap FROM staging.rome WHERE code_fap IS NOT NULL) f ON f.code_fap = upper(trim(p.code_fap))
    WHERE $region IS NULL OR trim(region) = $region
)
SELECT *,
       CASE
           WHEN code_fap IS NULL OR trim(code_fap) = ''
               THEN ['missing_value', 'code_fap is required']
           WHEN emploi_2019_n IS NULL OR creations_nettes_n IS NULL OR departs_fin_carriere_n IS NULL OR jeunes_debutants_n IS NULL
                OR solde_mobilites_n IS NULL OR desequilibre_n IS NULL OR postes_a_pourvoir_n IS NULL
               THEN ['bad_count', 'a figure is not a number']
           WHEN known_fap IS NULL
               THEN ['unknown_fap', 'FAP ' || code_fap || ' has no ROME in rome.csv (code_fap): its projections cannot reach a bassin']
       END AS reject
FROM typed;

CREATE OR REPLACE VIEW staging.projections_kept AS
SELECT upper(trim(code_fap)) AS code_fap, trim(libelle_fap) AS libelle_fap, trim(region) AS region,
       emploi_2019_n AS emploi_2019, creations_nettes_n AS creations_nettes, departs_fin_carriere_n AS departs_fin_carriere,
       jeunes_debutants_n AS jeunes_debutants, solde_mobilites_n AS solde_mobilites, desequilibre_n AS desequilibre,
       postes_a_pourvoir_n AS postes_a_pourvoir, niveau_tension_2019_n AS niveau_tension_2019,
       source_file, CAST(source_line AS BIGINT) AS source_line
FROM staging.projections_classified
WHERE reject IS NULL
ORDER BY code_fap;

CREATE OR REPLACE VIEW staging.projections_rejects AS
SELECT 'projections' AS input, source_file, 'line ' || CAST(source_line AS VARCHAR) AS location,
       reject[1] AS reason, reject[2] AS detail,
       concat_ws(',', COALESCE(code_fap, ''), COALESCE(libelle_fap, ''), COALESCE(region, ''), COALESCE(emploi_2019, ''),
                 COALESCE(creations_nettes, ''), COALESCE(departs_fin_carriere, ''), COALESCE(jeunes_debutants, ''),
                 COALESCE(solde_mobilites, ''), COALESCE(desequilibre, ''), COALESCE(postes_a_pourvoir, '')) AS raw_value
FROM staging.projections_classified
WHERE reject IS NOT NULL;

-- The identities, within 0.3 (the file rounds each figure to a tenth): postes à pourvoir =
-- créations nettes + départs; déséquilibre = postes + débutants + solde des mobilités
-- (débutants are negative in the file, and a negative balance is net arrivals).
CREATE OR REPLACE VIEW staging.projections_identity_errors AS
SELECT source_file || ', line ' || CAST(source_line AS VARCHAR) || ' (FAP ' || code_fap || '): ' ||
       CASE WHEN abs(postes_a_pourvoir_n - creations_nettes_n - departs_fin_carriere_n) > 0.3
            THEN 'postes à pourvoir ' || CAST(postes_a_pourvoir_n AS VARCHAR) || ' ≠ créations nettes ' || CAST(creations_nettes_n AS VARCHAR)
                 || ' + départs en fin de carrière ' || CAST(departs_fin_carriere_n AS VARCHAR)
            ELSE 'déséquilibre ' || CAST(desequilibre_n AS VARCHAR) || ' ≠ postes à pourvoir ' || CAST(postes_a_pourvoir_n AS VARCHAR)
                 || ' + jeunes débutants ' || CAST(jeunes_debutants_n AS VARCHAR) || ' + solde des mobilités ' || CAST(solde_mobilites_n AS VARCHAR) END
       AS message
FROM staging.projections_classified
WHERE reject IS NULL
  AND (abs(postes_a_pourvoir_n - creations_nettes_n - departs_fin_carriere_n) > 0.3
       OR abs(desequilibre_n - (postes_a_pourvoir_n + jeunes_debutants_n + solde_mobilites_n)) > 0.3)
ORDER BY source_line;

-- gold.france_travail_tension — grain (code_bassin, code_rome). docs/metrics.md
-- « Tension selon France Travail ». France Travail's own tension indicator and its causes
-- (PERSP_2) for the run's year — the latest <= the year of D —, one column per cause,
-- and the French labels of the causes ranked 4 or 5 (highest first), for the grid
-- bassins silver placed them in (each grid bassin takes its main BMO bassin's figures).
-- Parameters: $bmo_year (the year of D).
WITH selected_year AS (
    SELECT MAX(annee) AS annee FROM silver.labour_market_tension WHERE annee <= $bmo_year
), labels (code_indicateur, libelle, ordre) AS (
    -- PERSP_2's codes in the sheets' order (staging's TENSION_CODES).
    VALUES ('PERSPECTIVE', 'tension (indicateur principal)', 0), ('MAIN_OEUVRE', 'main-d''œuvre disponible', 1),
           ('INT_EMB', 'intensité d''embauches', 2), ('COND_TRAVAIL', 'conditions de travail', 3),
           ('DUR_EMPL', 'durabilité de l''emploi', 4), ('MISMATCH_GEO', 'inadéquation géographique', 5),
           ('SPECIF_FORM_EMPL', 'lien formation-emploi', 6), ('ATTR_SALARIALE', 'attractivité salariale', 7)
), figures AS (
    SELECT t.*, l.libelle, l.ordre
    FROM silver.labour_market_tension t
    JOIN selected_year y ON t.annee = y.annee
    JOIN labels l ON l.code_indicateur = t.code_indicateur
    WHERE t.code_bassin IS NOT NULL
)
SELECT f.code_bassin, f.code_rome, f.annee, f.code_bassin_bmo,
       MAX(CASE WHEN f.code_indicateur = 'PERSPECTIVE' THEN f.rang END) AS niveau_tension_ft,
       MAX(CASE WHEN f.code_indicateur = 'PERSPECTIVE' THEN f.score END) AS score_tension_ft,
       MAX(CASE WHEN f.code_indicateur = 'MAIN_OEUVRE' THEN f.rang END) AS main_oeuvre_disponible,
       MAX(CASE WHEN f.code_indicateur = 'INT_EMB' THEN f.rang END) AS intensite_embauches,
       MAX(CASE WHEN f.code_indicateur = 'COND_TRAVAIL' THEN f.rang END) AS conditions_travail,
       MAX(CASE WHEN f.code_indicateur = 'DUR_EMPL' THEN f.rang END) AS durabilite_emploi,
       MAX(CASE WHEN f.code_indicateur = 'MISMATCH_GEO' THEN f.rang END) AS inadequation_geographique,
       MAX(CASE WHEN f.code_indicateur = 'SPECIF_FORM_EMPL' THEN f.rang END) AS lien_formation_emploi,
       MAX(CASE WHEN f.code_indicateur = 'ATTR_SALARIALE' THEN f.rang END) AS attractivite_salariale,
       array_to_string(array_agg(f.libelle ORDER BY f.rang DESC, f.ordre) FILTER (WHERE f.code_indicateur <> 'PERSPECTIVE' AND f.rang >= 4), ', ') AS causes_principales,
       MAX(f.date_maj) AS date_maj
FROM figures f
GROUP BY f.code_bassin, f.code_rome, f.annee, f.code_bassin_bmo
ORDER BY f.code_bassin, f.code_rome

-- gold.skills_demand — grain (code_bassin, code_rome, code_competence). metrics.md
-- § skills_demand. How many of the (bassin, ROME)'s W12 offers list each competence
-- (once per offer, only competences with a code), and their share of those offers.
-- Parameters: $as_of (D), $w12_start.
WITH offers AS (
    SELECT offer_id, code_bassin, code_rome, competences FROM silver.offers
    WHERE date_offre >= $w12_start AND date_offre < $as_of
), totals AS (
    SELECT code_bassin, code_rome, COUNT(*) AS offres_rome FROM offers GROUP BY code_bassin, code_rome
), listed AS (
    SELECT offer_id, code_bassin, code_rome, competence['code'] AS code_competence, competence['libelle'] AS libelle
    FROM (SELECT offer_id, code_bassin, code_rome, unnest(competences) AS competence FROM offers WHERE competences IS NOT NULL)
), labels AS (
    -- One label per code for the whole run: the most frequent, then the first in
    -- alphabetical order.
    SELECT code_competence, libelle FROM (
      SELECT code_competence, libelle, ROW_NUMBER() OVER (PARTITION BY code_competence ORDER BY COUNT(*) DESC, libelle) AS rank
      FROM listed WHERE code_competence IS NOT NULL AND libelle IS NOT NULL GROUP BY code_competence, libelle
    ) WHERE rank = 1
), counted AS (
    SELECT code_bassin, code_rome, code_competence, COUNT(DISTINCT offer_id) AS offres
    FROM listed WHERE code_competence IS NOT NULL GROUP BY code_bassin, code_rome, code_competence
)
SELECT c.code_bassin, c.code_rome, c.code_competence, l.libelle AS libelle_competence, c.offres,
       CAST(c.offres AS DOUBLE) / t.offres_rome AS part_offres
FROM counted c
JOIN totals t ON t.code_bassin = c.code_bassin AND t.code_rome = c.code_rome
LEFT JOIN labels l ON l.code_competence = c.code_competence
ORDER BY c.code_bassin, c.code_rome, c.code_competence

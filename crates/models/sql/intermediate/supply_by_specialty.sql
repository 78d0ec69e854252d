-- intermediate.supply_by_specialty — grain (code_bassin, code_nsf): the training supply of
-- each bassin and specialty, a session counted once (metrics.md § specialty_gap and
-- § bassin_summary): counts and sums over the windows, the numerators and denominators
-- of the rates, and how many sessions have their places, results and métiers known.
-- specialty_gap reads it as it is; bassin_summary adds it up by bassin.
-- Parameters: $as_of (D), $w12_start, $f6_end, $observable_start, $observable_end.
WITH with_metiers AS (
    SELECT DISTINCT session_id FROM intermediate.session_metiers
)
SELECT s.code_bassin, s.code_nsf,
       COUNT(*) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of) AS sessions_12m,
       SUM(places) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of) AS places_12m,
       SUM(entrees) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of) AS entrees_12m,
       SUM(entrees) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND places IS NOT NULL AND entrees IS NOT NULL) AS remplissage_entrees,
       SUM(places) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND places IS NOT NULL AND entrees IS NOT NULL) AS remplissage_places,
       -- entrees / places < 0.8 in integers (5 × entrees < 4 × places), places > 0.
       COUNT(*) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND places IS NOT NULL AND entrees IS NOT NULL
                        AND places > 0 AND 5 * entrees < 4 * places) AS sessions_sous_80,
       SUM(entrees_prioritaires) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND entrees IS NOT NULL AND entrees_prioritaires IS NOT NULL) AS prioritaires_entrees,
       SUM(entrees) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND entrees IS NOT NULL AND entrees_prioritaires IS NOT NULL) AS prioritaires_total,
       SUM(COALESCE(entrees, places)) FILTER (WHERE date_fin >= $as_of AND date_fin < $f6_end) AS sortants_prevus_6m,
       SUM(en_emploi_6m) FILTER (WHERE date_fin >= $observable_start AND date_fin < $observable_end AND sortants IS NOT NULL AND en_emploi_6m IS NOT NULL) AS emploi_en_emploi,
       SUM(sortants) FILTER (WHERE date_fin >= $observable_start AND date_fin < $observable_end AND sortants IS NOT NULL AND en_emploi_6m IS NOT NULL) AS emploi_sortants,
       COUNT(*) FILTER (WHERE (date_debut >= $w12_start AND date_debut < $as_of) OR (date_fin >= $as_of AND date_fin < $f6_end)
                        OR (date_fin >= $observable_start AND date_fin < $observable_end)) AS sessions_fenetres,
       COUNT(*) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND s.places IS NOT NULL) AS sessions_places_connues,
       COUNT(*) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND s.entrees IS NOT NULL) AS sessions_resultats_connus,
       COUNT(*) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND m.session_id IS NULL) AS sessions_sans_metier,
       COUNT(*) FILTER (WHERE date_debut >= $w12_start AND date_debut < $as_of AND m.session_id IS NULL AND s.formacodes IS NOT NULL) AS sessions_formacode_sans_metier
FROM silver.sessions s LEFT JOIN with_metiers m ON m.session_id = s.session_id
GROUP BY s.code_bassin, s.code_nsf
ORDER BY s.code_bassin, s.code_nsf

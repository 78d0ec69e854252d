-- staging.bmo_crosswalk on a grid other than the BMO bassins: BMO bassin → grid bassin with
-- its weight, from the correspondence file (staging.bmo_bassins).

CREATE OR REPLACE VIEW staging.bmo_crosswalk AS
SELECT code_bassin, code_bassin_bmo, poids
FROM staging.bmo_bassins;

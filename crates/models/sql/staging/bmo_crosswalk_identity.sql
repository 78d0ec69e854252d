-- staging.bmo_crosswalk when the grid is the BMO bassins: each bassin is its own BMO
-- bassin, weight 1. `code_bassin` comes first: with the alias first, Ballista 55 runs
-- labour_market_tension.sql's window over this view on input it no longer sorts by the
-- partition key (« Expects PARTITION BY expression to be ordered »).

CREATE OR REPLACE VIEW staging.bmo_crosswalk AS
SELECT DISTINCT code_bassin, code_bassin AS code_bassin_bmo, CAST(1.0 AS DOUBLE) AS poids
FROM staging.communes;

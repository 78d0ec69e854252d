-- silver.offers of a nightly run: the previous run's offers (previous.offers, sorted by
-- offer_id) with this run's new records (offers.sql over bronze.new_offers) merged in — per
-- offer, the greatest `updated_at` wins and a new record wins a tie, as offers.sql would
-- decide over every record. The rejects are the new records' only (the previous run's are
-- carried by the run).

CREATE OR REPLACE VIEW staging.offers_merged_kept AS
SELECT p.* FROM previous.offers p
LEFT JOIN staging.offers_kept n ON n.offer_id = p.offer_id
WHERE n.offer_id IS NULL OR p.updated_at > n.updated_at
UNION ALL
SELECT n.* FROM staging.offers_kept n
LEFT JOIN previous.offers p ON p.offer_id = n.offer_id
WHERE p.offer_id IS NULL OR n.updated_at >= p.updated_at
ORDER BY offer_id;

CREATE OR REPLACE VIEW staging.offers_merged_rejects AS
SELECT * FROM staging.offers_rejects;

//! `silver.offers`: typed, validated against the ROME referential, deduplicated (the
//! greatest `dateActualisation` wins, ties to the one read last — two grouped
//! aggregates and a join on the unique `record_order`: DataFusion's window executor
//! slices its input once per partition, which costs seconds with a million one-row
//! partitions) and placed in a bassin
//! (commune code, arrondissements mapped to their commune → postal code when it maps to
//! one bassin only → point in a bassin polygon → `HORS_BASSIN`).

use datafusion::prelude::SessionContext;

use super::{Rule, Staged, classification, staged};
use crate::error::Result;
use crate::geocoding::{POSTAL_CTE, placement_joins, placement_sql};

/// Builds `silver.offers` and the offers' staging rejects from `bronze.offers`.
pub async fn offers(context: &SessionContext) -> Result<Staged> {
    offers_from(context, "bronze.offers", None).await
}

/// `silver.offers` of a nightly run: the previous run's (`previous.offers`) with the
/// records of `bronze.new_offers` (read after all of the previous run's) merged in — per
/// offer, the greatest `updated_at` wins and a new record wins a tie, as it would in
/// [`offers`] over every record. The rejects are the new records' only.
pub async fn offers_merged(context: &SessionContext) -> Result<Staged> {
    offers_from(context, "bronze.new_offers", Some("previous.offers")).await
}

/// Why an offer record is rejected, in order of precedence.
const REJECTS: [Rule<'static>; 4] = [
    Rule { condition: "rome_code IS NULL", reason: "bad_rome", detail: "'the offer has no romeCode'" },
    Rule {
        condition: "known_rome IS NULL",
        reason: "bad_rome",
        detail: "'romeCode ' || rome_code || ' is not in the ROME referential'",
    },
    Rule {
        condition: "created_at IS NULL",
        reason: "bad_date",
        detail: "'dateCreation is missing or not a date: ' || COALESCE(date_creation, 'NULL')",
    },
    Rule {
        condition: "date_actualisation IS NOT NULL AND actualised_at IS NULL",
        reason: "bad_date",
        detail: "'dateActualisation is not a date: ' || date_actualisation",
    },
];

async fn offers_from(context: &SessionContext, records: &str, previous: Option<&str>) -> Result<Staged> {
    let (code_bassin, geo_method) =
        placement_sql("c.code_bassin", "p.code_bassin", "o.lieu_longitude", "o.lieu_latitude");
    let classified = format!(
        "WITH typed AS (
            SELECT b.*,
              parse_api_timestamp(b.date_creation) AS created_at,
              parse_api_timestamp(b.date_actualisation) AS actualised_at,
              r.code_rome AS known_rome
            FROM {records} b LEFT JOIN staging.rome r ON r.code_rome = b.rome_code
         ), classified AS (
            SELECT *,
              {classification}
            FROM typed
         )",
        classification = classification(&REJECTS)
    );
    let placed = format!(
        "{classified}, valid AS (
            SELECT id, COALESCE(actualised_at, created_at) AS version_at, record_order FROM classified WHERE reject_reason IS NULL
         ), latest_version AS (
            SELECT id, MAX(version_at) AS version_at FROM valid GROUP BY id
         ), winners AS (
            SELECT v.id, MAX(v.record_order) AS record_order
            FROM valid v JOIN latest_version l ON v.id = l.id AND v.version_at = l.version_at
            GROUP BY v.id
         ), latest AS (
            SELECT c.* FROM classified c JOIN winners w ON c.record_order = w.record_order
         ), {POSTAL_CTE}
         SELECT
            o.id AS offer_id,
            o.intitule,
            o.created_at,
            COALESCE(o.actualised_at, o.created_at) AS updated_at,
            CAST(o.created_at AS DATE) AS date_offre,
            o.rome_code AS code_rome,
            o.appellation_libelle,
            o.type_contrat,
            o.type_contrat_libelle,
            contract_months(o.type_contrat_libelle) AS duree_contrat_mois,
            (o.type_contrat = 'CDI' OR (o.type_contrat = 'CDD' AND COALESCE(contract_months(o.type_contrat_libelle), 0) >= 6)) IS TRUE AS offre_durable,
            o.duree_travail_libelle_converti AS temps_travail,
            o.nombre_postes,
            CASE WHEN o.nombre_postes IS NULL OR o.nombre_postes <= 0 THEN CAST(1 AS BIGINT) ELSE o.nombre_postes END AS postes,
            o.alternance,
            o.lieu_commune AS code_commune,
            o.lieu_code_postal AS code_postal,
            o.lieu_latitude AS latitude,
            o.lieu_longitude AS longitude,
            o.lieu_libelle,
            {code_bassin} AS code_bassin,
            {geo_method} AS geo_method,
            o.secteur_activite,
            o.qualification_code,
            o.entreprise_nom,
            o.competences,
            o.formations,
            o.source_file,
            o.source_location
         FROM latest o {joins}",
        joins = placement_joins("o.lieu_commune", "o.lieu_code_postal"),
    );
    let rows = match previous {
        None => format!("{placed} ORDER BY offer_id"),
        Some(previous) => format!(
            "WITH new_offers AS ({placed})
             SELECT p.* FROM {previous} p LEFT JOIN new_offers n ON n.offer_id = p.offer_id WHERE n.offer_id IS NULL OR p.updated_at > n.updated_at
             UNION ALL
             SELECT n.* FROM new_offers n LEFT JOIN {previous} p ON p.offer_id = n.offer_id WHERE p.offer_id IS NULL OR n.updated_at >= p.updated_at
             ORDER BY offer_id"
        ),
    };
    let rejects = format!(
        "{classified} SELECT 'offers' AS input, source_file, source_location AS location, reject_reason AS reason, reject_detail AS detail, raw AS raw_value FROM classified WHERE reject_reason IS NOT NULL"
    );
    staged(context, "silver.offers", &rows, &rejects).await
}

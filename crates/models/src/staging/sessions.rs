//! `silver.sessions`: one row per training session of the LHEO catalogue, with its dates
//! (`00` day or month: first for the start, last for the end), places (the session's
//! `nb-places`, else the action's funded places, else unknown — NULL, not 0), the
//! formation's known Formacodes in document order (an unknown one is a `bad_formacode`
//! reject; the session is kept), its specialty (first `code-NSF`, else the NSF of its
//! first Formacode, else `NSF_INCONNUE`), its place in a bassin (the offers' mechanism)
//! and its outcomes. Sessions without dates or ending before they start are
//! `bad_period` rejects.

use datafusion::prelude::SessionContext;

use super::{Rule, Staged, classification, csv_reject_columns, staged};
use crate::error::Result;
use crate::geocoding::{POSTAL_CTE, placement_joins, placement_sql};

/// The specialty of a session with no NSF at all.
pub const UNKNOWN_NSF: &str = "NSF_INCONNUE";

/// Why a catalogue session is rejected, in order of precedence.
const SESSION_REJECTS: [Rule<'static>; 4] = [
    Rule { condition: "session_id IS NULL", reason: "missing_id", detail: "'the session has no numero'" },
    Rule {
        condition: "date_debut IS NULL OR date_fin IS NULL",
        reason: "bad_period",
        detail: "'the session has no usable dates: debut ' || COALESCE(debut, 'absent') || ', fin ' || COALESCE(fin, 'absent')",
    },
    Rule {
        condition: "date_fin < date_debut",
        reason: "bad_period",
        detail: "'the session ends (' || fin || ') before it starts (' || debut || ')'",
    },
    Rule {
        condition: "occurrence > 1",
        reason: "duplicate_key",
        detail: "'session ' || session_id || ' already read'",
    },
];

/// CTEs `lheo_classified` (every bronze session with its reject reason) and
/// `lheo_valid`, shared by sessions and outcomes.
fn classified() -> String {
    format!(
        "lheo_typed AS (
        SELECT b.*, parse_lheo_start(b.debut) AS date_debut, parse_lheo_end(b.fin) AS date_fin,
               ROW_NUMBER() OVER (PARTITION BY b.session_id ORDER BY b.source_file, b.source_location) AS occurrence
        FROM bronze.lheo b
     ), lheo_classified AS (
        SELECT *,
          {}
        FROM lheo_typed
     ), lheo_valid AS (SELECT * FROM lheo_classified WHERE reject_reason IS NULL)",
        classification(&SESSION_REJECTS)
    )
}

/// Builds `silver.sessions` (without outcomes columns' join when there is no outcomes
/// input: `outcomes` false) and the catalogue's staging rejects.
pub async fn sessions(context: &SessionContext, outcomes: bool) -> Result<Staged> {
    let lheo = classified();
    let (code_bassin, geo_method) =
        placement_sql("c.code_bassin", "p.code_bassin", "v.lieu_longitude", "v.lieu_latitude");
    let outcome_join = if outcomes {
        "LEFT JOIN staging.session_outcomes r ON r.session_id = v.session_id"
    } else {
        "LEFT JOIN (SELECT CAST(NULL AS VARCHAR) AS session_id, CAST(NULL AS BIGINT) AS entrees, CAST(NULL AS BIGINT) AS entrees_prioritaires, CAST(NULL AS BIGINT) AS sortants, CAST(NULL AS BIGINT) AS en_emploi_6m, CAST(NULL AS VARCHAR) AS date_maj) r ON false"
    };
    let rows = format!(
        "WITH {lheo},
         positions AS (
            SELECT session_id, formacodes, unnest(range(1, CAST(array_length(formacodes) AS BIGINT) + 1)) AS position FROM lheo_valid WHERE array_length(formacodes) > 0
         ), codes AS (
            SELECT q.session_id, q.position, array_element(q.formacodes, q.position) AS formacode, f.formacode AS known, f.code_nsf
            FROM positions q LEFT JOIN staging.formacode f ON f.formacode = array_element(q.formacodes, q.position)
         ), known AS (
            -- One narrow row per session with a known Formacode: the hash join below builds on
            -- it, never on the sessions' full rows (memory stays a fraction of the catalogue).
            SELECT session_id, array_agg(formacode ORDER BY position) AS formacodes, first_value(code_nsf ORDER BY position) AS code_nsf
            FROM codes WHERE known IS NOT NULL GROUP BY session_id
         ), {POSTAL_CTE}
         SELECT v.session_id, v.formation_id, v.action_id, v.intitule_formation,
                k.formacodes, v.codes_nsf,
                COALESCE(array_element(v.codes_nsf, 1), k.code_nsf, '{UNKNOWN_NSF}') AS code_nsf,
                v.code_rncp, v.code_certifinfo, v.organisme_nom, v.organisme_siret, v.financeurs,
                v.date_debut, v.date_fin, v.debut AS debut_texte, v.fin AS fin_texte,
                v.places_session, v.places_financees, COALESCE(v.places_session, v.places_financees) AS places,
                v.lieu_code_commune AS code_commune, v.lieu_code_postal AS code_postal, v.lieu_latitude AS latitude, v.lieu_longitude AS longitude,
                {code_bassin} AS code_bassin, {geo_method} AS geo_method,
                r.entrees, r.entrees_prioritaires, r.sortants, r.en_emploi_6m, r.date_maj AS date_maj_resultats,
                v.source_file, v.source_location
         FROM known k RIGHT JOIN lheo_valid v ON k.session_id = v.session_id
         {joins}
         {outcome_join}
         ORDER BY v.session_id",
        joins = placement_joins("v.lieu_code_commune", "v.lieu_code_postal"),
    );
    let rejects = format!(
        "WITH {lheo},
         positions AS (
            SELECT session_id, formacodes, source_file, source_location, unnest(range(1, CAST(array_length(formacodes) AS BIGINT) + 1)) AS position FROM lheo_valid WHERE array_length(formacodes) > 0
         ), unknown AS (
            SELECT DISTINCT q.source_file, q.source_location, array_element(q.formacodes, q.position) AS formacode
            FROM positions q LEFT JOIN staging.formacode f ON f.formacode = array_element(q.formacodes, q.position)
            WHERE f.formacode IS NULL
         )
         SELECT 'lheo' AS input, source_file, source_location AS location, reject_reason AS reason, reject_detail AS detail, session_id AS raw_value
         FROM lheo_classified WHERE reject_reason IS NOT NULL
         UNION ALL
         SELECT 'lheo', source_file, source_location, 'bad_formacode', 'Formacode ' || formacode || ' is not in formacode.csv: ignored, the session is kept', formacode
         FROM unknown"
    );
    staged(context, "silver.sessions", &rows, &rejects).await
}

/// `staging.session_outcomes` from `bronze.session_outcomes`: counts typed, consistency
/// checked, joined to known sessions (the latest `date_maj` wins, then the last line).
pub async fn session_outcomes(context: &SessionContext) -> Result<Staged> {
    let lheo = classified();
    let counts = ["entrees", "entrees_prioritaires", "sortants", "en_emploi_6m"];
    let negative = counts.iter().map(|c| format!("try_cast({c} AS BIGINT) < 0")).collect::<Vec<_>>().join(" OR ");
    let unreadable = counts.iter().map(|c| format!("is_bad_count({c})")).collect::<Vec<_>>().join(" OR ");
    let rules = [
        Rule { condition: "session_id IS NULL", reason: "missing_id", detail: "'session_id is required'" },
        Rule { condition: &negative, reason: "inconsistent_counts", detail: "'a count is negative'" },
        Rule { condition: &unreadable, reason: "bad_count", detail: "'a count is not a non-negative integer'" },
        Rule {
            condition: "parse_count(entrees_prioritaires) > parse_count(entrees)",
            reason: "inconsistent_counts",
            detail: "'entrees_prioritaires > entrees'",
        },
        Rule {
            condition: "parse_count(en_emploi_6m) > parse_count(sortants)",
            reason: "inconsistent_counts",
            detail: "'en_emploi_6m > sortants'",
        },
        Rule {
            condition: "known IS NULL",
            reason: "unknown_session",
            detail: "'session ' || session_id || ' is not among the catalogue''s usable sessions'",
        },
        Rule { condition: "version_rank > 1", reason: "duplicate_key", detail: "'a later row updates this session'" },
    ];
    let classification = classification(&rules);
    let classified = format!(
        "WITH {lheo},
         ranked AS (
            SELECT o.*, s.session_id AS known, ROW_NUMBER() OVER (PARTITION BY o.session_id ORDER BY o.date_maj DESC NULLS LAST, o.source_line DESC) AS version_rank
            FROM bronze.session_outcomes o LEFT JOIN lheo_valid s ON s.session_id = o.session_id
         ), classified AS (
            SELECT *,
              {classification}
            FROM ranked
         )"
    );
    let rows = format!(
        "{classified} SELECT session_id, parse_count(entrees) AS entrees, parse_count(entrees_prioritaires) AS entrees_prioritaires, parse_count(sortants) AS sortants, parse_count(en_emploi_6m) AS en_emploi_6m, date_maj FROM classified WHERE reject_reason IS NULL"
    );
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        csv_reject_columns(
            "session_outcomes",
            &["session_id", "entrees", "entrees_prioritaires", "sortants", "en_emploi_6m", "date_maj"]
        )
    );
    staged(context, "staging.session_outcomes", &rows, &rejects).await
}

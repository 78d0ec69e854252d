//! The equations the public tables state between their person counts, as an attacker with
//! every public table could write them. Each relation is a query over `public.*` giving
//! the terms of its equations: `(equation, cell, coefficient)`, where `cell` is a cell id
//! (`table/key…/column`, see `cells_sql`) or NULL for a constant term. An equation says
//! Σ coefficient × cell (+ constants) = 0, or ≥ 0 for an inequality. A cell that is not
//! published (NULL without being listed in `secret`) stands for 0, as in the sums.

use chrono::NaiveDate;

/// Whether a relation's equations are equalities or inequalities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Σ terms = 0.
    Equal,
    /// Σ terms ≥ 0 (a total over parts of which only some are published).
    AtLeast,
}

/// One family of equations.
#[derive(Debug, Clone)]
pub struct Relation {
    /// Its name (the prefix of its equations' ids).
    pub name: &'static str,
    /// Equalities or inequalities.
    pub kind: Kind,
    /// Whether its equations weigh each session by 1/|M(s)| (competence_gap shares): the
    /// total's protection range is scaled by the largest weight.
    pub shares: bool,
    /// The query giving its terms.
    pub sql: String,
}

/// `'<table>/' || k1 || '/' || k2 || '/<column>'`: the id of a cell, as `cells_sql` builds it.
fn cell(table: &str, alias: &str, keys: &[&str], column: &str) -> String {
    let keys: Vec<String> = keys.iter().map(|k| format!("{alias}{k}")).collect();
    format!("'{table}/' || {} || '/{column}'", keys.join(" || '/' || "))
}

/// SQL: the field `column` of a public row is listed in its `secret`.
fn suppressed(alias: &str, column: &str) -> String {
    format!("array_has(string_to_array({alias}secret, ','), '{column}')")
}

/// The relations of competence_gap-shaped rows (`competence_gap`, and each snapshot of
/// `etat_des_lieux`, whose key starts with the semester).
fn metier_rows(table: &'static str, keys: &[&str], names: [&'static str; 3]) -> Vec<Relation> {
    let g = |column: &str| cell(table, "", keys, column);
    let [available, to_develop, to_develop_positive] = names;
    vec![
        Relation {
            name: available,
            kind: Kind::Equal,
            shares: false,
            sql: format!(
                "SELECT '{available}/' || {key} AS equation, {dispo} AS cell, -1.0 AS coefficient FROM public.{table}
                 UNION ALL SELECT '{available}/' || {key}, {de_a}, 1.0 FROM public.{table}
                 UNION ALL SELECT '{available}/' || {key}, {leavers}, 1.0 FROM public.{table}",
                key = keys.join(" || '/' || "),
                dispo = g("competences_disponibles"),
                de_a = g("de_a"),
                leavers = g("sortants_prevus_6m"),
            ),
        },
        // competences_a_developper = max(0, besoin_12m − competences_disponibles).
        Relation {
            name: to_develop,
            kind: Kind::AtLeast,
            shares: false,
            sql: format!(
                "SELECT '{to_develop}/' || {key} AS equation, {develop} AS cell, 1.0 AS coefficient FROM public.{table}
                 UNION ALL SELECT '{to_develop}/' || {key}, {dispo}, 1.0 FROM public.{table}
                 UNION ALL SELECT '{to_develop}/' || {key}, NULL, -CAST(besoin_12m AS DOUBLE) FROM public.{table}",
                key = keys.join(" || '/' || "),
                develop = g("competences_a_developper"),
                dispo = g("competences_disponibles"),
            ),
        },
        Relation {
            name: to_develop_positive,
            kind: Kind::Equal,
            shares: false,
            sql: format!(
                "SELECT '{to_develop_positive}/' || {key} AS equation, {develop} AS cell, 1.0 AS coefficient FROM public.{table} WHERE competences_a_developper > 0
                 UNION ALL SELECT '{to_develop_positive}/' || {key}, {dispo}, 1.0 FROM public.{table} WHERE competences_a_developper > 0
                 UNION ALL SELECT '{to_develop_positive}/' || {key}, NULL, -CAST(besoin_12m AS DOUBLE) FROM public.{table} WHERE competences_a_developper > 0",
                key = keys.join(" || '/' || "),
                develop = g("competences_a_developper"),
                dispo = g("competences_disponibles"),
            ),
        },
    ]
}

/// Every relation, for a run of reference date `as_of` whose W12 starts at `w12_start`.
pub fn relations(as_of: NaiveDate, w12_start: NaiveDate) -> Vec<Relation> {
    let session = |column: &str| cell("upcoming_sessions", "u.", &["session_id"], column);
    let in_w12 = format!("u.date_debut >= DATE '{w12_start}' AND u.date_debut < DATE '{as_of}'");
    let shares = "SELECT u.*, unnest(u.codes_rome) AS code_rome_share, 1.0 / cardinality(u.codes_rome) AS weight FROM public.upcoming_sessions u WHERE u.codes_rome IS NOT NULL";
    let metier = |column: &str| cell("competence_gap", "g.", &["code_bassin", "code_rome"], column);
    let specialty = |column: &str| cell("specialty_gap", "g.", &["code_bassin", "code_nsf"], column);
    let bassin = |column: &str| cell("bassin_summary", "b.", &["code_bassin"], column);
    let mut all = vec![
        Relation {
            name: "session_leavers",
            kind: Kind::Equal,
            shares: false,
            sql: format!(
                "SELECT 'session_leavers/' || u.session_id AS equation, {leavers} AS cell, 1.0 AS coefficient FROM public.upcoming_sessions u
                 UNION ALL SELECT 'session_leavers/' || u.session_id, {entrants}, -1.0 FROM public.upcoming_sessions u WHERE u.entrees IS NOT NULL OR {entrants_suppressed}
                 UNION ALL SELECT 'session_leavers/' || u.session_id, NULL, -CAST(u.places AS DOUBLE) FROM public.upcoming_sessions u
                   WHERE u.entrees IS NULL AND NOT {entrants_suppressed} AND u.places IS NOT NULL",
                leavers = session("sortants_prevus"),
                entrants = session("entrees"),
                entrants_suppressed = suppressed("u.", "entrees"),
            ),
        },
        Relation {
            name: "bassin_leavers",
            kind: Kind::Equal,
            shares: false,
            sql: format!(
                "SELECT 'bassin_leavers/' || b.code_bassin AS equation, {total} AS cell, -1.0 AS coefficient FROM public.bassin_summary b
                 UNION ALL SELECT 'bassin_leavers/' || b.code_bassin, {leavers}, 1.0 FROM public.upcoming_sessions u JOIN public.bassin_summary b ON b.code_bassin = u.code_bassin",
                total = bassin("sortants_prevus_6m"),
                leavers = session("sortants_prevus"),
            ),
        },
        Relation {
            name: "specialty_leavers",
            kind: Kind::Equal,
            shares: false,
            sql: format!(
                "SELECT 'specialty_leavers/' || g.code_bassin || '/' || g.code_nsf AS equation, {total} AS cell, -1.0 AS coefficient FROM public.specialty_gap g
                 UNION ALL SELECT 'specialty_leavers/' || g.code_bassin || '/' || g.code_nsf, {leavers}, 1.0
                 FROM public.upcoming_sessions u JOIN public.specialty_gap g ON g.code_bassin = u.code_bassin AND g.code_nsf = u.code_nsf",
                total = specialty("sortants_prevus_6m"),
                leavers = session("sortants_prevus"),
            ),
        },
        Relation {
            name: "metier_leavers",
            kind: Kind::Equal,
            shares: true,
            sql: format!(
                "WITH shares AS ({shares})
                 SELECT 'metier_leavers/' || g.code_bassin || '/' || g.code_rome AS equation, {total} AS cell, -1.0 AS coefficient FROM public.competence_gap g
                 UNION ALL SELECT 'metier_leavers/' || g.code_bassin || '/' || g.code_rome, {leavers}, u.weight
                 FROM shares u JOIN public.competence_gap g ON g.code_bassin = u.code_bassin AND g.code_rome = u.code_rome_share",
                total = metier("sortants_prevus_6m"),
                leavers = session("sortants_prevus"),
            ),
        },
        Relation {
            name: "bassin_entrants",
            kind: Kind::Equal,
            shares: false,
            sql: format!(
                "SELECT 'bassin_entrants/' || b.code_bassin AS equation, {total} AS cell, -1.0 AS coefficient FROM public.bassin_summary b
                 UNION ALL SELECT 'bassin_entrants/' || b.code_bassin, {part}, 1.0 FROM public.specialty_gap g JOIN public.bassin_summary b ON b.code_bassin = g.code_bassin",
                total = bassin("entrees_12m"),
                part = specialty("entrees_12m"),
            ),
        },
        // The listed sessions that started in W12 are part of the W12 entrants; the others
        // are not listed anywhere.
        Relation {
            name: "specialty_entrants_listed",
            kind: Kind::AtLeast,
            shares: false,
            sql: format!(
                "SELECT 'specialty_entrants_listed/' || g.code_bassin || '/' || g.code_nsf AS equation, {total} AS cell, 1.0 AS coefficient FROM public.specialty_gap g
                 UNION ALL SELECT 'specialty_entrants_listed/' || g.code_bassin || '/' || g.code_nsf, {entrants}, -1.0
                 FROM public.upcoming_sessions u JOIN public.specialty_gap g ON g.code_bassin = u.code_bassin AND g.code_nsf = u.code_nsf WHERE {in_w12}",
                total = specialty("entrees_12m"),
                entrants = session("entrees"),
            ),
        },
        Relation {
            name: "metier_entrants_listed",
            kind: Kind::AtLeast,
            shares: true,
            sql: format!(
                "WITH shares AS ({shares})
                 SELECT 'metier_entrants_listed/' || g.code_bassin || '/' || g.code_rome AS equation, {total} AS cell, 1.0 AS coefficient FROM public.competence_gap g
                 UNION ALL SELECT 'metier_entrants_listed/' || g.code_bassin || '/' || g.code_rome, {entrants}, -u.weight
                 FROM shares u JOIN public.competence_gap g ON g.code_bassin = u.code_bassin AND g.code_rome = u.code_rome_share WHERE {in_w12}",
                total = metier("entrees_12m"),
                entrants = session("entrees"),
            ),
        },
        // Sessions without a métier count in the bassin's entrants and in no métier's.
        Relation {
            name: "metier_entrants_within_bassin",
            kind: Kind::AtLeast,
            shares: false,
            sql: format!(
                "SELECT 'metier_entrants_within_bassin/' || b.code_bassin AS equation, {total} AS cell, 1.0 AS coefficient FROM public.bassin_summary b
                 UNION ALL SELECT 'metier_entrants_within_bassin/' || b.code_bassin, {part}, -1.0 FROM public.competence_gap g JOIN public.bassin_summary b ON b.code_bassin = g.code_bassin",
                total = bassin("entrees_12m"),
                part = metier("entrees_12m"),
            ),
        },
        Relation {
            name: "bassin_jobseekers",
            kind: Kind::Equal,
            shares: false,
            sql: format!(
                "SELECT 'bassin_jobseekers/' || b.code_bassin AS equation, {total} AS cell, -1.0 AS coefficient FROM public.bassin_summary b
                 UNION ALL SELECT 'bassin_jobseekers/' || b.code_bassin, {part}, 1.0 FROM public.competence_gap g JOIN public.bassin_summary b ON b.code_bassin = g.code_bassin",
                total = bassin("de_a"),
                part = metier("de_a"),
            ),
        },
        // delta_de_a = de_a − de_a of the previous semester's snapshot (S1 follows the S2
        // of the year before; S2 follows the S1 of its year).
        Relation {
            name: "jobseeker_delta",
            kind: Kind::Equal,
            shares: false,
            sql: format!(
                "WITH snapshots AS (
                   SELECT e.*, CASE WHEN e.semestre LIKE '%-S2' THEN substr(e.semestre, 1, 4) || '-S1'
                                    ELSE CAST(CAST(substr(e.semestre, 1, 4) AS INT) - 1 AS VARCHAR) || '-S2' END AS previous
                   FROM public.etat_des_lieux e),
                 pairs AS (SELECT e.semestre, e.code_bassin, e.code_rome, p.semestre AS previous_semestre
                           FROM snapshots e JOIN public.etat_des_lieux p ON p.semestre = e.previous AND p.code_bassin = e.code_bassin AND p.code_rome = e.code_rome
                           WHERE e.delta_de_a IS NOT NULL OR {delta_suppressed})
                 SELECT 'jobseeker_delta/' || e.semestre || '/' || e.code_bassin || '/' || e.code_rome AS equation, {delta} AS cell, -1.0 AS coefficient FROM pairs e
                 UNION ALL SELECT 'jobseeker_delta/' || e.semestre || '/' || e.code_bassin || '/' || e.code_rome, {current}, 1.0 FROM pairs e
                 UNION ALL SELECT 'jobseeker_delta/' || e.semestre || '/' || e.code_bassin || '/' || e.code_rome,
                   'etat_des_lieux/' || e.previous_semestre || '/' || e.code_bassin || '/' || e.code_rome || '/de_a', -1.0 FROM pairs e",
                delta_suppressed = suppressed("e.", "delta_de_a"),
                delta = cell("etat_des_lieux", "e.", &["semestre", "code_bassin", "code_rome"], "delta_de_a"),
                current = cell("etat_des_lieux", "e.", &["semestre", "code_bassin", "code_rome"], "de_a"),
            ),
        },
    ];
    // The snapshot of this run's own semester is competence_gap itself.
    let snapshot_columns = ["de_a", "de_abc", "sorties_abc_12m", "entrees_a_12m", "entrees_12m", "sortants_prevus_6m"];
    let snapshot_terms: Vec<String> = snapshot_columns
        .iter()
        .map(|column| {
            format!(
                "SELECT 'current_snapshot/' || g.code_bassin || '/' || g.code_rome || '/{column}' AS equation, {snapshot} AS cell, 1.0 AS coefficient
                 FROM public.etat_des_lieux e JOIN public.competence_gap g ON g.code_bassin = e.code_bassin AND g.code_rome = e.code_rome WHERE e.date_reference = DATE '{as_of}'
                 UNION ALL SELECT 'current_snapshot/' || g.code_bassin || '/' || g.code_rome || '/{column}', {gap}, -1.0
                 FROM public.etat_des_lieux e JOIN public.competence_gap g ON g.code_bassin = e.code_bassin AND g.code_rome = e.code_rome WHERE e.date_reference = DATE '{as_of}'",
                snapshot = cell("etat_des_lieux", "e.", &["semestre", "code_bassin", "code_rome"], column),
                gap = metier(column),
            )
        })
        .collect();
    all.push(Relation { name: "current_snapshot", kind: Kind::Equal, shares: false, sql: snapshot_terms.join("\nUNION ALL\n") });
    all.extend(metier_rows(
        "competence_gap",
        &["code_bassin", "code_rome"],
        ["available_competences", "competences_to_develop", "competences_to_develop_positive"],
    ));
    all.extend(metier_rows(
        "etat_des_lieux",
        &["semestre", "code_bassin", "code_rome"],
        ["snapshot_available_competences", "snapshot_competences_to_develop", "snapshot_competences_to_develop_positive"],
    ));
    all
}

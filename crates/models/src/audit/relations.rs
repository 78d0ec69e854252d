//! The equations the public tables state between their person counts, as an attacker with
//! every public table could write them. Each relation is a query over `public.*` giving
//! the terms of its equations: `(equation, cell, coefficient)`, where `cell` is a cell id
//! (`table/key…/column`, see `cells_sql`) or NULL for a constant term. An equation says
//! Σ coefficient × cell (+ constants) = 0, or ≥ 0 for an inequality. A cell that is not
//! published (NULL without being listed in `secret`) stands for 0, as in the sums.

use chrono::NaiveDate;

/// Whether a relation's equations are equalities or inequalities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// Σ terms = 0.
    #[default]
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

/// Keys of the equations over competence_gap and specialty_gap rows (alias `g`).
const METIER_KEY: &str = "g.code_bassin || '/' || g.code_rome";
const SPECIALTY_KEY: &str = "g.code_bassin || '/' || g.code_nsf";

/// A relation `total = Σ weight × part` (or `total ≥ Σ …`): one equation per row of
/// `totals`, keyed by `key`, whose parts are the rows of `parts` with the same key.
#[derive(Default)]
struct Sum<'a> {
    name: &'static str,
    kind: Kind,
    shares: bool,
    /// A `WITH` clause the two queries share.
    prelude: &'a str,
    /// The total's cell id and the rows it is read from.
    total: String,
    totals: &'a str,
    key: &'a str,
}

impl Sum<'_> {
    /// The relation whose parts are `part` (a cell id) × `weight` over `parts`.
    fn of(self, part: &str, weight: &str, parts: &str) -> Relation {
        let Self { name, kind, shares, prelude, total, totals, key } = self;
        // Equalities as Σ parts − total = 0, inequalities as total − Σ parts ≥ 0.
        let (total_sign, part_sign) = if kind == Kind::Equal { ("-1.0", "") } else { ("1.0", "-") };
        Relation {
            name,
            kind,
            shares,
            sql: format!(
                "{prelude}
                 SELECT '{name}/' || {key} AS equation, {total} AS cell, {total_sign} AS coefficient FROM {totals}
                 UNION ALL SELECT '{name}/' || {key}, {part}, {part_sign}{weight} FROM {parts}"
            ),
        }
    }
}

/// competences_a_developper + competences_disponibles − besoin_12m (= or ≥ 0) over the rows
/// of `table` that `filter` keeps.
fn to_develop_relation(name: &'static str, kind: Kind, table: &str, keys: &[&str], filter: &str) -> Relation {
    let g = |column: &str| cell(table, "", keys, column);
    let key = keys.join(" || '/' || ");
    Relation {
        name,
        kind,
        shares: false,
        sql: format!(
            "SELECT '{name}/' || {key} AS equation, {develop} AS cell, 1.0 AS coefficient FROM public.{table} {filter}
             UNION ALL SELECT '{name}/' || {key}, {dispo}, 1.0 FROM public.{table} {filter}
             UNION ALL SELECT '{name}/' || {key}, NULL, -CAST(besoin_12m AS DOUBLE) FROM public.{table} {filter}",
            develop = g("competences_a_developper"),
            dispo = g("competences_disponibles"),
        ),
    }
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
        // competences_a_developper = max(0, besoin_12m − competences_disponibles): never
        // below the difference, equal to it when positive.
        to_develop_relation(to_develop, Kind::AtLeast, table, keys, ""),
        to_develop_relation(to_develop_positive, Kind::Equal, table, keys, "WHERE competences_a_developper > 0"),
    ]
}

/// Every relation, for a run of reference date `as_of` whose W12 starts at `w12_start`.
pub fn relations(as_of: NaiveDate, w12_start: NaiveDate) -> Vec<Relation> {
    let session = |column: &str| cell("upcoming_sessions", "u.", &["session_id"], column);
    let in_w12 = format!("u.date_debut >= DATE '{w12_start}' AND u.date_debut < DATE '{as_of}'");
    let shares = "WITH shares AS (SELECT u.*, unnest(u.codes_rome) AS code_rome_share, 1.0 / cardinality(u.codes_rome) AS weight FROM public.upcoming_sessions u WHERE u.codes_rome IS NOT NULL)".to_owned();
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
        Sum { name: "bassin_leavers", total: bassin("sortants_prevus_6m"), totals: "public.bassin_summary b", key: "b.code_bassin", ..Sum::default() }.of(
            &session("sortants_prevus"),
            "1.0",
            "public.upcoming_sessions u JOIN public.bassin_summary b ON b.code_bassin = u.code_bassin",
        ),
        Sum { name: "specialty_leavers", total: specialty("sortants_prevus_6m"), totals: "public.specialty_gap g", key: SPECIALTY_KEY, ..Sum::default() }.of(
            &session("sortants_prevus"),
            "1.0",
            "public.upcoming_sessions u JOIN public.specialty_gap g ON g.code_bassin = u.code_bassin AND g.code_nsf = u.code_nsf",
        ),
        Sum { name: "metier_leavers", shares: true, prelude: &shares, total: metier("sortants_prevus_6m"), totals: "public.competence_gap g", key: METIER_KEY, ..Sum::default() }
            .of(&session("sortants_prevus"), "u.weight", "shares u JOIN public.competence_gap g ON g.code_bassin = u.code_bassin AND g.code_rome = u.code_rome_share"),
        Sum { name: "bassin_entrants", total: bassin("entrees_12m"), totals: "public.bassin_summary b", key: "b.code_bassin", ..Sum::default() }.of(
            &specialty("entrees_12m"),
            "1.0",
            "public.specialty_gap g JOIN public.bassin_summary b ON b.code_bassin = g.code_bassin",
        ),
        // The listed sessions that started in W12 are part of the W12 entrants; the others
        // are not listed anywhere.
        Sum { name: "specialty_entrants_listed", kind: Kind::AtLeast, total: specialty("entrees_12m"), totals: "public.specialty_gap g", key: SPECIALTY_KEY, ..Sum::default() }.of(
            &session("entrees"),
            "1.0",
            &format!("public.upcoming_sessions u JOIN public.specialty_gap g ON g.code_bassin = u.code_bassin AND g.code_nsf = u.code_nsf WHERE {in_w12}"),
        ),
        Sum {
            name: "metier_entrants_listed",
            kind: Kind::AtLeast,
            shares: true,
            prelude: &shares,
            total: metier("entrees_12m"),
            totals: "public.competence_gap g",
            key: METIER_KEY,
        }
        .of(&session("entrees"), "u.weight", &format!("shares u JOIN public.competence_gap g ON g.code_bassin = u.code_bassin AND g.code_rome = u.code_rome_share WHERE {in_w12}")),
        // Sessions without a métier count in the bassin's entrants and in no métier's.
        Sum { name: "metier_entrants_within_bassin", kind: Kind::AtLeast, total: bassin("entrees_12m"), totals: "public.bassin_summary b", key: "b.code_bassin", ..Sum::default() }.of(
            &metier("entrees_12m"),
            "1.0",
            "public.competence_gap g JOIN public.bassin_summary b ON b.code_bassin = g.code_bassin",
        ),
        Sum { name: "bassin_jobseekers", total: bassin("de_a"), totals: "public.bassin_summary b", key: "b.code_bassin", ..Sum::default() }.of(
            &metier("de_a"),
            "1.0",
            "public.competence_gap g JOIN public.bassin_summary b ON b.code_bassin = g.code_bassin",
        ),
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
    all.push(Relation {
        name: "current_snapshot",
        kind: Kind::Equal,
        shares: false,
        sql: snapshot_terms.join("\nUNION ALL\n"),
    });
    all.extend(metier_rows(
        "competence_gap",
        &["code_bassin", "code_rome"],
        ["available_competences", "competences_to_develop", "competences_to_develop_positive"],
    ));
    all.extend(metier_rows(
        "etat_des_lieux",
        &["semestre", "code_bassin", "code_rome"],
        [
            "snapshot_available_competences",
            "snapshot_competences_to_develop",
            "snapshot_competences_to_develop_positive",
        ],
    ));
    all
}

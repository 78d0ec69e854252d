//! The training supply of a group of sessions (`metrics.md` § competence_gap and
//! § specialty_gap): the same aggregates over the same windows, either unweighted (a
//! session counts once: specialties, bassins) or weighted by w(s, r) = 1 / |M(s)| (a
//! session shared among its métiers). Weighted sums are added in DECIMAL(24, 12), exactly
//! and in any order, then rounded to 9 decimals: a threshold applies to the exact sum
//! (3 × 20/3 is 20, not 19.999…), and the result never depends on the order rows arrive in.

use crate::parameters::Parameters;

/// How one session's values add up in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    /// Each session counts once (integer sums).
    Unweighted,
    /// Each session counts w(s, r) = 1 / `metiers` (the relation has a `metiers` column).
    ByMetiers,
}

impl Weighting {
    /// `Σ value` over the rows where `condition` holds (NULL when no known value).
    pub fn sum(self, value: &str, condition: &str) -> String {
        match self {
            Weighting::Unweighted => format!("SUM({value}) FILTER (WHERE {condition})"),
            Weighting::ByMetiers => exact_sum(value, "metiers", condition),
        }
    }
}

/// `Σ value / divisor` (an integer divisor) over the rows where `condition` holds, added
/// exactly in DECIMAL(24, 12) and returned as a DOUBLE rounded to 9 decimals; NULL when no
/// term. With divisor `1`, an order-independent sum of values already rounded to 9
/// decimals (weighted capacities).
pub fn exact_sum(value: &str, divisor: &str, condition: &str) -> String {
    format!(
        "CAST(ROUND(SUM(CAST({value} AS DECIMAL(24, 12)) / CAST({divisor} AS DECIMAL(10, 0))) FILTER (WHERE {condition}), 9) AS DOUBLE)"
    )
}

/// Aggregate select-list over a relation of sessions with `date_debut`, `date_fin`,
/// `places`, `entrees`, `entrees_prioritaires`, `sortants`, `en_emploi_6m` (and
/// `metiers` when weighted). Public columns: `sessions_12m`, `places_12m`,
/// `entrees_12m`, `sessions_sous_80`, `sortants_prevus_6m`; the numerators and
/// denominators of the rates (`remplissage_*`, `prioritaires_*`, `emploi_*`) are
/// finished by [`rates`].
pub fn aggregates(parameters: &Parameters, weighting: Weighting) -> String {
    let w12 = parameters.sql_in_w12("date_debut");
    let f6 = parameters.sql_in_f6("date_fin");
    let observable = parameters.sql_in_observable("date_fin");
    let filled = format!("{w12} AND places IS NOT NULL AND entrees IS NOT NULL");
    let prioritised = format!("{w12} AND entrees IS NOT NULL AND entrees_prioritaires IS NOT NULL");
    let employed = format!("{observable} AND sortants IS NOT NULL AND en_emploi_6m IS NOT NULL");
    let sum = |value: &str, condition: &str| weighting.sum(value, condition);
    [
        format!("COUNT(*) FILTER (WHERE {w12}) AS sessions_12m"),
        format!("{} AS places_12m", sum("places", &w12)),
        format!("{} AS entrees_12m", sum("entrees", &w12)),
        format!("{} AS remplissage_entrees", sum("entrees", &filled)),
        format!("{} AS remplissage_places", sum("places", &filled)),
        // entrees / places < 0.8, in integers (5 × entrees < 4 × places), places > 0.
        format!("COUNT(*) FILTER (WHERE {filled} AND places > 0 AND 5 * entrees < 4 * places) AS sessions_sous_80"),
        format!("{} AS prioritaires_entrees", sum("entrees_prioritaires", &prioritised)),
        format!("{} AS prioritaires_total", sum("entrees", &prioritised)),
        format!("{} AS sortants_prevus_6m", sum("COALESCE(entrees, places)", &f6)),
        format!("{} AS emploi_en_emploi", sum("en_emploi_6m", &employed)),
        format!("{} AS emploi_sortants", sum("sortants", &employed)),
    ]
    .join(",\n")
}

/// Select-list of the rates over a relation holding [`aggregates`]: `taux_remplissage`,
/// `part_prioritaires`, `taux_emploi_6m` (ratios of sums, NULL under `MIN_DENOM`).
pub fn rates(parameters: &Parameters) -> String {
    [
        format!("{} AS taux_remplissage", parameters.sql_rate("remplissage_entrees", "remplissage_places")),
        format!("{} AS part_prioritaires", parameters.sql_rate("prioritaires_entrees", "prioritaires_total")),
        format!("{} AS taux_emploi_6m", parameters.sql_rate("emploi_en_emploi", "emploi_sortants")),
    ]
    .join(",\n")
}

/// The session → métiers relation `intermediate.session_metiers` (session_id, code_rome,
/// metiers = |M(s)|): M(s) is the set of ROME codes mapped from any of the session's known
/// Formacodes (`rome_formacode.csv`); sessions with M(s) empty have no row. |M(s)| comes
/// from a grouped count joined back (a window over every pair would sort them all: 1.7 GB
/// at national scale), and the pairs are sorted so that the marts' sums add in one order.
pub const SESSION_METIERS: &str = "WITH pairs AS (
        SELECT DISTINCT s.session_id, rf.code_rome
        FROM (SELECT session_id, unnest(formacodes) AS formacode FROM silver.sessions WHERE formacodes IS NOT NULL) s
        JOIN staging.rome_formacode rf ON rf.formacode = s.formacode
    )
    SELECT p.session_id, p.code_rome, c.metiers
    FROM pairs p JOIN (SELECT session_id, COUNT(*) AS metiers FROM pairs GROUP BY session_id) c ON c.session_id = p.session_id
    ORDER BY p.session_id, p.code_rome";

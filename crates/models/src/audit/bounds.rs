//! The attacker's bounds: each published cell an interval (the values that round to what
//! is shown), each suppressed one only its sign, every equation a constraint; the smallest
//! and largest value each suppressed count can take, by linear programming (microlp),
//! within the connected group of equations it belongs to.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use microlp::{ComparisonOp, OptimizationDirection, Problem, Variable};

use super::programme::Programme;
use super::{AuditReport, AuditSettings, CellAtRisk, Kind};
use crate::error::{Error, Result};

/// What the public tables say of one person-count cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The smallest value its publication allows.
    pub low: f64,
    /// The largest.
    pub high: f64,
    /// Suppressed (listed in `secret`).
    pub suppressed: bool,
    /// Whole persons (an integer column).
    pub integer: bool,
    /// A count under primary suppression (a target of the audit when suppressed).
    pub count: bool,
    /// A share weighted by 1/|M(s)|.
    pub weighted: bool,
}

impl Cell {
    /// The cell published as `value` (None: suppressed) under `settings`.
    pub fn new(
        value: Option<f64>,
        integer: bool,
        nonnegative: bool,
        count: bool,
        weighted: bool,
        settings: &AuditSettings,
    ) -> Self {
        let min_count = settings.secrecy.min_count as f64;
        let half = if settings.secrecy.rounding_base > 1 { settings.secrecy.rounding_base as f64 / 2.0 } else { 0.0 };
        let floor = if nonnegative { 0.0 } else { f64::NEG_INFINITY };
        let (low, high) = match value {
            // Suppressed: positive (zeros are never suppressed), nothing more.
            None => (if nonnegative && integer && count { 1.0 } else { floor }, f64::INFINITY),
            Some(v) => {
                let (mut low, mut high) = if integer && half > 0.0 {
                    ((v - half).ceil(), (v + half).ceil() - 1.0)
                } else {
                    (v - half, v + half)
                };
                low = low.max(floor);
                // A shown count is never one that primary suppression would have hidden.
                if count && low > 0.0 && low < min_count {
                    low = min_count;
                } else if count && low <= 0.0 && high < min_count {
                    high = 0.0;
                }
                (low, high.max(low))
            }
        };
        Self { low, high, suppressed: value.is_none(), integer, count, weighted }
    }
}

/// One equation between cells: Σ coefficient × cell + constant = 0 (or ≥ 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Equation {
    /// `relation/key…`.
    pub id: String,
    /// Equality or inequality.
    pub kind: Kind,
    /// Whether its coefficients are session weights 1/|M(s)|.
    pub shares: bool,
    /// The cells and their coefficients, each cell once.
    pub terms: Vec<(String, f64)>,
    /// The constant term.
    pub constant: f64,
}

impl Equation {
    /// An equation without terms.
    pub fn new(id: &str, kind: Kind, shares: bool) -> Self {
        Self { id: id.to_owned(), kind, shares, terms: Vec::new(), constant: 0.0 }
    }

    /// Adds `coefficient × cell`, merged with the cell's earlier term.
    pub fn add(&mut self, cell: &str, coefficient: f64) {
        match self.terms.iter_mut().find(|(c, _)| c == cell) {
            Some((_, existing)) => *existing += coefficient,
            None => self.terms.push((cell.to_owned(), coefficient)),
        }
    }

    /// The equation with what is published of each cell (`[low, high]`, `s` when suppressed).
    fn describe(&self, cells: &BTreeMap<String, Cell>) -> String {
        let terms: Vec<String> = self
            .terms
            .iter()
            .map(|(cell, coefficient)| {
                let shown = match cells.get(cell) {
                    Some(c) if c.suppressed => "s".to_owned(),
                    Some(c) => format!("{}–{}", c.low, c.high),
                    None => "0".to_owned(),
                };
                format!("{coefficient:+.4} × {cell} ({shown})")
            })
            .collect();
        let constant = if self.constant == 0.0 { String::new() } else { format!(" {:+}", self.constant) };
        format!("{}: {}{constant} {} 0", self.id, terms.join(" "), if self.kind == Kind::Equal { "=" } else { "≥" })
    }
}

/// Disjoint sets of cells joined by equations.
struct Components {
    parent: Vec<usize>,
}

impl Components {
    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b {
            self.parent[a] = b;
        }
    }
}

/// Adds a variable per cell of a group (within what its publication allows, of objective
/// coefficient `objective(position)`) and a constraint per equation; returns the variables.
pub(super) fn add_group(
    problem: &mut Problem,
    cells: &[(&String, &Cell)],
    equations: &[&Equation],
    objective: impl Fn(usize) -> f64,
) -> Vec<Variable> {
    let index: BTreeMap<&str, usize> = cells.iter().enumerate().map(|(i, (id, _))| (id.as_str(), i)).collect();
    let variables: Vec<Variable> =
        cells.iter().enumerate().map(|(i, (_, cell))| problem.add_var(objective(i), (cell.low, cell.high))).collect();
    for equation in equations {
        let terms: Vec<(Variable, f64)> = equation
            .terms
            .iter()
            .filter_map(|(cell, coefficient)| index.get(cell.as_str()).map(|&i| (variables[i], *coefficient)))
            .collect();
        let operator = if equation.kind == Kind::Equal { ComparisonOp::Eq } else { ComparisonOp::Ge };
        problem.add_constraint(terms, operator, -equation.constant);
    }
    variables
}

/// The bound of `target` in one direction over `equations` and, when it is finite, the
/// point that reaches it (a value for every cell of the group); an error naming the
/// equations when the published figures contradict each other.
fn bound(
    cells: &[(&String, &Cell)],
    equations: &[&Equation],
    target: usize,
    direction: OptimizationDirection,
) -> Result<(f64, Option<Vec<f64>>)> {
    let mut problem = Problem::new(direction);
    let variables = add_group(&mut problem, cells, equations, |i| if i == target { 1.0 } else { 0.0 });
    match problem.solve() {
        Ok(outcome) => match outcome.into_solution() {
            Ok(solution) => {
                Ok((solution.objective(), Some(variables.iter().map(|&v| solution.var_value(v)).collect())))
            }
            Err(_) => Err(Error::Audit(format!("the bound of {} was not found in time", cells[target].0))),
        },
        Err(microlp::Error::Unbounded) => {
            Ok((if direction == OptimizationDirection::Maximize { f64::INFINITY } else { f64::NEG_INFINITY }, None))
        }
        Err(microlp::Error::Infeasible) => {
            let published: BTreeMap<String, Cell> =
                cells.iter().map(|(id, cell)| ((*id).clone(), (*cell).clone())).collect();
            Err(Error::Audit(format!(
                "the published figures around {} contradict each other (a relation of the audit does not hold): {}",
                cells[target].0,
                equations.iter().map(|e| e.describe(&published)).collect::<Vec<_>>().join("; ")
            )))
        }
        Err(error) => Err(Error::Audit(format!("the bound of {} could not be computed: {error:?}", cells[target].0))),
    }
}

/// The published positive count to suppress next for `target`: the smallest one in the
/// equations of the target or of a cell it is proportional to (a session's leavers and
/// entrants, a share and its single session, a snapshot and its table), else one equation
/// further.
fn remedy(target: &str, equations: &[&Equation], cells: &BTreeMap<String, Cell>) -> Option<String> {
    let mut reached: BTreeSet<&str> = BTreeSet::from([target]);
    loop {
        let before = reached.len();
        for equation in equations {
            if let [(a, _), (b, _)] = equation.terms.as_slice()
                && equation.kind == Kind::Equal
                && equation.constant == 0.0
                && (reached.contains(a.as_str()) || reached.contains(b.as_str()))
            {
                reached.extend([a.as_str(), b.as_str()]);
            }
        }
        if reached.len() == before {
            break;
        }
    }
    for _ in 0..2 {
        let near: Vec<&Equation> =
            equations.iter().copied().filter(|e| e.terms.iter().any(|(c, _)| reached.contains(c.as_str()))).collect();
        let best = near
            .iter()
            .flat_map(|e| e.terms.iter())
            .filter_map(|(c, _)| {
                cells.get(c).filter(|cell| !cell.suppressed && cell.count && cell.high > 0.0).map(|cell| (cell.low, c))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        if let Some((_, cell)) = best {
            return Some(cell.clone());
        }
        reached.extend(near.iter().flat_map(|e| e.terms.iter()).map(|(c, _)| c.as_str()));
    }
    None
}

/// Cells that are `total = Σ weight × part` in an equation: (total, parts with weights).
fn sums(equations: &[Equation]) -> impl Iterator<Item = (&str, Vec<(&str, f64)>, &Equation)> {
    equations.iter().filter(|e| e.kind == Kind::Equal).filter_map(|e| {
        let totals: Vec<&(String, f64)> = e.terms.iter().filter(|(_, c)| *c < 0.0).collect();
        match totals.as_slice() {
            [(total, coefficient)] if e.terms.len() > 1 => {
                let parts =
                    e.terms.iter().filter(|(c, _)| c != total).map(|(c, w)| (c.as_str(), w / -coefficient)).collect();
                Some((total.as_str(), parts, e))
            }
            _ => None,
        }
    })
}

/// The cells whose value is published capacity, not persons: expected leavers of a
/// session whose entrants are unknown (its places), and sums of such cells only.
fn capacity_only(equations: &[Equation]) -> BTreeSet<String> {
    let mut capacity: BTreeSet<String> = equations
        .iter()
        .filter(|e| e.kind == Kind::Equal && e.constant != 0.0 && e.terms.len() == 1)
        .map(|e| e.terms[0].0.clone())
        .collect();
    loop {
        let before = capacity.len();
        for (total, parts, equation) in sums(equations) {
            if parts.iter().all(|(part, _)| capacity.contains(*part)) && equation.constant == 0.0 {
                capacity.insert(total.to_owned());
            }
            // The same figure in two tables (total = one part of weight 1).
            if let [(part, weight)] = parts.as_slice()
                && (weight - 1.0).abs() < 1e-12
                && capacity.contains(total)
            {
                capacity.insert((*part).to_owned());
            }
        }
        if capacity.len() == before {
            return capacity;
        }
    }
}

/// The largest session weight in each share (a cell defined by a `shares` equation),
/// carried to the same figure in another table.
fn share_weights(equations: &[Equation]) -> BTreeMap<String, f64> {
    let mut weights: BTreeMap<String, f64> = BTreeMap::new();
    for (total, parts, equation) in sums(equations) {
        if equation.shares {
            let largest = parts.iter().map(|(_, w)| w.abs()).fold(0.0_f64, f64::max);
            weights.insert(total.to_owned(), largest.min(1.0));
        }
    }
    for (total, parts, _) in sums(equations) {
        if let [(part, weight)] = parts.as_slice()
            && (weight - 1.0).abs() < 1e-12
        {
            if let Some(&w) = weights.get(*part) {
                weights.entry(total.to_owned()).or_insert(w);
            } else if let Some(&w) = weights.get(total) {
                weights.entry((*part).to_owned()).or_insert(w);
            }
        }
    }
    weights
}

/// What the audit found in one connected group of equations.
#[derive(Debug, Clone, Default)]
struct GroupResult {
    suppressed: usize,
    capacity_only: usize,
    programmes: usize,
    at_risk: Vec<CellAtRisk>,
}

/// Results of earlier audits by group, so that a round of additional suppression re-solves
/// only the groups it changed.
#[derive(Debug, Default)]
pub struct AuditCache {
    groups: BTreeMap<u64, GroupResult>,
}

/// A group's cells (what is published of them) and equations, hashed.
fn fingerprint(cells: &[(&String, &Cell)], equations: &[&Equation]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for (id, cell) in cells {
        (id, cell.low.to_bits(), cell.high.to_bits(), cell.suppressed, cell.count, cell.weighted, cell.integer)
            .hash(&mut hasher);
    }
    for equation in equations {
        equation.id.hash(&mut hasher);
        equation.constant.to_bits().hash(&mut hasher);
        for (cell, coefficient) in &equation.terms {
            (cell, coefficient.to_bits()).hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// The values of each cell of a group seen in feasible points so far: a cell's true
/// interval holds them all, so a spread already as wide as the protection range proves the
/// cell safe without solving its own programmes.
struct Seen {
    ranges: Vec<(f64, f64)>,
}

impl Seen {
    fn new(cells: usize) -> Self {
        Self { ranges: vec![(f64::INFINITY, f64::NEG_INFINITY); cells] }
    }

    fn record(&mut self, point: &[f64]) {
        for ((low, high), value) in self.ranges.iter_mut().zip(point) {
            *low = low.min(*value);
            *high = high.max(*value);
        }
    }

    /// Whether the values seen of `cell` already span `required` (whole persons for an
    /// integer cell, as its bounds are rounded).
    fn spans(&self, cell: usize, integer: bool, required: f64) -> bool {
        let (low, high) = self.ranges[cell];
        let (low, high) = if integer { ((low - 1e-6).ceil(), (high + 1e-6).floor()) } else { (low, high) };
        high - low >= required - 1e-9
    }
}

/// Bounds the suppressed counts of one group. Each target's maximum is solved first; a
/// target whose values seen in the points found so far span the protection range is safe,
/// and only the others have their minimum solved, so that the exact interval is computed
/// for every cell at risk.
fn audit_group(
    group_cells: &[(&String, &Cell)],
    group_equations: &[&Equation],
    cells: &BTreeMap<String, Cell>,
    capacity: &BTreeSet<String>,
    weights: &BTreeMap<String, f64>,
    protection_range: f64,
) -> Result<GroupResult> {
    let mut result = GroupResult::default();
    let mut seen = Seen::new(group_cells.len());
    // The equations that mention each cell, by position in the group.
    let position: HashMap<&str, usize> = group_cells.iter().enumerate().map(|(i, (id, _))| (id.as_str(), i)).collect();
    let mut mentioned_by: Vec<Vec<&Equation>> = vec![Vec::new(); group_cells.len()];
    for equation in group_equations {
        let mut members: Vec<usize> =
            equation.terms.iter().filter_map(|(cell, _)| position.get(cell.as_str()).copied()).collect();
        members.dedup();
        for member in members {
            mentioned_by[member].push(equation);
        }
    }
    // The cells whose bounds are sought: suppressed counts in some equation, not capacity.
    let mut targets = vec![false; group_cells.len()];
    for (target, (id, cell)) in group_cells.iter().enumerate() {
        if !(cell.suppressed && cell.count) {
            continue;
        }
        result.suppressed += 1;
        if mentioned_by[target].is_empty() {
            continue;
        }
        // Published places are not persons: a figure made of them only has nothing to protect.
        if capacity.contains(*id) {
            result.capacity_only += 1;
            continue;
        }
        targets[target] = true;
    }
    let mut programme = None;
    let mut solve =
        |target: usize, direction: OptimizationDirection, result: &mut GroupResult, seen: &mut Seen| -> Result<f64> {
            result.programmes += 1;
            let programme = programme.get_or_insert_with(|| Programme::new(group_cells, group_equations, &targets));
            let (value, point) = match programme.as_mut().and_then(|p| p.bound(target, direction)) {
                Some((value, point)) => (value, Some(point)),
                None => bound(group_cells, group_equations, target, direction)?,
            };
            if let Some(point) = point {
                seen.record(&point);
            }
            Ok(value)
        };
    for (target, (id, cell)) in group_cells.iter().enumerate() {
        if !targets[target] {
            continue;
        }
        // A weighted share is protected in proportion to the largest session weight in it.
        let scale = if cell.weighted { weights.get(*id).copied().filter(|w| *w > 0.0).unwrap_or(1.0) } else { 1.0 };
        let required = protection_range * scale;
        if seen.spans(target, cell.integer, required) {
            continue;
        }
        let mut high = solve(target, OptimizationDirection::Maximize, &mut result, &mut seen)?;
        if high == f64::INFINITY || seen.spans(target, cell.integer, required) {
            continue;
        }
        let mut low = solve(target, OptimizationDirection::Minimize, &mut result, &mut seen)?;
        if cell.integer {
            low = (low - 1e-6).ceil();
            high = (high + 1e-6).floor();
        }
        if high - low < required - 1e-9 {
            result.at_risk.push(CellAtRisk {
                cell: (*id).clone(),
                low,
                high,
                required,
                equations: mentioned_by[target].iter().map(|e| e.describe(cells)).collect(),
                remedy: remedy(id, group_equations, cells),
            });
        }
    }
    Ok(result)
}

/// Bounds every suppressed count of `cells` under `equations`, reusing `cache`.
pub(super) fn audit(
    cells: &BTreeMap<String, Cell>,
    equations: &[Equation],
    protection_range: f64,
    cache: &mut AuditCache,
) -> Result<AuditReport> {
    let ids: Vec<&String> = cells.keys().collect();
    let position: BTreeMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let mut components = Components { parent: (0..ids.len()).collect() };
    for equation in equations {
        let members: Vec<usize> =
            equation.terms.iter().filter_map(|(cell, _)| position.get(cell.as_str()).copied()).collect();
        for pair in members.windows(2) {
            components.join(pair[0], pair[1]);
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..ids.len() {
        let root = components.root(i);
        groups.entry(root).or_default().push(i);
    }
    let mut equations_of: BTreeMap<usize, Vec<&Equation>> = BTreeMap::new();
    for equation in equations {
        if let Some(first) = equation.terms.iter().find_map(|(cell, _)| position.get(cell.as_str())) {
            let root = components.root(*first);
            equations_of.entry(root).or_default().push(equation);
        }
    }
    let capacity = capacity_only(equations);
    let weights = share_weights(equations);
    let mut report = AuditReport { cells: cells.len(), equations: equations.len(), ..AuditReport::default() };
    for (root, members) in &groups {
        let group_cells: Vec<(&String, &Cell)> = members.iter().map(|&i| (ids[i], &cells[ids[i]])).collect();
        let group_equations = equations_of.get(root).cloned().unwrap_or_default();
        let key = fingerprint(&group_cells, &group_equations);
        let result = match cache.groups.get(&key) {
            Some(result) => result.clone(),
            None => {
                let result = audit_group(&group_cells, &group_equations, cells, &capacity, &weights, protection_range)?;
                cache.groups.insert(key, result.clone());
                result
            }
        };
        report.suppressed += result.suppressed;
        report.capacity_only += result.capacity_only;
        report.programmes += result.programmes;
        report.at_risk.extend(result.at_risk);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::public::Secrecy;

    fn settings(rounding_base: i64) -> AuditSettings {
        let day = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default();
        AuditSettings {
            as_of: day,
            w12_start: day,
            secrecy: Secrecy { min_count: 5, rounding_base },
            protection_range: 5.0,
        }
    }

    /// A case: cells (id, true value, suppressed, weighted) published under `rounding_base`
    /// (rounded as the public SQL does, half away from zero), and equations.
    struct Case {
        cells: Vec<(&'static str, f64, bool, bool)>,
        equations: Vec<TestEquation>,
    }

    /// (id, kind, shares, terms, constant).
    type TestEquation = (&'static str, Kind, bool, Vec<(&'static str, f64)>, f64);

    impl Case {
        fn audit(&self, rounding_base: i64) -> AuditReport {
            let settings = settings(rounding_base);
            let base = rounding_base as f64;
            let cells: BTreeMap<String, Cell> = self
                .cells
                .iter()
                .map(|(id, value, suppressed, weighted)| {
                    let shown = (!suppressed).then(|| (value / base).round() * base);
                    let integer = !weighted;
                    // `leavers_…` cells are sums of persons that follow a count, not counts.
                    let count = !id.starts_with("leavers_");
                    ((*id).to_owned(), Cell::new(shown, integer, true, count, *weighted, &settings))
                })
                .collect();
            let equations: Vec<Equation> = self
                .equations
                .iter()
                .map(|(id, kind, shares, terms, constant)| {
                    let mut equation = Equation::new(id, *kind, *shares);
                    for (cell, coefficient) in terms {
                        equation.add(cell, *coefficient);
                    }
                    equation.constant = *constant;
                    equation
                })
                .collect();
            audit(&cells, &equations, settings.protection_range, &mut AuditCache::default()).unwrap()
        }

        fn at_risk(&self, rounding_base: i64) -> Vec<String> {
            self.audit(rounding_base).at_risk.into_iter().map(|r| r.cell).collect()
        }
    }

    #[test]
    fn a_published_count_is_the_interval_that_rounds_to_it() {
        let s = settings(10);
        let shown = |v: f64| {
            let c = Cell::new(Some(v), true, true, true, false, &s);
            (c.low, c.high)
        };
        assert_eq!(shown(10.0), (5.0, 14.0));
        assert_eq!(shown(40.0), (35.0, 44.0));
        // A shown 0 is a true 0: 1 to 4 would have been suppressed.
        assert_eq!(shown(0.0), (0.0, 0.0));
        let suppressed = Cell::new(None, true, true, true, false, &s);
        assert_eq!((suppressed.low, suppressed.high), (1.0, f64::INFINITY));
        let exact = Cell::new(Some(12.0), true, true, true, false, &settings(1));
        assert_eq!((exact.low, exact.high), (12.0, 12.0));
    }

    #[test]
    fn two_small_values_beside_a_published_total() {
        // Sessions a = 1 and b = 1 suppressed, c = 20 shown, their bassin total 22 shown.
        let case = Case {
            cells: vec![
                ("a", 1.0, true, false),
                ("b", 1.0, true, false),
                ("c", 20.0, false, false),
                ("total", 22.0, false, false),
            ],
            equations: vec![(
                "sum",
                Kind::Equal,
                false,
                vec![("total", -1.0), ("a", 1.0), ("b", 1.0), ("c", 1.0)],
                0.0,
            )],
        };
        // Exact figures: a + b = 2 with both ≥ 1 gives each exactly.
        assert_eq!(case.at_risk(1), ["a", "b"]);
        // Rounded to tens: a + b lies anywhere in [2, 9].
        assert!(case.at_risk(10).is_empty(), "{:?}", case.audit(10).at_risk);
    }

    #[test]
    fn a_session_alone_in_its_metier_and_its_bassin_total() {
        // Session s = 3 (suppressed) is the only one of métier r (share suppressed too);
        // the bassin's leavers 15 and the other session 12 are shown.
        let case = Case {
            cells: vec![
                ("s", 3.0, true, false),
                ("r", 3.0, true, true),
                ("other", 12.0, false, false),
                ("bassin", 15.0, false, false),
            ],
            equations: vec![
                ("bassin", Kind::Equal, false, vec![("bassin", -1.0), ("s", 1.0), ("other", 1.0)], 0.0),
                ("metier", Kind::Equal, true, vec![("r", -1.0), ("s", 1.0)], 0.0),
            ],
        };
        assert_eq!(case.at_risk(1), ["r", "s"]);
        assert!(case.at_risk(10).is_empty(), "{:?}", case.audit(10).at_risk);
    }

    #[test]
    fn a_session_shared_among_four_metiers() {
        // A session of 12 shown, spread over four ROMEs (3 each, suppressed as under 5).
        let mut case = Case { cells: vec![("session", 12.0, false, false)], equations: Vec::new() };
        for rome in ["r1", "r2", "r3", "r4"] {
            case.cells.push((rome, 3.0, true, true));
            case.equations.push((rome, Kind::Equal, true, vec![(rome, -1.0), ("session", 0.25)], 0.0));
        }
        // Exact: each share is 12 / 4.
        assert_eq!(case.at_risk(1).len(), 4);
        // Rounded: the session is one of 5…14, each share one of 1.25…3.5, wider than a
        // quarter of the protection range.
        let report = case.audit(10);
        assert!(report.at_risk.is_empty(), "{:?}", report.at_risk);
        assert_eq!(report.suppressed, 4);
    }

    #[test]
    fn a_semester_delta_against_a_suppressed_previous_value() {
        // Previous de_a 3 suppressed, current 27 and the delta 24 shown.
        let case = Case {
            cells: vec![("previous", 3.0, true, false), ("current", 27.0, false, false), ("delta", 24.0, false, false)],
            equations: vec![(
                "delta",
                Kind::Equal,
                false,
                vec![("delta", -1.0), ("current", 1.0), ("previous", -1.0)],
                0.0,
            )],
        };
        assert_eq!(case.at_risk(1), ["previous"]);
        assert!(case.at_risk(10).is_empty());
    }

    #[test]
    fn rounding_alone_can_fail_and_the_audit_names_what_to_suppress() {
        // Session a (3, suppressed) beside session b whose entrants are unknown, so that
        // its leavers are its 9 published places; their specialty's leavers 12 shows as 10.
        let case = Case {
            cells: vec![("a", 3.0, true, false), ("leavers_b", 9.0, false, false), ("specialty", 12.0, false, false)],
            equations: vec![
                ("places", Kind::Equal, false, vec![("leavers_b", 1.0)], -9.0),
                ("specialty", Kind::Equal, false, vec![("specialty", -1.0), ("a", 1.0), ("leavers_b", 1.0)], 0.0),
            ],
        };
        let report = case.audit(10);
        assert_eq!(report.at_risk.len(), 1);
        let risk = &report.at_risk[0];
        assert_eq!((risk.cell.as_str(), risk.low, risk.high), ("a", 1.0, 5.0));
        assert_eq!(risk.remedy.as_deref(), Some("specialty"));
        assert!(risk.equations.iter().any(|e| e.starts_with("specialty:")), "{:?}", risk.equations);
        // A cell made of published places only is not a person count to protect.
        let capacity = Case {
            cells: vec![("b", 9.0, true, false)],
            equations: vec![("places", Kind::Equal, false, vec![("b", 1.0)], -9.0)],
        };
        // (b here a suppressed count whose value the places give: nothing of persons in it.)
        let report = capacity.audit(10);
        assert!(report.at_risk.is_empty());
        assert_eq!(report.capacity_only, 1);
    }

    /// A small deterministic generator (xorshift), so that the cases below are the same on
    /// every run.
    struct Cases(u64);

    impl Cases {
        fn next(&mut self, bound: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % bound
        }

        /// Sessions of 0–19 persons, small ones suppressed and a few others beside them, in
        /// a bassin total, two specialty totals and a bound on the listed ones: the
        /// audit's shape of equations, published to tens.
        fn case(&mut self) -> Case {
            let sessions = 3 + self.next(10) as usize;
            let values: Vec<f64> = (0..sessions).map(|_| self.next(20) as f64).collect();
            let mut cells: Vec<(&'static str, f64, bool, bool)> = Vec::new();
            let names: Vec<&'static str> =
                (0..sessions).map(|i| &*Box::leak(format!("s{i}").into_boxed_str())).collect();
            for (name, value) in names.iter().zip(&values) {
                let suppressed = (1.0..5.0).contains(value) || (*value > 0.0 && self.next(6) == 0);
                cells.push((name, *value, suppressed, false));
            }
            let split = 1 + self.next(sessions as u64 - 1) as usize;
            let first: f64 = values[..split].iter().sum();
            let second: f64 = values[split..].iter().sum();
            let small = |total: f64| (1.0..5.0).contains(&total);
            cells.extend([
                ("bassin", first + second, small(first + second), false),
                ("first", first, small(first), false),
                ("second", second, small(second), false),
            ]);
            let sum = |total: &'static str, parts: &[&'static str]| -> Vec<(&'static str, f64)> {
                std::iter::once((total, -1.0)).chain(parts.iter().map(|p| (*p, 1.0))).collect()
            };
            let listed: Vec<(&'static str, f64)> =
                std::iter::once(("bassin", 1.0)).chain(names.iter().step_by(2).map(|p| (*p, -1.0))).collect();
            let equations = vec![
                ("bassin", Kind::Equal, false, sum("bassin", &names), 0.0),
                ("first", Kind::Equal, false, sum("first", &names[..split]), 0.0),
                ("second", Kind::Equal, false, sum("second", &names[split..]), 0.0),
                ("listed", Kind::AtLeast, false, listed, 0.0),
            ];
            Case { cells, equations }
        }
    }

    #[test]
    fn the_warm_programme_and_the_shortcut_agree_with_a_fresh_solve_of_every_bound() {
        let mut generator = Cases(0x5eed_2026);
        let (mut bounds_compared, mut at_risk) = (0, 0);
        for _ in 0..300 {
            let case = generator.case();
            let settings = settings(10);
            let cells: BTreeMap<String, Cell> = case
                .cells
                .iter()
                .map(|(id, value, suppressed, _)| {
                    (
                        (*id).to_owned(),
                        Cell::new(
                            (!suppressed).then(|| (value / 10.0).round() * 10.0),
                            true,
                            true,
                            true,
                            false,
                            &settings,
                        ),
                    )
                })
                .collect();
            let equations: Vec<Equation> = case
                .equations
                .iter()
                .map(|(id, kind, shares, terms, constant)| Equation {
                    id: (*id).to_owned(),
                    kind: *kind,
                    shares: *shares,
                    terms: terms.iter().map(|(c, w)| ((*c).to_owned(), *w)).collect(),
                    constant: *constant,
                })
                .collect();
            let group: Vec<(&String, &Cell)> = cells.iter().collect();
            let group_equations: Vec<&Equation> = equations.iter().collect();
            let targets: Vec<bool> = group.iter().map(|(_, cell)| cell.suppressed).collect();
            let mut programme =
                Programme::new(&group, &group_equations, &targets).expect("the generated figures are consistent");
            // Every bound from the previous basis equals a fresh solve of it; the at-risk
            // cells of the audit (which skips bounds the points seen already settle) are
            // exactly those whose fresh interval is too narrow.
            let mut expected = Vec::new();
            for (target, (id, _)) in group.iter().enumerate().filter(|(i, _)| targets[*i]) {
                let mut interval = [0.0; 2];
                for (slot, direction) in
                    [OptimizationDirection::Maximize, OptimizationDirection::Minimize].into_iter().enumerate()
                {
                    let (fresh, _) = bound(&group, &group_equations, target, direction).unwrap();
                    let (warm, _) = programme.bound(target, direction).expect("the warm solve succeeds");
                    assert!(
                        fresh == warm || (fresh - warm).abs() < 1e-6,
                        "{id} {direction:?}: fresh {fresh}, warm {warm}"
                    );
                    interval[slot] = fresh;
                    bounds_compared += 1;
                }
                if (interval[0] + 1e-6).floor() - (interval[1] - 1e-6).ceil() < settings.protection_range - 1e-9 {
                    expected.push((*id).clone());
                }
            }
            let report = audit(&cells, &equations, settings.protection_range, &mut AuditCache::default()).unwrap();
            let found: Vec<String> = report.at_risk.into_iter().map(|risk| risk.cell).collect();
            assert_eq!(found, expected, "{:?}", case.cells);
            at_risk += expected.len();
        }
        // The cases exercise both verdicts.
        assert!(bounds_compared > 1000 && at_risk >= 5, "{bounds_compared} bounds, {at_risk} at risk");
    }
}

//! One connected group's linear programme, built once and solved again for each bound.
//! It maximises an extra variable `z` under `z ≤ x` (a target's maximum) or `z ≤ −x` (minus
//! its minimum), each through a selector `d ≥ 0` in `z − x − d ≤ 0` that only binds when it
//! is fixed at 0. Moving from one bound to the next fixes the next selector and releases
//! the last, so the simplex restarts from the previous basis instead of from nothing: a few
//! pivots instead of a full solve of a group of thousands of cells.

use microlp::{ComparisonOp, OptimizationDirection, Problem, Solution, Variable};

use super::bounds::{Cell, Equation, add_group};

/// The bound on `z`: an objective at or past half of it means the cell has no finite bound
/// (person counts stay far below it).
const CAP: f64 = 1e9;

/// A group's programme and the basis of its last solve.
pub(super) struct Programme {
    /// The last solution (None once an edit failed: the caller solves from scratch).
    solution: Option<Solution>,
    /// A variable per cell of the group.
    cells: Vec<Variable>,
    /// Per cell, the selectors of its maximum and of its minimum (targets only).
    selectors: Vec<Option<(Variable, Variable)>>,
    /// The selector fixed at 0 in the last solve.
    active: Option<Variable>,
}

impl Programme {
    /// The programme of `cells` under `equations`, with selectors for the cells `targets`
    /// marks; None when its first solve fails (inconsistent figures are reported by the
    /// caller's own solve, which names the equations).
    pub(super) fn new(cells: &[(&String, &Cell)], equations: &[&Equation], targets: &[bool]) -> Option<Self> {
        let mut problem = Problem::new(OptimizationDirection::Maximize);
        let variables = add_group(&mut problem, cells, equations, |_| 0.0);
        let z = problem.add_var(1.0, (-CAP, CAP));
        let selectors = variables
            .iter()
            .zip(targets)
            .map(|(&x, &target)| {
                target.then(|| {
                    let upper = problem.add_var(0.0, (0.0, f64::INFINITY));
                    problem.add_constraint([(z, 1.0), (x, -1.0), (upper, -1.0)], ComparisonOp::Le, 0.0);
                    let lower = problem.add_var(0.0, (0.0, f64::INFINITY));
                    problem.add_constraint([(z, 1.0), (x, 1.0), (lower, -1.0)], ComparisonOp::Le, 0.0);
                    (upper, lower)
                })
            })
            .collect();
        let solution = problem.solve().ok()?.into_solution().ok()?;
        Some(Self { solution: Some(solution), cells: variables, selectors, active: None })
    }

    /// The bound of cell `target` in `direction` (±∞ when it has none) and a point that
    /// reaches it; None when the solver failed on the edit, after which every call answers
    /// None (the caller then solves from scratch).
    pub(super) fn bound(&mut self, target: usize, direction: OptimizationDirection) -> Option<(f64, Vec<f64>)> {
        let (upper, lower) = self.selectors.get(target).copied().flatten()?;
        let selector = if direction == OptimizationDirection::Maximize { upper } else { lower };
        let mut solution = self.solution.take()?.fix_var(selector, 0.0).ok()?.into_solution().ok()?;
        if let Some(previous) = self.active.take().filter(|previous| *previous != selector) {
            solution = solution.unfix_var(previous).ok()?.0.into_solution().ok()?;
        }
        self.active = Some(selector);
        let z = solution.objective();
        let value = match direction {
            OptimizationDirection::Maximize if z >= CAP / 2.0 => f64::INFINITY,
            OptimizationDirection::Maximize => z,
            OptimizationDirection::Minimize if z >= CAP / 2.0 => f64::NEG_INFINITY,
            OptimizationDirection::Minimize => -z,
        };
        let point = self.cells.iter().map(|&v| solution.var_value(v)).collect();
        self.solution = Some(solution);
        Some((value, point))
    }
}

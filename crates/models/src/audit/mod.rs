//! The disclosure audit (`metrics.md` § Statistical secrecy): from the public tables alone,
//! as an attacker would, it bounds every suppressed person count by what the published
//! figures allow — each published count an interval (its rounding), every relation the
//! tables state between them an equation (`relations`) — with one linear programme per
//! suppressed cell and direction (`bounds`). A cell whose feasible interval is narrower
//! than the protection range is at risk, and a run with one publishes nothing.

mod bounds;
mod programme;
mod relations;

use std::collections::{BTreeMap, HashMap};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Float64Type;
use chrono::NaiveDate;
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result, in_model};
use crate::public::{Secrecy, listed_in_secret};
use crate::schemas::{TableSpec, table_specs};

pub use bounds::{AuditCache, Cell, Equation};
pub use relations::{Kind, Relation, relations};

/// What the audit needs to know of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AuditSettings {
    /// Reference date D.
    pub as_of: NaiveDate,
    /// Start of W12.
    pub w12_start: NaiveDate,
    /// MIN_COUNT and the rounding base the public tables were built with.
    pub secrecy: Secrecy,
    /// The narrowest interval a suppressed count may be left in.
    pub protection_range: f64,
}

impl AuditSettings {
    /// The settings of a run of reference date `as_of` (W12 derived from it; an error
    /// when W12 falls outside the calendar).
    pub fn new(as_of: NaiveDate, secrecy: Secrecy, protection_range: f64) -> Result<Self> {
        Ok(Self { as_of, w12_start: crate::parameters::w12_start(as_of)?, secrecy, protection_range })
    }
}

/// A suppressed cell that the published figures pin down too closely.
#[derive(Debug, Clone, PartialEq)]
pub struct CellAtRisk {
    /// `table/key…/column`.
    pub cell: String,
    /// The smallest value the published figures allow.
    pub low: f64,
    /// The largest.
    pub high: f64,
    /// The width the cell needed.
    pub required: f64,
    /// The equations the cell appears in, as `name: terms`.
    pub equations: Vec<String>,
    /// The published count whose suppression would loosen the cell most surely: the
    /// smallest one in those equations or in the equations of the hidden cells beside it.
    pub remedy: Option<String>,
}

impl std::fmt::Display for CellAtRisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lies in [{}, {}] (width {} < {}), by {}",
            self.cell,
            self.low,
            self.high,
            self.high - self.low,
            self.required,
            self.equations.join("; ")
        )
    }
}

/// A cell id's table, key (its grain values joined by `/`) and column.
pub fn split_cell(id: &str) -> Option<(&str, &str, &str)> {
    let (table, rest) = id.split_once('/')?;
    let (key, column) = rest.rsplit_once('/')?;
    Some((table, key, column))
}

/// The audit's result.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditReport {
    /// Person-count cells published or suppressed.
    pub cells: usize,
    /// Suppressed cells bounded.
    pub suppressed: usize,
    /// Equations stated by the public tables.
    pub equations: usize,
    /// Linear programmes solved.
    pub programmes: usize,
    /// Suppressed cells that hold published capacity (places) and no person: not bounded.
    pub capacity_only: usize,
    /// The cells at risk.
    pub at_risk: Vec<CellAtRisk>,
}

/// The query listing every person-count cell of a public table: its id, whether it is
/// an integer count, its published value (NULL when suppressed) and whether `secret`
/// lists it. Cells neither published nor suppressed (unknown) are left out.
fn cells_sql(spec: &TableSpec) -> Option<String> {
    let public = spec.public.as_ref()?;
    let key = spec.grain.join(" || '/' || ");
    let selects: Vec<String> = public
        .counts
        .iter()
        .chain(&public.rounded)
        .map(|column| {
            let integer = spec.columns.iter().any(|c| &c.name == column && c.data_type.starts_with("int"));
            format!(
                "SELECT '{table}/' || {key} || '/{column}' AS cell, '{column}' AS field, {integer} AS integer, CAST({column} AS DOUBLE) AS value, {listed} AS suppressed
                 FROM public.{table} WHERE {column} IS NOT NULL OR {listed}",
                table = spec.table,
                listed = listed_in_secret(column),
            )
        })
        .collect();
    (!selects.is_empty()).then(|| selects.join("\nUNION ALL\n"))
}

async fn collect(context: &SessionContext, name: &str, sql: &str) -> Result<Vec<RecordBatch>> {
    context.sql(sql).await.map_err(in_model(name))?.collect().await.map_err(in_model(name))
}

fn strings(batch: &RecordBatch, index: usize) -> Result<Vec<Option<String>>> {
    let column = arrow::compute::cast(batch.column(index), &arrow::datatypes::DataType::Utf8)
        .map_err(|error| Error::Specification { table: "audit".to_owned(), message: error.to_string() })?;
    Ok(column.as_string::<i32>().iter().map(|v| v.map(str::to_owned)).collect())
}

fn numbers(batch: &RecordBatch, index: usize) -> Result<Vec<Option<f64>>> {
    let column = arrow::compute::cast(batch.column(index), &arrow::datatypes::DataType::Float64)
        .map_err(|error| Error::Specification { table: "audit".to_owned(), message: error.to_string() })?;
    Ok(column.as_primitive::<Float64Type>().iter().collect())
}

fn flags(batch: &RecordBatch, index: usize) -> Vec<bool> {
    let column = batch.column(index).as_boolean();
    (0..column.len()).map(|i| column.is_valid(i) && column.value(i)).collect()
}

/// The cells of every public table registered in `context` (`public.<table>`).
async fn read_cells(context: &SessionContext, settings: &AuditSettings) -> Result<BTreeMap<String, Cell>> {
    let mut cells = BTreeMap::new();
    for spec in table_specs()? {
        let Some(public) = spec.public.as_ref() else { continue };
        let Some(sql) = cells_sql(spec) else { continue };
        for batch in collect(context, &format!("audit of public.{}", spec.table), &sql).await? {
            let (ids, fields, integers, values, suppressed) =
                (strings(&batch, 0)?, strings(&batch, 1)?, flags(&batch, 2), numbers(&batch, 3)?, flags(&batch, 4));
            for row in 0..batch.num_rows() {
                let (Some(id), Some(field)) = (&ids[row], &fields[row]) else { continue };
                let cell = Cell::new(
                    values[row].filter(|_| !suppressed[row]),
                    integers[row],
                    // Sums and counts of persons are never negative; differences may be.
                    !field.starts_with("delta_"),
                    public.counts.contains(field),
                    public.weighted.contains(field),
                    settings,
                );
                cells.insert(id.clone(), cell);
            }
        }
    }
    Ok(cells)
}

/// The equations of every relation, over the cells read.
async fn read_equations(
    context: &SessionContext,
    settings: &AuditSettings,
    cells: &BTreeMap<String, Cell>,
) -> Result<Vec<Equation>> {
    // Each equation with the position of each of its cells among its terms: a bassin's
    // total has a term per session, too many to look each one up by scanning.
    let mut equations: BTreeMap<String, (Equation, HashMap<String, usize>)> = BTreeMap::new();
    for relation in relations(settings.as_of, settings.w12_start) {
        for batch in collect(context, &format!("audit relation {}", relation.name), &relation.sql).await? {
            let (ids, terms, coefficients) = (strings(&batch, 0)?, strings(&batch, 1)?, numbers(&batch, 2)?);
            for row in 0..batch.num_rows() {
                let (Some(id), Some(coefficient)) = (&ids[row], coefficients[row]) else { continue };
                let (equation, positions) = equations
                    .entry(id.clone())
                    .or_insert_with(|| (Equation::new(id, relation.kind, relation.shares), HashMap::new()));
                match &terms[row] {
                    // An unpublished cell stands for 0, as in the sums.
                    Some(term) if cells.contains_key(term) => match positions.get(term) {
                        Some(&position) => equation.terms[position].1 += coefficient,
                        None => {
                            positions.insert(term.clone(), equation.terms.len());
                            equation.terms.push((term.clone(), coefficient));
                        }
                    },
                    Some(_) => {}
                    None => equation.constant += coefficient,
                }
            }
        }
    }
    Ok(equations.into_values().map(|(equation, _)| equation).filter(|e| !e.terms.is_empty()).collect())
}

/// Audits the public tables registered in `context`; `cache` keeps the groups of
/// equations already bounded (give a fresh one to audit from scratch).
pub async fn audit_public_tables(
    context: &SessionContext,
    settings: &AuditSettings,
    cache: &mut AuditCache,
) -> Result<AuditReport> {
    let cells = read_cells(context, settings).await?;
    let equations = read_equations(context, settings, &cells).await?;
    bounds::audit(&cells, &equations, settings.protection_range, cache)
}

//! The tables' tests, run as SQL after each build: the grain is unique, the declared
//! columns are not NULL / within their accepted values / within bounds, and the table's
//! invariants hold. Any failure fails the run before anything is published.

use std::fmt;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result, in_model};
use crate::parameters::Parameters;
use crate::schemas::{ColumnTest, TableSpec, TestSpec, yaml_literal};
use crate::sql::plan;

/// One failing test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFailure {
    /// What was tested.
    pub test: String,
    /// Rows that fail it.
    pub failing_rows: i64,
}

impl fmt::Display for TestFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} ({} failing row(s))", self.test, self.failing_rows)
    }
}

/// The (name, SQL counting failing rows) of every test of a table.
fn test_queries(spec: &TableSpec, table: &str) -> Vec<(String, String)> {
    let mut queries = Vec::new();
    let unique = |columns: &[String]| {
        let list = columns.join(", ");
        (
            format!("unique ({list})"),
            format!("SELECT COUNT(*) FROM (SELECT {list} FROM {table} GROUP BY {list} HAVING COUNT(*) > 1)"),
        )
    };
    if !spec.grain.is_empty() {
        queries.push(unique(&spec.grain));
    }
    for column in &spec.columns {
        let name = &column.name;
        for test in &column.tests {
            queries.push(match test {
                ColumnTest::NotNull => {
                    (format!("{name} not null"), format!("SELECT COUNT(*) FROM {table} WHERE {name} IS NULL"))
                }
                ColumnTest::AcceptedValues(values) => {
                    let list = values.iter().map(yaml_literal).collect::<Vec<_>>().join(", ");
                    (
                        format!("{name} in ({list})"),
                        format!("SELECT COUNT(*) FROM {table} WHERE {name} IS NOT NULL AND {name} NOT IN ({list})"),
                    )
                }
                ColumnTest::Between([low, high]) => (
                    format!("{name} between {low} and {high}"),
                    format!("SELECT COUNT(*) FROM {table} WHERE {name} < {low} OR {name} > {high}"),
                ),
            });
        }
    }
    for test in &spec.tests {
        queries.push(match test {
            TestSpec::Unique(columns) => unique(columns),
            TestSpec::Invariant { name, condition } => {
                (format!("invariant {name}"), format!("SELECT COUNT(*) FROM {table} WHERE ({condition}) = false"))
            }
            TestSpec::Reconciliation { name, failing_rows } => {
                (format!("reconciliation {name}"), format!("SELECT COUNT(*) FROM ({failing_rows})"))
            }
        });
    }
    queries
}

/// Runs every test of `spec` against the registered table `table` (e.g.
/// `gold.competence_gap`); the tests' SQL may use the models' named parameters
/// (`$min_denom`, `$as_of`, …: [`crate::sql::named_values`]).
pub async fn run_table_tests(
    context: &SessionContext,
    spec: &TableSpec,
    table: &str,
    parameters: &Parameters,
) -> Result<usize> {
    let mut queries = Vec::new();
    for (name, sql) in test_queries(spec, table) {
        let frame = plan(context, table, &sql, parameters).await?;
        queries.push((name, frame));
    }
    run_checks(table, queries).await
}

/// Runs checks (name, SQL returning the count of failing rows) against `table`; any
/// failing one makes the error.
pub(crate) async fn run_checks(table: &str, queries: Vec<(String, DataFrame)>) -> Result<usize> {
    let mut failures = Vec::new();
    let checks = queries.len();
    for (name, frame) in queries {
        let batches = frame.collect().await.map_err(in_model(table))?;
        let failing_rows = batches
            .first()
            .filter(|b| b.num_rows() > 0)
            .map_or(0, |b| b.column(0).as_primitive::<Int64Type>().value(0));
        if failing_rows > 0 {
            failures.push(TestFailure { test: name, failing_rows });
        }
    }
    if failures.is_empty() {
        tracing::info!(table, checks, "checks passed");
        Ok(checks)
    } else {
        Err(Error::TestsFailed { table: table.to_owned(), failures })
    }
}

//! The public export (`metrics.md` § Statistical secrecy): a gold table with each person
//! count from 1 to MIN_COUNT − 1 suppressed (primary), then, within each group of rows
//! whose column total is published, the smallest other positive cell of a column that
//! has exactly one suppressed cell (secondary), then every column that would reveal a
//! suppressed count (`follows`). What is published of person counts is rounded to the
//! rounding base, and rates over persons are published at the precision of that rounding,
//! so that no published equation is exact. `secret` lists the suppressed fields of a row,
//! never why. Rates under MIN_DENOM are already NULL in gold.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;

use crate::error::{Result, in_model};
use crate::quality::run_checks;
use crate::schemas::{ColumnSpec, PublicSpec, RateRounding, TableSpec};

/// The name of the list of suppressed fields.
pub const SECRET_COLUMN: &str = "secret";

/// How secrecy is applied: MIN_COUNT and the rounding base.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Secrecy {
    /// Person counts from 1 to `min_count − 1` are suppressed.
    pub min_count: i64,
    /// Published person counts are rounded to a multiple of this (1: exact).
    pub rounding_base: i64,
}

fn partition(public: &PublicSpec) -> String {
    if public.group.is_empty() { String::new() } else { format!("PARTITION BY {}", public.group.join(", ")) }
}

/// SQL condition: `column` of a public table is listed in its `secret`.
pub fn listed_in_secret(column: &str) -> String {
    format!("array_has(string_to_array({SECRET_COLUMN}, ','), '{column}')")
}

impl PublicSpec {
    /// Whether `column` holds persons (a count, or a sum or difference of counts).
    pub fn is_persons(&self, column: &str) -> bool {
        self.counts.iter().chain(&self.rounded).any(|c| c == column)
    }
}

impl Secrecy {
    /// `expression` rounded to the rounding base, as a value of `data_type`.
    fn round(&self, expression: &str, data_type: &str) -> String {
        let base = self.rounding_base;
        if base == 1 {
            expression.to_owned()
        } else if data_type.starts_with("int") {
            format!("CAST(round(CAST({expression} AS DOUBLE) / {base}) * {base} AS BIGINT)")
        } else {
            format!("round(CAST({expression} AS DOUBLE) / {base}) * {base}")
        }
    }

    /// The public value of the rate `column` (a gold column).
    fn rate(&self, column: &str, rounding: &RateRounding, public: &PublicSpec, spec: &TableSpec) -> String {
        let type_of = |name: &str| {
            spec.columns.iter().find(|c| c.name == name).map(|c| c.data_type.as_str()).unwrap_or("float64")
        };
        let published =
            |name: &str| if public.is_persons(name) { self.round(name, type_of(name)) } else { name.to_owned() };
        if let Some(of) = &rounding.of {
            let numerator = self.round(&format!("{column} * {of}"), "float64");
            format!(
                "CASE WHEN {column} IS NULL THEN NULL ELSE {numerator} / NULLIF(CAST({} AS DOUBLE), 0) END",
                published(of)
            )
        } else if let Some(over) = &rounding.over {
            format!(
                "CASE WHEN {column} IS NULL THEN NULL ELSE {column} * {over} / NULLIF(CAST({} AS DOUBLE), 0) END",
                published(over)
            )
        } else if let Some(step) = rounding.step {
            format!("round({column} / {step}) * {step}")
        } else {
            column.to_owned()
        }
    }
}

/// The specification of a gold table's public export (layer `public`, its columns and
/// `secret`), or `None` when the table is not exported. Its checks are the secrecy checks.
pub fn public_table_spec(spec: &TableSpec) -> Option<TableSpec> {
    let public = spec.public.as_ref()?;
    let mut derived = spec.clone();
    derived.layer = "public".to_owned();
    derived.description = format!(
        "Public export of gold.{}, under statistical secrecy: person counts ({}) from 1 to MIN_COUNT − 1 suppressed, then the next smallest cell of a column with one suppressed cell {}, then the columns that would reveal them; `secret` lists them. Person counts and sums of persons are published rounded to the run's rounding base (10 by default, `thresholds.rounding_base`), rates over persons at the precision of that rounding. {}",
        spec.table,
        public.counts.join(", "),
        if public.group.is_empty() { "in the table".to_owned() } else { format!("per {}", public.group.join(", ")) },
        spec.description.trim()
    );
    derived.tests = Vec::new();
    derived.public = None;
    derived.columns.push(ColumnSpec {
        name: SECRET_COLUMN.to_owned(),
        data_type: "utf8".to_owned(),
        unit: "list".to_owned(),
        definition: "The fields of this row suppressed by statistical secrecy, comma separated (empty when none); which fields, never why.".to_owned(),
        source: "derived".to_owned(),
        tests: Vec::new(),
    });
    Some(derived)
}

/// The SQL of the public table built from `gold.<table>`, or `None` when the table is not
/// exported.
/// `forced` holds further cells to suppress, by column, as their grain values joined by
/// `/` (the disclosure audit's additional suppressions).
pub fn public_sql(spec: &TableSpec, secrecy: Secrecy, forced: &BTreeMap<String, BTreeSet<String>>) -> Option<String> {
    let public = spec.public.as_ref()?;
    let min_count = secrecy.min_count;
    let grain = spec.grain.join(", ");
    let partition = partition(public);
    let mut flags = Vec::new();
    let mut ranks = Vec::new();
    let mut suppressed = Vec::new();
    for count in &public.counts {
        // The audit's additional suppressions count as primary ones for the secondary rule.
        let forced = match forced.get(count) {
            Some(keys) if !keys.is_empty() => {
                format!(
                    " OR concat_ws('/', {grain}) IN ({})",
                    keys.iter().map(|k| format!("'{}'", k.replace('\'', "''"))).collect::<Vec<_>>().join(", ")
                )
            }
            _ => String::new(),
        };
        flags.push(format!("(({count} > 0 AND {count} < {min_count}){forced}) AS primary_{count}"));
        ranks.push(format!(
            "SUM(CASE WHEN primary_{count} THEN 1 ELSE 0 END) OVER ({partition}) AS suppressed_in_group_{count},
             ROW_NUMBER() OVER ({partition} ORDER BY CASE WHEN {count} > 0 AND NOT primary_{count} THEN 0 ELSE 1 END, {count}, {grain}) AS smallest_{count}"
        ));
        suppressed.push(format!(
            "(primary_{count} OR (suppressed_in_group_{count} = 1 AND smallest_{count} = 1 AND {count} > 0 AND NOT primary_{count})) AS hidden_{count}"
        ));
    }
    let hidden = |column: &str| -> Option<String> {
        if public.counts.iter().any(|c| c == column) {
            return Some(format!("hidden_{column}"));
        }
        public.follows.get(column).map(|sources| {
            format!("({})", sources.iter().map(|s| format!("hidden_{s}")).collect::<Vec<_>>().join(" OR "))
        })
    };
    let mut columns = Vec::new();
    let mut secret = Vec::new();
    for column in &spec.columns {
        let name = &column.name;
        let value = if public.is_persons(name) {
            secrecy.round(name, &column.data_type)
        } else if let Some(rounding) = public.rates.get(name) {
            secrecy.rate(name, rounding, public, spec)
        } else {
            name.clone()
        };
        match hidden(name) {
            Some(condition) => {
                columns.push(format!("CASE WHEN {condition} THEN NULL ELSE {value} END AS {name}"));
                secret.push(format!("CASE WHEN {condition} THEN '{name}' END"));
            }
            None => columns.push(format!("{value} AS {name}")),
        }
    }
    let secret = if secret.is_empty() { "''".to_owned() } else { format!("concat_ws(',', {})", secret.join(", ")) };
    Some(format!(
        "WITH flagged AS (SELECT *, {flags} FROM gold.{table}),
         ranked AS (SELECT *, {ranks} FROM flagged),
         hidden AS (SELECT *, {suppressed} FROM ranked)
         SELECT {columns}, {secret} AS {SECRET_COLUMN}
         FROM hidden ORDER BY {grain}",
        table = spec.table,
        flags = if flags.is_empty() { "true AS nothing_to_flag".to_owned() } else { flags.join(", ") },
        ranks = if ranks.is_empty() { "true AS nothing_to_rank".to_owned() } else { ranks.join(",\n") },
        suppressed = if suppressed.is_empty() { "true AS nothing_hidden".to_owned() } else { suppressed.join(",\n") },
        columns = columns.join(",\n"),
    ))
}

/// The secrecy checks of a public table `table` (e.g. `public.competence_gap`): (name,
/// SQL counting failing rows or groups).
fn secrecy_checks(public: &PublicSpec, table: &str, secrecy: Secrecy) -> Vec<(String, String)> {
    let min_count = secrecy.min_count;
    let base = secrecy.rounding_base;
    let listed = |column: &str| listed_in_secret(column);
    let off_multiple = |expression: &str, step: &str| {
        format!("abs({expression} - round({expression} / {step}) * {step}) > 1e-6 * (1 + abs({expression}))")
    };
    let mut checks = Vec::new();
    for count in &public.counts {
        checks.push((
            format!("no {count} between 0 and {min_count} shown"),
            format!("SELECT COUNT(*) FROM {table} WHERE {count} > 0 AND {count} < {min_count}"),
        ));
        checks.push((
            format!("{count}: suppressed values are listed in secret"),
            format!("SELECT COUNT(*) FROM {table} WHERE {count} IS NOT NULL AND {}", listed(count)),
        ));
        let group = if public.group.is_empty() { "1".to_owned() } else { public.group.join(", ") };
        checks.push((
            format!("{count}: no group with a single suppressed cell beside a shown positive one"),
            format!(
                "SELECT COUNT(*) FROM (
                   SELECT {group}, SUM(CASE WHEN {hidden} THEN 1 ELSE 0 END) AS hidden, SUM(CASE WHEN {count} > 0 THEN 1 ELSE 0 END) AS shown
                   FROM {table} GROUP BY {group}
                 ) WHERE hidden = 1 AND shown > 0",
                hidden = listed(count)
            ),
        ));
    }
    // Published exact (base 1), weighted shares and rates keep their fractions.
    let rounded = if base > 1 { public.counts.iter().chain(&public.rounded).collect() } else { Vec::new() };
    for column in rounded {
        checks.push((
            format!("{column} published as a multiple of {base}"),
            format!(
                "SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL AND {}",
                off_multiple(&format!("CAST({column} AS DOUBLE)"), &base.to_string())
            ),
        ));
    }
    for (column, rounding) in &public.rates {
        let failing = if base == 1 {
            continue;
        } else if let Some(of) = &rounding.of {
            format!("{column} IS NOT NULL AND {}", off_multiple(&format!("({column} * {of})"), &base.to_string()))
        } else if let Some(over) = &rounding.over {
            format!("{column} IS NOT NULL AND {}", off_multiple(&format!("({column} * {over})"), "1"))
        } else if let Some(step) = rounding.step {
            format!("{column} IS NOT NULL AND {}", off_multiple(column, &step.to_string()))
        } else {
            continue;
        };
        checks.push((
            format!("{column} × its published denominator gives only a rounded figure"),
            format!("SELECT COUNT(*) FROM {table} WHERE {failing}"),
        ));
    }
    for (column, sources) in &public.follows {
        let any_source = sources.iter().map(|s| listed(s)).collect::<Vec<_>>().join(" OR ");
        checks.push((
            format!("{column} hidden with {}", sources.join(", ")),
            format!("SELECT COUNT(*) FROM {table} WHERE ({any_source}) AND {column} IS NOT NULL"),
        ));
    }
    checks
}

/// Runs the secrecy checks of the registered public table `table`; any failure is an error.
pub async fn run_secrecy_checks(
    context: &SessionContext,
    spec: &TableSpec,
    table: &str,
    secrecy: Secrecy,
) -> Result<usize> {
    match spec.public.as_ref() {
        Some(public) => {
            let mut queries = Vec::new();
            for (name, sql) in secrecy_checks(public, table, secrecy) {
                queries.push((name, context.sql(&sql).await.map_err(in_model(table))?));
            }
            run_checks(table, queries).await
        }
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, Float64Array, Int64Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::context::{marts_context, register_batches};
    use crate::schemas::parse_standalone;

    const SPEC: &str = r#"
table: demo
layer: gold
description: d
grain: [code_bassin, code_rome]
columns:
  - {name: code_bassin, type: utf8, unit: code, definition: d, source: s}
  - {name: code_rome, type: utf8, unit: code, definition: d, source: s}
  - {name: de_a, type: int64, unit: personnes, definition: d, source: s}
  - {name: taux, type: float64, unit: ratio, definition: d, source: s}
public:
  group: [code_bassin]
  counts: [de_a]
  follows: {taux: [de_a]}
"#;

    /// Bassin 1: de_a 3 (primary), 40, 7, 0 → 7 is the secondary; bassin 2: 2 and 0 only
    /// (nothing else to hide); bassin 3: two primaries (no secondary needed).
    fn register(context: &SessionContext) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("code_bassin", DataType::Utf8, false),
            Field::new("code_rome", DataType::Utf8, false),
            Field::new("de_a", DataType::Int64, true),
            Field::new("taux", DataType::Float64, true),
        ]));
        let rows = [
            ("1", "A", Some(3), 0.1),
            ("1", "B", Some(40), 0.2),
            ("1", "C", Some(7), 0.3),
            ("1", "D", Some(0), 0.4),
            ("1", "E", None, 0.5),
            ("2", "A", Some(2), 0.6),
            ("2", "B", Some(0), 0.7),
            ("3", "A", Some(1), 0.8),
            ("3", "B", Some(4), 0.9),
            ("3", "C", Some(9), 1.0),
        ];
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.2))),
                Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.3))),
            ],
        )
        .unwrap();
        register_batches(context, "gold.demo", schema, vec![batch]).unwrap();
    }

    #[tokio::test]
    async fn primary_secondary_and_following_cells_are_suppressed_and_listed() {
        let spec = parse_standalone(SPEC).unwrap();
        let context = marts_context(Arc::default());
        register(&context);
        let exact = Secrecy { min_count: 5, rounding_base: 1 };
        let batches =
            context.sql(&public_sql(&spec, exact, &BTreeMap::new()).unwrap()).await.unwrap().collect().await.unwrap();
        let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let de_a: Vec<Option<i64>> = batch.column(2).as_primitive::<arrow::datatypes::Int64Type>().iter().collect();
        let secret: Vec<&str> = batch.column(4).as_string::<i32>().iter().map(|s| s.unwrap_or("?")).collect();
        assert_eq!(de_a, [None, Some(40), None, Some(0), None, None, Some(0), None, None, Some(9)]);
        // Which fields, never why: the secondary 7 is listed as the primary 3 is.
        assert_eq!(secret, ["de_a,taux", "", "de_a,taux", "", "", "de_a,taux", "", "de_a,taux", "de_a,taux", ""]);
        let taux_hidden =
            batch.column(3).as_primitive::<arrow::datatypes::Float64Type>().iter().filter(Option::is_none).count();
        assert_eq!(taux_hidden, 5);

        let public_spec = public_table_spec(&spec).unwrap();
        assert_eq!(public_spec.columns.last().map(|c| c.name.as_str()), Some(SECRET_COLUMN));
        register_batches(&context, "public.demo", batch.schema(), vec![batch]).unwrap();
        // Three checks of de_a and one of taux; exact counts have no rounding to check.
        assert_eq!(run_secrecy_checks(&context, &spec, "public.demo", exact).await.unwrap(), 4);
    }

    #[tokio::test]
    async fn the_checks_catch_a_table_that_breaks_secrecy() {
        let spec = parse_standalone(SPEC).unwrap();
        let context = marts_context(Arc::default());
        register(&context);
        // The raw table with an empty `secret`: small counts shown.
        let raw = context.sql("SELECT *, '' AS secret FROM gold.demo").await.unwrap().collect().await.unwrap();
        register_batches(&context, "public.raw", raw[0].schema(), raw).unwrap();
        let error = run_secrecy_checks(&context, &spec, "public.raw", Secrecy { min_count: 5, rounding_base: 1 })
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("no de_a between 0 and 5 shown"), "{error}");
        // Only the primary cell hidden, its bassin total would give it back.
        let leaky = context
            .sql("SELECT code_bassin, code_rome, CASE WHEN de_a BETWEEN 1 AND 4 THEN NULL ELSE de_a END AS de_a, CASE WHEN de_a BETWEEN 1 AND 4 THEN NULL ELSE taux END AS taux, CASE WHEN de_a BETWEEN 1 AND 4 THEN 'de_a,taux' ELSE '' END AS secret FROM gold.demo")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        register_batches(&context, "public.leaky", leaky[0].schema(), leaky).unwrap();
        let error = run_secrecy_checks(&context, &spec, "public.leaky", Secrecy { min_count: 5, rounding_base: 1 })
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("single suppressed cell") && error.contains("1 failing"), "{error}");
    }

    #[tokio::test]
    async fn counts_are_rounded_rates_follow_their_rounding_and_forced_cells_are_hidden() {
        let spec = parse_standalone(
            &SPEC.replace("follows: {taux: [de_a]}", "follows: {taux: [de_a]}\n  rates: {taux: {of: de_a}}"),
        )
        .unwrap();
        let context = marts_context(Arc::default());
        register(&context);
        let secrecy = Secrecy { min_count: 5, rounding_base: 10 };
        // Bassin 1's 40 forced out by the audit: with the primary 3, two cells are hidden, so
        // the 7 no longer needs to be, and shows rounded.
        let forced = BTreeMap::from([("de_a".to_owned(), BTreeSet::from(["1/B".to_owned()]))]);
        let batches =
            context.sql(&public_sql(&spec, secrecy, &forced).unwrap()).await.unwrap().collect().await.unwrap();
        let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let de_a: Vec<Option<i64>> = batch.column(2).as_primitive::<arrow::datatypes::Int64Type>().iter().collect();
        assert_eq!(de_a, [None, None, Some(10), Some(0), None, None, Some(0), None, None, Some(10)]);
        // taux of de_a: the rounded numerator over the rounded de_a (round(1.0 × 9) / 10,
        // round(0.3 × 7) / 10), so that taux × de_a gives back only a rounded count.
        let taux: Vec<Option<f64>> = batch.column(3).as_primitive::<arrow::datatypes::Float64Type>().iter().collect();
        assert_eq!((taux[2], taux[9]), (Some(0.0), Some(1.0)), "{taux:?}");
        register_batches(&context, "public.demo", batch.schema(), vec![batch]).unwrap();
        assert!(run_secrecy_checks(&context, &spec, "public.demo", secrecy).await.unwrap() >= 6);
        // An unrounded count among the published ones fails the checks.
        let raw = context
            .sql("SELECT code_bassin, code_rome, CASE WHEN de_a = 10 THEN 9 ELSE de_a END AS de_a, taux, secret FROM public.demo")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        register_batches(&context, "public.unrounded", raw[0].schema(), raw).unwrap();
        let error = run_secrecy_checks(&context, &spec, "public.unrounded", secrecy).await.unwrap_err().to_string();
        assert!(error.contains("multiple of 10"), "{error}");
    }
}

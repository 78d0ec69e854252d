//! Table specifications (`schemas/<table>.yml`, embedded at build time): description,
//! grain, every column's type, unit, definition and source, and the table's tests. They
//! document the Parquet outputs (column comments), generate `docs/tables.md` and drive the
//! SQL tests run after each build.

use std::sync::OnceLock;

use arrow::datatypes::DataType;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The embedded specifications, in publication order.
const SPECIFICATIONS: &[(&str, &str)] = &[
    ("bassins", include_str!("../../../schemas/bassins.yml")),
    ("offers", include_str!("../../../schemas/offers.yml")),
    ("jobseekers", include_str!("../../../schemas/jobseekers.yml")),
    ("bmo", include_str!("../../../schemas/bmo.yml")),
    ("labour_market_tension", include_str!("../../../schemas/labour_market_tension.yml")),
    ("sessions", include_str!("../../../schemas/sessions.yml")),
    ("rejects", include_str!("../../../schemas/rejects.yml")),
    ("competence_gap", include_str!("../../../schemas/competence_gap.yml")),
    ("specialty_gap", include_str!("../../../schemas/specialty_gap.yml")),
    ("skills_demand", include_str!("../../../schemas/skills_demand.yml")),
    ("upcoming_sessions", include_str!("../../../schemas/upcoming_sessions.yml")),
    ("bassin_summary", include_str!("../../../schemas/bassin_summary.yml")),
    ("etat_des_lieux", include_str!("../../../schemas/etat_des_lieux.yml")),
    ("long_term_gap", include_str!("../../../schemas/long_term_gap.yml")),
    ("france_travail_tension", include_str!("../../../schemas/france_travail_tension.yml")),
    ("projections", include_str!("../../../schemas/projections.yml")),
    ("employment", include_str!("../../../schemas/employment.yml")),
];

/// One table's specification.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Table name (without layer).
    pub table: String,
    /// `silver` or `gold`.
    pub layer: String,
    /// What the table is, for whom.
    pub description: String,
    /// The columns that identify a row (tested unique), empty for an event table.
    #[serde(default)]
    pub grain: Vec<String>,
    /// Every column, in order (with `- include: <table>` entries resolved).
    #[serde(skip)]
    pub columns: Vec<ColumnSpec>,
    /// The columns as written: a column, or `- include: <table>` for all of another
    /// table's columns (a snapshot table repeats its source's).
    #[serde(rename = "columns")]
    entries: Vec<ColumnEntry>,
    /// Table-level tests (`- unique: [...]`, `- invariant: {name, condition}`).
    #[serde(default, with = "serde_yaml_ng::with::singleton_map_recursive")]
    pub tests: Vec<TestSpec>,
    /// When present, the table is exported to `public/` under statistical secrecy.
    #[serde(default)]
    pub public: Option<PublicSpec>,
}

/// How a table leaves the restricted zone (`metrics.md` § Statistical secrecy).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicSpec {
    /// The rows whose column totals are published together (secondary suppression works
    /// within them); empty for the whole table.
    #[serde(default)]
    pub group: Vec<String>,
    /// Person counts: from 1 to MIN_COUNT − 1 (any value strictly between 0 and
    /// MIN_COUNT for weighted counts) they are suppressed.
    pub counts: Vec<String>,
    /// Columns that would reveal a suppressed count (a rate over a shown denominator, a
    /// sum with it): suppressed with any of the counts they follow.
    #[serde(default)]
    pub follows: std::collections::BTreeMap<String, Vec<String>>,
    /// Other person-valued columns (sums and differences of counts): published rounded
    /// like the counts, suppressed only through `follows`.
    #[serde(default)]
    pub rounded: Vec<String>,
    /// Counts that are shares of session counts weighted by 1/|M(s)|: the audit protects
    /// them in proportion to their largest weight.
    #[serde(default)]
    pub weighted: Vec<String>,
    /// Rates computed from person counts, and how their public value is rounded so that
    /// rate × denominator gives back no more than the rounded count.
    #[serde(default)]
    pub rates: std::collections::BTreeMap<String, RateRounding>,
}

/// How a rate over person counts is published (`metrics.md` § Statistical secrecy): exactly
/// one of the three.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateRounding {
    /// The numerator is persons, a share of this column (the rate's denominator or an
    /// upper bound of it): published as round(rate × column) / column, the column taken
    /// rounded when it is itself a person count.
    #[serde(default)]
    pub of: Option<String>,
    /// Only the denominator is persons, this column: the rate is recomputed over its
    /// rounded value.
    #[serde(default)]
    pub over: Option<String>,
    /// No published column bounds the denominator: the rate is rounded to this step.
    #[serde(default)]
    pub step: Option<f64>,
}

/// An entry of `columns:`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum ColumnEntry {
    /// All the columns of another table, with their tests.
    Include(IncludeColumns),
    /// One column.
    Column(ColumnSpec),
}

/// `- include: <table>`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct IncludeColumns {
    /// The table whose columns are repeated.
    include: String,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// Type: `utf8`, `int64`, `int32`, `float64`, `boolean`, `date32`, `timestamp_utc`, `list<struct>`.
    #[serde(rename = "type")]
    pub data_type: String,
    /// Unit (`offres`, `personnes`, `ratio`, `code`, …).
    pub unit: String,
    /// Definition, exact enough to recompute it.
    pub definition: String,
    /// Where it comes from.
    pub source: String,
    /// Column-level tests (`- not_null`, `- accepted_values: [...]`, `- between: [a, b]`).
    #[serde(default, with = "serde_yaml_ng::with::singleton_map_recursive")]
    pub tests: Vec<ColumnTest>,
}

/// A column-level test.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ColumnTest {
    /// No NULL.
    NotNull,
    /// Only these values (NULL allowed unless `not_null` too).
    AcceptedValues(Vec<serde_yaml_ng::Value>),
    /// `min ≤ value ≤ max` where not NULL.
    Between([f64; 2]),
}

/// A table-level test.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TestSpec {
    /// These columns together identify a row.
    Unique(Vec<String>),
    /// A condition every row satisfies (a row where it is NULL passes).
    Invariant {
        /// Short name.
        name: String,
        /// SQL boolean expression over the table's columns.
        condition: String,
    },
    /// A check across tables: a query returning the rows that break it (none when it holds).
    Reconciliation {
        /// Short name.
        name: String,
        /// SQL query over any registered table, with the models' named parameters
        /// (`$as_of`, `$w12_start`, `$min_denom`, …: [`crate::sql::named_values`]).
        failing_rows: String,
    },
}

/// Parses one specification whose columns are all listed (no `include`).
#[cfg(test)]
pub(crate) fn parse_standalone(text: &str) -> std::result::Result<TableSpec, serde_yaml_ng::Error> {
    let mut spec: TableSpec = serde_yaml_ng::from_str(text)?;
    spec.columns = spec
        .entries
        .iter()
        .filter_map(|e| if let ColumnEntry::Column(c) = e { Some(c.clone()) } else { None })
        .collect();
    Ok(spec)
}

/// All specifications, parsed once.
pub fn table_specs() -> Result<&'static [TableSpec]> {
    static SPECS: OnceLock<std::result::Result<Vec<TableSpec>, (String, String)>> = OnceLock::new();
    let parsed = SPECS.get_or_init(|| {
        let specs: Vec<TableSpec> = SPECIFICATIONS
            .iter()
            .map(|(table, text)| {
                serde_yaml_ng::from_str::<TableSpec>(text).map_err(|error| ((*table).to_owned(), error.to_string()))
            })
            .collect::<std::result::Result<_, _>>()?;
        let mut resolved = specs.clone();
        for spec in &mut resolved {
            for entry in &spec.entries {
                match entry {
                    ColumnEntry::Column(column) => spec.columns.push(column.clone()),
                    ColumnEntry::Include(IncludeColumns { include }) => {
                        let source = specs
                            .iter()
                            .find(|other| {
                                other.table == *include
                                    && other.entries.iter().all(|e| matches!(e, ColumnEntry::Column(_)))
                            })
                            .ok_or_else(|| {
                                (
                                    spec.table.clone(),
                                    format!("`include: {include}` names no table whose columns are all listed"),
                                )
                            })?;
                        spec.columns.extend(
                            source
                                .entries
                                .iter()
                                .filter_map(|e| if let ColumnEntry::Column(c) = e { Some(c.clone()) } else { None }),
                        );
                    }
                }
            }
        }
        Ok(resolved)
    });
    parsed
        .as_deref()
        .map_err(|(table, message)| Error::Specification { table: table.clone(), message: message.clone() })
}

/// One table's specification.
pub fn table_spec(table: &str) -> Result<&'static TableSpec> {
    table_specs()?
        .iter()
        .find(|spec| spec.table == table)
        .ok_or_else(|| Error::Specification { table: table.to_owned(), message: "no such specification".to_owned() })
}

/// The specification's name of an Arrow type.
pub fn type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "utf8".to_owned(),
        DataType::Int64 => "int64".to_owned(),
        DataType::Int32 => "int32".to_owned(),
        DataType::Float64 => "float64".to_owned(),
        DataType::Boolean => "boolean".to_owned(),
        DataType::Date32 => "date32".to_owned(),
        DataType::Timestamp(_, Some(zone)) if zone.as_ref() == "UTC" => "timestamp_utc".to_owned(),
        DataType::List(field) if matches!(field.data_type(), DataType::Struct(_)) => "list<struct>".to_owned(),
        DataType::List(field) => format!("list<{}>", type_name(field.data_type())),
        other => other.to_string(),
    }
}

/// `docs/tables.md`, generated from the specifications.
pub fn render_tables_markdown() -> Result<String> {
    let mut out = String::from(
        "# Output tables\n\n<!-- Generated from schemas/*.yml by `skillgap docs tables`; do not edit by hand. -->\n\n",
    );
    out.push_str("Each table is published as Parquet under `<output>/current/<layer>/<table>/` and documented here from its specification in `schemas/`. The Parquet files carry the same column descriptions as field metadata.\n\n");
    for spec in table_specs()? {
        out.push_str(&format!("## {}.{}\n\n{}\n\n", spec.layer, spec.table, spec.description.trim()));
        if !spec.grain.is_empty() {
            out.push_str(&format!("**Grain:** one row per ({}).\n\n", spec.grain.join(", ")));
        }
        out.push_str("| column | type | unit | definition | source | tests |\n|---|---|---|---|---|---|\n");
        for column in &spec.columns {
            let tests: Vec<String> = column
                .tests
                .iter()
                .map(|test| match test {
                    ColumnTest::NotNull => "not null".to_owned(),
                    ColumnTest::AcceptedValues(values) => {
                        format!("in {}", values.iter().map(yaml_literal).collect::<Vec<_>>().join(", "))
                    }
                    ColumnTest::Between([low, high]) => format!("between {low} and {high}"),
                })
                .collect();
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                column.name,
                column.data_type,
                column.unit,
                column.definition.trim().replace('\n', " ").replace('|', "\\|"),
                column.source.trim().replace('\n', " ").replace('|', "\\|"),
                tests.join("; ")
            ));
        }
        let table_tests: Vec<String> = spec
            .tests
            .iter()
            .map(|test| match test {
                TestSpec::Unique(columns) => format!("unique ({})", columns.join(", ")),
                TestSpec::Invariant { name, condition } => {
                    format!("{name}: `{}`", condition.trim().replace('|', "\\|"))
                }
                TestSpec::Reconciliation { name, .. } => {
                    format!("{name} (across tables, see `schemas/{}.yml`)", spec.table)
                }
            })
            .collect();
        if !table_tests.is_empty() {
            out.push_str(&format!("\n**Tests:** {}.\n", table_tests.join("; ")));
        }
        if let Some(public) = &spec.public {
            let follows: Vec<String> = public
                .follows
                .iter()
                .map(|(column, sources)| format!("`{column}` with {}", sources.join(", ")))
                .collect();
            out.push_str(&format!(
                "\n**Public export** (`public.{}`, with a `secret` column): {}{}{}.\n",
                spec.table,
                if public.counts.is_empty() {
                    "copied as is (no person count)".to_owned()
                } else {
                    format!("person counts {} from 1 to MIN_COUNT − 1 suppressed", public.counts.join(", "))
                },
                if public.counts.is_empty() {
                    String::new()
                } else if public.group.is_empty() {
                    ", secondary suppression over the whole table".to_owned()
                } else {
                    format!(", secondary suppression within each {}", public.group.join(" × "))
                },
                if follows.is_empty() { String::new() } else { format!("; hidden together: {}", follows.join("; ")) },
            ));
            let persons: Vec<&String> = public.counts.iter().chain(&public.rounded).collect();
            if !persons.is_empty() {
                out.push_str(&format!(
                    "Published rounded to the run's rounding base (`thresholds.rounding_base`, 10 by default): {}.",
                    persons.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                ));
                let rates: Vec<String> = public
                    .rates
                    .iter()
                    .map(|(rate, rounding)| match (&rounding.of, &rounding.over, rounding.step) {
                        (Some(of), _, _) => format!("`{rate}` = rounded (rate × `{of}`) / `{of}` as published"),
                        (_, Some(over), _) => format!("`{rate}` recomputed over the rounded `{over}`"),
                        (_, _, Some(step)) => format!("`{rate}` rounded to {step}"),
                        _ => format!("`{rate}` as in gold"),
                    })
                    .collect();
                if !rates.is_empty() {
                    out.push_str(&format!(" Rates: {}.", rates.join("; ")));
                }
                out.push('\n');
            }
        }
        out.push('\n');
    }
    Ok(out)
}

/// A YAML scalar as an SQL literal.
pub(crate) fn yaml_literal(value: &serde_yaml_ng::Value) -> String {
    match value {
        serde_yaml_ng::Value::String(text) => format!("'{}'", text.replace('\'', "''")),
        serde_yaml_ng::Value::Bool(flag) => flag.to_string(),
        serde_yaml_ng::Value::Number(number) => number.to_string(),
        _ => "NULL".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_specification_parses_and_documents_every_column() {
        for spec in table_specs().unwrap() {
            assert!(!spec.columns.is_empty(), "{}", spec.table);
            assert!(["silver", "gold"].contains(&spec.layer.as_str()), "{}", spec.table);
            for column in &spec.columns {
                assert!(
                    !column.definition.trim().is_empty()
                        && !column.source.trim().is_empty()
                        && !column.unit.trim().is_empty(),
                    "{}.{}",
                    spec.table,
                    column.name
                );
            }
            for key in &spec.grain {
                assert!(
                    spec.columns.iter().any(|c| &c.name == key),
                    "{}: grain column {key} is not a column",
                    spec.table
                );
            }
        }
    }
}

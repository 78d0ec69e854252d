//! The models' SQL and its named parameters: `$as_of`, the window bounds and the
//! thresholds of a run ([`named_values`]), bound by DataFusion when a model is planned
//! ([`plan`]), or replaced by SQL literals when a model is printed for people and other
//! engines ([`compile`]).

use chrono::NaiveDate;
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result, in_model};
use crate::parameters::Parameters;

/// The value of a named parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A date (`DATE`).
    Date(NaiveDate),
    /// A text, or NULL (`VARCHAR`).
    Text(Option<String>),
    /// An integer (`BIGINT`).
    Integer(i64),
    /// A number (`DOUBLE`).
    Number(f64),
    /// A truth value (`BOOLEAN`).
    Flag(bool),
}

impl Value {
    /// The value DataFusion binds.
    fn scalar(&self) -> ScalarValue {
        match self {
            Value::Date(date) => ScalarValue::Date32(Some(days_since_epoch(*date))),
            Value::Text(text) => ScalarValue::Utf8(text.clone()),
            Value::Integer(integer) => ScalarValue::Int64(Some(*integer)),
            Value::Number(number) => ScalarValue::Float64(Some(*number)),
            Value::Flag(flag) => ScalarValue::Boolean(Some(*flag)),
        }
    }

    /// The value as an SQL literal that DataFusion and DuckDB read alike.
    pub fn literal(&self) -> String {
        match self {
            Value::Date(date) => format!("DATE '{}'", date.format("%Y-%m-%d")),
            Value::Text(Some(text)) => format!("'{}'", text.replace('\'', "''")),
            Value::Text(None) => "CAST(NULL AS VARCHAR)".to_owned(),
            Value::Integer(integer) => integer.to_string(),
            Value::Number(number) => format!("{number:?}"),
            Value::Flag(flag) => (if *flag { "TRUE" } else { "FALSE" }).to_owned(),
        }
    }
}

fn days_since_epoch(date: NaiveDate) -> i32 {
    let days = date.signed_duration_since(NaiveDate::default()).num_days();
    // NaiveDate's range (±262,143 years) fits in i32 days.
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

/// Every named parameter of the models' SQL, with its value for a run (`metrics.md`
/// § Reference dates and § Thresholds).
pub fn named_values(parameters: &Parameters) -> Result<Vec<(&'static str, Value)>> {
    let (observable_start, observable_end) = parameters.observable()?;
    Ok(vec![
        // D, and the windows W12 = [w12_start, D), F6 = [D, f6_end), O = [observable_start, observable_end).
        ("as_of", Value::Date(parameters.as_of)),
        ("w12_start", Value::Date(parameters.w12_start()?)),
        ("f6_end", Value::Date(parameters.f6_end()?)),
        ("observable_start", Value::Date(observable_start)),
        ("observable_end", Value::Date(observable_end)),
        // The latest jobseekers month (`YYYY-MM`) and BMO year a run may read.
        ("jobseekers_month", Value::Text(Some(parameters.jobseekers_month()?))),
        ("bmo_year", Value::Integer(i64::from(parameters.bmo_year()))),
        ("min_denom", Value::Number(parameters.min_denom)),
        ("semester", Value::Text(parameters.semester.map(|semester| semester.to_string()))),
        ("previous_semester", Value::Text(parameters.semester.map(|semester| semester.previous().to_string()))),
        ("employment_key", Value::Flag(parameters.employment_key)),
    ])
}

/// Plans `sql` (the SQL of `model`) with its named parameters bound to the run's values.
pub async fn plan(context: &SessionContext, model: &str, sql: &str, parameters: &Parameters) -> Result<DataFrame> {
    let values: Vec<(&str, ScalarValue)> =
        named_values(parameters)?.iter().map(|(name, value)| (*name, value.scalar())).collect();
    context.sql(sql).await.map_err(in_model(model))?.with_param_values(values).map_err(in_model(model))
}

/// `sql` with every named parameter replaced by its value as an SQL literal (comments and
/// quoted text left as they are); an unknown name is an error.
pub fn compile(sql: &str, parameters: &Parameters) -> Result<String> {
    compile_with(sql, &named_values(parameters)?)
}

/// [`compile`] with the given `values` (a staging script's: the few a model needs).
pub fn compile_with(sql: &str, values: &[(&str, Value)]) -> Result<String> {
    let mut compiled = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find(['$', '\'', '-']) {
        compiled.push_str(&rest[..start]);
        rest = &rest[start..];
        let skipped = if let Some(quoted) = rest.strip_prefix('\'') {
            // A quoted text, to its closing quote ('' is a quote inside it).
            quoted.find('\'').map_or(rest.len(), |end| end + 2)
        } else if rest.starts_with("--") {
            rest.find('\n').unwrap_or(rest.len())
        } else if let Some(named) = rest.strip_prefix('$') {
            let name_length = named.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(named.len());
            let name = &named[..name_length];
            let value = values.iter().find(|(known, _)| *known == name).ok_or_else(|| Error::Parameter {
                name: name.to_owned(),
                known: values.iter().map(|(known, _)| *known).collect::<Vec<_>>().join(", "),
            })?;
            compiled.push_str(&value.1.literal());
            rest = &named[name_length..];
            continue;
        } else {
            1
        };
        compiled.push_str(&rest[..skipped]);
        rest = &rest[skipped..];
    }
    compiled.push_str(rest);
    Ok(compiled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marts::{INTERMEDIATE, MARTS, NO_PREVIOUS_SNAPSHOTS};

    fn parameters() -> Parameters {
        Parameters {
            as_of: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            min_denom: 20.0,
            min_count: 5,
            rounding_base: 10,
            protection_range: 5.0,
            grid_is_bmo_bassins: true,
            semester: "2026-S1".parse().ok(),
            employment_key: false,
        }
    }

    #[test]
    fn parameters_become_literals_outside_comments_and_text() {
        let sql = "-- $as_of is D\nSELECT '$as_of' AS t, 'it''s' AS u, $as_of AS d, x - $min_denom AS m, $semester, $previous_semester, $employment_key";
        let compiled = compile(sql, &parameters()).unwrap();
        assert_eq!(
            compiled,
            "-- $as_of is D\nSELECT '$as_of' AS t, 'it''s' AS u, DATE '2026-07-01' AS d, x - 20.0 AS m, '2026-S1', '2025-S2', FALSE"
        );
    }

    #[test]
    fn outside_a_semester_run_the_semesters_are_null() {
        let outside = Parameters { semester: None, ..parameters() };
        assert_eq!(
            compile("$semester, $previous_semester", &outside).unwrap(),
            "CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)"
        );
    }

    #[test]
    fn an_unknown_parameter_is_an_error_naming_it() {
        let error = compile("SELECT $as_off", &parameters()).unwrap_err().to_string();
        assert!(error.contains("$as_off") && error.contains("as_of"), "{error}");
    }

    #[test]
    fn every_model_compiles_to_sql_without_parameters() {
        for model in MARTS.iter().chain(&INTERMEDIATE).chain([&NO_PREVIOUS_SNAPSHOTS]) {
            let compiled = compile(model.sql, &parameters()).unwrap();
            let code: String = compiled.lines().map(|line| line.split("--").next().unwrap_or("")).collect();
            assert!(!code.contains('$'), "{} keeps a parameter: {code}", model.table);
        }
    }

    #[test]
    fn dates_bind_as_days_since_the_epoch() {
        assert_eq!(Value::Date(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()).scalar(), ScalarValue::Date32(Some(1)));
        assert_eq!(
            Value::Date(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()).scalar(),
            ScalarValue::Date32(Some(20_635))
        );
    }
}

//! Scalar functions that parse input text in SQL, returning NULL when the text is not
//! readable (staging turns those NULLs into rejects with a reason).

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Date32Array, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, TimeUnit};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use datafusion::common::Result as DataFusionResult;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use datafusion::prelude::SessionContext;

/// A one-argument function from text to some Arrow array (identified by its name).
#[derive(Debug)]
struct TextFunction {
    name: &'static str,
    signature: Signature,
    return_type: DataType,
    function: fn(&StringArray) -> ArrayRef,
}

impl PartialEq for TextFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TextFunction {}

impl std::hash::Hash for TextFunction {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for TextFunction {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> DataFusionResult<DataType> {
        Ok(self.return_type.clone())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DataFusionResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let input = arrow::compute::cast(&arrays[0], &DataType::Utf8)?;
        let text = input
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| datafusion::error::DataFusionError::Internal(format!("{}: expected text", self.name)))?;
        Ok(ColumnarValue::Array((self.function)(text)))
    }
}

fn text_function(name: &'static str, return_type: DataType, function: fn(&StringArray) -> ArrayRef) -> ScalarUDF {
    ScalarUDF::from(TextFunction {
        name,
        signature: Signature::string(1, Volatility::Immutable),
        return_type,
        function,
    })
}

/// Parses an API timestamp (`2023-09-11T15:10:07.000Z`, with or without milliseconds, or
/// with an offset) to UTC microseconds.
pub fn parse_api_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(datetime) = DateTime::parse_from_rfc3339(text) {
        return Some(datetime.timestamp_micros());
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|naive| naive.and_utc().timestamp_micros())
}

/// Parses a person or project count: digits (spaces allowed as thousands separators);
/// `*` (masked) and empty are unknown. Returns `Err(())` for unreadable or negative text.
pub fn parse_count(text: Option<&str>) -> Result<Option<i64>, ()> {
    let Some(text) = text.map(str::trim) else { return Ok(None) };
    if text.is_empty() || text == "*" {
        return Ok(None);
    }
    let digits: String = text.chars().filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\u{a0}').collect();
    let digits = digits.strip_suffix(".0").unwrap_or(&digits);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    digits.parse().map(Some).map_err(|_| ())
}

/// Months of a contract label such as « Contrat à durée déterminée - 6 Mois »; `None` for
/// a duration in days or an unreadable one.
pub fn contract_months(label: &str) -> Option<i64> {
    let (_, duration) = label.rsplit_once(" - ")?;
    let mut words = duration.split_whitespace();
    let number: i64 = words.next()?.parse().ok()?;
    let unit = words.next()?.to_lowercase();
    (unit == "mois").then_some(number)
}

/// A jobseekers period — a month `YYYY-MM` or a quarter `YYYYTn` (the Marché du travail
/// API's) — to its first day, or its last day when `end`.
pub fn parse_period(text: &str, end: bool) -> Option<NaiveDate> {
    let text = text.trim();
    let (year, first_month, months) = match text.split_once('T') {
        Some((year, quarter)) if quarter.len() == 1 => {
            let quarter: u32 = quarter.parse().ok().filter(|q| (1..=4).contains(q))?;
            (year, (quarter - 1) * 3 + 1, 3)
        }
        Some(_) => return None,
        None => {
            let (year, month) = text.split_once('-')?;
            if month.len() != 2 {
                return None;
            }
            (year, month.parse().ok()?, 1)
        }
    };
    if year.len() != 4 {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(year.parse().ok()?, first_month, 1)?;
    if end {
        first.checked_add_months(chrono::Months::new(months)).map(|next| next - chrono::Duration::days(1))
    } else {
        Some(first)
    }
}

/// An LHEO date (`YYYYMMDD`): `00000000` and `99999999` are unknown; a `00` day or month
/// is the first one for a start (`end = false`) and the last one for an end.
pub fn parse_lheo_date(text: &str, end: bool) -> Option<NaiveDate> {
    let text = text.trim();
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) || text == "00000000" || text == "99999999" {
        return None;
    }
    let year: i32 = text[..4].parse().ok()?;
    let month: u32 = text[4..6].parse().ok()?;
    let day: u32 = text[6..].parse().ok()?;
    if year == 0 || month > 12 {
        return None;
    }
    let month = match (month, end) {
        (0, false) => 1,
        (0, true) => 12,
        (m, _) => m,
    };
    if day == 0 {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        return if end {
            first.checked_add_months(chrono::Months::new(1)).map(|next| next - chrono::Duration::days(1))
        } else {
            Some(first)
        };
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The commune of a municipal arrondissement of Paris, Lyon or Marseille (a code between
/// their first and last, compared as text), else the code itself.
pub fn commune_of(code: &str) -> &str {
    match code {
        _ if ("75101"..="75120").contains(&code) => "75056",
        _ if ("69381"..="69389").contains(&code) => "69123",
        _ if ("13201"..="13216").contains(&code) => "13055",
        _ => code,
    }
}

fn days_since_epoch(date: NaiveDate) -> i32 {
    (date - NaiveDate::default()).num_days() as i32
}

/// The text-parsing functions, by value (an engine that ships plans to other processes
/// rebuilds them there by name).
pub fn text_functions() -> Vec<ScalarUDF> {
    vec![
        text_function("parse_api_timestamp", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), |text| {
            let values: TimestampMicrosecondArray = text.iter().map(|v| v.and_then(parse_api_timestamp)).collect();
            Arc::new(values.with_timezone("UTC"))
        }),
        text_function("parse_count", DataType::Int64, |text| {
            let values: Int64Array = text.iter().map(|v| parse_count(v).ok().flatten()).collect();
            Arc::new(values)
        }),
        text_function("is_bad_count", DataType::Boolean, |text| {
            let values: BooleanArray = text.iter().map(|v| Some(parse_count(v).is_err())).collect();
            Arc::new(values)
        }),
        text_function("commune_of", DataType::Utf8, |text| {
            let values: StringArray = text.iter().map(|v| v.map(commune_of)).collect();
            Arc::new(values)
        }),
        text_function("contract_months", DataType::Int64, |text| {
            let values: Int64Array = text.iter().map(|v| v.and_then(contract_months)).collect();
            Arc::new(values)
        }),
        text_function("parse_lheo_start", DataType::Date32, |text| {
            let values: Date32Array =
                text.iter().map(|v| v.and_then(|t| parse_lheo_date(t, false)).map(days_since_epoch)).collect();
            Arc::new(values)
        }),
        text_function("parse_lheo_end", DataType::Date32, |text| {
            let values: Date32Array =
                text.iter().map(|v| v.and_then(|t| parse_lheo_date(t, true)).map(days_since_epoch)).collect();
            Arc::new(values)
        }),
        text_function("period_start", DataType::Date32, |text| {
            let values: Date32Array =
                text.iter().map(|v| v.and_then(|t| parse_period(t, false)).map(days_since_epoch)).collect();
            Arc::new(values)
        }),
        text_function("period_end", DataType::Date32, |text| {
            let values: Date32Array =
                text.iter().map(|v| v.and_then(|t| parse_period(t, true)).map(days_since_epoch)).collect();
            Arc::new(values)
        }),
    ]
}

/// Registers the functions in a session.
pub fn register(context: &SessionContext) {
    for function in text_functions() {
        context.register_udf(function);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_timestamps_with_and_without_milliseconds() {
        assert_eq!(parse_api_timestamp("2023-09-11T15:10:07.000Z"), parse_api_timestamp("2023-09-11T15:10:07Z"));
        assert_eq!(parse_api_timestamp("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(parse_api_timestamp("1970-01-01T01:00:01+01:00"), Some(1_000_000));
        assert_eq!(parse_api_timestamp("2026-02-30T25:61:00Z"), None);
        assert_eq!(parse_api_timestamp("hier"), None);
    }

    #[test]
    fn counts_masks_and_bad_values() {
        assert_eq!(parse_count(Some(" 12 ")), Ok(Some(12)));
        assert_eq!(parse_count(Some("1 234")), Ok(Some(1234)));
        assert_eq!(parse_count(Some("*")), Ok(None));
        assert_eq!(parse_count(Some("")), Ok(None));
        assert_eq!(parse_count(None), Ok(None));
        assert_eq!(parse_count(Some("-3")), Err(()));
        assert_eq!(parse_count(Some("douze")), Err(()));
    }

    #[test]
    fn arrondissements_fold_into_their_commune() {
        assert_eq!(commune_of("75108"), "75056");
        assert_eq!(commune_of("75120"), "75056");
        assert_eq!(commune_of("69381"), "69123");
        assert_eq!(commune_of("13216"), "13055");
        assert_eq!(commune_of("75121"), "75121");
        assert_eq!(commune_of("59350"), "59350");
    }

    #[test]
    fn contract_durations() {
        assert_eq!(contract_months("Contrat à durée déterminée - 6 Mois"), Some(6));
        assert_eq!(contract_months("Contrat à durée déterminée - 18 Mois"), Some(18));
        assert_eq!(contract_months("Contrat à durée déterminée - 15 Jour(s)"), None);
        assert_eq!(contract_months("Contrat à durée déterminée"), None);
        assert_eq!(contract_months("Mission intérimaire - 3 Mois"), Some(3));
    }

    #[test]
    fn lheo_dates_with_unknown_days_and_months() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_lheo_date("20260315", false), date(2026, 3, 15));
        assert_eq!(parse_lheo_date("20260300", false), date(2026, 3, 1));
        assert_eq!(parse_lheo_date("20260200", true), date(2026, 2, 28));
        assert_eq!(parse_lheo_date("20240200", true), date(2024, 2, 29));
        assert_eq!(parse_lheo_date("20260000", false), date(2026, 1, 1));
        assert_eq!(parse_lheo_date("20260000", true), date(2026, 12, 31));
        assert_eq!(parse_lheo_date("00000000", false), None);
        assert_eq!(parse_lheo_date("99999999", true), None);
        assert_eq!(parse_lheo_date("20261301", false), None);
        assert_eq!(parse_lheo_date("2026-03-15", false), None);
        assert_eq!(parse_lheo_date("20260231", false), None);
    }

    #[test]
    fn months_and_quarters() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_period("2026-06", false), date(2026, 6, 1));
        assert_eq!(parse_period("2026-06", true), date(2026, 6, 30));
        assert_eq!(parse_period("2026-13", false), None);
        assert_eq!(parse_period("2026-6", false), None);
        assert_eq!(parse_period("2026T2", false), date(2026, 4, 1));
        assert_eq!(parse_period("2026T4", true), date(2026, 12, 31));
        assert_eq!(parse_period("2024T1", true), date(2024, 3, 31));
        assert_eq!(parse_period("2026T5", false), None);
        assert_eq!(parse_period("2026T", false), None);
        assert_eq!(parse_period("26T1", false), None);
    }
}

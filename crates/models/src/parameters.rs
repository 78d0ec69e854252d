//! Run parameters: the reference date D and its windows (`metrics.md` § Reference dates),
//! and the thresholds.

use chrono::{Datelike, Duration, Months, NaiveDate};

/// What the models need to know about a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    /// Reference date D.
    pub as_of: NaiveDate,
    /// `MIN_DENOM`.
    pub min_denom: f64,
    /// `MIN_COUNT`.
    pub min_count: i64,
    /// Published person counts are rounded to a multiple of this.
    pub rounding_base: i64,
    /// The narrowest interval the disclosure audit lets published figures leave a
    /// suppressed count in.
    pub protection_range: f64,
    /// Whether the grid is the BMO bassins (BMO rows join directly, weight 1).
    pub grid_is_bmo_bassins: bool,
    /// The semester of a semester run (`2026-S1`), which writes its snapshot.
    pub semester: Option<String>,
    /// The semester before it (`2025-S2`), whose snapshot the deltas compare with.
    pub previous_semester: Option<String>,
    /// Whether the key of the long-term projections is employment (`employment.csv`
    /// given) rather than the W12 positions.
    pub employment_key: bool,
}

/// Start of W12 for reference date `as_of`: D − 12 months (inclusive).
pub(crate) fn w12_start(as_of: NaiveDate) -> NaiveDate {
    as_of.checked_sub_months(Months::new(12)).unwrap_or(as_of)
}

impl Parameters {
    /// Start of W12 = D − 12 months (inclusive).
    pub fn w12_start(&self) -> NaiveDate {
        w12_start(self.as_of)
    }

    /// End of F6 = D + 6 months (exclusive).
    pub fn f6_end(&self) -> NaiveDate {
        self.as_of.checked_add_months(Months::new(6)).unwrap_or(self.as_of)
    }

    /// O = [D − 18 months, D − 6 months).
    pub fn observable(&self) -> (NaiveDate, NaiveDate) {
        let start = self.as_of.checked_sub_months(Months::new(18)).unwrap_or(self.as_of);
        let end = self.as_of.checked_sub_months(Months::new(6)).unwrap_or(self.as_of);
        (start, end)
    }

    /// The latest jobseekers `periode` allowed: the month of D − 1 day (`YYYY-MM`).
    pub fn jobseekers_month(&self) -> String {
        let day_before = self.as_of - Duration::days(1);
        format!("{:04}-{:02}", day_before.year(), day_before.month())
    }

    /// The latest BMO year allowed: the year of D.
    pub fn bmo_year(&self) -> i32 {
        self.as_of.year()
    }

    /// SQL condition: `column` (a date) is in W12 = [D − 12 months, D).
    pub fn sql_in_w12(&self, column: &str) -> String {
        Self::sql_in(column, self.w12_start(), self.as_of)
    }

    /// SQL condition: `column` is in F6 = [D, D + 6 months).
    pub fn sql_in_f6(&self, column: &str) -> String {
        Self::sql_in(column, self.as_of, self.f6_end())
    }

    /// SQL condition: `column` is in O = [D − 18 months, D − 6 months).
    pub fn sql_in_observable(&self, column: &str) -> String {
        let (start, end) = self.observable();
        Self::sql_in(column, start, end)
    }

    fn sql_in(column: &str, start: NaiveDate, end: NaiveDate) -> String {
        format!("({column} >= {} AND {column} < {})", Self::sql_date(start), Self::sql_date(end))
    }

    /// SQL: `numerator / denominator` as a DOUBLE, NULL when the denominator is NULL or
    /// under `MIN_DENOM` (`metrics.md` § Thresholds).
    pub fn sql_rate(&self, numerator: &str, denominator: &str) -> String {
        format!("CASE WHEN {denominator} >= {} THEN CAST({numerator} AS DOUBLE) / {denominator} END", self.min_denom)
    }

    /// `YYYY-MM-DD` of a date, for SQL literals.
    pub fn sql_date(date: NaiveDate) -> String {
        format!("DATE '{}'", date.format("%Y-%m-%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> Parameters {
        Parameters {
            as_of: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
            min_denom: 20.0,
            min_count: 5,
            rounding_base: 10,
            protection_range: 5.0,
            grid_is_bmo_bassins: true,
            semester: None,
            previous_semester: None,
            employment_key: false,
        }
    }

    #[test]
    fn windows_follow_the_specification() {
        let p = at(2026, 7, 1);
        assert_eq!(p.w12_start(), NaiveDate::from_ymd_opt(2025, 7, 1).unwrap());
        assert_eq!(p.f6_end(), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(
            p.observable(),
            (NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
        );
        assert_eq!(p.jobseekers_month(), "2026-06");
        assert_eq!(p.bmo_year(), 2026);
    }

    #[test]
    fn month_ends_clamp() {
        let p = at(2024, 2, 29);
        assert_eq!(p.w12_start(), NaiveDate::from_ymd_opt(2023, 2, 28).unwrap());
        assert_eq!(at(2026, 3, 15).jobseekers_month(), "2026-03");
    }
}

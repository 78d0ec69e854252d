//! Run parameters: the reference date D and its windows (`metrics.md` § Reference dates),
//! and the thresholds.

use chrono::{Datelike, Months, NaiveDate};
use skillgap_config::Semester;

use crate::error::{Error, Result};

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
    /// The semester of a semester run (`2026-S1`), which writes its snapshot (the deltas
    /// compare it with the semester before).
    pub semester: Option<Semester>,
    /// Whether the key of the long-term projections is employment (`employment.csv`
    /// given) rather than the W12 positions.
    pub employment_key: bool,
}

/// Start of W12 for reference date `as_of`: D − 12 months (inclusive).
pub(crate) fn w12_start(as_of: NaiveDate) -> Result<NaiveDate> {
    shifted(as_of, -12)
}

/// `date` moved by `months` (a month end clamps: 2024-02-29 − 12 months is 2023-02-28); a
/// date out of range is an error rather than a silently empty window.
fn shifted(date: NaiveDate, months: i32) -> Result<NaiveDate> {
    let moved = if months < 0 {
        date.checked_sub_months(Months::new(months.unsigned_abs()))
    } else {
        date.checked_add_months(Months::new(months.unsigned_abs()))
    };
    moved.ok_or_else(|| Error::Date(format!("{date} {months:+} months is out of range")))
}

impl Parameters {
    /// Start of W12 = D − 12 months (inclusive).
    pub fn w12_start(&self) -> Result<NaiveDate> {
        w12_start(self.as_of)
    }

    /// End of F6 = D + 6 months (exclusive).
    pub fn f6_end(&self) -> Result<NaiveDate> {
        shifted(self.as_of, 6)
    }

    /// O = [D − 18 months, D − 6 months).
    pub fn observable(&self) -> Result<(NaiveDate, NaiveDate)> {
        Ok((shifted(self.as_of, -18)?, shifted(self.as_of, -6)?))
    }

    /// The latest jobseekers `periode` allowed: the month of D − 1 day (`YYYY-MM`).
    pub fn jobseekers_month(&self) -> Result<String> {
        let day_before =
            self.as_of.pred_opt().ok_or_else(|| Error::Date(format!("{} has no day before it", self.as_of)))?;
        Ok(format!("{:04}-{:02}", day_before.year(), day_before.month()))
    }

    /// The latest BMO year allowed: the year of D.
    pub fn bmo_year(&self) -> i32 {
        self.as_of.year()
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
            employment_key: false,
        }
    }

    #[test]
    fn windows_follow_the_specification() {
        let p = at(2026, 7, 1);
        assert_eq!(p.w12_start().unwrap(), NaiveDate::from_ymd_opt(2025, 7, 1).unwrap());
        assert_eq!(p.f6_end().unwrap(), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(
            p.observable().unwrap(),
            (NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
        );
        assert_eq!(p.jobseekers_month().unwrap(), "2026-06");
        assert_eq!(p.bmo_year(), 2026);
    }

    #[test]
    fn month_ends_clamp() {
        let p = at(2024, 2, 29);
        assert_eq!(p.w12_start().unwrap(), NaiveDate::from_ymd_opt(2023, 2, 28).unwrap());
        assert_eq!(at(2026, 3, 15).jobseekers_month().unwrap(), "2026-03");
    }

    #[test]
    fn windows_out_of_range_are_an_error() {
        let last = Parameters { as_of: NaiveDate::MAX, ..at(2026, 7, 1) };
        assert!(matches!(last.f6_end(), Err(Error::Date(_))));
        let first = Parameters { as_of: NaiveDate::MIN, ..at(2026, 7, 1) };
        assert!(matches!(first.w12_start(), Err(Error::Date(_))));
        assert!(matches!(first.jobseekers_month(), Err(Error::Date(_))));
    }
}

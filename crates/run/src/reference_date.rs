//! The reference date D: `--as-of`, else `--semester` (the day after the semester), else
//! the pipeline's `dates.as_of`, else today in the pipeline's time zone.

use std::str::FromStr;

use chrono::NaiveDate;

use crate::error::{Error, Result};

/// A semester (`2026-S1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Semester {
    /// Year.
    pub year: i32,
    /// 1 or 2.
    pub half: u8,
}

impl FromStr for Semester {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        let invalid = || Error::Argument(format!("`{text}` is not a semester (expected YYYY-S1 or YYYY-S2)"));
        let (year, half) = text.split_once("-S").ok_or_else(invalid)?;
        let year: i32 = year.parse().map_err(|_| invalid())?;
        match half {
            "1" => Ok(Self { year, half: 1 }),
            "2" => Ok(Self { year, half: 2 }),
            _ => Err(invalid()),
        }
    }
}

impl std::fmt::Display for Semester {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}-S{}", self.year, self.half)
    }
}

impl Semester {
    /// The semester before this one (2026-S1 → 2025-S2).
    pub fn previous(self) -> Self {
        if self.half == 2 { Self { year: self.year, half: 1 } } else { Self { year: self.year - 1, half: 2 } }
    }

    /// The day after the semester: S1 → 1 July, S2 → 1 January of the next year.
    pub fn reference_date(self) -> Option<NaiveDate> {
        if self.half == 1 {
            NaiveDate::from_ymd_opt(self.year, 7, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year + 1, 1, 1)
        }
    }
}

fn parse_date(text: &str, what: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::Argument(format!("{what} `{text}` is not a date (expected YYYY-MM-DD)")))
}

/// Resolves D.
pub fn resolve_reference_date(
    as_of: Option<&str>,
    semester: Option<Semester>,
    pipeline_as_of: Option<&str>,
    timezone: &str,
) -> Result<NaiveDate> {
    if as_of.is_some() && semester.is_some() {
        return Err(Error::Argument("--as-of and --semester cannot be used together".to_owned()));
    }
    if let Some(text) = as_of {
        return parse_date(text, "--as-of");
    }
    if let Some(semester) = semester {
        return semester.reference_date().ok_or_else(|| Error::Argument(format!("{semester} is out of range")));
    }
    if let Some(text) = pipeline_as_of {
        return parse_date(text, "dates.as_of");
    }
    let zone: chrono_tz::Tz = timezone
        .parse()
        .map_err(|_| Error::Argument(format!("dates.timezone `{timezone}` is not a time zone name")))?;
    Ok(chrono::Utc::now().with_timezone(&zone).date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semesters_map_to_the_day_after() {
        assert_eq!("2026-S1".parse::<Semester>().unwrap().reference_date(), NaiveDate::from_ymd_opt(2026, 7, 1));
        assert_eq!("2026-S2".parse::<Semester>().unwrap().reference_date(), NaiveDate::from_ymd_opt(2027, 1, 1));
        assert!("2026-S3".parse::<Semester>().is_err());
        assert!("S1".parse::<Semester>().is_err());
    }

    #[test]
    fn precedence_of_the_reference_date() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            resolve_reference_date(Some("2026-03-04"), None, Some("2020-01-01"), "Europe/Paris").unwrap(),
            d(2026, 3, 4)
        );
        assert_eq!(
            resolve_reference_date(None, Some("2026-S1".parse().unwrap()), Some("2020-01-01"), "Europe/Paris").unwrap(),
            d(2026, 7, 1)
        );
        assert_eq!(resolve_reference_date(None, None, Some("2020-01-01"), "Europe/Paris").unwrap(), d(2020, 1, 1));
        assert!(resolve_reference_date(None, None, None, "Mars/Olympus").is_err());
        assert!(resolve_reference_date(Some("demain"), None, None, "Europe/Paris").is_err());
        assert!(resolve_reference_date(Some("2026-01-01"), Some("2026-S1".parse().unwrap()), None, "UTC").is_err());
    }
}

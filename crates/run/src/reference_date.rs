//! The reference date D: `--as-of`, else `--semester` (the day after the semester), else
//! the pipeline's `dates.as_of`, else today in the pipeline's time zone. Dates and
//! semesters arrive typed: clap and the pipeline file parse them where they enter.

use chrono::NaiveDate;
use skillgap_config::Semester;

use crate::error::{Error, Result};

/// Resolves D.
pub fn resolve_reference_date(
    as_of: Option<NaiveDate>,
    semester: Option<Semester>,
    pipeline_as_of: Option<NaiveDate>,
    timezone: &str,
) -> Result<NaiveDate> {
    if as_of.is_some() && semester.is_some() {
        return Err(Error::Argument("--as-of and --semester cannot be used together".to_owned()));
    }
    if let Some(date) = as_of {
        return Ok(date);
    }
    if let Some(semester) = semester {
        return semester.reference_date().ok_or_else(|| Error::Argument(format!("{semester} is out of range")));
    }
    if let Some(date) = pipeline_as_of {
        return Ok(date);
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
    fn precedence_of_the_reference_date() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            resolve_reference_date(Some(d(2026, 3, 4)), None, Some(d(2020, 1, 1)), "Europe/Paris").unwrap(),
            d(2026, 3, 4)
        );
        assert_eq!(
            resolve_reference_date(None, Some("2026-S1".parse().unwrap()), Some(d(2020, 1, 1)), "Europe/Paris")
                .unwrap(),
            d(2026, 7, 1)
        );
        assert_eq!(resolve_reference_date(None, None, Some(d(2020, 1, 1)), "Europe/Paris").unwrap(), d(2020, 1, 1));
        assert!(resolve_reference_date(None, None, None, "Mars/Olympus").is_err());
        assert!(resolve_reference_date(Some(d(2026, 1, 1)), Some("2026-S1".parse().unwrap()), None, "UTC").is_err());
        let out_of_range = Semester { year: 262_143, half: 2 };
        assert!(resolve_reference_date(None, Some(out_of_range), None, "UTC").is_err());
    }
}

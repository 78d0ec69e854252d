//! Semesters (`2026-S1`): the periods of France Travail's état des lieux, each with the
//! reference date of its run.

use std::str::FromStr;

use chrono::NaiveDate;

use crate::error::Error;

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
    fn from_str(text: &str) -> Result<Self, Error> {
        let invalid = || Error::Semester(text.to_owned());
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

impl serde::Serialize for Semester {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Semester {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Semester {
    /// The semester before this one (2026-S1 → 2025-S2).
    pub fn previous(self) -> Self {
        if self.half == 2 { Self { year: self.year, half: 1 } } else { Self { year: self.year - 1, half: 2 } }
    }

    /// The day after the semester: S1 → 1 July, S2 → 1 January of the next year (None
    /// past the calendar's end).
    pub fn reference_date(self) -> Option<NaiveDate> {
        if self.half == 1 {
            NaiveDate::from_ymd_opt(self.year, 7, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year + 1, 1, 1)
        }
    }
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
        assert_eq!("2026-S1".parse::<Semester>().unwrap().previous().to_string(), "2025-S2");
    }

    #[test]
    fn semesters_are_strings_in_json() {
        let semester: Semester = "2026-S2".parse().unwrap();
        let json = serde_json::to_string(&semester).unwrap();
        assert_eq!(json, "\"2026-S2\"");
        assert_eq!(serde_json::from_str::<Semester>(&json).unwrap(), semester);
        assert!(serde_json::from_str::<Semester>("\"2026-S9\"").is_err());
    }
}

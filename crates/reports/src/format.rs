//! French formats: `12 345`, `56,3 %`, `1,25`, `JJ/MM/AAAA`, and the secrecy markers.

use crate::table::Row;

/// Narrow no-break space, the French thousands separator.
const THIN: char = '\u{202F}';
/// No-break space, before `%`.
const NBSP: char = '\u{00A0}';

/// An integer with thousands separators (`-1 234`).
pub fn integer(value: f64) -> String {
    let rounded = value.round() as i64;
    let digits = rounded.unsigned_abs().to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(THIN);
        }
        out.push(digit);
    }
    if rounded < 0 { format!("-{out}") } else { out }
}

/// A share as a percentage with one decimal (`56,3 %`).
pub fn percent(value: f64) -> String {
    format!("{}{NBSP}%", decimal_fixed(value * 100.0, 1))
}

fn decimal_fixed(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    format!("{sign}{},{fraction}", integer(whole.parse::<f64>().unwrap_or(0.0)))
}

/// A date as `JJ/MM/AAAA`.
pub fn date(value: chrono::NaiveDate) -> String {
    value.format("%d/%m/%Y").to_string()
}

/// How a cell of a public table reads: its value, « s » under secrecy, « n.s. »
/// for a rate not computed, « — » for nothing.
pub fn cell(row: &Row<'_>, column: &str, kind: Kind) -> String {
    if row.secret(column) {
        return "s".to_owned();
    }
    match (row.number(column), kind) {
        (Some(value), Kind::Count) => integer(value),
        (Some(value), Kind::Share) => percent(value),
        (Some(value), Kind::Ratio) => decimal_fixed(value, 2),
        (None, Kind::Share | Kind::Ratio) => "n.s.".to_owned(),
        (None, _) => "—".to_owned(),
    }
}

/// How a number is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A count, shown whole (a count shared among métiers by weights is rounded for
    /// display; the XLSX keeps its exact value under a whole-number format).
    Count,
    /// A share, as a percentage.
    Share,
    /// A ratio, two decimals.
    Ratio,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_read_the_french_way() {
        assert_eq!(integer(12345.0), "12\u{202F}345");
        assert_eq!(integer(-1234567.0), "-1\u{202F}234\u{202F}567");
        assert_eq!(integer(999.0), "999");
        assert_eq!(percent(0.5634), "56,3\u{A0}%");
        assert_eq!(percent(1.0), "100,0\u{A0}%");
        assert_eq!(decimal_fixed(0.0667, 2), "0,07");
        assert_eq!(date(chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default()), "01/07/2026");
    }
}

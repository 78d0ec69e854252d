//! The BMO survey CSV, whose column names change every year: configured names are mapped
//! to canonical ones, `BE*` / `NOMBE*` matching the year's `BE<yy>` / `NOMBE<yy>` header.

use std::path::Path;

use arrow::array::RecordBatch;

use crate::csv_table::{CsvTable, read_csv};
use crate::error::{Error, Result};
use crate::files::open_decompressed;
use crate::rejects::RejectsBuilder;

/// Canonical BMO columns, in the order of the configured names passed to [`read_bmo`].
pub const BMO_COLUMNS: [&str; 10] =
    ["annee", "code_metier_bmo", "nom_metier_bmo", "code_region", "code_departement", "code_bassin_bmo", "nom_bassin_bmo", "met", "xmet", "smet"];

/// Whether a header matches a configured name, `PREFIX*` meaning `PREFIX` + two digits.
fn matches(header: &str, configured: &str) -> bool {
    match configured.strip_suffix('*') {
        Some(prefix) => header.strip_prefix(prefix).is_some_and(|rest| rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_digit())),
        None => header == configured,
    }
}

/// Reads a BMO file; `configured` gives the header name of each of [`BMO_COLUMNS`].
pub fn read_bmo(path: &Path, display_path: &str, delimiter: u8, configured: &[String; 10], rejects: &mut RejectsBuilder) -> Result<Vec<RecordBatch>> {
    let mut first_line = String::new();
    std::io::BufRead::read_line(&mut open_decompressed(path)?, &mut first_line).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let headers: Vec<String> =
        first_line.trim_end().split(char::from(delimiter)).map(|h| h.trim().trim_matches('"').trim_start_matches('\u{feff}').to_owned()).collect();
    let mut columns = Vec::new();
    for (canonical, name) in BMO_COLUMNS.iter().zip(configured) {
        let header = headers.iter().find(|h| matches(h, name)).cloned().unwrap_or_else(|| name.clone());
        let required = !matches!(*canonical, "nom_metier_bmo" | "nom_bassin_bmo" | "code_departement" | "code_region");
        columns.push((*canonical, header, required));
    }
    let table = CsvTable { input: "bmo", delimiter, columns };
    read_csv(&table, path, display_path, rejects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_columns_are_matched_by_pattern() {
        assert!(matches("BE24", "BE*"));
        assert!(matches("NOMBE23", "NOMBE*"));
        assert!(!matches("NOMBE23", "BE*"));
        assert!(!matches("BE2024", "BE*"));
        assert!(matches("met", "met"));
    }
}

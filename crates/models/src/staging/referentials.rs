//! Referentials: ROME (with BMO métier, FAP family and sector) and the communes of the
//! grid. Invalid codes and duplicate keys are rejects; the first occurrence wins.

use datafusion::prelude::SessionContext;

use super::{Staged, csv_reject_columns, staged};
use crate::error::Result;

/// A ROME code is a letter and four digits.
pub(crate) fn is_rome_code(column: &str) -> String {
    format!(
        "(char_length({column}) = 5 AND upper(substr({column}, 1, 1)) BETWEEN 'A' AND 'Z' AND try_cast(substr({column}, 2, 4) AS INT) IS NOT NULL AND substr({column}, 2, 4) NOT LIKE '%-%')"
    )
}

/// `staging.rome` from `bronze.rome`.
pub async fn rome(context: &SessionContext) -> Result<Staged> {
    let classified = format!(
        "WITH numbered AS (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY code_rome ORDER BY source_file, source_line) AS occurrence FROM bronze.rome
         ), classified AS (
            SELECT *,
              CASE WHEN code_rome IS NULL OR NOT {valid} THEN 'bad_rome'
                   WHEN occurrence > 1 THEN 'duplicate_key' END AS reject_reason,
              CASE WHEN code_rome IS NULL OR NOT {valid} THEN 'code_rome is not a ROME code (a letter and four digits)'
                   WHEN occurrence > 1 THEN 'code_rome already defined earlier in the file' END AS reject_detail
            FROM numbered
         )",
        valid = is_rome_code("code_rome")
    );
    let rows = format!(
        "{classified} SELECT upper(code_rome) AS code_rome, libelle_rome, code_metier_bmo, code_fap, secteur FROM classified WHERE reject_reason IS NULL"
    );
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        csv_reject_columns("rome", &["code_rome", "libelle_rome", "code_metier_bmo", "code_fap", "secteur"])
    );
    staged(context, "staging.rome", &rows, &rejects).await
}

/// `staging.communes` from `bronze.communes`: a commune listed twice is a reject (the first
/// listing wins), so that no commune is ever in two bassins.
pub async fn communes(context: &SessionContext) -> Result<Staged> {
    let classified = "WITH numbered AS (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY code_commune ORDER BY source_file, source_line) AS occurrence FROM bronze.communes
         ), classified AS (
            SELECT *,
              CASE WHEN code_commune IS NULL OR code_bassin IS NULL THEN 'missing_value'
                   WHEN occurrence > 1 THEN 'duplicate_key' END AS reject_reason,
              CASE WHEN code_commune IS NULL OR code_bassin IS NULL THEN 'code_commune and code_bassin are required'
                   WHEN occurrence > 1 THEN 'commune already assigned to a bassin earlier in the file' END AS reject_detail
            FROM numbered
         )";
    let rows = format!("{classified} SELECT code_commune, libelle_commune, code_bassin, code_postal FROM classified WHERE reject_reason IS NULL");
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        csv_reject_columns("communes", &["code_commune", "libelle_commune", "code_bassin", "code_postal"])
    );
    staged(context, "staging.communes", &rows, &rejects).await
}

//! The codes seen in the inputs that a referential does not know (`metrics.md` § bassin
//! summary, data quality): ROME codes, Formacodes, communes and bassins, with the input
//! they come from and how many rows carry them. Listed in the run manifest, so that a
//! referential can be completed before the next run.

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use datafusion::prelude::SessionContext;

use crate::error::{Result, in_model};

/// One unknown code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    /// `rome`, `formacode`, `commune`, `bassin`, `bmo_metier` (a BMO métier no ROME
    /// carries) or `bmo` (an offer's ROME whose métier the BMO file lacks).
    pub referential: String,
    /// The input it was seen in.
    pub input: String,
    /// The code.
    pub code: String,
    /// Rows carrying it.
    pub rows: i64,
}

/// One check: the codes of `code` in the rows of `table` matching `filter` that `known`
/// lacks (by `key`).
struct Check {
    referential: &'static str,
    input: &'static str,
    table: &'static str,
    filter: &'static str,
    code: &'static str,
    known: &'static str,
    key: &'static str,
}

/// A check, by position: referential, input, table, filter, code, known, key.
const fn check(
    referential: &'static str,
    input: &'static str,
    table: &'static str,
    filter: &'static str,
    code: &'static str,
    known: &'static str,
    key: &'static str,
) -> Check {
    Check { referential, input, table, filter, code, known, key }
}

const CHECKS: [Check; 8] = [
    check("rome", "offers", "bronze.offers", "true", "upper(trim(rome_code))", "staging.rome", "code_rome"),
    check("rome", "jobseekers", "bronze.jobseekers", "true", "upper(trim(code_rome))", "staging.rome", "code_rome"),
    check(
        "rome",
        "rome_formacode",
        "bronze.rome_formacode",
        "true",
        "upper(trim(code_rome))",
        "staging.rome",
        "code_rome",
    ),
    check(
        "formacode",
        "rome_formacode",
        "bronze.rome_formacode",
        "true",
        "trim(formacode)",
        "staging.formacode",
        "formacode",
    ),
    check("commune", "offers", "bronze.offers", "true", "commune_of(lieu_commune)", "staging.communes", "code_commune"),
    check(
        "commune",
        "lheo",
        "bronze.lheo",
        "true",
        "commune_of(lieu_code_commune)",
        "staging.communes",
        "code_commune",
    ),
    check(
        "bassin",
        "jobseekers",
        "bronze.jobseekers",
        "type_territoire = 'bassin'",
        "code_territoire",
        "staging.bassins",
        "code_bassin",
    ),
    // A BMO métier that no ROME of the referential carries: its hiring projects reach no
    // métier (BMO 2024+ without a ROME → FAP 2021 crosswalk: every métier).
    check("bmo_metier", "bmo", "bronze.bmo", "true", "trim(code_metier_bmo)", "staging.rome", "code_metier_bmo"),
];

/// Lists the unknown codes of the registered bronze inputs (an input not registered is
/// skipped), ordered by referential, input and code.
pub async fn unknown_codes(context: &SessionContext) -> Result<Vec<UnknownCode>> {
    let registered = |table: &str| context.table_exist(table).unwrap_or(false);
    let mut parts: Vec<String> = CHECKS
        .iter()
        .filter(|check| registered(check.table) && registered(check.known))
        .map(|Check { referential, input, table, filter, code, known, key }| {
            format!(
                "SELECT '{referential}' AS referential, '{input}' AS input, u.code, COUNT(*) AS rows
                 FROM (SELECT {code} AS code FROM {table} WHERE {filter}) u LEFT JOIN {known} k ON k.{key} = u.code
                 WHERE u.code IS NOT NULL AND u.code <> '' AND k.{key} IS NULL GROUP BY u.code"
            )
        })
        .collect();
    if registered("bronze.lheo") {
        parts.push(
            "SELECT 'formacode' AS referential, 'lheo' AS input, u.code, COUNT(*) AS rows
             FROM (SELECT unnest(formacodes) AS code FROM bronze.lheo WHERE formacodes IS NOT NULL) u LEFT JOIN staging.formacode k ON k.formacode = u.code
             WHERE k.formacode IS NULL GROUP BY u.code"
                .to_owned(),
        );
    }
    if registered("bronze.offers") && registered("bronze.bmo") && registered("staging.rome") {
        // The ROME codes of the offers whose BMO métier the survey does not have (no
        // métier in the referential, or one the survey's file does not code): their
        // offers meet no hiring projects.
        parts.push(
            "SELECT 'bmo' AS referential, 'offers' AS input, r.code_rome AS code, COUNT(*) AS rows
             FROM bronze.offers o JOIN staging.rome r ON r.code_rome = upper(trim(o.rome_code))
             LEFT JOIN (SELECT DISTINCT trim(code_metier_bmo) AS metier FROM bronze.bmo) b ON b.metier = r.code_metier_bmo
             CROSS JOIN (SELECT COUNT(*) AS surveyed FROM bronze.bmo) s
             WHERE b.metier IS NULL AND s.surveyed > 0 GROUP BY r.code_rome"
                .to_owned(),
        );
    }
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT * FROM ({}) ORDER BY referential, input, code", parts.join(" UNION ALL "));
    let batches: Vec<RecordBatch> = context
        .sql(&sql)
        .await
        .map_err(in_model("unknown codes"))?
        .collect()
        .await
        .map_err(in_model("unknown codes"))?;
    let mut codes = Vec::new();
    for batch in &batches {
        let text = |column: usize, row: usize| batch.column(column).as_string::<i32>().value(row).to_owned();
        for row in 0..batch.num_rows() {
            codes.push(UnknownCode {
                referential: text(0, row),
                input: text(1, row),
                code: text(2, row),
                rows: batch.column(3).as_primitive::<Int64Type>().value(row),
            });
        }
    }
    Ok(codes)
}

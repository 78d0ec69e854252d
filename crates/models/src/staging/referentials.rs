//! Referentials: ROME (with BMO métier, FAP family and sector) and the communes of the
//! grid. Invalid codes and duplicate keys are rejects; the first occurrence wins.

use datafusion::prelude::SessionContext;

use super::{Rule, Staged, classification, csv_reject_columns, staged, texts};
use crate::error::Result;

/// A ROME code is a letter and four digits.
pub(crate) fn is_rome_code(column: &str) -> String {
    format!(
        "(char_length({column}) = 5 AND upper(substr({column}, 1, 1)) BETWEEN 'A' AND 'Z' AND try_cast(substr({column}, 2, 4) AS INT) IS NOT NULL AND substr({column}, 2, 4) NOT LIKE '%-%')"
    )
}

/// A referential keyed by one column: rows failing a check, or repeating a key, are
/// rejects (the first occurrence in file order wins).
struct KeyedTable<'a> {
    /// Input name (`bronze.<input>` is read).
    input: &'a str,
    /// The key column.
    key: &'a str,
    /// Extra joins (aliases other than `n`), for checks against other referentials.
    joins: &'a str,
    /// Why a row is rejected, in order of precedence (a repeated key comes last).
    checks: &'a [Rule<'a>],
    /// Output columns (SQL over `n`, with aliases).
    columns: &'a str,
    /// Raw columns shown in rejects.
    raw: &'a [&'a str],
}

async fn keyed(context: &SessionContext, referential: &KeyedTable<'_>) -> Result<Staged> {
    let KeyedTable { input, key, joins, checks, columns, raw } = referential;
    let duplicate = Rule {
        condition: "n.occurrence > 1",
        reason: "duplicate_key",
        detail: "'the key is already defined earlier in the file'",
    };
    let rules: Vec<Rule<'_>> = checks.iter().copied().chain([duplicate]).collect();
    let classification = classification(&rules);
    let classified = format!(
        "WITH numbered AS (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY source_file, source_line) AS occurrence FROM bronze.{input}
         ), classified AS (
            SELECT n.*, {classification} FROM numbered n {joins}
         )"
    );
    let rows = format!("{classified} SELECT {columns} FROM classified n WHERE reject_reason IS NULL ORDER BY 1");
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        csv_reject_columns(input, raw)
    );
    staged(context, &format!("staging.{input}"), &rows, &rejects).await
}

/// The referentials every run stages, in staging order (a referential may be checked
/// against the ones before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referential {
    /// `staging.rome`.
    Rome,
    /// `staging.communes`.
    Communes,
    /// `staging.nsf`.
    Nsf,
    /// `staging.formacode` (checked against `staging.nsf`).
    Formacode,
    /// `staging.rome_formacode` (checked against `staging.rome` and `staging.formacode`).
    RomeFormacode,
}

impl Referential {
    /// Every referential, in staging order.
    pub const ALL: [Referential; 5] = [
        Referential::Rome,
        Referential::Communes,
        Referential::Nsf,
        Referential::Formacode,
        Referential::RomeFormacode,
    ];

    /// Its staging table.
    pub fn table(self) -> &'static str {
        match self {
            Referential::Rome => "staging.rome",
            Referential::Communes => "staging.communes",
            Referential::Nsf => "staging.nsf",
            Referential::Formacode => "staging.formacode",
            Referential::RomeFormacode => "staging.rome_formacode",
        }
    }

    /// Stages it from bronze (the referentials before it registered in `context`);
    /// `grid_registered` tells whether `staging.bassins` holds the grid's polygons.
    pub async fn stage(self, context: &SessionContext, grid_registered: bool) -> Result<Staged> {
        match self {
            Referential::Rome => rome(context).await,
            Referential::Communes => communes(context, grid_registered).await,
            Referential::Nsf => nsf(context).await,
            Referential::Formacode => formacode(context).await,
            Referential::RomeFormacode => rome_formacode(context).await,
        }
    }
}

/// `staging.rome` from `bronze.rome`.
pub async fn rome(context: &SessionContext) -> Result<Staged> {
    let invalid = format!("n.code_rome IS NULL OR NOT {}", is_rome_code("n.code_rome"));
    keyed(
        context,
        &KeyedTable {
            input: "rome",
            key: "code_rome",
            joins: "",
            checks: &[Rule {
                condition: &invalid,
                reason: "bad_rome",
                detail: "'code_rome is not a ROME code (a letter and four digits)'",
            }],
            columns: "upper(n.code_rome) AS code_rome, n.libelle_rome, n.code_metier_bmo, n.code_fap, n.secteur",
            raw: &["code_rome", "libelle_rome", "code_metier_bmo", "code_fap", "secteur"],
        },
    )
    .await
}

/// `staging.nsf` from `bronze.nsf`: NSF specialties (3 characters).
pub async fn nsf(context: &SessionContext) -> Result<Staged> {
    keyed(
        context,
        &KeyedTable {
            input: "nsf",
            key: "code_nsf",
            joins: "",
            checks: &[Rule {
                condition: "n.code_nsf IS NULL OR char_length(n.code_nsf) <> 3",
                reason: "bad_nsf",
                detail: "'code_nsf must have 3 characters'",
            }],
            columns: "n.code_nsf, n.libelle_nsf",
            raw: &["code_nsf", "libelle_nsf"],
        },
    )
    .await
}

/// `staging.formacode` from `bronze.formacode` (after `staging.nsf`): 5-digit codes whose
/// NSF, when given, is known.
pub async fn formacode(context: &SessionContext) -> Result<Staged> {
    keyed(
        context,
        &KeyedTable {
            input: "formacode",
            key: "formacode",
            joins: "LEFT JOIN staging.nsf s ON s.code_nsf = n.code_nsf",
            checks: &[
                Rule {
                    condition: "n.formacode IS NULL OR char_length(n.formacode) <> 5 OR try_cast(n.formacode AS INT) IS NULL",
                    reason: "bad_formacode",
                    detail: "'formacode must be 5 digits'",
                },
                Rule {
                    condition: "n.code_nsf IS NOT NULL AND s.code_nsf IS NULL",
                    reason: "bad_nsf",
                    detail: "'code_nsf ' || n.code_nsf || ' is not in nsf.csv'",
                },
            ],
            columns: "n.formacode, n.libelle, n.code_nsf",
            raw: &["formacode", "libelle", "code_nsf"],
        },
    )
    .await
}

/// `staging.rome_formacode` (after `staging.rome` and `staging.formacode`): pairs of known
/// codes, each pair once.
pub async fn rome_formacode(context: &SessionContext) -> Result<Staged> {
    keyed(
        context,
        &KeyedTable {
            input: "rome_formacode",
            key: "code_rome, formacode",
            joins: "LEFT JOIN staging.rome r ON r.code_rome = n.code_rome LEFT JOIN staging.formacode f ON f.formacode = n.formacode",
            checks: &[
                Rule {
                    condition: "r.code_rome IS NULL",
                    reason: "bad_rome",
                    detail: "'code_rome ' || COALESCE(n.code_rome, 'NULL') || ' is not in the ROME referential'",
                },
                Rule {
                    condition: "f.formacode IS NULL",
                    reason: "bad_formacode",
                    detail: "'formacode ' || COALESCE(n.formacode, 'NULL') || ' is not in formacode.csv'",
                },
            ],
            columns: "n.code_rome, n.formacode",
            raw: &["code_rome", "formacode"],
        },
    )
    .await
}

/// `staging.communes` from `bronze.communes`: a commune listed twice is a reject (the first
/// listing wins), so that no commune is ever in two bassins; with a polygon grid
/// (`staging.bassins` registered first), a commune of an unknown bassin is a reject too.
pub async fn communes(context: &SessionContext, grid_registered: bool) -> Result<Staged> {
    let (grid_join, unknown) = if grid_registered {
        ("LEFT JOIN staging.bassins g ON g.code_bassin = n.code_bassin", "g.code_bassin IS NULL")
    } else {
        ("", "false")
    };
    let rules = [
        Rule {
            condition: "n.code_commune IS NULL OR n.code_bassin IS NULL",
            reason: "missing_value",
            detail: "'code_commune and code_bassin are required'",
        },
        Rule {
            condition: "n.occurrence > 1",
            reason: "duplicate_key",
            detail: "'commune already assigned to a bassin earlier in the file'",
        },
        Rule {
            condition: unknown,
            reason: "unknown_bassin",
            detail: "'bassin ' || n.code_bassin || ' is not in the bassins GeoJSON'",
        },
    ];
    let classification = classification(&rules);
    let classified = format!(
        "WITH numbered AS (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY code_commune ORDER BY source_file, source_line) AS occurrence FROM bronze.communes
         ), classified AS (
            SELECT n.*,
              {classification}
            FROM numbered n {grid_join}
         )"
    );
    let rows = format!(
        "{classified} SELECT code_commune, libelle_commune, code_bassin, code_postal FROM classified WHERE reject_reason IS NULL"
    );
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        csv_reject_columns("communes", &["code_commune", "libelle_commune", "code_bassin", "code_postal"])
    );
    staged(context, "staging.communes", &rows, &rejects).await
}

/// `staging.bmo_bassins` from `bronze.bmo_bassins`: BMO bassin → grid bassin with a weight
/// in [0, 1] (padded to 4 characters like the BMO file). The weights of one BMO bassin must
/// sum to 1: [`crosswalk_weight_errors`] lists those that do not.
pub async fn bmo_bassins(context: &SessionContext) -> Result<Staged> {
    let rules = [
        Rule {
            condition: "code_bassin_bmo IS NULL OR code_bassin IS NULL",
            reason: "missing_value",
            detail: "'code_bassin_bmo and code_bassin are required'",
        },
        Rule {
            condition: "weight IS NULL OR weight < 0 OR weight > 1",
            reason: "bad_count",
            detail: "'poids must be a number between 0 and 1'",
        },
        Rule {
            condition: "known IS NULL",
            reason: "unknown_bassin",
            detail: "'bassin ' || code_bassin || ' is not in the grid'",
        },
    ];
    let classified = format!(
        "WITH typed AS (
            SELECT x.*, lpad(x.code_bassin_bmo, 4, '0') AS bassin_bmo, try_cast(replace(x.poids, ',', '.') AS DOUBLE) AS weight, g.code_bassin AS known
            FROM bronze.bmo_bassins x LEFT JOIN staging.bassins g ON g.code_bassin = x.code_bassin
         ), classified AS (
            SELECT *,
              {classification}
            FROM typed
         )",
        classification = classification(&rules)
    );
    let rows = format!(
        "{classified} SELECT bassin_bmo AS code_bassin_bmo, code_bassin, weight AS poids FROM classified WHERE reject_reason IS NULL"
    );
    let rejects = format!(
        "{classified} SELECT {} FROM classified WHERE reject_reason IS NOT NULL",
        csv_reject_columns("bmo_bassins", &["code_bassin_bmo", "code_bassin", "poids"])
    );
    staged(context, "staging.bmo_bassins", &rows, &rejects).await
}

/// BMO bassins whose crosswalk weights do not sum to 1 (± 1e-6): "code: sum" lines.
pub async fn crosswalk_weight_errors(context: &SessionContext) -> Result<Vec<String>> {
    let sql = "SELECT code_bassin_bmo || ' sums to ' || CAST(SUM(poids) AS VARCHAR) FROM staging.bmo_bassins
               GROUP BY code_bassin_bmo HAVING abs(SUM(poids) - 1.0) > 1e-6 ORDER BY code_bassin_bmo";
    texts(context, "staging.bmo_bassins", sql).await
}

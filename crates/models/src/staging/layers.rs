//! The silver tables that gather what other models staged: `silver.bassins` (the grid, or
//! the bassins of `communes.csv` when no polygons are given) and `silver.rejects` (every
//! reader's and staging model's rejects, stacked in `staging.all_rejects` by the caller).

use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

use crate::error::{Result, in_model};

/// `staging.bassins` without a polygon grid: the bassins `staging.communes` names, with
/// neither label, département nor outline.
pub async fn bassins_of_communes(context: &SessionContext) -> Result<DataFrame> {
    let sql = "SELECT DISTINCT code_bassin, CAST(NULL AS VARCHAR) AS libelle_bassin, CAST(NULL AS VARCHAR) AS code_departement,
                      CAST(NULL AS VARCHAR) AS geometrie
               FROM staging.communes ORDER BY code_bassin";
    context.sql(sql).await.map_err(in_model("staging.bassins"))
}

/// The bassins of the grid that no commune of `staging.communes` belongs to (only points
/// can be placed in them), by code.
pub async fn bassins_without_communes(context: &SessionContext) -> Result<DataFrame> {
    let sql = "SELECT b.code_bassin FROM staging.bassins b
               LEFT JOIN (SELECT DISTINCT code_bassin FROM staging.communes) c ON c.code_bassin = b.code_bassin
               WHERE c.code_bassin IS NULL ORDER BY 1";
    context.sql(sql).await.map_err(in_model("staging.bassins"))
}

/// `silver.bassins`: the grid, by code.
pub async fn bassins(context: &SessionContext) -> Result<DataFrame> {
    context.sql("SELECT * FROM staging.bassins ORDER BY code_bassin").await.map_err(in_model("silver.bassins"))
}

/// `silver.rejects`: every reject of `staging.all_rejects`, in a stable order (by input,
/// file and position in it).
pub async fn rejects(context: &SessionContext) -> Result<DataFrame> {
    let sql =
        "SELECT * FROM staging.all_rejects ORDER BY input, source_file, length(location), location, reason, raw_value";
    context.sql(sql).await.map_err(in_model("silver.rejects"))
}

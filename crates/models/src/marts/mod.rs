//! Silver → gold: one SQL file per gold table, `crates/models/sql/marts/<table>.sql`,
//! computed from silver, the staging referentials, the `intermediate` tables of
//! [`prepare`] and the gold tables built before it. The files are plain SQL with named
//! parameters (`$as_of`, window bounds, thresholds: [`crate::sql`]) that DataFusion binds;
//! `skillgap docs sql` prints them compiled for a run, to paste into DuckDB.

use std::path::Path;

use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result, in_model};
use crate::parameters::Parameters;
use crate::sql::{compile, plan};

/// A model: a table and the SQL file that computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    /// The table, unqualified (`competence_gap`) for a gold table.
    pub table: &'static str,
    /// The SQL (one `SELECT`, with named parameters).
    pub sql: &'static str,
    /// Counts and ratios of counts only (no floating-point sum whose value depends on the
    /// order rows add up in): planned on every core instead of the marts' one partition.
    pub order_free: bool,
    /// Reads [`PREVIOUS_SNAPSHOTS`] (registered from [`NO_PREVIOUS_SNAPSHOTS`] when the run
    /// follows no run holding them).
    pub reads_previous: bool,
}

/// The gold tables of this version, in build order (a table may read the ones before it).
pub const MARTS: [Model; 8] = [
    mart("competence_gap", include_str!("../../sql/marts/competence_gap.sql")),
    mart("specialty_gap", include_str!("../../sql/marts/specialty_gap.sql")),
    Model { order_free: true, ..mart("skills_demand", include_str!("../../sql/marts/skills_demand.sql")) },
    mart("upcoming_sessions", include_str!("../../sql/marts/upcoming_sessions.sql")),
    mart("bassin_summary", include_str!("../../sql/marts/bassin_summary.sql")),
    mart("long_term_gap", include_str!("../../sql/marts/long_term_gap.sql")),
    Model { reads_previous: true, ..mart("etat_des_lieux", include_str!("../../sql/marts/etat_des_lieux.sql")) },
    mart("france_travail_tension", include_str!("../../sql/marts/france_travail_tension.sql")),
];

/// The `intermediate` tables the marts share, in creation order: the session → métiers
/// weights (read by four marts) and the unweighted supply by bassin and specialty (read by
/// two), computed once per run.
pub const INTERMEDIATE: [Model; 2] = [
    mart("intermediate.session_metiers", include_str!("../../sql/intermediate/session_metiers.sql")),
    mart("intermediate.supply_by_specialty", include_str!("../../sql/intermediate/supply_by_specialty.sql")),
];

/// The previous run's semester snapshots, which `etat_des_lieux` carries forward.
pub const PREVIOUS_SNAPSHOTS: &str = "previous.etat_des_lieux";

/// [`PREVIOUS_SNAPSHOTS`] when the run follows no run that holds them: no row.
pub const NO_PREVIOUS_SNAPSHOTS: Model =
    mart(PREVIOUS_SNAPSHOTS, include_str!("../../sql/marts/etat_des_lieux_first.sql"));

const fn mart(table: &'static str, sql: &'static str) -> Model {
    Model { table, sql, order_free: false, reads_previous: false }
}

/// The gold tables, in build order.
pub fn gold_tables() -> impl Iterator<Item = &'static str> {
    MARTS.iter().map(|model| model.table)
}

/// The model of the gold table `table`.
pub fn model(table: &str) -> Result<&'static Model> {
    MARTS.iter().find(|model| model.table == table).ok_or_else(|| Error::Specification {
        table: table.to_owned(),
        message: "not a gold table of this version".to_owned(),
    })
}

/// Computes once the `intermediate` tables the marts share ([`INTERMEDIATE`]), written
/// under `dir` as Parquet rather than held in memory: they grow with the catalogue.
pub async fn prepare(context: &SessionContext, dir: &Path, parameters: &Parameters) -> Result<()> {
    for model in INTERMEDIATE {
        let frame = plan(context, model.table, model.sql, parameters).await?;
        crate::context::register_on_disk(context, model.table, frame, dir).await?;
    }
    Ok(())
}

/// Builds the gold table `table` (one of [`MARTS`]).
pub async fn build(context: &SessionContext, table: &str, parameters: &Parameters) -> Result<DataFrame> {
    let model = model(table)?;
    let name = format!("gold.{table}");
    if model.reads_previous && !context.table_exist(PREVIOUS_SNAPSHOTS).map_err(in_model(&name))? {
        let empty = plan(context, PREVIOUS_SNAPSHOTS, NO_PREVIOUS_SNAPSHOTS.sql, parameters).await?;
        crate::context::register_batches(context, PREVIOUS_SNAPSHOTS, empty.schema().inner().clone(), Vec::new())?;
    }
    if !model.order_free {
        return plan(context, &name, model.sql, parameters).await;
    }
    // The frame keeps the configuration it was planned with; the context goes back to one
    // partition for the next mart.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let set = |partitions: usize| format!("SET datafusion.execution.target_partitions = {partitions}");
    context.sql(&set(cores)).await.map_err(in_model(&name))?.collect().await.map_err(in_model(&name))?;
    let frame = plan(context, &name, model.sql, parameters).await;
    context.sql(&set(1)).await.map_err(in_model(&name))?.collect().await.map_err(in_model(&name))?;
    frame
}

/// The `SELECT` of the gold table `table` compiled for `parameters` (named parameters
/// replaced by literals).
pub fn compiled(table: &str, parameters: &Parameters) -> Result<String> {
    compile(model(table)?.sql, parameters)
}

/// Every model of a run in build order, compiled for `parameters` (named parameters
/// replaced by literals), as one script of `CREATE … TABLE … AS …;` statements — what a
/// data engineer runs in DuckDB over the run's silver and staging tables. The previous
/// snapshots are created empty unless they already exist (from the previous run's
/// `gold.etat_des_lieux`).
pub fn script(parameters: &Parameters) -> Result<String> {
    let mut script = String::new();
    let mut statement = |create: &str, sql: &str| -> Result<()> {
        script.push_str(&format!("{create} AS\n{};\n\n", compile(sql, parameters)?.trim_end()));
        Ok(())
    };
    for model in INTERMEDIATE {
        statement(&format!("CREATE OR REPLACE TABLE {}", model.table), model.sql)?;
    }
    for model in MARTS {
        if model.reads_previous {
            statement(&format!("CREATE TABLE IF NOT EXISTS {PREVIOUS_SNAPSHOTS}"), NO_PREVIOUS_SNAPSHOTS.sql)?;
        }
        statement(&format!("CREATE OR REPLACE TABLE gold.{}", model.table), model.sql)?;
    }
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::TENSION_CODES;

    #[test]
    fn france_travail_labels_are_stagings_codes_in_order() {
        let sql = model("france_travail_tension").map(|model| model.sql).unwrap_or_default();
        for (order, (code, label)) in TENSION_CODES.iter().enumerate() {
            let row = format!("('{code}', '{}', {order})", label.replace('\'', "''"));
            assert!(sql.contains(&row), "france_travail_tension.sql lacks the label row {row}");
        }
    }

    #[test]
    fn unknown_tables_are_an_error() {
        assert!(model("competence_gap").is_ok());
        assert!(matches!(model("nope"), Err(Error::Specification { .. })));
    }
}

//! Silver → gold: one module per gold table, named after it. Each returns the table as a
//! DataFrame ordered by its grain, computed from silver, the staging referentials, the
//! `intermediate` views of [`prepare`] and gold tables built before it.

mod bassin_summary;
mod competence_gap;
mod etat_des_lieux;
mod france_travail_tension;
mod long_term_gap;
mod selection;
mod skills_demand;
mod specialty_gap;
mod supply;
mod upcoming_sessions;

use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

pub use competence_gap::{QUINTILE_CUTS, TENSION_WEIGHTS};
pub use etat_des_lieux::PREVIOUS_SNAPSHOTS;
pub use france_travail_tension::{CAUSE_COLUMNS, MAIN_CAUSE_RANK};

use crate::error::{Error, Result, in_model};
use crate::parameters::Parameters;

/// Gold tables built by this version, in build order (a table may read the ones before it).
pub const GOLD_TABLES: [&str; 8] = [
    "competence_gap",
    "specialty_gap",
    "skills_demand",
    "upcoming_sessions",
    "bassin_summary",
    "long_term_gap",
    "etat_des_lieux",
    "france_travail_tension",
];

/// Computes once the `intermediate` tables the marts share (the session → métiers weights,
/// read by four marts), written under `dir` as Parquet rather than held in memory: they
/// grow with the catalogue.
pub async fn prepare(context: &SessionContext, dir: &std::path::Path) -> Result<()> {
    for (name, sql) in INTERMEDIATE_VIEWS {
        let frame = context.sql(sql).await.map_err(in_model(name))?;
        crate::context::register_on_disk(context, name, frame, dir).await?;
    }
    Ok(())
}

/// The `intermediate` tables the marts share, as (name, SQL), in creation order.
pub const INTERMEDIATE_VIEWS: [(&str, &str); 1] = [("intermediate.session_metiers", supply::SESSION_METIERS)];

/// The SQL of the gold table `table` (one of [`GOLD_TABLES`]); `has_previous` tells whether
/// the previous semester's snapshots are registered as [`PREVIOUS_SNAPSHOTS`].
pub fn sql(table: &str, parameters: &Parameters, has_previous: bool) -> Result<String> {
    Ok(match table {
        "competence_gap" => competence_gap::sql(parameters),
        "specialty_gap" => specialty_gap::sql(parameters),
        "skills_demand" => skills_demand::sql(parameters),
        "upcoming_sessions" => upcoming_sessions::sql(parameters),
        "bassin_summary" => bassin_summary::sql(parameters),
        "long_term_gap" => long_term_gap::sql(parameters),
        "etat_des_lieux" => etat_des_lieux::sql(parameters, has_previous),
        "france_travail_tension" => france_travail_tension::sql(parameters),
        other => {
            return Err(Error::Specification {
                table: other.to_owned(),
                message: "not a gold table of this version".to_owned(),
            });
        }
    })
}

/// Gold tables of counts and ratios of counts only (no floating-point sum whose value
/// depends on the order rows add up in): any partitioning gives the same table, so they are
/// planned on every core instead of the marts' single partition (skills_demand at national
/// scale: 5.0 → 3.2 s; upcoming_sessions was slower so, its lists being built per session).
pub const ORDER_FREE_TABLES: [&str; 1] = ["skills_demand"];

/// Builds the gold table `table` (one of [`GOLD_TABLES`]).
pub async fn build(context: &SessionContext, table: &str, parameters: &Parameters) -> Result<DataFrame> {
    let sql = sql(table, parameters, context.table_exist(PREVIOUS_SNAPSHOTS).unwrap_or(false))?;
    let model = format!("gold.{table}");
    if !ORDER_FREE_TABLES.contains(&table) {
        return context.sql(&sql).await.map_err(in_model(&model));
    }
    // The frame keeps the configuration it was planned with; the context goes back to one
    // partition for the next mart.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let set = |partitions: usize| format!("SET datafusion.execution.target_partitions = {partitions}");
    context.sql(&set(cores)).await.map_err(in_model(&model))?.collect().await.map_err(in_model(&model))?;
    let frame = context.sql(&sql).await.map_err(in_model(&model));
    context.sql(&set(1)).await.map_err(in_model(&model))?.collect().await.map_err(in_model(&model))?;
    frame
}

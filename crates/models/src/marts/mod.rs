//! Silver → gold: one module per gold table, named after it. Each returns the table as a
//! DataFrame ordered by its grain, computed from silver, the staging referentials, the
//! `intermediate` views of [`prepare`] and gold tables built before it.

mod bassin_summary;
mod competence_gap;
mod etat_des_lieux;
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

use crate::error::{Error, Result, in_model};
use crate::parameters::Parameters;

/// Gold tables built by this version, in build order (a table may read the ones before it).
pub const GOLD_TABLES: [&str; 7] =
    ["competence_gap", "specialty_gap", "skills_demand", "upcoming_sessions", "bassin_summary", "long_term_gap", "etat_des_lieux"];

/// Registers the `intermediate` views the marts share (the session → métiers weights).
pub async fn prepare(context: &SessionContext) -> Result<()> {
    let view = context.sql(supply::SESSION_METIERS).await.map_err(in_model("intermediate.session_metiers"))?.into_view();
    context.register_table("intermediate.session_metiers", view).map_err(in_model("intermediate.session_metiers"))?;
    Ok(())
}

/// Builds the gold table `table` (one of [`GOLD_TABLES`]).
pub async fn build(context: &SessionContext, table: &str, parameters: &Parameters) -> Result<DataFrame> {
    let sql = match table {
        "competence_gap" => competence_gap::sql(parameters),
        "specialty_gap" => specialty_gap::sql(parameters),
        "skills_demand" => skills_demand::sql(parameters),
        "upcoming_sessions" => upcoming_sessions::sql(parameters),
        "bassin_summary" => bassin_summary::sql(parameters),
        "long_term_gap" => long_term_gap::sql(parameters),
        "etat_des_lieux" => etat_des_lieux::sql(parameters, context.table_exist(PREVIOUS_SNAPSHOTS).unwrap_or(false)),
        other => return Err(Error::Specification { table: other.to_owned(), message: "not a gold table of this version".to_owned() }),
    };
    let model = format!("gold.{table}");
    context.sql(&sql).await.map_err(in_model(&model))
}

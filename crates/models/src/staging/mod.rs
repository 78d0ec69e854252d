//! Bronze → silver: typing, validation against referentials, deduplication and
//! geocoding, one SQL script per model in `crates/models/sql/staging/` ([`SCRIPTS`]). A
//! script is a list of `CREATE OR REPLACE VIEW` statements: a model's creates
//! `staging.<name>_classified` (every input row and the first reject rule it breaks, one
//! `WHEN` per rule), `staging.<name>_kept` (its rows) and `staging.<name>_rejects` (the
//! readers' reject columns: `input`, `source_file`, `location`, `reason`, `detail`,
//! `raw_value`); the shared scripts create views several models read. Rust chooses which
//! scripts a run needs (the grid's kind) and what is materialised; the rules are SQL.

mod layers;
mod unknown_codes;

use arrow::array::AsArray;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;

use crate::error::{Error, Result, in_model};
use crate::sql::{Value, compile_with};

pub use layers::{bassins, bassins_of_communes, bassins_without_communes, rejects};
pub use unknown_codes::{UnknownCode, unknown_codes};

/// A staging script: `crates/models/sql/staging/<name>.sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Script {
    /// The file's stem.
    pub name: &'static str,
    /// `staging.<name>`: the prefix of the views a model's script creates, and the table a
    /// referential's kept rows are registered as.
    pub table: &'static str,
    /// Its `CREATE OR REPLACE VIEW` statements, with named parameters.
    pub sql: &'static str,
}

macro_rules! script {
    ($name:literal) => {
        Script {
            name: $name,
            table: concat!("staging.", $name),
            sql: include_str!(concat!("../../sql/staging/", $name, ".sql")),
        }
    };
}

const ROME: Script = script!("rome");
const COMMUNES: Script = script!("communes");
const NSF: Script = script!("nsf");
const FORMACODE: Script = script!("formacode");
const ROME_FORMACODE: Script = script!("rome_formacode");
const BMO_BASSINS: Script = script!("bmo_bassins");
const BMO_CROSSWALK: Script = script!("bmo_crosswalk");
const BMO_CROSSWALK_IDENTITY: Script = script!("bmo_crosswalk_identity");
const POSTAL_BASSINS: Script = script!("postal_bassins");
const SESSIONS_CLASSIFIED: Script = script!("sessions_classified");
const SESSION_OUTCOMES: Script = script!("session_outcomes");
const SESSIONS: Script = script!("sessions");
const OFFERS: Script = script!("offers");
const OFFERS_MERGED: Script = script!("offers_merged");
const JOBSEEKERS: Script = script!("jobseekers");
const BMO: Script = script!("bmo");
const PROJECTIONS: Script = script!("projections");
const EMPLOYMENT: Script = script!("employment");
const LABOUR_MARKET_TENSION: Script = script!("labour_market_tension");

/// Every staging script, in the order a run creates them (a script reads the views and
/// tables of the ones before it).
pub const SCRIPTS: [Script; 19] = [
    ROME,
    COMMUNES,
    NSF,
    FORMACODE,
    ROME_FORMACODE,
    BMO_BASSINS,
    BMO_CROSSWALK,
    BMO_CROSSWALK_IDENTITY,
    POSTAL_BASSINS,
    SESSIONS_CLASSIFIED,
    SESSION_OUTCOMES,
    SESSIONS,
    OFFERS,
    OFFERS_MERGED,
    JOBSEEKERS,
    BMO,
    PROJECTIONS,
    EMPLOYMENT,
    LABOUR_MARKET_TENSION,
];

/// Where `skillgap fetch labour-market` lands its answers, under the output directory: the
/// rows read from there are the `labour_market` input's (`jobseekers.sql` tells them apart).
pub const LABOUR_MARKET_LANDING: &str = "landing/labour_market/answers";

/// PERSP_2's codes (`TYPE_TENSION`) and their French labels, in the sheets' order: the
/// main indicator first, then its causes (`labour_market_tension.sql` rejects any other).
pub const TENSION_CODES: [(&str, &str); 8] = [
    ("PERSPECTIVE", "tension (indicateur principal)"),
    ("MAIN_OEUVRE", "main-d'œuvre disponible"),
    ("INT_EMB", "intensité d'embauches"),
    ("COND_TRAVAIL", "conditions de travail"),
    ("DUR_EMPL", "durabilité de l'emploi"),
    ("MISMATCH_GEO", "inadéquation géographique"),
    ("SPECIF_FORM_EMPL", "lien formation-emploi"),
    ("ATTR_SALARIALE", "attractivité salariale"),
];

/// Rows kept by a staging model and the rows it rejected.
pub struct Staged {
    /// Kept, typed rows.
    pub rows: DataFrame,
    /// Rejected rows, with their reason.
    pub rejects: DataFrame,
}

/// Creates the views of `script` in `context`, its named parameters replaced by `values`.
async fn create_views(context: &SessionContext, script: Script, values: &[(&str, Value)]) -> Result<()> {
    let model = script.table;
    let sql = compile_with(script.sql, values)?;
    let statements = DFParser::parse_sql(&sql).map_err(in_model(model))?;
    let state = context.state();
    for statement in statements {
        let plan = state.statement_to_plan(statement).await.map_err(in_model(model))?;
        if !matches!(plan, LogicalPlan::Ddl(DdlStatement::CreateView(_))) {
            return Err(Error::Script {
                script: script.name.to_owned(),
                message: format!("a staging script holds only CREATE VIEW statements, not {}", plan.display()),
            });
        }
        context.execute_logical_plan(plan).await.map_err(in_model(model))?;
    }
    Ok(())
}

/// The staging script `name` (`offers`, `rome`, …) compiled for a run whose grid has
/// polygons or not (`grid_polygons`) and whose projections are `region`'s: what a run
/// creates, for people to read.
pub fn compiled(name: &str, grid_polygons: bool, region: Option<&str>) -> Result<String> {
    let script = SCRIPTS.iter().find(|script| script.name == name).ok_or_else(|| Error::Script {
        script: name.to_owned(),
        message: format!(
            "not a staging script of this version ({})",
            SCRIPTS.iter().map(|script| script.name).collect::<Vec<_>>().join(", ")
        ),
    })?;
    compile_with(script.sql, &[("grid_polygons", Value::Flag(grid_polygons)), region_value(region)])
}

/// Creates the views of a model's script and returns its kept rows and rejects.
async fn stage(context: &SessionContext, script: Script, values: &[(&str, Value)]) -> Result<Staged> {
    create_views(context, script, values).await?;
    let view = |suffix: &str| format!("{}_{suffix}", script.table);
    let model = view("kept");
    let rows = context.table(model.as_str()).await.map_err(in_model(&model))?;
    let rejects = context.table(view("rejects").as_str()).await.map_err(in_model(&model))?;
    Ok(Staged { rows, rejects })
}

/// The texts of the first column of `sql`'s rows, in order (NULLs skipped): the messages
/// of a check that lists what fails.
async fn texts(context: &SessionContext, model: &str, sql: &str) -> Result<Vec<String>> {
    let batches = context.sql(sql).await.map_err(in_model(model))?.collect().await.map_err(in_model(model))?;
    Ok(batches
        .iter()
        .flat_map(|batch| batch.column(0).as_string::<i32>().iter().flatten().map(str::to_owned))
        .collect())
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

    fn script(self) -> Script {
        match self {
            Referential::Rome => ROME,
            Referential::Communes => COMMUNES,
            Referential::Nsf => NSF,
            Referential::Formacode => FORMACODE,
            Referential::RomeFormacode => ROME_FORMACODE,
        }
    }

    /// Its staging table.
    pub fn table(self) -> &'static str {
        self.script().table
    }

    /// Stages it from bronze (the referentials before it registered in `context`);
    /// `grid_polygons` tells whether `staging.bassins` holds a polygon grid's bassins (the
    /// communes are then checked against it; it must be registered either way).
    pub async fn stage(self, context: &SessionContext, grid_polygons: bool) -> Result<Staged> {
        stage(context, self.script(), &[("grid_polygons", Value::Flag(grid_polygons))]).await
    }
}

/// `staging.bmo_bassins` from `bronze.bmo_bassins` (the BMO crosswalk file).
pub async fn bmo_bassins(context: &SessionContext) -> Result<Staged> {
    stage(context, BMO_BASSINS, &[]).await
}

/// Creates the views that place rows in the grid, once the referentials (and, on a grid
/// other than the BMO bassins, `staging.bmo_bassins`) are registered:
/// `staging.postal_bassins` and `staging.bmo_crosswalk` — from the crosswalk file, or each
/// BMO bassin to itself when the grid is the BMO bassins (`grid_is_bmo_bassins`).
pub async fn grid_views(context: &SessionContext, grid_is_bmo_bassins: bool) -> Result<()> {
    create_views(context, POSTAL_BASSINS, &[]).await?;
    create_views(context, if grid_is_bmo_bassins { BMO_CROSSWALK_IDENTITY } else { BMO_CROSSWALK }, &[]).await
}

/// BMO bassins whose crosswalk weights do not sum to 1 (± 1e-6): "code sums to x" lines
/// (after [`bmo_bassins`]).
pub async fn crosswalk_weight_errors(context: &SessionContext) -> Result<Vec<String>> {
    texts(context, "staging.bmo_bassins", "SELECT message FROM staging.bmo_bassins_weight_errors").await
}

/// `staging.session_outcomes` from `bronze.session_outcomes` (empty without an outcomes
/// input): counts typed, consistency checked, joined to the catalogue's usable sessions.
pub async fn session_outcomes(context: &SessionContext) -> Result<Staged> {
    create_views(context, SESSIONS_CLASSIFIED, &[]).await?;
    stage(context, SESSION_OUTCOMES, &[]).await
}

/// `silver.sessions` and the catalogue's staging rejects from `bronze.lheo` (after
/// `staging.session_outcomes` is registered).
pub async fn sessions(context: &SessionContext) -> Result<Staged> {
    create_views(context, SESSIONS_CLASSIFIED, &[]).await?;
    stage(context, SESSIONS, &[]).await
}

/// `silver.offers` and the offers' staging rejects from the records this run reads
/// (`bronze.new_offers`).
pub async fn offers(context: &SessionContext) -> Result<Staged> {
    stage(context, OFFERS, &[]).await
}

/// `silver.offers` of a nightly run: the previous run's (`previous.offers`) with the new
/// records of `bronze.new_offers` merged in; the rejects are the new records' only.
pub async fn offers_merged(context: &SessionContext) -> Result<Staged> {
    create_views(context, OFFERS, &[]).await?;
    stage(context, OFFERS_MERGED, &[]).await
}

/// `silver.jobseekers` and its rejects (after [`grid_views`]).
pub async fn jobseekers(context: &SessionContext) -> Result<Staged> {
    stage(context, JOBSEEKERS, &[]).await
}

/// `silver.bmo` and its rejects (after [`grid_views`]).
pub async fn bmo(context: &SessionContext) -> Result<Staged> {
    stage(context, BMO, &[]).await
}

/// `silver.labour_market_tension` and its rejects (after [`grid_views`]).
pub async fn labour_market_tension(context: &SessionContext) -> Result<Staged> {
    stage(context, LABOUR_MARKET_TENSION, &[]).await
}

/// `silver.projections`: the rows of `region` (every row when `None`) and their rejects.
pub async fn projections(context: &SessionContext, region: Option<&str>) -> Result<Staged> {
    stage(context, PROJECTIONS, &[region_value(region)]).await
}

fn region_value(region: Option<&str>) -> (&'static str, Value) {
    ("region", Value::Text(region.map(str::to_owned)))
}

/// The rows of the region's projections that break the file's identities, as « file, line
/// N (FAP X): … » messages.
pub async fn projection_identity_errors(context: &SessionContext, region: Option<&str>) -> Result<Vec<String>> {
    create_views(context, PROJECTIONS, &[region_value(region)]).await?;
    texts(context, "silver.projections", "SELECT message FROM staging.projections_identity_errors").await
}

/// The regions present in the projections file.
pub async fn projection_regions(context: &SessionContext) -> Result<Vec<String>> {
    let sql = "SELECT DISTINCT trim(region) FROM bronze.projections WHERE region IS NOT NULL ORDER BY 1";
    texts(context, "silver.projections", sql).await
}

/// `silver.employment` (employment by bassin and FAP) and its rejects.
pub async fn employment(context: &SessionContext) -> Result<Staged> {
    stage(context, EMPLOYMENT, &[]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The views a script creates, in order.
    fn views(script: Script) -> Vec<String> {
        let statements = DFParser::parse_sql(&compile_with(script.sql, &every_value()).unwrap()).unwrap();
        statements
            .iter()
            .map(|statement| {
                let text = statement.to_string();
                let name =
                    text.strip_prefix("CREATE OR REPLACE VIEW ").unwrap_or_else(|| panic!("{}: {text}", script.name));
                name.split_whitespace().next().unwrap_or_default().to_owned()
            })
            .collect()
    }

    #[test]
    fn a_script_prints_compiled_and_an_unknown_one_is_named() {
        let communes = compiled("communes", false, None).unwrap();
        assert!(communes.contains("WHEN FALSE AND g.code_bassin IS NULL"), "{communes}");
        let projections = compiled("projections", true, Some("32")).unwrap();
        assert!(projections.contains("WHERE '32' IS NULL OR trim(region) = '32'"), "{projections}");
        let error = compiled("offer", true, None).unwrap_err().to_string();
        assert!(error.contains("offer.sql") && error.contains("offers_merged"), "{error}");
    }

    fn every_value() -> Vec<(&'static str, Value)> {
        vec![("grid_polygons", Value::Flag(true)), ("region", Value::Text(Some("32".to_owned())))]
    }

    #[test]
    fn every_script_creates_views_only_and_a_model_its_kept_rows_and_rejects() {
        let shared = [BMO_CROSSWALK, BMO_CROSSWALK_IDENTITY, POSTAL_BASSINS, SESSIONS_CLASSIFIED];
        for script in SCRIPTS {
            let views = views(script);
            assert!(views.iter().all(|view| view.starts_with("staging.")), "{}: {views:?}", script.name);
            if !shared.contains(&script) {
                for suffix in ["kept", "rejects"] {
                    let view = format!("staging.{}_{suffix}", script.name);
                    assert!(views.contains(&view), "{} lacks {view}: {views:?}", script.name);
                }
            }
        }
    }

    #[test]
    fn the_tension_script_accepts_exactly_the_known_codes() {
        let list = TENSION_CODES.iter().map(|(code, _)| format!("'{code}'")).collect::<Vec<_>>().join(", ");
        assert!(LABOUR_MARKET_TENSION.sql.contains(&format!("code_indicateur NOT IN ({list})")));
    }

    #[test]
    fn the_jobseekers_script_tells_the_landed_answers_apart() {
        assert!(JOBSEEKERS.sql.contains(&format!("starts_with(source_file, '{LABOUR_MARKET_LANDING}/')")));
    }
}

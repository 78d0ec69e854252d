//! Bronze → silver → gold on DataFusion, with the reject-ratio gate and every table's
//! tests (grain, columns, invariants, declared types) before anything is published.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::StreamExt;
use skillgap_config::Engine;
use skillgap_models::{
    BassinIndex, Parameters, TableSpec, marts, register_batches, register_geocoder, run_table_tests, staging,
    table_spec, type_name,
};
use skillgap_sinks::{
    AuditSummary, OutputReport, StageReport, TableDocumentation, TableFile, UnknownCodeReport, WrittenTable,
};
use skillgap_sources::{rejects_schema, table_layout, table_schema};
use tracing::Instrument;

use crate::engine::{SHARED_TABLES_DIR, contexts};
use crate::error::{Error, Result};
use crate::ingest::Ingested;
use crate::reject_gate::check_reject_ratios;
use crate::reuse::link_parquet_files;
use crate::stage_clock::StageClock;

/// Where the marts' shared `intermediate` tables are written during a run (not published).
const INTERMEDIATE_DIR: &str = "intermediate_tables";

/// What the build produced.
pub struct Built {
    /// Every written table.
    pub outputs: Vec<OutputReport>,
    /// Rejected rows per input.
    pub rejected: BTreeMap<String, u64>,
    /// Codes the referentials do not know.
    pub unknown_codes: Vec<UnknownCodeReport>,
    /// The build's stages: silver, gold, tests, public.
    pub stages: Vec<StageReport>,
    /// The disclosure audit of the public tables.
    pub audit: AuditSummary,
}

/// Runs a query and collects its batches.
pub(crate) async fn query(context: &SessionContext, model: &str, sql: &str) -> Result<Vec<RecordBatch>> {
    context.sql(sql).await.map_err(model_error(model))?.collect().await.map_err(model_error(model))
}

pub(crate) fn model_error(model: &str) -> impl FnOnce(datafusion::error::DataFusionError) -> Error + '_ {
    move |source| Error::Model(skillgap_models::Error::DataFusion { model: model.to_owned(), source })
}

fn documentation(spec: &TableSpec) -> TableDocumentation {
    TableDocumentation {
        name: format!("{}.{}", spec.layer, spec.table),
        description: spec.description.clone(),
        columns: spec.columns.iter().map(|c| (c.name.clone(), c.definition.clone())).collect::<HashMap<_, _>>(),
    }
}

/// Checks that a table's columns are exactly its specification's, in order and type.
fn check_schema(spec: &TableSpec, schema: &Schema) -> Result<()> {
    let actual: Vec<(String, String)> =
        schema.fields().iter().map(|f| (f.name().clone(), type_name(f.data_type()))).collect();
    let declared: Vec<(String, String)> = spec.columns.iter().map(|c| (c.name.clone(), c.data_type.clone())).collect();
    if actual != declared {
        let render = |columns: &[(String, String)]| {
            columns.iter().map(|(n, t)| format!("{n}: {t}")).collect::<Vec<_>>().join(", ")
        };
        return Err(skillgap_models::Error::Specification {
            table: spec.table.clone(),
            message: format!(
                "the built table's columns ({}) differ from the specification's ({})",
                render(&actual),
                render(&declared)
            ),
        }
        .into());
    }
    Ok(())
}

/// Streams a DataFrame into `<run>/<layer>/<table>/part-0.parquet`.
pub(crate) async fn write_table(
    run_dir: &Path,
    spec: &TableSpec,
    frame: DataFrame,
) -> Result<(WrittenTable, SchemaRef)> {
    let name = format!("{}.{}", spec.layer, spec.table);
    let planned: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let mut stream = frame.execute_stream().await.map_err(model_error(&name))?;
    // Ballista gives an empty result (a plan folded to no rows) a stream without columns:
    // the table then keeps the planned ones.
    let schema = if stream.schema().fields().is_empty() { planned } else { stream.schema() };
    check_schema(spec, &schema)?;
    let path = run_dir.join(&spec.layer).join(&spec.table).join("part-0.parquet");
    let mut file = TableFile::create(&path, &schema, Some(&documentation(spec)))?;
    while let Some(batch) = stream.next().await {
        file.write(&batch.map_err(model_error(&name))?)?;
    }
    let written = file.finish()?;
    tracing::info!(table = %name, rows = written.rows, bytes = written.bytes, "written");
    Ok((written, schema))
}

pub(crate) fn report(run_dir: &Path, spec: &TableSpec, written: &WrittenTable) -> OutputReport {
    OutputReport {
        table: format!("{}.{}", spec.layer, spec.table),
        rows: written.rows,
        files: vec![(written.path.strip_prefix(run_dir).unwrap_or(&written.path).display().to_string(), written.bytes)],
    }
}

/// The report of a table linked from the previous run into `files`: their sizes, and the
/// rows counted by `context` (from the files' footers).
async fn linked_report(
    context: &SessionContext,
    run_dir: &Path,
    table: &str,
    files: &[std::path::PathBuf],
) -> Result<OutputReport> {
    let mut listed = Vec::new();
    for path in files {
        let bytes = std::fs::metadata(path)
            .map_err(|error| Error::Internal(format!("cannot read {}: {error}", path.display())))?
            .len();
        listed.push((path.strip_prefix(run_dir).unwrap_or(path).display().to_string(), bytes));
    }
    let name = format!("previous.linked_{}", table.replace('.', "_"));
    let directory = run_dir.join(table.replace('.', "/"));
    register_directory(context, &name, &directory).await?;
    let counted = query(context, table, &format!("SELECT COUNT(*) FROM {name}")).await?;
    let rows = counted
        .first()
        .and_then(|batch| batch.column(0).as_primitive_opt::<arrow::datatypes::Int64Type>())
        .map_or(0, |count| count.value(0));
    Ok(OutputReport { table: table.to_owned(), rows: u64::try_from(rows).unwrap_or(0), files: listed })
}

/// Every field nullable, so that reader and staging rejects stack in one table.
fn uniform_rejects(batches: Vec<RecordBatch>) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let schema: SchemaRef = Arc::new(Schema::new(
        rejects_schema().fields().iter().map(|f| Field::new(f.name(), f.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let mut out = Vec::new();
    for batch in batches {
        let columns: Vec<ArrayRef> = (0..batch.num_columns()).map(|i| batch.column(i).clone()).collect();
        let columns: Vec<ArrayRef> = columns
            .iter()
            .map(|c| arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| model_error("silver.rejects")(e.into()))?;
        out.push(RecordBatch::try_new(schema.clone(), columns).map_err(|e| model_error("silver.rejects")(e.into()))?);
    }
    Ok((schema, out))
}

async fn collect(frame: DataFrame, model: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await.map_err(model_error(model))?;
    Ok((schema, batches))
}

/// What a build runs with: the pipeline's engine, thresholds and resources.
pub struct BuildSettings<'a> {
    /// Where the plans run.
    pub engine: &'a Engine,
    /// The largest share of rejected rows an input may have.
    pub max_reject_ratio: f64,
    /// The memory pool of each context, in MiB.
    pub memory_limit_mib: usize,
}

/// Builds silver and gold into `run_dir`, gating on rejects and tests.
/// `previous_run_dir` is the run this one follows (its semester snapshots are carried).
pub async fn build(
    run_dir: &Path,
    previous_run_dir: Option<&Path>,
    ingested: &Ingested,
    parameters: &Parameters,
    settings: &BuildSettings<'_>,
) -> Result<Built> {
    let mut stage = "silver";
    let built = build_stages(run_dir, previous_run_dir, ingested, parameters, settings, &mut stage).await;
    built.map_err(|error| error.in_stage(stage, settings.memory_limit_mib))
}

/// Starts measuring the stage `name`, which is now the one `stage` names.
fn enter(stage: &mut &'static str, name: &'static str) -> StageClock {
    *stage = name;
    StageClock::start(name)
}

/// [`build`], saying in `stage` which stage it is in; each stage is a tracing span that
/// records the rows it wrote.
async fn build_stages(
    run_dir: &Path,
    previous_run_dir: Option<&Path>,
    ingested: &Ingested,
    parameters: &Parameters,
    settings: &BuildSettings<'_>,
    stage: &mut &'static str,
) -> Result<Built> {
    // Absolute: a distributed engine's executors read these files from other directories.
    let run_dir = &absolute(run_dir)?;
    let mut stages = Vec::new();

    let clock = enter(stage, "silver");
    let (staging_context, marts_context) = contexts(settings.engine, run_dir, settings.memory_limit_mib).await?;
    let span = stage_span("silver");
    let silver = build_silver(&staging_context, run_dir, ingested, parameters, settings.max_reject_ratio)
        .instrument(span.clone())
        .await?;
    span.record("rows", rows(&silver.outputs));
    stages.push(clock.stop());

    // Gold, from silver files only, in a single-partition context.
    let clock = enter(stage, "gold");
    let span = stage_span("gold");
    let gold = build_gold(&marts_context, run_dir, previous_run_dir, silver.referentials, &silver.outputs, parameters)
        .instrument(span.clone())
        .await?;
    span.record("rows", rows(&gold));
    stages.push(clock.stop());
    let mut outputs = silver.outputs;
    outputs.extend(gold);

    let clock = enter(stage, "tests");
    let span = stage_span("tests");
    let checks = run_tests(&marts_context, &outputs, parameters).instrument(span.clone()).await?;
    span.record("checks", checks);
    stages.push(clock.stop());

    // The public export, from the tested gold tables, audited before it is written.
    let clock = enter(stage, "public");
    let span = stage_span("public");
    let (public_outputs, audit) =
        crate::public_export::build_public(&marts_context, run_dir, parameters).instrument(span.clone()).await?;
    span.record("rows", rows(&public_outputs));
    outputs.extend(public_outputs);
    stages.push(clock.stop());

    // The tables shared with a distributed engine's executors and the marts' intermediate
    // tables are not part of the run (a failed run's directory is removed whole by the caller).
    for scratch in [SHARED_TABLES_DIR, INTERMEDIATE_DIR] {
        let scratch = run_dir.join(scratch);
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch)
                .map_err(|error| Error::Internal(format!("cannot remove {}: {error}", scratch.display())))?;
        }
    }
    Ok(Built { outputs, rejected: silver.rejected, unknown_codes: silver.unknown_codes, stages, audit })
}

/// The span of one stage of the build, its row count recorded when it ends.
fn stage_span(name: &'static str) -> tracing::Span {
    tracing::info_span!("stage", name, rows = tracing::field::Empty, checks = tracing::field::Empty)
}

/// Rows written in `outputs`.
fn rows(outputs: &[OutputReport]) -> u64 {
    outputs.iter().map(|output| output.rows).sum()
}

/// What the silver stage leaves for the next ones.
struct Silver {
    /// The silver tables written.
    outputs: Vec<OutputReport>,
    /// The staging referentials and the grid, kept in memory for the marts.
    referentials: Vec<(&'static str, SchemaRef, Vec<RecordBatch>)>,
    /// Codes the referentials do not know.
    unknown_codes: Vec<UnknownCodeReport>,
    /// Rejected rows per input (under the gate).
    rejected: BTreeMap<String, u64>,
}

/// Bronze → silver in `context`: the referentials and the grid, each staging model, its
/// rejects, then the reject-ratio gate.
async fn build_silver(
    context: &SessionContext,
    run_dir: &Path,
    ingested: &Ingested,
    parameters: &Parameters,
    max_reject_ratio: f64,
) -> Result<Silver> {
    let bronze = run_dir.join("bronze");
    // Every table ingestion wrote (an input's may hold parts from several sources: the
    // jobseekers CSV and the Marché du travail answers).
    let mut tables: Vec<String> = std::fs::read_dir(&bronze)
        .map_err(|error| Error::Internal(format!("{}: {error}", bronze.display())))?
        .filter_map(std::result::Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    tables.sort();
    for table in tables {
        register_directory(context, &format!("bronze.{table}"), &bronze.join(&table)).await?;
    }

    // The offer records this run stages: every one, or on a nightly run those read after
    // every file of the previous run (a view, which a distributed engine ships as its plan).
    let new_offers = match &ingested.reuse {
        None => "CREATE VIEW bronze.new_offers AS SELECT * FROM bronze.offers".to_owned(),
        Some(reuse) => format!(
            "CREATE VIEW bronze.new_offers AS SELECT * FROM bronze.offers WHERE record_order >= {}",
            skillgap_sources::first_record_order(reuse.offer_files_read)
        ),
    };
    query(context, "bronze.new_offers", &new_offers).await?;
    // An optional input that is not configured is staged empty, so that its models keep one
    // shape (and the catalogue's supply columns are NULL rather than the marts needing a
    // second one).
    let unconfigured = [
        ("session_outcomes", !ingested.has_outcomes),
        ("projections", ingested.projections.is_none()),
        ("employment", !ingested.has_employment),
    ];
    for (input, _) in unconfigured.iter().filter(|(_, absent)| *absent) {
        let layout = table_layout(input).ok_or_else(|| Error::Internal(format!("no layout for the input {input}")))?;
        register_batches(context, &format!("bronze.{input}"), table_schema(layout), Vec::new())?;
    }
    if !ingested.has_catalogue {
        register_batches(context, "bronze.lheo", skillgap_sources::sessions_schema(), Vec::new())?;
    }

    if let Some(reuse) = &ingested.reuse {
        // Written sorted by offer_id: declared, so that the merge keeps that order instead
        // of sorting the millions of previous offers again.
        let previous = absolute(&reuse.dir.join("silver").join("offers"))?;
        let sorted = ParquetReadOptions::default()
            .file_sort_order(vec![vec![datafusion::prelude::col("offer_id").sort(true, false)]]);
        context
            .register_parquet("previous.offers", previous.display().to_string().as_str(), sorted)
            .await
            .map_err(model_error("previous.offers"))?;
    }

    // Referentials and the grid, kept in memory for both contexts.
    let mut referentials: Vec<(&str, SchemaRef, Vec<RecordBatch>)> = Vec::new();
    let mut rejects_batches = vec![ingested.reader_rejects.clone()];
    let grid = !ingested.bassins.is_empty();
    // The grid's bassins: its polygons', or (registered empty until the communes are
    // staged) the bassins communes.csv names.
    let (schema, batches) = bassins_table(&ingested.bassins)?;
    register_batches(context, "staging.bassins", schema.clone(), batches.clone())?;
    if grid {
        referentials.push(("staging.bassins", schema, batches));
        let index = BassinIndex::new(ingested.bassins.iter().map(|b| (b.code.clone(), b.geometry.clone())).collect());
        tracing::info!(polygons = index.len(), "bassin polygons indexed");
        register_geocoder(context, Arc::new(index));
    }
    for referential in staging::Referential::ALL {
        let name = referential.table();
        let model = referential.stage(context, grid).await?;
        let (schema, batches) = collect(model.rows, name).await?;
        register_batches(context, name, schema.clone(), batches.clone())?;
        rejects_batches.extend(collect(model.rejects, name).await?.1);
        referentials.push((name, schema, batches));
    }
    if !grid {
        let (schema, batches) = collect(staging::bassins_of_communes(context).await?, "staging.bassins").await?;
        context.deregister_table("staging.bassins").map_err(model_error("staging.bassins"))?;
        register_batches(context, "staging.bassins", schema.clone(), batches.clone())?;
        referentials.push(("staging.bassins", schema, batches));
    }
    let (_, empty) = collect(staging::bassins_without_communes(context).await?, "staging.bassins").await?;
    for batch in &empty {
        for code in batch.column(0).as_string::<i32>().iter().flatten() {
            tracing::warn!(
                bassin = code,
                "this bassin of the GeoJSON has no commune in communes.csv: only points can be placed in it"
            );
        }
    }
    if ingested.has_bmo_crosswalk {
        let model = staging::bmo_bassins(context).await?;
        let (schema, batches) = collect(model.rows, "staging.bmo_bassins").await?;
        register_batches(context, "staging.bmo_bassins", schema, batches)?;
        rejects_batches.extend(collect(model.rejects, "staging.bmo_bassins").await?.1);
        let errors = staging::crosswalk_weight_errors(context).await?;
        if !errors.is_empty() {
            return Err(Error::Input {
                input: "bmo_bassins".to_owned(),
                message: format!("the weights of each BMO bassin must sum to 1, but {}", errors.join("; ")),
            });
        }
    }
    staging::grid_views(context, parameters.grid_is_bmo_bassins).await?;

    let unknown_codes = staging::unknown_codes(context)
        .await?
        .into_iter()
        .map(|u| UnknownCodeReport { referential: u.referential, input: u.input, code: u.code, rows: u.rows })
        .chain(ingested.grid_unmatched.iter().map(|(lacking, holding, code)| UnknownCodeReport {
            referential: (*lacking).to_owned(),
            input: (*holding).to_owned(),
            code: code.clone(),
            rows: 1,
        }))
        .collect::<Vec<_>>();
    let unjoined: Vec<&UnknownCodeReport> =
        unknown_codes.iter().filter(|code| code.referential == "bmo_metier").collect();
    if !unjoined.is_empty() {
        tracing::warn!(
            metiers = unjoined.len(),
            rows = unjoined.iter().map(|code| code.rows).sum::<i64>(),
            first = %unjoined.iter().take(5).map(|code| code.code.as_str()).collect::<Vec<_>>().join(", "),
            "BMO métiers that no ROME of the referential carries (code_metier_bmo): their hiring projects reach no métier, and tension lacks its BMO component there; a BMO 2024+ file needs a ROME → FAP 2021 crosswalk (skillgap referentials build --rome-fap2021)"
        );
    }

    // Silver.
    let mut outputs = Vec::new();
    {
        let model = staging::session_outcomes(context).await?;
        let (schema, batches) = collect(model.rows, "staging.session_outcomes").await?;
        register_batches(context, "staging.session_outcomes", schema, batches)?;
        rejects_batches.extend(collect(model.rejects, "staging.session_outcomes").await?.1);
        let spec = table_spec("sessions")?;
        match &ingested.reuse {
            Some(reuse) => {
                // Same catalogue, outcomes and referentials: the previous run's sessions,
                // and (below) its catalogue's rejects.
                let files = link_parquet_files(
                    &reuse.dir.join("silver").join("sessions"),
                    &run_dir.join("silver").join("sessions"),
                )?;
                outputs.push(linked_report(context, run_dir, "silver.sessions", &files).await?);
            }
            None => {
                let model = staging::sessions(context).await?;
                let (written, _) = write_table(run_dir, spec, model.rows).await?;
                outputs.push(report(run_dir, spec, &written));
                rejects_batches.extend(collect(model.rejects, "silver.sessions").await?.1);
            }
        }
    }
    if let Some(reuse) = &ingested.reuse {
        // The rejects of the offers and catalogue records this run did not read again.
        register_directory(context, "previous.rejects", &reuse.dir.join("silver").join("rejects")).await?;
        rejects_batches.extend(
            query(context, "silver.rejects", "SELECT * FROM previous.rejects WHERE input IN ('offers', 'lheo')")
                .await?,
        );
    }
    let spec = table_spec("bassins")?;
    let (written, _) = write_table(run_dir, spec, staging::bassins(context).await?).await?;
    outputs.push(report(run_dir, spec, &written));
    // Long-term projections: the region's rows, their identities checked.
    let region = match &ingested.projections {
        Some(Some(code)) => Some(code.clone()),
        Some(None) => {
            let regions = staging::projection_regions(context).await?;
            match regions.as_slice() {
                [only] => Some(only.clone()),
                [] => None,
                many => {
                    return Err(Error::Input {
                        input: "projections".to_owned(),
                        message: format!(
                            "the file holds several regions ({}): set [grid] region_code",
                            many.join(", ")
                        ),
                    });
                }
            }
        }
        None => None,
    };
    if ingested.projections.is_some() {
        let errors = staging::projection_identity_errors(context, region.as_deref()).await?;
        if !errors.is_empty() {
            return Err(Error::Input {
                input: "projections".to_owned(),
                message: format!("the file's identities do not hold: {}", errors.join("; ")),
            });
        }
    }
    let silver = [
        (
            "offers",
            if ingested.reuse.is_some() {
                staging::offers_merged(context).await?
            } else {
                staging::offers(context).await?
            },
        ),
        ("jobseekers", staging::jobseekers(context).await?),
        ("bmo", staging::bmo(context).await?),
        ("projections", staging::projections(context, region.as_deref()).await?),
        ("employment", staging::employment(context).await?),
        ("labour_market_tension", staging::labour_market_tension(context).await?),
    ];
    for (table, model) in silver {
        let spec = table_spec(table)?;
        let (written, _) = write_table(run_dir, spec, model.rows).await?;
        outputs.push(report(run_dir, spec, &written));
        rejects_batches.extend(collect(model.rejects, table).await?.1);
    }
    let (schema, batches) = uniform_rejects(rejects_batches)?;
    register_batches(context, "staging.all_rejects", schema, batches)?;
    let spec = table_spec("rejects")?;
    let (written, _) = write_table(run_dir, spec, staging::rejects(context).await?).await?;
    outputs.push(report(run_dir, spec, &written));

    let rejected = check_reject_ratios(context, &ingested.inputs, max_reject_ratio).await?;
    Ok(Silver { outputs, referentials, unknown_codes, rejected })
}

/// Silver → gold in the single-partition `context`, from the silver files written (`silver`)
/// and the referentials kept in memory; the previous run's semester snapshots carried.
async fn build_gold(
    context: &SessionContext,
    run_dir: &Path,
    previous_run_dir: Option<&Path>,
    referentials: Vec<(&'static str, SchemaRef, Vec<RecordBatch>)>,
    silver: &[OutputReport],
    parameters: &Parameters,
) -> Result<Vec<OutputReport>> {
    let mut outputs = Vec::new();
    for (name, schema, batches) in referentials {
        register_batches(context, name, schema, batches)?;
    }
    let silver_tables: Vec<&str> = silver.iter().filter_map(|o| o.table.strip_prefix("silver.")).collect();
    register_layer(context, run_dir, "silver", &silver_tables).await?;
    if let Some(previous) =
        previous_run_dir.map(|dir| dir.join("gold").join("etat_des_lieux")).filter(|path| path.is_dir())
    {
        register_directory(context, marts::PREVIOUS_SNAPSHOTS, &previous).await?;
    }
    marts::prepare(context, &run_dir.join(INTERMEDIATE_DIR), parameters).await?;
    for table in marts::gold_tables() {
        let spec = table_spec(table)?;
        let frame = marts::build(context, table, parameters).await?;
        let (written, _) = write_table(run_dir, spec, frame).await?;
        outputs.push(report(run_dir, spec, &written));
        // Later marts read the gold tables built before them.
        register_layer(context, run_dir, "gold", &[table]).await?;
    }

    Ok(outputs)
}

/// Every written table's tests (`schemas/*.yml`), as SQL over the files just written.
async fn run_tests(context: &SessionContext, outputs: &[OutputReport], parameters: &Parameters) -> Result<usize> {
    let mut checks = 0;
    for output in outputs {
        let (_, table) = output.table.split_once('.').unwrap_or(("", &output.table));
        checks += run_table_tests(context, table_spec(table)?, &output.table, parameters).await?;
    }
    Ok(checks)
}

/// `staging.bassins` from the GeoJSON's features.
fn bassins_table(bassins: &[skillgap_sources::BassinShape]) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let schema: SchemaRef = Arc::new(Schema::new(vec![
        Field::new("code_bassin", arrow::datatypes::DataType::Utf8, false),
        Field::new("libelle_bassin", arrow::datatypes::DataType::Utf8, true),
        Field::new("code_departement", arrow::datatypes::DataType::Utf8, true),
        Field::new("geometrie", arrow::datatypes::DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(arrow::array::StringArray::from_iter_values(bassins.iter().map(|b| b.code.as_str()))),
        Arc::new(arrow::array::StringArray::from_iter(bassins.iter().map(|b| b.label.as_deref()))),
        Arc::new(arrow::array::StringArray::from_iter(bassins.iter().map(|b| b.departement.as_deref()))),
        Arc::new(arrow::array::StringArray::from_iter_values(
            bassins.iter().map(skillgap_sources::BassinShape::geojson),
        )),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| model_error("staging.bassins")(e.into()))?;
    Ok((schema, vec![batch]))
}

pub(crate) async fn register_layer(
    context: &SessionContext,
    run_dir: &Path,
    layer: &str,
    tables: &[&str],
) -> Result<()> {
    for table in tables {
        register_directory(context, &format!("{layer}.{table}"), &run_dir.join(layer).join(table)).await?;
    }
    Ok(())
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|error| Error::Internal(format!("cannot resolve {}: {error}", path.display())))
}

/// Registers the Parquet files of a table directory as `name` (by its absolute path).
async fn register_directory(context: &SessionContext, name: &str, path: &Path) -> Result<()> {
    let path = absolute(path)?;
    context
        .register_parquet(name, path.display().to_string().as_str(), ParquetReadOptions::default())
        .await
        .map_err(model_error(name))
}

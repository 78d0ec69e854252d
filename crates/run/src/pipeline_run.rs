//! `skillgap run`: one run from inputs to a published, tested, documented output.

use std::path::PathBuf;
use std::time::Instant;

use chrono::{SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use skillgap_config::{GridKind, Pipeline};
use skillgap_models::Parameters;
use skillgap_sinks::{KEEP_MARKER, RunDirectory, Store, StoreLock};
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::ingest::{Ingested, ingest};
use crate::manifest::{InputFileReport, InputReport, Manifest, StageReport, Thresholds};
use crate::reference_date::{Semester, resolve_reference_date};
use crate::transform::build;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// `--as-of YYYY-MM-DD`.
    pub as_of: Option<String>,
    /// `--semester YYYY-S1|S2`.
    pub semester: Option<Semester>,
    /// `--out DIR`, overriding the pipeline's output root.
    pub output: Option<PathBuf>,
}

/// What a successful run published.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The output directory.
    pub output_dir: PathBuf,
    /// The published run's directory.
    pub run_dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs the pipeline and publishes its outputs; on any error nothing is published and the
/// previous run stays current.
pub async fn run(request: RunRequest) -> Result<RunReport> {
    let started_at = Utc::now();
    let pipeline = request.pipeline;
    let as_of = resolve_reference_date(request.as_of.as_deref(), request.semester, pipeline.dates.as_of.as_deref(), &pipeline.dates.timezone)?;
    let parameters = Parameters {
        as_of,
        min_denom: pipeline.thresholds.min_denom,
        min_count: pipeline.thresholds.min_count,
        grid_is_bmo_bassins: pipeline.grid.kind == GridKind::BmoBassins,
        semester: request.semester.map(|s| s.to_string()),
        previous_semester: request.semester.map(|s| s.previous().to_string()),
        employment_key: pipeline.inputs.employment.is_some(),
    };
    let output_dir = request.output.clone().unwrap_or_else(|| pipeline.output_dir());
    let store = Store::new(&output_dir);
    let lock = store.lock()?;
    let previous_run = store.current_run()?;
    let previous_run_dir = previous_run.as_deref().map(|run| store.run_dir(run)).transpose()?;
    let mut run_id = started_at.format("%Y%m%dT%H%M%S%3fZ").to_string();
    if store.runs()?.contains(&run_id) {
        run_id.push_str("-1");
    }
    let run_directory = store.begin_run(&lock, &run_id)?;
    tracing::info!(run = %run_id, as_of = %as_of, pipeline = %pipeline.name, output = %output_dir.display(), "run started");
    let context = RunContext {
        pipeline: &pipeline,
        parameters: &parameters,
        run_directory: &run_directory,
        semester: request.semester,
        previous_run,
        previous_run_dir,
        output_dir: output_dir.clone(),
        started_at,
    };
    match stages(&context).await.and_then(|manifest| sheets(&run_directory.path, manifest, &pipeline)) {
        Ok(manifest) => {
            let run_dir = publish(&store, &lock, run_directory, &manifest, pipeline.output.keep_runs)?;
            tracing::info!(run = %run_id, path = %run_dir.display(), "published");
            Ok(RunReport { output_dir, run_dir, manifest })
        }
        Err(error) => {
            store.abandon(run_directory);
            Err(error)
        }
    }
}

struct RunContext<'a> {
    pipeline: &'a Pipeline,
    parameters: &'a Parameters,
    run_directory: &'a RunDirectory,
    semester: Option<Semester>,
    previous_run: Option<String>,
    previous_run_dir: Option<PathBuf>,
    output_dir: PathBuf,
    started_at: chrono::DateTime<Utc>,
}

async fn stages(context: &RunContext<'_>) -> Result<Manifest> {
    let mut stage_reports = Vec::new();
    let run_dir = context.run_directory.path.clone();

    let clock = Instant::now();
    let pipeline = context.pipeline.clone();
    let bronze = run_dir.join("bronze");
    let span = tracing::info_span!("stage", name = "ingest");
    let landed: Vec<(String, PathBuf)> = if pipeline.fetch.is_some() {
        crate::fetch::landed_pages(&context.output_dir)
            .into_iter()
            .map(|path| (path.strip_prefix(&context.output_dir).unwrap_or(&path).display().to_string(), path))
            .collect()
    } else {
        Vec::new()
    };
    let ingested: Ingested = tokio::task::spawn_blocking(move || span.in_scope(|| ingest(&pipeline, &bronze, &landed)))
        .await
        .map_err(|join| Error::Internal(format!("the ingestion task failed: {join}")))??;
    stage_reports.push(StageReport { stage: "ingest".to_owned(), seconds: clock.elapsed().as_secs_f64() });

    let clock = Instant::now();
    let built = build(&run_dir, context.previous_run_dir.as_deref(), &ingested, context.parameters, context.pipeline.thresholds.max_reject_ratio)
        .instrument(tracing::info_span!("stage", name = "transform"))
        .await?;
    stage_reports.push(StageReport { stage: "transform".to_owned(), seconds: clock.elapsed().as_secs_f64() });

    let inputs = ingested
        .inputs
        .iter()
        .map(|input| {
            let rows_rejected = built.rejected.get(&input.name).copied().unwrap_or(0);
            InputReport {
                name: input.name.clone(),
                vintage: input.vintage.clone(),
                files: input
                    .files
                    .iter()
                    .map(|(location, file)| InputFileReport { location: location.clone(), bytes: file.bytes, sha256: file.sha256.clone() })
                    .collect(),
                rows_read: input.records,
                rows_rejected,
                rows_kept: input.records.saturating_sub(rows_rejected),
            }
        })
        .collect();
    let thresholds = &context.pipeline.thresholds;
    Ok(Manifest {
        run_id: context.run_directory.run_id.clone(),
        as_of: context.parameters.as_of.to_string(),
        semester: context.semester.map(|s| s.to_string()),
        code_version: env!("CARGO_PKG_VERSION").to_owned(),
        pipeline: context.pipeline.name.clone(),
        pipeline_sha256: sha256_hex(context.pipeline.text.as_bytes()),
        started_at: context.started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        finished_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        previous_run: context.previous_run.clone(),
        thresholds: Thresholds { min_denom: thresholds.min_denom, min_count: thresholds.min_count, max_reject_ratio: thresholds.max_reject_ratio },
        inputs,
        outputs: built.outputs,
        stages: stage_reports,
        unknown_codes: built.unknown_codes,
    })
}

/// The sheets stage: every bassin's HTML and XLSX sheet and the regional index, into the
/// run directory (so that they are published with the tables, atomically).
fn sheets(run_dir: &std::path::Path, mut manifest: Manifest, pipeline: &Pipeline) -> Result<Manifest> {
    let clock = Instant::now();
    write_manifest(run_dir, &manifest)?;
    let span = tracing::info_span!("stage", name = "sheets");
    let _entered = span.enter();
    let request = skillgap_reports::SheetRequest {
        run_dir: run_dir.to_path_buf(),
        out_dir: run_dir.join("sheets"),
        bassins: Vec::new(),
        html: true,
        xlsx: true,
        pdf: false,
        region: pipeline.grid.region_label.clone(),
        min_denom: pipeline.thresholds.min_denom,
    };
    let report = skillgap_reports::render(&request)?;
    manifest.stages.push(StageReport { stage: "sheets".to_owned(), seconds: clock.elapsed().as_secs_f64() });
    tracing::info!(sheets = report.sheets, files = report.files.len(), "sheets written");
    Ok(manifest)
}

/// `skillgap publish --rollback RUN`: makes an earlier published run current again (under
/// the store's lock, with the same atomic link swap as a publish).
pub fn rollback(output_dir: &std::path::Path, run_id: &str) -> Result<PathBuf> {
    let store = Store::new(output_dir);
    let lock = store.lock()?;
    let run_dir = store.run_dir(run_id)?;
    store.point_current_at(&lock, run_id)?;
    tracing::info!(run = run_id, "rolled back: this run is current again");
    Ok(run_dir)
}

/// What `skillgap sheets` was asked.
#[derive(Debug, Clone)]
pub struct SheetsCommand {
    /// The pipeline (output location, region name, MIN_DENOM).
    pub pipeline: Pipeline,
    /// `--out`: the output directory instead of the pipeline's.
    pub output: Option<PathBuf>,
    /// `--run`: an earlier run.
    pub run: Option<String>,
    /// `--bassin`: only these.
    pub bassins: Vec<String>,
    /// `--format`: html, xlsx, pdf.
    pub formats: Vec<String>,
    /// `--to`: where the sheets go.
    pub to: PathBuf,
}

/// Renders the sheets of a published run.
pub fn sheets_of_run(command: SheetsCommand) -> Result<skillgap_reports::SheetsReport> {
    for format in &command.formats {
        if !["html", "xlsx", "pdf"].contains(&format.as_str()) {
            return Err(Error::Argument(format!("--format {format}: the formats are html, xlsx and pdf")));
        }
    }
    let output_dir = command.output.clone().unwrap_or_else(|| command.pipeline.output_dir());
    let store = Store::new(&output_dir);
    let run_dir = match &command.run {
        Some(run) => store.run_dir(run)?,
        None => store.current_dir()?,
    };
    let has = |format: &str| command.formats.iter().any(|f| f == format);
    let request = skillgap_reports::SheetRequest {
        run_dir,
        out_dir: command.to.clone(),
        bassins: command.bassins.clone(),
        html: has("html"),
        xlsx: has("xlsx"),
        pdf: has("pdf"),
        region: command.pipeline.grid.region_label.clone(),
        min_denom: command.pipeline.thresholds.min_denom,
    };
    Ok(skillgap_reports::render(&request)?)
}

fn write_manifest(run_dir: &std::path::Path, manifest: &Manifest) -> Result<()> {
    let path = run_dir.join("manifest.json");
    let text = serde_json::to_string_pretty(manifest).map_err(|error| Error::Manifest { path: path.display().to_string(), message: error.to_string() })?;
    std::fs::write(&path, text).map_err(|error| Error::Manifest { path: path.display().to_string(), message: error.to_string() })
}

fn publish(store: &Store, lock: &StoreLock, run_directory: RunDirectory, manifest: &Manifest, keep_runs: usize) -> Result<PathBuf> {
    if manifest.semester.is_some() {
        // A semester run holds a snapshot of record: retention never deletes it.
        let marker = run_directory.path.join(KEEP_MARKER);
        std::fs::write(&marker, format!("semester {}\n", manifest.semester.as_deref().unwrap_or_default()))
            .map_err(|error| Error::Manifest { path: marker.display().to_string(), message: error.to_string() })?;
    }
    write_manifest(&run_directory.path, manifest)?;
    Ok(store.publish(lock, run_directory, keep_runs)?)
}

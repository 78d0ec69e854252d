//! `skillgap run`: one run from inputs to a published, tested, documented output.

use std::path::PathBuf;

use chrono::{NaiveDate, SubsecRound, Utc};
use sha2::{Digest, Sha256};
use skillgap_config::{GridKind, Pipeline, Semester};
use skillgap_models::Parameters;
use skillgap_sinks::{InputFileReport, InputReport, KEEP_MARKER, Manifest, RunDirectory, Store, StoreLock, Thresholds};
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::ingest::{Ingested, Landed, ingest};
use crate::output::PublishTarget;
use crate::reference_date::resolve_reference_date;
use crate::reuse::PreviousRun;
use crate::stage_clock::StageClock;
use crate::transform::{BuildSettings, build};

/// What to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// `--as-of YYYY-MM-DD`.
    pub as_of: Option<NaiveDate>,
    /// `--semester YYYY-S1|S2`.
    pub semester: Option<Semester>,
    /// `--out DIR`, overriding the pipeline's output root.
    pub output: Option<PathBuf>,
}

/// What a successful run published.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The local output directory (the working directory of an `s3://` output).
    pub output_dir: PathBuf,
    /// The published run's local directory.
    pub run_dir: PathBuf,
    /// Where readers find the run: `<output>/current` or the run's `s3://` prefix.
    pub published: String,
    /// Its manifest.
    pub manifest: Manifest,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The models' parameters of a run of `pipeline` (`as_of` and `semester` as on the
/// command line).
pub fn run_parameters(pipeline: &Pipeline, as_of: Option<NaiveDate>, semester: Option<Semester>) -> Result<Parameters> {
    Ok(Parameters {
        as_of: resolve_reference_date(as_of, semester, pipeline.dates.as_of, &pipeline.dates.timezone)?,
        min_denom: pipeline.thresholds.min_denom,
        min_count: pipeline.thresholds.min_count,
        rounding_base: pipeline.thresholds.rounding_base,
        protection_range: pipeline.thresholds.protection(),
        grid_is_bmo_bassins: pipeline.grid.kind == GridKind::BmoBassins,
        semester,
        employment_key: pipeline.inputs.employment.is_some(),
    })
}

/// The SQL of one model of a run of `pipeline` as people read it, parameters replaced by
/// their values: a gold table's `SELECT` (`competence_gap`), or a staging script's views
/// (`staging.offers`; the projections' region is the configured one, NULL standing for the
/// file's only region).
pub fn model_sql(pipeline: &Pipeline, parameters: &Parameters, table: &str) -> Result<String> {
    Ok(match table.strip_prefix("staging.") {
        Some(script) => {
            let territories = &pipeline.inputs.territories;
            let grid_polygons = territories.bassins.is_some() || territories.commune_polygons.is_some();
            skillgap_models::staging::compiled(script, grid_polygons, pipeline.grid.region_code.as_deref())?
        }
        None => format!("{};", skillgap_models::marts::compiled(table, parameters)?.trim_end()),
    })
}

/// Runs the pipeline and publishes its outputs; on any error nothing is published and the
/// previous run stays current.
pub async fn run(request: RunRequest) -> Result<RunReport> {
    let started_at = Utc::now();
    let pipeline = request.pipeline;
    let parameters = run_parameters(&pipeline, request.as_of, request.semester)?;
    let as_of = parameters.as_of;
    let output = match &request.output {
        Some(directory) => PublishTarget::Local(Store::new(directory)),
        None => PublishTarget::open(&pipeline, None)?,
    };
    let store = output.working_store()?.clone();
    let output_dir = store.root().to_path_buf();
    let lock = store.lock()?;
    let mut run_id = started_at.format("%Y%m%dT%H%M%S%3fZ").to_string();
    let remote_lock = match &output {
        PublishTarget::Remote { remote, .. } => Some(remote.lock(&lock_owner(&run_id)).await?),
        PublishTarget::Local(_) => None,
    };
    let outcome = async {
        if output.runs().await?.contains(&run_id) || store.runs()?.contains(&run_id) {
            run_id.push_str("-1");
        }
        let previous_run = output.current_run().await?;
        let previous_snapshots = output_dir.join(PREVIOUS_SNAPSHOTS);
        if previous_snapshots.exists() {
            std::fs::remove_dir_all(&previous_snapshots).map_err(|source| skillgap_sinks::Error::Io {
                action: "removing",
                path: previous_snapshots.clone(),
                source,
            })?;
        }
        let previous_run_dir = match &previous_run {
            Some(run) => Some(output.local_copy(run, &["gold/etat_des_lieux"], &previous_snapshots).await?),
            None => None,
        };
        let run_directory = store.begin_run(&lock, &run_id)?;
        tracing::info!(run = %run_id, as_of = %as_of, pipeline = %pipeline.name, output = %output.display(), "run started");
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
        // Every stage's span and event below carries the run's id.
        let span = tracing::info_span!("run", id = %run_id, as_of = %as_of);
        let built = stages(&context)
            .instrument(span.clone())
            .await
            .and_then(|manifest| span.in_scope(|| sheets(&run_directory.path, manifest, &pipeline)));
        match built {
            Ok(manifest) => {
                let (run_dir, published) =
                    publish(&output, &store, &lock, run_directory, &manifest, pipeline.output.keep_runs)
                        .instrument(span)
                        .await?;
                tracing::info!(run = %run_id, path = %published, "published");
                Ok(RunReport { output_dir: output_dir.clone(), run_dir, published, manifest })
            }
            Err(error) => {
                store.abandon(run_directory);
                Err(error)
            }
        }
    }
    .await;
    if let (PublishTarget::Remote { remote, .. }, Some(remote_lock)) = (&output, remote_lock) {
        remote.unlock(remote_lock).await;
    }
    outcome
}

/// Where the previous run's snapshots are downloaded when the output is remote.
const PREVIOUS_SNAPSHOTS: &str = ".previous";

/// Who holds a bucket lock: the run, the host and the process.
fn lock_owner(run_id: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "unknown host".to_owned());
    format!("run {run_id} on {host} (pid {})", std::process::id())
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

    let clock = StageClock::start("ingest");
    let pipeline = context.pipeline.clone();
    let bronze = run_dir.join("bronze");
    let span = tracing::info_span!("stage", name = "ingest");
    let shown = |paths: Vec<PathBuf>| -> Vec<(String, PathBuf)> {
        paths
            .into_iter()
            .map(|path| (path.strip_prefix(&context.output_dir).unwrap_or(&path).display().to_string(), path))
            .collect()
    };
    let fetch = pipeline.fetch.as_ref();
    let landed = Landed {
        offers: if fetch.is_some_and(|f| f.offers.is_some()) {
            shown(crate::fetch::landed_pages(&context.output_dir))
        } else {
            Vec::new()
        },
        labour_market: if fetch.is_some_and(|f| f.labour_market.is_some()) {
            shown(crate::fetch::landed_answers(&context.output_dir))
        } else {
            Vec::new()
        },
    };
    let previous = context
        .previous_run_dir
        .as_deref()
        .and_then(|dir| PreviousRun::open(dir, &sha256_hex(context.pipeline.text.as_bytes())));
    let ingested: Ingested =
        tokio::task::spawn_blocking(move || span.in_scope(|| ingest(&pipeline, &bronze, &landed, previous.as_ref())))
            .await
            .map_err(|join| Error::Internal(format!("the ingestion task failed: {join}")))??;
    stage_reports.push(clock.stop());

    let settings = BuildSettings {
        engine: &context.pipeline.engine,
        max_reject_ratio: context.pipeline.thresholds.max_reject_ratio,
        memory_limit_mib: context.pipeline.resources.memory_limit_mib,
    };
    let built = build(&run_dir, context.previous_run_dir.as_deref(), &ingested, context.parameters, &settings)
        .instrument(tracing::info_span!("stage", name = "transform"))
        .await?;
    stage_reports.extend(built.stages);

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
                    .map(|(location, file)| InputFileReport {
                        location: location.clone(),
                        bytes: file.bytes,
                        sha256: file.sha256.clone(),
                    })
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
        as_of: context.parameters.as_of,
        semester: context.semester,
        code_version: env!("CARGO_PKG_VERSION").to_owned(),
        pipeline: context.pipeline.name.clone(),
        pipeline_sha256: sha256_hex(context.pipeline.text.as_bytes()),
        started_at: context.started_at.trunc_subsecs(3),
        finished_at: Utc::now().trunc_subsecs(3),
        previous_run: context.previous_run.clone(),
        thresholds: Thresholds {
            min_denom: thresholds.min_denom,
            min_count: thresholds.min_count,
            max_reject_ratio: thresholds.max_reject_ratio,
            rounding_base: thresholds.rounding_base,
            protection_range: Some(thresholds.protection()),
        },
        inputs,
        outputs: built.outputs,
        stages: stage_reports,
        unknown_codes: built.unknown_codes,
        audit: Some(built.audit),
        built_on: ingested.reuse.as_ref().map(|reuse| reuse.run.clone()),
        engine: context.pipeline.engine.to_string(),
    })
}

/// The sheets stage: every bassin's HTML and XLSX sheet and the regional index, into the
/// run directory (so that they are published with the tables, atomically).
fn sheets(run_dir: &std::path::Path, mut manifest: Manifest, pipeline: &Pipeline) -> Result<Manifest> {
    let clock = StageClock::start("sheets");
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
    manifest.stages.push(clock.stop());
    tracing::info!(sheets = report.sheets, files = report.files.len(), "sheets written");
    Ok(manifest)
}

/// `skillgap publish --rollback RUN`: makes an earlier published run current again (under
/// the output's lock, with the same atomic switch as a publish). Returns where it is read.
pub async fn rollback(output: &PublishTarget, run_id: &str) -> Result<String> {
    let published = match output {
        PublishTarget::Local(store) => {
            let lock = store.lock()?;
            let run_dir = store.run_dir(run_id)?;
            store.point_current_at(&lock, run_id)?;
            run_dir.display().to_string()
        }
        PublishTarget::Remote { remote, work } => {
            let local_lock = work.as_ref().map(Store::lock).transpose()?;
            let remote_lock = remote.lock(&lock_owner(&format!("rollback to {run_id}"))).await?;
            let switched = remote.point_current_at(run_id).await;
            remote.unlock(remote_lock).await;
            switched?;
            if let (Some(work), Some(lock)) = (work, &local_lock)
                && work.run_dir(run_id).is_ok()
            {
                work.point_current_at(lock, run_id)?;
            }
            remote.run_url(run_id)
        }
    };
    tracing::info!(run = run_id, "rolled back: this run is current again");
    Ok(published)
}

/// What `skillgap sheets` was asked.
#[derive(Debug, Clone)]
pub struct SheetsCommand {
    /// The pipeline (output location, region name, MIN_DENOM).
    pub pipeline: Pipeline,
    /// `--out`: the output directory or `s3://` URL instead of the pipeline's.
    pub output: Option<String>,
    /// `--run`: an earlier run.
    pub run: Option<String>,
    /// `--bassin`: only these.
    pub bassins: Vec<String>,
    /// `--format`: html, xlsx, pdf.
    pub formats: Vec<String>,
    /// `--to`: where the sheets go.
    pub to: PathBuf,
}

/// Renders the sheets of a published run (downloading what they read when it is remote).
pub async fn sheets_of_run(command: SheetsCommand) -> Result<skillgap_reports::SheetsReport> {
    for format in &command.formats {
        if !["html", "xlsx", "pdf"].contains(&format.as_str()) {
            return Err(Error::Argument(format!("--format {format}: the formats are html, xlsx and pdf")));
        }
    }
    let output = PublishTarget::open(&command.pipeline, command.output.as_deref())?;
    let run = output.resolve_run(command.run.as_deref()).await?;
    let downloads = std::env::temp_dir().join(format!("skillgap-sheets-{}", std::process::id()));
    let run_dir = output.local_copy(&run, &skillgap_reports::RUN_PARTS_READ, &downloads).await?;
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
    let report = skillgap_reports::render(&request);
    if downloads.exists()
        && let Err(error) = std::fs::remove_dir_all(&downloads)
    {
        tracing::warn!(path = %downloads.display(), %error, "could not remove the downloaded run");
    }
    Ok(report?)
}

fn write_manifest(run_dir: &std::path::Path, manifest: &Manifest) -> Result<()> {
    let path = run_dir.join("manifest.json");
    let text = serde_json::to_string_pretty(manifest)
        .map_err(|error| Error::Manifest { path: path.display().to_string(), message: error.to_string() })?;
    std::fs::write(&path, text)
        .map_err(|error| Error::Manifest { path: path.display().to_string(), message: error.to_string() })
}

/// Publishes a finished run: on a bucket, uploads it and replaces the pointer (the local
/// working copy follows); locally, moves it into `runs/` and swaps the link. Returns the
/// local directory and where readers find it.
async fn publish(
    output: &PublishTarget,
    store: &Store,
    lock: &StoreLock,
    run_directory: RunDirectory,
    manifest: &Manifest,
    keep_runs: usize,
) -> Result<(PathBuf, String)> {
    let prepared = (|| {
        if let Some(semester) = manifest.semester {
            // A semester run holds a snapshot of record: retention never deletes it.
            let marker = run_directory.path.join(KEEP_MARKER);
            std::fs::write(&marker, format!("semester {semester}\n"))
                .map_err(|error| Error::Manifest { path: marker.display().to_string(), message: error.to_string() })?;
        }
        write_manifest(&run_directory.path, manifest)
    })();
    if let Err(error) = prepared {
        store.abandon(run_directory);
        return Err(error);
    }
    let run_id = run_directory.run_id.clone();
    let PublishTarget::Remote { remote, .. } = output else {
        let run_dir = store.publish(lock, run_directory, keep_runs)?;
        return Ok((run_dir.clone(), store.root().join(skillgap_sinks::CURRENT).display().to_string()));
    };
    let uploaded = match remote.upload_run(&run_directory.path, &run_id).await {
        Ok(_) => remote.point_current_at(&run_id).await,
        Err(error) => Err(error),
    };
    // A pointer write whose answer was lost may still have landed: then the run is current.
    let landed = uploaded.is_err() && matches!(remote.current_run().await, Ok(Some(current)) if current == run_id);
    if let (Err(error), false) = (uploaded, landed) {
        if let Err(cleanup) = remote.remove_run(&run_id).await {
            tracing::warn!(run = %run_id, error = %cleanup, "could not remove the partial upload; the next run's retention will");
        }
        store.abandon(run_directory);
        return Err(error.into());
    }
    let run_dir = store.publish(lock, run_directory, keep_runs)?;
    if let Err(error) = remote.prune(keep_runs).await {
        tracing::warn!(%error, "retention on the bucket failed; the run is published, old runs stay until the next run");
    }
    Ok((run_dir, remote.run_url(&run_id)))
}

//! `skillgap fetch labour-market`: one fetch from the *Marché du travail* API into the
//! output store's landing area. The territories asked are the BMO bassins (the grid's, or
//! those its `bmo_bassins.csv` shares onto the grid), the ROME codes those of the ROME
//! referential. Answers are written as received (gzip NDJSON, one answer a line, with the
//! request that produced it) to a hidden file renamed into `landing/labour_market/answers/`
//! once the whole fetch is on disk; the fetch's record goes to
//! `landing/labour_market/fetches/`; the watermark (the latest period landed of each
//! indicator) moves last. A failed fetch leaves no answer file and the watermark as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use skillgap_config::{GridKind, LabourMarketIndicator, Pipeline};
use skillgap_sinks::Store;
use skillgap_sources::france_travail::Connection;
use skillgap_sources::labour_market_api::{Indicator, LabourMarketReport, LabourMarketSettings, LandedAnswer};

use super::landing;
use crate::error::{Error, Result};

/// Where landed answers are, under the output directory.
pub const LABOUR_MARKET_ANSWERS: &str = skillgap_models::staging::LABOUR_MARKET_LANDING;
const FETCH_RECORDS: &str = "landing/labour_market/fetches";
const WATERMARK: &str = "landing/labour_market/watermark.json";
const INPUT: &str = "labour-market API";

/// The watermark: for each indicator, the latest period landed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabourMarketWatermark {
    /// Indicator code → latest period code landed (`2026T2`, `2025`).
    pub latest: BTreeMap<String, String>,
    /// The fetch that set it.
    pub fetch_id: String,
}

/// What `skillgap fetch labour-market` was asked.
#[derive(Debug, Clone)]
pub struct LabourMarketRequest {
    /// The pipeline (its `[fetch.labour_market]` section and its referentials).
    pub pipeline: Pipeline,
    /// `--out`: the output directory instead of the pipeline's.
    pub output: Option<PathBuf>,
    /// `--full`: ask the whole configured history again (the API revises past periods).
    pub full: bool,
    /// The fetch's "now" (tests pin it); the clock otherwise.
    pub now: Option<DateTime<Utc>>,
}

/// What a fetch landed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabourMarketOutcome {
    /// The fetch id.
    pub fetch_id: String,
    /// The landed answer file; `None` when nothing new was published.
    pub answers_file: Option<PathBuf>,
    /// BMO bassins asked.
    pub territories: usize,
    /// ROME codes asked.
    pub romes: usize,
    /// The client's counters.
    pub report: LabourMarketReport,
    /// The watermark before.
    pub watermark_before: BTreeMap<String, String>,
    /// The watermark after.
    pub watermark_after: BTreeMap<String, String>,
}

/// The fetch's record in `landing/labour_market/fetches/<id>.json`.
#[derive(Serialize)]
struct FetchRecord<'a> {
    fetch_id: &'a str,
    fetched_at: String,
    base_url: &'a str,
    territories: &'a [String],
    romes: usize,
    counts: &'a LabourMarketReport,
    answers_file: Option<String>,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    landing::io_error(INPUT, path)
}

/// The BMO bassins asked: the grid's bassins when it is the BMO bassins, else the BMO
/// bassins of its correspondence file (4 characters, as the API names them).
fn territories(pipeline: &Pipeline) -> Result<Vec<String>> {
    let (input, column) = match pipeline.grid.kind {
        GridKind::BmoBassins => ("communes", "code_bassin"),
        GridKind::ZonesEmploi | GridKind::Custom => ("bmo_bassins", "code_bassin_bmo"),
    };
    let codes = crate::ingest::table_column_values(pipeline, input, column)?;
    Ok(codes
        .into_iter()
        .map(|code| format!("{code:0>4}"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect())
}

fn settings(pipeline: &Pipeline) -> Result<(LabourMarketSettings, skillgap_sources::france_travail::Credentials)> {
    let api = pipeline.fetch.as_ref().and_then(|fetch| fetch.labour_market.as_ref()).ok_or_else(|| {
        Error::Argument(format!(
            "{} has no [fetch.labour_market] section: nothing to fetch from",
            pipeline.source.display()
        ))
    })?;
    let credentials = landing::credentials("[fetch.labour_market]", &api.client_id_env, &api.client_secret_env)?;
    let indicators = api
        .indicators
        .iter()
        .map(|indicator| match indicator {
            LabourMarketIndicator::Stock => Indicator::Stock,
            LabourMarketIndicator::Registrations => Indicator::Registrations,
            LabourMarketIndicator::Tension => Indicator::Tension,
        })
        .collect();
    let referential = crate::ingest::table_column_values(pipeline, "rome", "code_rome")?;
    let romes = match &api.romes {
        Some(romes) => {
            if let Some(unknown) = romes.iter().find(|rome| !referential.contains(rome.trim())) {
                return Err(Error::Argument(format!(
                    "[fetch.labour_market] romes: {unknown} is not a code of the ROME referential (inputs.rome)"
                )));
            }
            romes
                .iter()
                .map(|rome| rome.trim().to_owned())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect()
        }
        None => referential.into_iter().collect(),
    };
    let settings = LabourMarketSettings {
        connection: Connection {
            token_url: api.token_url.clone(),
            scope: api.scope.clone(),
            requests_per_second: api.requests_per_second,
            timeout: Duration::from_secs_f64(api.timeout_seconds.max(0.001)),
            retry_budget: api.retry_budget,
            backoff: Duration::from_secs_f64(api.backoff_seconds.max(0.0)),
            max_backoff: Duration::from_secs_f64(api.max_backoff_seconds.max(0.0)),
        },
        base_url: api.base_url.clone(),
        territories: territories(pipeline)?,
        romes,
        indicators,
        history_quarters: api.history_quarters,
        history_years: api.history_years,
    };
    Ok((settings, credentials))
}

/// Runs one fetch.
pub fn fetch_labour_market(request: LabourMarketRequest) -> Result<LabourMarketOutcome> {
    let pipeline = &request.pipeline;
    let (settings, credentials) = settings(pipeline)?;
    let output_dir = request.output.clone().unwrap_or_else(|| pipeline.output_dir());
    let store = Store::new(&output_dir);
    let _lock = store.lock()?;
    let (answers_dir, records_dir) = (output_dir.join(LABOUR_MARKET_ANSWERS), output_dir.join(FETCH_RECORDS));
    for dir in [&answers_dir, &records_dir] {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    let watermark_path = output_dir.join(WATERMARK);
    let watermark: LabourMarketWatermark = landing::read_json(INPUT, &watermark_path)?.unwrap_or_default();
    let asked_after = if request.full { BTreeMap::new() } else { watermark.latest.clone() };
    let now = request.now.unwrap_or_else(Utc::now);
    let fetch_id = landing::fetch_id(now, |id| {
        answers_dir.join(format!("marche-travail-{id}.ndjson.gz")).exists()
            || records_dir.join(format!("{id}.json")).exists()
    });
    let answers_file = answers_dir.join(format!("marche-travail-{fetch_id}.ndjson.gz"));
    let temporary = answers_dir.join(format!(".marche-travail-{fetch_id}.ndjson.gz.tmp"));
    tracing::info!(fetch = %fetch_id, territories = settings.territories.len(), romes = settings.romes.len(), watermark = ?asked_after, "labour-market fetch started");

    let report = match land(&temporary, &settings, &credentials, &asked_after) {
        Ok(report) => report,
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(error);
        }
    };
    let counts = report;
    let asked_anything = counts.periods.values().any(|periods| !periods.is_empty());
    let landed = if asked_anything {
        std::fs::rename(&temporary, &answers_file).map_err(io_error(&answers_file))?;
        Some(answers_file)
    } else {
        let _ = std::fs::remove_file(&temporary);
        None
    };
    let record = FetchRecord {
        fetch_id: &fetch_id,
        fetched_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        base_url: &settings.base_url,
        territories: &settings.territories,
        romes: settings.romes.len(),
        counts: &counts,
        answers_file: landed.as_ref().map(|file| file.strip_prefix(&output_dir).unwrap_or(file).display().to_string()),
    };
    let record_text = serde_json::to_vec_pretty(&record).map_err(|error| Error::Internal(error.to_string()))?;
    landing::write_atomically(INPUT, &records_dir.join(format!("{fetch_id}.json")), &record_text)?;
    // Last: the watermark, once everything it vouches for is durable. An indicator's
    // latest period never moves back (a `--full` fetch that saw an older one).
    let mut after = watermark.latest.clone();
    for (indicator, period) in &counts.latest {
        if after.get(indicator).is_none_or(|previous| previous < period) {
            after.insert(indicator.clone(), period.clone());
        }
    }
    if after != watermark.latest {
        let text =
            serde_json::to_vec_pretty(&LabourMarketWatermark { latest: after.clone(), fetch_id: fetch_id.clone() })
                .map_err(|error| Error::Internal(error.to_string()))?;
        landing::write_atomically(INPUT, &watermark_path, &text)?;
    }
    tracing::info!(fetch = %fetch_id, answers = counts.answers, no_data = counts.no_data, items = counts.items, "labour-market fetch landed");
    Ok(LabourMarketOutcome {
        fetch_id,
        answers_file: landed,
        territories: settings.territories.len(),
        romes: settings.romes.len(),
        report: counts,
        watermark_before: watermark.latest,
        watermark_after: after,
    })
}

/// Fetches into the temporary answer file, synced to disk.
fn land(
    temporary: &Path,
    settings: &LabourMarketSettings,
    credentials: &skillgap_sources::france_travail::Credentials,
    watermark: &BTreeMap<String, String>,
) -> Result<LabourMarketReport> {
    landing::land_lines(INPUT, temporary, |write| {
        skillgap_sources::labour_market_api::fetch_labour_market(
            settings,
            credentials,
            watermark,
            &mut |answer: &LandedAnswer<'_>| {
                let line = serde_json::json!({"indicator": answer.indicator.code(), "request": answer.request, "status": answer.status, "body": answer.body});
                write(&line.to_string())
            },
        )
    })
}

/// The landed answer files of an output directory, oldest first.
pub fn landed_answers(output_dir: &Path) -> Vec<PathBuf> {
    landing::landed_files(&output_dir.join(LABOUR_MARKET_ANSWERS))
}

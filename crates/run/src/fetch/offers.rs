//! `skillgap fetch offers`: one fetch from the *Offres d'emploi v2* API into the output
//! store's landing area, then the watermark. Pages are written as received (gzip NDJSON,
//! one page a line) to a hidden file renamed into `landing/offers/pages/` only once the
//! whole fetch has arrived and is on disk; the fetch's record (time, window, query,
//! counts — never a credential) goes to `landing/offers/fetches/`; the watermark moves
//! last. A failed fetch leaves no page file and the watermark where it was. `skillgap run`
//! reads the landed pages as part of the offers input.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use skillgap_config::Pipeline;
use skillgap_sinks::Store;
use skillgap_sources::offers_api::{
    ApiSettings, Connection, Credentials, FetchReport, FetchWindow, Page, fetch_offers,
};

use super::landing;
use crate::error::{Error, Result};

/// Where landed pages are, under the output directory.
pub const LANDED_PAGES: &str = "landing/offers/pages";
const FETCH_RECORDS: &str = "landing/offers/fetches";
const WATERMARK: &str = "landing/offers/watermark.json";

/// The watermark: offers updated after this are new to the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    /// The greatest `dateActualisation` landed so far.
    pub updated_after: DateTime<Utc>,
    /// The fetch that set it.
    pub fetch_id: String,
}

/// What `skillgap fetch offers` was asked.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// The pipeline (its `[fetch.offers]` section).
    pub pipeline: Pipeline,
    /// `--since` (RFC 3339 instant or YYYY-MM-DD, UTC): fetch offers updated after this
    /// instead of after the watermark.
    pub since: Option<String>,
    /// `--out`: the output directory instead of the pipeline's.
    pub output: Option<PathBuf>,
    /// The fetch's "now" (tests pin it); the clock otherwise.
    pub now: Option<DateTime<Utc>>,
}

/// What a fetch landed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FetchOutcome {
    /// The fetch id (also the landed file's name).
    pub fetch_id: String,
    /// The landed page file.
    pub pages_file: PathBuf,
    /// The client's counters.
    pub offers: u64,
    /// Offers updated after the previous watermark.
    pub offers_new: u64,
    /// Pages received.
    pub pages: u64,
    /// Requests and retries.
    pub requests: u64,
    /// Retries spent.
    pub retries: u32,
    /// The watermark before and after.
    pub watermark_before: Option<DateTime<Utc>>,
    /// The watermark after.
    pub watermark_after: Option<DateTime<Utc>>,
}

/// The fetch's record in `landing/offers/fetches/<id>.json`.
#[derive(Serialize)]
struct FetchRecord<'a> {
    fetch_id: &'a str,
    fetched_at: String,
    search_url: &'a str,
    departements: &'a [String],
    created_from: String,
    created_to: String,
    updated_after: Option<String>,
    pages: u64,
    offers: u64,
    offers_new: u64,
    requests: u64,
    retries: u32,
    pages_file: String,
}

const INPUT: &str = "offers API";

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    landing::io_error(INPUT, path)
}

/// Removes landed page files and fetch records of fetches before `cutoff`.
fn prune_landing(pages_dir: &Path, records_dir: &Path, cutoff: DateTime<Utc>) -> Result<usize> {
    let fetched_at = |name: &str| -> Option<DateTime<Utc>> {
        let stamp = name.strip_prefix("offres-").unwrap_or(name);
        let stamp = stamp.split('.').next()?;
        chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").ok().map(|t| t.and_utc())
    };
    let mut removed = 0;
    for dir in [pages_dir, records_dir] {
        for entry in std::fs::read_dir(dir).map_err(io_error(dir))?.filter_map(std::result::Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && fetched_at(&name).is_some_and(|at| at < cutoff) {
                std::fs::remove_file(entry.path()).map_err(io_error(&entry.path()))?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

fn settings(pipeline: &Pipeline) -> Result<(ApiSettings, Credentials, u32)> {
    let api = pipeline.fetch.as_ref().and_then(|fetch| fetch.offers.as_ref()).ok_or_else(|| {
        Error::Argument(format!("{} has no [fetch.offers] section: nothing to fetch from", pipeline.source.display()))
    })?;
    let credentials = landing::credentials("[fetch.offers]", &api.client_id_env, &api.client_secret_env)?;
    let settings = ApiSettings {
        connection: Connection {
            token_url: api.token_url.clone(),
            scope: api.scope.clone(),
            requests_per_second: api.requests_per_second,
            timeout: Duration::from_secs_f64(api.timeout_seconds.max(0.001)),
            retry_budget: api.retry_budget,
            backoff: Duration::from_secs_f64(api.backoff_seconds.max(0.0)),
            max_backoff: Duration::from_secs_f64(api.max_backoff_seconds.max(0.0)),
        },
        search_url: api.search_url.clone(),
        departements: api.departements.clone(),
        max_index: api.max_index,
    };
    Ok((settings, credentials, api.history_days))
}

/// Runs one fetch.
pub fn fetch(request: FetchRequest) -> Result<FetchOutcome> {
    let pipeline = &request.pipeline;
    let (settings, credentials, history_days) = settings(pipeline)?;
    let output_dir = request.output.clone().unwrap_or_else(|| pipeline.output_dir());
    let store = Store::new(&output_dir);
    let _lock = store.lock()?;
    let (pages_dir, records_dir) = (output_dir.join(LANDED_PAGES), output_dir.join(FETCH_RECORDS));
    for dir in [&pages_dir, &records_dir] {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    let watermark_path = output_dir.join(WATERMARK);
    let watermark: Option<Watermark> = landing::read_json(INPUT, &watermark_path)?;
    // The API's bounds are whole seconds: round up, so that an offer created earlier in the
    // current second is inside the window.
    let now = request.now.unwrap_or_else(Utc::now);
    let now = DateTime::from_timestamp(now.timestamp() + 1, 0).unwrap_or(now);
    let since = request
        .since
        .as_deref()
        .map(|since| landing::parse_instant("--since", since))
        .transpose()?
        .or(watermark.as_ref().map(|w| w.updated_after));
    // The API's `publieeDepuis` reaches 31 days back: older than that, fetch everything.
    let updated_after = since.filter(|s| now - *s <= chrono::Duration::days(31));
    if since.is_some() && updated_after.is_none() {
        tracing::warn!(since = ?since, "the watermark is more than 31 days old: full fetch");
    }
    let window = FetchWindow {
        created_from: now - chrono::Duration::days(i64::from(history_days)),
        created_to: now,
        updated_after,
    };
    let fetch_id = landing::fetch_id(now, |id| {
        pages_dir.join(format!("offres-{id}.ndjson.gz")).exists() || records_dir.join(format!("{id}.json")).exists()
    });
    let pages_file = pages_dir.join(format!("offres-{fetch_id}.ndjson.gz"));
    let temporary = pages_dir.join(format!(".offres-{fetch_id}.ndjson.gz.tmp"));
    tracing::info!(fetch = %fetch_id, updated_after = ?updated_after, departements = settings.departements.len(), "fetch started");

    let result = land(&temporary, &settings, &credentials, &window);
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(error);
        }
    };
    std::fs::rename(&temporary, &pages_file).map_err(io_error(&pages_file))?;
    let record = FetchRecord {
        fetch_id: &fetch_id,
        fetched_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        search_url: &settings.search_url,
        departements: &settings.departements,
        created_from: window.created_from.to_rfc3339_opts(SecondsFormat::Secs, true),
        created_to: window.created_to.to_rfc3339_opts(SecondsFormat::Secs, true),
        updated_after: updated_after.map(|u| u.to_rfc3339_opts(SecondsFormat::Millis, true)),
        pages: report.pages,
        offers: report.offers,
        offers_new: report.offers_kept,
        requests: report.requests,
        retries: report.retries,
        pages_file: pages_file.strip_prefix(&output_dir).unwrap_or(&pages_file).display().to_string(),
    };
    let record_text = serde_json::to_vec_pretty(&record).map_err(|error| Error::Internal(error.to_string()))?;
    landing::write_atomically(INPUT, &records_dir.join(format!("{fetch_id}.json")), &record_text)?;
    // Last: the watermark, once everything it vouches for is durable.
    let watermark_after = match (report.max_updated, &watermark) {
        (Some(max), Some(previous)) if max <= previous.updated_after => Some(previous.updated_after),
        (Some(max), _) => {
            let text = serde_json::to_vec_pretty(&Watermark { updated_after: max, fetch_id: fetch_id.clone() })
                .map_err(|error| Error::Internal(error.to_string()))?;
            landing::write_atomically(INPUT, &watermark_path, &text)?;
            Some(max)
        }
        (None, previous) => previous.as_ref().map(|w| w.updated_after),
    };
    tracing::info!(fetch = %fetch_id, offers = report.offers, new = report.offers_kept, pages = report.pages, "fetch landed");
    if let Some(days) =
        pipeline.fetch.as_ref().and_then(|f| f.offers.as_ref()).and_then(|offers| offers.keep_landed_days)
    {
        let removed = prune_landing(&pages_dir, &records_dir, now - chrono::Duration::days(i64::from(days)))?;
        tracing::info!(removed, days, "landed files past retention removed");
    }
    Ok(FetchOutcome {
        fetch_id,
        pages_file,
        offers: report.offers,
        offers_new: report.offers_kept,
        pages: report.pages,
        requests: report.requests,
        retries: report.retries,
        watermark_before: watermark.map(|w| w.updated_after),
        watermark_after,
    })
}

/// Fetches into the temporary page file, synced to disk.
fn land(
    temporary: &Path,
    settings: &ApiSettings,
    credentials: &Credentials,
    window: &FetchWindow,
) -> Result<FetchReport> {
    let mut pages = 0u64;
    landing::land_lines(INPUT, temporary, |write| {
        fetch_offers(settings, credentials, window, &mut |page: &Page| {
            pages += 1;
            tracing::info!(target: skillgap_sources::PROGRESS, task = "pages d'offres", unit = "pages", done = pages, total = 0u64);
            // A JSON text's line breaks are white space: folding them keeps one page a line
            // without parsing it.
            write(&page.body.replace(['\r', '\n'], " "))
        })
    })
}

/// The landed page files of an output directory, oldest first.
pub fn landed_pages(output_dir: &Path) -> Vec<PathBuf> {
    landing::landed_files(&output_dir.join(LANDED_PAGES))
}

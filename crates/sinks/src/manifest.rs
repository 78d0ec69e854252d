//! The run manifest (`manifest.json` in each run directory): what was read (locations,
//! vintages, sizes, checksums, row counts), what was written, how long each stage took,
//! with which code and pipeline. It never holds a secret: only input locations relative
//! to their named roots. Written by the run, read by the sheets, the audit and the nightly
//! run that builds on it: one typed record for all.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use skillgap_config::Semester;

use crate::error::{Error, Result};

/// The manifest of one published run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Run id (start time, UTC).
    pub run_id: String,
    /// Reference date D.
    pub as_of: NaiveDate,
    /// Semester of a semester run (`2026-S1`).
    pub semester: Option<Semester>,
    /// skillgap version.
    pub code_version: String,
    /// Pipeline name.
    pub pipeline: String,
    /// SHA-256 of the pipeline file's text.
    pub pipeline_sha256: String,
    /// Start of the run (UTC, RFC 3339).
    pub started_at: DateTime<Utc>,
    /// End of the run (UTC, RFC 3339).
    pub finished_at: DateTime<Utc>,
    /// The run that was current before this one.
    pub previous_run: Option<String>,
    /// Thresholds used.
    pub thresholds: Thresholds,
    /// Every input.
    pub inputs: Vec<InputReport>,
    /// Every output table.
    pub outputs: Vec<OutputReport>,
    /// Stage durations.
    pub stages: Vec<StageReport>,
    /// Codes seen in the inputs that their referential does not know, with row counts.
    #[serde(default)]
    pub unknown_codes: Vec<UnknownCodeReport>,
    /// The run this one was built on (a nightly run that read only the new offer files and
    /// reused the rest: see `docs/operations.md`); absent for a full run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub built_on: Option<String>,
    /// The disclosure audit of the public tables (absent in runs written before it).
    #[serde(default)]
    pub audit: Option<AuditSummary>,
    /// Where the plans ran: `local`, `standalone` or the Ballista scheduler's URL.
    #[serde(default = "default_engine")]
    pub engine: String,
}

impl Manifest {
    /// The manifest of the run at `run_dir`.
    pub fn read(run_dir: &Path) -> Result<Self> {
        let path = run_dir.join(MANIFEST_FILE);
        let failed = |message: String| Error::Manifest { path: path.clone(), message };
        let text = std::fs::read_to_string(&path).map_err(|error| failed(error.to_string()))?;
        serde_json::from_str(&text).map_err(|error| failed(error.to_string()))
    }

    /// The run's figures a rounding base applies to were rounded to this (1 in runs
    /// written before rounding).
    pub fn rounding_base(&self) -> i64 {
        self.thresholds.rounding_base
    }
}

/// The manifest's file name in a run directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The engine of manifests written before there was a choice: `local`.
fn default_engine() -> String {
    "local".to_owned()
}

/// A code a referential does not know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnknownCodeReport {
    /// `rome`, `formacode`, `commune` or `bassin`.
    pub referential: String,
    /// The input it was seen in.
    pub input: String,
    /// The code.
    pub code: String,
    /// Rows carrying it.
    pub rows: i64,
}

/// What the disclosure audit checked and what secrecy cost (`metrics.md` § Statistical
/// secrecy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditSummary {
    /// Person-count cells of the public tables (published or suppressed).
    pub cells: usize,
    /// Suppressed counts by the table-by-table rules (primary and secondary).
    pub suppressed_before_audit: usize,
    /// Suppressed counts published: those and the audit's additions.
    pub suppressed: usize,
    /// Counts the audit suppressed because the published figures pinned another.
    pub added_by_audit: usize,
    /// Equations the public tables state between counts.
    pub equations: usize,
    /// Linear programmes solved.
    pub programmes: usize,
    /// The narrowest interval a suppressed count was allowed.
    pub protection_range: f64,
    /// Rounding base of published counts.
    pub rounding_base: i64,
}

/// Thresholds of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// `MIN_DENOM`.
    pub min_denom: f64,
    /// `MIN_COUNT`.
    pub min_count: i64,
    /// `max_reject_ratio`.
    pub max_reject_ratio: f64,
    /// Rounding base of published person counts.
    #[serde(default = "one")]
    pub rounding_base: i64,
    /// The disclosure audit's protection range (absent in runs written before the audit).
    #[serde(default)]
    pub protection_range: Option<f64>,
}

/// Runs written before rounding published exact counts.
fn one() -> i64 {
    1
}

/// One input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputReport {
    /// Input name.
    pub name: String,
    /// Vintage from the pipeline file.
    pub vintage: Option<String>,
    /// Files: location (`root:path`), bytes, SHA-256.
    pub files: Vec<InputFileReport>,
    /// Records read.
    pub rows_read: u64,
    /// Records rejected.
    pub rows_rejected: u64,
    /// Records kept (before deduplication).
    pub rows_kept: u64,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFileReport {
    /// `root:relative/path`.
    pub location: String,
    /// Stored size.
    pub bytes: u64,
    /// SHA-256 of the stored bytes.
    pub sha256: String,
}

/// One output table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputReport {
    /// `layer.table`.
    pub table: String,
    /// Rows.
    pub rows: u64,
    /// Files relative to the run directory, with their sizes.
    pub files: Vec<(String, u64)>,
}

/// One stage's duration and resources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageReport {
    /// Stage name.
    pub stage: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// CPU seconds of the process (user + system, every thread) during the stage; absent
    /// where the platform does not report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    /// The process's peak resident memory (MiB) at the end of the stage, since it started;
    /// absent where the platform does not report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mib: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_typed_and_a_bad_date_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = Manifest {
            run_id: "20261207T212514Z".to_owned(),
            as_of: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            semester: "2026-S1".parse().ok(),
            code_version: "0.1.0".to_owned(),
            pipeline: "demo".to_owned(),
            pipeline_sha256: "00".to_owned(),
            started_at: "2026-12-07T21:25:14.123Z".parse().unwrap(),
            finished_at: "2026-12-07T21:26:00.000Z".parse().unwrap(),
            previous_run: None,
            thresholds: Thresholds {
                min_denom: 20.0,
                min_count: 5,
                max_reject_ratio: 0.05,
                rounding_base: 10,
                protection_range: None,
            },
            inputs: Vec::new(),
            outputs: Vec::new(),
            stages: Vec::new(),
            unknown_codes: Vec::new(),
            built_on: None,
            audit: None,
            engine: "local".to_owned(),
        };
        let text = serde_json::to_string(&manifest).unwrap();
        assert!(text.contains(r#""as_of":"2026-07-01""#) && text.contains(r#""semester":"2026-S1""#), "{text}");
        assert!(text.contains(r#""started_at":"2026-12-07T21:25:14.123Z""#), "{text}");
        std::fs::write(dir.path().join(MANIFEST_FILE), &text).unwrap();
        assert_eq!(Manifest::read(dir.path()).unwrap(), manifest);

        std::fs::write(dir.path().join(MANIFEST_FILE), text.replace("2026-07-01", "2026-07-32")).unwrap();
        let error = Manifest::read(dir.path()).unwrap_err().to_string();
        assert!(error.contains(MANIFEST_FILE) && error.contains("input is out of range"), "{error}");
    }
}

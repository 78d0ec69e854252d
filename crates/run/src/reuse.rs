//! Nightly runs that build on the previous published run. When nothing changed since it
//! but new offer files after the ones it read — same skillgap version, same pipeline file,
//! every other input byte for byte the same, the offer files it read still there and
//! unchanged, in the same order, before the new ones — a run reads only the new offer
//! files, links the previous run's bronze offers and catalogue, its `silver.sessions` and
//! its offers' and catalogue's rejects, and merges the new offers into its
//! `silver.offers`. The outputs are those of a full run on the same inputs (tested). Any
//! other change means a full run; the log says why.

use std::path::{Path, PathBuf};

use skillgap_sinks::Manifest;
use skillgap_sources::InputFile;

use crate::error::{Error, Result};

/// Tables a nightly run links from the previous run, which must hold them.
const REUSED_TABLES: [&str; 5] = ["bronze/offers", "bronze/lheo", "silver/offers", "silver/sessions", "silver/rejects"];

/// The previous published run, when a run could build on it.
pub(crate) struct PreviousRun {
    /// Its directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

/// What this run reuses of the previous one.
#[derive(Debug, Clone)]
pub struct Reuse {
    /// The previous run's id.
    pub run: String,
    /// Its directory.
    pub dir: PathBuf,
    /// The number of offer files it read (the first ones of this run's list): new
    /// records have a `record_order` of at least `first_record_order` of it.
    pub offer_files_read: usize,
}

impl PreviousRun {
    /// The previous run at `dir` if it was written by this version of skillgap from the
    /// same pipeline file (`pipeline_sha256`) and holds the tables a nightly run links.
    pub(crate) fn open(dir: &Path, pipeline_sha256: &str) -> Option<Self> {
        let manifest = Manifest::read(dir).ok()?;
        let why_not = if manifest.code_version != env!("CARGO_PKG_VERSION") {
            Some("it was written by another version of skillgap")
        } else if manifest.pipeline_sha256 != pipeline_sha256 {
            Some("the pipeline file changed since")
        } else if !REUSED_TABLES.iter().all(|table| dir.join(table).is_dir()) {
            Some("it lacks a table to reuse (offers, catalogue, sessions or rejects)")
        } else {
            None
        };
        if let Some(reason) = why_not {
            tracing::info!(previous = %manifest.run_id, reason, "full run: the previous run cannot be built on");
            return None;
        }
        Some(Self { dir: dir.to_path_buf(), manifest })
    }

    /// Whether `input` read exactly `files` (locations, sizes and checksums) last time.
    fn read_the_same(&self, input: &str, files: &[(String, InputFile)]) -> bool {
        let Some(previous) = self.manifest.inputs.iter().find(|i| i.name == input) else { return false };
        previous.files.len() == files.len()
            && previous.files.iter().zip(files).all(|(before, (location, now))| {
                before.location == *location && before.bytes == now.bytes && before.sha256 == now.sha256
            })
    }

    /// How many of `files` the previous run read, when they are its whole list of offer
    /// files, unchanged and first.
    fn offer_files_read(&self, files: &[(String, InputFile)]) -> Option<usize> {
        let previous = self.manifest.inputs.iter().find(|i| i.name == "offers")?;
        let read = previous.files.len();
        (read <= files.len() && self.read_the_same("offers", &files[..read])).then_some(read)
    }

    /// What this run can reuse of the previous one, given every input but the offers as
    /// (name, files) and the offer files: nothing (a full run, logged with its reason)
    /// unless those inputs are unchanged and the offer files it read come first, unchanged.
    pub(crate) fn reuse_for<'a>(
        &self,
        other_inputs: impl IntoIterator<Item = (&'a str, &'a [(String, InputFile)])>,
        offers: &[(String, InputFile)],
    ) -> Option<Reuse> {
        let reason = if !other_inputs.into_iter().all(|(name, files)| self.read_the_same(name, files)) {
            "an input other than the offers changed"
        } else {
            match self.offer_files_read(offers) {
                Some(read) if read > 0 => {
                    return Some(Reuse {
                        run: self.manifest.run_id.clone(),
                        dir: self.dir.clone(),
                        offer_files_read: read,
                    });
                }
                Some(_) => "it read no offer file",
                None => "offer files it read changed or are gone",
            }
        };
        tracing::info!(previous = %self.manifest.run_id, reason, "full run");
        None
    }

    /// Records the previous run read of `input`.
    pub(crate) fn records(&self, input: &str) -> u64 {
        self.manifest.inputs.iter().find(|i| i.name == input).map_or(0, |i| i.rows_read)
    }
}

/// Links (hard links, else copies) every Parquet file of `from` into `to`; returns the
/// files in `to`, in name order.
pub(crate) fn link_parquet_files(from: &Path, to: &Path) -> Result<Vec<PathBuf>> {
    let failed = |path: &Path, source: std::io::Error| {
        Error::Internal(format!("cannot link {} into this run: {source}", path.display()))
    };
    std::fs::create_dir_all(to).map_err(|source| failed(to, source))?;
    let mut names: Vec<_> = std::fs::read_dir(from)
        .map_err(|source| failed(from, source))?
        .filter_map(|entry| entry.ok().map(|entry| entry.file_name()))
        .filter(|name| Path::new(name).extension().is_some_and(|extension| extension == "parquet"))
        .collect();
    names.sort();
    let mut linked = Vec::new();
    for name in names {
        let (source, target) = (from.join(&name), to.join(&name));
        if std::fs::hard_link(&source, &target).is_err() {
            std::fs::copy(&source, &target).map_err(|error| failed(&source, error))?;
        }
        linked.push(target);
    }
    Ok(linked)
}

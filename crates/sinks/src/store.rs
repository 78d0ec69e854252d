//! The local output store. Layout under the output directory:
//!
//! ```text
//! .lock                       held by the running run (advisory file lock)
//! .staging/<run>/…            the run being written (never read by anyone else)
//! runs/<run>/{bronze,silver,gold}/<table>/part-0.parquet, manifest.json
//! current -> runs/<run>       symbolic link, replaced atomically (rename) on publish
//! ```
//!
//! A run becomes visible in two atomic renames: its finished staging directory into
//! `runs/`, then a new `current` link over the old one. A reader that resolved `current`
//! keeps reading a complete run; a crash at any point leaves the previous run current.
//! Retention first renames an old run out of `runs/` into `.trash/`, then deletes it, so
//! a kill mid-deletion never leaves half a run listed; a run whose manifest is missing,
//! unreadable or names a file that is not there is never listed nor made current.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, io};

/// Name of the link to the current run.
pub const CURRENT: &str = "current";
const RUNS: &str = "runs";
const STAGING: &str = ".staging";
const LOCK: &str = ".lock";
const TRASH: &str = ".trash";
const MANIFEST: &str = "manifest.json";
/// A file in a run directory that protects it from retention (semester snapshots).
pub const KEEP_MARKER: &str = "KEEP";

/// An output directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// The store's lock, released when dropped.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

/// A run's staging directory.
#[derive(Debug)]
pub struct RunDirectory {
    /// The run id.
    pub run_id: String,
    /// Where its files are written.
    pub path: PathBuf,
}

fn sync_directory(path: &Path) -> Result<()> {
    File::open(path).and_then(|d| d.sync_all()).map_err(io("syncing directory", path))
}

impl Store {
    /// The store at `root` (created on first lock).
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf() }
    }

    /// The output directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the store's lock, or fails at once with [`Error::Locked`].
    pub fn lock(&self) -> Result<StoreLock> {
        std::fs::create_dir_all(&self.root).map_err(io("creating output directory", &self.root))?;
        let path = self.root.join(LOCK);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io("opening lock", &path))?;
        match file.try_lock() {
            Ok(()) => Ok(StoreLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(Error::Locked { location: path.display().to_string(), holder: String::new() })
            }
            Err(std::fs::TryLockError::Error(source)) => Err(Error::Io { action: "locking", path, source }),
        }
    }

    /// A fresh staging directory for `run_id`; leftovers of killed runs (and of a retention
    /// that was killed) are removed.
    pub fn begin_run(&self, _lock: &StoreLock, run_id: &str) -> Result<RunDirectory> {
        for leftover in [STAGING, TRASH] {
            let path = self.root.join(leftover);
            if path.exists() {
                std::fs::remove_dir_all(&path).map_err(io("removing leftovers", &path))?;
            }
        }
        let staging = self.root.join(STAGING);
        let path = staging.join(run_id);
        std::fs::create_dir_all(&path).map_err(io("creating staging", &path))?;
        Ok(RunDirectory { run_id: run_id.to_owned(), path })
    }

    /// Removes a failed run's staging directory.
    pub fn abandon(&self, run: RunDirectory) {
        if let Err(error) = std::fs::remove_dir_all(&run.path) {
            tracing::warn!(path = %run.path.display(), %error, "could not remove the failed run's staging directory");
        }
    }

    /// Publishes a finished run: moves it into `runs/`, points `current` at it, then keeps
    /// the `keep_runs` most recent other runs (and every run marked [`KEEP_MARKER`]).
    pub fn publish(&self, lock: &StoreLock, run: RunDirectory, keep_runs: usize) -> Result<PathBuf> {
        let runs = self.root.join(RUNS);
        std::fs::create_dir_all(&runs).map_err(io("creating", &runs))?;
        let target = runs.join(&run.run_id);
        std::fs::rename(&run.path, &target).map_err(io("moving the finished run into", &target))?;
        sync_directory(&runs)?;
        self.point_current_at(lock, &run.run_id)?;
        self.prune(keep_runs)?;
        Ok(target)
    }

    /// Makes `run_id` current (publish, rollback); refuses a run that is not complete.
    pub fn point_current_at(&self, _lock: &StoreLock, run_id: &str) -> Result<()> {
        self.run_dir(run_id)?;
        let temporary = self.root.join(format!(".{CURRENT}-{run_id}.tmp"));
        let _ = std::fs::remove_file(&temporary);
        std::os::unix::fs::symlink(Path::new(RUNS).join(run_id), &temporary)
            .map_err(io("creating link", &temporary))?;
        let current = self.root.join(CURRENT);
        std::fs::rename(&temporary, &current).map_err(io("replacing", &current))?;
        sync_directory(&self.root)
    }

    /// The current run's id, if any.
    pub fn current_run(&self) -> Result<Option<String>> {
        let current = self.root.join(CURRENT);
        match std::fs::read_link(&current) {
            Ok(target) => Ok(target.file_name().map(|name| name.to_string_lossy().into_owned())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { action: "reading link", path: current, source }),
        }
    }

    /// The current run's directory, or [`Error::NothingPublished`].
    pub fn current_dir(&self) -> Result<PathBuf> {
        match self.current_run()? {
            Some(run) => Ok(self.root.join(RUNS).join(run)),
            None => Err(Error::NothingPublished { location: self.root.display().to_string() }),
        }
    }

    /// A published run's directory; a run that is not complete is refused.
    pub fn run_dir(&self, run_id: &str) -> Result<PathBuf> {
        let path = self.root.join(RUNS).join(run_id);
        if run_id.contains('/') || run_id.starts_with('.') || !path.is_dir() {
            return Err(Error::UnknownRun { run: run_id.to_owned(), location: self.root.display().to_string() });
        }
        if let Some(problem) = incompleteness(&path) {
            return Err(Error::IncompleteRun {
                run: run_id.to_owned(),
                location: self.root.display().to_string(),
                problem,
            });
        }
        Ok(path)
    }

    /// Complete published run ids, oldest first (ids sort by time). An incomplete run
    /// directory is logged and left out.
    pub fn runs(&self) -> Result<Vec<String>> {
        let mut complete = Vec::new();
        for id in self.run_directories()? {
            match incompleteness(&self.root.join(RUNS).join(&id)) {
                None => complete.push(id),
                Some(problem) => tracing::warn!(run = %id, %problem, "incomplete run directory: not listed"),
            }
        }
        Ok(complete)
    }

    /// Every directory under `runs/`, complete or not, oldest first.
    fn run_directories(&self) -> Result<Vec<String>> {
        let runs = self.root.join(RUNS);
        if !runs.is_dir() {
            return Ok(Vec::new());
        }
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&runs).map_err(io("listing", &runs))? {
            let entry = entry.map_err(io("listing", &runs))?;
            if entry.path().is_dir() {
                ids.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Keeps the `keep_runs` newest complete runs besides the current one (and those marked
    /// [`KEEP_MARKER`]); removes the others, and incomplete run directories.
    fn prune(&self, keep_runs: usize) -> Result<()> {
        let current = self.current_run()?;
        let complete = self.runs()?;
        let others: Vec<&String> = complete.iter().filter(|id| Some(*id) != current.as_ref()).collect();
        let removable = others.len().saturating_sub(keep_runs);
        let old =
            others.into_iter().take(removable).filter(|id| !self.root.join(RUNS).join(id).join(KEEP_MARKER).exists());
        let directories = self.run_directories()?;
        let incomplete = directories.iter().filter(|id| !complete.contains(id) && Some(*id) != current.as_ref());
        for id in old.chain(incomplete) {
            self.remove_run(id)?;
        }
        Ok(())
    }

    /// Moves a run out of `runs/` in one rename, then deletes it.
    fn remove_run(&self, id: &str) -> Result<()> {
        let trash = self.root.join(TRASH);
        std::fs::create_dir_all(&trash).map_err(io("creating", &trash))?;
        let from = self.root.join(RUNS).join(id);
        let to = trash.join(id);
        std::fs::rename(&from, &to).map_err(io("moving an old run out of runs/ to", &to))?;
        sync_directory(&self.root.join(RUNS))?;
        std::fs::remove_dir_all(&to).map_err(io("removing old run", &to))?;
        tracing::info!(run = %id, "old run removed by retention");
        Ok(())
    }
}

/// The files a run's manifest lists (the fields of `skillgap-run`'s manifest that this
/// store checks).
#[derive(serde::Deserialize)]
struct ListedFiles {
    outputs: Vec<ListedTable>,
}

#[derive(serde::Deserialize)]
struct ListedTable {
    files: Vec<(String, u64)>,
}

/// Why a run directory is not a complete run, if it is not: no manifest, a manifest that
/// does not parse, or a listed file absent or of another size.
fn incompleteness(run: &Path) -> Option<String> {
    let text = match std::fs::read_to_string(run.join(MANIFEST)) {
        Ok(text) => text,
        Err(error) => return Some(format!("{MANIFEST}: {error}")),
    };
    let listed: ListedFiles = match serde_json::from_str(&text) {
        Ok(listed) => listed,
        Err(error) => return Some(format!("{MANIFEST} does not parse: {error}")),
    };
    for (file, bytes) in listed.outputs.iter().flat_map(|table| &table.files) {
        match std::fs::metadata(run.join(file)) {
            Ok(metadata) if metadata.len() == *bytes => {}
            Ok(metadata) => return Some(format!("{file} has {} bytes, the manifest says {bytes}", metadata.len())),
            Err(error) => return Some(format!("{file}: {error}")),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(store: &Store, id: &str, keep: usize) {
        let lock = store.lock().unwrap();
        let run = store.begin_run(&lock, id).unwrap();
        std::fs::write(run.path.join("data"), id).unwrap();
        let manifest = format!(
            "{{\"run_id\": \"{id}\", \"outputs\": [{{\"table\": \"t\", \"files\": [[\"data\", {}]]}}]}}",
            id.len()
        );
        std::fs::write(run.path.join(MANIFEST), manifest).unwrap();
        store.publish(&lock, run, keep).unwrap();
    }

    #[test]
    fn an_incomplete_run_is_never_listed_nor_made_current_and_retention_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        for id in ["r1", "r2", "r3", "r4"] {
            publish(&store, id, 5);
        }
        // r1 lost its manifest, r2 a listed file, r3's manifest was cut (as a kill would).
        std::fs::remove_file(dir.path().join("runs/r1").join(MANIFEST)).unwrap();
        std::fs::remove_file(dir.path().join("runs/r2/data")).unwrap();
        let manifest = std::fs::read_to_string(dir.path().join("runs/r3").join(MANIFEST)).unwrap();
        std::fs::write(dir.path().join("runs/r3").join(MANIFEST), &manifest[..manifest.len() / 2]).unwrap();
        assert_eq!(store.runs().unwrap(), ["r4"]);
        let lock = store.lock().unwrap();
        for (id, problem) in [("r1", "manifest.json"), ("r2", "data"), ("r3", "does not parse")] {
            let error = store.point_current_at(&lock, id).unwrap_err();
            assert!(
                matches!(error, Error::IncompleteRun { .. }) && error.to_string().contains(problem),
                "{id}: {error}"
            );
        }
        assert_eq!(store.current_run().unwrap().as_deref(), Some("r4"));
        drop(lock);
        publish(&store, "r5", 5);
        assert_eq!(store.run_directories().unwrap(), ["r4", "r5"], "incomplete runs are removed by retention");
        assert!(!dir.path().join(TRASH).join("r1").exists());
    }

    #[test]
    fn a_retention_killed_midway_leaves_nothing_half_listed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        publish(&store, "r1", 5);
        publish(&store, "r2", 5);
        // What a kill between the rename and the end of the deletion leaves behind.
        std::fs::create_dir_all(dir.path().join(TRASH).join("r0/gold")).unwrap();
        assert_eq!(store.runs().unwrap(), ["r1", "r2"]);
        publish(&store, "r3", 5);
        assert!(!dir.path().join(TRASH).exists(), "the next run clears the trash");
    }

    #[test]
    fn publishing_moves_current_and_retention_keeps_the_newest_and_marked_runs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        assert!(matches!(store.current_dir(), Err(Error::NothingPublished { .. })));
        publish(&store, "r1", 1);
        std::fs::write(store.run_dir("r1").unwrap().join(KEEP_MARKER), "").unwrap();
        publish(&store, "r2", 1);
        publish(&store, "r3", 1);
        publish(&store, "r4", 1);
        assert_eq!(store.current_run().unwrap().as_deref(), Some("r4"));
        assert_eq!(std::fs::read_to_string(dir.path().join("current/data")).unwrap(), "r4");
        assert_eq!(store.runs().unwrap(), ["r1", "r3", "r4"]);
    }

    #[test]
    fn a_second_lock_is_refused_while_the_first_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let first = store.lock().unwrap();
        assert!(matches!(store.lock(), Err(Error::Locked { .. })));
        drop(first);
        assert!(store.lock().is_ok());
    }

    #[test]
    fn rollback_points_current_at_an_earlier_run_and_refuses_unknown_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        publish(&store, "r1", 5);
        publish(&store, "r2", 5);
        let lock = store.lock().unwrap();
        store.point_current_at(&lock, "r1").unwrap();
        assert_eq!(store.current_run().unwrap().as_deref(), Some("r1"));
        assert!(store.point_current_at(&lock, "../etc").is_err());
        assert!(store.run_dir("../r1").is_err());
    }
}

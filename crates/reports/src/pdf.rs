//! PDF from the HTML sheets, printed by headless Chromium when it is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The Chromium binary on the PATH, if any.
pub fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The flags headless Chromium needs here (root, no GPU, no network chatter), with a fresh
/// profile directory.
pub fn headless_arguments(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

/// Prints `html` to `pdf` (A4, as the print stylesheet lays it out).
pub fn print(html: &Path, pdf: &Path) -> Result<()> {
    let binary = chromium().ok_or_else(|| Error::Write {
        path: pdf.to_path_buf(),
        message: "PDF needs headless Chromium (Debian package `chromium`), which is not installed; the HTML and XLSX sheets are written".to_owned(),
    })?;
    // A fresh profile per print: sheets print in parallel, and two Chromiums on one
    // profile would meet through its singleton lock.
    static PRINTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let print = PRINTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile = std::env::temp_dir().join(format!("skillgap-chromium-{}-{print}", std::process::id()));
    let absolute = std::fs::canonicalize(html)
        .map_err(|error| Error::Write { path: html.to_path_buf(), message: error.to_string() })?;
    let output = Command::new(binary)
        .args(headless_arguments(&profile))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", absolute.display()))
        .output()
        .map_err(|error| Error::Write { path: pdf.to_path_buf(), message: format!("running Chromium: {error}") })?;
    let _ = std::fs::remove_dir_all(&profile);
    if !output.status.success() || !pdf.is_file() {
        return Err(Error::Write {
            path: pdf.to_path_buf(),
            message: format!(
                "Chromium failed: {}",
                String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("")
            ),
        });
    }
    Ok(())
}

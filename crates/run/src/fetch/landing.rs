//! What both fetches do with the landing area: files written through a hidden temporary
//! and a rename, a fetch id unique even for two fetches in the same second, JSON records
//! and watermarks read back with a clear error.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::de::DeserializeOwned;
use skillgap_sources::france_travail::FetchError;

use crate::error::{Error, Result};

/// An I/O error on `path`, reported against the fetch named `input`.
pub fn io_error<'a>(input: &'a str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |error| Error::Input { input: input.to_owned(), message: format!("{}: {error}", path.display()) }
}

/// A watermark (or any landing JSON file) when present.
pub fn read_json<T: DeserializeOwned>(input: &str, path: &Path) -> Result<Option<T>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|error| Error::Input {
            input: input.to_owned(),
            message: format!("{}: not a watermark ({error})", path.display()),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io_error(input, path)(error)),
    }
}

/// Writes `text` to `path` through a hidden temporary file and a rename, synced.
pub fn write_atomically(input: &str, path: &Path, text: &[u8]) -> Result<()> {
    let temporary = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    let mut file = std::fs::File::create(&temporary).map_err(io_error(input, &temporary))?;
    file.write_all(text).and_then(|()| file.sync_all()).map_err(io_error(input, &temporary))?;
    std::fs::rename(&temporary, path).map_err(io_error(input, path))
}

/// The fetch's id: its UTC second, with a suffix when `taken` says an earlier fetch of the
/// same second has it (a landed file is never replaced).
pub fn fetch_id(now: DateTime<Utc>, taken: impl Fn(&str) -> bool) -> String {
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    (0..).map(|n| if n == 0 { stamp.clone() } else { format!("{stamp}.{n}") }).find(|id| !taken(id)).unwrap_or(stamp)
}

/// The landed files of a directory (hidden temporaries excluded), oldest first.
pub fn landed_files(directory: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .map(|entries| {
            entries
                .filter_map(std::result::Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The credentials named by a fetch section's two variables.
pub fn credentials(
    section: &str,
    id_variable: &str,
    secret_variable: &str,
) -> Result<skillgap_sources::france_travail::Credentials> {
    let variable = |name: &str| {
        std::env::var(name)
            .map_err(|_| Error::Argument(format!("the environment variable {name} (named in {section}) is not set")))
    };
    Ok(skillgap_sources::france_travail::Credentials {
        client_id: variable(id_variable)?,
        client_secret: variable(secret_variable)?,
    })
}

/// `--since`-like instants: an RFC 3339 instant, or a date (midnight UTC).
pub fn parse_instant(option: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        })
        .map_err(|_| {
            Error::Argument(format!("{option} `{text}` is neither an RFC 3339 instant nor a date (YYYY-MM-DD)"))
        })
}

/// A fetch's failure as the run's error: refused credentials are a configuration error
/// (exit 2), anything else a source that is unavailable (exit 4).
pub fn fetch_error(input: &str, error: FetchError) -> Error {
    match error {
        FetchError::Token { .. } => Error::CredentialsRefused { input: input.to_owned(), message: error.to_string() },
        _ => Error::Input { input: input.to_owned(), message: error.to_string() },
    }
}

/// Runs `fetch` with a writer of one line at a time into the gzip file `temporary`, then
/// finishes the file and syncs it to disk.
pub fn land_lines<R>(
    input: &str,
    temporary: &Path,
    fetch: impl FnOnce(&mut dyn FnMut(&str) -> std::result::Result<(), String>) -> std::result::Result<R, FetchError>,
) -> Result<R> {
    let file = std::fs::File::create(temporary).map_err(io_error(input, temporary))?;
    let mut encoder = GzEncoder::new(std::io::BufWriter::new(file), Compression::default());
    let mut write = |line: &str| {
        encoder.write_all(line.as_bytes()).and_then(|()| encoder.write_all(b"\n")).map_err(|e| e.to_string())
    };
    let report = fetch(&mut write).map_err(|error| fetch_error(input, error))?;
    let writer = encoder.finish().map_err(io_error(input, temporary))?;
    let file = writer.into_inner().map_err(|error| io_error(input, temporary)(error.into_error()))?;
    file.sync_all().map_err(io_error(input, temporary))?;
    Ok(report)
}

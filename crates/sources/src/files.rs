//! Finding input files, opening them with transparent gzip decompression, and describing
//! them (size, SHA-256) for the run manifest.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// One input file as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The path read.
    pub path: PathBuf,
    /// Size in bytes (as stored, compressed or not).
    pub bytes: u64,
    /// SHA-256 of the stored bytes, hex.
    pub sha256: String,
}

/// Expands input paths. A directory stands for every regular file below it, in path
/// order: subdirectories are walked, symbolic links followed (a directory or file reached
/// twice, through a link cycle or two links, is read once), hidden files and directories
/// skipped. A file found in a directory must end in one of `extensions` (optionally
/// followed by `.gz`): any other is an error naming it, never silently passed over. A
/// file named explicitly is taken as it is; a missing path is an error naming the input.
pub fn expand_paths(input: &str, paths: &[PathBuf], extensions: &[&str]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for path in paths {
        if path.is_dir() {
            walk(input, path, extensions, &mut seen, &mut out)?;
        } else if path.is_file() {
            if seen.insert(canonical(path)?) {
                out.push(path.clone());
            }
        } else {
            return Err(Error::Missing { input: input.to_owned(), path: path.clone() });
        }
    }
    Ok(out)
}

fn canonical(path: &Path) -> Result<PathBuf> {
    path.canonicalize().map_err(|source| Error::Io { path: path.to_path_buf(), source })
}

/// Appends the files below `directory` in path order (see [`expand_paths`]).
fn walk(
    input: &str,
    directory: &Path,
    extensions: &[&str],
    seen: &mut std::collections::HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    if !seen.insert(canonical(directory)?) {
        tracing::warn!(input, directory = %directory.display(), "directory already read through another path (a link): not read twice");
        return Ok(());
    }
    let io_error = |source| Error::Io { path: directory.to_path_buf(), source };
    let mut entries = std::fs::read_dir(directory)
        .map_err(io_error)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(io_error)?;
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') {
            tracing::debug!(input, path = %path.display(), "hidden: skipped");
            continue;
        }
        // `is_dir` and `is_file` follow symbolic links; a dangling link is neither.
        if path.is_dir() {
            walk(input, &path, extensions, seen, out)?;
        } else if path.is_file() {
            let stem = name.strip_suffix(".gz").unwrap_or(&name);
            let expected = stem
                .rsplit_once('.')
                .is_some_and(|(_, extension)| extensions.iter().any(|wanted| extension.eq_ignore_ascii_case(wanted)));
            if !expected {
                return Err(Error::UnexpectedFile {
                    input: input.to_owned(),
                    path,
                    expected: extensions.iter().map(|e| format!(".{e}")).collect::<Vec<_>>().join(", "),
                });
            }
            if seen.insert(canonical(&path)?) {
                out.push(path);
            } else {
                tracing::warn!(input, path = %path.display(), "file already read through another path (a link): not read twice");
            }
        } else {
            return Err(Error::Missing { input: input.to_owned(), path });
        }
    }
    Ok(())
}

/// Opens a file for reading, decompressing it when its name ends in `.gz`.
pub fn open_decompressed(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let file = File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let is_gzip = path.extension().is_some_and(|extension| extension == "gz");
    Ok(if is_gzip {
        Box::new(BufReader::with_capacity(1 << 20, MultiGzDecoder::new(BufReader::new(file))))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, file))
    })
}

/// Size and checksum of a stored file.
pub fn describe_file(path: &Path) -> Result<InputFile> {
    let io_error = |source| Error::Io { path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let read = file.read(&mut buffer).map_err(io_error)?;
        if read == 0 {
            break;
        }
        bytes += read as u64;
        hasher.update(&buffer[..read]);
    }
    let sha256 = hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(InputFile { path: path.to_path_buf(), bytes, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_expands_to_its_files_in_name_order_and_a_missing_path_is_named() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.json", "a.json", ".hidden"] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        let files = expand_paths("offers", &[dir.path().to_path_buf()], &["json"]).unwrap();
        let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.json", "b.json"]);
        let error = expand_paths("offers", &[dir.path().join("nope")], &["json"]).unwrap_err().to_string();
        assert!(error.contains("offers") && error.contains("nope"), "{error}");
    }

    fn relative(files: &[PathBuf], root: &Path) -> Vec<String> {
        files.iter().map(|path| path.strip_prefix(root).unwrap().to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn subdirectories_are_walked_in_path_order_and_links_are_followed_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in [
            "z.json",
            "api/2026-11-02/page_0001.json.gz",
            "api/2026-11-01/page_0000.json",
            "api/2026-11-01/page_0001.ndjson",
            ".git/x.json",
            "api/.tmp/y.json",
        ] {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "{}").unwrap();
        }
        // A link to a file elsewhere is read; a link back up (a cycle) and a second link to
        // the same file are not read twice.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("linked.json"), "{}").unwrap();
        std::os::unix::fs::symlink(outside.path().join("linked.json"), root.join("api/linked.json")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("linked.json"), root.join("api/linked-again.json")).unwrap();
        std::os::unix::fs::symlink(root, root.join("api/2026-11-01/loop")).unwrap();
        let files = expand_paths("offers", &[root.to_path_buf()], &["json", "ndjson"]).unwrap();
        assert_eq!(
            relative(&files, root),
            [
                "api/2026-11-01/page_0000.json",
                "api/2026-11-01/page_0001.ndjson",
                "api/2026-11-02/page_0001.json.gz",
                "api/linked-again.json",
                "z.json"
            ]
        );
    }

    #[test]
    fn a_file_of_another_type_in_a_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("a.xml"), "<lheo/>").unwrap();
        std::fs::write(dir.path().join("sub/README.txt"), "notes").unwrap();
        let error = expand_paths("lheo", &[dir.path().to_path_buf()], &["xml"]).unwrap_err().to_string();
        assert!(error.contains("lheo") && error.contains("sub/README.txt") && error.contains(".xml"), "{error}");
        // Named explicitly, a file is taken whatever its name.
        let files = expand_paths("lheo", &[dir.path().join("sub/README.txt")], &["xml"]).unwrap();
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn gzip_files_are_decompressed_and_described_by_their_stored_bytes() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt.gz");
        let mut encoder = flate2::write::GzEncoder::new(File::create(&path).unwrap(), flate2::Compression::default());
        encoder.write_all(b"hello\n").unwrap();
        encoder.finish().unwrap();
        let mut text = String::new();
        open_decompressed(&path).unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "hello\n");
        let described = describe_file(&path).unwrap();
        assert_eq!(described.bytes, std::fs::metadata(&path).unwrap().len());
        assert_eq!(described.sha256.len(), 64);
    }
}

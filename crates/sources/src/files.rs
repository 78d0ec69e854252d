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

/// Expands input paths: a directory stands for its regular files in name order (hidden
/// files skipped); a missing path is an error naming the input.
pub fn expand_paths(input: &str, paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| Error::Io { path: path.clone(), source })?;
            let mut files = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|source| Error::Io { path: path.clone(), source })?;
                let name = entry.file_name();
                let file_type = entry.file_type().map_err(|source| Error::Io { path: entry.path(), source })?;
                if file_type.is_file() && !name.to_string_lossy().starts_with('.') {
                    files.push(entry.path());
                }
            }
            files.sort();
            out.extend(files);
        } else if path.is_file() {
            out.push(path.clone());
        } else {
            return Err(Error::Missing { input: input.to_owned(), path: path.clone() });
        }
    }
    Ok(out)
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
        let files = expand_paths("offers", &[dir.path().to_path_buf()]).unwrap();
        let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.json", "b.json"]);
        let error = expand_paths("offers", &[dir.path().join("nope")]).unwrap_err().to_string();
        assert!(error.contains("offers") && error.contains("nope"), "{error}");
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

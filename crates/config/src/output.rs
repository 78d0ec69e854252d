//! The `[output]` section: where runs are published (a local directory or an S3-compatible
//! bucket), how many are kept, and how the bucket is reached. Credentials are never part
//! of the file: they come from the standard AWS environment variables.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::location::resolve_root;

/// Where and how outputs are published.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// Output directory (relative to the pipeline file, or absolute), or an
    /// `s3://bucket/prefix` URL for S3-compatible object storage.
    pub root: String,
    /// How many published runs are kept besides the current one (semester runs are kept
    /// whatever this says).
    #[serde(default = "default_keep_runs")]
    pub keep_runs: usize,
    /// With an `s3://` root: the local working directory (the lock, the fetched pages'
    /// landing area, the run being written, the previous run's snapshot it carries).
    #[serde(default)]
    pub work_dir: Option<String>,
    /// With an `s3://` root: how the bucket is reached.
    #[serde(default)]
    pub s3: S3Settings,
}

/// How an S3-compatible bucket is reached. The keys come from the environment
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), never from here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// Endpoint of an S3-compatible service (MinIO, Scaleway, OVHcloud…); AWS when absent.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Region of the bucket (default: `AWS_REGION`, else `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// Allow a plain `http://` endpoint (a test server on loopback); off by default.
    #[serde(default)]
    pub allow_http: bool,
    /// Give up on a request after retrying for this many seconds.
    #[serde(default = "default_retry_timeout_seconds")]
    pub retry_timeout_seconds: u64,
    /// Retries of one request (5xx, 429, timeouts, resets) before giving up.
    #[serde(default = "default_max_retries")]
    pub max_retries: usize,
    /// A run's lock on the bucket expires after this many minutes (a killed run's lock is
    /// taken over once expired).
    #[serde(default = "default_lock_lease_minutes")]
    pub lock_lease_minutes: u64,
}

impl Default for S3Settings {
    fn default() -> Self {
        Self {
            endpoint: None,
            region: None,
            allow_http: false,
            retry_timeout_seconds: default_retry_timeout_seconds(),
            max_retries: default_max_retries(),
            lock_lease_minutes: default_lock_lease_minutes(),
        }
    }
}

/// Default number of kept runs: 7.
pub fn default_keep_runs() -> usize {
    7
}
/// Default retry budget of one S3 request: 180 s.
pub fn default_retry_timeout_seconds() -> u64 {
    180
}
/// Default retries of one S3 request: 10.
pub fn default_max_retries() -> usize {
    10
}
/// Default lease of the bucket lock: 6 hours.
pub fn default_lock_lease_minutes() -> u64 {
    360
}

/// A resolved output location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputLocation {
    /// A local directory.
    Local(PathBuf),
    /// An S3-compatible bucket.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix under which runs are published (no leading or trailing `/`).
        prefix: String,
    },
}

impl OutputLocation {
    /// `s3://bucket/prefix` or a directory (relative to `base_dir`).
    pub fn parse(root: &str, base_dir: &Path) -> Self {
        match parse_s3_url(root) {
            Ok(Some((bucket, prefix))) => Self::S3 { bucket, prefix },
            _ => Self::Local(resolve_root(base_dir, root)),
        }
    }

    /// The URL or path, for messages.
    pub fn display(&self) -> String {
        match self {
            Self::Local(path) => path.display().to_string(),
            Self::S3 { bucket, prefix } if prefix.is_empty() => format!("s3://{bucket}"),
            Self::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
        }
    }
}

/// `Ok(None)` when `root` is not an `s3://` URL; an error when it is one but unusable.
pub fn parse_s3_url(root: &str) -> Result<Option<(String, String)>, String> {
    let Some(rest) = root.strip_prefix("s3://") else { return Ok(None) };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !bucket.starts_with(['-', '.'])
        && !bucket.ends_with(['-', '.']);
    if !valid_bucket {
        return Err(format!(
            "`{root}`: `{bucket}` is not an S3 bucket name (3 to 63 lowercase letters, digits, `-` or `.`)"
        ));
    }
    let prefix = prefix.trim_end_matches('/');
    for segment in prefix.split('/').filter(|segment| !prefix.is_empty() || !segment.is_empty()) {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!("`{root}`: the key prefix has an empty, `.` or `..` segment"));
        }
        if segment.chars().any(|c| c.is_control() || matches!(c, '?' | '#' | '@' | '\\' | '*')) {
            return Err(format!(
                "`{root}`: the key prefix may not contain control characters, `?`, `#`, `@`, `\\` or `*`"
            ));
        }
    }
    Ok(Some((bucket.to_owned(), prefix.to_owned())))
}

impl Output {
    /// Whether the root is an `s3://` URL.
    pub fn is_remote(&self) -> bool {
        self.root.starts_with("s3://")
    }

    /// Checks the section; the error is (field, message).
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        if self.root.trim().is_empty() {
            return Err(("output.root".to_owned(), "is empty".to_owned()));
        }
        parse_s3_url(&self.root).map_err(|message| ("output.root".to_owned(), message))?;
        if self.is_remote() && self.work_dir.as_deref().is_none_or(|dir| dir.trim().is_empty()) {
            return Err((
                "output.work_dir".to_owned(),
                "is required with an s3:// root: the lock, landing area and staging stay local".to_owned(),
            ));
        }
        if !self.is_remote() && (self.work_dir.is_some() || self.s3 != S3Settings::default()) {
            return Err(("output.work_dir".to_owned(), "and [output.s3] only apply to an s3:// root".to_owned()));
        }
        if let Some(endpoint) = &self.s3.endpoint {
            let plain = endpoint.starts_with("http://");
            if !(plain || endpoint.starts_with("https://")) {
                return Err(("output.s3.endpoint".to_owned(), format!("`{endpoint}` is not an http(s):// URL")));
            }
            if plain && !self.s3.allow_http {
                return Err((
                    "output.s3.endpoint".to_owned(),
                    "is plain http: set allow_http = true to accept it (test servers only)".to_owned(),
                ));
            }
            if endpoint.contains('@') {
                return Err((
                    "output.s3.endpoint".to_owned(),
                    "must not carry credentials: they come from the environment".to_owned(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_split_into_bucket_and_prefix_and_bad_ones_are_refused() {
        assert_eq!(parse_s3_url("out/demo"), Ok(None));
        assert_eq!(parse_s3_url("s3://skillgap-outputs"), Ok(Some(("skillgap-outputs".to_owned(), String::new()))));
        assert_eq!(
            parse_s3_url("s3://skillgap-outputs/hdf/nightly/"),
            Ok(Some(("skillgap-outputs".to_owned(), "hdf/nightly".to_owned())))
        );
        for bad in [
            "s3://Bad_Bucket/x",
            "s3://ab",
            "s3://bucket/a/../b",
            "s3://bucket/a//b",
            "s3://bucket/a?x=1",
            "s3://user@bucket/x",
        ] {
            assert!(parse_s3_url(bad).is_err(), "{bad} should be refused");
        }
    }

    fn output(toml_text: &str) -> Output {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn an_s3_root_needs_a_work_dir_and_plain_http_needs_consent() {
        assert!(output("root = \"s3://bucket-a/x\"").validate().unwrap_err().0.contains("work_dir"));
        assert!(output("root = \"s3://bucket-a/x\"\nwork_dir = \"w\"").validate().is_ok());
        let plain = "root = \"s3://bucket-a/x\"\nwork_dir = \"w\"\n[s3]\nendpoint = \"http://127.0.0.1:9000\"\n";
        assert!(output(plain).validate().unwrap_err().1.contains("allow_http"));
        assert!(output(&format!("{plain}allow_http = true\n")).validate().is_ok());
        assert!(output("root = \"out\"\nwork_dir = \"w\"").validate().is_err());
        assert_eq!(
            OutputLocation::parse("s3://bucket-a/x/", Path::new("/p")),
            OutputLocation::S3 { bucket: "bucket-a".to_owned(), prefix: "x".to_owned() }
        );
        assert_eq!(
            OutputLocation::parse("../out", Path::new("/p/pipelines")),
            OutputLocation::Local(PathBuf::from("/p/out"))
        );
    }
}

//! Where runs are published: a local output directory, or an S3-compatible bucket (runs
//! are written in a local working directory, then uploaded and pointed at).

use std::path::{Path, PathBuf};
use std::time::Duration;

use skillgap_config::{OutputLocation, Pipeline, parse_s3_url};
use skillgap_sinks::{RemoteStore, S3Connection, Store};

use crate::error::{Error, Result};

/// A publication target.
#[derive(Debug, Clone)]
pub enum PublishTarget {
    /// A local directory (`current` is a symbolic link).
    Local(Store),
    /// An S3-compatible bucket (`current.json` is the pointer).
    Remote {
        /// The bucket and prefix.
        remote: RemoteStore,
        /// The local working directory (needed to run, not to read).
        work: Option<Store>,
    },
}

impl PublishTarget {
    /// The pipeline's output, or `out` instead of its root (a directory or an `s3://` URL,
    /// reached with the pipeline's `[output.s3]` settings).
    pub fn open(pipeline: &Pipeline, out: Option<&str>) -> Result<Self> {
        let location = match out {
            Some(out) => match parse_s3_url(out).map_err(|message| Error::Argument(format!("--out {message}")))? {
                Some((bucket, prefix)) => OutputLocation::S3 { bucket, prefix },
                None => OutputLocation::Local(PathBuf::from(out)),
            },
            None => pipeline.output_location(),
        };
        Ok(match location {
            OutputLocation::Local(path) => Self::Local(Store::new(&path)),
            OutputLocation::S3 { bucket, prefix } => {
                let settings = &pipeline.output.s3;
                let connection = S3Connection {
                    bucket,
                    prefix,
                    endpoint: settings.endpoint.clone(),
                    region: settings.region.clone(),
                    allow_http: settings.allow_http,
                    retry_timeout: Duration::from_secs(settings.retry_timeout_seconds),
                    max_retries: settings.max_retries,
                    lock_lease: Duration::from_secs(settings.lock_lease_minutes.saturating_mul(60)),
                };
                let work = pipeline.output.work_dir.is_some().then(|| Store::new(&pipeline.output_dir()));
                Self::Remote { remote: RemoteStore::connect(&connection)?, work }
            }
        })
    }

    /// The directory or URL, for messages.
    pub fn display(&self) -> String {
        match self {
            Self::Local(store) => store.root().display().to_string(),
            Self::Remote { remote, .. } => remote.url(),
        }
    }

    /// The local store a run writes in: the output itself, or the working directory.
    pub fn working_store(&self) -> Result<&Store> {
        match self {
            Self::Local(store) | Self::Remote { work: Some(store), .. } => Ok(store),
            Self::Remote { remote, work: None } => Err(Error::Argument(format!(
                "a run published to {} needs `output.work_dir` in the pipeline file",
                remote.url()
            ))),
        }
    }

    /// The current run's id, if any.
    pub async fn current_run(&self) -> Result<Option<String>> {
        Ok(match self {
            Self::Local(store) => store.current_run()?,
            Self::Remote { remote, .. } => remote.current_run().await?,
        })
    }

    /// Published run ids, oldest first.
    pub async fn runs(&self) -> Result<Vec<String>> {
        Ok(match self {
            Self::Local(store) => store.runs()?,
            Self::Remote { remote, .. } => remote.runs().await?,
        })
    }

    /// `run`, or the current run; an error when there is none or it is unknown.
    pub async fn resolve_run(&self, run: Option<&str>) -> Result<String> {
        match run {
            Some(run) if self.runs().await?.iter().any(|known| known == run) => Ok(run.to_owned()),
            Some(run) => {
                Err(skillgap_sinks::Error::UnknownRun { run: run.to_owned(), location: self.display() }.into())
            }
            None => self
                .current_run()
                .await?
                .ok_or_else(|| skillgap_sinks::Error::NothingPublished { location: self.display() }.into()),
        }
    }

    /// A local directory holding `parts` (files or folders) of a published run: the run
    /// itself when local, else a download of those parts under `into`.
    pub async fn local_copy(&self, run: &str, parts: &[&str], into: &Path) -> Result<PathBuf> {
        match self {
            Self::Local(store) => Ok(store.run_dir(run)?),
            Self::Remote { work: Some(store), .. } if store.run_dir(run).is_ok() => Ok(store.run_dir(run)?),
            Self::Remote { remote, .. } => {
                let directory = into.join(run);
                for part in parts {
                    remote.download(run, part, &directory).await?;
                }
                Ok(directory)
            }
        }
    }
}

//! Publication on S3-compatible object storage. Layout under `s3://bucket/prefix`:
//!
//! ```text
//! .lock                        the running run's lease (conditional create, JSON)
//! runs/<run>/…                 a run, uploaded whole with manifest.json last
//! current.json                 {"run": "<run>", "published_at": "…"}: the pointer
//! ```
//!
//! A run's prefix is invisible until `current.json` names it, and a PUT replaces an object
//! atomically, so a reader that read the pointer reads one complete run. A prefix without
//! `manifest.json` is an interrupted upload: never listed, never pointed at, removed by
//! the next publication's retention. Readers (`skillgap sql`, DuckDB, pyarrow) resolve the
//! pointer once and then read one run's prefix.

use std::path::{Component, Path};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{
    ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig, UpdateVersion, WriteMultipart,
};

use crate::error::{Error, Result, io};
use crate::store::KEEP_MARKER;

const RUNS: &str = "runs";
const POINTER: &str = "current.json";
const LOCK: &str = ".lock";
const MANIFEST: &str = "manifest.json";
/// Files above this size are uploaded in parts.
const SINGLE_PUT_LIMIT: u64 = 16 << 20;
const PART_SIZE: usize = 8 << 20;

/// How to reach the bucket. Keys come from the environment (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), never from here.
#[derive(Debug, Clone, Default)]
pub struct S3Connection {
    /// The bucket.
    pub bucket: String,
    /// Key prefix of the output (no leading or trailing `/`; may be empty).
    pub prefix: String,
    /// An S3-compatible endpoint instead of AWS.
    pub endpoint: Option<String>,
    /// The bucket's region.
    pub region: Option<String>,
    /// Accept a plain-HTTP endpoint.
    pub allow_http: bool,
    /// Retry budget of one request.
    pub retry_timeout: Duration,
    /// Retries of one request.
    pub max_retries: usize,
    /// Lease of the lock.
    pub lock_lease: Duration,
}

/// An output on S3-compatible storage.
#[derive(Debug, Clone)]
pub struct RemoteStore {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    prefix: String,
    lock_lease: Duration,
}

/// The bucket lock held by this process (released by [`RemoteStore::unlock`]; a killed
/// run's lock expires with its lease).
#[derive(Debug)]
pub struct RemoteLock {
    owner: String,
}

/// What an upload sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upload {
    /// Objects written.
    pub objects: u64,
    /// Bytes written.
    pub bytes: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Pointer {
    run: String,
    published_at: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Lease {
    owner: String,
    acquired_at: String,
    expires_at: String,
}

fn valid_run_id(run_id: &str) -> bool {
    !run_id.is_empty()
        && !run_id.starts_with('.')
        && run_id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl RemoteStore {
    /// Connects (lazily: nothing is sent before the first request).
    pub fn connect(connection: &S3Connection) -> Result<Self> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&connection.bucket)
            .with_allow_http(connection.allow_http)
            .with_retry(RetryConfig {
                max_retries: connection.max_retries,
                retry_timeout: connection.retry_timeout,
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &connection.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = &connection.region {
            builder = builder.with_region(region);
        }
        let location = format!("s3://{}/{}", connection.bucket, connection.prefix);
        let store = builder.build().map_err(|source| Error::ObjectStore { action: "configuring", location, source })?;
        Ok(Self::with_store(Arc::new(store), &connection.bucket, &connection.prefix, connection.lock_lease))
    }

    /// An output on any object store (tests use the in-memory one).
    pub fn with_store(store: Arc<dyn ObjectStore>, bucket: &str, prefix: &str, lock_lease: Duration) -> Self {
        Self { store, bucket: bucket.to_owned(), prefix: prefix.trim_matches('/').to_owned(), lock_lease }
    }

    /// The object store, to register with a query engine.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// `s3://bucket`.
    pub fn bucket_url(&self) -> String {
        format!("s3://{}", self.bucket)
    }

    /// `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() { self.bucket_url() } else { format!("s3://{}/{}", self.bucket, self.prefix) }
    }

    /// The URL of a published run's prefix, ending in `/`.
    pub fn run_url(&self, run_id: &str) -> String {
        format!("{}/{RUNS}/{run_id}/", self.url())
    }

    fn key(&self, relative: &str) -> Key {
        if self.prefix.is_empty() { Key::from(relative) } else { Key::from(format!("{}/{relative}", self.prefix)) }
    }

    /// `runs/<run>/<relative>` (the run's prefix when `relative` is empty), for a valid run id.
    fn run_key(&self, run_id: &str, relative: &str) -> Result<Key> {
        if !valid_run_id(run_id) {
            return Err(Error::UnknownRun { run: run_id.to_owned(), location: self.url() });
        }
        Ok(if relative.is_empty() {
            self.key(&format!("{RUNS}/{run_id}"))
        } else {
            self.key(&format!("{RUNS}/{run_id}/{relative}"))
        })
    }

    /// `s3://bucket/key`, for messages.
    fn object_url(&self, key: &Key) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn located(&self, action: &'static str, key: &Key) -> impl FnOnce(object_store::Error) -> Error {
        let location = self.object_url(key);
        move |source| Error::ObjectStore { action, location, source }
    }

    /// Takes the bucket lock, or fails with [`Error::Locked`] while another run's lease
    /// lasts; an expired lease is taken over (conditionally on its version).
    pub async fn lock(&self, owner: &str) -> Result<RemoteLock> {
        let key = self.key(LOCK);
        let now = Utc::now();
        let lease = Lease {
            owner: owner.to_owned(),
            acquired_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
            expires_at: (now + self.lock_lease).to_rfc3339_opts(SecondsFormat::Secs, true),
        };
        let body = serde_json::to_vec(&lease)
            .map_err(|error| Error::Corrupt { location: key.to_string(), message: error.to_string() })?;
        let create = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
        match self.store.put_opts(&key, PutPayload::from(body.clone()), create).await {
            Ok(_) => return Ok(RemoteLock { owner: owner.to_owned() }),
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {}
            Err(source) => return Err(self.located("creating the lock", &key)(source)),
        }
        let held = self.store.get(&key).await.map_err(self.located("reading the lock", &key))?;
        let version = UpdateVersion { e_tag: held.meta.e_tag.clone(), version: held.meta.version.clone() };
        let bytes = held.bytes().await.map_err(self.located("reading the lock", &key))?;
        let holder: Option<Lease> = serde_json::from_slice(&bytes).ok();
        let expired = holder
            .as_ref()
            .and_then(|lease| DateTime::parse_from_rfc3339(&lease.expires_at).ok())
            .is_none_or(|expiry| expiry < now);
        if !expired {
            let holder =
                holder.map(|lease| format!(": {} until {}", lease.owner, lease.expires_at)).unwrap_or_default();
            return Err(Error::Locked { location: self.object_url(&key), holder });
        }
        let update = PutOptions { mode: PutMode::Update(version), ..PutOptions::default() };
        match self.store.put_opts(&key, PutPayload::from(body), update).await {
            Ok(_) => {
                tracing::warn!(lock = %key, "an expired lock (a killed run's) was taken over");
                Ok(RemoteLock { owner: owner.to_owned() })
            }
            Err(object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. }) => {
                Err(Error::Locked { location: self.object_url(&key), holder: String::new() })
            }
            Err(source) => Err(self.located("taking over the expired lock", &key)(source)),
        }
    }

    /// Releases the lock if it is still ours.
    pub async fn unlock(&self, lock: RemoteLock) {
        let key = self.key(LOCK);
        let ours = match self.store.get(&key).await {
            Ok(held) => held
                .bytes()
                .await
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Lease>(&bytes).ok())
                .is_some_and(|lease| lease.owner == lock.owner),
            Err(_) => false,
        };
        if ours && let Err(error) = self.store.delete(&key).await {
            tracing::warn!(lock = %key, %error, "could not release the bucket lock; it expires with its lease");
        }
    }

    /// The current run's id, if any.
    pub async fn current_run(&self) -> Result<Option<String>> {
        let key = self.key(POINTER);
        let bytes = match self.store.get(&key).await {
            Ok(result) => result.bytes().await.map_err(self.located("reading", &key))?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(source) => return Err(self.located("reading", &key)(source)),
        };
        let pointer: Pointer = serde_json::from_slice(&bytes).map_err(|error| Error::Corrupt {
            location: self.object_url(&key),
            message: format!("not a skillgap pointer: {error}"),
        })?;
        if !valid_run_id(&pointer.run) {
            return Err(Error::Corrupt {
                location: self.object_url(&key),
                message: format!("names an invalid run `{}`", pointer.run),
            });
        }
        Ok(Some(pointer.run))
    }

    /// Published runs (complete: with their manifest), oldest first, and interrupted uploads.
    async fn listing(&self) -> Result<(Vec<String>, Vec<String>)> {
        let runs = self.key(RUNS);
        let listing = self.store.list_with_delimiter(Some(&runs)).await.map_err(self.located("listing", &runs))?;
        let mut complete = Vec::new();
        let mut interrupted = Vec::new();
        for prefix in listing.common_prefixes {
            let Some(run) = prefix.filename().map(str::to_owned) else { continue };
            let manifest = prefix.clone().join(MANIFEST);
            match self.store.head(&manifest).await {
                Ok(_) => complete.push(run),
                Err(object_store::Error::NotFound { .. }) => interrupted.push(run),
                Err(source) => return Err(self.located("reading", &manifest)(source)),
            }
        }
        complete.sort();
        Ok((complete, interrupted))
    }

    /// Published run ids, oldest first.
    pub async fn runs(&self) -> Result<Vec<String>> {
        Ok(self.listing().await?.0)
    }

    /// Names of the folders directly under `runs/<run>/<relative>/` (a layer's tables).
    pub async fn folders(&self, run_id: &str, relative: &str) -> Result<Vec<String>> {
        let key = self.key(&format!("{RUNS}/{run_id}/{relative}"));
        let listing = self.store.list_with_delimiter(Some(&key)).await.map_err(self.located("listing", &key))?;
        let mut names: Vec<String> =
            listing.common_prefixes.iter().filter_map(|prefix| prefix.filename().map(str::to_owned)).collect();
        names.sort();
        Ok(names)
    }

    /// Uploads a finished run directory to `runs/<run>/`, `manifest.json` last (what marks
    /// the run complete). On error the partial prefix stays until [`Self::remove_run`] or
    /// the next retention.
    pub async fn upload_run(&self, local: &Path, run_id: &str) -> Result<Upload> {
        let mut files = Vec::new();
        collect_files(local, local, &mut files)?;
        files.sort_by_key(|relative| (relative == MANIFEST, relative.clone()));
        let mut upload = Upload::default();
        for relative in files {
            let key = self.key(&format!("{RUNS}/{run_id}/{relative}"));
            upload.bytes += self.upload_file(&local.join(&relative), &key).await?;
            upload.objects += 1;
        }
        tracing::info!(run = run_id, objects = upload.objects, bytes = upload.bytes, url = %self.run_url(run_id), "run uploaded");
        Ok(upload)
    }

    async fn upload_file(&self, path: &Path, key: &Key) -> Result<u64> {
        let size = std::fs::metadata(path).map_err(io("reading metadata of", path))?.len();
        if size <= SINGLE_PUT_LIMIT {
            let bytes = std::fs::read(path).map_err(io("reading", path))?;
            self.store.put(key, PutPayload::from(bytes)).await.map_err(self.located("uploading", key))?;
            return Ok(size);
        }
        let multipart = self.store.put_multipart(key).await.map_err(self.located("starting the upload of", key))?;
        let mut writer = WriteMultipart::new_with_chunk_size(multipart, PART_SIZE);
        let outcome = async {
            use std::io::Read;
            let mut file = std::fs::File::open(path).map_err(io("opening", path))?;
            let mut buffer = vec![0_u8; PART_SIZE];
            loop {
                writer.wait_for_capacity(2).await.map_err(self.located("uploading", key))?;
                let read = file.read(&mut buffer).map_err(io("reading", path))?;
                if read == 0 {
                    return Ok(());
                }
                writer.write(&buffer[..read]);
            }
        }
        .await;
        match outcome {
            Ok(()) => {
                writer.finish().await.map_err(self.located("finishing the upload of", key))?;
                Ok(size)
            }
            Err(error) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(object = %key, error = %abort, "could not abort the multipart upload; the bucket's lifecycle rule removes it");
                }
                Err(error)
            }
        }
    }

    /// Makes `run_id` current by replacing the pointer (publish, rollback).
    pub async fn point_current_at(&self, run_id: &str) -> Result<()> {
        let manifest = self.run_key(run_id, MANIFEST)?;
        match self.store.head(&manifest).await {
            Ok(_) => {}
            Err(object_store::Error::NotFound { .. }) => {
                return Err(Error::UnknownRun { run: run_id.to_owned(), location: self.url() });
            }
            Err(source) => return Err(self.located("reading", &manifest)(source)),
        }
        let pointer =
            Pointer { run: run_id.to_owned(), published_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true) };
        let key = self.key(POINTER);
        let body = serde_json::to_vec(&pointer)
            .map_err(|error| Error::Corrupt { location: key.to_string(), message: error.to_string() })?;
        self.store.put(&key, PutPayload::from(body)).await.map_err(self.located("replacing", &key))?;
        Ok(())
    }

    /// Deletes every object of a run's prefix.
    pub async fn remove_run(&self, run_id: &str) -> Result<()> {
        // The manifest first: a run stopped midway is then an interrupted upload, never listed.
        let manifest = self.run_key(run_id, MANIFEST)?;
        match self.store.delete(&manifest).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(source) => return Err(self.located("removing", &manifest)(source)),
        }
        let prefix = self.run_key(run_id, "")?;
        let locations = self.store.list(Some(&prefix)).map_ok(|meta| meta.location).boxed();
        let deleted: Vec<Key> =
            self.store.delete_stream(locations).try_collect().await.map_err(self.located("removing", &prefix))?;
        tracing::debug!(run = run_id, objects = deleted.len(), "run prefix removed");
        Ok(())
    }

    /// Retention: interrupted uploads are removed; of the other runs, the `keep_runs` most
    /// recent and every run holding a [`KEEP_MARKER`] (semester snapshots) are kept.
    pub async fn prune(&self, keep_runs: usize) -> Result<()> {
        let current = self.current_run().await?;
        let (complete, interrupted) = self.listing().await?;
        for run in interrupted.iter().filter(|run| Some(*run) != current.as_ref()) {
            self.remove_run(run).await?;
            tracing::info!(run = %run, "interrupted upload removed");
        }
        let others: Vec<&String> = complete.iter().filter(|run| Some(*run) != current.as_ref()).collect();
        let removable = others.len().saturating_sub(keep_runs);
        for run in others.into_iter().take(removable) {
            let marker = self.key(&format!("{RUNS}/{run}/{KEEP_MARKER}"));
            match self.store.head(&marker).await {
                Ok(_) => continue,
                Err(object_store::Error::NotFound { .. }) => {}
                Err(source) => return Err(self.located("reading", &marker)(source)),
            }
            self.remove_run(run).await?;
            tracing::info!(run = %run, "old run removed by retention");
        }
        Ok(())
    }

    /// Downloads `runs/<run>/<relative>` (a file or a folder) under `to`, keeping the layout.
    pub async fn download(&self, run_id: &str, relative: &str, to: &Path) -> Result<u64> {
        let run_prefix = self.run_key(run_id, "")?;
        let wanted = self.run_key(run_id, relative)?;
        let objects: Vec<_> =
            self.store.list(Some(&wanted)).try_collect().await.map_err(self.located("listing", &wanted))?;
        let mut bytes = 0;
        for object in objects {
            let Some(parts) = object.location.prefix_match(&run_prefix) else { continue };
            let mut path = to.to_path_buf();
            for part in parts {
                let part = part.as_ref();
                if part.is_empty() || part == "." || part == ".." || part.contains(['/', '\\']) {
                    return Err(Error::Corrupt {
                        location: self.object_url(&object.location),
                        message: "unexpected key".to_owned(),
                    });
                }
                path.push(part);
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io("creating directory", parent))?;
            }
            let mut stream = self
                .store
                .get(&object.location)
                .await
                .map_err(self.located("downloading", &object.location))?
                .into_stream();
            let mut file = std::fs::File::create(&path).map_err(io("creating", &path))?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(self.located("downloading", &object.location))?;
                std::io::Write::write_all(&mut file, &chunk).map_err(io("writing", &path))?;
                bytes += chunk.len() as u64;
            }
        }
        Ok(bytes)
    }
}

/// Every file under `directory`, as `/`-separated paths relative to `root`.
fn collect_files(root: &Path, directory: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in std::fs::read_dir(directory).map_err(io("listing", directory))? {
        let path = entry.map_err(io("listing", directory))?.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(&path);
        let mut parts = Vec::new();
        for component in relative.components() {
            match component {
                Component::Normal(part) => match part.to_str() {
                    Some(part) => parts.push(part),
                    None => {
                        return Err(Error::Corrupt {
                            location: path.display().to_string(),
                            message: "a file name that is not UTF-8".to_owned(),
                        });
                    }
                },
                _ => {
                    return Err(Error::Corrupt {
                        location: path.display().to_string(),
                        message: "unexpected path component".to_owned(),
                    });
                }
            }
        }
        out.push(parts.join("/"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn store(lease: Duration) -> RemoteStore {
        RemoteStore::with_store(Arc::new(InMemory::new()), "bucket", "region/nightly", lease)
    }

    fn run_directory(dir: &Path, files: &[(&str, &str)]) {
        for (relative, content) in files {
            let path = dir.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
    }

    #[tokio::test]
    async fn a_run_is_visible_only_once_the_pointer_names_it_and_retention_spares_snapshots() {
        let remote = store(Duration::from_secs(60));
        assert_eq!(remote.current_run().await.unwrap(), None);
        for (run, keep) in [("r1", true), ("r2", false), ("r3", false), ("r4", false)] {
            let dir = tempfile::tempdir().unwrap();
            let mut files = vec![("gold/t/part-0.parquet", run), ("manifest.json", "{}")];
            if keep {
                files.push((KEEP_MARKER, "semester"));
            }
            run_directory(dir.path(), &files);
            let upload = remote.upload_run(dir.path(), run).await.unwrap();
            assert_eq!(upload.objects, files.len() as u64);
            remote.point_current_at(run).await.unwrap();
            remote.prune(1).await.unwrap();
        }
        assert_eq!(remote.current_run().await.unwrap().as_deref(), Some("r4"));
        assert_eq!(remote.runs().await.unwrap(), ["r1", "r3", "r4"]);
        let into = tempfile::tempdir().unwrap();
        remote.download("r3", "gold", into.path()).await.unwrap();
        assert_eq!(std::fs::read_to_string(into.path().join("gold/t/part-0.parquet")).unwrap(), "r3");
        assert!(matches!(remote.point_current_at("r2").await, Err(Error::UnknownRun { .. })));
        assert!(matches!(remote.point_current_at("../r1").await, Err(Error::UnknownRun { .. })));
    }

    #[tokio::test]
    async fn an_interrupted_upload_is_never_listed_and_the_next_retention_removes_it() {
        let remote = store(Duration::from_secs(60));
        let dir = tempfile::tempdir().unwrap();
        run_directory(dir.path(), &[("gold/t/part-0.parquet", "x")]);
        remote.upload_run(dir.path(), "r1").await.unwrap();
        assert!(remote.runs().await.unwrap().is_empty());
        assert!(matches!(remote.point_current_at("r1").await, Err(Error::UnknownRun { .. })));
        remote.prune(5).await.unwrap();
        let left: Vec<_> = remote.object_store().list(None).try_collect().await.unwrap();
        assert!(left.is_empty(), "{left:?}");
    }

    #[tokio::test]
    async fn the_lock_refuses_a_second_run_until_released_or_expired() {
        let remote = store(Duration::from_secs(3600));
        let first = remote.lock("run a").await.unwrap();
        let refused = remote.lock("run b").await.unwrap_err();
        assert!(refused.to_string().contains("run a until"), "{refused}");
        remote.unlock(first).await;
        let second = remote.lock("run b").await.unwrap();
        remote.unlock(second).await;
        // A killed run's lock: never released, taken over once its lease is over.
        let short = RemoteStore { lock_lease: Duration::ZERO, ..remote.clone() };
        let _killed = short.lock("run c").await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let taken_over = remote.lock("run d").await.unwrap();
        assert!(remote.lock("run e").await.is_err());
        remote.unlock(taken_over).await;
        assert!(remote.lock("run e").await.is_ok());
    }
}

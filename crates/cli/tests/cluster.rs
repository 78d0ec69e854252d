//! A real Ballista cluster on loopback — `skillgap cluster scheduler` and two
//! `skillgap cluster executor` processes — runs the region-scale pipeline (a semester run,
//! so that every gold table has rows); every silver, gold and public table equals the local
//! engine's, row for row and bit for bit. Built with the `ballista` feature only (`make
//! test` builds it).

#![cfg(feature = "ballista")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn skillgap() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_skillgap"));
    command.env("SKILLGAP_LOG", "info");
    command
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The cluster's processes, stopped however the test ends; their logs, for failures.
struct Cluster {
    processes: Vec<Child>,
    logs: Vec<PathBuf>,
}

impl Cluster {
    fn start(&mut self, name: &str, arguments: &[&str], directory: &Path) {
        let log = directory.join(format!("{name}.log"));
        let file = File::create(&log).unwrap();
        let child = skillgap()
            .args(arguments)
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap();
        self.processes.push(child);
        self.logs.push(log);
    }

    fn logs(&self) -> String {
        self.logs
            .iter()
            .map(|log| format!("--- {}\n{}", log.display(), std::fs::read_to_string(log).unwrap_or_default()))
            .collect()
    }

    /// Waits until something listens on `port`, or fails with the logs.
    fn wait_for(&mut self, port: u16) {
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            for process in &mut self.processes {
                assert!(process.try_wait().unwrap().is_none(), "a cluster process exited:\n{}", self.logs());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "nothing listens on {port} after 60 s:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for process in &mut self.processes {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port()
}

/// Every table of a published run's layer, each as one batch.
fn tables(run: &Path, layer: &str) -> Vec<(String, RecordBatch)> {
    let mut names: Vec<String> = std::fs::read_dir(run.join(layer))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let mut files: Vec<PathBuf> =
                std::fs::read_dir(run.join(layer).join(&name)).unwrap().map(|entry| entry.unwrap().path()).collect();
            files.sort();
            let mut batches = Vec::new();
            let mut schema = None;
            for file in files {
                let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).unwrap()).unwrap();
                schema.get_or_insert_with(|| builder.schema().clone());
                batches.extend(builder.build().unwrap().map(Result::unwrap));
            }
            // An empty table (no PERSP_2 answer landed) is a file without row groups.
            let schema = schema.unwrap();
            (format!("{layer}.{name}"), arrow::compute::concat_batches(&schema, &batches).unwrap())
        })
        .collect()
}

#[test]
fn a_scheduler_and_two_executors_build_the_same_tables_as_the_local_engine() {
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();

    let inputs = work.join("inputs");
    let output = skillgap()
        .args(["fixtures", "generate", "--scale", "region", "--seed", "42", "--out", inputs.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let demo = std::fs::read_to_string(repository.join("pipelines/demo.toml")).unwrap();
    let pipeline = demo.replace("data = \"../fixtures/demo\"", &format!("data = {:?}", inputs.display().to_string()));
    assert_ne!(pipeline, demo, "the demo pipeline's data root moved: update this test");
    let pipeline_path = work.join("pipeline.toml");
    std::fs::write(&pipeline_path, pipeline).unwrap();

    let mut cluster = Cluster { processes: Vec::new(), logs: Vec::new() };
    let scheduler_port = free_port();
    let scheduler = format!("127.0.0.1:{scheduler_port}");
    cluster.start("scheduler", &["cluster", "scheduler", "--bind", &scheduler], work);
    cluster.wait_for(scheduler_port);
    let mut executor_ports = Vec::new();
    for name in ["executor-1", "executor-2"] {
        let (flight, grpc) = (free_port(), free_port());
        let work_dir = work.join(name);
        std::fs::create_dir_all(&work_dir).unwrap();
        let (flight_text, grpc_text) = (flight.to_string(), grpc.to_string());
        cluster.start(
            name,
            &[
                "cluster",
                "executor",
                "--scheduler",
                &scheduler,
                "--flight-port",
                &flight_text,
                "--grpc-port",
                &grpc_text,
                "--concurrent-tasks",
                "1",
                "--work-dir",
                work_dir.to_str().unwrap(),
            ],
            work,
        );
        executor_ports.push(grpc);
    }
    for port in executor_ports {
        cluster.wait_for(port);
    }

    let run = |engine: &str, out: &Path| {
        skillgap()
            .args([
                "run",
                "--pipeline",
                pipeline_path.to_str().unwrap(),
                "--semester",
                "2026-S1",
                "--engine",
                engine,
                "--out",
                out.to_str().unwrap(),
            ])
            .env("SKILLGAP_LOG", "warn")
            .output()
            .unwrap()
    };
    let local = work.join("local");
    let output = run("local", &local);
    assert!(output.status.success(), "{}", text(&output));
    let url = format!("df://{scheduler}");
    let distributed = work.join("distributed");
    let output = run(&url, &distributed);
    assert!(output.status.success(), "{}\n{}", text(&output), cluster.logs());
    assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("engine:   {url}")), "{}", text(&output));

    // Both executors ran tasks: the plans were cut into stages and shuffled between them.
    for log in &cluster.logs[1..] {
        let tasks = std::fs::read_to_string(log).unwrap().matches("Finished task").count();
        assert!(tasks > 10, "{} ran {tasks} tasks", log.display());
    }

    let (local, distributed) = (local.join("current"), distributed.join("current"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(distributed.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["engine"], url.as_str());
    assert!(!distributed.join("engine_tables").exists(), "the driver's shared tables are removed before publishing");
    let mut compared = 0;
    for layer in ["silver", "gold", "public"] {
        let (expected, actual) = (tables(&local, layer), tables(&distributed, layer));
        assert_eq!(
            expected.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            actual.iter().map(|(name, _)| name).collect::<Vec<_>>()
        );
        for ((name, expected), (_, actual)) in expected.iter().zip(&actual) {
            // The demo lands no Marché du travail answer: France Travail's tension is empty.
            let may_be_empty = name.ends_with("rejects")
                || name.ends_with("labour_market_tension")
                || name.ends_with("france_travail_tension");
            assert!(expected.num_rows() > 0 || may_be_empty, "{name} is empty: the comparison would prove little");
            assert_eq!(expected, actual, "{name} differs between the local engine and the cluster");
            compared += 1;
        }
    }
    assert_eq!(compared, 25, "9 silver, 8 gold and 8 public tables");
    let gold = tables(&distributed, "gold");
    let rows = |table: &str| gold.iter().find(|(name, _)| name == table).map(|(_, batch)| batch.num_rows()).unwrap();
    assert!(
        rows("gold.competence_gap") > 1000 && rows("gold.etat_des_lieux") == rows("gold.competence_gap"),
        "region scale, with its semester snapshot"
    );
}

#[test]
fn an_unreachable_cluster_exits_8_and_publishes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let out = work.path().join("out");
    let url = format!("df://127.0.0.1:{}", free_port());
    let output = skillgap()
        .args(["run", "--engine", &url, "--out", out.to_str().unwrap()])
        .current_dir(&repository)
        .env("SKILLGAP_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(8), "{}", text(&output));
    assert!(text(&output).contains(&url) && text(&output).contains("cannot be reached"), "{}", text(&output));
    assert!(!out.join("current").exists());
}

#[test]
fn the_cluster_subcommands_have_help() {
    for role in ["scheduler", "executor"] {
        let output = skillgap().args(["cluster", role, "--help"]).output().unwrap();
        assert!(output.status.success(), "{}", text(&output));
        assert!(
            String::from_utf8_lossy(&output.stdout).contains(&format!("Usage: skillgap cluster {role}")),
            "{}",
            text(&output)
        );
    }
}

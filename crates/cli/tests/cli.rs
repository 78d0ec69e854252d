//! The `skillgap` binary as a user runs it: help on every subcommand, a run then queries,
//! read-only SQL, and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn skillgap(arguments: &[&str], directory: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skillgap")).args(arguments).current_dir(directory).env("SKILLGAP_LOG", "warn").output().unwrap()
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn every_subcommand_has_help() {
    let here = repository();
    for arguments in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["sql", "--help"],
        vec!["runs", "--help"],
        vec!["fixtures", "generate", "--help"],
        vec!["docs", "tables", "--help"],
        vec!["fetch", "offers", "--help"],
        vec!["sheets", "--help"],
        vec!["publish", "--help"],
    ] {
        let output = skillgap(&arguments, &here);
        assert!(output.status.success(), "{arguments:?}: {}", text(&output));
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage: skillgap"), "{arguments:?}");
    }
}

#[test]
fn run_then_query_then_refuse_writes() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let here = repository();
    let output = skillgap(&["run", "--out", out_dir], &here);
    assert!(output.status.success(), "{}", text(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("gold.competence_gap") && printed.contains(&format!("{out_dir}/current")), "{printed}");

    let output =
        skillgap(&["sql", "--out", out_dir, "--format", "csv", "SELECT COUNT(*) AS n FROM gold.competence_gap WHERE code_bassin = 'HORS_BASSIN'"], &here);
    assert!(output.status.success(), "{}", text(&output));
    let count: i64 = String::from_utf8_lossy(&output.stdout).lines().nth(1).unwrap().trim().parse().unwrap();
    assert!(count > 0, "the demo has HORS_BASSIN rows");

    // Unqualified names work when unique; statements that write are refused.
    let output = skillgap(&["sql", "--out", out_dir, "SELECT COUNT(*) FROM competence_gap"], &here);
    assert!(output.status.success(), "{}", text(&output));
    for statement in [
        "DROP TABLE gold.competence_gap",
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO gold.competence_gap SELECT * FROM gold.competence_gap",
        "COPY gold.competence_gap TO '/tmp/x.csv'",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let output = skillgap(&["sql", "--out", out_dir, statement], &here);
        assert!(!output.status.success(), "{statement} was accepted");
    }
    assert!(Path::new(out_dir).join("current/gold/competence_gap/part-0.parquet").exists());

    // Interactive mode reads statements from standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_skillgap"))
        .args(["sql", "--out", out_dir, "--format", "csv"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"SELECT 40 + 2 AS answer\n;\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("answer\n42"), "{}", text(&output));

    let output = skillgap(&["runs", "--out", out_dir], &here);
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("* "), "{}", text(&output));
}

#[test]
fn bad_configuration_exits_2_with_the_file_named_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("broken.toml");
    std::fs::write(&pipeline, "name = \"x\"\nunknown_setting = 1\n").unwrap();
    let output = skillgap(&["run", "--pipeline", pipeline.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = text(&output);
    assert!(message.contains("broken.toml") && !message.contains("panicked"), "{message}");
    let output = skillgap(&["run", "--as-of", "tomorrow"], &repository());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let output = skillgap(&["sql", "--out", dir.path().to_str().unwrap(), "SELECT 1"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("nothing has been published"), "{}", text(&output));
}

#[test]
fn progress_bars_only_on_an_interactive_terminal() {
    let out = tempfile::tempdir().unwrap();
    let here = repository();
    let out_arg = out.path().display().to_string();
    // Piped: logs only, never a bar.
    let piped = Command::new(env!("CARGO_BIN_EXE_skillgap")).args(["run", "--out", &out_arg]).current_dir(&here).env("SKILLGAP_LOG", "info").output().unwrap();
    assert!(piped.status.success(), "{}", text(&piped));
    let logs = String::from_utf8_lossy(&piped.stderr);
    assert!(logs.contains("run started") && !logs.contains("fichiers") && !logs.contains("skillgap::progress"), "{logs}");
    // On a terminal (a pseudo-terminal from util-linux's `script`): the offers files bar
    // (into another output: a second run into the same one would read no offer file again).
    let other = tempfile::tempdir().unwrap();
    let command = format!("{} run --out {}", env!("CARGO_BIN_EXE_skillgap"), other.path().display());
    let terminal = Command::new("script").args(["-qec", &command, "/dev/null"]).current_dir(&here).env("SKILLGAP_LOG", "info").output().unwrap();
    assert!(terminal.status.success(), "{}", text(&terminal));
    let screen = String::from_utf8_lossy(&terminal.stdout);
    assert!(screen.contains("/81 fichiers"), "{}", &screen[..screen.len().min(2000)]);
}

#[test]
fn a_second_run_on_the_same_inputs_says_it_built_on_the_first() {
    let out = tempfile::tempdir().unwrap();
    let out_arg = out.path().display().to_string();
    let first = skillgap(&["run", "--out", &out_arg], &repository());
    assert!(first.status.success(), "{}", text(&first));
    let first_id = String::from_utf8_lossy(&first.stdout).split_whitespace().nth(1).unwrap().to_owned();
    assert!(!String::from_utf8_lossy(&first.stdout).contains("built on"), "{}", text(&first));
    let second = skillgap(&["run", "--out", &out_arg], &repository());
    assert!(second.status.success(), "{}", text(&second));
    assert!(String::from_utf8_lossy(&second.stdout).contains(&format!("built on run {first_id}: only the new offer files were read")), "{}", text(&second));
}

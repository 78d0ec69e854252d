//! Bad input never panics, never publishes half a run, and says which file (and line or
//! field) is wrong, with the documented exit code.

use std::path::Path;

use crate::support::{REFERENTIALS, write_pipeline};
use skillgap_run::{Error, ExitCode};

const COMMUNES: &str =
    "code_commune,libelle_commune,code_bassin,code_postal\n11001,Un,0001,11100\n22001,Deux,0002,22100\n";
const OFFERS: &str = "{\"id\":\"o1\",\"dateCreation\":\"2026-03-01T10:00:00Z\",\"lieuTravail\":{\"commune\":\"11001\"},\"romeCode\":\"A1111\",\"typeContrat\":\"CDI\"}\n";
const JOBSEEKERS: &str = "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n2026-06,0001,bassin,A1111,40,80,40,50\n";
const BMO: &str =
    "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n2026;M1;M;7;11;1;B;100;60;10\n";

fn good_files() -> Vec<(&'static str, &'static str)> {
    let mut files =
        vec![("communes.csv", COMMUNES), ("offers/a.ndjson", OFFERS), ("jobseekers.csv", JOBSEEKERS), ("bmo.csv", BMO)];
    files.extend(REFERENTIALS);
    files
}

async fn run(path: &Path) -> Result<skillgap_run::RunReport, Error> {
    crate::support::run_at(path, "2026-07-01").await
}

fn published_run(dir: &Path) -> Option<String> {
    skillgap_run::Store::new(&dir.join("out")).current_run().unwrap()
}

#[tokio::test]
async fn a_missing_input_file_names_the_input_and_the_path_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(dir.path(), &good_files(), "");
    std::fs::remove_file(dir.path().join("data/jobseekers.csv")).unwrap();
    let error = run(&path).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("jobseekers") && message.contains("jobseekers.csv") && message.contains("does not exist"),
        "{message}"
    );
    assert_eq!(error.exit_code(), ExitCode::SourceUnavailable);
    assert_eq!(published_run(dir.path()), None);
    assert!(
        !dir.path().join("out/.staging").read_dir().unwrap().any(|e| e.is_ok()),
        "the failed run's staging directory is removed"
    );
}

#[tokio::test]
async fn a_csv_without_a_required_column_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = good_files();
    files.retain(|(name, _)| *name != "jobseekers.csv");
    files.push(("jobseekers.csv", "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m\n2026-06,0001,bassin,A1111,40,80,40\n"));
    let path = write_pipeline(dir.path(), &files, "");
    let error = run(&path).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("jobseekers.csv, line 1") && message.contains("`entrees_a_12m` is missing"), "{message}");
    assert_eq!(error.exit_code(), ExitCode::SourceUnavailable);
}

#[tokio::test]
async fn rejects_over_the_threshold_fail_the_run_and_keep_the_previous_run_current() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(dir.path(), &good_files(), "");
    let first = run(&path).await.unwrap();
    let previous = published_run(dir.path()).unwrap();
    assert_eq!(first.manifest.run_id, previous);
    let before = std::fs::read(dir.path().join("out/current/gold/competence_gap/part-0.parquet")).unwrap();
    // Now half the offers are unparsable.
    std::fs::write(dir.path().join("data/offers/a.ndjson"), format!("{OFFERS}{{\"id\": \"broken\n")).unwrap();
    let error = run(&path).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("input offers: 1 of 2 rows rejected (50.0 %)")
            && message.contains("bad_json")
            && message.contains("data:offers/a.ndjson line 2"),
        "{message}"
    );
    assert_eq!(error.exit_code(), ExitCode::RejectsOverThreshold);
    assert_eq!(published_run(dir.path()).as_ref(), Some(&previous));
    assert_eq!(std::fs::read(dir.path().join("out/current/gold/competence_gap/part-0.parquet")).unwrap(), before);
}

#[tokio::test]
async fn a_second_run_while_one_holds_the_lock_exits_with_the_lock_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(dir.path(), &good_files(), "");
    let store = skillgap_run::Store::new(&dir.path().join("out"));
    let _held = store.lock().unwrap();
    let error = run(&path).await.unwrap_err();
    assert_eq!(error.exit_code(), ExitCode::Locked);
    assert!(error.to_string().contains("another skillgap run"), "{error}");
}

#[test]
fn a_malformed_or_unknown_field_pipeline_names_the_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(dir.path(), &good_files(), "[thresholds]\nmin_denum = 3\n");
    let message = skillgap_config::Pipeline::load(&path).unwrap_err().to_string();
    assert!(
        message.contains("pipeline.toml") && message.contains("min_denum") && message.contains("line"),
        "{message}"
    );
    std::fs::write(&path, "name = \"x\"\n[roots\n").unwrap();
    let message = skillgap_config::Pipeline::load(&path).unwrap_err().to_string();
    assert!(message.contains("pipeline.toml") && message.contains("line 2"), "{message}");
}

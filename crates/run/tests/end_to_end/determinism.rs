//! Two runs of the demo pipeline on the same inputs publish byte-identical silver and gold
//! tables.

use std::path::{Path, PathBuf};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn table_files(run_dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for layer in ["silver", "gold"] {
        let mut tables: Vec<PathBuf> =
            std::fs::read_dir(run_dir.join(layer)).unwrap().map(|e| e.unwrap().path()).collect();
        tables.sort();
        for table in tables {
            let file = table.join("part-0.parquet");
            files.push((file.strip_prefix(run_dir).unwrap().display().to_string(), std::fs::read(&file).unwrap()));
        }
    }
    files
}

#[tokio::test]
async fn the_same_inputs_give_identical_tables() {
    let pipeline = skillgap_config::Pipeline::load(&repository().join("pipelines/demo.toml")).unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut reports = Vec::new();
    for out in [a.path(), b.path()] {
        let request = skillgap_run::RunRequest {
            pipeline: pipeline.clone(),
            as_of: None,
            semester: None,
            output: Some(out.to_path_buf()),
        };
        reports.push(skillgap_run::run(request).await.unwrap());
    }
    let (first, second) = (table_files(&reports[0].run_dir), table_files(&reports[1].run_dir));
    assert_eq!(first.len(), 9 + skillgap_models::marts::MARTS.len());
    for ((name, bytes), (other_name, other_bytes)) in first.iter().zip(&second) {
        assert_eq!(name, other_name);
        assert!(bytes == other_bytes, "{name} differs between two runs");
    }
    // The demo is not trivial: every tension level, fill rates below and above 80 %,
    // NULLs from the thresholds, offers outside every bassin, supply-only rows.
    let session = skillgap_run::QuerySession::open(a.path(), None).await.unwrap();
    let checks = session
        .query(
            "SELECT COUNT(DISTINCT niveau_tension) = 5 AND SUM(CASE WHEN taux_remplissage < 0.8 THEN 1 ELSE 0 END) > 0
                AND SUM(CASE WHEN taux_remplissage >= 0.8 THEN 1 ELSE 0 END) > 0
                AND SUM(CASE WHEN capacite_12m IS NOT NULL AND taux_remplissage IS NULL THEN 1 ELSE 0 END) > 0
                AND SUM(CASE WHEN de_a IS NOT NULL AND ratio_offres_de_a IS NULL THEN 1 ELSE 0 END) > 0
                AND SUM(CASE WHEN code_bassin = 'HORS_BASSIN' THEN offres ELSE 0 END) > 0
                AND SUM(CASE WHEN offres = 0 AND de_a IS NULL AND capacite_12m IS NOT NULL THEN 1 ELSE 0 END) > 0
                AND COUNT(taux_emploi_6m) > 0
             FROM gold.competence_gap",
        )
        .await
        .unwrap();
    let text = arrow::util::pretty::pretty_format_batches(&checks).unwrap().to_string();
    assert!(text.contains("| true "), "{text}");
}

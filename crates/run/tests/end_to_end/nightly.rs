//! A nightly run that only adds offer files builds on the previous run — reading only the
//! new files — and publishes exactly what a full run on the same inputs publishes; any
//! other change makes it a full run.

use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use skillgap_run::{QuerySession, RunReport, RunRequest};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The demo pipeline over a copy of its fixtures in `dir/data`.
fn demo_copy(dir: &Path) -> PathBuf {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    copy_tree(&repository.join("fixtures/demo"), &dir.join("data"));
    let text = std::fs::read_to_string(repository.join("pipelines/demo.toml"))
        .unwrap()
        .replace("data = \"../fixtures/demo\"", "data = \"data\"");
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn run(pipeline: &Path, out: &Path) -> RunReport {
    let pipeline = skillgap_config::Pipeline::load(pipeline).unwrap();
    skillgap_run::run(RunRequest { pipeline, as_of: None, semester: None, output: Some(out.to_path_buf()) })
        .await
        .unwrap()
}

fn gzip(path: &Path, lines: &[String]) {
    let mut encoder = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::fast());
    for line in lines {
        writeln!(encoder, "{line}").unwrap();
    }
    encoder.finish().unwrap();
}

async fn rows(out: &Path, sql: &str) -> Vec<RecordBatch> {
    QuerySession::open(out, None).await.unwrap().query(sql).await.unwrap()
}

/// Every silver and gold table of two outputs, row for row.
async fn assert_same_tables(built_on: &Path, full: &Path) {
    let session = QuerySession::open(full, None).await.unwrap();
    let tables = session
        .query("SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema IN ('silver', 'gold') ORDER BY 1")
        .await
        .unwrap();
    let names: Vec<String> = tables
        .iter()
        .flat_map(|b| {
            arrow::array::AsArray::as_string::<i32>(b.column(0)).iter().flatten().map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    assert!(names.len() >= 15, "{names:?}");
    for table in names {
        // Every row as text, in the lines' order (whatever order the files hold them in).
        let sql = format!("SELECT * FROM {table}");
        let (ours, theirs) = (rows(built_on, &sql).await, rows(full, &sql).await);
        let render = |batches: &[RecordBatch]| {
            let text = arrow::util::pretty::pretty_format_batches(batches).unwrap().to_string();
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            lines.sort();
            lines
        };
        let (ours, theirs) = (render(&ours), render(&theirs));
        assert_eq!(ours.len(), theirs.len(), "{table}: not as many rows in the nightly run as in a full run");
        if let Some((a, b)) = ours.iter().zip(&theirs).find(|(a, b)| a != b) {
            panic!("{table} differs between the nightly run and a full run:\n{a}\n{b}");
        }
    }
}

#[tokio::test]
async fn new_offer_files_are_merged_into_the_previous_run_as_a_full_run_would() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = demo_copy(dir.path());
    let (nightly, full) = (dir.path().join("nightly"), dir.path().join("full"));
    let first = run(&pipeline, &nightly).await;
    assert_eq!(first.manifest.built_on, None);

    // The next day: a file after the others with a new version of a published offer, an
    // older version of another (which must lose), a version tied with a third (the one
    // read last wins), a new offer, an unknown ROME code and a truncated line.
    let published = rows(
        &nightly,
        "SELECT offer_id, updated_at FROM silver.offers WHERE code_bassin <> 'HORS_BASSIN' ORDER BY offer_id LIMIT 3",
    )
    .await;
    let ids = arrow::array::AsArray::as_string::<i32>(published[0].column(0));
    let stamp = |row: usize| {
        let cast = arrow::compute::cast(published[0].column(1), &arrow::datatypes::DataType::Utf8).unwrap();
        arrow::array::AsArray::as_string::<i32>(&cast).value(row).replace(' ', "T").replace("+00:00", "Z")
    };
    let offer = |id: &str, created: &str, updated: &str, rome: &str, postes: u32| {
        format!(
            r#"{{"id":"{id}","intitule":"Offre du lendemain","dateCreation":"{created}","dateActualisation":"{updated}","romeCode":"{rome}","nombrePostes":{postes},"typeContrat":"CDI","typeContratLibelle":"Contrat à durée indéterminée","lieuTravail":{{"commune":"41001","codePostal":"41010","libelle":"41 - COMMUNE"}}}}"#
        )
    };
    let rome = rows(&nightly, "SELECT MIN(code_rome) FROM silver.offers").await;
    let rome = arrow::array::AsArray::as_string::<i32>(rome[0].column(0)).value(0).to_owned();
    let lines = vec![
        offer(ids.value(0), "2025-01-01T00:00:00Z", "2026-11-25T23:00:00.000Z", &rome, 7),
        offer(ids.value(1), "2025-01-01T00:00:00Z", "2025-01-02T00:00:00.000Z", &rome, 8),
        offer(ids.value(2), "2025-01-01T00:00:00Z", &stamp(2), &rome, 9),
        offer("NEW0001", "2026-11-25T08:00:00Z", "2026-11-25T08:00:00.000Z", &rome, 2),
        offer("NEW0002", "2026-11-25T08:00:00Z", "2026-11-25T08:00:00.000Z", "Z9999", 1),
        r#"{"id":"NEW0003","intitule":"tronqu"#.to_owned(),
    ];
    gzip(&dir.path().join("data/offers/ndjson/offres-001.ndjson.gz"), &lines);

    let second = run(&pipeline, &nightly).await;
    assert_eq!(
        second.manifest.built_on.as_deref(),
        Some(first.manifest.run_id.as_str()),
        "the nightly run did not build on the previous one"
    );
    let reference = run(&pipeline, &full).await;
    assert_eq!(reference.manifest.built_on, None);
    assert_same_tables(&nightly, &full).await;
    let counts = |report: &RunReport| {
        report.manifest.inputs.iter().map(|i| (i.name.clone(), i.rows_read, i.rows_rejected)).collect::<Vec<_>>()
    };
    assert_eq!(counts(&second), counts(&reference));
    let outputs =
        |report: &RunReport| report.manifest.outputs.iter().map(|o| (o.table.clone(), o.rows)).collect::<Vec<_>>();
    assert_eq!(outputs(&second), outputs(&reference));
    assert_eq!(second.manifest.unknown_codes, reference.manifest.unknown_codes);
    // The merge did what the rules say.
    let merged = rows(
        &nightly,
        &format!(
            "SELECT offer_id, postes FROM silver.offers WHERE offer_id IN ('{}', '{}', '{}', 'NEW0001') ORDER BY offer_id",
            ids.value(0),
            ids.value(1),
            ids.value(2)
        ),
    )
    .await;
    let postes: Vec<i64> =
        arrow::array::AsArray::as_primitive::<arrow::datatypes::Int64Type>(merged[0].column(1)).values().to_vec();
    assert_eq!(postes.len(), 4);
    assert_eq!(postes[0], 7, "the newer version replaces the published one");
    assert_ne!(postes[1], 8, "an older version does not replace the published one");
    assert_eq!(postes[2], 9, "of two versions at the same time, the one read last wins");

    // Another input changes: a full run.
    let nsf = dir.path().join("data/referentials/nsf.csv");
    let text = std::fs::read_to_string(&nsf).unwrap();
    std::fs::write(&nsf, text.replacen("\n", "\n999,Spécialité ajoutée\n", 1)).unwrap();
    let third = run(&pipeline, &nightly).await;
    assert_eq!(third.manifest.built_on, None, "a changed referential must give a full run");
    // Nothing new: built on it. An offer file read before is rewritten: a full run.
    let fourth = run(&pipeline, &nightly).await;
    assert_eq!(fourth.manifest.built_on.as_deref(), Some(third.manifest.run_id.as_str()));
    assert_eq!(outputs(&fourth), outputs(&third));
    gzip(&dir.path().join("data/offers/ndjson/offres-001.ndjson.gz"), &lines[..3]);
    let fifth = run(&pipeline, &nightly).await;
    assert_eq!(fifth.manifest.built_on, None, "a changed offer file must give a full run");
}

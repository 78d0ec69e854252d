//! Properties of the whole pipeline on the demo fixtures: permuting the rows of every
//! activity input and splitting its files differently changes no gold table, byte for byte.

use std::io::Read;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::seq::SliceRandom;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target)
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn read_text(path: &Path) -> String {
    let mut text = String::new();
    skillgap_sources::open_decompressed(path).unwrap().read_to_string(&mut text).unwrap();
    text
}

fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

/// Every offer record of the API pages and NDJSON files, one JSON text per line (a
/// malformed NDJSON line kept as it is).
fn offer_lines(data: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for page in sorted_files(&data.join("offers/api")) {
        let value: serde_json::Value = serde_json::from_str(&read_text(&page)).unwrap();
        lines.extend(value["resultats"].as_array().unwrap().iter().map(|record| record.to_string()));
    }
    for file in sorted_files(&data.join("offers/ndjson")) {
        lines.extend(read_text(&file).lines().filter(|line| !line.trim().is_empty()).map(str::to_owned));
    }
    lines
}

fn shuffle_csv(path: &Path, rng: &mut rand_chacha::ChaCha8Rng) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.shuffle(rng);
    std::fs::write(path, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
}

/// Splits the UTF-8 catalogue's formations, shuffled, into two files.
fn split_catalogue(lheo: &Path, rng: &mut rand_chacha::ChaCha8Rng) {
    let path = lheo.join("catalogue-2.3-utf8.xml.gz");
    let text = read_text(&path);
    let (start, end) = (text.find("<formation ").unwrap(), text.rfind("</formation>").unwrap() + "</formation>".len());
    let (head, tail) = (&text[..start], &text[end..]);
    let mut formations: Vec<String> = text[start..end]
        .split("<formation ")
        .filter(|f| !f.trim().is_empty())
        .map(|f| format!("<formation {}", f.trim_end()))
        .collect();
    formations.shuffle(rng);
    let middle = formations.len() / 3;
    std::fs::remove_file(&path).unwrap();
    for (name, part) in [("b-catalogue.xml", &formations[..middle]), ("a-catalogue.xml", &formations[middle..])] {
        std::fs::write(lheo.join(name), format!("{head}{}\n{tail}", part.join("\n"))).unwrap();
    }
}

async fn gold_files(data_root: &str, dir: &Path) -> Vec<(String, Vec<u8>)> {
    let text = std::fs::read_to_string(repository().join("pipelines/demo.toml"))
        .unwrap()
        .replace("data = \"../fixtures/demo\"", &format!("data = \"{data_root}\""));
    let pipeline_path = dir.join(format!("{}.toml", data_root.replace(['/', '.'], "_")));
    std::fs::write(&pipeline_path, text).unwrap();
    let pipeline = skillgap_config::Pipeline::load(&pipeline_path).unwrap();
    let out = dir.join(format!("out-{}", data_root.replace(['/', '.'], "_")));
    let report =
        skillgap_run::run(skillgap_run::RunRequest { pipeline, as_of: None, semester: None, output: Some(out) })
            .await
            .unwrap();
    sorted_files(&report.run_dir.join("gold"))
        .into_iter()
        .map(|table| {
            (
                table.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(table.join("part-0.parquet")).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn permuting_rows_and_splitting_files_changes_no_gold_table() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original");
    copy_tree(&repository().join("fixtures/demo"), &original);
    let permuted = dir.path().join("permuted");
    copy_tree(&original, &permuted);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);

    // Offers: every record from pages and NDJSON, shuffled, in three NDJSON files.
    let mut offers = offer_lines(&permuted);
    offers.shuffle(&mut rng);
    for folder in ["offers/api", "offers/ndjson"] {
        std::fs::remove_dir_all(permuted.join(folder)).unwrap();
        std::fs::create_dir_all(permuted.join(folder)).unwrap();
    }
    let third = offers.len() / 3;
    for (name, part) in [
        ("offers/api/z.ndjson", &offers[..third]),
        ("offers/ndjson/a.ndjson", &offers[third..2 * third]),
        ("offers/ndjson/b.ndjson", &offers[2 * third..]),
    ] {
        std::fs::write(permuted.join(name), part.join("\n") + "\n").unwrap();
    }
    for csv in ["jobseekers/demandeurs_emploi.csv", "bmo/bmo_2026.csv", "sessions/session_outcomes.csv"] {
        shuffle_csv(&permuted.join(csv), &mut rng);
    }
    split_catalogue(&permuted.join("lheo"), &mut rng);

    let expected = gold_files("original", dir.path()).await;
    let actual = gold_files("permuted", dir.path()).await;
    assert_eq!(expected.len(), skillgap_models::marts::MARTS.len());
    for ((table, bytes), (other, other_bytes)) in expected.iter().zip(&actual) {
        assert_eq!(table, other);
        assert!(bytes == other_bytes, "gold.{table} changed when the inputs were permuted and split");
    }
}

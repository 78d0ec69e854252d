//! Bad territorial input: a commune in two bassins, a commune of a bassin the polygons do
//! not know, a broken ring, a crosswalk whose weights do not sum to 1 — rejects or clear
//! errors, never a panic; and a point placed by its polygon.

use crate::support::{REFERENTIALS, write_pipeline};
use skillgap_run::ExitCode;

const GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"code_bassin":"0001","libelle_bassin":"Ouest"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
 {"type":"Feature","properties":{"code_bassin":"0002","libelle_bassin":"Est"},"geometry":{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}}]}"#;
// 11001 is listed twice (second listing rejected); 33001 names a bassin with no polygon.
const COMMUNES: &str =
    "code_commune,libelle_commune,code_bassin\n11001,Un,0001\n22001,Deux,0002\n11001,Un bis,0002\n33001,Trois,0003\n";
const OFFERS: &str = r#"{"id":"a","dateCreation":"2026-03-01T10:00:00Z","lieuTravail":{"latitude":0.5,"longitude":1.5},"romeCode":"A1111","typeContrat":"CDI"}
{"id":"b","dateCreation":"2026-03-01T10:00:00Z","lieuTravail":{"commune":"11001"},"romeCode":"A1111","typeContrat":"CDI"}
{"id":"c","dateCreation":"2026-03-01T10:00:00Z","lieuTravail":{"latitude":5.0,"longitude":5.0},"romeCode":"A1111","typeContrat":"CDI"}
"#;
const JOBSEEKERS: &str = "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n2026-06,0001,bassin,A1111,40,80,40,50\n";
const BMO: &str =
    "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n2026;M1;M;7;11;9901;B;100;60;10\n";

fn files(geojson: &'static str, crosswalk: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut files = vec![
        ("communes.csv", COMMUNES),
        ("bassins.geojson", geojson),
        ("offers/a.ndjson", OFFERS),
        ("jobseekers.csv", JOBSEEKERS),
        ("bmo.csv", BMO),
        ("bmo_bassins.csv", crosswalk),
    ];
    files.extend(REFERENTIALS);
    files
}

const GRID: &str = "[grid]\nkind = \"custom\"\n[thresholds]\nmax_reject_ratio = 0.6\n[inputs.territories.bassins]\npath = \"bassins.geojson\"\n[inputs.territories.bmo_bassins]\npath = \"bmo_bassins.csv\"\n";

async fn run(dir: &std::path::Path, files: &[(&str, &str)]) -> Result<skillgap_run::RunReport, skillgap_run::Error> {
    let path = write_pipeline(dir, files, GRID);
    crate::support::run_at(&path, "2026-07-01").await
}

#[tokio::test]
async fn duplicate_and_unknown_communes_are_rejects_and_points_are_placed_by_polygon() {
    let dir = tempfile::tempdir().unwrap();
    let report =
        run(dir.path(), &files(GEOJSON, "code_bassin_bmo,code_bassin,poids\n9901,0001,0.25\n9901,0002,0.75\n"))
            .await
            .unwrap();
    let session = skillgap_run::QuerySession::open(&report.output_dir, None).await.unwrap();
    let rejects = arrow::util::pretty::pretty_format_batches(
        &session
            .query("SELECT input, location, reason FROM silver.rejects WHERE input = 'communes' ORDER BY location")
            .await
            .unwrap(),
    )
    .unwrap()
    .to_string();
    assert!(rejects.contains("line 4") && rejects.contains("duplicate_key"), "{rejects}");
    assert!(rejects.contains("line 5") && rejects.contains("unknown_bassin"), "{rejects}");
    let offers = arrow::util::pretty::pretty_format_batches(
        &session.query("SELECT offer_id, code_bassin, geo_method FROM silver.offers ORDER BY offer_id").await.unwrap(),
    )
    .unwrap()
    .to_string();
    assert!(offers.contains("| a        | 0002        | point      |"), "{offers}");
    assert!(offers.contains("| b        | 0001        | commune    |"), "the first listing of 11001 wins: {offers}");
    assert!(offers.contains("| c        | HORS_BASSIN | none       |"), "{offers}");
    // BMO bassin 9901 spread 25 % / 75 %.
    let bmo = arrow::util::pretty::pretty_format_batches(
        &session.query("SELECT code_bassin, bmo_projets FROM gold.competence_gap WHERE code_rome = 'A1111' ORDER BY code_bassin").await.unwrap(),
    )
    .unwrap()
    .to_string();
    assert!(bmo.contains("| 0001        | 25.0 "), "{bmo}");
}

#[tokio::test]
async fn crosswalk_weights_not_summing_to_one_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = run(dir.path(), &files(GEOJSON, "code_bassin_bmo,code_bassin,poids\n9901,0001,0.25\n9901,0002,0.70\n"))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("bmo_bassins") && message.contains("9901 sums to 0.95"), "{message}");
    assert_eq!(error.exit_code(), ExitCode::SourceUnavailable);
}

#[tokio::test]
async fn a_broken_ring_names_the_file_and_the_feature() {
    let dir = tempfile::tempdir().unwrap();
    let broken = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code_bassin":"0001"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0]]]}}]}"#;
    let error = run(dir.path(), &files(broken, "code_bassin_bmo,code_bassin,poids\n9901,0001,1\n")).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("bassins.geojson") && message.contains("feature 0 (bassin 0001)"), "{message}");
    assert_eq!(error.exit_code(), ExitCode::SourceUnavailable);
}

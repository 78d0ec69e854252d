//! The geocoding mechanism on the real Hauts-de-France grid (INSEE zones d'emploi 2020,
//! `fixtures/real`, Licence Ouverte): every commune by its code, points inside each zone, points in the
//! sea and in Belgium, and points on shared borders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::AsArray;
use geo::{BoundingRect, Contains, MultiPolygon, Point};
use skillgap_models::BassinIndex;
use skillgap_sources::{BassinProperties, read_bassins};

fn real() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/real")
}

fn zones() -> Vec<(String, MultiPolygon<f64>)> {
    let properties = BassinProperties { code: "ze2020", label: "libze2020", departement: "dep" };
    read_bassins(&real().join("zones_emploi_hdf.geojson"), &properties)
        .unwrap()
        .into_iter()
        .map(|b| (b.code, b.geometry))
        .collect()
}

#[test]
fn points_inside_each_zone_resolve_to_it_and_outside_points_to_none() {
    let zones = zones();
    assert_eq!(zones.len(), 24);
    let index = BassinIndex::new(zones.clone());
    let mut checked = 0;
    let mut in_two = 0;
    for (code, area) in &zones {
        let rect = area.bounding_rect().unwrap();
        // A deterministic lattice of points over the zone's box, kept when inside the zone.
        for i in 1..40 {
            for j in 1..40 {
                let point = Point::new(
                    rect.min().x + rect.width() * f64::from(i) / 40.0,
                    rect.min().y + rect.height() * f64::from(j) / 40.0,
                );
                if !area.contains(&point) {
                    continue;
                }
                let owners: Vec<&String> =
                    zones.iter().filter(|(_, other)| other.contains(&point)).map(|(c, _)| c).collect();
                if owners.len() > 1 {
                    in_two += 1; // the simplified polygons overlap slightly along some borders
                    assert_eq!(index.locate(point.x(), point.y()), owners.iter().min().map(|c| c.as_str()));
                    continue;
                }
                assert_eq!(index.locate(point.x(), point.y()), Some(code.as_str()), "point {point:?} of zone {code}");
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "{checked} points checked");
    assert!(f64::from(in_two) < 0.005 * f64::from(checked), "{in_two} points in two zones");
    // The Channel off Calais, Kortrijk and Brussels (Belgium), Paris.
    for (longitude, latitude) in [(1.30, 50.90), (3.265, 50.828), (4.35, 50.85), (2.35, 48.86)] {
        assert_eq!(index.locate(longitude, latitude), None, "({longitude}, {latitude})");
    }
}

#[test]
fn a_point_on_a_shared_border_resolves_to_the_same_zone_whatever_the_file_order() {
    let zones = zones();
    // Vertices that appear in the rings of two zones.
    let mut owners: BTreeMap<(i64, i64), Vec<String>> = BTreeMap::new();
    for (code, area) in &zones {
        for polygon in &area.0 {
            for coordinate in polygon.exterior().coords() {
                let key = ((coordinate.x * 1e5).round() as i64, (coordinate.y * 1e5).round() as i64);
                let list = owners.entry(key).or_default();
                if !list.contains(code) {
                    list.push(code.clone());
                }
            }
        }
    }
    let shared: Vec<((i64, i64), Vec<String>)> =
        owners.into_iter().filter(|(_, codes)| codes.len() == 2).take(200).collect();
    assert!(shared.len() >= 100);
    let forward = BassinIndex::new(zones.clone());
    let backward = BassinIndex::new(zones.into_iter().rev().collect());
    for ((x, y), codes) in shared {
        let (longitude, latitude) = (x as f64 / 1e5, y as f64 / 1e5);
        let answer = forward.locate(longitude, latitude);
        assert_eq!(answer, backward.locate(longitude, latitude));
        assert_eq!(answer, codes.iter().min().map(String::as_str), "vertex ({longitude}, {latitude}) of {codes:?}");
    }
}

#[tokio::test]
async fn every_commune_resolves_to_its_zone_by_code_through_the_pipeline() {
    let shared = real();
    let generated = tempfile::tempdir().unwrap();
    let grid = skillgap_fixtures::RealGrid {
        communes_csv: &shared.join("communes_ze2020_hdf.csv"),
        zones_geojson: &shared.join("zones_emploi_hdf.geojson"),
        code_property: "ze2020",
        label_property: "libze2020",
    };
    skillgap_fixtures::generate_on_real_grid(skillgap_fixtures::Scale::Demo, 7, &grid, generated.path()).unwrap();
    // Replace the offers by one offer per commune, placed by its code only.
    let mut expected = BTreeMap::new();
    let mut offers = String::new();
    let mut reader = csv::Reader::from_path(shared.join("communes_ze2020_hdf.csv")).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        expected.insert(record[0].to_owned(), record[2].to_owned());
        offers.push_str(&format!("{{\"id\":\"c{}\",\"dateCreation\":\"2026-06-01T10:00:00Z\",\"lieuTravail\":{{\"commune\":\"{}\"}},\"romeCode\":\"K2204\",\"typeContrat\":\"CDI\"}}\n", &record[0], &record[0]));
    }
    assert_eq!(expected.len(), 3788);
    std::fs::remove_dir_all(generated.path().join("offers")).unwrap();
    std::fs::create_dir_all(generated.path().join("offers/api")).unwrap();
    std::fs::create_dir_all(generated.path().join("offers/ndjson")).unwrap();
    std::fs::write(generated.path().join("offers/ndjson/communes.ndjson"), offers).unwrap();

    let mut pipeline = skillgap_config::Pipeline::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines/hauts-de-france-ze.toml"),
    )
    .unwrap();
    pipeline.roots.insert("generated".to_owned(), generated.path().display().to_string());
    let out = tempfile::tempdir().unwrap();
    let report = skillgap_run::run(skillgap_run::RunRequest {
        pipeline,
        as_of: None,
        semester: None,
        output: Some(out.path().to_path_buf()),
    })
    .await
    .unwrap();
    let session = skillgap_run::QuerySession::open(&report.output_dir, None).await.unwrap();
    let batches = session.query("SELECT offer_id, code_bassin, geo_method FROM silver.offers").await.unwrap();
    let mut resolved = 0;
    for batch in &batches {
        let (ids, bassins, methods) = (
            batch.column(0).as_string::<i32>(),
            batch.column(1).as_string::<i32>(),
            batch.column(2).as_string::<i32>(),
        );
        for row in 0..batch.num_rows() {
            let commune = &ids.value(row)[1..];
            assert_eq!(Some(bassins.value(row)), expected.get(commune).map(String::as_str), "commune {commune}");
            assert_eq!(methods.value(row), "commune");
            resolved += 1;
        }
    }
    assert_eq!(resolved, 3788);
    // The BMO survey by département reaches every zone through the crosswalk, in full.
    let totals = session.query("SELECT SUM(CAST(met AS DOUBLE) * poids) AS spread, (SELECT SUM(met) FROM (SELECT DISTINCT code_bassin_bmo, code_metier_bmo, met FROM silver.bmo)) AS survey, COUNT(DISTINCT code_bassin) AS zones FROM silver.bmo").await.unwrap();
    let batch = &totals[0];
    let spread = batch.column(0).as_primitive::<arrow::datatypes::Float64Type>().value(0);
    let survey = batch.column(1).as_primitive::<arrow::datatypes::Int64Type>().value(0) as f64;
    assert!((spread - survey).abs() < 1e-3 * survey, "{spread} spread for {survey} in the survey");
    assert_eq!(batch.column(2).as_primitive::<arrow::datatypes::Int64Type>().value(0), 24);
}

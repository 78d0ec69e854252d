//! The LHEO reader on the real samples of `../shared/data`, on generated catalogues in
//! both encodings, and on hostile files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};
use skillgap_sources::{LheoStats, RejectsBuilder, read_lheo};

fn shared(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(name);
    assert!(path.exists(), "{} is missing: these tests read the real samples", path.display());
    path
}

fn read(path: &Path) -> (Result<LheoStats, skillgap_sources::Error>, Vec<RecordBatch>, RecordBatch) {
    let mut rejects = RejectsBuilder::default();
    let mut batches = Vec::new();
    let stats = read_lheo(path, "test.xml", &mut rejects, &mut |batch| {
        batches.push(batch);
        Ok(())
    });
    (stats, batches, rejects.finish())
}

fn text(batch: &RecordBatch, column: &str, row: usize) -> Option<String> {
    let array = batch.column_by_name(column).unwrap().as_string::<i32>();
    (!array.is_null(row)).then(|| array.value(row).to_owned())
}

fn list(batch: &RecordBatch, column: &str, row: usize) -> Vec<String> {
    let array = batch.column_by_name(column).unwrap().as_list::<i32>();
    array.value(row).as_string::<i32>().iter().flatten().map(str::to_owned).collect()
}

fn write(content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.xml");
    std::fs::write(&path, content).unwrap();
    (dir, path)
}

#[test]
fn the_onisep_sample_parses_field_by_field() {
    let (stats, batches, rejects) = read(&shared("lheo_sample.xml"));
    assert_eq!(stats.unwrap(), LheoStats { formations: 1, sessions: 1, rejected: 0 });
    assert_eq!(rejects.num_rows(), 0);
    let batch = &batches[0];
    assert_eq!(text(batch, "formation_id", 0).as_deref(), Some("9436_18706"));
    assert_eq!(text(batch, "intitule_formation", 0).as_deref(), Some("BTS négociation et relation client"));
    // The formation's own Formacodes, not those of the organisme's `potentiel`.
    assert_eq!(list(batch, "formacodes", 0), ["34582", "34076"]);
    assert_eq!(list(batch, "codes_nsf", 0), ["312"]);
    assert_eq!((text(batch, "code_rncp", 0).as_deref(), text(batch, "code_certifinfo", 0).as_deref()), (Some("474"), Some("19004")));
    assert_eq!(text(batch, "organisme_nom", 0).as_deref(), Some("Lycée Kerneuzec"));
    assert_eq!(text(batch, "organisme_siret", 0).as_deref(), Some("19290076900014"));
    assert_eq!((text(batch, "lieu_code_commune", 0).as_deref(), text(batch, "lieu_code_postal", 0).as_deref()), (Some("29233"), Some("29391")));
    assert_eq!(batch.column_by_name("lieu_longitude").unwrap().as_primitive::<Float64Type>().value(0), -3.5526545);
    assert_eq!(
        (text(batch, "session_id", 0).as_deref(), text(batch, "debut", 0).as_deref(), text(batch, "fin", 0).as_deref()),
        (Some("9436_18706"), Some("20150901"), Some("20170831"))
    );
    assert!(batch.column_by_name("places_session").unwrap().is_null(0), "no nb-places in the sample: unknown, not 0");
    assert!(batch.column_by_name("places_financees").unwrap().is_null(0));
}

#[test]
fn the_intercarif_index_sample_parses_field_by_field() {
    let (stats, batches, _) = read(&shared("lheo_index_intercarif_sample.xml"));
    assert_eq!(stats.unwrap(), LheoStats { formations: 2, sessions: 2, rejected: 0 });
    let batch = &batches[0];
    assert_eq!(text(batch, "session_id", 0).as_deref(), Some("14_AF_0000011179_SE_0000093700"));
    assert_eq!(list(batch, "formacodes", 0), ["42602"]);
    assert_eq!(list(batch, "codes_nsf", 0), ["334"]);
    assert_eq!(text(batch, "intitule_formation", 0).as_deref(), Some("Licence pro guide conférencier"));
    assert_eq!(text(batch, "organisme_nom", 0).as_deref(), Some("GRETA METEHOR PARIS"));
    assert_eq!(text(batch, "organisme_siret", 0).as_deref(), Some("19750707200027"));
    assert_eq!((text(batch, "lieu_code_commune", 0).as_deref(), text(batch, "lieu_code_postal", 0).as_deref()), (Some("75117"), Some("75017")));
    assert_eq!(batch.column_by_name("lieu_latitude").unwrap().as_primitive::<Float64Type>().value(0), 48.897144);
    assert_eq!((text(batch, "debut", 0).as_deref(), text(batch, "fin", 0).as_deref()), (Some("20171003"), Some("20190928")));
    assert_eq!(text(batch, "code_rncp", 0).as_deref(), Some("25730"));
    assert_eq!(list(batch, "formacodes", 1), ["42623", "42654"]);
    assert_eq!(text(batch, "intitule_formation", 1).as_deref(), Some("Titre professionnel d'accompagnateur(trice) de tourisme"));
    assert_eq!((text(batch, "debut", 1).as_deref(), text(batch, "fin", 1).as_deref()), (Some("20170900"), Some("20180300")));
}

#[test]
fn generated_catalogues_read_the_same_in_iso_8859_1_and_utf_8_and_the_broken_formation_is_a_reject() {
    // The generator's ISO-8859-1 catalogue, as committed in fixtures/demo.
    let dir = tempfile::tempdir().unwrap();
    let latin1 = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo/lheo/catalogue-2.2-iso-8859-1.xml");
    let (stats, batches, rejects) = read(&latin1);
    let stats = stats.unwrap();
    assert_eq!(stats.rejected, 1);
    assert_eq!(rejects.column(3).as_string::<i32>().value(0), "bad_xml");
    assert!(rejects.column(2).as_string::<i32>().value(0).contains("BROKEN-1"));
    // The same document in UTF-8.
    let bytes = std::fs::read(&latin1).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "the committed file really is ISO-8859-1");
    let decoded: String = bytes.iter().map(|&b| char::from(b)).collect();
    let utf8 = dir.path().join("utf8.xml");
    std::fs::write(&utf8, decoded.replacen("ISO-8859-1", "UTF-8", 1)).unwrap();
    let (utf8_stats, utf8_batches, _) = read(&utf8);
    assert_eq!(utf8_stats.unwrap(), stats);
    let columns =
        |batches: &[RecordBatch]| -> Vec<RecordBatch> { batches.iter().map(|b| b.project(&(0..b.num_columns() - 2).collect::<Vec<_>>()).unwrap()).collect() };
    assert_eq!(columns(&batches), columns(&utf8_batches));
    let titles: Vec<String> = (0..batches[0].num_rows()).filter_map(|r| text(&batches[0], "intitule_formation", r)).collect();
    assert!(titles.iter().any(|t| t.contains('é')), "accents decoded");
    assert!(batches[0].column_by_name("places_financees").unwrap().as_primitive::<Int64Type>().iter().flatten().count() > 0);
}

#[test]
fn an_entity_bomb_and_an_external_entity_are_refused_at_once() {
    let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<lheo><offres><formation numero="x"><intitule-formation>&lol3;</intitule-formation></formation></offres></lheo>"#;
    let (_dir, path) = write(bomb);
    let started = std::time::Instant::now();
    let message = read(&path).0.unwrap_err().to_string();
    assert!(message.contains("DOCTYPE") && message.contains("catalogue.xml"), "{message}");
    assert!(started.elapsed().as_secs() < 5);

    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "TOP-SECRET-CONTENT").unwrap();
    let external = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lheo [<!ENTITY leak SYSTEM \"file://{}\">]>\n<lheo><offres><formation numero=\"x\"><intitule-formation>&leak;</intitule-formation></formation></offres></lheo>",
        secret.path().display()
    );
    let (_dir, path) = write(external.as_bytes());
    let (result, batches, rejects) = read(&path);
    let message = result.unwrap_err().to_string();
    assert!(!message.contains("TOP-SECRET") && batches.is_empty() && rejects.num_rows() == 0, "{message}");
}

#[test]
fn a_truncated_file_keeps_the_complete_formations_and_rejects_the_last() {
    let content = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><lheo><offres><formation numero=\"ok\"><action><session numero=\"s\"><periode><debut>20260101</debut><fin>20260601</fin></periode></session></action></formation><formation numero=\"cut\"><action><session numero=\"t\"><periode><debut>2026";
    let (_dir, path) = write(content.as_bytes());
    let (stats, batches, rejects) = read(&path);
    assert_eq!(stats.unwrap(), LheoStats { formations: 2, sessions: 1, rejected: 1 });
    assert_eq!(text(&batches[0], "session_id", 0).as_deref(), Some("s"));
    assert!(rejects.column(4).as_string::<i32>().value(0).contains("truncated"));
}

#[test]
fn an_undeclared_entity_rejects_its_formation_only() {
    let content = "<lheo><offres><formation numero=\"a\"><intitule-formation>A &foo; B</intitule-formation><action><session numero=\"1\"/></action></formation><formation numero=\"b\"><action><session numero=\"2\"/></action></formation></offres></lheo>";
    let (_dir, path) = write(content.as_bytes());
    let (stats, batches, rejects) = read(&path);
    assert_eq!(stats.unwrap(), LheoStats { formations: 2, sessions: 1, rejected: 1 });
    assert_eq!(text(&batches[0], "session_id", 0).as_deref(), Some("2"));
    assert!(rejects.column(4).as_string::<i32>().value(0).contains("&foo;"));
}

#[test]
fn a_wrong_encoding_declaration_is_a_clear_error_naming_the_file() {
    // Declared UTF-8, written in ISO-8859-1: the bytes of « Électricité » are not UTF-8.
    let mut content = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><lheo><offres><formation numero=\"a\"><intitule-formation>".to_vec();
    content.extend_from_slice(b"\xC9lectricit\xE9");
    content.extend_from_slice(b"</intitule-formation><action><session numero=\"1\"/></action></formation><formation numero=\"b\"><action><session numero=\"2\"/></action></formation></offres></lheo>");
    let (_dir, path) = write(&content);
    // Every later formation would be garbled too: the whole file is refused, named, with
    // the declared encoding, rather than half loaded.
    let message = read(&path).0.unwrap_err().to_string();
    assert!(message.contains("catalogue.xml") && message.contains("not valid UTF-8") && message.contains("encoding"), "{message}");

    // An encoding nobody can decode is a clear error naming the file.
    let (_dir, path) = write(b"<?xml version=\"1.0\" encoding=\"X-KLINGON\"?><lheo/>");
    let message = read(&path).0.unwrap_err().to_string();
    assert!(message.contains("X-KLINGON") && message.contains("catalogue.xml"), "{message}");
}

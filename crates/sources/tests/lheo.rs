//! The LHEO reader on samples in the layouts of real exports (`tests/data`, written by the
//! project: an LHEO 2.2 formation and an Intercarif `lheo-index` answer), on generated
//! catalogues in both encodings, and on hostile files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};
use skillgap_sources::{LheoStats, RejectsBuilder, read_lheo};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
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
fn a_formation_in_the_lheo_2_2_export_layout_parses_field_by_field() {
    let (stats, batches, rejects) = read(&sample("lheo_formation_2.2.xml"));
    assert_eq!(stats.unwrap(), LheoStats { formations: 1, sessions: 1, rejected: 0 });
    assert_eq!(rejects.num_rows(), 0);
    let batch = &batches[0];
    assert_eq!(text(batch, "formation_id", 0).as_deref(), Some("5120_77031"));
    assert_eq!(text(batch, "intitule_formation", 0).as_deref(), Some("Diplôme d'État d'aide-soignant"));
    // The formation's own Formacodes, not those of the organisme's `potentiel`.
    assert_eq!(list(batch, "formacodes", 0), ["43436", "43441"]);
    assert_eq!(list(batch, "codes_nsf", 0), ["331"]);
    assert_eq!(
        (text(batch, "code_rncp", 0).as_deref(), text(batch, "code_certifinfo", 0).as_deref()),
        (Some("35830"), Some("111501"))
    );
    assert_eq!(text(batch, "organisme_nom", 0).as_deref(), Some("IFAS du Centre hospitalier"));
    assert_eq!(text(batch, "organisme_siret", 0).as_deref(), Some("26800000000018"));
    assert_eq!(
        (text(batch, "lieu_code_commune", 0).as_deref(), text(batch, "lieu_code_postal", 0).as_deref()),
        (Some("80021"), Some("80090"))
    );
    assert_eq!(batch.column_by_name("lieu_longitude").unwrap().as_primitive::<Float64Type>().value(0), 2.3201875);
    assert_eq!(
        (text(batch, "session_id", 0).as_deref(), text(batch, "debut", 0).as_deref(), text(batch, "fin", 0).as_deref()),
        (Some("5120_77031"), Some("20260907"), Some("20270630"))
    );
    assert!(batch.column_by_name("places_session").unwrap().is_null(0), "no nb-places in the sample: unknown, not 0");
    assert!(batch.column_by_name("places_financees").unwrap().is_null(0));
}

#[test]
fn an_intercarif_index_answer_parses_field_by_field() {
    let (stats, batches, _) = read(&sample("lheo_index_2.2.xml"));
    assert_eq!(stats.unwrap(), LheoStats { formations: 2, sessions: 2, rejected: 0 });
    let batch = &batches[0];
    assert_eq!(text(batch, "session_id", 0).as_deref(), Some("32_AF_0000104410_SE_0000551020"));
    assert_eq!(list(batch, "formacodes", 0), ["31834"]);
    assert_eq!(list(batch, "codes_nsf", 0), ["311"]);
    assert_eq!(text(batch, "intitule_formation", 0).as_deref(), Some("Titre professionnel préparateur de commandes"));
    assert_eq!(text(batch, "organisme_nom", 0).as_deref(), Some("AFPA Hauts-de-France"));
    assert_eq!(text(batch, "organisme_siret", 0).as_deref(), Some("82422814200321"));
    assert_eq!(
        (text(batch, "lieu_code_commune", 0).as_deref(), text(batch, "lieu_code_postal", 0).as_deref()),
        (Some("59350"), Some("59160"))
    );
    assert_eq!(batch.column_by_name("lieu_latitude").unwrap().as_primitive::<Float64Type>().value(0), 50.631719);
    assert_eq!(
        (text(batch, "debut", 0).as_deref(), text(batch, "fin", 0).as_deref()),
        (Some("20261005"), Some("20270212"))
    );
    assert_eq!(text(batch, "code_rncp", 0).as_deref(), Some("38311"));
    assert_eq!(list(batch, "formacodes", 1), ["31812", "31854"]);
    assert_eq!(
        text(batch, "intitule_formation", 1).as_deref(),
        Some("Conducteur / conductrice de chariots élévateurs")
    );
    assert_eq!(
        (text(batch, "debut", 1).as_deref(), text(batch, "fin", 1).as_deref()),
        (Some("20261100"), Some("20270000"))
    );
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
    let columns = |batches: &[RecordBatch]| -> Vec<RecordBatch> {
        batches.iter().map(|b| b.project(&(0..b.num_columns() - 2).collect::<Vec<_>>()).unwrap()).collect()
    };
    assert_eq!(columns(&batches), columns(&utf8_batches));
    let titles: Vec<String> =
        (0..batches[0].num_rows()).filter_map(|r| text(&batches[0], "intitule_formation", r)).collect();
    assert!(titles.iter().any(|t| t.contains('é')), "accents decoded");
    assert!(
        batches[0].column_by_name("places_financees").unwrap().as_primitive::<Int64Type>().iter().flatten().count() > 0
    );
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
fn an_undecodable_byte_costs_only_its_formation_and_is_named_at_its_exact_offset() {
    // Declared UTF-8; formation « a » holds ISO-8859-1 bytes (« Électricité »).
    let mut content = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><lheo><offres><formation numero=\"z\"><intitule-formation>M\xC3\xA9tiers</intitule-formation><action><session numero=\"0\"/></action></formation><formation numero=\"a\"><intitule-formation>".to_vec();
    let bad_at = content.len();
    content.extend_from_slice(b"\xC9lectricit\xE9");
    content.extend_from_slice("</intitule-formation><action><session numero=\"1\"/></action></formation><formation numero=\"b\"><intitule-formation>Sûreté</intitule-formation><action><session numero=\"2\"/></action></formation></offres></lheo>".as_bytes());
    let (_dir, path) = write(&content);
    let (stats, batches, rejects) = read(&path);
    assert_eq!(stats.unwrap(), LheoStats { formations: 3, sessions: 2, rejected: 1 });
    let ids: Vec<String> = batches
        .iter()
        .flat_map(|batch| (0..batch.num_rows()).map(|row| text(batch, "session_id", row).unwrap()))
        .collect();
    assert_eq!(ids, ["0", "2"]);
    assert_eq!(
        text(&batches[0], "intitule_formation", 1).as_deref(),
        Some("Sûreté"),
        "text after the bad byte decodes as before"
    );
    assert_eq!(rejects.num_rows(), 1);
    let reason = rejects.column_by_name("reason").unwrap().as_string::<i32>().value(0).to_owned();
    let detail = rejects.column_by_name("detail").unwrap().as_string::<i32>().value(0).to_owned();
    let location = rejects.column_by_name("location").unwrap().as_string::<i32>().value(0).to_owned();
    assert_eq!(reason, "bad_xml");
    assert!(detail.contains(&format!("byte {bad_at}:")) && detail.contains("not valid UTF-8"), "{detail}");
    let formation_at = content.windows(21).position(|w| w == b"<formation numero=\"a\"").unwrap();
    assert!(location.contains(&format!("formation a (byte {formation_at})")), "{location}");

    // In ISO-8859-1, offsets are still the file's, although the decoded text is longer.
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><lheo><offres><formation numero=\"e\"><intitule-formation>\xC9lectricit\xE9 \xE9\xE9</intitule-formation><action><session numero=\"1\"/></action></formation><formation numero=\"x\"><intitule-formation>A &foo; B</intitule-formation><action><session numero=\"2\"/></action></formation></offres></lheo>";
    let (_dir, path) = write(latin1);
    let (stats, batches, rejects) = read(&path);
    assert_eq!(stats.unwrap(), LheoStats { formations: 2, sessions: 1, rejected: 1 });
    assert_eq!(text(&batches[0], "intitule_formation", 0).as_deref(), Some("Électricité éé"));
    let location = rejects.column_by_name("location").unwrap().as_string::<i32>().value(0).to_owned();
    let detail = rejects.column_by_name("detail").unwrap().as_string::<i32>().value(0).to_owned();
    let formation_at = latin1.windows(21).position(|w| w == b"<formation numero=\"x\"").unwrap();
    let closing_at = latin1.windows(5).position(|w| w == b"&foo;").unwrap();
    assert_eq!(location, format!("formation x (byte {formation_at})"));
    assert!(detail.contains(&format!("byte {closing_at}:")), "{detail} (expected byte {closing_at})");

    // An encoding nobody can decode is a clear error naming the file.
    let (_dir, path) = write(b"<?xml version=\"1.0\" encoding=\"X-KLINGON\"?><lheo/>");
    let message = read(&path).0.unwrap_err().to_string();
    assert!(message.contains("X-KLINGON") && message.contains("catalogue.xml"), "{message}");
}

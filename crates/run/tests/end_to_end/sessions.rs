//! `silver.sessions` from a hand-built catalogue and outcomes file: LHEO `00` date rules,
//! the places rule, unknown Formacodes (rejected, session kept), the specialty fallback,
//! bad periods, outcome consistency rejects and the shared placement.

use crate::support::{Row, write_pipeline};
use arrow::array::RecordBatch;

const CATALOGUE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<lheo xmlns="http://lheo.gouv.fr/2.3"><offres>
<formation numero="F1">
 <domaine-formation><code-FORMACODE>99999</code-FORMACODE><code-FORMACODE>11111</code-FORMACODE></domaine-formation>
 <intitule-formation>Soins &amp; confort</intitule-formation>
 <action numero="A1">
  <lieu-de-formation><coordonnees><adresse><code-INSEE-commune>11001</code-INSEE-commune></adresse></coordonnees></lieu-de-formation>
  <session numero="S1"><periode><debut>20260100</debut><fin>20260200</fin></periode><recrutement><nb-places>12</nb-places></recrutement></session>
  <session numero="S2"><periode><debut>20260300</debut><fin>20261231</fin></periode></session>
  <organisme-financeur><code-financeur>10</code-financeur><nb-places-financees>8</nb-places-financees></organisme-financeur>
  <organisme-financeur><code-financeur>2</code-financeur><nb-places-financees>2</nb-places-financees></organisme-financeur>
 </action>
 <organisme-formation-responsable><nom-organisme>Organisme &lt;Un&gt;</nom-organisme><potentiel><code-FORMACODE>22222</code-FORMACODE></potentiel></organisme-formation-responsable>
</formation>
<formation numero="F2">
 <domaine-formation><code-FORMACODE>22222</code-FORMACODE><code-NSF>999</code-NSF></domaine-formation>
 <action numero="A2">
  <lieu-de-formation><coordonnees><adresse><codepostal>11100</codepostal></adresse></coordonnees></lieu-de-formation>
  <session numero="S3"><periode><debut>20260101</debut><fin>20260601</fin></periode></session>
  <session numero="S4"><periode><debut>00000000</debut><fin>20260601</fin></periode></session>
  <session numero="S5"><periode><debut>20260601</debut><fin>20260101</fin></periode></session>
 </action>
</formation>
<formation numero="F3">
 <domaine-formation><code-FORMACODE>33333</code-FORMACODE></domaine-formation>
 <action numero="A3"><session numero="S6"><periode><debut>20260101</debut><fin>20260601</fin></periode></session></action>
</formation>
</offres></lheo>
"#;

const OUTCOMES: &str = "session_id,entrees,entrees_prioritaires,sortants,en_emploi_6m,date_maj
S1,10,4,9,5,2026-06-01
S1,11,4,9,5,2026-05-01
S2,-1,0,,,2026-06-01
S3,10,11,,,2026-06-01
S6,10,5,8,9,2026-06-01
S9,5,1,,,2026-06-01
";

#[tokio::test]
async fn sessions_follow_the_lheo_rules() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("communes.csv", "code_commune,libelle_commune,code_bassin,code_postal\n11001,Un,0001,11100\n"),
        (
            "offers/a.ndjson",
            "{\"id\":\"o\",\"dateCreation\":\"2026-03-01T10:00:00Z\",\"lieuTravail\":{\"commune\":\"11001\"},\"romeCode\":\"A1111\"}\n",
        ),
        (
            "jobseekers.csv",
            "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n",
        ),
        ("bmo.csv", "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n"),
        ("rome.csv", "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nA1111,A,M1,M1Z,santé\n"),
        ("nsf.csv", "code_nsf,libelle_nsf\n331,Santé\n999,Autre\n"),
        ("formacode.csv", "formacode,libelle,code_nsf\n11111,A,331\n22222,B,331\n33333,C,\n"),
        ("rome_formacode.csv", "code_rome,formacode\nA1111,11111\n"),
        ("lheo/catalogue.xml", CATALOGUE),
        ("outcomes.csv", OUTCOMES),
    ];
    let extra = "[thresholds]\nmax_reject_ratio = 0.9\n[inputs.lheo]\npaths = [\"lheo\"]\n[inputs.session_outcomes]\npath = \"outcomes.csv\"\n";
    let path = write_pipeline(dir.path(), &files, extra);
    let report = crate::support::run_at(&path, "2026-07-01").await.unwrap();
    let session = skillgap_run::QuerySession::open(&report.output_dir, None).await.unwrap();
    let batches = session.query("SELECT session_id, CAST(date_debut AS VARCHAR) AS debut, CAST(date_fin AS VARCHAR) AS fin, places, code_nsf, array_to_string(formacodes, ',') AS codes, code_bassin, geo_method, entrees, sortants, en_emploi_6m, intitule_formation, organisme_nom FROM silver.sessions ORDER BY session_id").await.unwrap();
    let batch: RecordBatch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(batch.num_rows(), 4, "S4 (no start) and S5 (ends before it starts) are rejects");
    let row = |i| Row { batch: &batch, index: i };
    // S1: 00 day → 1 Jan to 28 Feb; its own 12 places win over the action's 8 + 2 funded;
    // the unknown Formacode 99999 is ignored; the latest outcome row (2026-06-01) wins.
    let r = row(0);
    assert_eq!(
        (r.text("session_id").as_deref(), r.text("debut").as_deref(), r.text("fin").as_deref()),
        (Some("S1"), Some("2026-01-01"), Some("2026-02-28"))
    );
    assert_eq!(r.int("places"), Some(12));
    assert_eq!((r.text("codes").as_deref(), r.text("code_nsf").as_deref()), (Some("11111"), Some("331")));
    assert_eq!((r.text("code_bassin").as_deref(), r.text("geo_method").as_deref()), (Some("0001"), Some("commune")));
    assert_eq!((r.int("entrees"), r.int("sortants"), r.int("en_emploi_6m")), (Some(10), Some(9), Some(5)));
    assert_eq!(
        (r.text("intitule_formation").as_deref(), r.text("organisme_nom").as_deref()),
        (Some("Soins & confort"), Some("Organisme <Un>"))
    );
    // S2: no places of its own → the action's funded 8 + 2; its negative outcome is a reject.
    let r = row(1);
    assert_eq!((r.text("debut").as_deref(), r.int("places"), r.int("entrees")), (Some("2026-03-01"), Some(10), None));
    // S3: NSF from the formation's own code-NSF; placed by postal code; prioritaires > entrees rejected.
    let r = row(2);
    assert_eq!(
        (r.text("code_nsf").as_deref(), r.text("geo_method").as_deref(), r.int("places"), r.int("entrees")),
        (Some("999"), Some("code_postal"), None, None)
    );
    // S6: a Formacode without NSF → NSF_INCONNUE; no place → HORS_BASSIN; employed > leavers rejected.
    let r = row(3);
    assert_eq!(
        (r.text("code_nsf").as_deref(), r.text("code_bassin").as_deref(), r.int("entrees")),
        (Some("NSF_INCONNUE"), Some("HORS_BASSIN"), None)
    );
    let rejects = session
        .query(
            "SELECT input || ' ' || reason || ' ' || COALESCE(raw_value, '') AS r FROM silver.rejects WHERE input IN ('lheo', 'session_outcomes') ORDER BY 1",
        )
        .await
        .unwrap();
    let lines: Vec<String> = rejects
        .iter()
        .flat_map(|b| {
            arrow::array::AsArray::as_string::<i32>(b.column(0)).iter().flatten().map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        lines,
        [
            "lheo bad_formacode 99999",
            "lheo bad_period S4",
            "lheo bad_period S5",
            "session_outcomes duplicate_key S1,11,4,9,5,2026-05-01",
            "session_outcomes inconsistent_counts S2,-1,0,,,2026-06-01",
            "session_outcomes inconsistent_counts S3,10,11,,,2026-06-01",
            "session_outcomes inconsistent_counts S6,10,5,8,9,2026-06-01",
            "session_outcomes unknown_session S9,5,1,,,2026-06-01",
        ]
    );
}

/// Catalogue and offers exports organised in folders (by département, by day), with a
/// link to a file elsewhere: every file below the configured directory is read, in path
/// order, and listed in the manifest.
#[tokio::test]
async fn nested_input_directories_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let offer = |id: &str| {
        format!(
            "{{\"id\":\"{id}\",\"dateCreation\":\"2026-03-01T10:00:00Z\",\"lieuTravail\":{{\"commune\":\"11001\"}},\"romeCode\":\"A1111\"}}\n"
        )
    };
    // One session a file, two files: the case that once never completed (a hash join
    // with an empty build side in one partition and dynamic filters on, see
    // `models::context`).
    let session = |id: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><lheo><offres><formation numero=\"{id}\"><action numero=\"a\"><session numero=\"{id}-1\"><periode><debut>20260101</debut><fin>20260601</fin></periode></session></action></formation></offres></lheo>"
        )
    };
    let (o1, o2, o3) = (offer("o1"), offer("o2"), format!("{{\"resultats\":[{}]}}", offer("o3").trim()));
    let (s1, s2) = (session("S1"), session("S2"));
    let files = [
        ("communes.csv", "code_commune,libelle_commune,code_bassin,code_postal\n11001,Un,0001,11100\n"),
        ("offers/a.ndjson", o1.as_str()),
        ("offers/api/2026-11-01/59/page_0000.ndjson", o2.as_str()),
        ("offers/api/2026-11-02/page_0000.json.gz.not-yet", ""),
        (
            "jobseekers.csv",
            "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n",
        ),
        ("bmo.csv", "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n"),
        ("rome.csv", "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nA1111,A,M1,M1Z,santé\n"),
        ("nsf.csv", "code_nsf,libelle_nsf\n331,Santé\n"),
        ("formacode.csv", "formacode,libelle,code_nsf\n11111,A,331\n"),
        ("rome_formacode.csv", "code_rome,formacode\nA1111,11111\n"),
        ("lheo/59/catalogue.xml", s1.as_str()),
        ("lheo/62/sub/catalogue.xml", s2.as_str()),
    ];
    let extra = "[inputs.lheo]\npaths = [\"lheo\"]\n";
    let path = write_pipeline(dir.path(), &files, extra);
    let data = dir.path().join("data");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("page.json"), &o3).unwrap();
    std::os::unix::fs::symlink(outside.path().join("page.json"), data.join("offers/api/linked.json")).unwrap();

    // A file of another type below an input directory is an error naming it, not skipped.
    let error = crate::support::run_at(&path, "2026-07-01").await.unwrap_err().to_string();
    assert!(error.contains("page_0000.json.gz.not-yet") && error.contains("offers"), "{error}");
    std::fs::remove_file(data.join("offers/api/2026-11-02/page_0000.json.gz.not-yet")).unwrap();

    // A run of a handful of rows takes about a second: two minutes is a hang, not a slow run.
    let report = tokio::time::timeout(std::time::Duration::from_secs(120), crate::support::run_at(&path, "2026-07-01"))
        .await
        .expect("the run did not complete within two minutes")
        .unwrap();
    let listed = |name: &str| -> Vec<String> {
        report
            .manifest
            .inputs
            .iter()
            .find(|input| input.name == name)
            .unwrap()
            .files
            .iter()
            .map(|file| file.location.clone())
            .collect()
    };
    assert_eq!(
        listed("offers"),
        ["data:offers/a.ndjson", "data:offers/api/2026-11-01/59/page_0000.ndjson", "data:offers/api/linked.json"]
    );
    assert_eq!(listed("lheo"), ["data:lheo/59/catalogue.xml", "data:lheo/62/sub/catalogue.xml"]);
    let session = skillgap_run::QuerySession::open(&report.output_dir, None).await.unwrap();
    let ids = |sql: &'static str| {
        let session = &session;
        async move {
            let batches = session.query(sql).await.unwrap();
            batches
                .iter()
                .flat_map(|b| {
                    arrow::array::AsArray::as_string::<i32>(b.column(0))
                        .iter()
                        .flatten()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("SELECT offer_id FROM silver.offers ORDER BY 1").await, ["o1", "o2", "o3"]);
    assert_eq!(ids("SELECT session_id FROM silver.sessions ORDER BY 1").await, ["S1-1", "S2-1"]);
}

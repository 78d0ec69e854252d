//! Offers from files: an API page in the documented *Offres d'emploi v2* format
//! (`tests/data/offres_search_page.json`, written by the project) field by field, and a
//! file of bad records — each a reject with its reason while the rest loads.

use std::path::Path;

use crate::support::{Row, write_pipeline};
use arrow::array::RecordBatch;
use skillgap_run::QuerySession;

const COMMUNES: &str = "code_commune,libelle_commune,code_bassin,code_postal\n33063,Bordeaux,0001,33000\n69123,Lyon,0002,69001\n74010,Annecy,0003,74000\n";
const ROME: &str = "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nG1703,Réception,M1,F1,HCR\nM1810,Production informatique,M2,F2,services\nD1102,Boulangerie,M3,F3,commerce\n";
const EMPTY: [(&str, &str); 5] = [
    ("jobseekers.csv", "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n"),
    ("bmo.csv", "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n"),
    ("rome_formacode.csv", "code_rome,formacode\n"),
    ("formacode.csv", "formacode,libelle,code_nsf\n"),
    ("nsf.csv", "code_nsf,libelle_nsf\n"),
];

async fn run(dir: &Path, offers: &[(&str, Vec<u8>)]) -> QuerySession {
    for (name, content) in offers {
        let path = dir.join("data/offers").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let mut files = vec![("communes.csv", COMMUNES), ("rome.csv", ROME)];
    files.extend(EMPTY);
    let path = write_pipeline(dir, &files, "[thresholds]\nmax_reject_ratio = 0.9\n");
    let report = crate::support::run_at(&path, "2024-06-01").await.unwrap();
    QuerySession::open(&report.output_dir, None).await.unwrap()
}

async fn table(session: &QuerySession, sql: &str) -> RecordBatch {
    let batches = session.query(sql).await.unwrap();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

#[tokio::test]
async fn an_api_page_loads_field_by_field() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/offres_search_page.json");
    let dir = tempfile::tempdir().unwrap();
    let session = run(dir.path(), &[("sample.json", std::fs::read(&sample).unwrap())]).await;
    let batch = table(
        &session,
        "SELECT offer_id, code_rome, CAST(created_at AS VARCHAR) AS created, CAST(updated_at AS VARCHAR) AS updated, CAST(date_offre AS VARCHAR) AS day,
                type_contrat, duree_contrat_mois, offre_durable, postes, code_commune, code_bassin, geo_method,
                CAST(array_length(competences) AS BIGINT) AS competences, get_field(array_element(competences, 1), 'code') AS first_competence, source_location
         FROM silver.offers ORDER BY offer_id",
    )
    .await;
    assert_eq!(batch.num_rows(), 3);
    let row = |i| Row { batch: &batch, index: i };
    // 200ZPLM: Annecy, CDD of 6 months (durable), 3 positions, a date without milliseconds.
    let r = row(0);
    assert_eq!(r.text("offer_id").as_deref(), Some("200ZPLM"));
    assert_eq!(
        (
            r.text("code_rome").as_deref(),
            r.text("type_contrat").as_deref(),
            r.int("duree_contrat_mois"),
            r.boolean("offre_durable")
        ),
        (Some("D1102"), Some("CDD"), Some(6), Some(true))
    );
    assert_eq!(
        (
            r.int("postes"),
            r.text("code_commune").as_deref(),
            r.text("code_bassin").as_deref(),
            r.text("geo_method").as_deref()
        ),
        (Some(3), Some("74010"), Some("0003"), Some("commune"))
    );
    assert!(r.text("created").unwrap().starts_with("2024-02-20T05:30:00"), "{:?}", r.text("created"));
    assert_eq!(r.text("day").as_deref(), Some("2024-02-20"));
    assert_eq!((r.int("competences"), r.text("first_competence").as_deref()), (Some(1), Some("117541")));
    // 201QWXC: Bordeaux, CDI, updated two seconds after creation, in the page's first slot.
    let r = row(1);
    assert_eq!(
        (
            r.text("offer_id").as_deref(),
            r.text("code_rome").as_deref(),
            r.boolean("offre_durable"),
            r.text("code_bassin").as_deref()
        ),
        (Some("201QWXC"), Some("G1703"), Some(true), Some("0001"))
    );
    assert!(r.text("updated").unwrap().starts_with("2024-04-02T07:41:05"), "{:?}", r.text("updated"));
    assert_eq!((r.int("competences"), r.text("first_competence").as_deref()), (Some(2), Some("120415")));
    assert!(r.text("source_location").unwrap().contains("resultats[0]"));
    // 201RTYU: Lyon 3e arrondissement (69383) placed in Lyon's bassin.
    let r = row(2);
    assert_eq!(
        (
            r.text("offer_id").as_deref(),
            r.text("code_rome").as_deref(),
            r.text("code_commune").as_deref(),
            r.text("code_bassin").as_deref()
        ),
        (Some("201RTYU"), Some("M1810"), Some("69383"), Some("0002"))
    );
    assert_eq!(r.int("postes"), Some(2));
}

#[tokio::test]
async fn each_bad_record_is_a_reject_and_the_rest_loads() {
    let good = |id: &str| {
        format!(
            r#"{{"id":"{id}","dateCreation":"2024-03-01T10:00:00Z","romeCode":"G1703","lieuTravail":{{"commune":"33063"}},"typeContrat":"CDI"}}"#
        )
    };
    let mut content = Vec::new();
    content.extend(format!("{}\n", good("ok1")).bytes());
    content.extend(b"{\"id\":\"broken\",\"dateCreation\":\n");
    content.extend(br#"{"dateCreation":"2024-03-01T10:00:00Z","romeCode":"G1703"}"#);
    content.push(b'\n');
    content.extend(br#"{"id":"rome","dateCreation":"2024-03-01T10:00:00Z","romeCode":"Z9999"}"#);
    content.push(b'\n');
    content.extend(br#"{"id":"date","dateCreation":"2024-02-30T25:00:00Z","romeCode":"G1703"}"#);
    content.push(b'\n');
    // A 50 MB line (one huge description), then a line with a byte that is not UTF-8.
    content.extend(br#"{"id":"huge","dateCreation":"2024-03-01T10:00:00Z","romeCode":"G1703","description":""#);
    content.extend(std::iter::repeat_n(b'x', 50 << 20));
    content.extend(b"\"}\n");
    content.extend(b"{\"id\":\"latin1\",\"intitule\":\"Cuisini\xe8re\",\"dateCreation\":\"2024-03-01T10:00:00Z\",\"romeCode\":\"G1703\"}\n");
    content.extend(format!("{}\n", good("ok2")).bytes());
    let dir = tempfile::tempdir().unwrap();
    let session = run(dir.path(), &[("bad.ndjson", content)]).await;
    let kept = table(&session, "SELECT offer_id FROM silver.offers ORDER BY offer_id").await;
    let ids: Vec<String> =
        (0..kept.num_rows()).map(|i| Row { batch: &kept, index: i }.text("offer_id").unwrap()).collect();
    assert_eq!(ids, ["ok1", "ok2"]);
    let rejects = table(
        &session,
        "SELECT location, reason FROM silver.rejects WHERE input = 'offers' ORDER BY length(location), location",
    )
    .await;
    let found: Vec<(String, String)> = (0..rejects.num_rows())
        .map(|i| {
            (
                Row { batch: &rejects, index: i }.text("location").unwrap(),
                Row { batch: &rejects, index: i }.text("reason").unwrap(),
            )
        })
        .collect();
    let expected = [
        ("line 2", "bad_json"),
        ("line 3", "missing_id"),
        ("line 4", "bad_rome"),
        ("line 5", "bad_date"),
        ("line 6", "bad_json"),
        ("line 7", "bad_json"),
    ];
    assert_eq!(found, expected.map(|(l, r)| (l.to_owned(), r.to_owned())));
}

//! A hand-computed example: a few offers, jobseekers and BMO rows over two bassins, with
//! every implemented column of `gold.competence_gap` checked against values worked out in
//! the comments — windows' edge dates, postal-code placement, an offer updated twice,
//! masked counts, thresholds and the tension formula.

use crate::support::{REFERENTIALS, Row, assert_close, load, write_pipeline};
use arrow::array::RecordBatch;

// Bassin 0001 has communes 11001 (postal 11100) and 11002 (postal 11200); bassin 0002 has
// 22001 (postal 22100) and 22002 (postal 11200: shared with 11002, so 11200 is ambiguous).
const COMMUNES: &str = "code_commune,libelle_commune,code_bassin,code_postal\n11001,Un,0001,11100\n11002,Deux,0001,11200\n22001,Trois,0002,22100\n22002,Quatre,0002,11200\n";

// D = 2026-07-01, W12 = [2025-07-01, 2026-07-01).
const OFFERS: &str = r#"{"id":"o1","dateCreation":"2026-03-01T10:00:00Z","lieuTravail":{"commune":"11001"},"romeCode":"A1111","typeContrat":"CDI","nombrePostes":2}
{"id":"o2","dateCreation":"2025-07-01T00:00:00.000Z","lieuTravail":{"commune":"11002"},"romeCode":"A1111","typeContrat":"CDD","typeContratLibelle":"Contrat à durée déterminée - 6 Mois"}
{"id":"o3","dateCreation":"2025-06-30T23:59:59Z","lieuTravail":{"commune":"11001"},"romeCode":"A1111","typeContrat":"CDI"}
{"id":"o4","dateCreation":"2026-07-01T00:00:00Z","lieuTravail":{"commune":"11001"},"romeCode":"A1111","typeContrat":"CDI"}
{"id":"o5","dateCreation":"2026-01-15T08:00:00Z","lieuTravail":{"codePostal":"11100"},"romeCode":"A1111","typeContrat":"CDD","typeContratLibelle":"Contrat à durée déterminée - 3 Mois","nombrePostes":0}
{"id":"o6","dateCreation":"2026-02-01T09:00:00Z","dateActualisation":"2026-02-01T09:00:00Z","lieuTravail":{"commune":"11001"},"romeCode":"A1111","typeContrat":"CDD","typeContratLibelle":"Contrat à durée déterminée - 2 Mois","nombrePostes":1}
{"id":"o6","dateCreation":"2026-02-01T09:00:00Z","dateActualisation":"2026-02-10T09:00:00Z","lieuTravail":{"commune":"11001"},"romeCode":"A1111","typeContrat":"CDI","nombrePostes":3}
{"id":"o6","dateCreation":"2026-02-01T09:00:00Z","dateActualisation":"2026-02-05T09:00:00Z","lieuTravail":{"commune":"11001"},"romeCode":"A1111","typeContrat":"CDI","nombrePostes":5}
{"id":"o7","dateCreation":"2026-04-01T12:00:00Z","lieuTravail":{"codePostal":"11200","libelle":"11 - QUELQUE PART"},"romeCode":"A1111","typeContrat":"CDI"}
{"id":"o8","dateCreation":"2026-05-01T12:00:00Z","lieuTravail":{"commune":"22001"},"romeCode":"B2222","typeContrat":"CDI","nombrePostes":1}
{"id":"o9","dateCreation":"2026-05-02T12:00:00Z","lieuTravail":{"commune":"22001"},"romeCode":"C3333","typeContrat":"MIS","typeContratLibelle":"Mission intérimaire - 6 Mois","nombrePostes":4}
{"id":"o10","dateCreation":"2026-05-03T12:00:00Z","lieuTravail":{"commune":"22001"},"romeCode":"Z9999","typeContrat":"CDI"}
"#;

// The selected month is 2026-06 (the latest ≤ the month of D − 1 day): 2026-05 and 2026-07
// rows are ignored. Bassin 0002's B2222 row is given by commune: 15 + 10 = 25 de_a,
// 30 (+ a masked value) de_abc, 12 + 8 = 20 exits, 20 + 5 = 25 registrations.
const JOBSEEKERS: &str = "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m
2026-05,0001,bassin,A1111,777,777,777,777
2026-06,0001,bassin,A1111,40,80,40,50
2026-07,0001,bassin,A1111,999,999,999,999
2026-06,0001,bassin,B2222,10,30,9,25
2026-06,22001,commune,B2222,15,30,12,20
2026-06,22002,commune,B2222,10,*,8,5
2026-06,0002,bassin,C3333,*,,*,*
";

// Year of D = 2026: the 2025 row is ignored. BE26 codes arrive numeric and are padded.
// M1 is the BMO métier of both A1111 and B2222: each ROME gets its full value.
const BMO: &str = "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet
2026;M1;Métier BMO 1;7;11;1;Bassin un;100;60;10
2026;M1;Métier BMO 1;7;22;2;Bassin deux;40;10;*
2026;M2;Métier BMO 2;7;22;2;Bassin deux;15;5;0
2025;M1;Métier BMO 1;7;11;1;Bassin un;500;400;0
";

/// The example run with `jobseekers` (D = 2026-07-01): its pipeline file, its report, a
/// session on it and `gold.competence_gap` by bassin and ROME.
async fn run_example(
    dir: &std::path::Path,
    jobseekers: &'static str,
) -> (std::path::PathBuf, skillgap_run::RunReport, skillgap_run::QuerySession, RecordBatch) {
    let mut files = vec![
        ("communes.csv", COMMUNES),
        ("offers/offers.ndjson", OFFERS),
        ("jobseekers.csv", jobseekers),
        ("bmo.csv", BMO),
    ];
    files.extend(REFERENTIALS);
    // One rejected offer in 12 records: allow it.
    let path = write_pipeline(dir, &files, "[thresholds]\nmax_reject_ratio = 0.2\n[dates]\nas_of = \"2026-07-01\"");
    let report = skillgap_run::run(skillgap_run::RunRequest {
        pipeline: load(&path),
        as_of: None,
        semester: None,
        output: None,
    })
    .await
    .unwrap();
    let session = skillgap_run::QuerySession::open(&report.output_dir, None).await.unwrap();
    let batches = session.query("SELECT * FROM gold.competence_gap ORDER BY code_bassin, code_rome").await.unwrap();
    let batch: RecordBatch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    (path, report, session, batch)
}

#[tokio::test]
async fn every_competence_gap_column_matches_the_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report, session, batch) = run_example(dir.path(), JOBSEEKERS).await;
    assert_eq!(report.manifest.as_of.to_string(), "2026-07-01");
    assert!(!report.output_dir.join("intermediate_tables").exists(), "the marts' scratch tables are not published");
    // Rows: offers in W12 give (0001,A1111), (0002,B2222), (0002,C3333), (HORS_BASSIN,A1111);
    // jobseekers add (0001,B2222).
    let keys: Vec<(String, String)> = (0..batch.num_rows())
        .map(|i| {
            (
                Row { batch: &batch, index: i }.text("code_bassin").unwrap(),
                Row { batch: &batch, index: i }.text("code_rome").unwrap(),
            )
        })
        .collect();
    let expected_keys =
        [("0001", "A1111"), ("0001", "B2222"), ("0002", "B2222"), ("0002", "C3333"), ("HORS_BASSIN", "A1111")];
    assert_eq!(keys, expected_keys.map(|(b, r)| (b.to_owned(), r.to_owned())));
    let row = |i: usize| Row { batch: &batch, index: i };

    // The three tension components of the eligible rows (worked out below):
    //   (0001,A1111): 4/50 = 0.08,  40/80 = 0.5,   60/100 = 0.6
    //   (0001,B2222): 0/25 = 0.0,    9/30 = 0.3,   60/100 = 0.6
    //   (0002,B2222): 1/25 = 0.04,  20/30 = 2/3,   10/40 = 0.25
    let components = [[0.08, 0.5, 0.6], [0.0, 0.3, 0.6], [0.04, 2.0 / 3.0, 0.25]];
    let z = |k: usize, value: f64| {
        let values: Vec<f64> = components.iter().map(|c| c[k]).collect();
        let mean = values.iter().sum::<f64>() / 3.0;
        let deviation = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
        (value - mean) / deviation
    };
    let index = |c: [f64; 3]| 0.3 * z(0, c[0]) + 0.2 * z(1, c[1]) + 0.5 * z(2, c[2]);
    // By hand: z1 = (1.2247, −1.2247, 0), z2 = (0.0741, −1.2601, 1.1860),
    // z3 = (0.7071, 0.7071, −1.4142) → indices 0.7358, −0.2659, −0.4699.
    assert!((index(components[0]) - 0.7358).abs() < 1e-3);
    assert!((index(components[1]) + 0.2659).abs() < 1e-3);
    assert!((index(components[2]) + 0.4699).abs() < 1e-3);

    // (0001, A1111): o1 (2 postes, CDI), o2 (edge day 2025-07-01 included, postes missing → 1,
    // CDD 6 months → durable), o5 (placed by postal code 11100, postes 0 → 1, CDD 3 months),
    // o6 (latest version: CDI, 3 postes). o3 (day before W12) and o4 (D itself) are out.
    let r = row(0);
    assert_eq!((r.int("offres"), r.int("postes"), r.int("offres_durables")), (Some(4), Some(7), Some(3)));
    assert_close(r.float("part_durables"), Some(0.75), "part_durables");
    assert_eq!(
        (r.int("de_a"), r.int("de_abc"), r.int("sorties_abc_12m"), r.int("entrees_a_12m")),
        (Some(40), Some(80), Some(40), Some(50))
    );
    assert_close(r.float("ratio_offres_de_a"), Some(0.1), "ratio_offres_de_a");
    assert_close(r.float("ratio_offres_entrees_a"), Some(0.08), "ratio_offres_entrees_a");
    assert_close(r.float("taux_ecoulement"), Some(0.5), "taux_ecoulement");
    assert_eq!(
        (r.float("bmo_projets"), r.float("bmo_difficiles"), r.float("bmo_saisonniers")),
        (Some(100.0), Some(60.0), Some(10.0))
    );
    assert_close(r.float("part_difficiles"), Some(0.6), "part_difficiles");
    assert_close(r.float("indice_tension"), Some(index(components[0])), "indice_tension");
    assert_eq!(
        r.text("composantes_tension").as_deref(),
        Some("ratio_offres_entrees_a,taux_ecoulement,part_difficiles")
    );
    assert_eq!(
        (r.int("niveau_tension"), r.text("libelle_tension").as_deref(), r.boolean("en_tension")),
        (Some(4), Some("Tension"), Some(true))
    );
    assert_eq!(r.int("besoin_12m"), Some(7));
    assert_eq!((r.text("libelle_rome").as_deref(), r.text("secteur").as_deref()), (Some("Métier A"), Some("santé")));

    // (0001, B2222): no offer; de_a 10 < 20 → ratio_offres_de_a NULL; 0 / 25 registrations.
    let r = row(1);
    assert_eq!((r.int("offres"), r.int("postes"), r.int("offres_durables")), (Some(0), Some(0), Some(0)));
    assert_eq!(r.float("part_durables"), None);
    assert_eq!(r.int("de_a"), Some(10));
    assert_eq!(r.float("ratio_offres_de_a"), None);
    assert_close(r.float("ratio_offres_entrees_a"), Some(0.0), "ratio_offres_entrees_a");
    assert_close(r.float("taux_ecoulement"), Some(0.3), "taux_ecoulement");
    assert_eq!(r.float("bmo_projets"), Some(100.0), "B2222 gets the full value of M1 too");
    assert_close(r.float("indice_tension"), Some(index(components[1])), "indice_tension");
    assert_eq!(
        (r.int("niveau_tension"), r.text("libelle_tension").as_deref(), r.boolean("en_tension")),
        (Some(2), Some("Faible"), Some(false))
    );
    assert_eq!(r.int("besoin_12m"), Some(0));

    // (0002, B2222): o8; jobseekers summed over communes, the masked de_abc ignored.
    let r = row(2);
    assert_eq!((r.int("offres"), r.int("postes"), r.int("offres_durables")), (Some(1), Some(1), Some(1)));
    assert_eq!(
        (r.int("de_a"), r.int("de_abc"), r.int("sorties_abc_12m"), r.int("entrees_a_12m")),
        (Some(25), Some(30), Some(20), Some(25))
    );
    assert_close(r.float("ratio_offres_de_a"), Some(0.04), "ratio_offres_de_a");
    assert_close(r.float("taux_ecoulement"), Some(2.0 / 3.0), "taux_ecoulement");
    assert_eq!(
        (r.float("bmo_projets"), r.float("bmo_difficiles"), r.float("bmo_saisonniers")),
        (Some(40.0), Some(10.0), None)
    );
    assert_close(r.float("part_difficiles"), Some(0.25), "part_difficiles");
    assert_close(r.float("indice_tension"), Some(index(components[2])), "indice_tension");
    assert_eq!((r.int("niveau_tension"), r.boolean("en_tension")), (Some(2), Some(false)));

    // (0002, C3333): o9 (interim 6 months is not durable); every jobseeker count masked →
    // NULL, never 0; BMO 15 projects < 20 → part_difficiles NULL → not eligible.
    let r = row(3);
    assert_eq!((r.int("offres"), r.int("postes"), r.int("offres_durables")), (Some(1), Some(4), Some(0)));
    assert_close(r.float("part_durables"), Some(0.0), "part_durables");
    assert_eq!(
        (r.int("de_a"), r.int("de_abc"), r.int("sorties_abc_12m"), r.int("entrees_a_12m")),
        (None, None, None, None)
    );
    assert_eq!(
        (r.float("ratio_offres_de_a"), r.float("ratio_offres_entrees_a"), r.float("taux_ecoulement")),
        (None, None, None)
    );
    assert_eq!(r.float("bmo_projets"), Some(15.0));
    assert_eq!(r.float("part_difficiles"), None);
    assert_eq!((r.float("indice_tension"), r.int("niveau_tension"), r.boolean("en_tension")), (None, None, None));
    assert_eq!(r.text("libelle_tension").as_deref(), Some("Données insuffisantes"));

    // HORS_BASSIN: o7's postal code 11200 maps to two bassins → not placed.
    let r = row(4);
    assert_eq!((r.int("offres"), r.int("postes"), r.int("offres_durables")), (Some(1), Some(1), Some(1)));
    assert_eq!((r.int("de_a"), r.float("bmo_projets"), r.float("indice_tension")), (None, None, None));
    assert_eq!(r.text("libelle_tension").as_deref(), Some("Données insuffisantes"));

    // The unknown ROME is a reject with its file and line; o6 is one silver row.
    let rejects = session.query("SELECT input, source_file, location, reason FROM silver.rejects").await.unwrap();
    let text = arrow::util::pretty::pretty_format_batches(&rejects).unwrap().to_string();
    assert!(
        text.contains("offers")
            && text.contains("data:offers/offers.ndjson")
            && text.contains("line 12")
            && text.contains("bad_rome"),
        "{text}"
    );
    let o6 = session
        .query("SELECT postes, type_contrat, geo_method FROM silver.offers WHERE offer_id = 'o6'")
        .await
        .unwrap();
    assert_eq!(o6.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
    assert_eq!(Row { batch: &o6[0], index: 0 }.int("postes"), Some(3));
    let placed = session
        .query("SELECT offer_id, geo_method FROM silver.offers WHERE offer_id IN ('o5', 'o7') ORDER BY offer_id")
        .await
        .unwrap();
    let text = arrow::util::pretty::pretty_format_batches(&placed).unwrap().to_string();
    assert!(text.contains("o5") && text.contains("code_postal") && text.contains("none"), "{text}");
}

// The same jobseekers without exits, as the Marché du travail API serves them: no row of
// the run has `taux_ecoulement`, so the index rests on the two other components.
const JOBSEEKERS_WITHOUT_EXITS: &str =
    "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m
2026-06,0001,bassin,A1111,40,80,,50
2026-06,0001,bassin,B2222,10,30,,25
2026-06,22001,commune,B2222,15,30,,20
2026-06,22002,commune,B2222,10,*,,5
2026-06,0002,bassin,C3333,*,,*,*
";

#[tokio::test]
async fn a_component_missing_from_the_whole_run_degrades_the_index_instead_of_erasing_it() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _, batch) = run_example(dir.path(), JOBSEEKERS_WITHOUT_EXITS).await;
    let row = |i: usize| Row { batch: &batch, index: i };

    // Eligible rows: offers / registrations and the BMO share, as in the full example.
    //   z1 = (1.2247, −1.2247, 0), z3 = (0.7071, 0.7071, −1.4142); weights 0.3 / 0.8, 0.5 / 0.8
    //   → indices 0.9013 (level 5), −0.0173 (level 3), −0.8839 (level 1).
    let components = [[0.08, 0.6], [0.0, 0.6], [0.04, 0.25]];
    let z = |k: usize, value: f64| {
        let values: Vec<f64> = components.iter().map(|c| c[k]).collect();
        let mean = values.iter().sum::<f64>() / 3.0;
        let deviation = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
        (value - mean) / deviation
    };
    let index = |c: [f64; 2]| (0.3 * z(0, c[0]) + 0.5 * z(1, c[1])) / 0.8;
    assert!((index(components[0]) - 0.9013).abs() < 1e-3);
    assert!((index(components[1]) + 0.0173).abs() < 1e-3);
    assert!((index(components[2]) + 0.8839).abs() < 1e-3);
    for (i, (c, level)) in components.into_iter().zip([5, 3, 1]).enumerate() {
        let r = row(i);
        assert_eq!(r.float("taux_ecoulement"), None);
        assert_close(r.float("indice_tension"), Some(index(c)), "indice_tension");
        assert_eq!(r.int("niveau_tension"), Some(level), "row {i}");
        assert_eq!(r.text("composantes_tension").as_deref(), Some("ratio_offres_entrees_a,part_difficiles"), "row {i}");
    }
    // A component the run has but this row lacks still leaves it without a level.
    let r = row(3);
    assert_eq!(
        (r.float("indice_tension"), r.text("composantes_tension"), r.text("libelle_tension").as_deref()),
        (None, None, Some("Données insuffisantes"))
    );

    // The sheet says which measure the levels lack.
    let to = dir.path().join("sheets");
    let command = skillgap_run::SheetsCommand {
        pipeline: load(&path),
        output: None,
        run: None,
        bassins: vec!["0001".to_owned()],
        formats: vec!["html".to_owned()],
        to: to.clone(),
    };
    skillgap_run::sheets(command).await.unwrap();
    let sheet = std::fs::read_to_string(to.join("fiche-0001.html")).unwrap();
    assert!(
        sheet.contains("Niveaux de tension calculés sans : taux d&#39;écoulement")
            || sheet.contains("Niveaux de tension calculés sans : taux d'écoulement"),
        "{sheet}"
    );
}

//! `gold.long_term_gap` by hand: two FAPs over three bassins, keyed by W12 positions and
//! then by employment; and the projections file's bad input.

use crate::support::write_pipeline;
use skillgap_run::QuerySession;

const COMMUNES: &str = "code_commune,libelle_commune,code_bassin,code_postal\n11001,Un,0001,11100\n22001,Deux,0002,22100\n33001,Trois,0003,33100\n33002,Trois bis,0003,33200\n";
// J5Z gathers A1111 and B2222; T4Z is C3333.
const ROME: &str = "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nA1111,A,M1,J5Z,services\nB2222,B,M1,J5Z,services\nC3333,C,M2,T4Z,transport\n";
// D = 2026-07-01. J5Z positions: 0001 3, 0002 1 → keys 3/4, 1/4, 0. T4Z: 0002 2, 0003 2 → 0, 1/2, 1/2.
const OFFERS: &str = r#"{"id":"o1","dateCreation":"2026-03-01T10:00:00Z","lieuTravail":{"commune":"11001"},"romeCode":"A1111","nombrePostes":3}
{"id":"o2","dateCreation":"2026-03-01T10:00:00Z","lieuTravail":{"commune":"22001"},"romeCode":"B2222","nombrePostes":1}
{"id":"o3","dateCreation":"2026-03-01T10:00:00Z","lieuTravail":{"commune":"22001"},"romeCode":"C3333","nombrePostes":2}
{"id":"o4","dateCreation":"2026-03-01T10:00:00Z","lieuTravail":{"commune":"33001"},"romeCode":"C3333","nombrePostes":2}
"#;
// One session of 20 places for A1111 in bassin 0001: J5Z capacity there is 20.
const CATALOGUE: &str = r#"<?xml version="1.0" encoding="UTF-8"?><lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation numero="F1"><domaine-formation><code-FORMACODE>11111</code-FORMACODE></domaine-formation><action numero="A1"><lieu-de-formation><coordonnees><adresse><code-INSEE-commune>11001</code-INSEE-commune></adresse></coordonnees></lieu-de-formation><session numero="S1"><periode><debut>20260101</debut><fin>20260601</fin></periode><recrutement><nb-places>20</nb-places></recrutement></session></action></formation></offres></lheo>"#;
// Thousands over 2019–2030. J5Z: 11.0 = 2.2 + 8.8; 6.6 = 11.0 − 5.5 + 1.1. T4Z: 4.4 = 1.1 + 3.3;
// 1.1 = 4.4 − 2.2 − 1.1. The region-11 row is another region's. Decimal commas as in the
// French export.
const PROJECTIONS: &str =
    "FAP;Libellé;Région;Emploi 2019;Créations nettes;Départs;Débutants;Mobilités;Déséquilibre;Postes;Tension 2019
J5Z;Agents d'entretien;32;50,0;2,2;8,8;-5,5;1,1;6,6;11,0;3
T4Z;Conducteurs;32;30,0;1,1;3,3;-2,2;-1,1;1,1;4,4;4
J5Z;Agents d'entretien;11;90,0;4,0;6,0;-3,0;0,0;7,0;10,0;2
";
const COLUMNS: &str = r#"delimiter = ";"
columns = { code_fap = "FAP", libelle_fap = "Libellé", region = "Région", emploi_2019 = "Emploi 2019", creations_nettes = "Créations nettes", departs_fin_carriere = "Départs", jeunes_debutants = "Débutants", solde_mobilites = "Mobilités", desequilibre = "Déséquilibre", postes_a_pourvoir = "Postes", niveau_tension_2019 = "Tension 2019" }"#;
// J5Z employment: bassin 0001 60, commune 22001 30, communes 33001 + 33002 5 + 5 → 0.6, 0.3, 0.1.
const EMPLOYMENT: &str = "code_territoire,type_territoire,code_fap,emploi\n0001,bassin,J5Z,60\n22001,commune,J5Z,30\n33001,commune,J5Z,5\n33002,commune,J5Z,5\n";

fn files(projections: &str) -> Vec<(&'static str, String)> {
    vec![
        ("communes.csv", COMMUNES.to_owned()),
        ("rome.csv", ROME.to_owned()),
        ("offers/o.ndjson", OFFERS.to_owned()),
        ("lheo/c.xml", CATALOGUE.to_owned()),
        ("projections.csv", projections.to_owned()),
        ("employment.csv", EMPLOYMENT.to_owned()),
        (
            "jobseekers.csv",
            "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n".to_owned(),
        ),
        ("bmo.csv", "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n".to_owned()),
        ("rome_formacode.csv", "code_rome,formacode\nA1111,11111\n".to_owned()),
        ("formacode.csv", "formacode,libelle,code_nsf\n11111,Fa,331\n".to_owned()),
        ("nsf.csv", "code_nsf,libelle_nsf\n331,Santé\n".to_owned()),
    ]
}

async fn run(
    dir: &std::path::Path,
    projections: &str,
    employment: bool,
    region: Option<&str>,
) -> Result<QuerySession, skillgap_run::Error> {
    let owned = files(projections);
    let borrowed: Vec<(&str, &str)> = owned.iter().map(|(n, c)| (*n, c.as_str())).collect();
    let mut extra = format!(
        "[thresholds]\nmax_reject_ratio = 0.9\n[inputs.lheo]\npaths = [\"lheo\"]\n[inputs.projections]\npath = \"projections.csv\"\n{COLUMNS}\n"
    );
    if employment {
        extra.push_str("[inputs.employment]\npath = \"employment.csv\"\n");
    }
    if let Some(code) = region {
        extra = format!("[grid]\nregion_code = \"{code}\"\n{extra}");
    }
    let path = write_pipeline(dir, &borrowed, &extra);
    let report = crate::support::run_at(&path, "2026-07-01").await?;
    Ok(QuerySession::open(&report.output_dir, None).await.unwrap())
}

async fn table(session: &QuerySession) -> Vec<String> {
    let batches = session
        .query(
            "SELECT code_bassin || ' ' || code_fap || ' ' || COALESCE(CAST(ROUND(postes_a_pourvoir_an, 6) AS VARCHAR), '∅') || ' ' || COALESCE(CAST(ROUND(departs_fin_carriere_an, 6) AS VARCHAR), '∅')
                    || ' ' || COALESCE(CAST(ROUND(creations_nettes_an, 6) AS VARCHAR), '∅') || ' ' || COALESCE(CAST(ROUND(jeunes_debutants_an, 6) AS VARCHAR), '∅')
                    || ' ' || COALESCE(CAST(ROUND(desequilibre_an, 6) AS VARCHAR), '∅') || ' ' || COALESCE(CAST(capacite_12m AS VARCHAR), '∅')
                    || ' ' || COALESCE(CAST(ROUND(couverture_long_terme, 6) AS VARCHAR), '∅') || ' ' || CAST(niveau_tension_2019 AS VARCHAR)
                    || ' ' || COALESCE(CAST(ROUND(cle_repartition, 6) AS VARCHAR), '∅') || ' ' || source_cle || ' ' || libelle_fap
             FROM gold.long_term_gap ORDER BY code_bassin, code_fap",
        )
        .await
        .unwrap();
    batches
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .unwrap()
                .iter()
                .map(|v| v.unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn every_column_by_hand_with_the_positions_key_then_the_employment_key() {
    // Positions key. Yearly regional figures: J5Z postes 11.0 × 1000 / 11 = 1000, departs
    // 800, creations 200, débutants 500 (made positive), déséquilibre 600; T4Z 400, 300,
    // 100, 200, 100. Each times k. Coverage: 0001 J5Z 20 places / 750 = 0.026667.
    let dir = tempfile::tempdir().unwrap();
    let session = run(dir.path(), PROJECTIONS, false, Some("32")).await.unwrap();
    assert_eq!(
        table(&session).await,
        [
            "0001 J5Z 750.0 600.0 150.0 375.0 450.0 20.0 0.026667 3 0.75 offres Agents d'entretien",
            "0001 T4Z 0.0 0.0 0.0 0.0 0.0 ∅ ∅ 4 0.0 offres Conducteurs",
            "0002 J5Z 250.0 200.0 50.0 125.0 150.0 ∅ ∅ 3 0.25 offres Agents d'entretien",
            "0002 T4Z 200.0 150.0 50.0 100.0 50.0 ∅ ∅ 4 0.5 offres Conducteurs",
            "0003 J5Z 0.0 0.0 0.0 0.0 0.0 ∅ ∅ 3 0.0 offres Agents d'entretien",
            "0003 T4Z 200.0 150.0 50.0 100.0 50.0 ∅ ∅ 4 0.5 offres Conducteurs",
        ]
    );
    // The sheet's « Horizon 2030 » section and workbook tab show them.
    let html = std::fs::read_to_string(session.run_dir.clone().unwrap().join("sheets/fiche-0001.html")).unwrap();
    let start = html.find("Horizon 2030").unwrap();
    assert!(
        html[start..].contains("Agents d&#39;entretien (J5Z)") || html[start..].contains("Agents d'entretien (J5Z)"),
        "{}",
        &html[start..start + 2000]
    );
    assert!(
        html[start..].contains("<td class=\"n\" data-column=\"Postes à pourvoir par an\">750</td>"),
        "{}",
        &html[start..start + 3000]
    );
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(session.run_dir.clone().unwrap().join("sheets/fiche-0001.xlsx")).unwrap();
    let horizon = calamine::Reader::worksheet_range(&mut workbook, "Horizon 2030").unwrap();
    let first_row = skillgap_reports::TABLE_HEADER_ROW as usize + 1;
    assert_eq!(horizon.get((first_row, 1)), Some(&calamine::Data::Float(750.0)));

    // Employment key: J5Z 0.6, 0.3, 0.1 (communes summed into their bassin); T4Z has no
    // employment in the region: k and every shared figure NULL.
    let dir = tempfile::tempdir().unwrap();
    let session = run(dir.path(), PROJECTIONS, true, Some("32")).await.unwrap();
    assert_eq!(
        table(&session).await,
        [
            "0001 J5Z 600.0 480.0 120.0 300.0 360.0 20.0 0.033333 3 0.6 emploi Agents d'entretien",
            "0001 T4Z ∅ ∅ ∅ ∅ ∅ ∅ ∅ 4 ∅ emploi Conducteurs",
            "0002 J5Z 300.0 240.0 60.0 150.0 180.0 ∅ ∅ 3 0.3 emploi Agents d'entretien",
            "0002 T4Z ∅ ∅ ∅ ∅ ∅ ∅ ∅ 4 ∅ emploi Conducteurs",
            "0003 J5Z 100.0 80.0 20.0 50.0 60.0 ∅ ∅ 3 0.1 emploi Agents d'entretien",
            "0003 T4Z ∅ ∅ ∅ ∅ ∅ ∅ ∅ 4 ∅ emploi Conducteurs",
        ]
    );
}

#[tokio::test]
async fn bad_projections_are_clear_errors_or_rejects() {
    // A broken identity names the line and the FAP.
    let broken = PROJECTIONS.replace(
        "J5Z;Agents d'entretien;32;50,0;2,2;8,8;-5,5;1,1;6,6;11,0;3",
        "J5Z;Agents d'entretien;32;50,0;2,2;8,8;-5,5;1,1;6,6;12,0;3",
    );
    let dir = tempfile::tempdir().unwrap();
    let error = run(dir.path(), &broken, false, Some("32")).await.err().unwrap();
    let message = error.to_string();
    assert!(
        message.contains("line 2") && message.contains("FAP J5Z") && message.contains("postes à pourvoir 12"),
        "{message}"
    );
    assert_eq!(error.exit_code() as u8, 4);

    // Two regions and no region_code: say which.
    let dir = tempfile::tempdir().unwrap();
    let message = run(dir.path(), PROJECTIONS, false, None).await.err().unwrap().to_string();
    assert!(message.contains("11, 32") && message.contains("region_code"), "{message}");

    // A FAP unknown to rome.csv and a missing FAP are rejects; the rest loads.
    let extra = format!(
        "{PROJECTIONS}Z9Z;Inconnue;32;1,0;0,5;0,5;-0,5;0,0;0,5;1,0;1\n;Sans code;32;1,0;0,5;0,5;-0,5;0,0;0,5;1,0;1\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let session = run(dir.path(), &extra, false, Some("32")).await.unwrap();
    let rejects = session
        .query("SELECT location || ' ' || reason FROM silver.rejects WHERE input = 'projections' ORDER BY location")
        .await
        .unwrap();
    let found: Vec<String> = rejects
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .unwrap()
                .iter()
                .map(|v| v.unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(found, ["line 5 unknown_fap", "line 6 missing_value"]);
    assert_eq!(table(&session).await.len(), 6);
}

//! The gap sheets of the demo region as their readers get them: XLSX read back cell by
//! cell against the public tables, the HTML opened in headless Chromium (no console
//! error, no request, key figures in the DOM, a screenshot, at most four A4 pages), no
//! person count from 1 to 4 shown, and hostile texts shown as text.

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx, open_workbook};
use skillgap_reports::format::{integer, percent};
use skillgap_run::{QuerySession, RunRequest};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn demo(out: &Path) -> (PathBuf, QuerySession) {
    let pipeline = skillgap_config::Pipeline::load(&repository().join("pipelines/demo.toml")).unwrap();
    let report =
        skillgap_run::run(RunRequest { pipeline, as_of: None, semester: None, output: Some(out.to_path_buf()) })
            .await
            .unwrap();
    let session = QuerySession::open(out, None).await.unwrap();
    (report.run_dir, session)
}

/// (number or None, secret) of a public table's column for a bassin.
async fn public_value(session: &QuerySession, table: &str, column: &str, bassin: &str) -> (Option<f64>, String) {
    let batches = session
        .query(&format!(
            "SELECT CAST({column} AS DOUBLE) AS v, secret FROM public.{table} WHERE code_bassin = '{bassin}'"
        ))
        .await
        .unwrap();
    let batch = &batches[0];
    let values = batch.column(0).as_any().downcast_ref::<arrow::array::Float64Array>().unwrap();
    let secret = batch.column(1).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
    (arrow::array::Array::is_valid(values, 0).then(|| values.value(0)), secret.value(0).to_owned())
}

fn chromium() -> PathBuf {
    skillgap_reports::chromium()
        .expect("headless Chromium is required by this test (`make test` installs Debian's chromium)")
}

/// Runs headless Chromium on a file with extra flags; returns (stdout, stderr).
fn headless(page: &Path, flags: &[String]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium())
        .args(skillgap_reports::headless_arguments(profile.path()))
        .args(["--enable-logging=stderr", "--v=0"])
        .args(flags)
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn the_xlsx_cells_equal_the_public_tables() {
    let out = tempfile::tempdir().unwrap();
    let (run_dir, session) = demo(out.path()).await;
    let mut workbook: Xlsx<_> = open_workbook(run_dir.join("sheets/fiche-0701.xlsx")).unwrap();
    let names = workbook.sheet_names();
    assert_eq!(
        names,
        [
            "Chiffres clés",
            "Métiers",
            "Compétences",
            "Spécialités",
            "Sorties à venir",
            "Évolution",
            "Horizon 2030",
            "Méthode"
        ]
    );
    let figures = workbook.worksheet_range("Chiffres clés").unwrap();
    let columns = [
        "offres",
        "postes",
        "de_a",
        "ratio_offres_de_a",
        "bmo_projets",
        "part_difficiles",
        "places_12m",
        "taux_remplissage",
        "sessions_sous_80",
        "taux_emploi_6m",
        "sortants_prevus_6m",
        "metiers_en_tension",
        "part_metiers_en_tension",
    ];
    for (index, column) in columns.iter().enumerate() {
        let (expected, secret) = public_value(&session, "bassin_summary", column, "0701").await;
        let cell = figures.get((index + 1, 1)).unwrap();
        match (cell, expected) {
            (Data::Float(value), Some(expected)) => {
                assert!((value - expected).abs() < 1e-9, "{column}: {value} ≠ {expected}")
            }
            (Data::String(marker), None) => {
                assert!(marker == "n.s." || marker == "—" || secret.contains(column), "{column}: {marker}")
            }
            (Data::String(marker), Some(_)) => {
                assert!(secret.contains(column) && marker == "s", "{column}: {marker} {secret}")
            }
            other => panic!("{column}: {other:?}"),
        }
    }
    // The métiers, in priority order, with their gap.
    let metiers = workbook.worksheet_range("Métiers").unwrap();
    let batches = session.query("SELECT ecart, capacite_12m FROM public.competence_gap WHERE code_bassin = '0701' ORDER BY priorite LIMIT 10").await.unwrap();
    let ecarts: Vec<f64> = batches
        .iter()
        .flat_map(|b| b.column(0).as_any().downcast_ref::<arrow::array::Float64Array>().unwrap().values().to_vec())
        .collect();
    for (row, expected) in ecarts.iter().enumerate() {
        assert_eq!(metiers.get((row + 1, 9)), Some(&Data::Float(*expected)), "row {row}");
    }
    // The frozen header row and a real number format.
    assert_eq!(metiers.get((0, 9)), Some(&Data::String("Écart".to_owned())));
}

#[tokio::test]
async fn the_html_sheets_open_in_chromium_with_the_published_figures() {
    let out = tempfile::tempdir().unwrap();
    let (run_dir, session) = demo(out.path()).await;
    let sheet = run_dir.join("sheets/fiche-0701.html");
    let source = std::fs::read_to_string(&sheet).unwrap();
    assert!(source.contains("Content-Security-Policy") && !source.contains("<script"), "self-contained, no script");
    assert!(!source.contains("src=\"http") && !source.contains("href=\"http"), "no external resource");

    // The DOM after loading, with the console on stderr: no error, no blocked request.
    let (dom, log) = headless(&sheet, &["--dump-dom".to_owned()]);
    let dom = dom.replace("&nbsp;", "\u{a0}");
    for line in log.lines() {
        assert!(!line.contains("CONSOLE") && !line.contains("Refused to"), "console: {line}");
    }
    let (offers, _) = public_value(&session, "bassin_summary", "offres", "0701").await;
    let (fill, _) = public_value(&session, "bassin_summary", "taux_remplissage", "0701").await;
    for (label, shown) in [
        ("Offres d'emploi déposées (12 mois)", integer(offers.unwrap())),
        ("Taux de remplissage des formations", percent(fill.unwrap())),
    ] {
        let start = dom.find(label).unwrap_or_else(|| panic!("{label} not in the DOM"));
        let row_end = start + dom[start..].find("</tr>").unwrap();
        assert!(dom[start..row_end].contains(&shown), "{label}: {shown} not in {}", &dom[start..row_end]);
    }

    // A screenshot, and at most four A4 pages per bassin in PDF.
    let shots = tempfile::tempdir().unwrap();
    let png = shots.path().join("fiche.png");
    headless(&sheet, &[format!("--screenshot={}", png.display()), "--window-size=1000,1400".to_owned()]);
    assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
    let pdfs = shots.path().join("pdf");
    let pipeline = skillgap_config::Pipeline::load(&repository().join("pipelines/demo.toml")).unwrap();
    let command = skillgap_run::SheetsCommand {
        pipeline,
        output: Some(out.path().display().to_string()),
        run: None,
        bassins: ["0701", "0702", "0710", "0720", "0730"].map(str::to_owned).to_vec(),
        formats: vec!["pdf".to_owned()],
        to: pdfs.clone(),
    };
    let report = skillgap_run::sheets(command).await.unwrap();
    assert_eq!(report.sheets, 5);
    for entry in std::fs::read_dir(&pdfs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
    {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert!((1..=4).contains(&pages), "{}: {pages} pages", entry.display());
        assert!(text.contains("/MediaBox [0 0 594.9"), "A4 pages (595 × 842 points)");
    }

    // The index links every bassin's sheet and colours the map.
    let index = std::fs::read_to_string(run_dir.join("sheets/index.html")).unwrap();
    assert_eq!(index.matches("href=\"fiche-").count(), 2 * 30 + 30, "table links (HTML, XLSX) and map links");
}

#[tokio::test]
async fn no_person_count_from_one_to_four_is_shown_and_totals_do_not_reveal_one() {
    let out = tempfile::tempdir().unwrap();
    let (run_dir, session) = demo(out.path()).await;
    let mut shown_small = Vec::new();
    for entry in std::fs::read_dir(run_dir.join("sheets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
    {
        let mut workbook: Xlsx<_> = open_workbook(&entry).unwrap();
        let figures = workbook.worksheet_range("Chiffres clés").unwrap();
        // Person counts: jobseekers (row 3) and expected leavers (row 11).
        for row in [3, 11] {
            if let Some(Data::Float(value)) = figures.get((row, 1))
                && *value > 0.0
                && *value < 5.0
            {
                shown_small.push(format!("{}: row {row} = {value}", entry.display()));
            }
        }
        let upcoming = workbook.worksheet_range("Sorties à venir").unwrap();
        for row in 1..upcoming.height() {
            if let Some(Data::Float(value)) = upcoming.get((row, 5))
                && *value > 0.0
                && *value < 5.0
            {
                shown_small.push(format!("{}: leavers {value}", entry.display()));
            }
        }
    }
    assert!(shown_small.is_empty(), "{shown_small:?}");
    // A regional total is never shown when one of its bassins' values is suppressed.
    let suppressed = session
        .query("SELECT COUNT(*) FROM public.bassin_summary WHERE secret LIKE '%sortants_prevus_6m%'")
        .await
        .unwrap();
    let suppressed = suppressed[0].column(0).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap().value(0);
    let mut workbook: Xlsx<_> = open_workbook(run_dir.join("sheets/fiche-0701.xlsx")).unwrap();
    let regional = workbook.worksheet_range("Chiffres clés").unwrap().get((11, 2)).cloned();
    if suppressed > 0 {
        assert_eq!(regional, Some(Data::String("s".to_owned())));
    } else {
        assert!(matches!(regional, Some(Data::Float(_))), "{regional:?}");
    }
}

#[tokio::test]
async fn hostile_texts_from_the_inputs_show_as_text_and_never_run() {
    let script = "<script>alert(1)</script>";
    let image = "\"><img src=x onerror=alert(1)>";
    let catalogue = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><lheo xmlns=\"http://lheo.gouv.fr/2.3\"><offres><formation numero=\"F1\"><domaine-formation><code-FORMACODE>11111</code-FORMACODE></domaine-formation>\
         <intitule-formation>Formation {title}</intitule-formation><action numero=\"A1\"><lieu-de-formation><coordonnees><adresse><code-INSEE-commune>11001</code-INSEE-commune></adresse></coordonnees></lieu-de-formation>\
         <session numero=\"S1\"><periode><debut>20260101</debut><fin>20260901</fin></periode><recrutement><nb-places>12</nb-places></recrutement></session></action>\
         <organisme-formation-responsable><nom-organisme>Organisme {org}</nom-organisme></organisme-formation-responsable></formation></offres></lheo>",
        title = image.replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;"),
        org = script.replace('<', "&lt;").replace('>', "&gt;"),
    );
    let rome = format!(
        "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nA1111,\"Métier {}\",M1,F1,santé\n",
        image.replace('"', "\"\"")
    );
    let offers = format!(
        "{{\"id\":\"o1\",\"intitule\":\"{}\",\"dateCreation\":\"2026-03-01T10:00:00Z\",\"lieuTravail\":{{\"commune\":\"11001\"}},\"romeCode\":\"A1111\",\"typeContrat\":\"CDI\",\"competences\":[{{\"code\":\"1\",\"libelle\":\"{}\"}}]}}\n",
        script, script
    );
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("communes.csv", "code_commune,libelle_commune,code_bassin,code_postal\n11001,Un,0001,11100\n".to_owned()),
        ("offers/o.ndjson", offers),
        (
            "jobseekers.csv",
            "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n2026-06,0001,bassin,A1111,40,80,40,50\n".to_owned(),
        ),
        ("bmo.csv", "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n".to_owned()),
        ("rome.csv", rome),
        ("rome_formacode.csv", "code_rome,formacode\nA1111,11111\n".to_owned()),
        ("formacode.csv", "formacode,libelle,code_nsf\n11111,Fa,331\n".to_owned()),
        ("nsf.csv", "code_nsf,libelle_nsf\n331,Santé\n".to_owned()),
        ("lheo/c.xml", catalogue),
    ];
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, c)| (*n, c.as_str())).collect();
    let path = crate::support::write_pipeline(dir.path(), &borrowed, "[inputs.lheo]\npaths = [\"lheo\"]\n");
    let report = crate::support::run_at(&path, "2026-07-01").await.unwrap();
    let sheet = report.run_dir.join("sheets/fiche-0001.html");
    let source = std::fs::read_to_string(&sheet).unwrap();
    assert!(source.contains("Organisme &lt;script&gt;alert(1)&lt;/script&gt;"), "the organisme is escaped");
    assert!(source.contains("Métier &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), "the métier label is escaped");
    assert!(!source.contains("<script") && !source.contains("<img"), "no element from the inputs");
    let (dom, log) = headless(&sheet, &["--dump-dom".to_owned()]);
    assert!(!dom.contains("<script") && !dom.contains("<img"), "no script or image element after loading");
    assert!(log.lines().all(|line| !line.contains("CONSOLE")), "{log}");
    // The workbook keeps the texts as they are.
    let mut workbook: Xlsx<_> = open_workbook(report.run_dir.join("sheets/fiche-0001.xlsx")).unwrap();
    let upcoming = workbook.worksheet_range("Sorties à venir").unwrap();
    assert_eq!(upcoming.get((1, 2)), Some(&Data::String(format!("Organisme {script}"))));
}

#[tokio::test]
async fn every_upcoming_session_is_listed_soonest_first_or_counted_in_the_note() {
    let out = tempfile::tempdir().unwrap();
    let (run_dir, session) = demo(out.path()).await;
    let batches = session
        .query("SELECT code_bassin, intitule_formation FROM public.upcoming_sessions ORDER BY code_bassin, date_fin, session_id")
        .await
        .unwrap();
    let mut by_bassin: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for batch in &batches {
        let bassins = batch.column(0).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        let titles = batch.column(1).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        for row in 0..batch.num_rows() {
            by_bassin.entry(bassins.value(row).to_owned()).or_default().push(titles.value(row).to_owned());
        }
    }
    let listed = skillgap_reports::UPCOMING_LISTED;
    assert!(
        by_bassin.values().any(|titles| titles.len() > listed),
        "the demo has a bassin with more sessions than listed"
    );
    for (bassin, titles) in &by_bassin {
        let Ok(mut workbook) = open_workbook::<Xlsx<_>, _>(run_dir.join(format!("sheets/fiche-{bassin}.xlsx"))) else {
            assert_eq!(bassin, "HORS_BASSIN", "every bassin has its sheet");
            continue;
        };
        let sheet = workbook.worksheet_range("Sorties à venir").unwrap();
        let shown: Vec<String> = (1..)
            .map_while(|row| match sheet.get((row, 1)) {
                Some(Data::String(title)) if !title.is_empty() => Some(title.clone()),
                _ => None,
            })
            .collect();
        // The soonest ending first, exactly as many as the sheet lists.
        assert_eq!(shown, titles[..titles.len().min(listed)], "fiche-{bassin}: the sessions listed");
        let note = match sheet.get((shown.len() + 2, 0)) {
            Some(Data::String(note)) => note.clone(),
            _ => String::new(),
        };
        if titles.len() > listed {
            let others = titles.len() - listed;
            assert!(
                note.starts_with(&format!("{others} autre"))
                    && note.contains(&format!("les {} sessions", titles.len())),
                "fiche-{bassin}: {note}"
            );
        } else {
            assert!(note.is_empty(), "fiche-{bassin}: no session left out, yet the note says {note}");
        }
    }
}

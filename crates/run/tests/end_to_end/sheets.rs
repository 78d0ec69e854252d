//! The gap sheets of the demo region as their readers get them: XLSX read back cell by
//! cell against the public tables (header block, date cells, labelled levels, print
//! settings), the HTML opened in headless Chromium (no console error, no request, key
//! figures in the DOM, a screenshot, at most six A4 pages, no overflow at 390 and 1280 px,
//! printed text at 9 pt or more), no person count from 1 to 4 shown, and hostile texts
//! shown as text.

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx, open_workbook};
use skillgap_reports::TABLE_HEADER_ROW;
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

/// The row of a worksheet's table header (its header block above).
fn header_row() -> usize {
    TABLE_HEADER_ROW as usize
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
            "À retenir",
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
        let cell = figures.get((header_row() + 1 + index, 1)).unwrap();
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
        assert_eq!(metiers.get((header_row() + 1 + row, 9)), Some(&Data::Float(*expected)), "row {row}");
    }
    // The frozen header row and a real number format.
    assert_eq!(metiers.get((header_row(), 9)), Some(&Data::String("Écart".to_owned())));
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

    // A screenshot, and at most six A4 pages per bassin in PDF.
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
        // Text at 9 pt or more takes five A4 pages for the fullest demo sheets.
        assert!((1..=6).contains(&pages), "{}: {pages} pages", entry.display());
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
        // Person counts: jobseekers (the table's row 3) and expected leavers (row 11).
        for row in [3, 11] {
            if let Some(Data::Float(value)) = figures.get((header_row() + row, 1))
                && *value > 0.0
                && *value < 5.0
            {
                shown_small.push(format!("{}: row {row} = {value}", entry.display()));
            }
        }
        let upcoming = workbook.worksheet_range("Sorties à venir").unwrap();
        for row in header_row() + 1..upcoming.height() {
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
    let regional = workbook.worksheet_range("Chiffres clés").unwrap().get((header_row() + 11, 2)).cloned();
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
    assert_eq!(source.matches("</style>").count(), 1, "no input text closes the style element");
    let (dom, log) = headless(&sheet, &["--dump-dom".to_owned()]);
    assert!(!dom.contains("<script") && !dom.contains("<img"), "no script or image element after loading");
    assert!(log.lines().all(|line| !line.contains("CONSOLE")), "{log}");
    // The workbook keeps the texts as they are.
    let mut workbook: Xlsx<_> = open_workbook(report.run_dir.join("sheets/fiche-0001.xlsx")).unwrap();
    let upcoming = workbook.worksheet_range("Sorties à venir").unwrap();
    assert_eq!(upcoming.get((header_row() + 1, 2)), Some(&Data::String(format!("Organisme {script}"))));
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
        let shown: Vec<String> = (header_row() + 1..)
            .map_while(|row| match sheet.get((row, 1)) {
                Some(Data::String(title)) if !title.is_empty() => Some(title.clone()),
                _ => None,
            })
            .collect();
        // The soonest ending first, exactly as many as the sheet lists.
        assert_eq!(shown, titles[..titles.len().min(listed)], "fiche-{bassin}: the sessions listed");
        let note = match sheet.get((header_row() + shown.len() + 2, 0)) {
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

/// The day of an Excel date serial (days since 1899-12-30).
fn excel_day(serial: f64) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap() + chrono::Duration::days(serial as i64)
}

/// An XML part of an XLSX file.
fn xlsx_part(path: &Path, name: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

#[tokio::test]
async fn every_worksheet_opens_with_the_header_block_holds_real_dates_and_labelled_levels_and_prints_landscape() {
    let out = tempfile::tempdir().unwrap();
    let (run_dir, session) = demo(out.path()).await;
    let path = run_dir.join("sheets/fiche-0701.xlsx");
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    let names = workbook.sheet_names();
    for name in &names {
        let sheet = workbook.worksheet_range(name).unwrap();
        let line = |row: usize| match sheet.get((row, 0)) {
            Some(Data::String(text)) => text.clone(),
            other => panic!("{name}, row {row}: {other:?}"),
        };
        assert!(line(0).starts_with("Fiche bassin — ") && line(0).ends_with("(0701)"), "{name}: {}", line(0));
        assert!(
            line(1).starts_with("Bassin 0701") && line(1).contains("situation au 26/11/2026"),
            "{name}: {}",
            line(1)
        );
        assert!(line(2).starts_with("Qualité des données : "), "{name}: {}", line(2));
        assert!(line(3).starts_with("Sources : ") && line(3).contains("France Travail"), "{name}: {}", line(3));
        assert!(matches!(sheet.get((header_row(), 0)), Some(Data::String(header)) if !header.is_empty()), "{name}");
    }

    // The end dates of « Sorties à venir » are date cells, the soonest first.
    let batches = session
        .query("SELECT CAST(date_fin AS VARCHAR) AS day FROM public.upcoming_sessions WHERE code_bassin = '0701' ORDER BY date_fin, session_id")
        .await
        .unwrap();
    let expected: Vec<String> = batches
        .iter()
        .flat_map(|b| {
            let days = b.column(0).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
            days.iter().flatten().map(str::to_owned).collect::<Vec<_>>()
        })
        .take(skillgap_reports::UPCOMING_LISTED)
        .collect();
    assert!(!expected.is_empty(), "the demo's 0701 has sessions ending within six months");
    let sessions = workbook.worksheet_range("Sorties à venir").unwrap();
    for (index, day) in expected.iter().enumerate() {
        match sessions.get((header_row() + 1 + index, 0)) {
            Some(Data::DateTime(value)) => assert_eq!(excel_day(value.as_f64()).to_string(), *day, "row {index}"),
            other => panic!("row {index}: a date cell expected, got {other:?}"),
        }
    }

    // Tension levels keep their label (« 4 – forte ») rather than a bare number.
    let metiers = workbook.worksheet_range("Métiers").unwrap();
    assert_eq!(metiers.get((header_row(), 2)), Some(&Data::String("Niveau de tension".to_owned())));
    let levels: Vec<&Data> =
        (header_row() + 1..).map_while(|row| metiers.get((row, 2)).filter(|cell| **cell != Data::Empty)).collect();
    assert!(!levels.is_empty());
    for level in &levels {
        assert!(matches!(level, Data::String(text) if text == "—" || text.contains(" – ")), "{level:?}");
    }

    // Printed: landscape A4, one page wide, the table header on every page, a footer.
    for index in 1..=names.len() {
        let xml = xlsx_part(&path, &format!("xl/worksheets/sheet{index}.xml"));
        for expected in [
            "<pageSetUpPr fitToPage=\"1\"/>",
            "orientation=\"landscape\"",
            "paperSize=\"9\"",
            "fitToHeight=\"0\"",
            "Page &amp;P / &amp;N",
        ] {
            assert!(xml.contains(expected), "sheet {index} lacks {expected}");
        }
    }
    let titles = xlsx_part(&path, "xl/workbook.xml");
    let repeated = format!("${}:${}", header_row() + 1, header_row() + 1);
    assert_eq!(titles.matches("_xlnm.Print_Titles").count(), names.len(), "{titles}");
    assert_eq!(titles.matches(&repeated).count(), names.len(), "{titles}");
}

/// What `MEASURE` reports from a sheet to its frame: the viewport's width, the right edge of
/// the widest element, the document's scroll width and the smallest font size of a text
/// (CSS px).
const MEASURE: &str = r#"
const viewport = document.documentElement.clientWidth;
let widest = 0, smallest = Infinity;
for (const element of document.querySelectorAll('body *')) {
  if (element.tagName !== 'svg' && element.closest('svg')) continue;
  const box = element.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) continue;
  widest = Math.max(widest, box.right);
  const text = [...element.childNodes].some(node => node.nodeType === 3 && node.textContent.trim());
  if (text) smallest = Math.min(smallest, parseFloat(getComputedStyle(element).fontSize));
}
parent.postMessage([viewport, Math.ceil(widest), document.documentElement.scrollWidth, smallest].join(' '), '*');
"#;

/// The page that frames the measured copy at a given width (headless Chromium's window is
/// never narrower than about 500 px) and writes what it reports into its own DOM.
const FRAME: &str = r#"<!DOCTYPE html><html><body style="margin:0">
<iframe src="measured.html" style="border:0;width:WIDTHpx;height:1000px"></iframe>
<script>addEventListener('message', event => { const out = document.createElement('output'); out.id = 'measure'; out.textContent = event.data; document.body.appendChild(out); });</script>
</body></html>"#;

/// Loads a copy of `page` with `MEASURE` in place of its policy (the published sheets run
/// no script), at `width` CSS pixels; `print` applies the print stylesheet to the screen.
/// Returns (viewport, widest right edge, scroll width, smallest font size).
fn measured(page: &Path, width: u32, print: bool) -> (f64, f64, f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let mut html = std::fs::read_to_string(page).unwrap();
    let policy = html.find("<meta http-equiv=\"Content-Security-Policy\"").unwrap();
    let end = policy + html[policy..].find('>').unwrap() + 1;
    html.replace_range(policy..end, "");
    if print {
        html = html.replace("@media print", "@media all").replace("@media screen and", "@media not all and");
    }
    let html = html.replace("</body>", &format!("<script>{MEASURE}</script></body>"));
    std::fs::write(dir.path().join("measured.html"), html).unwrap();
    let frame = dir.path().join("frame.html");
    std::fs::write(&frame, FRAME.replace("WIDTH", &width.to_string())).unwrap();
    let flags = ["--dump-dom", "--virtual-time-budget=5000", "--window-size=1400,1100"].map(str::to_owned);
    let (dom, _) = headless(&frame, &flags);
    let start = dom.find("id=\"measure\">").unwrap_or_else(|| panic!("no measure in {dom}")) + "id=\"measure\">".len();
    let values: Vec<f64> =
        dom[start..start + dom[start..].find('<').unwrap()].split(' ').map(|v| v.parse().unwrap()).collect();
    (values[0], values[1], values[2], values[3])
}

#[tokio::test]
async fn a_sheet_fits_a_phone_and_a_desktop_and_prints_at_nine_points_or_more_with_a_footer() {
    let out = tempfile::tempdir().unwrap();
    let (run_dir, _) = demo(out.path()).await;
    for page in ["sheets/fiche-0701.html", "sheets/index.html"] {
        let page = run_dir.join(page);
        for width in [390, 1280] {
            let (viewport, widest, scroll, _) = measured(&page, width, false);
            assert!(viewport <= f64::from(width) && viewport > 300.0, "{}: viewport {viewport}", page.display());
            assert!(
                widest <= viewport + 1.0 && scroll <= viewport,
                "{} at {width} px: an element reaches {widest} px, the page scrolls to {scroll} px, in a {viewport} px viewport",
                page.display()
            );
        }
        // 9 pt = 12 CSS px.
        let (_, _, _, smallest) = measured(&page, 1280, true);
        assert!(smallest >= 12.0, "{}: printed text down to {smallest} px", page.display());
        let source = std::fs::read_to_string(&page).unwrap();
        assert!(
            source.contains("@bottom-left { content: \"") && source.contains("counter(page) \" / \" counter(pages)")
        );
    }
    let sheet = std::fs::read_to_string(run_dir.join("sheets/fiche-0701.html")).unwrap();
    assert!(sheet.contains("(0701) · situation au 26/11/2026\"; font-size: 9pt"), "the footer names the bassin and D");
    // Places and gaps are whole numbers (places shared among métiers are fractional).
    for column in ["Places de formation", "Écart"] {
        let marker = format!("data-column=\"{column}\">");
        let values: Vec<&str> =
            sheet.match_indices(&marker).filter_map(|(at, _)| sheet[at + marker.len()..].split('<').next()).collect();
        assert!(values.len() >= 10, "{column}: {values:?}");
        assert!(values.iter().all(|value| !value.contains(',')), "{column}: {values:?}");
    }
    assert!(sheet.contains("<th scope=\"col\">Métier</th><th scope=\"col\">Rang</th>"), "the métier heads its row");
}

#[tokio::test]
async fn each_sheet_opens_with_the_metiers_en_tension_that_have_no_training_place_and_where_they_are_trained_nearby() {
    let out = tempfile::tempdir().unwrap();
    let (run_dir, session) = demo(out.path()).await;
    let batches = session
        .query(
            "SELECT code_bassin, code_rome FROM public.competence_gap WHERE en_tension
             AND (capacite_12m IS NULL OR capacite_12m <= 0) AND COALESCE(secret, '') NOT LIKE '%capacite_12m%'",
        )
        .await
        .unwrap();
    let mut expected: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for batch in &batches {
        let bassins = batch.column(0).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        let romes = batch.column(1).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        for row in 0..batch.num_rows() {
            expected.entry(bassins.value(row).to_owned()).or_default().insert(romes.value(row).to_owned());
        }
    }
    assert!(expected.values().map(|codes| codes.len()).sum::<usize>() > 30, "the demo has such métiers: {expected:?}");
    let mut nearby = 0;
    for bassin in session.query("SELECT code_bassin FROM silver.bassins").await.unwrap().iter().flat_map(|batch| {
        let codes = batch.column(0).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        codes.iter().flatten().map(str::to_owned).collect::<Vec<_>>()
    }) {
        let html = std::fs::read_to_string(run_dir.join(format!("sheets/fiche-{bassin}.html"))).unwrap();
        let start = html.find("<aside class=\"retenir\"").unwrap_or_else(|| panic!("fiche-{bassin}: no box"));
        let end = start + html[start..].find("</aside>").unwrap();
        assert!(end < html.find("Chiffres clés</h2>").unwrap(), "fiche-{bassin}: the box comes first");
        let lines: Vec<&str> =
            html[start..end].split("<li>").skip(1).map(|item| item.split("</li>").next().unwrap()).collect();
        let named: std::collections::BTreeSet<String> = lines
            .iter()
            .filter(|line| line.contains(" : aucune place de formation dans le bassin"))
            .map(|line| {
                let metier = line.split(" : ").next().unwrap();
                metier[metier.rfind('(').unwrap() + 1..metier.len() - 1].to_owned()
            })
            .collect();
        assert_eq!(named, expected.get(&bassin).cloned().unwrap_or_default(), "fiche-{bassin}: {lines:#?}");
        nearby += lines.iter().filter(|line| line.contains("formé à proximité : ") && line.contains(" km)")).count();
        assert!(lines.iter().all(|line| !line.contains(",5 postes")), "fiche-{bassin}: gaps in whole positions");
    }
    assert!(nearby > 0, "métiers without places are trained in a nearby bassin somewhere in the demo");
}

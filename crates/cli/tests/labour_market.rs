//! `skillgap fetch labour-market` then `skillgap run`, as a user runs them, against the
//! loopback fake API: jobseekers taken from the Marché du travail API alone (no CSV), the
//! quarter chosen by the reference date, tension levels computed without exits (degraded,
//! as documented), the incremental fetch asking only new quarters, and a failed fetch that
//! moves nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use chrono::{TimeZone, Utc};
use serde_json::Value;
use skillgap_fakeapi::{CLIENT_ID, CLIENT_SECRET, FakeApi, Fault, generate_labour_market, generate_offers};

const BASSINS: [&str; 2] = ["3216", "3217"];
const ROMES: [&str; 2] = ["A1111", "B2222"];

fn skillgap(arguments: &[&str], directory: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skillgap"))
        .args(arguments)
        .current_dir(directory)
        .env("SKILLGAP_LOG", "warn")
        .env("TEST_FT_ID", CLIENT_ID)
        .env("TEST_FT_SECRET", CLIENT_SECRET)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn sql(dir: &Path, query: &str) -> Vec<Value> {
    let output = skillgap(&["sql", "--pipeline", "pipeline.toml", "--format", "json", query], dir);
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A two-bassin BMO grid with offers and BMO, and no jobseekers file: they come from the API.
fn write_pipeline(dir: &Path, api: &FakeApi, scope: &str) {
    write_pipeline_on(dir, api, scope, None);
}

/// The same on another grid: `zones` is (communes.csv, bmo_bassins.csv, grid section).
fn write_pipeline_on(dir: &Path, api: &FakeApi, scope: &str, zones: Option<(&str, &str)>) {
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("offers")).unwrap();
    let files = [
        (
            "communes.csv",
            "code_commune,libelle_commune,code_bassin,code_postal\n59001,Lille,3216,59000\n62001,Arras,3217,62000\n"
                .to_owned(),
        ),
        (
            "rome.csv",
            "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nA1111,A,M1,F1,santé\nB2222,B,M2,F1,santé\n"
                .to_owned(),
        ),
        ("rome_formacode.csv", "code_rome,formacode\n".to_owned()),
        ("formacode.csv", "formacode,libelle,code_nsf\n".to_owned()),
        ("nsf.csv", "code_nsf,libelle_nsf\n".to_owned()),
        (
            "bmo.csv",
            "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n\
             2026;M1;A;32;59;3216;Lille;100;80;0\n2026;M2;B;32;59;3216;Lille;100;20;0\n\
             2026;M1;A;32;62;3217;Arras;100;50;0\n2026;M2;B;32;62;3217;Arras;100;10;0\n"
                .to_owned(),
        ),
    ];
    for (name, content) in files {
        std::fs::write(data.join(name), content).unwrap();
    }
    let mut grid = String::new();
    if let Some((communes, crosswalk)) = zones {
        std::fs::write(data.join("communes.csv"), communes).unwrap();
        std::fs::write(data.join("bmo_bassins.csv"), crosswalk).unwrap();
        grid = "[grid]\nkind = \"zones_emploi\"\n\n[inputs.territories.bmo_bassins]\npath = \"bmo_bassins.csv\"\n"
            .to_owned();
    }
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().unwrap();
    let offers: String =
        generate_offers(400, 11, &["59", "62"], &ROMES, now, 300).iter().map(|offer| format!("{offer}\n")).collect();
    std::fs::write(data.join("offers/offers.ndjson"), offers).unwrap();
    let minimal = include_str!("../../../tests/minimal-pipeline.toml")
        .replace("[inputs.jobseekers]\npath = \"jobseekers.csv\"\n", "");
    assert!(!minimal.contains("jobseekers"), "the pipeline has no jobseekers file");
    let pipeline = format!(
        r#"{minimal}
{grid}
[dates]
as_of = "2026-11-26"

[fetch.labour_market]
token_url = "{token}"
base_url = "{base}"
client_id_env = "TEST_FT_ID"
client_secret_env = "TEST_FT_SECRET"
scope = "{scope}"
history_quarters = 3
requests_per_second = 500
timeout_seconds = 1
retry_budget = 6
backoff_seconds = 0.01
max_backoff_seconds = 0.1
"#,
        token = api.token_url(),
        base = api.labour_market_url(),
    );
    std::fs::write(dir.join("pipeline.toml"), pipeline).unwrap();
}

fn start() -> FakeApi {
    let api = FakeApi::start(Vec::new(), Utc::now()).unwrap();
    api.state().labour_market = generate_labour_market(&BASSINS, &ROMES, &["2026T1", "2026T2", "2026T3"], &["2025"], 5);
    api
}

fn served(api: &FakeApi, indicator: &str, bassin: &str, rome: &str, nomenclature: &str, period: &str) -> i64 {
    let state = api.state();
    let figure = state
        .labour_market
        .iter()
        .find(|f| {
            f.indicator == indicator
                && f.territory == bassin
                && f.activity == rome
                && f.nomenclature == nomenclature
                && f.period == period
        })
        .unwrap();
    figure.value.unwrap() as i64
}

#[test]
fn jobseekers_from_the_api_alone_give_every_row_a_tension_level_and_later_fetches_bring_only_new_quarters() {
    let dir = tempfile::tempdir().unwrap();
    let api = start();
    write_pipeline(dir.path(), &api, "api_stats-offres-demandes-emploiv1 offresetdemandesemploi");
    api.state().labour_market_faults.insert(5, Fault::TooManyRequests { retry_after_seconds: 0 });

    let output = skillgap(&["fetch", "labour-market", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("2 bassins × 2 ROME codes"), "{}", text(&output));
    let watermark: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/landing/labour_market/watermark.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(watermark["latest"], serde_json::json!({"DE_1": "2026T3", "DE_5": "2026T3", "PERSP_2": "2025"}));

    let output = skillgap(&["run", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    let quarters = sql(
        dir.path(),
        "SELECT DISTINCT periode, type_periode, CAST(periode_fin AS VARCHAR) AS fin FROM silver.jobseekers ORDER BY periode",
    );
    assert_eq!(
        quarters.iter().map(|q| q["periode"].as_str().unwrap()).collect::<Vec<_>>(),
        ["2026T1", "2026T2", "2026T3"]
    );
    assert!(quarters.iter().all(|q| q["type_periode"] == "trimestre"));
    assert_eq!(quarters[2]["fin"], "2026-09-30");

    // D = 2026-11-26: the latest quarter that ends before D is 2026T3, its figures as served.
    let rows = sql(
        dir.path(),
        "SELECT code_bassin, code_rome, de_a, de_abc, entrees_a_12m, niveau_tension, composantes_tension \
         FROM gold.competence_gap WHERE code_bassin <> 'HORS_BASSIN' ORDER BY code_bassin, code_rome",
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    for row in &rows {
        let (bassin, rome) = (row["code_bassin"].as_str().unwrap(), row["code_rome"].as_str().unwrap());
        assert_eq!(row["de_a"].as_i64(), Some(served(&api, "DE_1", bassin, rome, "A", "2026T3")), "{row}");
        assert_eq!(row["de_abc"].as_i64(), Some(served(&api, "DE_1", bassin, rome, "ABC", "2026T3")));
        assert_eq!(row["entrees_a_12m"].as_i64(), Some(served(&api, "DE_5", bassin, rome, "CUMUL 12 MOIS", "2026T3")));
        // No exits by bassin in the API: the index runs on the two other components.
        assert!(row["niveau_tension"].as_i64().is_some_and(|level| (1..=5).contains(&level)), "{row}");
        assert_eq!(row["composantes_tension"], "ratio_offres_entrees_a,part_difficiles");
    }

    // France Travail's own tension, beside skillgap's: the 2025 ranks as served, the causes
    // ranked 4 or 5 named in French, highest first.
    let tension = sql(dir.path(), "SELECT * FROM gold.france_travail_tension ORDER BY code_bassin, code_rome");
    assert_eq!(tension.len(), 4, "{tension:?}");
    for row in &tension {
        let (bassin, rome) = (row["code_bassin"].as_str().unwrap(), row["code_rome"].as_str().unwrap());
        assert_eq!(row["annee"].as_i64(), Some(2025));
        assert_eq!(
            row["niveau_tension_ft"].as_i64(),
            Some(served(&api, "PERSP_2", bassin, rome, "PERSPECTIVE", "2025"))
        );
        assert_eq!(
            row["conditions_travail"].as_i64(),
            Some(served(&api, "PERSP_2", bassin, rome, "COND_TRAVAIL", "2025"))
        );
        let mut expected: Vec<(i64, usize, &str)> = [
            ("MAIN_OEUVRE", "main-d'œuvre disponible"),
            ("INT_EMB", "intensité d'embauches"),
            ("COND_TRAVAIL", "conditions de travail"),
            ("DUR_EMPL", "durabilité de l'emploi"),
            ("MISMATCH_GEO", "inadéquation géographique"),
            ("SPECIF_FORM_EMPL", "lien formation-emploi"),
            ("ATTR_SALARIALE", "attractivité salariale"),
        ]
        .iter()
        .enumerate()
        .map(|(order, (code, label))| (served(&api, "PERSP_2", bassin, rome, code, "2025"), order, *label))
        .filter(|(rank, _, _)| *rank >= 4)
        .collect();
        expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let labels: Vec<&str> = expected.iter().map(|(_, _, label)| *label).collect();
        assert_eq!(row["causes_principales"].as_str().unwrap_or(""), labels.join(", "), "{row}");
    }
    // The sheet shows both levels, names the source and year, and never blends them.
    let output = skillgap(
        &["sheets", "--pipeline", "pipeline.toml", "--bassin", "3216", "--format", "html", "--to", "sheets"],
        dir.path(),
    );
    assert!(output.status.success(), "{}", text(&output));
    let sheet = std::fs::read_dir(dir.path().join("sheets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("3216"))
        .unwrap();
    let html = std::fs::read_to_string(&sheet).unwrap();
    assert!(
        html.contains("Tension selon France Travail") && html.contains("PERSP_2") && html.contains("année 2025"),
        "{html}"
    );
    // Its sources name the API, the rounding to tens and the periods read.
    assert!(html.contains("API Marché du travail : demandeurs d") && html.contains("arrondis à la dizaine"), "{html}");
    assert!(html.contains("périodes les plus récentes : DE_1 2026T3, DE_5 2026T3, PERSP_2 2025"), "{html}");
    let first = &tension[0];
    let cell = match first["causes_principales"].as_str() {
        Some(causes) => format!("{} · {causes}", first["niveau_tension_ft"]),
        None => first["niveau_tension_ft"].to_string(),
    };
    assert!(html.contains(&cell) || html.contains(&cell.replace('\'', "&#39;")), "the sheet shows « {cell} »");
    assert!(
        html.contains("Niveaux de tension calculés sans : taux d&#39;écoulement")
            || html.contains("Niveaux de tension calculés sans : taux d'écoulement"),
        "the degraded index is said"
    );

    // Nothing new: the fetch asks three probes, lands nothing, keeps the watermark.
    let answers = || std::fs::read_dir(dir.path().join("out/landing/labour_market/answers")).unwrap().count();
    assert_eq!(answers(), 1);
    let asked_before = api.state().labour_market_requests;
    let output = skillgap(&["fetch", "labour-market", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success() && text(&output).contains("nothing published"), "{}", text(&output));
    assert_eq!((answers(), api.state().labour_market_requests - asked_before), (1, 3));

    // 2026T4 appears (it ends after D): fetched alone, landed, and not the run's quarter.
    api.state().labour_market.extend(generate_labour_market(&BASSINS, &ROMES, &["2026T4"], &[], 9));
    let criteria_before = api.state().labour_market_criteria.len();
    let output = skillgap(&["fetch", "labour-market", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    let criteria = api.state().labour_market_criteria[criteria_before..].to_vec();
    let asked: Vec<&Value> = criteria.iter().filter(|c| c["codeTypeTerritoire"] == "BASBMO").collect();
    assert_eq!(asked.len(), 2 * 2 * 2, "DE_1 and DE_5 for each (bassin, ROME); PERSP_2 has nothing new");
    assert!(asked.iter().all(|c| c["listeCodePeriode"] == serde_json::json!(["2026T4"])));
    let output = skillgap(&["run", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    let row =
        &sql(dir.path(), "SELECT de_a FROM gold.competence_gap WHERE code_bassin = '3216' AND code_rome = 'A1111'")[0];
    assert_eq!(row["de_a"].as_i64(), Some(served(&api, "DE_1", "3216", "A1111", "A", "2026T3")));

    // A fetch that fails: exit 4, no answer file, watermark and published run as they were.
    api.state().labour_market.extend(generate_labour_market(&BASSINS, &ROMES, &["2027T1"], &[], 10));
    let watermark = std::fs::read(dir.path().join("out/landing/labour_market/watermark.json")).unwrap();
    let current = std::fs::read_link(dir.path().join("out/current")).unwrap();
    {
        let mut state = api.state();
        let next = state.labour_market_requests;
        state.labour_market_faults.extend((next + 5..next + 40).map(|n| (n, Fault::ServerError(503))));
    }
    let output = skillgap(&["fetch", "labour-market", "--pipeline", "pipeline.toml"], dir.path());
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(text(&output).contains("retries") && !text(&output).contains(CLIENT_SECRET), "{}", text(&output));
    assert_eq!(std::fs::read(dir.path().join("out/landing/labour_market/watermark.json")).unwrap(), watermark);
    assert_eq!(answers(), 2, "no partial answer file");
    assert_eq!(std::fs::read_link(dir.path().join("out/current")).unwrap(), current);
}

#[test]
fn a_scope_without_its_second_part_is_a_configuration_error_naming_the_scope() {
    let dir = tempfile::tempdir().unwrap();
    let api = start();
    write_pipeline(dir.path(), &api, "api_stats-offres-demandes-emploiv1");
    let output = skillgap(&["fetch", "labour-market", "--pipeline", "pipeline.toml"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("HTTP 403") && text(&output).contains("scope `api_stats-offres-demandes-emploiv1`"),
        "{}",
        text(&output)
    );
    assert!(!dir.path().join("out/landing/labour_market/watermark.json").exists());
}

#[test]
fn on_zones_d_emploi_the_bmo_bassins_counts_are_shared_by_the_crosswalk_and_ranks_follow_the_main_bassin() {
    let dir = tempfile::tempdir().unwrap();
    let api = start();
    // Z1 is within BMO bassin 3216; Z2 holds 40 % of 3216 and all of 3217.
    let communes = "code_commune,libelle_commune,code_bassin,code_postal\n59001,Lille,Z1,59000\n62001,Arras,Z2,62000\n";
    let crosswalk = "code_bassin_bmo,code_bassin,poids\n3216,Z1,0.6\n3216,Z2,0.4\n3217,Z2,1\n";
    write_pipeline_on(
        dir.path(),
        &api,
        "api_stats-offres-demandes-emploiv1 offresetdemandesemploi",
        Some((communes, crosswalk)),
    );
    let output = skillgap(&["fetch", "labour-market", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("2 bassins × 2 ROME codes"),
        "the BMO bassins of the crosswalk are asked: {}",
        text(&output)
    );
    // An answer with codes the run cannot place: each item a reject of the labour_market
    // input with its reason, the rest loaded.
    let item = |bassin: &str, rome: &str, period: &str| {
        format!(
            r#"{{"codeTypeTerritoire":"BASBMO","codeTerritoire":"{bassin}","codeActivite":"{rome}","codeNomenclature":"A","codePeriode":"{period}","valeurPrincipaleNombre":"40"}}"#
        )
    };
    let body = format!(
        r#"{{"listeValeursParPeriode":[{},{},{}]}}"#,
        item("3216", "Z9999", "2026T3"),
        item("3216", "A1111", "2026T7"),
        item("9999", "A1111", "2026T3")
    );
    let odd = serde_json::json!({"indicator": "DE_1", "request": {}, "status": 200, "body": body}).to_string();
    std::fs::write(
        dir.path().join("out/landing/labour_market/answers/marche-travail-20000101T000000Z.ndjson"),
        format!("{odd}\n"),
    )
    .unwrap();
    let output = skillgap(&["run", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    let rejects = sql(
        dir.path(),
        "SELECT input, reason, location FROM silver.rejects WHERE input IN ('labour_market', 'jobseekers') ORDER BY reason",
    );
    let reasons: Vec<(&str, &str)> =
        rejects.iter().map(|r| (r["input"].as_str().unwrap(), r["reason"].as_str().unwrap())).collect();
    assert_eq!(
        reasons,
        [("labour_market", "bad_period"), ("labour_market", "bad_rome"), ("labour_market", "unknown_territory")],
        "{rejects:?}"
    );
    let share = |value: i64, weight: f64| (value as f64 * weight).round() as i64;
    for rome in ROMES {
        let rows = sql(
            dir.path(),
            &format!(
                "SELECT code_bassin, de_a, entrees_a_12m FROM gold.competence_gap WHERE code_rome = '{rome}' AND code_bassin <> 'HORS_BASSIN' ORDER BY code_bassin"
            ),
        );
        let a = |bassin| served(&api, "DE_1", bassin, rome, "A", "2026T3");
        let entries = |bassin| served(&api, "DE_5", bassin, rome, "CUMUL 12 MOIS", "2026T3");
        assert_eq!(rows[0]["de_a"].as_i64(), Some(share(a("3216"), 0.6)), "{rows:?}");
        assert_eq!(rows[1]["de_a"].as_i64(), Some(share(a("3216"), 0.4) + a("3217")), "{rows:?}");
        assert_eq!(rows[1]["entrees_a_12m"].as_i64(), Some(share(entries("3216"), 0.4) + entries("3217")));
        // A rank is not shared: Z1 takes 3216's, Z2 its largest BMO bassin's, 3217.
        let tension = sql(
            dir.path(),
            &format!(
                "SELECT code_bassin, code_bassin_bmo, niveau_tension_ft FROM gold.france_travail_tension WHERE code_rome = '{rome}' ORDER BY code_bassin"
            ),
        );
        assert_eq!(tension.len(), 2, "{tension:?}");
        assert_eq!(
            (tension[0]["code_bassin_bmo"].as_str(), tension[1]["code_bassin_bmo"].as_str()),
            (Some("3216"), Some("3217"))
        );
        assert_eq!(
            tension[1]["niveau_tension_ft"].as_i64(),
            Some(served(&api, "PERSP_2", "3217", rome, "PERSPECTIVE", "2025"))
        );
    }
}

/// The BMO bassins of Hauts-de-France in France Travail's commune → bassin table.
fn real_bassins(real: &Path) -> Vec<String> {
    let table = std::fs::read_to_string(real.join("communes_bassins_bmo.csv")).unwrap();
    let codes: std::collections::BTreeSet<String> = table
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect::<Vec<_>>())
        .filter(|fields| fields[0] == "32")
        .map(|fields| fields[3].to_owned())
        .collect();
    codes.into_iter().collect()
}

#[test]
fn the_real_hauts_de_france_pipeline_takes_its_jobseekers_from_the_api() {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let real = repository.join("fixtures/real");
    let dir = tempfile::tempdir().unwrap();
    let (built, generated) = (dir.path().join("referentials"), dir.path().join("inputs"));
    // As `make hdf` does: referentials from the published ROME 4.0 and DARES files, generated
    // activity on the real communes.
    for arguments in [
        vec![
            "referentials",
            "build",
            "--rome",
            real.join("rome4_referentiel_code_rome_v460.csv").to_str().unwrap(),
            "--rome-fap2009",
            real.join("rome_v3_fap2009_dares.xls").to_str().unwrap(),
            "--fap2021",
            real.join("fap2021_nomenclature.csv").to_str().unwrap(),
            "--out",
            built.to_str().unwrap(),
        ],
        vec![
            "fixtures",
            "generate",
            "--scale",
            "demo",
            "--seed",
            "42",
            "--bmo-communes",
            real.join("communes_bassins_bmo.csv").to_str().unwrap(),
            "--commune-polygons",
            real.join("communes_hdf.geojson").to_str().unwrap(),
            "--region",
            "32",
            "--out",
            generated.to_str().unwrap(),
        ],
    ] {
        let output = skillgap(&arguments, dir.path());
        assert!(output.status.success(), "{}", text(&output));
    }
    // The committed pipeline, its roots and output here, its jobseekers file dropped (they
    // come from the API), its [fetch.labour_market] pointed at the fake.
    let api = FakeApi::start(Vec::new(), Utc::now()).unwrap();
    let committed = std::fs::read_to_string(repository.join("pipelines/hauts-de-france.toml")).unwrap();
    let jobseekers = "[inputs.jobseekers]\nroot = \"generated\"\npath = \"jobseekers/demandeurs_emploi.csv\"\nvintage = \"generated\"\n";
    assert!(committed.contains(jobseekers) && committed.contains("[fetch.labour_market]\n"));
    let pipeline = committed
        .replace(jobseekers, "")
        .replace("real = \"../fixtures/real\"", &format!("real = {:?}", real.display().to_string()))
        .replace(
            "built = \"../out/hauts-de-france/referentials\"",
            &format!("built = {:?}", built.display().to_string()),
        )
        .replace(
            "generated = \"../out/hauts-de-france/inputs\"",
            &format!("generated = {:?}", generated.display().to_string()),
        )
        .replace("root = \"../out/hauts-de-france\"", "root = \"out\"");
    let (before, _) = pipeline.split_once("[fetch.labour_market]\n").unwrap();
    let write = |romes: &str| {
        let section = format!(
            "[fetch.labour_market]\ntoken_url = \"{}\"\nbase_url = \"{}\"\nclient_id_env = \"TEST_FT_ID\"\nclient_secret_env = \"TEST_FT_SECRET\"\nromes = [{romes}]\nrequests_per_second = 1000\nretry_budget = 5\nbackoff_seconds = 0.01\n",
            api.token_url(),
            api.labour_market_url()
        );
        std::fs::write(dir.path().join("pipeline.toml"), format!("{before}{section}")).unwrap();
    };
    write("");

    // Without jobseekers no métier has a tension level.
    let output = skillgap(&["run", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(
        sql(dir.path(), "SELECT COUNT(*) AS n FROM gold.competence_gap WHERE niveau_tension IS NOT NULL")[0]["n"],
        0
    );
    // The twelve ROME codes with most offers, fetched for the region's 28 real bassins.
    let romes: Vec<String> = sql(
        dir.path(),
        "SELECT code_rome FROM silver.offers GROUP BY code_rome ORDER BY COUNT(*) DESC, code_rome LIMIT 12",
    )
    .iter()
    .map(|row| row["code_rome"].as_str().unwrap().to_owned())
    .collect();
    let bassins = real_bassins(&real);
    assert_eq!(bassins.len(), 28);
    let bassin_codes: Vec<&str> = bassins.iter().map(String::as_str).collect();
    let rome_codes: Vec<&str> = romes.iter().map(String::as_str).collect();
    api.state().labour_market = generate_labour_market(&bassin_codes, &rome_codes, &["2026T2", "2026T3"], &["2025"], 3);
    write(&romes.iter().map(|rome| format!("{rome:?}")).collect::<Vec<_>>().join(", "));
    let output = skillgap(&["fetch", "labour-market", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("28 bassins × 12 ROME codes"), "{}", text(&output));
    assert_eq!(
        api.state().labour_market_criteria.iter().filter(|c| c["codeTypeTerritoire"] == "BASBMO").count(),
        3 * 28 * 12
    );

    let output = skillgap(&["run", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    let rows = sql(
        dir.path(),
        &format!(
            "SELECT code_bassin, code_rome, de_a, entrees_a_12m, niveau_tension, composantes_tension, libelle_tension FROM gold.competence_gap WHERE code_rome IN ({}) AND code_bassin <> 'HORS_BASSIN'",
            romes.iter().map(|rome| format!("'{rome}'")).collect::<Vec<_>>().join(", ")
        ),
    );
    assert_eq!(rows.len(), 28 * 12, "a row for every bassin and fetched ROME");
    for row in &rows {
        let (bassin, rome) = (row["code_bassin"].as_str().unwrap(), row["code_rome"].as_str().unwrap());
        assert_eq!(row["de_a"].as_i64(), Some(served(&api, "DE_1", bassin, rome, "A", "2026T3")), "{row}");
        // ROME 4.0 has no BMO 2024 métier (FAP 2021) here and the API no exits: the level
        // rests on offers over registrations alone, and says so; every row whose
        // registrations reach MIN_DENOM (20) has one.
        let enough = row["entrees_a_12m"].as_i64().unwrap() >= 20;
        assert_eq!(row["niveau_tension"].as_i64().is_some(), enough, "{row}");
        if enough {
            assert_eq!(row["composantes_tension"], "ratio_offres_entrees_a");
        } else {
            assert_eq!(row["libelle_tension"], "Données insuffisantes");
        }
    }
    assert!(rows.iter().filter(|row| row["niveau_tension"].as_i64().is_some()).count() > 28 * 12 * 3 / 4);
    assert_eq!(sql(dir.path(), "SELECT COUNT(*) AS n FROM gold.france_travail_tension")[0]["n"], 28 * 12);
    let sheets = dir.path().join("out/current/sheets");
    let sheet = std::fs::read_dir(&sheets)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(&bassins[0]) && p.extension().is_some_and(|e| e == "html"));
    let html =
        std::fs::read_to_string(sheet.unwrap_or_else(|| panic!("no sheet of {} in {}", bassins[0], sheets.display())))
            .unwrap();
    assert!(html.contains("Tension selon France Travail") && html.contains("année 2025"));
}

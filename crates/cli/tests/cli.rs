//! The `skillgap` binary as a user runs it: help on every subcommand, a run then queries,
//! read-only SQL, and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn skillgap(arguments: &[&str], directory: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skillgap"))
        .args(arguments)
        .current_dir(directory)
        .env("SKILLGAP_LOG", "warn")
        .output()
        .unwrap()
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn every_subcommand_has_help() {
    let here = repository();
    for arguments in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["sql", "--help"],
        vec!["runs", "--help"],
        vec!["fixtures", "generate", "--help"],
        vec!["docs", "tables", "--help"],
        vec!["fetch", "offers", "--help"],
        vec!["sheets", "--help"],
        vec!["publish", "--help"],
        vec!["referentials", "build", "--help"],
        vec!["referentials", "crosswalk", "--help"],
    ] {
        let output = skillgap(&arguments, &here);
        assert!(output.status.success(), "{arguments:?}: {}", text(&output));
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage: skillgap"), "{arguments:?}");
    }
}

#[test]
fn run_then_query_then_refuse_writes() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let here = repository();
    let output = skillgap(&["run", "--out", out_dir], &here);
    assert!(output.status.success(), "{}", text(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("gold.competence_gap") && printed.contains(&format!("{out_dir}/current")), "{printed}");

    let output = skillgap(
        &[
            "sql",
            "--out",
            out_dir,
            "--format",
            "csv",
            "SELECT COUNT(*) AS n FROM gold.competence_gap WHERE code_bassin = 'HORS_BASSIN'",
        ],
        &here,
    );
    assert!(output.status.success(), "{}", text(&output));
    let count: i64 = String::from_utf8_lossy(&output.stdout).lines().nth(1).unwrap().trim().parse().unwrap();
    assert!(count > 0, "the demo has HORS_BASSIN rows");

    // Unqualified names work when unique; statements that write are refused.
    let output = skillgap(&["sql", "--out", out_dir, "SELECT COUNT(*) FROM competence_gap"], &here);
    assert!(output.status.success(), "{}", text(&output));
    for statement in [
        "DROP TABLE gold.competence_gap",
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO gold.competence_gap SELECT * FROM gold.competence_gap",
        "COPY gold.competence_gap TO '/tmp/x.csv'",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let output = skillgap(&["sql", "--out", out_dir, statement], &here);
        assert!(!output.status.success(), "{statement} was accepted");
    }
    assert!(Path::new(out_dir).join("current/gold/competence_gap/part-0.parquet").exists());

    // Interactive mode reads statements from standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_skillgap"))
        .args(["sql", "--out", out_dir, "--format", "csv"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"SELECT 40 + 2 AS answer\n;\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("answer\n42"), "{}", text(&output));

    let output = skillgap(&["runs", "--out", out_dir], &here);
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("* "), "{}", text(&output));
}

#[test]
fn bad_configuration_exits_2_with_the_file_named_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("broken.toml");
    std::fs::write(&pipeline, "name = \"x\"\nunknown_setting = 1\n").unwrap();
    let output = skillgap(&["run", "--pipeline", pipeline.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = text(&output);
    assert!(message.contains("broken.toml") && !message.contains("panicked"), "{message}");
    // Dates and semesters are parsed where they enter: by the argument parser.
    let output = skillgap(&["run", "--as-of", "tomorrow"], &repository());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("--as-of") && text(&output).contains("tomorrow"), "{}", text(&output));
    let output = skillgap(&["run", "--semester", "2026-S3"], &repository());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("YYYY-S1 or YYYY-S2"), "{}", text(&output));
    let output = skillgap(&["sql", "--out", dir.path().to_str().unwrap(), "SELECT 1"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("nothing has been published"), "{}", text(&output));
}

#[test]
fn progress_bars_only_on_an_interactive_terminal() {
    let out = tempfile::tempdir().unwrap();
    let here = repository();
    let out_arg = out.path().display().to_string();
    // Piped: logs only, never a bar.
    let piped = Command::new(env!("CARGO_BIN_EXE_skillgap"))
        .args(["run", "--out", &out_arg])
        .current_dir(&here)
        .env("SKILLGAP_LOG", "info")
        .output()
        .unwrap();
    assert!(piped.status.success(), "{}", text(&piped));
    let logs = String::from_utf8_lossy(&piped.stderr);
    assert!(
        logs.contains("run started") && !logs.contains("fichiers") && !logs.contains("skillgap::progress"),
        "{logs}"
    );
    // On a terminal (a pseudo-terminal from util-linux's `script`): the offers files bar
    // (into another output: a second run into the same one would read no offer file again).
    let other = tempfile::tempdir().unwrap();
    let command = format!("{} run --out {}", env!("CARGO_BIN_EXE_skillgap"), other.path().display());
    let terminal = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(&here)
        .env("SKILLGAP_LOG", "info")
        .output()
        .unwrap();
    assert!(terminal.status.success(), "{}", text(&terminal));
    let screen = String::from_utf8_lossy(&terminal.stdout);
    assert!(screen.contains("/81 fichiers"), "{}", &screen[..screen.len().min(2000)]);
}

#[test]
fn a_second_run_on_the_same_inputs_says_it_built_on_the_first() {
    let out = tempfile::tempdir().unwrap();
    let out_arg = out.path().display().to_string();
    let first = skillgap(&["run", "--out", &out_arg], &repository());
    assert!(first.status.success(), "{}", text(&first));
    let first_id = String::from_utf8_lossy(&first.stdout).split_whitespace().nth(1).unwrap().to_owned();
    assert!(!String::from_utf8_lossy(&first.stdout).contains("built on"), "{}", text(&first));
    let second = skillgap(&["run", "--out", &out_arg], &repository());
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        String::from_utf8_lossy(&second.stdout)
            .contains(&format!("built on run {first_id}: only the new offer files were read")),
        "{}",
        text(&second)
    );
}

/// Reads a CSV written by the command into (header, rows).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    (header, reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect())
}

#[test]
fn the_rome_referential_is_built_from_rome_4_and_the_dares_tables_as_published() {
    let real = repository().join("fixtures/real");
    let out = tempfile::tempdir().unwrap();
    let arguments = |extra: &[&str]| {
        let mut arguments: Vec<String> = ["referentials", "build", "--rome"].iter().map(|a| (*a).to_owned()).collect();
        arguments.push(real.join("rome4_referentiel_code_rome_v460.csv").display().to_string());
        arguments.extend(["--rome-fap2009".to_owned(), real.join("rome_v3_fap2009_dares.xls").display().to_string()]);
        arguments.extend(["--fap2021".to_owned(), real.join("fap2021_nomenclature.csv").display().to_string()]);
        arguments.extend(extra.iter().map(|a| (*a).to_owned()));
        arguments
    };
    let run = |extra: &[&str]| {
        let arguments = arguments(extra);
        skillgap(&arguments.iter().map(String::as_str).collect::<Vec<_>>(), &repository())
    };
    let dir = out.path().join("fap2021");
    let output = run(&["--out", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    // Without a ROME → FAP 2021 crosswalk, BMO 2024 cannot be joined: said, not hidden.
    assert!(
        text(&output).contains("1584 ROME codes (v460)") && text(&output).contains("no ROME → FAP 2021 crosswalk"),
        "{}",
        text(&output)
    );
    let (header, rows) = read_csv(&dir.join("rome.csv"));
    assert_eq!(header[..5], ["code_rome", "libelle_rome", "code_metier_bmo", "code_fap", "secteur"]);
    assert_eq!(rows.len(), 1584);
    let row = |code: &str| rows.iter().find(|r| r[0] == code).unwrap_or_else(|| panic!("{code}")).clone();
    // A1416 stands under A0Z40 (Q_0123456) and A2Z70 (Q_789): the widest condition wins.
    assert_eq!(row("A1416")[2..7], ["", "A0Z", "agriculture", "A1416", "A0Z40"]);
    // A ROME 4.0 code takes its v3 parent's family: A1102 → A1101 → A0Z43.
    assert_eq!(row("A1102")[3..7], ["A0Z", "agriculture", "A1101", "A0Z43"]);
    assert_eq!(row("J1501")[3..5], ["V0Z", "santé"]);
    assert!(rows.iter().all(|r| r[2].is_empty()), "no BMO métier without the crosswalk");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("rome_build.json")).unwrap()).unwrap();
    assert_eq!(report["with_fap"], 1583);
    assert_eq!(report["without_fap"], serde_json::json!(["L1510"]));
    assert_eq!(report["several_faps"].as_array().unwrap().len(), 168);

    // With BMO files up to 2023 (FAP 2009), the métier is the FAP itself.
    let dir = out.path().join("fap2009");
    let output = run(&["--bmo-nomenclature", "fap2009", "--out", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let (_, rows) = read_csv(&dir.join("rome.csv"));
    assert_eq!(rows.iter().find(|r| r[0] == "A1416").unwrap()[2], "A0Z40");

    // A (hand-made, test-only) ROME → FAP 2021 crosswalk gives BMO 2024 métiers; a code the
    // FAP 2021 nomenclature lacks is reported.
    let crosswalk = out.path().join("rome_fap2021_test.csv");
    std::fs::write(&crosswalk, "code_rome,code_fap2021\nJ1501,V0X60\nA1416,A0X40\nK2204,Z9Z99\n").unwrap();
    let dir = out.path().join("crosswalk");
    let output = run(&["--rome-fap2021", crosswalk.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let (_, rows) = read_csv(&dir.join("rome.csv"));
    assert_eq!(rows.iter().find(|r| r[0] == "J1501").unwrap()[2], "V0X60");
    // The crosswalk's codes reach their ROME 4.0 children through code_rome_parent.
    let mapped: Vec<(&str, &str, &str)> =
        rows.iter().filter(|r| !r[2].is_empty()).map(|r| (r[0].as_str(), r[5].as_str(), r[2].as_str())).collect();
    assert!(
        mapped.len() > 3
            && mapped.iter().all(|(code, parent, fap)| match *parent {
                "J1501" => *fap == "V0X60",
                "A1416" => *fap == "A0X40",
                "K2204" => *fap == "Z9Z99",
                _ => panic!("{code} has a BMO métier"),
            }),
        "{mapped:?}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("rome_build.json")).unwrap()).unwrap();
    assert_eq!(report["with_bmo_metier"], mapped.len());
    assert_eq!(report["unknown_fap2021"], serde_json::json!(["Z9Z99"]));

    // Not DARES' layout: an error naming the file and the sheet, exit 2… or 4 (unreadable input).
    let output = skillgap(
        &[
            "referentials",
            "build",
            "--rome",
            real.join("rome4_referentiel_code_rome_v460.csv").to_str().unwrap(),
            "--rome-fap2009",
            real.join("bmo_2024_open_data.xlsx").to_str().unwrap(),
            "--fap2021",
            real.join("fap2021_nomenclature.csv").to_str().unwrap(),
            "--out",
            out.path().join("bad").to_str().unwrap(),
        ],
        &repository(),
    );
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(
        text(&output).contains("bmo_2024_open_data.xlsx") && text(&output).contains("no sheet `Table`"),
        "{}",
        text(&output)
    );
}

#[test]
fn the_bmo_crosswalk_onto_zones_d_emploi_comes_from_the_two_commune_tables() {
    let real = repository().join("fixtures/real");
    let out = tempfile::tempdir().unwrap();
    let output = skillgap(
        &[
            "referentials",
            "crosswalk",
            "--bmo-communes",
            real.join("communes_bassins_bmo.csv").to_str().unwrap(),
            "--grid-communes",
            real.join("communes_ze2020_hdf.csv").to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        &repository(),
    );
    assert!(output.status.success(), "{}", text(&output));
    let (header, rows) = read_csv(&out.path().join("bmo_bassins.csv"));
    assert_eq!(header, ["code_bassin_bmo", "code_bassin", "poids", "communes"]);
    let bmo: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let zones: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!((bmo.len(), zones.len()), (28, 24));
    for code in &bmo {
        let sum: f64 = rows.iter().filter(|r| r[0] == *code).map(|r| r[2].parse::<f64>().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-9, "{code}: {sum}");
    }
    // BMO bassin 3203 is Santerre-Somme (around Péronne, Montdidier), not the zone
    // d'emploi 3203 (Arras): its communes lie in the Somme's zones, none in Arras's.
    let santerre: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "3203").collect();
    assert!(!santerre.iter().any(|r| r[1] == "3203"), "{santerre:?}");
    let (_, communes) = read_csv(&real.join("communes_ze2020_hdf.csv"));
    let zone_of = |commune: &str| communes.iter().find(|r| r[0] == commune).map(|r| r[2].clone()).unwrap();
    assert_eq!(zone_of("62041"), "3203", "Arras is in the zone d'emploi 3203");
    let (_, bmo_communes) = read_csv(&real.join("communes_bassins_bmo.csv"));
    assert_eq!(
        bmo_communes.iter().find(|r| r[2] == "62041").unwrap()[3],
        "3224",
        "Arras is in BMO bassin 3224 (Artois Ternois)"
    );
}

#[test]
fn a_memory_pool_too_small_exits_10_naming_the_stage_and_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let demo = std::fs::read_to_string(repository().join("pipelines/demo.toml")).unwrap();
    let fixtures = repository().join("fixtures/demo");
    let text_of_pipeline = demo
        .replace("data = \"../fixtures/demo\"", &format!("data = \"{}\"", fixtures.display()))
        .replace("root = \"../out/demo\"", "root = \"out\"")
        + "\n[resources]\nmemory_limit_mib = 1\n";
    let pipeline = dir.path().join("small.toml");
    std::fs::write(&pipeline, text_of_pipeline).unwrap();
    let output = skillgap(&["run", "--pipeline", pipeline.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(10), "{}", text(&output));
    let message = text(&output);
    assert!(
        message.contains("ran out of memory in the silver stage")
            && message.contains("memory_limit_mib")
            && message.contains("now 1 MiB"),
        "{message}"
    );
    assert!(!dir.path().join("out/current").exists(), "nothing is published");
}

//! `skillgap fetch offers` then `skillgap run`, as a user runs them, against the loopback
//! fake API: a first full fetch under faults, an incremental fetch that brings only new
//! and updated offers, and a fetch that fails half-way (watermark and published tables
//! untouched) followed by one that completes the data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use chrono::{Duration, Utc};
use serde_json::Value;
use skillgap_fakeapi::{CLIENT_ID, CLIENT_SECRET, FakeApi, Fault, generate_offers};

const DEPARTEMENTS: [&str; 5] = ["02", "59", "60", "62", "80"];

fn skillgap(arguments: &[&str], directory: &Path) -> Output {
    skillgap_with_secret(arguments, directory, CLIENT_SECRET)
}

fn skillgap_with_secret(arguments: &[&str], directory: &Path, secret: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skillgap"))
        .args(arguments)
        .current_dir(directory)
        .env("SKILLGAP_LOG", "warn")
        .env("TEST_FT_ID", CLIENT_ID)
        .env("TEST_FT_SECRET", secret)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn write_pipeline(dir: &Path, api: &FakeApi) {
    let communes: String =
        DEPARTEMENTS.iter().enumerate().map(|(i, d)| format!("{d}001,Commune {d},000{},{d}100\n", i + 1)).collect();
    let files = [
        ("communes.csv", format!("code_commune,libelle_commune,code_bassin,code_postal\n{communes}")),
        (
            "rome.csv",
            "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nA1111,A,M1,F1,santé\nB2222,B,M2,F1,santé\n"
                .to_owned(),
        ),
        ("rome_formacode.csv", "code_rome,formacode\n".to_owned()),
        ("formacode.csv", "formacode,libelle,code_nsf\n".to_owned()),
        ("nsf.csv", "code_nsf,libelle_nsf\n".to_owned()),
        (
            "jobseekers.csv",
            "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n".to_owned(),
        ),
        ("bmo.csv", "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n".to_owned()),
    ];
    for (name, content) in files {
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::write(dir.join("data").join(name), content).unwrap();
    }
    std::fs::create_dir_all(dir.join("data/offers")).unwrap();
    let pipeline = format!(
        r#"{minimal}
[fetch.offers]
token_url = "{token}"
search_url = "{search}"
client_id_env = "TEST_FT_ID"
client_secret_env = "TEST_FT_SECRET"
departements = ["02", "59", "60", "62", "80"]
requests_per_second = 200
timeout_seconds = 1
retry_budget = 6
backoff_seconds = 0.01
max_backoff_seconds = 0.2
"#,
        minimal = include_str!("../../../tests/minimal-pipeline.toml"),
        token = api.token_url(),
        search = api.search_url()
    );
    std::fs::write(dir.join("pipeline.toml"), pipeline).unwrap();
}

fn silver_offers(dir: &Path) -> (u64, u64) {
    let output = skillgap(
        &[
            "sql",
            "--pipeline",
            "pipeline.toml",
            "--format",
            "json",
            "SELECT COUNT(*) AS n, SUM(nombre_postes) AS p FROM silver.offers",
        ],
        dir,
    );
    assert!(output.status.success(), "{}", text(&output));
    let row: Value = serde_json::from_str(String::from_utf8_lossy(&output.stdout).lines().next().unwrap()).unwrap();
    (row["n"].as_u64().unwrap(), row["p"].as_u64().unwrap())
}

fn last_fetch_record(dir: &Path) -> Value {
    let mut records: Vec<_> =
        std::fs::read_dir(dir.join("out/landing/offers/fetches")).unwrap().map(|e| e.unwrap().path()).collect();
    records.sort();
    serde_json::from_str(&std::fs::read_to_string(records.last().unwrap()).unwrap()).unwrap()
}

#[test]
fn nightly_fetches_then_runs_never_lose_or_double_an_offer() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let mut offers = generate_offers(1_200, 3, &DEPARTEMENTS, &["A1111", "B2222"], now - Duration::minutes(5), 300);
    let api = FakeApi::start(offers.clone(), now + Duration::minutes(1)).unwrap();
    write_pipeline(dir.path(), &api);

    // 1. A first, full fetch through a dropped connection, a cut body, a 429 and a 503.
    api.state().faults.extend([
        (2, Fault::Drop),
        (4, Fault::Truncated),
        (6, Fault::TooManyRequests { retry_after_seconds: 0 }),
        (8, Fault::ServerError(503)),
    ]);
    let output = skillgap(&["fetch", "offers", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert!(!text(&output).contains(CLIENT_SECRET));
    let record = last_fetch_record(dir.path());
    assert_eq!((record["offers"].as_u64(), record["offers_new"].as_u64()), (Some(1_200), Some(1_200)));
    assert!(!std::fs::read_to_string(dir.path().join("out/landing/offers/watermark.json")).unwrap().is_empty());
    let output = skillgap(&["run", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    let (count, postes) = silver_offers(dir.path());
    assert_eq!(count, 1_200);

    // 2. Twenty new offers and ten updated ones: the incremental fetch brings only those.
    let later = Utc::now();
    let stamp = later.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    for offer in offers.iter_mut().take(10) {
        offer["dateActualisation"] = Value::from(stamp.clone());
        offer["nombrePostes"] = Value::from(offer["nombrePostes"].as_i64().unwrap() + 10);
    }
    let mut fresh = generate_offers(20, 4, &DEPARTEMENTS, &["A1111"], later, 0);
    for offer in &mut fresh {
        offer["dateCreation"] = Value::from(stamp.clone());
        offer["dateActualisation"] = Value::from(stamp.clone());
    }
    let fresh_postes: i64 = fresh.iter().map(|o| o["nombrePostes"].as_i64().unwrap()).sum();
    offers.extend(fresh);
    api.state().offers = offers.clone();
    let output = skillgap(&["fetch", "offers", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(last_fetch_record(dir.path())["offers_new"].as_u64(), Some(30));
    let output = skillgap(&["run", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(silver_offers(dir.path()), (1_220, postes + 100 + fresh_postes as u64));

    // 3. A fetch that fails half-way: exit 4, no page file, watermark and tables as they were.
    let watermark = std::fs::read(dir.path().join("out/landing/offers/watermark.json")).unwrap();
    let pages_before = std::fs::read_dir(dir.path().join("out/landing/offers/pages")).unwrap().count();
    let current_before = std::fs::read_link(dir.path().join("out/current")).unwrap();
    // 300 new offers: more than one page, so that the failure comes after a page arrived.
    let mut new_offers = generate_offers(300, 5, &["59"], &["B2222"], Utc::now(), 0);
    let stamp = Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    for offer in &mut new_offers {
        offer["dateCreation"] = Value::from(stamp.clone());
        offer["dateActualisation"] = Value::from(stamp.clone());
    }
    offers.extend(new_offers);
    {
        let mut state = api.state();
        state.offers = offers.clone();
        let next = state.search_requests;
        state.faults.extend((next + 2..next + 60).map(|n| (n, Fault::ServerError(503))));
    }
    let output = skillgap(&["fetch", "offers", "--pipeline", "pipeline.toml"], dir.path());
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(text(&output).contains("retries"), "{}", text(&output));
    assert_eq!(std::fs::read(dir.path().join("out/landing/offers/watermark.json")).unwrap(), watermark);
    assert_eq!(
        std::fs::read_dir(dir.path().join("out/landing/offers/pages")).unwrap().count(),
        pages_before,
        "no partial page file"
    );
    assert_eq!(std::fs::read_link(dir.path().join("out/current")).unwrap(), current_before);

    // The next fetch, the API healthy again, completes the data.
    api.state().faults.clear();
    let output = skillgap(&["fetch", "offers", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(last_fetch_record(dir.path())["offers_new"].as_u64(), Some(300));
    let output = skillgap(&["run", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(silver_offers(dir.path()).0, 1_520);

    // The secret is nowhere in what was written: landing, fetch records, manifests, tables.
    let mut leaks = Vec::new();
    let mut pending = vec![dir.path().join("out")];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.is_file() {
            let mut bytes = std::fs::read(&path).unwrap();
            if path.extension().is_some_and(|e| e == "gz") {
                let mut decoded = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut decoded).unwrap();
                bytes = decoded;
            }
            if bytes.windows(CLIENT_SECRET.len()).any(|w| w == CLIENT_SECRET.as_bytes()) {
                leaks.push(path.display().to_string());
            }
        }
    }
    assert!(leaks.is_empty(), "the client secret was written to {leaks:?}");
}

#[test]
fn neither_the_secret_nor_a_token_appears_in_trace_logs() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let api = FakeApi::start(
        generate_offers(200, 7, &DEPARTEMENTS, &["A1111"], now - Duration::minutes(5), 30),
        now + Duration::minutes(1),
    )
    .unwrap();
    api.state().faults.insert(1, Fault::RevokeToken);
    write_pipeline(dir.path(), &api);
    for format in ["human", "json"] {
        let output = Command::new(env!("CARGO_BIN_EXE_skillgap"))
            .args(["--log-format", format, "fetch", "offers", "--pipeline", "pipeline.toml"])
            .current_dir(dir.path())
            .env("SKILLGAP_LOG", "trace")
            .env("TEST_FT_ID", CLIENT_ID)
            .env("TEST_FT_SECRET", CLIENT_SECRET)
            .output()
            .unwrap();
        let logs = text(&output);
        assert!(output.status.success(), "{logs}");
        assert!(logs.contains("fetch started") && logs.contains("offers fetched"), "{logs}");
        assert!(!logs.contains("ureq_proto") && !logs.contains("rustls::"), "the HTTP stack's dumps are never logged");
        assert!(!logs.contains(CLIENT_SECRET), "the client secret is in the {format} logs");
        let leaked: Vec<&str> = logs.lines().filter(|l| l.contains("token-1") || l.contains("token-2")).collect();
        assert!(leaked.is_empty(), "a bearer token is in the {format} logs: {leaked:?}");
    }
}

#[test]
fn landed_files_past_their_retention_are_removed_after_a_successful_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let api = FakeApi::start(
        generate_offers(50, 8, &DEPARTEMENTS, &["A1111"], now - Duration::minutes(5), 10),
        now + Duration::minutes(1),
    )
    .unwrap();
    write_pipeline(dir.path(), &api);
    let landing = dir.path().join("out/landing/offers");
    std::fs::create_dir_all(landing.join("pages")).unwrap();
    std::fs::create_dir_all(landing.join("fetches")).unwrap();
    let old = (now - Duration::days(45)).format("%Y%m%dT%H%M%SZ").to_string();
    let recent = (now - Duration::days(5)).format("%Y%m%dT%H%M%SZ").to_string();
    for stamp in [&old, &recent] {
        std::fs::write(landing.join(format!("pages/offres-{stamp}.ndjson.gz")), b"").unwrap();
        std::fs::write(landing.join(format!("fetches/{stamp}.json")), b"{}").unwrap();
    }
    // Without a retention, everything stays.
    assert!(skillgap(&["fetch", "offers", "--pipeline", "pipeline.toml"], dir.path()).status.success());
    assert!(landing.join(format!("pages/offres-{old}.ndjson.gz")).exists());
    // With 30 days, the 45-day-old fetch goes, the 5-day-old one and the new one stay.
    let text_of = std::fs::read_to_string(dir.path().join("pipeline.toml")).unwrap();
    std::fs::write(dir.path().join("pipeline.toml"), format!("{text_of}keep_landed_days = 30\n")).unwrap();
    let output = skillgap(&["fetch", "offers", "--pipeline", "pipeline.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        !landing.join(format!("pages/offres-{old}.ndjson.gz")).exists()
            && !landing.join(format!("fetches/{old}.json")).exists()
    );
    assert!(
        landing.join(format!("pages/offres-{recent}.ndjson.gz")).exists()
            && landing.join(format!("fetches/{recent}.json")).exists()
    );
    assert_eq!(
        std::fs::read_dir(landing.join("pages")).unwrap().count(),
        3,
        "the recent file and the two fetches of this test"
    );
}

#[test]
fn missing_credentials_are_a_configuration_error_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let api = FakeApi::start(Vec::new(), Utc::now()).unwrap();
    write_pipeline(dir.path(), &api);
    let output = Command::new(env!("CARGO_BIN_EXE_skillgap"))
        .args(["fetch", "offers", "--pipeline", "pipeline.toml"])
        .current_dir(dir.path())
        .env_remove("TEST_FT_ID")
        .env_remove("TEST_FT_SECRET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("TEST_FT_ID"), "{}", text(&output));
}

#[test]
fn refused_credentials_exit_as_a_configuration_error_and_an_echoed_form_leaks_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let api = FakeApi::start(
        generate_offers(20, 9, &DEPARTEMENTS, &["A1111"], now - Duration::minutes(5), 5),
        now + Duration::minutes(1),
    )
    .unwrap();
    write_pipeline(dir.path(), &api);

    // A wrong secret (401 invalid_client): retrying later cannot help, so exit 2, not 4.
    let output =
        skillgap_with_secret(&["fetch", "offers", "--pipeline", "pipeline.toml"], dir.path(), "not-the-secret");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("invalid_client") && text(&output).contains("credentials were refused"),
        "{}",
        text(&output)
    );

    // A token endpoint echoing the form it received (client_secret=… URL-encoded) in its
    // error: the message keeps the rest and loses every form of the secret.
    api.state().echo_token_form = true;
    let secret = "s3cret/with+symbols é";
    let output = skillgap_with_secret(
        &["--log-format", "json", "fetch", "offers", "--pipeline", "pipeline.toml"],
        dir.path(),
        secret,
    );
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    let echoed = api.state().requests.last().cloned().unwrap();
    let encoded = echoed.split("client_secret=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    assert_ne!(encoded, secret, "the form carries the secret URL-encoded");
    assert!(shown.contains("client_secret=<redacted>"), "{shown}");
    assert!(!shown.contains(&encoded) && !shown.contains(secret), "the secret leaked: {shown}");
    assert!(!shown.contains(CLIENT_SECRET));
}

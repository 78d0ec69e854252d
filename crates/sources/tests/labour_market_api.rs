//! The Marché du travail client against the loopback fake server: a complete fetch under
//! faults, both "no data" forms told apart from failures, the incremental fetch, a partial
//! scope, string-typed values, and the landed answers read back into jobseeker rows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use arrow::array::{Array, StringArray};
use chrono::{TimeZone, Utc};
use serde_json::Value;
use skillgap_fakeapi::{CLIENT_ID, CLIENT_SECRET, FakeApi, Fault, generate_labour_market};
use skillgap_sources::france_travail::{Connection, Credentials, FetchError};
use skillgap_sources::labour_market_api::{
    Indicator, LabourMarketReport, LabourMarketSettings, SCOPE, fetch_labour_market,
};
use skillgap_sources::{LabourMarketFigures, RejectsBuilder, labour_market_jobseekers_schema};

const BASSINS: [&str; 2] = ["3216", "3217"];
const ROMES: [&str; 4] = ["A1111", "B2222", "C3333", "D4444"];

fn start() -> FakeApi {
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).single().unwrap();
    let api = FakeApi::start(Vec::new(), now).unwrap();
    // C3333 and D4444 have no figures.
    api.state().labour_market =
        generate_labour_market(&BASSINS, &ROMES[..2], &["2025T4", "2026T1", "2026T2"], &["2024", "2025"], 7);
    api
}

fn settings(api: &FakeApi) -> LabourMarketSettings {
    LabourMarketSettings {
        connection: Connection {
            token_url: api.token_url(),
            scope: SCOPE.to_owned(),
            requests_per_second: 500.0,
            timeout: Duration::from_millis(800),
            retry_budget: 10,
            backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(100),
        },
        base_url: api.labour_market_url(),
        territories: BASSINS.map(str::to_owned).to_vec(),
        romes: ROMES.map(str::to_owned).to_vec(),
        indicators: Indicator::ALL.to_vec(),
        history_quarters: 2,
        history_years: 1,
    }
}

fn credentials() -> Credentials {
    Credentials { client_id: CLIENT_ID.to_owned(), client_secret: CLIENT_SECRET.to_owned() }
}

/// Fetches; returns the report and the landed lines (as `skillgap fetch` writes them).
fn fetch(
    settings: &LabourMarketSettings,
    watermark: &BTreeMap<String, String>,
) -> (Result<LabourMarketReport, FetchError>, Vec<String>) {
    let mut lines = Vec::new();
    let result = fetch_labour_market(settings, &credentials(), watermark, &mut |answer| {
        lines.push(
            serde_json::json!({"indicator": answer.indicator.code(), "request": answer.request, "status": answer.status, "body": answer.body}).to_string(),
        );
        Ok(())
    });
    (result, lines)
}

#[test]
fn a_first_fetch_lands_every_bassin_and_rome_through_faults_and_tells_no_data_from_failures() {
    let api = start();
    // After the three probes: a 429 with Retry-After, a 503, a dropped connection, a cut body.
    api.state().labour_market_faults.extend([
        (4, Fault::TooManyRequests { retry_after_seconds: 0 }),
        (6, Fault::ServerError(503)),
        (8, Fault::Drop),
        (10, Fault::Truncated),
    ]);
    // No data, either form: C3333 a 200 without listeValeursParPeriode, D4444 the 500
    // FiltreErreurSldng.
    api.state().labour_market_options.empty_answer_activities.insert("C3333".to_owned());
    let (result, lines) = fetch(&settings(&api), &BTreeMap::new());
    let report = result.unwrap();
    // 3 indicators × 2 bassins × 4 ROME codes, each answer landed.
    assert_eq!(lines.len(), 24);
    assert_eq!(report.retries, 4);
    assert_eq!((report.answers, report.no_data), (12, 12));
    assert_eq!(lines.iter().filter(|line| line.contains(r#""status":500"#)).count(), 6);
    assert_eq!(
        report.latest,
        BTreeMap::from([
            ("DE_1".into(), "2026T2".into()),
            ("DE_5".into(), "2026T2".into()),
            ("PERSP_2".into(), "2025".into())
        ])
    );
    assert_eq!(report.periods["DE_1"], ["2026T1", "2026T2"]);
    assert_eq!(report.periods["PERSP_2"], ["2025"]);
    // DE_1: A and ABC only, two quarters; DE_5: both codes, two quarters; PERSP_2: 8 codes.
    assert_eq!(report.items, 2 * 2 * (2 * 2 + 2 * 2 + 8));
    let criteria = api.state().labour_market_criteria.clone();
    let asked: Vec<&Value> = criteria.iter().filter(|c| c["codeTypeTerritoire"] == "BASBMO").collect();
    assert!(asked.iter().all(|c| c["sansCaracteristiques"] == true && c["codeTypeActivite"] == "ROME"));
    assert!(
        asked
            .iter()
            .filter(|c| c["codeTypePeriode"] == "TRIMESTRE")
            .all(|c| c["listeCodePeriode"] == serde_json::json!(["2026T1", "2026T2"]))
    );
    let requests = api.state().requests.join("\n");
    assert!(requests.to_lowercase().contains("accept: application/json"), "{requests}");

    // Read back: one jobseeker row per (quarter, bassin, ROME with figures).
    let mut figures = LabourMarketFigures::default();
    let mut rejects = RejectsBuilder::default();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("answers.ndjson");
    std::fs::write(&path, lines.join("\n")).unwrap();
    figures.read_file(&path, "landing:answers.ndjson", &mut rejects).unwrap();
    assert_eq!(rejects.len(), 0);
    assert_eq!(figures.no_data, 12);
    let batch = figures.jobseeker_batch(&labour_market_jobseekers_schema().unwrap()).unwrap();
    assert_eq!(batch.num_rows(), 2 * 2 * 2);
    let column =
        |name: &str| batch.column_by_name(name).unwrap().as_any().downcast_ref::<StringArray>().unwrap().clone();
    let served = api.state().labour_market.clone();
    for row in 0..batch.num_rows() {
        let (period, bassin, rome) = (
            column("periode").value(row).to_owned(),
            column("code_territoire").value(row).to_owned(),
            column("code_rome").value(row).to_owned(),
        );
        let value = |indicator: &str, code: &str| {
            served
                .iter()
                .find(|f| {
                    f.indicator == indicator
                        && f.territory == bassin
                        && f.activity == rome
                        && f.period == period
                        && f.nomenclature == code
                })
                .unwrap()
                .value
                .unwrap()
        };
        assert_eq!(column("de_a").value(row).parse::<f64>().unwrap(), value("DE_1", "A"), "{period} {bassin} {rome}");
        assert_eq!(column("de_abc").value(row).parse::<f64>().unwrap(), value("DE_1", "ABC"));
        assert_eq!(column("entrees_a_12m").value(row).parse::<f64>().unwrap(), value("DE_5", "CUMUL 12 MOIS"));
        assert!(column("sorties_abc_12m").is_null(row), "the API has no exits by bassin");
        assert_eq!(column("type_territoire").value(row), "bassin_bmo");
    }
    assert_eq!(figures.tension_batch().unwrap().num_rows(), 2 * 2 * 8);
}

#[test]
fn the_next_fetch_asks_only_for_periods_published_since_and_nothing_when_none_are() {
    let api = start();
    let settings = settings(&api);
    let watermark = BTreeMap::from([
        ("DE_1".into(), "2026T2".into()),
        ("DE_5".into(), "2026T1".into()),
        ("PERSP_2".into(), "2025".into()),
    ]);
    let (result, lines) = fetch(&settings, &watermark);
    let report = result.unwrap();
    // Only DE_5 has something new: its 2026T2, for 2 × 4 (bassin, ROME).
    assert_eq!(lines.len(), 8);
    assert!(report.periods["DE_1"].is_empty() && report.periods["PERSP_2"].is_empty());
    assert_eq!(report.periods["DE_5"], ["2026T2"]);
    let criteria = api.state().labour_market_criteria.clone();
    assert!(
        criteria
            .iter()
            .filter(|c| c["codeTypeTerritoire"] == "BASBMO")
            .all(|c| c["listeCodePeriode"] == serde_json::json!(["2026T2"]))
    );

    let up_to_date = BTreeMap::from([
        ("DE_1".into(), "2026T2".into()),
        ("DE_5".into(), "2026T2".into()),
        ("PERSP_2".into(), "2025".into()),
    ]);
    let (result, lines) = fetch(&settings, &up_to_date);
    assert!(lines.is_empty());
    assert_eq!(result.unwrap().requests, 4, "a token and the three probes, nothing else");
}

#[test]
fn a_token_without_both_scope_parts_is_refused_naming_the_scope() {
    let api = start();
    let mut partial = settings(&api);
    partial.connection.scope = "api_stats-offres-demandes-emploiv1".to_owned();
    let (result, lines) = fetch(&partial, &BTreeMap::new());
    let error = result.unwrap_err();
    assert!(matches!(error, FetchError::Token { status: 403, .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("api_stats-offres-demandes-emploiv1") && message.contains("scope"), "{message}");
    assert!(lines.is_empty());

    let mut unknown = settings(&api);
    unknown.connection.scope = "api_marche_travail".to_owned();
    let error = fetch(&unknown, &BTreeMap::new()).0.unwrap_err();
    assert!(error.to_string().contains("invalid_scope"), "{error}");
}

#[test]
fn string_typed_numbers_and_masked_values_read_as_the_numbers_sent_and_null() {
    let api = start();
    {
        let mut state = api.state();
        state.labour_market_options.string_values = true;
        for figure in state
            .labour_market
            .iter_mut()
            .filter(|f| f.territory == "3217" && f.activity == "A1111" && f.nomenclature == "A")
        {
            figure.value = None;
        }
    }
    let (result, lines) = fetch(&settings(&api), &BTreeMap::new());
    result.unwrap();
    let body = lines.iter().find(|line| line.contains("DE_1")).unwrap();
    assert!(body.contains(r#"\"valeurPrincipaleNombre\":\""#), "numbers sent as strings: {body}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("answers.ndjson");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let mut figures = LabourMarketFigures::default();
    let mut rejects = RejectsBuilder::default();
    figures.read_file(&path, "answers", &mut rejects).unwrap();
    let batch = figures.jobseeker_batch(&labour_market_jobseekers_schema().unwrap()).unwrap();
    let column =
        |name: &str| batch.column_by_name(name).unwrap().as_any().downcast_ref::<StringArray>().unwrap().clone();
    let masked: Vec<usize> = (0..batch.num_rows())
        .filter(|&row| column("code_territoire").value(row) == "3217" && column("code_rome").value(row) == "A1111")
        .collect();
    assert_eq!(masked.len(), 2);
    assert!(masked.iter().all(|&row| column("de_a").is_null(row) && !column("de_abc").is_null(row)));
    assert!(
        (0..batch.num_rows())
            .filter(|row| !masked.contains(row))
            .all(|row| column("de_a").value(row).parse::<u64>().is_ok_and(|n| n % 10 == 0))
    );
}

#[test]
fn retries_run_out_on_a_dead_api_with_a_clear_error_and_no_secret() {
    let api = start();
    api.state().labour_market_faults.extend((1..40).map(|n| (n, Fault::ServerError(502))));
    let mut limited = settings(&api);
    limited.connection.retry_budget = 3;
    let error = fetch(&limited, &BTreeMap::new()).0.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, FetchError::Exhausted { retries: 3, .. }), "{message}");
    assert!(message.contains("HTTP 502") && !message.contains(CLIENT_SECRET), "{message}");
}

#[test]
fn a_short_lived_token_is_renewed_during_a_fetch() {
    let api = start();
    api.state().token_lifetime_seconds = 1;
    let mut slow = settings(&api);
    // 3 probes + 24 requests at 15 a second: about 1.8 s, past the token's second.
    slow.connection.requests_per_second = 15.0;
    let (result, lines) = fetch(&slow, &BTreeMap::new());
    result.unwrap();
    assert_eq!(lines.len(), 24);
    assert!(api.state().token_requests >= 2, "the token was renewed: {} token requests", api.state().token_requests);
}

//! The offers API client against the loopback fake server: complete fetches under every
//! fault, splitting over the range limit, tokens, throttle, retry budget, secrets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use skillgap_fakeapi::{CLIENT_ID, CLIENT_SECRET, FakeApi, Fault, generate_offers};
use skillgap_sources::offers_api::{
    ApiSettings, Connection, Credentials, FetchError, FetchReport, FetchWindow, Page, fetch_offers,
};

const DEPARTEMENTS: [&str; 5] = ["02", "59", "60", "62", "80"];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).single().unwrap()
}

fn settings(api: &FakeApi) -> ApiSettings {
    ApiSettings {
        connection: Connection {
            token_url: api.token_url(),
            scope: "api_offresdemploiv2 o2dsoffre".to_owned(),
            requests_per_second: 500.0,
            timeout: Duration::from_millis(800),
            retry_budget: 20,
            backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(200),
        },
        search_url: api.search_url(),
        departements: DEPARTEMENTS.iter().map(|d| (*d).to_owned()).collect(),
        max_index: 3149,
    }
}

fn credentials() -> Credentials {
    Credentials { client_id: CLIENT_ID.to_owned(), client_secret: CLIENT_SECRET.to_owned() }
}

fn full_window() -> FetchWindow {
    FetchWindow { created_from: now() - chrono::Duration::days(400), created_to: now(), updated_after: None }
}

/// Fetches, returning the report and how many times each id arrived.
fn fetch(
    api: &FakeApi,
    settings: &ApiSettings,
    window: &FetchWindow,
) -> (Result<FetchReport, FetchError>, HashMap<String, usize>) {
    let mut arrivals: HashMap<String, usize> = HashMap::new();
    let result = fetch_offers(settings, &credentials(), window, &mut |page: &Page| {
        let value: Value = serde_json::from_str(&page.body).map_err(|e| e.to_string())?;
        for offer in value["resultats"].as_array().into_iter().flatten() {
            *arrivals.entry(offer["id"].as_str().unwrap().to_owned()).or_default() += 1;
        }
        Ok(())
    });
    let _ = api;
    (result, arrivals)
}

fn offers(count: usize) -> Vec<Value> {
    generate_offers(count, 1, &DEPARTEMENTS, &["A1111", "B2222"], now(), 300)
}

#[test]
fn every_fault_still_gives_each_offer_exactly_once() {
    let faults = [
        Fault::Slow(Duration::from_millis(1500)),
        Fault::Truncated,
        Fault::TooManyRequests { retry_after_seconds: 1 },
        Fault::ServerError(500),
        Fault::ServerError(502),
        Fault::ServerError(503),
        Fault::Drop,
        Fault::RevokeToken,
    ];
    for fault in faults {
        let generated = offers(700);
        let api = FakeApi::start(generated.clone(), now()).unwrap();
        // The fault hits the 2nd, 4th and 7th search requests (mid-pagination).
        api.state().faults.extend([(2, fault), (4, fault), (7, fault)]);
        let (result, arrivals) = fetch(&api, &settings(&api), &full_window());
        let report = result.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(arrivals.len(), 700, "{fault:?}: every offer arrived");
        assert!(arrivals.values().all(|n| *n == 1), "{fault:?}: no offer twice");
        assert_eq!((report.offers, report.offers_kept), (700, 700));
        let expected_ids: std::collections::BTreeSet<String> =
            generated.iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(arrivals.keys().cloned().collect::<std::collections::BTreeSet<_>>(), expected_ids);
        match fault {
            Fault::RevokeToken => assert_eq!(api.state().token_requests, 4, "one refresh after each 401"),
            _ => assert!(report.retries >= 3, "{fault:?}: {} retries", report.retries),
        }
    }
}

#[test]
fn a_query_over_the_range_limit_is_split_and_fully_recovered() {
    let api = FakeApi::start(offers(10_000), now()).unwrap();
    let (result, arrivals) = fetch(&api, &settings(&api), &full_window());
    let report = result.unwrap();
    assert_eq!(arrivals.len(), 10_000);
    assert!(arrivals.values().all(|n| *n == 1));
    // The region (10,000) is split by département (2,000 each: they fit).
    assert_eq!(report.slices, 1 + 5);
    let queries = api.state().answered_queries.clone();
    assert!(queries.iter().all(|q| !q.contains("range=3150")), "never past the limit");

    // One département over the limit: split by halves of the creation window.
    let api = FakeApi::start(generate_offers(7_000, 2, &["59"], &["A1111"], now(), 300), now()).unwrap();
    let mut one = settings(&api);
    one.departements = vec!["59".to_owned()];
    let (result, arrivals) = fetch(&api, &one, &full_window());
    let report = result.unwrap();
    assert_eq!(arrivals.len(), 7_000);
    assert!(report.slices >= 5, "{report:?}");
}

#[test]
fn an_incremental_fetch_keeps_only_what_changed_since_the_watermark() {
    let mut generated = offers(300);
    let watermark = now() - chrono::Duration::hours(6);
    // Two new offers and one old offer updated after the watermark.
    let mut fresh = generate_offers(2, 9, &["59"], &["A1111"], now(), 0);
    for offer in &mut fresh {
        offer["dateCreation"] = Value::from("2026-11-26T01:00:00.000Z");
        offer["dateActualisation"] = Value::from("2026-11-26T01:00:00.000Z");
    }
    generated[10]["dateActualisation"] = Value::from("2026-11-26T00:30:00.000Z");
    let updated_id = generated[10]["id"].as_str().unwrap().to_owned();
    generated.extend(fresh.clone());
    let api = FakeApi::start(generated, now()).unwrap();
    let window = FetchWindow { updated_after: Some(watermark), ..full_window() };
    let (result, _) = fetch(&api, &settings(&api), &window);
    let report = result.unwrap();
    assert_eq!(report.offers_kept, 3);
    assert!(api.state().answered_queries.iter().all(|q| q.contains("publieeDepuis=1")));
    assert_eq!(report.max_updated, Some(Utc.with_ymd_and_hms(2026, 11, 26, 1, 0, 0).single().unwrap()));
    let _ = updated_id;
}

#[test]
fn the_retry_budget_bounds_a_dead_api_and_the_error_says_so() {
    let api = FakeApi::start(offers(10), now()).unwrap();
    api.state().faults.extend((1..=50).map(|n| (n, Fault::ServerError(503))));
    let mut limited = settings(&api);
    limited.connection.retry_budget = 4;
    let started = std::time::Instant::now();
    let (result, _) = fetch(&api, &limited, &full_window());
    let message = result.unwrap_err().to_string();
    assert!(message.contains("4 retries") && message.contains("HTTP 503"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(api.state().search_requests, 5);
}

#[test]
fn bad_credentials_are_a_clear_error_and_the_secret_never_shows() {
    let api = FakeApi::start(offers(10), now()).unwrap();
    let wrong = Credentials { client_id: CLIENT_ID.to_owned(), client_secret: "s3cr3t-value".to_owned() };
    let result = fetch_offers(&settings(&api), &wrong, &full_window(), &mut |_| Ok(()));
    let message = result.unwrap_err().to_string();
    assert!(message.contains("invalid_client") && !message.contains("s3cr3t"), "{message}");
    assert!(!format!("{wrong:?}").contains("s3cr3t"));
    // The secret travels in the token request's body only, never in a search request.
    let state = api.state();
    assert!(state.requests.iter().filter(|r| r.starts_with("GET")).all(|r| !r.contains("s3cr3t")));
}

#[test]
fn the_throttle_spaces_requests() {
    let api = FakeApi::start(offers(1_500), now()).unwrap();
    let mut slow = settings(&api);
    slow.connection.requests_per_second = 20.0;
    let (result, _) = fetch(&api, &slow, &full_window());
    result.unwrap();
    let instants = api.state().search_instants.clone();
    assert!(instants.len() >= 10);
    let gaps: Vec<Duration> = instants.windows(2).map(|w| w[1] - w[0]).collect();
    // 20 requests/s: 50 ms apart on average, never much closer (arrival jitter aside).
    let span = *instants.last().unwrap() - instants[0];
    assert!(span >= Duration::from_millis(50 * gaps.len() as u64 * 95 / 100), "{gaps:?}");
    assert!(gaps.iter().all(|g| *g >= Duration::from_millis(35)), "{gaps:?}");
}

#[test]
fn a_short_lived_token_is_renewed_before_it_expires() {
    let api = FakeApi::start(offers(1_500), now()).unwrap();
    api.state().token_lifetime_seconds = 1;
    let mut slow = settings(&api);
    slow.connection.requests_per_second = 10.0;
    let (result, arrivals) = fetch(&api, &slow, &full_window());
    result.unwrap();
    assert_eq!(arrivals.len(), 1_500);
    let state = api.state();
    assert!(state.token_requests >= 2, "{} token requests", state.token_requests);
}

//! The *Marché du travail* API client (stats-offres-demandes-emploi v1,
//! `../shared/data/marche_du_travail_api_protocol.md`): for each indicator, one probe at
//! national level for the latest period published (`dernierePeriode`), then — when it is
//! newer than the watermark — one POST per (BMO bassin, ROME) for the periods not landed
//! yet, within the shared transport's throttle and retry budget. Both "no data" answers
//! (HTTP 500 carrying `FiltreErreurSldng`, 200 or 204 without `listeValeursParPeriode`) are
//! final answers counted apart; a 403 names the scope. Every answer is handed to the
//! caller as received, to be landed before anything parses it.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::france_travail::{Connection, Credentials, FetchError, Request, Transport};

/// The scope the API needs, both parts (the first alone gives a token that every resource
/// refuses with 403).
pub const SCOPE: &str = "api_stats-offres-demandes-emploiv1 offresetdemandesemploi";

/// The text of the gateway's "no data for this code" 500.
pub const NO_DATA_MARKER: &str = "FiltreErreurSldng";

/// The indicators skillgap reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Indicator {
    /// DE_1: jobseekers at the end of the quarter, by category (`A`, `ABC`).
    Stock,
    /// DE_5: registrations, of the quarter and cumulated over 12 months.
    Registrations,
    /// PERSP_2: recruitment difficulty, the main indicator and its causes, by year.
    Tension,
}

impl Indicator {
    /// Every indicator, in fetch order.
    pub const ALL: [Indicator; 3] = [Indicator::Stock, Indicator::Registrations, Indicator::Tension];

    /// The API's code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Stock => "DE_1",
            Self::Registrations => "DE_5",
            Self::Tension => "PERSP_2",
        }
    }

    /// The indicator of an API code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|indicator| indicator.code() == code)
    }

    /// The endpoint, after the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Self::Stock => "/indicateur/stat-demandeurs",
            Self::Registrations => "/indicateur/stat-demandeurs-entrant",
            Self::Tension => "/indicateur/stat-perspective-employeur",
        }
    }

    fn nomenclature(self) -> &'static str {
        match self {
            Self::Stock | Self::Registrations => "CATCAND",
            Self::Tension => "TYPE_TENSION",
        }
    }

    /// `TRIMESTRE` or `ANNEE`, the only period type each allows.
    pub fn period_type(self) -> &'static str {
        match self {
            Self::Stock | Self::Registrations => "TRIMESTRE",
            Self::Tension => "ANNEE",
        }
    }

    /// The periods after `last` up to `latest`, at most `history` of them (`last` absent:
    /// the `history` periods ending at `latest`). Empty when a code does not parse.
    pub fn periods_after(self, last: Option<&str>, latest: &str, history: u32) -> Vec<String> {
        let ordinal = |code: &str| match self.period_type() {
            "TRIMESTRE" => parse_quarter(code).map(|(year, quarter)| year * 4 + i64::from(quarter) - 1),
            _ => code.parse::<i64>().ok().filter(|year| (1000..10000).contains(year)),
        };
        let Some(end) = ordinal(latest) else { return Vec::new() };
        let first = end - i64::from(history.max(1)) + 1;
        let start = match last.map(ordinal) {
            Some(Some(last)) => (last + 1).max(first),
            Some(None) => return Vec::new(),
            None => first,
        };
        (start..=end)
            .map(|n| match self.period_type() {
                "TRIMESTRE" => format!("{}T{}", n.div_euclid(4), n.rem_euclid(4) + 1),
                _ => n.to_string(),
            })
            .collect()
    }
}

/// `YYYYTn` as (year, quarter).
pub fn parse_quarter(code: &str) -> Option<(i64, u8)> {
    let (year, quarter) = code.split_once('T')?;
    let year: i64 = year.parse().ok().filter(|_| year.len() == 4)?;
    let quarter: u8 = quarter.parse().ok().filter(|q| (1..=4).contains(q))?;
    Some((year, quarter))
}

/// What the client needs to know (from the pipeline's `[fetch.labour_market]`).
#[derive(Debug, Clone, PartialEq)]
pub struct LabourMarketSettings {
    /// Token endpoint, scope, throttle and retries.
    pub connection: Connection,
    /// The API's base URL (`…/stats-offres-demandes-emploi/v1`).
    pub base_url: String,
    /// BMO bassin codes asked (`codeTypeTerritoire` `BASBMO`).
    pub territories: Vec<String>,
    /// ROME codes asked.
    pub romes: Vec<String>,
    /// Indicators asked.
    pub indicators: Vec<Indicator>,
    /// Quarters a first fetch asks for (DE_1, DE_5), the latest one included.
    pub history_quarters: u32,
    /// Years a first fetch asks for (PERSP_2), the latest one included.
    pub history_years: u32,
}

/// One answer as received.
#[derive(Debug, Clone, PartialEq)]
pub struct LandedAnswer<'a> {
    /// The indicator asked.
    pub indicator: Indicator,
    /// The request body sent.
    pub request: &'a Value,
    /// HTTP status (200, 204, or the 500 of a no-data answer).
    pub status: u16,
    /// The body, exactly as received.
    pub body: &'a str,
}

/// What a fetch did (also its fetch record's counts).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LabourMarketReport {
    /// Answers with figures.
    pub answers: u64,
    /// Answers saying "no data" (either form).
    pub no_data: u64,
    /// Period items received.
    pub items: u64,
    /// Requests sent (token requests included).
    pub requests: u64,
    /// Retries spent.
    pub retries: u32,
    /// For each indicator asked, the latest period the API publishes.
    pub latest: BTreeMap<String, String>,
    /// For each indicator, the periods asked (empty: nothing new).
    pub periods: BTreeMap<String, Vec<String>>,
}

/// Whether an answer carries figures (its `listeValeursParPeriode`, non-empty).
fn items(answer: &Value) -> &[Value] {
    answer.get("listeValeursParPeriode").and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Fetches, for each configured indicator, the periods after `watermark[indicator]`,
/// handing every answer to `sink`.
pub fn fetch_labour_market(
    settings: &LabourMarketSettings,
    credentials: &Credentials,
    watermark: &BTreeMap<String, String>,
    sink: &mut dyn FnMut(&LandedAnswer<'_>) -> Result<(), String>,
) -> Result<LabourMarketReport, FetchError> {
    let mut transport = Transport::new(&settings.connection, credentials);
    transport.no_data_marker = Some(NO_DATA_MARKER);
    let mut report = LabourMarketReport::default();
    let result = fetch_all(settings, watermark, &mut transport, &mut report, sink);
    report.requests = transport.requests;
    report.retries = transport.retries;
    result.map_err(|error| error.redacted(&transport.redactor))?;
    tracing::info!(
        answers = report.answers,
        no_data = report.no_data,
        items = report.items,
        requests = report.requests,
        retries = report.retries,
        "labour-market figures fetched"
    );
    Ok(report)
}

fn fetch_all(
    settings: &LabourMarketSettings,
    watermark: &BTreeMap<String, String>,
    transport: &mut Transport<'_>,
    report: &mut LabourMarketReport,
    sink: &mut dyn FnMut(&LandedAnswer<'_>) -> Result<(), String>,
) -> Result<(), FetchError> {
    let mut plan = Vec::new();
    for &indicator in &settings.indicators {
        let latest = latest_period(settings, transport, indicator)?;
        let history =
            if indicator.period_type() == "ANNEE" { settings.history_years } else { settings.history_quarters };
        let last = watermark.get(indicator.code()).map(String::as_str);
        let periods = indicator.periods_after(last, &latest, history);
        if last.is_some_and(|last| last >= latest.as_str()) {
            tracing::info!(indicator = indicator.code(), latest = %latest, "nothing new since the last fetch");
        } else if periods.is_empty() {
            return Err(FetchError::Incomplete(format!(
                "{}: the watermark `{}` or the latest period `{latest}` is not a period code",
                indicator.code(),
                last.unwrap_or("")
            )));
        }
        report.latest.insert(indicator.code().to_owned(), latest);
        report.periods.insert(indicator.code().to_owned(), periods.clone());
        if !periods.is_empty() {
            plan.push((indicator, periods));
        }
    }
    let total = (plan.len() * settings.territories.len() * settings.romes.len()) as u64;
    let mut done = 0u64;
    for (indicator, periods) in &plan {
        let url = format!("{}{}", settings.base_url.trim_end_matches('/'), indicator.path());
        for territory in &settings.territories {
            for rome in &settings.romes {
                let mut body = json!({
                    "codeTypeTerritoire": "BASBMO",
                    "codeTerritoire": territory,
                    "codeTypeActivite": "ROME",
                    "codeActivite": rome,
                    "codeTypePeriode": indicator.period_type(),
                    "codeTypeNomenclature": indicator.nomenclature(),
                    "listeCodePeriode": periods,
                    "sansCaracteristiques": true,
                });
                if *indicator == Indicator::Stock {
                    body["listeCodeNomenclature"] = json!(["A", "ABC"]);
                }
                let answer = transport.call(Request::PostJson { url: &url, body: &body })?;
                let found = items(&answer.json).len() as u64;
                if found == 0 {
                    report.no_data += 1;
                } else {
                    report.answers += 1;
                    report.items += found;
                }
                sink(&LandedAnswer {
                    indicator: *indicator,
                    request: &body,
                    status: answer.status,
                    body: &answer.body,
                })
                .map_err(FetchError::Sink)?;
                done += 1;
                tracing::info!(target: crate::PROGRESS, task = "Marché du travail", unit = "requêtes", done, total);
            }
        }
    }
    Ok(())
}

/// The latest period the API publishes for `indicator`: its national total, last period.
fn latest_period(
    settings: &LabourMarketSettings,
    transport: &mut Transport<'_>,
    indicator: Indicator,
) -> Result<String, FetchError> {
    let url = format!("{}{}", settings.base_url.trim_end_matches('/'), indicator.path());
    let body = json!({
        "codeTypeTerritoire": "NAT",
        "codeTerritoire": "FR",
        "codeTypeActivite": "CUMUL",
        "codeActivite": "CUMUL",
        "codeTypePeriode": indicator.period_type(),
        "codeTypeNomenclature": indicator.nomenclature(),
        "dernierePeriode": true,
        "sansCaracteristiques": true,
    });
    let answer = transport.call(Request::PostJson { url: &url, body: &body })?;
    items(&answer.json)
        .iter()
        .filter_map(|item| item.get("codePeriode").and_then(Value::as_str))
        .max()
        .map(str::to_owned)
        .ok_or_else(|| {
            FetchError::Incomplete(format!(
                "{}: the national figure names no period (HTTP {}), so the latest one is unknown",
                indicator.code(),
                answer.status
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_after_the_watermark_stop_at_the_latest_and_respect_the_history() {
        let stock = Indicator::Stock;
        assert_eq!(stock.periods_after(None, "2026T2", 3), ["2025T4", "2026T1", "2026T2"]);
        assert_eq!(stock.periods_after(Some("2025T4"), "2026T2", 8), ["2026T1", "2026T2"]);
        assert_eq!(stock.periods_after(Some("2020T1"), "2026T2", 2), ["2026T1", "2026T2"]);
        assert!(stock.periods_after(Some("2026T2"), "2026T2", 8).is_empty());
        assert!(stock.periods_after(None, "2026-06", 8).is_empty());
        assert_eq!(Indicator::Tension.periods_after(Some("2023"), "2025", 5), ["2024", "2025"]);
        assert_eq!(parse_quarter("2026T4"), Some((2026, 4)));
        assert_eq!(parse_quarter("2026T5"), None);
        assert_eq!(Indicator::from_code("DE_5"), Some(Indicator::Registrations));
    }
}

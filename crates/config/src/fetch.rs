//! `[fetch.offers]` and `[fetch.labour_market]`: how `skillgap fetch offers` calls France
//! Travail's *Offres d'emploi v2* API and `skillgap fetch labour-market` its *Marché du
//! travail* API. Credentials are never in the file: it names the environment variables
//! that hold them.

use serde::Deserialize;

/// The `[fetch]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fetch {
    /// The offers API.
    #[serde(default)]
    pub offers: Option<OffersApi>,
    /// The labour-market statistics API (jobseekers, France Travail's tension).
    #[serde(default)]
    pub labour_market: Option<LabourMarketApi>,
}

/// The *Marché du travail* API client's settings. The territories asked are the BMO
/// bassins: the grid's own when it is the BMO bassins, else those of `bmo_bassins.csv`,
/// whose weights share each bassin's counts onto the grid. The ROME codes asked are the
/// ROME referential's. The connection fields repeat `OffersApi`'s: serde cannot flatten a
/// shared struct into a table that denies unknown fields.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabourMarketApi {
    /// OAuth2 token endpoint (the `realm=/partenaire` query included).
    #[serde(default = "default_token_url")]
    pub token_url: String,
    /// The API's base URL (`…/stats-offres-demandes-emploi/v1`).
    #[serde(default = "default_labour_market_url")]
    pub base_url: String,
    /// Environment variable holding the client id.
    #[serde(default = "default_client_id_env")]
    pub client_id_env: String,
    /// Environment variable holding the client secret.
    #[serde(default = "default_client_secret_env")]
    pub client_secret_env: String,
    /// OAuth2 scope: both parts are needed (the first alone gives a token every resource
    /// refuses with 403).
    #[serde(default = "default_labour_market_scope")]
    pub scope: String,
    /// Indicators fetched: `DE_1` (jobseekers by category), `DE_5` (registrations over 12
    /// months), `PERSP_2` (France Travail's tension and its causes).
    #[serde(default = "default_labour_market_indicators")]
    pub indicators: Vec<LabourMarketIndicator>,
    /// ROME codes asked; absent: every ROME code of `inputs.rome` (a first fetch of a
    /// region is then about 3 × bassins × 1,500 requests). Each must be in the referential.
    #[serde(default)]
    pub romes: Option<Vec<String>>,
    /// Quarters a first fetch asks for (DE_1, DE_5), the latest included.
    #[serde(default = "default_history_quarters")]
    pub history_quarters: u32,
    /// Years a first fetch asks for (PERSP_2), the latest included.
    #[serde(default = "default_history_years")]
    pub history_years: u32,
    /// Client-side throttle, requests per second (the published limit is 10).
    #[serde(default = "default_labour_market_requests_per_second")]
    pub requests_per_second: f64,
    /// Per-request timeout, seconds.
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: f64,
    /// Total retries allowed over one fetch before it fails.
    #[serde(default = "default_retry_budget")]
    pub retry_budget: u32,
    /// First backoff delay, seconds (doubled on each retry of a request, with jitter).
    #[serde(default = "default_backoff_seconds")]
    pub backoff_seconds: f64,
    /// Longest wait for one retry, seconds (a larger `Retry-After` is capped to it).
    #[serde(default = "default_max_backoff_seconds")]
    pub max_backoff_seconds: f64,
}

/// The offers API client's settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffersApi {
    /// OAuth2 token endpoint (the `realm=/partenaire` query included).
    #[serde(default = "default_token_url")]
    pub token_url: String,
    /// Search endpoint (`…/offresdemploi/v2/offres/search`).
    #[serde(default = "default_search_url")]
    pub search_url: String,
    /// Environment variable holding the client id.
    #[serde(default = "default_client_id_env")]
    pub client_id_env: String,
    /// Environment variable holding the client secret.
    #[serde(default = "default_client_secret_env")]
    pub client_secret_env: String,
    /// OAuth2 scope.
    #[serde(default = "default_scope")]
    pub scope: String,
    /// The départements of the region (INSEE codes): each fetch queries them, and a slice
    /// over the range limit is split by département first.
    pub departements: Vec<String>,
    /// Client-side throttle, requests per second.
    #[serde(default = "default_requests_per_second")]
    pub requests_per_second: f64,
    /// Per-request timeout, seconds.
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: f64,
    /// Total retries allowed over one fetch before it fails.
    #[serde(default = "default_retry_budget")]
    pub retry_budget: u32,
    /// First backoff delay, seconds (doubled on each retry of a request, with jitter).
    #[serde(default = "default_backoff_seconds")]
    pub backoff_seconds: f64,
    /// Longest wait for one retry, seconds (a larger `Retry-After` is capped to it).
    #[serde(default = "default_max_backoff_seconds")]
    pub max_backoff_seconds: f64,
    /// How far back a first (full) fetch goes, in days of creation date.
    #[serde(default = "default_history_days")]
    pub history_days: u32,
    /// Highest index the API serves for one query (`range` end, inclusive): 3149.
    #[serde(default = "default_max_index")]
    pub max_index: u64,
    /// Landed page files (and their fetch records) older than this many days are removed
    /// after a successful fetch; absent, every fetch is kept (needed to rebuild old
    /// semesters from the landing area).
    #[serde(default)]
    pub keep_landed_days: Option<u32>,
}

/// Default token endpoint.
pub fn default_token_url() -> String {
    "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=%2Fpartenaire".to_owned()
}
/// Default search endpoint.
pub fn default_search_url() -> String {
    "https://api.francetravail.io/partenaire/offresdemploi/v2/offres/search".to_owned()
}
/// Default Marché du travail base URL.
pub fn default_labour_market_url() -> String {
    "https://api.francetravail.io/partenaire/stats-offres-demandes-emploi/v1".to_owned()
}
/// Default Marché du travail scope, both parts.
pub fn default_labour_market_scope() -> String {
    "api_stats-offres-demandes-emploiv1 offresetdemandesemploi".to_owned()
}
/// An indicator of the *Marché du travail* API, by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LabourMarketIndicator {
    /// `DE_1`: jobseekers at the end of the quarter, categories A and ABC.
    #[serde(rename = "DE_1")]
    Stock,
    /// `DE_5`: registrations, cumulated over 12 months.
    #[serde(rename = "DE_5")]
    Registrations,
    /// `PERSP_2`: France Travail's recruitment-difficulty indicator and its causes.
    #[serde(rename = "PERSP_2")]
    Tension,
}

/// Default indicators: all three.
pub fn default_labour_market_indicators() -> Vec<LabourMarketIndicator> {
    vec![LabourMarketIndicator::Stock, LabourMarketIndicator::Registrations, LabourMarketIndicator::Tension]
}
/// Default history of a first fetch: 8 quarters.
pub fn default_history_quarters() -> u32 {
    8
}
/// Default history of a first fetch: 2 years.
pub fn default_history_years() -> u32 {
    2
}
/// Default throttle: 8 requests per second, under the published 10.
pub fn default_labour_market_requests_per_second() -> f64 {
    8.0
}
/// Default client-id variable.
pub fn default_client_id_env() -> String {
    "FRANCE_TRAVAIL_CLIENT_ID".to_owned()
}
/// Default client-secret variable.
pub fn default_client_secret_env() -> String {
    "FRANCE_TRAVAIL_CLIENT_SECRET".to_owned()
}
/// Default scope.
pub fn default_scope() -> String {
    "api_offresdemploiv2 o2dsoffre".to_owned()
}
/// Default throttle: 3 requests per second (the API's published limit).
pub fn default_requests_per_second() -> f64 {
    3.0
}
/// Default timeout: 30 s.
pub fn default_timeout_seconds() -> f64 {
    30.0
}
/// Default retry budget: 50 retries per fetch.
pub fn default_retry_budget() -> u32 {
    50
}
/// Default first backoff: 1 s.
pub fn default_backoff_seconds() -> f64 {
    1.0
}
/// Default longest backoff: 60 s.
pub fn default_max_backoff_seconds() -> f64 {
    60.0
}
/// Default history of a first fetch: 400 days (W12 plus margin).
pub fn default_history_days() -> u32 {
    400
}
/// Default highest index: 3149 (the 2025 OpenAPI's limit).
pub fn default_max_index() -> u64 {
    3149
}

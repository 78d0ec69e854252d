//! The *Offres d'emploi v2* API client (`../shared/data/offres_api_protocol.md`): OAuth2
//! client credentials, `range` paging, splitting of queries over the range limit (by
//! département, then by halves of the creation window) with the totals checked at every
//! split, a client-side throttle, and retries with exponential backoff, jitter and
//! `Retry-After` within a bounded budget. Every page body is handed to the caller as
//! received (to land it before any parsing matters); the client only reads the ids and
//! dates it needs to prove completeness and advance the watermark.

mod slices;

use chrono::{DateTime, Utc};

pub use slices::Slice;

use crate::france_travail::Transport;
pub use crate::france_travail::{Connection, Credentials, FetchError, REDACTED, Redactor};

/// What the client needs to know (from the pipeline's `[fetch.offers]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiSettings {
    /// Token endpoint, scope, throttle and retries.
    pub connection: Connection,
    /// Search endpoint.
    pub search_url: String,
    /// Départements queried.
    pub departements: Vec<String>,
    /// Highest index served for one query (3149).
    pub max_index: u64,
}

/// What one fetch asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchWindow {
    /// Offers created in [`created_from`, `created_to`] (API bounds, to the second).
    pub created_from: DateTime<Utc>,
    /// Upper creation bound: the fetch's start, so that totals do not move under it.
    pub created_to: DateTime<Utc>,
    /// Incremental fetch: only offers updated (`dateActualisation`) after this instant;
    /// the API is asked with the smallest `publieeDepuis` that covers it.
    pub updated_after: Option<DateTime<Utc>>,
}

/// A page as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The query string sent (without credentials).
    pub query: String,
    /// The `Content-Range` header, when present.
    pub content_range: Option<String>,
    /// The body, exactly as received.
    pub body: String,
}

/// What a fetch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Pages received (and handed over).
    pub pages: u64,
    /// Distinct offers received.
    pub offers: u64,
    /// Of which updated after `updated_after` (all when not incremental).
    pub offers_kept: u64,
    /// Slices whose totals were checked (leaves and splits).
    pub slices: u64,
    /// Search and token requests sent.
    pub requests: u64,
    /// Retries spent.
    pub retries: u32,
    /// The greatest `dateActualisation` (else `dateCreation`) received.
    pub max_updated: Option<DateTime<Utc>>,
}

/// Fetches every offer of `window` over the configured départements, handing each page
/// to `sink` as received.
pub fn fetch_offers(
    settings: &ApiSettings,
    credentials: &Credentials,
    window: &FetchWindow,
    sink: &mut dyn FnMut(&Page) -> Result<(), String>,
) -> Result<FetchReport, FetchError> {
    let mut transport = Transport::new(&settings.connection, credentials);
    let mut report = FetchReport::default();
    let root = Slice { departements: settings.departements.clone(), from: window.created_from, to: window.created_to };
    let published_since = window.updated_after.map(|after| published_since_days(window.created_to, after));
    let mut walk = slices::Walk {
        transport: &mut transport,
        settings,
        published_since,
        updated_after: window.updated_after,
        sink,
        report: &mut report,
        seen: Default::default(),
    };
    if let Err(error) = walk.fetch(&root) {
        return Err(error.redacted(&transport.redactor));
    }
    report.requests = transport.requests;
    report.retries = transport.retries;
    tracing::info!(
        pages = report.pages,
        offers = report.offers,
        kept = report.offers_kept,
        slices = report.slices,
        requests = report.requests,
        retries = report.retries,
        "offers fetched"
    );
    Ok(report)
}

/// The smallest `publieeDepuis` (1, 3, 7, 14 or 31 days) covering `after` from `now`;
/// 31 when `after` is older (the caller then should fetch in full).
pub fn published_since_days(now: DateTime<Utc>, after: DateTime<Utc>) -> u32 {
    let needed = (now - after).num_seconds() as f64 / 86_400.0;
    [1, 3, 7, 14, 31].into_iter().find(|days| f64::from(*days) >= needed).unwrap_or(31)
}

//! A fake of France Travail's partner APIs on a loopback port, speaking their protocols:
//! an OAuth2 client-credentials token endpoint (scopes checked), the *Marché du travail*
//! indicators (`labour_market`), and *Offres d'emploi v2*'s
//! (`../shared/data/offres_api_protocol.md`) `offres/search` with `range=p-d` paging (≤ 150 a page, highest index
//! 3149), `Content-Range: offres p-d/total`, 206 / 200 / 204, 400 with a `message`, 401
//! on a missing or expired token, filters `departement`, `minCreationDate` /
//! `maxCreationDate` and `publieeDepuis`. Faults are injected on chosen search requests:
//! slow answers, truncated bodies, 429 bursts with `Retry-After`, 5xx runs, dropped
//! connections, tokens revoked mid-fetch. For tests only: it binds 127.0.0.1 and nothing
//! else.

mod http;
mod labour_market;
mod offers;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use labour_market::{Figure, Options as LabourMarketOptions, generate_labour_market};
pub use offers::generate_offers;

/// The credentials the fake accepts.
pub const CLIENT_ID: &str = "fake-client";
/// The secret the fake accepts.
pub const CLIENT_SECRET: &str = "fake-secret-never-logged";

/// What to do to a search request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Answer after this long.
    Slow(Duration),
    /// Send half the body, then close.
    Truncated,
    /// 429 with `Retry-After: seconds`.
    TooManyRequests {
        /// The `Retry-After` value.
        retry_after_seconds: u64,
    },
    /// This HTTP status with a JSON error body (500, 502, 503).
    ServerError(u16),
    /// Close the connection without answering.
    Drop,
    /// The token is revoked: 401.
    RevokeToken,
}

/// The offers served and the faults to inject, changeable while the server runs.
#[derive(Debug, Default)]
pub struct State {
    /// The offers (API JSON objects).
    pub offers: Vec<Value>,
    /// Faults by search-request number (1 = the first search request).
    pub faults: BTreeMap<u64, Fault>,
    /// Token lifetime announced in `expires_in`, seconds.
    pub token_lifetime_seconds: u64,
    /// Search requests received.
    pub search_requests: u64,
    /// Token requests received.
    pub token_requests: u64,
    /// Instants of the search requests (for throttle checks).
    pub search_instants: Vec<Instant>,
    /// Query strings of the search requests answered 200/206/204.
    pub answered_queries: Vec<String>,
    /// Every request line and header block received (to check what the client sends).
    pub requests: Vec<String>,
    /// The token endpoint answers 400 with the request's form echoed in its
    /// `error_description`, as some misconfigured gateways do.
    pub echo_token_form: bool,
    /// Valid tokens: expiry and granted scope.
    tokens: BTreeMap<String, (Instant, String)>,
    /// The Marché du travail figures served.
    pub labour_market: Vec<Figure>,
    /// How the Marché du travail answers vary (numbers as strings, the empty-200 form).
    pub labour_market_options: LabourMarketOptions,
    /// Faults by Marché du travail request number (1 = the first).
    pub labour_market_faults: BTreeMap<u64, Fault>,
    /// Marché du travail requests received.
    pub labour_market_requests: u64,
    /// The criteria (POSTed bodies) of the Marché du travail requests answered.
    pub labour_market_criteria: Vec<Value>,
    /// Now, for `publieeDepuis` and defaults (fixed in tests).
    pub now: Option<DateTime<Utc>>,
}

/// A running fake server (stopped when dropped).
pub struct FakeApi {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeApi {
    /// Starts serving `offers` on 127.0.0.1 (a free port).
    pub fn start(offers: Vec<Value>, now: DateTime<Utc>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let state =
            Arc::new(Mutex::new(State { offers, token_lifetime_seconds: 1499, now: Some(now), ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_state, thread_stop) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = thread_state.clone();
                std::thread::spawn(move || http::serve(stream, &state));
            }
        });
        Ok(Self { address, state, stop })
    }

    /// The token endpoint's URL.
    pub fn token_url(&self) -> String {
        format!("http://{}/connexion/oauth2/access_token?realm=%2Fpartenaire", self.address)
    }

    /// The Marché du travail API's base URL.
    pub fn labour_market_url(&self) -> String {
        format!("http://{}/partenaire/stats-offres-demandes-emploi/v1", self.address)
    }

    /// The search endpoint's URL.
    pub fn search_url(&self) -> String {
        format!("http://{}/partenaire/offresdemploi/v2/offres/search", self.address)
    }

    /// The shared state (offers, faults, counters).
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = std::net::TcpStream::connect(self.address);
    }
}

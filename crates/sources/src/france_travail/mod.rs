//! What France Travail's partner APIs share (*Offres d'emploi v2*, *Marché du travail*):
//! the OAuth2 client-credentials token of `entreprise.francetravail.fr`, the connection
//! settings (throttle, timeout, retry budget, backoff), the errors of a fetch, and the
//! redaction of every secret from what the network says.

mod redaction;
mod token;
mod transport;

use std::time::Duration;

pub use redaction::{REDACTED, Redactor};
pub use transport::{Answer, Request, Transport};

/// How to reach one API and how hard to try.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// Token endpoint.
    pub token_url: String,
    /// OAuth2 scope, as the token endpoint takes it (space-separated parts).
    pub scope: String,
    /// Throttle, requests per second.
    pub requests_per_second: f64,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries allowed over the whole fetch.
    pub retry_budget: u32,
    /// First backoff delay.
    pub backoff: Duration,
    /// Longest backoff delay (and cap of `Retry-After`).
    pub max_backoff: Duration,
}

/// Client credentials. Their `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The token endpoint refused the credentials (or the API refused the token it issued:
    /// a scope without the resource, an application not subscribed to the API).
    #[error("France Travail refused the credentials: HTTP {status}: {message}")]
    Token {
        /// HTTP status.
        status: u16,
        /// The OAuth error code and description (never the request).
        message: String,
    },
    /// The API answered 400: the query is wrong (a bug, not a transient problem).
    #[error("the API refused the query `{query}`: HTTP {status}: {message}")]
    Refused {
        /// The query string.
        query: String,
        /// HTTP status.
        status: u16,
        /// The API's message.
        message: String,
    },
    /// Retries ran out.
    #[error("the API stayed unavailable: {retries} retries spent (budget {budget}); last problem: {last}")]
    Exhausted {
        /// Retries spent.
        retries: u32,
        /// The budget.
        budget: u32,
        /// The last problem seen.
        last: String,
    },
    /// The answers do not add up, or lack what they must hold: something would be missed.
    #[error("incomplete fetch: {0}")]
    Incomplete(String),
    /// The caller's sink failed (landing an answer).
    #[error("landing an answer failed: {0}")]
    Sink(String),
}

impl FetchError {
    /// The same error without any form of the secrets `redactor` knows.
    pub fn redacted(self, redactor: &Redactor) -> Self {
        match self {
            Self::Token { status, message } => Self::Token { status, message: redactor.redact(&message) },
            Self::Refused { query, status, message } => {
                Self::Refused { query: redactor.redact(&query), status, message: redactor.redact(&message) }
            }
            Self::Exhausted { retries, budget, last } => {
                Self::Exhausted { retries, budget, last: redactor.redact(&last) }
            }
            Self::Incomplete(message) => Self::Incomplete(redactor.redact(&message)),
            Self::Sink(message) => Self::Sink(redactor.redact(&message)),
        }
    }
}

//! One HTTP exchange with an API, made reliable: the throttle, the token, retries with
//! exponential backoff and jitter (or the server's `Retry-After`) within the fetch's
//! budget, one token refresh on 401, and the body read and parsed as JSON (a truncated
//! body is retried like a dropped connection).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::token::{Token, oauth_error};
use super::{Connection, Credentials, FetchError, Redactor};

/// Largest body accepted (a page of 150 offers is well under 1 MB, a Marché du travail
/// answer with its whole history and characteristics about 1.3 MB).
const BODY_LIMIT: u64 = 64 << 20;

/// One request to an API endpoint (the token is added by the transport).
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    /// GET with a query string.
    Get {
        /// The endpoint.
        url: &'a str,
        /// The query parameters.
        query: &'a [(String, String)],
    },
    /// POST of a JSON body.
    PostJson {
        /// The endpoint.
        url: &'a str,
        /// The body.
        body: &'a Value,
    },
}

impl Request<'_> {
    /// What messages show of the request: its query or body (never a credential).
    pub fn shown(&self) -> String {
        match self {
            Self::Get { query, .. } => query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"),
            Self::PostJson { body, .. } => body.to_string(),
        }
    }
}

/// A final answer.
pub struct Answer {
    /// 200, 206 or 204; or the 5xx of a no-data answer (see [`Transport::no_data_marker`]).
    pub status: u16,
    /// `Content-Range`, when sent.
    pub content_range: Option<String>,
    /// The body as received.
    pub body: String,
    /// The body parsed (`Null` for 204 and for a no-data 5xx).
    pub json: Value,
}

/// What went wrong with one attempt.
enum Attempt {
    /// Retry after the backoff, or after this long when the server said so.
    Retry(String, Option<Duration>),
    /// Stop.
    Fail(FetchError),
}

/// The connection to the API.
pub struct Transport<'a> {
    agent: ureq::Agent,
    settings: &'a Connection,
    credentials: &'a Credentials,
    token: Option<Token>,
    next_request: Instant,
    jitter: u64,
    /// Requests sent.
    pub requests: u64,
    /// Retries spent.
    pub retries: u32,
    /// The secrets sent (client secret, tokens), kept out of every message.
    pub redactor: Redactor,
    /// A 5xx whose body holds this text is the API's way of saying "no data" (the Marché
    /// du travail gateway's `FiltreErreurSldng`): a final answer, not an outage to retry.
    pub no_data_marker: Option<&'static str>,
}

impl<'a> Transport<'a> {
    /// A transport for one fetch.
    pub fn new(settings: &'a Connection, credentials: &'a Credentials) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let seed =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1;
        let mut redactor = Redactor::default();
        redactor.add(&credentials.client_secret, Some(&credentials.client_id));
        Self {
            agent,
            settings,
            credentials,
            token: None,
            next_request: Instant::now(),
            jitter: seed,
            requests: 0,
            retries: 0,
            redactor,
            no_data_marker: None,
        }
    }

    /// A factor in [0.5, 1.5).
    fn jitter(&mut self) -> f64 {
        self.jitter ^= self.jitter << 13;
        self.jitter ^= self.jitter >> 7;
        self.jitter ^= self.jitter << 17;
        0.5 + (self.jitter % 1000) as f64 / 1000.0
    }

    fn throttle(&mut self) {
        let now = Instant::now();
        if self.next_request > now {
            std::thread::sleep(self.next_request - now);
        }
        let interval = Duration::from_secs_f64(1.0 / self.settings.requests_per_second.max(0.001));
        self.next_request = Instant::now() + interval;
    }

    /// Spends one retry (or fails when the budget is spent), then waits.
    fn wait_before_retry(
        &mut self,
        attempt: u32,
        problem: String,
        retry_after: Option<Duration>,
    ) -> Result<(), FetchError> {
        let problem = self.redactor.redact(&problem);
        if self.retries >= self.settings.retry_budget {
            return Err(FetchError::Exhausted {
                retries: self.retries,
                budget: self.settings.retry_budget,
                last: problem,
            });
        }
        self.retries += 1;
        let backoff = self.settings.backoff.mul_f64(2f64.powi(attempt.min(16) as i32)).mul_f64(self.jitter());
        let delay = retry_after.unwrap_or(backoff).min(self.settings.max_backoff);
        tracing::warn!(problem = %problem, retry = self.retries, delay_ms = delay.as_millis() as u64, "retrying");
        std::thread::sleep(delay);
        Ok(())
    }

    fn token(&mut self) -> Result<String, FetchError> {
        if let Some(token) = self.token.as_ref().filter(|t| t.is_fresh()) {
            return Ok(token.value.clone());
        }
        let mut attempt = 0;
        loop {
            self.requests += 1;
            let result = self.agent.post(&self.settings.token_url).send_form([
                ("grant_type", "client_credentials"),
                ("client_id", self.credentials.client_id.as_str()),
                ("client_secret", self.credentials.client_secret.as_str()),
                ("scope", self.settings.scope.as_str()),
            ]);
            let outcome = match result {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let body = response.body_mut().with_config().limit(1 << 20).read_to_string();
                    match (status, body) {
                        (200, Ok(body)) => {
                            let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                            match (
                                value.get("access_token").and_then(Value::as_str),
                                value.get("expires_in").and_then(Value::as_u64),
                            ) {
                                (Some(token), expires_in) => {
                                    self.redactor.add(token, None);
                                    self.token = Some(Token::new(token.to_owned(), expires_in.unwrap_or(1499)));
                                    return Ok(token.to_owned());
                                }
                                (None, _) => {
                                    Attempt::Retry("the token endpoint answered without access_token".to_owned(), None)
                                }
                            }
                        }
                        (429 | 500..=599, _) => Attempt::Retry(format!("token endpoint: HTTP {status}"), None),
                        (_, Ok(body)) => Attempt::Fail(FetchError::Token { status, message: oauth_error(&body) }),
                        (_, Err(error)) => Attempt::Retry(format!("token endpoint: {error}"), None),
                    }
                }
                Err(error) => Attempt::Retry(format!("token endpoint: {error}"), None),
            };
            match outcome {
                Attempt::Retry(problem, after) => self.wait_before_retry(attempt, problem, after)?,
                Attempt::Fail(error) => return Err(error.redacted(&self.redactor)),
            }
            attempt += 1;
        }
    }

    fn send(&self, request: Request<'_>, token: &str) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let authorization = format!("Bearer {token}");
        match request {
            Request::Get { url, query } => {
                let mut call =
                    self.agent.get(url).header("Authorization", &authorization).header("Accept", "application/json");
                for (key, value) in query {
                    call = call.query(key, value);
                }
                call.call()
            }
            Request::PostJson { url, body } => self
                .agent
                .post(url)
                .header("Authorization", &authorization)
                .header("Accept", "application/json")
                .header("Content-Type", "application/json")
                .send(body.to_string().as_bytes()),
        }
    }

    /// Sends `request` until a final answer or a failure.
    pub fn call(&mut self, request: Request<'_>) -> Result<Answer, FetchError> {
        let shown = request.shown();
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            let token = self.token()?;
            self.throttle();
            self.requests += 1;
            let outcome = match self.send(request, &token) {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get("Retry-After")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let content_range =
                        response.headers().get("Content-Range").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    let body = response.body_mut().with_config().limit(BODY_LIMIT).read_to_string();
                    match (status, body) {
                        (200 | 206, Ok(body)) => match serde_json::from_str::<Value>(&body) {
                            Ok(json) => return Ok(Answer { status, content_range, body, json }),
                            Err(error) => {
                                Attempt::Retry(format!("HTTP {status} with an unreadable body ({error})"), None)
                            }
                        },
                        (204, _) => {
                            return Ok(Answer { status, content_range, body: String::new(), json: Value::Null });
                        }
                        (401, _) if !refreshed => {
                            // The token expired or was revoked: one fresh token, at once.
                            refreshed = true;
                            self.token = None;
                            continue;
                        }
                        (401, _) => Attempt::Fail(FetchError::Token {
                            status,
                            message: "the API refused a freshly issued token".to_owned(),
                        }),
                        (403, _) => Attempt::Fail(FetchError::Token {
                            status,
                            message: format!(
                                "the API refused the token for this resource: the scope `{}` lacks one of its parts, or the application is not subscribed to this API",
                                self.settings.scope
                            ),
                        }),
                        (500..=599, Ok(body)) if self.no_data_marker.is_some_and(|marker| body.contains(marker)) => {
                            return Ok(Answer { status, content_range, body, json: Value::Null });
                        }
                        (429 | 500..=599, _) => Attempt::Retry(format!("HTTP {status}"), retry_after),
                        (200 | 206, Err(error)) => Attempt::Retry(format!("HTTP {status}, body cut: {error}"), None),
                        (_, body) => {
                            let message = body
                                .ok()
                                .and_then(|b| serde_json::from_str::<Value>(&b).ok())
                                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                                .unwrap_or_default();
                            Attempt::Fail(FetchError::Refused { query: shown.clone(), status, message })
                        }
                    }
                }
                Err(
                    error @ (ureq::Error::BadUri(_) | ureq::Error::RequireHttpsOnly(_) | ureq::Error::InvalidProxyUrl),
                ) => Attempt::Fail(FetchError::Refused { query: shown.clone(), status: 0, message: error.to_string() }),
                Err(error) => Attempt::Retry(error.to_string(), None),
            };
            match outcome {
                Attempt::Retry(problem, after) => {
                    self.wait_before_retry(attempt, format!("{shown}: {problem}"), after)?
                }
                Attempt::Fail(error) => return Err(error.redacted(&self.redactor)),
            }
            attempt += 1;
        }
    }
}

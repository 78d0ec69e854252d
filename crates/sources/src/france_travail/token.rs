//! The OAuth2 client-credentials token: requested once, reused until shortly before it
//! expires, dropped when the API answers 401.

use std::time::{Duration, Instant};

/// A token and when to stop using it.
#[derive(Debug, Clone)]
pub struct Token {
    /// The bearer token.
    pub value: String,
    /// After this, ask for a new one (a fifth of its life, at most a minute, before expiry).
    pub refresh_at: Instant,
}

impl Token {
    /// A token announced to last `expires_in` seconds, received now.
    pub fn new(value: String, expires_in: u64) -> Self {
        let lifetime = Duration::from_secs(expires_in);
        let margin = (lifetime / 5).min(Duration::from_secs(60));
        Self { value, refresh_at: Instant::now() + lifetime - margin }
    }

    /// Still worth using.
    pub fn is_fresh(&self) -> bool {
        Instant::now() < self.refresh_at
    }
}

/// The OAuth error of a token endpoint's JSON body (`error: error_description`), never
/// anything of the request.
pub fn oauth_error(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(value) => {
            let field = |name: &str| value.get(name).and_then(serde_json::Value::as_str).unwrap_or("").to_owned();
            format!("{}: {}", field("error"), field("error_description")).trim_matches([':', ' ']).to_owned()
        }
        Err(_) => body.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refreshed_before_it_expires() {
        assert!(Token::new("t".into(), 1499).is_fresh());
        assert!(!Token::new("t".into(), 0).is_fresh());
        // 1499 s → refreshed 60 s before; 10 s → 2 s before.
        let long = Token::new("t".into(), 1499);
        assert!(long.refresh_at < Instant::now() + Duration::from_secs(1440));
    }

    #[test]
    fn oauth_errors_keep_only_the_code_and_description() {
        assert_eq!(
            oauth_error(r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#),
            "invalid_client: Client authentication failed"
        );
        assert_eq!(oauth_error("not json"), "not json");
    }
}

//! Secrets kept out of every message: a server may echo the request (the token form, the
//! `Authorization` header) in an error body, and what it says reaches logs and stderr.
//! Each secret is removed as sent and in the encodings a request carries it in.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// The forms of the secrets to remove, longest first.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    forms: Vec<String>,
}

/// Percent-encoding of every byte but the unreserved ones (`upper`: hex case), with spaces
/// as `+` when `form` (`application/x-www-form-urlencoded`).
fn percent_encoded(text: &str, form: bool, upper: bool) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(byte)),
            b' ' if form => out.push('+'),
            _ if upper => out.push_str(&format!("%{byte:02X}")),
            _ => out.push_str(&format!("%{byte:02x}")),
        }
    }
    out
}

impl Redactor {
    /// Removes `secret` (and its encoded forms) from now on; `user` is the identifier sent
    /// with it in HTTP Basic authentication, if any.
    pub fn add(&mut self, secret: &str, user: Option<&str>) {
        if secret.is_empty() {
            return;
        }
        let mut forms = vec![secret.to_owned()];
        for form in [false, true] {
            for upper in [false, true] {
                forms.push(percent_encoded(secret, form, upper));
            }
        }
        let basic = user.map(|user| format!("{user}:{secret}"));
        for text in std::iter::once(secret).chain(basic.as_deref()) {
            for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
                forms.push(engine.encode(text));
            }
        }
        for form in forms {
            if !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        self.forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    }

    /// `text` without any form of the secrets.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for form in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_of_a_secret_is_removed() {
        let mut redactor = Redactor::default();
        redactor.add("s3cr/t+é x", Some("client"));
        let secret = "s3cr/t+é x";
        let basic = STANDARD.encode("client:s3cr/t+é x");
        for leaked in [
            secret.to_owned(),
            "s3cr%2Ft%2B%C3%A9%20x".to_owned(),
            "s3cr%2ft%2b%c3%a9+x".to_owned(),
            STANDARD.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            format!("Basic {basic}"),
        ] {
            let message = format!("invalid_request: grant_type=client_credentials&client_secret={leaked}&scope=api");
            let redacted = redactor.redact(&message);
            assert!(redacted.contains(REDACTED) && !redacted.contains(&leaked), "{leaked} → {redacted}");
            assert!(
                redacted.starts_with("invalid_request: grant_type=client_credentials&client_secret="),
                "{redacted}"
            );
        }
        assert_eq!(redactor.redact("nothing secret here"), "nothing secret here");
    }
}

//! Which engine runs the staging and mart plans.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// The pipeline's `engine`: `"local"` (default), `"standalone"`, or
/// `{ ballista = "df://HOST:PORT" }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// DataFusion in the `skillgap` process.
    #[default]
    Local,
    /// Apache Ballista with its scheduler and one executor inside the `skillgap` process:
    /// the distributed plans without a cluster (needs the `ballista` build feature).
    Standalone,
    /// An Apache Ballista cluster, reached at its scheduler's URL `df://HOST:PORT`; the run
    /// directory must be on storage every executor reads at the same path (needs the
    /// `ballista` build feature).
    Ballista(String),
}

/// The host and port of `HOST:PORT` (a Ballista scheduler's address).
pub fn host_and_port(address: &str) -> Result<(&str, u16), String> {
    match address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => match port.parse::<u16>() {
            Ok(port) => Ok((host, port)),
            Err(_) => Err(format!("{address:?}: {port:?} is not a port number")),
        },
        _ => Err(format!("{address:?} must be HOST:PORT, as in scheduler:50050")),
    }
}

/// The scheduler's host and port in a Ballista URL (`df://HOST:PORT`).
pub fn scheduler_address(url: &str) -> Result<(&str, u16), String> {
    let address = url
        .strip_prefix("df://")
        .ok_or_else(|| format!("{url:?} must start with df://, as in df://scheduler:50050"))?;
    host_and_port(address)
        .map_err(|message| format!("{url:?} must be df://HOST:PORT, as in df://scheduler:50050 ({message})"))
}

impl Engine {
    /// Checks a Ballista URL's shape (`df://HOST:PORT`).
    pub fn validate(&self) -> Result<(), String> {
        let Self::Ballista(url) = self else { return Ok(()) };
        scheduler_address(url).map(|_| ())
    }
}

impl FromStr for Engine {
    type Err = String;

    /// `local`, `standalone`, or a scheduler URL `df://HOST:PORT`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let engine = match text {
            "local" => Self::Local,
            "standalone" => Self::Standalone,
            url if url.starts_with("df://") => Self::Ballista(url.to_owned()),
            other => return Err(format!("unknown engine {other:?}: expected local, standalone or df://HOST:PORT")),
        };
        engine.validate()?;
        Ok(engine)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local => formatter.write_str("local"),
            Self::Standalone => formatter.write_str("standalone"),
            Self::Ballista(url) => formatter.write_str(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        engine: Engine,
    }

    fn parse(text: &str) -> Engine {
        toml::from_str::<Holder>(text).unwrap().engine
    }

    #[test]
    fn the_three_engines_in_toml_and_on_the_command_line() {
        assert_eq!(parse(r#"engine = "local""#), Engine::Local);
        assert_eq!(parse(r#"engine = "standalone""#), Engine::Standalone);
        assert_eq!(
            parse(r#"engine = { ballista = "df://scheduler:50050" }"#),
            Engine::Ballista("df://scheduler:50050".to_owned())
        );
        assert!(toml::from_str::<Holder>(r#"engine = "spark""#).is_err());
        for text in ["local", "standalone", "df://127.0.0.1:50050"] {
            assert_eq!(text.parse::<Engine>().unwrap().to_string(), text);
        }
        for wrong in ["spark", "df://host", "df://:1", "df://host:99999"] {
            assert!(wrong.parse::<Engine>().is_err(), "{wrong}");
        }
        assert!(Engine::Ballista("http://scheduler:50050".to_owned()).validate().is_err());
    }

    #[test]
    fn scheduler_urls_name_a_host_and_a_port() {
        assert_eq!(scheduler_address("df://127.0.0.1:50050").unwrap(), ("127.0.0.1", 50050));
        assert_eq!(scheduler_address("df://scheduler.internal:6000").unwrap(), ("scheduler.internal", 6000));
        for wrong in ["http://127.0.0.1:50050", "df://127.0.0.1", "df://:50050", "df://host:port", "df://host:70000"] {
            assert!(scheduler_address(wrong).is_err(), "{wrong}");
        }
        assert_eq!(host_and_port("localhost:50050").unwrap(), ("localhost", 50050));
        assert!(host_and_port("localhost").unwrap_err().contains("HOST:PORT"));
        assert!(host_and_port("localhost:x").unwrap_err().contains("not a port number"));
    }
}

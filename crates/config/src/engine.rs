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

impl Engine {
    /// Checks a Ballista URL's shape (`df://HOST:PORT`).
    pub fn validate(&self) -> Result<(), String> {
        let Self::Ballista(url) = self else { return Ok(()) };
        let address = url.strip_prefix("df://").ok_or_else(|| format!("{url:?} must start with df://, as in df://scheduler:50050"))?;
        match address.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
            _ => Err(format!("{url:?} must be df://HOST:PORT, as in df://scheduler:50050")),
        }
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
        assert_eq!(parse(r#"engine = { ballista = "df://scheduler:50050" }"#), Engine::Ballista("df://scheduler:50050".to_owned()));
        assert!(toml::from_str::<Holder>(r#"engine = "spark""#).is_err());
        for text in ["local", "standalone", "df://127.0.0.1:50050"] {
            assert_eq!(text.parse::<Engine>().unwrap().to_string(), text);
        }
        for wrong in ["spark", "df://host", "df://:1", "df://host:99999"] {
            assert!(wrong.parse::<Engine>().is_err(), "{wrong}");
        }
        assert!(Engine::Ballista("http://scheduler:50050".to_owned()).validate().is_err());
    }
}

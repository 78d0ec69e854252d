//! The pipeline file itself: top-level sections, loading and validation.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::fetch::Fetch;
use crate::inputs::Inputs;
use crate::location::{Roots, check_relative, resolve_root};
use crate::output::{Output, OutputLocation};

/// The embedded default pipeline (a copy of `pipelines/demo.toml`).
const EMBEDDED_DEMO: &str = include_str!("../../../pipelines/demo.toml");

/// A pipeline file (`pipelines/<name>.toml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Short name of the pipeline, used in logs and the manifest.
    pub name: String,
    /// One line telling what this pipeline is for.
    #[serde(default)]
    pub description: String,
    /// Named storage roots; every input names one (default `data`).
    pub roots: Roots,
    /// Where each input lives.
    pub inputs: Inputs,
    /// The territorial grid.
    #[serde(default)]
    pub grid: Grid,
    /// Reference-date rules.
    #[serde(default)]
    pub dates: Dates,
    /// Publication thresholds.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Resources the run may use.
    #[serde(default)]
    pub resources: Resources,
    /// The engine that runs the staging and mart plans: `"local"` (default), `"standalone"`
    /// or `{ ballista = "df://HOST:PORT" }` (see docs/distributed.md).
    #[serde(default)]
    pub engine: Engine,
    /// Where outputs are published.
    pub output: Output,
    /// API fetches (`skillgap fetch offers`, `skillgap fetch labour-market`); absent when
    /// inputs are files only.
    #[serde(default)]
    pub fetch: Option<Fetch>,
    /// Directory the relative roots are resolved against (the pipeline file's directory).
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// Where this pipeline was read from (a path, or `<embedded demo>`).
    #[serde(skip)]
    pub source: PathBuf,
    /// The text of the pipeline file, for the manifest's hash.
    #[serde(skip)]
    pub text: String,
}

/// Which partition of communes the bassins are.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// The kind of grid.
    #[serde(default)]
    pub kind: GridKind,
    /// Name of the region, shown on the sheets and the index page.
    #[serde(default = "default_region_label")]
    pub region_label: String,
    /// INSEE code of the region (`32` for Hauts-de-France): which rows of the projections
    /// file are the region's. Needed only when that file holds several regions.
    #[serde(default)]
    pub region_code: Option<String>,
}

/// Kinds of territorial grid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridKind {
    /// France Travail BMO bassins d'emploi: BMO rows join the grid directly.
    #[default]
    BmoBassins,
    /// INSEE zones d'emploi 2020: BMO rows are spread with `bmo_bassins.csv`.
    ZonesEmploi,
    /// Any other partition of communes: BMO rows are spread with `bmo_bassins.csv`.
    Custom,
}

/// Reference-date rules (`metrics.md` § Reference dates).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dates {
    /// Time zone giving "today" when `--as-of` is not given.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Reference date D (`YYYY-MM-DD`) used when `--as-of` is not given; absent means
    /// today in `timezone`. The demo pins it to the fixtures' extraction date.
    #[serde(default)]
    pub as_of: Option<chrono::NaiveDate>,
}

impl Default for Dates {
    fn default() -> Self {
        Self { timezone: default_timezone(), as_of: None }
    }
}

/// Thresholds of `metrics.md`; the defaults are the specification's.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// A rate whose denominator is below this (or NULL) is NULL (`MIN_DENOM`).
    #[serde(default = "default_min_denom")]
    pub min_denom: f64,
    /// Person counts from 1 to `min_count − 1` are never published (`MIN_COUNT`).
    #[serde(default = "default_min_count")]
    pub min_count: i64,
    /// A run fails when one input's share of rejected rows exceeds this.
    #[serde(default = "default_max_reject_ratio")]
    pub max_reject_ratio: f64,
    /// Published person counts are rounded to the nearest multiple of this (France
    /// Travail rounds its own statistics to tens); 1 publishes them exact.
    #[serde(default = "default_rounding_base")]
    pub rounding_base: i64,
    /// The narrowest interval the published figures may leave a suppressed count in
    /// (the disclosure audit); MIN_COUNT when absent.
    #[serde(default)]
    pub protection_range: Option<f64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_denom: default_min_denom(),
            min_count: default_min_count(),
            max_reject_ratio: default_max_reject_ratio(),
            rounding_base: default_rounding_base(),
            protection_range: None,
        }
    }
}

impl Thresholds {
    /// The audit's protection range: `protection_range`, else MIN_COUNT.
    pub fn protection(&self) -> f64 {
        self.protection_range.unwrap_or(self.min_count as f64)
    }
}

/// What a run may use of the machine.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Memory (MiB) the query engine's sorts, aggregations and joins may hold, shared by
    /// every stage of a run; beyond it they spill to temporary files (`TMPDIR`). The
    /// process's peak RSS is about this plus the readers' buffers and the engine's
    /// untracked memory (measured in docs/benchmarks.md). An operator that
    /// cannot spill (a hash join's build side) and needs more stops the run with exit code 10.
    #[serde(default = "default_memory_limit_mib")]
    pub memory_limit_mib: usize,
}

impl Default for Resources {
    fn default() -> Self {
        Self { memory_limit_mib: default_memory_limit_mib() }
    }
}

/// Default memory limit of the query engine: 2 GiB.
pub fn default_memory_limit_mib() -> usize {
    2048
}

/// Default region label.
pub fn default_region_label() -> String {
    "Région".to_owned()
}
/// Default time zone: `Europe/Paris`.
pub fn default_timezone() -> String {
    "Europe/Paris".to_owned()
}
/// Default `MIN_DENOM`: 20.
pub fn default_min_denom() -> f64 {
    20.0
}
/// Default rounding base of published person counts: 10.
pub fn default_rounding_base() -> i64 {
    10
}

/// Default `MIN_COUNT`: 5.
pub fn default_min_count() -> i64 {
    5
}
/// Default `max_reject_ratio`: 5 %.
pub fn default_max_reject_ratio() -> f64 {
    0.05
}

impl Pipeline {
    /// Reads and validates a pipeline file; relative roots resolve against its directory.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(&text, path, &base_dir)
    }

    /// The embedded default pipeline, resolved as if it were `<dir>/pipelines/demo.toml`.
    pub fn embedded_demo(dir: &Path) -> Result<Self> {
        Self::parse(EMBEDDED_DEMO, Path::new("<embedded demo>"), &dir.join("pipelines"))
    }

    /// Parses and validates pipeline text.
    pub fn parse(text: &str, source: &Path, base_dir: &Path) -> Result<Self> {
        let mut pipeline: Pipeline = toml::from_str(text)
            .map_err(|error| Error::Parse { path: source.to_path_buf(), message: error.to_string() })?;
        pipeline.base_dir = base_dir.to_path_buf();
        pipeline.source = source.to_path_buf();
        pipeline.text = text.to_owned();
        pipeline.validate()?;
        Ok(pipeline)
    }

    fn invalid(&self, field: &str, message: impl Into<String>) -> Error {
        Error::Invalid { path: self.source.clone(), field: field.to_owned(), message: message.into() }
    }

    fn validate(&self) -> Result<()> {
        let t = &self.thresholds;
        if !(t.min_denom.is_finite() && t.min_denom >= 0.0) {
            return Err(self.invalid("thresholds.min_denom", "must be a non-negative number"));
        }
        if t.min_count < 1 {
            return Err(self.invalid("thresholds.min_count", "must be at least 1"));
        }
        if t.rounding_base < 1 {
            return Err(self.invalid("thresholds.rounding_base", "must be at least 1"));
        }
        if t.protection_range.is_some_and(|p| !p.is_finite() || p < 0.0) {
            return Err(self.invalid("thresholds.protection_range", "must be a number of persons, 0 or more"));
        }
        if !(0.0..=1.0).contains(&t.max_reject_ratio) {
            return Err(self.invalid("thresholds.max_reject_ratio", "must be between 0 and 1"));
        }
        if self.grid.kind != GridKind::BmoBassins && self.inputs.territories.bmo_bassins.is_none() {
            return Err(self.invalid(
                "inputs.territories.bmo_bassins",
                "is required when grid.kind is not bmo_bassins: it spreads BMO bassins onto the grid",
            ));
        }
        if self.inputs.territories.bassins.is_some() && self.inputs.territories.commune_polygons.is_some() {
            return Err(self.invalid(
                "inputs.territories.commune_polygons",
                "gives the grid's polygons, and so does inputs.territories.bassins: keep one",
            ));
        }
        self.output.validate().map_err(|(field, message)| self.invalid(&field, message))?;
        self.engine.validate().map_err(|message| self.invalid("engine", message))?;
        for (field, root, path) in self.input_paths() {
            if !self.roots.contains_key(&root) {
                let known: Vec<&str> = self.roots.keys().map(String::as_str).collect();
                return Err(self.invalid(
                    &field,
                    format!("names root `{root}`, which `[roots]` does not define (known: {})", known.join(", ")),
                ));
            }
            check_relative(&path).map_err(|message| self.invalid(&field, message))?;
        }
        for (_, field, input) in self.inputs.tables() {
            let Some(input) = input else { continue };
            let delimiter = input.delimiter;
            if !delimiter.is_ascii() || delimiter == '"' || delimiter == '\n' || delimiter == '\r' {
                return Err(self.invalid(
                    &format!("{field}.delimiter"),
                    format!("`{delimiter}` cannot be a CSV delimiter: it must be one ASCII character other than a quote or a line break"),
                ));
            }
            let workbook = input.format() != crate::TableFormat::Csv;
            if input.sheet.is_some() && !workbook {
                return Err(self.invalid(
                    &format!("{field}.sheet"),
                    "a sheet is a workbook's (format xlsx or xls), and this input is read as CSV",
                ));
            }
            for (column, values) in &input.filter {
                if values.values().is_empty() {
                    return Err(
                        self.invalid(&format!("{field}.filter.{column}"), "lists no value: no row would be read")
                    );
                }
            }
        }
        Ok(())
    }

    /// Every (field, root, path) of the inputs, for validation.
    fn input_paths(&self) -> Vec<(String, String, String)> {
        let i = &self.inputs;
        let mut out = Vec::new();
        for (index, path) in i.offers.paths.iter().enumerate() {
            out.push((format!("inputs.offers.paths[{index}]"), i.offers.root.clone(), path.clone()));
        }
        if let Some(lheo) = &i.lheo {
            for (index, path) in lheo.paths.iter().enumerate() {
                out.push((format!("inputs.lheo.paths[{index}]"), lheo.root.clone(), path.clone()));
            }
        }
        for (_, field, input) in i.tables() {
            if let Some(input) = input {
                out.push((format!("{field}.path"), input.root.clone(), input.path.clone()));
            }
        }
        if let Some(bassins) = &i.territories.bassins {
            out.push(("inputs.territories.bassins.path".to_owned(), bassins.root.clone(), bassins.path.clone()));
        }
        if let Some(polygons) = &i.territories.commune_polygons {
            out.push((
                "inputs.territories.commune_polygons.path".to_owned(),
                polygons.root.clone(),
                polygons.path.clone(),
            ));
        }
        out
    }

    /// The absolute or cwd-relative path of an input, checked to stay inside its root.
    pub fn resolve(&self, root: &str, path: &str) -> Result<PathBuf> {
        let directory =
            self.roots.get(root).ok_or_else(|| self.invalid("roots", format!("root `{root}` is not defined")))?;
        check_relative(path).map_err(|message| self.invalid("inputs", message))?;
        Ok(resolve_root(&self.base_dir, directory).join(path))
    }

    /// The local output directory, resolved against the pipeline file's directory: the
    /// output itself, or the working directory of an `s3://` output.
    pub fn output_dir(&self) -> PathBuf {
        match &self.output.work_dir {
            Some(work_dir) if self.output.is_remote() => resolve_root(&self.base_dir, work_dir),
            _ => resolve_root(&self.base_dir, &self.output.root),
        }
    }

    /// Where the outputs are published: a local directory or an S3-compatible bucket.
    pub fn output_location(&self) -> OutputLocation {
        OutputLocation::parse(&self.output.root, &self.base_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_demo_parses_with_the_specification_defaults() {
        let pipeline = Pipeline::embedded_demo(Path::new("/repo")).unwrap();
        assert_eq!(pipeline.name, "demo");
        assert_eq!(pipeline.thresholds.min_denom, 20.0);
        assert_eq!(pipeline.thresholds.min_count, 5);
        assert_eq!(pipeline.thresholds.max_reject_ratio, 0.05);
        assert_eq!(pipeline.output_dir(), Path::new("/repo/out/demo"));
        assert_eq!(pipeline.dates.as_of, chrono::NaiveDate::from_ymd_opt(2026, 11, 26));
    }

    #[test]
    fn a_reference_date_that_is_not_a_date_is_an_error_naming_the_line() {
        let text = EMBEDDED_DEMO.replace("as_of = \"2026-11-26\"", "as_of = \"2026-11-31\"");
        assert_ne!(text, EMBEDDED_DEMO);
        let error = Pipeline::parse(&text, Path::new("x.toml"), Path::new(".")).unwrap_err().to_string();
        assert!(error.contains("x.toml") && error.contains("as_of") && error.contains("line"), "{error}");
    }

    #[test]
    fn an_unknown_field_is_an_error_naming_the_field_and_line() {
        let text = EMBEDDED_DEMO.replace("[thresholds]", "[thresholds]\nmin_denum = 3");
        let error = Pipeline::parse(&text, Path::new("x.toml"), Path::new(".")).unwrap_err().to_string();
        assert!(error.contains("x.toml"), "{error}");
        assert!(error.contains("min_denum"), "{error}");
        assert!(error.contains("line"), "{error}");
    }

    #[test]
    fn an_input_escaping_its_root_is_refused() {
        let text = EMBEDDED_DEMO.replace("path = \"territories/communes.csv\"", "path = \"../../etc/passwd\"");
        assert_ne!(text, EMBEDDED_DEMO);
        let error = Pipeline::parse(&text, Path::new("x.toml"), Path::new(".")).unwrap_err().to_string();
        assert!(error.contains("inputs.territories.communes.path"), "{error}");
    }

    #[test]
    fn tabular_settings_are_checked_where_they_are_read() {
        let bad_delimiter = EMBEDDED_DEMO.replace(
            "path = \"bmo/bmo_2026.csv\"\ndelimiter = \";\"",
            "path = \"bmo/bmo_2026.csv\"\ndelimiter = \"§\"",
        );
        assert_ne!(bad_delimiter, EMBEDDED_DEMO);
        let error = Pipeline::parse(&bad_delimiter, Path::new("x.toml"), Path::new(".")).unwrap_err().to_string();
        assert!(error.contains("inputs.bmo.delimiter") && error.contains("§"), "{error}");
        // Every tabular input is checked, not a hand-picked few.
        let nsf = EMBEDDED_DEMO
            .replace("path = \"referentials/nsf.csv\"", "path = \"referentials/nsf.csv\"\ndelimiter = \"é\"");
        let error = Pipeline::parse(&nsf, Path::new("x.toml"), Path::new(".")).unwrap_err().to_string();
        assert!(error.contains("inputs.nsf.delimiter"), "{error}");
        let sheet = EMBEDDED_DEMO
            .replace("path = \"referentials/nsf.csv\"", "path = \"referentials/nsf.csv\"\nsheet = \"NSF\"");
        let error = Pipeline::parse(&sheet, Path::new("x.toml"), Path::new(".")).unwrap_err().to_string();
        assert!(error.contains("inputs.nsf.sheet"), "{error}");
        let encoding = EMBEDDED_DEMO
            .replace("path = \"referentials/nsf.csv\"", "path = \"referentials/nsf.csv\"\nencoding = \"klingon\"");
        let error = Pipeline::parse(&encoding, Path::new("x.toml"), Path::new(".")).unwrap_err().to_string();
        assert!(error.contains("klingon") && error.contains("encoding"), "{error}");
        let national = EMBEDDED_DEMO.replace(
            "path = \"bmo/bmo_2026.csv\"",
            "path = \"bmo/bmo_2024.xlsx\"\nsheet = \"BMO_2024_open_data\"\nfilter = { REG = \"32\" }",
        );
        let pipeline = Pipeline::parse(&national, Path::new("x.toml"), Path::new(".")).unwrap();
        assert_eq!(pipeline.inputs.bmo.format(), crate::TableFormat::Xlsx);
        assert_eq!(pipeline.inputs.bmo.filter["REG"].values(), ["32"]);
    }

    #[test]
    fn an_undefined_root_is_refused() {
        let text = EMBEDDED_DEMO.replace("path = \"territories/communes.csv\"", "root = \"nowhere\"\npath = \"c.csv\"");
        let error = Pipeline::parse(&text, Path::new("x.toml"), Path::new(".")).unwrap_err().to_string();
        assert!(error.contains("nowhere"), "{error}");
    }
}

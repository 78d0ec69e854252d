//! The `[inputs]` section: one entry per input of `inputs.md`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::location::default_root;

/// Every input of a run. Optional inputs that are absent simply feed no column.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// Job offers: files of France Travail *Offres d'emploi v2* objects (API pages,
    /// JSON arrays or NDJSON, optionally `.gz`). A directory means every file in it.
    pub offers: FilesInput,
    /// Training catalogue: LHEO XML files (optional until the supply side is configured).
    #[serde(default)]
    pub lheo: Option<FilesInput>,
    /// Session outcomes CSV (`session_id`, `entrees`, …).
    #[serde(default)]
    pub session_outcomes: Option<TableInput>,
    /// Registered jobseekers by territory, ROME and month (or quarter); optional when
    /// they come from the Marché du travail API (`[fetch.labour_market]`).
    #[serde(default)]
    pub jobseekers: Option<TableInput>,
    /// The BMO hiring survey as France Travail publishes it (the national XLSX, or its
    /// CSV export): `annee`, `code_metier_bmo`, `nom_metier_bmo`, `code_region` (`REG`),
    /// `code_departement` (`Dept`), `code_bassin_bmo` (`BE*`), `nom_bassin_bmo` (`NOMBE*`),
    /// `met`, `xmet`, `smet`.
    pub bmo: TableInput,
    /// The territorial grid.
    pub territories: TerritoriesInputs,
    /// ROME referential: `code_rome`, `libelle_rome`, `code_metier_bmo`, `code_fap`, `secteur`.
    pub rome: TableInput,
    /// ROME ↔ Formacode crosswalk: `code_rome`, `formacode`.
    pub rome_formacode: TableInput,
    /// Formacode referential: `formacode`, `libelle`, `code_nsf`.
    pub formacode: TableInput,
    /// NSF referential: `code_nsf`, `libelle_nsf`.
    pub nsf: TableInput,
    /// *Les métiers en 2030* regional projections, CSV export of the `données` sheet:
    /// `code_fap`, `libelle_fap`, `region`, `emploi_2019`, `creations_nettes`,
    /// `departs_fin_carriere`, `jeunes_debutants`, `solde_mobilites`, `desequilibre`,
    /// `postes_a_pourvoir` (thousands, 2019–2030), optional `niveau_tension_2019`; map the
    /// file's own headers with `columns`.
    #[serde(default)]
    pub projections: Option<TableInput>,
    /// Employment by territory and FAP (`code_territoire`, `type_territoire` — commune or
    /// bassin —, `code_fap`, `emploi`), to share the projections among bassins.
    #[serde(default)]
    pub employment: Option<TableInput>,
}

impl Inputs {
    /// Every tabular input: (name, field of the pipeline file, the input when configured).
    /// The one list that validation and ingestion walk.
    pub fn tables(&self) -> Vec<(&'static str, &'static str, Option<&TableInput>)> {
        vec![
            ("communes", "inputs.territories.communes", Some(&self.territories.communes)),
            ("rome", "inputs.rome", Some(&self.rome)),
            ("rome_formacode", "inputs.rome_formacode", Some(&self.rome_formacode)),
            ("formacode", "inputs.formacode", Some(&self.formacode)),
            ("nsf", "inputs.nsf", Some(&self.nsf)),
            ("jobseekers", "inputs.jobseekers", self.jobseekers.as_ref()),
            ("bmo", "inputs.bmo", Some(&self.bmo)),
            ("bmo_bassins", "inputs.territories.bmo_bassins", self.territories.bmo_bassins.as_ref()),
            ("session_outcomes", "inputs.session_outcomes", self.session_outcomes.as_ref()),
            ("projections", "inputs.projections", self.projections.as_ref()),
            ("employment", "inputs.employment", self.employment.as_ref()),
        ]
    }
}

/// Territorial inputs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerritoriesInputs {
    /// `communes.csv`: `code_commune`, `code_bassin`, optional `libelle_commune`,
    /// `code_postal`, `libelle_bassin`, `code_departement`.
    pub communes: TableInput,
    /// `bassins.geojson`: one (Multi)Polygon per bassin, used to place points.
    #[serde(default)]
    pub bassins: Option<GeoJsonInput>,
    /// Instead of `bassins`: one (Multi)Polygon per commune (Admin Express), dissolved into
    /// the bassins of `communes` (`code_property` is the commune's INSEE code).
    #[serde(default)]
    pub commune_polygons: Option<GeoJsonInput>,
    /// `bmo_bassins.csv`: BMO bassin → grid bassin with weights, when the grid is not the
    /// BMO bassins.
    #[serde(default)]
    pub bmo_bassins: Option<TableInput>,
}

/// One or more files of the same format.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesInput {
    /// Name of the root in `[roots]`.
    #[serde(default = "default_root")]
    pub root: String,
    /// Files or directories inside the root; a directory stands for its files, in name order.
    pub paths: Vec<String>,
    /// Vintage of the data (extraction date or *millésime*), recorded in the manifest.
    #[serde(default)]
    pub vintage: Option<String>,
}

/// A tabular file: CSV (any delimiter, UTF-8 or a single-byte encoding), or a sheet of an
/// XLSX or XLS workbook, as published.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableInput {
    /// Name of the root in `[roots]`.
    #[serde(default = "default_root")]
    pub root: String,
    /// Path inside the root (`.gz` is decompressed; a directory stands for its files).
    pub path: String,
    /// Vintage of the data, recorded in the manifest.
    #[serde(default)]
    pub vintage: Option<String>,
    /// `csv`, `xlsx` or `xls`; by default from the file name (`.xlsx`/`.xlsm`, `.xls`,
    /// anything else CSV).
    #[serde(default)]
    pub format: Option<TableFormat>,
    /// The sheet of a workbook, by name (by default the first one).
    #[serde(default)]
    pub sheet: Option<String>,
    /// Rows before the header row (titles, notes above the table).
    #[serde(default)]
    pub skip_rows: usize,
    /// Encoding of a CSV file: `utf-8` (with or without BOM, the default), `windows-1252`,
    /// `iso-8859-1` or `iso-8859-15`.
    #[serde(default)]
    pub encoding: TextEncoding,
    /// Field delimiter of a CSV file, one ASCII character.
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Only the rows whose columns (by their header in the file) hold one of these values,
    /// e.g. `{ REG = "32" }` for a national file; other rows are neither read nor rejects.
    #[serde(default)]
    pub filter: BTreeMap<String, FilterValues>,
    /// Header names in this file for columns that do not use the canonical name, e.g.
    /// `{ code_commune = "CODGEO", code_bassin = "ZE2020" }` for INSEE's table. A name
    /// ending in `*` matches that prefix followed by two digits (`BE*` matches `BE24`).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

/// Formats of a tabular input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    /// Delimited text.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
    /// Excel 97–2003 workbook.
    Xls,
}

/// Text encodings of CSV inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    #[serde(rename = "utf-8", alias = "UTF-8", alias = "utf8")]
    Utf8,
    /// Windows-1252 (what Excel writes for « CSV » on a French Windows).
    #[serde(rename = "windows-1252", alias = "cp1252", alias = "Windows-1252")]
    Windows1252,
    /// ISO-8859-1 (Latin-1), read as its superset Windows-1252.
    #[serde(rename = "iso-8859-1", alias = "latin1", alias = "ISO-8859-1")]
    Iso8859_1,
    /// ISO-8859-15 (Latin-9, with €).
    #[serde(rename = "iso-8859-15", alias = "latin9", alias = "ISO-8859-15")]
    Iso8859_15,
}

/// One value or several, in a row filter.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum FilterValues {
    /// `REG = "32"`.
    One(String),
    /// `REG = ["32", "11"]`.
    Many(Vec<String>),
}

impl FilterValues {
    /// The accepted values.
    pub fn values(&self) -> &[String] {
        match self {
            Self::One(value) => std::slice::from_ref(value),
            Self::Many(values) => values,
        }
    }
}

impl TableInput {
    /// The format: as configured, else from the file name.
    pub fn format(&self) -> TableFormat {
        self.format.unwrap_or_else(|| {
            let name = self.path.to_ascii_lowercase();
            if name.ends_with(".xlsx") || name.ends_with(".xlsm") {
                TableFormat::Xlsx
            } else if name.ends_with(".xls") {
                TableFormat::Xls
            } else {
                TableFormat::Csv
            }
        })
    }
}

/// A GeoJSON FeatureCollection of bassin polygons.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoJsonInput {
    /// Name of the root in `[roots]`.
    #[serde(default = "default_root")]
    pub root: String,
    /// Path inside the root.
    pub path: String,
    /// Vintage of the grid, recorded in the manifest.
    #[serde(default)]
    pub vintage: Option<String>,
    /// Feature property holding the bassin code.
    #[serde(default = "default_code_property")]
    pub code_property: String,
    /// Feature property holding the bassin label.
    #[serde(default = "default_label_property")]
    pub label_property: String,
    /// Feature property holding the département code.
    #[serde(default = "default_departement_property")]
    pub departement_property: String,
}

fn default_code_property() -> String {
    "code_bassin".to_owned()
}
fn default_label_property() -> String {
    "libelle_bassin".to_owned()
}
fn default_departement_property() -> String {
    "code_departement".to_owned()
}

/// Default CSV delimiter: `,`.
pub fn default_delimiter() -> char {
    ','
}

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
    pub session_outcomes: Option<CsvInput>,
    /// Registered jobseekers by territory, ROME and month.
    pub jobseekers: CsvInput,
    /// The BMO hiring survey, France Travail open-data layout.
    pub bmo: BmoInput,
    /// The territorial grid.
    pub territories: TerritoriesInputs,
    /// ROME referential: `code_rome`, `libelle_rome`, `code_metier_bmo`, `code_fap`, `secteur`.
    pub rome: CsvInput,
    /// ROME ↔ Formacode crosswalk: `code_rome`, `formacode`.
    pub rome_formacode: CsvInput,
    /// Formacode referential: `formacode`, `libelle`, `code_nsf`.
    pub formacode: CsvInput,
    /// NSF referential: `code_nsf`, `libelle_nsf`.
    pub nsf: CsvInput,
    /// *Les métiers en 2030* regional projections, CSV export of the `données` sheet:
    /// `code_fap`, `libelle_fap`, `region`, `emploi_2019`, `creations_nettes`,
    /// `departs_fin_carriere`, `jeunes_debutants`, `solde_mobilites`, `desequilibre`,
    /// `postes_a_pourvoir` (thousands, 2019–2030), optional `niveau_tension_2019`; map the
    /// file's own headers with `columns`.
    #[serde(default)]
    pub projections: Option<CsvInput>,
    /// Employment by territory and FAP (`code_territoire`, `type_territoire` — commune or
    /// bassin —, `code_fap`, `emploi`), to share the projections among bassins.
    #[serde(default)]
    pub employment: Option<CsvInput>,
}

/// Territorial inputs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerritoriesInputs {
    /// `communes.csv`: `code_commune`, `libelle_commune`, `code_bassin`, optional `code_postal`.
    pub communes: CsvInput,
    /// `bassins.geojson`: one (Multi)Polygon per bassin, used to place points.
    #[serde(default)]
    pub bassins: Option<GeoJsonInput>,
    /// `bmo_bassins.csv`: BMO bassin → grid bassin with weights, when the grid is not the
    /// BMO bassins.
    #[serde(default)]
    pub bmo_bassins: Option<CsvInput>,
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

/// A CSV file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvInput {
    /// Name of the root in `[roots]`.
    #[serde(default = "default_root")]
    pub root: String,
    /// Path inside the root (`.gz` is decompressed).
    pub path: String,
    /// Vintage of the data, recorded in the manifest.
    #[serde(default)]
    pub vintage: Option<String>,
    /// Field delimiter, one ASCII character.
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Header names in this file for columns that do not use the canonical name, e.g.
    /// `{ code_commune = "CODGEO", code_bassin = "ZE2020" }` for INSEE's table.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
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

/// The BMO CSV, whose column names vary by year.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BmoInput {
    /// Name of the root in `[roots]`.
    #[serde(default = "default_root")]
    pub root: String,
    /// Path inside the root.
    pub path: String,
    /// Vintage (survey year), recorded in the manifest.
    #[serde(default)]
    pub vintage: Option<String>,
    /// Field delimiter (the open-data CSV export uses `;`).
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Column names of this year's file.
    #[serde(default)]
    pub columns: BmoColumns,
}

/// Column names of a BMO file. `BE*` / `NOMBE*` match the first header of the form
/// `BE<yy>` / `NOMBE<yy>`, so files of any year load without a change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BmoColumns {
    /// Survey year.
    #[serde(default = "default_bmo_annee")]
    pub annee: String,
    /// BMO métier code.
    #[serde(default = "default_bmo_code_metier")]
    pub code_metier: String,
    /// BMO métier label.
    #[serde(default = "default_bmo_nom_metier")]
    pub nom_metier: String,
    /// Region code (padded to 2 characters).
    #[serde(default = "default_bmo_region")]
    pub region: String,
    /// Département code.
    #[serde(default = "default_bmo_departement")]
    pub departement: String,
    /// BMO bassin code (padded to 4 characters); `BE*` = the `BE<yy>` column.
    #[serde(default = "default_bmo_bassin")]
    pub bassin: String,
    /// BMO bassin label; `NOMBE*` = the `NOMBE<yy>` column.
    #[serde(default = "default_bmo_nom_bassin")]
    pub nom_bassin: String,
    /// Hiring projects.
    #[serde(default = "default_bmo_met")]
    pub met: String,
    /// Of which judged difficult.
    #[serde(default = "default_bmo_xmet")]
    pub xmet: String,
    /// Of which seasonal.
    #[serde(default = "default_bmo_smet")]
    pub smet: String,
}

impl Default for BmoColumns {
    fn default() -> Self {
        Self {
            annee: default_bmo_annee(),
            code_metier: default_bmo_code_metier(),
            nom_metier: default_bmo_nom_metier(),
            region: default_bmo_region(),
            departement: default_bmo_departement(),
            bassin: default_bmo_bassin(),
            nom_bassin: default_bmo_nom_bassin(),
            met: default_bmo_met(),
            xmet: default_bmo_xmet(),
            smet: default_bmo_smet(),
        }
    }
}

/// Default CSV delimiter: `,`.
pub fn default_delimiter() -> char {
    ','
}
fn default_bmo_annee() -> String {
    "annee".to_owned()
}
fn default_bmo_code_metier() -> String {
    "code_metier_bmo".to_owned()
}
fn default_bmo_nom_metier() -> String {
    "nom_metier_bmo".to_owned()
}
fn default_bmo_region() -> String {
    "REG".to_owned()
}
fn default_bmo_departement() -> String {
    "Dept".to_owned()
}
fn default_bmo_bassin() -> String {
    "BE*".to_owned()
}
fn default_bmo_nom_bassin() -> String {
    "NOMBE*".to_owned()
}
fn default_bmo_met() -> String {
    "met".to_owned()
}
fn default_bmo_xmet() -> String {
    "xmet".to_owned()
}
fn default_bmo_smet() -> String {
    "smet".to_owned()
}

//! Shared helpers of the run crate's integration tests: writing a tiny pipeline in a
//! temporary directory and reading result columns back.

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};
use skillgap_config::Pipeline;

/// Writes `files` (relative path → content) under `dir/data` and a pipeline using them.
pub fn write_pipeline(dir: &Path, files: &[(&str, &str)], extra_toml: &str) -> PathBuf {
    for (relative, content) in files {
        let path = dir.join("data").join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let pipeline = format!("{}\n{extra_toml}\n", include_str!("../../../../tests/minimal-pipeline.toml"));
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, pipeline).unwrap();
    path
}

/// The referentials every small test uses.
pub const REFERENTIALS: [(&str, &str); 4] = [
    (
        "rome.csv",
        "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nA1111,Métier A,M1,M1Z,santé\nB2222,Métier B,M1,M1Z,santé\nC3333,Métier C,M2,M2Z,BTP\n",
    ),
    ("rome_formacode.csv", "code_rome,formacode\nA1111,11111\n"),
    ("formacode.csv", "formacode,libelle,code_nsf\n11111,Formation A,331\n"),
    ("nsf.csv", "code_nsf,libelle_nsf\n331,Santé\n"),
];

/// Runs the pipeline file `path` at reference date `as_of` (`YYYY-MM-DD`, a test literal:
/// a typo panics), as a plain run into the pipeline's own output.
pub async fn run_at(path: &Path, as_of: &str) -> skillgap_run::Result<skillgap_run::RunReport> {
    let as_of = Some(as_of.parse().unwrap());
    skillgap_run::run(skillgap_run::RunRequest { pipeline: load(path), as_of, semester: None, output: None }).await
}

/// Loads a pipeline file.
pub fn load(path: &Path) -> Pipeline {
    Pipeline::load(path).unwrap()
}

/// A row of a result, by column name.
pub struct Row<'a> {
    /// The result batch.
    pub batch: &'a RecordBatch,
    /// The row's index in it.
    pub index: usize,
}

impl Row<'_> {
    fn column(&self, name: &str) -> &dyn Array {
        self.batch.column_by_name(name).unwrap_or_else(|| panic!("no column {name}")).as_ref()
    }
    /// An Int64 value.
    pub fn int(&self, name: &str) -> Option<i64> {
        let column = self.column(name).as_primitive::<Int64Type>();
        (!column.is_null(self.index)).then(|| column.value(self.index))
    }
    /// A Float64 value.
    pub fn float(&self, name: &str) -> Option<f64> {
        let column = self.column(name).as_primitive::<Float64Type>();
        (!column.is_null(self.index)).then(|| column.value(self.index))
    }
    /// A Utf8 value.
    pub fn text(&self, name: &str) -> Option<String> {
        let column = self.column(name).as_string::<i32>();
        (!column.is_null(self.index)).then(|| column.value(self.index).to_owned())
    }
    /// A Boolean value.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        let column = self.column(name).as_boolean();
        (!column.is_null(self.index)).then(|| column.value(self.index))
    }
}

/// Asserts two optional floats are equal within 1e-9.
#[track_caller]
pub fn assert_close(actual: Option<f64>, expected: Option<f64>, what: &str) {
    match (actual, expected) {
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{what}: {a} ≠ {e}"),
        (None, None) => {}
        _ => panic!("{what}: {actual:?} ≠ {expected:?}"),
    }
}

//! `docs/tables.md` is generated from `schemas/*.yml` and kept in sync.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn docs_tables_md_matches_the_specifications() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/tables.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = skillgap_models::render_tables_markdown().unwrap();
    assert!(
        committed == generated,
        "docs/tables.md is out of date: run `cargo run -q -p skillgap-cli -- docs tables > docs/tables.md`"
    );
}

#[test]
fn every_yaml_file_in_schemas_is_embedded() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let specs = skillgap_models::table_specs().unwrap();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(specs.iter().any(|s| s.table == stem), "schemas/{stem}.yml is not embedded in skillgap-models");
    }
}

//! Every pipeline file of the repository parses and validates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn every_file_in_pipelines_parses() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines");
    let mut count = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let pipeline = skillgap_config::Pipeline::load(&path).unwrap_or_else(|error| panic!("{error}"));
            assert!(!pipeline.name.is_empty());
            count += 1;
        }
    }
    assert!(count >= 1, "no pipeline file found in {}", directory.display());
}

#[test]
fn the_embedded_default_is_pipelines_demo_toml() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let embedded = skillgap_config::Pipeline::embedded_demo(&directory).unwrap();
    let file = skillgap_config::Pipeline::load(&directory.join("pipelines/demo.toml")).unwrap();
    assert_eq!(embedded.text, file.text);
    assert_eq!(embedded.output_dir(), file.output_dir());
}

//! End-to-end tests of a skillgap run, one module per concern. They form a single test
//! binary: each integration-test file would otherwise be its own executable linking all
//! of DataFusion (≈ 0.5 GB each in a debug build), which filled CI's disk.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_grid;
mod bad_input;
mod determinism;
mod expected;
mod gold_tables;
mod hand_computed;
mod long_term_gap;
mod nightly;
mod offers_input;
mod properties;
mod real_geometry;
mod referentials;
mod sessions;
mod sheets;
#[allow(dead_code)]
mod support;

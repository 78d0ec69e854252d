//! The pipeline file format: where each input lives, the territorial grid, thresholds,
//! reference-date rules and the output location. Pure serde + TOML, no DataFusion.
//!
//! A pipeline file is read with [`Pipeline::load`] (or [`Pipeline::embedded_demo`] for the
//! embedded default). Every struct rejects unknown fields, so a typo is an error naming the
//! file, line and field instead of a silently ignored setting.

mod engine;
mod error;
mod fetch;
mod inputs;
mod location;
mod output;
mod pipeline;
mod semester;

pub use engine::{Engine, host_and_port, scheduler_address};
pub use error::{Error, Result};
pub use fetch::{Fetch, LabourMarketApi, LabourMarketIndicator, OffersApi};
pub use inputs::{
    FilesInput, FilterValues, GeoJsonInput, Inputs, TableFormat, TableInput, TerritoriesInputs, TextEncoding,
};
pub use location::{InputLocation, Roots};
pub use output::{Output, OutputLocation, S3Settings, parse_s3_url};
pub use pipeline::{Dates, Grid, GridKind, Pipeline, Thresholds};
pub use semester::Semester;

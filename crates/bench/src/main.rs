//! Benchmark drivers for `make bench`, kept out of the `skillgap` binary. Each prints one
//! JSON object of measurements on standard output; `bench/run.py` runs them beside the
//! reference tools on the same files and writes `docs/benchmarks.md`.
//!
//! `skillgap-bench geocode ZONES.geojson CODE_PROPERTY POINTS N SEED RESULTS`: writes N
//! seeded points over the zones' bounding box to POINTS (CSV), places them with the
//! pipeline's `bassin_at_point` SQL function, writes one code per line to RESULTS.
//!
//! `skillgap-bench lheo-write SOURCE.xml[.gz] OUT.xml MEGABYTES`: writes a catalogue of at
//! least MEGABYTES by repeating SOURCE's formations, their `numero`s made unique per copy.
//!
//! `skillgap-bench offers-write N OUT.ndjson.gz`: N generated offers in the API's JSON
//! shape, one a line, gzip.
//!
//! `skillgap-bench run PIPELINE.toml`: one pipeline run; reports the stage durations and
//! the offers read and kept.
//!
//! `skillgap-bench lheo-read CATALOGUE.xml`: reads it with the pipeline's LHEO reader and
//! reports bytes, formations, sessions, the sum of known places and the time taken.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use arrow::array::{Array, AsArray, Float64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use rand::{Rng, SeedableRng};
use skillgap_models::{BassinIndex, register_batches, register_geocoder};
use skillgap_sources::{BassinProperties, read_bassins};

async fn geocode(arguments: &[String]) -> anyhow::Result<serde_json::Value> {
    let [zones, code_property, points_path, count, seed, results_path] = arguments else {
        bail!("usage: skillgap-bench geocode ZONES.geojson CODE_PROPERTY POINTS.csv N SEED RESULTS.txt");
    };
    let count: usize = count.parse().context("N")?;
    let seed: u64 = seed.parse().context("SEED")?;
    let properties = BassinProperties { code: code_property, ..BassinProperties::default() };
    let bassins = read_bassins(std::path::Path::new(zones), &properties)?;
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for bassin in &bassins {
        for polygon in &bassin.geometry.0 {
            for c in polygon.exterior().coords() {
                (min_x, min_y, max_x, max_y) = (min_x.min(c.x), min_y.min(c.y), max_x.max(c.x), max_y.max(c.y));
            }
        }
    }
    // Points rounded to 6 decimals and written first: both tools read the same numbers.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut file = std::io::BufWriter::new(std::fs::File::create(points_path)?);
    writeln!(file, "longitude,latitude")?;
    let (mut longitudes, mut latitudes) = (Vec::with_capacity(count), Vec::with_capacity(count));
    for _ in 0..count {
        let longitude: f64 = format!("{:.6}", rng.random_range(min_x..max_x)).parse()?;
        let latitude: f64 = format!("{:.6}", rng.random_range(min_y..max_y)).parse()?;
        writeln!(file, "{longitude:.6},{latitude:.6}")?;
        longitudes.push(longitude);
        latitudes.push(latitude);
    }
    file.flush()?;

    let clock = Instant::now();
    let index = BassinIndex::new(bassins.into_iter().map(|b| (b.code, b.geometry)).collect());
    let build_seconds = clock.elapsed().as_secs_f64();
    // One partition: results come back in input order, and the comparison with geopandas
    // (single-threaded) is like for like.
    let context = skillgap_models::marts_context();
    register_geocoder(&context, Arc::new(index));
    let schema = Arc::new(Schema::new(vec![Field::new("longitude", DataType::Float64, false), Field::new("latitude", DataType::Float64, false)]));
    let mut batches = Vec::new();
    for (lon, lat) in longitudes.chunks(8192).zip(latitudes.chunks(8192)) {
        batches.push(RecordBatch::try_new(schema.clone(), vec![Arc::new(Float64Array::from(lon.to_vec())), Arc::new(Float64Array::from(lat.to_vec()))])?);
    }
    let partitions = context.state().config().target_partitions();
    register_batches(&context, "points", schema, batches)?;
    let clock = Instant::now();
    let result = context.sql("SELECT bassin_at_point(longitude, latitude) AS code FROM points").await?.collect().await?;
    let locate_seconds = clock.elapsed().as_secs_f64();
    let mut out = std::io::BufWriter::new(std::fs::File::create(results_path)?);
    let mut placed = 0;
    for batch in &result {
        let codes = batch.column(0).as_string::<i32>();
        for row in 0..codes.len() {
            if codes.is_null(row) {
                writeln!(out,)?;
            } else {
                placed += 1;
                writeln!(out, "{}", codes.value(row))?;
            }
        }
    }
    out.flush()?;
    Ok(
        serde_json::json!({"points": count, "placed": placed, "index_seconds": build_seconds, "locate_seconds": locate_seconds, "partitions": partitions, "peak_rss_kib": peak_rss_kib()}),
    )
}

fn lheo_write(arguments: &[String]) -> anyhow::Result<serde_json::Value> {
    let [source, out, megabytes] = arguments else {
        bail!("usage: skillgap-bench lheo-write SOURCE.xml[.gz] OUT.xml MEGABYTES");
    };
    let target: u64 = megabytes.parse::<u64>().context("MEGABYTES")? * 1_000_000;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut skillgap_sources::open_decompressed(std::path::Path::new(source))?, &mut text)?;
    let (Some(start), Some(end)) = (text.find("<formation "), text.rfind("</formation>")) else {
        bail!("{source} holds no <formation>");
    };
    let end = end + "</formation>".len();
    let (head, body, tail) = (&text[..start], &text[start..end], &text[end..]);
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    file.write_all(head.as_bytes())?;
    let (mut written, mut copies) = (head.len() as u64, 0u64);
    while written < target {
        let copy = body.replace("numero=\"", &format!("numero=\"c{copies}-"));
        file.write_all(copy.as_bytes())?;
        file.write_all(b"\n")?;
        written += copy.len() as u64 + 1;
        copies += 1;
    }
    file.write_all(tail.as_bytes())?;
    file.flush()?;
    Ok(serde_json::json!({"bytes": written + tail.len() as u64, "copies": copies}))
}

fn lheo_read(arguments: &[String]) -> anyhow::Result<serde_json::Value> {
    let [catalogue] = arguments else {
        bail!("usage: skillgap-bench lheo-read CATALOGUE.xml");
    };
    let path = std::path::Path::new(catalogue);
    let bytes = std::fs::metadata(path)?.len();
    let mut rejects = skillgap_sources::RejectsBuilder::default();
    let mut places: i64 = 0;
    let clock = Instant::now();
    let stats = skillgap_sources::read_lheo(path, catalogue, &mut rejects, &mut |batch| {
        if let Some(column) = batch.column_by_name("places_session") {
            places += column.as_primitive::<arrow::datatypes::Int64Type>().iter().flatten().sum::<i64>();
        }
        Ok(())
    })?;
    let seconds = clock.elapsed().as_secs_f64();
    Ok(
        serde_json::json!({"bytes": bytes, "formations": stats.formations, "sessions": stats.sessions, "rejected": stats.rejected, "places": places, "seconds": seconds, "peak_rss_kib": peak_rss_kib()}),
    )
}

/// This process's own high-water RSS (`VmHWM`, reset at exec, unlike `ru_maxrss` which
/// carries the forking parent's peak over).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| line.strip_prefix("VmHWM:")).and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

fn offers_write(arguments: &[String]) -> anyhow::Result<serde_json::Value> {
    let [count, out] = arguments else {
        bail!("usage: skillgap-bench offers-write N OUT.ndjson.gz");
    };
    let count: usize = count.parse().context("N")?;
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z")?.with_timezone(&chrono::Utc);
    let file = std::fs::File::create(out)?;
    let mut writer = flate2::write::GzEncoder::new(std::io::BufWriter::with_capacity(1 << 20, file), flate2::Compression::fast());
    let mut written = 0usize;
    // In chunks, so that memory stays small whatever N.
    for chunk in 0..count.div_ceil(100_000) {
        let size = (count - chunk * 100_000).min(100_000);
        for mut offer in skillgap_fakeapi::generate_offers(size, chunk as u64 + 1, &["02", "59", "60", "62", "80"], &["A1111", "B2222", "C3333"], now, 360) {
            offer["id"] = serde_json::Value::from(format!("B{}", written));
            writeln!(writer, "{offer}")?;
            written += 1;
        }
    }
    let mut inner = writer.finish()?;
    inner.flush()?;
    Ok(serde_json::json!({"offers": written, "bytes": std::fs::metadata(out)?.len()}))
}

async fn run_pipeline(arguments: &[String]) -> anyhow::Result<serde_json::Value> {
    let [pipeline] = arguments else {
        bail!("usage: skillgap-bench run PIPELINE.toml");
    };
    let pipeline = skillgap_config::Pipeline::load(std::path::Path::new(pipeline))?;
    let clock = Instant::now();
    let report = skillgap_run::run(skillgap_run::RunRequest { pipeline, as_of: None, semester: None, output: None }).await?;
    let seconds = clock.elapsed().as_secs_f64();
    let stage = |name: &str| report.manifest.stages.iter().find(|s| s.stage == name).map_or(0.0, |s| s.seconds);
    let offers = report.manifest.inputs.iter().find(|i| i.name == "offers");
    let silver = report.manifest.outputs.iter().find(|o| o.table == "silver.offers").map_or(0, |o| o.rows);
    Ok(serde_json::json!({
        "seconds": seconds, "ingest_seconds": stage("ingest"), "transform_seconds": stage("transform"),
        "offers_read": offers.map_or(0, |i| i.rows_read), "input_bytes": offers.map_or(0, |i| i.files.iter().map(|f| f.bytes).sum::<u64>()),
        "silver_offers": silver, "peak_rss_kib": peak_rss_kib(),
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let report = match arguments.first().map(String::as_str) {
        Some("geocode") => geocode(&arguments[1..]).await?,
        Some("lheo-write") => lheo_write(&arguments[1..])?,
        Some("offers-write") => offers_write(&arguments[1..])?,
        Some("run") => run_pipeline(&arguments[1..]).await?,
        Some("lheo-read") => lheo_read(&arguments[1..])?,
        _ => bail!("usage: skillgap-bench geocode|lheo-write|lheo-read|offers-write|run …"),
    };
    println!("{report}");
    Ok(())
}

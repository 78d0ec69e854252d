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
//! `skillgap-bench run PIPELINE.toml`: one pipeline run; reports every stage (wall, CPU, peak RSS),
//! the rows read per input and the offers and sessions kept.
//!
//! `skillgap-bench marts-sql PIPELINE.toml`: the SQL of the `intermediate` views and of
//! every gold table for the pipeline's parameters, for `bench/`'s DuckDB translation.
//!
//! `skillgap-bench offers-day RUN_DIR N OUT.ndjson.gz`: one day of offers after the run:
//! N records, every third a new version of one of its offers, the rest new offers.
//!
//! `skillgap-bench lheo-read CATALOGUE.xml`: reads it with the pipeline's LHEO reader and
//! reports bytes, formations, sessions, the sum of known places and the time taken.
//!
//! `skillgap-bench real-input bmo|grid|rome REAL_DIR`: one step of reading the published
//! files of `fixtures/real` (the national BMO XLSX filtered to REG 32; the commune polygons
//! dissolved into the 28 BMO bassins; the ROME referential build), with its time and peak
//! RSS — one step a process, so that each peak is its own.

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
    let context = skillgap_models::marts_context(Arc::default());
    register_geocoder(&context, Arc::new(index));
    let schema = Arc::new(Schema::new(vec![
        Field::new("longitude", DataType::Float64, false),
        Field::new("latitude", DataType::Float64, false),
    ]));
    let mut batches = Vec::new();
    for (lon, lat) in longitudes.chunks(8192).zip(latitudes.chunks(8192)) {
        batches.push(RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Float64Array::from(lon.to_vec())), Arc::new(Float64Array::from(lat.to_vec()))],
        )?);
    }
    let partitions = context.state().config().target_partitions();
    register_batches(&context, "points", schema, batches)?;
    let clock = Instant::now();
    let result =
        context.sql("SELECT bassin_at_point(longitude, latitude) AS code FROM points").await?.collect().await?;
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
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

fn offers_write(arguments: &[String]) -> anyhow::Result<serde_json::Value> {
    let [count, out] = arguments else {
        bail!("usage: skillgap-bench offers-write N OUT.ndjson.gz");
    };
    let count: usize = count.parse().context("N")?;
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z")?.with_timezone(&chrono::Utc);
    let file = std::fs::File::create(out)?;
    let mut writer =
        flate2::write::GzEncoder::new(std::io::BufWriter::with_capacity(1 << 20, file), flate2::Compression::fast());
    let mut written = 0usize;
    // In chunks, so that memory stays small whatever N.
    for chunk in 0..count.div_ceil(100_000) {
        let size = (count - chunk * 100_000).min(100_000);
        for mut offer in skillgap_fakeapi::generate_offers(
            size,
            chunk as u64 + 1,
            &["02", "59", "60", "62", "80"],
            &["A1111", "B2222", "C3333"],
            now,
            360,
        ) {
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
    let report =
        skillgap_run::run(skillgap_run::RunRequest { pipeline, as_of: None, semester: None, output: None }).await?;
    let seconds = clock.elapsed().as_secs_f64();
    let stage = |name: &str| report.manifest.stages.iter().find(|s| s.stage == name).map_or(0.0, |s| s.seconds);
    let transform_seconds: f64 = ["silver", "gold", "tests", "public"].into_iter().map(stage).sum();
    let offers = report.manifest.inputs.iter().find(|i| i.name == "offers");
    let rows = |table: &str| report.manifest.outputs.iter().find(|o| o.table == table).map_or(0, |o| o.rows);
    Ok(serde_json::json!({
        "seconds": seconds, "ingest_seconds": stage("ingest"), "transform_seconds": transform_seconds,
        "stages": report.manifest.stages, "run_dir": report.run_dir, "built_on": report.manifest.built_on,
        "inputs": report.manifest.inputs.iter().map(|i| serde_json::json!({"name": i.name, "rows_read": i.rows_read, "bytes": i.files.iter().map(|f| f.bytes).sum::<u64>()})).collect::<Vec<_>>(),
        "offers_read": offers.map_or(0, |i| i.rows_read), "input_bytes": offers.map_or(0, |i| i.files.iter().map(|f| f.bytes).sum::<u64>()),
        "silver_offers": rows("silver.offers"), "silver_sessions": rows("silver.sessions"), "peak_rss_kib": peak_rss_kib(),
    }))
}

/// One day of offers after a published run: N records, every third a new version of an
/// offer of the run's silver.offers, the others new offers of the same métiers and places.
async fn offers_day(arguments: &[String]) -> anyhow::Result<serde_json::Value> {
    let [run_dir, count, out] = arguments else {
        bail!("usage: skillgap-bench offers-day RUN_DIR N OUT.ndjson.gz");
    };
    let count: usize = count.parse().context("N")?;
    // Text as Utf8, as in the pipeline's contexts.
    let context = skillgap_models::marts_context(Arc::default());
    let silver = format!("{run_dir}/silver/offers/");
    let frame = context
        .read_parquet(silver.as_str(), datafusion::prelude::ParquetReadOptions::default())
        .await?
        .select_columns(&["offer_id", "code_rome", "code_commune", "code_postal", "date_offre"])?
        .limit(0, Some(count))?;
    let batches = frame.collect().await?;
    let mut rows = Vec::new();
    for batch in &batches {
        let text = |name: &str| batch.column_by_name(name).map(|c| c.as_string::<i32>().clone());
        let (Some(ids), Some(romes), Some(communes), Some(postals)) =
            (text("offer_id"), text("code_rome"), text("code_commune"), text("code_postal"))
        else {
            bail!("{silver} lacks the expected columns");
        };
        for row in 0..batch.num_rows() {
            let optional =
                |array: &arrow::array::StringArray| (!array.is_null(row)).then(|| array.value(row).to_owned());
            rows.push((
                ids.value(row).to_owned(),
                romes.value(row).to_owned(),
                optional(&communes),
                optional(&postals),
            ));
        }
    }
    if rows.is_empty() {
        bail!("{silver} holds no offer");
    }
    let file = std::fs::File::create(out)?;
    let mut writer = flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let (mut new, mut updated) = (0usize, 0usize);
    for index in 0..count {
        let (id, rome, commune, postal) = &rows[index % rows.len()];
        let (id, created) = if index % 3 == 0 {
            updated += 1;
            (id.clone(), "2026-11-01T08:00:00.000Z")
        } else {
            new += 1;
            (format!("DAY{index:07}"), "2026-11-25T08:00:00.000Z")
        };
        let offer = serde_json::json!({
            "id": id, "intitule": format!("Offre du jour {index}"),
            "dateCreation": created, "dateActualisation": "2026-11-25T20:00:00.000Z",
            "lieuTravail": {"libelle": "COMMUNE", "commune": commune, "codePostal": postal},
            "romeCode": rome, "typeContrat": "CDI", "typeContratLibelle": "Contrat à durée indéterminée",
            "nombrePostes": 1 + index % 2, "competences": [{"code": "100001", "libelle": "Accueillir", "exigence": "E"}],
        });
        writeln!(writer, "{offer}")?;
    }
    writer.finish()?.flush()?;
    Ok(serde_json::json!({"offers": count, "new": new, "updated": updated}))
}

/// The marts compiled for a pipeline's parameters (no semester): the script of
/// `skillgap docs sql`, the SQL DuckDB runs in `bench/` over the same silver files.
fn marts_sql(arguments: &[String]) -> anyhow::Result<serde_json::Value> {
    let [pipeline] = arguments else {
        bail!("usage: skillgap-bench marts-sql PIPELINE.toml");
    };
    let pipeline = skillgap_config::Pipeline::load(std::path::Path::new(pipeline))?;
    let parameters = skillgap_run::run_parameters(&pipeline, None, None)?;
    let tables: Vec<&str> = skillgap_models::marts::gold_tables().collect();
    Ok(serde_json::json!({"script": skillgap_models::marts::script(&parameters)?, "tables": tables}))
}

fn real_input(arguments: &[String]) -> anyhow::Result<serde_json::Value> {
    let [step, real] = arguments else {
        bail!("usage: skillgap-bench real-input bmo|grid|rome REAL_DIR");
    };
    let real = std::path::Path::new(real);
    let clock = Instant::now();
    let table = |input: &str,
                 file: &str,
                 filter: (&str, &str),
                 headers: &[(&str, &str)],
                 format: skillgap_sources::TableFormat|
     -> anyhow::Result<Vec<RecordBatch>> {
        let layout = skillgap_sources::table_layout(input).context("layout")?;
        let mut settings = skillgap_sources::TableSettings::csv(b',');
        settings.format = format;
        if format == skillgap_sources::TableFormat::Xlsx {
            settings.sheet = Some("BMO_2024_open_data".to_owned());
        }
        settings.filter = vec![(filter.0.to_owned(), vec![filter.1.to_owned()])];
        settings.headers = headers.iter().map(|(name, header)| ((*name).to_owned(), (*header).to_owned())).collect();
        let mut rejects = skillgap_sources::RejectsBuilder::default();
        let (batches, _) = skillgap_sources::read_table(layout, &settings, &real.join(file), file, &mut rejects)?;
        Ok(batches)
    };
    let rows = match step.as_str() {
        "bmo" => rows(&table(
            "bmo",
            "bmo_2024_open_data.xlsx",
            ("REG", "32"),
            &[("code_metier_bmo", "Code métier BMO"), ("nom_metier_bmo", "Nom métier BMO")],
            skillgap_sources::TableFormat::Xlsx,
        )?),
        "grid" => {
            let communes = table(
                "communes",
                "communes_bassins_bmo.csv",
                ("reg", "32"),
                &[
                    ("code_commune", "code_commune_insee"),
                    ("code_bassin", "code_bassin_BMO"),
                    ("libelle_bassin", "lib_bassin_BMO"),
                    ("code_departement", "dep"),
                ],
                skillgap_sources::TableFormat::Csv,
            )?;
            let polygons = read_bassins(
                &real.join("communes_hdf.geojson"),
                &BassinProperties { code: "code", label: "nom", departement: "dep" },
            )?;
            let dissolved = skillgap_sources::dissolve(
                &polygons,
                &skillgap_sources::commune_assignments(&communes)?,
                "communes_hdf.geojson",
            )?;
            anyhow::ensure!(dissolved.bassins.len() == 28, "{} bassins", dissolved.bassins.len());
            rows(&communes)
        }
        "rome" => {
            let out = tempfile_dir()?;
            let sources = skillgap_run::referentials::RomeSources {
                rome: real.join("rome4_referentiel_code_rome_v460.csv"),
                rome_fap2009: real.join("rome_v3_fap2009_dares.xls"),
                fap2021: real.join("fap2021_nomenclature.csv"),
                rome_fap2021: None,
                bmo: skillgap_run::referentials::BmoNomenclature::Fap2021,
            };
            let report = skillgap_run::referentials::build_rome(&sources, &out)?;
            std::fs::remove_dir_all(&out)?;
            report.codes as u64
        }
        other => bail!("unknown step {other}"),
    };
    Ok(
        serde_json::json!({"step": step, "rows": rows, "seconds": clock.elapsed().as_secs_f64(), "peak_rss_kib": peak_rss_kib()}),
    )
}

fn rows(batches: &[RecordBatch]) -> u64 {
    batches.iter().map(|batch| batch.num_rows() as u64).sum()
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("skillgap-bench-rome-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
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
        Some("marts-sql") => marts_sql(&arguments[1..])?,
        Some("offers-day") => offers_day(&arguments[1..]).await?,
        Some("real-input") => real_input(&arguments[1..])?,
        _ => bail!(
            "usage: skillgap-bench geocode|lheo-write|lheo-read|offers-write|run|marts-sql|offers-day|real-input …"
        ),
    };
    println!("{report}");
    Ok(())
}

//! The `skillgap` command: parses arguments, installs logging, calls `skillgap-run`, and
//! turns errors into a printed chain of causes and a documented exit code.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[cfg(feature = "ballista")]
mod cluster;
mod progress;
use skillgap_config::{Engine, Pipeline};
use skillgap_run::{OutputFormat, QuerySession, RunRequest, Semester, format_batches};

/// skillgap — territorial diagnosis of competence gaps (France Travail / ateliers
/// territoriaux de compétences): ingest offers, jobseekers, BMO, the training catalogue and
/// bassin boundaries, publish documented Parquet tables and per-bassin gap sheets.
#[derive(Parser)]
#[command(name = "skillgap", version, about, long_about = None)]
struct Cli {
    /// Log format on standard error: `human` (default) or `json` (one object per line).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline: read every input, build and test the tables, publish atomically.
    Run(RunArguments),
    /// Query the published tables with SQL (read-only); without a query, read statements
    /// ending in `;` from standard input.
    Sql(SqlArguments),
    /// List the published runs of an output directory (the current one marked `*`).
    Runs(OutputArguments),
    /// Generate synthetic inputs in their real formats.
    #[command(subcommand)]
    Fixtures(FixturesCommand),
    /// Documentation generated from the table specifications.
    #[command(subcommand)]
    Docs(DocsCommand),
    /// Build referentials from the files France Travail and DARES publish.
    #[command(subcommand)]
    Referentials(ReferentialsCommand),
    /// Make an earlier published run current again.
    Publish(PublishArguments),
    /// Render the per-bassin gap sheets (HTML, XLSX, PDF) of a published run.
    Sheets(SheetsArguments),
    /// Audit a published run's public tables for disclosure: bound every suppressed person
    /// count by what the published figures allow (exit 9 when one is pinned too closely).
    Audit(AuditArguments),
    /// Fetch from an API into the output's landing area (read by the next `run`).
    #[command(subcommand)]
    Fetch(FetchCommand),
    /// Processes of an Apache Ballista cluster that runs skillgap's plans (pipelines with
    /// `engine = { ballista = "df://HOST:PORT" }`).
    #[cfg(feature = "ballista")]
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
}

#[derive(Args)]
struct PublishArguments {
    #[command(flatten)]
    output: OutputArguments,
    /// The run to make current (see `skillgap runs`).
    #[arg(long)]
    rollback: String,
}

#[derive(Args)]
struct SheetsArguments {
    #[command(flatten)]
    output: OutputArguments,
    /// An earlier run instead of the current one.
    #[arg(long)]
    run: Option<String>,
    /// Only these bassins (repeat the option); all by default.
    #[arg(long = "bassin")]
    bassins: Vec<String>,
    /// Formats, comma separated: html, xlsx, pdf (PDF needs headless Chromium).
    #[arg(long, default_value = "html,xlsx", value_delimiter = ',')]
    format: Vec<String>,
    /// Where to write the sheets.
    #[arg(long, default_value = "sheets")]
    to: PathBuf,
}

#[derive(Subcommand)]
enum FetchCommand {
    /// Fetch job offers from France Travail's Offres d'emploi v2 API (`[fetch.offers]`;
    /// credentials from the environment variables it names).
    Offers {
        #[command(flatten)]
        pipeline: PipelineArgument,
        /// Fetch offers updated after this (RFC 3339 or YYYY-MM-DD) instead of after the watermark.
        #[arg(long)]
        since: Option<String>,
        /// Output directory, overriding the pipeline's `output.root`.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Fetch jobseekers and France Travail's tension indicators from its Marché du travail
    /// API (`[fetch.labour_market]`; credentials from the environment variables it names):
    /// only the periods published since the last fetch.
    LabourMarket {
        #[command(flatten)]
        pipeline: PipelineArgument,
        /// Ask the whole configured history again (France Travail revises past periods).
        #[arg(long)]
        full: bool,
        /// Output directory, overriding the pipeline's `output.root`.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args)]
struct PipelineArgument {
    /// Pipeline file (default: the embedded demo pipeline, resolved from the current directory).
    #[arg(long, short)]
    pipeline: Option<PathBuf>,
}

#[derive(Args)]
struct RunArguments {
    #[command(flatten)]
    pipeline: PipelineArgument,
    #[command(flatten)]
    reference: ReferenceArguments,
    /// Output directory, overriding the pipeline's `output.root`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where the plans run, overriding the pipeline's `engine`: `local`, `standalone` (an
    /// in-process Ballista cluster) or a Ballista scheduler `df://HOST:PORT`.
    #[arg(long)]
    engine: Option<Engine>,
}

/// The reference date D of a run, parsed where it enters.
#[derive(Args)]
struct ReferenceArguments {
    /// Reference date D (YYYY-MM-DD); default: the pipeline's `dates.as_of`, else today (Europe/Paris).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Semester run (`2026-S1` sets D to 2026-07-01, `2026-S2` to 2027-01-01).
    #[arg(long)]
    semester: Option<Semester>,
}

#[derive(Args)]
struct OutputArguments {
    #[command(flatten)]
    pipeline: PipelineArgument,
    /// Output directory or `s3://bucket/prefix` URL, overriding the pipeline's `output.root`
    /// (an S3 output is reached with the pipeline's `[output.s3]` settings and the AWS_*
    /// environment variables).
    #[arg(long)]
    out: Option<String>,
}

#[derive(Args)]
struct SqlArguments {
    #[command(flatten)]
    output: OutputArguments,
    /// Query an earlier run instead of the current one.
    #[arg(long)]
    run: Option<String>,
    /// Result format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// The query, e.g. "SELECT * FROM gold.competence_gap LIMIT 10".
    query: Option<String>,
}

#[derive(Args)]
struct AuditArguments {
    #[command(flatten)]
    output: OutputArguments,
    /// Audit an earlier run instead of the current one.
    #[arg(long)]
    run: Option<String>,
    /// The narrowest interval a suppressed count may be left in (default: the run's, MIN_COUNT).
    #[arg(long)]
    protection_range: Option<f64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Subcommand)]
enum FixturesCommand {
    /// Write every input for a scale and seed (same seed → byte-identical files).
    Generate {
        /// `demo` (committed), `region` or `national`.
        #[arg(long, default_value = "demo")]
        scale: String,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Generate activity on a real grid: INSEE's commune → zone table (CODGEO, LIBGEO,
        /// ZE2020, DEP); needs --grid-zones. The grid files themselves are not copied.
        #[arg(long, requires = "grid_zones")]
        grid_communes: Option<PathBuf>,
        /// The real grid's zone polygons (GeoJSON).
        #[arg(long, requires = "grid_communes")]
        grid_zones: Option<PathBuf>,
        /// Feature property of the zone code in --grid-zones.
        #[arg(long, default_value = "ze2020")]
        zone_code_property: String,
        /// Feature property of the zone label in --grid-zones.
        #[arg(long, default_value = "libze2020")]
        zone_label_property: String,
        /// Generate activity on a region's real BMO bassins: France Travail's commune → BMO
        /// bassin table (reg, dep, code_commune_insee, code_bassin_BMO, lib_bassin_BMO);
        /// needs --commune-polygons. The grid files themselves are not copied.
        #[arg(long, requires = "commune_polygons", conflicts_with = "grid_communes")]
        bmo_communes: Option<PathBuf>,
        /// The communes' polygons (GeoJSON with `code` and `nom`), for --bmo-communes.
        #[arg(long, requires = "bmo_communes")]
        commune_polygons: Option<PathBuf>,
        /// The region (INSEE code) of --bmo-communes.
        #[arg(long, default_value = "32")]
        region: String,
        /// Multiply the scale's offers by this factor (the rest of the world unchanged).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16), conflicts_with = "grid_communes")]
        offers_factor: u16,
    },
}

#[derive(Subcommand)]
enum ReferentialsCommand {
    /// Write `rome.csv` (code_rome, libelle_rome, code_metier_bmo, code_fap, secteur) and
    /// `rome_build.json` (what could not be mapped) from ROME 4.0, DARES' ROME → FAP 2009
    /// table and the FAP 2021 nomenclature.
    Build {
        /// ROME 4.0 `RefRomeCsv` (`unix_referentiel_code_rome_v*_utf8.csv`).
        #[arg(long)]
        rome: PathBuf,
        /// DARES' ROME v3 → FAP 2009 table (`.xls`, sheet `Table`).
        #[arg(long)]
        rome_fap2009: PathBuf,
        /// DARES' FAP 2021 nomenclature (`;`-separated CSV).
        #[arg(long)]
        fap2021: PathBuf,
        /// A ROME → FAP 2021 crosswalk (`code_rome,code_fap2021`), needed to join BMO 2024+.
        #[arg(long)]
        rome_fap2021: Option<PathBuf>,
        /// The BMO file's métier nomenclature: `fap2021` (BMO 2024 on) or `fap2009`.
        #[arg(long, value_enum, default_value_t = BmoNomenclatureArgument::Fap2021)]
        bmo_nomenclature: BmoNomenclatureArgument,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write `bmo_bassins.csv` (code_bassin_bmo, code_bassin, poids, communes): each BMO
    /// bassin spread onto another grid's bassins by its share of communes, from France
    /// Travail's commune → BMO bassin table and the grid's commune table.
    Crosswalk {
        /// France Travail's commune → BMO bassin table (reg, dep, code_commune_insee,
        /// code_bassin_BMO, lib_bassin_BMO).
        #[arg(long)]
        bmo_communes: PathBuf,
        /// The region (INSEE code) kept of --bmo-communes.
        #[arg(long, default_value = "32")]
        region: String,
        /// The grid's commune table (CSV), e.g. INSEE's zones d'emploi composition.
        #[arg(long)]
        grid_communes: PathBuf,
        /// Its commune code column.
        #[arg(long, default_value = "CODGEO")]
        commune_column: String,
        /// Its bassin code column.
        #[arg(long, default_value = "ZE2020")]
        bassin_column: String,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum BmoNomenclatureArgument {
    Fap2021,
    Fap2009,
}

#[derive(Subcommand)]
enum DocsCommand {
    /// Print `docs/tables.md` (generated from `schemas/*.yml`).
    Tables,
    /// Print the models' SQL (`crates/models/sql/`) compiled for a run's parameters: every
    /// mart as `CREATE OR REPLACE TABLE … AS …;` in build order — a script DuckDB runs over
    /// a run's silver and staging tables —, or one gold table's `SELECT`, or one staging
    /// script's views (`staging.offers`).
    Sql {
        #[command(flatten)]
        pipeline: PipelineArgument,
        #[command(flatten)]
        reference: ReferenceArguments,
        /// Only this gold table, e.g. `competence_gap`, or this staging script, e.g.
        /// `staging.offers` (bronze → silver, skillgap's functions in it).
        table: Option<String>,
    },
}

fn load_pipeline(argument: &PipelineArgument) -> anyhow::Result<Pipeline> {
    Ok(match &argument.pipeline {
        Some(path) => Pipeline::load(path)?,
        None => Pipeline::embedded_demo(&std::env::current_dir().context("reading the current directory")?)?,
    })
}

fn open_output(arguments: &OutputArguments) -> anyhow::Result<skillgap_run::PublishTarget> {
    Ok(skillgap_run::PublishTarget::open(&load_pipeline(&arguments.pipeline)?, arguments.out.as_deref())?)
}

/// Logs on standard error (human or JSON lines), and progress bars when standard error is
/// an interactive terminal and the logs are for humans.
fn install_logging(format: LogFormat) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let filter = tracing_subscriber::EnvFilter::try_from_env("SKILLGAP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Never below WARN for the HTTP, TLS and object-storage stacks, whatever SKILLGAP_LOG
    // says: at trace level they dump raw requests, bearer tokens, signed S3 headers and
    // client secrets included.
    let not_progress = tracing_subscriber::filter::filter_fn(|metadata| {
        let target = metadata.target();
        let transport = ["ureq", "rustls", "webpki", "reqwest", "hyper", "h2", "object_store", "tonic", "tower"]
            .iter()
            .any(|t| target == *t || target.starts_with(&format!("{t}::")) || target.starts_with(&format!("{t}_")));
        target != progress::TARGET && !(transport && *metadata.level() > tracing::Level::WARN)
    });
    let interactive = std::io::stderr().is_terminal();
    let logs = match format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(interactive)
            .with_filter(not_progress)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .with_filter(not_progress)
            .boxed(),
    };
    let bars = (interactive && matches!(format, LogFormat::Human)).then(progress::ProgressLayer::default);
    tracing_subscriber::registry().with(filter).with(logs).with(bars).init();
}

async fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run(arguments) => {
            let mut pipeline = load_pipeline(&arguments.pipeline)?;
            if let Some(engine) = arguments.engine {
                pipeline.engine = engine;
            }
            let ReferenceArguments { as_of, semester } = arguments.reference;
            let report = skillgap_run::run(RunRequest { pipeline, as_of, semester, output: arguments.out }).await?;
            println!("Run {} published (D = {}).", report.manifest.run_id, report.manifest.as_of);
            if report.manifest.engine != Engine::Local.to_string() {
                println!("  engine:   {}", report.manifest.engine);
            }
            if let Some(previous) = &report.manifest.built_on {
                println!("  built on run {previous}: only the new offer files were read");
            }
            println!("  outputs:  {}", report.published);
            for output in &report.manifest.outputs {
                println!("    {:<24} {:>9} rows", output.table, output.rows);
            }
            println!("  manifest: {}/manifest.json", report.published.trim_end_matches('/'));
            println!("  query:    skillgap sql \"SELECT * FROM gold.competence_gap LIMIT 10\"");
            Ok(())
        }
        Command::Publish(arguments) => {
            let published = skillgap_run::rollback(&open_output(&arguments.output)?, &arguments.rollback).await?;
            println!("Run {} is current again: {published}", arguments.rollback);
            Ok(())
        }
        Command::Sheets(arguments) => {
            let pipeline = load_pipeline(&arguments.output.pipeline)?;
            let request = skillgap_run::SheetsCommand {
                pipeline,
                output: arguments.output.out,
                run: arguments.run,
                bassins: arguments.bassins,
                formats: arguments.format,
                to: arguments.to,
            };
            let to = request.to.clone();
            let report = skillgap_run::sheets(request).await?;
            println!("{} sheet(s) written in {:.2} s to {}", report.sheets, report.seconds, to.display());
            if let Some(index) = &report.index {
                println!("  index: {}", index.display());
            }
            Ok(())
        }
        Command::Fetch(FetchCommand::Offers { pipeline, since, out }) => {
            let pipeline = load_pipeline(&pipeline)?;
            let request = skillgap_run::FetchRequest { pipeline, since, output: out, now: None };
            let outcome = tokio::task::spawn_blocking(move || skillgap_run::fetch(request)).await??;
            println!(
                "Fetch {} landed {} offers ({} new) in {} pages: {}",
                outcome.fetch_id,
                outcome.offers,
                outcome.offers_new,
                outcome.pages,
                outcome.pages_file.display()
            );
            println!(
                "  requests: {}, retries: {}; watermark: {:?} → {:?}",
                outcome.requests, outcome.retries, outcome.watermark_before, outcome.watermark_after
            );
            Ok(())
        }
        Command::Fetch(FetchCommand::LabourMarket { pipeline, full, out }) => {
            let pipeline = load_pipeline(&pipeline)?;
            let request = skillgap_run::LabourMarketRequest { pipeline, output: out, full, now: None };
            let outcome = tokio::task::spawn_blocking(move || skillgap_run::fetch_labour_market(request)).await??;
            let counts = &outcome.report;
            match &outcome.answers_file {
                Some(file) => println!(
                    "Fetch {} landed {} answers with figures ({} without) for {} bassins × {} ROME codes: {}",
                    outcome.fetch_id,
                    counts.answers,
                    counts.no_data,
                    outcome.territories,
                    outcome.romes,
                    file.display()
                ),
                None => println!(
                    "Fetch {}: nothing published since the last fetch ({:?})",
                    outcome.fetch_id, outcome.watermark_before
                ),
            }
            println!(
                "  requests: {}, retries: {}; latest periods: {:?} → {:?}",
                counts.requests, counts.retries, outcome.watermark_before, outcome.watermark_after
            );
            Ok(())
        }
        Command::Sql(arguments) => {
            let session = QuerySession::open_output(&open_output(&arguments.output)?, arguments.run.as_deref()).await?;
            let format = match arguments.format {
                Format::Table => OutputFormat::Table,
                Format::Csv => OutputFormat::Csv,
                Format::Json => OutputFormat::Json,
            };
            match arguments.query {
                Some(query) => {
                    let batches = session.query(&query).await?;
                    println!("{}", format_batches(&batches, format)?);
                }
                None => interactive(&session, format).await?,
            }
            Ok(())
        }
        Command::Audit(arguments) => {
            let output = open_output(&arguments.output)?;
            let (run, report) =
                skillgap_run::audit_run(&output, arguments.run.as_deref(), arguments.protection_range).await?;
            println!(
                "run {run}: {} person-count cells, {} suppressed ({} holding only published places), {} equations, {} linear programmes",
                report.cells, report.suppressed, report.capacity_only, report.equations, report.programmes
            );
            if report.at_risk.is_empty() {
                println!("no suppressed count is pinned below the protection range");
                return Ok(());
            }
            for risk in &report.at_risk {
                println!("at risk: {risk}");
            }
            Err(skillgap_run::Error::Disclosure { cells: report.at_risk }.into())
        }
        Command::Runs(arguments) => {
            let output = open_output(&arguments)?;
            let current = output.current_run().await?;
            for run in output.runs().await? {
                println!("{} {run}", if Some(&run) == current.as_ref() { "*" } else { " " });
            }
            Ok(())
        }
        Command::Fixtures(FixturesCommand::Generate {
            scale,
            seed,
            out,
            grid_communes,
            grid_zones,
            zone_code_property,
            zone_label_property,
            bmo_communes,
            commune_polygons,
            region,
            offers_factor,
        }) => {
            let parsed = skillgap_fixtures::Scale::parse(&scale)
                .ok_or_else(|| skillgap_fixtures::Error::UnknownScale(scale.clone()))?;
            let summary = match (&grid_communes, &grid_zones) {
                _ if bmo_communes.is_some() => {
                    let (Some(communes_csv), Some(commune_polygons)) = (&bmo_communes, &commune_polygons) else {
                        anyhow::bail!("--bmo-communes needs --commune-polygons");
                    };
                    skillgap_fixtures::generate_on_bmo_grid(
                        parsed,
                        seed,
                        &skillgap_fixtures::BmoGrid { communes_csv, commune_polygons, region: &region },
                        &out,
                    )?
                }
                (Some(communes_csv), Some(zones_geojson)) => {
                    let grid = skillgap_fixtures::RealGrid {
                        communes_csv,
                        zones_geojson,
                        code_property: &zone_code_property,
                        label_property: &zone_label_property,
                    };
                    skillgap_fixtures::generate_on_real_grid(parsed, seed, &grid, &out)?
                }
                _ if offers_factor > 1 => {
                    skillgap_fixtures::generate_with_offers_factor(parsed, seed, usize::from(offers_factor), &out)?
                }
                _ => skillgap_fixtures::generate(parsed, seed, &out)?,
            };
            println!(
                "Generated {scale} inputs (seed {seed}) in {}: {} bassins, {} communes, {} offers (+{} updates, {} malformed), {} sessions, {} outcome rows, {} jobseeker rows, {} BMO rows.",
                out.display(),
                summary.bassins,
                summary.communes,
                summary.offers,
                summary.offer_updates,
                summary.malformed_offers,
                summary.sessions,
                summary.outcomes,
                summary.jobseekers,
                summary.bmo
            );
            Ok(())
        }
        Command::Referentials(ReferentialsCommand::Build {
            rome,
            rome_fap2009,
            fap2021,
            rome_fap2021,
            bmo_nomenclature,
            out,
        }) => {
            use skillgap_run::referentials::{BmoNomenclature, RomeSources, build_rome};
            let bmo = match bmo_nomenclature {
                BmoNomenclatureArgument::Fap2021 => BmoNomenclature::Fap2021,
                BmoNomenclatureArgument::Fap2009 => BmoNomenclature::Fap2009,
            };
            let report = build_rome(&RomeSources { rome, rome_fap2009, fap2021, rome_fap2021, bmo }, &out)?;
            println!(
                "Wrote {}: {} ROME codes ({}), {} with a FAP 2009 family, {} with a BMO métier; {} listed under several FAP families (rule: the widest qualification condition); report in {}.",
                out.join("rome.csv").display(),
                report.codes,
                report.rome_version.as_deref().unwrap_or("version unknown"),
                report.with_fap,
                report.with_bmo_metier,
                report.several_faps.len(),
                out.join("rome_build.json").display()
            );
            if let Some(note) = &report.bmo_metier_note {
                eprintln!("warning: {note}");
            }
            if !report.rejected_rows.is_empty() {
                eprintln!(
                    "warning: {} rows of the input files could not be read (listed in the report)",
                    report.rejected_rows.len()
                );
            }
            Ok(())
        }
        Command::Referentials(ReferentialsCommand::Crosswalk {
            bmo_communes,
            region,
            grid_communes,
            commune_column,
            bassin_column,
            out,
        }) => {
            use skillgap_run::referentials::{CommuneTable, build_bmo_crosswalk};
            let bmo = CommuneTable {
                path: bmo_communes,
                delimiter: b',',
                commune: "code_commune_insee".to_owned(),
                bassin: "code_bassin_BMO".to_owned(),
                filter: Some(("reg".to_owned(), region)),
            };
            let grid = CommuneTable {
                path: grid_communes,
                delimiter: b',',
                commune: commune_column,
                bassin: bassin_column,
                filter: None,
            };
            let report = build_bmo_crosswalk(&bmo, &grid, &out)?;
            println!(
                "Wrote {}: {} BMO bassins spread onto {} grid bassins by {} communes in both tables ({} only in the BMO table, {} only in the grid's).",
                out.join("bmo_bassins.csv").display(),
                report.bmo_bassins,
                report.grid_bassins,
                report.communes_matched,
                report.only_in_bmo.len(),
                report.only_in_grid.len()
            );
            if !report.rejected_rows.is_empty() {
                eprintln!(
                    "warning: {} rows of the commune tables could not be read: {}",
                    report.rejected_rows.len(),
                    report.rejected_rows.join("; ")
                );
            }
            Ok(())
        }
        Command::Docs(DocsCommand::Tables) => {
            print!("{}", skillgap_models::render_tables_markdown()?);
            Ok(())
        }
        Command::Docs(DocsCommand::Sql { pipeline, reference, table }) => {
            let pipeline = load_pipeline(&pipeline)?;
            let parameters = skillgap_run::run_parameters(&pipeline, reference.as_of, reference.semester)?;
            match table {
                Some(table) => println!("{}", skillgap_run::model_sql(&pipeline, &parameters, &table)?.trim_end()),
                None => print!("{}", skillgap_models::marts::script(&parameters)?),
            }
            Ok(())
        }
        #[cfg(feature = "ballista")]
        Command::Cluster(command) => cluster::execute(command).await,
    }
}

async fn interactive(session: &QuerySession, format: OutputFormat) -> anyhow::Result<()> {
    let prompt = std::io::stdin().is_terminal();
    if prompt {
        eprintln!(
            "skillgap sql on {} — tables: {}. End statements with `;`, Ctrl-D to quit.",
            session.location,
            session.tables.join(", ")
        );
    }
    let mut statement = String::new();
    let mut lines = std::io::stdin().lock().lines();
    loop {
        if prompt {
            eprint!("{}", if statement.is_empty() { "skillgap> " } else { "      ... " });
            std::io::stderr().flush().ok();
        }
        let Some(line) = lines.next() else { break };
        statement.push_str(&line.context("reading standard input")?);
        statement.push('\n');
        if statement.trim_end().ends_with(';') {
            match session.query(statement.trim().trim_end_matches(';')).await {
                Ok(batches) => println!("{}", format_batches(&batches, format)?),
                Err(error) => eprintln!("error: {error}"),
            }
            statement.clear();
        }
    }
    Ok(())
}

fn exit_code_of(error: &anyhow::Error) -> u8 {
    if let Some(error) = error.downcast_ref::<skillgap_run::Error>() {
        return error.exit_code() as u8;
    }
    if error.downcast_ref::<skillgap_config::Error>().is_some() {
        return skillgap_run::ExitCode::BadConfiguration as u8;
    }
    skillgap_run::ExitCode::Internal as u8
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    install_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(skillgap_run::ExitCode::Internal as u8);
        }
    };
    match runtime.block_on(execute(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(exit_code_of(&error))
        }
    }
}

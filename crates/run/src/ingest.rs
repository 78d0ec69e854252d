//! Reading every configured input into bronze Parquet files of the run's staging
//! directory (`bronze/<input>/part-0.parquet`), with the readers' rejects and the
//! per-file descriptions (size, checksum) for the manifest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use skillgap_config::{FilesInput, Pipeline, TableInput, TextEncoding};
use skillgap_sinks::TableFile;
use skillgap_sources::{
    BassinProperties, BassinShape, InputFile, LabourMarketFigures, OfferReader, RejectsBuilder, TableFormat,
    TableLayout, TableSettings, TableStats, commune_assignments, describe_file, dissolve, expand_paths,
    labour_market_jobseekers_schema, offers_schema, read_bassins, read_lheo, read_table, sessions_schema, table_layout,
    table_schema, tension_schema,
};

use crate::error::{Error, Result};
use crate::reuse::{PreviousRun, Reuse, link_parquet_files};

/// One input as read.
#[derive(Debug, Clone)]
pub struct IngestedInput {
    /// Input name (`offers`, `jobseekers`, …).
    pub name: String,
    /// Its vintage from the pipeline file.
    pub vintage: Option<String>,
    /// The files read, each with its display path (`root:relative/path`).
    pub files: Vec<(String, InputFile)>,
    /// Records read (rows kept by the reader + its rejects).
    pub records: u64,
}

/// Everything ingestion produced.
pub struct Ingested {
    /// Inputs in reading order.
    pub inputs: Vec<IngestedInput>,
    /// Rows the readers could not read at all.
    pub reader_rejects: RecordBatch,
    /// The grid's polygons, when configured.
    pub bassins: Vec<BassinShape>,
    /// Communes that only one of the grid's two files knows, when its polygons are dissolved
    /// from commune polygons: (file lacking it, file holding it, commune code).
    pub grid_unmatched: Vec<(&'static str, &'static str, String)>,
    /// Whether a BMO bassin → grid crosswalk was read (`bronze.bmo_bassins`).
    pub has_bmo_crosswalk: bool,
    /// Whether a training catalogue was read (`bronze.lheo`).
    pub has_catalogue: bool,
    /// Whether session outcomes were read (`bronze.session_outcomes`).
    pub has_outcomes: bool,
    /// Whether long-term projections were read (and the region whose rows count).
    pub projections: Option<Option<String>>,
    /// Whether employment by territory and FAP was read.
    pub has_employment: bool,
    /// What this run reuses of the previous one (a nightly run: see [`crate::reuse`]).
    pub reuse: Option<Reuse>,
}

fn display_path(pipeline: &Pipeline, root: &str, path: &Path) -> String {
    let base = pipeline.resolve(root, ".").unwrap_or_default();
    let relative = path.strip_prefix(&base).unwrap_or(path);
    format!("{root}:{}", relative.display())
}

fn source_error(input: &str) -> impl FnOnce(skillgap_sources::Error) -> Error + '_ {
    move |source| Error::Source { input: input.to_owned(), source }
}

fn describe(input: &str, pipeline: &Pipeline, root: &str, files: &[PathBuf]) -> Result<Vec<(String, InputFile)>> {
    files
        .iter()
        .map(|path| Ok((display_path(pipeline, root, path), describe_file(path).map_err(source_error(input))?)))
        .collect()
}

/// The bronze Parquet file of one input, fed batch by batch by a reader's sink; the first
/// write error is kept and reported when the file is finished.
struct BronzeFile {
    file: TableFile,
    error: Option<skillgap_sinks::Error>,
}

impl BronzeFile {
    /// The part of a bronze table written by `worker`, reading from the input's `first`
    /// file on (`part-<worker>`, or `part-<first>-<worker>` after the files of an earlier
    /// run, so that names never collide with the parts linked from it).
    fn create_part(
        bronze: &Path,
        name: &str,
        first: usize,
        worker: usize,
        schema: &arrow::datatypes::SchemaRef,
    ) -> Result<Self> {
        let part = if first == 0 { format!("part-{worker}.parquet") } else { format!("part-{first}-{worker}.parquet") };
        Ok(Self { file: TableFile::create(&bronze.join(name).join(part), schema, None)?, error: None })
    }

    /// A reader's sink: writes the batch unless an earlier write failed.
    fn accept(&mut self, batch: RecordBatch) -> skillgap_sources::Result<()> {
        if self.error.is_none()
            && let Err(error) = self.file.write(&batch)
        {
            self.error = Some(error);
        }
        Ok(())
    }

    fn finish(self) -> Result<skillgap_sinks::WrittenTable> {
        if let Some(error) = self.error {
            return Err(error.into());
        }
        Ok(self.file.finish()?)
    }
}

/// A reader's sink of record batches.
type Sink<'a> = dyn FnMut(RecordBatch) -> skillgap_sources::Result<()> + 'a;

/// Reads the files of one input on as many workers as there are cores (file i on worker
/// i mod n), each with its own reader state `W`, rejects and bronze part file; reports
/// progress by file. `read` returns the records a file held (when the reader counts per
/// file), `finish` the worker's (records, bytes) (when it counts overall). Returns
/// (records, rows written, bytes). `first` is the index of `files[0]` in the input's whole
/// list (it names the part files and numbers the records).
#[allow(clippy::too_many_arguments)]
fn read_in_parallel<W>(
    files: &[(String, InputFile)],
    first: usize,
    bronze: &Path,
    name: &str,
    schema: &arrow::datatypes::SchemaRef,
    rejects: &mut RejectsBuilder,
    new_worker: impl Fn() -> W + Sync,
    read: impl Fn(&mut W, usize, &Path, &str, &mut RejectsBuilder, &mut Sink<'_>) -> Result<u64> + Sync,
    finish: impl Fn(&mut W, &mut Sink<'_>) -> Result<(u64, u64)> + Sync,
) -> Result<(u64, u64, u64)> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from).min(files.len()).max(1);
    let done = std::sync::atomic::AtomicU64::new(0);
    let total = files.len() as u64;
    let results: Vec<Result<(u64, u64, RecordBatch, u64)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let (new_worker, read, finish, done) = (&new_worker, &read, &finish, &done);
                scope.spawn(move || -> Result<(u64, u64, RecordBatch, u64)> {
                    let mut state = new_worker();
                    let mut worker_rejects = RejectsBuilder::default();
                    let mut file = BronzeFile::create_part(bronze, name, first, worker, schema)?;
                    let mut records = 0;
                    for (index, (shown, input_file)) in
                        files.iter().enumerate().filter(|(index, _)| index % workers == worker)
                    {
                        records += read(
                            &mut state,
                            first + index,
                            &input_file.path,
                            shown,
                            &mut worker_rejects,
                            &mut |batch| file.accept(batch),
                        )?;
                        let done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        tracing::info!(target: skillgap_sources::PROGRESS, task = name, unit = "fichiers", done, total);
                    }
                    let (counted, bytes) = finish(&mut state, &mut |batch| file.accept(batch))?;
                    let written = file.finish()?;
                    Ok((records + counted, bytes, worker_rejects.finish(), written.rows))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| Err(Error::Internal(format!("a {name} reader thread panicked"))))
            })
            .collect()
    });
    let (mut records, mut bytes, mut rows) = (0, 0, 0);
    for result in results {
        let (worker_records, worker_bytes, worker_rejects, worker_rows) = result?;
        records += worker_records;
        bytes += worker_bytes;
        rows += worker_rows;
        rejects.append(&worker_rejects);
    }
    Ok((records, rows, bytes))
}

fn write_batches(
    bronze: &Path,
    name: &str,
    schema: &arrow::datatypes::SchemaRef,
    batches: &[RecordBatch],
) -> Result<()> {
    let mut file = TableFile::create(&bronze.join(name).join("part-0.parquet"), schema, None)?;
    for batch in batches {
        file.write(batch)?;
    }
    file.finish()?;
    Ok(())
}

/// The file types of the inputs read from directories (each optionally `.gz`).
const OFFER_FILES: &[&str] = &["json", "ndjson", "jsonl"];
const CATALOGUE_FILES: &[&str] = &["xml"];
const TABLE_FILES: &[&str] = &["csv", "tsv", "txt"];

/// The files of a multi-file input (directories expanded), each with its display path and
/// manifest description.
fn input_files(
    pipeline: &Pipeline,
    name: &str,
    input: &FilesInput,
    extensions: &[&str],
) -> Result<Vec<(String, InputFile)>> {
    let paths = input
        .paths
        .iter()
        .map(|path| pipeline.resolve(&input.root, path))
        .collect::<skillgap_config::Result<Vec<_>>>()?;
    let files = expand_paths(name, &paths, extensions).map_err(source_error(name))?;
    describe(name, pipeline, &input.root, &files)
}

/// How the pipeline says to read a tabular input: its settings as the reader takes them.
fn table_settings(field: &str, layout: &TableLayout, input: &TableInput) -> Result<TableSettings> {
    for key in input.columns.keys() {
        if !layout.columns.iter().any(|column| column.name == key) {
            let known: Vec<&str> = layout.columns.iter().map(|column| column.name).collect();
            return Err(Error::Argument(format!(
                "{field}.columns: `{key}` is not a column of {} (its columns are: {})",
                layout.input,
                known.join(", ")
            )));
        }
    }
    let format = match input.format() {
        skillgap_config::TableFormat::Csv => TableFormat::Csv,
        skillgap_config::TableFormat::Xlsx => TableFormat::Xlsx,
        skillgap_config::TableFormat::Xls => TableFormat::Xls,
    };
    let encoding = match input.encoding {
        TextEncoding::Utf8 => encoding_rs::UTF_8,
        TextEncoding::Windows1252 | TextEncoding::Iso8859_1 => encoding_rs::WINDOWS_1252,
        TextEncoding::Iso8859_15 => encoding_rs::ISO_8859_15,
    };
    Ok(TableSettings {
        format,
        sheet: input.sheet.clone(),
        skip_rows: input.skip_rows,
        encoding,
        delimiter: input.delimiter as u8,
        filter: input.filter.iter().map(|(column, values)| (column.clone(), values.values().to_vec())).collect(),
        headers: input.columns.iter().map(|(name, header)| (name.clone(), header.clone())).collect(),
    })
}

/// The file types a tabular input's directory may hold.
fn table_files(format: TableFormat) -> &'static [&'static str] {
    match format {
        TableFormat::Csv => TABLE_FILES,
        TableFormat::Xlsx => &["xlsx", "xlsm"],
        TableFormat::Xls => &["xls"],
    }
}

/// What `skillgap fetch` landed, each file with its display path.
#[derive(Debug, Clone, Default)]
pub struct Landed {
    /// Offer pages (`skillgap fetch offers`), read after the configured offer files.
    pub offers: Vec<(String, PathBuf)>,
    /// Marché du travail answers (`skillgap fetch labour-market`), oldest first.
    pub labour_market: Vec<(String, PathBuf)>,
}

/// The distinct values of one column of a configured tabular input (the codes a fetch
/// asks for); the input's reader rejects are left to the run that reads it.
pub(crate) fn table_column_values(pipeline: &Pipeline, name: &str, column: &str) -> Result<BTreeSet<String>> {
    let (_, field, input) = pipeline
        .inputs
        .tables()
        .into_iter()
        .find(|(input, _, _)| *input == name)
        .ok_or_else(|| Error::Internal(format!("no tabular input {name}")))?;
    let input = input
        .ok_or_else(|| Error::Argument(format!("{field} is not configured: the fetch needs its `{column}` codes")))?;
    let layout =
        table_layout(name).ok_or_else(|| Error::Internal(format!("no layout for the tabular input {name}")))?;
    let settings = table_settings(field, layout, input)?;
    let path = pipeline.resolve(&input.root, &input.path)?;
    let files =
        expand_paths(name, std::slice::from_ref(&path), table_files(settings.format)).map_err(source_error(name))?;
    let mut values = BTreeSet::new();
    let mut rejects = RejectsBuilder::default();
    for (file, (shown, _)) in files.iter().zip(describe(name, pipeline, &input.root, &files)?) {
        let (batches, _) = read_table(layout, &settings, file, &shown, &mut rejects).map_err(source_error(name))?;
        for batch in batches {
            let Some(array) = batch
                .column_by_name(column)
                .and_then(|c| c.as_any().downcast_ref::<arrow::array::StringArray>().cloned())
            else {
                continue;
            };
            values.extend(array.iter().flatten().map(str::trim).filter(|code| !code.is_empty()).map(str::to_owned));
        }
    }
    Ok(values)
}

/// Reads the landed Marché du travail answers into `bronze/jobseekers/part-labour-market`
/// and `bronze/labour_market_tension` (both written, empty when nothing is landed).
fn ingest_labour_market(
    bronze: &Path,
    landed: &[(String, PathBuf)],
    rejects: &mut RejectsBuilder,
) -> Result<Option<IngestedInput>> {
    let mut figures = LabourMarketFigures::default();
    for (shown, path) in landed {
        figures.read_file(path, shown, rejects).map_err(source_error("labour_market"))?;
    }
    let schema = labour_market_jobseekers_schema().map_err(source_error("labour_market"))?;
    let jobseekers = figures.jobseeker_batch(&schema).map_err(source_error("labour_market"))?;
    let mut file = TableFile::create(&bronze.join("jobseekers").join("part-labour-market.parquet"), &schema, None)?;
    file.write(&jobseekers)?;
    file.finish()?;
    let tension = figures.tension_batch().map_err(source_error("labour_market"))?;
    write_batches(bronze, "labour_market_tension", &tension_schema(), std::slice::from_ref(&tension))?;
    tracing::info!(
        input = "labour_market",
        files = landed.len(),
        answers = figures.answers,
        no_data = figures.no_data,
        items = figures.items,
        rejected = figures.rejected,
        jobseeker_rows = jobseekers.num_rows(),
        tension_rows = tension.num_rows(),
        "read"
    );
    if landed.is_empty() {
        return Ok(None);
    }
    let files = landed
        .iter()
        .map(|(shown, path)| Ok((shown.clone(), describe_file(path).map_err(source_error("labour_market"))?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(IngestedInput {
        name: "labour_market".to_owned(),
        vintage: Some(figures.vintage()),
        files,
        records: figures.items + figures.rejected,
    }))
}

/// Reads every input into `bronze` (a directory of the run's staging area).
/// `landed`: what `skillgap fetch` landed. `previous`: the previous run, when it can be
/// built on — if only new offer files came since, only they are read and the rest is
/// linked from it.
pub(crate) fn ingest(
    pipeline: &Pipeline,
    bronze: &Path,
    landed: &Landed,
    previous: Option<&PreviousRun>,
) -> Result<Ingested> {
    let mut rejects = RejectsBuilder::default();
    let mut inputs = Vec::new();

    let has_bmo_crosswalk = pipeline.inputs.territories.bmo_bassins.is_some();
    let mut communes = Vec::new();
    for (name, field, input) in pipeline.inputs.tables() {
        let Some(input) = input else {
            if name == "jobseekers" {
                // Jobseekers may come from the API alone: the CSV's part is then empty.
                write_batches(
                    bronze,
                    name,
                    &table_schema(
                        table_layout(name).ok_or_else(|| Error::Internal("no jobseekers layout".to_owned()))?,
                    ),
                    &[],
                )?;
            }
            continue;
        };
        let layout =
            table_layout(name).ok_or_else(|| Error::Internal(format!("no layout for the tabular input {name}")))?;
        let settings = table_settings(field, layout, input)?;
        let path = pipeline.resolve(&input.root, &input.path)?;
        let files = expand_paths(name, std::slice::from_ref(&path), table_files(settings.format))
            .map_err(source_error(name))?;
        let before = rejects.len();
        let mut batches = Vec::new();
        let mut stats = TableStats::default();
        let described = describe(name, pipeline, &input.root, &files)?;
        for (file, (shown, _)) in files.iter().zip(&described) {
            let (file_batches, file_stats) =
                read_table(layout, &settings, file, shown, &mut rejects).map_err(source_error(name))?;
            batches.extend(file_batches);
            stats.rows += file_stats.rows;
            stats.filtered_out += file_stats.filtered_out;
        }
        write_batches(bronze, name, &table_schema(layout), &batches)?;
        if name == "communes" {
            communes.clone_from(&batches);
        }
        let records = stats.rows + (rejects.len() - before) as u64;
        inputs.push(IngestedInput { name: name.to_owned(), vintage: input.vintage.clone(), files: described, records });
        tracing::info!(input = name, rows = stats.rows, filtered_out = stats.filtered_out, "read");
    }

    inputs.extend(ingest_labour_market(bronze, &landed.labour_market, &mut rejects)?);

    let offers = &pipeline.inputs.offers;
    let mut described = input_files(pipeline, "offers", offers, OFFER_FILES)?;
    for (shown, path) in &landed.offers {
        described.push((shown.clone(), describe_file(path).map_err(source_error("offers"))?));
    }
    let catalogue = match &pipeline.inputs.lheo {
        Some(catalogue) => Some((catalogue, input_files(pipeline, "lheo", catalogue, CATALOGUE_FILES)?)),
        None => None,
    };
    let territories = &pipeline.inputs.territories;
    let grid_input = territories
        .bassins
        .as_ref()
        .map(|grid| ("bassins", grid))
        .or(territories.commune_polygons.as_ref().map(|grid| ("commune_polygons", grid)));
    let grid = match grid_input {
        Some((name, grid)) => {
            let path = pipeline.resolve(&grid.root, &grid.path)?;
            let described = describe(name, pipeline, &grid.root, std::slice::from_ref(&path))?;
            Some((name, grid, path, described))
        }
        None => None,
    };
    let reuse = previous.and_then(|previous| {
        let other_inputs = inputs
            .iter()
            .map(|input| (input.name.as_str(), input.files.as_slice()))
            .chain(catalogue.as_ref().map(|(_, files)| ("lheo", files.as_slice())))
            .chain(grid.as_ref().map(|(name, _, _, files)| (*name, files.as_slice())));
        previous.reuse_for(other_inputs, &described).map(|reuse| (previous, reuse))
    });

    let first_new = reuse.as_ref().map_or(0, |(_, reuse)| reuse.offer_files_read);
    let mut previous_records = 0;
    if let Some((previous, reuse)) = &reuse {
        let linked = link_parquet_files(&reuse.dir.join("bronze").join("offers"), &bronze.join("offers"))?;
        previous_records = previous.records("offers");
        tracing::info!(previous = %reuse.run, files = first_new, parts = linked.len(), records = previous_records, "offers of the previous run reused");
    }
    // `start_file` keeps every record's order that of a sequential read (deduplication
    // ties depend on it).
    let (records, rows, bytes) = read_in_parallel(
        &described[first_new..],
        first_new,
        bronze,
        "offers",
        &offers_schema(),
        &mut rejects,
        OfferReader::new,
        |reader, index, path, shown, rejects, sink| {
            reader.start_file(index);
            reader.read_file(path, shown, rejects, sink).map_err(source_error("offers"))?;
            Ok(0)
        },
        |reader, sink| {
            reader.flush(sink).map_err(source_error("offers"))?;
            Ok((reader.records, reader.bytes))
        },
    )?;
    let records = previous_records + records;
    inputs.push(IngestedInput {
        name: "offers".to_owned(),
        vintage: offers.vintage.clone(),
        files: described,
        records,
    });
    tracing::info!(input = "offers", records, rows, megabytes = bytes as f64 / 1e6, "read");

    if let Some((catalogue, described)) = catalogue {
        let records = match &reuse {
            Some((previous, reuse)) => {
                link_parquet_files(&reuse.dir.join("bronze").join("lheo"), &bronze.join("lheo"))?;
                previous.records("lheo")
            }
            None => read_in_parallel(
                &described,
                0,
                bronze,
                "lheo",
                &sessions_schema(),
                &mut rejects,
                || (),
                |(), _, path, shown, rejects, sink| {
                    let stats = read_lheo(path, shown, rejects, sink).map_err(source_error("lheo"))?;
                    tracing::info!(input = "lheo", file = %shown, formations = stats.formations, sessions = stats.sessions, rejected = stats.rejected, "read");
                    Ok(stats.sessions + stats.rejected)
                },
                |(), _| Ok((0, 0)),
            )?
            .0,
        };
        inputs.push(IngestedInput {
            name: "lheo".to_owned(),
            vintage: catalogue.vintage.clone(),
            files: described,
            records,
        });
    }

    let mut bassins = Vec::new();
    let mut grid_unmatched = Vec::new();
    if let Some((name, grid, path, described)) = grid {
        let properties = BassinProperties {
            code: &grid.code_property,
            label: &grid.label_property,
            departement: &grid.departement_property,
        };
        let shapes = read_bassins(&path, &properties).map_err(source_error(name))?;
        let records = shapes.len() as u64;
        if name == "commune_polygons" {
            let dissolved = dissolve(
                &shapes,
                &commune_assignments(&communes).map_err(source_error(name))?,
                &display_path(pipeline, &grid.root, &path),
            )
            .map_err(source_error(name))?;
            grid_unmatched
                .extend(dissolved.without_polygon.into_iter().map(|code| ("commune_polygons", "communes", code)));
            grid_unmatched
                .extend(dissolved.without_bassin.into_iter().map(|code| ("communes", "commune_polygons", code)));
            bassins = dissolved.bassins;
            tracing::info!(
                input = name,
                communes = records,
                bassins = bassins.len(),
                "grid dissolved from commune polygons"
            );
        } else {
            bassins = shapes;
            tracing::info!(input = name, bassins = bassins.len(), "read");
        }
        inputs.push(IngestedInput { name: name.to_owned(), vintage: grid.vintage.clone(), files: described, records });
    }

    Ok(Ingested {
        inputs,
        reader_rejects: rejects.finish(),
        bassins,
        grid_unmatched,
        has_bmo_crosswalk,
        has_catalogue: pipeline.inputs.lheo.is_some(),
        has_outcomes: pipeline.inputs.session_outcomes.is_some(),
        projections: pipeline.inputs.projections.as_ref().map(|_| pipeline.grid.region_code.clone()),
        has_employment: pipeline.inputs.employment.is_some(),
        reuse: reuse.map(|(_, reuse)| reuse),
    })
}

//! Reading every configured input into bronze Parquet files of the run's staging
//! directory (`bronze/<input>/part-0.parquet`), with the readers' rejects and the
//! per-file descriptions (size, checksum) for the manifest.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use skillgap_config::{CsvInput, FilesInput, Pipeline};
use skillgap_sinks::TableFile;
use skillgap_sources::{
    BMO_COLUMNS, BassinProperties, BassinShape, CsvTable, InputFile, OfferReader, RejectsBuilder, describe_file, expand_paths, offers_schema, read_bassins,
    read_bmo, read_csv, read_lheo, sessions_schema,
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

/// The columns of the optional CSV inputs.
const OPTIONAL_CSV: [(&str, &[&str], &[&str]); 4] = [
    ("bmo_bassins", &["code_bassin_bmo", "code_bassin", "poids"], &[]),
    ("session_outcomes", &["session_id", "entrees", "entrees_prioritaires", "sortants", "en_emploi_6m"], &["date_maj"]),
    (
        "projections",
        &[
            "code_fap",
            "libelle_fap",
            "region",
            "emploi_2019",
            "creations_nettes",
            "departs_fin_carriere",
            "jeunes_debutants",
            "solde_mobilites",
            "desequilibre",
            "postes_a_pourvoir",
        ],
        &["niveau_tension_2019"],
    ),
    ("employment", &["code_territoire", "type_territoire", "code_fap", "emploi"], &[]),
];

/// The columns of each CSV input: (input name, required, optional).
const CSV_LAYOUTS: [(&str, &[&str], &[&str]); 6] = [
    ("communes", &["code_commune", "libelle_commune", "code_bassin"], &["code_postal"]),
    ("rome", &["code_rome", "libelle_rome", "code_metier_bmo", "code_fap", "secteur"], &[]),
    ("rome_formacode", &["code_rome", "formacode"], &[]),
    ("formacode", &["formacode", "libelle", "code_nsf"], &[]),
    ("nsf", &["code_nsf", "libelle_nsf"], &[]),
    ("jobseekers", &["periode", "code_territoire", "type_territoire", "code_rome", "de_a", "de_abc", "sorties_abc_12m", "entrees_a_12m"], &[]),
];

fn display_path(pipeline: &Pipeline, root: &str, path: &Path) -> String {
    let base = pipeline.resolve(root, ".").unwrap_or_default();
    let relative = path.strip_prefix(&base).unwrap_or(path);
    format!("{root}:{}", relative.display())
}

fn source_error(input: &str) -> impl FnOnce(skillgap_sources::Error) -> Error + '_ {
    move |source| Error::Source { input: input.to_owned(), source }
}

fn describe(input: &str, pipeline: &Pipeline, root: &str, files: &[PathBuf]) -> Result<Vec<(String, InputFile)>> {
    files.iter().map(|path| Ok((display_path(pipeline, root, path), describe_file(path).map_err(source_error(input))?))).collect()
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
    fn create_part(bronze: &Path, name: &str, first: usize, worker: usize, schema: &arrow::datatypes::SchemaRef) -> Result<Self> {
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
                    for (index, (shown, input_file)) in files.iter().enumerate().filter(|(index, _)| index % workers == worker) {
                        records += read(&mut state, first + index, &input_file.path, shown, &mut worker_rejects, &mut |batch| file.accept(batch))?;
                        let done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        tracing::info!(target: skillgap_sources::PROGRESS, task = name, unit = "fichiers", done, total);
                    }
                    let (counted, bytes) = finish(&mut state, &mut |batch| file.accept(batch))?;
                    let written = file.finish()?;
                    Ok((records + counted, bytes, worker_rejects.finish(), written.rows))
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap_or_else(|_| Err(Error::Internal(format!("a {name} reader thread panicked"))))).collect()
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

fn write_batches(bronze: &Path, name: &str, schema: &arrow::datatypes::SchemaRef, batches: &[RecordBatch]) -> Result<()> {
    let mut file = TableFile::create(&bronze.join(name).join("part-0.parquet"), schema, None)?;
    for batch in batches {
        file.write(batch)?;
    }
    file.finish()?;
    Ok(())
}

/// The files of a multi-file input (directories expanded), each with its display path and
/// manifest description.
fn input_files(pipeline: &Pipeline, name: &str, input: &FilesInput) -> Result<Vec<(String, InputFile)>> {
    let paths = input.paths.iter().map(|path| pipeline.resolve(&input.root, path)).collect::<skillgap_config::Result<Vec<_>>>()?;
    let files = expand_paths(name, &paths).map_err(source_error(name))?;
    describe(name, pipeline, &input.root, &files)
}

fn csv_input<'a>(pipeline: &'a Pipeline, name: &str) -> Option<&'a CsvInput> {
    let inputs = &pipeline.inputs;
    match name {
        "communes" => Some(&inputs.territories.communes),
        "rome" => Some(&inputs.rome),
        "rome_formacode" => Some(&inputs.rome_formacode),
        "formacode" => Some(&inputs.formacode),
        "nsf" => Some(&inputs.nsf),
        "bmo_bassins" => inputs.territories.bmo_bassins.as_ref(),
        "session_outcomes" => inputs.session_outcomes.as_ref(),
        "projections" => inputs.projections.as_ref(),
        "employment" => inputs.employment.as_ref(),
        _ => Some(&inputs.jobseekers),
    }
}

/// The table layout of a CSV input with the pipeline's header names applied.
fn csv_table<'a>(name: &'a str, input: &CsvInput, required: &[&'a str], optional: &[&'a str]) -> Result<CsvTable<'a>> {
    for key in input.columns.keys() {
        if !required.contains(&key.as_str()) && !optional.contains(&key.as_str()) {
            let known: Vec<&str> = required.iter().chain(optional).copied().collect();
            return Err(Error::Argument(format!("inputs.{name}.columns: `{key}` is not a column of {name} (its columns are: {})", known.join(", "))));
        }
    }
    let mut table = CsvTable::new(name, input.delimiter as u8, required, optional);
    for (canonical, header, _) in &mut table.columns {
        if let Some(mapped) = input.columns.get(*canonical) {
            header.clone_from(mapped);
        }
    }
    Ok(table)
}

/// Reads every input into `bronze` (a directory of the run's staging area).
/// `landed_offers`: offer pages landed by `skillgap fetch offers`, read after the
/// configured offer files. `previous`: the previous run, when it can be built on — if only
/// new offer files came since, only they are read and the rest is linked from it.
pub(crate) fn ingest(pipeline: &Pipeline, bronze: &Path, landed_offers: &[(String, PathBuf)], previous: Option<&PreviousRun>) -> Result<Ingested> {
    let mut rejects = RejectsBuilder::default();
    let mut inputs = Vec::new();

    let has_bmo_crosswalk = pipeline.inputs.territories.bmo_bassins.is_some();
    for (name, required, optional) in CSV_LAYOUTS.into_iter().chain(OPTIONAL_CSV) {
        let Some(input) = csv_input(pipeline, name) else { continue };
        let path = pipeline.resolve(&input.root, &input.path)?;
        let files = expand_paths(name, std::slice::from_ref(&path)).map_err(source_error(name))?;
        let table = csv_table(name, input, required, optional)?;
        let before = rejects.len();
        let mut batches = Vec::new();
        let described = describe(name, pipeline, &input.root, &files)?;
        for (file, (shown, _)) in files.iter().zip(&described) {
            batches.extend(read_csv(&table, file, shown, &mut rejects).map_err(source_error(name))?);
        }
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        write_batches(bronze, name, &table.schema(), &batches)?;
        inputs.push(IngestedInput { name: name.to_owned(), vintage: input.vintage.clone(), files: described, records: (rows + rejects.len() - before) as u64 });
        tracing::info!(input = name, rows, "read");
    }

    let bmo = &pipeline.inputs.bmo;
    let path = pipeline.resolve(&bmo.root, &bmo.path)?;
    let files = expand_paths("bmo", std::slice::from_ref(&path)).map_err(source_error("bmo"))?;
    let described = describe("bmo", pipeline, &bmo.root, &files)?;
    let columns = &bmo.columns;
    let configured = [
        &columns.annee,
        &columns.code_metier,
        &columns.nom_metier,
        &columns.region,
        &columns.departement,
        &columns.bassin,
        &columns.nom_bassin,
        &columns.met,
        &columns.xmet,
        &columns.smet,
    ]
    .map(Clone::clone);
    let before = rejects.len();
    let mut batches = Vec::new();
    for (file, (shown, _)) in files.iter().zip(&described) {
        batches.extend(read_bmo(file, shown, bmo.delimiter as u8, &configured, &mut rejects).map_err(source_error("bmo"))?);
    }
    let bmo_schema = CsvTable { input: "bmo", delimiter: b';', columns: BMO_COLUMNS.iter().map(|c| (*c, (*c).to_owned(), true)).collect() }.schema();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    write_batches(bronze, "bmo", &bmo_schema, &batches)?;
    inputs.push(IngestedInput { name: "bmo".to_owned(), vintage: bmo.vintage.clone(), files: described, records: (rows + rejects.len() - before) as u64 });
    tracing::info!(input = "bmo", rows, "read");

    let offers = &pipeline.inputs.offers;
    let mut described = input_files(pipeline, "offers", offers)?;
    for (shown, path) in landed_offers {
        described.push((shown.clone(), describe_file(path).map_err(source_error("offers"))?));
    }
    let catalogue = match &pipeline.inputs.lheo {
        Some(catalogue) => Some((catalogue, input_files(pipeline, "lheo", catalogue)?)),
        None => None,
    };
    let grid = match &pipeline.inputs.territories.bassins {
        Some(grid) => {
            let path = pipeline.resolve(&grid.root, &grid.path)?;
            let described = describe("bassins", pipeline, &grid.root, std::slice::from_ref(&path))?;
            Some((grid, path, described))
        }
        None => None,
    };
    let reuse = previous.and_then(|previous| {
        let other_inputs = inputs
            .iter()
            .map(|input| (input.name.as_str(), input.files.as_slice()))
            .chain(catalogue.as_ref().map(|(_, files)| ("lheo", files.as_slice())))
            .chain(grid.as_ref().map(|(_, _, files)| ("bassins", files.as_slice())));
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
    inputs.push(IngestedInput { name: "offers".to_owned(), vintage: offers.vintage.clone(), files: described, records });
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
        inputs.push(IngestedInput { name: "lheo".to_owned(), vintage: catalogue.vintage.clone(), files: described, records });
    }

    let mut bassins = Vec::new();
    if let Some((grid, path, described)) = grid {
        let properties = BassinProperties { code: &grid.code_property, label: &grid.label_property, departement: &grid.departement_property };
        bassins = read_bassins(&path, &properties).map_err(source_error("bassins"))?;
        inputs.push(IngestedInput { name: "bassins".to_owned(), vintage: grid.vintage.clone(), files: described, records: bassins.len() as u64 });
        tracing::info!(input = "bassins", bassins = bassins.len(), "read");
    }

    Ok(Ingested {
        inputs,
        reader_rejects: rejects.finish(),
        bassins,
        has_bmo_crosswalk,
        has_catalogue: pipeline.inputs.lheo.is_some(),
        has_outcomes: pipeline.inputs.session_outcomes.is_some(),
        projections: pipeline.inputs.projections.as_ref().map(|_| pipeline.grid.region_code.clone()),
        has_employment: pipeline.inputs.employment.is_some(),
        reuse: reuse.map(|(_, reuse)| reuse),
    })
}

//! The per-bassin gap sheets (`sheets.md`): one French HTML file and one XLSX workbook per
//! bassin, and a regional index page with a choropleth map, written from a published
//! run's public (secrecy-applied) tables, its manifest and its bassin outlines. The
//! content of a sheet is built once (`sections`) and rendered twice (`html`, `xlsx`).

mod data;
mod error;
pub mod format;
mod html;
mod pdf;
mod sections;
mod svg;
mod table;
mod takeaways;
mod xlsx;

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use data::{RUN_PARTS_READ, RunTables};
pub use error::{Error, Result};
pub use pdf::{chromium, headless_arguments};
pub use sections::UPCOMING_LISTED;
pub use xlsx::TABLE_HEADER_ROW;

/// What to render.
#[derive(Debug, Clone)]
pub struct SheetRequest {
    /// The published run (`<output>/current`, a run directory, or a run being built).
    pub run_dir: PathBuf,
    /// Where the files go (`<run>/sheets` by default).
    pub out_dir: PathBuf,
    /// Only these bassins (all of the grid when empty).
    pub bassins: Vec<String>,
    /// Write HTML files.
    pub html: bool,
    /// Write XLSX workbooks.
    pub xlsx: bool,
    /// Print PDF files from the HTML (headless Chromium).
    pub pdf: bool,
    /// The region's name, for the index.
    pub region: String,
    /// `MIN_DENOM`, quoted in the glossary.
    pub min_denom: f64,
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetsReport {
    /// Sheets (bassins) rendered.
    pub sheets: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The index page.
    pub index: Option<PathBuf>,
    /// Time taken.
    pub seconds: f64,
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|error| Error::Write { path: path.to_path_buf(), message: error.to_string() })
}

/// A file name safe for any bassin code (letters, digits, `-`, `_` only).
fn file_stem(code: &str) -> String {
    let safe: String =
        code.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("fiche-{safe}")
}

/// A sheet rendered by a worker: the bassin's index in the run's order, and its files.
type RenderedSheet = (usize, Vec<PathBuf>);

/// One bassin's sheet: its HTML (and PDF) and XLSX files, as requested.
fn render_sheet(tables: &RunTables, bassin: &data::Bassin, request: &SheetRequest) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut sections = vec![
        takeaways::takeaways(tables, bassin),
        sections::key_figures(tables, bassin),
        sections::metiers(tables, bassin),
        sections::competences(tables, bassin),
        sections::specialties(tables, bassin),
        sections::upcoming(tables, bassin),
        sections::evolution(tables, bassin),
    ];
    sections.extend(sections::horizon(tables, bassin));
    let stem = file_stem(&bassin.code);
    if request.html || request.pdf {
        let path = request.out_dir.join(format!("{stem}.html"));
        let markup = html::sheet(tables, bassin, &sections, &sections::gap_bars(tables, bassin), request.min_denom);
        write_file(&path, &markup.into_string())?;
        if request.pdf {
            let pdf_path = request.out_dir.join(format!("{stem}.pdf"));
            pdf::print(&path, &pdf_path)?;
            files.push(pdf_path);
        }
        files.push(path);
    }
    if request.xlsx {
        let path = request.out_dir.join(format!("{stem}.xlsx"));
        let title = format!("Fiche bassin — {} ({})", bassin.label, bassin.code);
        let lines = [
            sections::dates_line(tables, bassin),
            sections::quality_line(tables, bassin),
            format!("Sources : {}.", sections::sources(tables).join(" ; ")),
        ];
        xlsx::write(
            &path,
            &xlsx::Header { title: &title, lines: &lines },
            &sections,
            &tables.missing_figures(),
            request.min_denom,
            tables.rounding_base(),
        )?;
        files.push(path);
    }
    Ok(files)
}

/// Renders the sheets of a run.
pub fn render(request: &SheetRequest) -> Result<SheetsReport> {
    let clock = Instant::now();
    let tables = RunTables::load(&request.run_dir)?;
    for code in &request.bassins {
        if !tables.bassins.iter().any(|b| &b.code == code) {
            return Err(Error::UnknownBassin(code.clone()));
        }
    }
    std::fs::create_dir_all(&request.out_dir)
        .map_err(|error| Error::Write { path: request.out_dir.clone(), message: error.to_string() })?;
    // One sheet per bassin, on as many workers as there are cores (bassin i on worker
    // i mod n); files are listed in the bassins' order whatever the workers' timing.
    let chosen: Vec<&data::Bassin> =
        tables.bassins.iter().filter(|b| request.bassins.is_empty() || request.bassins.contains(&b.code)).collect();
    let workers = std::thread::available_parallelism().map_or(1, usize::from).min(chosen.len()).max(1);
    let rendered: Vec<Result<Vec<RenderedSheet>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let (tables, chosen) = (&tables, &chosen);
                scope.spawn(move || {
                    chosen
                        .iter()
                        .enumerate()
                        .filter(|(index, _)| index % workers == worker)
                        .map(|(index, bassin)| Ok((index, render_sheet(tables, bassin, request)?)))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(Error::Write { path: request.out_dir.clone(), message: "a sheet worker panicked".to_owned() })
                })
            })
            .collect()
    });
    let mut per_bassin = Vec::new();
    for worker in rendered {
        per_bassin.extend(worker?);
    }
    per_bassin.sort_by_key(|(index, _)| *index);
    let files: Vec<PathBuf> = per_bassin.into_iter().flat_map(|(_, files)| files).collect();
    let links: Vec<(String, String, String)> = chosen
        .iter()
        .map(|bassin| {
            let stem = file_stem(&bassin.code);
            (bassin.code.clone(), format!("{stem}.html"), format!("{stem}.xlsx"))
        })
        .collect();
    let sheets = chosen.len();
    let index = if request.html {
        let path = request.out_dir.join("index.html");
        write_file(&path, &html::index(&tables, &request.region, &links).into_string())?;
        Some(path)
    } else {
        None
    };
    let seconds = clock.elapsed().as_secs_f64();
    tracing::info!(sheets, files = files.len(), seconds, "sheets written");
    Ok(SheetsReport { sheets, files, index, seconds })
}

//! `skillgap referentials build`: the ROME referential of a run (`rome.csv`: `code_rome`,
//! `libelle_rome`, `code_metier_bmo`, `code_fap`, `secteur`) built from the files France
//! Travail and DARES publish, instead of by hand:
//! - codes and labels from ROME 4.0 `RefRomeCsv`, whose `code_rome_parent` is the ROME v3
//!   code that DARES' tables know;
//! - the FAP 2009 family from DARES' ROME v3 → FAP 2009 table (printed layout). A ROME
//!   listed under several FAPs (one per qualification condition) takes the FAP whose
//!   condition covers the most qualification levels (unconditional = all ten), the first
//!   in the table on a tie;
//! - the BMO métier in the BMO file's nomenclature: FAP 2009 (BMO files up to 2023) is the
//!   FAP above; FAP 2021 (BMO 2024 on, 228-family codes) needs a ROME → FAP 2021 crosswalk,
//!   which no public file gives: without one, `code_metier_bmo` is empty and the report
//!   says so;
//! - the sheets' sector from the FAP domain (the letter), by the table [`SECTORS`].
//!
//! A report (`rome_build.json`) beside the file lists what could not be mapped.
//!
//! And the BMO bassin → grid crosswalk (`bmo_bassins.csv`) of a grid that is not the BMO
//! bassins, from the two commune tables ([`build_bmo_crosswalk`]): a BMO bassin's weight
//! on a grid bassin is the share of its communes that lie there. The two code spaces are
//! kept apart by the files they come from (zone d'emploi 3203 is Arras, BMO bassin 3203
//! Santerre-Somme).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use serde::Serialize;
use skillgap_sources::{Column, RejectsBuilder, TableLayout, TableSettings, read_rome_fap_table, read_table};

use crate::error::{Error, Result};

/// The sector group of each FAP domain (the family code's letter, FAP 2009 and 2021
/// alike), as the sheets group métiers.
pub const SECTORS: [(char, &str); 22] = [
    ('A', "agriculture"),
    ('B', "BTP"),
    ('C', "industrie"),
    ('D', "industrie"),
    ('E', "industrie"),
    ('F', "industrie"),
    ('G', "industrie"),
    ('H', "industrie"),
    ('J', "transport-logistique"),
    ('K', "artisanat"),
    ('L', "administration-gestion"),
    ('M', "informatique"),
    ('N', "études et recherche"),
    ('P', "administration publique"),
    ('Q', "banque-assurance"),
    ('R', "commerce"),
    ('S', "HCR"),
    ('T', "services à la personne"),
    ('U', "communication-culture"),
    ('V', "santé"),
    ('W', "enseignement-formation"),
    ('X', "autres"),
];

/// The nomenclature of the BMO file's métier codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BmoNomenclature {
    /// FAP 2021, 228-family level (BMO 2024 and later).
    Fap2021,
    /// FAP 2009, 225-family level (BMO up to 2023).
    Fap2009,
}

/// The published files the ROME referential is built from.
#[derive(Debug, Clone)]
pub struct RomeSources {
    /// ROME 4.0 `RefRomeCsv` (`unix_referentiel_code_rome_v*_utf8.csv`).
    pub rome: PathBuf,
    /// DARES' ROME v3 → FAP 2009 table (XLS, sheet `Table`).
    pub rome_fap2009: PathBuf,
    /// DARES' FAP 2021 nomenclature (`;`, UTF-8).
    pub fap2021: PathBuf,
    /// A ROME → FAP 2021 crosswalk (`code_rome`, `code_fap2021`), when the user has one.
    pub rome_fap2021: Option<PathBuf>,
    /// The nomenclature of the BMO file the referential will be joined with.
    pub bmo: BmoNomenclature,
}

/// What the build did and could not do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RomeReport {
    /// The ROME version, from the file's name (`v460`).
    pub rome_version: Option<String>,
    /// The BMO nomenclature the métier codes follow.
    pub bmo_nomenclature: Option<BmoNomenclature>,
    /// ROME codes written.
    pub codes: usize,
    /// Of which with a FAP 2009 family.
    pub with_fap: usize,
    /// Of which with a BMO métier.
    pub with_bmo_metier: usize,
    /// ROME codes whose v3 parent DARES' table does not list (no FAP, no sector).
    pub without_fap: Vec<String>,
    /// ROME v3 codes listed under several FAPs: (code, the FAPs with their conditions, the
    /// one chosen).
    pub several_faps: Vec<(String, Vec<String>, String)>,
    /// Why some or all BMO métiers are missing, if they are.
    pub bmo_metier_note: Option<String>,
    /// FAP 2021 codes of the crosswalk that the nomenclature does not know.
    pub unknown_fap2021: Vec<String>,
    /// Rows of the input files that could not be read, with their reason.
    pub rejected_rows: Vec<String>,
}

const ROME4: TableLayout = TableLayout {
    input: "rome4",
    columns: &[
        Column { name: "code_rome", header: "code_rome", required: true },
        Column { name: "libelle_rome", header: "libelle_rome", required: true },
        Column { name: "code_rome_parent", header: "code_rome_parent", required: true },
    ],
};

const FAP2021: TableLayout = TableLayout {
    input: "fap2021",
    columns: &[
        Column { name: "code_fap228", header: "Code_FAP228", required: true },
        Column { name: "libelle_fap228", header: "Intitulé_FAP228", required: true },
    ],
};

const CROSSWALK: TableLayout = TableLayout {
    input: "rome_fap2021",
    columns: &[
        Column { name: "code_rome", header: "code_rome", required: true },
        Column { name: "code_fap2021", header: "code_fap2021", required: true },
    ],
};

/// The rows of one column of `layout`'s batches.
fn column(batches: &[RecordBatch], name: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|batch| {
            let array = batch.column_by_name(name).map(|c| c.as_string::<i32>().clone());
            (0..batch.num_rows())
                .map(move |row| array.as_ref().filter(|a| !a.is_null(row)).map(|a| a.value(row).trim().to_owned()))
        })
        .collect()
}

/// Reads a published table; its unreadable rows are added to `rejected` (as text, for the
/// build's report), never dropped.
fn read(
    layout: &TableLayout,
    settings: &TableSettings,
    path: &Path,
    rejected: &mut Vec<String>,
) -> Result<Vec<RecordBatch>> {
    let mut rejects = RejectsBuilder::default();
    let shown = path.display().to_string();
    let (batches, _) = read_table(layout, settings, path, &shown, &mut rejects)
        .map_err(|source| Error::Source { input: layout.input.to_owned(), source })?;
    let rejects = rejects.finish();
    for row in 0..rejects.num_rows() {
        let text = |index: usize| rejects.column(index).as_string::<i32>().value(row).to_owned();
        rejected.push(format!("{} {}: {} ({})", text(1), text(2), text(3), text(4)));
    }
    Ok(batches)
}

/// The number of qualification levels a condition covers (unconditional: all ten).
fn levels(condition: &str) -> usize {
    if condition.is_empty() { 10 } else { condition.bytes().collect::<BTreeSet<_>>().len() }
}

/// The sector of a FAP code (by its domain letter).
pub fn sector(fap: &str) -> Option<&'static str> {
    let letter = fap.chars().next()?;
    SECTORS.iter().find(|(domain, _)| *domain == letter).map(|(_, sector)| *sector)
}

/// Builds `rome.csv` (and `rome_build.json`) in `out`.
pub fn build_rome(sources: &RomeSources, out: &Path) -> Result<RomeReport> {
    let mut report = RomeReport { bmo_nomenclature: Some(sources.bmo), ..RomeReport::default() };
    report.rome_version = sources.rome.file_name().and_then(|name| {
        let name = name.to_string_lossy();
        let start = name.find("_v")? + 1;
        let version: String = name[start..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        (version.len() > 1).then_some(version)
    });
    let rome = read(&ROME4, &TableSettings::csv(b','), &sources.rome, &mut report.rejected_rows)?;
    let table = read_rome_fap_table(&sources.rome_fap2009, "Table")
        .map_err(|source| Error::Source { input: "rome_fap2009".to_owned(), source })?;
    let fap2021 = read(&FAP2021, &TableSettings::csv(b';'), &sources.fap2021, &mut report.rejected_rows)?;
    let known_2021: BTreeSet<String> = column(&fap2021, "code_fap228").into_iter().flatten().collect();

    // The FAP of each ROME v3 code, by the rule of this module's documentation.
    let mut links: BTreeMap<&str, Vec<&skillgap_sources::RomeFapLink>> = BTreeMap::new();
    for link in &table.links {
        links.entry(link.rome.as_str()).or_default().push(link);
    }
    let mut fap_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (code, candidates) in &links {
        let Some(chosen) = candidates
            .iter()
            .copied()
            .reduce(|best, next| if levels(&next.qualification) > levels(&best.qualification) { next } else { best })
        else {
            continue;
        };
        fap_of.insert(code, chosen.fap.as_str());
        let families: BTreeSet<&str> = candidates.iter().map(|link| &link.fap[..3]).collect();
        if families.len() > 1 {
            let listed = candidates
                .iter()
                .map(|link| {
                    if link.qualification.is_empty() {
                        link.fap.clone()
                    } else {
                        format!("{} (Q_{})", link.fap, link.qualification)
                    }
                })
                .collect();
            report.several_faps.push(((*code).to_owned(), listed, chosen.fap.clone()));
        }
    }

    let mut crosswalk: BTreeMap<String, String> = BTreeMap::new();
    if let Some(path) = &sources.rome_fap2021 {
        let batches = read(&CROSSWALK, &TableSettings::csv(b','), path, &mut report.rejected_rows)?;
        for (code, fap) in column(&batches, "code_rome").into_iter().zip(column(&batches, "code_fap2021")) {
            let (Some(code), Some(fap)) = (code, fap) else { continue };
            if !known_2021.contains(&fap) {
                report.unknown_fap2021.push(fap.clone());
            }
            crosswalk.entry(code.to_uppercase()).or_insert(fap);
        }
    }

    std::fs::create_dir_all(out)
        .map_err(|error| Error::Internal(format!("cannot create {}: {error}", out.display())))?;
    let path = out.join("rome.csv");
    let io_error = |error: csv::Error| Error::Internal(format!("writing {}: {error}", path.display()));
    let mut writer = csv::Writer::from_path(&path).map_err(io_error)?;
    writer
        .write_record([
            "code_rome",
            "libelle_rome",
            "code_metier_bmo",
            "code_fap",
            "secteur",
            "code_rome_v3",
            "code_fap_2009",
        ])
        .map_err(io_error)?;
    let codes = column(&rome, "code_rome");
    let labels = column(&rome, "libelle_rome");
    let parents = column(&rome, "code_rome_parent");
    let mut rows: Vec<(String, String, String)> = codes
        .into_iter()
        .zip(labels)
        .zip(parents)
        .filter_map(|((code, label), parent)| {
            Some((code?.to_uppercase(), label.unwrap_or_default(), parent.unwrap_or_default().to_uppercase()))
        })
        .collect();
    rows.sort();
    rows.dedup_by(|a, b| a.0 == b.0);
    for (code, label, parent) in &rows {
        let fap = fap_of.get(parent.as_str()).or_else(|| fap_of.get(code.as_str())).copied();
        let family = fap.map(|fap| &fap[..3]);
        let bmo = match sources.bmo {
            BmoNomenclature::Fap2009 => fap.map(str::to_owned),
            BmoNomenclature::Fap2021 => crosswalk.get(code).or_else(|| crosswalk.get(parent)).cloned(),
        };
        let sector = family.and_then(sector).or_else(|| bmo.as_deref().and_then(sector));
        if fap.is_some() {
            report.with_fap += 1;
        } else {
            report.without_fap.push(code.clone());
        }
        if bmo.is_some() {
            report.with_bmo_metier += 1;
        }
        writer
            .write_record([
                code.as_str(),
                label,
                bmo.as_deref().unwrap_or(""),
                family.unwrap_or(""),
                sector.unwrap_or(""),
                parent,
                fap.unwrap_or(""),
            ])
            .map_err(io_error)?;
    }
    writer.flush().map_err(|error| Error::Internal(format!("writing {}: {error}", path.display())))?;
    report.codes = rows.len();
    if report.with_bmo_metier < report.codes {
        report.bmo_metier_note = Some(match (sources.bmo, &sources.rome_fap2021) {
            (BmoNomenclature::Fap2021, None) => "BMO 2024 and later code métiers in FAP 2021, and no ROME → FAP 2021 crosswalk was given (--rome-fap2021): no ROME has a BMO métier, so BMO figures cannot be joined to ROME métiers".to_owned(),
            (BmoNomenclature::Fap2021, Some(_)) => format!("{} ROME codes are not in the ROME → FAP 2021 crosswalk", report.codes - report.with_bmo_metier),
            (BmoNomenclature::Fap2009, _) => format!("{} ROME codes have no FAP 2009 family in DARES' table", report.codes - report.with_bmo_metier),
        });
    }
    report.unknown_fap2021.sort();
    report.unknown_fap2021.dedup();
    let text = serde_json::to_string_pretty(&report).map_err(|error| Error::Internal(error.to_string()))?;
    let report_path = out.join("rome_build.json");
    std::fs::write(&report_path, text)
        .map_err(|error| Error::Internal(format!("writing {}: {error}", report_path.display())))?;
    Ok(report)
}

/// One commune → bassin table: its layout's columns named as in the file, and the rows
/// to keep.
#[derive(Debug, Clone)]
pub struct CommuneTable {
    /// The file (CSV).
    pub path: PathBuf,
    /// Delimiter.
    pub delimiter: u8,
    /// Header of the commune code.
    pub commune: String,
    /// Header of the bassin code.
    pub bassin: String,
    /// (header, value) of a row filter (`reg` = `32`).
    pub filter: Option<(String, String)>,
}

/// What the crosswalk build found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CrosswalkReport {
    /// BMO bassins spread.
    pub bmo_bassins: usize,
    /// Grid bassins reached.
    pub grid_bassins: usize,
    /// Communes in both tables (the weights' base).
    pub communes_matched: usize,
    /// Communes of the BMO table that the grid's table lacks.
    pub only_in_bmo: Vec<String>,
    /// Communes of the grid's table that the BMO table lacks.
    pub only_in_grid: Vec<String>,
    /// Rows of the two tables that could not be read, with their reason.
    pub rejected_rows: Vec<String>,
}

fn commune_bassins(
    table: &CommuneTable,
    input: &'static str,
    rejected: &mut Vec<String>,
) -> Result<BTreeMap<String, String>> {
    let layout = TableLayout {
        input,
        columns: &[
            Column { name: "code_commune", header: "code_commune", required: true },
            Column { name: "code_bassin", header: "code_bassin", required: true },
        ],
    };
    let mut settings = TableSettings::csv(table.delimiter);
    settings.headers =
        vec![("code_commune".to_owned(), table.commune.clone()), ("code_bassin".to_owned(), table.bassin.clone())];
    settings.filter = table.filter.iter().map(|(column, value)| (column.clone(), vec![value.clone()])).collect();
    let batches = read(&layout, &settings, &table.path, rejected)?;
    let shown = table.path.display();
    let mut out = BTreeMap::new();
    for (commune, bassin) in column(&batches, "code_commune").into_iter().zip(column(&batches, "code_bassin")) {
        let (Some(commune), Some(bassin)) = (commune, bassin) else { continue };
        if let Some(other) = out.insert(commune.clone(), bassin.clone())
            && other != bassin
        {
            return Err(Error::Input {
                input: input.to_owned(),
                message: format!("{shown}: commune {commune} is in two bassins, {other} and {bassin}"),
            });
        }
    }
    Ok(out)
}

/// Writes `bmo_bassins.csv` (`code_bassin_bmo`, `code_bassin`, `poids`) in `out`: each BMO
/// bassin spread onto the grid bassins by its share of communes.
pub fn build_bmo_crosswalk(bmo: &CommuneTable, grid: &CommuneTable, out: &Path) -> Result<CrosswalkReport> {
    let mut report = CrosswalkReport::default();
    let bmo_of = commune_bassins(bmo, "bmo_communes", &mut report.rejected_rows)?;
    let grid_of = commune_bassins(grid, "grid_communes", &mut report.rejected_rows)?;
    let mut counts: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for (commune, bmo_bassin) in &bmo_of {
        match grid_of.get(commune) {
            Some(grid_bassin) => {
                *counts.entry(bmo_bassin).or_default().entry(grid_bassin).or_default() += 1;
                report.communes_matched += 1;
            }
            None => report.only_in_bmo.push(commune.clone()),
        }
    }
    report.only_in_grid = grid_of.keys().filter(|commune| !bmo_of.contains_key(*commune)).cloned().collect();
    std::fs::create_dir_all(out)
        .map_err(|error| Error::Internal(format!("cannot create {}: {error}", out.display())))?;
    let path = out.join("bmo_bassins.csv");
    let io_error = |error: csv::Error| Error::Internal(format!("writing {}: {error}", path.display()));
    let mut writer = csv::Writer::from_path(&path).map_err(io_error)?;
    writer.write_record(["code_bassin_bmo", "code_bassin", "poids", "communes"]).map_err(io_error)?;
    let mut reached = BTreeSet::new();
    for (bmo_bassin, grid_counts) in &counts {
        let total: usize = grid_counts.values().sum();
        for (grid_bassin, count) in grid_counts {
            reached.insert(*grid_bassin);
            // Twelve decimals: the weights of a BMO bassin sum to 1 within 1e-9.
            writer
                .write_record([
                    *bmo_bassin,
                    *grid_bassin,
                    &format!("{:.12}", *count as f64 / total as f64),
                    &count.to_string(),
                ])
                .map_err(io_error)?;
        }
    }
    writer.flush().map_err(|error| Error::Internal(format!("writing {}: {error}", path.display())))?;
    report.bmo_bassins = counts.len();
    report.grid_bassins = reached.len();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fap_covering_most_qualification_levels_wins() {
        assert_eq!(levels(""), 10);
        assert_eq!(levels("0123456"), 7);
        assert!(levels("0346789") > levels("125"));
    }

    #[test]
    fn every_fap_domain_has_a_sector() {
        for letter in "ABCDEFGHJKLMNPQRSTUVWX".chars() {
            assert!(sector(&format!("{letter}0Z40")).is_some(), "{letter}");
        }
        assert_eq!(sector("J1Z80"), Some("transport-logistique"));
        assert_eq!(sector("V0Z60"), Some("santé"));
        assert_eq!(sector("Z9Z99"), None);
    }
}

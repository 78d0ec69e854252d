//! What the sheets read: the run's manifest, `silver.bassins` (names and outlines) and the
//! public (secrecy-applied) gold tables. Nothing is recomputed from them.

use std::path::Path;

use skillgap_sinks::{MANIFEST_FILE, Manifest};

use crate::error::{Error, Result};
use crate::svg::{Outline, outline};
use crate::table::{Row, Table};

/// The parts of a run directory the sheets read (what is downloaded from a remote output).
pub const RUN_PARTS_READ: [&str; 3] = [MANIFEST_FILE, "silver/bassins", "public"];

/// The tables of one published run.
pub struct RunTables {
    /// `manifest.json`.
    pub manifest: Manifest,
    /// The bassins of the grid.
    pub bassins: Vec<Bassin>,
    /// `public.bassin_summary`.
    pub summary: Table,
    /// `public.competence_gap`.
    pub gap: Table,
    /// `public.skills_demand`.
    pub skills: Table,
    /// `public.specialty_gap`.
    pub specialty: Table,
    /// `public.upcoming_sessions`.
    pub upcoming: Table,
    /// `public.etat_des_lieux`.
    pub snapshots: Table,
    /// `public.long_term_gap` (empty without projections).
    pub long_term: Table,
    /// `public.france_travail_tension` (empty without PERSP_2 answers, and in runs older
    /// than the table).
    pub france_travail: Table,
}

/// One bassin of the grid.
pub struct Bassin {
    /// Code.
    pub code: String,
    /// Name (the code when the grid has none).
    pub label: String,
    /// Département.
    pub departement: Option<String>,
    /// Outline.
    pub outline: Option<Outline>,
}

impl RunTables {
    /// Reads a run directory (`<output>/current` or `<output>/runs/<id>`).
    pub fn load(run_dir: &Path) -> Result<Self> {
        let manifest = Manifest::read(run_dir).map_err(|error| Error::Table {
            path: run_dir.join(MANIFEST_FILE),
            message: format!("{error}: is this a published run?"),
        })?;
        let bassins = Table::read(&run_dir.join("silver/bassins"))?
            .rows()
            .filter_map(|row| {
                let code = row.text("code_bassin")?;
                Some(Bassin {
                    label: row.text("libelle_bassin").unwrap_or_else(|| code.clone()),
                    departement: row.text("code_departement"),
                    outline: row.text("geometrie").as_deref().and_then(outline),
                    code,
                })
            })
            .collect();
        let public = |table: &str| Table::read(&run_dir.join("public").join(table));
        Ok(Self {
            manifest,
            bassins,
            summary: public("bassin_summary")?,
            gap: public("competence_gap")?,
            skills: public("skills_demand")?,
            specialty: public("specialty_gap")?,
            upcoming: public("upcoming_sessions")?,
            snapshots: public("etat_des_lieux")?,
            long_term: public("long_term_gap")?,
            france_travail: public("france_travail_tension")?,
        })
    }

    /// The rows of `table` for one bassin.
    pub fn of<'a>(table: &'a Table, bassin: &str) -> Vec<Row<'a>> {
        table.rows().filter(|row| row.text("code_bassin").as_deref() == Some(bassin)).collect()
    }

    /// The reference date D.
    pub fn as_of(&self) -> chrono::NaiveDate {
        self.manifest.as_of
    }

    /// The semester of a semester run.
    pub fn semester(&self) -> Option<String> {
        self.manifest.semester.map(|semester| semester.to_string())
    }

    /// When the run finished.
    pub fn produced_on(&self) -> chrono::NaiveDate {
        self.manifest.finished_at.date_naive()
    }

    /// The rounding base of the run's published person counts (1 for runs before it).
    pub fn rounding_base(&self) -> i64 {
        self.manifest.rounding_base()
    }

    /// The figures the run could not compute for want of a link between two inputs, as
    /// sentences for the sheets (from the manifest's unknown codes).
    pub fn missing_figures(&self) -> Vec<String> {
        let (mut metiers, mut rows) = (0u64, 0i64);
        for code in self.manifest.unknown_codes.iter().filter(|code| code.referential == "bmo_metier") {
            metiers += 1;
            rows += code.rows;
        }
        let mut notes = Vec::new();
        if metiers > 0 {
            notes.push(format!(
                "Donnée manquante : {metiers} métiers de l'enquête BMO ({rows} lignes) ne correspondent à aucun métier ROME du référentiel (pour l'enquête 2024 et suivantes, codée en familles professionnelles FAP 2021, il faut une table de correspondance ROME → FAP 2021). Leurs projets de recrutement et la part des recrutements jugés difficiles manquent par métier, et le niveau de tension n'est pas calculé là où cette composante manque."
            ));
        }
        notes
    }

    /// (input, vintage) of every input.
    pub fn sources(&self) -> Vec<(String, Option<String>)> {
        self.manifest.inputs.iter().map(|input| (input.name.clone(), input.vintage.clone())).collect()
    }
}

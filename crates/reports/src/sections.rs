//! The content of a sheet, section by section, as tables of cells that keep both the
//! French text and the number: the HTML shows the text, the XLSX writes the number with
//! a French format. Everything comes from the public tables; nothing is recomputed
//! except sums of published counts for the regional column.

use crate::data::{Bassin, RunTables};
use crate::format::{Kind, cell, integer, percent};
use crate::table::Row;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// As shown (French format, « < 5 », « s », « n.s. », « — »).
    pub text: String,
    /// The number, when the cell is one (not under secrecy).
    pub number: Option<f64>,
    /// Its kind.
    pub kind: Option<Kind>,
    /// The date, when the cell is one (a date cell in the XLSX).
    pub date: Option<chrono::NaiveDate>,
}

impl Cell {
    /// A text cell.
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: text.into(), number: None, kind: None, date: None }
    }

    /// A number cell shown as `text`.
    fn number(text: String, number: f64, kind: Kind) -> Self {
        Self { text, number: Some(number), kind: Some(kind), date: None }
    }

    /// A level with its label (« 4 – forte »), aligned as a number and written as its text
    /// in the XLSX, so that the label is not lost.
    fn labelled(text: String) -> Self {
        Self { text, number: None, kind: Some(Kind::Count), date: None }
    }

    /// A date cell (`JJ/MM/AAAA`; « — » when unknown).
    pub fn date(date: Option<chrono::NaiveDate>) -> Self {
        Self { text: date.map_or_else(|| "—".to_owned(), crate::format::date), number: None, kind: None, date }
    }

    /// A cell of a public table's column.
    pub fn of(row: &Row<'_>, column: &str, kind: Kind) -> Self {
        let hidden = row.secret(column);
        Self {
            text: cell(row, column, kind),
            number: if hidden { None } else { row.number(column) },
            kind: Some(kind),
            date: None,
        }
    }
}

/// The cells of `columns` (name, kind) of a public row.
fn cells(row: &Row<'_>, columns: &[(&str, Kind)]) -> Vec<Cell> {
    columns.iter().map(|(column, kind)| Cell::of(row, column, *kind)).collect()
}

/// A section's table.
pub struct Section {
    /// Anchor.
    pub id: &'static str,
    /// XLSX worksheet name (31 characters at most).
    pub sheet: &'static str,
    /// Heading.
    pub title: &'static str,
    /// A sentence saying what it shows.
    pub intro: String,
    /// Column headers.
    pub headers: Vec<&'static str>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
    /// What is left out (rows under thresholds, limits), said in words.
    pub note: Option<String>,
}

/// The header's first line: the bassin, its département, the semester and the dates.
pub fn dates_line(tables: &RunTables, bassin: &Bassin) -> String {
    let mut line = format!("Bassin {}", bassin.code);
    if let Some(departement) = &bassin.departement {
        line.push_str(&format!(" · département {departement}"));
    }
    line.push_str(" · ");
    if let Some(semester) = tables.semester() {
        line.push_str(&format!("semestre {semester} · "));
    }
    line.push_str(&format!(
        "situation au {} · produite le {}",
        crate::format::date(tables.as_of()),
        crate::format::date(tables.produced_on())
    ));
    line
}

/// The header's data-quality line, from `public.bassin_summary`.
pub fn quality_line(tables: &RunTables, bassin: &Bassin) -> String {
    let summary = RunTables::of(&tables.summary, &bassin.code);
    let summary = summary.first();
    let share = |column: &str| summary.and_then(|r| r.number(column)).map(percent);
    let mut line = "Qualité des données : ".to_owned();
    if let Some(value) = share("part_offres_geo_commune") {
        line.push_str(&format!("{value} des offres sont localisées par leur commune ; "));
    }
    if let Some(value) = share("part_sessions_places_connues") {
        line.push_str(&format!("{value} des sessions ont un nombre de places connu ; "));
    }
    if let Some(value) = share("part_sessions_resultats_connus") {
        line.push_str(&format!("{value} ont des résultats connus ; "));
    }
    if let Some(value) = summary.and_then(|r| r.number("sessions_sans_metier")).map(integer) {
        line.push_str(&format!("{value} session(s) sans métier rattaché."));
    }
    line
}

/// The sources of the run's inputs, one line each, without repeats.
pub fn sources(tables: &RunTables) -> Vec<String> {
    let mut sources: Vec<String> =
        tables.sources().iter().map(|(name, vintage)| source_line(name, vintage.as_deref())).collect();
    sources.dedup();
    sources
}

/// What the header says of one input.
fn source_line(name: &str, vintage: Option<&str>) -> String {
    let vintage = vintage.map(|v| format!(", {v}")).unwrap_or_default();
    match name {
        "offers" => format!("France Travail, offres d'emploi (API Offres d'emploi v2), extraction{vintage}"),
        "jobseekers" => format!("France Travail – DARES, demandeurs d'emploi{vintage}"),
        "labour_market" => format!(
            "France Travail, API Marché du travail : demandeurs d'emploi par trimestre et bassin BMO (DE_1, DE_5 ; effectifs arrondis à la dizaine par France Travail) et indicateur de tension PERSP_2{vintage}"
        ),
        "bmo" => format!("France Travail, enquête Besoins en main-d'œuvre{vintage}"),
        "lheo" => format!("Carif-Oref, catalogue des formations (LHEO){vintage}"),
        "session_outcomes" => {
            format!("Résultats des sessions de formation (entrées, sorties, emploi à 6 mois){vintage}")
        }
        "communes" | "bassins" | "bmo_bassins" => format!("INSEE, communes et zones d'emploi{vintage}"),
        "rome" => format!("France Travail, répertoire des métiers ROME{vintage}"),
        "rome_formacode" | "formacode" => format!("Centre Inffo, Formacode et correspondance ROME{vintage}"),
        "nsf" => format!("INSEE, nomenclature des spécialités de formation (NSF){vintage}"),
        other => format!("{other}{vintage}"),
    }
}

/// The ordinal rank « 3e sur 30 ».
fn rank(row: Option<&Row<'_>>, column: &str, of: usize) -> Cell {
    match row.and_then(|r| r.number(column)) {
        Some(rank) => Cell::text(format!("{}{} sur {of}", integer(rank), if rank == 1.0 { "er" } else { "e" })),
        None => Cell::text("—"),
    }
}

/// The regional total of a count column of `public.bassin_summary` (« s » when a bassin's
/// value is suppressed, since the sum would then not be the published one).
fn regional_total(tables: &RunTables, column: &str, kind: Kind) -> Cell {
    let mut sum = 0.0;
    for row in tables.summary.rows() {
        if row.secret(column) {
            return Cell::text("s");
        }
        sum += row.number(column).unwrap_or(0.0);
    }
    Cell::number(cell_text(sum, kind), sum, kind)
}

fn cell_text(value: f64, kind: Kind) -> String {
    match kind {
        Kind::Share => percent(value),
        _ => integer(value),
    }
}

/// Section 2: key figures, with the regional total or the bassin's rank.
pub fn key_figures(tables: &RunTables, bassin: &Bassin) -> Section {
    let rows = RunTables::of(&tables.summary, &bassin.code);
    let row = rows.first();
    let bassins = tables.summary.rows().filter(|r| r.text("code_bassin").as_deref() != Some("HORS_BASSIN")).count();
    let value = |column: &str, kind: Kind| row.map_or_else(|| Cell::text("—"), |r| Cell::of(r, column, kind));
    let fill = row.and_then(|r| r.number("taux_remplissage"));
    let target = match fill {
        Some(rate) if rate >= 0.8 => " (objectif de 80 % atteint)",
        Some(_) => " (sous l'objectif de 80 %)",
        None => "",
    };
    let mut figures = vec![
        vec![
            Cell::text("Offres d'emploi déposées (12 mois)"),
            value("offres", Kind::Count),
            regional_total(tables, "offres", Kind::Count),
        ],
        vec![
            Cell::text("Postes offerts (12 mois)"),
            value("postes", Kind::Count),
            regional_total(tables, "postes", Kind::Count),
        ],
        vec![
            Cell::text("Demandeurs d'emploi de catégorie A"),
            value("de_a", Kind::Count),
            regional_total(tables, "de_a", Kind::Count),
        ],
        vec![
            Cell::text("Offres par demandeur de catégorie A"),
            value("ratio_offres_de_a", Kind::Ratio),
            Cell::text("—"),
        ],
        vec![
            Cell::text("Projets de recrutement (enquête BMO)"),
            value("bmo_projets", Kind::Count),
            regional_total(tables, "bmo_projets", Kind::Count),
        ],
        vec![
            Cell::text("Part des projets jugés difficiles"),
            value("part_difficiles", Kind::Share),
            rank(row, "rang_part_difficiles", bassins),
        ],
        vec![
            Cell::text("Places de formation (sessions commencées en 12 mois)"),
            value("places_12m", Kind::Count),
            regional_total(tables, "places_12m", Kind::Count),
        ],
        vec![
            Cell::text(format!("Taux de remplissage des formations{target}")),
            value("taux_remplissage", Kind::Share),
            rank(row, "rang_taux_remplissage", bassins),
        ],
        vec![
            Cell::text("Sessions remplies à moins de 80 %"),
            value("sessions_sous_80", Kind::Count),
            regional_total(tables, "sessions_sous_80", Kind::Count),
        ],
        vec![
            Cell::text("Taux d'emploi 6 mois après la formation"),
            value("taux_emploi_6m", Kind::Share),
            rank(row, "rang_taux_emploi_6m", bassins),
        ],
        vec![
            Cell::text("Sortants de formation attendus (6 prochains mois)"),
            value("sortants_prevus_6m", Kind::Count),
            regional_total(tables, "sortants_prevus_6m", Kind::Count),
        ],
        vec![
            Cell::text("Métiers en tension (niveaux 4 et 5)"),
            value("metiers_en_tension", Kind::Count),
            regional_total(tables, "metiers_en_tension", Kind::Count),
        ],
        vec![
            Cell::text("Part des métiers évalués qui sont en tension"),
            value("part_metiers_en_tension", Kind::Share),
            rank(row, "rang_part_metiers_en_tension", bassins),
        ],
    ];
    figures.retain(|r| !r.is_empty());
    Section {
        id: "chiffres",
        sheet: "Chiffres clés",
        title: "Chiffres clés",
        intro: "Les indicateurs du bassin, avec pour chacun le total régional ou le rang du bassin parmi ceux de la région (1er = valeur la plus élevée)."
            .to_owned(),
        headers: vec!["Indicateur", "Bassin", "Région"],
        rows: figures,
        note: None,
    }
}

/// The bassin's rows of `public.competence_gap`, by priority.
pub(crate) fn by_priority<'a>(tables: &'a RunTables, bassin: &Bassin) -> Vec<Row<'a>> {
    let mut rows = RunTables::of(&tables.gap, &bassin.code);
    rows.sort_by(|a, b| a.number("priorite").unwrap_or(f64::MAX).total_cmp(&b.number("priorite").unwrap_or(f64::MAX)));
    rows
}

/// « Libellé (CODE) » of a row's métier.
pub(crate) fn metier(row: &Row<'_>) -> String {
    format!("{} ({})", row.text("libelle_rome").unwrap_or_default(), row.text("code_rome").unwrap_or_default())
}

/// The tension components in their order, with their French names.
const TENSION_COMPONENTS: [(&str, &str); 3] = [
    ("ratio_offres_entrees_a", "offres rapportées aux entrées en catégorie A"),
    ("taux_ecoulement", "taux d'écoulement"),
    ("part_difficiles", "part des projets difficiles (BMO)"),
];

/// Says which components the run's tension levels lack, when they lack one: the index
/// then rests on the others, their weights renormalised (metrics.md § Tension).
fn degraded_tension(rows: &[Row<'_>]) -> Option<String> {
    let used = rows.iter().find_map(|row| row.text("composantes_tension"))?;
    let missing: Vec<&str> = TENSION_COMPONENTS
        .iter()
        .filter(|(name, _)| !used.split(',').any(|u| u == *name))
        .map(|(_, label)| *label)
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "Niveaux de tension calculés sans : {} (donnée absente pour toute la région dans cette édition) ; les autres mesures gardent leurs poids relatifs.",
            missing.join(", ")
        )
    })
}

/// France Travail's level of a métier and its main causes (« 4 · conditions de travail,
/// … »), from `public.france_travail_tension`.
fn france_travail_level(figures: &[Row<'_>], code_rome: Option<String>) -> Cell {
    let Some(row) = figures.iter().find(|row| row.text("code_rome") == code_rome) else { return Cell::text("—") };
    match (row.number("niveau_tension_ft"), row.text("causes_principales")) {
        (Some(level), Some(causes)) => Cell::labelled(format!("{} · {causes}", integer(level))),
        (Some(level), None) => Cell::number(integer(level), level, Kind::Count),
        (None, Some(causes)) => Cell::text(causes),
        (None, None) => Cell::text("—"),
    }
}

/// Where France Travail's levels come from, with their year.
fn france_travail_source(figures: &[Row<'_>]) -> Option<String> {
    let year = figures.iter().find_map(|row| row.number("annee"))?;
    Some(format!(
        "Tension selon France Travail : indicateur de difficulté de recrutement (PERSP_2) de l'API Marché du travail, année {}, rang de 1 (peu de tension) à 5 (forte tension), suivi de ses causes de rang 4 ou 5. Il est montré à côté du niveau calculé par skillgap, sans être combiné avec lui : quand les deux diffèrent, chacun garde sa lecture.",
        year as i64
    ))
}

/// The anchor of the métiers section (the gap bars go with it).
pub const METIERS: &str = "metiers";

/// Section 3: the first ten métiers by priority.
pub fn metiers(tables: &RunTables, bassin: &Bassin) -> Section {
    let rows = by_priority(tables, bassin);
    let unrated: Vec<String> = rows.iter().filter(|r| r.number("niveau_tension").is_none()).map(metier).collect();
    let level = |row: &Row<'_>| match (row.number("niveau_tension"), row.text("libelle_tension")) {
        (Some(level), Some(label)) => Cell::labelled(format!("{} – {label}", integer(level))),
        (_, label) => Cell::text(label.unwrap_or_else(|| "—".to_owned())),
    };
    let france_travail = RunTables::of(&tables.france_travail, &bassin.code);
    // The métier heads its row (and its card on a phone); its rank follows.
    let mut headers = vec!["Métier", "Rang", "Niveau de tension"];
    if !france_travail.is_empty() {
        headers.push("Tension selon France Travail");
    }
    headers.extend([
        "Offres / entrées en catégorie A",
        "Taux d'écoulement",
        "Part des projets difficiles",
        "Postes offerts",
        "Places de formation",
        "Couverture",
        "Écart",
    ]);
    Section {
        id: METIERS,
        sheet: "Métiers",
        title: "Métiers en tension et écart de formation",
        intro: "Les dix premiers métiers du bassin par priorité : d'abord ceux en tension (niveaux 4 et 5), puis les autres, par écart décroissant entre postes offerts et places de formation.".to_owned(),
        headers,
        rows: rows
            .iter()
            .take(10)
            .map(|row| {
                let mut line = vec![Cell::text(metier(row)), Cell::of(row, "priorite", Kind::Count), level(row)];
                if !france_travail.is_empty() {
                    line.push(france_travail_level(&france_travail, row.text("code_rome")));
                }
                line.extend(cells(
                    row,
                    &[
                        ("ratio_offres_entrees_a", Kind::Ratio),
                        ("taux_ecoulement", Kind::Share),
                        ("part_difficiles", Kind::Share),
                        ("besoin_12m", Kind::Count),
                        ("capacite_12m", Kind::Count),
                        ("couverture", Kind::Share),
                        ("ecart", Kind::Count),
                    ],
                ));
                line
            })
            .collect(),
        note: {
            let notes: Vec<String> = degraded_tension(&rows)
                .into_iter()
                .chain(france_travail_source(&france_travail))
                .chain((!unrated.is_empty()).then(|| {
                    format!(
                        "{} métier(s) du bassin n'ont pas de niveau de tension faute de données suffisantes (dénominateur inférieur au seuil) : {}.",
                        unrated.len(),
                        unrated.join(", ")
                    )
                }))
                .collect();
            (!notes.is_empty()).then(|| notes.join(" "))
        },
    }
}

/// The gap bars of section 3.
pub fn gap_bars(tables: &RunTables, bassin: &Bassin) -> Vec<crate::svg::Bar> {
    by_priority(tables, bassin)
        .iter()
        .take(10)
        .filter_map(|row| {
            Some(crate::svg::Bar {
                label: metier(row),
                value: row.number("ecart")?,
                shown: cell(row, "ecart", Kind::Count),
            })
        })
        .collect()
}

/// Section 4: the competences most requested for the métiers en tension.
pub fn competences(tables: &RunTables, bassin: &Bassin) -> Section {
    let tense: Vec<Row<'_>> =
        by_priority(tables, bassin).into_iter().filter(|r| r.flag("en_tension") == Some(true)).take(5).collect();
    let skills = RunTables::of(&tables.skills, &bassin.code);
    let mut rows = Vec::new();
    for metier_row in &tense {
        let code = metier_row.text("code_rome");
        let mut listed: Vec<&Row<'_>> = skills.iter().filter(|s| s.text("code_rome") == code).collect();
        listed.sort_by(|a, b| {
            b.number("offres")
                .unwrap_or(0.0)
                .total_cmp(&a.number("offres").unwrap_or(0.0))
                .then(a.text("code_competence").cmp(&b.text("code_competence")))
        });
        for skill in listed.into_iter().take(3) {
            rows.push(vec![
                Cell::text(metier(metier_row)),
                Cell::text(
                    skill
                        .text("libelle_competence")
                        .unwrap_or_else(|| skill.text("code_competence").unwrap_or_default()),
                ),
                Cell::of(skill, "offres", Kind::Count),
                Cell::of(skill, "part_offres", Kind::Share),
            ]);
        }
    }
    Section {
        id: "competences",
        sheet: "Compétences",
        title: "Compétences à développer",
        intro:
            "Pour les cinq premiers métiers en tension, les trois compétences que leurs offres d'emploi citent le plus."
                .to_owned(),
        headers: vec!["Métier", "Compétence", "Offres qui la citent", "Part des offres du métier"],
        note: rows.is_empty().then(|| {
            "Aucun métier du bassin n'est en tension, ou leurs offres ne citent pas de compétence codée.".to_owned()
        }),
        rows,
    }
}

/// Section 5: training specialties.
pub fn specialties(tables: &RunTables, bassin: &Bassin) -> Section {
    let mut rows = RunTables::of(&tables.specialty, &bassin.code);
    rows.sort_by(|a, b| {
        b.number("postes_lies")
            .unwrap_or(0.0)
            .total_cmp(&a.number("postes_lies").unwrap_or(0.0))
            .then(a.text("code_nsf").cmp(&b.text("code_nsf")))
    });
    let total = rows.len();
    Section {
        id: "specialites",
        sheet: "Spécialités",
        title: "Spécialités de formation",
        intro: "Par spécialité de formation (NSF) : l'offre de formation du bassin face aux postes des métiers auxquels elle prépare.".to_owned(),
        headers: vec!["Spécialité", "Sessions (12 mois)", "Places", "Taux de remplissage", "Taux d'emploi à 6 mois", "Postes liés", "Couverture"],
        rows: rows
            .iter()
            .take(10)
            .map(|row| {
                let label =
                    format!("{} ({})", row.text("libelle_nsf").unwrap_or_else(|| "Spécialité inconnue".to_owned()), row.text("code_nsf").unwrap_or_default());
                let mut line = vec![Cell::text(label)];
                line.extend(cells(
                    row,
                    &[
                        ("sessions_12m", Kind::Count),
                        ("places_12m", Kind::Count),
                        ("taux_remplissage", Kind::Share),
                        ("taux_emploi_6m", Kind::Share),
                        ("postes_lies", Kind::Count),
                        ("couverture", Kind::Share),
                    ],
                ));
                line
            })
            .collect(),
        note: (total > 10).then(|| format!("{} autres spécialités, liées à moins de postes, figurent dans la table publique specialty_gap.", total - 10)),
    }
}

/// Sessions listed by name in a sheet's « Sorties à venir »; the note counts the others.
pub const UPCOMING_LISTED: usize = 12;

/// Section 6: sessions ending in the next six months, the soonest first.
pub fn upcoming(tables: &RunTables, bassin: &Bassin) -> Section {
    let mut rows = RunTables::of(&tables.upcoming, &bassin.code);
    rows.sort_by_key(|row| (row.date("date_fin"), row.text("session_id")));
    let total = rows.len();
    Section {
        id: "sorties",
        sheet: "Sorties à venir",
        title: "Sorties de formation à venir (6 mois)",
        intro: "Les sessions qui se terminent dans les six prochains mois : autant de candidats formés à présenter aux employeurs (job-datings, recrutements)."
            .to_owned(),
        headers: vec!["Fin", "Formation", "Organisme", "Métiers", "Places", "Sortants attendus"],
        rows: rows
            .iter()
            .take(UPCOMING_LISTED)
            .map(|row| {
                let metiers = row.texts("libelles_rome");
                vec![
                    Cell::date(row.date("date_fin")),
                    Cell::text(row.text("intitule_formation").unwrap_or_default()),
                    Cell::text(row.text("organisme_nom").unwrap_or_default()),
                    Cell::text(if metiers.is_empty() { "—".to_owned() } else { metiers.join(", ") }),
                    Cell::of(row, "places", Kind::Count),
                    Cell::of(row, "sortants_prevus", Kind::Count),
                ]
            })
            .collect(),
        note: (total > UPCOMING_LISTED).then(|| {
            let others = total - UPCOMING_LISTED;
            let verb = if others == 1 { "autre session se termine" } else { "autres sessions se terminent" };
            format!(
                "{others} {verb} plus tard dans la période ; les {total} sessions figurent dans la table publique upcoming_sessions."
            )
        }),
    }
}

/// Section 7: change against the previous semester's snapshot.
pub fn evolution(tables: &RunTables, bassin: &Bassin) -> Section {
    let rows = RunTables::of(&tables.snapshots, &bassin.code);
    let latest = rows.iter().filter_map(|r| r.text("semestre")).max();
    let mut latest_rows: Vec<&Row<'_>> =
        rows.iter().filter(|r| r.text("semestre") == latest && r.number("delta_postes").is_some()).collect();
    latest_rows.sort_by(|a, b| {
        b.number("delta_postes").unwrap_or(0.0).abs().total_cmp(&a.number("delta_postes").unwrap_or(0.0).abs())
    });
    Section {
        id: "evolution",
        sheet: "Évolution",
        title: "Évolution depuis le semestre précédent",
        intro: match &latest {
            Some(semester) => {
                format!(
                    "Photographie du semestre {semester} comparée à celle du semestre précédent : les métiers dont les postes offerts ont le plus changé."
                )
            }
            None => "Aucune photographie semestrielle n'a encore été prise pour ce bassin.".to_owned(),
        },
        headers: vec![
            "Métier",
            "Postes offerts",
            "Évolution des postes",
            "Évolution des places de formation",
            "Évolution de l'écart",
        ],
        rows: latest_rows
            .iter()
            .take(10)
            .map(|row| {
                let mut line = vec![Cell::text(metier(row))];
                line.extend(cells(
                    row,
                    &[
                        ("postes", Kind::Count),
                        ("delta_postes", Kind::Count),
                        ("delta_capacite_12m", Kind::Count),
                        ("delta_ecart", Kind::Count),
                    ],
                ));
                line
            })
            .collect(),
        note: (latest.is_some() && latest_rows.is_empty())
            .then(|| "Pas de photographie du semestre précédent à comparer.".to_owned()),
    }
}

/// Section 7b: the 2030 horizon, when projections are configured (`None` otherwise).
pub fn horizon(tables: &RunTables, bassin: &Bassin) -> Option<Section> {
    let mut rows = RunTables::of(&tables.long_term, &bassin.code);
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| {
        b.number("postes_a_pourvoir_an")
            .unwrap_or(-1.0)
            .total_cmp(&a.number("postes_a_pourvoir_an").unwrap_or(-1.0))
            .then(a.text("code_fap").cmp(&b.text("code_fap")))
    });
    let source = rows.first().and_then(|r| r.text("source_cle")).unwrap_or_default();
    let unkeyed: Vec<String> =
        rows.iter().filter(|r| r.number("cle_repartition").is_none()).filter_map(|r| r.text("libelle_fap")).collect();
    Some(Section {
        id: "horizon",
        sheet: "Horizon 2030",
        title: "Horizon 2030",
        intro: format!(
            "Postes à pourvoir chaque année de 2019 à 2030 par famille de métiers (projections France Stratégie – DARES « Les métiers en 2030 » pour la région), ramenés au bassin selon sa part de {} de la famille, face aux places de formation d'aujourd'hui.",
            if source == "emploi" { "l'emploi" } else { "postes offerts sur 12 mois" }
        ),
        headers: vec![
            "Famille de métiers",
            "Postes à pourvoir par an",
            "Départs en fin de carrière par an",
            "Jeunes débutants par an",
            "Déséquilibre potentiel par an",
            "Places de formation (12 mois)",
            "Couverture",
            "Tension en 2019 (1 à 5, 5 = la plus forte)",
        ],
        rows: rows
            .iter()
            .take(12)
            .map(|row| {
                let mut line = vec![Cell::text(format!(
                    "{} ({})",
                    row.text("libelle_fap").unwrap_or_default(),
                    row.text("code_fap").unwrap_or_default()
                ))];
                line.extend(cells(
                    row,
                    &[
                        ("postes_a_pourvoir_an", Kind::Count),
                        ("departs_fin_carriere_an", Kind::Count),
                        ("jeunes_debutants_an", Kind::Count),
                        ("desequilibre_an", Kind::Count),
                        ("capacite_12m", Kind::Count),
                        ("couverture_long_terme", Kind::Share),
                        ("niveau_tension_2019", Kind::Count),
                    ],
                ));
                line
            })
            .collect(),
        note: (!unkeyed.is_empty()).then(|| {
            format!(
                "Non réparties faute de clé régionale (aucun emploi ou poste dans la région) : {}.",
                unkeyed.join(", ")
            )
        }),
    })
}

/// Section 9: the glossary — (indicator, definition), for a run whose person counts are
/// published rounded to multiples of `rounding_base`.
pub fn glossary(min_denom: f64, rounding_base: i64) -> Vec<(&'static str, String)> {
    let threshold = integer(min_denom);
    vec![
        ("Offres d'emploi, postes", "offres déposées à France Travail dans les 12 mois précédant la date de référence, et les postes qu'elles proposent (1 par offre quand le nombre n'est pas indiqué).".to_owned()),
        ("Demandeurs d'emploi de catégorie A", "personnes inscrites à France Travail sans aucune activité, au dernier mois disponible.".to_owned()),
        ("Niveau de tension (1 à 5)", format!("indice combinant trois mesures (méthode DARES) : offres rapportées aux entrées en catégorie A sur 12 mois, taux d'écoulement (sorties / demandeurs A, B, C) et part des projets de recrutement jugés difficiles (enquête BMO). Calculé seulement si chaque dénominateur atteint {threshold} ; 4 et 5 = en tension.")),
        ("Places de formation", "places des sessions commencées dans les 12 mois ; une session qui prépare à plusieurs métiers partage ses places entre eux (d'où des nombres décimaux par métier).".to_owned()),
        ("Taux de remplissage", format!("entrées en formation / places, sur les sessions dont les deux sont connus ; objectif 80 % ; non calculé sous {threshold} places.")),
        ("Taux d'emploi à 6 mois", format!("personnes en emploi 6 mois après la sortie / sortants, pour les sessions finies entre 18 et 6 mois avant la date de référence ; non calculé sous {threshold} sortants.")),
        ("Couverture, écart", "couverture = places de formation / postes offerts ; écart = postes offerts − places de formation (positif : le besoin dépasse la formation).".to_owned()),
        ("Horizon 2030", "postes à pourvoir 2019–2030 de la région (créations nettes + départs en fin de carrière), par an (÷ 11), répartis entre bassins selon leur part de l'emploi de la famille de métiers (ou, à défaut, de ses postes offerts sur 12 mois) ; déséquilibre potentiel = postes à pourvoir − jeunes débutants − arrivées nettes d'autres régions.".to_owned()),
        ("Postes liés (spécialités)", "postes des métiers répartis entre les spécialités de formation qui y préparent (table de correspondance ROME – Formacode).".to_owned()),
        ("Effectifs de personnes", if rounding_base > 1 {
            format!("demandeurs d'emploi, entrées et sorties de formation sont arrondis au multiple de {rounding_base} le plus proche, comme France Travail le fait pour ses statistiques ; chaque total est arrondi à part et peut différer de la somme des lignes arrondies ; les taux sont calculés sur les effectifs arrondis.")
        } else {
            "demandeurs d'emploi, entrées et sorties de formation sont publiés exacts.".to_owned()
        }),
        ("« s »", "valeur non publiée (secret statistique) : effectif de 1 à 4 personnes, ou valeur masquée pour qu'un tel effectif ne puisse être retrouvé à partir des autres chiffres publiés.".to_owned()),
        ("« n.s. »", format!("non significatif : taux non calculé parce que son dénominateur est inférieur à {threshold} ou absent.")),
        ("« — »", "aucune donnée.".to_owned()),
    ]
}

//! The HTML sheet and the regional index: one self-contained file each (inline CSS and
//! SVG, no script, a Content-Security-Policy that forbids every request), a print
//! stylesheet for A4, headings and table headers for screen readers. Templates are maud
//! macros compiled with the binary: every text is escaped unless marked otherwise.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::data::{Bassin, RunTables};
use crate::format::{date, integer, percent};
use crate::sections::{self, Section, glossary};
use crate::svg::{Area, Bar, bars, map};

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: "Marianne", "Helvetica Neue", Arial, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #161616; line-height: 1.4; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; border-bottom: 2px solid #000091; margin-top: 1.6rem; }
.meta, .note, .intro { color: #3a3a3a; font-size: .9rem; }
.missing { border-left: 4px solid #b45309; padding-left: .5rem; color: #1f1f1f; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .4rem; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
th { background: #f0f0f7; }
svg.chart { width: 100%; max-width: 44rem; height: auto; display: block; }
svg.map { width: 100%; max-width: 26rem; height: auto; display: block; }
.legend span { display: inline-block; margin-right: .8rem; font-size: .85rem; }
.legend i { display: inline-block; width: .9rem; height: .9rem; margin-right: .25rem; border: 1px solid #999; vertical-align: middle; }
dl dt { font-weight: bold; margin-top: .4rem; } dl dd { margin-left: 1rem; }
@media print {
  @page { size: A4; margin: 10mm; }
  body { max-width: none; padding: 0; font-size: 7pt; line-height: 1.2; }
  h1 { font-size: 13pt; } h2 { font-size: 10pt; margin-top: 3mm; break-after: avoid; }
  table { font-size: 6.5pt; } th, td { padding: .2mm 1mm; }
  caption.intro, .note, .meta { font-size: 7pt; }
  svg.chart { max-width: 110mm; } svg.map { max-width: 55mm; }
  dl { columns: 2; column-gap: 6mm; font-size: 6.5pt; } dl dt { margin-top: 1mm; }
  tr, svg { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Requests of any kind are forbidden: the page is complete in itself.
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(POLICY);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
}

fn table(section: &Section) -> Markup {
    html! {
        @if section.rows.is_empty() {
            p.note { (section.note.clone().unwrap_or_else(|| "Aucune donnée pour ce bassin.".to_owned())) }
        } @else {
            div.table {
                table {
                    caption.intro { (section.intro) }
                    thead { tr { @for header in &section.headers { th scope="col" { (header) } } } }
                    tbody {
                        @for row in &section.rows {
                            tr {
                                @for (index, cell) in row.iter().enumerate() {
                                    @if index == 0 {
                                        th scope="row" data-column=(section.headers.get(index).copied().unwrap_or("")) { (cell.text) }
                                    } @else if cell.kind.is_some() {
                                        td.n data-column=(section.headers.get(index).copied().unwrap_or("")) { (cell.text) }
                                    } @else {
                                        td { (cell.text) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(note) = &section.note { p.note { (note) } }
        }
    }
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

/// One bassin's sheet.
pub fn sheet(tables: &RunTables, bassin: &Bassin, sections: &[Section], gap: &[Bar], min_denom: f64) -> Markup {
    let summary = RunTables::of(&tables.summary, &bassin.code);
    let summary = summary.first();
    let share = |column: &str| summary.and_then(|r| r.number(column)).map(percent);
    let count = |column: &str| summary.and_then(|r| r.number(column)).map(integer);
    let mut sources: Vec<String> =
        tables.sources().iter().map(|(name, vintage)| source_line(name, vintage.as_deref())).collect();
    sources.dedup();
    let areas: Vec<Area<'_>> = tables
        .bassins
        .iter()
        .filter_map(|other| {
            Some(Area {
                code: &other.code,
                title: other.label.clone(),
                outline: other.outline.as_ref()?,
                fill: if other.code == bassin.code { "#000091" } else { "#d9d9e8" },
                highlighted: other.code == bassin.code,
                link: None,
            })
        })
        .collect();
    page(
        &format!("Fiche bassin — {}", bassin.label),
        html! {
            header {
                h1 { "Fiche bassin — " (bassin.label) }
                p.meta {
                    "Bassin " (bassin.code)
                    @if let Some(departement) = &bassin.departement { " · département " (departement) }
                    " · "
                    @if let Some(semester) = tables.semester() { "semestre " (semester) " · " }
                    "situation au " (date(tables.as_of()))
                    " · produite le " (date(tables.produced_on()))
                }
                p.meta {
                    "Qualité des données : "
                    @if let Some(value) = share("part_offres_geo_commune") { (value) " des offres sont localisées par leur commune ; " }
                    @if let Some(value) = share("part_sessions_places_connues") { (value) " des sessions ont un nombre de places connu ; " }
                    @if let Some(value) = share("part_sessions_resultats_connus") { (value) " ont des résultats connus ; " }
                    @if let Some(value) = count("sessions_sans_metier") { (value) " session(s) sans métier rattaché." }
                }
                @for note in tables.missing_figures() { p.meta.missing { (note) } }
            }
            main {
                @for section in sections {
                    section id=(section.id) aria-labelledby=(format!("{}-titre", section.id)) {
                        h2 id=(format!("{}-titre", section.id)) { (section.title) }
                        (table(section))
                        @if section.id == sections::METIERS && !gap.is_empty() {
                            (bars("Écart entre postes offerts et places de formation", "Barres horizontales : à droite (rouge), plus de postes que de places ; à gauche (bleu), plus de places que de postes. La valeur est écrite au bout de chaque barre.", gap))
                        }
                    }
                }
                section id="carte" aria-labelledby="carte-titre" {
                    h2 id="carte-titre" { "Carte" }
                    (map(&format!("Le bassin {} dans sa région", bassin.label), "Les bassins de la région en gris clair ; le bassin de la fiche en bleu foncé, bordé de noir.", &areas))
                }
                section id="methode" aria-labelledby="methode-titre" {
                    h2 id="methode-titre" { "Méthode et secret statistique" }
                    dl { @for (term, definition) in glossary(min_denom, tables.rounding_base()) { dt { (term) } dd { (definition) } } }
                    h3 { "Sources" }
                    ul { @for source in &sources { li { "Source : " (source) ". Licence Ouverte / Open Licence (Etalab)." } } }
                }
            }
        },
    )
}

/// The colour classes of the regional map (share of métiers en tension).
pub const CLASSES: [(f64, &str, &str); 5] = [
    (0.0, "#f1eef6", "moins de 20 %"),
    (0.2, "#bdc9e1", "20 à 30 %"),
    (0.3, "#74a9cf", "30 à 40 %"),
    (0.4, "#2b8cbe", "40 à 50 %"),
    (0.5, "#045a8d", "50 % et plus"),
];

fn class_of(share: Option<f64>) -> (&'static str, &'static str) {
    match share {
        None => ("#ffffff", "non évalué"),
        Some(value) => CLASSES
            .iter()
            .rev()
            .find(|(low, _, _)| value >= *low)
            .map_or((CLASSES[0].1, CLASSES[0].2), |(_, colour, label)| (*colour, *label)),
    }
}

/// The regional index: the choropleth and one line per bassin with links.
pub fn index(tables: &RunTables, region: &str, files: &[(String, String, String)]) -> Markup {
    let share_of =
        |code: &str| RunTables::of(&tables.summary, code).first().and_then(|r| r.number("part_metiers_en_tension"));
    let areas: Vec<Area<'_>> = tables
        .bassins
        .iter()
        .filter_map(|bassin| {
            let share = share_of(&bassin.code);
            let (fill, label) = class_of(share);
            Some(Area {
                code: &bassin.code,
                title: format!("{} : {}", bassin.label, share.map_or_else(|| label.to_owned(), percent)),
                outline: bassin.outline.as_ref()?,
                fill,
                highlighted: false,
                link: files.iter().find(|(code, _, _)| *code == bassin.code).map(|(_, html, _)| html.clone()),
            })
        })
        .collect();
    page(
        &format!("Diagnostic des compétences — {region}"),
        html! {
            header {
                h1 { "Diagnostic territorial des compétences — " (region) }
                p.meta { "Situation au " (date(tables.as_of())) " · une fiche par bassin d'emploi" }
            }
            main {
                section aria-labelledby="carte-titre" {
                    h2 id="carte-titre" { "Part des métiers en tension par bassin" }
                    (map("Part des métiers en tension par bassin", "Carte des bassins de la région, du plus clair (moins de 20 % des métiers évalués en tension) au plus foncé (50 % et plus) ; chaque bassin mène à sa fiche ; les valeurs sont aussi dans le tableau ci-dessous.", &areas))
                    p.legend { @for (_, colour, label) in CLASSES { span { i style=(format!("background:{colour}")) {} (label) } } span { i style="background:#ffffff" {} "non évalué" } }
                }
                section aria-labelledby="liste-titre" {
                    h2 id="liste-titre" { "Les bassins" }
                    div.table { table {
                        thead { tr { th scope="col" { "Bassin" } th scope="col" { "Offres (12 mois)" } th scope="col" { "Métiers en tension" } th scope="col" { "Taux de remplissage" } th scope="col" { "Fiches" } } }
                        tbody {
                            @for bassin in &tables.bassins {
                                @let row = RunTables::of(&tables.summary, &bassin.code);
                                @let row = row.first();
                                tr {
                                    th scope="row" { (bassin.label) " (" (bassin.code) ")" }
                                    td.n { (row.and_then(|r| r.number("offres")).map(integer).unwrap_or_default()) }
                                    td.n { (share_of(&bassin.code).map_or_else(|| "n.s.".to_owned(), percent)) }
                                    td.n { (row.and_then(|r| r.number("taux_remplissage")).map_or_else(|| "n.s.".to_owned(), percent)) }
                                    td { @if let Some((_, html, xlsx)) = files.iter().find(|(code, _, _)| *code == bassin.code) { a href=(html) { "HTML" } " · " a href=(xlsx) { "XLSX" } } }
                                }
                            }
                        }
                    } }
                }
            }
        },
    )
}
